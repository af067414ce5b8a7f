//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::StatusCode;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = String), (status = 503, body = crate::error::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<&'static str> {
    match state.app.ready().await {
        Ok(()) => Ok("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::NotReady))
        }
    }
}
