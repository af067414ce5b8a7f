//! Callbacks from the payment channels. A callback changes anything only after its signature,
//! its timestamp (within five minutes) and its nonce (never seen before) check out, and only
//! for a payout Redress knows with the amount Redress sent; everything else is refused with
//! 401 (or 404 for an unknown payout), logged, and changes nothing. Polling by the payout
//! worker covers callbacks that never come.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use redress_channels::wechat::{self, Notification, RefundNotice, SignedHeaders};
use redress_store::StoreError;

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(%status, why, "channel callback refused");
    (status, axum::Json(serde_json::json!({"code": "FAIL", "message": why}))).into_response()
}

/// `POST /api/v1/channels/wechat/notify`: a WeChat Pay refund notification.
pub async fn wechat_notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(client) = state.payments.channels.wechat.clone() else {
        return refuse(StatusCode::NOT_FOUND, "WeChat Pay is not configured");
    };
    let cfg = &client.config;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(ts), Some(nonce), Some(signature), Some(serial)) = (
        header("wechatpay-timestamp"),
        header("wechatpay-nonce"),
        header("wechatpay-signature"),
        header("wechatpay-serial"),
    ) else {
        return refuse(StatusCode::UNAUTHORIZED, "unsigned");
    };
    let Ok(timestamp) = ts.parse::<i64>() else { return refuse(StatusCode::UNAUTHORIZED, "bad timestamp") };
    let text = String::from_utf8_lossy(&body);
    let signed = SignedHeaders { timestamp, nonce: nonce.clone(), signature, serial };
    if let Err(e) = signed.verify(&cfg.platform_key, &cfg.platform_serial, &text, Timestamp::now().as_second()) {
        return refuse(StatusCode::UNAUTHORIZED, &e.to_string());
    }
    match state.store.channel_nonce_fresh("wechat_pay", &nonce, Timestamp::now()).await {
        Ok(true) => {}
        Ok(false) => return refuse(StatusCode::UNAUTHORIZED, "replayed nonce"),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
    let Ok(n) = serde_json::from_str::<Notification>(&text) else {
        return refuse(StatusCode::BAD_REQUEST, "not a notification");
    };
    let notice: RefundNotice = match wechat::decrypt_resource(&cfg.api_v3_key, &n.resource)
        .map_err(|e| e.to_string())
        .and_then(|plain| serde_json::from_slice(&plain).map_err(|e| e.to_string()))
    {
        Ok(notice) => notice,
        Err(e) => return refuse(StatusCode::UNAUTHORIZED, &e),
    };
    let Some(report) = wechat::status(&notice.refund_status) else {
        return refuse(StatusCode::BAD_REQUEST, "unknown refund status");
    };
    let payout = match state.store.payout(&notice.out_refund_no).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return refuse(StatusCode::NOT_FOUND, "unknown payout"),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    if notice.mchid != cfg.merchant.mchid || notice.amount.refund != payout.amount.0 {
        return refuse(StatusCode::BAD_REQUEST, "the notification does not match the payout");
    }
    let now = Timestamp::now();
    let reason = (report != redress_domain::payout::ChannelStatus::Succeeded).then(|| notice.refund_status.clone());
    let retry = now + redress_payouts::LEASE;
    match state.store.payout_reported(&payout.id, report, Some(&notice.refund_id), reason.as_deref(), retry, now).await
    {
        Ok(_) => {
            let _ = state
                .store
                .record_payout_attempt(&payout.id, "callback", &notice.refund_status.to_lowercase(), &n.id, now)
                .await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
