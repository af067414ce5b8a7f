//! Money is safe across crashes (docs/product.md §4): `serve` runs as a child process, 500
//! applications are approved through its API while it is killed with SIGKILL at 20 random
//! moments — approvals half-answered, payouts taken and not finished, refunds booked by the
//! sandbox with their answers never read, callbacks never delivered. After a restart and
//! settling: every approved application has exactly one successful refund at the sandbox, of
//! the approved amount; no order got back more than was paid; the sandbox never refunded a key
//! twice, nor a key Redress did not issue. A webhook endpoint takes every step meanwhile: after
//! the restarts every approval and every refund has reached it at least once, and a message
//! that came twice came under the same `webhook-id` with the same body. With an SMTP sink
//! (aiosmtpd), every application's first e-mail arrives too, a repeat under its `Message-ID`.

// The e-mail tests' sink; this test reads what it received, not every part of each.
#[path = "it/mailbox.rs"]
#[allow(dead_code)]
mod mailbox;
mod support;

use redress_domain::application::ApplicationState;
use redress_domain::ids::{ApplicationNo, Username};
use redress_domain::order::Channel;
use redress_domain::payout::PayoutState;
use redress_store::Store;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};
use support::serve_at;

const APPLICATIONS: usize = 500;
const KILLS: usize = 20;
const PAID_FEN: i64 = 10_000;
const APPROVED_FEN: i64 = 4_000;
const ENV: &[(&str, &str)] = &[
    ("REDRESS_SANDBOX_SETTLE_SECS", "1"),
    ("REDRESS_PAYOUT_LEASE_SECS", "2"),
    ("REDRESS_WEBHOOK_ALLOW_PRIVATE", "true"),
];

/// What the webhook receiver got: each message's id and body, in order of arrival.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A receiver on a local port that answers every message 204; its URL.
async fn receiver(got: Received) -> String {
    let handler = move |headers: axum::http::HeaderMap, body: String| {
        let got = got.clone();
        async move {
            let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            got.lock().expect("lock").push((id, body));
            axum::http::StatusCode::NO_CONTENT
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The (application, type) pairs the receiver has, checking on the way that a message that
/// came twice came with the same id and body, and that one step has one id.
fn received(got: &Received) -> BTreeSet<(String, String)> {
    let got = got.lock().expect("lock");
    let mut by_id: BTreeMap<&str, &str> = BTreeMap::new();
    let mut by_step: BTreeMap<(String, String, i64), &str> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (id, body) in got.iter() {
        assert_eq!(*by_id.entry(id).or_insert(body), body.as_str(), "{id} came with two bodies");
        let v: Value = serde_json::from_str(body).expect("a JSON body");
        let (no, kind) =
            (v["data"]["id"].as_str().unwrap_or("").to_owned(), v["type"].as_str().unwrap_or("").to_owned());
        let step = (no.clone(), kind.clone(), v["data"]["sequence"].as_i64().unwrap_or(-1));
        assert_eq!(*by_step.entry(step).or_insert(id), id.as_str(), "one step under two ids");
        out.insert((no, kind));
    }
    out
}

struct Api {
    c: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> Result<(u16, Value), String> {
        let res = self
            .c
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Result<(u16, Value), String> {
        self.call(reqwest::Method::POST, path, token, body).await
    }

    async fn login(&self, name: &str) -> String {
        let (status, body) = self
            .post("/api/v1/session", "", json!({"username": name, "password": "redress-demo"}))
            .await
            .expect("sign in");
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// An order of 1000 likes paid 100.00 five days ago, 600 delivered: its application for
    /// 40.00 waits for a reviewer. Returns the application's number.
    async fn application(&self, merchant: &str, buyers: &[(&str, String)], i: usize) -> String {
        let no = format!("CR-{i:04}");
        let (buyer, token) = &buyers[(i / 3) % buyers.len()];
        let channel = Channel::ALL[i % 3].as_str();
        let paid_at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 5);
        let deadline = paid_at + jiff::SignedDuration::from_hours(72);
        let order = json!({
            "buyer": buyer,
            "service": {"name": "抖音点赞", "platform": "douyin", "unit": "likes", "promised": 1000, "deadline": deadline},
            "policy_version": 1,
            "policy_accepted_at": paid_at,
            "payment": {"channel": channel, "transaction_id": format!("TX{no}"), "amount_fen": PAID_FEN, "paid_at": paid_at},
        });
        let (s, b) = self
            .call(reqwest::Method::PUT, &format!("/api/v1/merchant/orders/{no}"), merchant, order)
            .await
            .expect("order");
        assert_eq!(s, 201, "{b}");
        let at = deadline - jiff::SignedDuration::from_hours(1);
        let readings = json!({"readings": [{"at": at, "delivered": 600, "source": "third_party"}]});
        let (s, b) = self
            .post(&format!("/api/v1/merchant/orders/{no}/deliveries"), merchant, readings)
            .await
            .expect("deliveries");
        assert_eq!(s, 200, "{b}");
        let draft = json!({"order_no": no, "reason": "quantity_short", "amount": "40", "description": "short"});
        let (s, b) = self.post("/api/v1/applications", token, draft).await.expect("draft");
        assert_eq!(s, 201, "{b}");
        let draft = b["no"].as_str().expect("no").to_owned();
        let (s, b) =
            self.post(&format!("/api/v1/applications/{draft}/submit"), token, json!({})).await.expect("submit");
        assert_eq!((s, b["state"].as_str()), (200, Some("submitted")), "{b}");
        // Numbered at submission.
        b["no"].as_str().expect("no").to_owned()
    }

    /// Claims and approves; whether the server said it was approved (it may have been even when
    /// the answer never came).
    async fn approve(&self, wang: &str, no: &str) -> bool {
        // A claim lost to a kill shows in the approval's answer.
        self.post(&format!("/api/v1/review/applications/{no}/claim"), wang, json!({})).await.ok();
        matches!(self.post(&format!("/api/v1/review/applications/{no}/approve"), wang, json!({})).await, Ok((200, _)))
    }
}

/// The running server, killed (SIGKILL) when dropped — also when the test fails.
struct Server(std::process::Child);

impl Server {
    fn start(dir: &Path, listen: &str, args: &[&str], env: &[(&str, &str)]) -> (Server, String, String) {
        let (child, base, report) = tokio::task::block_in_place(|| serve_at(dir, listen, args, env));
        (Server(child), base, report)
    }

    fn kill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Already stopped by the test, or killed here: either way reaped.
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn free_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}

async fn store(dir: &Path) -> Store {
    Store::connect(&Store::sqlite_url(dir), None).await.expect("store")
}

/// The crash test's payouts (the demo's own are left out), across channels.
async fn our_payouts(store: &Store) -> Vec<redress_store::Payout> {
    let (from, to) = (jiff::Timestamp::UNIX_EPOCH, jiff::Timestamp::MAX);
    let mut all = Vec::new();
    for c in Channel::ALL {
        all.extend(store.payouts_answered_or_arrived(c, from, to).await.expect("payouts"));
    }
    all.retain(|p| p.order_no.starts_with("CR-"));
    all
}

const BUYERS: [&str; 3] = ["lin", "zhao", "emma"];

/// The states of these applications (the buyers' lists hold at most 500 each).
async fn states_of(store: &Store, numbers: &BTreeSet<String>) -> BTreeMap<String, ApplicationState> {
    let mut out = BTreeMap::new();
    for buyer in BUYERS {
        let buyer = Username::parse(buyer).expect("name");
        let apps = store
            .applications_of(redress_store::AppsOf::Buyer(&buyer), &redress_store::PageRequest::first(200))
            .await
            .expect("applications")
            .items;
        out.extend(
            apps.into_iter()
                .filter(|a| numbers.contains(a.reference().as_str()))
                .map(|a| (a.reference().to_string(), a.state)),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_is_paid_exactly_once_through_twenty_sigkills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let listen = free_address();
    let sink = mailbox::Mailbox::start().await;
    let smtp = sink.as_ref().map(mailbox::Mailbox::url);
    let mut env = ENV.to_vec();
    if let Some(url) = &smtp {
        env.push(("REDRESS_SMTP_URL", url));
    }
    let (mut server, base, report) = Server::start(d, &listen, &["--demo"], &env);
    let merchant = report
        .lines()
        .find_map(|l| l.split_once("shown once): ").map(|(_, t)| t.trim().to_owned()))
        .expect("the demo prints its merchant token");
    let api = Api { c: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client"), base };
    let mut buyers = Vec::new();
    for b in BUYERS {
        buyers.push((b, api.login(b).await));
    }
    let wang = api.login("wang").await;
    let got: Received = Default::default();
    let hook = receiver(got.clone()).await;
    let (s, b) = api.post("/api/v1/merchant/webhooks", &merchant, json!({"url": hook})).await.expect("an endpoint");
    assert_eq!(s, 201, "{b}");

    // 500 applications waiting for a reviewer.
    let mut numbers = Vec::with_capacity(APPLICATIONS);
    for chunk in (0..APPLICATIONS).collect::<Vec<_>>().chunks(25) {
        let made = futures_util::future::join_all(chunk.iter().map(|&i| api.application(&merchant, &buyers, i))).await;
        numbers.extend(made);
    }
    let all: BTreeSet<String> = numbers.iter().cloned().collect();
    assert_eq!(all.len(), APPLICATIONS);

    // Approve them in 20 rounds, killing the server at a random moment of each.
    let reader = store(d).await;
    let mut unconfirmed: Vec<String> = Vec::new();
    let mut in_flight_at_kill = 0;
    let mut unanswered = 0;
    let per_round = APPLICATIONS / KILLS;
    for round in 0..KILLS {
        if round > 0 {
            server = Server::start(d, &listen, &[], &env).0;
        }
        // Those whose approval went unanswered: approved already, or to approve again.
        let states = states_of(&reader, &unconfirmed.iter().cloned().collect()).await;
        let mut batch: Vec<String> = unconfirmed
            .drain(..)
            .filter(|no| {
                states.get(no).is_some_and(|s| matches!(s, ApplicationState::Submitted | ApplicationState::InReview))
            })
            .collect();
        batch.extend(numbers[round * per_round..(round + 1) * per_round].iter().cloned());
        let approving = {
            let api = Api { c: api.c.clone(), base: api.base.clone() };
            let (wang, batch) = (wang.clone(), batch.clone());
            tokio::spawn(async move {
                let mut answered = Vec::new();
                for no in &batch {
                    answered.push(api.approve(&wang, no).await);
                }
                answered
            })
        };
        let started = Instant::now();
        if round % 2 == 0 {
            // While the reviewer's approvals are being answered.
            tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 200)).await;
        } else {
            // While the worker sends this round's payouts: once it has begun (the first of them
            // is refunding), at a random moment of its work.
            let mine: BTreeSet<String> = batch.iter().cloned().collect();
            while started.elapsed() < Duration::from_secs(5) {
                let s = states_of(&reader, &mine).await;
                if s.values().any(|s| matches!(s, ApplicationState::Refunding | ApplicationState::Refunded)) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 150)).await;
        }
        // Approved and not yet paid: a payout written, sent or on its way.
        let paying = states_of(&reader, &all)
            .await
            .values()
            .filter(|s| matches!(s, ApplicationState::Approved | ApplicationState::Refunding))
            .count();
        if paying > 0 {
            in_flight_at_kill += 1;
        }
        server.kill();
        let answered = approving.await.expect("approvals");
        for (no, ok) in batch.into_iter().zip(answered) {
            if !ok {
                unanswered += 1;
                unconfirmed.push(no);
            }
        }
    }

    // Restart, approve what is left, and let everything settle.
    server = Server::start(d, &listen, &[], &env).0;
    let states = states_of(&reader, &unconfirmed.iter().cloned().collect()).await;
    for no in unconfirmed.iter().filter(|no| {
        states.get(*no).is_some_and(|s| matches!(s, ApplicationState::Submitted | ApplicationState::InReview))
    }) {
        assert!(api.approve(&wang, no).await, "{no} approved after the last restart");
    }
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let states = states_of(&reader, &all).await;
        if states.values().all(|s| *s == ApplicationState::Refunded) {
            break;
        }
        if Instant::now() > deadline {
            let mut count = BTreeMap::new();
            for s in states.values() {
                *count.entry(format!("{s:?}")).or_insert(0) += 1;
            }
            panic!("not all refunded in time: {count:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Every approval and every refund reaches the merchant at least once (a delivery taken by
    // a killed server goes again when its lease ends).
    let deadline = Instant::now() + Duration::from_secs(180);
    let missing = loop {
        let have = received(&got);
        let missing: Vec<_> = all
            .iter()
            .flat_map(|no| ["application.approved", "payout.succeeded"].map(|k| (no.clone(), k.to_owned())))
            .filter(|step| !have.contains(step))
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(missing.is_empty(), "{} steps never reached the merchant, e.g. {:?}", missing.len(), missing.first());
    let repeats = {
        let got = got.lock().expect("lock");
        got.len() - got.iter().map(|(id, _)| id).collect::<BTreeSet<_>>().len()
    };
    // Every application's first e-mail (its receipt, and whatever joined it before it went)
    // arrives; one that came twice came under one Message-ID, to one reader, about one item.
    let mut mail_repeats = 0;
    if let Some(sink) = &sink {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mails = sink.received();
            let about: BTreeSet<&str> = all
                .iter()
                .filter(|no| mails.iter().any(|m| m.subject.contains(no.as_str())))
                .map(String::as_str)
                .collect();
            if about.len() == all.len() || Instant::now() > deadline {
                assert_eq!(about.len(), all.len(), "applications without an e-mail after the restarts");
                let mut by_id: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
                for m in &mails {
                    let seen = *by_id.entry(&m.message_id).or_insert((&m.to, &m.subject));
                    assert_eq!(seen, (m.to.as_str(), m.subject.as_str()), "{} sent as two e-mails", m.message_id);
                }
                mail_repeats = mails.len() - by_id.len();
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    drop(server);

    // The proof.
    assert!(in_flight_at_kill >= KILLS / 2, "payouts were in flight at {in_flight_at_kill} of {KILLS} kills");
    let payouts = our_payouts(&reader).await;
    let by_key: BTreeMap<&str, &redress_store::Payout> = payouts.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut refunded_per_order: BTreeMap<String, i64> = BTreeMap::new();
    let mut books_keys = BTreeSet::new();
    for c in Channel::ALL {
        for r in reader.sandbox_refunds(c.as_str()).await.expect("books") {
            // One booking per channel and key is the sandbox's own rule; across channels it is
            // Redress's: a key goes to the order's channel only.
            assert!(books_keys.insert(r.refund_key.clone()), "{} refunded through two channels", r.refund_key);
            let Some(p) = by_key.get(r.refund_key.as_str()) else {
                let demo = reader.payout(&r.refund_key).await.is_ok_and(|p| !p.order_no.starts_with("CR-"));
                assert!(demo, "the sandbox refunded {}, a key Redress did not issue", r.refund_key);
                continue;
            };
            assert_eq!(p.channel, c, "{}", r.refund_key);
            if r.status == "SUCCESS" {
                *refunded_per_order.entry(p.order_no.clone()).or_default() += r.amount_fen;
            }
        }
    }
    for no in &all {
        let ps = reader.payouts_of(&ApplicationNo::parse(no).expect("no")).await.expect("payouts");
        let succeeded: Vec<_> = ps.iter().filter(|p| p.state == PayoutState::Succeeded).collect();
        assert_eq!(succeeded.len(), 1, "{no}: {ps:?}");
        assert_eq!(succeeded[0].amount.get(), APPROVED_FEN, "{no}");
        let books: Vec<_> = ps.iter().filter_map(|p| books_keys.contains(&p.id).then_some(&p.id)).collect();
        assert_eq!(books.len(), 1, "{no}: one refund at the sandbox, got {books:?}");
        let order = &ps[0].order_no;
        assert_eq!(refunded_per_order.get(order).copied(), Some(APPROVED_FEN), "{no} ({order})");
    }
    assert!(refunded_per_order.values().all(|&f| f <= PAID_FEN));
    let worked_again = payouts.iter().filter(|p| p.attempts > 1).count();
    assert!(worked_again > 0, "no kill landed while a payout was being worked: nothing was proved");
    eprintln!(
        "{APPLICATIONS} applications, {KILLS} kills ({in_flight_at_kill} with payouts in flight, {unanswered} approval requests \
         unanswered), {worked_again} payouts worked again after a crash: each refunded once; {repeats} webhook messages \
         delivered again after a crash, under their own ids; {mail_repeats} e-mails sent again, under their own Message-IDs"
    );
}
