//! Two people acting on the same thing at the same moment: exactly one wins, the other is
//! told, and the invariants hold.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;

fn one_winner(a: &crate::helpers::Resp, b: &crate::helpers::Resp) {
    let ok = [a, b].iter().filter(|r| r.status == StatusCode::OK).count();
    let refused: Vec<_> =
        [a, b].iter().filter(|r| r.status == StatusCode::CONFLICT).map(|r| r.code().to_owned()).collect();
    assert_eq!((ok, refused.len()), (1, 1), "one wins, one conflict: {} / {}", a.body, b.body);
    assert!(["conflict", "claimed-by-other", "illegal-transition"].contains(&refused[0].as_str()), "{refused:?}");
}

both!(two_reviewers_deciding_at_once, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let (rita, rick) = (app.login("rita").await, app.login("rick").await);
    for i in 0..8 {
        let order = format!("C-{i}");
        app.order(&order, "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
        let no = app.submitted(&alice, &order, "100").await;
        let base = format!("/api/v1/review/applications/{no}");

        // Two reviewers claim at once.
        let claim = format!("{base}/claim");
        let (a, b) = tokio::join!(app.post(&claim, &rita, json!({})), app.post(&claim, &rick, json!({})));
        one_winner(&a, &b);
        let holder = if a.status == StatusCode::OK { &rita } else { &rick };

        // The holder approves in one tab and rejects in another.
        let (approve, reject) = (format!("{base}/approve"), format!("{base}/reject"));
        let (a, b) = tokio::join!(
            app.post(&approve, holder, json!({"amount": "60"})),
            app.post(&reject, holder, json!({"code": "other", "text": "no"})),
        );
        one_winner(&a, &b);
        let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
        let kinds: Vec<&str> =
            d.body["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds.len(), 3, "exactly one claim and one decision recorded: {kinds:?}");
    }
});

both!(concurrent_holds_never_exceed_the_payment, |app: TestApp| async move {
    // A buyer has one draft per order, so what races for an order's balance is a submission
    // and an appeal: each holds its amount again.
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    for i in 0..6 {
        let order = format!("S-{i}");
        app.order(&order, "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
        let rejected = app.submitted(&alice, &order, "300").await;
        let base = format!("/api/v1/review/applications/{rejected}");
        assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
        let r = app.post(&format!("{base}/reject"), &rita, json!({"code": "other", "text": "no"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .post(
                "/api/v1/applications",
                &alice,
                json!({"order_no": order, "reason": "quantity_short", "amount": "300"}),
            )
            .await;
        let draft = r.body["no"].as_str().expect("no").to_owned();
        // ¥300 + ¥300 > ¥500 paid: only one may hold its amount.
        let (submit, appeal) =
            (format!("/api/v1/applications/{draft}/submit"), format!("/api/v1/applications/{rejected}/appeal"));
        let (a, b) = tokio::join!(
            app.post(&submit, &alice, json!({})),
            app.post(&appeal, &alice, json!({"text": "please look again"}))
        );
        let ok = [&a, &b].iter().filter(|r| r.status == StatusCode::OK).count();
        let over =
            [&a, &b].iter().filter(|r| ["amount-above-balance", "appeal-balance-taken"].contains(&r.code())).count();
        assert_eq!((ok, over), (1, 1), "{} / {}", a.body, b.body);
        let orders = app.get("/api/v1/orders", &alice).await;
        let o = orders.body["items"]
            .as_array()
            .expect("orders")
            .iter()
            .find(|o| o["order_no"] == order)
            .expect("order")
            .clone();
        assert_eq!(o["refundable_balance"]["fen"], 20_000);
    }
});

both!(the_late_review_rule_decides_each_application_once_while_a_reviewer_decides_half, |app: TestApp| async move {
    use jiff::SignedDuration;
    use redress_domain::application::{ApplicationState, EventKind, LATE_REVIEW_RULE};
    use redress_domain::ids::ApplicationRef;
    use redress_domain::money::Fen;
    // A policy version with Taobao's rule on, and 100 orders bought under it.
    let (now, t0) = publish_late_rule(&app).await;
    let rita = app.user("rita").await;
    let mut nos = Vec::new();
    for i in 0..100 {
        let submitted = late_submitted(&app, &format!("LATE-{i:03}"), 2, t0).await;
        assert_eq!(submitted.state, ApplicationState::Submitted, "a person decides, not rule 5");
        let r = submitted.reference();
        if i % 2 == 0 {
            app.at(t0).claim(&r, &rita).await.expect("claim");
        }
        nos.push((r, i % 2 == 0));
    }
    // Every deadline has passed: two instances' passes and the reviewer, at the same moment.
    let (one, two) = (app.at(now), app.at(now));
    let reviewer = app.at(now);
    let held: Vec<ApplicationRef> = nos.iter().filter(|(_, held)| *held).map(|(r, _)| r.clone()).collect();
    let approvals = futures_util::future::join_all(held.iter().map(|r| reviewer.approve(r, &rita, Some(Fen(2000)))));
    let (a, b, by_rita) = tokio::join!(one.approve_late_reviews(200), two.approve_late_reviews(200), approvals);
    let (a, b) = (a.expect("a pass"), b.expect("a pass"));
    let rita_won = by_rita.iter().filter(|r| r.is_ok()).count();
    assert_eq!(a + b + rita_won, 100, "each decided once: {a} + {b} by the rule, {rita_won} by the reviewer");
    for (r, held) in &nos {
        let ApplicationRef::No(no) = r else { panic!("numbered") };
        let approvals: Vec<(Fen, Option<String>)> = app
            .store
            .timeline(no)
            .await
            .expect("timeline")
            .into_iter()
            .filter_map(|t| match t.event.kind {
                EventKind::Approved { amount, auto_rule, .. } => Some((amount, auto_rule)),
                _ => None,
            })
            .collect();
        assert_eq!(approvals.len(), 1, "{no}: one approval, {approvals:?}");
        let (amount, rule) = &approvals[0];
        match rule {
            Some(rule) => assert_eq!((amount, rule.as_str()), (&Fen(3000), LATE_REVIEW_RULE)),
            None => assert!(*held && *amount == Fen(2000), "{no}: only a held one is the reviewer's"),
        }
        let payouts = app.store.payouts_of(no).await.expect("payouts");
        assert_eq!(payouts.len(), 1, "{no}: one payout");
        assert!(payouts[0].amount <= Fen(10_000), "never above what was paid");
    }
    // Looked at once: a later pass finds nothing new.
    assert_eq!(app.at(now + SignedDuration::from_mins(1)).approve_late_reviews(200).await.expect("pass"), 0);
});

/// Publishes policy v2: v1 with Taobao's rule on. Returns now and when the tests' applications
/// are submitted: ten days ago, so every review deadline has passed.
async fn publish_late_rule(app: &TestApp) -> (jiff::Timestamp, jiff::Timestamp) {
    let mut late_rule = redress_domain::policy::Policy::seed_v1();
    late_rule.version = 2;
    late_rule.rules.approve_when_late = true;
    app.state.app.publish_policy(&late_rule, "test").await.expect("publish");
    let now = jiff::Timestamp::now();
    (now, now - jiff::SignedDuration::from_hours(24 * 10))
}

/// Alice's application for ¥30 on a new order `no` under policy `version`, submitted at `t0`
/// (the order paid ten days before).
async fn late_submitted(
    app: &TestApp,
    no: &str,
    version: u32,
    t0: jiff::Timestamp,
) -> redress_domain::application::Application {
    use redress_domain::application::{DraftInput, Reason};
    late_order(app, no, version, t0 - jiff::SignedDuration::from_hours(24 * 10)).await;
    let alice = app.user("alice").await;
    let input = DraftInput {
        reason: Reason::QuantityShort,
        description: "只到账一半".into(),
        amount: redress_domain::money::Fen(3000),
    };
    let order = redress_domain::ids::OrderNo::parse(no).expect("order no");
    let draft = app.at(t0).create_draft(&order, &alice, input).await.expect("draft");
    app.at(t0).submit(&draft.reference(), &alice).await.expect("submit")
}

/// An order of alice's under policy `version`, paid at `paid_at`, half delivered by its
/// deadline as a third party measured it (a person decides its refund, not rule 5).
async fn late_order(app: &TestApp, no: &str, version: u32, paid_at: jiff::Timestamp) {
    let deadline = paid_at + jiff::SignedDuration::from_hours(72);
    let body = json!({
        "buyer": "alice",
        "service": {"name": "抖音点赞", "platform": "douyin", "unit": "likes", "promised": 1000, "deadline": deadline},
        "policy_version": version,
        "policy_accepted_at": paid_at,
        "payment": {"channel": "wechat_pay", "transaction_id": format!("4200{no}"), "amount_fen": 10_000, "paid_at": paid_at},
    });
    let path = format!("/api/v1/merchant/orders/{no}");
    let r = app.call(reqwest::Method::PUT, &path, Some(&app.merchant), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let at = deadline - jiff::SignedDuration::from_hours(1);
    let readings = json!({"readings": [{"at": at, "delivered": 500, "source": "third_party"}]});
    let r = app.call(reqwest::Method::POST, &format!("{path}/deliveries"), Some(&app.merchant), Some(readings)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

both!(the_late_review_rule_reads_on_past_what_it_may_not_approve, |app: TestApp| async move {
    use redress_domain::application::ApplicationState;
    let (now, t0) = publish_late_rule(&app).await;
    // Six applications with one deadline: five under policy v1 (no rule), one under v2.
    let mut under_v2 = None;
    for i in 0..6 {
        let version = if i == 3 { 2 } else { 1 };
        let a = late_submitted(&app, &format!("TIE-{i}"), version, t0).await;
        if version == 2 {
            under_v2 = Some(a.reference());
        }
    }
    let under_v2 = under_v2.expect("one under v2");
    // Two at a time: the passes read on past the ones the rule may not approve.
    let mut approved = 0;
    for _ in 0..3 {
        approved += app.at(now).approve_late_reviews(2).await.expect("pass");
    }
    assert_eq!(approved, 1);
    let a = app.store.application(&under_v2).await.expect("application");
    assert_eq!(a.state, ApplicationState::Approved);
    let still = app.state.app.review_queue(&Default::default(), &Default::default()).await.expect("queue");
    assert_eq!(still.items.len(), 5, "the five under v1 wait for a person");
});
