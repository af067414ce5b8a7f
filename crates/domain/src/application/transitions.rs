//! The transitions of §3: each is a function from the current application to the next one
//! plus the timeline event that records it. Anything else is an [`ApplicationError`] and
//! changes nothing.

use super::*;
use crate::calendar::BusinessCalendar;
use crate::policy::Rules;
use crate::sla::{Clock, Hours, business_days};
use crate::statutory::StatutoryClock;
use jiff::SignedDuration;

/// A transition: the next application and the event that records it.
pub type Step = Result<(Application, Event), ApplicationError>;

/// The states each action starts from.
const WITHDRAWABLE: &[ApplicationState] =
    &[ApplicationState::Draft, ApplicationState::Submitted, ApplicationState::InfoRequested];
const SUPPLEMENTABLE: &[ApplicationState] = &[ApplicationState::InfoRequested];
const APPEALABLE: &[ApplicationState] = &[ApplicationState::Rejected];
const CLAIMABLE: &[ApplicationState] = &[ApplicationState::Submitted, ApplicationState::Appealed];
/// Waiting for a decision with the review clock running (an information request pauses it).
const LATE_APPROVABLE: &[ApplicationState] =
    &[ApplicationState::Submitted, ApplicationState::InReview, ApplicationState::Appealed];

/// The rule an approval for a missed review deadline records ([`Application::approve_late`]).
pub const LATE_REVIEW_RULE: &str = "late_review";

impl Application {
    /// Waiting for staff past its review due time (the clock is paused while information is
    /// requested from the buyer).
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.state.is_open()
            && self.state != ApplicationState::InfoRequested
            && self.review_due_at.is_some_and(|due| due < now)
    }

    /// Whether its buyer is offered the official complaint route (docs/product.md §6): the
    /// statutory period passed before the request was dealt with, the money has not arrived
    /// since, and the buyer has not withdrawn it.
    pub fn complaint_open(&self, calendar: &BusinessCalendar, now: Timestamp) -> bool {
        self.statutory_clock.is_some_and(|c| c.has_passed(calendar, now))
            && !matches!(self.state, ApplicationState::Refunded | ApplicationState::Withdrawn)
    }

    /// Where it stands in the review queue, `None` when it waits for no one on staff (a
    /// draft, or decided): the order reviewers work in, stored so the queue is read in index
    /// order. Running clocks come first, by due time (overdue ones first of all); applications
    /// paused for the buyer come after every running one, oldest submission first.
    pub fn queue_key(&self) -> Option<i64> {
        if !self.state.is_open() {
            return None;
        }
        let submitted = self.submitted_at.unwrap_or(self.created_at);
        Some(match (self.state, self.review_due_at) {
            (ApplicationState::InfoRequested, _) => PAUSED_QUEUE_KEY + submitted.as_millisecond(),
            (_, Some(due)) => due.as_millisecond(),
            (_, None) => submitted.as_millisecond(),
        })
    }
}

/// A review clock started at `now`: the rules' business days, counted from the next day.
fn review_clock(now: Timestamp, rules: &Rules) -> Clock {
    Clock::start(now, business_days(rules.review_business_days), Hours::BusinessDays)
}

/// Added to the queue key of an application paused for the buyer: greater than any time in
/// milliseconds Redress will see (10¹⁵ ms is the year 33658), so paused ones sort last.
pub const PAUSED_QUEUE_KEY: i64 = 1_000_000_000_000_000;

/// What a buyer fills in on the form (docs/product.md §3, step 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftInput {
    pub reason: Reason,
    pub description: String,
    pub amount: Fen,
}

impl DraftInput {
    /// Checks the form on its own; the amount against the balance is checked by the caller
    /// with [`crate::money::RefundAmount`] because only it knows the balance.
    pub fn check(&self) -> Result<(), ApplicationError> {
        check_text("description", &self.description, false)?;
        if self.reason == Reason::Other && self.description.trim().is_empty() {
            return Err(ApplicationError::ExplanationRequired);
        }
        if self.amount <= Fen::ZERO {
            return Err(ApplicationError::Amount(AmountError::NotPositive));
        }
        Ok(())
    }
}

fn check_text(field: &'static str, text: &str, required: bool) -> Result<(), ApplicationError> {
    if required && text.trim().is_empty() {
        Err(ApplicationError::TextRequired(field))
    } else if text.chars().count() > MAX_TEXT_CHARS {
        Err(ApplicationError::TextTooLong(field))
    } else {
        Ok(())
    }
}

impl Application {
    pub fn new_draft(
        id: ApplicationId,
        order_no: OrderNo,
        buyer: Username,
        input: DraftInput,
        now: Timestamp,
    ) -> Result<Application, ApplicationError> {
        input.check()?;
        Ok(Application {
            id,
            no: None,
            order_no,
            buyer,
            state: ApplicationState::Draft,
            reason: input.reason,
            description: input.description,
            requested: input.amount,
            approved: None,
            reject_code: None,
            reject_text: None,
            reviewer: None,
            first_reviewer: None,
            round: Round::First,
            appeals: 0,
            created_at: now,
            submitted_at: None,
            review_due_at: None,
            review_clock: None,
            statutory_clock: None,
            decided_at: None,
            version: 0,
        })
    }

    /// Whether the state lets the buyer withdraw (pages show the action only then; the
    /// transition itself still decides).
    pub fn can_withdraw(&self) -> bool {
        WITHDRAWABLE.contains(&self.state)
    }

    /// Whether the state waits for the buyer's information.
    pub fn can_supplement(&self) -> bool {
        SUPPLEMENTABLE.contains(&self.state)
    }

    /// Whether the state is one an appeal starts from (the policy's limit and window still apply).
    pub fn can_appeal(&self) -> bool {
        APPEALABLE.contains(&self.state)
    }

    /// Who holds the application for review, while it is in review (only they decide it).
    pub fn in_review_by(&self) -> Option<&str> {
        if self.state == ApplicationState::InReview { self.reviewer.as_deref() } else { None }
    }

    /// Whether the state waits for a reviewer to take it (who may is decided by `claim`).
    pub fn can_claim(&self) -> bool {
        CLAIMABLE.contains(&self.state)
    }

    fn require(&self, allowed: &[ApplicationState], action: &'static str) -> Result<(), ApplicationError> {
        if allowed.contains(&self.state) {
            Ok(())
        } else {
            Err(ApplicationError::IllegalTransition { from: self.state, action })
        }
    }

    fn step(
        &self,
        to: ApplicationState,
        actor: &Actor,
        at: Timestamp,
        kind: EventKind,
        change: impl FnOnce(&mut Application),
    ) -> Step {
        let mut next = self.clone();
        change(&mut next);
        next.state = to;
        next.version += 1;
        if !to.is_open()
            && let Some(clock) = next.review_clock.as_mut().filter(|c| c.stopped_at.is_none())
        {
            // Decided or withdrawn: the promise is kept or missed now.
            let _stopped = clock.stop(at);
        }
        if matches!(to, ApplicationState::Rejected | ApplicationState::Refunded | ApplicationState::Withdrawn)
            && let Some(clock) = next.statutory_clock.as_mut()
        {
            // The money arrived, a reasoned rejection was given, or the buyer withdrew.
            clock.stop(at);
        }
        Ok((next, Event { at, actor: actor.clone(), from: self.state, to, kind }))
    }

    /// Only a draft may be deleted: a submitted application is withdrawn, never deleted.
    pub fn check_deletable(&self) -> Result<(), ApplicationError> {
        self.require(&[ApplicationState::Draft], "deleted")
    }

    /// Who may see the application: its buyer; staff once it has been submitted (a draft is
    /// the buyer's own notes).
    pub fn visible_to(&self, name: &Username, role: Role) -> bool {
        &self.buyer == name || (role.is_staff() && self.state != ApplicationState::Draft)
    }

    pub fn update_draft(&self, input: DraftInput) -> Result<Application, ApplicationError> {
        self.require(&[ApplicationState::Draft], "edited")?;
        input.check()?;
        let mut next = self.clone();
        next.reason = input.reason;
        next.description = input.description;
        next.requested = input.amount;
        next.version += 1;
        Ok(next)
    }

    /// Submits a draft whose amount the caller has checked against the balance.
    /// Submits a draft under its number `no` (dated the day of submission).
    pub fn submit(
        &self,
        no: ApplicationNo,
        buyer: &Actor,
        now: Timestamp,
        rules: &Rules,
        calendar: &BusinessCalendar,
    ) -> Step {
        self.require(&[ApplicationState::Draft], "submitted")?;
        let clock = review_clock(now, rules);
        let due = clock.due(calendar);
        let kind = EventKind::Submitted { amount: self.requested, reason: self.reason };
        self.step(ApplicationState::Submitted, buyer, now, kind, |a| {
            a.no = Some(no);
            a.submitted_at = Some(now);
            a.review_due_at = due;
            a.review_clock = Some(clock);
            a.statutory_clock = Some(StatutoryClock::start(now, rules.statutory_days));
        })
    }

    /// The review clock of an open application stored before clocks were kept (schema
    /// version 22), rebuilt from what was kept: when its round began (submission or appeal),
    /// its due time and, while information is requested, when the request was made and the
    /// business days it had left. The due time stays what it was. `None` for one that waits for
    /// no one on staff.
    pub fn rebuilt_review_clock(
        &self,
        round_start: Timestamp,
        paused: Option<(Timestamp, Option<u32>)>,
        calendar: &BusinessCalendar,
    ) -> Option<Clock> {
        if !self.state.is_open() {
            return None;
        }
        let hours = Hours::BusinessDays;
        let due = self.review_due_at?;
        match paused.filter(|_| self.state == ApplicationState::InfoRequested) {
            Some((from, left)) => {
                let from = from.max(round_start);
                let used = hours.between(calendar, round_start, from);
                let left = left.map_or_else(|| hours.between(calendar, from, due), business_days);
                let mut clock = Clock::start(round_start, used + left.max(business_days(1)), hours);
                clock.pause(from).ok()?;
                Some(clock)
            }
            None => Some(Clock::start(round_start, hours.between(calendar, round_start, due), hours)),
        }
    }

    pub fn claim(&self, reviewer: &Actor, now: Timestamp) -> Step {
        if !reviewer.role.reviews() {
            return Err(ApplicationError::NotAReviewer);
        }
        if self.state == ApplicationState::InReview && self.reviewer.as_deref() != Some(&reviewer.name) {
            return Err(ApplicationError::ClaimedByOther);
        }
        self.require(CLAIMABLE, "claimed")?;
        if self.round == Round::Appeal {
            if reviewer.role != Role::SeniorReviewer {
                return Err(ApplicationError::NeedsSeniorReviewer);
            }
            // Neither the first decider nor whoever decided the previous appeal.
            if self.first_reviewer.as_deref() == Some(&reviewer.name)
                || self.reviewer.as_deref() == Some(&reviewer.name)
            {
                return Err(ApplicationError::SameReviewer);
            }
        }
        let name = reviewer.name.clone();
        self.step(ApplicationState::InReview, reviewer, now, EventKind::Claimed, |a| a.reviewer = Some(name))
    }

    /// The holder (or a supervisor) gives an application in review back to the queue.
    pub fn release(&self, who: &Actor, now: Timestamp) -> Step {
        self.require(&[ApplicationState::InReview], "released")?;
        self.require_one_appeal("released")?;
        let holder = self.reviewer.as_deref() == Some(who.name.as_str());
        if !holder && !crate::access::may(who.role, crate::access::Permission::Reassign) {
            return Err(if who.role.reviews() {
                ApplicationError::ClaimedByOther
            } else {
                ApplicationError::NotAReviewer
            });
        }
        let back = if self.round == Round::Appeal { ApplicationState::Appealed } else { ApplicationState::Submitted };
        self.step(back, who, now, EventKind::Released, |a| a.reviewer = None)
    }

    /// A supervisor gives an application in review to reviewer `to` (for an appeal, a level-2
    /// reviewer who did not make the first decision).
    pub fn reassign(&self, who: &Actor, to: &Actor, now: Timestamp) -> Step {
        self.require(&[ApplicationState::InReview], "reassigned")?;
        self.require_one_appeal("reassigned")?;
        if !crate::access::may(who.role, crate::access::Permission::Reassign) {
            return Err(ApplicationError::NotASupervisor);
        }
        if !to.role.reviews() {
            return Err(ApplicationError::NotAReviewer);
        }
        if self.round == Round::Appeal {
            if to.role != Role::SeniorReviewer {
                return Err(ApplicationError::NeedsSeniorReviewer);
            }
            if self.first_reviewer.as_deref() == Some(&to.name) {
                return Err(ApplicationError::SameReviewer);
            }
        }
        let name = to.name.clone();
        let kind = EventKind::Reassigned { to: name.clone() };
        self.step(ApplicationState::InReview, who, now, kind, |a| a.reviewer = Some(name))
    }

    /// A second appeal's claim is neither released nor reassigned: who decided the first
    /// appeal (whom `claim` keeps from deciding the second) is known only until it is claimed,
    /// so a new holder could not be checked against them. A first appeal's only earlier decider
    /// is the first reviewer, who is always checked.
    fn require_one_appeal(&self, action: &'static str) -> Result<(), ApplicationError> {
        if self.round == Round::Appeal && self.appeals > 1 {
            return Err(ApplicationError::IllegalTransition { from: self.state, action });
        }
        Ok(())
    }

    fn require_holder(&self, reviewer: &Actor, action: &'static str) -> Result<(), ApplicationError> {
        if !reviewer.role.reviews() {
            return Err(ApplicationError::NotAReviewer);
        }
        self.require(&[ApplicationState::InReview], action)?;
        if self.reviewer.as_deref() != Some(&reviewer.name) {
            return Err(ApplicationError::ClaimedByOther);
        }
        Ok(())
    }

    /// Pauses the review clock and asks the buyer for more.
    pub fn request_info(&self, reviewer: &Actor, message: &str, now: Timestamp) -> Step {
        self.require_holder(reviewer, "sent an information request")?;
        check_text("message", message, true)?;
        let kind = EventKind::InfoRequested { message: message.trim().to_owned() };
        self.step(ApplicationState::InfoRequested, reviewer, now, kind, |a| {
            if let Some(clock) = a.review_clock.as_mut() {
                let _paused = clock.pause(now);
            }
        })
    }

    /// The buyer answers an information request; the clock resumes with what was left (the
    /// day the request was made is given back, so at least a day).
    pub fn supplement(&self, buyer: &Actor, message: &str, now: Timestamp, calendar: &BusinessCalendar) -> Step {
        self.require(SUPPLEMENTABLE, "supplemented")?;
        check_text("message", message, true)?;
        let mut clock =
            self.review_clock.clone().unwrap_or_else(|| Clock::start(now, business_days(1), Hours::BusinessDays));
        let _resumed = clock.resume(now);
        let due = clock.due(calendar);
        let kind = EventKind::Supplemented { message: message.trim().to_owned() };
        // The reviewer who asked keeps it: the answer goes back to them, not to the queue.
        let back = if self.reviewer.is_some() { ApplicationState::InReview } else { ApplicationState::Submitted };
        self.step(back, buyer, now, kind, |a| {
            a.review_due_at = due;
            a.review_clock = Some(clock);
        })
    }

    /// Approves `amount` (full when it equals what was asked).
    pub fn approve(&self, reviewer: &Actor, amount: Fen, now: Timestamp) -> Step {
        self.require_holder(reviewer, "approved")?;
        self.approve_unchecked(reviewer, amount, now, None)
    }

    /// Rule 5: the system approves an objective entitlement without a human.
    pub fn auto_approve(&self, rule: &str, now: Timestamp) -> Step {
        self.require(&[ApplicationState::Submitted], "approved automatically")?;
        self.approve_unchecked(&Actor::system(), self.requested, now, Some(rule.to_owned()))
    }

    /// The late-review rule: nobody decided by the review deadline, so the system approves
    /// `amount` (what the rules give and the balance allow: the caller's), at most the amount
    /// asked for. Only a running review clock that has run out qualifies.
    pub fn approve_late(&self, amount: Fen, now: Timestamp) -> Step {
        self.require(LATE_APPROVABLE, "approved for a missed review deadline")?;
        if !self.is_overdue(now) {
            return Err(ApplicationError::IllegalTransition {
                from: self.state,
                action: "approved before its deadline",
            });
        }
        let amount = amount.min(self.requested);
        self.approve_unchecked(&Actor::system(), amount, now, Some(LATE_REVIEW_RULE.to_owned()))
    }

    fn approve_unchecked(&self, actor: &Actor, amount: Fen, now: Timestamp, auto_rule: Option<String>) -> Step {
        if amount <= Fen::ZERO {
            return Err(ApplicationError::Amount(AmountError::NotPositive));
        }
        if amount > self.requested {
            return Err(ApplicationError::AboveRequested);
        }
        let partial = amount < self.requested;
        let first_round = self.round == Round::First;
        let name = actor.name.clone();
        self.step(ApplicationState::Approved, actor, now, EventKind::Approved { amount, partial, auto_rule }, |a| {
            a.approved = Some(amount);
            a.decided_at = Some(now);
            if first_round {
                a.first_reviewer = Some(name);
            }
        })
    }

    pub fn reject(&self, reviewer: &Actor, code: RejectCode, text: &str, now: Timestamp) -> Step {
        self.require_holder(reviewer, "rejected")?;
        check_text("text", text, true)?;
        let first_round = self.round == Round::First;
        let name = reviewer.name.clone();
        let text = text.trim().to_owned();
        let kind = EventKind::Rejected { code, text: text.clone() };
        self.step(ApplicationState::Rejected, reviewer, now, kind, |a| {
            a.reject_code = Some(code);
            a.reject_text = Some(text);
            a.decided_at = Some(now);
            if first_round {
                a.first_reviewer = Some(name);
            }
        })
    }

    /// Appeals a rejection. The caller has checked that the order's balance still covers the
    /// amount (an appeal holds it again).
    pub fn appeal(
        &self,
        buyer: &Actor,
        text: &str,
        now: Timestamp,
        rules: &Rules,
        calendar: &BusinessCalendar,
    ) -> Step {
        self.require(APPEALABLE, "appealed")?;
        check_text("text", text, true)?;
        if self.appeals >= rules.appeal_limit {
            return Err(ApplicationError::AppealLimitReached);
        }
        let decided = self.decided_at.unwrap_or(now);
        if now.duration_since(decided) > SignedDuration::from_hours(24 * i64::from(rules.appeal_window_days)) {
            return Err(ApplicationError::AppealWindowClosed);
        }
        let clock = review_clock(now, rules);
        let due = clock.due(calendar);
        let kind = EventKind::Appealed { text: text.trim().to_owned() };
        self.step(ApplicationState::Appealed, buyer, now, kind, |a| {
            a.appeals += 1;
            a.round = Round::Appeal;
            a.review_due_at = due;
            a.review_clock = Some(clock);
            // An appeal starts the statutory period again.
            a.statutory_clock = Some(StatutoryClock::start(now, rules.statutory_days));
            a.decided_at = None;
            a.reject_code = None;
            a.reject_text = None;
        })
    }

    pub fn withdraw(&self, buyer: &Actor, now: Timestamp) -> Step {
        self.require(WITHDRAWABLE, "withdrawn")?;
        self.step(ApplicationState::Withdrawn, buyer, now, EventKind::Withdrawn, |_| {})
    }

    pub fn start_refund(&self, actor: &Actor, now: Timestamp) -> Step {
        self.require(&[ApplicationState::Approved, ApplicationState::RefundFailed], "refunded")?;
        self.step(ApplicationState::Refunding, actor, now, EventKind::RefundStarted, |_| {})
    }

    pub fn refund_succeeded(&self, actor: &Actor, now: Timestamp) -> Step {
        self.require(&[ApplicationState::Refunding], "marked refunded")?;
        self.step(ApplicationState::Refunded, actor, now, EventKind::Refunded, |_| {})
    }

    /// The steps that follow a payout's new state: money on its way (`refunding`), arrived
    /// (`refunded`), or stuck (`refund_failed`, with the channel's reason). None for a payout
    /// not yet sent.
    pub fn follow_payout(
        &self,
        payout: crate::payout::PayoutState,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<(Application, Event)>, ApplicationError> {
        use crate::payout::PayoutState;
        let system = Actor::system();
        let mut steps = Vec::new();
        let mut current = self.clone();
        if matches!(current.state, ApplicationState::Approved | ApplicationState::RefundFailed)
            && payout != PayoutState::Created
        {
            let step = current.start_refund(&system, now)?;
            current = step.0.clone();
            steps.push(step);
        }
        if current.state == ApplicationState::Refunding {
            match payout {
                PayoutState::Succeeded => steps.push(current.refund_succeeded(&system, now)?),
                PayoutState::Abnormal | PayoutState::Closed => steps.push(current.refund_failed(&system, reason, now)?),
                PayoutState::Created | PayoutState::Processing => {}
            }
        }
        Ok(steps)
    }

    /// Staff send a failed refund again: a new payout (written with this event) goes out; the
    /// application stays `refund_failed` until the channel has it.
    pub fn retry_refund(&self, staff: &Actor, now: Timestamp) -> Step {
        if !staff.role.reviews() {
            return Err(ApplicationError::NotAReviewer);
        }
        self.require(&[ApplicationState::RefundFailed], "sent again")?;
        self.step(ApplicationState::RefundFailed, staff, now, EventKind::RefundRetried, |_| {})
    }

    /// Staff record that a failed refund was paid another way, saying how.
    pub fn settle_outside(&self, staff: &Actor, note: &str, now: Timestamp) -> Step {
        if !staff.role.reviews() {
            return Err(ApplicationError::NotAReviewer);
        }
        self.require(&[ApplicationState::RefundFailed], "settled outside the channel")?;
        check_text("note", note, true)?;
        let kind = EventKind::SettledOutside { note: note.trim().to_owned() };
        self.step(ApplicationState::Refunded, staff, now, kind, |_| {})
    }

    pub fn refund_failed(&self, actor: &Actor, reason: &str, now: Timestamp) -> Step {
        self.require(&[ApplicationState::Refunding], "marked failed")?;
        let kind = EventKind::RefundFailed { reason: reason.to_owned() };
        self.step(ApplicationState::RefundFailed, actor, now, kind, |_| {})
    }
}

/// What one application on an order holds or commits of its balance, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: ApplicationId,
    pub state: ApplicationState,
    pub requested: Fen,
    pub approved: Option<Fen>,
}

impl Claim {
    pub fn of(a: &Application) -> Claim {
        Claim { id: a.id.clone(), state: a.state, requested: a.requested, approved: a.approved }
    }
}

/// The sum of what `claims` take out of their order's balance, leaving out application
/// `except` (the one being edited or decided).
pub fn claimed_by(claims: &[Claim], except: Option<&ApplicationId>) -> Fen {
    claims.iter().filter(|c| Some(&c.id) != except).map(|c| c.state.claim(c.requested, c.approved)).sum()
}
