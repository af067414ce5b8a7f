//! Admin-replaceable settings. Today: the business calendar (Chinese public holidays and
//! make-up working days), stored as the same TOML the shipped default is written in.

use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::calendar::BusinessCalendar;
use sqlx::Row;

const CALENDAR_KEY: &str = "business_calendar";

impl Store {
    /// The calendar admins installed, or the shipped one.
    pub async fn calendar(&self) -> Result<BusinessCalendar, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(CALENDAR_KEY)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => BusinessCalendar::from_toml(&r.try_get::<String, _>("value")?)
                .map_err(StoreError::corrupt),
            None => Ok(BusinessCalendar::china_default()),
        }
    }

    pub async fn set_calendar(
        &self,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(CALENDAR_KEY)
        .bind(calendar.to_toml())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
