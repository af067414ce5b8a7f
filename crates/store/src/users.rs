//! Accounts, bearer sessions and merchant API tokens. Passwords are argon2-hashed; session
//! and API tokens are random and only their SHA-256 is stored, so a database leak reveals no
//! usable credential.

use crate::sql::built;
use crate::{Store, StoreError, ms};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use jiff::{SignedDuration, Timestamp};
use rand::RngExt;
use redress_domain::application::Role;
use redress_domain::ids::Username;
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub locale: String,
}

pub struct NewUser<'a> {
    pub username: Username,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
    pub locale: &'a str,
}

/// How many expired sessions one pass of the expiry job removes.
pub const SESSION_EXPIRY_BATCH: usize = 500;

/// How long a bearer session lives.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(12);

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("{prefix}{}", hex::encode(bytes))
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let name: String = row.try_get("username")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        username: Username::parse(&name).map_err(|_| StoreError::corrupt("username"))?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("role"))?,
        locale: row.try_get("locale")?,
    })
}

impl Store {
    pub async fn create_user(&self, u: NewUser<'_>, now: Timestamp) -> Result<User, StoreError> {
        let hash = hash_password(u.password.to_owned()).await?;
        let done = sqlx::query(
            "INSERT INTO users (username, display_name, role, password_hash, locale, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING",
        )
        .bind(u.username.as_str())
        .bind(u.display_name)
        .bind(u.role.as_str())
        .bind(hash)
        .bind(u.locale)
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Exists("user"));
        }
        Ok(User {
            username: u.username,
            display_name: u.display_name.to_owned(),
            role: u.role,
            locale: u.locale.to_owned(),
        })
    }

    /// Gives `username` a new password (an account the merchant API created has none until
    /// then) and ends every session the account has, in one transaction: how many it ended.
    pub async fn set_password(&self, username: &Username, password: &str) -> Result<u64, StoreError> {
        let hash = hash_password(password.to_owned()).await?;
        let mut tx = self.write().await?;
        let set = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(hash)
            .bind(username.as_str())
            .execute(&mut **tx)
            .await?;
        if set.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = sqlx::query("DELETE FROM sessions WHERE username = $1")
            .bind(username.as_str())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(ended)
    }

    pub async fn user(&self, username: &str) -> Result<User, StoreError> {
        let row = sqlx::query("SELECT username, display_name, role, locale FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    /// Checks a password; on success opens a session and returns its token (shown once).
    /// Unknown users and wrong passwords are indistinguishable to the caller.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<Option<(String, User, Timestamp)>, StoreError> {
        let row =
            sqlx::query("SELECT username, display_name, role, locale, password_hash FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            // Spend the same effort as a real check so timing does not reveal which names exist.
            verify_password(password.to_owned(), DUMMY_HASH.clone()).await;
            return Ok(None);
        };
        let mut stored: String = row.try_get("password_hash")?;
        if stored == crate::NO_PASSWORD {
            // An account without a password: refused after the same effort as any other.
            verify_password(password.to_owned(), DUMMY_HASH.clone()).await;
            return Ok(None);
        }
        if !verify_password(password.to_owned(), std::mem::take(&mut stored)).await {
            return Ok(None);
        }
        let user = user_from_row(&row)?;
        let token = new_token("rds_");
        let expires = now + SESSION_TTL;
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash(&token))
            .bind(user.username.as_str())
            .bind(ms(now))
            .bind(ms(expires))
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(Some((token, user, expires)))
    }

    /// The user behind a live session token.
    pub async fn session_user(&self, token: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.username, u.display_name, u.role, u.locale FROM sessions s
             JOIN users u ON u.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Removes up to [`SESSION_EXPIRY_BATCH`] sessions that expired by `now` (expired ones
    /// are never honoured anyway; this keeps the table to the live ones). How many it removed.
    pub async fn expire_sessions(&self, now: Timestamp) -> Result<usize, StoreError> {
        let done = sqlx::query(built!(
            "DELETE FROM sessions WHERE token_hash IN
               (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT {SESSION_EXPIRY_BATCH})"
        ))
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
    }

    pub async fn logout(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.write_pool())
            .await?;
        Ok(())
    }

    /// Creates a merchant API token and returns it (shown once).
    pub async fn create_api_token(&self, name: &str, now: Timestamp) -> Result<String, StoreError> {
        let token = new_token("rdm_");
        sqlx::query("INSERT INTO api_tokens (token_hash, name, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash(&token))
            .bind(name)
            .bind(ms(now))
            .execute(self.write_pool())
            .await?;
        Ok(token)
    }

    /// The name of the merchant system behind a token that has not been revoked.
    pub async fn api_token_name(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("name")).transpose()?)
    }

    pub async fn revoke_api_token(&self, name: &str, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(name)
            .execute(self.write_pool())
            .await?;
        Ok(done.rows_affected())
    }
}

/// A real argon2 hash of a password nobody has, to equalise login timing for unknown names.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    Argon2::default().hash_password(b"no such user").map(|h| h.to_string()).unwrap_or_default()
});

/// Argon2 is deliberately slow: it runs on the blocking pool, never on the async workers.
pub(crate) async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(|_| StoreError::Hash)?
        .map_err(|_| StoreError::Hash)
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

impl Store {
    /// Whether any account exists (a fresh data dir has none).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 FROM users LIMIT 1").fetch_optional(&self.pool).await?.is_some())
    }
}
