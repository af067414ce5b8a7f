//! Redress's HTTP adapter: parse the request, call the use cases (`redress_app`), render JSON
//! or pages. No business rule lives here, and nothing here reaches the database.
// `ApiError` carries field errors and arguments for translation; it is built once per failed
// request, so its size on the error path does not matter.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod casefile;
pub mod codes;
pub mod dto;
pub mod error;
pub mod extract;
pub mod files;
pub mod forms;
pub mod i18n;
pub mod mail;
pub mod pages;
pub mod throttle;

use crate::codes::ErrorCode;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use error::ApiError;
use i18n::Lang;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases (every write goes through them).
    pub app: redress_app::App,
    pub blobs: redress_blobs::Blobs,
    pub evidence_limits: redress_domain::evidence::Limits,
    pub throttle: std::sync::Arc<throttle::LoginThrottle>,
    /// The case report's font file; `None` looks in the usual places.
    pub report_font_path: Option<std::path::PathBuf>,
    report_font: std::sync::Arc<std::sync::OnceLock<redress_casefile::ReportFont>>,
    /// The payment channels' clients.
    pub payments: Payments,
    /// What the background jobs report (`/readyz?verbose=1`); the composition root sets it.
    pub jobs: std::sync::Arc<dyn api::health::JobsReport>,
    /// The merchant's webhooks: the secrets' key and the sender (the composition root sets
    /// the data folder's key and whether private targets are allowed).
    pub webhooks: redress_webhooks::Webhooks,
    /// Who runs the platform and where buyers complain to it (the settings'; none by default).
    pub operator: std::sync::Arc<OperatorInfo>,
}

/// The operator as the pages show it: its identity (the respondent of a complaint) and its
/// public complaint contact (e-commerce law art. 59).
#[derive(Debug, Clone, Default)]
pub struct OperatorInfo {
    pub identity: Option<redress_domain::operator::Operator>,
    pub contact: redress_domain::operator::Contact,
}

/// The payment side: channel clients for the payout worker and callbacks, and when each
/// channel's money is expected to arrive.
#[derive(Clone, Default)]
pub struct Payments {
    pub channels: redress_payouts::Channels,
    pub arrivals: redress_domain::payout::Arrivals,
}

impl AppState {
    pub fn new(app: redress_app::App) -> AppState {
        AppState {
            blobs: app.blobs.clone(),
            app,
            evidence_limits: Default::default(),
            throttle: Default::default(),
            report_font_path: None,
            report_font: Default::default(),
            payments: Default::default(),
            jobs: std::sync::Arc::new(api::health::NoJobs),
            webhooks: redress_webhooks::Webhooks::ephemeral(),
            operator: Default::default(),
        }
    }

    /// The case report's font, loaded on first use. Without one, case files cannot be made:
    /// the reason is logged and the person asking is told so.
    pub fn report_font(&self) -> Result<redress_casefile::ReportFont, error::ApiError> {
        if let Some(f) = self.report_font.get() {
            return Ok(f.clone());
        }
        match redress_casefile::ReportFont::locate(self.report_font_path.as_deref()) {
            Ok(f) => Ok(self.report_font.get_or_init(|| f).clone()),
            Err(e) => {
                tracing::error!(error = %e, "no font for case reports");
                Err(error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::CaseFontMissing))
            }
        }
    }
}

/// The largest JSON body the API accepts (evidence uploads will have their own limit).
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

/// The whole HTTP application; `gateway`, a router with its own state, is served beside it
/// with the same layers (the sandbox payment gateway, when it is in use).
pub fn app(state: AppState, gateway: Option<Router>) -> Router {
    let (router, _) = api::router().split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    // A state-changing request from a page on another origin is refused (Fetch Metadata and
    // Origin); API clients that are not browsers send neither header and are not affected.
    let csrf = tower_http::csrf::CsrfLayer::new().with_rejection_response(|_| {
        axum::response::IntoResponse::into_response(error::ApiError::new(StatusCode::FORBIDDEN, ErrorCode::CrossOrigin))
    });
    // A server started as a test fixture (a manual clock) can be told what time it is.
    let router = if state.app.clock().is_manual() {
        router.route("/test/clock", axum::routing::post(api::testing::clock))
    } else {
        router
    };
    router
        .merge(pages::router())
        .merge(api::docs::router())
        .route("/api/v1/channels/wechat/notify", axum::routing::post(api::channels::wechat_notify))
        .route("/api/v1/channels/bank/notify", axum::routing::post(api::channels::bank_notify))
        .fallback(|| async { error::ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
        })
        .with_state(state)
        .merge(gateway.unwrap_or_default())
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(pages::CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(csrf)
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        // Outside the limits, timeout and panic catcher, so their answers are structured too.
        .layer(axum::middleware::from_fn(translate))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Middleware: turns an [`ApiError`] left in a response into its JSON body, translated.
pub async fn translate(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let lang = Lang::of(req.headers());
    let wants_html = pages::wants_html(&req);
    let mut res = next.run(req).await;
    if let Some(err) = res.extensions_mut().remove::<Arc<ApiError>>() {
        let mut out = if wants_html {
            pages::error_page(&err, lang)
        } else {
            let mut out = (err.status, axum::Json(err.render(lang))).into_response();
            out.headers_mut().insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(lang.tag()));
            out
        };
        // Too many at once: when to try again, for clients as for people.
        if err.status == axum::http::StatusCode::TOO_MANY_REQUESTS
            && let Some((_, secs)) = err.args.iter().find(|(name, _)| *name == "seconds")
            && let Ok(v) = header::HeaderValue::from_str(secs)
        {
            out.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return out;
    }
    res
}

pub use api::openapi;
