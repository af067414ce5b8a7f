//! A buyer can reach nothing of another buyer's: every buyer endpoint, called with another
//! buyer's identifiers, answers 404 (never 403, which would confirm the number exists) and
//! changes nothing.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

both!(another_buyers_identifiers_are_not_found, |app: TestApp| async move {
    for no in ["A-1", "A-2", "A-3", "A-4"] {
        app.order(no, "alice", 1000, 50_000, 5, Some((500, "third_party"))).await;
    }
    app.order("B-1", "bob", 1000, 5000, 5, Some((500, "third_party"))).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let rita = app.login("rita").await;

    let draft = app
        .post("/api/v1/applications", &alice, json!({"order_no": "A-1", "reason": "quantity_short", "amount": "1"}))
        .await;
    let draft = draft.body["no"].as_str().expect("draft").to_owned();
    let submitted = app.submitted(&alice, "A-2", "10").await;
    let info = app.submitted(&alice, "A-3", "10").await;
    app.post(&format!("/api/v1/review/applications/{info}/claim"), &rita, json!({})).await;
    app.post(&format!("/api/v1/review/applications/{info}/request-info"), &rita, json!({"message": "more"})).await;
    let rejected = app.submitted(&alice, "A-4", "10").await;
    app.post(&format!("/api/v1/review/applications/{rejected}/claim"), &rita, json!({})).await;
    let r = app
        .post(&format!("/api/v1/review/applications/{rejected}/reject"), &rita, json!({"code": "other", "text": "no"}))
        .await;
    assert_eq!(r.body["state"], "rejected");

    let before = app.snapshot().await;
    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/api/v1/orders/A-1".into(), None),
        (Method::GET, "/api/v1/orders/A-1/entitlement".into(), None),
        (
            Method::POST,
            "/api/v1/applications".into(),
            Some(json!({"order_no": "A-1", "reason": "quantity_short", "amount": "1"})),
        ),
        (Method::GET, format!("/api/v1/applications/{draft}"), None),
        (Method::PATCH, format!("/api/v1/applications/{draft}"), Some(json!({"amount": "2"}))),
        (Method::DELETE, format!("/api/v1/applications/{draft}"), None),
        (Method::POST, format!("/api/v1/applications/{draft}/submit"), Some(json!({}))),
        (Method::GET, format!("/api/v1/applications/{submitted}"), None),
        (Method::POST, format!("/api/v1/applications/{submitted}/withdraw"), Some(json!({}))),
        (Method::POST, format!("/api/v1/applications/{info}/supplement"), Some(json!({"message": "x"}))),
        (Method::POST, format!("/api/v1/applications/{rejected}/appeal"), Some(json!({"text": "x"}))),
    ];
    for (method, path, body) in calls {
        let r = app.call(method.clone(), &path, Some(&bob), body).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"), "{method} {path}: {}", r.body);
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");

    // Bob's own lists show nothing of Alice's.
    let orders = app.get("/api/v1/orders", &bob).await;
    assert_eq!(orders.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/api/v1/applications", &bob).await.body["items"].as_array().map(Vec::len), Some(0));

    // Buyers cannot use the review desk or the merchant API.
    let r = app.post(&format!("/api/v1/review/applications/{submitted}/claim"), &bob, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/review/queue", &alice).await.status, StatusCode::FORBIDDEN);
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/X-1", Some(&alice), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // No token at all.
    assert_eq!(app.call(Method::GET, "/api/v1/orders", None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.snapshot().await, before, "nothing changed");
});

both!(signing_out_ends_the_session, |app: TestApp| async move {
    let token = app.login("alice").await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let out = app.call(Method::DELETE, "/api/v1/session", Some(&token), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let again = app.call(Method::DELETE, "/api/v1/session", Some(&token), None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
});
