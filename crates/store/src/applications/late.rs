//! The late-review rule's work (docs/product.md §3): applications whose review deadline has
//! passed without a decision, found by a seek on the review queue's index from where the last
//! pass stopped (a mark kept in `settings`, shared by every instance), so that a pass costs
//! what fell due since, never every overdue application there is.

use crate::sql::built;
use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::application::ApplicationState;
use redress_domain::ids::ApplicationRef;
use sqlx::Row;

/// The `settings` key of the mark: every deadline up to it (epoch ms) has been looked at.
const MARK_KEY: &str = "late_review_mark";

/// An application whose deadline fell due: its number, its deadline (the queue key, ms) and
/// its order's policy version.
pub type LateReview = (ApplicationRef, i64, u32);

impl Store {
    /// The published policy versions that have the late-review rule.
    pub async fn late_review_policies(&self) -> Result<Vec<u32>, StoreError> {
        let rows = sqlx::query("SELECT version FROM policies ORDER BY version").fetch_all(&self.pool).await?;
        let mut on = Vec::new();
        for r in &rows {
            let version = u32::try_from(r.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?;
            if self.policy(version).await?.rules.approve_when_late {
                on.push(version);
            }
        }
        Ok(on)
    }

    /// Where the last pass stopped (none yet: the beginning of time).
    pub async fn late_review_mark(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(MARK_KEY).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => r.try_get::<String, _>("value")?.parse().map_err(StoreError::corrupt),
            None => Ok(i64::MIN),
        }
    }

    /// Moves the mark to `to`, never back (another instance may be ahead).
    pub async fn advance_late_review_mark(&self, to: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
             WHERE CAST(settings.value AS BIGINT) < CAST(excluded.value AS BIGINT)",
        )
        .bind(MARK_KEY)
        .bind(to.to_string())
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        Ok(())
    }

    /// Applications waiting for a decision, their review clock running, whose deadline is
    /// after `after` and not after `until` (epoch ms): the first `limit` by deadline.
    pub async fn late_reviews(&self, after: i64, until: i64, limit: i64) -> Result<Vec<LateReview>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT a.no, a.queue_key, o.policy_version FROM applications a JOIN orders o ON o.order_no = a.order_no
             WHERE (a.queue_key + 0) > $1 AND (a.queue_key + 0) <= $2 AND a.state IN ('{}', '{}', '{}')
             ORDER BY (a.queue_key + 0), a.no LIMIT $3",
            ApplicationState::Submitted.as_str(),
            ApplicationState::InReview.as_str(),
            ApplicationState::Appealed.as_str()
        ))
        .bind(after)
        .bind(until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let no: String = r.try_get("no")?;
                let no = ApplicationRef::parse(&no).map_err(|_| StoreError::corrupt("application no"))?;
                let version = u32::try_from(r.try_get::<i64, _>("policy_version")?).map_err(StoreError::corrupt)?;
                Ok((no, r.try_get("queue_key")?, version))
            })
            .collect()
    }
}
