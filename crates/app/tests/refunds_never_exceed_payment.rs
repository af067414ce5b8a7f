//! The headline property, on the code that runs: random sequences of what buyers, reviewers
//! and the payment channel do to the applications on one order, driven through the real use
//! cases against a real store (SQLite in a temporary folder). Whatever happens, what the
//! order's applications hold and commit never exceeds what was paid, money sent to the
//! channel never exceeds it either, every accepted step is an edge of the state machine
//! (written out here independently of the implementation), and a refused step writes nothing.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use redress_app::{App, Clock, Error};
use redress_domain::application::{Application, ApplicationState, DraftInput, Reason, RejectCode, Role};
use redress_domain::ids::{ApplicationRef, OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{Channel, DeliveryReading, DeliverySource, Order, Payment, Service};
use redress_domain::payout::{ChannelStatus, PayoutState};
use redress_domain::policy::Policy;
use redress_store::{NewUser, Store, User};

/// The edges of the state machine (§3), written out independently (one table with the
/// domain's own property test).
const LEGAL: &[(ApplicationState, ApplicationState)] = include!("../../domain/src/application/legal_edges.in");

#[derive(Debug, Clone)]
enum Op {
    Draft(i64),
    Submit,
    Claim(bool),
    RequestInfo,
    Supplement,
    Approve(i64),
    Reject,
    Appeal,
    Withdraw,
    /// The channel reports on the application's latest payout.
    Channel(ChannelStatus),
    Retry,
    SettleOutside,
    /// Time passes (hours).
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1i64..6000).prop_map(Op::Draft),
        3 => Just(Op::Submit),
        2 => any::<bool>().prop_map(Op::Claim),
        1 => Just(Op::RequestInfo),
        1 => Just(Op::Supplement),
        2 => (1i64..6000).prop_map(Op::Approve),
        1 => Just(Op::Reject),
        1 => Just(Op::Appeal),
        1 => Just(Op::Withdraw),
        2 => prop_oneof![
            Just(ChannelStatus::Processing),
            Just(ChannelStatus::Succeeded),
            Just(ChannelStatus::Abnormal),
            Just(ChannelStatus::Closed)
        ]
        .prop_map(Op::Channel),
        1 => Just(Op::Retry),
        1 => Just(Op::SettleOutside),
        1 => (1i64..200).prop_map(Op::Wait),
    ]
}

struct World {
    app: App,
    store: Store,
    order: OrderNo,
    paid: Fen,
    buyer: User,
    reviewers: Vec<User>,
    /// Each by its draft id, which stays the same once it is submitted.
    apps: Vec<ApplicationRef>,
    _dir: tempfile::TempDir,
}

async fn world(paid: i64, source: DeliverySource, delivered: u64) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("store");
    store.migrate().await.expect("migrate");
    let start: Timestamp = "2026-11-24T02:00:00Z".parse().expect("time");
    store.publish_policy(&Policy::seed_v1(), "test", start).await.expect("policy");
    let mut users = vec![];
    for (name, role) in
        [("alice", Role::Buyer), ("rita", Role::Reviewer), ("sam", Role::SeniorReviewer), ("sue", Role::SeniorReviewer)]
    {
        let u = NewUser {
            username: Username::parse(name).expect("name"),
            display_name: name,
            role,
            password: "a long test password",
            locale: "en",
            email: None,
        };
        users.push(store.create_user(u, start).await.expect("user"));
    }
    let paid_at = start - SignedDuration::from_hours(24 * 4);
    let deadline = paid_at + SignedDuration::from_hours(72);
    let order = Order {
        no: OrderNo::parse("DY-P").expect("order"),
        buyer: users[0].username.clone(),
        service: Service {
            name: "likes".into(),
            platform: "douyin".into(),
            unit: "likes".into(),
            promised: 1000,
            deadline,
        },
        payment: Some(Payment {
            channel: Channel::WechatPay,
            transaction_id: "4200P".into(),
            amount: Fen(paid),
            paid_at,
        }),
        policy_version: 1,
        policy_accepted_at: paid_at,
    };
    store.upsert_order(&order, start).await.expect("order");
    let reading = DeliveryReading { at: deadline - SignedDuration::from_hours(1), delivered, source };
    store.add_deliveries(&order.no, &[reading], start).await.expect("deliveries");
    let buyer = users.remove(0);
    World {
        app: App::new(store.clone(), redress_blobs::Blobs::local(dir.path().join("evidence")), Clock::manual(start)),
        store,
        order: order.no,
        paid: Fen(paid),
        buyer,
        reviewers: users,
        apps: vec![],
        _dir: dir,
    }
}

impl World {
    fn reviewer(&self, name: &str) -> User {
        self.reviewers
            .iter()
            .find(|u| u.username.as_str() == name)
            .cloned()
            .unwrap_or_else(|| self.reviewers[0].clone())
    }

    /// Who may take `a` now: a level-2 reviewer who has not decided it before, when asked for.
    fn taker(&self, a: &Application, senior: bool) -> User {
        if !senior {
            return self.reviewer("rita");
        }
        let decided = |n: &str| a.first_reviewer.as_deref() == Some(n) || a.reviewer.as_deref() == Some(n);
        if decided("sam") { self.reviewer("sue") } else { self.reviewer("sam") }
    }

    /// Everything that a refused step must leave as it was.
    async fn snapshot(&self) -> Vec<String> {
        let mut out = vec![];
        for a in self
            .store
            .applications_of(
                redress_store::AppsOf::Buyer(&self.buyer.username),
                &redress_store::PageRequest::first(200),
            )
            .await
            .expect("apps")
            .items
        {
            out.push(format!("{a:?}"));
            if let Some(no) = &a.no {
                out.push(format!("{:?}", self.store.timeline(no).await.expect("timeline").len()));
                out.push(format!("{:?}", self.store.payouts_of(no).await.expect("payouts")));
            }
        }
        out
    }

    async fn apply(&mut self, i: usize, op: &Op) -> Result<(), Error> {
        let app = &self.app;
        if let Op::Draft(x) = op {
            let input = DraftInput { reason: Reason::QuantityShort, description: "short".into(), amount: Fen(*x) };
            let a = app.create_draft(&self.order, &self.buyer, input).await?;
            self.apps.push(ApplicationRef::Draft(a.id));
            return Ok(());
        }
        if let Op::Wait(h) = op {
            app.clock().advance(SignedDuration::from_hours(*h));
            return Ok(());
        }
        let Some(no) = (!self.apps.is_empty()).then(|| self.apps[i % self.apps.len()].clone()) else { return Ok(()) };
        let a = self.store.application(&no).await?;
        let holder = self.reviewer(a.reviewer.as_deref().unwrap_or("rita"));
        let next = match op {
            Op::Submit => app.submit(&no, &self.buyer).await?,
            Op::Claim(senior) => app.claim(&no, &self.taker(&a, *senior)).await?,
            Op::RequestInfo => app.request_info(&no, &holder, "more, please").await?,
            Op::Supplement => app.supplement(&no, &self.buyer, "here").await?,
            Op::Approve(x) => app.approve(&no, &holder, Some(Fen(*x))).await?,
            Op::Reject => app.reject(&no, &holder, RejectCode::Other, "no").await?,
            Op::Appeal => app.appeal(&no, &self.buyer, "please look again").await?,
            Op::Withdraw => app.withdraw(&no, &self.buyer).await?,
            Op::Retry => app.retry_refund(&no, &holder).await?,
            Op::SettleOutside => app.settle_outside(&no, &holder, "paid by bank transfer").await?,
            Op::Channel(status) => {
                let Some(p) = self.payouts(&no).await.pop() else { return Ok(()) };
                app.payout_reported(&p.id, *status, Some("ref"), Some("frozen card"), app.now()).await?;
                self.store.application(&no).await?
            }
            Op::Draft(_) | Op::Wait(_) => unreachable!("handled above"),
        };
        // The id never changes; submission gives the number.
        assert_eq!(ApplicationRef::Draft(next.id.clone()), no);
        assert_eq!(next.no.is_some(), next.state != ApplicationState::Draft);
        Ok(())
    }

    /// The payouts of an application (none before it has a number).
    async fn payouts(&self, r: &ApplicationRef) -> Vec<redress_domain::payout::Payout> {
        match self.store.application(r).await.expect("application").no {
            Some(no) => self.store.payouts_of(&no).await.expect("payouts"),
            None => vec![],
        }
    }

    async fn check(&self) -> Result<(), TestCaseError> {
        let facts = self.store.order_facts(&self.order).await.expect("facts");
        let held: Fen = facts.claims.iter().map(|c| c.state.claim(c.requested, c.approved)).sum();
        prop_assert!(held <= self.paid, "{} held or committed of {} paid", held, self.paid);
        let mut sent = Fen::ZERO;
        for r in &self.apps {
            for p in self.payouts(r).await {
                if p.state != PayoutState::Closed {
                    sent = sent + p.amount;
                }
            }
            let a = self.store.application(r).await.expect("application");
            prop_assert_eq!(a.no.is_some(), a.state != ApplicationState::Draft, "numbered exactly when submitted");
            let Some(no) = &a.no else { continue };
            let timeline = self.store.timeline(no).await.expect("timeline");
            for t in &timeline {
                prop_assert!(
                    LEGAL.contains(&(t.event.from, t.event.to)),
                    "illegal {:?} → {:?}",
                    t.event.from,
                    t.event.to
                );
            }
            // One event per step: the last one was written with the version it produced.
            if let Some(last) = timeline.last() {
                prop_assert_eq!(last.seq, a.version);
            }
            prop_assert!(timeline.windows(2).all(|w| w[1].seq == w[0].seq + 1 && w[1].event.from == w[0].event.to));
        }
        prop_assert!(sent <= self.paid, "{} sent to the channel of {} paid", sent, self.paid);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn refunds_never_exceed_payment(
        paid in 1i64..10_000,
        platform_data in any::<bool>(),
        delivered in 0u64..1000,
        ops in proptest::collection::vec((0usize..4, op()), 1..60),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let source = if platform_data { DeliverySource::Platform } else { DeliverySource::ThirdParty };
            let mut w = world(paid, source, delivered).await;
            for (i, op) in ops {
                let before = w.snapshot().await;
                if w.apply(i, &op).await.is_err() {
                    prop_assert_eq!(w.snapshot().await, before, "refused {:?} wrote something", op);
                }
                w.check().await?;
            }
            Ok(())
        })?;
    }
}

/// The world the property runs in does reach approvals, payouts and their retries: one path
/// through it, step by step.
#[tokio::test]
async fn the_world_reaches_payouts_and_retries() {
    let mut w = world(5000, DeliverySource::ThirdParty, 600).await;
    let steps = [
        Op::Draft(3000),
        Op::Submit,
        Op::Claim(false),
        Op::Approve(2000),
        Op::Channel(ChannelStatus::Closed),
        Op::Retry,
        // A second retry while the first is on its way is refused: one payout open at a time.
        Op::Retry,
        Op::Channel(ChannelStatus::Succeeded),
    ];
    let mut refused = vec![];
    for (k, op) in steps.iter().enumerate() {
        if w.apply(0, op).await.is_err() {
            refused.push(k);
        }
        w.check().await.expect("invariants");
    }
    assert_eq!(refused, vec![6], "only the second retry is refused");
    let no = &w.apps[0];
    let payouts = w.payouts(no).await;
    let states: Vec<_> = payouts.iter().map(|p| (p.n, p.state, p.amount)).collect();
    assert_eq!(states, vec![(1, PayoutState::Closed, Fen(2000)), (2, PayoutState::Succeeded, Fen(2000))]);
    assert_eq!(w.store.application(no).await.expect("application").state, ApplicationState::Refunded);
}
