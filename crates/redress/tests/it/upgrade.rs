//! Upgrading a database made by an earlier Redress: `tests/fixtures/v5` holds a database at
//! schema version 5 (before stable application ids) and a case file exported from it, both
//! made by Redress at commit bbf2d5e (see its README). The database is migrated here, on
//! SQLite as it is and on PostgreSQL after its rows are copied into a schema at version 5, and
//! must keep every application, timeline, file and payout, still verify its audit chain, and
//! go on working. Also: instances that migrate at once do not race, and the schema refuses
//! rows the domain never writes.

use jiff::Timestamp;
use redress_app::{App, Clock};
use redress_domain::application::{ApplicationState, DraftInput, Reason};
use redress_domain::ids::ApplicationRef;
use redress_domain::money::Fen;
use redress_domain::sla::{ClockState, business_days};
use redress_store::{Backend, Store};
use sqlx::Row;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v5")
}

/// What `redress audit verify` of the version that made the fixture said of its chain: the
/// entries that verified, and the head.
const FIXTURE_CHAIN: (i64, &str) = (47, "4395dc8fba4b3841cac29e0de97bdd8f4aab0b981505975594f6bd232e4c262a");

/// The database's tables at version 5, parents before children.
const TABLES: &[&str] = &[
    "users",
    "sessions",
    "api_tokens",
    "policies",
    "orders",
    "deliveries",
    "account_events",
    "applications",
    "application_events",
    "settings",
    "audit_log",
    "evidence",
    "payouts",
    "payout_attempts",
    "channel_nonces",
    "sandbox_refunds",
];

/// A copy of the version-5 SQLite database in a temporary directory.
fn legacy_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixtures().join("redress.db"), dir.path().join("redress.db")).expect("copy the fixture");
    let url = Store::sqlite_url(dir.path());
    (dir, url)
}

/// What the upgrade must keep: every application's state and timeline length, by number or
/// (drafts) by their old number, and each one's files.
async fn inventory(url: &str, schema: Option<&str>) -> BTreeMap<String, (String, i64, i64)> {
    let pool = pool(url, schema).await;
    let evidence_key =
        if column_exists(&pool, "evidence", "application_id").await { "application_id" } else { "application_no" };
    let id = if column_exists(&pool, "applications", "id").await { "id" } else { "no" };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT a.{id} AS id, a.state,
                (SELECT COUNT(*) FROM application_events e WHERE e.application_no = a.no) AS events,
                (SELECT COUNT(*) FROM evidence v WHERE v.{evidence_key} = a.{id}) AS files
         FROM applications a"
    )))
    .fetch_all(&pool)
    .await
    .expect("inventory");
    pool.close().await;
    rows.iter()
        .map(|r| {
            let id: String = r.get("id");
            // A draft's id is made from its old number in the upgrade.
            let key = match id.strip_prefix("DR-") {
                Some(rest) => format!("RF-{}-{}", &rest[..8], &rest[8..]),
                None => id,
            };
            (key, (r.get("state"), r.get("events"), r.get("files")))
        })
        .collect()
}

async fn pool(url: &str, schema: Option<&str>) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let schema = schema.map(str::to_owned);
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(s) = schema {
                    sqlx::Executor::execute(conn, sqlx::AssertSqlSafe(format!("SET search_path TO \"{s}\""))).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("connect")
}

async fn column_exists(pool: &sqlx::AnyPool, table: &str, column: &str) -> bool {
    sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {column} FROM {table} LIMIT 1"))).fetch_all(pool).await.is_ok()
}

/// The number of the fixture's draft (it has a file).
async fn legacy_draft(url: &str, schema: Option<&str>) -> String {
    let pool = pool(url, schema).await;
    let draft: String = sqlx::query("SELECT no FROM applications WHERE state = 'draft' ORDER BY no LIMIT 1")
        .fetch_one(&pool)
        .await
        .expect("the fixture has a draft")
        .get("no");
    pool.close().await;
    draft
}

/// Everything a version-5 database must still be and do after the upgrade.
async fn check_upgrade(store: Store, url: &str, schema: Option<&str>) {
    let legacy_draft = legacy_draft(url, schema).await;
    let before = inventory(url, schema).await;
    assert!(before.get(&legacy_draft).is_some_and(|(_, _, files)| *files > 0), "{before:?}");
    assert!(before.values().any(|(_, _, files)| *files > 1), "the fixture has submitted files: {before:?}");

    store.migrate().await.expect("migrate");
    let applied = store.applied_migrations().await.expect("versions");
    assert!(applied.contains(&6), "{applied:?}");

    // Nothing lost: every application, timeline and file, under its number (or draft id).
    assert_eq!(inventory(url, schema).await, before);
    // The chain made before the upgrade verifies after it, entry for entry, to the head the
    // version that made it reported.
    let chain_after = store.verify_audit().await.expect("verify after");
    assert_eq!(
        (chain_after.verified, chain_after.head.as_str(), &chain_after.broken, chain_after.pending),
        (FIXTURE_CHAIN.0, FIXTURE_CHAIN.1, &None, 0)
    );

    // Every open application has the review clock its due time and days left described: the
    // running ones due when they were, the paused one paused with its three days.
    let calendar = store.calendar().await.expect("calendar");
    let mut paused = 0;
    for (no, (state, _, _)) in &before {
        let Ok(r) = ApplicationRef::parse(no) else { continue };
        let Ok(a) = store.application(&r).await else { continue };
        let unpaid = matches!(a.state, ApplicationState::Approved | ApplicationState::Refunding);
        if !a.state.is_open() {
            assert_eq!(a.review_clock, None, "{no} ({state}) waits for no one");
            assert_eq!(a.statutory_clock.is_some(), unpaid, "{no} ({state}): a statutory clock while unpaid");
            continue;
        }
        let statutory = a.statutory_clock.unwrap_or_else(|| panic!("{no} ({state}) has no statutory clock"));
        assert_eq!((statutory.days, statutory.stopped_at), (15, None), "{no}");
        let clock = a.review_clock.clone().unwrap_or_else(|| panic!("{no} ({state}) has no review clock"));
        if a.state == ApplicationState::InfoRequested {
            paused += 1;
            let left = clock.state(&calendar, Timestamp::now());
            assert_eq!(left, ClockState::Paused { left: business_days(3) }, "{no}");
        } else {
            assert_eq!(clock.due(&calendar), a.review_due_at, "{no} ({state}) is due when it was");
        }
    }
    assert_eq!(paused, 1, "the fixture has one application waiting on its buyer");
    assert!(store.applied_migrations().await.expect("versions").contains(&22));

    // A submitted application keeps its number as its id.
    let submitted = before.iter().find(|(_, (state, _, _))| state == "refunded").map(|(no, _)| no.clone());
    let submitted = submitted.expect("the fixture has a refunded application");
    let a = store.application(&ApplicationRef::parse(&submitted).expect("no")).await.expect("submitted");
    assert_eq!((a.id.as_str(), a.no.as_ref().map(|n| n.as_str())), (submitted.as_str(), Some(submitted.as_str())));

    // The legacy draft has a draft id and no number; its file is still its own.
    let id = format!("DR-{}{}", &legacy_draft[3..11], &legacy_draft[12..]);
    let draft_ref = ApplicationRef::parse(&id).expect("draft id");
    let draft = store.application(&draft_ref).await.expect("the draft by its id");
    assert_eq!((draft.state, draft.no.clone()), (ApplicationState::Draft, None));
    assert_eq!(store.evidence_of(&draft.id).await.expect("files").len(), 1);
    let by_old_number = store.application(&ApplicationRef::parse(&legacy_draft).expect("no")).await;
    assert!(by_old_number.is_err(), "a draft is no longer found by the number it had");

    // And it goes on working: the draft is submitted (numbered now), the new events chain.
    let files = tempfile::tempdir().expect("tempdir");
    let app = App::new(store.clone(), redress_blobs::Blobs::local(files.path()), Clock::System);
    let buyer = store.user(draft.buyer.as_str()).await.expect("buyer");
    let input =
        DraftInput { reason: Reason::NotDeliveredOnTime, description: "still nothing".into(), amount: Fen(100) };
    let draft = app.update_draft(&draft_ref, &buyer, input).await.expect("edit the legacy draft");
    let submitted = match app.submit(&draft_ref, &buyer).await {
        Ok(s) => {
            assert_eq!(s.id, draft.id);
            assert!(s.no.is_some(), "numbered at submission");
            s.no
        }
        // The fixture's order may be closed to applications by now; then the refusal is
        // the domain's, and nothing was written.
        Err(redress_app::Error::Refused(e)) => {
            assert_eq!(store.application(&draft_ref).await.expect("draft").state, ApplicationState::Draft, "{e}");
            None
        }
        Err(e) => panic!("submit: {e:?}"),
    };
    store.chain_pending(Timestamp::now(), redress_store::ChainPace::CatchUp).await.expect("chain");
    let report = store.verify_audit().await.expect("verify");
    assert!(report.broken.is_none() && report.pending == 0 && report.verified >= FIXTURE_CHAIN.0, "{report:?}");
    // The chain goes on in the digest format after the entries of the first: the submission
    // and the draft's file, parked until it, are chained.
    if let Some(no) = submitted {
        let (entries, _) = store.audit_entries_of(no.as_str()).await.expect("entries");
        let kinds: Vec<&str> = entries.iter().map(|(e, _)| e.kind.as_str()).collect();
        assert!(kinds.contains(&"event") && kinds.contains(&"evidence"), "{kinds:?}");
        for (e, record) in &entries {
            assert!(e.body.starts_with("sha256:") && e.seq > FIXTURE_CHAIN.0, "{e:?}");
            assert!(record.as_deref().is_some_and(|r| e.vouches_for(r)), "{e:?}");
        }
    }
}

#[tokio::test]
async fn a_version_5_sqlite_database_upgrades_and_its_chain_still_verifies() {
    let (_dir, url) = legacy_sqlite();
    let store = Store::connect(&url, None).await.expect("open");
    check_upgrade(store, &url, None).await;
}

#[tokio::test]
async fn a_version_5_postgres_database_upgrades_and_its_chain_still_verifies() {
    let Some(pg) = postgres_url() else { return };
    let schema = format!("t_up_{:016x}", rand::random::<u64>());
    let store = Store::connect(&pg, Some(&schema)).await.expect("postgres");
    store.migrate_to(5).await.expect("the schema at version 5");
    let (_dir, sqlite) = legacy_sqlite();
    copy_rows(&sqlite, &pg, &schema).await;
    check_upgrade(store, &pg, Some(&schema)).await;
}

#[tokio::test]
async fn a_case_file_exported_before_the_upgrade_still_verifies() {
    let file = std::fs::File::open(fixtures().join("case-file.zip")).expect("fixture");
    let v = redress_casefile::verify(std::io::BufReader::new(file)).expect("a valid case file");
    assert!(v.mismatches.is_empty(), "{:?}", v.mismatches);
    assert!(v.manifest.application_no.starts_with("RF-") && !v.proof.entries.is_empty());
}

fn postgres_url() -> Option<String> {
    match std::env::var("REDRESS_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var("REDRESS_REQUIRE_POSTGRES").is_err(), "REDRESS_TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// Copies every row of the version-5 SQLite database into a PostgreSQL schema at version 5.
async fn copy_rows(sqlite: &str, pg: &str, schema: &str) {
    let src = pool(sqlite, None).await;
    let dst = pool(pg, Some(schema)).await;
    for table in TABLES {
        let columns: Vec<(String, String)> =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT name, type FROM pragma_table_info('{table}')")))
                .fetch_all(&src)
                .await
                .expect("columns")
                .iter()
                .map(|r| (r.get("name"), r.get("type")))
                .collect();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let list = names.join(", ");
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {list} FROM {table}")))
            .fetch_all(&src)
            .await
            .expect("rows");
        for row in &rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
            for (i, (_, ty)) in columns.iter().enumerate() {
                q = if ty == "BIGINT" {
                    q.bind(row.get::<Option<i64>, _>(i))
                } else {
                    q.bind(row.get::<Option<String>, _>(i))
                };
            }
            q.execute(&dst).await.unwrap_or_else(|e| panic!("copy into {table}: {e}"));
        }
    }
    src.close().await;
    dst.close().await;
}

async fn fresh_store(backend: Backend) -> Option<(Store, Store, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = Store::sqlite_url(dir.path());
            let a = Store::connect(&url, None).await.expect("a");
            let b = Store::connect(&url, None).await.expect("b");
            Some((a, b, Some(dir)))
        }
        Backend::Postgres => {
            let url = postgres_url()?;
            let schema = format!("t_mr_{:016x}", rand::random::<u64>());
            let a = Store::connect(&url, Some(&schema)).await.expect("a");
            let b = Store::connect(&url, Some(&schema)).await.expect("b");
            Some((a, b, None))
        }
    }
}

#[tokio::test]
async fn instances_that_start_at_once_do_not_race_the_migration() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((a, b, _dir)) = fresh_store(backend).await else { continue };
        let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
        ra.expect("the first instance migrates");
        rb.expect("the second finds it done");
        let applied = a.applied_migrations().await.expect("versions");
        assert_eq!(applied.iter().filter(|v| **v == 6).count(), 1, "{backend:?}: {applied:?}");
    }
}

#[tokio::test]
async fn the_schema_refuses_rows_the_domain_never_writes() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((store, _, dir)) = fresh_store(backend).await else { continue };
        store.migrate().await.expect("migrate");
        let (url, schema) = match &dir {
            Some(d) => (Store::sqlite_url(d.path()), None),
            None => (postgres_url().expect("url"), store.schema().map(str::to_owned)),
        };
        let pool = pool(&url, schema.as_deref()).await;
        sqlx::query("INSERT INTO policies (version, body, published_at, published_by) VALUES (1, '{}', 0, 't')")
            .execute(&pool)
            .await
            .expect("policy");
        sqlx::query(
            "INSERT INTO orders (order_no, buyer, service_name, platform, unit, promised, deadline, policy_version,
                                 policy_accepted_at, created_at, updated_at, lock_version)
             VALUES ('O-1', 'alice', 's', 'p', 'u', 1, 0, 1, 0, 0, 0, 0)",
        )
        .execute(&pool)
        .await
        .expect("order");
        let insert = |id: &str, no: Option<&str>, state: &str, requested: i64, approved: Option<i64>| {
            sqlx::query(
                "INSERT INTO applications (id, no, order_no, buyer, state, reason, description, requested_fen,
                     approved_fen, round, appeals, created_at, updated_at, version)
                 VALUES ($1, $2, 'O-1', 'alice', $3, 'other', 'd', $4, $5, 'first', 0, 0, 0, 0)",
            )
            .bind(id.to_owned())
            .bind(no.map(str::to_owned))
            .bind(state.to_owned())
            .bind(requested)
            .bind(approved)
            .execute(&pool)
        };
        let no = Some("RF-20260101-AAAAAA");
        assert!(insert("DR-00000000000001", None, "draft", 100, None).await.is_ok(), "{backend:?}: a draft");
        for (what, id, no, state, requested, approved) in [
            ("an unknown state", "DR-00000000000002", no, "lost", 100, None),
            ("a zero amount", "DR-00000000000003", None, "draft", 0, None),
            ("more approved than asked for", "DR-00000000000004", no, "approved", 100, Some(101)),
            ("a zero approval", "DR-00000000000005", no, "approved", 100, Some(0)),
            ("a submitted application without a number", "DR-00000000000006", None, "submitted", 100, None),
            ("a draft with a number", "DR-00000000000007", no, "draft", 100, None),
        ] {
            assert!(insert(id, no, state, requested, approved).await.is_err(), "{backend:?}: {what} was accepted");
        }
        let payout = |state: &str, amount: i64| {
            sqlx::query(
                "INSERT INTO payouts (id, application_no, n, order_no, channel, amount_fen, state, attempts,
                     next_attempt_at, created_at, updated_at)
                 VALUES ($1, 'RF-20260101-BBBBBB', 1, 'O-1', 'wechat', $2, $3, 0, 0, 0, 0)",
            )
            .bind(format!("P-{state}-{amount}"))
            .bind(amount)
            .bind(state.to_owned())
            .execute(&pool)
        };
        assert!(insert("DR-00000000000008", Some("RF-20260101-BBBBBB"), "approved", 100, Some(100)).await.is_ok());
        assert!(payout("created", 100).await.is_ok(), "{backend:?}: a payout");
        assert!(payout("lost", 100).await.is_err(), "{backend:?}: a payout in an unknown state");
        assert!(payout("created", 0).await.is_err(), "{backend:?}: a payout of nothing");
        pool.close().await;
    }
}

#[test]
fn the_schema_knows_every_state_the_domain_has() {
    let sqlite = include_str!("../../../store/migrations/sqlite/0006_application_ids.sql");
    let postgres = include_str!("../../../store/migrations/postgres/0006_application_ids.sql");
    for s in ApplicationState::ALL {
        let quoted = format!("'{}'", s.as_str());
        assert!(sqlite.contains(&quoted) && postgres.contains(&quoted), "{quoted} is missing from a CHECK");
    }
    for s in redress_domain::payout::PayoutState::ALL {
        let quoted = format!("'{}'", s.as_str());
        assert!(sqlite.contains(&quoted) && postgres.contains(&quoted), "{quoted} is missing from a CHECK");
    }
}
