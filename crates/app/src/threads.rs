//! The message thread on every submitted application (docs/product.md §6): buyer and staff
//! talk about it without opening a ticket; staff may write notes the buyer never sees. The
//! same messages as a ticket's thread, named by the application's number.

use crate::{App, Error, Result, own};
use redress_domain::access::{Permission, may};
use redress_domain::ids::ApplicationRef;
use redress_domain::ticket::{MessageKind, TicketError, body};
use redress_store::{Attachments, MessageFile, Page, PageRequest, Thread, User};

impl App {
    /// A page of the application's thread, oldest first, as `viewer` may see it (a draft has
    /// none).
    pub async fn application_thread(&self, no: &ApplicationRef, viewer: &User, page: &PageRequest) -> Result<Thread> {
        let a = self.application_for(no, viewer).await?;
        let Some(number) = &a.no else {
            return Ok(Thread { messages: Page { items: Vec::new(), next: None }, files: Vec::new() });
        };
        let with_notes = may(viewer.role, Permission::SeeInternalNotes);
        Ok(self.store.thread(number.as_str(), with_notes, page).await?)
    }

    /// File `id` of the application's thread, if `viewer` sees its message.
    pub async fn application_message_file(&self, no: &ApplicationRef, id: &str, viewer: &User) -> Result<MessageFile> {
        let a = self.application_for(no, viewer).await?;
        let number = a.no.ok_or_else(Error::not_found)?;
        let with_notes = may(viewer.role, Permission::SeeInternalNotes);
        Ok(self.store.message_file(number.as_str(), id, with_notes).await?)
    }

    /// `who` writes on the application's thread: its buyer a message, staff a reply or (if
    /// `internal`) a note, with `files` on it. Returns the message's number.
    pub async fn write_on_application(
        &self,
        no: &ApplicationRef,
        who: &User,
        (text, internal): (&str, bool),
        files: Option<Attachments>,
    ) -> Result<i64> {
        let a = self.application_for(no, who).await?;
        let staff = who.role.is_staff();
        if !staff {
            own(&a, who)?;
        }
        if internal && !staff {
            return Err(TicketError::StaffOnly.into());
        }
        if staff && !may(who.role, Permission::AnswerTickets) {
            return Err(TicketError::Forbidden.into());
        }
        let text = body(text)?;
        let number = a.no.clone().ok_or_else(Error::not_found)?;
        let kind = if internal { MessageKind::Note } else { MessageKind::Message };
        let at = self.now_ms();
        let author = (who.username.to_string(), who.role);
        let carry = self.carrying(who, files, false, at);
        Ok(self.store.post_to_application(&number, author, (kind, text, carry), at).await?)
    }
}
