//! The payout outbox: every approval writes its payout instruction in its own transaction.

use crate::both;
use crate::helpers::TestApp;
use redress_domain::ids::ApplicationNo;
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use redress_domain::payout::PayoutState;
use serde_json::json;

async fn payouts(app: &TestApp, no: &str) -> Vec<redress_store::Payout> {
    app.store.payouts_of(&ApplicationNo::parse(no).expect("no")).await.expect("payouts")
}

both!(every_approval_writes_one_payout_instruction, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let sam = app.login("sam").await;

    // Approved by a reviewer, partly: one payout of the approved amount, to the order's channel.
    app.order("PO-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let no = app.submitted(&alice, "PO-1", "40").await;
    assert_eq!(payouts(&app, &no).await, vec![], "nothing before a decision");
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({"amount": "25.50"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = payouts(&app, &no).await;
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].id, format!("{no}-P1"), "the idempotency key, derived from the application");
    assert_eq!((p[0].amount, p[0].channel, p[0].state), (Fen(2550), Channel::WechatPay, PayoutState::Created));
    assert_eq!((p[0].order_no.as_str(), p[0].attempts), ("PO-1", 0));
    // Approving again is refused, and writes nothing.
    let again = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({})).await;
    assert_ne!(again.status, 200);
    assert_eq!(payouts(&app, &no).await.len(), 1);

    // Approved automatically at submission (rule 5): the payout is written with it.
    app.order("PO-2", "alice", 500, 3000, 5, Some((200, "platform"))).await;
    let auto = app.submitted(&alice, "PO-2", "18.00").await;
    let p = payouts(&app, &auto).await;
    assert_eq!(p.len(), 1, "{auto}");
    assert_eq!((p[0].amount, p[0].state), (Fen(1800), PayoutState::Created));

    // Rejected: no payout; approved on appeal: one.
    app.order("PO-3", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let no = app.submitted(&alice, "PO-3", "40").await;
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let r = app
        .post(&format!("/api/v1/review/applications/{no}/reject"), &rita, json!({"code": "other", "text": "no"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(payouts(&app, &no).await, vec![]);
    let r = app.post(&format!("/api/v1/applications/{no}/appeal"), &alice, json!({"text": "please look again"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &sam, json!({})).await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &sam, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = payouts(&app, &no).await;
    assert_eq!((p.len(), p[0].amount), (1, Fen(4000)));
});

both!(concurrent_approvals_write_one_payout, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    app.order("PO-4", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let no = app.submitted(&alice, "PO-4", "40").await;
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let path = format!("/api/v1/review/applications/{no}/approve");
    let tries: Vec<_> = (0..6).map(|_| app.post(&path, &rita, json!({}))).collect();
    let results = futures_util::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 1, "one approval wins");
    assert_eq!(payouts(&app, &no).await.len(), 1, "and writes the only payout");
});
