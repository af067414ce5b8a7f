//! Notification e-mail, delivered to a local SMTP sink: in the reader's language, the number
//! in the subject, both parts with the link; a burst in one e-mail after ten minutes; an
//! SMTP server that is away is tried again with the same `Message-ID`. On the injected clock.

use crate::helpers::TestApp;
use crate::mailbox::Mailbox;
use jiff::{SignedDuration, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Runs a test on SQLite and PostgreSQL with a sink and the app e-mailing to it.
macro_rules! with_mail {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let Some(sink) = Mailbox::start().await else { return };
                let app = TestApp::sqlite_mail(Some(&sink.url())).await;
                ($body)(app, sink).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(sink) = Mailbox::start().await else { return };
                let Some(app) = TestApp::postgres_mail(Some(&sink.url())).await else { return };
                ($body)(app, sink).await;
            }
        }
    };
}

async fn buyer_contact(app: &TestApp, id: &str, name: &str, email: &str, language: &str) {
    let body = json!({"display_name": name, "email": email, "language": language});
    let r = app.call(Method::PUT, &format!("/api/v1/merchant/buyers/{id}"), Some(&app.merchant), Some(body)).await;
    assert!(r.status.is_success(), "{}", r.body);
}

/// One pass of the mail job on the app's store as if it were `at`.
async fn deliver_at(app: &TestApp, sink: &Mailbox, at: Timestamp) -> usize {
    let settings = redress_web::mail::MailSettings {
        url: sink.url(),
        password: None,
        from: "Redress <refunds@example.com>".into(),
    };
    let mailer = redress_web::mail::Mailer::new(&settings, &app.base).expect("mailer");
    redress_web::mail::deliver(&app.at(at), Some(&mailer), 200, 20).await.expect("delivered")
}

with_mail!(each_reader_gets_their_language_and_bursts_come_together, |app: TestApp, mut sink: Mailbox| async move {
    buyer_contact(&app, "alice", "林", "lin@example.com", "zh-CN").await;
    app.order("DY-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let (alice, rita) = (app.login("alice").await, app.login("rita").await);
    let no = app.submitted(&alice, "DY-1", "30.00").await;
    assert!(app.run("mail").await >= 1);
    let got = sink.received();
    assert_eq!(got.len(), 1, "one e-mail");
    let m = &got[0];
    assert_eq!(m.to, "lin@example.com");
    assert_eq!(m.subject, format!("退款申请 {no} 有新进展"));
    let link = format!("{}/applications/{no}", app.base);
    for part in [&m.plain, &m.html] {
        assert!(part.contains(&link) && part.contains("已收到你的退款申请") && part.contains("¥30.00"), "{part}");
    }
    assert!(m.message_id.starts_with("EM-") && m.message_id.ends_with("@example.com"), "{}", m.message_id);
    assert_eq!(app.run("mail").await, 0, "sent once");

    // English for a reader who reads English.
    buyer_contact(&app, "bob", "Bob", "bob@example.com", "en").await;
    app.order("DY-2", "bob", 1000, 5000, 5, Some((600, "third_party"))).await;
    let bob = app.login("bob").await;
    let bobs = app.submitted(&bob, "DY-2", "10.00").await;
    app.run("mail").await;
    let got = sink.received();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[1].to.as_str(), got[1].subject.clone()),
        ("bob@example.com", format!("Your refund application {bobs}: news"))
    );
    assert!(got[1].plain.contains("We received your refund application"), "{}", got[1].plain);

    // Two steps within ten minutes of the last e-mail: one e-mail, ten minutes after it.
    let base = format!("/api/v1/review/applications/{no}");
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/request-info"), &rita, json!({"message": "请上传截图"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let now = Timestamp::now();
    deliver_at(&app, &sink, now).await;
    assert_eq!(sink.received().len(), 2, "the burst waits");
    deliver_at(&app, &sink, now + SignedDuration::from_mins(11)).await;
    let got = sink.received();
    assert_eq!(got.len(), 3, "then comes in one");
    assert_eq!(got[2].to, "lin@example.com");
    assert!(got[2].plain.contains("已开始处理") && got[2].plain.contains("补充材料"), "{}", got[2].plain);

    // The server is away: the approval's e-mail waits, and goes with the same Message-ID.
    let r = app.post(&format!("/api/v1/applications/{no}/supplement"), &alice, json!({"message": "已上传"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.post(&format!("{base}/approve"), &rita, json!({"amount": "20"})).await.status, StatusCode::OK);
    sink.stop().await;
    deliver_at(&app, &sink, now + SignedDuration::from_mins(30)).await;
    let log = app.store.mail_log("alice", 10).await.expect("log");
    let waiting: Vec<_> = log.iter().filter(|m| m.state == "pending" && m.attempts > 0).collect();
    assert_eq!(waiting.len(), 1, "{log:?}");
    assert!(waiting[0].error.is_some(), "the failure is recorded");
    assert!(sink.resume().await);
    deliver_at(&app, &sink, now + SignedDuration::from_secs(30 * 60 + 30)).await;
    assert_eq!(sink.received().len(), 3, "not before its retry time, a minute later");
    deliver_at(&app, &sink, now + SignedDuration::from_mins(31)).await;
    let got = sink.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].message_id, format!("{}@example.com", waiting[0].id), "the same message");
    let log = app.store.mail_log("alice", 10).await.expect("log");
    assert!(log.iter().all(|m| m.state == "sent"), "{log:?}");
    assert!(got[3].plain.contains("已通过") && got[3].plain.contains("¥20.00"), "{}", got[3].plain);
    // Staff have no address here: rita's notification is not e-mailed.
    assert!(got.iter().all(|m| m.to != "rita"));

    // A reader who switched off optional e-mail still gets decisions.
    let r = app.call(Method::PUT, "/api/v1/me/preferences", Some(&bob), Some(json!({"optional_emails": false}))).await;
    assert_eq!((r.status, r.body["optional_emails"].as_bool()), (StatusCode::OK, Some(false)), "{}", r.body);
    assert_eq!(r.body["email"], "bob@example.com");
    let theirs = format!("/api/v1/review/applications/{bobs}");
    assert_eq!(app.post(&format!("{theirs}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    assert_eq!(app.post(&format!("{theirs}/approve"), &rita, json!({"amount": "10"})).await.status, StatusCode::OK);
    deliver_at(&app, &sink, now + SignedDuration::from_mins(60)).await;
    let got = sink.received();
    assert_eq!(got.len(), 5);
    assert_eq!(got[4].to, "bob@example.com");
    assert!(got[4].plain.contains("was approved") && !got[4].plain.contains("has started"), "{}", got[4].plain);

    // An address taken away before its e-mail goes: the e-mail fails for good, and
    // administrators see it with why; nobody else may look.
    let refunds = app.run("payouts").await;
    assert!(refunds >= 1, "the approvals are paid: news for both buyers");
    app.run("sandbox").await;
    deliver_at(&app, &sink, now + SignedDuration::from_mins(61)).await; // routed, due at +70
    buyer_contact(&app, "bob", "Bob", "", "en").await;
    deliver_at(&app, &sink, now + SignedDuration::from_mins(71)).await;
    let admin = redress_store::NewUser {
        username: redress_domain::ids::Username::parse("ada").expect("name"),
        display_name: "Ada",
        role: redress_domain::application::Role::Admin,
        password: crate::helpers::PASSWORD,
        locale: "en",
        email: None,
    };
    app.store.create_user(admin, Timestamp::now()).await.expect("admin");
    let ada = app.login("ada").await;
    let failed = app.get("/api/v1/admin/mail/failed", &ada).await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    let items = failed.body["items"].as_array().expect("items");
    assert!(
        items.iter().any(|m| m["recipient"] == "bob"
            && m["application_no"] == bobs.as_str()
            && m["error"].as_str().is_some_and(|e| e.contains("no e-mail address"))),
        "{}",
        failed.body
    );
    assert_eq!(app.get("/api/v1/admin/mail/failed", &rita).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/admin/mail/failed", &bob).await.status, StatusCode::FORBIDDEN);
});
