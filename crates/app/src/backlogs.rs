//! What the background jobs have waiting (for the operators' readiness report).

use crate::{App, Result};
use redress_store::Backlog;

/// A background job's work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkQueue {
    /// Submissions without their system snapshot.
    Snapshots,
    /// Timeline events and files not yet in the audit chain.
    Audit,
    /// Payouts due to be sent or asked about.
    Payouts,
    /// Sessions past their expiry.
    Sessions,
    /// Resolved tickets due to close.
    Tickets,
    /// Review deadlines passed that the late-review rule has not looked at.
    LateReviews,
    /// Buyers' usage counters of windows that ended.
    Usage,
    /// The sandbox gateway's refunds due to settle or to be called back.
    Sandbox,
    /// Notifications whose e-mail is undecided, and e-mails due.
    Mail,
    /// Merchant notifications without their webhook message, and deliveries due.
    Webhooks,
}

impl App {
    /// How much waits in `queue`, up to [`redress_store::BACKLOG_CAP`], and since when.
    pub async fn backlog(&self, queue: WorkQueue) -> Result<Backlog> {
        let now = self.now();
        let s = &self.store;
        Ok(match queue {
            WorkQueue::Snapshots => s.snapshot_backlog().await?,
            WorkQueue::Audit => s.audit_backlog().await?,
            WorkQueue::Payouts => s.payout_backlog(now).await?,
            WorkQueue::Sessions => s.session_backlog(now).await?,
            WorkQueue::Tickets => s.ticket_backlog(now).await?,
            WorkQueue::LateReviews => s.late_review_backlog(now).await?,
            WorkQueue::Usage => s.usage_backlog(now).await?,
            WorkQueue::Sandbox => s.sandbox_backlog(now).await?,
            WorkQueue::Mail => s.mail_backlog(now).await?,
            WorkQueue::Webhooks => s.webhook_backlog(now).await?,
        })
    }
}
