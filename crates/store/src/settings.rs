//! Admin-replaceable settings. Today: the business calendar (Chinese public holidays and
//! make-up working days), stored as the same TOML the shipped default is written in.

use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::calendar::BusinessCalendar;
use sqlx::Row;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex};

const CALENDAR_KEY: &str = "business_calendar";

static SHIPPED: LazyLock<Arc<BusinessCalendar>> = LazyLock::new(|| Arc::new(BusinessCalendar::china_default()));

/// How long an instance keeps the calendar before reading the setting again: a calendar
/// replaced through another instance applies here within this time (at once on this one).
const CALENDAR_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The calendar in force and when it was read; the generation counts local replacements, so
/// a read that raced a replacement does not put the old calendar back.
#[derive(Debug, Default)]
pub(crate) struct CalendarCache {
    cached: Mutex<Option<(std::time::Instant, Arc<BusinessCalendar>)>>,
    generation: std::sync::atomic::AtomicU64,
}

impl Store {
    /// The calendar admins installed, or the shipped one.
    pub async fn calendar(&self) -> Result<Arc<BusinessCalendar>, StoreError> {
        let cache = &self.calendar_cache;
        if let Some((at, cal)) = cache.cached.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && at.elapsed() < CALENDAR_TTL
        {
            return Ok(cal.clone());
        }
        let generation = cache.generation.load(Ordering::SeqCst);
        let cal = self.read_calendar().await?;
        let mut cached = cache.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cache.generation.load(Ordering::SeqCst) == generation {
            *cached = Some((std::time::Instant::now(), cal.clone()));
        }
        Ok(cal)
    }

    async fn read_calendar(&self) -> Result<Arc<BusinessCalendar>, StoreError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(CALENDAR_KEY)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(SHIPPED.clone()) };
        let text: String = row.try_get("value")?;
        Ok(Arc::new(BusinessCalendar::from_toml(&text).map_err(StoreError::corrupt)?))
    }

    pub async fn set_calendar(&self, calendar: &BusinessCalendar, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(CALENDAR_KEY)
        .bind(calendar.to_toml())
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        let cache = &self.calendar_cache;
        let mut cached = cache.cached.lock().unwrap_or_else(|e| e.into_inner());
        cache.generation.fetch_add(1, Ordering::SeqCst);
        *cached = None;
        Ok(())
    }
}
