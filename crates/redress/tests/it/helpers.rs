//! Spawns Redress on port 0 over a fresh database and drives it over HTTP.

use jiff::{SignedDuration, Timestamp};
use rand::RngExt;
use redress_domain::application::Role;
use redress_domain::ids::Username;
use redress_domain::policy::Policy;
use redress_store::{NewUser, Store, User};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Runs a test body on SQLite and on PostgreSQL (when configured) as two test functions.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite().await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::postgres().await else {
                    return;
                };
                ($body)(app).await;
            }
        }
    };
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub merchant: String,
    /// The server's data folder (its evidence files are in `evidence/`).
    pub evidence: tempfile::TempDir,
    /// The server's state, built as `serve` builds it.
    pub state: redress_web::AppState,
    /// The jobs `serve` runs, stepped by the tests one pass at a time.
    pub jobs: redress::jobs::Jobs,
    /// The sandbox payment gateway the channels talk to.
    pub sandbox: Option<redress_sandbox::Gateway>,
    /// The PostgreSQL schema of this test's database (none on SQLite).
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        TestApp::sqlite_mail(None).await
    }

    /// On SQLite, sending notification e-mail to `smtp` (an `smtp://` URL) if given.
    pub async fn sqlite_mail(smtp: Option<&str>) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("sqlite");
        TestApp::start(store, Some(dir), smtp).await
    }

    pub async fn postgres() -> Option<TestApp> {
        TestApp::postgres_mail(None).await
    }

    /// On PostgreSQL (when configured), sending notification e-mail to `smtp` if given.
    pub async fn postgres_mail(smtp: Option<&str>) -> Option<TestApp> {
        let url = match std::env::var("REDRESS_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("REDRESS_REQUIRE_POSTGRES").is_err(),
                    "REDRESS_REQUIRE_POSTGRES is set but REDRESS_TEST_DATABASE_URL is not"
                );
                eprintln!("skipping: REDRESS_TEST_DATABASE_URL not set");
                return None;
            }
        };
        let schema = format!("t_{:016x}", rand::rng().random::<u64>());
        let store = Store::connect(&url, Some(&schema)).await.expect("postgres");
        let mut app = TestApp::start(store, None, smtp).await;
        app.schema = Some(schema);
        Some(app)
    }

    async fn start(store: Store, dir: Option<tempfile::TempDir>, smtp: Option<&str>) -> TestApp {
        store.migrate().await.expect("migrate");
        let now = Timestamp::now();
        store.publish_policy(&Policy::seed_v1(), "test", now).await.expect("policy");
        for (name, role) in [
            ("alice", Role::Buyer),
            ("bob", Role::Buyer),
            ("rita", Role::Reviewer),
            ("rick", Role::Reviewer),
            ("sam", Role::SeniorReviewer),
            ("sue", Role::SeniorReviewer),
            ("amy", Role::Agent),
            ("sol", Role::Supervisor),
        ] {
            let u = NewUser {
                username: Username::parse(name).expect("name"),
                display_name: name,
                role,
                password: PASSWORD,
                locale: "zh-CN",
                email: None,
            };
            store.create_user(u, now).await.expect("user");
        }
        let merchant = store.create_api_token("test-merchant", now).await.expect("token");
        let evidence = tempfile::tempdir().expect("data dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Built as `serve` builds it, from test settings: the sandbox gateway on this same
        // server, settling at once.
        let flags = redress::settings::Common {
            data_dir: Some(evidence.path().to_path_buf()),
            sandbox_settle_secs: Some(0),
            smtp_url: smtp.map(str::to_owned),
            smtp_from: Some("Redress <refunds@example.com>".to_owned()),
            ..Default::default()
        };
        let settings = redress::settings::Settings::resolve(&flags).expect("test settings");
        let built = redress::startup::Redress::build(&settings, store.clone(), Some(&format!("http://{addr}")))
            .await
            .expect("build");
        let (state, jobs, sandbox) = (built.state.clone(), built.jobs.clone(), built.sandbox.clone());
        let app = built.router();
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
        });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            merchant,
            evidence,
            state,
            jobs,
            sandbox,
            schema: None,
            _dir: dir,
        }
    }

    /// Takes the system snapshots of new submissions, as `serve` does every second.
    pub async fn take_snapshots(&self) -> usize {
        self.run("snapshots").await
    }

    pub async fn login(&self, name: &str) -> String {
        let r = self
            .call(Method::POST, "/api/v1/session", None, Some(json!({"username": name, "password": PASSWORD})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "login {name}: {}", r.body);
        r.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn user(&self, name: &str) -> User {
        self.store.user(name).await.expect("user")
    }

    /// One HTTP call; `token` is a session or API token.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        self.call_lang(method, path, token, body, None).await
    }

    pub async fn call_lang(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        lang: Option<&str>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(l) = lang {
            req = req.header("accept-language", l);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Pushes an order through the merchant API: `promised` units for `paid_fen`, paid
    /// `paid_days_ago`, due 3 days after payment, with `delivered` units recorded by `source`
    /// an hour before the deadline.
    pub async fn order(
        &self,
        no: &str,
        buyer: &str,
        promised: u64,
        paid_fen: i64,
        paid_days_ago: i64,
        delivered: Option<(u64, &str)>,
    ) {
        self.order_via("wechat_pay", no, buyer, promised, paid_fen, paid_days_ago, delivered).await
    }

    /// An order paid through `channel`.
    #[allow(clippy::too_many_arguments)]
    pub async fn order_via(
        &self,
        channel: &str,
        no: &str,
        buyer: &str,
        promised: u64,
        paid_fen: i64,
        paid_days_ago: i64,
        delivered: Option<(u64, &str)>,
    ) {
        let paid_at = Timestamp::now() - SignedDuration::from_hours(24 * paid_days_ago);
        let deadline = paid_at + SignedDuration::from_hours(72);
        let body = json!({
            "buyer": buyer,
            "service": {"name": "抖音点赞", "platform": "douyin", "unit": "likes", "promised": promised, "deadline": deadline},
            "policy_version": 1,
            "policy_accepted_at": paid_at,
            "payment": {"channel": channel, "transaction_id": format!("4200{no}"), "amount_fen": paid_fen, "paid_at": paid_at},
        });
        let r =
            self.call(Method::PUT, &format!("/api/v1/merchant/orders/{no}"), Some(&self.merchant), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "order {no}: {}", r.body);
        if let Some((n, source)) = delivered {
            let at = deadline - SignedDuration::from_hours(1);
            let body = json!({"readings": [{"at": at, "delivered": n, "source": source}]});
            let r = self
                .call(
                    Method::POST,
                    &format!("/api/v1/merchant/orders/{no}/deliveries"),
                    Some(&self.merchant),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }

    /// Creates and submits an application; returns its number.
    pub async fn submitted(&self, token: &str, order: &str, amount: &str) -> String {
        let r = self
            .post(
                "/api/v1/applications",
                token,
                json!({"order_no": order, "reason": "quantity_short", "amount": amount, "description": "short"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let no = r.body["no"].as_str().expect("no").to_owned();
        let r = self.post(&format!("/api/v1/applications/{no}/submit"), token, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["no"].as_str().expect("no").to_owned()
    }

    /// The evidence store's folder.
    pub fn evidence_root(&self) -> std::path::PathBuf {
        self.evidence.path().join("evidence")
    }

    /// One pass of the job `serve` runs under `name`; how many items it handled.
    pub async fn run(&self, name: &str) -> usize {
        self.jobs.run(name).await.unwrap_or_else(|e| panic!("job {name}: {e}"))
    }

    /// The use cases on this test's database with a clock standing at `at` (for writes dated
    /// in the past, as the demo makes them).
    pub fn at(&self, at: Timestamp) -> redress_app::App {
        redress_app::App::new(self.store.clone(), self.state.app.blobs.clone(), redress_app::Clock::manual(at))
    }

    /// Everything the tests compare to prove "nothing changed": every application row and
    /// every timeline event.
    pub async fn snapshot(&self) -> Vec<String> {
        let mut out = vec![];
        for buyer in ["alice", "bob"] {
            let name = Username::parse(buyer).expect("name");
            for a in self
                .store
                .applications_of(redress_store::AppsOf::Buyer(&name), &redress_store::PageRequest::first(200))
                .await
                .expect("apps")
                .items
            {
                out.push(format!("{a:?}"));
                if let Some(no) = &a.no {
                    let timeline = self.store.timeline(no).await.expect("timeline");
                    out.push(format!("{:?}", timeline.iter().map(|t| (t.seq, t.event.clone())).collect::<Vec<_>>()));
                }
            }
        }
        out
    }
}
