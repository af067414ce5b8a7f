//! What can go wrong when reading or writing; the web layer maps each to a status and a code.

use redress_domain::application::ApplicationError;
use redress_domain::money::AmountError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Someone else changed the record first (optimistic-concurrency guard).
    #[error("the record was changed by someone else")]
    Conflict,
    /// A write that would change something that never changes once set.
    #[error("{0} cannot be changed once set")]
    Immutable(&'static str),
    #[error("{0} already exists")]
    Exists(&'static str),
    /// A buyer's id that belongs to a staff account.
    #[error("the id belongs to a staff account")]
    NotABuyer,
    #[error("unknown policy version {0}")]
    UnknownPolicy(u32),
    /// The database is saturated (SQLite busy, no pooled connection free).
    #[error("the database is busy")]
    Busy,
    /// A list's `after` cursor that this list did not give out.
    #[error("the page cursor is not one this list gave")]
    BadCursor,
    #[error("the order has not been paid")]
    NotPaid,
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error(transparent)]
    Amount(#[from] AmountError),
    #[error(transparent)]
    Evidence(#[from] redress_domain::evidence::EvidenceError),
    /// A buyer past a limit against abuse; nothing was written.
    #[error(transparent)]
    Limited(#[from] redress_domain::limits::LimitReached),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing failed")]
    Hash,
    #[error("internal error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        let busy = match &e {
            sqlx::Error::PoolTimedOut => true,
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes.
            sqlx::Error::Database(d) => {
                d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
            }
            _ => false,
        };
        if busy { StoreError::Busy } else { StoreError::Database(e) }
    }
}
