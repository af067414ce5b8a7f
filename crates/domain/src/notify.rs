//! Who is told what (docs/product.md §6). Every notification is caused by something that
//! committed — a step of an application, a payout's news, a reconciliation's finding — and is
//! decided here, as a value written in the same transaction as its cause: the catalogue of
//! kinds (one name each, also the merchant's webhook event type), who receives each, and
//! which of them a recipient may switch off by e-mail.

use crate::application::{Application, Event, EventKind};
use crate::enums::str_enum;
use crate::ids::{ApplicationNo, Subject};
use crate::money::Fen;
use crate::payout::PayoutState;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

str_enum!(
    /// The catalogue: what a notification says happened. The names are dotted, as webhook
    /// event types are; later capabilities (tickets) add theirs.
    NoticeKind {
        Submitted = "application.submitted",
        InReview = "application.in_review",
        InfoRequested = "application.info_requested",
        Supplemented = "application.supplemented",
        Approved = "application.approved",
        AutoApproved = "application.auto_approved",
        Rejected = "application.rejected",
        Appealed = "application.appealed",
        Withdrawn = "application.withdrawn",
        PayoutSent = "payout.sent",
        PayoutSucceeded = "payout.succeeded",
        PayoutFailed = "payout.failed",
        PayoutAbnormal = "payout.abnormal",
        SettledOutside = "payout.settled_outside",
        PaidTwice = "payout.paid_twice",
        WebhookDisabled = "webhook.endpoint_disabled",
        Reassigned = "application.reassigned",
        TicketReplied = "ticket.replied",
        TicketBuyerWrote = "ticket.buyer_wrote",
        TicketAssigned = "ticket.assigned",
        TicketResolved = "ticket.resolved",
    }
);

str_enum!(
    /// Whom a notification is for: the application's buyer, staff, or the merchant's system
    /// (by webhook: `redress_domain::webhook`).
    Audience {
        Buyer = "buyer",
        Staff = "staff",
        Merchant = "merchant",
    }
);

/// The recipient of the merchant's notifications: not a username (one cannot start with `@`),
/// so no person's list ever shows them.
pub const MERCHANT: &str = "@merchant";

impl NoticeKind {
    /// Whether the merchant's system is told of it: every step and every payout's news, not
    /// Redress's own housekeeping.
    pub fn to_merchant(self) -> bool {
        !matches!(self, NoticeKind::WebhookDisabled) && !self.about_ticket()
    }

    /// Whether it is about a support ticket (a conversation between buyer and staff, which
    /// the merchant's system is not told of).
    pub fn about_ticket(self) -> bool {
        self.as_str().starts_with("ticket.")
    }

    /// Sent by e-mail whatever the recipient chose: decisions, what a buyer must act on, and
    /// money. The rest (a confirmation, review started) may be switched off.
    pub fn essential(self) -> bool {
        !matches!(
            self,
            NoticeKind::Submitted
                | NoticeKind::InReview
                | NoticeKind::Appealed
                | NoticeKind::Supplemented
                | NoticeKind::Withdrawn
                | NoticeKind::TicketResolved
        )
    }

    /// The kind of notification a step of an application is, if any: `payout` is the state
    /// of the payout whose news caused the step (an abnormal refund is told apart from a
    /// closed one).
    pub fn of_event(kind: &EventKind, payout: Option<PayoutState>) -> Option<NoticeKind> {
        Some(match kind {
            EventKind::Submitted { .. } => NoticeKind::Submitted,
            EventKind::Claimed => NoticeKind::InReview,
            EventKind::Reassigned { .. } => NoticeKind::Reassigned,
            // Back in the queue: nothing anyone must do differently.
            EventKind::Released => return None,
            EventKind::InfoRequested { .. } => NoticeKind::InfoRequested,
            EventKind::Supplemented { .. } => NoticeKind::Supplemented,
            EventKind::Approved { auto_rule: Some(_), .. } => NoticeKind::AutoApproved,
            EventKind::Approved { .. } => NoticeKind::Approved,
            EventKind::Rejected { .. } => NoticeKind::Rejected,
            EventKind::Appealed { .. } => NoticeKind::Appealed,
            EventKind::Withdrawn => NoticeKind::Withdrawn,
            EventKind::RefundStarted => NoticeKind::PayoutSent,
            EventKind::Refunded => NoticeKind::PayoutSucceeded,
            EventKind::RefundFailed { .. } if payout == Some(PayoutState::Abnormal) => NoticeKind::PayoutAbnormal,
            EventKind::RefundFailed { .. } => NoticeKind::PayoutFailed,
            EventKind::SettledOutside { .. } => NoticeKind::SettledOutside,
            // Staff's own step; the payout it sends is told when the channel has it.
            EventKind::RefundRetried => return None,
        })
    }

    /// Who is told, on application `a` after the step: the buyer of what happens to their
    /// application (their own steps too: a receipt), and the staff member holding it (or who
    /// decided it) of what the buyer did and of a refund that did not arrive — never of their
    /// own step.
    fn audiences(self) -> (bool, bool) {
        match self {
            NoticeKind::Supplemented
            | NoticeKind::Withdrawn
            | NoticeKind::PaidTwice
            | NoticeKind::WebhookDisabled
            | NoticeKind::Reassigned => (false, true),
            NoticeKind::PayoutFailed | NoticeKind::PayoutAbnormal => (true, true),
            _ => (true, false),
        }
    }
}

/// One notification to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Stable: the same cause told to the same person always has the same id, so writing it
    /// twice (a reconciliation run again) tells them once.
    pub id: String,
    pub kind: NoticeKind,
    pub audience: Audience,
    /// A username.
    pub recipient: String,
    /// The application (or ticket) it is about.
    pub subject: Subject,
    /// What it caused: the timeline event's number, or 0 for a finding about a payout.
    pub seq: i64,
    /// The amount it is about (approved, refunded, paid twice), if any.
    pub amount: Option<Fen>,
    pub at: Timestamp,
}

/// A notification's id from its cause and recipient.
fn notice_id(cause: &str, kind: NoticeKind, recipient: &str) -> String {
    let digest = Sha256::digest(format!("{cause}\n{kind}\n{recipient}").as_bytes());
    format!("NT-{}", &hex::encode(digest)[..24])
}

/// The notifications of the steps `events` of application `next` (its events numbered up to
/// its version), `payout` being the state of the payout whose news caused them, if any.
pub fn notices(next: &Application, events: &[Event], payout: Option<PayoutState>) -> Vec<Notice> {
    let Some(no) = &next.no else { return Vec::new() };
    let first = next.version - events.len() as i64 + 1;
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some(kind) = NoticeKind::of_event(&e.kind, payout) else { continue };
        let seq = first + i as i64;
        let amount = match &e.kind {
            EventKind::Approved { amount, .. } => Some(*amount),
            EventKind::Submitted { amount, .. } => Some(*amount),
            EventKind::RefundStarted | EventKind::Refunded | EventKind::RefundFailed { .. } => {
                Some(next.approved.unwrap_or(next.requested))
            }
            _ => None,
        };
        let (buyer, staff) = kind.audiences();
        let mut to = vec![(Audience::Merchant, MERCHANT.to_owned())];
        if buyer {
            to.push((Audience::Buyer, next.buyer.to_string()));
        }
        if let Some(reviewer) = next.reviewer.as_ref().filter(|r| staff && **r != e.actor.name) {
            to.push((Audience::Staff, reviewer.clone()));
        }
        for (audience, recipient) in to {
            out.push(Notice {
                id: notice_id(&format!("{no}.{seq}"), kind, &recipient),
                kind,
                audience,
                recipient,
                subject: no.clone().into(),
                seq,
                amount,
                at: e.at,
            });
        }
    }
    out
}

/// The notifications of a change to ticket `t` (the ticket as it is after it, at its new
/// version) made by `actor`, from the thread entries it adds: a staff reply tells the buyer, the
/// buyer's message tells the staff member holding it, an assignment tells the one it is given
/// to (unless they took it themselves), a resolution tells the buyer. Notes tell no one.
pub fn ticket_notices(
    t: &crate::ticket::Ticket,
    entries: &[(crate::ticket::MessageKind, String)],
    actor: &crate::application::Actor,
    now: Timestamp,
) -> Vec<Notice> {
    use crate::ticket::{MessageKind as M, Status};
    let mut to: Vec<(NoticeKind, Audience, String)> = Vec::new();
    for (kind, body) in entries {
        let (head, arg) = body.split_once(':').unwrap_or((body.as_str(), ""));
        match kind {
            M::Message if actor.role.is_staff() => {
                to.push((NoticeKind::TicketReplied, Audience::Buyer, t.buyer.to_string()))
            }
            M::Message => {
                if let Some(holder) = &t.assignee {
                    to.push((NoticeKind::TicketBuyerWrote, Audience::Staff, holder.to_string()));
                }
            }
            M::Status if head == Status::Assigned.as_str() && arg != actor.name => {
                to.push((NoticeKind::TicketAssigned, Audience::Staff, arg.to_owned()));
            }
            M::Status if head == Status::Resolved.as_str() => {
                to.push((NoticeKind::TicketResolved, Audience::Buyer, t.buyer.to_string()));
            }
            M::Note | M::Status => {}
        }
    }
    to.into_iter()
        .filter(|(_, _, recipient)| *recipient != actor.name)
        .map(|(kind, audience, recipient)| Notice {
            id: notice_id(&format!("{}.v{}", t.no, t.version), kind, &recipient),
            kind,
            audience,
            recipient,
            subject: t.no.clone().into(),
            seq: t.version,
            amount: None,
            at: now,
        })
        .collect()
}

/// A reconciliation found payout `key` of application `no` paid twice (`amount` more than
/// was owed): every administrator in `admins` is told, and the merchant's system, once however
/// often it is found.
pub fn paid_twice(key: &str, no: &ApplicationNo, amount: Fen, admins: &[String], now: Timestamp) -> Vec<Notice> {
    told(key, NoticeKind::PaidTwice, no, Some(amount), admins, now, true)
}

/// A webhook endpoint was disabled (`cause`: the endpoint and when), the last message it failed
/// being about `no`: every administrator is told.
pub fn endpoint_disabled(cause: &str, no: &ApplicationNo, admins: &[String], now: Timestamp) -> Vec<Notice> {
    told(cause, NoticeKind::WebhookDisabled, no, None, admins, now, false)
}

/// A finding (`cause`) told to `admins`, and to the merchant if `merchant`.
fn told(
    cause: &str,
    kind: NoticeKind,
    no: &ApplicationNo,
    amount: Option<Fen>,
    admins: &[String],
    now: Timestamp,
    merchant: bool,
) -> Vec<Notice> {
    let merchant = merchant.then(|| (Audience::Merchant, MERCHANT.to_owned()));
    merchant
        .into_iter()
        .chain(admins.iter().map(|a| (Audience::Staff, a.clone())))
        .map(|(audience, recipient)| Notice {
            id: notice_id(cause, kind, &recipient),
            kind,
            audience,
            recipient,
            subject: no.clone().into(),
            seq: 0,
            amount,
            at: now,
        })
        .collect()
}

/// At most one e-mail about one application to one person in this long: the steps of a
/// burst are told together, in the next one.
pub const MAIL_COALESCE: SignedDuration = SignedDuration::from_mins(10);

/// A notification older than this when the mail job first sees it is not e-mailed (news of
/// yesterday is not news): history loaded or restored, or written while e-mail was off, stays
/// in the app.
pub const MAIL_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

/// Whether a notice of `kind`, written `at`, is e-mailed at `now` to a person whose address is
/// `address`, who takes optional e-mails if `optional_on`: essential ones always, if they have
/// an address and it is recent.
pub fn mailed(kind: NoticeKind, at: Timestamp, now: Timestamp, address: Option<&str>, optional_on: bool) -> bool {
    address.is_some_and(|a| !a.trim().is_empty()) && (kind.essential() || optional_on) && now - at <= MAIL_MAX_AGE
}

/// When a new e-mail about an item may go, the last one about it having been due at
/// `last_due`: at once, or [`MAIL_COALESCE`] after that.
pub fn mail_due(now: Timestamp, last_due: Option<Timestamp>) -> Timestamp {
    match last_due {
        Some(last) => (last + MAIL_COALESCE).max(now),
        None => now,
    }
}

/// When to try an e-mail again after `attempts` tries that failed for a passing reason (a
/// 4xx answer, no connection): after 1, 5 and 15 minutes, then 1, 3, 6 and 12 hours; `None`
/// once those are spent (about a day), and it is recorded as failed.
pub fn mail_retry_at(attempts: u32, now: Timestamp) -> Option<Timestamp> {
    const MINUTES: [i64; 7] = [1, 5, 15, 60, 180, 360, 720];
    let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
    MINUTES.get(i).map(|m| now + SignedDuration::from_mins(*m))
}

/// An e-mail's id (its `Message-ID`'s local part) from the first notification it carries:
/// written again after a crash, it is the same e-mail.
pub fn mail_id(first_notice: &str) -> String {
    let digest = Sha256::digest(format!("mail\n{first_notice}").as_bytes());
    format!("EM-{}", &hex::encode(digest)[..24])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{Actor, ApplicationState, Role};

    fn app(state: ApplicationState, version: i64, reviewer: Option<&str>) -> Application {
        use crate::application::{DraftInput, Reason};
        use crate::ids::{ApplicationId, OrderNo, Username};
        let input = DraftInput { reason: Reason::QuantityShort, description: "short".into(), amount: Fen(700) };
        let order = OrderNo::parse("DY-1").expect("an order number");
        let buyer = Username::parse("lin").expect("a username");
        let id = ApplicationId::generate(&mut rand::rng());
        let mut a = Application::new_draft(id, order, buyer, input, Timestamp::UNIX_EPOCH).expect("a draft");
        a.no = Some(ApplicationNo::parse("RF-20261201-ABC123").expect("a number"));
        a.state = state;
        a.version = version;
        a.reviewer = reviewer.map(str::to_owned);
        a
    }

    /// The notices to people (the merchant's are checked on their own).
    fn people(all: Vec<Notice>) -> Vec<Notice> {
        all.into_iter().filter(|n| n.audience != Audience::Merchant).collect()
    }

    #[test]
    fn the_merchant_is_told_every_step_once() {
        let a = app(ApplicationState::Approved, 5, Some("wang"));
        let approved =
            event(EventKind::Approved { amount: Fen(500), partial: false, auto_rule: None }, "wang", Role::Reviewer);
        let withdrawn = event(EventKind::Withdrawn, "lin", Role::Buyer);
        for e in [approved, withdrawn] {
            let merchant: Vec<_> = notices(&a, std::slice::from_ref(&e), None)
                .into_iter()
                .filter(|n| n.audience == Audience::Merchant)
                .collect();
            assert_eq!(merchant.len(), 1);
            assert_eq!((merchant[0].recipient.as_str(), merchant[0].seq), (MERCHANT, 5));
        }
        assert!(
            NoticeKind::ALL.iter().all(|k| k.to_merchant() != (*k == NoticeKind::WebhookDisabled || k.about_ticket()))
        );
        assert!(crate::ids::Username::parse(MERCHANT).is_err(), "no person is the merchant");
    }

    #[test]
    fn a_ticket_tells_the_other_side_never_the_writer_and_never_of_a_note() {
        use crate::application::Actor;
        use crate::ticket::{DEFAULT_CLOSE_AFTER, NewTicket, Targets, Ticket};
        let input = NewTicket {
            category: crate::ticket::Category::Other,
            subject: "s".into(),
            body: "b".into(),
            order_no: None,
            application_no: None,
        };
        let no = crate::ids::TicketNo::parse("TK-20261203-ABCDEF").expect("number");
        let lin = crate::ids::Username::parse("lin").expect("name");
        let (t, _) = Ticket::open(no, lin, &input, &Targets::default(), Timestamp::UNIX_EPOCH).expect("open");
        let chen = Actor { name: "chen".into(), role: Role::Agent };
        let buyer = Actor { name: "lin".into(), role: Role::Buyer };
        let told = |_before: &Ticket, c: &crate::ticket::TicketChange, who: &Actor| -> Vec<(String, String)> {
            ticket_notices(&c.next, &c.entries, who, Timestamp::UNIX_EPOCH)
                .iter()
                .map(|n| (n.kind.as_str().to_owned(), n.recipient.clone()))
                .collect()
        };
        let (targets, close) = (Targets::default(), DEFAULT_CLOSE_AFTER);
        let now = Timestamp::UNIX_EPOCH;
        let reply = t.write(&chen, "hi", false, &targets, close, now).expect("reply");
        assert_eq!(
            told(&t, &reply, &chen),
            [("ticket.replied".to_owned(), "lin".to_owned())],
            "claimed by replying: not told"
        );
        let note = reply.next.write(&chen, "note", true, &targets, close, now).expect("note");
        assert!(told(&reply.next, &note, &chen).is_empty());
        let answer = reply.next.write(&buyer, "thanks", false, &targets, close, now).expect("answer");
        assert_eq!(told(&reply.next, &answer, &buyer), [("ticket.buyer_wrote".to_owned(), "chen".to_owned())]);
        let boss = Actor { name: "sun".into(), role: Role::Supervisor };
        let moved =
            answer.next.assign(&boss, Some(crate::ids::Username::parse("li").expect("name")), now).expect("moved");
        assert_eq!(told(&answer.next, &moved, &boss), [("ticket.assigned".to_owned(), "li".to_owned())]);
        let done = moved.next.resolve(&boss, false, &targets, close, now).expect("resolve");
        assert_eq!(told(&moved.next, &done, &boss), [("ticket.resolved".to_owned(), "lin".to_owned())]);
        let ids: Vec<String> = [&reply, &answer, &moved, &done]
            .iter()
            .flat_map(|c| ticket_notices(&c.next, &c.entries, &boss, now))
            .map(|n| n.id)
            .collect();
        assert_eq!(ids.len(), ids.iter().collect::<std::collections::BTreeSet<_>>().len(), "one id per cause");
        assert!(NoticeKind::ALL.iter().filter(|k| k.about_ticket()).all(|k| !k.to_merchant()));
    }

    fn event(kind: EventKind, actor: &str, role: Role) -> Event {
        Event {
            at: Timestamp::UNIX_EPOCH,
            actor: Actor { name: actor.into(), role },
            from: ApplicationState::InReview,
            to: ApplicationState::InReview,
            kind,
        }
    }

    #[test]
    fn the_buyer_is_told_of_decisions_and_staff_of_what_the_buyer_did() {
        let a = app(ApplicationState::Approved, 5, Some("wang"));
        let approved =
            event(EventKind::Approved { amount: Fen(500), partial: false, auto_rule: None }, "wang", Role::Reviewer);
        let n = people(notices(&a, &[approved], None));
        assert_eq!(n.len(), 1);
        assert_eq!((n[0].kind, n[0].audience, n[0].recipient.as_str()), (NoticeKind::Approved, Audience::Buyer, "lin"));
        assert_eq!((n[0].seq, n[0].amount), (5, Some(Fen(500))));

        let supplemented = event(EventKind::Supplemented { message: "here".into() }, "lin", Role::Buyer);
        let n = people(notices(&a, &[supplemented], None));
        assert_eq!(n.len(), 1);
        assert_eq!(
            (n[0].kind, n[0].audience, n[0].recipient.as_str()),
            (NoticeKind::Supplemented, Audience::Staff, "wang")
        );
    }

    #[test]
    fn staff_are_not_told_of_their_own_step_and_unheld_applications_tell_no_staff() {
        let a = app(ApplicationState::Withdrawn, 3, None);
        assert!(people(notices(&a, &[event(EventKind::Withdrawn, "lin", Role::Buyer)], None)).is_empty());
        let failed = app(ApplicationState::RefundFailed, 3, Some("wang"));
        let told = people(notices(
            &failed,
            &[event(EventKind::RefundFailed { reason: "x".into() }, "wang", Role::Reviewer)],
            None,
        ));
        assert_eq!(told.iter().map(|n| n.audience).collect::<Vec<_>>(), [Audience::Buyer]);
        let held = app(ApplicationState::Withdrawn, 3, Some("wang"));
        let n = people(notices(&held, &[event(EventKind::Withdrawn, "lin", Role::Buyer)], None));
        assert_eq!(n.iter().map(|n| n.recipient.as_str()).collect::<Vec<_>>(), ["wang"]);
    }

    #[test]
    fn a_submission_approved_at_once_numbers_both_steps() {
        let a = app(ApplicationState::Approved, 3, None);
        let submitted = event(
            EventKind::Submitted { amount: Fen(700), reason: crate::application::Reason::NoReason },
            "lin",
            Role::Buyer,
        );
        let auto = event(
            EventKind::Approved { amount: Fen(700), partial: false, auto_rule: Some("r5".into()) },
            "system",
            Role::System,
        );
        let n = people(notices(&a, &[submitted, auto], None));
        // The buyer's own step is told too: a receipt.
        assert_eq!(
            n.iter().map(|n| (n.kind, n.seq)).collect::<Vec<_>>(),
            [(NoticeKind::Submitted, 2), (NoticeKind::AutoApproved, 3)]
        );
        assert!(n.iter().all(|n| n.recipient == "lin"));
    }

    #[test]
    fn an_abnormal_refund_is_told_apart_and_to_both() {
        let a = app(ApplicationState::RefundFailed, 7, Some("wang"));
        let failed = event(EventKind::RefundFailed { reason: "frozen".into() }, "system", Role::System);
        let n = people(notices(&a, std::slice::from_ref(&failed), Some(PayoutState::Abnormal)));
        assert_eq!(
            n.iter().map(|n| (n.kind, n.audience)).collect::<Vec<_>>(),
            [(NoticeKind::PayoutAbnormal, Audience::Buyer), (NoticeKind::PayoutAbnormal, Audience::Staff)]
        );
        let closed = people(notices(&a, &[failed], Some(PayoutState::Closed)));
        assert!(closed.iter().all(|n| n.kind == NoticeKind::PayoutFailed));
        assert_ne!(n[0].id, n[1].id, "one id per recipient");
    }

    #[test]
    fn ids_are_stable_and_a_finding_is_told_once() {
        let no = ApplicationNo::parse("RF-20261201-ABC123").expect("a number");
        let admins = vec!["root".to_owned(), "ops".to_owned()];
        let once = paid_twice("RF-20261201-ABC123-P1", &no, Fen(100), &admins, Timestamp::UNIX_EPOCH);
        let again = paid_twice("RF-20261201-ABC123-P1", &no, Fen(100), &admins, Timestamp::MAX);
        assert_eq!(once.iter().map(|n| &n.id).collect::<Vec<_>>(), again.iter().map(|n| &n.id).collect::<Vec<_>>());
        assert_ne!(once[1].id, once[2].id);
        assert_eq!(once.iter().filter(|n| n.audience == Audience::Merchant).count(), 1);
        assert!(
            once.iter()
                .filter(|n| n.recipient != MERCHANT)
                .all(|n| n.audience == Audience::Staff && n.kind.essential())
        );
    }

    #[test]
    fn e_mail_goes_to_an_address_essential_always_and_bursts_wait() {
        let t0 = Timestamp::UNIX_EPOCH;
        let a = Some("a@example.com");
        assert!(!mailed(NoticeKind::Approved, t0, t0, None, true));
        assert!(!mailed(NoticeKind::Approved, t0, t0, Some("  "), true));
        assert!(mailed(NoticeKind::Approved, t0, t0, a, false), "a decision is always sent");
        assert!(!mailed(NoticeKind::Submitted, t0, t0, a, false), "a receipt may be switched off");
        assert!(mailed(NoticeKind::Submitted, t0, t0, a, true));
        assert!(mailed(NoticeKind::Approved, t0, t0 + MAIL_MAX_AGE, a, true));
        assert!(!mailed(NoticeKind::Approved, t0, t0 + MAIL_MAX_AGE + SignedDuration::from_secs(1), a, true), "stale");
        assert_eq!(mail_due(t0, None), t0);
        assert_eq!(mail_due(t0 + SignedDuration::from_mins(3), Some(t0)), t0 + MAIL_COALESCE);
        let late = t0 + SignedDuration::from_mins(30);
        assert_eq!(mail_due(late, Some(t0)), late);
        assert_eq!(mail_retry_at(1, t0), Some(t0 + SignedDuration::from_mins(1)));
        assert_eq!(mail_retry_at(7, t0), Some(t0 + SignedDuration::from_hours(12)));
        assert_eq!(mail_retry_at(8, t0), None);
        assert_eq!(mail_retry_at(0, t0), None);
        assert_eq!(mail_id("NT-1"), mail_id("NT-1"));
        assert_ne!(mail_id("NT-1"), mail_id("NT-2"));
    }

    #[test]
    fn every_event_but_staff_resending_is_in_the_catalogue() {
        assert_eq!(NoticeKind::of_event(&EventKind::RefundRetried, None), None);
        assert!(NoticeKind::ALL.iter().all(|k| NoticeKind::parse(k.as_str()) == Some(*k)));
        assert!(
            NoticeKind::ALL
                .iter()
                .all(|k| k.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'))
        );
    }
}
