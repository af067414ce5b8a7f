//! The OpenAPI document covers every route, and the health endpoints answer.

use crate::both;
use crate::helpers::TestApp;
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
