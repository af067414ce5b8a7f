//! The website over HTTP: cookie sessions, CSRF refusal, login throttling, form errors that
//! keep the input, and pages that are not yours. The browser suite (`e2e/`) covers the clicks.

use crate::both;
use crate::helpers::{PASSWORD, TestApp};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn set_cookie(&self) -> String {
        self.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join("\n")
    }

    /// The session token the response set, if any.
    fn session(&self) -> Option<String> {
        self.set_cookie().lines().find_map(|c| c.strip_prefix("redress_session=")?.split(';').next().map(str::to_owned))
    }
}

/// A browser-like request that does not follow redirects.
async fn page(
    app: &TestApp,
    method: Method,
    path: &str,
    session: Option<&str>,
    form: Option<&[(&str, &str)]>,
    extra: &[(&str, &str)],
) -> Page {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut req = client.request(method, format!("{}{path}", app.base)).header("accept", "text/html");
    if let Some(s) = session {
        req = req.header("cookie", format!("redress_session={s}"));
    }
    if let Some(f) = form {
        let body: String = f.iter().map(|(k, v)| format!("{k}={}", percent(v))).collect::<Vec<_>>().join("&");
        req = req.header("content-type", "application/x-www-form-urlencoded").body(body);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request");
    Page { status: res.status(), headers: res.headers().clone(), body: res.text().await.expect("body") }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

async fn sign_in(app: &TestApp, name: &str, extra: &[(&str, &str)]) -> Page {
    page(
        app,
        Method::POST,
        "/login",
        None,
        Some(&[("username", name), ("password", PASSWORD), ("next", "/orders")]),
        extra,
    )
    .await
}

both!(cookie_sessions_are_safe_rotated_and_ended, |app: TestApp| async move {
    let login = page(&app, Method::GET, "/login", None, None, &[]).await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(login.body.contains("name=\"password\""));

    // Without a session, pages send you to the login page and back.
    let r = page(&app, Method::GET, "/orders", None, None, &[]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/login?next=%2Forders"));

    let first = sign_in(&app, "alice", &[]).await;
    assert_eq!((first.status, first.location()), (StatusCode::SEE_OTHER, "/orders"));
    let cookie = first.set_cookie();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let token1 = first.session().expect("session cookie");
    assert_eq!(page(&app, Method::GET, "/orders", Some(&token1), None, &[]).await.status, StatusCode::OK);

    // Over HTTPS (behind a proxy that says so) the cookie is Secure.
    let https = sign_in(&app, "alice", &[("x-forwarded-proto", "https")]).await;
    assert!(https.set_cookie().contains("Secure"), "{}", https.set_cookie());

    // Signing in again with the old cookie gives a new id and ends the old one.
    let again = page(
        &app,
        Method::POST,
        "/login",
        Some(&token1),
        Some(&[("username", "alice"), ("password", PASSWORD), ("next", "/")]),
        &[],
    )
    .await;
    let token2 = again.session().expect("new session");
    assert_ne!(token1, token2);
    assert_eq!(page(&app, Method::GET, "/orders", Some(&token1), None, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(page(&app, Method::GET, "/orders", Some(&token2), None, &[]).await.status, StatusCode::OK);

    // Logging out ends the session on the server, not only in the browser.
    let out = page(&app, Method::POST, "/logout", Some(&token2), Some(&[]), &[]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/login"));
    assert_eq!(page(&app, Method::GET, "/orders", Some(&token2), None, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/me", &token2).await.status, StatusCode::UNAUTHORIZED);
});

both!(cross_origin_posts_are_refused_and_change_nothing, |app: TestApp| async move {
    app.order("P-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let alice = sign_in(&app, "alice", &[]).await.session().expect("session");
    let bearer = app.login("alice").await;
    let no = app.submitted(&bearer, "P-1", "10").await;
    let before = app.snapshot().await;
    let cross = [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")];
    let r = page(&app, Method::POST, &format!("/applications/{no}/withdraw"), Some(&alice), Some(&[]), &cross).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("<html") && r.body.contains("其他网站"), "{}", r.body);
    // Same host, another port: same site, but not the same origin.
    let port = [("origin", "http://127.0.0.1:1"), ("sec-fetch-site", "same-site")];
    let r = page(&app, Method::POST, &format!("/applications/{no}/withdraw"), Some(&alice), Some(&[]), &port).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The JSON API refuses browsers on other origins too, in its own shape.
    let r = app
        .client
        .post(format!("{}/api/v1/applications/{no}/withdraw", app.base))
        .bearer_auth(&bearer)
        .header("origin", "http://evil.example")
        .header("sec-fetch-site", "cross-site")
        .header("accept-language", "en")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["code"], "cross-origin");
    assert_eq!(app.snapshot().await, before);
    // The same form from Redress's own page goes through.
    let own = [("origin", app.base.as_str()), ("sec-fetch-site", "same-origin")];
    let r = page(&app, Method::POST, &format!("/applications/{no}/withdraw"), Some(&alice), Some(&[]), &own).await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, format!("/applications/{no}?done=withdraw").as_str()),
        "{}",
        r.body
    );
});

both!(login_is_throttled_per_account_with_a_clear_message, |app: TestApp| async move {
    for i in 0..10 {
        let r =
            page(&app, Method::POST, "/login", None, Some(&[("username", "bob"), ("password", "wrong")]), &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(r.body.contains("用户名或密码错误") && r.body.contains("value=\"bob\""), "the name is kept");
    }
    let r = page(
        &app,
        Method::POST,
        "/login",
        None,
        Some(&[("username", "bob"), ("password", PASSWORD)]),
        &[("accept-language", "en")],
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many sign-in attempts. Try again in"), "{}", r.body);
    assert!(r.session().is_none(), "no session while throttled, even with the right password");
    // The API's login shares the quota.
    let r =
        app.call(Method::POST, "/api/v1/session", None, Some(json!({"username": "bob", "password": PASSWORD}))).await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "login-throttled"));
    // Other accounts are not affected.
    assert_eq!(sign_in(&app, "alice", &[]).await.status, StatusCode::SEE_OTHER);
});

both!(form_errors_are_shown_by_the_field_with_the_input_kept, |app: TestApp| async move {
    app.order("F-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let alice = sign_in(&app, "alice", &[]).await.session().expect("session");
    let before = app.snapshot().await;
    let form =
        [("reason", "quantity_short"), ("amount", "1.234"), ("description", "只到账 600 个"), ("action", "submit")];
    let r =
        page(&app, Method::POST, "/orders/F-1/apply", Some(&alice), Some(&form), &[("accept-language", "en")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&r.body);
    let sel = |s: &str| scraper::Selector::parse(s).expect("selector");
    let error: String = html.select(&sel("#amount-error")).flat_map(|e| e.text()).collect();
    assert!(error.contains("two decimal places") || error.contains("decimal"), "{error}");
    let amount = html.select(&sel("#amount")).next().and_then(|e| e.value().attr("value")).unwrap_or("");
    assert_eq!(amount, "1.234");
    let text: String = html.select(&sel("#description")).flat_map(|e| e.text()).collect();
    assert_eq!(text, "只到账 600 个");
    assert_eq!(html.select(&sel("#amount[aria-invalid=true]")).count(), 1);
    assert_eq!(app.snapshot().await, before, "nothing written");
    let r = page(&app, Method::POST, "/orders/F-1/apply", Some(&alice), None, &[("content-type", "application/json")])
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.body.contains("表单格式不对"), "{}", r.body);

    // The same form, right, becomes a submitted application and says its number.
    let form =
        [("reason", "quantity_short"), ("amount", "12.34"), ("description", "只到账 600 个"), ("action", "submit")];
    let r = page(&app, Method::POST, "/orders/F-1/apply", Some(&alice), Some(&form), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let next = r.location().to_owned();
    assert!(next.ends_with("?done=submitted"), "{next}");
    let detail = page(&app, Method::GET, &next, Some(&alice), None, &[]).await;
    let no = next.trim_start_matches("/applications/").trim_end_matches("?done=submitted");
    assert!(detail.body.contains(&format!("申请已提交，申请编号 {no}")), "{}", detail.body);
    assert!(detail.body.contains("¥12.34"));
});

both!(another_buyers_application_pages_are_not_found, |app: TestApp| async move {
    app.order("O-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let bearer = app.login("alice").await;
    let no = app.submitted(&bearer, "O-1", "10").await;
    let bob = sign_in(&app, "bob", &[]).await.session().expect("session");
    let before = app.snapshot().await;
    for (method, path) in [
        (Method::GET, format!("/applications/{no}")),
        (Method::GET, format!("/applications/{no}/edit")),
        (Method::POST, format!("/applications/{no}/edit")),
        (Method::POST, format!("/applications/{no}/withdraw")),
        (Method::POST, format!("/applications/{no}/appeal")),
        (Method::GET, "/orders/O-1/apply".to_owned()),
        (Method::POST, "/orders/O-1/apply".to_owned()),
    ] {
        let form: Option<&[(&str, &str)]> =
            (method == Method::POST).then_some(&[("reason", "other"), ("amount", "1"), ("text", "x")]);
        let r = page(&app, method.clone(), &path, Some(&bob), form, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(r.body.contains("未找到") && !r.body.contains("O-1"), "{method} {path}: {}", r.body);
    }
    // A buyer is not staff.
    let r = page(&app, Method::GET, &format!("/desk/{no}"), Some(&bob), None, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before);
});

both!(the_desk_and_the_buyers_lists_link_their_next_pages, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let mut numbers = vec![];
    for i in 1..=3 {
        app.order(&format!("PG-{i}"), "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
        numbers.push(app.submitted(&alice, &format!("PG-{i}"), "30").await);
    }
    let next_of = |body: &str| -> Option<String> {
        let start = body.find("rel=\"next\"")?;
        let href = &body[start..];
        let href = &href[href.find("href=\"")? + 6..];
        Some(href[..href.find('"')?].replace("&amp;", "&").replace("&#38;", "&"))
    };
    for (who, first) in [("rita", "/desk?limit=2&reason=quantity_short"), ("alice", "/orders?limit=2")] {
        let session = sign_in(&app, who, &[]).await.session().expect("session");
        let one = page(&app, Method::GET, first, Some(&session), None, &[]).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        let next = next_of(&one.body).unwrap_or_else(|| panic!("{first} links its next page"));
        assert!(next.contains("after=") && next.contains("limit=2"), "{next}");
        if who == "rita" {
            assert!(next.contains("reason=quantity_short"), "the filters are kept: {next}");
        }
        let two = page(&app, Method::GET, &next, Some(&session), None, &[]).await;
        assert_eq!(two.status, StatusCode::OK, "{}", two.body);
        assert!(next_of(&two.body).is_none(), "three items, two pages");
        assert!(two.body.contains(">回到第一页<") || two.body.contains(">Back to the first page<"), "{}", two.body);
        let seen = |b: &str| numbers.iter().filter(|n| b.contains(n.as_str())).count();
        if who == "rita" {
            assert_eq!((seen(&one.body), seen(&two.body)), (2, 1));
        }
    }
    // Staff find an application by its number from the desk.
    let session = sign_in(&app, "rita", &[]).await.session().expect("session");
    let found = page(&app, Method::GET, &format!("/desk?by=no&q={}", numbers[1]), Some(&session), None, &[]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains(&numbers[1]) && !found.body.contains(&numbers[0]), "{}", found.body);
    let bad = page(&app, Method::GET, "/desk?after=nope", Some(&session), None, &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
});

both!(a_ticket_is_opened_answered_and_kept_from_other_buyers_on_the_pages, |app: TestApp| async move {
    app.order("P-T1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let bearer = app.login("alice").await;
    let no_app = app.submitted(&bearer, "P-T1", "10").await;
    let alice = sign_in(&app, "alice", &[]).await.session().expect("session");
    let amy = sign_in(&app, "amy", &[]).await.session().expect("session");
    let bob = sign_in(&app, "bob", &[]).await.session().expect("session");

    // The header offers "contact support"; the application's page links a ticket about it.
    let detail = page(&app, Method::GET, &format!("/applications/{no_app}"), Some(&alice), None, &[]).await;
    assert!(detail.body.contains("联系客服"), "the header's link");
    assert!(detail.body.contains(&format!("/tickets/new?application={no_app}")));

    // An empty subject is said by its field, the message kept.
    let form = [("category", "refund_progress"), ("subject", ""), ("body", "还没到账"), ("application", &no_app)];
    let r = page(&app, Method::POST, "/tickets/new", Some(&alice), Some(&form), &[("accept-language", "en")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("t-subject-error") && r.body.contains("还没到账"), "{}", r.body);
    // A number that names nothing: not found, said on the form, the text kept.
    let form = [("category", "other"), ("subject", "问"), ("body", "写了很多字"), ("order", "not an order!")];
    let r = page(&app, Method::POST, "/tickets/new", Some(&alice), Some(&form), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("写了很多字") && r.body.contains("id=\"t-body\""), "{}", r.body);
    let form =
        [("category", "refund_progress"), ("subject", "退款进度"), ("body", "还没到账"), ("application", &no_app)];
    let r = page(&app, Method::POST, "/tickets/new", Some(&alice), Some(&form), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = r.location().to_owned();
    let no = at.trim_start_matches("/tickets/").trim_end_matches("?done=ticket-opened").to_owned();
    assert!(no.starts_with("TK-"), "{at}");

    // Staff see it on the desk, answer, and write a note the buyer never sees.
    let desk = page(&app, Method::GET, "/desk/tickets", Some(&amy), None, &[]).await;
    assert!(desk.body.contains(&no), "{}", desk.body);
    let r = page(
        &app,
        Method::POST,
        &format!("/tickets/{no}/write"),
        Some(&amy),
        Some(&[("text", "正在查询"), ("kind", "reply")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = page(
        &app,
        Method::POST,
        &format!("/tickets/{no}/write"),
        Some(&amy),
        Some(&[("text", "渠道那边延迟"), ("kind", "note")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let theirs = page(&app, Method::GET, &format!("/tickets/{no}"), Some(&alice), None, &[]).await;
    assert!(theirs.body.contains("正在查询") && !theirs.body.contains("渠道那边延迟"), "{}", theirs.body);
    assert!(theirs.body.contains("等待您回复"));
    let landing = page(&app, Method::GET, "/orders", Some(&alice), None, &[]).await;
    assert!(
        landing.body.contains(&format!("/tickets/{no}")) && landing.body.contains("客服已回复，等待您答复"),
        "first on the landing page"
    );
    // A note refused (too long) comes back as a note, its text kept: never sent as a reply.
    let long = "长".repeat(5001);
    let r = page(
        &app,
        Method::POST,
        &format!("/tickets/{no}/write"),
        Some(&amy),
        Some(&[("text", &long), ("kind", "note")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(r#"value="note" checked"#) && !r.body.contains(r#"value="reply" checked"#),
        "the note stays a note"
    );
    let staff = page(&app, Method::GET, &format!("/tickets/{no}"), Some(&amy), None, &[]).await;
    assert!(staff.body.contains("渠道那边延迟") && staff.body.contains("内部备注"));
    let desk_app = page(&app, Method::GET, &format!("/desk/{no_app}"), Some(&amy), None, &[]).await;
    assert!(desk_app.body.contains(&no), "the ticket on the review desk's page");

    // A buyer posting a note is refused as staff-only; another buyer finds nothing.
    let r = page(
        &app,
        Method::POST,
        &format!("/tickets/{no}/write"),
        Some(&alice),
        Some(&[("text", "x"), ("kind", "note")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (method, path) in [
        (Method::GET, format!("/tickets/{no}")),
        (Method::POST, format!("/tickets/{no}/write")),
        (Method::POST, format!("/tickets/{no}/reopen")),
    ] {
        let form: Option<&[(&str, &str)]> = (method == Method::POST).then_some(&[("text", "x")]);
        let r = page(&app, method.clone(), &path, Some(&bob), form, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(!r.body.contains("退款进度"), "{method} {path}");
    }
    let r = page(&app, Method::GET, "/desk/tickets", Some(&bob), None, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mine = page(&app, Method::GET, "/tickets", Some(&bob), None, &[]).await;
    assert!(!mine.body.contains(&no));
});

both!(an_application_thread_on_the_buyers_page_and_the_desk, |app: TestApp| async move {
    app.order("P-TH1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let bearer = app.login("alice").await;
    let no = app.submitted(&bearer, "P-TH1", "10").await;
    let alice = sign_in(&app, "alice", &[]).await.session().expect("session");
    let rita = sign_in(&app, "rita", &[]).await.session().expect("session");
    let r = page(&app, Method::POST, &format!("/applications/{no}/message"), Some(&alice), Some(&[("body", "")]), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("thread-error"));
    let r = page(
        &app,
        Method::POST,
        &format!("/applications/{no}/message"),
        Some(&alice),
        Some(&[("body", "什么时候审核？")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = page(
        &app,
        Method::POST,
        &format!("/desk/{no}/message"),
        Some(&rita),
        Some(&[("body", "内部：优先处理"), ("kind", "note")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = page(
        &app,
        Method::POST,
        &format!("/desk/{no}/message"),
        Some(&rita),
        Some(&[("body", "今天处理"), ("kind", "reply")]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let theirs = page(&app, Method::GET, &format!("/applications/{no}"), Some(&alice), None, &[]).await;
    assert!(
        theirs.body.contains("什么时候审核？") && theirs.body.contains("今天处理") && !theirs.body.contains("优先处理")
    );
    let desk = page(&app, Method::GET, &format!("/desk/{no}"), Some(&rita), None, &[]).await;
    assert!(desk.body.contains("优先处理") && desk.body.contains("内部备注"));
});

both!(the_statutory_clock_shows_to_staff_and_to_its_buyer_once_it_has_passed, |app: TestApp| async move {
    use jiff::{SignedDuration, Timestamp};
    use redress_domain::ids::ApplicationRef;
    let (alice, rita) = (app.login("alice").await, app.login("rita").await);
    app.order("ST-1", "alice", 1000, 10_000, 30, Some((400, "third_party"))).await;
    app.order("ST-2", "alice", 1000, 10_000, 30, Some((400, "third_party"))).await;
    let fresh = app.submitted(&alice, "ST-1", "60").await;
    // Another, submitted twenty days ago (outside the web layer, on the clock of then).
    let body = json!({"order_no": "ST-2", "reason": "quantity_short", "amount": "60", "description": "short"});
    let r = app.post("/api/v1/applications", &alice, body).await;
    let draft = ApplicationRef::parse(r.body["no"].as_str().expect("no")).expect("a draft");
    let user = app.user("alice").await;
    let then = Timestamp::now() - SignedDuration::from_hours(24 * 20);
    let old = app.at(then).submit(&draft, &user).await.expect("submit").reference().to_string();

    let statutory = |r: crate::helpers::Resp| r.body["application"]["statutory"].clone();
    let s = statutory(app.get(&format!("/api/v1/applications/{fresh}"), &rita).await);
    assert_eq!(
        (s["state"].as_str(), s["days"].as_u64(), s["passed"].as_bool()),
        (Some("running"), Some(15), Some(false))
    );
    assert!(s["due_at"].is_string(), "{s}");
    let s = statutory(app.get(&format!("/api/v1/applications/{fresh}"), &alice).await);
    assert!(s.is_null(), "its buyer sees it only once it has passed: {s}");
    let s = statutory(app.get(&format!("/api/v1/applications/{old}"), &alice).await);
    assert_eq!((s["state"].as_str(), s["passed"].as_bool()), (Some("passed"), Some(true)), "{s}");

    // On the pages: the buyer is told, in their language; staff see the date on every item.
    let mine = page(&app, Method::GET, &format!("/applications/{old}"), Some(&alice), None, &[]).await;
    assert!(mine.body.contains("id=\"statutory\"") && mine.body.contains("15 日"), "{}", mine.body);
    let fresh_page = page(&app, Method::GET, &format!("/applications/{fresh}"), Some(&alice), None, &[]).await;
    assert!(!fresh_page.body.contains("id=\"statutory\""));
    let desk =
        page(&app, Method::GET, &format!("/desk/{fresh}"), Some(&rita), None, &[("accept-language", "en")]).await;
    assert!(desk.body.contains("id=\"statutory\"") && desk.body.contains("Statutory deadline"), "{}", desk.body);

    // The complaint route: offered on the page, laid out in the 12315 form's order; not for a
    // request still within its period, nor for another buyer.
    assert!(mine.body.contains(&format!("href=\"/applications/{old}/complaint\"")), "{}", mine.body);
    assert!(!fresh_page.body.contains("id=\"complaint-link\""));
    let c = page(&app, Method::GET, &format!("/applications/{old}/complaint"), Some(&alice), None, &[]).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let order = c.body.find("被投诉人").zip(c.body.find("购买信息")).zip(c.body.find("投诉请求"));
    let order = order.zip(c.body.find("事实经过")).zip(c.body.find("id=\"c-evidence\""));
    let sections = order.map(|((((a, b), c), d), e)| [a, b, c, d, e]);
    assert!(sections.is_some_and(|s| s.windows(2).all(|w| w[0] < w[1])), "in the form's order: {sections:?}");
    for part in ["退款 ¥60.00", "ST-2", "15 日法定期限届满，仍未退款", "https://www.12315.cn", "经营者尚未公布"]
    {
        assert!(c.body.contains(part), "{part} on the complaint page: {}", c.body);
    }
    let not_yet = page(&app, Method::GET, &format!("/applications/{fresh}/complaint"), Some(&alice), None, &[]).await;
    assert_eq!(not_yet.status, StatusCode::NOT_FOUND);
    let bob = app.login("bob").await;
    let theirs = page(&app, Method::GET, &format!("/applications/{old}/complaint"), Some(&bob), None, &[]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let english = page(
        &app,
        Method::GET,
        &format!("/applications/{old}/complaint"),
        Some(&alice),
        None,
        &[("accept-language", "en")],
    )
    .await;
    assert!(english.body.contains("Complain on the 12315 platform") && english.body.contains("Refund ¥60.00"));

    // A ticket about an application carries its statutory clock, as the reader may see it.
    let ask = |about: &str| json!({"category": "refund_progress", "subject": "进度", "body": "还没处理", "application_no": about});
    let late_ticket = app.post("/api/v1/tickets", &alice, ask(&old)).await.body["no"].as_str().map(str::to_owned);
    let fresh_ticket = app.post("/api/v1/tickets", &alice, ask(&fresh)).await.body["no"].as_str().map(str::to_owned);
    let (late_ticket, fresh_ticket) = (late_ticket.expect("a ticket"), fresh_ticket.expect("a ticket"));
    let amy = app.login("amy").await;
    let of = |r: crate::helpers::Resp| r.body["statutory"].clone();
    assert_eq!(of(app.get(&format!("/api/v1/tickets/{late_ticket}"), &alice).await)["state"], "passed");
    assert!(of(app.get(&format!("/api/v1/tickets/{fresh_ticket}"), &alice).await).is_null());
    assert_eq!(of(app.get(&format!("/api/v1/tickets/{fresh_ticket}"), &amy).await)["state"], "running");
    let ticket_page = page(&app, Method::GET, &format!("/tickets/{late_ticket}"), Some(&alice), None, &[]).await;
    assert!(ticket_page.body.contains("id=\"statutory\"") && ticket_page.body.contains("/complaint\""));

    // A reasoned rejection stops it: late, and it says so.
    let base = format!("/api/v1/review/applications/{old}");
    assert_eq!(app.post(&format!("{base}/claim"), &rita, json!({})).await.status, StatusCode::OK);
    let r = app.post(&format!("{base}/reject"), &rita, json!({"code": "other", "text": "不符合规则"})).await;
    assert_eq!(
        (r.body["statutory"]["state"].as_str(), r.body["statutory"]["passed"].as_bool()),
        (Some("met_late"), Some(true))
    );
});
