//! Limits against abuse, kept in the database: messages per minute and file bytes per day
//! on an injected clock (the window's end is when to try again), open tickets over the API
//! (a translated 429 with `Retry-After`), and a refused write leaving nothing behind.

use crate::both;
use crate::helpers::TestApp;
use jiff::{SignedDuration, Timestamp};
use redress_app::{Attachments, Error, StoreError, StoredFile};
use redress_domain::evidence::MediaType;
use redress_domain::ids::TicketNo;
use redress_domain::limits::{LimitReached, Meter};
use redress_domain::ticket::{Category, NewTicket};
use reqwest::StatusCode;
use serde_json::json;

fn question(subject: &str) -> NewTicket {
    NewTicket {
        category: Category::Other,
        subject: subject.to_owned(),
        body: "请问".to_owned(),
        order_no: None,
        application_no: None,
    }
}

fn limited(r: Result<impl std::fmt::Debug, Error>) -> Option<LimitReached> {
    match r {
        Err(Error::Store(StoreError::Limited(l))) => Some(l),
        other => panic!("not limited: {other:?}"),
    }
}

/// A file of `size` bytes as the store would be given it (its bytes are not needed here).
fn claimed(size: u64) -> Option<Attachments> {
    let file =
        StoredFile { sha256: format!("{size:064x}"), size, media_type: MediaType::Png, filename: "x.png".into() };
    Some(Attachments { files: vec![file], put: Box::new(|| Box::pin(async { Ok(()) })), max_in_thread: 20 })
}

both!(messages_per_minute_and_bytes_per_day_hold_on_the_clock, |app: TestApp| async move {
    let alice = app.store.user("alice").await.expect("alice");
    // 08:00:05 UTC: the minute's window ends in 55 s.
    let t: Timestamp = "2026-12-01T08:00:05Z".parse().expect("time");
    let ticket = app.at(t).open_ticket(&alice, question("一分钟"), None).await.expect("open");
    let no: TicketNo = ticket.no.clone();
    for i in 1..10 {
        app.at(t).write_ticket(&no, &alice, (&format!("第{i}条"), false), None).await.expect("within the limit");
    }
    let thread = |at: Timestamp| {
        let (app, alice, no) = (app.at(at), alice.clone(), no.clone());
        async move {
            app.ticket_detail(&no, &alice, &redress_app::PageRequest::first(100))
                .await
                .expect("detail")
                .thread
                .items
                .len()
        }
    };
    let before = thread(t).await;
    let refused = limited(app.at(t).write_ticket(&no, &alice, ("第十一条", false), None).await).expect("limited");
    assert_eq!(refused, LimitReached { meter: Some(Meter::Messages), retry_after: 55 });
    assert_eq!(thread(t).await, before, "nothing written");
    let next = t + SignedDuration::from_secs(55);
    app.at(next).write_ticket(&no, &alice, ("下一分钟", false), None).await.expect("a new minute");

    // 50 MiB of files a day: 30 pass, 30 more do not, until Beijing's next midnight.
    let mib = 1024 * 1024;
    app.at(next).write_ticket(&no, &alice, ("三十兆", false), claimed(30 * mib)).await.expect("within the day");
    let later = next + SignedDuration::from_secs(120);
    let refused = limited(app.at(later).write_ticket(&no, &alice, ("又三十兆", false), claimed(30 * mib)).await)
        .expect("limited");
    let midnight: Timestamp = "2026-12-01T16:00:00Z".parse().expect("time");
    assert_eq!(
        refused,
        LimitReached { meter: Some(Meter::AttachmentBytes), retry_after: (midnight - later).as_secs() as u64 }
    );
    app.at(midnight).write_ticket(&no, &alice, ("第二天", false), claimed(30 * mib)).await.expect("a new day");

    // Staff are not limited.
    let amy = app.store.user("amy").await.expect("amy");
    for i in 0..12 {
        app.at(midnight).write_ticket(&no, &amy, (&format!("回复{i}"), false), None).await.expect("staff");
    }

    // The windows that ended are forgotten by the `limits` job.
    let forgotten = app.store.forget_usage(midnight + SignedDuration::from_hours(24), 100).await.expect("forget");
    assert!(forgotten >= 3, "{forgotten}");
});

both!(too_many_open_tickets_is_a_translated_429_with_retry_after, |app: TestApp| async move {
    let alice = app.store.user("alice").await.expect("alice");
    let now = Timestamp::now();
    // Ten open tickets, each a minute apart (a minute's messages are limited too).
    for i in 1..=10 {
        let at = now - SignedDuration::from_mins(i);
        app.at(at).open_ticket(&alice, question(&format!("第{i}个")), None).await.expect("open");
    }
    let token = app.login("alice").await;
    let r = app
        .client
        .post(format!("{}/api/v1/tickets", app.base))
        .bearer_auth(&token)
        .header("accept-language", "en")
        .json(&json!({"category": "other", "subject": "one more", "body": "?"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("3600"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "limit-open-tickets");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("open tickets")), "{body}");
    let mine = app.get("/api/v1/tickets?limit=50", &token).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(10), "nothing written");
});
