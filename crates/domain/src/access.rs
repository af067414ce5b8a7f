//! Who may do what (docs/product.md §1, the permission matrix): one table, asked by the use
//! cases before they act, so a page, the API and the CLI cannot disagree. Buyers act only on
//! what is their own (checked where it is read); this table is about staff.

use crate::application::Role;
use crate::enums::str_enum;
use serde::{Deserialize, Serialize};

str_enum!(
    /// Something staff may be allowed to do.
    Permission {
        SeeEvidence = "see_evidence",
        SeeInternalNotes = "see_internal_notes",
        AnswerTickets = "answer_tickets",
        RequestInfo = "request_info",
        Decide = "decide",
        DecideAppeals = "decide_appeals",
        Reassign = "reassign",
        ManageSavedReplies = "manage_saved_replies",
        Redact = "redact",
    }
);

/// Whether `role` has permission `p`.
///
/// | | agent | reviewer | senior reviewer | supervisor | admin |
/// |---|---|---|---|---|---|
/// | see evidence, internal notes | ✓ | ✓ | ✓ | ✓ | ✓ |
/// | answer tickets, write notes | ✓ | ✓ | ✓ | ✓ | ✓ |
/// | request information, decide | | ✓ | ✓ | | |
/// | decide appeals | | | ✓ | | |
/// | reassign (claims, tickets) | | | | ✓ | ✓ |
/// | manage saved replies | | | | ✓ | ✓ |
/// | redact a message | | | | | ✓ |
pub fn may(role: Role, p: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match p {
        P::SeeEvidence | P::SeeInternalNotes | P::AnswerTickets => role.is_staff(),
        P::RequestInfo | P::Decide => matches!(role, R::Reviewer | R::SeniorReviewer),
        P::DecideAppeals => role == R::SeniorReviewer,
        P::Reassign | P::ManageSavedReplies => matches!(role, R::Supervisor | R::Admin),
        P::Redact => role == R::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix() {
        let grid: Vec<(Role, Vec<&str>)> = Role::ALL
            .iter()
            .map(|r| (*r, Permission::ALL.iter().filter(|p| may(*r, **p)).map(|p| p.as_str()).collect()))
            .collect();
        let of = |role: Role| grid.iter().find(|(r, _)| *r == role).map(|(_, ps)| ps.clone()).unwrap_or_default();
        assert!(of(Role::Buyer).is_empty() && of(Role::System).is_empty());
        assert_eq!(of(Role::Agent), ["see_evidence", "see_internal_notes", "answer_tickets"]);
        assert_eq!(
            of(Role::Reviewer),
            ["see_evidence", "see_internal_notes", "answer_tickets", "request_info", "decide"]
        );
        assert!(of(Role::SeniorReviewer).contains(&"decide_appeals"));
        assert_eq!(
            of(Role::Supervisor),
            ["see_evidence", "see_internal_notes", "answer_tickets", "reassign", "manage_saved_replies"]
        );
        assert_eq!(
            of(Role::Admin),
            ["see_evidence", "see_internal_notes", "answer_tickets", "reassign", "manage_saved_replies", "redact"]
        );
    }
}
