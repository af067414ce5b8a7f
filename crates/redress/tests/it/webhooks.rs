//! Webhooks to the merchant's system: endpoints over the merchant API, outbound safety, and
//! deliveries to a local receiver — signed (checked by the specification's own library when
//! it is installed), retried on the injected clock under one `webhook-id`, logged, disabled
//! on 410 or five days of failure (the administrators told), redelivered and replayed.

use crate::both;
use crate::helpers::TestApp;
use jiff::{SignedDuration, Timestamp};
use redress_webhooks::Webhooks;
use redress_webhooks::signature::{Secret, verify};
use redress_webhooks::vault::{KEY_FILE, Vault};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A local receiver: answers each message's n-th arrival with `plan(n)` (from 1).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(plan: fn(usize) -> u16) -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let seen = got.clone();
        let handler = move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let g = Got {
                    id: h("webhook-id"),
                    timestamp: h("webhook-timestamp"),
                    signature: h("webhook-signature"),
                    body,
                };
                let mut all = seen.lock().expect("lock");
                let n = all.iter().filter(|o| o.id == g.id).count() + 1;
                all.push(g);
                let status = StatusCode::from_u16(plan(n)).expect("a status");
                (status, "x".repeat(3000))
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    fn of_type(&self, kind: &str) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.json()["type"] == kind).collect()
    }
}

/// The webhook side of a second instance on the same database and key file, allowed to
/// call local receivers.
fn local_hooks(app: &TestApp) -> Webhooks {
    let vault = Vault::open_or_create(&app.evidence.path().join(KEY_FILE)).expect("the key");
    Webhooks::new(vault, true).expect("a sender")
}

/// One pass of the webhook job as if it were `at`.
async fn deliver_at(app: &TestApp, hooks: &Webhooks, at: Timestamp) -> usize {
    hooks.deliver(&app.at(at), 200, 20).await.expect("a pass")
}

/// A submitted application approved by rita; its number.
async fn approved(app: &TestApp, order: &str) -> String {
    let (alice, rita) = (app.login("alice").await, app.login("rita").await);
    app.order(order, "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let no = app.submitted(&alice, order, "40").await;
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({"amount": "30"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    no
}

/// Whether the specification's Python library verifies `g` with `secret`; `None` when it is
/// not installed (then it must not be required).
fn reference_verifies(secret: &str, g: &Got) -> Option<bool> {
    let python = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-venv/bin/python");
    let present =
        std::process::Command::new(&python).args(["-c", "import standardwebhooks"]).status().is_ok_and(|s| s.success());
    if !present {
        assert!(std::env::var("REDRESS_REQUIRE_STANDARDWEBHOOKS").is_err(), "standardwebhooks is not installed");
        return None;
    }
    let script = "import sys, standardwebhooks\n\
                  secret, msg_id, ts, sig, body = sys.argv[1:6]\n\
                  standardwebhooks.Webhook(secret).verify(body, {'webhook-id': msg_id, 'webhook-timestamp': ts, 'webhook-signature': sig})";
    let out = std::process::Command::new(&python)
        .args(["-c", script, secret, &g.id, &g.timestamp, &g.signature, &g.body])
        .output()
        .expect("python runs");
    Some(out.status.success())
}

both!(endpoints_are_managed_over_the_merchant_api_and_inside_addresses_refused, |app: TestApp| async move {
    let create = |body: Value| app.call(Method::POST, "/api/v1/merchant/webhooks", Some(&app.merchant), Some(body));
    for url in [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443/",
        "https://localhost:8443/hook",
    ] {
        let r = create(json!({"url": url})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
        assert_eq!(r.body["fields"][0]["code"], "webhook-url-private", "{url}: {}", r.body);
        assert!(r.body["fields"][0]["message"].as_str().is_some_and(|m| m.contains("内部网络")), "{}", r.body);
    }
    let r = create(json!({"url": "http://hooks.example.com/"})).await;
    assert_eq!(r.body["fields"][0]["code"], "webhook-url-not-https", "{}", r.body);
    let r = create(json!({"url": "https://u:p@hooks.example.com/"})).await;
    assert_eq!(r.body["fields"][0]["code"], "webhook-url-credentials", "{}", r.body);
    let r = create(json!({"url": "https://hooks.example.com/", "events": ["refund.*"]})).await;
    assert_eq!(r.body["fields"][0]["code"], "webhook-event-unknown", "{}", r.body);
    let r = app
        .call(Method::POST, "/api/v1/merchant/webhooks", None, Some(json!({"url": "https://hooks.example.com/"})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.call(Method::GET, "/api/v1/merchant/webhooks", Some(&app.merchant), None).await;
    assert_eq!(r.body["items"], json!([]), "nothing refused was registered");

    let r =
        create(json!({"url": "https://hooks.example.com/redress", "events": ["application.*", "payout.succeeded"]}))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("a secret").to_owned();
    assert!(Secret::parse(&secret).is_ok(), "{secret}");
    let id = r.body["endpoint"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(r.body["endpoint"]["events"], json!(["application.*", "payout.succeeded"]));

    let listed = app.call(Method::GET, "/api/v1/merchant/webhooks", Some(&app.merchant), None).await;
    assert_eq!(listed.body["items"][0]["id"], id.as_str());
    assert!(!listed.body.to_string().contains(&secret[6..]), "never listed");

    let base = format!("/api/v1/merchant/webhooks/{id}");
    let r = app.call(Method::POST, &format!("{base}/rotate-secret"), Some(&app.merchant), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(r.body["secret"], secret.as_str());
    let until: Timestamp =
        r.body["endpoint"]["previous_secret_until"].as_str().expect("an overlap").parse().expect("a time");
    assert!((until - Timestamp::now()).abs() < SignedDuration::from_hours(24) + SignedDuration::from_mins(1));
    let r = app.call(Method::POST, &format!("{base}/disable"), Some(&app.merchant), None).await;
    assert_eq!(
        (r.status, &r.body["enabled"], &r.body["disabled_reason"]),
        (StatusCode::OK, &json!(false), &json!("manual"))
    );
    let r = app.call(Method::GET, &format!("{base}/attempts"), Some(&app.merchant), None).await;
    assert_eq!(r.body["items"], json!([]));
    let r = app.call(Method::GET, "/api/v1/merchant/webhooks/WE-0000000000000000", Some(&app.merchant), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::POST,
            &format!("{base}/replay"),
            Some(&app.merchant),
            Some(json!({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(r.body["fields"][0]["code"], "range-invalid", "{}", r.body);
});

both!(a_failing_receiver_gets_one_id_four_times_on_the_injected_clock, |app: TestApp| async move {
    let receiver = Receiver::start(|n| if n <= 3 { 500 } else { 200 }).await;
    let hooks = local_hooks(&app);
    let (endpoint, secret) = hooks.create(&app.state.app, &receiver.url, "", "test").await.expect("registered");
    let no = approved(&app, "DY-1").await;

    let t0 = Timestamp::now();
    assert!(deliver_at(&app, &hooks, t0).await >= 3, "submitted, in review, approved");
    let first = receiver.of_type("application.approved");
    assert_eq!(first.len(), 1);
    let body = first[0].json();
    assert_eq!(body["data"]["id"], no.as_str());
    assert_eq!(body["data"]["application"]["approved_fen"], 3000);
    assert_eq!(body["data"]["application"]["state"], "approved");
    assert!(body["data"]["sequence"].as_i64().is_some_and(|s| s >= 3), "{body}");
    assert!(first[0].body.len() <= 20 * 1024);
    let secret = Secret::parse(&secret).expect("a secret");
    let ts: i64 = first[0].timestamp.parse().expect("seconds");
    assert!(verify(&secret, &first[0].id, ts, first[0].body.as_bytes(), &first[0].signature));
    if let Some(ok) = reference_verifies(&secret.reveal(), &first[0]) {
        assert!(ok, "the standardwebhooks library verifies Redress's signature");
    }
    // No buyer contact data, no staff notes.
    assert!(!first[0].body.contains("reviewer") && !first[0].body.contains("email"), "{}", first[0].body);

    // Not before the retry time; then 5 s, 5 min and 30 min later.
    assert_eq!(deliver_at(&app, &hooks, t0 + SignedDuration::from_secs(2)).await, 0);
    let mut at = t0;
    for wait in [6, 301, 1801] {
        at += SignedDuration::from_secs(wait);
        deliver_at(&app, &hooks, at).await;
    }
    let all = receiver.of_type("application.approved");
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all.iter().all(|g| g.id == first[0].id && g.body == first[0].body), "the same message each time");
    assert_eq!(deliver_at(&app, &hooks, at + SignedDuration::from_hours(30)).await, 0, "delivered: done");

    // The log: four attempts, newest first, the answers cut at 1 KB.
    let log = app
        .call(
            Method::GET,
            &format!("/api/v1/merchant/webhooks/{}/attempts?limit=200", endpoint.id),
            Some(&app.merchant),
            None,
        )
        .await;
    let mine: Vec<&Value> = log.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["message_id"] == first[0].id.as_str())
        .collect();
    assert_eq!(mine.iter().map(|a| a["status"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [200, 500, 500, 500]);
    assert_eq!(mine.iter().map(|a| a["attempt"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [4, 3, 2, 1]);
    assert!(mine.iter().all(|a| a["answer"].as_str().is_some_and(|s| s.len() == 1024)));

    // The refund's news follows as the sandbox settles it (first answered 500, as everything
    // new to this receiver). Everything from here happens at one instant of the injected clock,
    // so no retry falls due meanwhile.
    app.run("payouts").await;
    app.run("sandbox").await;
    let later = at + SignedDuration::from_hours(31);
    deliver_at(&app, &hooks, later).await;
    let sent = receiver.of_type("payout.sent");
    assert_eq!(sent.len(), 1, "{:?}", receiver.got().iter().map(|g| g.json()["type"].clone()).collect::<Vec<_>>());
    assert_eq!(sent[0].json()["data"]["payout"]["amount_fen"], 3000);

    // Redelivery sends the same id again; replaying the day sends every message again.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/merchant/webhooks/{}/messages/{}/redeliver", endpoint.id, first[0].id),
            Some(&app.merchant),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let before = receiver.got().len();
    deliver_at(&app, &hooks, later).await;
    let got = receiver.got();
    assert_eq!(got.len(), before + 1);
    assert_eq!(got[before].id, first[0].id);
    // After a rotation both secrets sign, for 24 hours: two signatures, each verifying.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/merchant/webhooks/{}/rotate-secret", endpoint.id),
            Some(&app.merchant),
            None,
        )
        .await;
    let rotated = Secret::parse(r.body["secret"].as_str().expect("a secret")).expect("a secret");
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/merchant/webhooks/{}/messages/{}/redeliver", endpoint.id, first[0].id),
            Some(&app.merchant),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // On the real clock: within the overlap (nothing else is due then).
    deliver_at(&app, &hooks, Timestamp::now()).await;
    let g = receiver.got().last().cloned().expect("delivered");
    assert_eq!((g.id.as_str(), g.signature.split(' ').count()), (first[0].id.as_str(), 2), "{}", g.signature);
    let ts: i64 = g.timestamp.parse().expect("seconds");
    assert!(verify(&secret, &g.id, ts, g.body.as_bytes(), &g.signature), "the old secret still verifies");
    assert!(verify(&rotated, &g.id, ts, g.body.as_bytes(), &g.signature), "the new one too");
    if let Some(ok) = reference_verifies(&rotated.reveal(), &g) {
        assert!(ok, "the library takes either signature");
    }

    let day = json!({"since": (t0 - SignedDuration::from_hours(1)).to_string(), "until": (t0 + SignedDuration::from_hours(1)).to_string()});
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/merchant/webhooks/{}/replay", endpoint.id),
            Some(&app.merchant),
            Some(day),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let messages: std::collections::BTreeSet<String> = receiver.got().into_iter().map(|g| g.id).collect();
    assert_eq!(r.body["queued"].as_u64(), Some(messages.len() as u64), "every message of the day, once");
    let before = receiver.got().len();
    deliver_at(&app, &hooks, later).await;
    assert_eq!(receiver.got().len(), before + messages.len());
});

both!(gone_and_five_days_of_failure_disable_an_endpoint_and_tell_the_admins, |app: TestApp| async move {
    app.store
        .create_user(
            redress_app::NewUser {
                username: redress_domain::ids::Username::parse("root").expect("a name"),
                display_name: "root",
                role: redress_domain::application::Role::Admin,
                password: crate::helpers::PASSWORD,
                locale: "en",
                email: None,
            },
            Timestamp::now(),
        )
        .await
        .expect("an admin");
    let gone = Receiver::start(|_| 410).await;
    let failing = Receiver::start(|_| 503).await;
    let hooks = local_hooks(&app);
    let (g, _) = hooks.create(&app.state.app, &gone.url, "application.submitted", "test").await.expect("registered");
    let (f, _) = hooks.create(&app.state.app, &failing.url, "application.submitted", "test").await.expect("registered");
    let alice = app.login("alice").await;
    app.order("DY-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    app.submitted(&alice, "DY-1", "40").await;

    let t0 = Timestamp::now();
    deliver_at(&app, &hooks, t0).await;
    assert_eq!((gone.got().len(), failing.got().len()), (1, 1), "each takes only what it asked for");
    let g = app.state.app.endpoint(&g.id).await.expect("there");
    assert_eq!((g.enabled, g.disabled_reason.as_deref()), (false, Some("gone")), "410 disables at once");
    let f1 = app.state.app.endpoint(&f.id).await.expect("there");
    assert!(f1.enabled && f1.failing_since.is_some());

    // Four days on it is still tried; past five it is disabled and the admin told.
    deliver_at(&app, &hooks, t0 + SignedDuration::from_hours(4 * 24)).await;
    assert!(app.state.app.endpoint(&f.id).await.expect("there").enabled);
    deliver_at(&app, &hooks, t0 + SignedDuration::from_hours(5 * 24 + 1)).await;
    let f2 = app.state.app.endpoint(&f.id).await.expect("there");
    assert_eq!((f2.enabled, f2.disabled_reason.as_deref()), (false, Some("failing")));
    let root = app.login("root").await;
    let told = app.get("/api/v1/notifications", &root).await;
    let kinds: Vec<&str> =
        told.body["items"].as_array().expect("items").iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "webhook.endpoint_disabled").count(), 2, "{}", told.body);
    let links: Vec<&str> =
        told.body["items"].as_array().expect("items").iter().filter_map(|n| n["link"].as_str()).collect();
    assert!(links.iter().all(|l| *l == "/admin/webhooks"), "{links:?}");
    // The administrators' page shows both, why each was disabled, and the log; staff may not see it.
    let page = |token: String, path: String| {
        let req = app.client.get(format!("{}{path}", app.base)).header("cookie", format!("redress_session={token}"));
        async move {
            let r = req.send().await.expect("page");
            (r.status(), r.text().await.expect("html"))
        }
    };
    let (status, html) = page(root.clone(), format!("/admin/webhooks?endpoint={}", f.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&g.id) && html.contains(&f.id), "{html}");
    assert!(html.contains("410 Gone") && html.contains("连续五天没有成功"), "{html}");
    assert!(html.contains("data-attempt=\"3\"") && html.contains("503"), "{html}");
    let (status, _) = page(app.login("rita").await, "/admin/webhooks".into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = page(root, "/admin/mail".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("所有邮件都已送达"), "{html}");
    // Nothing more goes to a disabled endpoint.
    let before = failing.got().len();
    deliver_at(&app, &hooks, t0 + SignedDuration::from_hours(6 * 24)).await;
    assert_eq!(failing.got().len(), before);
});
