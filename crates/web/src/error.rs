//! One place maps every failure to an HTTP status, a stable `code`, a translated `message`
//! and per-field errors. Handlers return [`ApiError`] untranslated; [`translate`] renders it
//! in the language the request asked for.

use crate::i18n::Lang;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use redress_domain::Text;
use redress_domain::application::ApplicationError;
use redress_domain::money::AmountError;
use redress_store::StoreError;
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
    pub fn new(field: impl Into<String>, code: &'static str) -> FieldError {
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
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        ApiError { status, code, args: vec![], fields: vec![], explanation: None, detail: None }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.args.push((name, value.into()));
        self
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found")
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }

    /// 422 with per-field errors.
    pub fn invalid(fields: Vec<FieldError>) -> ApiError {
        ApiError { fields, ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input") }
    }

    pub fn field(field: &'static str, code: &'static str) -> ApiError {
        ApiError { fields: vec![FieldError::new(field, code)], ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code) }
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

/// Middleware: turns an [`ApiError`] left in a response into its JSON body, translated.
pub async fn translate(req: Request, next: Next) -> Response {
    let lang = Lang::of(req.headers());
    let wants_html = crate::pages::wants_html(&req);
    let mut res = next.run(req).await;
    if let Some(err) = res.extensions_mut().remove::<Arc<ApiError>>() {
        if wants_html {
            return crate::pages::error_page(&err, lang);
        }
        let mut out = (err.status, axum::Json(err.render(lang))).into_response();
        out.headers_mut().insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(lang.tag()));
        return out;
    }
    res
}

impl From<AmountError> for ApiError {
    fn from(e: AmountError) -> ApiError {
        ApiError::field("amount", e.code())
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
            ApplicationError::NotAReviewer | ApplicationError::NeedsSeniorReviewer | ApplicationError::SameReviewer => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let mut err = ApiError::new(status, e.code());
        match &e {
            ApplicationError::IllegalTransition { from, .. } => err = err.arg("state", from.as_str()),
            ApplicationError::DraftExists(no) => err = err.arg("no", no.as_str()),
            ApplicationError::NotEligible(text) => err.explanation = Some(text.clone()),
            _ => {}
        }
        if let Some(field) = e.field() {
            err.fields.push(FieldError::new(field, e.code()));
        }
        err
    }
}

impl From<redress_app::Error> for ApiError {
    fn from(e: redress_app::Error) -> ApiError {
        match e {
            redress_app::Error::Refused(e) => e.into(),
            redress_app::Error::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict"),
            StoreError::Immutable(what) => ApiError::new(StatusCode::CONFLICT, "immutable").arg("what", what),
            StoreError::Exists(what) => ApiError::new(StatusCode::CONFLICT, "exists").arg("what", what),
            StoreError::UnknownPolicy(v) => {
                ApiError::field("policy_version", "unknown-policy").arg("version", v.to_string())
            }
            StoreError::NotPaid => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not-paid"),
            StoreError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy"),
            StoreError::Application(e) => e.into(),
            StoreError::Amount(e) => e.into(),
            StoreError::Evidence(e) => e.into(),
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use redress_domain::application::ApplicationError as E;

    /// Every code the API can return has a sentence in both languages.
    #[test]
    fn every_error_code_is_translated() {
        let sources = [
            include_str!("error.rs"),
            include_str!("extract.rs"),
            include_str!("api/applications.rs"),
            include_str!("api/review.rs"),
            include_str!("api/merchant.rs"),
            include_str!("api/orders.rs"),
            include_str!("api/session.rs"),
            include_str!("api/health.rs"),
            include_str!("api/evidence.rs"),
            include_str!("lib.rs"),
            include_str!("pages/mod.rs"),
            include_str!("pages/auth.rs"),
            include_str!("pages/buyer.rs"),
            include_str!("pages/staff.rs"),
        ];
        let mut codes: Vec<String> = vec![];
        for src in sources.map(|s| s.split("#[cfg(test)]").next().unwrap_or(s)) {
            for marker in ["ApiError::new(StatusCode::", "FieldError::new(", "ApiError::field("] {
                for piece in src.split(marker).skip(1) {
                    let head = &piece[..piece.find(')').unwrap_or(piece.len())];
                    // The code is the last argument when it is a literal; dynamic codes come from
                    // the domain and are listed below.
                    let literal = head.trim_end().trim_end_matches(',').trim_end().ends_with('"');
                    if let Some(code) = head.rsplit('"').nth(1).filter(|c| literal && !c.is_empty() && !c.contains(' '))
                    {
                        codes.push(code.to_owned());
                    }
                }
            }
        }
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
        for e in redress_domain::evidence::EvidenceError::ALL_FOR_TESTS {
            codes.push(e.code().to_owned());
        }
        for k in redress_domain::evidence::EvidenceKind::ALL {
            assert!(
                Lang::Zh.has(&format!("evidence-kind-{}", k.as_str()))
                    && Lang::En.has(&format!("evidence-kind-{}", k.as_str()))
            );
        }
        assert!(codes.len() > 40, "the scan found too few codes: {codes:?}");
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
            "application_no",
        ] {
            assert!(Lang::Zh.has(&format!("what-{what}")) && Lang::En.has(&format!("what-{what}")), "what-{what}");
        }
    }
}
