//! A buyer's refund applications (docs/product.md §3, steps 2–4): drafts, submit, track, withdraw, answer an
//! information request, appeal. Staff may read any application here too; everyone else gets
//! 404 for a number that is not theirs.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{AmountInput, ApplicationDto, EntitlementDto, OrderDto, Paged, TimelineDto};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::extract::{AuthUser, Buyer, Json, Path, order_no};
use crate::files::{FormField, MAX_MESSAGE_FILES, Posted, text_field};
use crate::forms::{PageQuery, page_request, parse_form};
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::StatusCode;
use redress_app::StoreError;
use redress_domain::application::DraftInput;
use redress_domain::evidence::{EvidenceError, EvidenceKind};
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
    let cal = state.app.store.calendar().await?;
    let apps = state.app.applications_of(&user, &page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(apps, |a| ApplicationDto::new(&a, lang, now, &cal).for_buyer())))
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
    let cal = state.app.store.calendar().await?;
    Ok((StatusCode::CREATED, axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer())))
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDetailDto {
        application: {
            let a = ApplicationDto::new(&d.view.application, lang, now, &cal);
            if user.role.is_staff() { a } else { a.for_buyer() }
        },
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer()))
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer()))
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer()))
}

/// An answer to an information request: its text, and (in a multipart form) what its files
/// show.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    pub message: String,
    /// What the files show (an evidence kind; `other` if not said).
    #[schema(schema_with = crate::forms::schemas::evidence_kind)]
    pub kind: Option<String>,
}

/// The answer as a multipart form: its fields and up to three files, which become the
/// application's evidence (the same checks and limits as any upload).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SupplementUpload {
    message: String,
    #[schema(schema_with = crate::forms::schemas::evidence_kind)]
    kind: Option<String>,
    #[schema(value_type = Option<Vec<String>>, format = Binary, max_items = 3)]
    file: Option<Vec<Vec<u8>>>,
}

pub(crate) const SUPPLEMENT_FIELDS: [FormField; 2] = [text_field("message", 8000), text_field("kind", 64)];

/// Answers an information request with files: checked whole before the first is attached,
/// attached as evidence, then the answer.
pub(crate) async fn supplement_with(
    state: &AppState,
    user: &redress_app::User,
    no: &ApplicationRef,
    req: &SupplementRequest,
    uploads: Vec<crate::files::Upload>,
) -> ApiResult<redress_domain::application::Application> {
    let kind = match req.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => EvidenceKind::Other,
        Some(k) => EvidenceKind::parse(k).ok_or_else(|| ApiError::field("kind", ErrorCode::EvidenceKindUnknown))?,
    };
    if !uploads.is_empty() {
        let limits = state.evidence_limits;
        let a = state.app.may_supplement(no, user, &req.message).await?;
        let held = state.app.evidence_of(no, user).await?.iter().filter(|e| !e.system).count();
        if held + uploads.len() > limits.max_files as usize {
            return Err(StoreError::from(EvidenceError::TooManyFiles { max: limits.max_files }).into());
        }
        let checked = uploads.into_iter().map(|u| u.check(&limits)).collect::<Result<Vec<_>, _>>()?;
        for file in checked {
            crate::files::attach_evidence(state, user, &a.id, file, (kind, String::new())).await?;
        }
    }
    Ok(state.app.supplement(no, user, &req.message).await?)
}

/// Answer an information request; the application goes back to its reviewer (or the queue)
/// and the review clock resumes. JSON, or a multipart form with up to three files, which
/// become the application's evidence.
#[utoipa::path(post, path = "/api/v1/applications/{no}/supplement", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)),
    request_body(content((SupplementRequest = "application/json"), (SupplementUpload = "multipart/form-data"))),
    responses((status = 200, body = ApplicationDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supplement(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    posted: Posted<SupplementRequest>,
) -> ApiResult<AppJson> {
    state.app.application_for(&no, &user).await?;
    let (req, files) = posted.read(&state, &SUPPLEMENT_FIELDS, MAX_MESSAGE_FILES).await?;
    let a = supplement_with(&state, &user, &no, &req, files).await?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer()))
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
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(ApplicationDto::new(&a, lang, now, &cal).for_buyer()))
}
