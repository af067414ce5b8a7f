//! Buyers as the merchant's system sends them: created or updated idempotently by their id
//! (the account's username), with how to reach them and their language.

use crate::{Store, StoreError, Upserted, ms};
use jiff::Timestamp;
use redress_domain::application::Role;
use redress_domain::buyer::BuyerProfile;
use redress_domain::ids::Username;
use sqlx::Row;

/// What an account the merchant created holds in place of a password hash: no password
/// matches it (it is not a hash), so the account cannot sign in with one.
pub const NO_PASSWORD: &str = "!";

impl Store {
    /// Creates the buyer `id` with `profile`, or brings an existing buyer's profile up to it.
    /// An id that belongs to a staff account is refused ([`StoreError::NotABuyer`]).
    pub async fn upsert_buyer(
        &self,
        id: &Username,
        profile: &BuyerProfile,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query("SELECT role, display_name, email, phone, locale FROM users WHERE username = $1")
            .bind(id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        let outcome = match row {
            None => {
                let done = sqlx::query(
                    "INSERT INTO users (username, display_name, role, password_hash, locale, created_at, email, phone)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (username) DO NOTHING",
                )
                .bind(id.as_str())
                .bind(&profile.display_name)
                .bind(Role::Buyer.as_str())
                .bind(NO_PASSWORD)
                .bind(&profile.language)
                .bind(ms(now))
                .bind(profile.email.as_deref())
                .bind(profile.phone.as_deref())
                .execute(&mut **tx)
                .await?;
                // Created by another request since we looked: the sender retries.
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                Upserted::Created
            }
            Some(row) => {
                if row.try_get::<String, _>("role")? != Role::Buyer.as_str() {
                    return Err(StoreError::NotABuyer);
                }
                let stored = BuyerProfile {
                    display_name: row.try_get("display_name")?,
                    email: row.try_get("email")?,
                    phone: row.try_get("phone")?,
                    language: row.try_get("locale")?,
                };
                if stored == *profile {
                    return Ok(Upserted::Unchanged);
                }
                sqlx::query(
                    "UPDATE users SET display_name = $2, email = $3, phone = $4, locale = $5 WHERE username = $1",
                )
                .bind(id.as_str())
                .bind(&profile.display_name)
                .bind(profile.email.as_deref())
                .bind(profile.phone.as_deref())
                .bind(&profile.language)
                .execute(&mut **tx)
                .await?;
                Upserted::Updated
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// A buyer's profile (not found for an unknown id or a staff account).
    pub async fn buyer_profile(&self, id: &Username) -> Result<BuyerProfile, StoreError> {
        let row = sqlx::query("SELECT display_name, email, phone, locale FROM users WHERE username = $1 AND role = $2")
            .bind(id.as_str())
            .bind(Role::Buyer.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(BuyerProfile {
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            language: row.try_get("locale")?,
        })
    }
}
