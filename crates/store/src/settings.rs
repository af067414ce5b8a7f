//! Admin-replaceable settings. Today: the business calendar (Chinese public holidays and
//! make-up working days), stored as the same TOML the shipped default is written in.

use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::calendar::BusinessCalendar;
use sqlx::Row;
use std::sync::{Arc, LazyLock, Mutex};

const CALENDAR_KEY: &str = "business_calendar";

static SHIPPED: LazyLock<Arc<BusinessCalendar>> = LazyLock::new(|| Arc::new(BusinessCalendar::china_default()));

/// The last admin calendar parsed, keyed by its text: every instance re-reads the setting (so
/// a change made through another instance applies at once) but parses it only when it changed.
#[derive(Debug, Default)]
pub(crate) struct CalendarCache(Mutex<Option<(String, Arc<BusinessCalendar>)>>);

impl Store {
    /// The calendar admins installed, or the shipped one.
    pub async fn calendar(&self) -> Result<Arc<BusinessCalendar>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(CALENDAR_KEY)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(SHIPPED.clone()) };
        let text: String = row.try_get("value")?;
        let mut cache = self.calendar_cache.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cached, cal)) = cache.as_ref()
            && *cached == text
        {
            return Ok(cal.clone());
        }
        let cal = Arc::new(BusinessCalendar::from_toml(&text).map_err(StoreError::corrupt)?);
        *cache = Some((text, cal.clone()));
        Ok(cal)
    }

    pub async fn set_calendar(&self, calendar: &BusinessCalendar, now: Timestamp) -> Result<(), StoreError> {
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
