//! Administrators' pages: the merchant's webhook endpoints with each one's delivery log, and
//! the e-mails that could not be delivered. Endpoints are registered and changed with
//! `redress admin webhook` or the merchant API; here they are watched.

use super::{Page, Pager, Viewer, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Query;
use crate::forms::{PageQuery, page_request};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redress_app::{Endpoint, HookAttempt, PageRequest};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    p: Page,
    endpoints: Vec<Endpoint>,
    /// The endpoint whose log is shown, and its log.
    shown: Option<Endpoint>,
    attempts: Vec<HookAttempt>,
    pager: Pager,
}

impl WebhooksPage {
    fn reason(&self, e: &Endpoint) -> String {
        let r = e.disabled_reason.as_deref().unwrap_or("manual");
        self.p.t(&format!("admin-hook-disabled-{r}"))
    }
}

#[derive(Deserialize)]
pub struct EndpointQuery {
    endpoint: Option<String>,
}

pub async fn webhooks(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EndpointQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ApiError> {
    v.require_admin()?;
    let page = page_request(&pq)?;
    // Endpoints are few: every one of them, in pages of the most a page may have.
    let mut endpoints = Vec::new();
    let mut all = PageRequest { limit: redress_app::MAX_LIMIT, after: None };
    loop {
        let found = state.app.endpoints(&all).await?;
        endpoints.extend(found.items);
        match found.next {
            Some(next) => all.after = Some(next),
            None => break,
        }
    }
    let chosen = q.endpoint.filter(|e| !e.is_empty()).or_else(|| endpoints.first().map(|e| e.id.clone()));
    let (shown, attempts, pager) = match chosen {
        Some(id) => {
            let log = state.app.hook_attempts(&id, &page).await?;
            let pager = Pager::new(
                "/admin/webhooks",
                &[("endpoint", Some(id.as_str())), ("limit", pq.limit.as_deref())],
                log.next.as_ref(),
                page.after.is_some(),
            );
            (Some(state.app.endpoint(&id).await?), log.items, pager)
        }
        None => (None, Vec::new(), Pager { next: None, first: None }),
    };
    Ok(render(StatusCode::OK, &WebhooksPage { p: v.page, endpoints, shown, attempts, pager }))
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
struct MailPage {
    p: Page,
    failed: Vec<redress_app::MailRecord>,
    pager: Pager,
}

pub async fn failed_mail(
    State(state): State<AppState>,
    v: Viewer,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ApiError> {
    v.require_admin()?;
    let page = page_request(&pq)?;
    let found = state.app.failed_mail(&page).await?;
    let pager = Pager::new("/admin/mail", &[("limit", pq.limit.as_deref())], found.next.as_ref(), page.after.is_some());
    Ok(render(StatusCode::OK, &MailPage { p: v.page, failed: found.items, pager }))
}
