//! Support tickets (docs/product.md §6): a buyer opens one (on their own order or application,
//! or about anything), buyer and staff write turn by turn, staff resolve it, the buyer may
//! reopen it, and the timer closes it. Each change is decided by the domain on the ticket as
//! read and written guarded by its version (a concurrent change loses with `conflict`).

use crate::{App, Error, Result, actor, own};
use jiff::Timestamp;
use redress_domain::access::{Permission, may};
use redress_domain::application::Role;
use redress_domain::calendar::shanghai_date;
use redress_domain::ids::{TicketNo, Username};
use redress_domain::limits::AbuseLimits;
use redress_domain::service_levels::{Published, ServiceLevels};
use redress_domain::ticket::{Message, NewTicket, Ticket, TicketChange, TicketError};
use redress_store::{
    Attachments, Carrying, MessageFile, Page, PageRequest, Quota, StoreError, TicketFilter, TicketsOf, User,
};

/// What support allows a buyer (the service levels it promises are published versions, in
/// the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SupportSettings {
    /// What a buyer may open and write.
    pub limits: AbuseLimits,
}

/// A ticket with a page of its thread, as `viewer` may see it.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub thread: Page<Message>,
    /// The files of the page's messages.
    pub files: Vec<MessageFile>,
    /// Whether the thread includes staff's notes.
    pub with_notes: bool,
}

/// How often a new ticket's random number is drawn again when taken.
const NUMBER_ATTEMPTS: usize = 8;

impl App {
    /// Opens a ticket for `buyer`, on their own order or application if one is named (anyone
    /// else's is not found), with `files` on its first message.
    pub async fn open_ticket(&self, buyer: &User, mut input: NewTicket, files: Option<Attachments>) -> Result<Ticket> {
        if buyer.role != Role::Buyer {
            return Err(TicketError::BuyerOnly.into());
        }
        if let Some(no) = &input.application_no {
            let a = self.application_for(&no.clone().into(), buyer).await?;
            own(&a, buyer)?;
            input.order_no = Some(a.order_no.clone());
        } else if let Some(no) = &input.order_no {
            let order = self.store.order(no).await?;
            if order.buyer != buyer.username {
                return Err(Error::not_found());
            }
        }
        let calendar = self.store.calendar().await?;
        let levels = self.store.service_levels().await?;
        let mut files = files;
        for _ in 0..NUMBER_ATTEMPTS {
            let now = self.now_ms();
            let no = TicketNo::generate(shanghai_date(now), &mut rand::rng());
            let targets = levels.1.targets(input.category);
            let (t, first) = Ticket::open(no, buyer.username.clone(), &input, &targets, now)?;
            // The number is checked before anything is written: a taken one is drawn again
            // with the files still in hand.
            if self.store.ticket_exists(&t.no).await? {
                continue;
            }
            let carry = self.carrying(buyer, files.take(), true, now);
            return match self.store.insert_ticket(t.clone(), first, t.queue_key(&calendar), carry).await {
                Ok(()) => Ok(t),
                Err(e) => Err(e.into()),
            };
        }
        Err(StoreError::Exists("ticket_no").into())
    }

    /// A ticket `viewer` may see; anyone else's is not found.
    pub async fn ticket_for(&self, no: &TicketNo, viewer: &User) -> Result<Ticket> {
        let t = self.store.ticket(no).await?;
        if t.visible_to(&viewer.username, viewer.role) { Ok(t) } else { Err(Error::not_found()) }
    }

    /// A ticket and a page of its thread; staff's notes only for those who may see them.
    pub async fn ticket_detail(&self, no: &TicketNo, viewer: &User, page: &PageRequest) -> Result<TicketDetail> {
        let ticket = self.ticket_for(no, viewer).await?;
        let with_notes = may(viewer.role, Permission::SeeInternalNotes);
        let thread = self.store.thread(ticket.no.as_str(), with_notes, page).await?;
        Ok(TicketDetail { ticket, thread: thread.messages, files: thread.files, with_notes })
    }

    /// File `id` of ticket `no`'s thread, if `viewer` sees its message.
    pub async fn ticket_file(&self, no: &TicketNo, id: &str, viewer: &User) -> Result<MessageFile> {
        let t = self.ticket_for(no, viewer).await?;
        let with_notes = may(viewer.role, Permission::SeeInternalNotes);
        Ok(self.store.message_file(t.no.as_str(), id, with_notes).await?)
    }

    /// `who` writes on a ticket: the buyer a message, staff a reply or (`internal`) a note,
    /// with `files` on it.
    pub async fn write_ticket(
        &self,
        no: &TicketNo,
        who: &User,
        (text, internal): (&str, bool),
        files: Option<Attachments>,
    ) -> Result<Ticket> {
        let l = self.store.service_levels().await?;
        let l = &l.1;
        let decide = |t: &Ticket, now| t.write(&actor(who), text, internal, &l.targets(t.category), l.close_after, now);
        self.change_ticket_with(no, who, decide, Some(files)).await
    }

    /// What `who` writing a message (opening a ticket, if `opening`) with `files` carries:
    /// the files, and a buyer's use counted against the limits.
    pub(crate) fn carrying(&self, who: &User, files: Option<Attachments>, opening: bool, now: Timestamp) -> Carrying {
        let quota = (who.role == Role::Buyer).then(|| {
            let bytes = files.as_ref().map_or(0, |f| f.files.iter().map(|f| f.size).sum());
            let l = self.support().limits;
            Quota {
                subject: who.username.to_string(),
                uses: if opening { l.opening(bytes, now) } else { l.writing(bytes, now) },
                open_tickets: opening.then_some(l),
                now,
            }
        });
        Carrying { files, quota }
    }

    /// Staff resolve a ticket: answered, or (`spam`) put aside and closed.
    pub async fn resolve_ticket(&self, no: &TicketNo, who: &User, spam: bool) -> Result<Ticket> {
        let l = self.store.service_levels().await?;
        let l = &l.1;
        self.change_ticket(no, who, |t, now| t.resolve(&actor(who), spam, &l.targets(t.category), l.close_after, now))
            .await
    }

    /// The buyer (or staff) reopen a resolved ticket while they may.
    pub async fn reopen_ticket(&self, no: &TicketNo, who: &User) -> Result<Ticket> {
        let l = self.store.service_levels().await?;
        let l = &l.1;
        self.change_ticket(no, who, |t, now| t.reopen(&actor(who), &l.targets(t.category), l.close_after, now)).await
    }

    /// Staff merge a duplicate ticket into another open ticket of the same buyer.
    pub async fn merge_ticket(&self, no: &TicketNo, who: &User, into: &TicketNo) -> Result<Ticket> {
        let target = self.ticket_for(into, who).await.map_err(|_| Error::Ticket(TicketError::MergeTarget))?;
        self.change_ticket(no, who, |t, now| t.merge_into(&actor(who), &target, now)).await
    }

    /// Staff claim a ticket (`to` themselves), hand it to a colleague who answers tickets, or
    /// release it (`None`).
    pub async fn assign_ticket(&self, no: &TicketNo, who: &User, to: Option<&Username>) -> Result<Ticket> {
        if let Some(to) = to.filter(|to| **to != who.username) {
            let colleague = match self.store.user(to.as_str()).await {
                Ok(u) => u,
                Err(StoreError::NotFound) => return Err(TicketError::Assignee.into()),
                Err(e) => return Err(e.into()),
            };
            if !may(colleague.role, Permission::AnswerTickets) {
                return Err(TicketError::Assignee.into());
            }
        }
        let to = to.cloned();
        self.change_ticket(no, who, move |t, now| t.assign(&actor(who), to, now)).await
    }

    /// Closes resolved tickets whose time to reopen is over (at most `limit`); how many.
    pub async fn close_resolved_tickets(&self, limit: i64) -> Result<usize> {
        let now = self.now_ms();
        let due = self.store.tickets_to_close(now, limit).await?;
        let mut closed = 0;
        for t in due {
            // A row the rule will not close (never written so by Redress) holds up no other.
            let Ok(change) = t.close(now) else { continue };
            let system = ("system".into(), Role::System);
            match self.store.save_ticket(change, system, (None, Carrying::default()), Vec::new()).await {
                Ok(_) => closed += 1,
                // Reopened (or closed by another server) meanwhile.
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(closed)
    }

    /// A page of the tickets `of` a buyer, an order or an application, newest first: a buyer
    /// sees only their own.
    pub async fn tickets(&self, of: TicketsOf<'_>, viewer: &User, page: &PageRequest) -> Result<Page<Ticket>> {
        if !viewer.role.is_staff() {
            let mine = match of {
                TicketsOf::Buyer(b) => *b == viewer.username,
                TicketsOf::Order(no) => self.store.order(no).await?.buyer == viewer.username,
                TicketsOf::Application(no) => {
                    self.application_for(&no.clone().into(), viewer).await?.buyer == viewer.username
                }
            };
            if !mine {
                return Err(Error::not_found());
            }
        }
        Ok(self.store.tickets_of(of, page).await?)
    }

    /// The buyer's tickets waiting on their answer, the latest first (at most `limit`).
    pub async fn tickets_awaiting(&self, buyer: &User, limit: u32) -> Result<Vec<Ticket>> {
        Ok(self.store.tickets_awaiting(&buyer.username, limit).await?)
    }

    /// A page of the desk's queue, nearest due time first, with each ticket's queue key.
    pub async fn ticket_queue(
        &self,
        viewer: &User,
        f: &TicketFilter,
        page: &PageRequest,
    ) -> Result<Page<(Ticket, i64)>> {
        if !may(viewer.role, Permission::AnswerTickets) {
            return Err(Error::not_found());
        }
        Ok(self.store.ticket_queue(f, page).await?)
    }

    /// An admin empties message `seq` of ticket `no`'s thread, saying why.
    pub async fn redact_ticket_message(&self, no: &TicketNo, seq: i64, admin: &User, reason: &str) -> Result<()> {
        if !may(admin.role, Permission::Redact) {
            return Err(TicketError::Forbidden.into());
        }
        let reason = redress_domain::ticket::body(reason).map_err(|_| TicketError::Reason)?;
        let t = self.ticket_for(no, admin).await?;
        Ok(self.store.redact_message(t.no.as_str(), seq, admin.username.as_str(), &reason, self.now()).await?)
    }

    /// The service levels in force, with their version (0: the shipped ones).
    pub async fn service_levels(&self) -> Result<std::sync::Arc<(u32, ServiceLevels)>> {
        Ok(self.store.service_levels().await?)
    }

    /// Publishes `levels` as the next version, by `by` saying why (`note`): tickets' clocks
    /// started from now on keep them; running clocks keep their targets. `None`: they are
    /// what is in force already.
    pub async fn publish_service_levels(&self, levels: &ServiceLevels, by: &str, note: &str) -> Result<Option<u32>> {
        Ok(self.store.publish_service_levels(levels, (by, note), self.now()).await?)
    }

    /// The published versions of the service levels, the latest first.
    pub async fn service_level_history(&self, limit: i64) -> Result<Vec<Published>> {
        Ok(self.store.service_level_history(limit).await?)
    }

    /// Now, to the millisecond the store keeps: a ticket's times and its clocks' agree.
    pub(crate) fn now_ms(&self) -> Timestamp {
        let now = self.now();
        Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
    }

    /// One change: decided on the ticket as read, written over its version.
    async fn change_ticket(
        &self,
        no: &TicketNo,
        who: &User,
        decide: impl FnOnce(&Ticket, Timestamp) -> Result<TicketChange, TicketError>,
    ) -> Result<Ticket> {
        self.change_ticket_with(no, who, decide, None).await
    }

    /// One change; `message`: it writes a message, carrying these files.
    async fn change_ticket_with(
        &self,
        no: &TicketNo,
        who: &User,
        decide: impl FnOnce(&Ticket, Timestamp) -> Result<TicketChange, TicketError>,
        message: Option<Option<Attachments>>,
    ) -> Result<Ticket> {
        let calendar = self.store.calendar().await?;
        let t = self.ticket_for(no, who).await?;
        let now = self.now_ms();
        let change = decide(&t, now)?;
        let key = change.next.queue_key(&calendar);
        let notices = redress_domain::notify::ticket_notices(&change.next, &change.entries, &actor(who), now);
        let carry = match message {
            Some(files) => self.carrying(who, files, false, now),
            None => Carrying::default(),
        };
        Ok(self.store.save_ticket(change, (who.username.to_string(), who.role), (key, carry), notices).await?)
    }
}
