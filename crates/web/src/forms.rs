//! What people type, parsed the same way for the API and the pages: a refund form's reason
//! and amount, and the review queue's filters. Every problem is reported at once, field by
//! field.

use crate::codes::ErrorCode;
use crate::dto::AmountInput;
use crate::error::{ApiError, FieldError};
use redress_app::QueueFilter;
use redress_domain::application::{ApplicationState, Reason};
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
pub struct QueueQuery {
    /// A state; default: everything waiting for staff (submitted, in_review, info_requested, appealed).
    pub state: Option<String>,
    pub reason: Option<String>,
    /// wechat_pay, alipay, bank_card
    pub channel: Option<String>,
    /// Yuan.
    pub min_amount: Option<String>,
    /// Yuan.
    pub max_amount: Option<String>,
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
        limit: 500,
    })
}
