//! Decisions: what a use case writes, decided from the facts it read. A [`Decision`] is the
//! application's next row, the timeline events of its steps and the payout it sets in motion
//! (the outbox row); the store applies it in one transaction, guarded by the versions that
//! were read, and knows no rule. Which transitions write a payout, and when staff may not add
//! a second route to money already on one, is decided here and nowhere else.

use super::*;
use crate::calendar::BusinessCalendar;
use crate::entitlement::{Entitlement, Verdict};
use crate::money::RefundAmount;
use crate::notify::Notice;
use crate::order::Channel;
use crate::payout::{PayoutHistory, payout_key};
use crate::policy::Rules;

/// A payout a decision sets in motion: written with the decision, sent by the payout worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayout {
    /// The idempotency key the channel sees.
    pub key: String,
    /// The application's n-th payout.
    pub n: u32,
    pub channel: Channel,
    pub amount: Fen,
}

/// One write: the application goes from `prev_version` to `next`, each step's event is
/// recorded under its number `no` (its sequence number is the version its step produced), and
/// `payout`, if any, is written with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub no: ApplicationNo,
    pub prev_version: i64,
    pub next: Application,
    pub events: Vec<Event>,
    pub payout: Option<NewPayout>,
    /// Who is told of it (`crate::notify`): written with it.
    pub notices: Vec<Notice>,
}

impl Decision {
    /// The decision of `steps` taken one after the other from `before`. An approval writes
    /// the payout of the amount approved, a retry a new payout of it (with the next key) —
    /// refused while a payout has not ended; recording the refund as paid another way is
    /// refused while a payout is on its way.
    pub fn of(
        before: &Application,
        steps: Vec<(Application, Event)>,
        payouts: &PayoutHistory,
    ) -> Result<Decision, ApplicationError> {
        let next = steps.last().map(|(a, _)| a.clone()).unwrap_or_else(|| before.clone());
        let events: Vec<Event> = steps.into_iter().map(|(_, e)| e).collect();
        // Only a draft has no number, and submitting gives it one.
        let no = next
            .no
            .clone()
            .ok_or(ApplicationError::IllegalTransition { from: ApplicationState::Draft, action: "decided" })?;
        let mut payout = None;
        for e in &events {
            let amount = match &e.kind {
                EventKind::Approved { amount, .. } => *amount,
                EventKind::RefundRetried => next.approved.unwrap_or(next.requested),
                EventKind::SettledOutside { .. } if payouts.in_flight() => {
                    return Err(ApplicationError::PayoutInFlight);
                }
                _ => continue,
            };
            if payouts.open() {
                return Err(ApplicationError::PayoutOpen);
            }
            let channel = payouts.channel.ok_or(ApplicationError::NotPaid)?;
            let n = payouts.next_n();
            payout = Some(NewPayout { key: payout_key(&no, n), n, channel, amount });
        }
        let notices = crate::notify::notices(&next, &events, None);
        Ok(Decision { no, prev_version: before.version, next, events, payout, notices })
    }

    /// The decision as caused by a payout's news, the payout now `state`: an abnormal refund
    /// is told as such.
    pub fn on_payout(mut self, state: crate::payout::PayoutState) -> Decision {
        self.notices = crate::notify::notices(&self.next, &self.events, Some(state));
        self
    }

    /// Whether deciding on `event` needs the application's payouts (it moves money).
    pub fn touches_payouts(event: &Event) -> bool {
        matches!(event.kind, EventKind::Approved { .. } | EventKind::RefundRetried | EventKind::SettledOutside { .. })
    }

    /// Whether the payout worker has new work once this is written.
    pub fn creates_payout(&self) -> bool {
        self.payout.is_some()
    }
}

/// A new draft on an order. The order must be open to applications, the form complete, the
/// amount within what may be asked for, and the buyer must not have a draft on the order
/// already (`existing_draft`): they continue that one.
pub fn new_draft(
    id: ApplicationId,
    buyer: Username,
    ent: &Entitlement,
    existing_draft: Option<ApplicationId>,
    order_no: OrderNo,
    input: DraftInput,
    now: Timestamp,
) -> Result<Application, ApplicationError> {
    if let Some(id) = existing_draft {
        return Err(ApplicationError::DraftExists(id));
    }
    if ent.verdict == Verdict::NotEligible {
        return Err(ApplicationError::NotEligible(ent.explanation.clone()));
    }
    input.check()?;
    RefundAmount::new(input.amount, ent.max_refundable).map_err(ApplicationError::Amount)?;
    Application::new_draft(id, order_no, buyer, input, now)
}

/// A draft changed: `ent` is the order's entitlement without this draft.
pub fn edit_draft(draft: &Application, input: DraftInput, ent: &Entitlement) -> Result<Application, ApplicationError> {
    let next = draft.update_draft(input)?;
    RefundAmount::new(next.requested, ent.max_refundable).map_err(ApplicationError::Amount)?;
    Ok(next)
}

/// Submits a draft: the order must still be open to applications and the amount fit its
/// balance; the review clock starts; rule 5 approves it at once when it applies (and its
/// payout is written with it). The application is numbered `no`, dated the day of submission.
#[allow(clippy::too_many_arguments)]
pub fn submit(
    draft: &Application,
    buyer: &Actor,
    ent: &Entitlement,
    rules: &Rules,
    calendar: &BusinessCalendar,
    channel: Option<Channel>,
    no: ApplicationNo,
    now: Timestamp,
) -> Result<Decision, ApplicationError> {
    if draft.state != ApplicationState::Draft {
        return Err(ApplicationError::IllegalTransition { from: draft.state, action: "submitted" });
    }
    if ent.verdict == Verdict::NotEligible {
        return Err(ApplicationError::NotEligible(ent.explanation.clone()));
    }
    RefundAmount::new(draft.requested, ent.max_refundable).map_err(ApplicationError::Amount)?;
    let submitted = draft.submit(no, buyer, now, rules, calendar)?;
    let mut steps = vec![submitted];
    if ent.auto_approves(draft.requested) {
        let rule = ent.clauses.first().cloned().unwrap_or_default();
        let approved = steps[0].0.auto_approve(&rule, now)?;
        steps.push(approved);
    }
    // A draft has no payouts yet.
    Decision::of(draft, steps, &PayoutHistory { channel, states: vec![] })
}

/// The policy's late-review rule on `a` (docs/product.md §3): `None` when the policy does not
/// have it or nothing is left to approve; else the approval of the amount asked for, capped at
/// what `ent` (the order's entitlement without this application) gives, and its payout.
pub fn approve_late(
    a: &Application,
    ent: &Entitlement,
    rules: &Rules,
    payouts: &PayoutHistory,
    now: Timestamp,
) -> Result<Option<Decision>, ApplicationError> {
    if !rules.approve_when_late {
        return Ok(None);
    }
    let amount = a.requested.min(ent.max_refundable);
    if amount <= Fen::ZERO {
        return Ok(None);
    }
    let step = a.approve_late(amount, now)?;
    Decision::of(a, vec![step], payouts).map(Some)
}

/// Appeals a rejection: the amount is held again, so it must still fit the balance `ent`
/// leaves (the order's entitlement without this application).
pub fn appeal(
    rejected: &Application,
    buyer: &Actor,
    text: &str,
    ent: &Entitlement,
    rules: &Rules,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> Result<Decision, ApplicationError> {
    let step = rejected.appeal(buyer, text, now, rules, calendar)?;
    if rejected.requested > ent.balance {
        return Err(ApplicationError::BalanceTaken);
    }
    Decision::of(rejected, vec![step], &PayoutHistory::default())
}
