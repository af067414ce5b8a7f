//! Swagger UI at `/api/docs`: the OpenAPI document, readable and tryable in a browser. The
//! assets are vendored (`assets/swagger-ui/`, see its README) and served from this server, so
//! the pages' Content Security Policy holds: no script, style or font from elsewhere, no inline
//! script.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Redress API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"#;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/api/docs", get(|| async { Html(PAGE) })).route("/api/docs/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Result<Response, crate::error::ApiError> {
    let (body, kind): (&'static [u8], &'static str) = match file.as_str() {
        "swagger-ui-bundle.js" => {
            (include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"), "text/javascript; charset=utf-8")
        }
        "swagger-ui.css" => (include_bytes!("../../assets/swagger-ui/swagger-ui.css"), "text/css; charset=utf-8"),
        "init.js" => (include_bytes!("../../assets/swagger-ui/init.js"), "text/javascript; charset=utf-8"),
        _ => return Err(crate::error::ApiError::not_found()),
    };
    Ok(([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response())
}
