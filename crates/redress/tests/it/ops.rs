//! `/readyz?verbose=1`: every background job's last pass and its backlog, for staff or a
//! request from the machine itself.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn report(app: &TestApp) -> Value {
    let r = app.call(Method::GET, "/readyz?verbose=1", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn job<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["jobs"].as_array().expect("jobs").iter().find(|j| j["name"] == name).unwrap_or_else(|| panic!("{name}"))
}

both!(readiness_report_shows_each_jobs_pass_and_backlog, |app: TestApp| async move {
    // The plain answer stays what load balancers read.
    let plain = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((plain.status, plain.body.as_str()), (StatusCode::OK, Some("ready")));

    let before = report(&app).await;
    assert_eq!(before["ready"], true);
    let names: Vec<_> = before["jobs"].as_array().expect("jobs").iter().map(|j| j["name"].clone()).collect();
    assert_eq!(
        names,
        [
            "snapshots",
            "audit",
            "payouts",
            "sessions",
            "tickets",
            "late-reviews",
            "limits",
            "mail",
            "webhooks",
            "sandbox"
        ]
    );
    assert_eq!(job(&before, "snapshots")["passes"], 0);
    assert_eq!(job(&before, "snapshots")["backlog"], 0);
    assert!(job(&before, "snapshots")["last_run_at"].is_null());

    // A submission waits for its snapshot and for the chain.
    app.order("DY-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    app.submitted(&alice, "DY-1", "20.00").await;
    let waiting = report(&app).await;
    let snapshots = job(&waiting, "snapshots");
    assert_eq!(snapshots["backlog"], 1);
    assert_eq!(snapshots["backlog_capped"], false);
    assert!(snapshots["oldest_pending_at"].is_string(), "{snapshots}");
    assert!(snapshots["oldest_pending_secs"].as_i64().is_some_and(|s| s >= 0), "{snapshots}");
    let audit = job(&waiting, "audit");
    assert!(audit["backlog"].as_u64().is_some_and(|n| n >= 1), "{audit}");
    // Its receipt waits for the mail job to decide its e-mail (none here: no SMTP server).
    assert_eq!(job(&waiting, "mail")["backlog"], 1, "{waiting}");
    assert_eq!(app.run("mail").await, 1);
    assert_eq!(job(&report(&app).await, "mail")["backlog"], 0);
    // And the merchant's copy waits for its webhook message (none: no endpoint takes it).
    assert_eq!(job(&waiting, "webhooks")["backlog"], 1, "{waiting}");
    assert_eq!(app.run("webhooks").await, 1);
    assert_eq!(job(&report(&app).await, "webhooks")["backlog"], 0);

    // A pass is recorded with what it handled, and the backlog it drained is gone.
    assert_eq!(app.run("snapshots").await, 1);
    app.run("audit").await;
    let after = report(&app).await;
    let snapshots = job(&after, "snapshots");
    assert_eq!((snapshots["passes"].as_u64(), snapshots["failures"].as_u64()), (Some(1), Some(0)));
    assert_eq!(snapshots["last_handled"], 1);
    assert!(snapshots["last_run_at"].is_string() && snapshots["last_took_ms"].is_u64(), "{snapshots}");
    assert_eq!(snapshots["backlog"], 0);
    assert!(snapshots["oldest_pending_at"].is_null());
    assert_eq!(job(&after, "audit")["backlog"], 0);
    assert_eq!(job(&after, "audit")["passes"], 1);
});

both!(readiness_report_is_for_staff_or_the_machine_itself, |app: TestApp| async move {
    // Through a proxy the request is not local: it must be staff's.
    let relayed = |token: Option<String>| {
        let mut req = app.client.get(format!("{}/readyz?verbose=1", app.base)).header("x-forwarded-for", "203.0.113.9");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.expect("send").status() }
    };
    assert_eq!(relayed(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(relayed(Some(app.login("alice").await)).await, StatusCode::FORBIDDEN);
    assert_eq!(relayed(Some(app.login("rick").await)).await, StatusCode::OK);
    // The plain answer needs no one.
    let plain = app.client.get(format!("{}/readyz", app.base)).header("x-forwarded-for", "203.0.113.9");
    assert_eq!(plain.send().await.expect("send").status(), StatusCode::OK);
    let bad = app.call(Method::GET, "/readyz?verbose=yes", None, None).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "field-invalid"));
});
