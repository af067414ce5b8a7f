//! Support tickets (docs/product.md §6): what a buyer asks, and the conversation that answers
//! it. A ticket is `open` until staff first answer; then it waits on the buyer or on staff,
//! turn by turn; staff resolve it; the buyer may reopen a resolved ticket for a while, after
//! which it closes. Internal notes change nothing a buyer sees. Here: the states, who may do
//! what in each, and when a resolved ticket closes.

use crate::application::Role;
use crate::enums::str_enum;
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
}
