//! Clocks for applications stored before there were any (schema version 22): each one still
//! waiting — open, or approved and not yet paid — gets the statutory clock of its round and,
//! if open, the review clock its stored due time and days left describe
//! ([`Application::rebuilt_review_clock`]), once, in batches, when the schema is migrated.

use super::row::{APP_COLUMNS, app_from_row};
use crate::sql::built;
use crate::{Store, StoreError, from_ms};
use redress_domain::application::Application;
use redress_domain::statutory::{DEFAULT_DAYS, StatutoryClock};
use sqlx::Row;

/// A clock as the JSON its column holds.
fn json(clock: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(clock).map_err(|e| StoreError::Internal(e.to_string()))
}

/// Applications rebuilt per transaction.
const BATCH: i64 = 500;

impl Store {
    /// Gives every application still waiting its clocks; returns how many. The partial index
    /// of migration 22 makes this a seek on an empty index once done.
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
                 WHERE statutory_clock IS NULL AND id > $1
                   AND state IN ('submitted', 'in_review', 'info_requested', 'appealed', 'approved', 'refunding',
                                 'refund_failed')
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
                let review = a.rebuilt_review_clock(round_start, paused, &calendar);
                // Policies before the statutory period was a rule had the law's 15 days.
                let statutory = StatutoryClock::start(round_start, DEFAULT_DAYS);
                sqlx::query(
                    "UPDATE applications SET review_clock = $1, statutory_clock = $2, paused_days_left = NULL
                     WHERE id = $3 AND statutory_clock IS NULL",
                )
                .bind(review.map(|c| json(&c)).transpose()?)
                .bind(json(&statutory)?)
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
