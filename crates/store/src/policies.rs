//! Published policy versions. A version is written once; publishing the same version again
//! with the same content is a no-op, with different content a refusal.

use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::policy::Policy;
use sqlx::{AnyConnection, Row};

impl Store {
    /// Publishes `policy`. Returns `true` if it was new, `false` if exactly this version was
    /// already published; a different text under an existing version number is refused.
    pub async fn publish_policy(
        &self,
        policy: &Policy,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let body = serde_json::to_string(policy).map_err(StoreError::corrupt)?;
        let done = sqlx::query(
            "INSERT INTO policies (version, body, published_at, published_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(i64::from(policy.version))
        .bind(&body)
        .bind(ms(now))
        .bind(by)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        if &self.policy(policy.version).await? == policy {
            Ok(false)
        } else {
            Err(StoreError::Immutable("a published policy version"))
        }
    }

    pub async fn policy(&self, version: u32) -> Result<Policy, StoreError> {
        policy_in(&mut *self.pool.acquire().await?, version).await
    }

    pub async fn policy_versions(&self) -> Result<Vec<u32>, StoreError> {
        let rows = sqlx::query("SELECT version FROM policies ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(u32::try_from(r.try_get::<i64, _>("version")?).unwrap_or(0)))
            .collect()
    }
}

pub(crate) async fn policy_in(
    conn: &mut AnyConnection,
    version: u32,
) -> Result<Policy, StoreError> {
    let row = sqlx::query("SELECT body FROM policies WHERE version = $1")
        .bind(i64::from(version))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(StoreError::corrupt)
}
