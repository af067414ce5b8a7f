//! Every list is an index seek: for each list statement and filter shape the issue names, the
//! database's own plan is read over a few thousand rows, and must walk an index in the list's
//! order — no sort, no scan of the table — touching at most `2 × limit + 1` rows (PostgreSQL:
//! `EXPLAIN ANALYZE`'s actual rows plus those its filters removed; SQLite: `EXPLAIN QUERY
//! PLAN` names the index, searched on the filters, and no temporary B-tree). A change that
//! makes a list sort or scan again fails here, on both databases.

use crate::applications::{APPS_SQL, AppsOf, QUEUE_SQL, QueueFilter};
use crate::orders::ORDERS_SQL;
use crate::page::{KeyPart, bind_key};
use crate::{Backend, Store};
use redress_domain::application::{ApplicationState, Reason};
use redress_domain::ids::{ApplicationNo, OrderNo, Username};
use redress_domain::order::Channel;
use sqlx::Row;

const APPS: i64 = 20_000;
const LIMIT: i64 = 10;

/// A history: 20,000 applications on as many orders, a fifth of them open, over 500 buyers,
/// three channels, four reasons, two reviewers; queue keys spread over two weeks.
const SEED: &[&str] = &[
    "INSERT INTO policies (version, body, published_at, published_by) VALUES (1, '{}', 0, 'test')",
    "INSERT INTO orders (order_no, buyer, service_name, platform, unit, promised, deadline, policy_version,
        policy_accepted_at, pay_channel, pay_transaction_id, paid_fen, paid_at, created_at, updated_at, lock_version)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'O-' || i, 'buyer' || (i % 500), 's', 'douyin', 'likes', 100, 0, 1, 0,
        CASE i % 3 WHEN 0 THEN 'wechat_pay' WHEN 1 THEN 'alipay' ELSE 'bank_card' END, 't' || i, 100000, 0,
        1700000000000 + i * 1000, 0, 0
     FROM n",
    "INSERT INTO applications (id, no, order_no, buyer, state, reason, description, requested_fen, reviewer, round,
        appeals, created_at, submitted_at, updated_at, version, queue_key, pay_channel)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'RF-20261201-' || (100000 + i), 'RF-20261201-' || (100000 + i), 'O-' || i, 'buyer' || (i % 500),
        CASE i % 20 WHEN 0 THEN 'submitted' WHEN 1 THEN 'in_review' WHEN 2 THEN 'info_requested'
            WHEN 3 THEN 'appealed' WHEN 4 THEN 'rejected' WHEN 5 THEN 'withdrawn' ELSE 'refunded' END,
        CASE i % 4 WHEN 0 THEN 'quantity_short' WHEN 1 THEN 'not_delivered_on_time' WHEN 2 THEN 'account_risk'
            ELSE 'other' END,
        '', 100 + (i * 37) % 100000, CASE WHEN i % 20 = 1 THEN 'rev' || (i % 2) END, 'first', 0,
        1700000000000 + i * 1000, 1700000000000 + i * 1000, 0, 1,
        CASE WHEN i % 20 < 4 THEN 1700000000000 + (i * 7919) % 1209600000 END,
        CASE i % 3 WHEN 0 THEN 'wechat_pay' WHEN 1 THEN 'alipay' ELSE 'bank_card' END
     FROM n",
    "INSERT INTO notifications (id, recipient, audience, kind, subject, seq, amount_fen, created_at)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'NT-' || i, 'buyer' || (i % 500), 'buyer', 'application.submitted', 'RF-20261201-' || (100000 + i), 1,
        100, 1700000000000 + i * 1000
     FROM n",
    "INSERT INTO emails (id, recipient, subject, state, attempts, due_at, next_attempt_at, created_at, updated_at)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'EM-' || i, 'buyer' || (i % 500), 'RF-20261201-' || (100000 + i),
        CASE i % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'pending' ELSE 'sent' END, 1,
        1700000000000 + i * 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000, 1700000000000 + i * 1000
     FROM n",
    "INSERT INTO webhook_endpoints (id, url, events, state, secret, created_by, created_at, updated_at)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
     SELECT 'WE-' || i, 'https://hooks.example.com/' || i, '*', 'enabled', 'sealed', 'm', 1700000000000 + i * 1000,
        1700000000000 + i * 1000
     FROM n",
    "INSERT INTO webhook_attempts (delivery_id, attempt, endpoint_id, message_id, kind, at, status, latency_ms)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'WD-' || i, 1 + i % 3, 'WE-' || (i % 20), 'msg_' || i, 'application.submitted', 1700000000000 + i * 1000,
        200, 30
     FROM n",
    "INSERT INTO tickets (no, buyer, category, subject, state, assignee, clocks, queue_key, created_at, updated_at,
        version)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'TK-20261201-' || (100000 + i), 'buyer' || (i % 500),
        CASE i % 6 WHEN 0 THEN 'refund_progress' WHEN 1 THEN 'evidence_question' WHEN 2 THEN 'payout_not_arrived'
            WHEN 3 THEN 'terms_question' WHEN 4 THEN 'account' ELSE 'other' END, 's',
        CASE i % 5 WHEN 0 THEN 'open' WHEN 1 THEN 'waiting_on_staff' WHEN 2 THEN 'waiting_on_buyer'
            WHEN 3 THEN 'resolved' ELSE 'closed' END,
        CASE WHEN i % 7 = 0 THEN 'agent' || (i % 3) END, '{}',
        CASE WHEN i % 5 < 3 THEN 1700000000000 + (i * 7919) % 1209600000 END,
        1700000000000 + i * 1000, 1700000000000 + i * 1000, 1
     FROM n",
    "INSERT INTO messages (thread, seq, kind, author, author_role, body, body_sha256, at)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
     SELECT 'TK-20261201-' || (100000 + i % 20), i, CASE WHEN i % 10 = 0 THEN 'note' ELSE 'message' END, 'buyer1',
        'buyer', 'hello', 'h', 1700000000000 + i * 1000
     FROM n",
];

struct Case {
    name: String,
    sql: String,
    params: Vec<KeyPart>,
    /// The table read, and the index SQLite must name for it.
    table: &'static str,
    index: &'static str,
    /// Not a paged list but a short one read whole from a partial index (what waits for one
    /// buyer): PostgreSQL may sort those few rows rather than walk the index in order, so only
    /// the index is checked there.
    few: bool,
}

fn queue_case(name: &str, f: QueueFilter, after: Option<(i64, String)>, index: &'static str) -> Case {
    let mut params = f.params();
    let shape = f.shape(after.is_some());
    if let Some((k, no)) = after {
        params.extend([KeyPart::Int(k), KeyPart::Text(no)]);
    }
    params.push(KeyPart::Int(LIMIT + 1));
    Case { name: name.to_owned(), sql: QUEUE_SQL[shape].clone(), params, table: "applications", index, few: false }
}

fn cases(mid_key: i64, mid_no: &str) -> Vec<Case> {
    let user = |s: &str| Username::parse(s).expect("name");
    let mut out = vec![];
    let shapes: Vec<(&str, QueueFilter, &'static str)> = vec![
        ("all open", QueueFilter::default(), "applications_queue"),
        (
            "state",
            QueueFilter { state: Some(ApplicationState::Submitted), ..Default::default() },
            "applications_queue_state",
        ),
        (
            "reason",
            QueueFilter { reason: Some(Reason::QuantityShort), ..Default::default() },
            "applications_queue_reason",
        ),
        ("channel", QueueFilter { channel: Some(Channel::Alipay), ..Default::default() }, "applications_queue_channel"),
        (
            "state + channel",
            QueueFilter {
                state: Some(ApplicationState::Appealed),
                channel: Some(Channel::WechatPay),
                ..Default::default()
            },
            "applications_queue_state_channel",
        ),
        ("assignee", QueueFilter { assignee: Some(user("rev1")), ..Default::default() }, "applications_queue_reviewer"),
    ];
    for (name, f, index) in shapes {
        out.push(queue_case(name, f.clone(), None, index));
        out.push(queue_case(&format!("{name}, next page"), f, Some((mid_key, mid_no.to_owned())), index));
    }
    let range = QueueFilter { min_fen: Some(5_000), max_fen: Some(60_000), ..Default::default() };
    out.push(queue_case("amount range", range.clone(), None, "applications_queue_amount"));
    out.push(queue_case(
        "amount range, next page",
        range,
        Some((20_000, mid_no.to_owned())),
        "applications_queue_amount",
    ));
    let buyer = user("buyer42");
    let order = OrderNo::parse("O-4242").expect("order");
    let no = ApplicationNo::parse("RF-20261201-104242").expect("no");
    for (name, of, index) in [
        ("buyer's applications", AppsOf::Buyer(&buyer), "applications_buyer"),
        ("search by buyer", AppsOf::SearchBuyer(&buyer), "applications_buyer"),
        ("search by order", AppsOf::SearchOrder(&order), "applications_order"),
    ] {
        for after in [false, true] {
            let mut params = vec![KeyPart::Text(of.value().to_owned())];
            if after {
                params.extend([
                    KeyPart::Int(1_700_000_000_000 + 10_042 * 1000),
                    KeyPart::Text("RF-20261201-110042".into()),
                ]);
            }
            params.push(KeyPart::Int(LIMIT + 1));
            out.push(Case {
                name: format!("{name}{}", if after { ", next page" } else { "" }),
                sql: APPS_SQL[of.variant() * 2 + usize::from(after)].clone(),
                params,
                table: "applications",
                index,
                few: false,
            });
        }
    }
    for after in [false, true] {
        let mut params = vec![KeyPart::Text("buyer42".into())];
        if after {
            params.extend([KeyPart::Int(1_700_000_000_000 + 10_042 * 1000), KeyPart::Text("NT-10042".into())]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("a person's notifications{}", if after { ", next page" } else { "" }),
            sql: crate::notifications::LIST_SQL[usize::from(after)].to_owned(),
            params,
            table: "notifications",
            index: "notifications_of",
            few: false,
        });
    }
    for after in [false, true] {
        let mut params = vec![];
        if after {
            params.extend([KeyPart::Int(1_700_000_000_000 + 10_000 * 1000), KeyPart::Text("EM-10000".into())]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("failed e-mails{}", if after { ", next page" } else { "" }),
            sql: crate::mail::FAILED_SQL[usize::from(after)].to_owned(),
            params,
            table: "emails",
            index: "emails_failed",
            few: false,
        });
    }
    for after in [false, true] {
        let mut params = vec![];
        if after {
            params.extend([KeyPart::Int(1_700_000_000_000 + 1_000 * 1000), KeyPart::Text("WE-1000".into())]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("webhook endpoints{}", if after { ", next page" } else { "" }),
            sql: crate::webhooks::ENDPOINT_SQL[usize::from(after)].to_owned(),
            params,
            table: "webhook_endpoints",
            index: "webhook_endpoints_list",
            few: false,
        });
    }
    for after in [false, true] {
        let mut params = vec![KeyPart::Text("WE-7".into())];
        if after {
            params.extend([
                KeyPart::Int(1_700_000_000_000 + 10_007 * 1000),
                KeyPart::Text("WD-10007".into()),
                KeyPart::Int(3),
            ]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("an endpoint's delivery log{}", if after { ", next page" } else { "" }),
            sql: crate::webhooks::ATTEMPT_SQL[usize::from(after)].to_owned(),
            params,
            table: "webhook_attempts",
            index: "webhook_attempts_log",
            few: false,
        });
    }
    let tickets = [
        ("ticket queue", crate::tickets::TicketFilter::default(), vec![], "tickets_queue"),
        (
            "ticket queue by state",
            crate::tickets::TicketFilter {
                state: Some(redress_domain::ticket::TicketState::Open),
                ..Default::default()
            },
            vec![KeyPart::Text("open".into())],
            "tickets_queue_state",
        ),
        (
            "ticket queue by category",
            crate::tickets::TicketFilter {
                category: Some(redress_domain::ticket::Category::Account),
                ..Default::default()
            },
            vec![KeyPart::Text("account".into())],
            "tickets_queue_category",
        ),
        (
            "ticket queue by holder",
            crate::tickets::TicketFilter { assignee: Some(user("agent1")), ..Default::default() },
            vec![KeyPart::Text("agent1".into())],
            "tickets_queue_assignee",
        ),
    ];
    for (name, f, filter, index) in tickets {
        for after in [false, true] {
            let mut params = filter.clone();
            if after {
                params
                    .extend([KeyPart::Int(1_700_000_000_000 + 80_000_000), KeyPart::Text("TK-20261201-110000".into())]);
            }
            params.push(KeyPart::Int(LIMIT + 1));
            let shape = usize::from(f.state.is_some())
                | usize::from(f.category.is_some()) << 1
                | usize::from(f.assignee.is_some()) << 2
                | usize::from(after) << 3;
            out.push(Case {
                name: format!("{name}{}", if after { ", next page" } else { "" }),
                sql: crate::tickets::QUEUE_SQL[shape].clone(),
                params,
                table: "tickets",
                index,
                few: false,
            });
        }
    }
    for after in [false, true] {
        let mut params = vec![KeyPart::Text("buyer42".into())];
        if after {
            params
                .extend([KeyPart::Int(1_700_000_000_000 + 10_042 * 1000), KeyPart::Text("TK-20261201-110042".into())]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("buyer's tickets{}", if after { ", next page" } else { "" }),
            sql: crate::tickets::MINE_SQL[usize::from(after)].clone(),
            params,
            table: "tickets",
            index: "tickets_buyer",
            few: false,
        });
    }
    for (notes, after) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut params = vec![KeyPart::Text("TK-20261201-100007".into())];
        if after {
            params.push(KeyPart::Int(10_007));
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!(
                "a thread{}{}",
                if notes { " with notes" } else { "" },
                if after { ", next page" } else { "" }
            ),
            sql: crate::tickets::THREAD_SQL[usize::from(notes) + 2 * usize::from(after)].clone(),
            params,
            table: "messages",
            index: "",
            few: false,
        });
    }
    out.push(Case {
        name: "tickets waiting on a buyer".into(),
        sql: crate::tickets::AWAITING_SQL.to_owned(),
        params: vec![KeyPart::Text("buyer42".into()), KeyPart::Int(LIMIT + 1)],
        table: "tickets",
        index: "tickets_awaiting_buyer",
        few: true,
    });
    out.push(Case {
        name: "what waits for a buyer".into(),
        sql: crate::applications::AWAITING_BUYER_SQL.clone(),
        params: vec![KeyPart::Text("buyer42".into()), KeyPart::Int(LIMIT + 1)],
        table: "applications",
        index: "applications_awaiting_buyer",
        few: true,
    });
    out.push(Case {
        name: "search by number".into(),
        sql: APPS_SQL[AppsOf::SearchNo(&no).variant() * 2].clone(),
        params: vec![KeyPart::Text(no.to_string()), KeyPart::Int(LIMIT + 1)],
        table: "applications",
        index: "",
        few: false,
    });
    for after in [false, true] {
        let mut params = vec![KeyPart::Text("buyer42".into())];
        if after {
            params.extend([KeyPart::Int(1_700_000_000_000 + 10_042 * 1000), KeyPart::Text("O-10042".into())]);
        }
        params.push(KeyPart::Int(LIMIT + 1));
        out.push(Case {
            name: format!("buyer's orders{}", if after { ", next page" } else { "" }),
            sql: ORDERS_SQL[usize::from(after)].clone(),
            params,
            table: "orders",
            index: "orders_buyer",
            few: false,
        });
    }
    out
}

/// The plan's lines (PostgreSQL: `EXPLAIN ANALYZE` text; SQLite: `EXPLAIN QUERY PLAN` details).
async fn plan(store: &Store, case: &Case) -> Vec<String> {
    let explain = match store.backend() {
        Backend::Postgres => format!("EXPLAIN (ANALYZE, COSTS OFF) {}", case.sql),
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {}", case.sql),
    };
    let q = bind_key(sqlx::query(sqlx::AssertSqlSafe(explain)), &case.params);
    let rows = q.fetch_all(&store.pool).await.unwrap_or_else(|e| panic!("{}: {e}\n{}", case.name, case.sql));
    rows.iter()
        .map(|r| match store.backend() {
            Backend::Postgres => r.try_get::<String, _>(0).expect("plan line"),
            Backend::Sqlite => r.try_get::<String, _>("detail").expect("plan detail"),
        })
        .collect()
}

/// The number after `key` on `line` (`rows=11`, `Rows Removed by Filter: 3`).
fn number_after(line: &str, key: &str) -> Option<i64> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The rows a PostgreSQL plan touched in `table`: each scan node's actual rows times its
/// loops, plus what its filters removed.
fn rows_touched(lines: &[String], table: &str) -> i64 {
    let on = format!(" on {table} ");
    let mut total = 0;
    let mut in_scan = false;
    for line in lines {
        if line.contains("(actual") {
            in_scan = line.contains(&on);
            if in_scan {
                let loops = number_after(line, "loops=").unwrap_or(1);
                total += number_after(line, "rows=").unwrap_or(0) * loops;
            }
        } else if in_scan && let Some(n) = number_after(line, "Rows Removed by Filter:") {
            total += n;
        }
    }
    total
}

async fn check_plans(store: &Store) {
    store.migrate().await.expect("migrate");
    for s in SEED {
        sqlx::query(sqlx::AssertSqlSafe(*s)).execute(store.write_pool()).await.expect("seed");
    }
    if store.backend() == Backend::Postgres {
        sqlx::query("ANALYZE").execute(store.write_pool()).await.expect("analyze");
    }
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM applications")
        .fetch_one(&store.pool)
        .await
        .expect("count")
        .try_get("n")
        .expect("n");
    assert_eq!(n, APPS);
    // A row in the middle of the queue for the cursors.
    let mid = sqlx::query(
        "SELECT queue_key, no FROM applications WHERE queue_key IS NOT NULL ORDER BY no LIMIT 1 OFFSET 1000",
    )
    .fetch_one(&store.pool)
    .await
    .expect("mid");
    let (key, no): (i64, String) = (mid.try_get(0).expect("key"), mid.try_get(1).expect("no"));
    let mut problems = vec![];
    for case in cases(key, &no) {
        let lines = plan(store, &case).await;
        let text = lines.join("\n");
        match store.backend() {
            Backend::Postgres if case.few => {
                if text.contains("Seq Scan") || !text.contains(&format!(" on {}", case.index)) {
                    problems.push(format!("{}: not read from its index\n{text}", case.name));
                }
            }
            Backend::Postgres => {
                let touched = rows_touched(&lines, case.table);
                if text.contains("Sort") || text.contains("Seq Scan") || touched > 2 * LIMIT + 1 || touched == 0 {
                    problems.push(format!("{}: {touched} rows touched\n{text}", case.name));
                }
            }
            Backend::Sqlite => {
                let searched = lines.iter().any(|l| {
                    l.starts_with(&format!("SEARCH {}", case.table))
                        && (case.index.is_empty() || l.contains(&format!("INDEX {} ", case.index)))
                });
                let ordered_scan =
                    lines.iter().any(|l| l == &format!("SCAN {} USING INDEX {}", case.table, case.index));
                if text.contains("TEMP B-TREE") || !(searched || ordered_scan) {
                    problems.push(format!("{}:\n{text}", case.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{:?}: lists that are not index seeks:\n\n{}", store.backend(), problems.join("\n\n"));
}

#[tokio::test]
async fn every_list_is_an_index_seek_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("sqlite");
    check_plans(&store).await;
}

#[tokio::test]
async fn every_list_is_an_index_seek_on_postgres() {
    let url = match std::env::var("REDRESS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(std::env::var("REDRESS_REQUIRE_POSTGRES").is_err(), "REDRESS_TEST_DATABASE_URL is not set");
            return;
        }
    };
    let schema = format!("t_plan_{:016x}", rand::random::<u64>());
    let store = Store::connect(&url, Some(&schema)).await.expect("postgres");
    check_plans(&store).await;
}

#[test]
fn rows_touched_reads_the_plan() {
    let lines: Vec<String> = [
        "Limit (actual time=0.1..0.2 rows=11 loops=1)",
        "  ->  Index Scan using applications_queue_state on applications (actual time=0.1..0.2 rows=11 loops=1)",
        "        Index Cond: (state = 'submitted'::text)",
        "        Rows Removed by Filter: 4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(rows_touched(&lines, "applications"), 15);
    assert_eq!(rows_touched(&lines, "orders"), 0);
}
