//! `POST /test/clock`: moves the clock of a server started as a test fixture (a manual clock,
//! see the `test_clock` setting), so a browser suite can reach deadlines and retries without
//! waiting. Mounted only when the clock is manual; a normal server has no such route. Moving
//! the clock wakes the money lane's jobs and the housekeeping lane (tickets that close), as
//! time passing would at their next look.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// Move the clock forward by this many seconds.
    pub advance_secs: Option<i64>,
    /// Or set it to this time (RFC 3339).
    pub set: Option<jiff::Timestamp>,
}

pub async fn clock(
    State(state): State<AppState>,
    Json(req): Json<ClockRequest>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let clock = state.app.clock();
    match (req.advance_secs, req.set) {
        (Some(secs), None) if secs >= 0 => clock.advance(jiff::SignedDuration::from_secs(secs)),
        (None, Some(at)) => clock.set(at),
        _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput)),
    }
    state.app.payouts_due().notify_one();
    state.app.clock_moved().notify_one();
    Ok(axum::Json(serde_json::json!({ "now": state.app.now() })))
}
