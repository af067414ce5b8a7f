//! Published policy versions. A version is written once; publishing the same version again
//! with the same content is a no-op, with different content a refusal. Because a version
//! never changes, each is parsed once and cached for the life of the process.

use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::policy::Policy;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub(crate) struct PolicyCache(Mutex<HashMap<u32, Arc<Policy>>>);

impl Store {
    /// Publishes `policy`. Returns `true` if it was new, `false` if exactly this version was
    /// already published; a different text under an existing version number is refused.
    pub async fn publish_policy(&self, policy: &Policy, by: &str, now: Timestamp) -> Result<bool, StoreError> {
        let body = serde_json::to_string(policy).map_err(StoreError::corrupt)?;
        let done = sqlx::query(
            "INSERT INTO policies (version, body, published_at, published_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(i64::from(policy.version))
        .bind(&body)
        .bind(ms(now))
        .bind(by)
        .execute(self.write_pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        if *self.policy(policy.version).await? == *policy { Ok(false) } else { Err(StoreError::Immutable("policy")) }
    }

    pub async fn policy(&self, version: u32) -> Result<Arc<Policy>, StoreError> {
        self.policy_in(&mut *self.pool.acquire().await?, version).await
    }

    /// A published version, read on the caller's connection when not cached.
    pub(crate) async fn policy_in(&self, conn: &mut AnyConnection, version: u32) -> Result<Arc<Policy>, StoreError> {
        if let Some(p) = self.policy_cache.0.lock().unwrap_or_else(|e| e.into_inner()).get(&version) {
            return Ok(p.clone());
        }
        let row = sqlx::query("SELECT body FROM policies WHERE version = $1")
            .bind(i64::from(version))
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let body: String = row.try_get("body")?;
        let policy: Arc<Policy> = Arc::new(serde_json::from_str(&body).map_err(StoreError::corrupt)?);
        self.policy_cache.0.lock().unwrap_or_else(|e| e.into_inner()).insert(version, policy.clone());
        Ok(policy)
    }
}
