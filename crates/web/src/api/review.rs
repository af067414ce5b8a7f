//! The review desk: the queue ordered by review due time, claim, request information,
//! approve (full or partial) or reject. Appeals go through the same actions; the domain
//! only lets a level-2 reviewer who made no earlier decision on it claim one.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{AmountInput, ApplicationDto, Paged};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::extract::{Json, Path, Staff};
use crate::forms::{PageQuery, QueueQuery, SearchQuery, both, page_request, queue_filter};
use crate::i18n::Lang;
use axum::extract::State;
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

/// A page of the applications waiting for staff, the one due soonest first (paused ones, waiting
/// for the buyer, last); overdue ones are marked. With `min_amount` or `max_amount` the page is
/// ordered by the amount asked for, smallest first. A state that waits for no one on staff
/// lists nothing.
#[utoipa::path(get, path = "/api/v1/review/queue", tag = "staff", security(("staff_session" = [])),
    params(QueueQuery, PageQuery),
    responses((status = 200, body = Paged<QueueItemDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Staff(_): Staff,
    lang: Lang,
    Query(q): Query<QueueQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<QueueItemDto>>> {
    let (filter, page) = both(queue_filter(&q), page_request(&pq))?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let items = state.app.review_queue(&filter, &page).await?;
    Ok(axum::Json(Paged::new(items, |i| QueueItemDto {
        application: ApplicationDto::new(&i.application, lang, now, &cal),
        channel: i.channel.as_str().to_owned(),
    })))
}

/// Search the applications (any state but draft) by exactly one of: number, order number or
/// buyer; newest first.
#[utoipa::path(get, path = "/api/v1/review/applications", tag = "staff", security(("staff_session" = [])),
    params(SearchQuery, PageQuery),
    responses((status = 200, body = Paged<ApplicationDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Staff(_): Staff,
    lang: Lang,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<ApplicationDto>>> {
    let (by, page) = both(q.parse(), page_request(&pq))?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let apps = state.app.search_applications(by.as_ref(), &page).await?;
    Ok(axum::Json(Paged::new(apps, |a| ApplicationDto::new(&a, lang, now, &cal))))
}

/// Take an application (or an appeal) for review.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/claim", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

/// Give an application in review back to the queue (its holder, or a supervisor).
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/release", tag = "staff", security(("staff_session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn release(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<AppJson> {
    let a = state.app.release(&no, &user).await?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignRequest {
    /// The reviewer who holds it next (for an appeal, a level-2 reviewer).
    pub reviewer: String,
}

/// A supervisor gives an application in review to another reviewer.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/reassign", tag = "staff", security(("staff_session" = [])),
    params(("no" = String, Path)), request_body = ReassignRequest,
    responses((status = 200, body = ApplicationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reassign(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<ReassignRequest>,
) -> ApiResult<AppJson> {
    let a = state.app.reassign(&no, &user, req.reviewer.trim()).await?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfoRequest {
    /// What the buyer should add.
    pub message: String,
}

/// Ask the buyer for more; the review clock pauses.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/request-info", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Yuan; omit to approve the full amount asked for.
    pub amount: Option<AmountInput>,
}

/// Approve in full or in part.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/approve", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// insufficient_evidence, out_of_window, service_completed, violation_exclusion,
    /// duplicate_application, other
    #[schema(schema_with = crate::forms::schemas::reject_code)]
    pub code: String,
    /// The sentence the buyer reads.
    pub text: String,
}

/// Reject with a reason code and a sentence.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/reject", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

/// Send a failed refund again: a new payout with a new key goes to the channel.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/retry-refund", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}

#[derive(Deserialize, ToSchema)]
pub struct SettleRequest {
    /// How the refund was paid outside the channel (kept in the audit trail).
    pub note: String,
}

/// Record a failed refund as paid another way, with a note.
#[utoipa::path(post, path = "/api/v1/review/applications/{no}/settle-outside", tag = "staff", security(("staff_session" = [])),
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal)))
}
