//! A buyer's use of support, counted per window in the transaction of the write that uses it
//! (rules in `redress_domain::limits`): past a limit the write fails whole, its count with
//! it. Windows that ended are forgotten a batch at a time.

use crate::db::WriteTx;
use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::limits::{AbuseLimits, Use};
use sqlx::Row;

/// What a buyer's write counts against the limits: its uses of each meter, and (opening a
/// ticket) how many tickets may be open at once.
#[derive(Debug, Clone)]
pub struct Quota {
    pub subject: String,
    pub uses: Vec<Use>,
    pub open_tickets: Option<AbuseLimits>,
    pub now: Timestamp,
}

/// Counts `quota`'s uses in `tx`; `Limited` when one goes past its limit (the caller's
/// transaction then rolls back, the counts with it). The counters are written before the
/// open tickets are counted: a buyer's concurrent openings wait on the day's counter row, so
/// each counts the others' tickets.
pub(crate) async fn count(tx: &mut WriteTx, quota: &Quota) -> Result<(), StoreError> {
    for u in &quota.uses {
        let total: i64 = sqlx::query(
            "INSERT INTO usage_counters (subject, meter, window_start, window_end, used) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subject, meter, window_start) DO UPDATE SET used = usage_counters.used + excluded.used
             RETURNING used",
        )
        .bind(quota.subject.clone())
        .bind(u.meter.as_str())
        .bind(ms(u.window_start))
        .bind(ms(u.window_end))
        .bind(i64::try_from(u.amount).unwrap_or(i64::MAX))
        .fetch_one(&mut ***tx)
        .await?
        .try_get("used")?;
        if let Some(refused) = u.refused(u64::try_from(total).unwrap_or(0), quota.now) {
            return Err(refused.into());
        }
    }
    if let Some(limits) = &quota.open_tickets {
        let open: i64 = sqlx::query("SELECT COUNT(*) AS n FROM tickets WHERE buyer = $1 AND queue_key IS NOT NULL")
            .bind(quota.subject.clone())
            .fetch_one(&mut ***tx)
            .await?
            .try_get("n")?;
        limits.may_open(u64::try_from(open).unwrap_or(0))?;
    }
    Ok(())
}

impl Store {
    /// Forgets counters of windows that ended before `now` (at most `limit`, the earliest
    /// first); how many.
    pub async fn forget_usage(&self, now: Timestamp, limit: i64) -> Result<u64, StoreError> {
        self.grouped(move |tx| {
            Box::pin(async move {
                let done = sqlx::query(
                    "DELETE FROM usage_counters WHERE (subject, meter, window_start) IN (
                         SELECT subject, meter, window_start FROM usage_counters WHERE window_end <= $1
                         ORDER BY window_end LIMIT $2)",
                )
                .bind(ms(now))
                .bind(limit)
                .execute(&mut ***tx)
                .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }
}
