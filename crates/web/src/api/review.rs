//! The review desk: the queue ordered by review due time, claim, request information,
//! approve (full or partial) or reject. Appeals go through the same actions; the domain
//! only lets a level-2 reviewer who made no earlier decision on it claim one.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{AmountInput, ApplicationDto};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Staff};
use crate::forms::{QueueQuery, queue_filter};
use crate::i18n::Lang;
use axum::extract::{Query, State};
use redress_domain::application::RejectCode;
use redress_domain::ids::ApplicationRef;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type AppJson = axum::Json<ApplicationDto>;

#[derive(Serialize, ToSchema)]
pub struct QueueItemDto {
    pub application: ApplicationDto,
    pub channel: String,
}

/// Applications waiting for staff, the one due soonest first; overdue ones are marked.
#[utoipa::path(get, path = "/api/v1/review/queue", tag = "staff", security(("session" = [])),
    params(QueueQuery),
    responses((status = 200, body = Vec<QueueItemDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Staff(_): Staff,
    lang: Lang,
    Query(q): Query<QueueQuery>,
) -> ApiResult<axum::Json<Vec<QueueItemDto>>> {
    let filter = queue_filter(&q)?;
    let now = state.app.now();
    let items = state.app.review_queue(&filter).await?;
    Ok(axum::Json(
        items
            .iter()
            .map(|(a, c)| QueueItemDto {
                application: ApplicationDto::new(a, lang, now),
                channel: c.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// The queue's filters, checked: an unknown state, reason or channel, or a malformed amount,
/// is a field error.
/// Take an application (or an appeal) for review.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/claim", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<AppJson> {
    let a = state.app.claim(&no, &user).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoRequest {
    /// What the buyer should add.
    pub message: String,
}

/// Ask the buyer for more; the review clock pauses.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/request-info", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)), request_body = InfoRequest,
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_info(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<InfoRequest>,
) -> ApiResult<AppJson> {
    let a = state.app.request_info(&no, &user, &req.message).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Yuan; omit to approve the full amount asked for.
    pub amount: Option<AmountInput>,
}

/// Approve in full or in part.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/approve", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)), request_body = ApproveRequest,
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<ApproveRequest>,
) -> ApiResult<AppJson> {
    let amount = req.amount.as_ref().map(AmountInput::parse).transpose()?;
    let a = state.app.approve(&no, &user, amount).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// insufficient_evidence, out_of_window, service_completed, violation_exclusion,
    /// duplicate_application, other
    pub code: String,
    /// The sentence the buyer reads.
    pub text: String,
}

/// Reject with a reason code and a sentence.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/reject", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)), request_body = RejectRequest,
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<RejectRequest>,
) -> ApiResult<AppJson> {
    let code = RejectCode::parse(&req.code).ok_or_else(|| ApiError::field("code", ErrorCode::RejectCodeUnknown))?;
    let a = state.app.reject(&no, &user, code, &req.text).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

/// Send a failed refund again: a new payout with a new key goes to the channel.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/retry-refund", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry_refund(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<AppJson> {
    let a = state.app.retry_refund(&no, &user).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

#[derive(Deserialize, ToSchema)]
pub struct SettleRequest {
    /// How the refund was paid outside the channel (kept in the audit trail).
    pub note: String,
}

/// Record a failed refund as paid another way, with a note.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/settle-outside", tag = "staff", security(("session" = [])),
    params(("no" = String, Path)), request_body = SettleRequest,
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn settle_outside(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<SettleRequest>,
) -> ApiResult<AppJson> {
    let a = state.app.settle_outside(&no, &user, &req.note).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}
