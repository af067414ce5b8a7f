//! A signed-in person's notifications (buyers and staff alike): newest first, the unread
//! count, mark one or all read. Each person sees only their own; another's id is not found.

use crate::AppState;
use crate::dto::{NotificationDto, Paged, UnreadDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AuthUser, Path, Query};
use crate::forms::{PageQuery, page_request};
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::StatusCode;

/// A page of my notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])), params(PageQuery),
    responses((status = 200, body = Paged<NotificationDto>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<NotificationDto>>> {
    let page = state.app.notifications(&user, &page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(page, |n| NotificationDto::new(&n, lang))))
}

/// How many of my notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])),
    responses((status = 200, body = UnreadDto), (status = 401, body = ErrorBody)))]
pub async fn unread(State(state): State<AppState>, AuthUser(user): AuthUser) -> ApiResult<axum::Json<UnreadDto>> {
    Ok(axum::Json(UnreadDto { unread: state.app.unread_notifications(&user).await? }))
}

/// Mark one of my notifications read (again: no change).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])),
    params(("id" = String, Path, description = "The notification's id (`NT-…`)")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    drop(state.app.mark_notification_read(&user, &id).await?);
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])),
    responses((status = 200, body = UnreadDto, description = "Nothing unread is left"), (status = 401, body = ErrorBody)))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<axum::Json<UnreadDto>> {
    state.app.mark_all_notifications_read(&user).await?;
    Ok(axum::Json(UnreadDto { unread: 0 }))
}

/// Which e-mails I receive, and where they go.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MailPreferences {
    /// Also e-mail what may be switched off (receipts, review started, what a buyer did).
    /// Decisions, information requests and refunds are always e-mailed.
    pub optional_emails: bool,
    /// Where e-mail goes (set by the merchant's system or an administrator); `null`: none.
    pub email: Option<String>,
}

/// Which e-mails I want.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailChoice {
    /// Also e-mail what may be switched off (receipts, review started, what a buyer did).
    pub optional_emails: bool,
}

/// Which e-mails I receive.
#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])),
    responses((status = 200, body = MailPreferences), (status = 401, body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<axum::Json<MailPreferences>> {
    let (optional_emails, email) = state.app.mail_preferences(&user).await?;
    Ok(axum::Json(MailPreferences { optional_emails, email }))
}

/// Choose which e-mails I receive.
#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "notifications",
    security(("buyer_session" = []), ("staff_session" = [])), request_body = MailChoice,
    responses((status = 200, body = MailPreferences), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    crate::extract::Json(req): crate::extract::Json<MailChoice>,
) -> ApiResult<axum::Json<MailPreferences>> {
    state.app.set_optional_emails(&user, req.optional_emails).await?;
    let (optional_emails, email) = state.app.mail_preferences(&user).await?;
    Ok(axum::Json(MailPreferences { optional_emails, email }))
}

/// An e-mail that could not be delivered.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FailedMailDto {
    /// Also its `Message-ID`'s local part.
    pub id: String,
    pub recipient: String,
    /// The application (or support ticket) it was about.
    pub application_no: String,
    /// The SMTP server's answer, or why it could not be sent.
    pub error: Option<String>,
    pub attempts: i64,
    #[schema(value_type = String, format = DateTime)]
    pub failed_at: jiff::Timestamp,
}

/// E-mails that could not be delivered, the latest failure first (administrators).
#[utoipa::path(get, path = "/api/v1/admin/mail/failed", tag = "notifications",
    security(("admin_session" = [])), params(PageQuery),
    responses((status = 200, body = Paged<FailedMailDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn failed_mail(
    State(state): State<AppState>,
    crate::extract::Admin(_admin): crate::extract::Admin,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<FailedMailDto>>> {
    let page = state.app.failed_mail(&page_request(&pq)?).await?;
    Ok(axum::Json(Paged::new(page, |m| FailedMailDto {
        id: m.id,
        recipient: m.recipient,
        application_no: m.subject,
        error: m.error,
        attempts: m.attempts,
        failed_at: m.updated_at,
    })))
}
