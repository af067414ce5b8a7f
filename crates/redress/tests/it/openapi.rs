//! The OpenAPI document covers every route, and the health endpoints answer.

use crate::both;
use crate::helpers::TestApp;
use redress_domain::application::ApplicationState;
use reqwest::{Method, StatusCode};

both!(openapi_and_health, |app: TestApp| async move {
    let doc = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/session",
        "/api/v1/orders",
        "/api/v1/orders/{order_no}/entitlement",
        "/api/v1/applications/{no}/appeal",
        "/api/v1/review/queue",
        "/api/v1/review/applications/{no}/approve",
        "/api/v1/merchant/orders/{order_no}",
        "/api/v1/merchant/policies",
        "/healthz",
        "/readyz",
        "/api/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    // Every operation documents at least one error response shape or is public.
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
        }
    }
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    assert_eq!(app.call(Method::GET, "/readyz", None, None).await.status, StatusCode::OK);

    // Exact: who may call, what every operation can answer, what values are accepted.
    let schemes = doc.body["components"]["securitySchemes"].as_object().expect("schemes");
    assert_eq!(
        schemes.keys().collect::<Vec<_>>(),
        ["admin_session", "buyer_session", "merchant_token", "staff_session"]
    );
    let op = |path: &str, method: &str| doc.body["paths"][path][method].clone();
    let codes = |path: &str, method: &str| {
        op(path, method)["responses"].as_object().expect("responses").keys().cloned().collect::<Vec<_>>()
    };
    assert_eq!(op("/api/v1/review/queue", "get")["security"], serde_json::json!([{"staff_session": []}]));
    assert_eq!(codes("/api/v1/review/queue", "get"), ["200", "401", "403", "422", "503"]);
    assert_eq!(
        codes("/api/v1/applications/{no}/appeal", "post"),
        ["200", "400", "401", "403", "404", "409", "413", "415", "422", "503"]
    );
    assert_eq!(
        codes("/api/v1/merchant/buyers/{buyer_id}", "put"),
        ["200", "201", "400", "401", "404", "409", "413", "415", "422", "503"]
    );
    let queue_params = op("/api/v1/review/queue", "get")["parameters"].as_array().cloned().expect("params");
    let param = |name: &str| queue_params.iter().find(|p| p["name"] == name).cloned().expect(name);
    assert_eq!(param("state")["in"], "query");
    let states = param("state")["schema"]["enum"].as_array().cloned().expect("state enum");
    assert!(states.contains(&serde_json::json!("appealed")) && states.len() == ApplicationState::ALL.len());
    assert_eq!(param("limit")["schema"]["maximum"], 200);
    let reason = &doc.body["components"]["schemas"]["DraftRequest"]["properties"]["reason"];
    assert!(reason["enum"].as_array().is_some_and(|e| e.contains(&serde_json::json!("quantity_short"))), "{reason}");
    let policy = op("/api/v1/merchant/policies", "post");
    let kinds = policy["requestBody"]["content"].as_object().expect("content").keys().cloned().collect::<Vec<_>>();
    assert_eq!(kinds, ["application/json", "application/toml"]);
    let case = op("/api/v1/applications/{no}/case-file", "get");
    assert!(case["responses"]["200"]["content"]["application/zip"].is_object());
    assert!(case["responses"]["409"]["content"]["application/json"].is_object(), "errors are JSON");
    assert_eq!(op("/api/v1/applications/{no}/case-file", "get")["parameters"][1]["in"], "query");
});

both!(a_query_that_does_not_parse_is_a_translated_422, |app: TestApp| async move {
    let staff = app.login("rita").await;
    for bad in ["limit=abc", "limit=", "limit=%2B5", "limit=0", "limit=201"] {
        let r = app.get(&format!("/api/v1/review/queue?{bad}"), &staff).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert!(r.body["message"].is_string(), "{bad}");
    }
    let alice = app.login("alice").await;
    let r = app
        .call_lang(
            Method::GET,
            "/api/v1/applications/RF-20261124-AAAAAA/case-file?lang=fr",
            Some(&alice),
            None,
            Some("en"),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "query-invalid"), "{}", r.body);
});

/// Every route the server answers is in the document: each documented path answers with
/// something other than 404-for-unknown-route, and an undocumented path is a plain 404.
#[tokio::test]
async fn documented_routes_are_the_served_routes() {
    let app = TestApp::sqlite().await;
    let doc = redress_web::openapi();
    for (path, item) in &doc.paths.paths {
        let concrete = path
            .replace("{no}", "RF-20261124-AAAAAA")
            .replace("{order_no}", "X-1")
            .replace("{version}", "1")
            .replace("{event_id}", "e1");
        for method in ["get", "post", "put", "patch", "delete"] {
            let has = serde_json::to_value(item).ok().and_then(|v| v.get(method).cloned()).is_some();
            if !has {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let res = app.client.request(m, format!("{}{concrete}", app.base)).send().await.expect("send");
            assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if res.status() == StatusCode::NOT_FOUND {
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                assert_eq!(body["code"], "not-found", "{method} {path} is documented but not routed");
            }
        }
    }
}

/// Swagger UI is served from this server: its page, its vendored assets, nothing else.
#[tokio::test]
async fn swagger_ui_is_served_from_here() {
    let app = TestApp::sqlite().await;
    let get = |p: &str| app.client.get(format!("{}{p}", app.base)).send();
    let page = get("/api/docs").await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("/api/docs/swagger-ui-bundle.js") && html.contains("/api/docs/init.js"));
    for (file, kind) in
        [("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"), ("init.js", "text/javascript")]
    {
        let res = get(&format!("/api/docs/{file}")).await.expect("asset");
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert!(res.headers()["content-type"].to_str().expect("type").starts_with(kind), "{file}");
    }
    assert_eq!(get("/api/docs/index.html").await.expect("other").status(), StatusCode::NOT_FOUND);
}
