//! Every bad input gets a structured, translated error and writes nothing.

use crate::both;
use crate::helpers::TestApp;
use jiff::{SignedDuration, Timestamp};
use redress_domain::application::RejectCode;
use redress_domain::ids::ApplicationRef;
use reqwest::{Method, StatusCode};
use serde_json::json;

both!(bad_inputs_change_nothing, |app: TestApp| async move {
    app.order("E-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let before = app.snapshot().await;

    // Malformed JSON, in both languages.
    let url = format!("{}/api/v1/applications", app.base);
    for (lang, needle) in [("en", "not valid JSON"), ("zh-CN", "不是有效的 JSON")] {
        let res = app
            .client
            .post(&url)
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .header("accept-language", lang)
            .body("{\"order_no\": ")
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["code"], "json-malformed");
        assert!(body["message"].as_str().unwrap_or("").contains(needle), "{body}");
    }

    let cases = [
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": "50.01"}), "amount-above-balance"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": "0"}), "amount-not-positive"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": "-5"}), "amount-not-positive"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": -5}), "amount-not-positive"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": "1.005"}), "amount-too-many-decimals"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": 1.005}), "amount-too-many-decimals"),
        (json!({"order_no": "E-1", "reason": "quantity_short", "amount": "ten"}), "amount-malformed"),
        (json!({"order_no": "E-1", "reason": "other", "amount": "1", "description": "  "}), "explanation-required"),
        (json!({"order_no": "E-1", "reason": "because", "amount": "1"}), "reason-unknown"),
    ];
    for (body, code) in cases {
        let r = app.call_lang(Method::POST, "/api/v1/applications", Some(&alice), Some(body.clone()), Some("en")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.body);
        let fields = r.body["fields"].as_array().cloned().unwrap_or_default();
        let field_codes: Vec<&str> = fields.iter().filter_map(|f| f["code"].as_str()).collect();
        assert!(r.code() == code || field_codes.contains(&code), "{body}: expected {code}, got {}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or("").is_empty());
        assert!(fields.iter().all(|f| !f["message"].as_str().unwrap_or("").is_empty()
            && !f["message"].as_str().unwrap_or("").starts_with("Unknown")));
    }
    let r = app
        .post("/api/v1/applications", &alice, json!({"order_no": "NOPE-1", "reason": "quantity_short", "amount": "1"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"));
    let r = app
        .post("/api/v1/applications", &alice, json!({"order_no": "E-1", "reason": "quantity_short", "sneaky": 1}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "json-invalid"));
    assert_eq!(app.snapshot().await, before, "no bad input wrote anything");

    // The same error reads differently per Accept-Language, with the same code.
    let body = json!({"order_no": "E-1", "reason": "quantity_short", "amount": "99"});
    let en = app
        .call_lang(Method::POST, "/api/v1/applications", Some(&alice), Some(body.clone()), Some("en-US,en;q=0.9"))
        .await;
    let zh = app.call_lang(Method::POST, "/api/v1/applications", Some(&alice), Some(body), Some("zh-CN")).await;
    assert_eq!((en.code(), zh.code()), ("amount-above-balance", "amount-above-balance"));
    assert!(en.body["fields"][0]["message"].as_str().unwrap_or("").contains("refundable balance"));
    assert!(zh.body["fields"][0]["message"].as_str().unwrap_or("").contains("可退余额"));
});

both!(illegal_transitions_and_appeal_limits, |app: TestApp| async move {
    app.order("E-2", "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let no = app.submitted(&alice, "E-2", "100").await;
    let before = app.snapshot().await;

    // Submitting twice, approving without claiming, supplementing without a request.
    let r = app.post(&format!("/api/v1/applications/{no}/submit"), &alice, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "illegal-transition"));
    let r = app
        .call_lang(
            Method::POST,
            &format!("/api/v1/applications/{no}/submit"),
            Some(&alice),
            Some(json!({})),
            Some("en"),
        )
        .await;
    assert!(r.body["message"].as_str().unwrap_or("").contains("submitted"), "{}", r.body);
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "illegal-transition"));
    let r = app.post(&format!("/api/v1/applications/{no}/supplement"), &alice, json!({"message": "x"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "illegal-transition"));
    let r = app.post(&format!("/api/v1/applications/{no}/appeal"), &alice, json!({"text": "x"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "illegal-transition"));
    assert_eq!(app.snapshot().await, before);

    // Approving above what was asked; rejecting without a sentence or with an unknown code.
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let before = app.snapshot().await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({"amount": "100.01"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "amount-above-requested"));
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({"amount": "0"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "amount-not-positive"));
    let r = app
        .post(&format!("/api/v1/review/applications/{no}/reject"), &rita, json!({"code": "other", "text": " "}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "text-required"));
    let r = app
        .post(&format!("/api/v1/review/applications/{no}/reject"), &rita, json!({"code": "nope", "text": "x"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "reject-code-unknown"));
    let r = app.post(&format!("/api/v1/applications/{no}/withdraw"), &alice, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "illegal-transition"), "in review: too late to withdraw");
    assert_eq!(app.snapshot().await, before);

    // Appeal past the limit: rejected, appealed, rejected again by a level-2 reviewer.
    app.post(&format!("/api/v1/review/applications/{no}/reject"), &rita, json!({"code": "other", "text": "no"})).await;
    app.post(&format!("/api/v1/applications/{no}/appeal"), &alice, json!({"text": "please"})).await;
    let sam = app.login("sam").await;
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &sam, json!({})).await;
    let r = app
        .post(&format!("/api/v1/review/applications/{no}/reject"), &sam, json!({"code": "other", "text": "still no"}))
        .await;
    assert_eq!(r.body["state"], "rejected");
    let before = app.snapshot().await;
    let r = app.post(&format!("/api/v1/applications/{no}/appeal"), &alice, json!({"text": "again"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "appeal-limit-reached"));
    assert_eq!(app.snapshot().await, before);
});

both!(appeal_after_the_deadline, |app: TestApp| async move {
    app.order("E-3", "alice", 1000, 50_000, 40, Some((600, "third_party"))).await;
    let alice = app.user("alice").await;
    let rita = app.user("rita").await;
    // Decided 16 days ago (the policy allows appeals for 15), through the use cases with a past clock.
    let then = Timestamp::now() - SignedDuration::from_hours(24 * 20);
    let input = redress_domain::application::DraftInput {
        reason: redress_domain::application::Reason::QuantityShort,
        description: "short".into(),
        amount: redress_domain::money::Fen(1000),
    };
    let order = redress_domain::ids::OrderNo::parse("E-3").expect("order");
    let past = app.at(then);
    let a = past.create_draft(&order, &alice, input).await.expect("draft");
    let a = past.submit(&a.reference(), &alice).await.expect("submit");
    past.claim(&a.reference(), &rita).await.expect("claim");
    past.clock().set(Timestamp::now() - SignedDuration::from_hours(24 * 16));
    let a = past.reject(&a.reference(), &rita, RejectCode::Other, "no").await.expect("reject");
    let no: &ApplicationRef = &a.reference();
    let token = app.login("alice").await;
    let before = app.snapshot().await;
    let r = app
        .call_lang(
            Method::POST,
            &format!("/api/v1/applications/{no}/appeal"),
            Some(&token),
            Some(json!({"text": "late"})),
            Some("en"),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "appeal-window-closed"));
    assert!(r.body["message"].as_str().unwrap_or("").contains("passed"));
    assert_eq!(app.snapshot().await, before);
});

both!(errors_outside_handlers_are_structured, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let r = app.call_lang(Method::GET, "/api/v1/nowhere", Some(&alice), None, Some("en")).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"));
    let r = app.call(Method::PUT, "/api/v1/orders", Some(&alice), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"));
    // A number of the wrong shape names nothing: the same structured 404 as one that is not there.
    for path in ["/api/v1/applications/RF-2026-1", "/api/v1/applications/RF-20261301-ABCDEF/evidence/1"] {
        let r = app.call_lang(Method::GET, path, Some(&alice), None, Some("zh-CN")).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"), "{path}: {}", r.body);
    }
    let big = format!("{{\"order_no\": \"{}\"}}", "x".repeat(redress_web::JSON_BODY_LIMIT));
    let res = app
        .client
        .post(format!("{}/api/v1/applications", app.base))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = res.json().await.expect("structured");
    assert_eq!(body["code"], "body-too-large");
    // A wrongly typed field is named.
    let r = app
        .call_lang(
            Method::POST,
            "/api/v1/applications",
            Some(&alice),
            Some(json!({"order_no": "X", "reason": 7})),
            Some("en"),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "json-invalid"));
    assert_eq!(r.body["fields"][0]["field"], "reason", "{}", r.body);
    let r = app.post("/api/v1/applications", &alice, json!({"reason": "other"})).await;
    assert_eq!(
        (r.body["fields"][0]["field"].as_str(), r.body["fields"][0]["code"].as_str()),
        (Some("order_no"), Some("field-missing")),
        "{}",
        r.body
    );
});

both!(staff_do_not_see_drafts, |app: TestApp| async move {
    app.order("G-1", "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let r = app
        .post("/api/v1/applications", &alice, json!({"order_no": "G-1", "reason": "quantity_short", "amount": "1"}))
        .await;
    let draft = r.body["no"].as_str().expect("no").to_owned();
    let rita = app.login("rita").await;
    assert_eq!(app.get(&format!("/api/v1/applications/{draft}"), &rita).await.status, StatusCode::NOT_FOUND);
    let q = app.get("/api/v1/review/queue?state=draft", &rita).await;
    assert_eq!(q.body["items"].as_array().map(Vec::len), Some(0), "{}", q.body);
    let r = app.post(&format!("/api/v1/review/applications/{draft}/claim"), &rita, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});
