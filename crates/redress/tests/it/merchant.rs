//! The merchant ingest API is authenticated and idempotent.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

both!(ingest_is_idempotent, |app: TestApp| async move {
    let m = app.merchant.clone();
    let order = json!({
        "buyer": "alice",
        "service": {"name": "B站粉丝 200 个", "platform": "bilibili", "unit": "followers", "promised": 200, "deadline": "2026-11-20T00:00:00Z"},
        "policy_version": 1,
        "policy_accepted_at": "2026-11-17T00:00:00Z",
    });
    let put = |body: serde_json::Value| app.call(Method::PUT, "/api/v1/merchant/orders/BL-1", Some(&m), Some(body));
    let r = put(order.clone()).await;
    assert_eq!((r.status, r.body["result"].as_str()), (StatusCode::CREATED, Some("created")), "{}", r.body);
    let r = put(order.clone()).await;
    assert_eq!((r.status, r.body["result"].as_str()), (StatusCode::OK, Some("unchanged")));

    // Payment once; the same payment again is a no-op; another payment is refused.
    let payment = json!({"channel": "alipay", "transaction_id": "2026111722001", "amount_fen": 12000, "paid_at": "2026-11-17T00:00:00Z"});
    let pay =
        |body: serde_json::Value| app.call(Method::PUT, "/api/v1/merchant/orders/BL-1/payment", Some(&m), Some(body));
    assert_eq!(pay(payment.clone()).await.body["result"], "updated");
    assert_eq!(pay(payment.clone()).await.body["result"], "unchanged");
    let mut other = payment.clone();
    other["amount_fen"] = json!(1);
    let r = pay(other).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "immutable"));
    // A buyer entered wrongly is corrected while no one has applied on the order.
    let mut corrected = order.clone();
    corrected["buyer"] = json!("bob");
    assert_eq!(put(corrected).await.body["result"], "updated");
    assert_eq!(put(order.clone()).await.body["result"], "updated");
    let mut unknown = order.clone();
    unknown["policy_version"] = json!(9);
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/BL-2", Some(&m), Some(unknown)).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown-policy"));
    let mut bad = order.clone();
    bad["service"]["promised"] = json!(0);
    bad["buyer"] = json!("Not A Name");
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/BL-3", Some(&m), Some(bad)).await;
    assert_eq!(r.body["fields"].as_array().map(Vec::len), Some(2), "{}", r.body);

    // Delivery readings.
    let readings = json!({"readings": [
        {"at": "2026-11-18T00:00:00Z", "delivered": 50, "source": "platform"},
        {"at": "2026-11-19T00:00:00Z", "delivered": 120, "source": "third_party"},
    ]});
    let add = |body: serde_json::Value| {
        app.call(Method::POST, "/api/v1/merchant/orders/BL-1/deliveries", Some(&m), Some(body))
    };
    assert_eq!(add(readings.clone()).await.body["added"], 2);
    assert_eq!(add(readings.clone()).await.body["added"], 0);
    let r = add(json!({"readings": [{"at": "2026-11-18T00:00:00Z", "delivered": 51, "source": "platform"}]})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "immutable"));
    let alice = app.login("alice").await;
    let d = app.get("/api/v1/orders/BL-1", &alice).await;
    assert_eq!(
        (d.body["order"]["delivered"].as_u64(), d.body["deliveries"].as_array().map(Vec::len)),
        (Some(120), Some(2))
    );

    // Account events.
    let ev =
        json!({"buyer": "alice", "kind": "banned_for_violation", "at": "2026-11-19T00:00:00Z", "source": "bilibili"});
    let put_ev =
        |body: serde_json::Value| app.call(Method::PUT, "/api/v1/merchant/account-events/ev-1", Some(&m), Some(body));
    assert_eq!(put_ev(ev.clone()).await.status, StatusCode::CREATED);
    assert_eq!(put_ev(ev.clone()).await.body["result"], "unchanged");
    let e = app.get("/api/v1/orders/BL-1/entitlement", &alice).await;
    assert_eq!(e.body["basis"], "violation_exclusion");

    // Policies: published once, never changed.
    let text = redress_domain::policy::SEED_V1.replace("version = 1", "version = 2");
    let publish = |body: String| {
        app.client
            .post(format!("{}/api/v1/merchant/policies", app.base))
            .bearer_auth(&m)
            .header("content-type", "application/toml")
            .body(body)
            .send()
    };
    assert_eq!(publish(text.clone()).await.expect("send").status(), StatusCode::CREATED);
    assert_eq!(publish(text.clone()).await.expect("send").status(), StatusCode::OK);
    let changed = text.replace("no_reason_days = 7", "no_reason_days = 3");
    assert_eq!(publish(changed).await.expect("send").status(), StatusCode::CONFLICT);
    let res = publish("version = 3\n".into()).await.expect("send");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.policy(2).await.expect("v2").rules.no_reason_days, 7);

    // Without a valid token, nothing.
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/BL-9", Some("rdm_forged"), Some(order.clone())).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/BL-9", Some(&alice), Some(order)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a buyer's session is not a merchant token");
});

both!(resent_messages_with_fine_timestamps_change_nothing, |app: TestApp| async move {
    let m = app.merchant.clone();
    // Merchant systems often send micro- or nanosecond times; Redress stores milliseconds.
    let order = json!({
        "buyer": "alice",
        "service": {"name": "抖音点赞", "platform": "douyin", "unit": "likes", "promised": 1000, "deadline": "2026-11-20T00:00:00.123456789Z"},
        "policy_version": 1,
        "policy_accepted_at": "2026-11-17T00:00:00.000123Z",
        "payment": {"channel": "wechat_pay", "transaction_id": "4200001", "amount_fen": 5000, "paid_at": "2026-11-17T00:00:01.999999Z"},
    });
    let put = || app.call(Method::PUT, "/api/v1/merchant/orders/DY-9", Some(&m), Some(order.clone()));
    assert_eq!(put().await.body["result"], "created");
    let again = put().await;
    assert_eq!((again.status, again.body["result"].as_str()), (StatusCode::OK, Some("unchanged")), "{}", again.body);
    let ev = json!({"buyer": "alice", "kind": "restricted", "at": "2026-11-19T00:00:00.5000001Z", "source": "douyin"});
    let put_ev = || app.call(Method::PUT, "/api/v1/merchant/account-events/ev-9", Some(&m), Some(ev.clone()));
    assert_eq!(put_ev().await.status, StatusCode::CREATED);
    assert_eq!(put_ev().await.body["result"], "unchanged");
});

both!(service_terms_freeze_once_an_application_is_submitted, |app: TestApp| async move {
    app.order("F-1", "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
    let m = app.merchant.clone();
    let order = app.store.order(&redress_domain::ids::OrderNo::parse("F-1").expect("no")).await.expect("order");
    let mut body = json!({
        "buyer": "alice",
        "service": {"name": "抖音点赞", "platform": "douyin", "unit": "likes", "promised": 800, "deadline": order.service.deadline},
        "policy_version": 1,
        "policy_accepted_at": order.policy_accepted_at,
    });
    // Before any submission the merchant may correct the terms.
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/F-1", Some(&m), Some(body.clone())).await;
    assert_eq!(r.body["result"], "updated", "{}", r.body);
    let alice = app.login("alice").await;
    app.submitted(&alice, "F-1", "10").await;
    body["service"]["promised"] = json!(600);
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/F-1", Some(&m), Some(body)).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "immutable"));
    assert!(r.body["message"].as_str().unwrap_or("").contains("服务条款"), "{}", r.body);
});

both!(buyers_are_upserted_and_orders_wait_for_them, |app: TestApp| async move {
    let m = app.merchant.clone();
    let buyer = |id: &str, body: serde_json::Value| {
        let (m, path) = (m.clone(), format!("/api/v1/merchant/buyers/{id}"));
        let app = &app;
        async move { app.call(Method::PUT, &path, Some(&m), Some(body)).await }
    };
    // An order may name a buyer Redress does not know yet.
    app.order("DY-9", "carol", 1000, 5000, 5, Some((600, "third_party"))).await;
    assert!(app.store.user("carol").await.is_err(), "no account yet");

    let carol = json!({"display_name": "Carol Chen", "email": "carol@example.com", "phone": "+86 138 0013 8000", "language": "en"});
    let r = buyer("carol", carol.clone()).await;
    assert_eq!((r.status, r.body["result"].as_str()), (StatusCode::CREATED, Some("created")), "{}", r.body);
    let r = buyer("carol", carol.clone()).await;
    assert_eq!((r.status, r.body["result"].as_str()), (StatusCode::OK, Some("unchanged")));
    let mut moved = carol.clone();
    moved["email"] = json!("carol@example.cn");
    assert_eq!(buyer("carol", moved).await.body["result"], "updated");
    let r = app.call(Method::GET, "/api/v1/merchant/buyers/carol", Some(&m), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"id": "carol", "display_name": "Carol Chen", "email": "carol@example.cn", "phone": "+86 138 0013 8000", "language": "en"})
    );
    // The order that waited is hers now; the account has her language and no password.
    let user = app.store.user("carol").await.expect("account");
    assert_eq!((user.locale.as_str(), user.display_name.as_str()), ("en", "Carol Chen"));
    let name = redress_domain::ids::Username::parse("carol").expect("name");
    let orders = app.store.buyer_orders(&name, &redress_store::PageRequest::first(10)).await.expect("orders");
    assert_eq!(orders.items.iter().map(|o| o.facts.order.no.to_string()).collect::<Vec<_>>(), ["DY-9"]);
    for password in ["", "!", crate::helpers::PASSWORD] {
        let r = app
            .call(Method::POST, "/api/v1/session", None, Some(json!({"username": "carol", "password": password})))
            .await;
        assert_ne!(r.status, StatusCode::CREATED, "{password:?} signs in");
    }
    // An administrator gives her a password (`redress admin user set-password`): she signs
    // in with it, and setting it again ends the session she has.
    assert_eq!(app.state.app.set_password(&name, crate::helpers::PASSWORD).await.expect("set"), 0);
    let session = app.login("carol").await;
    assert_eq!(app.get("/api/v1/me", &session).await.status, StatusCode::OK);
    assert_eq!(app.state.app.set_password(&name, "another long secret").await.expect("set"), 1);
    assert_eq!(app.get("/api/v1/me", &session).await.status, StatusCode::UNAUTHORIZED);
    let stranger = redress_domain::ids::Username::parse("nobody").expect("name");
    assert!(matches!(
        app.state.app.set_password(&stranger, "another long secret").await,
        Err(redress_app::Error::Store(redress_store::StoreError::NotFound))
    ));

    // Every bad field at once; nothing written.
    let r = buyer("carol", json!({"display_name": " ", "email": "carol@", "phone": "12"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = r.body["fields"].as_array().expect("fields").iter().map(|f| f["field"].clone()).collect();
    assert_eq!(fields, ["display_name", "email", "phone"]);
    assert_eq!(r.body["fields"][1]["code"], "email-invalid");
    assert_eq!(app.store.user("carol").await.expect("account").display_name, "Carol Chen");
    let r = buyer("carol", json!({"display_name": "C", "language": "fr"})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("language")));
    let r = buyer("Not A Name", json!({"display_name": "C"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "username-malformed"));
    // A staff account's id is not a buyer's.
    let r = buyer("rick", json!({"display_name": "Rick"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "buyer-id-staff"));
    assert_eq!(app.store.user("rick").await.expect("rick").display_name, "rick");
    let r = app.call(Method::GET, "/api/v1/merchant/buyers/rick", Some(&m), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Only the merchant's token.
    let r = app.call(Method::PUT, "/api/v1/merchant/buyers/dave", None, Some(json!({"display_name": "D"}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let alice = app.login("alice").await;
    let r =
        app.call(Method::PUT, "/api/v1/merchant/buyers/dave", Some(&alice), Some(json!({"display_name": "D"}))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(app.store.user("dave").await.is_err());
});

both!(an_orders_buyer_is_fixed_once_someone_applies, |app: TestApp| async move {
    app.order("DY-8", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let r = app
        .post(
            "/api/v1/applications",
            &alice,
            json!({"order_no": "DY-8", "reason": "quantity_short", "amount": "10.00", "description": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let before = app.store.order(&redress_domain::ids::OrderNo::parse("DY-8").expect("no")).await.expect("order");
    let body = json!({
        "buyer": "bob",
        "service": {"name": before.service.name, "platform": before.service.platform, "unit": before.service.unit,
                    "promised": before.service.promised, "deadline": before.service.deadline},
        "policy_version": before.policy_version,
        "policy_accepted_at": before.policy_accepted_at,
    });
    let r = app.call(Method::PUT, "/api/v1/merchant/orders/DY-8", Some(&app.merchant), Some(body)).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "order-buyer-fixed"), "{}", r.body);
    let after = app.store.order(&redress_domain::ids::OrderNo::parse("DY-8").expect("no")).await.expect("order");
    assert_eq!(after.buyer.as_str(), "alice");
});
