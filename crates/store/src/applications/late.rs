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

/// The `settings` key of the mark: every application up to it, in the order (deadline in
/// epoch ms, number), has been looked at. Kept as `deadline|number`.
const MARK_KEY: &str = "late_review_mark";

/// Where a pass stops: a deadline (epoch ms) and the number of the last application looked at
/// with that deadline (empty: none of them yet).
pub type LateMark = (i64, String);

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
    pub async fn late_review_mark(&self) -> Result<LateMark, StoreError> {
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(MARK_KEY).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok((i64::MIN, String::new())) };
        let text: String = row.try_get("value")?;
        let (at, no) = text.split_once('|').unwrap_or((text.as_str(), ""));
        Ok((at.parse().map_err(StoreError::corrupt)?, no.to_owned()))
    }

    /// Moves the mark from `from` (where this pass read it) to `to`, unless another instance
    /// moved it meanwhile: then theirs stands (a pass that reads again repeats nothing but
    /// looking, each decision being written over its application's version).
    pub async fn advance_late_review_mark(
        &self,
        from: &LateMark,
        to: &LateMark,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if to <= from {
            return Ok(());
        }
        let (old, new) = (format!("{}|{}", from.0, from.1), format!("{}|{}", to.0, to.1));
        let moved = sqlx::query("UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3 AND value = $4")
            .bind(new.clone())
            .bind(ms(now))
            .bind(MARK_KEY)
            .bind(old)
            .execute(self.write_pool())
            .await?;
        if moved.rows_affected() == 0 {
            // The first pass ever (or another instance's mark stands: then this does nothing).
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            )
            .bind(MARK_KEY)
            .bind(new)
            .bind(ms(now))
            .execute(self.write_pool())
            .await?;
        }
        Ok(())
    }

    /// Applications waiting for a decision, their review clock running, after `after` in the
    /// order (deadline, number) with a deadline before `until` (epoch ms): the first `limit`.
    pub async fn late_reviews(&self, after: &LateMark, until: i64, limit: i64) -> Result<Vec<LateReview>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT a.no, a.queue_key, o.policy_version FROM applications a JOIN orders o ON o.order_no = a.order_no
             WHERE ((a.queue_key + 0), a.no) > ($1, $2) AND (a.queue_key + 0) < $3 AND a.state IN ('{}', '{}', '{}')
             ORDER BY (a.queue_key + 0), a.no LIMIT $4",
            ApplicationState::Submitted.as_str(),
            ApplicationState::InReview.as_str(),
            ApplicationState::Appealed.as_str()
        ))
        .bind(after.0)
        .bind(after.1.clone())
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
