//! Saved replies (docs/product.md §6): supervisors (and admins) keep them; everyone on staff
//! answers tickets and threads with them, in the buyer's language.

use crate::{App, Result};
use redress_domain::access::{Permission, may};
use redress_domain::saved_reply::{SavedReply, new_id};
use redress_domain::ticket::TicketError;
use redress_store::{Page, PageRequest, StoredReply, User};

impl App {
    /// A page of the saved replies, by title (staff only).
    pub async fn saved_replies(&self, viewer: &User, page: &PageRequest) -> Result<Page<StoredReply>> {
        staff(viewer)?;
        Ok(self.store.saved_replies(page).await?)
    }

    /// One saved reply (staff only).
    pub async fn saved_reply(&self, viewer: &User, id: &str) -> Result<StoredReply> {
        staff(viewer)?;
        Ok(self.store.saved_reply(id).await?)
    }

    /// Keeps a new saved reply.
    pub async fn save_reply(&self, who: &User, reply: SavedReply) -> Result<StoredReply> {
        manager(who)?;
        let id = new_id(&mut rand::rng());
        self.store.insert_saved_reply(&id, &reply, who.username.as_str(), self.now()).await?;
        Ok(self.store.saved_reply(&id).await?)
    }

    /// Changes saved reply `id`, if it is still at `version` (else a conflict: someone
    /// changed it meanwhile).
    pub async fn change_reply(&self, who: &User, id: &str, version: i64, reply: SavedReply) -> Result<StoredReply> {
        manager(who)?;
        self.store.update_saved_reply(id, version, &reply, who.username.as_str(), self.now()).await?;
        Ok(self.store.saved_reply(id).await?)
    }

    pub async fn delete_reply(&self, who: &User, id: &str) -> Result<()> {
        manager(who)?;
        Ok(self.store.delete_saved_reply(id).await?)
    }
}

fn staff(who: &User) -> Result<()> {
    if may(who.role, Permission::AnswerTickets) { Ok(()) } else { Err(TicketError::StaffOnly.into()) }
}

fn manager(who: &User) -> Result<()> {
    if may(who.role, Permission::ManageSavedReplies) { Ok(()) } else { Err(TicketError::Forbidden.into()) }
}
