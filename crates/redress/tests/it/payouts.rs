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

/// Approves `amount` of a new wechat_pay order's application; returns its number.
async fn approved(app: &TestApp, order: &str, amount: &str) -> String {
    approved_via(app, "wechat_pay", order, amount).await
}

async fn approved_via(app: &TestApp, channel: &str, order: &str, amount: &str) -> String {
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    approved_by(app, &alice, &rita, channel, order, amount).await
}

/// As [`approved_via`], signed in already (sign-ins are throttled).
async fn approved_by(app: &TestApp, alice: &str, rita: &str, channel: &str, order: &str, amount: &str) -> String {
    app.order_via(channel, order, "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let no = app.submitted(alice, order, "40").await;
    app.post(&format!("/api/v1/review/applications/{no}/claim"), rita, json!({})).await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), rita, json!({"amount": amount})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    no
}

/// The review desk's page of an application, as `token` sees it.
async fn desk_page(app: &TestApp, token: &str, no: &str) -> String {
    let req = app.client.get(format!("{}/desk/{no}", app.base)).header("cookie", format!("redress_session={token}"));
    req.send().await.expect("desk").text().await.expect("html")
}

async fn state_of(app: &TestApp, no: &str) -> String {
    let alice = app.login("alice").await;
    state_as(app, &alice, no).await
}

async fn state_as(app: &TestApp, token: &str, no: &str) -> String {
    app.get(&format!("/api/v1/applications/{no}"), token).await.body["application"]["state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

both!(an_approval_is_paid_through_wechat_pay_once, |app: TestApp| async move {
    let no = approved(&app, "WX-1", "25.50").await;
    // The worker sends it: the sandbox checks the signature and answers PROCESSING.
    let worked = app.run("payouts").await;
    assert_eq!(worked, 1);
    let p = &payouts(&app, &no).await[0];
    assert_eq!(p.state, PayoutState::Processing, "{p:?}");
    assert!(p.channel_ref.as_deref().is_some_and(|r| r.starts_with("5030")), "{p:?}");
    assert_eq!(state_of(&app, &no).await, "refunding");
    // The sandbox settles and posts its signed, encrypted notification; Redress accepts it.
    let delivered = app.run("sandbox").await;
    assert_eq!(delivered, 1);
    let p = &payouts(&app, &no).await[0];
    assert_eq!((p.state, p.settled_at.is_some()), (PayoutState::Succeeded, true));
    assert_eq!(state_of(&app, &no).await, "refunded");
    // Nothing more to do, and the sandbox paid the key once, the approved amount.
    assert_eq!(app.run("payouts").await, 0);
    let books = app.store.sandbox_refunds("wechat_pay").await.expect("books");
    assert_eq!(books.len(), 1);
    assert_eq!((books[0].refund_key.as_str(), books[0].amount_fen, books[0].requests), (p.id.as_str(), 2550, 1));
    assert_eq!(app.run("sandbox").await, 0, "notified once");
    // The buyer and staff see where the money is.
    let alice = app.login("alice").await;
    let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
    let po = &d.body["payouts"][0];
    assert_eq!((po["state"].as_str(), po["amount"]["fen"].as_i64()), (Some("succeeded"), Some(2550)), "{}", d.body);
    assert!(po["arrived_at"].is_string() && po["expected_by"].is_string(), "{po}");
    let clock = &po["arrival_clock"];
    assert_eq!((clock["kind"].as_str(), clock["state"].as_str()), (Some("arrival"), Some("met")), "{po}");
    assert_eq!(clock["due_at"], po["expected_by"], "the clock is due when the window closes");
    let page = |path: String, token: String| {
        let req = app.client.get(format!("{}{path}", app.base)).header("cookie", format!("redress_session={token}"));
        async move { req.send().await.expect("page").text().await.expect("html") }
    };
    let html = page(format!("/applications/{no}"), alice.clone()).await;
    assert!(html.contains(r#"data-payout-state="succeeded""#) && html.contains("已到账"), "{html}");
    let rita = app.login("rita").await;
    let html = page(format!("/desk/{no}"), rita).await;
    assert!(html.contains(&p.id) && html.contains("已与渠道往来"), "staff see the key and the exchanges");
});

both!(a_worker_that_dies_mid_send_is_followed_by_a_query_not_a_second_refund, |app: TestApp| async move {
    let no = approved(&app, "WX-2", "10").await;
    let channels = &app.state.payments.channels;
    // A worker takes the payout and sends it, then dies before recording anything.
    let now = jiff::Timestamp::now();
    let taken =
        app.store.claim_due_payouts(&[Channel::WechatPay], now, redress_payouts::LEASE, 10).await.expect("claim");
    assert_eq!(taken.len(), 1);
    let wechat = channels.wechat.as_ref().expect("wechat");
    let p = &taken[0];
    let order = redress_payouts::RefundOrder {
        key: &p.id,
        order_no: &p.order_no,
        transaction_id: "4200WX-2",
        amount: p.amount,
        paid: Fen(10000),
    };
    use redress_payouts::RefundChannel;
    wechat.refund(order).await.expect("sent");
    // Nobody else takes it while the lease runs.
    assert_eq!(redress_payouts::run_once(&app.at(now), channels).await.expect("worker"), 0);
    // After the lease, the next worker asks before sending, and learns it is on its way.
    let later = now + redress_payouts::LEASE + jiff::SignedDuration::from_secs(1);
    assert_eq!(redress_payouts::run_once(&app.at(later), channels).await.expect("worker"), 1);
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Processing);
    let books = app.store.sandbox_refunds("wechat_pay").await.expect("books");
    assert_eq!((books.len(), books[0].requests), (1, 1), "asked about, not sent again");
});

both!(forged_replayed_and_unknown_callbacks_change_nothing, |app: TestApp| async move {
    let no = approved(&app, "WX-3", "10").await;
    app.run("payouts").await;
    // Callbacks crafted without the platform's key.
    let post = |body: String, headers: Vec<(&'static str, String)>| {
        let mut req = app.client.post(format!("{}/api/v1/channels/wechat/notify", app.base)).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move { req.send().await.expect("post").status() }
    };
    let body = r#"{"id":"EV-1","create_time":"2026-11-25T10:00:00+08:00","event_type":"REFUND.SUCCESS","resource_type":"encrypt-resource","summary":"","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","associated_data":"refund","nonce":"000000000000","original_type":"refund"}}"#;
    assert_eq!(post(body.into(), vec![]).await, 401, "unsigned");
    let (forger, _) = redress_channels::SigningKey::generate().expect("key");
    let now = jiff::Timestamp::now().as_second();
    let h = redress_channels::wechat::SignedHeaders::sign(&forger, "PUB_KEY_ID_SANDBOX", now, "n-1", body);
    let headers = vec![
        ("wechatpay-timestamp", h.timestamp.to_string()),
        ("wechatpay-nonce", h.nonce.clone()),
        ("wechatpay-signature", h.signature.clone()),
        ("wechatpay-serial", h.serial.clone()),
    ];
    assert_eq!(post(body.into(), headers).await, 401, "signed with another key");
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Processing, "nothing changed");
    // Notifications signed and encrypted with the sandbox's own keys (as the platform would).
    let keys: serde_json::Value = serde_json::from_str(
        &app.store.setting_or_init("sandbox_keys", String::new(), jiff::Timestamp::now()).await.expect("keys"),
    )
    .expect("json");
    let platform = redress_channels::SigningKey::from_text(keys["platform_key"].as_str().expect("key")).expect("key");
    let api_v3 = keys["api_v3_key"].as_str().expect("api v3 key").as_bytes().to_vec();
    let key = payouts(&app, &no).await[0].id.clone();
    let genuine = |out_refund_no: &str, refund: i64, nonce: &str, at: i64| {
        let notice = json!({"mchid": "1900000100", "out_refund_no": out_refund_no, "refund_id": "503000001",
            "refund_status": "SUCCESS", "amount": {"total": 10000, "refund": refund}});
        let resource = redress_channels::wechat::encrypt_resource(
            &api_v3,
            "abcdefabcdef",
            "refund",
            notice.to_string().as_bytes(),
        )
        .expect("encrypt");
        let body = json!({"id": "EV-2", "create_time": "2026-11-25T10:00:00+08:00", "event_type": "REFUND.SUCCESS",
            "resource_type": "encrypt-resource", "summary": "", "resource": resource})
        .to_string();
        let h = redress_channels::wechat::SignedHeaders::sign(&platform, "PUB_KEY_ID_SANDBOX", at, nonce, &body);
        let headers = vec![
            ("wechatpay-timestamp", h.timestamp.to_string()),
            ("wechatpay-nonce", h.nonce),
            ("wechatpay-signature", h.signature),
            ("wechatpay-serial", h.serial),
        ];
        (body, headers)
    };
    let (b, h) = genuine(&key, 1000, "n-stale", now - 3600);
    assert_eq!(post(b, h).await, 401, "an old timestamp");
    let (b, h) = genuine("RF-20991231-ZZZZZZ-P1", 1000, "n-unknown", now);
    assert_eq!(post(b, h).await, 404, "an unknown payout");
    let (b, h) = genuine(&key, 999_999, "n-amount", now);
    assert_eq!(post(b, h).await, 400, "another amount than was sent");
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Processing, "nothing changed");
    let (b, h) = genuine(&key, 1000, "n-good", now);
    assert_eq!(post(b.clone(), h.clone()).await, 204);
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Succeeded);
    assert_eq!(post(b, h).await, 401, "the same notification again: a replay");
    assert_eq!(state_of(&app, &no).await, "refunded");
});

both!(an_approval_is_refunded_through_alipay_at_once_and_once, |app: TestApp| async move {
    let no = approved_via(&app, "alipay", "ALI-1", "12.34").await;
    let channels = &app.state.payments.channels;
    assert_eq!(app.run("payouts").await, 1);
    let p = &payouts(&app, &no).await[0];
    assert_eq!(
        (p.state, p.channel, p.channel_ref.as_deref()),
        (PayoutState::Succeeded, Channel::Alipay, Some("4200ALI-1"))
    );
    assert_eq!(state_of(&app, &no).await, "refunded");
    // Asked again with the same out_request_no (a worker that lost the answer): Alipay answers
    // with the first result and moves no money.
    use redress_payouts::{Answer, RefundChannel};
    let alipay = channels.alipay.as_ref().expect("alipay");
    let order = redress_payouts::RefundOrder {
        key: &p.id,
        order_no: "ALI-1",
        transaction_id: "4200ALI-1",
        amount: p.amount,
        paid: Fen(10000),
    };
    assert!(matches!(alipay.refund(order).await, Ok(Answer::Status { .. })));
    let books = app.store.sandbox_refunds("alipay").await.expect("books");
    assert_eq!((books.len(), books[0].amount_fen, books[0].requests), (1, 1234, 2));
    assert!(matches!(alipay.query(order).await, Ok(Answer::Status { .. })));
    let unknown = redress_payouts::RefundOrder { key: "RF-20991231-ZZZZZZ-P1", ..order };
    assert_eq!(alipay.query(unknown).await, Ok(Answer::Unknown));
});

both!(an_approval_is_refunded_to_the_bank_card_and_the_bank_calls_back, |app: TestApp| async move {
    let no = approved_via(&app, "bank_card", "BK-1", "30").await;
    assert_eq!(app.run("payouts").await, 1);
    let p = &payouts(&app, &no).await[0];
    assert_eq!((p.state, p.channel), (PayoutState::Processing, Channel::BankCard));
    assert_eq!(state_of(&app, &no).await, "refunding");
    assert_eq!(app.run("sandbox").await, 1, "the bank's notification accepted");
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Succeeded);
    assert_eq!(state_of(&app, &no).await, "refunded");
    // A notification with a wrong secret changes nothing.
    let body = format!(r#"{{"request_no":"{}","bank_ref":"X","amount_fen":3000,"status":"FAILED"}}"#, p.id);
    let now = jiff::Timestamp::now().as_second();
    let sig = redress_channels::bank::Signature::sign(b"guess", now, "n-1", "NOTIFY", "/notify", &body);
    let r = app
        .client
        .post(format!("{}/api/v1/channels/bank/notify", app.base))
        .header("x-bank-timestamp", sig.timestamp.to_string())
        .header("x-bank-nonce", sig.nonce)
        .header("x-bank-signature", sig.signature)
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Succeeded);
    let books = app.store.sandbox_refunds("bank_card").await.expect("books");
    assert_eq!((books.len(), books[0].amount_fen), (1, 3000));
});

/// Approves and sends it to a channel that gives up on it (`CLOSED`).
async fn failed(app: &TestApp, order: &str) -> String {
    use redress_sandbox::Faults;
    let no = approved(app, order, "20").await;
    let sandbox = app.sandbox.clone().expect("sandbox").sandbox;
    sandbox.set_faults(Faults { closed: 1.0, ..Faults::default() });
    app.run("payouts").await;
    sandbox.set_faults(Faults::default());
    let p = &payouts(app, &no).await[0];
    assert_eq!((p.state, p.reason.as_deref()), (PayoutState::Closed, Some("CLOSED")), "{p:?}");
    assert_eq!(state_of(app, &no).await, "refund_failed");
    // The channel's notification of it changes nothing more.
    app.run("sandbox").await;
    assert_eq!(payouts(app, &no).await[0].state, PayoutState::Closed);
    no
}

both!(staff_send_a_failed_refund_again_or_record_it_paid_another_way, |app: TestApp| async move {
    let rita = app.login("rita").await;
    let alice = app.login("alice").await;
    let no = failed(&app, "WX-9").await;
    let desk = desk_page(&app, &rita, &no).await;
    assert!(desk.contains(&format!("/desk/{no}/retry-refund")) && desk.contains(&format!("/desk/{no}/settle-outside")));
    assert!(desk.contains("渠道返回") && desk.contains("CLOSED"), "staff see the channel's words");
    let path = |action: &str| format!("/api/v1/review/applications/{no}/{action}");
    assert_eq!(app.post(&path("retry-refund"), &alice, json!({})).await.status, 403, "staff only");
    let r = app.post(&path("retry-refund"), &rita, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = payouts(&app, &no).await;
    assert_eq!(p.len(), 2);
    assert_eq!((p[0].state, p[1].state), (PayoutState::Closed, PayoutState::Created));
    assert_eq!(p[1].id, format!("{no}-P2"), "a new key: the closed one can never pay");
    let again = app.post(&path("retry-refund"), &rita, json!({})).await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "payout-open"), "one payout at a time: {}", again.body);
    // Nor recorded as paid another way while P2 is on its way: that could pay twice.
    let r = app.post(&path("settle-outside"), &rita, json!({"note": "已转账"})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "payout-in-flight"), "{}", r.body);
    assert_eq!(state_of(&app, &no).await, "refund_failed", "nothing recorded");
    let desk = desk_page(&app, &rita, &no).await;
    assert!(desk.contains("data-refund-in-flight") && !desk.contains(&format!("/desk/{no}/settle-outside")));
    app.run("payouts").await;
    app.run("sandbox").await;
    assert_eq!(state_of(&app, &no).await, "refunded");
    let books = app.store.sandbox_refunds("wechat_pay").await.expect("books");
    assert_eq!(books.iter().filter(|b| b.refund_key.starts_with(&no)).count(), 2, "P1 and P2, once each");

    let no = failed(&app, "WX-10").await;
    let path = format!("/api/v1/review/applications/{no}/settle-outside");
    let r = app.post(&path, &rita, json!({"note": "  "})).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "text-required"), "a note is required");
    let r = app.post(&path, &rita, json!({"note": "已通过对公转账退回，流水号 88001"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
    assert_eq!(d.body["application"]["state"], "refunded");
    let last = d.body["timeline"].as_array().and_then(|t| t.last()).expect("event").clone();
    assert_eq!((last["kind"].as_str(), last["actor"].as_str()), (Some("settled_outside"), Some("rita")));
    assert_eq!(last["data"]["note"], "已通过对公转账退回，流水号 88001");
    assert_eq!(payouts(&app, &no).await.len(), 1, "no payout for money paid another way");
});

both!(a_refund_the_channel_cannot_deliver_is_routed_another_way_not_sent_again, |app: TestApp| async move {
    use redress_sandbox::Faults;
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let sandbox = app.sandbox.clone().expect("sandbox").sandbox;
    let channels = &app.state.payments.channels;
    for (channel, order, reason) in [("wechat_pay", "AB-1", "ABNORMAL: 支付用户零钱"), ("bank_card", "AB-2", "")]
    {
        let no = approved_by(&app, &alice, &rita, channel, order, "20").await;
        sandbox.set_faults(Faults { abnormal: 1.0, ..Faults::default() });
        app.run("payouts").await;
        sandbox.set_faults(Faults::default());
        app.run("sandbox").await;
        let p = &payouts(&app, &no).await[0];
        assert_eq!(p.state, PayoutState::Abnormal, "{channel}: {p:?}");
        if !reason.is_empty() {
            assert_eq!(p.reason.as_deref(), Some(reason), "staff see the channel's words");
        }
        assert_eq!(state_of(&app, &no).await, "refund_failed", "{channel}");
        // Another payout could pay twice (the channel may still deliver this one): refused,
        // with what to do instead, and nothing written.
        let desk = desk_page(&app, &rita, &no).await;
        assert!(
            desk.contains("data-retry-blocked") && !desk.contains(&format!("/desk/{no}/retry-refund")),
            "{channel}"
        );
        assert!(desk.contains(&format!("/desk/{no}/settle-outside")), "{channel}");
        let path = |action: &str| format!("/api/v1/review/applications/{no}/{action}");
        let r = app.post(&path("retry-refund"), &rita, json!({})).await;
        assert_eq!((r.status.as_u16(), r.code()), (409, "payout-open"), "{}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| m.contains("其他途径")), "{}", r.body);
        assert_eq!(payouts(&app, &no).await.len(), 1);
        assert_eq!(state_of(&app, &no).await, "refund_failed");
        let r = app.post(&path("settle-outside"), &rita, json!({"note": "已改为对公转账，流水号 99001"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(state_of(&app, &no).await, "refunded");
        let books = app.store.sandbox_refunds(channel).await.expect("books");
        let mine: Vec<_> = books.iter().filter(|b| b.refund_key.starts_with(&no)).collect();
        assert_eq!((mine.len(), mine[0].requests), (1, 1), "{channel}: one refund, asked for once");
        // It is not ended: the worker keeps asking the channel about it (never sending it again).
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
        let asked = redress_payouts::run_once(&app.at(later), channels).await.expect("worker");
        assert_eq!(asked, 1, "{channel}: the abnormal payout is asked about");
        let p = &payouts(&app, &no).await[0];
        assert_eq!(p.state, PayoutState::Abnormal, "{channel}");
        let books = app.store.sandbox_refunds(channel).await.expect("books");
        let mine = books.iter().find(|b| b.refund_key.starts_with(&no)).expect("booked");
        assert_eq!(mine.requests, 1, "{channel}: asked about, not sent again");
        // The channel delivers it after all: Redress learns it (it kept asking), and
        // reconciliation names the double payment.
        let key = format!("{no}-P1");
        app.store.sandbox_settle_now(channel, &key, "SUCCESS", jiff::Timestamp::now()).await.expect("deliver");
        let much_later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(8);
        redress_payouts::run_once(&app.at(much_later), channels).await.expect("worker");
        assert_eq!(payouts(&app, &no).await[0].state, PayoutState::Succeeded, "{channel}");
        assert_eq!(state_of(&app, &no).await, "refunded");
        let today = redress_domain::reconcile::business_date(jiff::Timestamp::now());
        let c = Channel::parse(channel).expect("channel");
        let r = redress_payouts::reconcile(&app.state.app, channels, c, today).await.expect("reconcile");
        let twice = redress_domain::reconcile::Mismatch::PaidTwice { key, amount: Fen(2000) };
        assert!(r.mismatches.contains(&twice), "{channel}: {:?}", r.mismatches);
        let desk = desk_page(&app, &rita, &no).await;
        assert!(desk.contains("data-paid-twice") && desk.contains("重复退款"), "{channel}: staff are told");
        // Every administrator is told of the double payment, once however often the day is
        // reconciled; the buyer was told the refund could not reach the account.
        let admin = redress_domain::ids::Username::parse("ada").expect("name");
        if app.store.user("ada").await.is_err() {
            let u = redress_store::NewUser {
                username: admin.clone(),
                display_name: "Ada",
                role: redress_domain::application::Role::Admin,
                password: crate::helpers::PASSWORD,
                locale: "en",
                email: None,
            };
            app.store.create_user(u, jiff::Timestamp::now()).await.expect("admin");
        }
        for _ in 0..2 {
            redress_payouts::reconcile(&app.state.app, channels, c, today).await.expect("reconcile");
        }
        let told = app.store.notifications_of("ada", &redress_store::PageRequest::first(200)).await.expect("list");
        let about: Vec<_> = told
            .items
            .iter()
            .filter(|n| n.notice.subject.as_str() == no && n.notice.kind.as_str() == "payout.paid_twice")
            .collect();
        assert_eq!(about.len(), 1, "{channel}: told once");
        assert_eq!(about[0].notice.amount, Some(Fen(2000)));
        let alice_told =
            app.store.notifications_of("alice", &redress_store::PageRequest::first(200)).await.expect("list");
        assert!(
            alice_told
                .items
                .iter()
                .any(|n| n.notice.subject.as_str() == no && n.notice.kind.as_str() == "payout.abnormal"),
            "{channel}: the buyer is told the account could not be reached"
        );
        assert!(alice_told.items.iter().all(|n| n.notice.kind.as_str() != "payout.paid_twice"), "staff only");
    }
});

both!(two_instances_on_one_database_never_send_a_payout_twice, |app: TestApp| async move {
    let (Some(url), Some(schema)) = (std::env::var("REDRESS_TEST_DATABASE_URL").ok(), app.schema.clone()) else {
        eprintln!("several instances share a PostgreSQL database only");
        return;
    };
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let mut nos = Vec::new();
    for i in 0..24 {
        nos.push(approved_by(&app, &alice, &rita, "wechat_pay", &format!("TW-{i}"), "10").await);
    }
    // A second instance: its own connections to the same database.
    let other = redress_store::Store::connect(&url, Some(&schema)).await.expect("second instance");
    let channels = app.state.payments.channels.clone();
    let blobs = app.state.app.blobs.clone();
    let worker = |store: redress_store::Store| {
        let channels = channels.clone();
        let app = redress_app::App::new(store, blobs.clone(), redress_app::Clock::System);
        tokio::spawn(async move {
            let mut taken = 0;
            loop {
                let n = redress_payouts::run_once(&app, &channels).await.expect("worker");
                if n == 0 {
                    return taken;
                }
                taken += n;
            }
        })
    };
    let (a, b) = tokio::join!(worker(app.store.clone()), worker(other.clone()),);
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a + b, nos.len(), "each payout taken once between them ({a} + {b})");
    let books = app.store.sandbox_refunds("wechat_pay").await.expect("books");
    assert_eq!(books.len(), nos.len());
    assert!(books.iter().all(|b| b.requests == 1), "no key was sent twice");
    for no in &nos {
        assert_eq!(payouts(&app, no).await[0].state, PayoutState::Processing);
    }
});

both!(a_misbehaving_channel_still_pays_every_approval_exactly_once, |app: TestApp| async move {
    use redress_sandbox::Faults;
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let mut nos = Vec::new();
    for (i, channel) in ["wechat_pay", "bank_card", "alipay"].iter().cycle().take(18).enumerate() {
        nos.push(approved_by(&app, &alice, &rita, channel, &format!("CH-{i}"), "12.50").await);
    }
    let sandbox = app.sandbox.clone().expect("sandbox").sandbox;
    // Errors, lost answers, callbacks before answers, and every callback twice.
    sandbox.set_faults(Faults { error: 0.3, lost: 0.3, early: 0.3, twice: 1.0, ..Faults::default() });
    let channels = &app.state.payments.channels;
    let start = jiff::Timestamp::now();
    // Run the worker as time passes (hours at a step, past every backoff) and let the sandbox
    // settle and call back, until every payout has ended.
    for step in 1..=40 {
        let at = start + jiff::SignedDuration::from_hours(2 * step);
        redress_payouts::run_once(&app.at(at), channels).await.expect("worker");
        app.run("sandbox").await;
        let mut open = 0;
        for no in &nos {
            if payouts(&app, no).await.iter().any(|p| !p.state.is_final()) {
                open += 1;
            }
        }
        if open == 0 {
            break;
        }
    }
    sandbox.set_faults(Faults::default());
    let mut books = Vec::new();
    for ch in ["wechat_pay", "alipay", "bank_card"] {
        books.extend(app.store.sandbox_refunds(ch).await.expect("books"));
    }
    for no in &nos {
        let p = payouts(&app, no).await;
        assert_eq!(p.len(), 1, "{no}: one payout");
        assert_eq!(p[0].state, PayoutState::Succeeded, "{no}: {:?}", p[0]);
        assert_eq!(state_as(&app, &alice, no).await, "refunded", "{no}");
        // The channel paid this key once, the approved amount, however often it was asked.
        let paid: Vec<_> = books.iter().filter(|b| b.refund_key == p[0].id).collect();
        assert_eq!(paid.len(), 1, "{no}");
        assert_eq!(paid[0].amount_fen, 1250, "{no}: no order gets back more than approved");
    }
    assert_eq!(books.len(), nos.len(), "no refund the outbox did not ask for");
});

/// Works the outbox and lets the sandbox settle and call back until nothing is left to do.
async fn settle_all(app: &TestApp) {
    for _ in 0..20 {
        let worked = app.run("payouts").await;
        let delivered = app.run("sandbox").await;
        if worked == 0 && delivered == 0 {
            return;
        }
    }
    panic!("the payouts did not settle");
}

both!(reconciliation_lists_every_mismatch_with_the_channels_statements, |app: TestApp| async move {
    use redress_domain::reconcile::Mismatch;
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    let channels = app.state.payments.channels.clone();
    let today = redress_domain::reconcile::business_date(jiff::Timestamp::now());
    for (i, channel) in ["wechat_pay", "alipay", "bank_card", "wechat_pay", "alipay", "bank_card"].iter().enumerate() {
        approved_by(&app, &alice, &rita, channel, &format!("RC-{i}"), &format!("{}.50", 10 + i)).await;
    }
    settle_all(&app).await;
    for channel in Channel::ALL {
        let r = redress_payouts::reconcile(&app.state.app, &channels, channel, today).await.expect("reconcile");
        assert_eq!(r.mismatches, vec![], "{channel:?}");
        assert_eq!((r.at_channel, r.in_redress, r.matched), (2, 2, 2), "{channel:?}");
    }

    // The channel refunds another amount than Redress asked for (the sandbox already holds the
    // key with 3.00 when Redress sends 12.50 under it).
    let wrong = approved_by(&app, &alice, &rita, "alipay", "RC-6", "12.50").await;
    let now = jiff::Timestamp::now();
    let booked = redress_store::SandboxRefund {
        channel: "alipay".into(),
        refund_key: format!("{wrong}-P1"),
        refund_id: "2026ALIPAYTRADE".into(),
        trade_ref: "2026ALIPAYTRADE".into(),
        amount_fen: 300,
        total_fen: 300,
        status: "SUCCESS".into(),
        notify_url: None,
        requests: 1,
        created_at: now,
        settle_at: now,
        settled_at: None,
        notified_at: None,
    };
    app.store.sandbox_request(booked.clone()).await.expect("book");
    // A refund under a key Redress never issued.
    let stranger =
        redress_store::SandboxRefund { refund_key: "RF-20261124-ZZZZZZ-P1".into(), amount_fen: 999, ..booked.clone() };
    app.store.sandbox_request(stranger).await.expect("book");
    settle_all(&app).await;
    // WeChat Pay settles a refund whose notification Redress never gets.
    let behind = approved_by(&app, &alice, &rita, "wechat_pay", "RC-7", "11.00").await;
    redress_payouts::run_once(&app.state.app, &channels).await.expect("worker");
    let behind_key = format!("{behind}-P1");
    app.store.sandbox_settle_now("wechat_pay", &behind_key, "SUCCESS", jiff::Timestamp::now()).await.expect("settle");
    // Redress believes a bank refund arrived that the bank never made.
    let ghost = approved_by(&app, &alice, &rita, "bank_card", "RC-8", "13.00").await;
    let ghost_key = format!("{ghost}-P1");
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    app.state
        .app
        .payout_reported(&ghost_key, redress_domain::payout::ChannelStatus::Succeeded, Some("BK-GHOST"), None, later)
        .await
        .expect("report");

    // Alipay refunds a key Redress issued for the bank.
    let astray = redress_store::SandboxRefund { refund_key: ghost_key.clone(), amount_fen: 1300, ..booked };
    app.store.sandbox_request(astray).await.expect("book");

    let alipay = redress_payouts::reconcile(&app.state.app, &channels, Channel::Alipay, today).await.expect("alipay");
    let mut expected = vec![
        Mismatch::Amount { key: format!("{wrong}-P1"), ours: Fen(1250), theirs: Fen(300) },
        Mismatch::UnknownToRedress {
            key: "RF-20261124-ZZZZZZ-P1".into(),
            channel_ref: "2026ALIPAYTRADE".into(),
            amount: Fen(999),
        },
        Mismatch::OtherChannel { key: ghost_key.clone(), amount: Fen(1300), issued_for: Channel::BankCard },
    ];
    expected.sort_by(|a, b| a.key().cmp(b.key()));
    assert_eq!(alipay.mismatches, expected);
    assert_eq!((alipay.at_channel, alipay.matched), (5, 2));
    let wechat =
        redress_payouts::reconcile(&app.state.app, &channels, Channel::WechatPay, today).await.expect("wechat");
    assert_eq!(
        wechat.mismatches,
        vec![Mismatch::State {
            key: behind_key,
            ours: PayoutState::Processing,
            theirs: redress_domain::payout::ChannelStatus::Succeeded
        }]
    );
    let bank = redress_payouts::reconcile(&app.state.app, &channels, Channel::BankCard, today).await.expect("bank");
    assert_eq!(bank.mismatches, vec![Mismatch::MissingAtChannel { key: ghost_key, amount: Fen(1300) }]);
    // A day without refunds: WeChat Pay has no bill for it; nothing to compare, nothing wrong.
    let quiet = today.checked_sub(jiff::Span::new().days(400)).expect("day");
    for channel in Channel::ALL {
        let r = redress_payouts::reconcile(&app.state.app, &channels, channel, quiet).await.expect("quiet day");
        assert_eq!((r.at_channel, r.in_redress, r.mismatches.len()), (0, 0, 0), "{channel:?}");
    }
});
