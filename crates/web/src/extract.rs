//! Request extractors: JSON bodies and URL-encoded forms whose rejections become translated
//! errors, and the identities behind bearer tokens (buyer and staff sessions, merchant API
//! tokens).

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, FieldError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use redress_app::User;
use redress_domain::application::Role;
use redress_domain::ids::{ApplicationRef, OrderNo};
use serde::de::DeserializeOwned;

/// `axum::Json`, but a malformed body is a structured, translated 400/422 naming the field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::JsonInvalid);
                if let Some(f) = field_of(&text) {
                    err.fields.push(f);
                }
                Err(err.detail(text))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::JsonContentType))
            }
            Err(JsonRejection::BytesRejection(_)) => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge))
            }
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::JsonMalformed).detail(e.body_text())),
        }
    }
}

/// `axum::Form`, but a body that is not a form is a translated error (a page, for the pages).
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        use axum::extract::rejection::FormRejection;
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(FormRejection::InvalidFormContentType(_)) => {
                Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::FormContentType))
            }
            Err(FormRejection::BytesRejection(_)) => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge))
            }
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::FormMalformed).detail(e.body_text())),
        }
    }
}

/// `axum::extract::Query`, but a query string that does not parse into `T` (an unknown
/// value, a number that is not one) is a structured, translated 422 naming the field where
/// the parser says which.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => {
                let text = e.body_text();
                let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::QueryInvalid);
                if let Some(f) = field_of(&text) {
                    err.fields.push(f);
                }
                Err(err.detail(text))
            }
        }
    }
}

/// The field a serde error is about: axum reports `path: message` (via serde_path_to_error),
/// and serde names missing and unknown fields in back-quotes.
pub(crate) fn field_of(text: &str) -> Option<FieldError> {
    let rest = text.split_once("target type: ").map_or(text, |(_, r)| r);
    let quoted = |marker: &str| rest.split_once(marker).and_then(|(_, r)| r.split('`').next()).map(str::to_owned);
    if let Some(name) = quoted("missing field `") {
        return Some(FieldError::new(name, ErrorCode::FieldMissing));
    }
    if let Some(name) = quoted("unknown field `") {
        return Some(FieldError::new(name, ErrorCode::FieldUnknown));
    }
    let (path, _) = rest.split_once(": ")?;
    let plausible = !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    plausible.then(|| FieldError::new(path, ErrorCode::FieldInvalid))
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Any signed-in person.
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        match state.app.session_user(token).await? {
            Some(user) => Ok(AuthUser(user)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// A signed-in buyer.
pub struct Buyer(pub User);

impl FromRequestParts<AppState> for Buyer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if user.role == Role::Buyer { Ok(Buyer(user)) } else { Err(ApiError::forbidden()) }
    }
}

/// A signed-in member of staff.
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if user.role.is_staff() { Ok(Staff(user)) } else { Err(ApiError::forbidden()) }
    }
}

/// A signed-in administrator.
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if user.role == Role::Admin { Ok(Admin(user)) } else { Err(ApiError::forbidden()) }
    }
}

/// A merchant system authenticated by an API token; holds the token's name.
pub struct Merchant(pub String);

impl FromRequestParts<AppState> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        match state.app.merchant(token).await? {
            Some(name) => Ok(Merchant(name)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// Parses an application number from the path; a malformed one is simply not found.
/// A path parameter parsed into its type (`Path<ApplicationRef>`, `Path<(ApplicationRef,
/// String)>`…). One that does not parse names nothing here: 404, as for a number that does not
/// exist, so numbers cannot be probed by their shape.
pub struct Path<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(ApiError::not_found()),
        }
    }
}

pub fn application_ref(s: &str) -> Result<ApplicationRef, ApiError> {
    ApplicationRef::parse(s).map_err(|_| ApiError::not_found())
}

pub fn order_no(s: &str) -> Result<OrderNo, ApiError> {
    OrderNo::parse(s).map_err(|_| ApiError::not_found())
}

/// The address of the client, when the server was started with connection info.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(info.map(|i| i.0.ip())))
    }
}
