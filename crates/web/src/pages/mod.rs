//! The website: pages rendered on the server for buyers (the four steps of docs/product.md §3) and staff (the
//! review desk). Pages call the same store functions as the JSON API and reuse its DTOs; the
//! templates are askama files under `templates/`, and every word in them comes from
//! `locales/*/pages.ftl`. Pages work without JavaScript; `assets/app.js` only enhances them.
//!
//! Sessions are the same server-side sessions as the API's bearer tokens, carried in an
//! `HttpOnly`, `SameSite=Lax` cookie. Cross-origin state-changing requests are refused by
//! tower-http's `CsrfLayer` (Fetch Metadata and `Origin`), wrapped around the whole app.

pub mod admin;
pub mod auth;
pub mod buyer;
pub mod complaint;
pub mod files;
pub mod notifications;
pub mod staff;
pub mod tickets;

use crate::dto::TimelineDto;
use crate::error::ApiError;
use crate::files::encode;
use crate::i18n::Lang;
use crate::{AppState, OperatorInfo};
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use redress_app::User;
use redress_domain::application::Role;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "redress_session";

/// The Content-Security-Policy of every response: nothing from another origin, no inline
/// script or style, no framing, forms post only to Redress.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang/{tag}", get(auth::switch_language))
        .route("/assets/{file}", get(asset))
        .route("/orders", get(buyer::orders))
        .route("/orders/{order}/apply", get(buyer::new_form).post(buyer::create))
        .route("/applications", get(buyer::applications))
        .route("/applications/{no}", get(buyer::detail))
        .route("/applications/{no}/edit", get(buyer::edit_form).post(buyer::edit))
        // Uploads bound their own body (see `api::evidence`).
        .route("/applications/{no}/files", post(buyer::upload).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/applications/{no}/files/{id}", get(buyer::file))
        .route("/applications/{no}/files/{id}/{size}", get(buyer::file_view))
        .route("/applications/{no}/case-file", get(buyer::case_file))
        .route("/applications/{no}/complaint", get(complaint::complaint))
        .route("/applications/{no}/message-files/{id}", get(tickets::message_file))
        // Forms that may carry files bound their own body (see `files::Posted`).
        .route("/applications/{no}/{action}", post(buyer::act).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/help", get(buyer::help))
        .route("/tickets", get(tickets::list))
        .route(
            "/tickets/new",
            get(tickets::new_form).post(tickets::create).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/tickets/{no}", get(tickets::detail))
        .route("/tickets/{no}/files/{id}", get(tickets::file))
        .route("/tickets/{no}/{action}", post(tickets::act).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/desk/tickets", get(tickets::desk))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/preferences", post(notifications::set_preferences))
        .route("/notifications/{id}/open", post(notifications::open))
        .route("/admin/webhooks", get(admin::webhooks))
        .route("/admin/mail", get(admin::failed_mail))
        .route("/desk", get(staff::queue))
        .route("/desk/{no}", get(staff::detail))
        .route("/desk/{no}/files/{id}", get(staff::file))
        .route("/desk/{no}/files/{id}/{size}", get(staff::file_view))
        .route("/desk/{no}/case-file", get(staff::case_file))
        .route("/desk/{no}/message-files/{id}", get(tickets::message_file))
        .route("/desk/{no}/{action}", post(staff::act).layer(axum::extract::DefaultBodyLimit::disable()))
}

/// Whether an error answering this request should be a page rather than JSON.
pub fn wants_html(req: &Request) -> bool {
    let path = req.uri().path();
    !(path.starts_with("/api/") || path == "/healthz" || path == "/readyz")
}

/// What every page template can use: the language, who is signed in, and the helpers that turn
/// values into text.
pub struct Page {
    pub lang: Lang,
    pub user: Option<User>,
    /// The current path and query, to come back to after switching language.
    pub path: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The signed-in person's unread notifications (counted up to `UNREAD_CAP`).
    pub unread: i64,
    /// For administrators: the business calendar's data runs out soon.
    pub calendar_warning: Option<String>,
    /// For administrators: the operator's identity is not set (complaints need it).
    pub operator_warning: Option<String>,
    /// Who runs the platform and where to complain (the footer, the help page).
    pub operator: Arc<OperatorInfo>,
}

impl Page {
    pub fn new(lang: Lang, user: Option<User>, path: impl Into<String>) -> Page {
        Page {
            lang,
            user,
            path: path.into(),
            notice: None,
            error: None,
            unread: 0,
            calendar_warning: None,
            operator_warning: None,
            operator: Arc::default(),
        }
    }

    /// The header's notifications link as a screen reader says it: with the unread count.
    pub fn bell_label(&self) -> String {
        match self.unread {
            0 => self.t("nav-notifications"),
            _ => format!(
                "{} · {}",
                self.t("nav-notifications"),
                self.t1("notifications-unread", "count", &self.unread_label())
            ),
        }
    }

    /// The unread count as the header shows it: nothing, a number, or "99+".
    pub fn unread_label(&self) -> String {
        match self.unread {
            0 => String::new(),
            n if n >= redress_app::UNREAD_CAP - 1 => "99+".to_owned(),
            n => n.to_string(),
        }
    }

    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    pub fn t1(&self, id: &str, name: &'static str, value: &str) -> String {
        self.lang.t_args(id, &[(name, value.to_owned())])
    }

    pub fn t2(&self, id: &str, n1: &'static str, v1: impl Display, n2: &'static str, v2: impl Display) -> String {
        self.lang.t_args(id, &[(n1, v1.to_string()), (n2, v2.to_string())])
    }

    /// The label of a code in a family (`platform`, `source`…), or the code itself.
    pub fn tk(&self, family: &str, code: &str) -> String {
        self.lang.tk(family, code)
    }

    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The other language, for the switcher: (path to switch, its name in itself).
    pub fn switch_href(&self) -> String {
        let other = if self.lang == Lang::Zh { "en" } else { "zh-CN" };
        format!("/lang/{other}?back={}", encode(&self.path))
    }

    /// The other language's name, in that language.
    pub fn switch_label(&self) -> String {
        self.t("lang-other")
    }

    /// A time as people in China read it: Asia/Shanghai, minutes.
    pub fn time(&self, t: &Timestamp) -> String {
        crate::i18n::local_time(t)
    }

    pub fn opt_time(&self, t: &Option<Timestamp>) -> String {
        t.as_ref().map(|t| self.time(t)).unwrap_or_else(|| "—".to_owned())
    }

    /// A deadline, with its zone, never read a day late ([`crate::i18n::deadline`]).
    pub fn deadline(&self, t: &Timestamp) -> String {
        crate::i18n::deadline(t, self.lang)
    }

    pub fn opt_deadline(&self, t: &Option<Timestamp>) -> String {
        t.as_ref().map(|t| crate::i18n::deadline(t, self.lang)).unwrap_or_else(|| "—".to_owned())
    }

    /// Puts a failed action's message on the page; returns the status to answer with and the
    /// errors to show by their fields (200 and none when nothing failed).
    pub fn failure(&mut self, err: Option<&ApiError>) -> (StatusCode, FieldErrors) {
        match err {
            Some(e) => {
                self.error = Some(e.render(self.lang).message);
                (e.status, FieldErrors::from_api(e, self.lang))
            }
            None => (StatusCode::OK, FieldErrors::default()),
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.is_staff())
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }

    pub fn is_buyer(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Buyer)
    }

    pub fn user_name(&self) -> String {
        self.user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default()
    }

    pub fn role_label(&self) -> String {
        self.user.as_ref().map(|u| self.t(&format!("role-{}", u.role.as_str()))).unwrap_or_default()
    }

    /// What a timeline entry says beyond its label: the message, the amount, the reason.
    pub fn event_note(&self, e: &TimelineDto) -> String {
        e.note(self.lang)
    }

    pub fn actor_label(&self, e: &TimelineDto) -> String {
        e.actor_label(self.lang)
    }

    /// Who wrote a thread's message, as the reader sees it: "you", the buyer, or a colleague
    /// with their role.
    pub fn message_author(&self, m: &crate::api::tickets::MessageDto) -> String {
        if self.user.as_ref().is_some_and(|u| u.username.as_str() == m.author) {
            self.t("ticket-author-me")
        } else if m.author_role == "buyer" {
            self.t("ticket-author-buyer")
        } else {
            format!("{} · {}", m.author, self.t(&format!("role-{}", m.author_role)))
        }
    }

    /// What a thread's status entry says, in the reader's language.
    pub fn status_text(&self, body: &str) -> String {
        let (head, arg) = body.split_once(':').unwrap_or((body, ""));
        match head {
            "assigned" => self.t1("ticket-status-assigned", "name", arg),
            "merged" => self.t1("ticket-status-merged", "no", arg),
            "resolved" | "reopened" | "closed" | "spam" | "released" => self.t(&format!("ticket-status-{head}")),
            _ => body.to_owned(),
        }
    }
}

/// A path to return to after login or a language switch: only a path on this site.
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') && !b.contains("://") => {
            b.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Field errors of a form, translated, by field name.
#[derive(Default)]
pub struct FieldErrors(pub HashMap<String, String>);

impl FieldErrors {
    pub fn from_api(err: &ApiError, lang: Lang) -> FieldErrors {
        FieldErrors(err.render(lang).fields.into_iter().map(|f| (f.field, f.message)).collect())
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }
}

/// The signed-in person behind the session cookie, and the page frame for them. Without a
/// live session, pages send the browser to the login page and back.
pub struct Viewer {
    pub user: User,
    pub page: Page,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::of(&parts.headers);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let user = match session_token(&parts.headers) {
            Some(token) => state.app.session_user(&token).await.map_err(|e| ApiError::from(e).into_response())?,
            None => None,
        };
        match user {
            Some(user) => {
                let unread =
                    state.app.unread_notifications(&user).await.map_err(|e| ApiError::from(e).into_response())?;
                let mut page = Page::new(lang, Some(user.clone()), path);
                page.unread = unread;
                page.operator = state.operator.clone();
                // Administrators are told, on every page, when the business calendar's
                // definitive data is about to run out (due times after it are guesses).
                if user.role == Role::Admin {
                    let cal = state.app.store.calendar().await.map_err(|e| ApiError::from(e).into_response())?;
                    let today = redress_domain::calendar::shanghai_date(state.app.now());
                    page.calendar_warning = cal
                        .runs_out_soon(today)
                        .map(|until| lang.t_args("calendar-runs-out", &[("date", until.to_string())]));
                    if state.operator.identity.is_none() {
                        page.operator_warning = Some(lang.t("operator-unset"));
                    }
                }
                Ok(Viewer { page, user })
            }
            None => {
                let back = if parts.method == axum::http::Method::GET { path } else { "/".to_owned() };
                Err(Redirect::to(&format!("/login?next={}", encode(&back))).into_response())
            }
        }
    }
}

impl Viewer {
    pub fn require_buyer(&self) -> Result<(), ApiError> {
        if self.user.role == Role::Buyer { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.user.role.is_staff() { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.role == Role::Admin { Ok(()) } else { Err(ApiError::forbidden()) }
    }
}

pub use crate::extract::Form;

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers).get(SESSION_COOKIE).map(|c| c.value().to_owned())
}

/// Renders a template as an HTML response with `status`.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], html)
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    p: Page,
    status: u16,
    message: &'a str,
}

/// The page for an error outside a form: what went wrong, in the reader's language.
pub fn error_page(err: &ApiError, lang: Lang) -> Response {
    let body = err.render(lang);
    let page = ErrorPage { p: Page::new(lang, None, "/"), status: err.status.as_u16(), message: &body.message };
    let mut res = render(err.status, &page);
    res.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    res
}

async fn home(viewer: Result<Viewer, Response>) -> Redirect {
    match viewer {
        Ok(v) if v.user.role.is_staff() => Redirect::to("/desk"),
        Ok(_) => Redirect::to("/orders"),
        Err(_) => Redirect::to("/login"),
    }
}

/// The stylesheet and script, embedded in the binary.
async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (body, kind): (&'static str, &'static str) = match file.as_str() {
        "app.css" => (include_str!("../../assets/app.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("../../assets/app.js"), "text/javascript; charset=utf-8"),
        _ => return Err(ApiError::not_found()),
    };
    Ok(([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response())
}

/// Confirmations a page shows after an action (`?done=…`); anything else is ignored.
const DONE: &[&str] = &[
    "saved",
    "submitted",
    "deleted",
    "withdraw",
    "supplement",
    "appeal",
    "claim",
    "release",
    "reassign",
    "request-info",
    "approve",
    "reject",
    "preferences",
    "message",
    "ticket-opened",
    "ticket-written",
    "ticket-reopened",
    "ticket-resolved",
    "ticket-assigned",
    "ticket-merged",
];

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    /// Puts the confirmation for `?done=` on the page.
    pub fn apply(&self, p: &mut Page, no: &str) {
        if let Some(done) = self.done.as_deref().filter(|d| DONE.contains(d)) {
            p.notice = Some(p.t1(&format!("done-{done}"), "no", no));
        }
    }
}

/// The links between a list's pages: to the next one (the same path and filters, `after` the
/// cursor), and back to the first when this is a later one.
#[derive(Debug, Default)]
pub struct Pager {
    pub next: Option<String>,
    pub first: Option<String>,
}

impl Pager {
    /// `filters` are the query's other parameters, kept on both links; empty ones are left out.
    pub fn new(path: &str, filters: &[(&str, Option<&str>)], next: Option<&redress_app::Cursor>, later: bool) -> Pager {
        let href = |after: Option<&str>| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in filters {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    q.append_pair(k, v);
                }
            }
            if let Some(a) = after {
                q.append_pair("after", a);
            }
            let q = q.finish();
            if q.is_empty() { path.to_owned() } else { format!("{path}?{q}") }
        };
        Pager { next: next.map(|c| href(Some(&c.encode()))), first: later.then(|| href(None)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_keep_the_filters() {
        let c = redress_app::Cursor::decode("WyJxIixbMV1d").expect("cursor");
        let p = Pager::new(
            "/desk",
            &[("state", Some("submitted")), ("reason", None), ("min_amount", Some("1 2"))],
            Some(&c),
            true,
        );
        assert_eq!(p.next.as_deref(), Some("/desk?state=submitted&min_amount=1+2&after=WyJxIixbMV1d"));
        assert_eq!(p.first.as_deref(), Some("/desk?state=submitted&min_amount=1+2"));
        assert_eq!(Pager::new("/orders", &[], None, false).next, None);
    }

    #[test]
    fn only_local_paths_are_followed_back() {
        assert_eq!(safe_back(Some("/orders?x=1")), "/orders?x=1");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "orders", "/a?u=http://x"] {
            assert_eq!(safe_back(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_back(None), "/");
    }

    #[test]
    fn times_are_shown_in_shanghai() {
        let p = Page::new(Lang::Zh, None, "/");
        let t: Timestamp = "2026-11-24T16:30:00Z".parse().unwrap();
        assert_eq!(p.time(&t), "2026-11-25 00:30");
    }

    /// Every key a template asks for exists in both languages.
    #[test]
    fn every_template_word_is_translated() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut keys = vec![];
        let mut files = vec![dir.clone()];
        while let Some(d) = files.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["p.t(\"", "p.t1(\""] {
                    for piece in text.split(marker).skip(1) {
                        keys.push(piece.split('"').next().unwrap().to_owned());
                    }
                }
            }
        }
        assert!(keys.len() > 60, "found only {} keys", keys.len());
        for key in &keys {
            for lang in [Lang::Zh, Lang::En] {
                assert!(lang.has(key), "{key} has no {} translation", lang.tag());
            }
        }
    }
}
