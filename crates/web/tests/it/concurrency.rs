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

both!(concurrent_submissions_never_exceed_the_payment, |app: TestApp| async move {
    let alice = app.login("alice").await;
    for i in 0..6 {
        let order = format!("S-{i}");
        app.order(&order, "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
        let mut drafts = vec![];
        for _ in 0..2 {
            let r = app
                .post(
                    "/api/v1/applications",
                    &alice,
                    json!({"order_no": order, "reason": "quantity_short", "amount": "300"}),
                )
                .await;
            drafts.push(r.body["no"].as_str().expect("no").to_owned());
        }
        // ¥300 + ¥300 > ¥500 paid: only one may be submitted.
        let (first, second) = (
            format!("/api/v1/applications/{}/submit", drafts[0]),
            format!("/api/v1/applications/{}/submit", drafts[1]),
        );
        let (a, b) = tokio::join!(app.post(&first, &alice, json!({})), app.post(&second, &alice, json!({})));
        let ok = [&a, &b].iter().filter(|r| r.status == StatusCode::OK).count();
        let over = [&a, &b].iter().filter(|r| r.code() == "amount-above-balance").count();
        assert_eq!((ok, over), (1, 1), "{} / {}", a.body, b.body);
        let orders = app.get("/api/v1/orders", &alice).await;
        let o = orders.body.as_array().expect("orders").iter().find(|o| o["order_no"] == order).expect("order").clone();
        assert_eq!(o["refundable_balance"]["fen"], 20_000);
    }
});
