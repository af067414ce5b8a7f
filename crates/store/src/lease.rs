//! The one claim/lease mechanism of Redress's work queues (the payout outbox today; the
//! notification and webhook outboxes and the service-level timers reuse it). A queue is a
//! table whose rows are work items, due when `next_attempt_at <= now` and still open. A
//! worker claims due rows for a lease: in one write transaction each is pushed `lease` into
//! the future and its attempts counted, so no other worker — in this process or another
//! instance on the same database — takes it meanwhile, and after a crash the next worker
//! takes it over when the lease ends. On PostgreSQL rows another worker is claiming are
//! skipped (`FOR UPDATE SKIP LOCKED`), not waited for; on SQLite the single writer already
//! serialises claims. No transaction is held while the work is done.

use crate::db::WriteTx;
use crate::{Backend, Store, StoreError, ms};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A work queue: its table and key, and which of its rows are still open.
pub(crate) struct Queue<'a> {
    pub table: &'static str,
    pub key: &'static str,
    /// A condition on the table's columns (Redress's own constants, never input), e.g. the open
    /// states and the channels this worker serves.
    pub open: &'a str,
    /// The columns to return for each claimed row.
    pub columns: &'static str,
}

/// Claims up to `limit` due rows of `q`, oldest due first, for `lease`; returns them as
/// they are after the claim.
pub(crate) async fn claim_due(
    store: &Store,
    tx: &mut WriteTx,
    q: &Queue<'_>,
    now: Timestamp,
    lease: SignedDuration,
    limit: usize,
) -> Result<Vec<AnyRow>, StoreError> {
    let skip = if store.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let (table, key, open, columns) = (q.table, q.key, q.open, q.columns);
    let due = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {key} FROM {table} WHERE ({open}) AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT {limit}{skip}"
    )))
    .bind(ms(now))
    .fetch_all(&mut ***tx)
    .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for r in &due {
        let id: String = r.try_get(key)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2
             WHERE {key} = $3 RETURNING {columns}"
        )))
        .bind(ms(now + lease))
        .bind(ms(now))
        .bind(&id)
        .fetch_one(&mut ***tx)
        .await?;
        claimed.push(row);
    }
    Ok(claimed)
}
