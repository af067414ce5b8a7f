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
