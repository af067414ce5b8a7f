//! Redress's use cases. Every write a person, a merchant system, a channel or a timer causes
//! is one function here, called by the API, the pages, the CLI and the workers alike; so are
//! the reads they share. Each loads the facts from the store, asks the domain to decide, and
//! has the store apply the decision atomically; what the decision sets in motion (a payout)
//! is woken here. Time comes from the application's [`Clock`].

mod accounts;
mod applications;
mod audit;
mod backlogs;
mod cases;
mod clock;
mod evidence;
mod merchant;
mod notifications;
mod orders;
mod payouts;
mod replies;
mod review;
mod snapshots;
mod threads;
mod tickets;
mod webhooks;

pub use applications::{ApplicationDetail, ApplicationView};
pub use backlogs::WorkQueue;
pub use cases::{Case, CaseThread};
pub use clock::Clock;
pub use notifications::{MAIL_LEASE, MailOutcome};
pub use orders::OrderSummary;
/// What the adapters see of the store: the records use cases take and give back.
pub use redress_store::{
    AppsOf, AuditReport, BACKLOG_CAP, Backlog, BlobAction, ChainPace, Cursor, DEFAULT_LIMIT, Evidence, EvidenceFile,
    MAX_LIMIT, NewUser, Notification, OutgoingMail, Page, PageRequest, QueueFilter, QueueItem, StoreError,
    TimelineEntry, UNREAD_CAP, Upserted, User,
};
pub use redress_store::{
    Attachments, Carrying, MessageFile, Quota, StoredFile, StoredReply, Thread, TicketFilter, TicketsOf,
};
pub use redress_store::{Endpoint, HookAttempt, MailRecord, OutgoingHook, REPLAY_BATCH, Replayed};
pub use tickets::{SupportSettings, TicketDetail};
pub use webhooks::{HOOK_LEASE, HookAnswer};

use jiff::Timestamp;
use redress_domain::application::{Actor, Application, ApplicationError};
use redress_store::Store;
use std::sync::Arc;

/// What can go wrong in a use case: a rule refused it (nothing was written), or the store
/// could not (not found, a concurrent change, the database).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] ApplicationError),
    #[error(transparent)]
    Ticket(#[from] redress_domain::ticket::TicketError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The evidence store could not keep or give back a file.
    #[error(transparent)]
    Blob(#[from] redress_blobs::BlobError),
}

impl Error {
    pub fn not_found() -> Error {
        Error::Store(StoreError::NotFound)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The application: the store, the evidence store, the clock, and the wake-up of this
/// server's payout worker.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub blobs: redress_blobs::Blobs,
    clock: Clock,
    payouts_due: Arc<tokio::sync::Notify>,
    clock_moved: Arc<tokio::sync::Notify>,
    support: tickets::SupportSettings,
}

impl App {
    pub fn new(store: Store, blobs: redress_blobs::Blobs, clock: Clock) -> App {
        App {
            store,
            blobs,
            clock,
            payouts_due: Default::default(),
            clock_moved: Default::default(),
            support: Default::default(),
        }
    }

    /// The same, promising tickets as `support` says.
    pub fn with_support(self, support: tickets::SupportSettings) -> App {
        App { support, ..self }
    }

    pub fn support(&self) -> tickets::SupportSettings {
        self.support
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Notified when a decision of this server wrote a payout (the worker also looks every
    /// second, for other servers' work).
    pub fn payouts_due(&self) -> Arc<tokio::sync::Notify> {
        self.payouts_due.clone()
    }

    /// Notified when a test fixture's manual clock is moved: jobs whose work comes due with
    /// time alone (closing resolved tickets) look at once instead of at their next tick.
    pub fn clock_moved(&self) -> Arc<tokio::sync::Notify> {
        self.clock_moved.clone()
    }

    fn wrote_payout(&self) {
        self.payouts_due.notify_one();
    }

    /// An application as `viewer` may see it; someone else's is not found, never forbidden,
    /// so numbers cannot be probed.
    pub async fn application_for(
        &self,
        no: &redress_domain::ids::ApplicationRef,
        viewer: &User,
    ) -> Result<Application> {
        let a = self.store.application(no).await?;
        if a.visible_to(&viewer.username, viewer.role) { Ok(a) } else { Err(Error::not_found()) }
    }
}

pub(crate) fn actor(user: &User) -> Actor {
    Actor { name: user.username.to_string(), role: user.role }
}

/// Refuses anyone but the application's own buyer (for buyer-only actions), as not found.
pub(crate) fn own(a: &Application, buyer: &User) -> Result<()> {
    if a.buyer == buyer.username { Ok(()) } else { Err(Error::not_found()) }
}
