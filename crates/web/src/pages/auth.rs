//! Signing in and out with a cookie, login throttling, and the language switcher.

use super::{Form, Page, SESSION_COOKIE, render, safe_back, session_token};
use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::throttle::throttled;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use std::time::Duration;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    p: Page,
    username: String,
    next: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = Lang::of(&headers);
    let mut p = Page::new(lang, None, "/login");
    p.operator = state.operator.clone();
    let page = LoginPage { p, username: String::new(), next: safe_back(q.next.as_deref()) };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(&headers);
    let username = form.username.trim().to_lowercase();
    let again = |status: StatusCode, err: ApiError| {
        let mut p = Page::new(lang, None, "/login");
        p.operator = state.operator.clone();
        p.error = Some(err.render(lang).message);
        let page = LoginPage { p, username: username.clone(), next: safe_back(Some(&form.next)) };
        render(status, &page)
    };
    if let Err(seconds) = state.throttle.check(&username, addr) {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, throttled(seconds)));
    }
    let Some((token, user, _)) = state.app.login(&username, &form.password).await? else {
        return Ok(again(StatusCode::UNAUTHORIZED, ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::LoginFailed)));
    };
    // A new session id at every login; the one the browser had before is ended.
    if let Some(old) = session_token(&headers) {
        state.app.logout(&old).await?;
    }
    let mut jar = jar.add(session_cookie(token, &headers));
    // Without a choice made on this browser, pages follow the account's language.
    if jar.get(LANG_COOKIE).is_none()
        && let Some(lang) = Lang::from_tag(&user.locale)
    {
        jar = jar.add(lang_cookie(lang));
    }
    Ok((jar, Redirect::to(&safe_back(Some(&form.next)))).into_response())
}

/// The language choice, remembered for a year.
fn lang_cookie(lang: Lang) -> Cookie<'static> {
    let mut c = Cookie::new(LANG_COOKIE, lang.tag());
    c.set_path("/");
    c.set_same_site(SameSite::Lax);
    c.set_max_age(Some(Duration::from_secs(365 * 24 * 3600).try_into().unwrap_or_default()));
    c
}

fn session_cookie(token: String, headers: &HeaderMap) -> Cookie<'static> {
    let mut c = Cookie::new(SESSION_COOKIE, token);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(over_https(headers));
    c
}

/// Whether the browser reached Redress over HTTPS (directly or through a proxy that says so).
fn over_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
        || headers.get("forwarded").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("proto=https"))
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state.app.logout(&token).await?;
    }
    let mut gone = Cookie::from(SESSION_COOKIE);
    gone.set_path("/");
    Ok((jar.remove(gone), Redirect::to("/login")).into_response())
}

#[derive(Deserialize, Default)]
pub struct SwitchQuery {
    back: Option<String>,
}

/// Remembers the chosen language for a year and goes back to the page.
pub async fn switch_language(
    Path(tag): Path<String>,
    Query(q): Query<SwitchQuery>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let lang = Lang::from_tag(&tag).ok_or_else(ApiError::not_found)?;
    Ok((jar.add(lang_cookie(lang)), Redirect::to(&safe_back(q.back.as_deref()))).into_response())
}
