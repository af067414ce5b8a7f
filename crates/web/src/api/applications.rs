//! A buyer's refund applications (docs/product.md §3, steps 2–4): drafts, submit, track, withdraw, answer an
//! information request, appeal. Staff may read any application here too; everyone else gets
//! 404 for a number that is not theirs.

use crate::AppState;
use crate::dto::{AmountInput, ApplicationDto, EntitlementDto, OrderDto, Paged, TimelineDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Query;
use crate::extract::{AuthUser, Buyer, Json, Path, order_no};
use crate::forms::{PageQuery, page_request, parse_form};
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::StatusCode;
use redress_domain::application::DraftInput;
use redress_domain::ids::ApplicationRef;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type AppJson = axum::Json<ApplicationDto>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    pub order_no: String,
    /// not_delivered_on_time, quantity_short, service_interrupted, account_risk, no_reason,
    /// duplicate_charge, other ("other" needs a description)
    #[schema(schema_with = crate::forms::schemas::reason)]
    pub reason: String,
    /// Yuan, at most two decimals; defaults to the full refundable balance.
    pub amount: Option<AmountInput>,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPatch {
    #[schema(schema_with = crate::forms::schemas::reason)]
    pub reason: Option<String>,
    pub amount: Option<AmountInput>,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    pub message: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    pub text: String,
}

/// A page of my applications, newest first, drafts included.
#[utoipa::path(get, path = "/api/v1/applications", tag = "buyer", security(("buyer_session" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<ApplicationDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<ApplicationDto>>> {
    let now = state.app.now();
    let apps = state.app.applications_of(&user, &page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(apps, |a| ApplicationDto::new(&a, lang, now))))
}

/// Start a draft (saved on the server; survives a closed browser).
#[utoipa::path(post, path = "/api/v1/applications", tag = "buyer", security(("buyer_session" = [])),
    request_body = DraftRequest,
    responses((status = 201, body = ApplicationDto), (status = 404, body = ErrorBody),
        (status = 409, description = "The buyer has a draft on this order already (`draft-exists`)", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_draft(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Json(req): Json<DraftRequest>,
) -> ApiResult<(StatusCode, AppJson)> {
    let order = order_no(&req.order_no)?;
    let (reason, amount) = parse_form(&req.reason, req.amount.as_ref())?;
    let amount = match amount {
        Some(a) => a,
        None => state.app.entitlement(&order, &user, None).await?.max_refundable,
    };
    let input = DraftInput { reason, description: req.description, amount };
    let a = state.app.create_draft(&order, &user, input).await?;
    let now = state.app.now();
    Ok((StatusCode::CREATED, axum::Json(ApplicationDto::new(&a, lang, now))))
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationDetailDto {
    pub application: ApplicationDto,
    pub order: OrderDto,
    pub timeline: Vec<TimelineDto>,
    /// The entitlement on the order as it stands now (excluding this application's own hold).
    pub entitlement: EntitlementDto,
    /// The money going back: one payout per approval (and per retry after a channel gave up).
    pub payouts: Vec<crate::dto::PayoutDto>,
}

/// An application with its order, entitlement and timeline.
#[utoipa::path(get, path = "/api/v1/applications/{no}", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path, description = "RF-YYYYMMDD-XXXXXX")),
    responses((status = 200, body = ApplicationDetailDto), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<axum::Json<ApplicationDetailDto>> {
    let d = state.app.detail(&no, &user).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDetailDto {
        application: ApplicationDto::new(&d.view.application, lang, now),
        order: OrderDto::new(&d.view.order, d.delivered(), &d.order_now, lang),
        timeline: d.view.timeline.iter().map(|t| TimelineDto::new(t, lang)).collect(),
        entitlement: EntitlementDto::new(&d.entitlement, lang),
        payouts: crate::dto::PayoutDto::list(&state, &d.payouts, lang).await?,
    }))
}

/// Change a draft.
#[utoipa::path(patch, path = "/api/v1/applications/{no}", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)), request_body = DraftPatch,
    responses((status = 200, body = ApplicationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_draft(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<DraftPatch>,
) -> ApiResult<AppJson> {
    let current = state.app.application_for(&no, &user).await?;
    let reason_text = req.reason.unwrap_or_else(|| current.reason.as_str().to_owned());
    let (reason, amount) = parse_form(&reason_text, req.amount.as_ref())?;
    let input = DraftInput {
        reason,
        description: req.description.unwrap_or(current.description),
        amount: amount.unwrap_or(current.requested),
    };
    let a = state.app.update_draft(&no, &user, input).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

/// Delete a draft (only drafts; submitted applications are withdrawn, never deleted).
#[utoipa::path(delete, path = "/api/v1/applications/{no}", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_draft(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<StatusCode> {
    let files = state.app.delete_draft(&no, &user).await?;
    state.app.forget_files(files).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Submit a draft. The answer carries the final application number (keep it).
#[utoipa::path(post, path = "/api/v1/applications/{no}/submit", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<AppJson> {
    let a = state.app.submit(&no, &user).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

/// Withdraw an application that has not been decided.
#[utoipa::path(post, path = "/api/v1/applications/{no}/withdraw", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = ApplicationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<AppJson> {
    let a = state.app.withdraw(&no, &user).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

/// Answer an information request; the application goes back to the queue and the review
/// clock resumes.
#[utoipa::path(post, path = "/api/v1/applications/{no}/supplement", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)), request_body = MessageRequest,
    responses((status = 200, body = ApplicationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supplement(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<MessageRequest>,
) -> ApiResult<AppJson> {
    let a = state.app.supplement(&no, &user, &req.message).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}

/// Appeal a rejection (within the policy's window and limit); a level-2 reviewer decides.
#[utoipa::path(post, path = "/api/v1/applications/{no}/appeal", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)), request_body = AppealRequest,
    responses((status = 200, body = ApplicationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn appeal(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    Json(req): Json<AppealRequest>,
) -> ApiResult<AppJson> {
    let a = state.app.appeal(&no, &user, &req.text).await?;
    let now = state.app.now();
    Ok(axum::Json(ApplicationDto::new(&a, lang, now)))
}
