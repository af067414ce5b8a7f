//! A person's notifications (who is told what is the domain's: `redress_domain::notify`;
//! they are written with what caused them). Each is read and marked by its recipient only:
//! another person's notification is not found.

use crate::{App, Result};
use redress_store::{Notification, Page, PageRequest, User};

impl App {
    /// A page of `user`'s notifications, newest first.
    pub async fn notifications(&self, user: &User, page: &PageRequest) -> Result<Page<Notification>> {
        Ok(self.store.notifications_of(user.username.as_str(), page).await?)
    }

    /// How many of `user`'s notifications are unread (counted up to `UNREAD_CAP`).
    pub async fn unread_notifications(&self, user: &User) -> Result<i64> {
        Ok(self.store.unread_count(user.username.as_str()).await?)
    }

    /// Marks `user`'s notification `id` read; gives it back.
    pub async fn mark_notification_read(&self, user: &User, id: &str) -> Result<Notification> {
        Ok(self.store.mark_read(user.username.as_str(), id, self.now()).await?)
    }

    /// Whether `user` takes the e-mails that may be switched off, and their address.
    pub async fn mail_preferences(&self, user: &User) -> Result<(bool, Option<String>)> {
        Ok(self.store.mail_preferences(&user.username).await?)
    }

    /// Switches the e-mails that may be switched off on or off for `user` (decisions and
    /// money are always sent).
    pub async fn set_optional_emails(&self, user: &User, on: bool) -> Result<()> {
        Ok(self.store.set_optional_emails(&user.username, on).await?)
    }

    /// Marks all of `user`'s notifications read; how many were unread.
    pub async fn mark_all_notifications_read(&self, user: &User) -> Result<u64> {
        Ok(self.store.mark_all_read(user.username.as_str(), self.now()).await?)
    }
}

/// How long a mail job holds the e-mails it took; after a crash another takes them over
/// then (sent again under the same `Message-ID`: receivers drop the repeat).
pub const MAIL_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// What became of one e-mail the SMTP server was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Accepted,
    /// A passing failure (a 4xx answer, no connection): tried again later, or recorded as
    /// failed once the retries are spent.
    Later(String),
    /// A lasting one (a 5xx answer, no address): recorded, never tried again.
    Refused(String),
}

impl App {
    /// A page of the e-mails that could not be delivered, latest first (for administrators).
    pub async fn failed_mail(&self, page: &PageRequest) -> Result<Page<redress_store::MailRecord>> {
        Ok(self.store.failed_mail(page).await?)
    }

    /// Decides the e-mail of up to `limit` new notifications (`smtp`: whether e-mail is on).
    pub async fn route_mail(&self, smtp: bool, limit: usize) -> Result<redress_store::Routed> {
        Ok(self.store.route_mail(smtp, self.now(), limit).await?)
    }

    /// Takes up to `limit` e-mails that are due, for [`MAIL_LEASE`].
    pub async fn claim_due_mail(&self, limit: usize) -> Result<Vec<redress_store::OutgoingMail>> {
        Ok(self.store.claim_due_mail(self.now(), MAIL_LEASE, limit).await?)
    }

    /// Records what the SMTP server made of e-mail `m`.
    pub async fn mail_done(&self, m: &redress_store::OutgoingMail, outcome: MailOutcome) -> Result<()> {
        let now = self.now();
        match outcome {
            MailOutcome::Accepted => self.store.mail_sent(&m.id, now).await?,
            MailOutcome::Refused(why) => self.store.mail_failed(&m.id, &why, now).await?,
            MailOutcome::Later(why) => match redress_domain::notify::mail_retry_at(m.attempts, now) {
                Some(at) => self.store.mail_later(&m.id, &why, at, now).await?,
                None => self.store.mail_failed(&m.id, &why, now).await?,
            },
        }
        Ok(())
    }
}
