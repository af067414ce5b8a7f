//! Evidence files on an application: upload (multipart, streamed into the evidence store with
//! the size limit enforced while it streams), list, and download as an attachment.
//!
//! The request body of an upload is bounded without a global limit: at most a few short text
//! fields (`kind`, `caption`) and one file, which the store refuses as soon as it passes the
//! limit. Checks that need no bytes (whose application, does it take files) come first.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::EvidenceDto;
use crate::error::ApiError;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthUser, Buyer, Path};
use crate::files::{file_response, receive};
use crate::i18n::Lang;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use redress_domain::ids::ApplicationRef;
use utoipa::ToSchema;

/// The longest text field of an upload form, in bytes.
/// The form of an upload, for the OpenAPI document.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// What the file shows.
    #[schema(schema_with = crate::forms::schemas::evidence_kind)]
    kind: String,
    caption: Option<String>,
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/applications/{no}/evidence", tag = "buyer", security(("buyer_session" = [])),
    params(("no" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, axum::Json<EvidenceDto>)> {
    // Not a multipart body at all (no boundary, another content type): said as every error is.
    let form = form.map_err(|e| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::MultipartMalformed).detail(e.body_text())
    })?;
    let e = receive(&state, &user, &no, form).await?;
    Ok((StatusCode::CREATED, axum::Json(EvidenceDto::new(&e, &no, lang))))
}

#[utoipa::path(get, path = "/api/v1/applications/{no}/evidence", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = Vec<EvidenceDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<ApplicationRef>,
) -> ApiResult<axum::Json<Vec<EvidenceDto>>> {
    let items = state.app.evidence_of(&no, &user).await?;
    Ok(axum::Json(items.iter().map(|e| EvidenceDto::new(e, &no, lang)).collect()))
}

/// The file, always as an attachment, with a policy that forbids running anything in it.
#[utoipa::path(get, path = "/api/v1/applications/{no}/evidence/{id}", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The file as uploaded, in its own media type (an image, a PDF, a video, JSON for Redress's snapshots…)", content_type = "*/*"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((no, id)): Path<(ApplicationRef, String)>,
) -> ApiResult<Response> {
    file_response(&state, &user, &no, &id).await
}
