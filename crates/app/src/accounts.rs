//! Signing in and out, and who a bearer token belongs to: a person's session or a merchant
//! system's API token.

use crate::{App, Result};
use jiff::Timestamp;
use redress_store::User;

impl App {
    /// Signs `username` in: a new session token (shown once), the user, and when it expires;
    /// `None` when the name or password is wrong (which of the two is not said).
    pub async fn login(&self, username: &str, password: &str) -> Result<Option<(String, User, Timestamp)>> {
        Ok(self.store.login(username, password, self.now()).await?)
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
        Ok(self.store.api_token_name(token).await?)
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
