//! Support tickets (docs/product.md §6): a buyer opens one and follows it; staff answer it
//! from the desk's queue, claim, hand over and release it, resolve it (or put it aside as spam,
//! or merge a duplicate). Internal notes are staff's own: a buyer never receives one here.
//! Someone else's ticket is not found, never forbidden.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::{ClockDto, Paged};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Admin, AuthUser, Buyer, Json, Path, Query, Staff};
use crate::files::{FormField, MAX_MESSAGE_FILES, Posted, carrying, flag_field, text_field};
use crate::forms::{PageQuery, both, page_request};
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use redress_app::MessageFile;
use redress_app::{TicketDetail, TicketFilter, TicketsOf};
use redress_domain::calendar::BusinessCalendar;
use redress_domain::ids::{ApplicationNo, OrderNo, TicketNo, Username};
use redress_domain::ticket::{BODY_MAX, SUBJECT_MAX};
use redress_domain::ticket::{Category, ClockKind, Message, NewTicket, Ticket, TicketState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    /// `TK-YYYYMMDD-XXXXXX`
    pub no: String,
    pub buyer: String,
    pub category: String,
    pub category_label: String,
    pub subject: String,
    /// open, waiting_on_staff, waiting_on_buyer, resolved or closed
    pub state: String,
    pub state_label: String,
    pub order_no: Option<String>,
    pub application_no: Option<String>,
    /// The staff member holding it (staff only: null for a buyer).
    pub assignee: Option<String>,
    /// solved, spam or merged, once resolved.
    pub resolution: Option<String>,
    pub merged_into: Option<String>,
    /// The nearest due time of a running clock.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// `breached` (a clock ran past its due time), `near_breach`, or none.
    pub mark: Option<String>,
    pub clocks: Vec<ClockDto>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// When a resolved ticket closes (it may be reopened until then).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub close_at: Option<Timestamp>,
    pub version: i64,
}

/// A ticket clock's name in the API.
fn clock_kind(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::FirstResponse => "first_response",
        ClockKind::NextResponse => "next_response",
        ClockKind::Resolution => "resolution",
    }
}

impl TicketDto {
    pub fn new(t: &Ticket, cal: &BusinessCalendar, lang: Lang, now: Timestamp) -> TicketDto {
        let clocks: Vec<ClockDto> =
            t.clocks.current().into_iter().map(|(k, c)| ClockDto::new(clock_kind(k), c, cal, now)).collect();
        let open = !matches!(t.state, TicketState::Resolved | TicketState::Closed);
        let mark = if !open {
            None
        } else if t.clocks.breached(cal, now) {
            Some("breached")
        } else if clocks.iter().any(|c| c.near_breach) {
            Some("near_breach")
        } else {
            None
        };
        TicketDto {
            no: t.no.to_string(),
            buyer: t.buyer.to_string(),
            category: t.category.as_str().to_owned(),
            category_label: lang.t(&format!("ticket-category-{}", t.category.as_str())),
            subject: t.subject.clone(),
            state: t.state.as_str().to_owned(),
            state_label: lang.t(&format!("ticket-state-{}", t.state.as_str())),
            order_no: t.order_no.as_ref().map(OrderNo::to_string),
            application_no: t.application_no.as_ref().map(ApplicationNo::to_string),
            assignee: t.assignee.as_ref().map(Username::to_string),
            resolution: t.resolution.map(|r| r.as_str().to_owned()),
            merged_into: t.merged_into.as_ref().map(TicketNo::to_string),
            due_at: if open { t.clocks.next_due(cal) } else { None },
            mark: mark.map(str::to_owned),
            clocks,
            created_at: t.created_at,
            updated_at: t.updated_at,
            close_at: t.close_at,
            version: t.version,
        }
    }
}

impl TicketDto {
    /// As `viewer` may see it: who on staff holds it is staff's own business.
    pub fn seen_by(mut self, viewer: &redress_app::User) -> TicketDto {
        if !viewer.role.is_staff() {
            self.assignee = None;
        }
        self
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub seq: i64,
    /// message (public), note (staff only) or status (what happened to the ticket)
    pub kind: String,
    pub author: String,
    pub author_role: String,
    /// None once redacted.
    pub body: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who redacted it, when and why.
    pub redacted_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub redacted_at: Option<Timestamp>,
    pub redaction_reason: Option<String>,
    /// The files it carries (none once redacted).
    pub files: Vec<MessageFileDto>,
}

/// A file on a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageFileDto {
    pub id: String,
    pub filename: String,
    /// In bytes.
    pub size: u64,
    pub media_type: String,
    /// Of its bytes, hex.
    pub sha256: String,
    /// Where it downloads from (as an attachment).
    pub url: String,
}

impl MessageDto {
    /// Message `m` with its files among `files`, which download from `{base}/{id}`.
    pub fn new(m: &Message, files: &[MessageFile], base: &str) -> MessageDto {
        let files = files
            .iter()
            .filter(|f| f.seq == m.seq)
            .map(|f| MessageFileDto {
                id: f.id.clone(),
                filename: f.file.filename.clone(),
                size: f.file.size,
                media_type: f.file.media_type.mime().to_owned(),
                sha256: f.file.sha256.clone(),
                url: format!("{base}/{}", f.id),
            })
            .collect();
        MessageDto {
            seq: m.seq,
            kind: m.kind.as_str().to_owned(),
            author: m.author.clone(),
            author_role: m.author_role.as_str().to_owned(),
            body: m.body.clone(),
            at: m.at,
            redacted_by: m.redaction.as_ref().map(|r| r.by.clone()),
            redacted_at: m.redaction.as_ref().map(|r| r.at),
            redaction_reason: m.redaction.as_ref().map(|r| r.reason.clone()),
            files,
        }
    }

    /// The size in words (`1.2 MB`).
    pub fn size(&self, f: &MessageFileDto) -> String {
        crate::casefile::size_label(f.size)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetailDto {
    pub ticket: TicketDto,
    /// The statutory clock of the application it is about (staff always; the buyer once its
    /// period has passed; none for a ticket about no application).
    pub statutory: Option<crate::dto::StatutoryDto>,
    /// A page of its thread, oldest first (staff also see internal notes).
    pub messages: Paged<MessageDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketRequest {
    #[schema(schema_with = category_schema)]
    pub category: String,
    /// At most 120 characters.
    pub subject: String,
    /// The question: at most 5000 characters.
    pub body: String,
    /// The buyer's own order it is about.
    pub order_no: Option<String>,
    /// The buyer's own application it is about (its order is then the order).
    pub application_no: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteRequest {
    /// At most 5000 characters.
    pub body: String,
    /// Staff only: a note other staff see, never the buyer.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// Put aside as spam: closed at once, cannot be reopened.
    #[serde(default)]
    pub spam: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The open ticket of the same buyer it duplicates.
    pub into: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Who holds it next: yourself (a claim), a colleague, or null (a release).
    pub assignee: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    /// Why (kept in the tombstone): at most 5000 characters.
    pub reason: String,
}

fn category_schema() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(Category::ALL.iter().map(|c| c.as_str())))
        .build()
}

fn ticket_state_schema() -> utoipa::openapi::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(TicketState::ALL.iter().map(|c| c.as_str())))
        .build()
}

/// Whose tickets a list holds: at most one of the two (none: the signed-in buyer's own).
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct TicketsQuery {
    pub order_no: Option<String>,
    pub application_no: Option<String>,
}

/// The desk queue's filters.
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct DeskQuery {
    #[param(schema_with = ticket_state_schema)]
    pub state: Option<String>,
    #[param(schema_with = category_schema)]
    pub category: Option<String>,
    /// Held by this staff member.
    pub assignee: Option<String>,
}

pub(crate) fn desk_filter(q: &DeskQuery) -> Result<TicketFilter, ApiError> {
    let mut err: Option<ApiError> = None;
    let mut fail = |field: &'static str, code: ErrorCode| {
        let e = ApiError::field(field, code);
        match &mut err {
            Some(all) => all.fields.extend(e.fields),
            None => err = Some(e),
        }
    };
    let state = q.state.as_deref().map(TicketState::parse);
    if state == Some(None) {
        fail("state", ErrorCode::TicketStateUnknown);
    }
    let category = q.category.as_deref().map(Category::parse);
    if category == Some(None) {
        fail("category", ErrorCode::CategoryUnknown);
    }
    let assignee = q.assignee.as_deref().map(Username::parse);
    if matches!(assignee, Some(Err(_))) {
        fail("assignee", ErrorCode::UsernameMalformed);
    }
    match err {
        Some(e) => Err(e),
        None => Ok(TicketFilter {
            state: state.flatten(),
            category: category.flatten(),
            assignee: assignee.and_then(Result::ok),
        }),
    }
}

type TicketJson = axum::Json<TicketDto>;

async fn dto(state: &AppState, t: &Ticket, viewer: &redress_app::User, lang: Lang) -> ApiResult<TicketJson> {
    let cal = state.app.store.calendar().await?;
    Ok(axum::Json(TicketDto::new(t, &cal, lang, state.app.now()).seen_by(viewer)))
}

/// The fields of a new ticket sent as a multipart form with files.
pub(crate) const NEW_TICKET_FIELDS: [FormField; 5] = [
    text_field("category", 64),
    text_field("subject", 4 * SUBJECT_MAX),
    text_field("body", 4 * BODY_MAX),
    text_field("order_no", 64),
    text_field("application_no", 64),
];

/// The fields of a message sent as a multipart form with files.
const WRITE_FIELDS: [FormField; 2] = [text_field("body", 4 * BODY_MAX), flag_field("internal")];

/// A new ticket as a multipart form: its fields, and up to three files (`file`), for the
/// OpenAPI document.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewTicketUpload {
    #[schema(schema_with = category_schema)]
    category: String,
    subject: String,
    body: String,
    order_no: Option<String>,
    application_no: Option<String>,
    #[schema(value_type = Option<Vec<String>>, format = Binary, max_items = 3)]
    file: Option<Vec<Vec<u8>>>,
}

/// A message as a multipart form: its fields, and up to three files (`file`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct WriteUpload {
    body: String,
    internal: Option<bool>,
    #[schema(value_type = Option<Vec<String>>, format = Binary, max_items = 3)]
    file: Option<Vec<Vec<u8>>>,
}

/// Open a support ticket (about one of my orders or applications, or anything). JSON, or a
/// multipart form of the same fields with up to three files (JPEG, PNG or PDF, as evidence).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("buyer_session" = [])),
    request_body(content((NewTicketRequest = "application/json"), (NewTicketUpload = "multipart/form-data"))),
    responses((status = 201, body = TicketDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    posted: Posted<NewTicketRequest>,
) -> ApiResult<(StatusCode, TicketJson)> {
    let (req, files) = posted.read(&state, &NEW_TICKET_FIELDS, MAX_MESSAGE_FILES).await?;
    let category =
        Category::parse(&req.category).ok_or_else(|| ApiError::field("category", ErrorCode::CategoryUnknown));
    let order_no = match req.order_no.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OrderNo::parse(s).map(Some).map_err(|_| ApiError::field("order_no", ErrorCode::OrderNoMalformed)),
    };
    let (category, order_no) = both(category, order_no)?;
    // A number that is no application's names nothing: not found, as someone else's.
    let application_no = match req.application_no.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(ApplicationNo::parse(s).map_err(|_| ApiError::not_found())?),
    };
    let input = NewTicket { category, subject: req.subject, body: req.body, order_no, application_no };
    let t = carrying(&state, files, |files| state.app.open_ticket(&user, input, files)).await?;
    Ok((StatusCode::CREATED, dto(&state, &t, &user, lang).await?))
}

/// A page of tickets, newest first: my own, or (staff too) an order's or an application's.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(TicketsQuery, PageQuery),
    responses((status = 200, body = Paged<TicketDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Query(q): Query<TicketsQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<TicketDto>>> {
    let page = page_request(&pq)?;
    let (order, application) = (q.order_no.filter(|s| !s.is_empty()), q.application_no.filter(|s| !s.is_empty()));
    if order.is_some() && application.is_some() {
        return Err(ApiError::field("order_no", ErrorCode::SearchOneOf));
    }
    let order = order.map(|o| OrderNo::parse(&o)).transpose().map_err(|_| ApiError::not_found())?;
    let application = application.map(|a| ApplicationNo::parse(&a)).transpose().map_err(|_| ApiError::not_found())?;
    let of = match (&order, &application) {
        (Some(o), _) => TicketsOf::Order(o),
        (_, Some(a)) => TicketsOf::Application(a),
        // Staff have no tickets of their own: theirs is the desk's queue.
        (None, None) if user.role.is_staff() => return Err(ApiError::field("order_no", ErrorCode::SearchOneOf)),
        (None, None) => TicketsOf::Buyer(&user.username),
    };
    let items = state.app.tickets(of, &user, &page).await?;
    let cal = state.app.store.calendar().await?;
    let now = state.app.now();
    Ok(axum::Json(Paged::new(items, |t| TicketDto::new(&t, &cal, lang, now).seen_by(&user))))
}

/// A ticket with a page of its thread.
#[utoipa::path(get, path = "/api/v1/tickets/{no}", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), PageQuery),
    responses((status = 200, body = TicketDetailDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<TicketNo>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<TicketDetailDto>> {
    let page = page_request(&pq)?;
    let TicketDetail { ticket, thread, files, .. } = state.app.ticket_detail(&no, &user, &page).await?;
    let cal = state.app.store.calendar().await?;
    let base = format!("/api/v1/tickets/{no}/files");
    let (statutory, _) = crate::dto::linked_application(&state, &user, ticket.application_no.as_ref(), lang).await?;
    Ok(axum::Json(TicketDetailDto {
        statutory,
        ticket: TicketDto::new(&ticket, &cal, lang, state.app.now()).seen_by(&user),
        messages: Paged::new(thread, |m| MessageDto::new(&m, &files, &base)),
    }))
}

/// A file on a message of the ticket, as an attachment (a file on an internal note: staff only).
#[utoipa::path(get, path = "/api/v1/tickets/{no}/files/{id}", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), ("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((no, id)): Path<(TicketNo, String)>,
) -> ApiResult<axum::response::Response> {
    let f = state.app.ticket_file(&no, &id, &user).await?;
    crate::files::stored_response(&state, &f.file).await
}

/// Write on a ticket: the buyer a message; staff a reply to the buyer, or an internal note.
/// JSON, or a multipart form of the same fields with up to three files.
#[utoipa::path(post, path = "/api/v1/tickets/{no}/messages", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path)), request_body(content((WriteRequest = "application/json"), (WriteUpload = "multipart/form-data"))),
    responses((status = 200, body = TicketDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn write(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<TicketNo>,
    posted: Posted<WriteRequest>,
) -> ApiResult<TicketJson> {
    // Someone else's ticket is not found before any bytes are received.
    state.app.ticket_for(&no, &user).await?;
    let (req, files) = posted.read(&state, &WRITE_FIELDS, MAX_MESSAGE_FILES).await?;
    let text = (req.body.as_str(), req.internal);
    let t = carrying(&state, files, |files| state.app.write_ticket(&no, &user, text, files)).await?;
    dto(&state, &t, &user, lang).await
}

/// Reopen a resolved ticket (while its reopening time lasts).
#[utoipa::path(post, path = "/api/v1/tickets/{no}/reopen", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = TicketDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reopen(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<TicketNo>,
) -> ApiResult<TicketJson> {
    let t = state.app.reopen_ticket(&no, &user).await?;
    dto(&state, &t, &user, lang).await
}

/// Resolve a ticket (or put it aside as spam).
#[utoipa::path(post, path = "/api/v1/tickets/{no}/resolve", tag = "tickets", security(("staff_session" = [])),
    params(("no" = String, Path)), request_body = ResolveRequest,
    responses((status = 200, body = TicketDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<TicketNo>,
    Json(req): Json<ResolveRequest>,
) -> ApiResult<TicketJson> {
    let t = state.app.resolve_ticket(&no, &user, req.spam).await?;
    dto(&state, &t, &user, lang).await
}

/// Merge a duplicate into another open ticket of the same buyer (closed, its clocks stopped).
#[utoipa::path(post, path = "/api/v1/tickets/{no}/merge", tag = "tickets", security(("staff_session" = [])),
    params(("no" = String, Path)), request_body = MergeRequest,
    responses((status = 200, body = TicketDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<TicketNo>,
    Json(req): Json<MergeRequest>,
) -> ApiResult<TicketJson> {
    let into = TicketNo::parse(req.into.trim())
        .map_err(|_| ApiError::from(redress_domain::ticket::TicketError::MergeTarget))?;
    let t = state.app.merge_ticket(&no, &user, &into).await?;
    dto(&state, &t, &user, lang).await
}

/// Claim a ticket, hand it to a colleague, or release it.
#[utoipa::path(post, path = "/api/v1/tickets/{no}/assign", tag = "tickets", security(("staff_session" = [])),
    params(("no" = String, Path)), request_body = AssignRequest,
    responses((status = 200, body = TicketDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Path(no): Path<TicketNo>,
    Json(req): Json<AssignRequest>,
) -> ApiResult<TicketJson> {
    let to = match req.assignee.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Username::parse(s).map_err(|_| ApiError::field("assignee", ErrorCode::UsernameMalformed))?),
    };
    let t = state.app.assign_ticket(&no, &user, to.as_ref()).await?;
    dto(&state, &t, &user, lang).await
}

/// Redact a message of a ticket's thread (an ID-card number posted, abuse): its text is
/// removed; who, when and why remain.
#[utoipa::path(post, path = "/api/v1/tickets/{no}/messages/{seq}/redact", tag = "tickets", security(("admin_session" = [])),
    params(("no" = String, Path), ("seq" = i64, Path)), request_body = RedactRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn redact(
    State(state): State<AppState>,
    Admin(user): Admin,
    Path((no, seq)): Path<(TicketNo, i64)>,
    Json(req): Json<RedactRequest>,
) -> ApiResult<StatusCode> {
    state.app.redact_ticket_message(&no, seq, &user, &req.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The desk's queue of tickets not yet resolved, nearest due time first (those waiting on the
/// buyer last), breached and near-breach ones marked.
#[utoipa::path(get, path = "/api/v1/desk/tickets", tag = "tickets", security(("staff_session" = [])),
    params(DeskQuery, PageQuery),
    responses((status = 200, body = Paged<TicketDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn desk(
    State(state): State<AppState>,
    Staff(user): Staff,
    lang: Lang,
    Query(q): Query<DeskQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<TicketDto>>> {
    let (filter, page) = both(desk_filter(&q), page_request(&pq))?;
    let items = state.app.ticket_queue(&user, &filter, &page).await?;
    let cal = state.app.store.calendar().await?;
    let now = state.app.now();
    Ok(axum::Json(Paged::new(items, |(t, _)| TicketDto::new(&t, &cal, lang, now))))
}

/// A page of an application's message thread, oldest first (staff also see internal notes).
#[utoipa::path(get, path = "/api/v1/applications/{no}/messages", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), PageQuery),
    responses((status = 200, body = Paged<MessageDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn thread(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(no): Path<redress_domain::ids::ApplicationRef>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<axum::Json<Paged<MessageDto>>> {
    let page = page_request(&pq)?;
    let found = state.app.application_thread(&no, &user, &page).await?;
    let base = format!("/api/v1/applications/{no}/message-files");
    Ok(axum::Json(Paged::new(found.messages, |m| MessageDto::new(&m, &found.files, &base))))
}

/// A file on a message of the application's thread, as an attachment.
#[utoipa::path(get, path = "/api/v1/applications/{no}/message-files/{id}", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), ("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn message_file(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((no, id)): Path<(redress_domain::ids::ApplicationRef, String)>,
) -> ApiResult<axum::response::Response> {
    let f = state.app.application_message_file(&no, &id, &user).await?;
    crate::files::stored_response(&state, &f.file).await
}

/// The message just written, by its number.
#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenDto {
    pub seq: i64,
}

/// Write on an application's thread: its buyer a message; staff a reply, or an internal note.
/// JSON, or a multipart form of the same fields with up to three files.
#[utoipa::path(post, path = "/api/v1/applications/{no}/messages", tag = "tickets", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path)), request_body(content((WriteRequest = "application/json"), (WriteUpload = "multipart/form-data"))),
    responses((status = 201, body = WrittenDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn write_on_application(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(no): Path<redress_domain::ids::ApplicationRef>,
    posted: Posted<WriteRequest>,
) -> ApiResult<(StatusCode, axum::Json<WrittenDto>)> {
    state.app.application_for(&no, &user).await?;
    let (req, files) = posted.read(&state, &WRITE_FIELDS, MAX_MESSAGE_FILES).await?;
    let text = (req.body.as_str(), req.internal);
    let seq = carrying(&state, files, |files| state.app.write_on_application(&no, &user, text, files)).await?;
    Ok((StatusCode::CREATED, axum::Json(WrittenDto { seq })))
}
