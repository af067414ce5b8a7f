//! The audit chain in the database (rules in `redress_domain::audit`).
//!
//! Timeline events and evidence rows are written by their own transactions; a chainer then
//! appends every one not yet in the chain, in the order they happened, as entries of
//! `audit_log` (kind `event` or `evidence`; a draft's files only once it is submitted, since a
//! draft and its files may be discarded). Only one chainer appends at a time — on PostgreSQL a transaction-scoped
//! advisory lock serialises the instances, on SQLite the single write connection does — and
//! `seq` is the primary key while what an entry vouches for is unique, so two writers can
//! never fork the chain: the second would fail and retry on the new head. `serve` runs the
//! chainer every second, so a record is chained within about a second of its commit;
//! `redress audit verify` reports those still waiting.

use crate::db::Backend;
use crate::sql::built;
use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::audit::{Break, Entry, GENESIS, Verifier};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Entries appended per transaction.
const BATCH: i64 = 500;

/// An arbitrary constant naming the chainer's advisory lock on PostgreSQL.
const CHAIN_LOCK: i64 = 0x5245_4452_4155_4449;

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries that verified, from the first.
    pub verified: i64,
    /// The hash of the last verified entry: record it elsewhere to detect a truncated tail.
    pub head: String,
    /// The first broken entry and why.
    pub broken: Option<(i64, Break)>,
    /// Timeline events and evidence not chained yet.
    pub pending: i64,
}

#[derive(Clone, Copy)]
enum Col {
    Text,
    Int,
}

/// Every column of a timeline event row, in table order.
const EVENT_FIELDS: &[(&str, Col)] = &[
    ("application_no", Col::Text),
    ("seq", Col::Int),
    ("at", Col::Int),
    ("kind", Col::Text),
    ("actor", Col::Text),
    ("actor_role", Col::Text),
    ("from_state", Col::Text),
    ("to_state", Col::Text),
    ("body", Col::Text),
];

/// Every column of an evidence row, in table order, with the application named by its number
/// (as when evidence was filed under the number: see [`evidence_source`]).
const EVIDENCE_FIELDS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("application_no", Col::Text),
    ("seq", Col::Int),
    ("sha256", Col::Text),
    ("size", Col::Int),
    ("media_type", Col::Text),
    ("kind", Col::Text),
    ("caption", Col::Text),
    ("filename", Col::Text),
    ("uploaded_by", Col::Text),
    ("uploaded_at", Col::Int),
    ("source", Col::Text),
];

/// The canonical record of a row: its `fields` as a JSON array, read from columns named with
/// `prefix`.
fn record(row: &AnyRow, fields: &[(&str, Col)], prefix: &str) -> Result<String, StoreError> {
    let values = fields
        .iter()
        .map(|(name, col)| {
            let name = format!("{prefix}{name}");
            Ok(match col {
                Col::Text => serde_json::Value::from(row.try_get::<String, _>(name.as_str())?),
                Col::Int => serde_json::Value::from(row.try_get::<i64, _>(name.as_str())?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(serde_json::Value::Array(values).to_string())
}

/// `t.a AS pa, t.b AS pb, …` for `fields`.
fn aliased(fields: &[(&str, Col)], table: &str, prefix: &str) -> String {
    aliased_from(fields, |f| format!("{table}.{f}"), prefix)
}

/// `source(a) AS pa, …` for `fields`.
fn aliased_from(fields: &[(&str, Col)], source: impl Fn(&str) -> String, prefix: &str) -> String {
    fields.iter().map(|(f, _)| format!("{} AS {prefix}{f}", source(f))).collect::<Vec<_>>().join(", ")
}

/// Where an evidence record's field is read: the row `v`, except the application's number,
/// which is its application's (`ap`). Files are filed under the application's stable id since
/// migration 6; the chain names them by number, as it did when they were filed under it.
fn evidence_source(field: &str) -> String {
    if field == "application_no" { "ap.no".to_owned() } else { format!("v.{field}") }
}

fn entry_from_row(row: &AnyRow) -> Result<Entry, StoreError> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        ref_seq: row.try_get("ref_seq")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Timeline events not in the chain yet.
const UNCHAINED_EVENTS: &str = "FROM application_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log a
      WHERE a.kind = 'event' AND a.subject = e.application_no AND a.ref_seq = e.seq)";

/// Evidence not in the chain yet, once its application is submitted (a draft's files may be
/// discarded with the draft, and a draft has no number yet).
static UNCHAINED_EVIDENCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "FROM evidence v JOIN applications ap ON ap.id = v.application_id
         WHERE ap.state <> '{}' AND NOT EXISTS (SELECT 1 FROM audit_log a
          WHERE a.kind = 'evidence' AND a.subject = ap.no AND a.ref_seq = v.seq)",
        redress_domain::application::ApplicationState::Draft.as_str()
    )
});

impl Store {
    /// Appends every timeline event not yet chained; returns how many.
    pub async fn chain_pending(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let n = self.writing(move |s| async move { s.chain_batch(now).await }).await;
            let (n, more) = match n {
                Ok(r) => r,
                // Another instance's chainer appended some of what this pass read (candidates are
                // read before the lock): start again from the new head.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            };
            total += n;
            if !more {
                return Ok(total);
            }
        }
    }

    /// One transaction's worth: (entries appended, whether more may be waiting).
    async fn chain_batch(&self, now: Timestamp) -> Result<(u64, bool), StoreError> {
        // What waits to be chained is read before the write transaction, on a reader (the scan
        // grows with the log; the writer is not held for it). Another chainer may chain some of
        // it first: the insert then fails as a conflict and the pass starts again.
        let events = sqlx::query(built!(
            "SELECT {} {UNCHAINED_EVENTS} ORDER BY e.at, e.application_no, e.seq LIMIT {BATCH}",
            aliased(EVENT_FIELDS, "e", "")
        ))
        .fetch_all(&self.pool)
        .await?;
        let evidence = sqlx::query(built!(
            "SELECT {} {} ORDER BY v.uploaded_at, ap.no, v.seq LIMIT {BATCH}",
            aliased_from(EVIDENCE_FIELDS, evidence_source, ""),
            UNCHAINED_EVIDENCE.as_str()
        ))
        .fetch_all(&self.pool)
        .await?;
        if events.is_empty() && evidence.is_empty() {
            return Ok((0, false));
        }
        // Both kinds, in the order they happened.
        let mut items = Vec::with_capacity(events.len() + evidence.len());
        for row in &events {
            let key = (
                row.try_get::<i64, _>("at")?,
                row.try_get::<String, _>("application_no")?,
                row.try_get::<i64, _>("seq")?,
            );
            items.push((key, "event", record(row, EVENT_FIELDS, "")?));
        }
        for row in &evidence {
            let key = (
                row.try_get::<i64, _>("uploaded_at")?,
                row.try_get::<String, _>("application_no")?,
                row.try_get::<i64, _>("seq")?,
            );
            items.push((key, "evidence", record(row, EVIDENCE_FIELDS, "")?));
        }
        items.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
        let mut tx = self.write().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHAIN_LOCK).execute(&mut **tx).await?;
        }
        let head =
            sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        let (mut seq, mut prev) = match head {
            Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
            None => (0, GENESIS.to_owned()),
        };
        for ((_, subject, ref_seq), kind, body) in items {
            seq += 1;
            let e = Entry::link(&prev, seq, ms(now), kind, &subject, ref_seq, body);
            let inserted = sqlx::query(
                "INSERT INTO audit_log (seq, at, kind, subject, ref_seq, body, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(e.seq)
            .bind(e.at_ms)
            .bind(&e.kind)
            .bind(&e.subject)
            .bind(e.ref_seq)
            .bind(&e.body)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&mut **tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => return Err(StoreError::Conflict),
                Err(other) => return Err(other.into()),
            }
            prev = e.hash;
        }
        tx.commit().await?;
        let more = events.len() as i64 == BATCH || evidence.len() as i64 == BATCH;
        Ok(((events.len() + evidence.len()) as u64, more))
    }

    /// Walks the whole chain from the first entry and checks every link and every event it
    /// vouches for; stops at the first break. Reads in pages, so memory stays flat.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let mut v = Verifier::default();
        let mut broken = None;
        let mut after = 0i64;
        'pages: loop {
            let rows = sqlx::query(built!(
                "SELECT a.seq, a.at, a.kind, a.subject, a.ref_seq, a.body, a.prev_hash, a.hash, {}, {}
                 FROM audit_log a
                 LEFT JOIN application_events e
                   ON a.kind = 'event' AND e.application_no = a.subject AND e.seq = a.ref_seq
                 LEFT JOIN applications ap ON a.kind = 'evidence' AND ap.no = a.subject
                 LEFT JOIN evidence v ON v.application_id = ap.id AND v.seq = a.ref_seq
                 WHERE a.seq > $1 ORDER BY a.seq LIMIT 1000",
                aliased(EVENT_FIELDS, "e", "e_"),
                aliased_from(EVIDENCE_FIELDS, evidence_source, "v_"),
            ))
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let entry = entry_from_row(row)?;
                let found = |col: &str| row.try_get::<Option<String>, _>(col).map(|v| v.is_some());
                let record = match entry.kind.as_str() {
                    "event" if found("e_application_no")? => Some(record(row, EVENT_FIELDS, "e_")?),
                    "evidence" if found("v_id")? => Some(record(row, EVIDENCE_FIELDS, "v_")?),
                    _ => None,
                };
                if let Err(b) = v.check(&entry, record.as_deref()) {
                    // A gap is reported at the entry that is missing.
                    let at = if let Break::Gap { expected, .. } = b { expected } else { entry.seq };
                    broken = Some((at, b));
                    break 'pages;
                }
                after = entry.seq;
            }
        }
        let mut pending = 0;
        let counts =
            [built!("SELECT COUNT(*) AS n {UNCHAINED_EVENTS}"), built!("SELECT COUNT(*) AS n {}", *UNCHAINED_EVIDENCE)];
        for count in counts {
            let n: i64 = sqlx::query(count).fetch_one(&self.pool).await?.try_get("n")?;
            pending += n;
        }
        Ok(AuditReport { verified: v.count(), head: v.head().to_owned(), broken, pending })
    }

    /// The chain's entries for one application, in chain order, and the chain's last entry
    /// (read after them, so it is never before the application's last entry).
    pub async fn audit_entries_of(&self, subject: &str) -> Result<(Vec<Entry>, Option<(i64, String)>), StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, subject, ref_seq, body, prev_hash, hash FROM audit_log
             WHERE subject = $1 ORDER BY seq",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>, _>>()?;
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?)))
            .transpose()?;
        Ok((entries, head))
    }

    /// Runs SQL as it is on the write connection. Redress never calls it: it is for tests that
    /// play an attacker with database access, and for an operator's repairs.
    #[doc(hidden)]
    pub async fn execute_unchecked(&self, sql: &str) -> Result<u64, StoreError> {
        let unchecked = sql.to_owned();
        self.writing(move |s| async move {
            Ok(sqlx::query(sqlx::AssertSqlSafe(unchecked)).execute(s.write_pool()).await?.rows_affected())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::EVIDENCE_FIELDS;
    use redress_domain::audit::{EVIDENCE_SEQ_FIELD, EVIDENCE_SHA256_FIELD};

    #[test]
    fn the_domain_reads_an_evidence_record_where_the_store_writes_it() {
        assert_eq!(EVIDENCE_FIELDS[EVIDENCE_SEQ_FIELD].0, "seq");
        assert_eq!(EVIDENCE_FIELDS[EVIDENCE_SHA256_FIELD].0, "sha256");
    }
}
