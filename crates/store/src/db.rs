//! Connecting, per-backend settings, migrations and transactions.

use crate::error::StoreError;
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
    pub(crate) calendar_cache: Arc<crate::settings::CalendarCache>,
    pub(crate) policy_cache: Arc<crate::policies::PolicyCache>,
    pub(crate) chain_marks: Arc<std::sync::Mutex<crate::audit::Marks>>,
    /// SQLite's single write connection (writes queue on it in order instead of polling the
    /// file lock); `None` on PostgreSQL, where writes use the pool.
    writer: Option<AnyPool>,
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
        let schema_name = schema.clone();
        let sqlite_file = match backend {
            Backend::Sqlite => Some(sqlite_path(url)),
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            writer,
            backend,
            sqlite_file,
            schema: schema_name,
            calendar_cache: Default::default(),
            policy_cache: Default::default(),
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

    pub async fn close(&self) {
        if let Some(w) = &self.writer {
            w.close().await;
        }
        self.pool.close().await;
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
