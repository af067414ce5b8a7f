//! Bearer sessions for the JSON API: `POST /api/v1/session` with a username and password.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::UserDto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AuthUser, ClientAddr, Json};
use axum::extract::State;
use axum::http::{StatusCode, header};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub user: UserDto,
}

/// Sign in.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 201, body = SessionDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> ApiResult<(StatusCode, axum::Json<SessionDto>)> {
    let name = req.username.trim().to_lowercase();
    state.throttle.check(&name, addr).map_err(crate::throttle::throttled)?;
    match state.app.login(&name, &req.password).await? {
        Some((token, user, expires_at)) => {
            Ok((StatusCode::CREATED, axum::Json(SessionDto { token, expires_at, user: (&user).into() })))
        }
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::LoginFailed)),
    }
}

/// Sign out (ends the session of the bearer token).
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security(("buyer_session" = []), ("staff_session" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    _user: AuthUser,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(token) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        state.app.logout(token.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("buyer_session" = []), ("staff_session" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub async fn me(AuthUser(user): AuthUser) -> axum::Json<UserDto> {
    axum::Json((&user).into())
}
