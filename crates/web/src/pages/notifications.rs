//! The notification centre, for buyers and staff: newest first, unread ones marked; opening
//! one marks it read and leads to its application; "mark all read". Each person sees only
//! their own.

use super::{Page, Pager, Viewer, render};
use crate::AppState;
use crate::dto::NotificationDto;
use crate::error::ApiError;
use crate::extract::Query;
use crate::forms::{PageQuery, page_request};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    p: Page,
    items: Vec<NotificationDto>,
    pager: Pager,
    /// Whether optional e-mails are on, and the address e-mail goes to.
    optional_emails: bool,
    email: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    v: Viewer,
    Query(done): Query<super::DoneQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(&pq)?;
    let found = state.app.notifications(&v.user, &page).await?;
    let (optional_emails, email) = state.app.mail_preferences(&v.user).await?;
    let mut p = v.page;
    done.apply(&mut p, "");
    let pager =
        Pager::new("/notifications", &[("limit", pq.limit.as_deref())], found.next.as_ref(), page.after.is_some());
    let items = found.items.iter().map(|n| NotificationDto::new(n, p.lang)).collect();
    Ok(render(StatusCode::OK, &NotificationsPage { p, items, pager, optional_emails, email }))
}

/// Marks the notification read and goes to what it is about.
pub async fn open(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, ApiError> {
    let n = state.app.mark_notification_read(&v.user, &id).await?;
    Ok(Redirect::to(&crate::dto::notice_link(&n.notice)).into_response())
}

pub async fn mark_all_read(State(state): State<AppState>, v: Viewer) -> Result<Response, ApiError> {
    state.app.mark_all_notifications_read(&v.user).await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(serde::Deserialize)]
pub struct PreferencesForm {
    /// Present (any value) when the box is ticked.
    optional_emails: Option<String>,
}

pub async fn set_preferences(
    State(state): State<AppState>,
    v: Viewer,
    super::Form(form): super::Form<PreferencesForm>,
) -> Result<Response, ApiError> {
    state.app.set_optional_emails(&v.user, form.optional_emails.is_some()).await?;
    Ok(Redirect::to("/notifications?done=preferences").into_response())
}
