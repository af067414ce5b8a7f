//! Support tickets on the website (docs/product.md §6): a buyer's tickets, the form that opens
//! one (from the header, an order or an application), and a ticket's page with its thread,
//! where the buyer answers or reopens and staff reply, write notes, claim, hand over, release,
//! resolve, mark spam or merge. Staff see the desk's queue of tickets, nearest deadline first,
//! as cards that fit a phone. Internal notes are shown to staff only.

use super::{DoneQuery, FieldErrors, Page, Pager, Viewer, render};
use crate::AppState;
use crate::api::tickets::{DeskQuery, MessageDto, TicketDto, desk_filter};
use crate::error::ApiError;
use crate::extract::Path;
use crate::files::{FormField, MAX_MESSAGE_FILES, Posted, carrying, text_field};
use crate::forms::{PageQuery, page_request};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use redress_app::{TicketDetail, TicketsOf};
use redress_domain::ids::{ApplicationNo, OrderNo, TicketNo, Username};
use redress_domain::ticket::{BODY_MAX, SUBJECT_MAX};
use redress_domain::ticket::{Category, NewTicket, TicketState};
use serde::Deserialize;

type PageResult = Result<Response, ApiError>;

fn ticket_no(s: &str) -> Result<TicketNo, ApiError> {
    TicketNo::parse(s).map_err(|_| ApiError::not_found())
}

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct ListPage {
    p: Page,
    tickets: Vec<TicketDto>,
    pager: Pager,
}

/// The buyer's tickets, newest first.
pub async fn list(State(state): State<AppState>, v: Viewer, Query(pq): Query<PageQuery>) -> PageResult {
    v.require_buyer()?;
    let page = page_request(&pq)?;
    let found = state.app.tickets(TicketsOf::Buyer(&v.user.username), &v.user, &page).await?;
    let cal = state.app.store.calendar().await?;
    let now = state.app.now();
    let pager = Pager::new("/tickets", &[("limit", pq.limit.as_deref())], found.next.as_ref(), page.after.is_some());
    let tickets = found.items.iter().map(|t| TicketDto::new(t, &cal, v.page.lang, now)).collect();
    Ok(render(StatusCode::OK, &ListPage { p: v.page, tickets, pager }))
}

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    application: String,
}

#[derive(Template)]
#[template(path = "tickets/new.html")]
struct NewPage {
    p: Page,
    form: NewForm,
    errors: FieldErrors,
    categories: Vec<(String, String)>,
}

impl NewPage {
    fn is_category(&self, code: &str) -> bool {
        self.form.category == code
    }
}

fn categories(p: &Page) -> Vec<(String, String)> {
    Category::ALL.iter().map(|c| (c.as_str().to_owned(), p.t(&format!("ticket-category-{}", c.as_str())))).collect()
}

fn new_page(v: Viewer, mut form: NewForm, err: Option<ApiError>) -> Response {
    let mut p = v.page;
    let (status, errors) = p.failure(err.as_ref());
    if form.category.is_empty() {
        form.category =
            if form.application.is_empty() { Category::Other } else { Category::RefundProgress }.as_str().to_owned();
    }
    let categories = categories(&p);
    render(status, &NewPage { p, form, errors, categories })
}

/// The form that opens a ticket (`?order=` or `?application=` to link one).
pub async fn new_form(v: Viewer, Query(form): Query<NewForm>) -> PageResult {
    v.require_buyer()?;
    let form = NewForm { subject: String::new(), body: String::new(), ..form };
    Ok(new_page(v, form, None))
}

/// The new-ticket form's fields besides its files.
const NEW_FORM_FIELDS: [FormField; 5] = [
    text_field("category", 64),
    text_field("subject", 4 * SUBJECT_MAX),
    text_field("body", 4 * BODY_MAX),
    text_field("order", 64),
    text_field("application", 64),
];

/// The fields of the forms on a ticket's page.
const ACT_FIELDS: [FormField; 4] =
    [text_field("text", 4 * BODY_MAX), text_field("kind", 16), text_field("assignee", 128), text_field("into", 64)];

pub async fn create(State(state): State<AppState>, v: Viewer, posted: Posted<NewForm>) -> PageResult {
    v.require_buyer()?;
    let (form, files) = posted.read(&state, &NEW_FORM_FIELDS, MAX_MESSAGE_FILES).await?;
    let category = Category::parse(&form.category)
        .ok_or_else(|| ApiError::field("category", crate::codes::ErrorCode::CategoryUnknown));
    let category = match category {
        Ok(c) => c,
        Err(e) => return Ok(new_page(v, form, Some(e))),
    };
    // A number that names nothing is said on the form, with what was typed kept.
    let order_no = match form.order.trim() {
        "" => None,
        s => match OrderNo::parse(s) {
            Ok(o) => Some(o),
            Err(_) => return Ok(new_page(v, form, Some(ApiError::not_found()))),
        },
    };
    let application_no = match form.application.trim() {
        "" => None,
        s => match ApplicationNo::parse(s) {
            Ok(a) => Some(a),
            Err(_) => return Ok(new_page(v, form, Some(ApiError::not_found()))),
        },
    };
    let input =
        NewTicket { category, subject: form.subject.clone(), body: form.body.clone(), order_no, application_no };
    match carrying(&state, files, |files| state.app.open_ticket(&v.user, input, files)).await {
        Ok(t) => Ok(Redirect::to(&format!("/tickets/{}?done=ticket-opened", t.no)).into_response()),
        Err(e) => Ok(new_page(v, form, Some(e))),
    }
}

#[derive(Template)]
#[template(path = "tickets/detail.html")]
struct DetailPage {
    p: Page,
    t: TicketDto,
    messages: Vec<MessageDto>,
    pager: Pager,
    /// What was typed into a form that failed, kept (the reply's kind too: a note stays a
    /// note).
    form: ActForm,
    errors: FieldErrors,
    /// The statutory clock of the application it is about, as the reader may see it.
    statutory: Option<crate::dto::StatutoryDto>,
    /// Whether the buyer is offered the complaint route for that application.
    complaint: bool,
    /// For staff: the saved replies to answer with (id, title), by title.
    replies: Vec<(String, String)>,
}

impl DetailPage {
    fn is_note(&self) -> bool {
        self.form.kind == "note"
    }

    fn open(&self) -> bool {
        !matches!(self.t.state.as_str(), "resolved" | "closed")
    }

    fn reopenable(&self) -> bool {
        self.t.state == "resolved"
    }

    fn clock_label(&self, kind: &str) -> String {
        self.p.t(&format!("ticket-clock-{kind}"))
    }

    fn clock_state(&self, state: &str) -> String {
        self.p.t(&format!("ticket-clock-state-{state}"))
    }
}

async fn detail_page(
    state: &AppState,
    v: Viewer,
    no: &TicketNo,
    pq: &PageQuery,
    form: ActForm,
    err: Option<ApiError>,
    pick: Option<&str>,
) -> PageResult {
    let page = page_request(pq)?;
    let TicketDetail { ticket, thread, files, .. } = state.app.ticket_detail(no, &v.user, &page).await?;
    let cal = state.app.store.calendar().await?;
    let mut p = v.page;
    let (status, errors) = p.failure(err.as_ref());
    let t = TicketDto::new(&ticket, &cal, p.lang, state.app.now()).seen_by(&v.user);
    let path = format!("/tickets/{no}");
    let pager = Pager::new(&path, &[("limit", pq.limit.as_deref())], thread.next.as_ref(), page.after.is_some());
    let base = format!("/tickets/{no}/files");
    let messages = thread.items.iter().map(|m| MessageDto::new(m, &files, &base)).collect();
    let (statutory, complaint) =
        crate::dto::linked_application(state, &v.user, ticket.application_no.as_ref(), p.lang).await?;
    let (replies, form) = saved_replies(state, &v.user, &ticket, form, pick).await?;
    Ok(render(status, &DetailPage { p, t, messages, pager, form, errors, statutory, complaint, replies }))
}

pub async fn detail(
    State(state): State<AppState>,
    mut v: Viewer,
    Path(no): Path<String>,
    q: Query<DoneQuery>,
    Query(pq): Query<PageQuery>,
    Query(pick): Query<ReplyPick>,
) -> PageResult {
    let no = ticket_no(&no)?;
    q.apply(&mut v.page, no.as_str());
    detail_page(&state, v, &no, &pq, ActForm::default(), None, pick.reply.as_deref()).await
}

/// A saved reply chosen on the page (`?reply=SR-…`), put into the reply box.
#[derive(Deserialize, Default)]
pub struct ReplyPick {
    reply: Option<String>,
}

/// For staff: the first page of saved replies, and the form with the chosen one's text in the
/// buyer's language put into the reply box (an unknown choice puts nothing).
async fn saved_replies(
    state: &AppState,
    viewer: &redress_app::User,
    ticket: &redress_domain::ticket::Ticket,
    mut form: ActForm,
    pick: Option<&str>,
) -> Result<(Vec<(String, String)>, ActForm), ApiError> {
    if !viewer.role.is_staff() {
        return Ok((Vec::new(), form));
    }
    let page = state.app.saved_replies(viewer, &redress_app::PageRequest::first(100)).await?;
    if let Some(id) = pick.filter(|id| redress_domain::saved_reply::is_id(id))
        && let Ok(r) = state.app.saved_reply(viewer, id).await
    {
        let buyer = state.app.store.user(ticket.buyer.as_str()).await?;
        form.text = r.reply.text_for(&buyer.locale).to_owned();
    }
    Ok((page.items.into_iter().map(|r| (r.id, r.reply.title)).collect(), form))
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    #[serde(default)]
    text: String,
    /// Staff's reply form: `reply` or `note`.
    #[serde(default)]
    kind: String,
    /// For `assign`: who (empty: a release).
    #[serde(default)]
    assignee: String,
    /// For `merge`: the ticket it duplicates.
    #[serde(default)]
    into: String,
}

/// What is done to a ticket from its page (`/tickets/{no}/{action}`).
pub async fn act(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, action)): Path<(String, String)>,
    posted: Posted<ActForm>,
) -> PageResult {
    let no = ticket_no(&no)?;
    let app = &state.app;
    // Someone else's ticket is not found before any bytes are received.
    app.ticket_for(&no, &v.user).await?;
    let (form, files) = posted.read(&state, &ACT_FIELDS, if action == "write" { MAX_MESSAGE_FILES } else { 0 }).await?;
    let done = match action.as_str() {
        "write" => {
            let text = (form.text.as_str(), form.kind == "note");
            match carrying(&state, files, |files| app.write_ticket(&no, &v.user, text, files)).await {
                Ok(_) => Ok("ticket-written"),
                Err(e) => return detail_page(&state, v, &no, &PageQuery::default(), form, Some(e), None).await,
            }
        }
        "reopen" => app.reopen_ticket(&no, &v.user).await.map(|_| "ticket-reopened"),
        "resolve" | "spam" if v.user.role.is_staff() => {
            app.resolve_ticket(&no, &v.user, action == "spam").await.map(|_| "ticket-resolved")
        }
        "claim" if v.user.role.is_staff() => {
            app.assign_ticket(&no, &v.user, Some(&v.user.username)).await.map(|_| "ticket-assigned")
        }
        "assign" if v.user.role.is_staff() => {
            let to = match form.assignee.trim() {
                "" => None,
                s => match Username::parse(s) {
                    Ok(u) => Some(u),
                    Err(_) => {
                        let e = ApiError::field("assignee", crate::codes::ErrorCode::UsernameMalformed);
                        return detail_page(&state, v, &no, &PageQuery::default(), form, Some(e), None).await;
                    }
                },
            };
            app.assign_ticket(&no, &v.user, to.as_ref()).await.map(|_| "ticket-assigned")
        }
        "merge" if v.user.role.is_staff() => match TicketNo::parse(form.into.trim()) {
            Ok(into) => app.merge_ticket(&no, &v.user, &into).await.map(|_| "ticket-merged"),
            Err(_) => Err(redress_domain::ticket::TicketError::MergeTarget.into()),
        },
        _ => return Err(ApiError::not_found()),
    };
    match done {
        Ok(done) => Ok(Redirect::to(&format!("/tickets/{no}?done={done}")).into_response()),
        Err(e) => detail_page(&state, v, &no, &PageQuery::default(), form, Some(e.into()), None).await,
    }
}

#[derive(Template)]
#[template(path = "tickets/desk.html")]
struct DeskPage {
    p: Page,
    tickets: Vec<TicketDto>,
    filter: DeskQuery,
    errors: FieldErrors,
    states: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    pager: Pager,
}

impl DeskPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn selected(&self, v: &Option<String>, code: &str) -> bool {
        v.as_deref() == Some(code)
    }
}

/// The desk's ticket queue, nearest deadline first, with its filters.
pub async fn desk(
    State(state): State<AppState>,
    v: Viewer,
    Query(filter): Query<DeskQuery>,
    Query(pq): Query<PageQuery>,
) -> PageResult {
    v.require_staff()?;
    let mut p = v.page;
    let states = TicketState::ALL
        .iter()
        .filter(|s| !matches!(s, TicketState::Resolved | TicketState::Closed))
        .map(|s| (s.as_str().to_owned(), p.t(&format!("ticket-state-{}", s.as_str()))))
        .collect();
    let categories = categories(&p);
    let (found, err) = match (desk_filter(&filter), page_request(&pq)) {
        (Ok(f), Ok(page)) => (Some((state.app.ticket_queue(&v.user, &f, &page).await?, page)), None),
        (Err(e), _) | (_, Err(e)) => (None, Some(e)),
    };
    let (status, errors) = p.failure(err.as_ref());
    let cal = state.app.store.calendar().await?;
    let now = state.app.now();
    let (tickets, pager) = match found {
        Some((found, page)) => {
            let pager = Pager::new(
                "/desk/tickets",
                &[
                    ("state", filter.state.as_deref()),
                    ("category", filter.category.as_deref()),
                    ("assignee", filter.assignee.as_deref()),
                    ("limit", pq.limit.as_deref()),
                ],
                found.next.as_ref(),
                page.after.is_some(),
            );
            (found.items.iter().map(|(t, _)| TicketDto::new(t, &cal, p.lang, now)).collect(), pager)
        }
        None => (Vec::new(), Pager::default()),
    };
    Ok(render(status, &DeskPage { p, tickets, filter, errors, states, categories, pager }))
}

/// How many of an application's tickets its page lists (the rest: the tickets list).
const LINKED_SHOWN: u32 = 20;

/// The tickets about application `a` (newest first), for its page (a draft has none).
pub(crate) async fn linked(
    state: &AppState,
    viewer: &redress_app::User,
    a: &redress_domain::application::Application,
    lang: crate::i18n::Lang,
) -> Result<Vec<TicketDto>, ApiError> {
    let Some(no) = &a.no else { return Ok(Vec::new()) };
    let page = redress_app::PageRequest::first(LINKED_SHOWN);
    let found = state.app.tickets(TicketsOf::Application(no), viewer, &page).await?;
    let cal = state.app.store.calendar().await?;
    let now = state.app.now();
    Ok(found.items.iter().map(|t| TicketDto::new(t, &cal, lang, now)).collect())
}

/// The first page of an application's thread, for its page (the buyer's or the desk's).
pub(crate) async fn thread_of(
    state: &AppState,
    viewer: &redress_app::User,
    no: &redress_domain::ids::ApplicationRef,
) -> Result<Vec<MessageDto>, ApiError> {
    let page = redress_app::PageRequest::first(redress_app::MAX_LIMIT);
    let found = state.app.application_thread(no, viewer, &page).await?;
    let base = if viewer.role.is_staff() {
        format!("/desk/{no}/message-files")
    } else {
        format!("/applications/{no}/message-files")
    };
    Ok(found.messages.items.iter().map(|m| MessageDto::new(m, &found.files, &base)).collect())
}

/// A file on a ticket's message, for whoever sees the message.
pub async fn file(State(state): State<AppState>, v: Viewer, Path((no, id)): Path<(String, String)>) -> PageResult {
    let no = ticket_no(&no)?;
    let f = state.app.ticket_file(&no, &id, &v.user).await?;
    crate::files::stored_response(&state, &f.file).await
}

/// A file on a message of an application's thread (the buyer's page's and the desk's).
pub async fn message_file(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, id)): Path<(String, String)>,
) -> PageResult {
    let no = crate::extract::application_ref(&no)?;
    let f = state.app.application_message_file(&no, &id, &v.user).await?;
    crate::files::stored_response(&state, &f.file).await
}
