//! A buyer's orders (docs/product.md §3, step 1: 个人中心 / 订单管理), the entitlement preview shown before
//! submitting, and the policy the buyer accepted (the help page).

use crate::AppState;
use crate::dto::PolicyDto;
use crate::dto::{DeliveryDto, EntitlementDto, OrderDto, Paged};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::extract::{AuthUser, Buyer, Path};
use crate::forms::{PageQuery, page_request};
use crate::i18n::Lang;
use axum::Json;
use axum::extract::State;
use redress_domain::ids::OrderNo;
use serde::Serialize;
use utoipa::ToSchema;

/// A page of my orders, newest first, each with its refundable balance.
#[utoipa::path(get, path = "/api/v1/orders", tag = "buyer", security(("buyer_session" = [])),
    params(PageQuery),
    responses((status = 200, body = Paged<OrderDto>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<Paged<OrderDto>>> {
    let orders = state.app.buyer_orders(&user, &page_request(&pq)?).await?;
    Ok(Json(Paged::new(orders, |o| OrderDto::from_summary(&o, lang))))
}

#[derive(Serialize, ToSchema)]
pub struct OrderDetailDto {
    pub order: OrderDto,
    pub deliveries: Vec<DeliveryDto>,
    pub entitlement: EntitlementDto,
}

/// One of my orders with its delivery ledger and entitlement.
#[utoipa::path(get, path = "/api/v1/orders/{order_no}", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("order_no" = String, Path)),
    responses((status = 200, body = OrderDetailDto), (status = 404, body = ErrorBody)))]
pub async fn order_detail(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<OrderNo>,
) -> ApiResult<Json<OrderDetailDto>> {
    let ent = state.app.entitlement(&no, &user, None).await?;
    let order = state.app.order(&no).await?;
    let ledger = state.app.deliveries(&no).await?;
    let delivered = redress_domain::order::latest_delivered(&ledger);
    Ok(Json(OrderDetailDto {
        order: OrderDto::new(&order, delivered, &ent, lang),
        deliveries: ledger.iter().map(DeliveryDto::from).collect(),
        entitlement: EntitlementDto::new(&ent, lang),
    }))
}

/// What the policy gives on this order now, with the reason in words (shown before submitting).
#[utoipa::path(get, path = "/api/v1/orders/{order_no}/entitlement", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("order_no" = String, Path)),
    responses((status = 200, body = EntitlementDto), (status = 404, body = ErrorBody)))]
pub async fn entitlement(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<OrderNo>,
) -> ApiResult<Json<EntitlementDto>> {
    let ent = state.app.entitlement(&no, &user, None).await?;
    Ok(Json(EntitlementDto::new(&ent, lang)))
}

/// A published policy version (the help page shows the one the buyer accepted).
#[utoipa::path(get, path = "/api/v1/policies/{version}", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("version" = u32, Path)),
    responses((status = 200, body = PolicyDto), (status = 404, body = ErrorBody)))]
pub async fn policy(
    State(state): State<AppState>,
    _user: AuthUser,
    lang: Lang,
    Path(version): Path<String>,
) -> ApiResult<Json<PolicyDto>> {
    let version: u32 = version.parse().map_err(|_| ApiError::not_found())?;
    let p = state.app.policy(version).await?;
    Ok(Json(PolicyDto::new(&p, lang)))
}
