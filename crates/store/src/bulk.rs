//! Bulk loading: slices of history already built through the domain, written as they are with
//! multi-row INSERTs, one transaction per slice (the load tool's history generator; later,
//! imports). Nothing here decides anything: the caller made every row the way the use cases
//! would have, and the schema's constraints still check each one. Rows reach the tables as
//! any other write does, so every job that looks for new work (the audit chain, snapshots)
//! finds them.

use crate::applications::row::{APP_COLUMNS, AnyQuery, EVENT_COLUMNS, bind_app, bind_event};
use crate::evidence::{COLUMNS as EVIDENCE_COLUMNS, bind_evidence};
use crate::ingest::bind_order;
use crate::orders::order_columns;
use crate::payouts::{COLUMNS as PAYOUT_COLUMNS, bind_payout};
use crate::{Backend, Evidence, Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::application::{Application, Event, Role};
use redress_domain::ids::{ApplicationNo, OrderNo, Username};
use redress_domain::order::{DeliveryReading, Order};
use redress_domain::payout::Payout;
use redress_domain::ticket::{Message, Ticket};
use sqlx::Row;
use std::sync::LazyLock;

/// SQLite's page cache for the writer during bulk loads: 256 MiB.
const BULK_CACHE: &str = "PRAGMA cache_size = -262144";

/// The tables a bulk load fills, whose secondary indexes it builds at the end.
const BULK_TABLES: &str = "'orders', 'deliveries', 'applications', 'application_events', 'evidence', 'payouts', \
                           'users', 'tickets', 'messages'";

/// Parameters per statement: below SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// An account written in bulk; every account of one load shares one password hash
/// ([`Store::password_hash`]), as hashing is slow on purpose.
#[derive(Debug, Clone)]
pub struct BulkUser {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub locale: String,
}

/// One slice of history.
#[derive(Debug, Default)]
pub struct Bulk {
    pub users: Vec<BulkUser>,
    pub orders: Vec<Order>,
    pub deliveries: Vec<(OrderNo, DeliveryReading)>,
    pub applications: Vec<Application>,
    /// Timeline rows: the application's number, the event's sequence number (the version its
    /// step produced), the event.
    pub events: Vec<(ApplicationNo, i64, Event)>,
    pub evidence: Vec<Evidence>,
    pub payouts: Vec<Payout>,
    /// Support tickets, each with its queue key (the domain's `Ticket::queue_key`).
    pub tickets: Vec<(Ticket, Option<i64>)>,
    /// Thread messages: the thread (a ticket's number) and the message.
    pub messages: Vec<(String, Message)>,
}

impl Bulk {
    /// How many rows it holds.
    pub fn rows(&self) -> usize {
        self.users.len()
            + self.orders.len()
            + self.deliveries.len()
            + self.applications.len()
            + self.events.len()
            + self.evidence.len()
            + self.payouts.len()
            + self.tickets.len()
            + self.messages.len()
    }
}

/// A table written in bulk: its name and the columns each row binds, in order.
struct Table {
    name: &'static str,
    columns: String,
}

impl Table {
    fn width(&self) -> usize {
        self.columns.split(", ").count()
    }

    /// Rows per full statement.
    fn per_statement(&self) -> usize {
        (MAX_PARAMS / self.width()).max(1)
    }

    /// The row counts a statement is made for (each registered): a full statement, and the
    /// powers of two below it, from which any remainder is made up.
    fn sizes(&self) -> Vec<usize> {
        let full = self.per_statement();
        let mut smaller: Vec<usize> = (0..usize::BITS).map(|b| 1usize << b).take_while(|n| *n < full).collect();
        smaller.reverse();
        std::iter::once(full).chain(smaller).collect()
    }

    /// The statement for `rows` rows. SQLite takes `$N` as a *named* parameter and looks each
    /// name up in a list (quadratic in a statement's parameters): its statements use `?`.
    fn sql(&self, rows: usize, backend: Backend) -> String {
        let w = self.width();
        let values: Vec<String> = (0..rows)
            .map(|r| {
                let params: Vec<String> = (1..=w)
                    .map(|c| match backend {
                        Backend::Sqlite => "?".to_owned(),
                        Backend::Postgres => format!("${}", r * w + c),
                    })
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        format!("INSERT INTO {} ({}) VALUES {}", self.name, self.columns, values.join(", "))
    }
}

static USERS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "users",
    columns: "username, display_name, role, password_hash, locale, created_at".into(),
});
static ORDERS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "orders",
    columns: format!("{}, created_at, updated_at, lock_version", order_columns()),
});
static DELIVERIES: LazyLock<Table> =
    LazyLock::new(|| Table { name: "deliveries", columns: "order_no, at, source, delivered, recorded_at".into() });
static APPLICATIONS: LazyLock<Table> = LazyLock::new(|| Table {
    name: "applications",
    columns: format!("{APP_COLUMNS}, queue_key, updated_at, snapshot_pending, pay_channel"),
});
static EVENTS: LazyLock<Table> =
    LazyLock::new(|| Table { name: "application_events", columns: EVENT_COLUMNS.to_owned() });
static EVIDENCE: LazyLock<Table> = LazyLock::new(|| Table { name: "evidence", columns: EVIDENCE_COLUMNS.to_owned() });
static PAYOUTS: LazyLock<Table> =
    LazyLock::new(|| Table { name: "payouts", columns: format!("{PAYOUT_COLUMNS}, updated_at") });

static TICKETS: LazyLock<Table> =
    LazyLock::new(|| Table { name: "tickets", columns: crate::tickets::TICKET_COLUMNS.to_owned() });
static MESSAGES: LazyLock<Table> =
    LazyLock::new(|| Table { name: "messages", columns: crate::tickets::NEW_MESSAGE_COLUMNS.to_owned() });

fn tables() -> [&'static Table; 9] {
    [&USERS, &ORDERS, &DELIVERIES, &APPLICATIONS, &EVENTS, &EVIDENCE, &PAYOUTS, &TICKETS, &MESSAGES]
}

fn statements(backend: Backend) -> Vec<String> {
    tables().iter().flat_map(|t| t.sizes().into_iter().map(move |n| t.sql(n, backend))).collect()
}

inventory::submit! { crate::sql::Built { only: Some(Backend::Sqlite), texts: || statements(Backend::Sqlite) } }
inventory::submit! { crate::sql::Built { only: Some(Backend::Postgres), texts: || statements(Backend::Postgres) } }

impl Store {
    /// The hash of `password`, for accounts written in bulk.
    pub async fn password_hash(password: &str) -> Result<String, StoreError> {
        crate::users::hash_password(password.to_owned()).await
    }

    /// Before a bulk load: drops the secondary indexes of the tables it fills — every index
    /// but the unique ones, which check the rows — and keeps their definitions in
    /// `bulk_deferred_indexes` for [`Store::bulk_loaded`] to build once at the end. A
    /// definition comes from the database's own catalog, never from input.
    pub async fn bulk_loading(&self) -> Result<usize, StoreError> {
        let catalog = match self.backend() {
            Backend::Sqlite => sqlx::query(crate::sql::built!(
                sqlite: "SELECT name, sql AS definition FROM sqlite_master
                 WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({})",
                BULK_TABLES
            )),
            Backend::Postgres => sqlx::query(crate::sql::built!(
                postgres: "SELECT CAST(indexname AS TEXT) AS name, indexdef AS definition FROM pg_indexes
                 WHERE schemaname = current_schema() AND indexdef NOT LIKE 'CREATE UNIQUE%' AND tablename IN ({})",
                BULK_TABLES
            )),
        };
        let mut tx = self.write().await?;
        let rows = catalog.fetch_all(&mut **tx).await?;
        for r in &rows {
            let (name, definition): (String, String) = (r.try_get("name")?, r.try_get("definition")?);
            sqlx::query("INSERT INTO bulk_deferred_indexes (name, definition) VALUES ($1, $2)")
                .bind(&name)
                .bind(&definition)
                .execute(&mut **tx)
                .await?;
            let deferred = format!("DROP INDEX \"{}\"", crate::db::quote_ident(&name));
            sqlx::query(sqlx::AssertSqlSafe(deferred)).execute(&mut **tx).await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// After a bulk load (and after any `migrate`, for a load that was interrupted): builds
    /// the indexes [`Store::bulk_loading`] dropped, then gathers PostgreSQL's planner
    /// statistics (`ANALYZE`), as after a restore. Without them the planner takes the loaded
    /// tables for empty and may read a whole partial index where one row of another would do
    /// (the chainer's clearing ran at 1,100 entries/s so); autovacuum would gather them later,
    /// where it is on. SQLite's planner needs none for Redress's statements. How many indexes
    /// it built.
    pub async fn bulk_loaded(&self) -> Result<usize, StoreError> {
        let rows = sqlx::query("SELECT name, definition FROM bulk_deferred_indexes ORDER BY name")
            .fetch_all(self.write_pool())
            .await?;
        for r in &rows {
            let (name, definition): (String, String) = (r.try_get("name")?, r.try_get("definition")?);
            // Idempotent: a build that was interrupted after its index committed is not repeated.
            let deferred = definition.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
            let mut tx = self.write().await?;
            sqlx::query(sqlx::AssertSqlSafe(deferred)).execute(&mut **tx).await?;
            sqlx::query("DELETE FROM bulk_deferred_indexes WHERE name = $1").bind(&name).execute(&mut **tx).await?;
            tx.commit().await?;
        }
        if self.backend() == Backend::Postgres && !rows.is_empty() {
            sqlx::query("ANALYZE").execute(self.write_pool()).await?;
        }
        Ok(rows.len())
    }

    /// Writes `bulk` in one transaction, parents before children; `password_hash` is every
    /// new account's. A row that is already there, or that a constraint refuses, fails the
    /// whole slice and writes nothing of it.
    pub async fn bulk_insert(&self, bulk: Bulk, password_hash: String, now: Timestamp) -> Result<(), StoreError> {
        let backend = self.backend();
        self.writing(move |store| async move {
            if backend == Backend::Sqlite {
                // Every slice lands all over the indexes of a large file: keep them in memory
                // (this connection only; pages are read back from the file as needed).
                sqlx::query(BULK_CACHE).execute(store.write_pool()).await?;
            }
            let mut tx = store.write().await?;
            let conn = &mut Conn { conn: &mut tx, backend };
            let now = ms(now);
            insert(conn, &USERS, &bulk.users, |q, u| {
                q.bind(u.username.to_string())
                    .bind(u.display_name.clone())
                    .bind(u.role.as_str())
                    .bind(password_hash.clone())
                    .bind(u.locale.clone())
                    .bind(now)
            })
            .await?;
            insert(conn, &ORDERS, &bulk.orders, |q, o| bind_order(q, o).bind(now).bind(now).bind(0_i64)).await?;
            insert(conn, &DELIVERIES, &bulk.deliveries, |q, (no, r)| {
                q.bind(no.to_string())
                    .bind(ms(r.at))
                    .bind(r.source.as_str())
                    .bind(i64::try_from(r.delivered).unwrap_or(i64::MAX))
                    .bind(now)
            })
            .await?;
            // An application whose system snapshot is in the slice does not wait for one.
            let snapshotted: std::collections::HashSet<&str> =
                bulk.evidence.iter().filter(|v| v.system).map(|v| v.application_id.as_str()).collect();
            // Each application's order is in its slice: its channel is copied from there.
            let channels: std::collections::HashMap<&str, &str> = bulk
                .orders
                .iter()
                .filter_map(|o| Some((o.no.as_str(), o.payment.as_ref()?.channel.as_str())))
                .collect();
            insert(conn, &APPLICATIONS, &bulk.applications, |q, a| {
                bind_app(q, a, a.decided_at.or(a.submitted_at).unwrap_or(a.created_at))
                    .bind(i64::from(!snapshotted.contains(a.id.as_str())))
                    .bind(channels.get(a.order_no.as_str()).copied())
            })
            .await?;
            let mut events = Vec::with_capacity(bulk.events.len());
            for (no, seq, e) in &bulk.events {
                events.push((no, *seq, e, serde_json::to_string(e).map_err(StoreError::corrupt)?));
            }
            insert(conn, &EVENTS, &events, |q, (no, seq, e, body)| bind_event(q, no, *seq, e, body.clone())).await?;
            insert(conn, &EVIDENCE, &bulk.evidence, bind_evidence).await?;
            insert(conn, &PAYOUTS, &bulk.payouts, |q, p| {
                bind_payout(q, p).bind(ms(p.settled_at.or(p.sent_at).unwrap_or(p.created_at)))
            })
            .await?;
            let mut tickets = Vec::with_capacity(bulk.tickets.len());
            for (t, key) in &bulk.tickets {
                tickets.push((t, *key, crate::tickets::clocks_json(t)?));
            }
            insert(conn, &TICKETS, &tickets, |q, (t, key, clocks)| {
                crate::tickets::bind_ticket(q, t, clocks.clone(), *key)
            })
            .await?;
            insert(conn, &MESSAGES, &bulk.messages, |q, (thread, m)| crate::tickets::bind_message(q, thread, m, ""))
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}

/// The write transaction's connection, and which database it is.
struct Conn<'c> {
    conn: &'c mut sqlx::AnyConnection,
    backend: Backend,
}

/// Inserts `rows` into `table`: full statements while they fill, then the remainder in
/// statements of the registered sizes.
async fn insert<T>(
    c: &mut Conn<'_>,
    table: &Table,
    rows: &[T],
    bind: impl for<'q> Fn(AnyQuery<'q>, &T) -> AnyQuery<'q>,
) -> Result<(), StoreError> {
    let sizes = table.sizes();
    // Each size's text is built once per call (a full one has thousands of placeholders).
    let mut texts = std::collections::HashMap::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let n = sizes.iter().copied().find(|n| *n <= rest.len()).unwrap_or(1);
        let (chunk, after) = rest.split_at(n);
        let sized = texts.entry(n).or_insert_with(|| table.sql(n, c.backend)).clone();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sized));
        for row in chunk {
            q = bind(q, row);
        }
        q.execute(&mut *c.conn).await?;
        rest = after;
    }
    Ok(())
}

#[cfg(test)]
mod deferred_index_tests {
    use crate::{Backend, Store};
    use sqlx::Row;

    async fn indexes(store: &Store) -> Vec<String> {
        let q = match store.backend() {
            Backend::Sqlite => sqlx::query(crate::sql::built!(
                sqlite: "SELECT name || ': ' || sql AS d FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )),
            Backend::Postgres => sqlx::query(crate::sql::built!(
                postgres: "SELECT indexname || ': ' || indexdef AS d FROM pg_indexes WHERE schemaname = current_schema()"
            )),
        };
        let rows = q.fetch_all(&store.pool).await.expect("catalog");
        let mut out: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("d").expect("d")).collect();
        out.sort();
        out
    }

    /// Dropped before a load, built after it as they were; an interrupted load's are built by
    /// the next `migrate`.
    async fn check(store: &Store) {
        store.migrate().await.expect("migrate");
        let before = indexes(store).await;
        let dropped = store.bulk_loading().await.expect("loading");
        assert!(dropped >= 10, "{dropped}");
        let during = indexes(store).await;
        assert_eq!(during.len(), before.len() - dropped);
        for t in ["applications", "application_events", "evidence", "orders", "deliveries", "payouts"] {
            let on = |d: &&String| d.contains(&format!(" ON {t} ")) || d.contains(&format!(".{t} USING"));
            assert!(during.iter().filter(on).all(|d| d.contains("UNIQUE")), "{t}: {during:?}");
        }
        assert_eq!(store.bulk_loaded().await.expect("loaded"), dropped);
        assert_eq!(indexes(store).await, before);
        assert_eq!(store.bulk_loaded().await.expect("again"), 0, "nothing left to build");
        store.bulk_loading().await.expect("loading");
        store.migrate().await.expect("migrate after an interrupted load");
        assert_eq!(indexes(store).await, before);
    }

    #[tokio::test]
    async fn secondary_indexes_are_deferred_and_rebuilt_on_sqlite() {
        let dir = tempfile::tempdir().expect("dir");
        check(&Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("store")).await;
    }

    #[tokio::test]
    async fn secondary_indexes_are_deferred_and_rebuilt_on_postgres() {
        let Ok(url) = std::env::var("REDRESS_TEST_DATABASE_URL") else {
            assert!(std::env::var("REDRESS_REQUIRE_POSTGRES").is_err(), "REDRESS_TEST_DATABASE_URL is not set");
            return;
        };
        let schema = format!("t_bulk_{:016x}", rand::random::<u64>());
        check(&Store::connect(&url, Some(&schema)).await.expect("postgres")).await;
    }
}
