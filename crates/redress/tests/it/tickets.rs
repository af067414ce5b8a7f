//! Support tickets over the API: a conversation turn by turn with its clocks, staff's notes
//! kept from the buyer, claims and reassignment, spam, merges, redaction, the timer closing a
//! resolved ticket (on an injected clock), and someone else's ticket not found.

use crate::both;
use crate::helpers::{PASSWORD, TestApp};
use jiff::{SignedDuration, Timestamp};
use redress_domain::application::Role;
use redress_domain::ids::Username;
use redress_store::NewUser;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn open(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post("/api/v1/tickets", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["no"].as_str().expect("no").to_owned()
}

fn clock<'a>(ticket: &'a Value, kind: &str) -> &'a Value {
    ticket["clocks"].as_array().and_then(|cs| cs.iter().find(|c| c["kind"] == kind)).unwrap_or(&Value::Null)
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["messages"]["items"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| format!("{}:{}", m["kind"].as_str().unwrap_or(""), m["body"].as_str().unwrap_or("-")))
                .collect()
        })
        .unwrap_or_default()
}

both!(a_conversation_runs_turn_by_turn_on_its_clocks, |app: TestApp| async move {
    let (alice, amy) = (app.login("alice").await, app.login("amy").await);
    app.order("O-TK1", "alice", 1000, 10_000, 4, Some((400, "platform"))).await;
    let no_app = app.submitted(&alice, "O-TK1", "60").await;
    let no = open(
        &app,
        &alice,
        json!({"category": "refund_progress", "subject": "进度如何？", "body": "一周了还没有消息", "application_no": no_app}),
    )
    .await;
    assert!(no.starts_with("TK-"), "{no}");
    let t = app.get(&format!("/api/v1/tickets/{no}"), &alice).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let ticket = &t.body["ticket"];
    assert_eq!((ticket["state"].as_str(), ticket["order_no"].as_str()), (Some("open"), Some("O-TK1")));
    let created: Timestamp = ticket["created_at"].as_str().expect("created").parse().expect("time");
    let first = clock(ticket, "first_response");
    assert_eq!(first["state"], "running");
    let due: Timestamp = first["due_at"].as_str().expect("due").parse().expect("time");
    assert_eq!(due, created + SignedDuration::from_hours(24), "the default first-response target");
    assert_eq!(ticket["due_at"], first["due_at"]);

    // Staff answer, and write a note the buyer never sees.
    let r = app.post(&format!("/api/v1/tickets/{no}/messages"), &amy, json!({"body": "正在核实"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["state"].as_str(), r.body["assignee"].as_str()), (Some("waiting_on_buyer"), Some("amy")));
    assert_eq!(clock(&r.body, "first_response")["state"], "met");
    assert_eq!(clock(&r.body, "resolution")["state"], "paused", "waiting on the buyer pauses resolution");
    let r = app
        .post(&format!("/api/v1/tickets/{no}/messages"), &amy, json!({"body": "内部：渠道延迟", "internal": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "waiting_on_buyer", "a note is no turn");
    let theirs = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
    assert_eq!(kinds(&theirs), ["message:一周了还没有消息", "message:正在核实"]);
    let staff = app.get(&format!("/api/v1/tickets/{no}"), &amy).await.body;
    assert_eq!(
        kinds(&staff),
        ["message:一周了还没有消息", "message:正在核实", "status:assigned:amy", "note:内部：渠道延迟"]
    );
    let r = app.post(&format!("/api/v1/tickets/{no}/messages"), &alice, json!({"body": "x", "internal": true})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "ticket-staff-only"));
    // The buyer is told of the reply (never of the note), with a link to the ticket.
    let told = app.get("/api/v1/notifications", &alice).await.body;
    let about: Vec<&Value> =
        told["items"].as_array().expect("items").iter().filter(|n| n["ticket_no"] == no.as_str()).collect();
    assert_eq!(about.len(), 1, "{told}");
    assert_eq!(
        (about[0]["kind"].as_str(), about[0]["link"].clone()),
        (Some("ticket.replied"), json!(format!("/tickets/{no}")))
    );
    assert!(about[0]["text"].as_str().is_some_and(|t| t.contains(&no) && t.contains("客服已回复")), "{}", about[0]);
    assert_eq!(about[0]["application_no"], Value::Null);
    app.run("mail").await;
    app.run("webhooks").await;

    // The buyer answers: a next response is owed; resolved, reopened, resolved, closed.
    let r = app.post(&format!("/api/v1/tickets/{no}/messages"), &alice, json!({"body": "好的，谢谢"})).await;
    assert_eq!(r.body["state"], "waiting_on_staff", "{}", r.body);
    let desk = app.get("/api/v1/notifications", &amy).await.body;
    assert!(
        desk["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|n| n["kind"] == "ticket.buyer_wrote" && n["link"] == format!("/tickets/{no}")),
        "{desk}"
    );
    assert_eq!(clock(&r.body, "next_response")["state"], "running");
    assert_eq!(clock(&r.body, "resolution")["state"], "running");
    let r = app.post(&format!("/api/v1/tickets/{no}/resolve"), &alice, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only staff resolve");
    let r = app.post(&format!("/api/v1/tickets/{no}/resolve"), &amy, json!({})).await;
    assert_eq!((r.body["state"].as_str(), r.body["resolution"].as_str()), (Some("resolved"), Some("solved")));
    let r = app.post(&format!("/api/v1/tickets/{no}/messages"), &alice, json!({"body": "还有问题"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "ticket-resolved"));
    let r = app.post(&format!("/api/v1/tickets/{no}/reopen"), &alice, json!({})).await;
    assert_eq!(r.body["state"], "waiting_on_staff", "{}", r.body);
    let r = app.post(&format!("/api/v1/tickets/{no}/resolve"), &amy, json!({})).await;
    let close_at: Timestamp = r.body["close_at"].as_str().expect("close_at").parse().expect("time");
    assert_eq!(app.at(close_at - SignedDuration::from_secs(1)).close_resolved_tickets(100).await.expect("close"), 0);
    assert_eq!(app.at(close_at).close_resolved_tickets(100).await.expect("close"), 1);
    let r = app.post(&format!("/api/v1/tickets/{no}/reopen"), &alice, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "ticket-closed"));

    // On the application's list, and the buyer's own.
    let on = app.get(&format!("/api/v1/tickets?application_no={no_app}"), &amy).await;
    assert_eq!(on.body["items"][0]["no"].as_str(), Some(no.as_str()), "{}", on.body);
    let mine = app.get("/api/v1/tickets", &alice).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["items"][0]["state"], "closed");
});

both!(someone_elses_ticket_is_not_found_and_nothing_changes, |app: TestApp| async move {
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    app.order("O-TK2", "alice", 1000, 10_000, 4, None).await;
    let no =
        open(&app, &alice, json!({"category": "other", "subject": "hi", "body": "hello", "order_no": "O-TK2"})).await;
    let before = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
    for (path, body) in [
        (format!("/api/v1/tickets/{no}/messages"), json!({"body": "mine now"})),
        (format!("/api/v1/tickets/{no}/reopen"), json!({})),
    ] {
        let r = app.post(&path, &bob, body).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"), "{path}");
    }
    for path in [format!("/api/v1/tickets/{no}"), "/api/v1/tickets?order_no=O-TK2".into()] {
        assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .post("/api/v1/tickets", &bob, json!({"category": "other", "subject": "x", "body": "y", "order_no": "O-TK2"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not on someone else's order");
    assert_eq!(app.get("/api/v1/tickets/TK-20261201-ZZZZZZ", &alice).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/tickets/not-a-number", &alice).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body, before, "nothing changed");
    assert_eq!(app.get("/api/v1/tickets", &bob).await.body["items"], json!([]));
    // Buyers have no desk.
    assert_eq!(app.get("/api/v1/desk/tickets", &alice).await.status, StatusCode::FORBIDDEN);

    // Each error a person can make is said, and writes nothing.
    for (body, field, code) in [
        (json!({"category": "other", "subject": " ", "body": "y"}), "subject", "ticket-subject"),
        (json!({"category": "other", "subject": "x", "body": ""}), "body", "ticket-body"),
        (json!({"category": "spam", "subject": "x", "body": "y"}), "category", "category-unknown"),
    ] {
        let r = app.post("/api/v1/tickets", &alice, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            (r.body["fields"][0]["field"].as_str(), r.body["fields"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{}",
            r.body
        );
    }
    assert_eq!(app.get("/api/v1/tickets", &alice).await.body["items"].as_array().map(Vec::len), Some(1));
});

/// Creates an admin `name` (the test users have none).
pub async fn admin(app: &TestApp, name: &str) {
    let user = NewUser {
        username: Username::parse(name).expect("name"),
        display_name: name,
        role: Role::Admin,
        password: PASSWORD,
        locale: "en",
        email: None,
    };
    app.store.create_user(user, Timestamp::now()).await.expect("admin");
}

both!(staff_claim_hand_over_reassign_merge_and_redact, |app: TestApp| async move {
    admin(&app, "root").await;
    let (alice, amy, rita, sol, root) = (
        app.login("alice").await,
        app.login("amy").await,
        app.login("rita").await,
        app.login("sol").await,
        app.login("root").await,
    );
    let a = open(&app, &alice, json!({"category": "account", "subject": "账户", "body": "身份证 110101199003071234"}))
        .await;
    let b = open(&app, &alice, json!({"category": "account", "subject": "账户（重复）", "body": "同上"})).await;

    let assign = |no: String, token: String, to: Value| {
        let app = &app;
        async move { app.post(&format!("/api/v1/tickets/{no}/assign"), &token, json!({"assignee": to})).await }
    };
    let r = assign(a.clone(), amy.clone(), json!("amy")).await;
    assert_eq!(r.body["assignee"], "amy", "{}", r.body);
    let r = assign(a.clone(), rita.clone(), json!("rita")).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "ticket-held-by-other"));
    let r = assign(a.clone(), sol.clone(), json!("rita")).await;
    assert_eq!(r.body["assignee"], "rita", "a supervisor reassigns: {}", r.body);
    let r = assign(a.clone(), rita.clone(), json!("alice")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ticket-assignee"),
        "a buyer answers no tickets"
    );
    assert_eq!(r.body["fields"][0]["field"], "assignee");
    let r = assign(a.clone(), sol.clone(), json!("nobody")).await;
    assert_eq!(r.code(), "ticket-assignee", "no such colleague");
    let seen = app.get(&format!("/api/v1/tickets/{a}"), &alice).await;
    assert_eq!(seen.body["ticket"]["assignee"], Value::Null, "who holds it is staff's own business");
    assert_eq!(app.get(&format!("/api/v1/tickets/{a}"), &sol).await.body["ticket"]["assignee"], "rita");
    let r = assign(a.clone(), rita.clone(), Value::Null).await;
    assert_eq!(r.body["assignee"], Value::Null, "released: {}", r.body);

    // The desk's queue: by nearest due time; filtered by state, category, holder.
    let q = app.get("/api/v1/desk/tickets", &amy).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let nos: Vec<&str> = q.body["items"].as_array().expect("items").iter().filter_map(|t| t["no"].as_str()).collect();
    assert_eq!(nos, [a.as_str(), b.as_str()]);
    assert_eq!(app.get("/api/v1/desk/tickets?category=refund_progress", &amy).await.body["items"], json!([]));
    assert_eq!(app.get("/api/v1/desk/tickets?state=nonsense", &amy).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get("/api/v1/desk/tickets?limit=1", &amy).await;
    let next = r.body["next"].as_str().expect("a next page").to_owned();
    let r = app.get(&format!("/api/v1/desk/tickets?limit=1&after={next}"), &amy).await;
    assert_eq!(r.body["items"][0]["no"].as_str(), Some(b.as_str()), "{}", r.body);

    // A duplicate merged: closed, its clocks stopped, gone from the queue.
    let r = app.post(&format!("/api/v1/tickets/{b}/merge"), &amy, json!({"into": b})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "ticket-merge-target"));
    let r = app.post(&format!("/api/v1/tickets/{b}/merge"), &amy, json!({"into": a})).await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["merged_into"].as_str()),
        (Some("closed"), Some(a.as_str())),
        "{}",
        r.body
    );
    assert!(r.body["clocks"].as_array().expect("clocks").iter().all(|c| c["state"] != "running"));
    let q = app.get("/api/v1/desk/tickets", &amy).await;
    assert_eq!(q.body["items"].as_array().map(Vec::len), Some(1));

    // An ID-card number redacted by an admin only: a tombstone stays.
    let r = app.post(&format!("/api/v1/tickets/{a}/messages/1/redact"), &amy, json!({"reason": "ID number"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&format!("/api/v1/tickets/{a}/messages/1/redact"), &root, json!({"reason": " "})).await;
    assert_eq!((r.status, r.body["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let r = app.post(&format!("/api/v1/tickets/{a}/messages/1/redact"), &root, json!({"reason": "身份证号"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.post(&format!("/api/v1/tickets/{a}/messages/1/redact"), &root, json!({"reason": "again"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let seen = app.get(&format!("/api/v1/tickets/{a}"), &alice).await.body;
    let m = &seen["messages"]["items"][0];
    assert_eq!(
        (m["body"].clone(), m["redacted_by"].as_str(), m["redaction_reason"].as_str()),
        (Value::Null, Some("root"), Some("身份证号"))
    );
    assert!(!seen.to_string().contains("110101199003071234"));

    // Spam: closed at once, never reopened; an agent cannot decide an application.
    let r = app.post(&format!("/api/v1/tickets/{a}/resolve"), &amy, json!({"spam": true})).await;
    assert_eq!((r.body["state"].as_str(), r.body["resolution"].as_str()), (Some("closed"), Some("spam")));
    let r = app.post(&format!("/api/v1/tickets/{a}/reopen"), &alice, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    app.order("O-TK3", "alice", 1000, 10_000, 4, None).await;
    let no_app = app.submitted(&alice, "O-TK3", "10").await;
    let r = app.post(&format!("/api/v1/review/applications/{no_app}/claim"), &amy, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
});

both!(an_application_has_a_thread_without_a_ticket, |app: TestApp| async move {
    let (alice, bob, rita) = (app.login("alice").await, app.login("bob").await, app.login("rita").await);
    app.order("O-TH1", "alice", 1000, 10_000, 4, None).await;
    let no = app.submitted(&alice, "O-TH1", "20").await;
    let path = format!("/api/v1/applications/{no}/messages");
    let r = app.post(&path, &alice, json!({"body": "请问需要补充什么材料吗？"})).await;
    assert_eq!((r.status, r.body["seq"].as_i64()), (StatusCode::CREATED, Some(1)), "{}", r.body);
    let r = app.post(&path, &rita, json!({"body": "不需要，我们正在审核。"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.post(&path, &rita, json!({"body": "内部：看起来证据充分", "internal": true})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app.post(&path, &alice, json!({"body": "x", "internal": true})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "ticket-staff-only"));
    let r = app.post(&path, &alice, json!({"body": " "})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "ticket-body"));
    let theirs = app.get(&path, &alice).await;
    let bodies: Vec<&str> =
        theirs.body["items"].as_array().expect("items").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(bodies, ["请问需要补充什么材料吗？", "不需要，我们正在审核。"], "no note for the buyer");
    let staff = app.get(&path, &rita).await;
    assert_eq!(staff.body["items"].as_array().map(Vec::len), Some(3));
    let page = app.get(&format!("{path}?limit=2"), &rita).await;
    let next = page.body["next"].as_str().expect("next").to_owned();
    let rest = app.get(&format!("{path}?limit=2&after={next}"), &rita).await;
    assert_eq!(rest.body["items"][0]["kind"], "note", "{}", rest.body);
    // Someone else's application: not found, nothing written.
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&path, &bob, json!({"body": "hi"})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, &alice).await.body["items"].as_array().map(Vec::len), Some(2));
    // A draft has no thread yet.
    app.order("O-TH2", "alice", 1000, 10_000, 4, None).await;
    let r = app
        .post("/api/v1/applications", &alice, json!({"order_no": "O-TH2", "reason": "quantity_short", "amount": "5"}))
        .await;
    let draft = r.body["no"].as_str().expect("draft").to_owned();
    let r = app.post(&format!("/api/v1/applications/{draft}/messages"), &alice, json!({"body": "hi"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

both!(a_published_service_level_applies_to_clocks_started_after_it, |app: TestApp| async move {
    use redress_domain::service_levels::ServiceLevels;
    use redress_domain::ticket::{Category, Targets};
    let alice = app.login("alice").await;
    let due = |t: &Value| -> (Timestamp, Timestamp) {
        let created = t["created_at"].as_str().expect("created").parse().expect("time");
        let due = clock(t, "first_response")["due_at"].as_str().expect("due").parse().expect("time");
        (created, due)
    };
    let payout = json!({"category": "payout_not_arrived", "subject": "没到账", "body": "三天了"});
    let before = open(&app, &alice, payout.clone()).await;

    let mut faster = ServiceLevels::shipped();
    faster.categories.insert(
        Category::PayoutNotArrived,
        Targets { first_response: SignedDuration::from_hours(4), ..faster.default },
    );
    let published = app.state.app.publish_service_levels(&faster, "test", "payouts first").await.expect("publish");
    assert_eq!(published, Some(1));
    assert_eq!(app.state.app.publish_service_levels(&faster, "test", "again").await.expect("same"), None);

    let after = open(&app, &alice, payout).await;
    let t = app.get(&format!("/api/v1/tickets/{after}"), &alice).await.body;
    let (created, due_at) = due(&t["ticket"]);
    assert_eq!(due_at, created + SignedDuration::from_hours(4), "the new version's target");
    let other = open(&app, &alice, json!({"category": "account", "subject": "账户", "body": "改手机号"})).await;
    let t = app.get(&format!("/api/v1/tickets/{other}"), &alice).await.body;
    let (created, due_at) = due(&t["ticket"]);
    assert_eq!(due_at, created + SignedDuration::from_hours(24), "a category without its own: the default");
    let t = app.get(&format!("/api/v1/tickets/{before}"), &alice).await.body;
    let (created, due_at) = due(&t["ticket"]);
    assert_eq!(due_at, created + SignedDuration::from_hours(24), "a running clock keeps its target");
    let history = app.state.app.service_level_history(10).await.expect("history");
    assert_eq!(
        history.iter().map(|p| (p.version, p.published_by.as_str(), p.note.as_str())).collect::<Vec<_>>(),
        [(1, "test", "payouts first")]
    );
    // The version is in the audit chain from its publication on; changing it afterwards is
    // detected.
    let report = app.store.verify_audit().await.expect("verify");
    assert_eq!(report.broken, None, "{report:?}");
    let (entries, _) = app.store.audit_entries_of("service-levels").await.expect("entries");
    let chained: Vec<(&str, i64)> = entries.iter().map(|(e, _)| (e.kind.as_str(), e.ref_seq)).collect();
    assert_eq!(chained, [("service_levels", 1)]);
    assert!(entries[0].1.as_deref().is_some_and(|r| entries[0].0.vouches_for(r)), "{entries:?}");
    app.store
        .execute_unchecked("UPDATE service_levels SET note = 'nobody said so' WHERE version = 1")
        .await
        .expect("tamper");
    let tampered = app.store.verify_audit().await.expect("verify");
    assert!(tampered.broken.as_ref().is_some_and(|(seq, _)| *seq == entries[0].0.seq), "{tampered:?}");
});

both!(
    admins_are_warned_before_the_calendar_runs_out_and_due_times_past_it_are_provisional,
    |app: TestApp| async move {
        use redress_domain::calendar::BusinessCalendar;
        use redress_domain::service_levels::ServiceLevels;
        use redress_domain::sla::{Hours, WorkingDay};
        let year =
            |y: i32| format!("[years.{y}]\nsource = \"test\"\nprovisional = false\nholidays = []\nworkdays = []\n");
        admin(&app, "root").await;
        let (root, rita, alice) = (app.login("root").await, app.login("rita").await, app.login("alice").await);
        let page = |token: String, path: &'static str| {
            let req =
                app.client.get(format!("{}{path}", app.base)).header("cookie", format!("redress_session={token}"));
            async move { req.send().await.expect("page").text().await.expect("html") }
        };
        // Business hours for every category: the calendar decides their due times.
        let mut business = ServiceLevels::shipped();
        let day = WorkingDay::new("09:00".parse().expect("t"), "18:00".parse().expect("t"), None).expect("day");
        business.default.hours = Hours::Business(day);
        app.state.app.publish_service_levels(&business, "test", "business hours").await.expect("publish");
        let first_response = |no: String| {
            let (app, alice) = (&app, alice.clone());
            async move {
                let t = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
                clock(&t["ticket"], "first_response").clone()
            }
        };

        // A calendar whose only year is long past: the admin is told on every page, staff are
        // not; a due time past its data is provisional.
        let past = BusinessCalendar::from_toml(&year(2020)).expect("calendar");
        app.state.app.set_calendar(&past).await.expect("set");
        let html = page(root.clone(), "/admin/mail").await;
        assert!(html.contains("id=\"calendar-warning\"") && html.contains("2020-12-31"), "{html}");
        assert!(!page(rita.clone(), "/desk").await.contains("calendar-warning"), "staff are not the ones to fix it");
        let no = open(&app, &alice, json!({"category": "other", "subject": "问题", "body": "请问"})).await;
        assert_eq!(first_response(no).await["provisional"], true);
        // An application's review due date too (its last business day decides).
        app.order("O-CAL1", "alice", 1000, 10_000, 4, Some((400, "third_party"))).await;
        let no = app.submitted(&alice, "O-CAL1", "60").await;
        let a = app.get(&format!("/api/v1/applications/{no}"), &alice).await.body;
        assert_eq!(a["application"]["review_due_provisional"], true, "{a}");

        // Definitive for decades: no warning, nothing provisional.
        let far = BusinessCalendar::from_toml(&(2020..=2100).map(year).collect::<String>()).expect("calendar");
        app.state.app.set_calendar(&far).await.expect("set");
        assert!(!page(root, "/admin/mail").await.contains("calendar-warning"));
        let no = open(&app, &alice, json!({"category": "other", "subject": "问题二", "body": "请问"})).await;
        assert_eq!(first_response(no).await["provisional"], false);
        app.order("O-CAL2", "alice", 1000, 10_000, 4, Some((400, "third_party"))).await;
        let no = app.submitted(&alice, "O-CAL2", "60").await;
        let a = app.get(&format!("/api/v1/applications/{no}"), &alice).await.body;
        assert_eq!(a["application"]["review_due_provisional"], false, "{a}");
    }
);

both!(a_merge_into_a_ticket_resolved_meanwhile_writes_nothing, |app: TestApp| async move {
    use redress_domain::ids::TicketNo;
    let alice = app.login("alice").await;
    let a = open(&app, &alice, json!({"category": "account", "subject": "账户", "body": "改手机号"})).await;
    let b = open(&app, &alice, json!({"category": "account", "subject": "账户（重复）", "body": "同上"})).await;
    let (a, b) = (TicketNo::parse(&a).expect("no"), TicketNo::parse(&b).expect("no"));
    let amy = app.store.user("amy").await.expect("amy");
    let actor = redress_domain::application::Actor { name: "amy".into(), role: Role::Agent };
    // The merge is decided on the target as read; the target is resolved before it is written.
    let (dup, target) = (app.store.ticket(&a).await.expect("a"), app.store.ticket(&b).await.expect("b"));
    let change = dup.merge_into(&actor, &target, Timestamp::now()).expect("decided");
    app.state.app.resolve_ticket(&b, &amy, false).await.expect("resolved meanwhile");
    let written = app
        .store
        .save_ticket(change, ("amy".into(), Role::Agent), (None, redress_store::Carrying::default()), Vec::new())
        .await;
    assert!(matches!(written, Err(redress_store::StoreError::Conflict)), "{written:?}");
    let still = app.store.ticket(&a).await.expect("a");
    assert_eq!((still.state.as_str(), still.merged_into), ("open", None), "nothing written");
});

both!(supervisors_keep_saved_replies_in_both_languages_and_staff_use_them, |app: TestApp| async move {
    let (sol, amy, alice) = (app.login("sol").await, app.login("amy").await, app.login("alice").await);
    let reply = json!({"title": "到账时间", "zh": "退款将在 1–7 个工作日内原路到账。", "en": "Refunds arrive within 1–7 business days."});
    // An agent uses them but does not keep them; a buyer does neither.
    let r = app.post("/api/v1/saved-replies", &amy, reply.clone()).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "ticket-forbidden"), "{}", r.body);
    assert_eq!(app.get("/api/v1/saved-replies", &alice).await.status, StatusCode::FORBIDDEN);
    let r = app.post("/api/v1/saved-replies", &sol, reply).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("SR-") && r.body["version"] == 1, "{}", r.body);
    // Both languages are needed, and a title.
    let bad = [
        (json!({"title": "x", "zh": "中文", "en": " "}), "en"),
        (json!({"title": "x", "zh": "", "en": "English"}), "zh"),
        (json!({"title": " ", "zh": "中文", "en": "English"}), "title"),
    ];
    for (body, field) in bad {
        let r = app.post("/api/v1/saved-replies", &sol, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["fields"][0]["field"], field, "{}", r.body);
    }
    let list = app.get("/api/v1/saved-replies", &amy).await;
    assert_eq!(list.body["items"][0]["en"], "Refunds arrive within 1–7 business days.", "{}", list.body);
    // Changed at the version it was read at; a stale change is refused and changes nothing.
    let path = format!("/api/v1/saved-replies/{id}");
    let change =
        json!({"title": "到账时间", "zh": "退款 1–7 个工作日到账。", "en": "1–7 business days.", "version": 1});
    let r = app.call(reqwest::Method::PUT, &path, Some(&sol), Some(change.clone())).await;
    assert_eq!((r.status, r.body["version"].as_i64()), (StatusCode::OK, Some(2)), "{}", r.body);
    let r = app.call(reqwest::Method::PUT, &path, Some(&sol), Some(change)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(app.get(&path, &amy).await.body["zh"], "退款 1–7 个工作日到账。");
    // On a ticket's page staff pick it, and it goes into the reply box in the buyer's language.
    let t = app
        .post("/api/v1/tickets", &alice, json!({"category": "payout_not_arrived", "subject": "没到账", "body": "?"}))
        .await;
    let ticket = t.body["no"].as_str().expect("ticket").to_owned();
    let html = |token: String, query: String| {
        let req = app
            .client
            .get(format!("{}/tickets/{ticket}{query}", app.base))
            .header("cookie", format!("redress_session={token}"));
        async move { req.send().await.expect("page").text().await.expect("html") }
    };
    let desk = html(amy.clone(), String::new()).await;
    assert!(desk.contains("id=\"saved-replies\"") && desk.contains(&format!("value=\"{id}\"")), "{desk}");
    let picked = html(amy.clone(), format!("?reply={id}")).await;
    assert!(picked.contains(">退款 1–7 个工作日到账。</textarea>"), "{picked}");
    assert!(!html(alice.clone(), String::new()).await.contains("saved-replies"), "a buyer has no saved replies");
    // Deleted by a supervisor; then it is not found.
    assert_eq!(app.call(reqwest::Method::DELETE, &path, Some(&amy), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call(reqwest::Method::DELETE, &path, Some(&sol), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &amy).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/saved-replies/not-an-id", &amy).await.status, StatusCode::NOT_FOUND);
});
