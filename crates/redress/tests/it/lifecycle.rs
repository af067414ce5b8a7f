//! An application walked from draft to decision and appeal over the API.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

both!(draft_to_appeal_approved, |app: TestApp| async move {
    // Seed: 1000 likes bought for ¥50, 600 delivered by the deadline (third-party data).
    app.order("DY-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;

    let orders = app.get("/api/v1/orders", &alice).await;
    assert_eq!(orders.body["items"][0]["refundable_balance"]["fen"], 5000);
    let e = app.get("/api/v1/orders/DY-1/entitlement", &alice).await;
    assert_eq!((e.body["verdict"].as_str(), e.body["suggested"]["fen"].as_i64()), (Some("entitled"), Some(2000)));
    assert!(e.body["explanation_zh"].as_str().unwrap_or("").contains("¥20.00"));

    // Draft, edited, then submitted.
    let r = app
        .post(
            "/api/v1/applications",
            &alice,
            json!({"order_no": "DY-1", "reason": "quantity_short", "description": "600 of 1000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["requested"]["fen"], 5000, "defaults to the full refundable balance");
    let draft = r.body["no"].as_str().expect("no").to_owned();
    let r = app
        .call(Method::PATCH, &format!("/api/v1/applications/{draft}"), Some(&alice), Some(json!({"amount": "30.00"})))
        .await;
    assert_eq!((r.status, r.body["requested"]["display"].as_str()), (StatusCode::OK, Some("¥30.00")));
    let r = app.post(&format!("/api/v1/applications/{draft}/submit"), &alice, json!({})).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("submitted")), "{}", r.body);
    let no = r.body["no"].as_str().expect("no").to_owned();
    assert!(no.starts_with("RF-") && r.body["review_due_at"].is_string());
    let balance = app.get("/api/v1/orders", &alice).await;
    assert_eq!(balance.body["items"][0]["refundable_balance"]["fen"], 2000, "the open application holds ¥30");

    // Reviewer asks for more; buyer supplements; reviewer rejects.
    let rita = app.login("rita").await;
    let q = app.get("/api/v1/review/queue", &rita).await;
    assert_eq!(q.body["items"][0]["application"]["no"].as_str(), Some(no.as_str()));
    let base = format!("/api/v1/review/applications/{no}");
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/request-info"), &rita, json!({"message": "请上传截止时的截图"})).await;
    assert_eq!(r.body["state"], "info_requested");
    // The review clock pauses with the business days it has left (the submission day and
    // the request's never count): three.
    let clock = &r.body["review_clock"];
    assert_eq!((clock["kind"].as_str(), clock["state"].as_str()), (Some("review"), Some("paused")), "{clock}");
    assert_eq!((clock["left_seconds"].as_i64(), clock["pauses"].as_i64()), (Some(3 * 86_400), Some(1)), "{clock}");
    let r = app.post(&format!("/api/v1/applications/{no}/supplement"), &alice, json!({"message": "已上传"})).await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["reviewer"].as_str()),
        (Some("in_review"), Some("rita")),
        "it stays with rita"
    );
    assert_eq!(r.body["review_clock"]["state"], "running", "resumed: {}", r.body);
    assert_eq!(r.body["review_clock"]["due_at"], r.body["review_due_at"]);
    let r = app
        .post(&format!("{base}/reject"), &rita, json!({"code": "insufficient_evidence", "text": "截图看不清"}))
        .await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["reject_code"].as_str()),
        (Some("rejected"), Some("insufficient_evidence"))
    );
    assert_eq!(r.body["review_clock"]["state"], "met", "decided in time: {}", r.body);

    // Appeal: a plain reviewer may not take it, nor may a level-2 who decided it first.
    let r = app.post(&format!("/api/v1/applications/{no}/appeal"), &alice, json!({"text": "附第三方监测数据"})).await;
    assert_eq!(r.body["state"], "appealed", "{}", r.body);
    let rick = app.login("rick").await;
    let r = app.post(&format!("{base}/claim"), &rick, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "needs-senior-reviewer"));
    let sam = app.login("sam").await;
    assert_eq!(app.post(&format!("{base}/claim"), &sam, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/approve"), &sam, json!({"amount": "20"})).await;
    assert_eq!((r.status, r.body["approved"]["fen"].as_i64()), (StatusCode::OK, Some(2000)), "{}", r.body);

    // The buyer sees the outcome and the whole timeline.
    let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
    assert_eq!(d.body["application"]["state"], "approved");
    let kinds: Vec<&str> =
        d.body["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["submitted", "claimed", "info_requested", "supplemented", "rejected", "appealed", "claimed", "approved"]
    );
    assert_eq!(d.body["timeline"][7]["data"]["amount"], 2000);
    let orders = app.get("/api/v1/orders", &alice).await;
    assert_eq!(orders.body["items"][0]["refundable_balance"]["fen"], 3000);
});

both!(auto_approval_records_its_rule, |app: TestApp| async move {
    // Platform data, ¥18.00 pro-rata share, under the ¥100 threshold of policy v1.
    app.order("XHS-1", "alice", 500, 3000, 5, Some((200, "platform"))).await;
    let alice = app.login("alice").await;
    let no = app.submitted(&alice, "XHS-1", "18.00").await;
    let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
    assert_eq!(d.body["application"]["state"], "approved");
    let last = &d.body["timeline"][1];
    assert_eq!(
        (last["kind"].as_str(), last["actor"].as_str(), last["data"]["auto_rule"].as_str()),
        (Some("approved"), Some("system"), Some("3"))
    );
    // Asking for more than the rule gives goes to a human.
    app.order("XHS-2", "alice", 500, 3000, 5, Some((200, "platform"))).await;
    let no = app.submitted(&alice, "XHS-2", "30.00").await;
    assert_eq!(app.get(&format!("/api/v1/applications/{no}"), &alice).await.body["application"]["state"], "submitted");
});

both!(withdraw_and_delete_draft, |app: TestApp| async move {
    app.order("DY-2", "alice", 1000, 5000, 1, None).await;
    let alice = app.login("alice").await;
    let r = app.post("/api/v1/applications", &alice, json!({"order_no": "DY-2", "reason": "no_reason"})).await;
    let draft = r.body["no"].as_str().expect("no").to_owned();
    let r = app.call(Method::DELETE, &format!("/api/v1/applications/{draft}"), Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/applications/{draft}"), &alice).await.status, StatusCode::NOT_FOUND);

    // No-reason refunds within 7 days before delivery: entitled in full, but ¥50 is under the
    // auto threshold, so use a bigger order to keep it open for a human.
    app.order("DY-3", "alice", 1000, 50_000, 1, None).await;
    let no = app.submitted(&alice, "DY-3", "500").await;
    let r = app.post(&format!("/api/v1/applications/{no}/withdraw"), &alice, json!({})).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("withdrawn")));
    let r = app.call(Method::DELETE, &format!("/api/v1/applications/{no}"), Some(&alice), None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "illegal-transition"),
        "submitted applications are never deleted"
    );
    let orders = app.get("/api/v1/orders", &alice).await;
    let dy3 = orders.body["items"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["order_no"] == "DY-3")
        .expect("DY-3")
        .clone();
    assert_eq!(dy3["refundable_balance"]["fen"], 50_000, "a withdrawn application holds nothing");
});

both!(an_admin_calendar_moves_review_due_dates, |app: TestApp| async move {
    use jiff::{SignedDuration, Timestamp};
    use redress_domain::calendar::{BusinessCalendar, shanghai};
    use redress_domain::sla::{Hours, business_days};
    // Every day of the next three weeks is declared a holiday: the due date moves past them.
    let today = Timestamp::now().to_zoned_datetime(shanghai()).date();
    let days: Vec<String> = (0..21).map(|d| (today + SignedDuration::from_hours(24 * d)).to_string()).collect();
    let mut toml = String::new();
    for year in [today.year(), today.year() + 1] {
        let in_year: Vec<String> =
            days.iter().filter(|d| d.starts_with(&year.to_string())).map(|d| format!("{d:?}")).collect();
        toml.push_str(&format!(
            "[years.{year}]\nsource = \"test\"\nprovisional = false\nholidays = [{}]\nworkdays = []\n\n",
            in_year.join(", ")
        ));
    }
    let custom = BusinessCalendar::from_toml(&toml).expect("calendar");
    app.store.set_calendar(&custom, Timestamp::now()).await.expect("set");

    app.order("CAL-1", "alice", 1000, 50_000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let no = app.submitted(&alice, "CAL-1", "10").await;
    let d = app.get(&format!("/api/v1/applications/{no}"), &alice).await;
    let due: Timestamp = d.body["application"]["review_due_at"].as_str().expect("due").parse().expect("time");
    let submitted: Timestamp = d.body["application"]["submitted_at"].as_str().expect("at").parse().expect("time");
    assert_eq!(due, Hours::BusinessDays.add(&custom, submitted, business_days(3)));
    assert!(due > submitted + SignedDuration::from_hours(24 * 21), "due {due} skips the three weeks of holidays");
    assert_ne!(due, Hours::BusinessDays.add(&BusinessCalendar::china_default(), submitted, business_days(3)));
});

both!(one_draft_per_order_on_the_api_as_on_the_pages, |app: TestApp| async move {
    app.order("DY-9", "alice", 1000, 5000, 1, None).await;
    let alice = app.login("alice").await;
    let first = app.post("/api/v1/applications", &alice, json!({"order_no": "DY-9", "reason": "no_reason"})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let draft = first.body["no"].as_str().expect("no").to_owned();
    let before = app.snapshot().await;
    for (lang, words) in [("en", "already have a draft"), ("zh-CN", "已有一份草稿")] {
        let r = app
            .call_lang(
                Method::POST,
                "/api/v1/applications",
                Some(&alice),
                Some(json!({"order_no": "DY-9", "reason": "quantity_short", "amount": "10.00"})),
                Some(lang),
            )
            .await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "draft-exists"), "{}", r.body);
        let message = r.body["message"].as_str().unwrap_or("");
        assert!(message.contains(words) && message.contains(&draft), "{lang}: {message}");
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
    // Once the draft is submitted, a new one may be started on what is left.
    app.post(&format!("/api/v1/applications/{draft}/submit"), &alice, json!({})).await;
    let r = app.post("/api/v1/applications", &alice, json!({"order_no": "DY-9", "reason": "no_reason"})).await;
    assert_ne!(r.code(), "draft-exists", "{}", r.body);
});

both!(a_claim_is_released_or_reassigned_and_the_new_holder_told, |app: TestApp| async move {
    app.order("DY-R", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let alice = app.login("alice").await;
    let no = app.submitted(&alice, "DY-R", "10").await;
    let (rita, rick, sol, amy) =
        (app.login("rita").await, app.login("rick").await, app.login("sol").await, app.login("amy").await);
    let base = format!("/api/v1/review/applications/{no}");
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/release"), &rick, json!({})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "claimed-by-other"));
    let r = app.post(&format!("{base}/reassign"), &rita, json!({"reviewer": "rick"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not-a-supervisor"));
    let r = app.post(&format!("{base}/reassign"), &sol, json!({"reviewer": "amy"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not-a-reviewer"), "an agent decides nothing");
    let r = app.post(&format!("{base}/reassign"), &sol, json!({"reviewer": "rick"})).await;
    assert_eq!((r.status, r.body["reviewer"].as_str()), (StatusCode::OK, Some("rick")), "{}", r.body);
    let told = app.get("/api/v1/notifications", &rick).await;
    assert!(
        told.body["items"].as_array().expect("items").iter().any(|n| n["kind"] == "application.reassigned"),
        "{}",
        told.body
    );
    let r = app.post(&format!("{base}/approve"), &rita, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "rita holds it no longer: {}", r.body);
    let r = app.post(&format!("{base}/release"), &rick, json!({})).await;
    assert_eq!(
        (r.status, r.body["state"].as_str(), r.body["reviewer"].clone()),
        (StatusCode::OK, Some("submitted"), serde_json::Value::Null)
    );
    assert_eq!(app.post(&format!("{base}/claim"), &amy, json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
});
