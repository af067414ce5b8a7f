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

    /// Marks all of `user`'s notifications read; how many were unread.
    pub async fn mark_all_notifications_read(&self, user: &User) -> Result<u64> {
        Ok(self.store.mark_all_read(user.username.as_str(), self.now()).await?)
    }
}
