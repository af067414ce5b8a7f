//! Notifications in the app: each step of an application tells the people it concerns, in
//! their language, written with the step; each person sees, pages, marks and opens only their
//! own; a buyer never sees a staff notification.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every notification of `token`'s holder, newest first, following `next` at `limit`.
async fn all_of(app: &TestApp, token: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/api/v1/notifications?limit={limit}");
    loop {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        out.extend(r.body["items"].as_array().expect("items").iter().cloned());
        match r.body["next"].as_str() {
            Some(next) => path = format!("/api/v1/notifications?limit={limit}&after={next}"),
            None => return out,
        }
    }
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().filter_map(|n| n["kind"].as_str()).collect()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/notifications/unread", token).await.body["unread"].as_i64().expect("a count")
}

both!(each_step_tells_whom_it_concerns_and_only_them, |app: TestApp| async move {
    app.order("DY-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let (alice, bob, rita) = (app.login("alice").await, app.login("bob").await, app.login("rita").await);
    let no = app.submitted(&alice, "DY-1", "30.00").await;
    let base = format!("/api/v1/review/applications/{no}");
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/request-info"), &rita, json!({"message": "请上传截图"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post(&format!("/api/v1/applications/{no}/supplement"), &alice, json!({"message": "已上传"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post(&format!("{base}/approve"), &rita, json!({"amount": "20"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.run("payouts").await;
    app.run("sandbox").await;

    // The buyer: every step of their application, newest first, each once, at any page size.
    let mine = all_of(&app, &alice, 50).await;
    assert_eq!(
        kinds(&mine),
        [
            "payout.succeeded",
            "payout.sent",
            "application.approved",
            "application.info_requested",
            "application.in_review",
            "application.submitted",
        ]
    );
    for limit in [1, 2, 3] {
        assert_eq!(all_of(&app, &alice, limit).await, mine, "limit {limit}");
    }
    assert!(mine.iter().all(|n| n["application_no"] == no.as_str() && n["read"] == false));
    assert!(mine.iter().all(|n| n["link"] == format!("/applications/{no}")));
    let approved = &mine[2];
    assert_eq!(approved["amount"]["fen"], 2000);
    let text = approved["text"].as_str().expect("text");
    assert!(text.contains(&no) && text.contains("¥20.00") && text.contains("原路退回"), "{text}");
    assert!(approved["created_local"].as_str().is_some_and(|t| t.ends_with("（北京时间）")), "{approved}");
    let en = app.call_lang(Method::GET, "/api/v1/notifications?limit=1", Some(&alice), None, Some("en")).await;
    let text = en.body["items"][0]["text"].as_str().expect("text");
    assert!(text.contains("has arrived") && text.contains(&no), "{text}");

    // Staff: what the buyer did on the application they hold, never their own steps.
    let desk = all_of(&app, &rita, 50).await;
    assert_eq!(kinds(&desk), ["application.supplemented"]);
    assert_eq!(desk[0]["link"], format!("/desk/{no}"));
    // Another buyer has nothing, and cannot mark or open the buyer's.
    assert!(all_of(&app, &bob, 50).await.is_empty());
    let theirs = mine[0]["id"].as_str().expect("id").to_owned();
    let r = app.post(&format!("/api/v1/notifications/{theirs}/read"), &bob, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(&format!("/api/v1/notifications/{}/read", desk[0]["id"].as_str().expect("id")), &alice, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a staff notification is not the buyer's");
    assert_eq!(unread(&app, &alice).await, 6);

    // Mark one read (twice: no change), then all.
    for _ in 0..2 {
        let r = app.post(&format!("/api/v1/notifications/{theirs}/read"), &alice, json!({})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(unread(&app, &alice).await, 5);
    assert_eq!(all_of(&app, &alice, 50).await[0]["read"], true);
    assert_eq!(unread(&app, &rita).await, 1, "marking mine marks no one else's");
    let r = app.post("/api/v1/notifications/read", &alice, json!({})).await;
    assert_eq!((r.status, r.body["unread"].as_i64()), (StatusCode::OK, Some(0)));
    assert_eq!(unread(&app, &alice).await, 0);
    assert!(all_of(&app, &alice, 50).await.iter().all(|n| n["read"] == true));
    assert_eq!(unread(&app, &rita).await, 1);

    // A cursor from another list is refused, as on every list.
    let other = app.get("/api/v1/applications?limit=1", &alice).await;
    if let Some(cursor) = other.body["next"].as_str() {
        let r = app.get(&format!("/api/v1/notifications?after={cursor}"), &alice).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
});

both!(the_notification_centre_is_on_every_page, |app: TestApp| async move {
    app.order("DY-1", "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
    let (alice, bob, rita) = (app.login("alice").await, app.login("bob").await, app.login("rita").await);
    let no = app.submitted(&alice, "DY-1", "30.00").await;
    let r = app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let get = |path: &str, token: &str| {
        client.get(format!("{}{path}", app.base)).header("cookie", format!("redress_session={token}")).send()
    };
    // The header of any page carries the unread count.
    let orders = get("/orders", &alice).await.expect("page").text().await.expect("html");
    assert!(orders.contains("href=\"/notifications\" data-unread=\"2\""), "{orders}");
    let page = get("/notifications", &alice).await.expect("page").text().await.expect("html");
    assert!(page.contains(&no) && page.contains("已开始处理") && page.contains("全部标为已读"), "{page}");
    assert_eq!(page.matches("data-notification=").count(), 2);
    let others = get("/notifications", &bob).await.expect("page").text().await.expect("html");
    assert!(!others.contains(&no) && others.contains("暂无通知"), "{others}");
    // The page says where e-mail goes, and the optional kind can be switched off there.
    assert!(page.contains("name=\"optional_emails\" value=\"on\" checked"), "on by default");
    let r = client
        .post(format!("{}/notifications/preferences", app.base))
        .header("cookie", format!("redress_session={alice}"))
        .header("origin", app.base.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("saved");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let prefs = app.get("/api/v1/me/preferences", &alice).await;
    assert_eq!(prefs.body["optional_emails"], false, "{}", prefs.body);
    let page = get("/notifications?done=preferences", &alice).await.expect("page").text().await.expect("html");
    assert!(page.contains("邮件设置已保存") && !page.contains("value=\"on\" checked"), "{page}");
    assert!(others.contains("data-unread=\"0\""));

    // Opening one marks it read and leads to the application.
    let id =
        app.get("/api/v1/notifications?limit=1", &alice).await.body["items"][0]["id"].as_str().expect("id").to_owned();
    let open = |token: &str| {
        client
            .post(format!("{}/notifications/{id}/open", app.base))
            .header("cookie", format!("redress_session={token}"))
            .header("origin", app.base.clone())
            .send()
    };
    let r = open(&bob).await.expect("open");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another buyer's is not found");
    let r = open(&alice).await.expect("open");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some(format!("/applications/{no}").as_str()));
    let orders = get("/orders", &alice).await.expect("page").text().await.expect("html");
    assert!(orders.contains("data-unread=\"1\""), "{orders}");
    let r = client
        .post(format!("{}/notifications/read", app.base))
        .header("cookie", format!("redress_session={alice}"))
        .header("origin", app.base.clone())
        .send()
        .await
        .expect("mark all");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let orders = get("/orders", &alice).await.expect("page").text().await.expect("html");
    assert!(orders.contains("data-unread=\"0\""));
    assert!(!orders.contains("data-awaiting="), "nothing waits for the buyer");

    // The landing page leads with what waits for the buyer: information asked for.
    let r =
        app.post(&format!("/api/v1/review/applications/{no}/request-info"), &rita, json!({"message": "截图"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let orders = get("/orders", &alice).await.expect("page").text().await.expect("html");
    let lead = orders.find("data-awaiting=\"info_requested\"").expect("leads with the request");
    assert!(lead < orders.find("class=\"card order\"").expect("an order card"), "before the orders");
    assert!(orders.contains(&format!("href=\"/applications/{no}\"")) && orders.contains("需要你处理"));
    assert!(orders.contains("data-unread=\"1\""));
    let others = get("/orders", &bob).await.expect("page").text().await.expect("html");
    assert!(!others.contains("data-awaiting="), "another buyer's is not theirs");
});
