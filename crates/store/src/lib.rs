//! Redress's persistence: one code path over SQLite (the embedded default) and PostgreSQL
//! (scale-out), through sqlx's `Any` driver with plain SQL both accept. Every write that
//! matters is one transaction; the domain crate decides, this crate records.

mod applications;
mod audit;
mod backlog;
mod bulk;
mod buyers;
mod credentials;
mod db;
mod error;
mod evidence;
mod ingest;
mod lease;
#[cfg(test)]
mod list_plans;
mod mail;
mod message_files;
mod notifications;
mod orders;
mod page;
mod payouts;
mod policies;
mod sandbox;
mod saved_replies;
mod settings;
pub mod sql;
mod tickets;
mod usage;
mod users;
mod webhooks;

pub use applications::{
    AppsOf, Held, HoldFacts, LateMark, LateReview, OrderFacts, QueueFilter, QueueItem, TimelineEntry,
};
pub use audit::{AuditReport, ChainPace};
pub use backlog::{BACKLOG_CAP, Backlog};
pub use bulk::{Bulk, BulkUser};
pub use buyers::NO_PASSWORD;
pub use credentials::RECHECK as CREDENTIAL_RECHECK;
pub use db::{Backend, POSTGRES_SETTINGS, SQLITE_PRAGMAS, Store};
pub use error::StoreError;
pub use evidence::{BlobAction, Check, Evidence, EvidenceFile};
pub use ingest::Upserted;
pub use mail::{MailRecord, OutgoingMail, Routed};
pub use message_files::{Attachments, Carrying, MessageFile, StoredFile, Thread};
pub use notifications::{Notification, UNREAD_CAP};
pub use orders::BuyerOrder;
pub use page::{Cursor, DEFAULT_LIMIT, KeyPart, MAX_LIMIT, Page, PageRequest};
pub use payouts::{ReportDecision, Reported};
pub use redress_domain::payout::Payout;
pub use sandbox::SandboxRefund;
pub use saved_replies::StoredReply;
pub use tickets::{TicketFilter, TicketsOf};
pub use usage::Quota;
pub use users::{NewUser, SESSION_EXPIRY_BATCH, User};
pub use webhooks::{Endpoint, HookAttempt, OutgoingHook, REPLAY_BATCH, Replayed};

use jiff::Timestamp;

/// `'a', 'b', …`: the states for which `pick` holds, for SQL `IN` lists. Generated from the
/// domain so a query's notion of "open" or "takes balance" cannot drift from the rule's.
pub(crate) fn states_sql(pick: impl Fn(redress_domain::application::ApplicationState) -> bool) -> String {
    quoted(redress_domain::application::ApplicationState::ALL.iter().filter(|s| pick(**s)).map(|s| s.as_str()))
}

/// `'a', 'b', …`: the payout states for which `pick` holds, for SQL `IN` lists (generated
/// from the domain, as [`states_sql`]).
pub(crate) fn payout_states_sql(pick: impl Fn(redress_domain::payout::PayoutState) -> bool) -> String {
    quoted(redress_domain::payout::PayoutState::ALL.iter().filter(|s| pick(**s)).map(|s| s.as_str()))
}

fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}

/// Timestamps are stored as epoch milliseconds (UTC).
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn from_ms(v: i64) -> Timestamp {
    Timestamp::from_millisecond(v).unwrap_or(Timestamp::UNIX_EPOCH)
}
