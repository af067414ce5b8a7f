use super::*;
use crate::calendar::BusinessCalendar;
use crate::money::RefundAmount;
use crate::policy::Policy;
use crate::policy::Rules;
use crate::sla::{ClockState, Pause, business_days};
use jiff::civil::date;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn buyer() -> Actor {
    Actor { name: "alice".into(), role: Role::Buyer }
}

fn reviewer(name: &str) -> Actor {
    Actor { name: name.into(), role: Role::Reviewer }
}

fn senior(name: &str) -> Actor {
    Actor { name: name.into(), role: Role::SeniorReviewer }
}

fn number() -> ApplicationNo {
    ApplicationNo::generate(date(2026, 11, 24), &mut rand::rng())
}

fn draft(amount: i64) -> Application {
    let mut rng = rand::rng();
    Application::new_draft(
        ApplicationId::generate(&mut rng),
        OrderNo::parse("DY-1").expect("order"),
        Username::parse("alice").expect("user"),
        DraftInput {
            reason: Reason::QuantityShort,
            description: "500 bought, 200 delivered".into(),
            amount: Fen(amount),
        },
        ts("2026-11-24T02:00:00Z"),
    )
    .expect("valid draft")
}

fn rules() -> Rules {
    Policy::seed_v1().rules
}

#[test]
fn other_needs_an_explanation() {
    let input = DraftInput { reason: Reason::Other, description: "  ".into(), amount: Fen(100) };
    assert_eq!(input.check(), Err(ApplicationError::ExplanationRequired));
    let input = DraftInput { reason: Reason::Other, description: "x".repeat(MAX_TEXT_CHARS + 1), amount: Fen(100) };
    assert_eq!(input.check(), Err(ApplicationError::TextTooLong("description")));
}

#[test]
fn a_draft_has_no_number_until_it_is_submitted_and_its_id_never_changes() {
    let cal = BusinessCalendar::china_default();
    let d = draft(3000);
    assert_eq!(d.no, None);
    assert_eq!(d.reference(), crate::ids::ApplicationRef::Draft(d.id.clone()));
    // A decision needs the number its events are filed under: a draft has none.
    let d2 = DraftInput { reason: Reason::QuantityShort, description: "still short".into(), amount: Fen(2000) };
    let edited = d.update_draft(d2).expect("edit");
    let step = (edited, d.submit(number(), &buyer(), ts("2026-11-24T02:00:00Z"), &rules(), &cal).expect("submit").1);
    assert!(Decision::of(&d, vec![step], &crate::payout::PayoutHistory::default()).is_err());
    let no = number();
    let (a, _) = d.submit(no.clone(), &buyer(), ts("2026-11-24T02:00:00Z"), &rules(), &cal).expect("submit");
    assert_eq!((a.id.clone(), a.no.clone()), (d.id.clone(), Some(no.clone())));
    assert_eq!(a.reference(), crate::ids::ApplicationRef::No(no.clone()));
    let (a, _) = a.claim(&reviewer("bob"), ts("2026-11-24T03:00:00Z")).expect("claim");
    assert_eq!((a.id, a.no), (d.id, Some(no)), "later steps keep both");
}

#[test]
fn the_whole_lifecycle_with_an_appeal() {
    let cal = BusinessCalendar::china_default();
    let r = rules();
    let now = ts("2026-11-24T02:00:00Z"); // Tuesday 10:00 in Shanghai
    let (a, e) = draft(3000).submit(number(), &buyer(), now, &r, &cal).expect("submit");
    assert_eq!((e.from, e.to), (ApplicationState::Draft, ApplicationState::Submitted));
    // 3 business days after Tuesday: due at the end of Friday, Shanghai time.
    assert_eq!(a.review_due_at, Some(ts("2026-11-27T16:00:00Z")));
    let (a, _) = a.claim(&reviewer("bob"), now).expect("claim");
    assert_eq!(a.claim(&reviewer("carol"), now).unwrap_err(), ApplicationError::ClaimedByOther);
    let (a, _) = a.request_info(&reviewer("bob"), "please upload the progress screenshot", now).expect("info");
    let clock = a.review_clock.clone().expect("a review clock");
    assert_eq!(clock.state(&cal, now), ClockState::Paused { left: business_days(3) });
    let later = ts("2026-11-30T02:00:00Z"); // next Monday: the clock was paused
    let (a, _) = a.supplement(&buyer(), "uploaded", later, &cal).expect("supplement");
    assert_eq!(a.review_due_at, Some(ts("2026-12-03T16:00:00Z")));
    let clock = a.review_clock.clone().expect("a review clock");
    assert_eq!(clock.pauses, vec![Pause { from: now, to: Some(later) }], "the pause is kept");
    assert_eq!(
        (a.state, a.reviewer.as_deref()),
        (ApplicationState::InReview, Some("bob")),
        "the answer goes back to bob"
    );
    let (a, e) = a.reject(&reviewer("bob"), RejectCode::InsufficientEvidence, "no screenshot", later).expect("reject");
    assert_eq!(e.kind, EventKind::Rejected { code: RejectCode::InsufficientEvidence, text: "no screenshot".into() });
    let kept = a.review_clock.as_ref().map(|c| c.state(&cal, later));
    assert_eq!(kept, Some(ClockState::Met { at: later }), "the decision stops the clock in time");
    let (a, _) = a.appeal(&buyer(), "here is the monitor export", later, &r, &cal).expect("appeal");
    let appeal_clock = a.review_clock.clone().expect("the appeal's clock");
    assert_eq!((appeal_clock.started_at, appeal_clock.pauses.len()), (later, 0), "an appeal starts a new clock");
    assert_eq!(a.review_due_at, Some(ts("2026-12-03T16:00:00Z")), "Monday + 3: the end of Thursday");
    assert_eq!(a.claim(&reviewer("carol"), later).unwrap_err(), ApplicationError::NeedsSeniorReviewer);
    assert_eq!(a.claim(&senior("bob"), later).unwrap_err(), ApplicationError::SameReviewer);
    let (a, _) = a.claim(&senior("dora"), later).expect("senior claims");
    assert_eq!(a.approve(&senior("dora"), Fen(3001), later).unwrap_err(), ApplicationError::AboveRequested);
    let (a, e) = a.approve(&senior("dora"), Fen(1800), later).expect("approve");
    assert_eq!(e.kind, EventKind::Approved { amount: Fen(1800), partial: true, auto_rule: None });
    assert_eq!(a.first_reviewer.as_deref(), Some("bob"));
    assert_eq!(a.state.claim(a.requested, a.approved), Fen(1800));
}

#[test]
fn appeal_window_and_limit() {
    let cal = BusinessCalendar::china_default();
    let r = rules();
    let now = ts("2026-11-24T02:00:00Z");
    let (a, _) = draft(100).submit(number(), &buyer(), now, &r, &cal).expect("submit");
    let (a, _) = a.claim(&reviewer("bob"), now).expect("claim");
    let (rejected, _) = a.reject(&reviewer("bob"), RejectCode::Other, "no", now).expect("reject");
    let late = ts("2026-12-09T02:00:01Z");
    assert_eq!(rejected.appeal(&buyer(), "why", late, &r, &cal).unwrap_err(), ApplicationError::AppealWindowClosed);
    let (a, _) = rejected.appeal(&buyer(), "why", now, &r, &cal).expect("appeal");
    let (a, _) = a.claim(&senior("dora"), now).expect("claim");
    let (a, _) = a.reject(&senior("dora"), RejectCode::Other, "still no", now).expect("reject");
    assert_eq!(a.appeal(&buyer(), "again", now, &r, &cal).unwrap_err(), ApplicationError::AppealLimitReached);
}

/// The edges of docs/product.md §3, written out independently of the implementation.
const LEGAL: &[(ApplicationState, ApplicationState)] = include!("legal_edges.in");

#[derive(Debug, Clone)]
enum Op {
    Submit,
    Claim(bool),
    RequestInfo,
    Supplement,
    Approve(i64),
    AutoApprove,
    Reject,
    Appeal,
    Withdraw,
    StartRefund,
    RefundOk,
    RefundFail,
    Release,
    Reassign,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Submit),
        any::<bool>().prop_map(Op::Claim),
        Just(Op::RequestInfo),
        Just(Op::Supplement),
        (1i64..6000).prop_map(Op::Approve),
        Just(Op::AutoApprove),
        Just(Op::Reject),
        Just(Op::Appeal),
        Just(Op::Withdraw),
        Just(Op::StartRefund),
        Just(Op::RefundOk),
        Just(Op::RefundFail),
        Just(Op::Release),
        Just(Op::Reassign),
    ]
}

/// Applies `op` to the transitions alone, checking the amounts that hold balance against the
/// balance the order's other applications leave (as `decide::submit` and `decide::appeal` do).
/// The headline property, over the real use cases and a real store, is
/// `crates/app/tests/refunds_never_exceed_payment.rs`.
fn apply(a: &Application, op: &Op, others: Fen, paid: Fen, cal: &BusinessCalendar) -> Step {
    let now = ts("2026-11-25T02:00:00Z");
    let r = rules();
    let balance = paid.saturating_sub(others);
    let holder = a.reviewer.clone().unwrap_or_else(|| "bob".into());
    match op {
        Op::Submit => {
            RefundAmount::new(a.requested, balance).map_err(ApplicationError::Amount)?;
            a.submit(number(), &buyer(), now, &r, cal)
        }
        Op::Claim(senior_reviewer) => {
            let who = if *senior_reviewer { senior("dora") } else { reviewer("bob") };
            a.claim(&who, now)
        }
        Op::RequestInfo => a.request_info(&Actor { name: holder, role: Role::SeniorReviewer }, "more", now),
        Op::Supplement => a.supplement(&buyer(), "here", now, cal),
        Op::Approve(x) => a.approve(&Actor { name: holder, role: Role::SeniorReviewer }, Fen(*x), now),
        Op::AutoApprove => a.auto_approve("2", now),
        Op::Reject => a.reject(&Actor { name: holder, role: Role::SeniorReviewer }, RejectCode::Other, "no", now),
        Op::Appeal => {
            RefundAmount::new(a.requested, balance).map_err(ApplicationError::Amount)?;
            a.appeal(&buyer(), "please", now, &r, cal)
        }
        Op::Withdraw => a.withdraw(&buyer(), now),
        Op::StartRefund => a.start_refund(&Actor::system(), now),
        Op::RefundOk => a.refund_succeeded(&Actor::system(), now),
        Op::RefundFail => a.refund_failed(&Actor::system(), "frozen card", now),
        Op::Release => a.release(&Actor { name: holder, role: Role::SeniorReviewer }, now),
        Op::Reassign => a.reassign(&Actor { name: "sol".into(), role: Role::Supervisor }, &senior("erin"), now),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever sequence of transitions, what an order's applications commit and hold never
    /// exceeds what was paid, and no illegal transition is accepted.
    #[test]
    fn transitions_keep_within_payment(
        paid in 1i64..10_000,
        amounts in proptest::collection::vec(1i64..6000, 1..5),
        ops in proptest::collection::vec((0usize..5, op()), 1..80),
    ) {
        let cal = BusinessCalendar::china_default();
        let paid = Fen(paid);
        let mut apps: Vec<Application> = amounts.iter().map(|x| draft(*x)).collect();
        for (i, op) in ops {
            let i = i % apps.len();
            let claims: Vec<Claim> =
                apps.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| Claim::of(a)).collect();
            let others = claimed_by(&claims, None);
            let before = apps[i].clone();
            match apply(&before, &op, others, paid, &cal) {
                Ok((next, event)) => {
                    prop_assert!(LEGAL.contains(&(before.state, next.state)), "illegal {:?} → {:?} by {:?}", before.state, next.state, op);
                    prop_assert_eq!((event.from, event.to), (before.state, next.state));
                    prop_assert_eq!(next.version, before.version + 1);
                    apps[i] = next;
                }
                Err(_) => prop_assert_eq!(&apps[i], &before),
            }
            let committed: Fen = apps.iter().map(|a| a.state.claim(a.requested, a.approved)).sum();
            prop_assert!(committed <= paid, "{} committed of {} paid", committed, paid);
        }
    }

    #[test]
    fn every_state_refuses_what_it_may_not_do(state_ix in 0usize..11, op in op()) {
        let cal = BusinessCalendar::china_default();
        let mut a = draft(100);
        a.state = ApplicationState::ALL[state_ix];
        a.reviewer = Some("bob".into());
        if let Ok((next, _)) = apply(&a, &op, Fen::ZERO, Fen(100), &cal) {
            prop_assert!(LEGAL.contains(&(a.state, next.state)), "illegal {:?} → {:?} by {:?}", a.state, next.state, op);
        }
    }
}

#[test]
fn no_one_reviews_their_own_decision_on_appeal() {
    let cal = BusinessCalendar::china_default();
    let mut r = rules();
    r.appeal_limit = 2;
    let now = ts("2026-11-24T02:00:00Z");
    let (a, _) = draft(100).submit(number(), &buyer(), now, &r, &cal).expect("submit");
    let (a, _) = a.claim(&reviewer("bob"), now).expect("claim");
    let (a, _) = a.reject(&reviewer("bob"), RejectCode::Other, "no", now).expect("reject");
    let (a, _) = a.appeal(&buyer(), "1", now, &r, &cal).expect("appeal 1");
    let (a, _) = a.claim(&senior("dora"), now).expect("dora takes appeal 1");
    let (a, _) = a.reject(&senior("dora"), RejectCode::Other, "still no", now).expect("reject");
    let (a, _) = a.appeal(&buyer(), "2", now, &r, &cal).expect("appeal 2");
    assert_eq!(a.claim(&senior("dora"), now).unwrap_err(), ApplicationError::SameReviewer);
    assert!(a.claim(&senior("erin"), now).is_ok());
}

#[test]
fn states_that_take_balance() {
    let taking: Vec<ApplicationState> = ApplicationState::ALL.iter().copied().filter(|s| s.takes_balance()).collect();
    assert_eq!(
        taking,
        [
            ApplicationState::Submitted,
            ApplicationState::InReview,
            ApplicationState::InfoRequested,
            ApplicationState::Approved,
            ApplicationState::Appealed,
            ApplicationState::Refunding,
            ApplicationState::Refunded,
            ApplicationState::RefundFailed
        ]
    );
}

#[test]
fn what_pages_offer_follows_what_the_transitions_accept() {
    let cal = BusinessCalendar::china_default();
    let r = rules();
    let now = ts("2026-11-24T02:00:00Z");
    for state in ApplicationState::ALL.iter().copied() {
        let mut a = draft(3000);
        a.state = state;
        a.reviewer = Some("bob".into());
        a.decided_at = Some(now);
        assert_eq!(a.can_withdraw(), a.withdraw(&buyer(), now).is_ok(), "withdraw from {state:?}");
        assert_eq!(a.can_supplement(), a.supplement(&buyer(), "more", now, &cal).is_ok(), "supplement from {state:?}");
        assert_eq!(a.can_appeal(), a.appeal(&buyer(), "wrong", now, &r, &cal).is_ok(), "appeal from {state:?}");
        // A reviewer who did not decide it before may take whatever waits for one.
        assert_eq!(a.can_claim(), a.claim(&reviewer("carol"), now).is_ok(), "claim from {state:?}");
        assert_eq!(a.in_review_by() == Some("bob"), state == ApplicationState::InReview);
    }
}

#[test]
fn staff_retry_or_settle_a_failed_refund_with_a_note() {
    let now = ts("2026-11-24T02:00:00Z");
    let mut a = draft(3000);
    a.state = ApplicationState::RefundFailed;
    let (same, e) = a.retry_refund(&reviewer("bob"), now).expect("retry");
    assert_eq!(
        (e.from, e.to, e.kind.name()),
        (ApplicationState::RefundFailed, ApplicationState::RefundFailed, "refund_retried")
    );
    assert_eq!(same.version, a.version + 1);
    assert_eq!(a.retry_refund(&buyer(), now).unwrap_err(), ApplicationError::NotAReviewer);
    assert!(matches!(a.settle_outside(&reviewer("bob"), "  ", now), Err(ApplicationError::TextRequired(_))));
    let (done, e) = a.settle_outside(&reviewer("bob"), "paid by bank transfer, ref 123", now).expect("settle");
    assert_eq!(
        (done.state, e.kind),
        (ApplicationState::Refunded, EventKind::SettledOutside { note: "paid by bank transfer, ref 123".into() })
    );
    for state in [ApplicationState::Approved, ApplicationState::Refunding, ApplicationState::Refunded] {
        a.state = state;
        assert!(a.retry_refund(&reviewer("bob"), now).is_err(), "{state:?}");
        assert!(a.settle_outside(&reviewer("bob"), "x", now).is_err(), "{state:?}");
    }
}

#[test]
fn the_queue_key_orders_running_clocks_by_due_time_and_paused_ones_last() {
    let cal = BusinessCalendar::china_default();
    let now = ts("2026-11-24T02:00:00Z");
    let d = draft(3000);
    assert_eq!(d.queue_key(), None, "a draft waits for no one on staff");
    let (a, _) = d.submit(number(), &buyer(), now, &rules(), &cal).expect("submit");
    let due = a.review_due_at.expect("due");
    assert_eq!(a.queue_key(), Some(due.as_millisecond()));
    let (held, _) = a.claim(&reviewer("bob"), now).expect("claim");
    assert_eq!(held.queue_key(), Some(due.as_millisecond()), "claiming keeps its place");
    let (paused, _) = held.request_info(&reviewer("bob"), "more", now).expect("info");
    let key = paused.queue_key().expect("still open");
    assert!(key > ts("9000-01-01T00:00:00Z").as_millisecond(), "after every running clock");
    assert_eq!(key, PAUSED_QUEUE_KEY + now.as_millisecond(), "paused ones by submission");
    let (back, _) = paused.supplement(&buyer(), "here", now, &cal).expect("supplement");
    assert_eq!(back.queue_key(), back.review_due_at.map(|t| t.as_millisecond()));
    let (decided, _) = held.reject(&reviewer("bob"), RejectCode::Other, "no", now).expect("reject");
    assert_eq!(decided.queue_key(), None, "a decided one leaves the queue");
}

#[test]
fn a_claim_is_released_by_its_holder_and_reassigned_by_a_supervisor() {
    let cal = BusinessCalendar::china_default();
    let now = ts("2026-11-24T02:00:00Z");
    let (a, _) = draft(3000).submit(number(), &buyer(), now, &rules(), &cal).expect("submit");
    let (held, _) = a.claim(&reviewer("bob"), now).expect("claim");
    assert_eq!(held.release(&reviewer("carol"), now).unwrap_err(), ApplicationError::ClaimedByOther);
    let agent = Actor { name: "amy".into(), role: Role::Agent };
    assert_eq!(held.release(&agent, now).unwrap_err(), ApplicationError::NotAReviewer);
    let (back, e) = held.release(&reviewer("bob"), now).expect("release");
    assert_eq!((back.state, back.reviewer.clone(), e.kind), (ApplicationState::Submitted, None, EventKind::Released));
    let boss = Actor { name: "sol".into(), role: Role::Supervisor };
    assert_eq!(held.reassign(&reviewer("bob"), &reviewer("carol"), now).unwrap_err(), ApplicationError::NotASupervisor);
    assert_eq!(held.reassign(&boss, &agent, now).unwrap_err(), ApplicationError::NotAReviewer);
    let (moved, _) = held.reassign(&boss, &reviewer("carol"), now).expect("reassign");
    assert_eq!((moved.state, moved.reviewer.as_deref()), (ApplicationState::InReview, Some("carol")));
    assert!(moved.approve(&reviewer("bob"), Fen(100), now).is_err(), "bob no longer holds it");
    assert!(back.release(&reviewer("bob"), now).is_err(), "only an application in review");
    assert_eq!(a.release(&boss, now).unwrap_err().code(), "illegal-transition");
}

#[test]
fn a_second_appeal_is_not_released_or_reassigned_past_its_earlier_deciders() {
    let cal = BusinessCalendar::china_default();
    let mut r = rules();
    r.appeal_limit = 2;
    let now = ts("2026-11-24T02:00:00Z");
    let boss = Actor { name: "sol".into(), role: Role::Supervisor };
    let (a, _) = draft(100).submit(number(), &buyer(), now, &r, &cal).expect("submit");
    let (a, _) = a.claim(&reviewer("bob"), now).expect("claim");
    let (a, _) = a.reject(&reviewer("bob"), RejectCode::Other, "no", now).expect("reject");
    let (a, _) = a.appeal(&buyer(), "1", now, &r, &cal).expect("appeal 1");
    let (first, _) = a.claim(&senior("dora"), now).expect("dora takes appeal 1");
    assert_eq!(first.reassign(&boss, &senior("bob"), now).unwrap_err(), ApplicationError::SameReviewer);
    assert!(first.release(&senior("dora"), now).is_ok(), "a first appeal may go back to the queue");
    let (a, _) = first.reject(&senior("dora"), RejectCode::Other, "still no", now).expect("reject");
    let (a, _) = a.appeal(&buyer(), "2", now, &r, &cal).expect("appeal 2");
    let (second, _) = a.claim(&senior("erin"), now).expect("erin takes appeal 2");
    assert_eq!(second.release(&senior("erin"), now).unwrap_err().code(), "illegal-transition");
    assert_eq!(second.reassign(&boss, &senior("dora"), now).unwrap_err().code(), "illegal-transition");
}

#[test]
fn a_clock_rebuilt_for_an_application_stored_before_clocks_keeps_its_due_time_and_days_left() {
    let cal = BusinessCalendar::china_default();
    let now = ts("2026-11-24T02:00:00Z"); // Tuesday 10:00
    let (a, _) = draft(3000).submit(number(), &buyer(), now, &rules(), &cal).expect("submit");
    let mut legacy = a.clone();
    legacy.review_clock = None;
    let rebuilt = legacy.rebuilt_review_clock(now, None, &cal).expect("open");
    assert_eq!(rebuilt.due(&cal), a.review_due_at, "the due time stays");
    // Paused on Thursday with the two days it had left then; resumed the next Monday.
    let (held, _) = a.claim(&reviewer("bob"), now).expect("claim");
    let thursday = ts("2026-11-26T07:00:00Z");
    let (mut paused, _) = held.request_info(&reviewer("bob"), "more", thursday).expect("info");
    paused.review_clock = None;
    let rebuilt = paused.rebuilt_review_clock(now, Some((thursday, Some(2))), &cal).expect("open");
    assert_eq!(rebuilt.state(&cal, thursday), ClockState::Paused { left: business_days(2) });
    paused.review_clock = Some(rebuilt);
    let (back, _) = paused.supplement(&buyer(), "here", ts("2026-11-30T01:00:00Z"), &cal).expect("supplement");
    assert_eq!(back.review_due_at, Some(ts("2026-12-02T16:00:00Z")), "Monday + 2: the end of Wednesday");
    let (decided, _) = held.reject(&reviewer("bob"), RejectCode::Other, "no", now).expect("reject");
    assert_eq!(decided.rebuilt_review_clock(now, None, &cal), None, "a decided one needs none");
}

#[test]
fn the_statutory_clock_ignores_pauses_stops_on_a_rejection_or_the_money_and_restarts_on_appeal() {
    use crate::statutory::StatutoryState;
    let cal = BusinessCalendar::china_default();
    let r = rules();
    let now = ts("2026-11-24T02:00:00Z"); // Tuesday 24 November, 10:00
    let (a, _) = draft(3000).submit(number(), &buyer(), now, &r, &cal).expect("submit");
    let clock = a.statutory_clock.expect("started at submission");
    // 24 November + 15 = 9 December, a Wednesday: due at 24:00.
    let due = ts("2026-12-09T16:00:00Z");
    assert_eq!((clock.started_at, clock.days, clock.due(&cal)), (now, 15, due));
    let (a, _) = a.claim(&reviewer("bob"), now).expect("claim");
    let (a, _) = a.request_info(&reviewer("bob"), "more", now).expect("info");
    assert_eq!(a.statutory_clock.map(|c| c.due(&cal)), Some(due), "an information request pauses nothing");
    let later = ts("2026-12-10T02:00:00Z");
    let (a, _) = a.supplement(&buyer(), "here", later, &cal).expect("supplement");
    assert_eq!(a.statutory_clock.map(|c| c.state(&cal, later)), Some(StatutoryState::Passed { due }));
    let (rejected, _) = a.reject(&reviewer("bob"), RejectCode::Other, "no", later).expect("reject");
    let stopped = rejected.statutory_clock.expect("kept");
    assert_eq!(stopped.state(&cal, later), StatutoryState::MetLate { due, at: later }, "a reasoned rejection");
    let (appealed, _) = rejected.appeal(&buyer(), "why", later, &r, &cal).expect("appeal");
    let again = appealed.statutory_clock.expect("restarted");
    assert_eq!((again.started_at, again.stopped_at), (later, None), "an appeal starts it again");
    let (a, _) = appealed.claim(&senior("dora"), later).expect("claim");
    let (approved, _) = a.approve(&senior("dora"), Fen(3000), later).expect("approve");
    assert_eq!(approved.statutory_clock.and_then(|c| c.stopped_at), None, "approved is not paid");
    let (refunding, _) = approved.start_refund(&Actor::system(), later).expect("refunding");
    let paid = ts("2026-12-11T02:00:00Z");
    let (refunded, _) = refunding.refund_succeeded(&Actor::system(), paid).expect("refunded");
    assert_eq!(refunded.statutory_clock.and_then(|c| c.stopped_at), Some(paid), "the money arrived");
}

#[test]
fn a_review_nobody_decides_in_time_is_approved_under_a_policy_that_says_so() {
    use crate::entitlement::{Basis, Entitlement, Verdict};
    use crate::payout::PayoutHistory;
    let cal = BusinessCalendar::china_default();
    let mut on = rules();
    on.approve_when_late = true;
    let now = ts("2026-11-24T02:00:00Z"); // Tuesday; due at the end of Friday 27 November
    let (a, _) = draft(3000).submit(number(), &buyer(), now, &on, &cal).expect("submit");
    let ent = |max: i64| Entitlement {
        verdict: Verdict::Review,
        basis: Basis::ProRataShortfall,
        balance: Fen(5000),
        max_refundable: Fen(max),
        suggested: Fen(max),
        clauses: vec![],
        explanation: crate::Text::default(),
        promised: 100,
        delivered: 50,
        delivery_source: None,
        auto_approvable_up_to: None,
    };
    let paid = PayoutHistory { channel: Some(crate::order::Channel::WechatPay), states: vec![] };
    let late = ts("2026-11-27T16:00:01Z");
    // Before the deadline: not yet; under a policy without the rule: never.
    assert!(super::decide::approve_late(&a, &ent(5000), &on, &paid, ts("2026-11-27T15:59:59Z")).is_err());
    assert_eq!(super::decide::approve_late(&a, &ent(5000), &rules(), &paid, late), Ok(None));
    // After it: the amount asked for, capped at what the rules give, with the rule recorded
    // and its payout written with it.
    let d = super::decide::approve_late(&a, &ent(2000), &on, &paid, late).expect("decided").expect("approved");
    assert_eq!((d.next.state, d.next.approved), (ApplicationState::Approved, Some(Fen(2000))));
    assert_eq!(
        d.events[0].kind,
        EventKind::Approved { amount: Fen(2000), partial: true, auto_rule: Some(LATE_REVIEW_RULE.into()) }
    );
    assert_eq!((d.events[0].actor.role, d.payout.map(|p| p.amount)), (Role::System, Some(Fen(2000))));
    // Claimed by a reviewer who let the deadline pass: the same; nothing left: nothing done.
    let (held, _) = a.claim(&reviewer("bob"), now).expect("claim");
    assert!(super::decide::approve_late(&held, &ent(5000), &on, &paid, late).expect("decided").is_some());
    assert_eq!(super::decide::approve_late(&held, &ent(0), &on, &paid, late), Ok(None));
    // Paused for the buyer: its clock does not run out.
    let (asked, _) = held.request_info(&reviewer("bob"), "more", now).expect("info");
    assert!(super::decide::approve_late(&asked, &ent(5000), &on, &paid, late).is_err());
}
