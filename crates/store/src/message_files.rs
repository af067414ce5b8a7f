//! Files on messages: a message of a ticket's or an application's thread may carry files,
//! kept in the evidence's content-addressed store. They are written with their message, in
//! its transaction, with the bytes put in place under the same lock as evidence's; a file
//! is seen by whoever sees its message, and by no one once the message is redacted.

use crate::db::{Backend, WriteTx};
use crate::evidence::{BlobAction, lock_blob};
use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::evidence::{EvidenceError, MediaType};
use redress_domain::ticket::{Message, MessageKind};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A file's facts, once its bytes are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub media_type: MediaType,
    pub filename: String,
}

/// Files to attach to a new message: their facts, what puts their bytes in place (run
/// inside the writing transaction), and how many files a thread may hold in all.
pub struct Attachments {
    pub files: Vec<StoredFile>,
    pub put: BlobAction,
    pub max_in_thread: u32,
}

/// What a new message carries besides its text: files, and (a buyer's) the use it counts
/// against the limits.
#[derive(Default)]
pub struct Carrying {
    pub files: Option<Attachments>,
    pub quota: Option<crate::Quota>,
}

/// A page of a thread and the files of its messages.
#[derive(Debug, Clone)]
pub struct Thread {
    pub messages: crate::Page<Message>,
    pub files: Vec<MessageFile>,
}

/// A file of message `seq` of `thread`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    pub id: String,
    pub thread: String,
    pub seq: i64,
    pub file: StoredFile,
    pub uploaded_by: String,
    pub at: Timestamp,
}

const COLUMNS: &str = "id, thread, seq, n, sha256, size, media_type, filename, uploaded_by, at";

fn file_of(r: &AnyRow) -> Result<MessageFile, StoreError> {
    let media: String = r.try_get("media_type")?;
    Ok(MessageFile {
        id: r.try_get("id")?,
        thread: r.try_get("thread")?,
        seq: r.try_get("seq")?,
        file: StoredFile {
            sha256: r.try_get("sha256")?,
            size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or(0),
            media_type: MediaType::from_mime(&media).ok_or_else(|| StoreError::corrupt("message file type"))?,
            filename: r.try_get("filename")?,
        },
        uploaded_by: r.try_get("uploaded_by")?,
        at: from_ms(r.try_get("at")?),
    })
}

/// Attaches `files` to message `seq` of `thread` in `tx`, if the thread has room for them;
/// their bytes are put in place holding each address's lock.
pub(crate) async fn attach(
    backend: Backend,
    tx: &mut WriteTx,
    (thread, seq): (&str, i64),
    uploader: &str,
    at: Timestamp,
    files: Attachments,
) -> Result<(), StoreError> {
    let held: i64 = sqlx::query("SELECT COUNT(*) AS n FROM message_files WHERE thread = $1")
        .bind(thread.to_owned())
        .fetch_one(&mut ***tx)
        .await?
        .try_get("n")?;
    if held + files.files.len() as i64 > i64::from(files.max_in_thread) {
        return Err(EvidenceError::TooManyFiles { max: files.max_in_thread }.into());
    }
    for f in &files.files {
        lock_blob(backend, tx, &f.sha256).await?;
    }
    (files.put)().await.map_err(StoreError::Internal)?;
    for (n, f) in files.files.into_iter().enumerate() {
        sqlx::query(built!("INSERT INTO message_files ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(format!("MF{:016X}", rand::random::<u64>()))
            .bind(thread.to_owned())
            .bind(seq)
            .bind(n as i64 + 1)
            .bind(f.sha256)
            .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
            .bind(f.media_type.mime())
            .bind(f.filename)
            .bind(uploader.to_owned())
            .bind(ms(at))
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// The files of `messages` (a page of `thread`, oldest first), by message and in the order
    /// given: one range read on `message_files_thread`.
    pub(crate) async fn files_of(&self, thread: &str, messages: &[Message]) -> Result<Vec<MessageFile>, StoreError> {
        let (Some(first), Some(last)) = (messages.first(), messages.last()) else { return Ok(Vec::new()) };
        let rows = sqlx::query(built!(
            "SELECT {COLUMNS} FROM message_files WHERE thread = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq, n"
        ))
        .bind(thread.to_owned())
        .bind(first.seq)
        .bind(last.seq)
        .fetch_all(&self.pool)
        .await?;
        let shown: std::collections::HashSet<i64> =
            messages.iter().filter(|m| m.redaction.is_none()).map(|m| m.seq).collect();
        let files = rows.iter().map(file_of).collect::<Result<Vec<_>, _>>()?;
        Ok(files.into_iter().filter(|f| shown.contains(&f.seq)).collect())
    }

    /// File `id` of `thread`, if its message is one a viewer sees (`with_notes`: staff, who
    /// see notes) and not redacted; else `NotFound`.
    pub async fn message_file(&self, thread: &str, id: &str, with_notes: bool) -> Result<MessageFile, StoreError> {
        let row = sqlx::query(
            "SELECT f.id, f.thread, f.seq, f.n, f.sha256, f.size, f.media_type, f.filename, f.uploaded_by, f.at,
                    m.kind AS message_kind, m.redacted_by
             FROM message_files f JOIN messages m ON m.thread = f.thread AND m.seq = f.seq
             WHERE f.thread = $1 AND f.id = $2",
        )
        .bind(thread.to_owned())
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let kind = MessageKind::parse(&row.try_get::<String, _>("message_kind")?);
        let redacted = row.try_get::<Option<String>, _>("redacted_by")?.is_some();
        if redacted || (kind != Some(MessageKind::Message) && !with_notes) {
            return Err(StoreError::NotFound);
        }
        file_of(&row)
    }
}
