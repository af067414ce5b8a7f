//! What people type, parsed the same way for the API and the pages: a refund form's reason
//! and amount, and the review queue's filters. Every problem is reported at once, field by
//! field.

use crate::codes::ErrorCode;
use crate::dto::AmountInput;
use crate::error::{ApiError, FieldError};
use redress_app::{AppsOf, Cursor, DEFAULT_LIMIT, MAX_LIMIT, PageRequest, QueueFilter};
use redress_domain::application::{ApplicationState, Reason};
use redress_domain::ids::{ApplicationNo, OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use serde::Deserialize;
use utoipa::IntoParams;

/// Parses reason and amount together so the form shows every problem at once.
pub fn parse_form(reason: &str, amount: Option<&AmountInput>) -> Result<(Reason, Option<Fen>), ApiError> {
    let mut fields = vec![];
    let reason = Reason::parse(reason);
    if reason.is_none() {
        fields.push(FieldError::new("reason", ErrorCode::ReasonUnknown));
    }
    let amount = match amount.map(AmountInput::parse) {
        Some(Ok(f)) if f <= Fen::ZERO => {
            fields.push(FieldError::new("amount", ErrorCode::AmountNotPositive));
            None
        }
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            fields.push(FieldError::of("amount", e.code()));
            None
        }
        None => None,
    };
    match reason {
        Some(r) if fields.is_empty() => Ok((r, amount)),
        _ => Err(ApiError::invalid(fields)),
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// A state; default: everything waiting for staff (submitted, in_review, info_requested,
    /// appealed). Any other state lists nothing.
    #[param(schema_with = schemas::state)]
    pub state: Option<String>,
    #[param(schema_with = schemas::reason)]
    pub reason: Option<String>,
    /// The order's payment channel.
    #[param(schema_with = schemas::channel)]
    pub channel: Option<String>,
    /// Yuan, e.g. `20` or `20.50`.
    #[param(schema_with = schemas::yuan)]
    pub min_amount: Option<String>,
    /// Yuan, e.g. `20` or `20.50`.
    #[param(schema_with = schemas::yuan)]
    pub max_amount: Option<String>,
    /// The username of the reviewer holding it.
    pub assignee: Option<String>,
}

/// The OpenAPI schemas of values the API parses itself, made from the domain's own lists so
/// the document cannot drift from what is accepted.
pub mod schemas {
    use redress_domain::application::{ApplicationState, Reason};
    use redress_domain::order::Channel;
    use utoipa::openapi::Object;
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    /// What `Fen::parse_yuan` reads: digits with at most two decimals, a currency sign and
    /// surrounding spaces allowed. (It also refuses zero and amounts above the maximum, which
    /// a pattern cannot say.)
    pub const YUAN_PATTERN: &str = r"^\s*[¥￥]*\s*[0-9]+(\.[0-9]{1,2})?\s*$";

    fn one_of(values: impl Iterator<Item = &'static str>) -> Object {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).build()
    }

    pub fn state() -> Object {
        one_of(ApplicationState::ALL.iter().map(|s| s.as_str()))
    }

    pub fn reason() -> Object {
        one_of(Reason::ALL.iter().map(|r| r.as_str()))
    }

    pub fn channel() -> Object {
        one_of(Channel::ALL.iter().map(|c| c.as_str()))
    }

    pub fn notice_kind() -> Object {
        one_of(redress_domain::notify::NoticeKind::ALL.iter().map(|k| k.as_str()))
    }

    pub fn delivery_source() -> Object {
        one_of(redress_domain::order::DeliverySource::ALL.iter().map(|s| s.as_str()))
    }

    pub fn account_event_kind() -> Object {
        one_of(redress_domain::order::AccountEventKind::ALL.iter().map(|k| k.as_str()))
    }

    pub fn reject_code() -> Object {
        one_of(redress_domain::application::RejectCode::ALL.iter().map(|c| c.as_str()))
    }

    pub fn evidence_kind() -> Object {
        one_of(redress_domain::evidence::EvidenceKind::ALL.iter().map(|k| k.as_str()))
    }

    pub fn yuan() -> Object {
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(YUAN_PATTERN)).build()
    }
}

/// Which page of a list: every list takes these two (docs/api.md, "Lists").
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items (1 to 200; default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// The `next` of the page before; omit for the first page.
    pub after: Option<String>,
}

/// The page asked for, checked: a limit outside 1–200 or a cursor this server did not give is
/// a field error.
pub fn page_request(q: &PageQuery) -> Result<PageRequest, ApiError> {
    let mut fields = vec![];
    // Exactly what the OpenAPI document says: an integer from 1 to 200, in digits.
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) && s.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                fields.push(FieldError::new("limit", ErrorCode::LimitOutOfRange));
                DEFAULT_LIMIT
            }
        },
    };
    let after = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let c = Cursor::decode(s);
            if c.is_none() {
                fields.push(FieldError::new("after", ErrorCode::CursorInvalid));
            }
            c
        }
    };
    if fields.is_empty() { Ok(PageRequest { limit, after }) } else { Err(ApiError::invalid(fields)) }
}

pub fn queue_filter(q: &QueueQuery) -> Result<QueueFilter, ApiError> {
    let mut fields = vec![];
    let mut parse = |field: &'static str, code: ErrorCode, v: &Option<String>, ok: fn(&str) -> bool| {
        if let Some(v) = v
            && !ok(v)
        {
            fields.push(FieldError::new(field, code));
        }
    };
    parse("state", ErrorCode::StateUnknown, &q.state, |s| ApplicationState::parse(s).is_some());
    parse("reason", ErrorCode::ReasonUnknown, &q.reason, |s| Reason::parse(s).is_some());
    parse("channel", ErrorCode::ChannelUnknown, &q.channel, |s| Channel::parse(s).is_some());
    parse("min_amount", ErrorCode::AmountMalformed, &q.min_amount, |s| {
        redress_domain::money::Fen::parse_yuan(s).is_ok()
    });
    parse("max_amount", ErrorCode::AmountMalformed, &q.max_amount, |s| {
        redress_domain::money::Fen::parse_yuan(s).is_ok()
    });
    parse("assignee", ErrorCode::UsernameMalformed, &q.assignee, |s| Username::parse(s).is_ok());
    if !fields.is_empty() {
        return Err(ApiError::invalid(fields));
    }
    let yuan =
        |v: &Option<String>| v.as_deref().and_then(|s| redress_domain::money::Fen::parse_yuan(s).ok()).map(|f| f.0);
    Ok(QueueFilter {
        state: q.state.as_deref().and_then(ApplicationState::parse),
        reason: q.reason.as_deref().and_then(Reason::parse),
        channel: q.channel.as_deref().and_then(Channel::parse),
        min_fen: yuan(&q.min_amount),
        max_fen: yuan(&q.max_amount),
        assignee: q.assignee.as_deref().and_then(|s| Username::parse(s).ok()),
    })
}

/// Two checks' results, with every field error of both when either fails.
pub fn both<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut e), Err(f)) => {
            e.fields.extend(f.fields);
            Err(e)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// Staff's search: exactly one of the three.
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// An application number (RF-…).
    pub no: Option<String>,
    pub order_no: Option<String>,
    /// A buyer's username.
    pub buyer: Option<String>,
}

/// What [`SearchQuery`] asks for, owned.
pub enum Search {
    No(ApplicationNo),
    Order(OrderNo),
    Buyer(Username),
}

impl Search {
    pub fn as_ref(&self) -> AppsOf<'_> {
        match self {
            Search::No(n) => AppsOf::SearchNo(n),
            Search::Order(o) => AppsOf::SearchOrder(o),
            Search::Buyer(b) => AppsOf::SearchBuyer(b),
        }
    }
}

impl SearchQuery {
    pub fn parse(&self) -> Result<Search, ApiError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        match (given(&self.no), given(&self.order_no), given(&self.buyer)) {
            (Some(no), None, None) => {
                ApplicationNo::parse(&no).map(Search::No).map_err(|_| ApiError::field("no", ErrorCode::FieldInvalid))
            }
            (None, Some(o), None) => OrderNo::parse(&o)
                .map(Search::Order)
                .map_err(|_| ApiError::field("order_no", ErrorCode::OrderNoMalformed)),
            (None, None, Some(b)) => Username::parse(&b)
                .map(Search::Buyer)
                .map_err(|_| ApiError::field("buyer", ErrorCode::UsernameMalformed)),
            _ => Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::SearchOneOf)),
        }
    }
}
