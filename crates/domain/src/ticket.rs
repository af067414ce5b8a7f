//! Support tickets (docs/product.md §6): what a buyer asks, and the conversation that answers
//! it. A ticket is `open` until staff first answer; then it waits on the buyer or on staff,
//! turn by turn; staff resolve it; the buyer may reopen a resolved ticket for a while, after
//! which it closes. Internal notes change nothing a buyer sees. Here: the states, who may do
//! what in each, and when a resolved ticket closes.

use crate::access::{Permission, may};
use crate::application::{Actor, PAUSED_QUEUE_KEY, Role};
use crate::calendar::BusinessCalendar;
use crate::enums::str_enum;
use crate::ids::{ApplicationNo, OrderNo, TicketNo, Username};
use crate::sla::{Clock, ClockState, Hours};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

str_enum!(
    /// Where a ticket stands: `open` (asked, no staff answer yet: the first-response clock
    /// runs), `waiting_on_staff` (the buyer wrote since staff last answered),
    /// `waiting_on_buyer` (staff answered; the buyer's turn: next response and resolution
    /// pause), `resolved` (the buyer may reopen it until it closes), `closed` (kept,
    /// read-only).
    TicketState {
        Open = "open",
        WaitingOnStaff = "waiting_on_staff",
        WaitingOnBuyer = "waiting_on_buyer",
        Resolved = "resolved",
        Closed = "closed",
    }
);

str_enum!(
    /// What a ticket is about (the buyer chooses; targets may differ by category).
    Category {
        RefundProgress = "refund_progress",
        EvidenceQuestion = "evidence_question",
        PayoutNotArrived = "payout_not_arrived",
        TermsQuestion = "terms_question",
        Account = "account",
        Other = "other",
    }
);

/// How long a resolved ticket may be reopened before it closes, unless the settings say
/// otherwise.
pub const DEFAULT_CLOSE_AFTER: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Something done to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    /// The buyer writes (a message, perhaps with files).
    BuyerMessage,
    /// Staff write to the buyer.
    StaffReply,
    /// Staff write for staff only.
    InternalNote,
    /// Staff resolve it.
    Resolve,
    /// The buyer (or staff) reopen a resolved ticket.
    Reopen,
    /// The timer closes a resolved ticket whose reopening time is over.
    Close,
}

/// Why an action is refused (nothing changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("only the buyer who opened the ticket can do this")]
    BuyerOnly,
    #[error("only staff can do this")]
    StaffOnly,
    #[error("the ticket is resolved: reopen it to write again")]
    Resolved,
    #[error("the ticket is closed")]
    Closed,
    #[error("the time to reopen this ticket has passed")]
    ReopenWindowClosed,
    #[error("this cannot be done to the ticket in its state")]
    NotNow,
    #[error("a subject is needed, of at most {SUBJECT_MAX} characters")]
    Subject,
    #[error("a message is needed, of at most {BODY_MAX} characters")]
    Body,
    #[error("this needs a permission the role does not have")]
    Forbidden,
    #[error("the ticket is held by someone else")]
    HeldByOther,
    #[error("a ticket cannot be merged into itself, or into a resolved or closed one")]
    MergeTarget,
    #[error("no colleague who answers tickets has this username")]
    Assignee,
    #[error("a reason is needed, of at most {BODY_MAX} characters")]
    Reason,
}

impl TicketError {
    /// Every kind, for the check that each has a sentence in both languages.
    pub const ALL: &'static [TicketError] = &[
        TicketError::BuyerOnly,
        TicketError::StaffOnly,
        TicketError::Resolved,
        TicketError::Closed,
        TicketError::ReopenWindowClosed,
        TicketError::NotNow,
        TicketError::Subject,
        TicketError::Body,
        TicketError::Forbidden,
        TicketError::HeldByOther,
        TicketError::MergeTarget,
        TicketError::Assignee,
        TicketError::Reason,
    ];

    /// The stable code (`error-<code>` in the translation files).
    pub fn code(self) -> &'static str {
        match self {
            TicketError::BuyerOnly => "ticket-buyer-only",
            TicketError::StaffOnly => "ticket-staff-only",
            TicketError::Resolved => "ticket-resolved",
            TicketError::Closed => "ticket-closed",
            TicketError::ReopenWindowClosed => "ticket-reopen-window-closed",
            TicketError::NotNow => "ticket-not-now",
            TicketError::Subject => "ticket-subject",
            TicketError::Body => "ticket-body",
            TicketError::Forbidden => "ticket-forbidden",
            TicketError::HeldByOther => "ticket-held-by-other",
            TicketError::MergeTarget => "ticket-merge-target",
            TicketError::Assignee => "ticket-assignee",
            TicketError::Reason => "ticket-reason",
        }
    }

    /// The form field it is about, if one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            TicketError::Subject => Some("subject"),
            TicketError::Body => Some("body"),
            TicketError::MergeTarget => Some("into"),
            TicketError::Assignee => Some("assignee"),
            TicketError::Reason => Some("reason"),
            _ => None,
        }
    }
}

/// The longest subject, in characters.
pub const SUBJECT_MAX: usize = 120;
/// The longest message, in characters.
pub const BODY_MAX: usize = 5_000;

str_enum!(
    /// What a thread's entry is: a `message` (the buyer's, or a staff reply: public), a `note`
    /// (staff only, never shown to a buyer) or a `status` (what happened to the ticket).
    MessageKind {
        Message = "message",
        Note = "note",
        Status = "status",
    }
);

/// Who emptied a message, when and why; the tombstone left in its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub by: String,
    pub at: Timestamp,
    pub reason: String,
}

/// One entry of a thread (a ticket's or an application's). Never edited; only redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// From 1, in the order written.
    pub seq: i64,
    pub kind: MessageKind,
    pub author: String,
    pub author_role: Role,
    /// `None` once redacted. For a status, what happened (`resolved`, `reopened`, …).
    pub body: Option<String>,
    pub at: Timestamp,
    pub redaction: Option<Redaction>,
}

impl Message {
    /// Whether the buyer of the thread sees it (internal notes and staff-side statuses never).
    pub fn buyer_sees(&self) -> bool {
        match self.kind {
            MessageKind::Message => true,
            MessageKind::Note => false,
            MessageKind::Status => self.body.as_deref().is_some_and(Status::public_text),
        }
    }
}

str_enum!(
    /// What a status entry says happened.
    Status {
        Resolved = "resolved",
        Reopened = "reopened",
        Closed = "closed",
        Spam = "spam",
        Merged = "merged",
        Assigned = "assigned",
        Released = "released",
    }
);

impl Status {
    /// Whether the buyer is shown it: what happened to their ticket, not who on staff holds it.
    pub fn public(self) -> bool {
        !matches!(self, Status::Assigned | Status::Released)
    }

    /// Whether a status with this text is shown to the buyer.
    fn public_text(text: &str) -> bool {
        let head = text.split(':').next().unwrap_or_default();
        Status::parse(head).is_some_and(Status::public)
    }
}

/// A message's text, checked: trimmed, not empty, at most [`BODY_MAX`] characters.
pub fn body(text: &str) -> Result<String, TicketError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > BODY_MAX { Err(TicketError::Body) } else { Ok(t.to_owned()) }
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub no: TicketNo,
    pub buyer: Username,
    pub category: Category,
    pub subject: String,
    pub state: TicketState,
    /// The order it is about, if the buyer opened it from one.
    pub order_no: Option<OrderNo>,
    /// The application it is about, if any (it then shows on the application too).
    pub application_no: Option<ApplicationNo>,
    /// The staff member holding it.
    pub assignee: Option<Username>,
    pub clocks: TicketClocks,
    pub resolution: Option<Resolution>,
    pub merged_into: Option<TicketNo>,
    pub resolved_at: Option<Timestamp>,
    /// When a resolved ticket closes.
    pub close_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Optimistic-concurrency guard: the store only writes if it is unchanged.
    pub version: i64,
}

/// What opening a ticket needs.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub category: Category,
    pub subject: String,
    pub body: String,
    pub order_no: Option<OrderNo>,
    pub application_no: Option<ApplicationNo>,
}

/// A change to a ticket, decided: the ticket as it will be (written only over
/// `prev_version`), and the entries added to its thread, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketChange {
    pub next: Ticket,
    pub prev_version: i64,
    pub entries: Vec<(MessageKind, String)>,
}

impl Ticket {
    /// A new ticket from `buyer`, numbered `no`, with its first message.
    pub fn open(
        no: TicketNo,
        buyer: Username,
        input: &NewTicket,
        targets: &Targets,
        now: Timestamp,
    ) -> Result<(Ticket, String), TicketError> {
        let subject = input.subject.trim();
        if subject.is_empty() || subject.chars().count() > SUBJECT_MAX {
            return Err(TicketError::Subject);
        }
        let text = body(&input.body)?;
        let t = Ticket {
            no,
            buyer,
            category: input.category,
            subject: subject.to_owned(),
            state: TicketState::Open,
            order_no: input.order_no.clone(),
            application_no: input.application_no.clone(),
            assignee: None,
            clocks: TicketClocks::start(now, targets),
            resolution: None,
            merged_into: None,
            resolved_at: None,
            close_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok((t, text))
    }

    /// Whether `who` may see it: its buyer, and staff.
    pub fn visible_to(&self, who: &Username, role: Role) -> bool {
        role.is_staff() || (role == Role::Buyer && self.buyer == *who)
    }

    /// Where it stands in the desk's queue (ms): its nearest running due time, or, with no
    /// clock running (waiting on the buyer), after every running one; `None` once resolved.
    pub fn queue_key(&self, calendar: &BusinessCalendar) -> Option<i64> {
        if matches!(self.state, TicketState::Resolved | TicketState::Closed) {
            return None;
        }
        Some(match self.clocks.next_due(calendar) {
            Some(due) => due.as_millisecond(),
            None => PAUSED_QUEUE_KEY + self.created_at.as_millisecond(),
        })
    }

    fn changed(&self, now: Timestamp) -> Ticket {
        Ticket { updated_at: now, version: self.version + 1, ..self.clone() }
    }

    /// `who` writes `text` (a staff `note` if `internal`); a staff reply to a ticket no one
    /// holds makes the writer its holder.
    pub fn write(
        &self,
        who: &Actor,
        text: &str,
        internal: bool,
        targets: &Targets,
        close_after: SignedDuration,
        now: Timestamp,
    ) -> Result<TicketChange, TicketError> {
        let text = body(text)?;
        let action = match (who.role.is_staff(), internal) {
            (true, true) => TicketAction::InternalNote,
            (true, false) => TicketAction::StaffReply,
            (false, true) => return Err(TicketError::StaffOnly),
            (false, false) => TicketAction::BuyerMessage,
        };
        if who.role.is_staff() && !may(who.role, Permission::AnswerTickets) {
            return Err(TicketError::Forbidden);
        }
        let mut next = self.step(action, who.role, targets, close_after, now)?;
        let kind = if internal { MessageKind::Note } else { MessageKind::Message };
        let mut entries = vec![(kind, text)];
        if action == TicketAction::StaffReply && next.assignee.is_none() {
            let me = Username::parse(&who.name).map_err(|_| TicketError::Forbidden)?;
            entries.push((MessageKind::Status, format!("{}:{me}", Status::Assigned)));
            next.assignee = Some(me);
        }
        Ok(TicketChange { next, prev_version: self.version, entries })
    }

    /// The state change of `action`, with its clocks.
    fn step(
        &self,
        action: TicketAction,
        role: Role,
        targets: &Targets,
        close_after: SignedDuration,
        now: Timestamp,
    ) -> Result<Ticket, TicketError> {
        let state = next(self.state, action, role, self.resolved_at, now, close_after)?;
        let mut t = self.changed(now);
        t.clocks.on(action, self.state, state, now, targets);
        t.state = state;
        match state {
            TicketState::Resolved if self.state != TicketState::Resolved => {
                t.resolved_at = Some(now);
                t.close_at = Some(now + close_after);
            }
            TicketState::Resolved => {}
            _ => {
                t.resolved_at = None;
                t.close_at = None;
            }
        }
        Ok(t)
    }

    /// Staff resolve it: answered, or put aside as spam (closed at once, clocks stopped).
    pub fn resolve(
        &self,
        who: &Actor,
        as_spam: bool,
        targets: &Targets,
        close_after: SignedDuration,
        now: Timestamp,
    ) -> Result<TicketChange, TicketError> {
        if !may(who.role, Permission::AnswerTickets) {
            return Err(TicketError::StaffOnly);
        }
        self.held_by(who)?;
        let mut next = self.step(TicketAction::Resolve, who.role, targets, close_after, now)?;
        if as_spam {
            next.clocks.stop_all(now);
            next.state = TicketState::Closed;
            next.resolution = Some(Resolution::Spam);
            next.close_at = None;
            return Ok(TicketChange { next, prev_version: self.version, entries: vec![status(Status::Spam)] });
        }
        next.resolution = Some(Resolution::Solved);
        Ok(TicketChange { next, prev_version: self.version, entries: vec![status(Status::Resolved)] })
    }

    /// Whether this ticket may take `dup` merged into it: another ticket of the same buyer,
    /// and this one still open (checked again when the merge is written).
    pub fn takes_merge_of(&self, dup: &Ticket) -> bool {
        self.no != dup.no
            && self.buyer == dup.buyer
            && !matches!(self.state, TicketState::Resolved | TicketState::Closed)
    }

    /// Staff merge it into `into` (a duplicate): closed at once, its clocks stopped, the
    /// thread kept.
    pub fn merge_into(&self, who: &Actor, into: &Ticket, now: Timestamp) -> Result<TicketChange, TicketError> {
        if !may(who.role, Permission::AnswerTickets) {
            return Err(TicketError::StaffOnly);
        }
        self.held_by(who)?;
        if !into.takes_merge_of(self) {
            return Err(TicketError::MergeTarget);
        }
        if matches!(self.state, TicketState::Resolved | TicketState::Closed) {
            return Err(TicketError::NotNow);
        }
        let mut next = self.changed(now);
        next.clocks.stop_all(now);
        next.state = TicketState::Closed;
        next.resolution = Some(Resolution::Merged);
        next.merged_into = Some(into.no.clone());
        let entry = (MessageKind::Status, format!("{}:{}", Status::Merged, into.no));
        Ok(TicketChange { next, prev_version: self.version, entries: vec![entry] })
    }

    /// The buyer (or staff) reopen it while they may.
    pub fn reopen(
        &self,
        who: &Actor,
        targets: &Targets,
        close_after: SignedDuration,
        now: Timestamp,
    ) -> Result<TicketChange, TicketError> {
        let mut next = self.step(TicketAction::Reopen, who.role, targets, close_after, now)?;
        next.resolution = None;
        Ok(TicketChange { next, prev_version: self.version, entries: vec![status(Status::Reopened)] })
    }

    /// The timer closes it, its reopening time over.
    pub fn close(&self, now: Timestamp) -> Result<TicketChange, TicketError> {
        let close_after = self.close_at.zip(self.resolved_at).map(|(c, r)| c - r).unwrap_or(DEFAULT_CLOSE_AFTER);
        let next = self.step(TicketAction::Close, Role::System, &Targets::default(), close_after, now)?;
        Ok(TicketChange { next, prev_version: self.version, entries: vec![status(Status::Closed)] })
    }

    /// Whether `who` may close the conversation (resolve, spam, merge): no one holds it, they
    /// do, or they may reassign.
    fn held_by(&self, who: &Actor) -> Result<(), TicketError> {
        let mine = self.assignee.as_ref().is_none_or(|a| a.as_str() == who.name);
        if mine || may(who.role, Permission::Reassign) { Ok(()) } else { Err(TicketError::HeldByOther) }
    }

    /// `who` gives it to `to` (themselves: a claim; `None`: a release). Anyone who answers
    /// tickets may claim one no one holds and hand over or release their own; taking one
    /// from someone else needs [`Permission::Reassign`].
    pub fn assign(&self, who: &Actor, to: Option<Username>, now: Timestamp) -> Result<TicketChange, TicketError> {
        if !may(who.role, Permission::AnswerTickets) {
            return Err(TicketError::StaffOnly);
        }
        if matches!(self.state, TicketState::Resolved | TicketState::Closed) {
            return Err(TicketError::NotNow);
        }
        let mine = self.assignee.as_ref().is_none_or(|a| a.as_str() == who.name);
        if !mine && !may(who.role, Permission::Reassign) {
            return Err(TicketError::HeldByOther);
        }
        if self.assignee == to {
            return Err(TicketError::NotNow);
        }
        let mut next = self.changed(now);
        let entry = match &to {
            Some(u) => format!("{}:{u}", Status::Assigned),
            None => Status::Released.to_string(),
        };
        next.assignee = to;
        Ok(TicketChange { next, prev_version: self.version, entries: vec![(MessageKind::Status, entry)] })
    }
}

fn status(s: Status) -> (MessageKind, String) {
    (MessageKind::Status, s.to_string())
}

/// The state a ticket in `state` goes to when `role` does `action` at `now`; a resolved
/// ticket was resolved at `resolved_at` and may be reopened for `close_after`.
pub fn next(
    state: TicketState,
    action: TicketAction,
    role: Role,
    resolved_at: Option<Timestamp>,
    now: Timestamp,
    close_after: SignedDuration,
) -> Result<TicketState, TicketError> {
    use TicketAction as A;
    use TicketState as S;
    let staff = role.is_staff();
    match action {
        A::BuyerMessage | A::Reopen if role != Role::Buyer && !(action == A::Reopen && staff) => {
            return Err(TicketError::BuyerOnly);
        }
        A::StaffReply | A::InternalNote | A::Resolve if !staff => return Err(TicketError::StaffOnly),
        A::Close if role != Role::System => return Err(TicketError::NotNow),
        _ => {}
    }
    if state == S::Closed {
        return Err(TicketError::Closed);
    }
    let reopenable = resolved_at.is_some_and(|at| now < at + close_after);
    Ok(match (action, state) {
        (A::InternalNote, s) => s,
        (A::BuyerMessage | A::StaffReply | A::Resolve, S::Resolved) => return Err(TicketError::Resolved),
        // The first answer is still owed: the buyer adding to the question changes nothing.
        (A::BuyerMessage, S::Open) => S::Open,
        (A::BuyerMessage, _) => S::WaitingOnStaff,
        (A::StaffReply, _) => S::WaitingOnBuyer,
        (A::Resolve, _) => S::Resolved,
        (A::Reopen, S::Resolved) if reopenable => S::WaitingOnStaff,
        (A::Reopen, S::Resolved) => return Err(TicketError::ReopenWindowClosed),
        (A::Close, S::Resolved) if !reopenable => S::Closed,
        (A::Reopen | A::Close, _) => return Err(TicketError::NotNow),
    })
}

/// Whether the buyer sees a message of this kind (internal notes never reach a buyer).
pub fn buyer_sees(action: TicketAction) -> bool {
    action != TicketAction::InternalNote
}

str_enum!(
    /// How a resolved ticket was resolved: answered (`solved`), or put aside by staff as
    /// `spam` or `merged` into another ticket — those two close at once and cannot be reopened.
    Resolution {
        Solved = "solved",
        Spam = "spam",
        Merged = "merged",
    }
);

/// A ticket's service-level targets: counting time to the first staff answer, to each later
/// answer, and to resolution, on which hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_response: SignedDuration,
    pub next_response: SignedDuration,
    pub resolution: SignedDuration,
    pub hours: Hours,
}

impl Default for Targets {
    /// The source document's promise: an answer within 24 hours; then 24 hours per answer,
    /// and five days to resolve; every hour counts.
    fn default() -> Targets {
        Targets {
            first_response: SignedDuration::from_hours(24),
            next_response: SignedDuration::from_hours(24),
            resolution: SignedDuration::from_hours(5 * 24),
            hours: Hours::Calendar,
        }
    }
}

/// A ticket's clocks. First response runs from the question to the first staff answer and
/// never pauses; a next-response clock runs from each time the buyer writes again (or
/// reopens) to the staff answer; resolution runs from the question to resolution, paused
/// while the ticket waits on the buyer, and a reopened ticket starts another. Every clock
/// that ran is kept, with its pauses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClocks {
    pub first_response: Clock,
    /// Oldest first; only the last may still run.
    pub next_response: Vec<Clock>,
    /// Oldest first; only the last may still run.
    pub resolution: Vec<Clock>,
}

/// Which of a ticket's promises a clock keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl TicketClocks {
    /// The clocks of a ticket opened at `at` under `targets`.
    pub fn start(at: Timestamp, targets: &Targets) -> TicketClocks {
        TicketClocks {
            first_response: Clock::start(at, targets.first_response, targets.hours),
            next_response: Vec::new(),
            resolution: vec![Clock::start(at, targets.resolution, targets.hours)],
        }
    }

    /// After `action` took the ticket from `before` to `after` at `now`: what stops, pauses,
    /// resumes or starts. New clocks take `targets` (the settings when they start); running
    /// clocks keep the targets they started with.
    pub fn on(
        &mut self,
        action: TicketAction,
        before: TicketState,
        after: TicketState,
        now: Timestamp,
        targets: &Targets,
    ) {
        use TicketState as S;
        let running = |c: &Clock| c.stopped_at.is_none();
        // Answers stop the response clocks (an internal note is no answer).
        if matches!(action, TicketAction::StaffReply | TicketAction::Resolve) {
            if running(&self.first_response) {
                let _stopped = self.first_response.stop(now);
            }
            if let Some(c) = self.next_response.last_mut().filter(|c| running(c)) {
                let _stopped = c.stop(now);
            }
        }
        let resolution = self.resolution.last_mut().filter(|c| running(c));
        match (before, after) {
            (_, S::Resolved | S::Closed) => {
                if let Some(c) = resolution {
                    let _stopped = c.stop(now);
                }
            }
            (S::Resolved, S::WaitingOnStaff) => {
                self.resolution.push(Clock::start(now, targets.resolution, targets.hours));
                self.next_response.push(Clock::start(now, targets.next_response, targets.hours));
            }
            (from, S::WaitingOnBuyer) if from != S::WaitingOnBuyer => {
                if let Some(c) = resolution {
                    let _paused = c.pause(now);
                }
            }
            (S::WaitingOnBuyer, S::WaitingOnStaff) => {
                if let Some(c) = resolution {
                    let _resumed = c.resume(now);
                }
                self.next_response.push(Clock::start(now, targets.next_response, targets.hours));
            }
            _ => {}
        }
    }

    /// Stops every clock that runs (spam, a merge).
    pub fn stop_all(&mut self, now: Timestamp) {
        let clocks = std::iter::once(&mut self.first_response)
            .chain(self.next_response.last_mut())
            .chain(self.resolution.last_mut());
        for c in clocks.filter(|c| c.stopped_at.is_none()) {
            let _stopped = c.stop(now);
        }
    }

    /// The clocks as they stand now: the first response, and the latest next response and
    /// resolution.
    pub fn current(&self) -> Vec<(ClockKind, &Clock)> {
        let mut out = vec![(ClockKind::FirstResponse, &self.first_response)];
        out.extend(self.next_response.last().map(|c| (ClockKind::NextResponse, c)));
        out.extend(self.resolution.last().map(|c| (ClockKind::Resolution, c)));
        out
    }

    /// The nearest due time of a running clock, for the queue (`None`: none runs).
    pub fn next_due(&self, calendar: &BusinessCalendar) -> Option<Timestamp> {
        self.current().into_iter().filter(|(_, c)| c.stopped_at.is_none()).filter_map(|(_, c)| c.due(calendar)).min()
    }

    /// Whether any clock is breached at `now` (running past due, or stopped late).
    pub fn breached(&self, calendar: &BusinessCalendar, now: Timestamp) -> bool {
        self.current().iter().any(|(_, c)| matches!(c.state(calendar, now), ClockState::Breached { .. }))
    }
}

/// How near a deadline counts as near breach: within this share of the target (a quarter),
/// and never less than an hour.
pub fn near_breach(due: Timestamp, target: SignedDuration, now: Timestamp) -> bool {
    let margin = (target / 4).max(SignedDuration::from_hours(1));
    now < due && due - margin <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketAction as A;
    use TicketState as S;

    const T0: Timestamp = Timestamp::UNIX_EPOCH;

    fn go(state: S, action: A, role: Role) -> Result<S, TicketError> {
        next(state, action, role, None, T0, DEFAULT_CLOSE_AFTER)
    }

    #[test]
    fn a_conversation_goes_turn_by_turn_to_resolved() {
        assert_eq!(go(S::Open, A::BuyerMessage, Role::Buyer), Ok(S::Open), "still owed its first answer");
        assert_eq!(go(S::Open, A::InternalNote, Role::Agent), Ok(S::Open), "a note is not an answer");
        assert_eq!(go(S::Open, A::StaffReply, Role::Agent), Ok(S::WaitingOnBuyer));
        assert_eq!(go(S::WaitingOnBuyer, A::BuyerMessage, Role::Buyer), Ok(S::WaitingOnStaff));
        assert_eq!(go(S::WaitingOnStaff, A::BuyerMessage, Role::Buyer), Ok(S::WaitingOnStaff));
        assert_eq!(go(S::WaitingOnStaff, A::StaffReply, Role::Reviewer), Ok(S::WaitingOnBuyer));
        assert_eq!(go(S::WaitingOnBuyer, A::Resolve, Role::Agent), Ok(S::Resolved));
        assert_eq!(go(S::Resolved, A::BuyerMessage, Role::Buyer), Err(TicketError::Resolved));
    }

    #[test]
    fn each_side_does_only_its_own_part() {
        assert_eq!(go(S::Open, A::StaffReply, Role::Buyer), Err(TicketError::StaffOnly));
        assert_eq!(go(S::Open, A::InternalNote, Role::Buyer), Err(TicketError::StaffOnly));
        assert_eq!(go(S::Open, A::Resolve, Role::Buyer), Err(TicketError::StaffOnly));
        assert_eq!(go(S::WaitingOnBuyer, A::BuyerMessage, Role::Agent), Err(TicketError::BuyerOnly));
        assert_eq!(go(S::Resolved, A::Close, Role::Agent), Err(TicketError::NotNow), "only the timer closes");
        assert!(!buyer_sees(A::InternalNote) && buyer_sees(A::StaffReply) && buyer_sees(A::BuyerMessage));
    }

    #[test]
    fn a_resolved_ticket_reopens_for_a_week_then_closes() {
        let week = DEFAULT_CLOSE_AFTER;
        let day = SignedDuration::from_hours(24);
        let at = |now, role, action| next(S::Resolved, action, role, Some(T0), now, week);
        assert_eq!(at(T0 + day, Role::Buyer, A::Reopen), Ok(S::WaitingOnStaff));
        assert_eq!(at(T0 + day, Role::Agent, A::Reopen), Ok(S::WaitingOnStaff), "staff may reopen too");
        assert_eq!(at(T0 + day, Role::System, A::Close), Err(TicketError::NotNow), "not before its time");
        assert_eq!(at(T0 + week, Role::Buyer, A::Reopen), Err(TicketError::ReopenWindowClosed));
        assert_eq!(at(T0 + week, Role::System, A::Close), Ok(S::Closed));
        for action in [A::BuyerMessage, A::Reopen] {
            assert_eq!(next(S::Closed, action, Role::Buyer, Some(T0), T0, week), Err(TicketError::Closed));
        }
        assert_eq!(go(S::Open, A::Reopen, Role::Buyer), Err(TicketError::NotNow));
    }

    fn h(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    /// Walks a ticket through `steps` (hours after T0, action, role), keeping its clocks.
    fn walk(steps: &[(i64, A, Role)]) -> (S, TicketClocks) {
        let targets = Targets::default();
        let mut clocks = TicketClocks::start(T0, &targets);
        let mut state = S::Open;
        let mut resolved_at = None;
        for (at, action, role) in steps {
            let now = T0 + h(*at);
            let after = next(state, *action, *role, resolved_at, now, DEFAULT_CLOSE_AFTER).expect("allowed");
            clocks.on(*action, state, after, now, &targets);
            resolved_at = (after == S::Resolved).then_some(now).or(resolved_at);
            state = after;
        }
        (state, clocks)
    }

    #[test]
    fn the_first_answer_stops_first_response_and_waiting_on_the_buyer_pauses_resolution() {
        let cal = BusinessCalendar::china_default();
        let (state, c) = walk(&[(1, A::InternalNote, Role::Agent), (2, A::StaffReply, Role::Agent)]);
        assert_eq!(state, S::WaitingOnBuyer);
        assert_eq!(c.first_response.stopped_at, Some(T0 + h(2)), "a note did not stop it, the reply did");
        assert_eq!(c.first_response.state(&cal, T0 + h(100)), ClockState::Met { at: T0 + h(2) });
        assert!(c.resolution[0].is_paused());
        assert_eq!(c.next_due(&cal), None, "nothing runs while the buyer is asked");
        // The buyer answers 50 hours later: resolution resumes with 118 hours left, a next
        // response is owed within 24.
        let (state, c) = walk(&[(2, A::StaffReply, Role::Agent), (52, A::BuyerMessage, Role::Buyer)]);
        assert_eq!(state, S::WaitingOnStaff);
        assert_eq!(c.resolution[0].due(&cal), Some(T0 + h(120 + 50)));
        assert_eq!(c.next_response.len(), 1);
        assert_eq!(c.next_due(&cal), Some(T0 + h(52 + 24)));
    }

    #[test]
    fn a_late_first_answer_is_breached_and_a_reopened_ticket_starts_new_clocks() {
        let cal = BusinessCalendar::china_default();
        let (_, c) = walk(&[(30, A::StaffReply, Role::Agent)]);
        assert_eq!(c.first_response.state(&cal, T0 + h(31)), ClockState::Breached { due: T0 + h(24) });
        assert!(c.breached(&cal, T0 + h(31)));
        let (state, c) =
            walk(&[(2, A::StaffReply, Role::Agent), (3, A::Resolve, Role::Agent), (10, A::Reopen, Role::Buyer)]);
        assert_eq!(state, S::WaitingOnStaff);
        assert_eq!(c.resolution.len(), 2, "the first resolution is kept");
        assert_eq!(c.resolution[0].state(&cal, T0 + h(11)), ClockState::Met { at: T0 + h(3) });
        assert_eq!(c.next_due(&cal), Some(T0 + h(10 + 24)));
    }

    #[test]
    fn new_clocks_take_the_targets_of_their_start_running_ones_keep_theirs() {
        let cal = BusinessCalendar::china_default();
        let mut c = TicketClocks::start(T0, &Targets::default());
        let tighter = Targets { next_response: h(2), resolution: h(10), ..Targets::default() };
        c.on(A::StaffReply, S::Open, S::WaitingOnBuyer, T0 + h(1), &tighter);
        c.on(A::BuyerMessage, S::WaitingOnBuyer, S::WaitingOnStaff, T0 + h(5), &tighter);
        assert_eq!(c.resolution[0].target, h(120), "started before the edit");
        assert_eq!(c.next_response[0].due(&cal), Some(T0 + h(7)), "started after it");
        c.stop_all(T0 + h(6));
        assert_eq!(c.next_due(&cal), None);
        assert!(!near_breach(T0 + h(24), h(24), T0 + h(17)) && near_breach(T0 + h(24), h(24), T0 + h(19)));
        assert!(!near_breach(T0 + h(24), h(24), T0 + h(24)), "past due is breached, not near");
    }

    fn ticket() -> Ticket {
        let input = NewTicket {
            category: Category::RefundProgress,
            subject: " Where is my refund? ".into(),
            body: "It has been a week.".into(),
            order_no: None,
            application_no: None,
        };
        let no = TicketNo::parse("TK-20261201-ABCDEF").expect("number");
        let buyer = Username::parse("lin").expect("name");
        Ticket::open(no, buyer, &input, &Targets::default(), T0).expect("opens").0
    }

    fn actor(name: &str, role: Role) -> Actor {
        Actor { name: name.into(), role }
    }

    #[test]
    fn texts_are_checked_and_a_first_reply_claims_the_ticket() {
        let t = ticket();
        assert_eq!(t.subject, "Where is my refund?");
        let bad = NewTicket {
            subject: " ".into(),
            ..NewTicket {
                category: Category::Other,
                subject: String::new(),
                body: "x".into(),
                order_no: None,
                application_no: None,
            }
        };
        assert_eq!(
            Ticket::open(t.no.clone(), t.buyer.clone(), &bad, &Targets::default(), T0).err(),
            Some(TicketError::Subject)
        );
        let close = DEFAULT_CLOSE_AFTER;
        let targets = Targets::default();
        assert_eq!(
            t.write(&actor("lin", Role::Buyer), "  ", false, &targets, close, T0).err(),
            Some(TicketError::Body)
        );
        assert_eq!(
            t.write(&actor("lin", Role::Buyer), &"x".repeat(BODY_MAX + 1), false, &targets, close, T0).err(),
            Some(TicketError::Body)
        );
        assert_eq!(
            t.write(&actor("lin", Role::Buyer), "note", true, &targets, close, T0).err(),
            Some(TicketError::StaffOnly)
        );
        let c =
            t.write(&actor("wang", Role::Agent), "Looking into it", false, &targets, close, T0 + h(1)).expect("reply");
        assert_eq!(c.next.assignee.as_ref().map(Username::as_str), Some("wang"));
        assert_eq!(c.next.version, 2);
        assert_eq!(
            c.entries,
            vec![(MessageKind::Message, "Looking into it".into()), (MessageKind::Status, "assigned:wang".into())]
        );
        let note =
            c.next.write(&actor("zhao", Role::Reviewer), "internal", true, &targets, close, T0 + h(2)).expect("note");
        assert_eq!(note.next.assignee, c.next.assignee, "a note claims nothing");
        let seen = |kind, body: &str| {
            Message {
                seq: 1,
                kind,
                author: "x".into(),
                author_role: Role::Agent,
                body: Some(body.into()),
                at: T0,
                redaction: None,
            }
            .buyer_sees()
        };
        assert!(!seen(MessageKind::Note, "internal") && seen(MessageKind::Message, "hi"));
        assert!(seen(MessageKind::Status, "resolved") && !seen(MessageKind::Status, "assigned:wang"));
    }

    #[test]
    fn claims_releases_and_reassignment() {
        let t = ticket();
        let now = T0 + h(1);
        let wang = actor("wang", Role::Agent);
        let held = t.assign(&wang, Some(Username::parse("wang").expect("name")), now).expect("claims").next;
        let li = actor("li", Role::Agent);
        assert_eq!(
            held.assign(&li, Some(Username::parse("li").expect("name")), now).err(),
            Some(TicketError::HeldByOther)
        );
        assert_eq!(held.assign(&li, None, now).err(), Some(TicketError::HeldByOther));
        let boss = actor("chen", Role::Supervisor);
        let moved = held.assign(&boss, Some(Username::parse("li").expect("name")), now).expect("reassigns").next;
        assert_eq!(moved.assignee.as_ref().map(Username::as_str), Some("li"));
        assert_eq!(
            moved.resolve(&wang, false, &Targets::default(), DEFAULT_CLOSE_AFTER, now).err(),
            Some(TicketError::HeldByOther),
            "only its holder (or a supervisor) resolves it"
        );
        assert_eq!(moved.merge_into(&wang, &t, now).err(), Some(TicketError::HeldByOther));
        assert!(moved.resolve(&boss, true, &Targets::default(), DEFAULT_CLOSE_AFTER, now).is_ok());
        let released = moved.assign(&li, None, now).expect("releases its own");
        assert_eq!(released.entries, vec![(MessageKind::Status, "released".into())]);
        assert_eq!(t.assign(&actor("lin", Role::Buyer), None, now).err(), Some(TicketError::StaffOnly));
    }

    #[test]
    fn spam_and_merges_close_at_once_with_their_clocks_stopped() {
        let cal = BusinessCalendar::china_default();
        let t = ticket();
        let wang = actor("wang", Role::Agent);
        let spam = t.resolve(&wang, true, &Targets::default(), DEFAULT_CLOSE_AFTER, T0 + h(1)).expect("spam").next;
        assert_eq!((spam.state, spam.resolution), (TicketState::Closed, Some(Resolution::Spam)));
        assert_eq!(spam.clocks.next_due(&cal), None);
        assert_eq!(spam.queue_key(&cal), None);
        assert_eq!(
            spam.reopen(&actor("lin", Role::Buyer), &Targets::default(), DEFAULT_CLOSE_AFTER, T0 + h(2)).err(),
            Some(TicketError::Closed)
        );
        let mut other = ticket();
        other.no = TicketNo::parse("TK-20261201-ZZZZZZ").expect("number");
        assert_eq!(t.merge_into(&wang, &t, T0).err(), Some(TicketError::MergeTarget));
        let merged = t.merge_into(&wang, &other, T0 + h(1)).expect("merges").next;
        assert_eq!((merged.state, merged.merged_into.clone()), (TicketState::Closed, Some(other.no.clone())));
        let solved =
            t.resolve(&wang, false, &Targets::default(), DEFAULT_CLOSE_AFTER, T0 + h(1)).expect("resolves").next;
        assert_eq!(solved.close_at, Some(T0 + h(1) + DEFAULT_CLOSE_AFTER));
        assert_eq!(solved.close(T0 + h(2)).err(), Some(TicketError::NotNow));
        assert_eq!(solved.close(T0 + h(1) + DEFAULT_CLOSE_AFTER).expect("closes").next.state, TicketState::Closed);
        assert_eq!(t.queue_key(&cal), Some((T0 + h(24)).as_millisecond()), "first response is nearest");
    }
}
