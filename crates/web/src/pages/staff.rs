//! The review desk: the queue sorted by review due time with filters, and an application's
//! page with the order, the delivery ledger, the entitlement, the timeline and the buyer's
//! words side by side, where staff claim, ask for information, approve or reject. Appeals use
//! the same actions; the domain decides who may act on what.

use super::DoneQuery;
use super::files::Files;
use super::{FieldErrors, Page, Pager, Viewer, render};
use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{AmountInput, ApplicationDto, DeliveryDto, EntitlementDto, OrderDto, TimelineDto};
use crate::error::ApiError;
use crate::extract::{Path, application_ref};
use crate::files::{FormField, MAX_MESSAGE_FILES, Posted, carrying, text_field};
use crate::forms::{self, PageQuery, QueueQuery, SearchQuery, page_request, queue_filter};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use redress_domain::access::{Permission, may};
use redress_domain::application::{ApplicationState, Reason, RejectCode};
use redress_domain::ids::ApplicationRef;
use redress_domain::order::Channel;
use serde::Deserialize;

type PageResult = Result<Response, ApiError>;

#[derive(Template)]
#[template(path = "staff/queue.html")]
struct QueuePage {
    p: Page,
    items: Vec<(ApplicationDto, String)>,
    filter: QueueQuery,
    search: DeskSearch,
    /// Showing search results instead of the queue.
    searching: bool,
    by_amount: bool,
    errors: FieldErrors,
    states: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    pager: Pager,
}

impl QueuePage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn selected(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }
}

/// The desk's search box: what to search by (`no`, `order_no`, `buyer`) and the value.
#[derive(Deserialize, Default)]
pub struct DeskSearch {
    by: Option<String>,
    q: Option<String>,
}

impl DeskSearch {
    fn query(&self) -> Option<SearchQuery> {
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())?.to_owned();
        Some(match self.by.as_deref() {
            Some("order_no") => SearchQuery { order_no: Some(q), ..Default::default() },
            Some("buyer") => SearchQuery { buyer: Some(q), ..Default::default() },
            _ => SearchQuery { no: Some(q), ..Default::default() },
        })
    }
}

fn options(p: &Page, prefix: &str, codes: impl Iterator<Item = &'static str>) -> Vec<(String, String)> {
    codes.map(|c| (c.to_owned(), p.t(&format!("{prefix}-{c}")))).collect()
}

pub async fn queue(
    State(state): State<AppState>,
    v: Viewer,
    Query(mut q): Query<QueueQuery>,
    Query(pq): Query<PageQuery>,
    Query(search): Query<DeskSearch>,
) -> PageResult {
    v.require_staff()?;
    // An empty select or box in the filter form means "any".
    for f in [&mut q.state, &mut q.reason, &mut q.channel, &mut q.min_amount, &mut q.max_amount, &mut q.assignee] {
        if f.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *f = None;
        }
    }
    let mut p = v.page;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let label = |p: &Page, c: redress_domain::order::Channel| p.t(&format!("channel-{}", c.as_str()));
    let searching = search.query();
    let result = match &searching {
        Some(sq) => match forms::both(sq.parse(), page_request(&pq)) {
            Ok((by, page)) => {
                let apps = state.app.search_applications(by.as_ref(), &page).await?;
                let next = apps.next.clone();
                let items = apps
                    .items
                    .iter()
                    .map(|a| (ApplicationDto::new(a, p.lang, now, &cal), String::new()))
                    .collect::<Vec<_>>();
                let filters =
                    [("by", search.by.as_deref()), ("q", search.q.as_deref()), ("limit", pq.limit.as_deref())];
                Ok((items, Pager::new("/desk", &filters, next.as_ref(), page.after.is_some())))
            }
            Err(e) => Err(e),
        },
        None => match forms::both(queue_filter(&q), page_request(&pq)) {
            Ok((filter, page)) => {
                let found = state.app.review_queue(&filter, &page).await?;
                let items = found
                    .items
                    .iter()
                    .map(|i| (ApplicationDto::new(&i.application, p.lang, now, &cal), label(&p, i.channel)))
                    .collect();
                let filters = [
                    ("state", q.state.as_deref()),
                    ("reason", q.reason.as_deref()),
                    ("channel", q.channel.as_deref()),
                    ("assignee", q.assignee.as_deref()),
                    ("min_amount", q.min_amount.as_deref()),
                    ("max_amount", q.max_amount.as_deref()),
                    ("limit", pq.limit.as_deref()),
                ];
                Ok((items, Pager::new("/desk", &filters, found.next.as_ref(), page.after.is_some())))
            }
            Err(e) => Err(e),
        },
    };
    let (status, items, pager, errors) = match result {
        Ok((items, pager)) => (StatusCode::OK, items, pager, FieldErrors::default()),
        Err(e) => {
            p.error = Some(e.render(p.lang).message);
            (e.status, vec![], Pager::default(), FieldErrors::from_api(&e, p.lang))
        }
    };
    let page = QueuePage {
        states: options(&p, "state", ApplicationState::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str())),
        reasons: options(&p, "reason", Reason::ALL.iter().map(|r| r.as_str())),
        channels: options(&p, "channel", Channel::ALL.iter().map(|c| c.as_str())),
        by_amount: q.min_amount.is_some() || q.max_amount.is_some(),
        searching: searching.is_some(),
        items,
        filter: q,
        search,
        errors,
        pager,
        p,
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "staff/detail.html")]
struct DetailPage {
    p: Page,
    app: ApplicationDto,
    order: OrderDto,
    ent: EntitlementDto,
    ledger: Vec<DeliveryDto>,
    timeline: Vec<TimelineDto>,
    form: StaffForm,
    errors: FieldErrors,
    reject_codes: Vec<(String, String)>,
    files: Files,
    payouts: Vec<crate::dto::PayoutDto>,
    payouts_for_staff: bool,
    /// The tickets about it.
    tickets: Vec<crate::api::tickets::TicketDto>,
    /// Its message thread (the first page), and what was typed into it, kept.
    messages: Vec<crate::api::tickets::MessageDto>,
    thread_text: String,
    /// The thread's form was a note (kept so when it failed: a note stays a note).
    thread_note: bool,
    /// Whether the state waits for a reviewer to take it (the domain decides who may).
    can_claim: bool,
    /// In review, and the viewer holds it or may reassign.
    can_release: bool,
    can_reassign: bool,
    /// The viewer holds it for review and may decide it.
    can_decide: bool,
    /// Another reviewer holds it.
    in_review_by_other: bool,
    /// The refund failed: staff may send it again or record it paid another way.
    refund_failed: bool,
    /// A payout is on its way to the channel (created or processing): wait for it.
    payout_in_flight: bool,
    /// A payout the channel cannot deliver (not ended): route it another way, do not resend.
    payout_abnormal: bool,
    /// The channel paid a refund staff had recorded as paid another way.
    paid_twice: bool,
}

impl DetailPage {
    /// What the buyer wrote: the description, supplements and appeals, in order.
    fn buyer_words(&self) -> Vec<(&TimelineDto, String)> {
        self.timeline
            .iter()
            .filter(|e| e.actor_role == "buyer" && matches!(e.kind.as_str(), "supplemented" | "appealed"))
            .map(|e| (e, self.p.event_note(e)))
            .collect()
    }

    fn approve_amount(&self) -> String {
        if self.form.amount.is_empty() {
            self.app.requested.display.trim_start_matches('¥').to_owned()
        } else {
            self.form.amount.clone()
        }
    }

    fn is_code(&self, code: &str) -> bool {
        self.form.code == code
    }

    fn source_label(&self, d: &DeliveryDto) -> String {
        self.p.t(&format!("source-{}", d.source))
    }
}

#[derive(Deserialize, Default)]
pub struct StaffForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    text: String,
    /// For `reassign`: the reviewer who holds it next.
    #[serde(default)]
    reviewer: String,
    /// For `message`: the text, and `note` for an internal note.
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
}

/// The fields of the desk's forms besides a message's files.
const STAFF_FIELDS: [FormField; 7] = [
    text_field("message", 8000),
    text_field("amount", 64),
    text_field("code", 64),
    text_field("text", 8000),
    text_field("reviewer", 128),
    text_field("body", 4 * redress_domain::ticket::BODY_MAX),
    text_field("kind", 16),
];

async fn detail_page(state: &AppState, mut v: Viewer, no: &str, form: StaffForm, err: Option<ApiError>) -> PageResult {
    let no = application_ref(no)?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let d = state.app.detail(&no, &v.user).await?;
    let view = &d.view;
    let lang = v.page.lang;
    let (status, errors) = v.page.failure(err.as_ref());
    let files = Files::of(state, &v.user, &no, lang, false).await?;
    let payouts = crate::dto::PayoutDto::list(state, &d.payouts, lang).await?;
    let history = d.payout_history();
    let tickets = super::tickets::linked(state, &v.user, &view.application, lang).await?;
    let messages = super::tickets::thread_of(state, &v.user, &no).await?;
    let page = DetailPage {
        tickets,
        messages,
        thread_text: form.body.clone(),
        thread_note: form.kind == "note",
        files,
        payouts,
        payouts_for_staff: true,
        can_claim: view.application.can_claim(),
        can_release: view
            .application
            .in_review_by()
            .is_some_and(|r| r == v.user.username.as_str() || may(v.user.role, Permission::Reassign)),
        can_reassign: view.application.in_review_by().is_some() && may(v.user.role, Permission::Reassign),
        can_decide: view.application.in_review_by() == Some(v.user.username.as_str()),
        in_review_by_other: view.application.in_review_by().is_some_and(|r| r != v.user.username.as_str()),
        refund_failed: view.application.state == ApplicationState::RefundFailed,
        payout_in_flight: history.in_flight(),
        payout_abnormal: history.abnormal(),
        paid_twice: history.paid_twice(d.paid_another_way()),
        app: ApplicationDto::new(&view.application, lang, now, &cal),
        order: OrderDto::new(&view.order, d.delivered(), &d.order_now, lang),
        ent: EntitlementDto::new(&d.entitlement, lang),
        ledger: d.ledger.iter().map(DeliveryDto::from).collect(),
        timeline: view.timeline.iter().map(|t| TimelineDto::new(t, lang)).collect(),
        form,
        errors,
        reject_codes: options(&v.page, "reject", RejectCode::ALL.iter().map(|c| c.as_str())),
        p: v.page,
    };
    Ok(render(status, &page))
}

pub async fn detail(
    State(state): State<AppState>,
    mut v: Viewer,
    Path(no): Path<String>,
    q: Query<DoneQuery>,
) -> PageResult {
    v.require_staff()?;
    q.apply(&mut v.page, &no);
    detail_page(&state, v, &no, StaffForm::default(), None).await
}

/// What staff do to an application from the desk (`/desk/{no}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StaffAction {
    Claim,
    Release,
    Reassign,
    Message,
    RequestInfo,
    Approve,
    Reject,
    RetryRefund,
    SettleOutside,
}

impl StaffAction {
    fn parse(s: &str) -> Option<StaffAction> {
        match s {
            "claim" => Some(StaffAction::Claim),
            "release" => Some(StaffAction::Release),
            "reassign" => Some(StaffAction::Reassign),
            "message" => Some(StaffAction::Message),
            "request-info" => Some(StaffAction::RequestInfo),
            "approve" => Some(StaffAction::Approve),
            "reject" => Some(StaffAction::Reject),
            "retry-refund" => Some(StaffAction::RetryRefund),
            "settle-outside" => Some(StaffAction::SettleOutside),
            _ => None,
        }
    }
}

/// Claim, request information, approve (full, or partial with an amount) or reject.
pub async fn act(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, action)): Path<(String, String)>,
    posted: Posted<StaffForm>,
) -> PageResult {
    v.require_staff()?;
    let app_no = application_ref(&no)?;
    let app = &state.app;
    let action_is = StaffAction::parse(&action).ok_or_else(ApiError::not_found)?;
    app.application_for(&app_no, &v.user).await?;
    let most = if action_is == StaffAction::Message { MAX_MESSAGE_FILES } else { 0 };
    let (form, files) = posted.read(&state, &STAFF_FIELDS, most).await?;
    let done: Result<_, ApiError> = match action_is {
        StaffAction::Claim => app.claim(&app_no, &v.user).await.map_err(Into::into),
        StaffAction::Release => app.release(&app_no, &v.user).await.map_err(Into::into),
        StaffAction::Message => {
            let text = (form.body.as_str(), form.kind == "note");
            return match carrying(&state, files, |files| app.write_on_application(&app_no, &v.user, text, files)).await
            {
                Ok(seq) => Ok(Redirect::to(&format!("/desk/{no}?done=message#m{seq}")).into_response()),
                Err(e) => detail_page(&state, v, &no, form, Some(e)).await,
            };
        }
        StaffAction::Reassign => app.reassign(&app_no, &v.user, form.reviewer.trim()).await.map_err(Into::into),
        StaffAction::RequestInfo => app.request_info(&app_no, &v.user, &form.message).await.map_err(Into::into),
        StaffAction::Approve => {
            let amount = form.amount.trim();
            match (!amount.is_empty()).then(|| AmountInput::Text(amount.to_owned()).parse()).transpose() {
                Ok(amount) => app.approve(&app_no, &v.user, amount).await.map_err(Into::into),
                Err(e) => Err(e.into()),
            }
        }
        StaffAction::RetryRefund => app.retry_refund(&app_no, &v.user).await.map_err(Into::into),
        StaffAction::SettleOutside => app.settle_outside(&app_no, &v.user, &form.text).await.map_err(Into::into),
        StaffAction::Reject => match RejectCode::parse(&form.code) {
            Some(code) => app.reject(&app_no, &v.user, code, &form.text).await.map_err(Into::into),
            None => Err(ApiError::field("code", ErrorCode::RejectCodeUnknown)),
        },
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/desk/{no}?done={action}")).into_response()),
        Err(e) => detail_page(&state, v, &no, form, Some(e)).await,
    }
}

/// A file, for staff.
pub async fn file(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, id)): Path<(ApplicationRef, String)>,
) -> PageResult {
    v.require_staff()?;
    crate::files::file_response(&state, &v.user, &no, &id).await
}

/// An image file's thumbnail or preview, for staff.
pub async fn file_view(
    State(state): State<AppState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path((no, id, size)): Path<(String, String, String)>,
) -> PageResult {
    v.require_staff()?;
    let size = crate::files::preview::Size::parse(&size).ok_or_else(ApiError::not_found)?;
    crate::files::preview::image_response(&state, &v.user, &no, &id, size, &headers).await
}

/// The case file (ZIP), for staff.
pub async fn case_file(State(state): State<AppState>, v: Viewer, Path(no): Path<String>) -> PageResult {
    v.require_staff()?;
    crate::casefile::download(&state, &v.user, &no, v.page.lang).await
}
