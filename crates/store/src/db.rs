//! Connecting, per-backend settings, migrations and transactions.

use crate::error::StoreError;
use futures_util::future::{BoxFuture, Either};
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle every adapter shares. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    pub(crate) settings_cache: Arc<crate::settings::Caches>,
    pub(crate) policy_cache: Arc<crate::policies::PolicyCache>,
    /// Sessions checked in the last second: the user behind each.
    pub(crate) sessions: Arc<crate::credentials::Recent<crate::User>>,
    /// Merchant API tokens checked in the last second: the merchant system's name.
    pub(crate) api_tokens: Arc<crate::credentials::Recent<String>>,
    pub(crate) chain_marks: Arc<std::sync::Mutex<crate::audit::Marks>>,
    /// SQLite's single write connection (writes queue on it in order instead of polling the
    /// file lock); `None` on PostgreSQL, where writes use the pool.
    writer: Option<AnyPool>,
    /// SQLite's group commit: writes queued here run one after another in one transaction
    /// (see [`Store::grouped`]); `None` on PostgreSQL.
    group: Option<tokio::sync::mpsc::UnboundedSender<GroupJob>>,
    group_stats: Arc<GroupStats>,
    /// The SQLite database file (for the lock that serialises migrations).
    sqlite_file: Option<std::path::PathBuf>,
    /// The PostgreSQL schema it works in, if not the default.
    schema: Option<String>,
}

/// A write transaction.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
}

impl std::ops::Deref for WriteTx {
    type Target = Transaction<'static, Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// The SQLite writer thread (see [`Store::writing`]).
static WRITER: std::sync::LazyLock<tokio::runtime::Handle> = std::sync::LazyLock::new(|| {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("redress-sqlite-writer".into())
        .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => {
                // The receiver waits right below until this is sent.
                if tx.send(rt.handle().clone()).is_ok() {
                    rt.block_on(std::future::pending::<()>());
                }
            }
            Err(e) => panic!("cannot start the SQLite writer runtime: {e}"),
        })
        .expect("spawn the SQLite writer thread");
    rx.recv().expect("the SQLite writer runtime starts")
});

/// Migrations both backends run (`migrations/`), and each backend's own (`migrations/sqlite`,
/// `migrations/postgres`: where they cannot share SQL, as when SQLite must rebuild a table to
/// change its constraints). Version numbers are shared across the three folders: a backend's own
/// migration takes a number no other folder uses.
static SHARED: Migrator = sqlx::migrate!("./migrations");
static SQLITE_ONLY: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_ONLY: Migrator = sqlx::migrate!("./migrations/postgres");

/// Every migration of `backend`, in version order.
pub fn migrator(backend: Backend) -> Migrator {
    let own = match backend {
        Backend::Sqlite => &SQLITE_ONLY,
        Backend::Postgres => &POSTGRES_ONLY,
    };
    Migrator::with_migrations(SHARED.iter().chain(own.iter()).cloned().collect())
}

/// Durability settings Redress runs with: an application number shown to a buyer must
/// survive a power cut, so every commit is fsynced (WAL + synchronous=FULL on SQLite,
/// synchronous_commit=on on PostgreSQL).
pub const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
/// The writer's page cache: 64 MiB; each of the eight readers': 16 MiB.
const SQLITE_WRITER_CACHE: &str = "PRAGMA cache_size = -65536";
const SQLITE_READER_CACHE: &str = "PRAGMA cache_size = -16384";
pub const POSTGRES_SETTINGS: &str = "SET synchronous_commit = on";

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`). With `schema`, a
    /// PostgreSQL connection works inside that schema (created if missing): tests use one each.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Reads and writes use separate connections; each would get its own empty database.
            return Err(StoreError::Internal("in-memory SQLite is not supported; use a file".into()));
        }
        let backend = if url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
        let schema = schema.map(str::to_owned);
        if let (Backend::Postgres, Some(s)) = (backend, &schema) {
            let mut conn = <AnyConnection as sqlx::Connection>::connect(url).await?;
            let create = format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", quote_ident(s));
            conn.execute(sqlx::AssertSqlSafe(create.as_str())).await?;
        }
        // SQLite's page cache per connection (default 2 MiB): the writer's holds the index
        // pages writes land on all over a large file, each reader's the pages of its pages.
        let options = |max: u32, cache: &'static str| {
            let schema = schema.clone();
            AnyPoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(30)).after_connect(
                move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        match backend {
                            Backend::Sqlite => {
                                conn.execute(SQLITE_PRAGMAS).await?;
                                conn.execute(cache).await?;
                            }
                            Backend::Postgres => {
                                conn.execute(POSTGRES_SETTINGS).await?;
                                if let Some(s) = schema {
                                    let set = format!("SET search_path TO \"{}\"", quote_ident(&s));
                                    conn.execute(sqlx::AssertSqlSafe(set.as_str())).await?;
                                }
                            }
                        }
                        Ok(())
                    })
                },
            )
        };
        let (pool, writer) = match backend {
            // SQLite has one writer at a time: writes get their own connection, so they never
            // wait for a pooled connection behind readers, and queue on it in order.
            Backend::Sqlite => (
                options(8, SQLITE_READER_CACHE).connect(url).await?,
                Some(options(1, SQLITE_WRITER_CACHE).connect(url).await?),
            ),
            Backend::Postgres => (options(24, "").connect(url).await?, None),
        };
        let group_stats = Arc::new(GroupStats::default());
        let group = writer.clone().map(|w| {
            let (send, receive) = tokio::sync::mpsc::unbounded_channel();
            WRITER.spawn(run_groups(w, receive, group_stats.clone()));
            send
        });
        let schema_name = schema.clone();
        let sqlite_file = match backend {
            Backend::Sqlite => Some(sqlite_path(url)),
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            writer,
            group,
            group_stats,
            backend,
            sqlite_file,
            schema: schema_name,
            settings_cache: Default::default(),
            policy_cache: Default::default(),
            sessions: Default::default(),
            api_tokens: Default::default(),
            chain_marks: Default::default(),
        })
    }

    /// The SQLite file inside a data directory (created with the directory if missing).
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("redress.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Brings the schema up to date. Instances that start at once do not race: on PostgreSQL
    /// the migrator holds an advisory lock, on SQLite an exclusive lock on a file next to the
    /// database (`redress.db.migrate-lock`); whoever comes second finds the work done.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrate_up(None).await
    }

    /// Brings the schema up to `version` only: for tests of upgrades from an older schema.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        self.migrate_up(Some(version)).await
    }

    async fn migrate_up(&self, target: Option<i64>) -> Result<(), StoreError> {
        let _lock = match &self.sqlite_file {
            Some(db) => Some(lock_file(format!("{}.migrate-lock", db.display()).into()).await?),
            None => None,
        };
        let m = migrator(self.backend);
        match target {
            Some(v) => m.run_to(v, self.write_pool()).await?,
            None => {
                m.run(self.write_pool()).await?;
                let clocks = self.rebuild_review_clocks().await?;
                if clocks > 0 {
                    tracing::info!(
                        applications = clocks,
                        "rebuilt the review clocks of applications stored before them"
                    );
                }
                // A bulk load that was interrupted left its indexes to build: build them now.
                let built = self.bulk_loaded().await?;
                if built > 0 {
                    tracing::warn!(indexes = built, "built the indexes an interrupted bulk load left");
                }
            }
        }
        Ok(())
    }

    /// The PostgreSQL schema it works in, when one was given.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The migrations applied to the database, by version.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("version")?)).collect()
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Where single-statement writes go: on SQLite the write connection (so they queue with
    /// the other writes instead of polling the file lock), on PostgreSQL the pool.
    pub(crate) fn write_pool(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes never fails to upgrade.
    pub(crate) async fn write(&self) -> Result<WriteTx, StoreError> {
        Ok(match &self.writer {
            Some(writer) => WriteTx { tx: writer.begin_with("BEGIN IMMEDIATE").await? },
            None => WriteTx { tx: self.pool.begin().await? },
        })
    }

    /// Runs a write. On SQLite it runs on one dedicated thread: writes are serialised by
    /// SQLite anyway, and a thread that does nothing else resumes each step of the write at
    /// once instead of queueing behind HTTP work, which keeps the single-writer section short.
    pub(crate) async fn writing<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Store) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        match self.backend {
            Backend::Postgres => f(self.clone()).await,
            Backend::Sqlite => WRITER.spawn(f(self.clone())).await.map_err(|e| StoreError::Internal(e.to_string()))?,
        }
    }

    /// Runs `f` in a write transaction and returns once that transaction is durable.
    ///
    /// On SQLite this is group commit: writes that arrive while one is running queue up, and
    /// the writer thread runs the queue one write after another inside one transaction, each
    /// in a savepoint of its own (a write that fails is rolled back alone), then commits them
    /// all with one fsync. A commit writes every page a write touched to the WAL, and a
    /// submission touches a page in each of the application's indexes: writes that share a
    /// commit share those pages and the fsync. No caller learns of success before the
    /// commit; if the commit fails, every write in it fails. `f` gets only the transaction: it
    /// must not use the store to write (the write connection is the group's), nor read on
    /// the pool what it wrote (readers see it after the commit).
    ///
    /// On PostgreSQL, one transaction of its own on the pool (the server groups commits).
    ///
    /// The write is queued when this is called, not when the future is first polled.
    pub(crate) fn grouped<T, F>(&self, f: F) -> impl Future<Output = Result<T, StoreError>> + Send + use<T, F>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut WriteTx) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let Some(group) = &self.group else {
            let store = self.clone();
            return Either::Left(async move {
                let mut tx = store.write().await?;
                let value = f(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            });
        };
        let (tell, told) = tokio::sync::oneshot::channel();
        let job: GroupJob = Box::new(move |tx| {
            Box::pin(async move {
                let outcome = f(tx).await;
                let keep = outcome.is_ok();
                let tell: Tell = Box::new(move |committed| {
                    // The caller may have gone (a dropped request): nothing to tell then.
                    drop(tell.send(committed.and(outcome)));
                });
                Done { keep, tell }
            })
        });
        let queued = group.send(job).is_ok();
        Either::Right(async move {
            if !queued {
                return Err(StoreError::Internal("the SQLite writer has stopped".into()));
            }
            // Dropped untold: the group failed before this write ended (its savepoint could
            // not be taken, or the write panicked).
            told.await.map_err(|_| StoreError::Internal("the write did not complete".into()))?
        })
    }

    /// How many group commits this store has made, and how many writes they carried (SQLite;
    /// zero on PostgreSQL).
    pub fn group_commits(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.group_stats.commits.load(Relaxed), self.group_stats.writes.load(Relaxed))
    }

    pub async fn close(&self) {
        if let Some(w) = &self.writer {
            w.close().await;
        }
        self.pool.close().await;
    }
}

/// A write waiting for a group commit: it runs on the group's transaction and says whether
/// its savepoint stays, and how to tell its caller once the group's commit is known.
type GroupJob = Box<dyn for<'c> FnOnce(&'c mut WriteTx) -> BoxFuture<'c, Done> + Send>;

/// Tells a grouped write's caller how its group's commit went.
type Tell = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Done {
    keep: bool,
    tell: Tell,
}

/// Counts of the group commits made (the tests read them).
#[derive(Debug, Default)]
struct GroupStats {
    commits: std::sync::atomic::AtomicU64,
    writes: std::sync::atomic::AtomicU64,
}

/// The most writes one commit carries, so a steady stream of writes still commits often.
const GROUP_MAX: usize = 64;

/// The group-commit loop of one SQLite database, on the writer thread: takes the first waiting
/// write, then every write that is waiting when the one before it ends (up to
/// [`GROUP_MAX`]), and commits them together.
async fn run_groups(
    writer: AnyPool,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<GroupJob>,
    stats: Arc<GroupStats>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    while let Some(first) = queue.recv().await {
        let mut told = Vec::new();
        let committed = run_group(&writer, first, &mut queue, &mut told).await;
        if committed.is_ok() {
            stats.commits.fetch_add(1, Relaxed);
            stats.writes.fetch_add(u64::try_from(told.len()).unwrap_or(u64::MAX), Relaxed);
        }
        for tell in told {
            tell(committed.as_ref().map_err(group_failure).copied());
        }
    }
}

/// One group: its writes' outcomes are pushed to `told` as they run, the commit's is returned.
async fn run_group(
    writer: &AnyPool,
    first: GroupJob,
    queue: &mut tokio::sync::mpsc::UnboundedReceiver<GroupJob>,
    told: &mut Vec<Tell>,
) -> Result<(), StoreError> {
    use futures_util::FutureExt;
    let mut tx = WriteTx { tx: writer.begin_with("BEGIN IMMEDIATE").await? };
    let mut next = Some(first);
    (&mut **tx).execute("SAVEPOINT grouped").await?;
    while let Some(job) = next.take() {
        // A write that panics leaves the transaction in an unknown state: the group fails.
        let done = std::panic::AssertUnwindSafe(job(&mut tx))
            .catch_unwind()
            .await
            .map_err(|_| StoreError::Internal("a grouped write panicked".into()))?;
        told.push(done.tell);
        if told.len() < GROUP_MAX {
            next = queue.try_recv().ok();
        }
        // This write's savepoint ends and the next one's begins in one round trip.
        let end = match (done.keep, next.is_some()) {
            (true, false) => "RELEASE grouped",
            (true, true) => "RELEASE grouped; SAVEPOINT grouped",
            (false, false) => "ROLLBACK TO grouped; RELEASE grouped",
            (false, true) => "ROLLBACK TO grouped; RELEASE grouped; SAVEPOINT grouped",
        };
        (&mut **tx).execute(end).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The error each write of a failed group gets.
fn group_failure(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy => StoreError::Busy,
        e => StoreError::Internal(format!("the commit failed: {e}")),
    }
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> std::path::PathBuf {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Holds an exclusive lock on `path` (created if missing) until the file is dropped.
async fn lock_file(path: std::path::PathBuf) -> Result<std::fs::File, StoreError> {
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))?;
    locked.map_err(|e| StoreError::Internal(format!("cannot lock the database for migration: {e}")))
}

pub(crate) fn quote_ident(s: &str) -> String {
    s.replace('"', "\"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store(dir: &tempfile::TempDir) -> Store {
        let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("store");
        store.migrate().await.expect("migrate");
        store
    }

    // The writes are settings named `g-…`.

    /// A grouped write of `k` that fails after writing when `k` starts with "bad".
    fn put(s: &Store, k: &str) -> impl Future<Output = Result<(), StoreError>> + use<> {
        let k = k.to_owned();
        s.grouped(move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, '', 0)")
                    .bind(format!("g-{k}"))
                    .execute(&mut ***tx)
                    .await?;
                if k.starts_with("bad") { Err(StoreError::Conflict) } else { Ok(()) }
            })
        })
    }

    async fn keys(s: &Store) -> Vec<String> {
        let rows = sqlx::query("SELECT key FROM settings WHERE key LIKE 'g-%' ORDER BY key")
            .fetch_all(&s.pool)
            .await
            .expect("keys");
        rows.iter().map(|r| r.try_get::<String, _>("key").expect("key")[2..].to_owned()).collect()
    }

    /// The first write of a group, held open until `gate` fires; `started` fires once it runs.
    fn held_first(
        s: &Store,
        started: tokio::sync::oneshot::Sender<()>,
        gate: tokio::sync::oneshot::Receiver<()>,
    ) -> impl Future<Output = Result<(), StoreError>> + use<> {
        s.grouped(move |tx| {
            Box::pin(async move {
                sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('g-first', '', 0)")
                    .execute(&mut ***tx)
                    .await?;
                started.send(()).expect("the test waits for it");
                gate.await.expect("the test opens the gate");
                Ok(())
            })
        })
    }

    /// Queues writes behind a first one held open, then lets the group run: the outcomes of
    /// the first and of each of `behind`, and how many commits and writes were made.
    async fn group_of(
        s: &Store,
        behind: impl FnOnce() -> Vec<futures_util::future::BoxFuture<'static, Result<(), StoreError>>>,
    ) -> (Result<(), StoreError>, Vec<Result<(), StoreError>>, (u64, u64)) {
        let (started, running) = tokio::sync::oneshot::channel();
        let (open, gate) = tokio::sync::oneshot::channel();
        let first = held_first(s, started, gate);
        running.await.expect("the first write runs");
        // Its row is not visible to readers before the group commits.
        assert!(!keys(s).await.contains(&"first".to_owned()));
        let before = s.group_commits();
        let waiting = behind();
        open.send(()).expect("open the gate");
        let first = first.await;
        let outcomes = futures_util::future::join_all(waiting).await;
        let after = s.group_commits();
        (first, outcomes, (after.0 - before.0, after.1 - before.1))
    }

    #[tokio::test]
    async fn writes_waiting_share_one_commit_and_fail_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let s = store(&dir).await;
        let names = ["a", "bad-1", "b", "c", "bad-2", "d"];
        let (first, outcomes, made) =
            group_of(&s, || names.iter().map(|k| Box::pin(put(&s, k)) as BoxFuture<'static, _>).collect()).await;
        assert!(first.is_ok());
        for (k, r) in names.iter().zip(&outcomes) {
            assert_eq!(r.is_ok(), !k.starts_with("bad"), "{k}: {r:?}");
        }
        assert_eq!(keys(&s).await, ["a", "b", "c", "d", "first"]);
        assert_eq!(made, (1, 7), "one commit carried all seven");
    }

    #[tokio::test]
    async fn a_write_that_panics_fails_its_group_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().expect("dir");
        let s = store(&dir).await;
        let (first, outcomes, made) = group_of(&s, || {
            let x = put(&s, "x");
            let panics = s.grouped(|_tx| Box::pin(async { panic!("a write that panics") }));
            vec![Box::pin(x) as BoxFuture<'static, _>, Box::pin(panics)]
        })
        .await;
        // The panic came after both had written: the group is rolled back, and both are told.
        assert!(first.is_err() && outcomes.iter().all(Result::is_err), "{first:?} {outcomes:?}");
        assert_eq!(made, (0, 0));
        put(&s, "after").await.expect("the next write commits");
        assert_eq!(keys(&s).await, ["after"]);
    }
}
