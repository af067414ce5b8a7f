//! The audit chain in the database (rules in `redress_domain::audit`).
//!
//! Timeline events are written by the application's own transactions, as before; a chainer
//! then appends every event not yet in the chain, in the order they happened, as entries of
//! `audit_log`. Only one chainer appends at a time — on PostgreSQL a transaction-scoped
//! advisory lock serialises the instances, on SQLite the single write connection does — and
//! `seq` is the primary key while what an entry vouches for is unique, so two writers can
//! never fork the chain: the second would fail and retry on the new head. `serve` runs the
//! chainer every second, so an event is chained within about a second of its commit;
//! `redress audit verify` reports events still waiting.

use crate::db::Backend;
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
    /// Timeline events not chained yet.
    pub pending: i64,
}

/// The canonical record of a timeline event: every column of its row, in table order, read
/// from columns named with `prefix`.
fn event_record(row: &AnyRow, prefix: &str) -> Result<String, StoreError> {
    let text = |c: &str| row.try_get::<String, _>(format!("{prefix}{c}").as_str());
    let int = |c: &str| row.try_get::<i64, _>(format!("{prefix}{c}").as_str());
    Ok(serde_json::json!([
        text("application_no")?,
        int("seq")?,
        int("at")?,
        text("kind")?,
        text("actor")?,
        text("actor_role")?,
        text("from_state")?,
        text("to_state")?,
        text("body")?,
    ])
    .to_string())
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

const UNCHAINED: &str = "FROM application_events e WHERE NOT EXISTS (SELECT 1 FROM audit_log a
      WHERE a.kind = 'event' AND a.subject = e.application_no AND a.ref_seq = e.seq)";

impl Store {
    /// Appends every timeline event not yet chained; returns how many.
    pub async fn chain_pending(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let n = self.writing(move |s| async move { s.chain_batch(now).await }).await;
            let n = match n {
                Ok(n) => n,
                // Another writer appended first (it can only happen without the lock, e.g. a
                // chainer of an older version): start again from the new head.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            };
            total += n;
            if n < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn chain_batch(&self, now: Timestamp) -> Result<u64, StoreError> {
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
        let sql = format!(
            "SELECT e.application_no, e.seq, e.at, e.kind, e.actor, e.actor_role, e.from_state, e.to_state, e.body
             {UNCHAINED} ORDER BY e.at, e.application_no, e.seq LIMIT {BATCH}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **tx).await?;
        for row in &rows {
            seq += 1;
            let subject: String = row.try_get("application_no")?;
            let ref_seq: i64 = row.try_get("seq")?;
            let e = Entry::link(&prev, seq, ms(now), "event", &subject, ref_seq, event_record(row, "")?);
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
        Ok(rows.len() as u64)
    }

    /// Walks the whole chain from the first entry and checks every link and every event it
    /// vouches for; stops at the first break. Reads in pages, so memory stays flat.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let mut v = Verifier::default();
        let mut broken = None;
        let mut after = 0i64;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT a.seq, a.at, a.kind, a.subject, a.ref_seq, a.body, a.prev_hash, a.hash,
                        e.application_no AS e_application_no, e.seq AS e_seq, e.at AS e_at, e.kind AS e_kind,
                        e.actor AS e_actor, e.actor_role AS e_actor_role, e.from_state AS e_from_state,
                        e.to_state AS e_to_state, e.body AS e_body
                 FROM audit_log a
                 LEFT JOIN application_events e
                   ON a.kind = 'event' AND e.application_no = a.subject AND e.seq = a.ref_seq
                 WHERE a.seq > $1 ORDER BY a.seq LIMIT 1000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let entry = entry_from_row(row)?;
                let record = match row.try_get::<Option<String>, _>("e_application_no")? {
                    Some(_) => Some(event_record(row, "e_")?),
                    None => None,
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
        let pending: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {UNCHAINED}")))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(AuditReport { verified: v.count(), head: v.head().to_owned(), broken, pending })
    }

    /// Runs SQL as it is on the write connection. Redress never calls it: it is for tests that
    /// play an attacker with database access, and for an operator's repairs.
    #[doc(hidden)]
    pub async fn execute_unchecked(&self, sql: &str) -> Result<u64, StoreError> {
        let sql = sql.to_owned();
        self.writing(move |s| async move {
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql)).execute(s.write_pool()).await?.rows_affected())
        })
        .await
    }
}
