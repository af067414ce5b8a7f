//! The buyer's pages, in the order of docs/product.md §3: orders (个人中心 / 订单管理), the refund form with its
//! live entitlement explanation and server-side drafts, application records, the detail page
//! with its timeline (withdraw, supplement, appeal), and the help page with the accepted policy.

use super::files::Files;
use super::{DoneQuery, FieldErrors, Form, Page, Pager, Viewer, render};
use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{AmountInput, ApplicationDto, EntitlementDto, OrderDto, TimelineDto};
use crate::dto::{ClauseDto, PolicyDto};
use crate::error::ApiError;
use crate::extract::{Path, application_ref, order_no};
use crate::files::{FormField, MAX_MESSAGE_FILES, Posted, carrying, text_field};
use crate::forms::{PageQuery, page_request, parse_form};
use askama::Template;
use axum::extract::Multipart;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use redress_domain::application::{Application, ApplicationState, DraftInput, Reason};
use redress_domain::ids::ApplicationRef;
use redress_domain::order::latest_delivered;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

type PageResult = Result<Response, ApiError>;

/// How many of what waits for the buyer the landing page shows (the rest: "my applications").
const AWAITING_SHOWN: u32 = 10;

#[derive(Template)]
#[template(path = "buyer/orders.html")]
struct OrdersPage {
    p: Page,
    /// What waits for the buyer, first on their landing page: applications, and tickets
    /// (number, subject) answered by support.
    awaiting: Vec<ApplicationDto>,
    replies: Vec<(String, String)>,
    orders: Vec<OrderDto>,
    drafts: HashMap<String, String>,
    pager: Pager,
}

impl OrdersPage {
    fn draft_of(&self, order: &str) -> Option<&String> {
        self.drafts.get(order)
    }
}

pub async fn orders(
    State(state): State<AppState>,
    v: Viewer,
    q: Query<DoneQuery>,
    Query(pq): Query<PageQuery>,
) -> PageResult {
    v.require_buyer()?;
    let page = page_request(&pq)?;
    let summaries = state.app.buyer_orders(&v.user, &page).await?;
    let awaiting = state.app.awaiting_buyer(&v.user, AWAITING_SHOWN).await?;
    let replies = state.app.tickets_awaiting(&v.user, AWAITING_SHOWN).await?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let mut p = v.page;
    q.apply(&mut p, "");
    let page = OrdersPage {
        awaiting: awaiting.iter().map(|a| ApplicationDto::new(a, p.lang, now, &cal).for_buyer()).collect(),
        replies: replies.into_iter().map(|t| (t.no.to_string(), t.subject)).collect(),
        orders: summaries.items.iter().map(|s| OrderDto::from_summary(s, p.lang)).collect(),
        drafts: summaries
            .items
            .iter()
            .filter_map(|s| Some((s.order.no.to_string(), ApplicationRef::Draft(s.draft.clone()?).to_string())))
            .collect(),
        pager: Pager::new("/orders", &[("limit", pq.limit.as_deref())], summaries.next.as_ref(), page.after.is_some()),
        p,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The refund form, for a new application or a draft.
#[derive(Template)]
#[template(path = "buyer/apply.html")]
struct ApplyPage {
    p: Page,
    order: OrderDto,
    ent: EntitlementDto,
    /// The draft's number, once there is a draft.
    no: Option<String>,
    form: ApplyForm,
    errors: FieldErrors,
    reasons: Vec<(String, String)>,
    files: Files,
}

impl ApplyPage {
    fn action_url(&self) -> String {
        match &self.no {
            Some(no) => format!("/applications/{no}/edit"),
            None => format!("/orders/{}/apply", self.order.order_no),
        }
    }

    fn is_reason(&self, code: &str) -> bool {
        self.form.reason == code
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ApplyForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    description: String,
    /// `save`, `submit` or `delete`.
    #[serde(default)]
    action: String,
}

impl ApplyForm {
    fn of(a: &Application) -> ApplyForm {
        ApplyForm {
            reason: a.reason.as_str().to_owned(),
            amount: a.requested.yuan_string(),
            description: a.description.clone(),
            action: String::new(),
        }
    }

    fn input(&self) -> Result<DraftInput, ApiError> {
        let amount = (!self.amount.trim().is_empty()).then(|| AmountInput::Text(self.amount.trim().to_owned()));
        let (reason, amount) = parse_form(&self.reason, amount.as_ref())?;
        let amount = amount.ok_or_else(|| ApiError::field("amount", ErrorCode::AmountMalformed))?;
        Ok(DraftInput { reason, description: self.description.clone(), amount })
    }
}

/// Renders the form with what the buyer typed and, if any, the error next to its field.
async fn form_page(
    state: &AppState,
    v: Viewer,
    order: &str,
    draft: Option<&Application>,
    form: ApplyForm,
    err: Option<ApiError>,
) -> PageResult {
    let order_no = order_no(order)?;
    let ent = state.app.entitlement(&order_no, &v.user, draft.map(|a| &a.id)).await?;
    let no = draft.map(Application::reference);
    let order = state.app.order(&order_no).await?;
    let delivered = latest_delivered(&state.app.deliveries(&order_no).await?);
    let mut p = v.page;
    let (status, errors) = p.failure(err.as_ref());
    let files = match &no {
        Some(no) => Files::of(state, &v.user, no, p.lang, true).await?,
        None => Files::default(),
    };
    let page = ApplyPage {
        files,
        order: OrderDto::new(&order, delivered, &ent, p.lang),
        ent: EntitlementDto::new(&ent, p.lang),
        no: no.as_ref().map(ToString::to_string),
        form,
        errors,
        reasons: Reason::ALL.iter().map(|r| (r.as_str().to_owned(), p.t(&format!("reason-{}", r.as_str())))).collect(),
        p,
    };
    Ok(render(status, &page))
}

pub async fn new_form(State(state): State<AppState>, v: Viewer, Path(order): Path<String>) -> PageResult {
    v.require_buyer()?;
    let no = order_no(&order)?;
    if let Some(draft) = state.app.draft_on(&no, &v.user).await? {
        return Ok(Redirect::to(&format!("/applications/{}/edit", ApplicationRef::Draft(draft))).into_response());
    }
    let ent = state.app.entitlement(&no, &v.user, None).await?;
    let form = ApplyForm { amount: ent.max_refundable.yuan_string(), ..ApplyForm::default() };
    form_page(&state, v, &order, None, form, None).await
}

/// Autosave requests (from `app.js`) get JSON instead of a page.
fn is_autosave(headers: &HeaderMap) -> bool {
    headers.contains_key("x-redress-autosave")
}

fn autosaved(no: &ApplicationRef, p: &Page, now: Timestamp) -> Response {
    let body = serde_json::json!({
        "edit": format!("/applications/{no}/edit"),
        "message": p.t1("page-draft-autosaved", "date", &p.time(&now)),
    });
    axum::Json(body).into_response()
}

fn autosave_failed(err: &ApiError, p: &Page) -> Response {
    (err.status, axum::Json(serde_json::json!({ "message": err.render(p.lang).message }))).into_response()
}

pub async fn create(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(order): Path<String>,
    Form(form): Form<ApplyForm>,
) -> PageResult {
    v.require_buyer()?;
    let order_no = order_no(&order)?;
    let input = match form.input() {
        Ok(i) => i,
        Err(e) if is_autosave(&headers) => return Ok(autosave_failed(&e, &v.page)),
        Err(e) => return form_page(&state, v, &order, None, form, Some(e)).await,
    };
    let draft = match state.app.create_draft(&order_no, &v.user, input).await {
        Ok(d) => d,
        Err(e) if is_autosave(&headers) => return Ok(autosave_failed(&e.into(), &v.page)),
        Err(e) => return form_page(&state, v, &order, None, form, Some(e.into())).await,
    };
    if is_autosave(&headers) {
        return Ok(autosaved(&draft.reference(), &v.page, state.app.now()));
    }
    finish(&state, v, draft, form).await
}

/// After a draft is saved: stay on it, or submit it.
async fn finish(state: &AppState, v: Viewer, draft: Application, form: ApplyForm) -> PageResult {
    if form.action != "submit" {
        return Ok(Redirect::to(&format!("/applications/{}/edit?done=saved", draft.reference())).into_response());
    }
    match state.app.submit(&draft.reference(), &v.user).await {
        Ok(a) => Ok(Redirect::to(&format!("/applications/{}?done=submitted", a.reference())).into_response()),
        Err(e) => form_page(state, v, draft.order_no.as_str(), Some(&draft), form, Some(e.into())).await,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    mut v: Viewer,
    Path(no): Path<String>,
    q: Query<DoneQuery>,
) -> PageResult {
    v.require_buyer()?;
    let no = application_ref(&no)?;
    let a = state.app.application_for(&no, &v.user).await?;
    if a.state != ApplicationState::Draft {
        return Ok(Redirect::to(&format!("/applications/{no}")).into_response());
    }
    q.apply(&mut v.page, no.as_str());
    form_page(&state, v, a.order_no.as_str(), Some(&a), ApplyForm::of(&a), None).await
}

pub async fn edit(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(no): Path<String>,
    Form(form): Form<ApplyForm>,
) -> PageResult {
    v.require_buyer()?;
    let no = application_ref(&no)?;
    let a = state.app.application_for(&no, &v.user).await?;
    if form.action == "delete" {
        let files = state.app.delete_draft(&no, &v.user).await?;
        state.app.forget_files(files).await;
        return Ok(Redirect::to("/orders?done=deleted").into_response());
    }
    let order = a.order_no.to_string();
    let input = match form.input() {
        Ok(i) => i,
        Err(e) if is_autosave(&headers) => return Ok(autosave_failed(&e, &v.page)),
        Err(e) => return form_page(&state, v, &order, Some(&a), form, Some(e)).await,
    };
    match state.app.update_draft(&no, &v.user, input).await {
        Ok(_) if is_autosave(&headers) => Ok(autosaved(&no, &v.page, state.app.now())),
        Ok(draft) => finish(&state, v, draft, form).await,
        Err(e) if is_autosave(&headers) => Ok(autosave_failed(&e.into(), &v.page)),
        Err(e) => form_page(&state, v, &order, Some(&a), form, Some(e.into())).await,
    }
}

#[derive(Template)]
#[template(path = "buyer/applications.html")]
struct ApplicationsPage {
    p: Page,
    apps: Vec<ApplicationDto>,
    pager: Pager,
}

pub async fn applications(State(state): State<AppState>, v: Viewer, Query(pq): Query<PageQuery>) -> PageResult {
    v.require_buyer()?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let page = page_request(&pq)?;
    let apps = state.app.applications_of(&v.user, &page).await?;
    let p = v.page;
    let page = ApplicationsPage {
        apps: apps.items.iter().map(|a| ApplicationDto::new(a, p.lang, now, &cal).for_buyer()).collect(),
        pager: Pager::new("/applications", &[("limit", pq.limit.as_deref())], apps.next.as_ref(), page.after.is_some()),
        p,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "buyer/detail.html")]
struct DetailPage {
    p: Page,
    app: ApplicationDto,
    order: OrderDto,
    ent: EntitlementDto,
    timeline: Vec<TimelineDto>,
    /// What the buyer typed into an action form that failed, kept.
    text: String,
    errors: FieldErrors,
    files: Files,
    payouts: Vec<crate::dto::PayoutDto>,
    payouts_for_staff: bool,
    /// Which of the buyer's actions the application's state allows (the domain decides).
    can_withdraw: bool,
    can_supplement: bool,
    can_appeal: bool,
    /// The tickets about it.
    tickets: Vec<crate::api::tickets::TicketDto>,
    /// Its message thread (the first page), and what the buyer typed into it, kept.
    messages: Vec<crate::api::tickets::MessageDto>,
    thread_text: String,
    /// Buyers write no notes.
    thread_note: bool,
    /// The statutory period passed: the complaint route is offered.
    complaint: bool,
}

impl DetailPage {
    /// The staff's latest information request, shown above the answer box.
    fn info_request(&self) -> Option<String> {
        self.timeline.iter().rev().find(|e| e.kind == "info_requested").map(|e| self.p.event_note(e))
    }
}

async fn detail_page(state: &AppState, v: Viewer, no: &str, text: String, err: Option<ApiError>) -> PageResult {
    detail_page_with(state, v, no, (text, String::new()), err).await
}

/// The detail page; `texts`: what was typed into an action's box and into the thread's.
async fn detail_page_with(
    state: &AppState,
    mut v: Viewer,
    no: &str,
    texts: (String, String),
    err: Option<ApiError>,
) -> PageResult {
    let (text, thread_text) = texts;
    let no = application_ref(no)?;
    let d = state.app.detail(&no, &v.user).await?;
    let now = state.app.now();
    let cal = state.app.store.calendar().await?;
    let lang = v.page.lang;
    let (status, errors) = v.page.failure(err.as_ref());
    let files = Files::of(state, &v.user, &no, lang, true).await?;
    let (view, a) = (&d.view, &d.view.application);
    let payouts = crate::dto::PayoutDto::list(state, &d.payouts, lang).await?;
    let tickets = super::tickets::linked(state, &v.user, a, lang).await?;
    let messages = super::tickets::thread_of(state, &v.user, &no).await?;
    let app = ApplicationDto::new(a, lang, now, &cal).for_buyer();
    let page = DetailPage {
        complaint: a.complaint_open(&cal, now),
        app,
        tickets,
        messages,
        thread_text,
        thread_note: false,
        files,
        payouts,
        payouts_for_staff: false,
        can_withdraw: a.can_withdraw(),
        can_supplement: a.can_supplement(),
        can_appeal: a.can_appeal(),
        order: OrderDto::new(&view.order, d.delivered(), &d.order_now, lang),
        ent: EntitlementDto::new(&d.entitlement, lang),
        timeline: view.timeline.iter().map(|t| TimelineDto::new(t, lang)).collect(),
        text,
        errors,
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
    v.require_buyer()?;
    q.apply(&mut v.page, &no);
    detail_page(&state, v, &no, String::new(), None).await
}

#[derive(Deserialize, Default)]
pub struct TextForm {
    #[serde(default)]
    text: String,
    /// A message on the application's thread.
    #[serde(default)]
    body: String,
    /// What an answer's files show (an evidence kind).
    #[serde(default)]
    kind: String,
}

/// The fields of the forms on an application's page besides their files.
const TEXT_FIELDS: [FormField; 3] =
    [text_field("text", 8000), text_field("body", 4 * redress_domain::ticket::BODY_MAX), text_field("kind", 64)];

/// What a buyer does to an application from its page (`/applications/{no}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BuyerAction {
    Withdraw,
    Supplement,
    Appeal,
    Message,
}

impl BuyerAction {
    fn parse(s: &str) -> Option<BuyerAction> {
        match s {
            "withdraw" => Some(BuyerAction::Withdraw),
            "supplement" => Some(BuyerAction::Supplement),
            "appeal" => Some(BuyerAction::Appeal),
            "message" => Some(BuyerAction::Message),
            _ => None,
        }
    }
}

/// Withdraw, answer an information request, or appeal.
pub async fn act(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, action)): Path<(String, String)>,
    posted: Posted<TextForm>,
) -> PageResult {
    v.require_buyer()?;
    let app_no = application_ref(&no)?;
    let action_is = BuyerAction::parse(&action).ok_or_else(ApiError::not_found)?;
    // Someone else's application is not found before any bytes are received.
    state.app.application_for(&app_no, &v.user).await?;
    let with_files = matches!(action_is, BuyerAction::Message | BuyerAction::Supplement);
    let (form, files) = posted.read(&state, &TEXT_FIELDS, if with_files { MAX_MESSAGE_FILES } else { 0 }).await?;
    let done: Result<_, ApiError> = match action_is {
        BuyerAction::Message => {
            let text = (form.body.as_str(), false);
            return match carrying(&state, files, |files| state.app.write_on_application(&app_no, &v.user, text, files))
                .await
            {
                Ok(seq) => Ok(Redirect::to(&format!("/applications/{no}?done=message#m{seq}")).into_response()),
                Err(e) => detail_page_with(&state, v, &no, (String::new(), form.body), Some(e)).await,
            };
        }
        BuyerAction::Withdraw => state.app.withdraw(&app_no, &v.user).await.map_err(Into::into),
        BuyerAction::Supplement => {
            let req = crate::api::applications::SupplementRequest {
                message: form.text.clone(),
                kind: Some(form.kind.clone()),
            };
            crate::api::applications::supplement_with(&state, &v.user, &app_no, &req, files).await
        }
        BuyerAction::Appeal => state.app.appeal(&app_no, &v.user, &form.text).await.map_err(Into::into),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{no}?done={action}")).into_response()),
        Err(e) => detail_page(&state, v, &no, form.text, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "buyer/help.html")]
struct HelpPage {
    p: Page,
    policies: Vec<(PolicyDto, Vec<(String, Timestamp)>)>,
}

impl HelpPage {
    fn clauses<'a>(&self, policy: &'a PolicyDto) -> &'a [ClauseDto] {
        &policy.clauses
    }
}

/// How refunds work, and the policy version each of the buyer's orders was bought under.
pub async fn help(State(state): State<AppState>, v: Viewer) -> PageResult {
    v.require_buyer()?;
    let mut by_version: BTreeMap<u32, Vec<(String, Timestamp)>> = BTreeMap::new();
    for (version, no, accepted) in state.app.buyer_policies(&v.user).await? {
        by_version.entry(version).or_default().push((no.to_string(), accepted));
    }
    let mut policies = vec![];
    for (version, accepted) in by_version.into_iter().rev() {
        let policy = state.app.policy(version).await?;
        policies.push((PolicyDto::new(&policy, v.page.lang), accepted));
    }
    Ok(render(StatusCode::OK, &HelpPage { p: v.page, policies }))
}

/// Upload a file from the refund form or the application page (a plain multipart form, or
/// `app.js` with a progress bar, which asks for JSON).
pub async fn upload(
    State(state): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(no): Path<String>,
    form: Multipart,
) -> PageResult {
    v.require_buyer()?;
    let app_no = application_ref(&no)?;
    let a = state.app.application_for(&app_no, &v.user).await?;
    let js = headers.contains_key("x-redress-upload");
    let page = if a.state == ApplicationState::Draft {
        format!("/applications/{no}/edit")
    } else {
        format!("/applications/{no}")
    };
    match crate::files::receive(&state, &v.user, &app_no, form).await {
        Ok(_) if js => Ok(axum::Json(serde_json::json!({ "next": format!("{page}?done=uploaded") })).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("{page}?done=uploaded")).into_response()),
        Err(e) if js => {
            Ok((e.status, axum::Json(serde_json::json!({ "message": e.render(v.page.lang).message }))).into_response())
        }
        Err(e) if a.state == ApplicationState::Draft => {
            form_page(&state, v, a.order_no.as_str(), Some(&a), ApplyForm::of(&a), Some(e)).await
        }
        Err(e) => detail_page(&state, v, &no, String::new(), Some(e)).await,
    }
}

/// A file, for its buyer.
pub async fn file(
    State(state): State<AppState>,
    v: Viewer,
    Path((no, id)): Path<(ApplicationRef, String)>,
) -> PageResult {
    crate::files::file_response(&state, &v.user, &no, &id).await
}

/// An image file's thumbnail or preview, rebuilt from its pixels (see `api::preview`).
pub async fn file_view(
    State(state): State<AppState>,
    v: Viewer,
    headers: axum::http::HeaderMap,
    Path((no, id, size)): Path<(String, String, String)>,
) -> PageResult {
    let size = crate::files::preview::Size::parse(&size).ok_or_else(ApiError::not_found)?;
    crate::files::preview::image_response(&state, &v.user, &no, &id, size, &headers).await
}

/// The case file (ZIP), in the page's language.
pub async fn case_file(State(state): State<AppState>, v: Viewer, Path(no): Path<String>) -> PageResult {
    crate::casefile::download(&state, &v.user, &no, v.page.lang).await
}
