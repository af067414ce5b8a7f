//! Admin-replaceable settings: the business calendar (Chinese public holidays and make-up
//! working days), stored as the same TOML the shipped default is written in; and the service
//! levels of support, kept as numbered versions (who published each, when and why), the last
//! in force. Each instance keeps what it read for a short while.

use crate::{Store, StoreError, audit, from_ms, ms};
use jiff::Timestamp;
use redress_domain::calendar::BusinessCalendar;
use redress_domain::service_levels::{Published, ServiceLevels};
use sqlx::Row;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

const CALENDAR_KEY: &str = "business_calendar";

static SHIPPED: LazyLock<Arc<BusinessCalendar>> = LazyLock::new(|| Arc::new(BusinessCalendar::china_default()));
static SHIPPED_LEVELS: LazyLock<Arc<(u32, ServiceLevels)>> = LazyLock::new(|| Arc::new((0, ServiceLevels::shipped())));

/// How long an instance keeps a setting before reading it again: one replaced through
/// another instance applies here within this time (at once on this one).
const TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// A setting in force and when it was read; the generation counts local replacements, so a
/// read that raced a replacement does not put the old value back.
#[derive(Debug)]
pub(crate) struct Cache<T> {
    cached: Mutex<Option<(std::time::Instant, Arc<T>)>>,
    generation: AtomicU64,
}

impl<T> Default for Cache<T> {
    fn default() -> Cache<T> {
        Cache { cached: Mutex::new(None), generation: AtomicU64::new(0) }
    }
}

impl<T> Cache<T> {
    /// The cached value, or `read`'s (kept unless replaced meanwhile).
    async fn get<F>(&self, read: F) -> Result<Arc<T>, StoreError>
    where
        F: std::future::Future<Output = Result<Arc<T>, StoreError>>,
    {
        if let Some((at, v)) = self.cached.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && at.elapsed() < TTL
        {
            return Ok(v.clone());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let v = read.await?;
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            *cached = Some((std::time::Instant::now(), v.clone()));
        }
        Ok(v)
    }

    /// Forgets the cached value (it was replaced here).
    fn forget(&self) {
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        *cached = None;
    }
}

/// What an instance keeps of the settings.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    calendar: Cache<BusinessCalendar>,
    levels: Cache<(u32, ServiceLevels)>,
}

fn published_of(r: &sqlx::any::AnyRow) -> Result<Published, StoreError> {
    let body: String = r.try_get("body")?;
    Ok(Published {
        version: u32::try_from(r.try_get::<i64, _>("version")?).map_err(StoreError::corrupt)?,
        levels: ServiceLevels::from_toml(&body).map_err(StoreError::corrupt)?,
        published_by: r.try_get("published_by")?,
        note: r.try_get("note")?,
        published_at: from_ms(r.try_get("published_at")?),
    })
}

impl Store {
    /// The calendar admins installed, or the shipped one.
    pub async fn calendar(&self) -> Result<Arc<BusinessCalendar>, StoreError> {
        self.settings_cache.calendar.get(self.read_calendar()).await
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
        self.settings_cache.calendar.forget();
        Ok(())
    }

    /// The service levels in force and their version (0: the shipped ones, none published).
    pub async fn service_levels(&self) -> Result<Arc<(u32, ServiceLevels)>, StoreError> {
        self.settings_cache.levels.get(self.read_levels()).await
    }

    async fn read_levels(&self) -> Result<Arc<(u32, ServiceLevels)>, StoreError> {
        let row = sqlx::query(
            "SELECT version, body, published_by, note, published_at FROM service_levels
             ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(SHIPPED_LEVELS.clone()),
            Some(r) => {
                let p = published_of(&r)?;
                Ok(Arc::new((p.version, p.levels)))
            }
        }
    }

    /// Publishes `levels` as the next version, by `by` saying `note`; `None` when they are
    /// what is in force already (nothing is written).
    pub async fn publish_service_levels(
        &self,
        levels: &ServiceLevels,
        (by, note): (&str, &str),
        now: Timestamp,
    ) -> Result<Option<u32>, StoreError> {
        let (body, by, note) = (levels.to_toml(), by.to_owned(), note.to_owned());
        let backend = self.backend();
        let current = self.read_levels().await?;
        if current.1 == *levels {
            return Ok(None);
        }
        let version = self
            .grouped(move |tx| {
                Box::pin(async move {
                    let last: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM service_levels")
                        .fetch_one(&mut ***tx)
                        .await?
                        .try_get("v")?;
                    let version = last.unwrap_or(0) + 1;
                    let done = sqlx::query(
                        "INSERT INTO service_levels (version, body, published_by, note, published_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(version)
                    .bind(&body)
                    .bind(&by)
                    .bind(&note)
                    .bind(ms(now))
                    .execute(&mut ***tx)
                    .await;
                    match done {
                        Ok(_) => {}
                        // Another instance published that number first.
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => return Err(StoreError::Conflict),
                        Err(e) => return Err(e.into()),
                    }
                    // Chained with its publication: the chain proves who set which promises when.
                    let record = audit::service_levels_record(version, &body, &by, &note, ms(now));
                    let key = (audit::SERVICE_LEVELS_KIND, audit::SERVICE_LEVELS_SUBJECT, version);
                    audit::chain_in(backend, tx, key, &record, now).await?;
                    Ok(version)
                })
            })
            .await?;
        self.settings_cache.levels.forget();
        Ok(Some(u32::try_from(version).map_err(StoreError::corrupt)?))
    }

    /// The published versions, the latest first (at most `limit`).
    pub async fn service_level_history(&self, limit: i64) -> Result<Vec<Published>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, body, published_by, note, published_at FROM service_levels
             ORDER BY version DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(published_of).collect()
    }
}
