//! The merchant's webhook endpoints over the merchant API (the same as `redress admin webhook`):
//! register one (its secret shown once), list, rotate the secret, disable, read the delivery
//! log, send one message again, replay a time range. docs/notifications.md has the payloads
//! and how to verify the signatures.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::Paged;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{Json, Merchant, Path, Query};
use crate::forms::{PageQuery, page_request};
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use redress_app::{Endpoint, HookAttempt};
use redress_webhooks::HookError;
use redress_webhooks::target::TargetError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An endpoint to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// Where to send: `https://` (a local `http://` address only when the server allows
    /// private targets), never an address inside a private network.
    #[schema(max_length = 2000)]
    pub url: String,
    /// Event types (`application.approved`) or families (`payout.*`); absent, empty or `*`
    /// for every type.
    pub events: Option<Vec<String>>,
}

/// An endpoint (never its secret).
#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    /// `WE-` and 16 hex digits.
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why it was disabled: `gone` (it answered 410), `failing` (five days without a
    /// success), `manual`.
    pub disabled_reason: Option<String>,
    /// The first failure since its last success.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failing_since: Option<Timestamp>,
    /// Until when the previous secret still signs (after a rotation).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct WebhookSecret {
    pub endpoint: WebhookOut,
    /// `whsec_…`: verify each message's `webhook-signature` with it.
    pub secret: String,
}

/// One delivery attempt.
#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    pub delivery_id: String,
    /// From 1.
    pub attempt: u32,
    /// The message's `webhook-id`.
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The HTTP status the receiver answered, if it did.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The answer's first 1 KB.
    pub answer: Option<String>,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// A time range to send again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    /// Messages queued to be sent again.
    pub queued: usize,
    /// When the range held more than one call queues (1,000): call again from here.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub more_from: Option<Timestamp>,
}

impl From<Endpoint> for WebhookOut {
    fn from(e: Endpoint) -> WebhookOut {
        WebhookOut {
            events: e.events.split(',').map(str::to_owned).collect(),
            id: e.id,
            url: e.url,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            previous_secret_until: e.previous_until,
            created_at: e.created_at,
        }
    }
}

impl From<HookAttempt> for AttemptOut {
    fn from(a: HookAttempt) -> AttemptOut {
        AttemptOut {
            delivery_id: a.delivery_id,
            attempt: a.attempt,
            message_id: a.message_id,
            kind: a.kind,
            at: a.at,
            status: a.status,
            latency_ms: a.latency_ms,
            answer: a.answer,
            error: a.error,
        }
    }
}

/// The field error of a URL or event list that cannot be registered.
pub fn hook_error(e: HookError) -> ApiError {
    match e {
        HookError::Target(t) => ApiError::invalid(vec![FieldError::new("url", target_code(&t))]),
        HookError::Filter(_) => ApiError::invalid(vec![FieldError::new("events", ErrorCode::WebhookEventUnknown)]),
        HookError::App(e) => e.into(),
    }
}

pub fn target_code(t: &TargetError) -> ErrorCode {
    match t {
        TargetError::NotHttps => ErrorCode::WebhookUrlNotHttps,
        TargetError::Credentials => ErrorCode::WebhookUrlCredentials,
        TargetError::Inside(_) | TargetError::Unresolved => ErrorCode::WebhookUrlPrivate,
        TargetError::NotAUrl | TargetError::NoHost => ErrorCode::WebhookUrlInvalid,
    }
}

/// Register an endpoint. The answer carries its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks", tag = "merchant", security(("merchant_token" = [])),
    request_body = WebhookIn,
    responses((status = 201, body = WebhookSecret), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Merchant(by): Merchant,
    Json(w): Json<WebhookIn>,
) -> ApiResult<(StatusCode, axum::Json<WebhookSecret>)> {
    if w.url.chars().count() > 2000 {
        return Err(ApiError::field("url", ErrorCode::FieldTooLong));
    }
    let events = w.events.unwrap_or_default().join(",");
    let (e, secret) = state.webhooks.create(&state.app, &w.url, &events, &by).await.map_err(hook_error)?;
    Ok((StatusCode::CREATED, axum::Json(WebhookSecret { endpoint: e.into(), secret })))
}

/// The endpoints, oldest first.
#[utoipa::path(get, path = "/api/v1/merchant/webhooks", tag = "merchant", security(("merchant_token" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<WebhookOut>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _m: Merchant,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<WebhookOut>>> {
    let page = state.app.endpoints(&page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(page, WebhookOut::from)))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/merchant/webhooks/{id}", tag = "merchant", security(("merchant_token" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WebhookOut>> {
    Ok(axum::Json(state.app.endpoint(&id).await?.into()))
}

/// Give an endpoint a new secret (shown this once); the previous one keeps signing, beside
/// it, for 24 hours, so the receiver can switch without losing a message.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/rotate-secret", tag = "merchant",
    security(("merchant_token" = [])), params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookSecret), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WebhookSecret>> {
    let (e, secret) = state.webhooks.rotate(&state.app, &id).await.map_err(hook_error)?;
    Ok(axum::Json(WebhookSecret { endpoint: e.into(), secret }))
}

/// Disable an endpoint: nothing more is sent to it (its log is kept).
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/disable", tag = "merchant",
    security(("merchant_token" = [])), params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<WebhookOut>> {
    Ok(axum::Json(state.app.disable_endpoint(&id).await?.into()))
}

/// An endpoint's delivery log, newest first: every attempt, its answer and how long it took.
#[utoipa::path(get, path = "/api/v1/merchant/webhooks/{id}/attempts", tag = "merchant",
    security(("merchant_token" = [])), params(("id" = String, Path, description = "The endpoint's id"), PageQuery),
    responses((status = 200, body = Paged<AttemptOut>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attempts(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<AttemptOut>>> {
    let page = state.app.hook_attempts(&id, &page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(page, AttemptOut::from)))
}

/// Send one message to the endpoint again, under the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/messages/{message_id}/redeliver", tag = "merchant",
    security(("merchant_token" = [])),
    params(("id" = String, Path, description = "The endpoint's id"), ("message_id" = String, Path, description = "The message's webhook-id")),
    responses((status = 202, body = Queued), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    State(state): State<AppState>,
    _m: Merchant,
    Path((id, message)): Path<(String, String)>,
) -> ApiResult<(StatusCode, axum::Json<Queued>)> {
    state.app.redeliver(&id, &message).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Queued { queued: 1, more_from: None })))
}

/// Send the endpoint again every message it takes about what happened from `since` until
/// before `until` (up to 1,000 a call; `more_from` says where to go on).
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/replay", tag = "merchant",
    security(("merchant_token" = [])), params(("id" = String, Path, description = "The endpoint's id")),
    request_body = ReplayIn,
    responses((status = 202, body = Queued), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    Json(r): Json<ReplayIn>,
) -> ApiResult<(StatusCode, axum::Json<Queued>)> {
    if r.until <= r.since {
        return Err(ApiError::field("until", ErrorCode::RangeInvalid));
    }
    let done = state.app.replay(&id, r.since, r.until).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Queued { queued: done.queued, more_from: done.more_from })))
}
