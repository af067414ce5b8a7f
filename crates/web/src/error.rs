//! One place maps every failure to an HTTP status, a stable `code`, a translated `message`
//! and per-field errors. Handlers return [`ApiError`] untranslated; [`translate`] renders it
//! in the language the request asked for.

pub use crate::codes::ErrorCode;
use crate::i18n::Lang;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redress_app::StoreError;
use redress_blobs::BlobError;
use redress_domain::Text;
use redress_domain::application::ApplicationError;
use redress_domain::evidence::EvidenceError;
use redress_domain::money::AmountError;
use redress_domain::ticket::TicketError;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub fields: Vec<FieldError>,
    /// A sentence that comes already written in both languages (the entitlement engine's).
    pub explanation: Option<Text>,
    /// Technical detail for developers (a parser's message), not translated.
    pub detail: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> FieldError {
        FieldError { field: field.into(), code: code.as_str() }
    }

    /// A field error whose code the domain gives (its errors' `code()`).
    pub fn of(field: impl Into<String>, code: &'static str) -> FieldError {
        FieldError { field: field.into(), code }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `amount-above-balance`.
    pub code: String,
    /// What went wrong and what to do next, in the request's language.
    pub message: String,
    pub fields: Vec<FieldErrorBody>,
    /// Technical detail for developers (e.g. the JSON parser's message), in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode) -> ApiError {
        ApiError::of(status, code.as_str())
    }

    /// An error whose code the domain gives (its errors' `code()`).
    pub fn of(status: StatusCode, code: &'static str) -> ApiError {
        ApiError { status, code, args: vec![], fields: vec![], explanation: None, detail: None }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.args.push((name, value.into()));
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden)
    }

    /// 422 with per-field errors.
    pub fn invalid(fields: Vec<FieldError>) -> ApiError {
        ApiError { fields, ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput) }
    }

    pub fn field(field: &'static str, code: ErrorCode) -> ApiError {
        ApiError::field_of(field, code.as_str())
    }

    /// A field error whose code the domain gives.
    pub fn field_of(field: &'static str, code: &'static str) -> ApiError {
        ApiError { fields: vec![FieldError::of(field, code)], ..ApiError::of(StatusCode::UNPROCESSABLE_ENTITY, code) }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = Some(detail.into());
        self
    }

    pub fn render(&self, lang: Lang) -> ErrorBody {
        // Arguments naming a thing ("what") are themselves translated.
        let args: Vec<(&'static str, String)> = self
            .args
            .iter()
            .map(|(k, v)| if *k == "what" { (*k, lang.t(&format!("what-{v}"))) } else { (*k, v.clone()) })
            .collect();
        let message = match &self.explanation {
            Some(text) => text.get(lang.tag()).to_owned(),
            None => lang.t_args(&format!("error-{}", self.code), &args),
        };
        ErrorBody {
            code: self.code.to_owned(),
            message,
            fields: self
                .fields
                .iter()
                .map(|f| FieldErrorBody {
                    field: f.field.to_owned(),
                    code: f.code.to_owned(),
                    message: lang.t_args(&format!("error-{}", f.code), &args),
                })
                .collect(),
            detail: self.detail.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let mut res = status.into_response();
        res.extensions_mut().insert(Arc::new(self));
        res
    }
}

impl From<AmountError> for ApiError {
    fn from(e: AmountError) -> ApiError {
        ApiError::field_of("amount", e.code())
    }
}

impl From<ApplicationError> for ApiError {
    fn from(e: ApplicationError) -> ApiError {
        let status = match &e {
            ApplicationError::IllegalTransition { .. }
            | ApplicationError::ClaimedByOther
            | ApplicationError::DraftExists(_)
            | ApplicationError::PayoutOpen
            | ApplicationError::PayoutInFlight => StatusCode::CONFLICT,
            ApplicationError::NotAReviewer
            | ApplicationError::NotASupervisor
            | ApplicationError::NeedsSeniorReviewer
            | ApplicationError::SameReviewer => StatusCode::FORBIDDEN,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut err = ApiError::of(status, e.code());
        match &e {
            ApplicationError::IllegalTransition { from, .. } => err = err.arg("state", from.as_str()),
            ApplicationError::DraftExists(no) => err = err.arg("no", no.as_str()),
            ApplicationError::NotEligible(text) => err.explanation = Some(text.clone()),
            _ => {}
        }
        if let Some(field) = e.field() {
            err.fields.push(FieldError::of(field, e.code()));
        }
        err
    }
}

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> ApiError {
        let status = match e {
            TicketError::Subject
            | TicketError::Body
            | TicketError::MergeTarget
            | TicketError::Assignee
            | TicketError::Reason => StatusCode::UNPROCESSABLE_ENTITY,
            TicketError::StaffOnly | TicketError::BuyerOnly | TicketError::Forbidden => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        let mut err = ApiError::of(status, e.code());
        if let Some(field) = e.field() {
            err.fields.push(FieldError::of(field, e.code()));
        }
        err
    }
}

impl From<redress_app::Error> for ApiError {
    fn from(e: redress_app::Error) -> ApiError {
        match e {
            redress_app::Error::Refused(e) => e.into(),
            redress_app::Error::Ticket(e) => e.into(),
            redress_app::Error::Store(e) => e.into(),
            redress_app::Error::Blob(e) => blob_error(e, 0),
        }
    }
}

impl From<EvidenceError> for ApiError {
    fn from(e: EvidenceError) -> ApiError {
        let (status, field) = match e {
            EvidenceError::Closed => (StatusCode::CONFLICT, None),
            EvidenceError::TooManyFiles { .. } => (StatusCode::UNPROCESSABLE_ENTITY, None),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, Some("file")),
        };
        let mut err = ApiError::of(status, e.code());
        if let EvidenceError::TooManyFiles { max } = e {
            err = err.arg("count", max.to_string());
        }
        if let Some(f) = field {
            err.fields.push(FieldError::of(f, e.code()));
        }
        err
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict => ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict),
            StoreError::Immutable("buyer") => ApiError::new(StatusCode::CONFLICT, ErrorCode::OrderBuyerFixed),
            StoreError::NotABuyer => ApiError::new(StatusCode::CONFLICT, ErrorCode::BuyerIdStaff),
            StoreError::Immutable(what) => ApiError::new(StatusCode::CONFLICT, ErrorCode::Immutable).arg("what", what),
            StoreError::Exists(what) => ApiError::new(StatusCode::CONFLICT, ErrorCode::Exists).arg("what", what),
            StoreError::UnknownPolicy(v) => {
                ApiError::field("policy_version", ErrorCode::UnknownPolicy).arg("version", v.to_string())
            }
            StoreError::BadCursor => ApiError::field("after", ErrorCode::CursorInvalid),
            StoreError::NotPaid => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::NotPaid),
            StoreError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy),
            StoreError::Application(e) => e.into(),
            StoreError::Amount(e) => e.into(),
            StoreError::Evidence(e) => e.into(),
            // Said with when to try again (the `Retry-After` header, from `seconds`).
            StoreError::Limited(e) => ApiError::of(StatusCode::TOO_MANY_REQUESTS, e.code())
                .arg("seconds", e.retry_after.to_string())
                .arg("minutes", e.retry_after.div_ceil(60).to_string()),
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What the evidence store's failure means to the person asking; `max` is the size limit a
/// too-large upload passed.
pub(crate) fn blob_error(e: BlobError, max: u64) -> ApiError {
    match e {
        BlobError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::EvidenceTooLarge)
            .arg("size", format!("{:.1}", max as f64 / (1024.0 * 1024.0))),
        BlobError::Read(detail) => ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::UploadInterrupted).detail(detail),
        BlobError::NotFound(_) | BlobError::BadAddress(_) => ApiError::not_found(),
        other => {
            tracing::error!(error = %other, "evidence store");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redress_domain::application::ApplicationError as E;

    /// Every code the API can return has a sentence in both languages: the web layer's own
    /// (every `ErrorCode`) and the domain's (one error of each kind).
    #[test]
    fn every_error_code_is_translated() {
        let mut codes: Vec<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
        codes.extend(E::examples().iter().map(|e| e.code().to_owned()));
        for a in [
            AmountError::Malformed,
            AmountError::TooManyDecimals,
            AmountError::NotPositive,
            AmountError::TooLarge,
            AmountError::AboveBalance,
        ] {
            codes.push(a.code().to_owned());
        }
        codes.extend(redress_domain::ticket::TicketError::ALL.iter().map(|e| e.code().to_owned()));
        for e in redress_domain::evidence::EvidenceError::ALL_FOR_TESTS {
            codes.push(e.code().to_owned());
        }
        codes.extend(redress_domain::limits::LimitReached::ALL_FOR_TESTS.iter().map(|e| e.code().to_owned()));
        for k in redress_domain::evidence::EvidenceKind::ALL {
            assert!(
                Lang::Zh.has(&format!("evidence-kind-{}", k.as_str()))
                    && Lang::En.has(&format!("evidence-kind-{}", k.as_str()))
            );
        }
        for code in &codes {
            for lang in [Lang::Zh, Lang::En] {
                assert!(lang.has(&format!("error-{code}")), "error-{code} has no {} translation", lang.tag());
            }
        }
        for what in [
            "buyer",
            "policy_version",
            "payment",
            "service",
            "policy",
            "delivery_reading",
            "account_event",
            "user",
            "application_id",
        ] {
            assert!(Lang::Zh.has(&format!("what-{what}")) && Lang::En.has(&format!("what-{what}")), "what-{what}");
        }
    }
}
