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
    /// Where notification e-mail goes, if anywhere.
    pub email: Option<&'a str>,
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
            "INSERT INTO users (username, display_name, role, password_hash, locale, created_at, email)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING",
        )
        .bind(u.username.as_str())
        .bind(u.display_name)
        .bind(u.role.as_str())
        .bind(hash)
        .bind(u.locale)
        .bind(ms(now))
        .bind(u.email)
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

    /// Whether `username` takes the e-mails that may be switched off, and their address.
    pub async fn mail_preferences(&self, username: &Username) -> Result<(bool, Option<String>), StoreError> {
        let row = sqlx::query("SELECT optional_emails, email FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((row.try_get::<i64, _>("optional_emails")? == 1, row.try_get("email")?))
    }

    /// Sets whether `username` takes the e-mails that may be switched off.
    pub async fn set_optional_emails(&self, username: &Username, on: bool) -> Result<(), StoreError> {
        let name = username.as_str().to_owned();
        self.grouped(move |tx| {
            Box::pin(async move {
                sqlx::query("UPDATE users SET optional_emails = $1 WHERE username = $2")
                    .bind(i64::from(on))
                    .bind(&name)
                    .execute(&mut ***tx)
                    .await?;
                Ok(())
            })
        })
        .await
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
        self.sessions.forget_where(|u| u.username == *username);
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

    /// The user behind a live session token: from memory when it was read in the last
    /// [`crate::CREDENTIAL_RECHECK`] (see `credentials.rs`).
    pub async fn session_user(&self, token: &str, now: Timestamp) -> Result<Option<User>, StoreError> {
        let hash = token_hash(token);
        if let Some(user) = self.sessions.get(&hash, now) {
            return Ok(Some(user));
        }
        let row = sqlx::query(
            "SELECT u.username, u.display_name, u.role, u.locale, s.expires_at FROM sessions s
             JOIN users u ON u.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(&hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let expires = crate::from_ms(row.try_get("expires_at")?);
        self.sessions.put(hash, user.clone(), now, Some(expires));
        Ok(Some(user))
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
        let hash = token_hash(token);
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(self.write_pool()).await?;
        self.sessions.forget(&hash);
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

    /// The name of the merchant system behind a token that has not been revoked: from memory
    /// when it was read in the last [`crate::CREDENTIAL_RECHECK`].
    pub async fn api_token_name(&self, token: &str, now: Timestamp) -> Result<Option<String>, StoreError> {
        let hash = token_hash(token);
        if let Some(name) = self.api_tokens.get(&hash, now) {
            return Ok(Some(name));
        }
        let row = sqlx::query("SELECT name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(&hash)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let name: String = row.try_get("name")?;
        self.api_tokens.put(hash, name.clone(), now, None);
        Ok(Some(name))
    }

    pub async fn revoke_api_token(&self, name: &str, now: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(name)
            .execute(self.write_pool())
            .await?;
        self.api_tokens.forget_where(|n| n == name);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CREDENTIAL_RECHECK;

    /// Two stores on one new database (two instances of a deployment), and a moment to start at.
    async fn two_instances() -> (tempfile::TempDir, Store, Store, Timestamp) {
        let dir = tempfile::tempdir().expect("dir");
        let url = Store::sqlite_url(dir.path());
        let (a, b) = (Store::connect(&url, None).await.expect("a"), Store::connect(&url, None).await.expect("b"));
        a.migrate().await.expect("migrate");
        (dir, a, b, Timestamp::from_second(1_800_000_000).expect("t0"))
    }

    /// Two instances on one database: a session ended on one is refused there at once and on
    /// the other within [`CREDENTIAL_RECHECK`] of the injected clock.
    #[tokio::test]
    async fn ended_sessions_are_refused_at_once_here_and_within_the_recheck_elsewhere() {
        let (_dir, a, b, t0) = two_instances().await;
        let lin = Username::parse("lin").expect("name");
        let user = NewUser {
            username: lin.clone(),
            display_name: "Lin",
            role: Role::Buyer,
            password: "pw-123456",
            locale: "zh-CN",
            email: Some("lin@example.com"),
        };
        a.create_user(user, t0).await.expect("user");
        let login = |s: &Store, password: &'static str| {
            let s = s.clone();
            async move { s.login("lin", password, t0).await.expect("login").expect("signed in").0 }
        };
        let half = t0 + CREDENTIAL_RECHECK / 2;

        // A logout.
        let token = login(&a, "pw-123456").await;
        assert!(b.session_user(&token, t0).await.expect("b").is_some());
        assert!(a.session_user(&token, t0).await.expect("a").is_some());
        a.logout(&token).await.expect("logout");
        assert_eq!(a.session_user(&token, t0).await.expect("a"), None, "refused at once where it ended");
        assert!(b.session_user(&token, half).await.expect("b").is_some(), "b read it less than a second ago");
        assert_eq!(b.session_user(&token, t0 + CREDENTIAL_RECHECK).await.expect("b"), None);

        // A new password ends every session of the account.
        let (one, two) = (login(&a, "pw-123456").await, login(&a, "pw-123456").await);
        for t in [&one, &two] {
            assert!(a.session_user(t, t0).await.expect("a").is_some());
            assert!(b.session_user(t, t0).await.expect("b").is_some());
        }
        a.set_password(&lin, "pw-654321").await.expect("set password");
        for t in [&one, &two] {
            assert_eq!(a.session_user(t, t0).await.expect("a"), None);
            assert_eq!(b.session_user(t, t0 + CREDENTIAL_RECHECK).await.expect("b"), None);
        }

        // A session past its expiry is refused though it was read a moment ago.
        let token = login(&b, "pw-654321").await;
        let end = t0 + SESSION_TTL;
        assert!(b.session_user(&token, end - CREDENTIAL_RECHECK / 4).await.expect("b").is_some());
        assert_eq!(b.session_user(&token, end).await.expect("b"), None);
    }

    #[tokio::test]
    async fn revoked_api_tokens_are_refused_at_once_here_and_within_the_recheck_elsewhere() {
        let (_dir, a, b, t0) = two_instances().await;
        let token = a.create_api_token("shop", t0).await.expect("token");
        assert_eq!(a.api_token_name(&token, t0).await.expect("a").as_deref(), Some("shop"));
        assert_eq!(b.api_token_name(&token, t0).await.expect("b").as_deref(), Some("shop"));
        assert_eq!(a.revoke_api_token("shop", t0).await.expect("revoke"), 1);
        assert_eq!(a.api_token_name(&token, t0).await.expect("a"), None);
        assert_eq!(b.api_token_name(&token, t0 + CREDENTIAL_RECHECK).await.expect("b"), None);
    }
}
