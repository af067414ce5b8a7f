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
use redress_app::StoreError;
use redress_channels::wechat::{self, Notification, RefundNotice, SignedHeaders};

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(%status, why, "channel callback refused");
    (status, axum::Json(serde_json::json!({"code": "FAIL", "message": why}))).into_response()
}

/// Applies a verified report to the payout `key` if Redress knows it and the amount matches.
async fn apply(
    state: &AppState,
    key: &str,
    amount_fen: i64,
    report: redress_domain::payout::ChannelStatus,
    channel_ref: &str,
    reason: Option<&str>,
    event: &str,
) -> Response {
    let payout = match state.app.payout(key).await {
        Ok(p) => p,
        Err(redress_app::Error::Store(StoreError::NotFound)) => return refuse(StatusCode::NOT_FOUND, "unknown payout"),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    if amount_fen != payout.amount.0 {
        return refuse(StatusCode::BAD_REQUEST, "the notification does not match the payout");
    }
    let now = state.app.now();
    let retry = now + redress_payouts::LEASE;
    match state.app.payout_reported(&payout.id, report, Some(channel_ref), reason, retry).await {
        Ok(_) => {
            let outcome = format!("{report:?}").to_lowercase();
            // The report itself is recorded; a lost line in the exchange log is only logged.
            if let Err(e) = state.app.record_payout_attempt(&payout.id, "callback", &outcome, event).await {
                tracing::warn!(payout = %payout.id, error = %e, "could not record a channel's callback");
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Accepts a callback's nonce once.
async fn fresh(state: &AppState, channel: &str, nonce: &str) -> Result<(), Response> {
    match state.app.callback_nonce_fresh(channel, nonce).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(refuse(StatusCode::UNAUTHORIZED, "replayed nonce")),
        Err(e) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

/// `POST /api/v1/channels/bank/notify`: a bank-card refund notification (Redress's own
/// protocol, `redress_channels::bank`).
pub async fn bank_notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    use redress_channels::bank;
    let Some(client) = state.payments.channels.bank.clone() else {
        return refuse(StatusCode::NOT_FOUND, "the bank channel is not configured");
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(ts), Some(nonce), Some(signature)) =
        (header("x-bank-timestamp"), header("x-bank-nonce"), header("x-bank-signature"))
    else {
        return refuse(StatusCode::UNAUTHORIZED, "unsigned");
    };
    let Ok(timestamp) = ts.parse::<i64>() else { return refuse(StatusCode::UNAUTHORIZED, "bad timestamp") };
    let text = String::from_utf8_lossy(&body);
    let sig = bank::Signature { timestamp, nonce: nonce.clone(), signature };
    if !sig.verify(&client.config.secret, bank::NOTIFY, bank::NOTIFY_PATH, &text, state.app.now().as_second()) {
        return refuse(StatusCode::UNAUTHORIZED, "bad signature or timestamp");
    }
    if let Err(r) = fresh(&state, "bank_card", &nonce).await {
        return r;
    }
    let Ok(r) = serde_json::from_str::<bank::Refund>(&text) else {
        return refuse(StatusCode::BAD_REQUEST, "not a refund");
    };
    let Some(report) = bank::status(&r.status) else { return refuse(StatusCode::BAD_REQUEST, "unknown status") };
    apply(&state, &r.request_no, r.amount_fen, report, &r.bank_ref, r.reason.as_deref(), &nonce).await
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
    if let Err(e) = signed.verify(&cfg.platform_key, &cfg.platform_serial, &text, state.app.now().as_second()) {
        return refuse(StatusCode::UNAUTHORIZED, &e.to_string());
    }
    if let Err(r) = fresh(&state, "wechat_pay", &nonce).await {
        return r;
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
    if notice.mchid != cfg.merchant.mchid {
        return refuse(StatusCode::BAD_REQUEST, "the notification is for another merchant");
    }
    let reason = (report != redress_domain::payout::ChannelStatus::Succeeded).then(|| notice.refund_status.clone());
    apply(&state, &notice.out_refund_no, notice.amount.refund, report, &notice.refund_id, reason.as_deref(), &n.id)
        .await
}
