//! Review clocks for applications stored before the clocks were (schema version 22): each
//! open one gets the clock its stored due time and days left describe
//! ([`Application::rebuilt_review_clock`]), once, in batches, when the schema is migrated.

use super::row::{APP_COLUMNS, app_from_row};
use crate::sql::built;
use crate::{Store, StoreError, from_ms};
use redress_domain::application::Application;
use sqlx::Row;

/// Applications rebuilt per transaction.
const BATCH: i64 = 500;

impl Store {
    /// Gives every open application without a review clock the one it had in all but name;
    /// returns how many. The partial index of migration 22 makes this a seek on an empty
    /// index once done.
    pub(crate) async fn rebuild_review_clocks(&self) -> Result<u64, StoreError> {
        let calendar = self.calendar().await?;
        let mut rebuilt = 0u64;
        let mut after = String::new();
        loop {
            let mut tx = self.write().await?;
            let rows = sqlx::query(built!(
                "SELECT {APP_COLUMNS}, paused_days_left,
                        (SELECT MAX(e.at) FROM application_events e WHERE e.application_no = applications.no
                          AND ((e.from_state = 'draft' AND e.to_state = 'submitted')
                            OR (e.from_state = 'rejected' AND e.to_state = 'appealed'))) AS round_start,
                        (SELECT MAX(e.at) FROM application_events e WHERE e.application_no = applications.no
                          AND e.to_state = 'info_requested') AS paused_at
                 FROM applications
                 WHERE review_clock IS NULL AND queue_key IS NOT NULL AND id > $1
                 ORDER BY id LIMIT $2"
            ))
            .bind(&after)
            .bind(BATCH)
            .fetch_all(&mut **tx)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for row in &rows {
                let a: Application = app_from_row(row)?;
                let round_start = match row.try_get::<Option<i64>, _>("round_start")? {
                    Some(at) => from_ms(at),
                    None => a.submitted_at.unwrap_or(a.created_at),
                };
                let left = row.try_get::<Option<i64>, _>("paused_days_left")?.and_then(|d| u32::try_from(d).ok());
                let paused = row.try_get::<Option<i64>, _>("paused_at")?.map(|at| (from_ms(at), left));
                let Some(clock) = a.rebuilt_review_clock(round_start, paused, &calendar) else { continue };
                let json = serde_json::to_string(&clock).map_err(|e| StoreError::Internal(e.to_string()))?;
                sqlx::query("UPDATE applications SET review_clock = $1, paused_days_left = NULL WHERE id = $2")
                    .bind(json)
                    .bind(a.id.to_string())
                    .execute(&mut **tx)
                    .await?;
                rebuilt += 1;
            }
            tx.commit().await?;
        }
        Ok(rebuilt)
    }
}
