//! The merchant ingest API: the merchant's systems push buyers, orders, payments, delivery
//! readings, account events and policy versions with a bearer API token (`redress admin token create`).
//! Every call is idempotent: the same message twice changes nothing; a message contradicting
//! what was recorded is refused with 409 and changes nothing. Machine-to-machine amounts are
//! integer fen.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{Json, Merchant, order_no};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use jiff::Timestamp;
use redress_app::Upserted;
use redress_domain::buyer::BuyerProfile;
use redress_domain::ids::Username;
use redress_domain::money::{Fen, MAX_FEN};
use redress_domain::order::{
    AccountEvent, AccountEventKind, Channel, DeliveryReading, DeliverySource, Order, Payment, Service,
};
use redress_domain::policy::Policy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIn {
    /// wechat_pay, alipay, bank_card
    #[schema(schema_with = crate::forms::schemas::channel)]
    pub channel: String,
    /// The channel's transaction id (WeChat Pay `transaction_id`, Alipay `trade_no`, …).
    pub transaction_id: String,
    pub amount_fen: i64,
    #[schema(value_type = String, format = DateTime)]
    pub paid_at: Timestamp,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    /// The buyer's Redress username.
    pub buyer: String,
    pub service: crate::dto::ServiceDto,
    /// The policy version the buyer ticked at purchase (must be published).
    pub policy_version: u32,
    #[schema(value_type = String, format = DateTime)]
    pub policy_accepted_at: Timestamp,
    pub payment: Option<PaymentIn>,
}

/// A buyer as the merchant's system knows them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerIn {
    /// The name shown to staff and in messages (1–100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    /// Where e-mail notifications go (`name@example.com`); empty or absent for none.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// 5–15 digits, optionally starting with `+`; empty or absent for none.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// The language Redress writes to them in (default zh-CN).
    pub language: Option<crate::dto::LanguageTag>,
}

/// A buyer's profile as recorded.
#[derive(Serialize, ToSchema)]
pub struct BuyerOut {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// zh-CN or en
    pub language: String,
}

#[derive(Serialize, ToSchema)]
pub struct UpsertResult {
    pub id: String,
    /// created, updated, unchanged
    pub result: String,
}

fn outcome(id: &str, u: Upserted) -> (StatusCode, axum::Json<UpsertResult>) {
    let status = if u == Upserted::Created { StatusCode::CREATED } else { StatusCode::OK };
    let result = serde_json::to_value(u).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    (status, axum::Json(UpsertResult { id: id.to_owned(), result }))
}

fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max
}

fn parse_payment(p: &PaymentIn, fields: &mut Vec<FieldError>) -> Option<Payment> {
    let channel = Channel::parse(&p.channel);
    if channel.is_none() {
        fields.push(FieldError::new("payment.channel", ErrorCode::ChannelUnknown));
    }
    if !text_ok(&p.transaction_id, 64) {
        fields.push(FieldError::new("payment.transaction_id", ErrorCode::TextRequired));
    }
    if p.amount_fen <= 0 {
        fields.push(FieldError::new("payment.amount_fen", ErrorCode::AmountNotPositive));
    } else if p.amount_fen > MAX_FEN {
        fields.push(FieldError::new("payment.amount_fen", ErrorCode::AmountTooLarge));
    }
    Some(Payment {
        channel: channel?,
        transaction_id: p.transaction_id.trim().to_owned(),
        amount: Fen(p.amount_fen),
        paid_at: p.paid_at,
    })
}

/// Create or update a buyer by the merchant's buyer id (idempotent): the name shown, how to
/// reach them, their language. Orders may name a buyer before the buyer is sent: they are the
/// buyer's as soon as the buyer exists. An account created here has no password.
#[utoipa::path(put, path = "/api/v1/merchant/buyers/{buyer_id}", tag = "merchant", security(("merchant_token" = [])),
    params(("buyer_id" = String, Path, description = "The buyer's Redress username: 1–64 of a–z 0–9 _ . -")),
    request_body = BuyerIn,
    responses((status = 201, body = UpsertResult), (status = 200, body = UpsertResult),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upsert_buyer(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    Json(b): Json<BuyerIn>,
) -> ApiResult<(StatusCode, axum::Json<UpsertResult>)> {
    let id = Username::parse(&id).map_err(|_| ApiError::field("buyer_id", ErrorCode::UsernameMalformed))?;
    let language = b.language.map(|l| l.lang().tag());
    let profile =
        BuyerProfile::parse(&b.display_name, b.email.as_deref(), b.phone.as_deref(), language).map_err(|errors| {
            ApiError::invalid(
                errors
                    .iter()
                    .map(|e| match ErrorCode::ALL.iter().find(|c| c.as_str() == e.code) {
                        Some(c) => FieldError::new(e.field, *c),
                        None => FieldError::new(e.field, ErrorCode::FieldInvalid),
                    })
                    .collect(),
            )
        })?;
    let u = state.app.upsert_buyer(&id, &profile).await?;
    Ok(outcome(id.as_str(), u))
}

/// A buyer's profile as recorded.
#[utoipa::path(get, path = "/api/v1/merchant/buyers/{buyer_id}", tag = "merchant", security(("merchant_token" = [])),
    params(("buyer_id" = String, Path)),
    responses((status = 200, body = BuyerOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buyer(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<BuyerOut>> {
    let id = Username::parse(&id).map_err(|_| ApiError::not_found())?;
    let p = state.app.buyer_profile(&id).await?;
    Ok(axum::Json(BuyerOut {
        id: id.to_string(),
        display_name: p.display_name,
        email: p.email,
        phone: p.phone,
        language: p.language,
    }))
}

/// Create or update an order (idempotent).
#[utoipa::path(put, path = "/api/v1/merchant/orders/{order_no}", tag = "merchant", security(("merchant_token" = [])),
    params(("order_no" = String, Path, description = "1–64 of A–Z a–z 0–9 _ -")), request_body = OrderIn,
    responses((status = 201, body = UpsertResult), (status = 200, body = UpsertResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upsert_order(
    State(state): State<AppState>,
    _m: Merchant,
    Path(no): Path<String>,
    Json(o): Json<OrderIn>,
) -> ApiResult<(StatusCode, axum::Json<UpsertResult>)> {
    let no = redress_domain::ids::OrderNo::parse(&no)
        .map_err(|_| ApiError::field("order_no", ErrorCode::OrderNoMalformed))?;
    let mut fields = vec![];
    let buyer = Username::parse(&o.buyer).ok();
    if buyer.is_none() {
        fields.push(FieldError::new("buyer", ErrorCode::UsernameMalformed));
    }
    for (field, value) in [
        ("service.name", &o.service.name),
        ("service.platform", &o.service.platform),
        ("service.unit", &o.service.unit),
    ] {
        if !text_ok(value, 200) {
            fields.push(FieldError::new(field, ErrorCode::TextRequired));
        }
    }
    if o.service.promised == 0 || o.service.promised > i64::MAX as u64 {
        fields.push(FieldError::new("service.promised", ErrorCode::QuantityInvalid));
    }
    let payment = o.payment.as_ref().map(|p| parse_payment(p, &mut fields));
    let (Some(buyer), true) = (buyer, fields.is_empty()) else {
        return Err(ApiError::invalid(fields));
    };
    let order = Order {
        no: no.clone(),
        buyer,
        service: Service {
            name: o.service.name.trim().to_owned(),
            platform: o.service.platform.trim().to_owned(),
            unit: o.service.unit.trim().to_owned(),
            promised: o.service.promised,
            deadline: o.service.deadline,
        },
        payment: payment.flatten(),
        policy_version: o.policy_version,
        policy_accepted_at: o.policy_accepted_at,
    };
    let u = state.app.upsert_order(&order).await?;
    Ok(outcome(no.as_str(), u))
}

/// Record the payment of an order (once).
#[utoipa::path(put, path = "/api/v1/merchant/orders/{order_no}/payment", tag = "merchant", security(("merchant_token" = [])),
    params(("order_no" = String, Path)), request_body = PaymentIn,
    responses((status = 200, body = UpsertResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_payment(
    State(state): State<AppState>,
    _m: Merchant,
    Path(no): Path<String>,
    Json(p): Json<PaymentIn>,
) -> ApiResult<(StatusCode, axum::Json<UpsertResult>)> {
    let no = order_no(&no)?;
    let mut fields = vec![];
    let payment = parse_payment(&p, &mut fields);
    let (Some(payment), true) = (payment, fields.is_empty()) else {
        return Err(ApiError::invalid(fields));
    };
    let u = state.app.set_payment(&no, &payment).await?;
    Ok((StatusCode::OK, outcome(no.as_str(), u).1))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingIn {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Cumulative delivered quantity at `at`.
    pub delivered: u64,
    /// platform, third_party, manual
    #[schema(schema_with = crate::forms::schemas::delivery_source)]
    pub source: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesIn {
    /// At most 1000 readings per call.
    pub readings: Vec<ReadingIn>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveriesResult {
    /// How many readings were new.
    pub added: usize,
}

/// Add delivery readings to an order's ledger (idempotent per order, moment and source).
#[utoipa::path(post, path = "/api/v1/merchant/orders/{order_no}/deliveries", tag = "merchant", security(("merchant_token" = [])),
    params(("order_no" = String, Path)), request_body = DeliveriesIn,
    responses((status = 200, body = DeliveriesResult), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_deliveries(
    State(state): State<AppState>,
    _m: Merchant,
    Path(no): Path<String>,
    Json(d): Json<DeliveriesIn>,
) -> ApiResult<axum::Json<DeliveriesResult>> {
    let no = order_no(&no)?;
    if d.readings.is_empty() || d.readings.len() > 1000 {
        return Err(ApiError::field("readings", ErrorCode::ReadingsCount));
    }
    let mut readings = Vec::with_capacity(d.readings.len());
    let mut fields = vec![];
    for r in &d.readings {
        match DeliverySource::parse(&r.source) {
            Some(source) if r.delivered <= i64::MAX as u64 => {
                readings.push(DeliveryReading { at: r.at, delivered: r.delivered, source })
            }
            Some(_) => fields.push(FieldError::new("readings.delivered", ErrorCode::QuantityInvalid)),
            None => fields.push(FieldError::new("readings.source", ErrorCode::SourceUnknown)),
        }
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid(fields));
    }
    let added = state.app.add_deliveries(&no, &readings).await?;
    Ok(axum::Json(DeliveriesResult { added }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountEventIn {
    pub buyer: String,
    /// banned_for_violation, restricted, restored
    #[schema(schema_with = crate::forms::schemas::account_event_kind)]
    pub kind: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who reports it, e.g. the platform's name.
    pub source: String,
}

/// Record an account event under the merchant's own event id (idempotent).
#[utoipa::path(put, path = "/api/v1/merchant/account-events/{event_id}", tag = "merchant", security(("merchant_token" = [])),
    params(("event_id" = String, Path)), request_body = AccountEventIn,
    responses((status = 201, body = UpsertResult), (status = 200, body = UpsertResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn account_event(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    Json(e): Json<AccountEventIn>,
) -> ApiResult<(StatusCode, axum::Json<UpsertResult>)> {
    let mut fields = vec![];
    if !text_ok(&id, 64) {
        fields.push(FieldError::new("event_id", ErrorCode::TextRequired));
    }
    let buyer = Username::parse(&e.buyer).ok();
    if buyer.is_none() {
        fields.push(FieldError::new("buyer", ErrorCode::UsernameMalformed));
    }
    let kind = AccountEventKind::parse(&e.kind);
    if kind.is_none() {
        fields.push(FieldError::new("kind", ErrorCode::AccountEventUnknown));
    }
    if !text_ok(&e.source, 100) {
        fields.push(FieldError::new("source", ErrorCode::TextRequired));
    }
    let (Some(buyer), Some(kind), true) = (buyer, kind, fields.is_empty()) else {
        return Err(ApiError::invalid(fields));
    };
    let event = AccountEvent { at: e.at, kind, source: e.source.trim().to_owned() };
    let u = state.app.add_account_event(&id, &buyer, &event).await?;
    Ok(outcome(&id, u))
}

#[derive(Serialize, ToSchema)]
pub struct PublishResult {
    pub version: u32,
    /// false when exactly this version was already published
    pub created: bool,
}

/// Publish a policy version, as TOML (`Content-Type: application/toml`) or JSON. A published
/// version never changes: the same text again is a no-op, different text under the same
/// version number is refused.
#[utoipa::path(post, path = "/api/v1/merchant/policies", tag = "merchant", security(("merchant_token" = [])),
    request_body(description = "The policy document, as TOML or as the same structure in JSON (see crates/domain/data/policy-v1.toml)",
        content((String = "application/toml"), (Object = "application/json"))),
    responses((status = 201, body = PublishResult), (status = 200, body = PublishResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish_policy(
    State(state): State<AppState>,
    Merchant(by): Merchant,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<PublishResult>)> {
    let body = body.map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge))?;
    let body = std::str::from_utf8(&body)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PolicyInvalid).detail(e.to_string()))?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let policy = if json { Policy::from_json(body) } else { Policy::from_toml(body) }
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PolicyInvalid).detail(e.to_string()))?;
    let created = state.app.publish_policy(&policy, &by).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(PublishResult { version: policy.version, created })))
}
