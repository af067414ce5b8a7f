//! Saved replies (docs/product.md §6): staff list them and answer with them; supervisors and
//! admins keep them. Each is in zh-CN and English.

use crate::AppState;
use crate::dto::Paged;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{Json, Path, Query, Staff};
use crate::forms::{PageQuery, page_request};
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use redress_app::StoredReply;
use redress_domain::saved_reply::{SavedReply, is_id};
use redress_domain::ticket::{BODY_MAX, TicketError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReplyDto {
    /// `SR-` and ten characters.
    pub id: String,
    pub title: String,
    /// The reply in zh-CN.
    pub zh: String,
    /// The reply in English.
    pub en: String,
    pub updated_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Send it back with a change: a change made meanwhile is refused (409).
    pub version: i64,
}

impl SavedReplyDto {
    pub fn new(r: &StoredReply) -> SavedReplyDto {
        SavedReplyDto {
            id: r.id.clone(),
            title: r.reply.title.clone(),
            zh: r.reply.body.zh.clone(),
            en: r.reply.body.en.clone(),
            updated_by: r.updated_by.clone(),
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedReplyRequest {
    /// At most 120 characters.
    pub title: String,
    /// The reply in zh-CN: at most 5000 characters.
    pub zh: String,
    /// The reply in English: at most 5000 characters.
    pub en: String,
    /// With a change: the version it was read at.
    pub version: Option<i64>,
}

impl SavedReplyRequest {
    /// The reply, checked; a refusal names the field at fault (`title`, `zh` or `en`).
    fn reply(&self) -> Result<SavedReply, ApiError> {
        SavedReply::new(&self.title, &self.zh, &self.en).map_err(|e| {
            let fits = |s: &str| !s.trim().is_empty() && s.trim().chars().count() <= BODY_MAX;
            let field = match e {
                TicketError::Subject => "title",
                _ if !fits(&self.zh) => "zh",
                _ => "en",
            };
            let mut err = ApiError::from(e);
            err.fields = vec![FieldError::of(field, e.code())];
            err
        })
    }
}

/// The id in a path: anything that is not one names no saved reply.
fn reply_id(id: &str) -> Result<&str, ApiError> {
    if is_id(id) { Ok(id) } else { Err(ApiError::not_found()) }
}

/// The saved replies, by title (staff).
#[utoipa::path(get, path = "/api/v1/saved-replies", tag = "tickets", security(("staff_session" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<SavedReplyDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<SavedReplyDto>>> {
    let page = state.app.saved_replies(&user, &page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(page, |r| SavedReplyDto::new(&r))))
}

/// Keep a new saved reply (supervisors and admins).
#[utoipa::path(post, path = "/api/v1/saved-replies", tag = "tickets", security(("staff_session" = [])),
    request_body = SavedReplyRequest,
    responses((status = 201, body = SavedReplyDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    Json(req): Json<SavedReplyRequest>,
) -> ApiResult<(StatusCode, axum::Json<SavedReplyDto>)> {
    let reply = req.reply()?;
    let r = state.app.save_reply(&user, reply).await?;
    Ok((StatusCode::CREATED, axum::Json(SavedReplyDto::new(&r))))
}

/// One saved reply (staff).
#[utoipa::path(get, path = "/api/v1/saved-replies/{id}", tag = "tickets", security(("staff_session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SavedReplyDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<SavedReplyDto>> {
    let r = state.app.saved_reply(&user, reply_id(&id)?).await?;
    Ok(axum::Json(SavedReplyDto::new(&r)))
}

/// Change a saved reply, at the version it was read at (supervisors and admins).
#[utoipa::path(put, path = "/api/v1/saved-replies/{id}", tag = "tickets", security(("staff_session" = [])),
    params(("id" = String, Path)), request_body = SavedReplyRequest,
    responses((status = 200, body = SavedReplyDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
    Json(req): Json<SavedReplyRequest>,
) -> ApiResult<axum::Json<SavedReplyDto>> {
    let id = reply_id(&id)?;
    let reply = req.reply()?;
    let version = match req.version {
        Some(v) => v,
        None => state.app.saved_reply(&user, id).await?.version,
    };
    let r = state.app.change_reply(&user, id, version, reply).await?;
    Ok(axum::Json(SavedReplyDto::new(&r)))
}

/// Delete a saved reply (supervisors and admins). Messages sent with it keep their words.
#[utoipa::path(delete, path = "/api/v1/saved-replies/{id}", tag = "tickets", security(("staff_session" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_reply(&user, reply_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
