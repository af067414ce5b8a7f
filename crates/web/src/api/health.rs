//! Liveness and readiness for load balancers and orchestrators; with `?verbose=1`, for
//! operators, what each background job did last and what it has waiting.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientAddr, Query, Staff};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use utoipa::{IntoParams, ToSchema};

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadyQuery {
    /// `1`: the readiness report with every background job (staff, or a request from this
    /// machine not relayed by a proxy); `0` or absent: the plain answer.
    #[serde(default)]
    #[param(value_type = Option<String>, pattern = "^[01]$")]
    verbose: Option<String>,
}

/// The process can serve: the database answers. With `?verbose=1` the answer is a report
/// of the database and of every background job.
#[utoipa::path(get, path = "/readyz", tag = "ops", params(ReadyQuery), security((), ("staff_session" = [])),
    responses((status = 200, description = "`ready` (text/plain), or with `verbose=1` the report (JSON)",
                content((String = "text/plain"), (ReadyReport = "application/json"))),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn readyz(
    State(state): State<AppState>,
    Query(q): Query<ReadyQuery>,
    ClientAddr(addr): ClientAddr,
    mut parts: Parts,
) -> ApiResult<Response> {
    let verbose = match q.verbose.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(ApiError::field("verbose", ErrorCode::FieldInvalid)),
    };
    let ready = state.app.ready().await;
    if let Err(e) = &ready {
        tracing::warn!(error = %e, "database not ready");
    }
    if !verbose {
        return match ready {
            Ok(()) => Ok("ready".into_response()),
            Err(_) => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::NotReady)),
        };
    }
    if !is_local(addr, &parts.headers) {
        Staff::from_request_parts(&mut parts, &state).await?;
    }
    let report = ReadyReport { ready: ready.is_ok(), at: state.app.now(), jobs: state.jobs.report().await };
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((status, axum::Json(report)).into_response())
}

/// A request from this machine that no proxy relayed (a proxy on the same machine would
/// make every visitor look local, so a forwarding header makes it remote).
fn is_local(addr: Option<std::net::IpAddr>, headers: &HeaderMap) -> bool {
    let relayed = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| headers.contains_key(*h));
    addr.is_some_and(|a| a.is_loopback()) && !relayed
}

/// The readiness report.
#[derive(Serialize, ToSchema)]
pub struct ReadyReport {
    /// Whether the database answers.
    pub ready: bool,
    /// The server's time.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub jobs: Vec<JobReport>,
}

/// One background job: its last pass on this instance, and what waits for it in the database
/// (shared by every instance).
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct JobReport {
    pub name: String,
    /// How often it looks without being woken, in seconds.
    pub every_secs: u64,
    /// How many passes this instance ran, and how many failed.
    pub passes: u64,
    pub failures: u64,
    /// When the last pass started (the server's clock), how long it took, what it handled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_run_at: Option<Timestamp>,
    pub last_took_ms: Option<u64>,
    pub last_handled: Option<u64>,
    /// Why the last pass failed, if it did.
    pub last_error: Option<String>,
    /// How many items wait (counted up to `backlog_cap`), or `null` if it could not be read.
    pub backlog: Option<u64>,
    /// Whether more than `backlog_cap` wait.
    pub backlog_capped: bool,
    pub backlog_cap: u64,
    /// When the oldest waiting item began to wait, and how long ago that is.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub oldest_pending_at: Option<Timestamp>,
    pub oldest_pending_secs: Option<i64>,
    /// Why the backlog could not be read, if it could not.
    pub backlog_error: Option<String>,
}

/// What the background jobs report: the composition root's scheduler gives it to the state.
pub trait JobsReport: Send + Sync {
    fn report(&self) -> Pin<Box<dyn Future<Output = Vec<JobReport>> + Send + '_>>;
}

/// No background jobs (a server built without its scheduler, as in some tests).
pub struct NoJobs;

impl JobsReport for NoJobs {
    fn report(&self) -> Pin<Box<dyn Future<Output = Vec<JobReport>> + Send + '_>> {
        Box::pin(async { Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_a_proxy_is_local() {
        let none = HeaderMap::new();
        let mut relayed = HeaderMap::new();
        relayed.insert("x-forwarded-for", "203.0.113.9".parse().expect("value"));
        let lo: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
        let lo6: std::net::IpAddr = "::1".parse().expect("ip");
        let far: std::net::IpAddr = "192.0.2.7".parse().expect("ip");
        assert!(is_local(Some(lo), &none));
        assert!(is_local(Some(lo6), &none));
        assert!(!is_local(Some(lo), &relayed));
        assert!(!is_local(Some(far), &none));
        assert!(!is_local(None, &none));
    }
}
