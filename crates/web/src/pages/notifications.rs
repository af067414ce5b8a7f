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
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(pq): Query<PageQuery>) -> Result<Response, ApiError> {
    let page = page_request(&pq)?;
    let found = state.app.notifications(&v.user, &page).await?;
    let p = v.page;
    let pager =
        Pager::new("/notifications", &[("limit", pq.limit.as_deref())], found.next.as_ref(), page.after.is_some());
    let items = found.items.iter().map(|n| NotificationDto::new(n, p.lang)).collect();
    Ok(render(StatusCode::OK, &NotificationsPage { p, items, pager }))
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
