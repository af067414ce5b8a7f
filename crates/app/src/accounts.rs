//! Signing in and out, and who a bearer token belongs to: a person's session or a merchant
//! system's API token.

use crate::{App, Result};
use jiff::Timestamp;
use redress_domain::calendar::BusinessCalendar;
use redress_domain::ids::Username;
use redress_store::{NewUser, User};

impl App {
    /// Signs `username` in: a new session token (shown once), the user, and when it expires;
    /// `None` when the name or password is wrong (which of the two is not said).
    pub async fn login(&self, username: &str, password: &str) -> Result<Option<(String, User, Timestamp)>> {
        Ok(self.store.login(username, password, self.now()).await?)
    }

    /// Sets `username`'s password and signs the account out everywhere: how many sessions
    /// ended.
    pub async fn set_password(&self, username: &Username, password: &str) -> Result<u64> {
        Ok(self.store.set_password(username, password).await?)
    }

    /// Ends the session of `token` (nothing happens for an unknown one).
    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self.store.logout(token).await?)
    }

    /// The user a session token belongs to, while it has not expired.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>> {
        Ok(self.store.session_user(token, self.now()).await?)
    }

    /// The name of the merchant system an API token belongs to, unless it was revoked.
    pub async fn merchant(&self, token: &str) -> Result<Option<String>> {
        Ok(self.store.api_token_name(token, self.now()).await?)
    }

    /// Creates an account (an administrator's command).
    pub async fn create_user(&self, user: NewUser<'_>) -> Result<User> {
        Ok(self.store.create_user(user, self.now()).await?)
    }

    /// Whether any account exists (the demo loads only into an empty database).
    pub async fn has_users(&self) -> Result<bool> {
        Ok(self.store.has_users().await?)
    }

    /// Issues a merchant API token under `name`: the token, shown once (only its hash is kept).
    pub async fn create_api_token(&self, name: &str) -> Result<String> {
        Ok(self.store.create_api_token(name, self.now()).await?)
    }

    /// Revokes every token named `name`; returns how many.
    pub async fn revoke_api_token(&self, name: &str) -> Result<u64> {
        Ok(self.store.revoke_api_token(name, self.now()).await?)
    }

    /// Replaces the business calendar review clocks run on.
    pub async fn set_calendar(&self, calendar: &BusinessCalendar) -> Result<()> {
        Ok(self.store.set_calendar(calendar, self.now()).await?)
    }

    /// Removes sessions past their expiry, a batch at a time; returns how many.
    pub async fn expire_sessions(&self) -> Result<usize> {
        Ok(self.store.expire_sessions(self.now()).await?)
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }
}
