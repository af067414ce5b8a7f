//! The refund application and its state machine (docs/product.md §3). Every transition is a
//! function from the current application to the next one plus the timeline event that records
//! it; the store writes both in one transaction guarded by `version`. Anything else is an
//! [`ApplicationError`] and changes nothing.
//!
//! ```text
//! draft → submitted → in_review → (info_requested → submitted) → approved | rejected
//! rejected → appealed → in_review        approved → refunding → refunded | refund_failed
//! draft | submitted | info_requested → withdrawn      submitted → approved (rule 5, auto)
//! ```

use crate::enums::str_enum;
use crate::ids::{ApplicationId, ApplicationNo, ApplicationRef, OrderNo, Username};
use crate::money::{AmountError, Fen};
use crate::sla::Clock;
use crate::statutory::StatutoryClock;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

str_enum!(
    ApplicationState {
        Draft = "draft",
        Submitted = "submitted",
        InReview = "in_review",
        InfoRequested = "info_requested",
        Approved = "approved",
        Rejected = "rejected",
        Appealed = "appealed",
        Withdrawn = "withdrawn",
        Refunding = "refunding",
        Refunded = "refunded",
        RefundFailed = "refund_failed",
    }
);

str_enum!(
    /// Why the buyer asks (docs/product.md §3, step 2: specific and objective).
    Reason {
        NotDeliveredOnTime = "not_delivered_on_time",
        QuantityShort = "quantity_short",
        ServiceInterrupted = "service_interrupted",
        AccountRisk = "account_risk",
        NoReason = "no_reason",
        DuplicateCharge = "duplicate_charge",
        Other = "other",
    }
);

str_enum!(
    RejectCode {
        InsufficientEvidence = "insufficient_evidence",
        OutOfWindow = "out_of_window",
        ServiceCompleted = "service_completed",
        ViolationExclusion = "violation_exclusion",
        DuplicateApplication = "duplicate_application",
        Other = "other",
    }
);

str_enum!(
    Role {
        Buyer = "buyer",
        Agent = "agent",
        Reviewer = "reviewer",
        SeniorReviewer = "senior_reviewer",
        Supervisor = "supervisor",
        Admin = "admin",
        System = "system",
    }
);

impl Role {
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Reviewer | Role::SeniorReviewer | Role::Supervisor | Role::Admin)
    }

    pub fn reviews(self) -> bool {
        matches!(self, Role::Reviewer | Role::SeniorReviewer)
    }
}

impl ApplicationState {
    /// What an application in this state takes out of the order's refundable balance: open
    /// applications hold what they ask for, approvals commit what was approved.
    pub fn claim(self, requested: Fen, approved: Option<Fen>) -> Fen {
        match self {
            ApplicationState::Submitted
            | ApplicationState::InReview
            | ApplicationState::InfoRequested
            | ApplicationState::Appealed => requested,
            ApplicationState::Approved
            | ApplicationState::Refunding
            | ApplicationState::Refunded
            | ApplicationState::RefundFailed => approved.unwrap_or(requested),
            ApplicationState::Draft | ApplicationState::Rejected | ApplicationState::Withdrawn => Fen::ZERO,
        }
    }

    /// Whether an application in this state takes anything out of its order's balance.
    pub fn takes_balance(self) -> bool {
        self.claim(Fen(1), Some(Fen(1))) > Fen::ZERO
    }

    /// Waiting for the buyer: a draft to finish and submit, or information the reviewer
    /// asked for. The buyer's landing page leads with these.
    pub fn awaits_buyer(self) -> bool {
        matches!(self, ApplicationState::Draft | ApplicationState::InfoRequested)
    }

    /// Still waiting for a decision (counted in queues and SLA clocks).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ApplicationState::Submitted
                | ApplicationState::InReview
                | ApplicationState::InfoRequested
                | ApplicationState::Appealed
        )
    }
}

/// The longest free text a person may type into one field.
pub const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    pub fn system() -> Actor {
        Actor { name: "system".into(), role: Role::System }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Submitted {
        amount: Fen,
        reason: Reason,
    },
    Claimed,
    /// The holder (or a supervisor) gave it back to the queue.
    Released,
    /// A supervisor gave it to another reviewer.
    Reassigned {
        to: String,
    },
    InfoRequested {
        message: String,
    },
    Supplemented {
        message: String,
    },
    Approved {
        amount: Fen,
        partial: bool,
        auto_rule: Option<String>,
    },
    Rejected {
        code: RejectCode,
        text: String,
    },
    Appealed {
        text: String,
    },
    Withdrawn,
    RefundStarted,
    Refunded,
    RefundFailed {
        reason: String,
    },
    /// Staff asked for the refund to be sent again (a new payout with a new key).
    RefundRetried,
    /// Staff paid the refund another way and said how.
    SettledOutside {
        note: String,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Submitted { .. } => "submitted",
            EventKind::Claimed => "claimed",
            EventKind::Released => "released",
            EventKind::Reassigned { .. } => "reassigned",
            EventKind::InfoRequested { .. } => "info_requested",
            EventKind::Supplemented { .. } => "supplemented",
            EventKind::Approved { .. } => "approved",
            EventKind::Rejected { .. } => "rejected",
            EventKind::Appealed { .. } => "appealed",
            EventKind::Withdrawn => "withdrawn",
            EventKind::RefundStarted => "refund_started",
            EventKind::Refunded => "refunded",
            EventKind::RefundFailed { .. } => "refund_failed",
            EventKind::RefundRetried => "refund_retried",
            EventKind::SettledOutside { .. } => "settled_outside",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub actor: Actor,
    pub from: ApplicationState,
    pub to: ApplicationState,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Round {
    First,
    Appeal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Given when the draft is created; never changes.
    pub id: ApplicationId,
    /// Given when it is submitted (dated that day); `None` while it is a draft.
    pub no: Option<ApplicationNo>,
    pub order_no: OrderNo,
    pub buyer: Username,
    pub state: ApplicationState,
    pub reason: Reason,
    pub description: String,
    pub requested: Fen,
    pub approved: Option<Fen>,
    pub reject_code: Option<RejectCode>,
    pub reject_text: Option<String>,
    /// Who holds the review now (claimed it), or who made the last decision.
    pub reviewer: Option<String>,
    /// Who made the first-round decision: never the one to decide its appeal.
    pub first_reviewer: Option<String>,
    pub round: Round,
    pub appeals: u32,
    pub created_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
    /// When the review clock runs out (while paused, when it would have): kept beside the
    /// clock so the queue and the overdue jobs read it from an index.
    pub review_due_at: Option<Timestamp>,
    /// The current round's review promise (docs/product.md §3), in whole business days
    /// ([`crate::sla::Hours::BusinessDays`]): started at submission or appeal, paused while
    /// information is requested, stopped by the decision or a withdrawal.
    pub review_clock: Option<Clock>,
    /// The statutory clock (docs/product.md §6, [`StatutoryClock`]): started at submission
    /// and again at an appeal, never paused, stopped when the money arrives, a reasoned
    /// rejection is given or the buyer withdraws.
    pub statutory_clock: Option<StatutoryClock>,
    pub decided_at: Option<Timestamp>,
    /// Optimistic-concurrency guard: the store only writes if it is unchanged.
    pub version: i64,
}

impl Application {
    /// How it is addressed: its number once submitted, its draft id before.
    pub fn reference(&self) -> ApplicationRef {
        match &self.no {
            Some(no) => ApplicationRef::No(no.clone()),
            None => ApplicationRef::Draft(self.id.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("an application that is {from} cannot be {action}")]
    IllegalTransition { from: ApplicationState, action: &'static str },
    #[error("this application is being reviewed by someone else")]
    ClaimedByOther,
    #[error("only reviewers may do this")]
    NotAReviewer,
    #[error("only a supervisor may give an application to another reviewer")]
    NotASupervisor,
    #[error("appeals are decided by a level-2 reviewer")]
    NeedsSeniorReviewer,
    #[error("the reviewer who made the first decision cannot decide its appeal")]
    SameReviewer,
    #[error("the appeal window has closed")]
    AppealWindowClosed,
    #[error("the appeal limit has been reached")]
    AppealLimitReached,
    #[error("amount: {0}")]
    Amount(AmountError),
    #[error("an approved amount cannot exceed the amount asked for")]
    AboveRequested,
    #[error("the reason \"other\" needs a written explanation")]
    ExplanationRequired,
    #[error("this field is required")]
    TextRequired(&'static str),
    #[error("text is longer than {MAX_TEXT_CHARS} characters")]
    TextTooLong(&'static str),
    /// No application is possible on the order; the entitlement engine's explanation says why.
    #[error("{}", .0.en)]
    NotEligible(crate::Text),
    /// An appeal would hold an amount that other applications have taken meanwhile.
    #[error("the order's balance no longer covers this application")]
    BalanceTaken,
    /// The buyer already has a draft on this order (one draft per order: continue that one).
    #[error("there is already a draft for this order: {0}")]
    DraftExists(ApplicationId),
    /// A payout of the application has not ended: sending another could pay twice.
    #[error("a payout of this application has not ended yet")]
    PayoutOpen,
    /// A payout is on its way to the channel: recording the refund as paid another way could
    /// pay twice.
    #[error("a payout of this application is on its way to the channel")]
    PayoutInFlight,
    /// Nothing can be paid back on an order without a payment.
    #[error("the order has not been paid")]
    NotPaid,
}

impl ApplicationError {
    /// One of each kind, for checks that every code is translated.
    pub fn examples() -> Vec<ApplicationError> {
        vec![
            ApplicationError::IllegalTransition { from: ApplicationState::Draft, action: "x" },
            ApplicationError::ClaimedByOther,
            ApplicationError::NotAReviewer,
            ApplicationError::NotASupervisor,
            ApplicationError::NeedsSeniorReviewer,
            ApplicationError::SameReviewer,
            ApplicationError::AppealWindowClosed,
            ApplicationError::AppealLimitReached,
            ApplicationError::AboveRequested,
            ApplicationError::ExplanationRequired,
            ApplicationError::TextRequired("x"),
            ApplicationError::TextTooLong("x"),
            ApplicationError::BalanceTaken,
            ApplicationError::PayoutOpen,
            ApplicationError::PayoutInFlight,
            ApplicationError::NotPaid,
            ApplicationError::NotEligible(crate::Text::default()),
            ApplicationError::DraftExists(ApplicationId::parse("DR-00000000000000").expect("a valid id")),
        ]
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApplicationError::IllegalTransition { .. } => "illegal-transition",
            ApplicationError::ClaimedByOther => "claimed-by-other",
            ApplicationError::NotASupervisor => "not-a-supervisor",
            ApplicationError::NotAReviewer => "not-a-reviewer",
            ApplicationError::NeedsSeniorReviewer => "needs-senior-reviewer",
            ApplicationError::SameReviewer => "same-reviewer",
            ApplicationError::AppealWindowClosed => "appeal-window-closed",
            ApplicationError::AppealLimitReached => "appeal-limit-reached",
            ApplicationError::Amount(a) => a.code(),
            ApplicationError::AboveRequested => "amount-above-requested",
            ApplicationError::ExplanationRequired => "explanation-required",
            ApplicationError::TextRequired(_) => "text-required",
            ApplicationError::TextTooLong(_) => "text-too-long",
            ApplicationError::NotEligible(_) => "not-eligible",
            ApplicationError::BalanceTaken => "appeal-balance-taken",
            ApplicationError::DraftExists(_) => "draft-exists",
            ApplicationError::PayoutOpen => "payout-open",
            ApplicationError::PayoutInFlight => "payout-in-flight",
            ApplicationError::NotPaid => "not-paid",
        }
    }

    /// The request field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApplicationError::Amount(_) | ApplicationError::AboveRequested => Some("amount"),
            ApplicationError::ExplanationRequired => Some("description"),
            ApplicationError::TextRequired(f) | ApplicationError::TextTooLong(f) => Some(f),
            _ => None,
        }
    }
}

mod decide;
mod transitions;

pub use decide::*;
pub use transitions::*;

#[cfg(test)]
mod tests;
