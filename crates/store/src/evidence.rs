//! Evidence rows: which file (by content address) belongs to which application, what kind
//! it is and who gave it. The bytes are in `redress-blobs`.

use crate::applications::row::{APP_COLUMNS, AnyQuery, app_from_row};
use crate::db::Backend;
use crate::sql::built;
use crate::{Store, StoreError, User, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::{Application, ApplicationState};
use redress_domain::evidence::{EvidenceKind, MediaType};
use redress_domain::ids::ApplicationId;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: String,
    pub application_id: String,
    /// 1, 2, 3… within the application.
    pub seq: i64,
    pub file: EvidenceFile,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
    /// Redress's own snapshot, not a buyer's file.
    pub system: bool,
}

/// A file as attached: already stored and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub sha256: String,
    pub size: u64,
    pub media_type: MediaType,
    pub kind: EvidenceKind,
    pub caption: String,
    pub filename: String,
}

/// Something done to the bytes at a content address while the store holds the lock on them
/// (see [`Store::add_evidence`]); an error is a message for the log.
pub type BlobAction =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>> + Send>;

/// Whether an upload may be attached, given the application and how many files its buyer has
/// attached so far (run inside the attaching transaction).
pub type Check = Box<dyn FnOnce(&Application, i64) -> Result<(), StoreError> + Send>;

/// Serialises everything done to one content address in the database's eyes: on PostgreSQL a
/// transaction-scoped advisory lock on the address (two-key form, apart from the chainer's
/// lock); on SQLite the single writer already does.
pub(crate) async fn lock_blob(backend: Backend, tx: &mut crate::db::WriteTx, sha256: &str) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(20509, hashtext($1))").bind(sha256).execute(&mut ***tx).await?;
    }
    Ok(())
}

/// The application (locked on PostgreSQL), how many files its buyer attached, and the last
/// file's number.
async fn evidence_facts(
    s: &Store,
    conn: &mut sqlx::AnyConnection,
    id: &ApplicationId,
) -> Result<(Application, i64, i64), StoreError> {
    let sql = match s.backend() {
        Backend::Postgres => built!(postgres: "SELECT {APP_COLUMNS} FROM applications WHERE id = $1 FOR UPDATE"),
        Backend::Sqlite => built!("SELECT {APP_COLUMNS} FROM applications WHERE id = $1"),
    };
    let row = sqlx::query(sql).bind(id.as_str()).fetch_optional(&mut *conn).await?.ok_or(StoreError::NotFound)?;
    let a = app_from_row(&row)?;
    let row = sqlx::query(
        "SELECT COUNT(CASE WHEN source = 'buyer' THEN 1 END) AS n, COALESCE(MAX(seq), 0) AS last
         FROM evidence WHERE application_id = $1",
    )
    .bind(id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    Ok((a, row.try_get("n")?, row.try_get("last")?))
}

/// Inserts `ev`, a file of `a` (whose row the caller holds). A draft's file is parked for
/// the audit chain until the draft is submitted; any other waits to be chained (see
/// `audit.rs`).
async fn insert_evidence(
    conn: &mut sqlx::AnyConnection,
    a: &Application,
    ev: Evidence,
) -> Result<Evidence, StoreError> {
    let q = sqlx::query(built!(
        "INSERT INTO evidence ({COLUMNS}, audit_pending)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ));
    let pending: i64 = if a.state == ApplicationState::Draft { 2 } else { 1 };
    bind_evidence(q, &ev).bind(pending).execute(&mut *conn).await.map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Exists("snapshot"),
        other => other.into(),
    })?;
    Ok(ev)
}

/// The application has its system snapshot.
async fn snapshot_taken(conn: &mut sqlx::AnyConnection, id: &ApplicationId) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET snapshot_pending = 0 WHERE id = $1 AND snapshot_pending = 1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Evidence {
    /// A new file of the system's, the application's `seq`-th.
    fn system(id: &ApplicationId, seq: i64, file: EvidenceFile, now: Timestamp) -> Evidence {
        Evidence {
            id: format!("EV{:016X}", rand::random::<u64>()),
            application_id: id.to_string(),
            seq,
            file,
            uploaded_by: "system".to_owned(),
            uploaded_at: now,
            system: true,
        }
    }
}

pub(crate) const COLUMNS: &str =
    "id, application_id, seq, sha256, size, media_type, kind, caption, filename, uploaded_by, uploaded_at, source";

/// Binds an evidence row in [`COLUMNS`] order.
pub(crate) fn bind_evidence<'q>(q: AnyQuery<'q>, ev: &Evidence) -> AnyQuery<'q> {
    q.bind(ev.id.clone())
        .bind(ev.application_id.clone())
        .bind(ev.seq)
        .bind(ev.file.sha256.clone())
        .bind(i64::try_from(ev.file.size).unwrap_or(i64::MAX))
        .bind(ev.file.media_type.mime())
        .bind(ev.file.kind.as_str())
        .bind(ev.file.caption.clone())
        .bind(ev.file.filename.clone())
        .bind(ev.uploaded_by.clone())
        .bind(ms(ev.uploaded_at))
        .bind(if ev.system { "system" } else { "buyer" })
}

fn from_row(row: &AnyRow) -> Result<Evidence, StoreError> {
    let media: String = row.try_get("media_type")?;
    let kind: String = row.try_get("kind")?;
    Ok(Evidence {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        seq: row.try_get("seq")?,
        file: EvidenceFile {
            sha256: row.try_get("sha256")?,
            size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
            media_type: MediaType::from_mime(&media).ok_or_else(|| StoreError::corrupt("evidence media type"))?,
            kind: EvidenceKind::parse(&kind).ok_or_else(|| StoreError::corrupt("evidence kind"))?,
            caption: row.try_get("caption")?,
            filename: row.try_get("filename")?,
        },
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: from_ms(row.try_get("uploaded_at")?),
        system: row.try_get::<String, _>("source")? == "system",
    })
}

impl Store {
    /// Attaches a stored file uploaded by `buyer`, if `check` accepts it given the application
    /// and how many files its buyer has attached so far (the caller's rule: whose it is,
    /// whether it still takes files, the limit). Concurrent uploads to one application are
    /// serialised, so what `check` saw is what is written against.
    ///
    /// `put` puts the bytes in place: it runs inside the transaction that inserts the row,
    /// holding the lock on those bytes, so no removal of a discarded draft's files
    /// ([`Store::remove_blob_if_unreferenced`]) can take them between the two.
    pub async fn add_evidence(
        &self,
        id: &ApplicationId,
        buyer: &User,
        file: EvidenceFile,
        check: Check,
        now: Timestamp,
        put: BlobAction,
    ) -> Result<Evidence, StoreError> {
        self.attach(id, Some((buyer.clone(), check)), file, now, Some(put)).await
    }

    /// Removes bytes nothing refers to (a discarded draft's file) with `remove`, under the same
    /// lock uploads take ([`Store::add_evidence`]): bytes an upload is attaching at that moment
    /// are never removed. Returns whether it removed them.
    pub async fn remove_blob_if_unreferenced(&self, sha256: &str, remove: BlobAction) -> Result<bool, StoreError> {
        let sha = sha256.to_owned();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            lock_blob(s.backend(), &mut tx, &sha).await?;
            let used = sqlx::query(
                "SELECT 1 FROM evidence WHERE sha256 = $1
                 UNION ALL SELECT 1 FROM message_files WHERE sha256 = $1 LIMIT 1",
            )
            .bind(&sha)
            .fetch_optional(&mut **tx)
            .await?
            .is_some();
            if used {
                return Ok(false);
            }
            remove().await.map_err(StoreError::Internal)?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// How many system files [`Store::add_system_evidence_batch`] should be given at a time.
    /// They are attached in one write; on SQLite that write holds the one writer every
    /// request's write waits for (about half a millisecond a file), so a batch is kept short
    /// there.
    pub fn system_evidence_batch(&self) -> usize {
        match self.backend() {
            Backend::Sqlite => 15,
            Backend::Postgres => 50,
        }
    }

    /// Attaches Redress's own snapshots (`source = 'system'`): whatever the state, outside the
    /// buyer's limit. Several applications in one grouped write (one durable commit for a
    /// whole pass of `serve`'s snapshots, shared with the writes waiting beside it); each
    /// attachment succeeds or fails on its own (a savepoint each): `Exists` when the
    /// application already has its snapshot.
    pub async fn add_system_evidence_batch(
        &self,
        items: Vec<(ApplicationId, EvidenceFile)>,
        now: Timestamp,
    ) -> Result<Vec<Result<Evidence, StoreError>>, StoreError> {
        let s = self.clone();
        self.grouped(move |tx| {
            Box::pin(async move {
                let mut out = Vec::with_capacity(items.len());
                for (id, file) in items {
                    let mut one = sqlx::Acquire::begin(&mut **tx).await?;
                    let done = async {
                        let (a, _, last) = evidence_facts(&s, &mut one, &id).await?;
                        let ev = insert_evidence(&mut one, &a, Evidence::system(&id, last + 1, file, now)).await?;
                        snapshot_taken(&mut one, &id).await?;
                        Ok(ev)
                    }
                    .await;
                    match done {
                        Ok(ev) => {
                            one.commit().await?;
                            out.push(Ok(ev));
                        }
                        Err(e) => {
                            one.rollback().await?;
                            if matches!(e, StoreError::Exists(_)) {
                                // It has its snapshot: it no longer waits for one.
                                snapshot_taken(tx, &id).await?;
                            }
                            out.push(Err(e));
                        }
                    }
                }
                Ok(out)
            })
        })
        .await
    }

    /// `buyer`: a buyer's upload, checked; `None`: the system's.
    async fn attach(
        &self,
        id: &ApplicationId,
        buyer: Option<(User, Check)>,
        file: EvidenceFile,
        now: Timestamp,
        put: Option<BlobAction>,
    ) -> Result<Evidence, StoreError> {
        let id = id.clone();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let (a, held, last) = evidence_facts(&s, &mut tx, &id).await?;
            let buyer = match buyer {
                Some((buyer, check)) => {
                    check(&a, held)?;
                    Some(buyer)
                }
                None => None,
            };
            if let Some(put) = put {
                lock_blob(s.backend(), &mut tx, &file.sha256).await?;
                put().await.map_err(StoreError::Internal)?;
            }
            let ev = match &buyer {
                Some(b) => Evidence {
                    uploaded_by: b.username.to_string(),
                    system: false,
                    ..Evidence::system(&id, last + 1, file, now)
                },
                None => Evidence::system(&id, last + 1, file, now),
            };
            let ev = insert_evidence(&mut tx, &a, ev).await?;
            tx.commit().await?;
            Ok(ev)
        })
        .await
    }

    /// The files of an application, oldest first (who may see them is the caller's to decide).
    pub async fn evidence_of(&self, id: &ApplicationId) -> Result<Vec<Evidence>, StoreError> {
        let rows = sqlx::query(built!("SELECT {COLUMNS} FROM evidence WHERE application_id = $1 ORDER BY seq"))
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// One file of an application.
    pub async fn evidence_item(&self, application: &ApplicationId, id: &str) -> Result<Evidence, StoreError> {
        let row = sqlx::query(built!("SELECT {COLUMNS} FROM evidence WHERE application_id = $1 AND id = $2"))
            .bind(application.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Applications submitted since `since` that wait for their system snapshot, oldest
    /// first: read from the partial index of those waiting (`snapshot_pending`), so a pass
    /// costs what waits. One that has its snapshot already (a restore that kept the flag) is
    /// cleared when the attachment finds it there.
    pub async fn missing_snapshots(&self, since: Timestamp, limit: usize) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {APP_COLUMNS} FROM applications a
             WHERE a.snapshot_pending = 1 AND a.submitted_at >= $1 AND a.state <> $2
             ORDER BY a.submitted_at LIMIT $3"
        ))
        .bind(ms(since))
        .bind(redress_domain::application::ApplicationState::Draft.as_str())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(app_from_row).collect()
    }
}
