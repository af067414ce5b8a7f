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

/// A work queue's statements, made by [`queue!`] from its table, key, open condition and
/// columns.
pub(crate) struct Queue {
    pub key: &'static str,
    /// The due open rows' keys, oldest due first: `$1` now, `$2` the limit, then the
    /// condition's own parameters. SQLite's, then PostgreSQL's (skipping locked rows).
    pub due: [&'static str; 2],
    /// Pushes one row's lease and counts the attempt: `$1` the lease's end, `$2` now, `$3` the
    /// key; returns the row's columns.
    pub claim: &'static str,
}

/// `queue!("table", "key", open, columns)`: the [`Queue`] of a table whose open rows satisfy
/// `open` (an SQL condition built from Redress's constants; its values are parameters from
/// `$3` on), returning `columns`.
macro_rules! queue {
    ($table:literal, $key:literal, $open:expr, $columns:expr) => {
        $crate::lease::Queue {
            key: $key,
            due: [
                $crate::sql::sql_text!(
                    "SELECT {} FROM {} WHERE ({}) AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
                    $key,
                    $table,
                    $open
                ),
                $crate::sql::sql_text!(
                    postgres: "SELECT {} FROM {} WHERE ({}) AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2
                     FOR UPDATE SKIP LOCKED",
                    $key,
                    $table,
                    $open
                ),
            ],
            claim: $crate::sql::sql_text!(
                "UPDATE {} SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 WHERE {} = $3
                 RETURNING {}",
                $table,
                $key,
                $columns
            ),
        }
    };
}
pub(crate) use queue;

/// Claims up to `limit` due rows of `q` (its condition's parameters `params`), oldest due
/// first, for `lease`; returns them as they are after the claim.
pub(crate) async fn claim_due(
    store: &Store,
    tx: &mut WriteTx,
    q: &Queue,
    params: &[&str],
    now: Timestamp,
    lease: SignedDuration,
    limit: usize,
) -> Result<Vec<AnyRow>, StoreError> {
    let due = match store.backend() {
        Backend::Sqlite => q.due[0],
        Backend::Postgres => q.due[1],
    };
    let mut select = sqlx::query(sqlx::AssertSqlSafe(due)).bind(ms(now)).bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for p in params {
        select = select.bind(p.to_string());
    }
    let due = select.fetch_all(&mut ***tx).await?;
    let mut claimed = Vec::with_capacity(due.len());
    for r in &due {
        let id: String = r.try_get(q.key)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(q.claim))
            .bind(ms(now + lease))
            .bind(ms(now))
            .bind(&id)
            .fetch_one(&mut ***tx)
            .await?;
        claimed.push(row);
    }
    Ok(claimed)
}
