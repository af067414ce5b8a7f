//! Longer than 500 lines, knowingly: it is three fake gateways (WeChat Pay, Alipay, the bank)
//! that share one set of books, faults and notification loop; its books move out of the
//! production schema in the sandbox's own issue, and split before that, it would only be split
//! twice. Each gateway is a section below, in the order listed here.
//!
//! The sandbox gateway (docs/product.md §4): a stand-in for the payment channels that ships with
//! Redress and is its embedded default, so money moves end to end without credentials. It
//! speaks the channels' own protocols under `/sandbox/…` with keys of its own, kept in the
//! database (generated on first start), and books every refund in the database, one per
//! idempotency key, so that however often it is asked, it pays a key once.
//!
//! - WeChat Pay API v3 (`/sandbox/wechat/v3/refund/domestic/refunds`): it checks the merchant's
//!   request signature, answers signed with its platform key, settles a refund
//!   [`Sandbox::settle_after`] after the first request, and posts a signed notification with an
//!   AES-256-GCM resource to the request's `notify_url` until it is accepted.
//! - The bank-card protocol (`/sandbox/bank/refunds`, Redress's own, see
//!   `redress_channels::bank`): HMAC-checked requests, signed answers, settlement like WeChat
//!   Pay's, signed notifications.
//! - It can be told ([`Sandbox::set_faults`], or `REDRESS_SANDBOX_FAULTS` for `serve`) to
//!   misbehave as real channels do, each at a rate: answer a refund request with an error
//!   without booking it (`error`), book it but lose the answer (`lost`, as a timeout looks to
//!   the caller), call back before answering (`early`), call back twice (`twice`), give up
//!   on a refund (`closed`: WeChat Pay `CLOSED`, bank `FAILED`), and fail to reach the payer's
//!   account (`abnormal`: WeChat Pay `ABNORMAL`, bank `RETURNED`).
//! - Alipay (`/sandbox/alipay/gateway.do`): `alipay.trade.refund` and
//!   `alipay.trade.fastpay.refund.query`, RSA2-checked and RSA2-signed; like Alipay it refunds
//!   synchronously (`fund_change: "N"` on a repeated `out_request_no`).

// Handlers answer with a ready `Response` on failure, as axum's do; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use redress_app::Clock;
use redress_channels::alipay;
use redress_channels::bank;
use redress_channels::statements;
use redress_channels::wechat::{
    self, Authorization, ErrorBody, Merchant, REFUNDS_PATH, Refund, RefundAmount, RefundNotice, RefundRequest,
    RequestLine, SignedHeaders,
};
use redress_channels::{SigningKey, VerifyingKey};
use redress_payouts::alipay::AlipayConfig;
use redress_payouts::bank::BankConfig;
use redress_payouts::wechat::WechatConfig;
use redress_store::{SandboxRefund, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

const KEYS_SETTING: &str = "sandbox_keys";
const WECHAT: &str = "wechat_pay";
const ALIPAY: &str = "alipay";
const BANK: &str = "bank_card";
const ALIPAY_APP_ID: &str = "2021000000000000";
/// The sandbox's Alipay account (partner id, with Alipay's `0156` suffix).
const ALIPAY_PID: &str = "20880000000000000156";

/// How often the sandbox misbehaves, each a rate from 0 to 1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Refuse a refund request with a server error, booking nothing.
    pub error: f64,
    /// Book a refund but lose the answer.
    pub lost: f64,
    /// Settle and call back before answering the request.
    pub early: f64,
    /// Deliver each callback twice.
    pub twice: f64,
    /// Give up on a new refund (it ends `CLOSED`; a new key is needed).
    pub closed: f64,
    /// Cannot reach the payer's account (WeChat Pay `ABNORMAL`, bank `RETURNED`: a frozen or
    /// cancelled card); not final, staff route it another way.
    pub abnormal: f64,
}

impl Faults {
    /// `error:0.2,lost:0.1,early:0.1,twice:0.3,closed:0.1,abnormal:0.1` (any subset).
    pub fn parse(text: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, rate) = part.split_once(':').ok_or_else(|| format!("{part}: expected name:rate"))?;
            let rate: f64 = rate.trim().parse().map_err(|_| format!("{part}: the rate is not a number"))?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{part}: the rate must be between 0 and 1"));
            }
            match name.trim() {
                "error" => f.error = rate,
                "lost" => f.lost = rate,
                "early" => f.early = rate,
                "twice" => f.twice = rate,
                "closed" => f.closed = rate,
                "abnormal" => f.abnormal = rate,
                other => return Err(format!("{other}: unknown fault (error, lost, early, twice, closed, abnormal)")),
            }
        }
        Ok(f)
    }
}

fn roll(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

/// The client configurations that talk to the sandbox.
pub struct SandboxClients {
    pub wechat: WechatConfig,
    pub alipay: AlipayConfig,
    pub bank: BankConfig,
}

/// The sandbox's keys and Redress's keys for talking to it, as stored (bare base64 PKCS#8).
#[derive(Serialize, Deserialize)]
struct StoredKeys {
    merchant_key: String,
    platform_key: String,
    api_v3_key: String,
    #[serde(default)]
    bank_secret: String,
}

/// The sandbox's side: what it checks requests with and signs answers with.
pub struct Sandbox {
    pub mchid: String,
    pub merchant_serial: String,
    merchant_public: VerifyingKey,
    platform_serial: String,
    platform: SigningKey,
    api_v3_key: Vec<u8>,
    bank_secret: Vec<u8>,
    /// How long after the first request a refund settles.
    pub settle_after: SignedDuration,
    /// The application's clock: settlement, signatures and their freshness checks all read it.
    clock: Clock,
    faults: std::sync::Mutex<Faults>,
    http: reqwest::Client,
    /// This server's address, for the bill download URLs it hands out.
    base: String,
    /// Bills made and not yet fetched, by download token (the newest few).
    bills: std::sync::Mutex<std::collections::VecDeque<(String, Vec<u8>)>>,
}

impl Sandbox {
    /// The sandbox's keys (made on first start and shared by every instance on the database),
    /// and the WeChat Pay client configuration that talks to it at `base` (e.g.
    /// `http://127.0.0.1:8080`).
    pub async fn open(
        store: &Store,
        base: &str,
        settle_after: SignedDuration,
        clock: Clock,
    ) -> Result<(Sandbox, SandboxClients), String> {
        let fresh = || -> Result<String, String> {
            let (_, merchant_key) = SigningKey::generate().map_err(|e| e.to_string())?;
            let (_, platform_key) = SigningKey::generate().map_err(|e| e.to_string())?;
            let api_v3_key = format!("{:032x}", rand::random::<u128>());
            let bank_secret = format!("{:032x}", rand::random::<u128>());
            serde_json::to_string(&StoredKeys { merchant_key, platform_key, api_v3_key, bank_secret })
                .map_err(|e| e.to_string())
        };
        let text = store.setting_or_init(KEYS_SETTING, fresh()?, clock.now()).await.map_err(|e| e.to_string())?;
        let keys: StoredKeys = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let merchant = SigningKey::from_text(&keys.merchant_key).map_err(|e| e.to_string())?;
        let platform = SigningKey::from_text(&keys.platform_key).map_err(|e| e.to_string())?;
        let merchant_public = VerifyingKey::from_text(&merchant.public_text()).map_err(|e| e.to_string())?;
        let platform_public = VerifyingKey::from_text(&platform.public_text()).map_err(|e| e.to_string())?;
        let sandbox = Sandbox {
            mchid: "1900000100".into(),
            merchant_serial: "SANDBOX-MERCHANT-1".into(),
            merchant_public,
            platform_serial: "PUB_KEY_ID_SANDBOX".into(),
            platform,
            api_v3_key: keys.api_v3_key.as_bytes().to_vec(),
            bank_secret: if keys.bank_secret.is_empty() { &keys.api_v3_key } else { &keys.bank_secret }
                .as_bytes()
                .to_vec(),
            settle_after,
            clock,
            faults: std::sync::Mutex::new(Faults::default()),
            base: base.trim_end_matches('/').to_owned(),
            bills: std::sync::Mutex::new(std::collections::VecDeque::new()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .map_err(|e| e.to_string())?,
        };
        let wechat = WechatConfig {
            base_url: format!("{base}/sandbox/wechat"),
            merchant: Merchant {
                mchid: sandbox.mchid.clone(),
                serial_no: sandbox.merchant_serial.clone(),
                key: merchant,
            },
            platform_key: platform_public.clone(),
            platform_serial: sandbox.platform_serial.clone(),
            api_v3_key: sandbox.api_v3_key.clone(),
            notify_url: format!("{base}/api/v1/channels/wechat/notify"),
        };
        let alipay = AlipayConfig {
            gateway_url: format!("{base}/sandbox/alipay/gateway.do"),
            app_id: ALIPAY_APP_ID.to_owned(),
            app_key: SigningKey::from_text(&keys.merchant_key).map_err(|e| e.to_string())?,
            alipay_public_key: platform_public,
        };
        let bank = BankConfig {
            base_url: format!("{base}/sandbox/bank"),
            merchant_id: "SANDBOX-MERCHANT".into(),
            secret: sandbox.bank_secret.clone(),
            notify_url: format!("{base}/api/v1/channels/bank/notify"),
        };
        Ok((sandbox, SandboxClients { wechat, alipay, bank }))
    }

    /// Makes the sandbox misbehave at these rates from now on.
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    fn faults(&self) -> Faults {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a bill for download; its token.
    fn keep_bill(&self, bytes: Vec<u8>) -> String {
        let token = format!("{:032x}", rand::random::<u128>());
        let mut bills = self.bills.lock().unwrap_or_else(|e| e.into_inner());
        if bills.len() >= 16 {
            bills.pop_front();
        }
        bills.push_back((token.clone(), bytes));
        token
    }

    fn bill(&self, token: &str) -> Option<Vec<u8>> {
        let bills = self.bills.lock().unwrap_or_else(|e| e.into_inner());
        bills.iter().find(|(t, _)| t == token).map(|(_, b)| b.clone())
    }

    /// An answer signed as the platform signs.
    fn signed(&self, status: StatusCode, body: String) -> Response {
        let nonce = format!("{:032X}", rand::random::<u128>());
        let h = SignedHeaders::sign(&self.platform, &self.platform_serial, self.clock.now().as_second(), &nonce, &body);
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("wechatpay-timestamp", h.timestamp.to_string()),
            ("wechatpay-nonce", h.nonce),
            ("wechatpay-signature", h.signature),
            ("wechatpay-serial", h.serial),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        res
    }

    fn error(&self, status: StatusCode, code: &str, message: &str) -> Response {
        let body = serde_json::to_string(&ErrorBody { code: code.into(), message: message.into() }).unwrap_or_default();
        self.signed(status, body)
    }

    fn refund_json(r: &SandboxRefund) -> String {
        let refund = Refund {
            refund_id: r.refund_id.clone(),
            out_refund_no: r.refund_key.clone(),
            transaction_id: r.trade_ref.clone(),
            out_trade_no: String::new(),
            channel: "ORIGINAL".into(),
            user_received_account: "支付用户零钱".into(),
            success_time: r.settled_at.map(|t| t.to_string()),
            create_time: r.created_at.to_string(),
            status: r.status.clone(),
            amount: RefundAmount {
                total: r.total_fen,
                refund: r.amount_fen,
                payer_total: r.total_fen,
                payer_refund: r.amount_fen,
                currency: "CNY".into(),
            },
        };
        serde_json::to_string(&refund).unwrap_or_default()
    }

    /// Checks a request's `Authorization` as WeChat Pay does.
    fn authorized(&self, headers: &HeaderMap, line: RequestLine<'_>) -> Result<(), Response> {
        let auth =
            headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(Authorization::parse).ok_or_else(
                || self.error(StatusCode::UNAUTHORIZED, "SIGN_ERROR", "missing or unreadable Authorization"),
            )?;
        if auth.mchid != self.mchid || auth.serial_no != self.merchant_serial {
            return Err(self.error(StatusCode::UNAUTHORIZED, "SIGN_ERROR", "unknown merchant or certificate serial"));
        }
        auth.verify(&self.merchant_public, line, self.clock.now().as_second())
            .map_err(|e| self.error(StatusCode::UNAUTHORIZED, "SIGN_ERROR", &e.to_string()))
    }
}

/// A new refund on the sandbox's books, processing until `settle_at`; callers fill in the rest.
fn booking(channel: &str, key: &str, now: Timestamp, settle_at: Timestamp) -> SandboxRefund {
    SandboxRefund {
        channel: channel.into(),
        refund_key: key.into(),
        refund_id: String::new(),
        trade_ref: String::new(),
        amount_fen: 0,
        total_fen: 0,
        status: "PROCESSING".into(),
        notify_url: None,
        requests: 1,
        created_at: now,
        settle_at,
        settled_at: None,
        notified_at: None,
    }
}

/// What the gateway's routes and its notifier reach: its keys and faults, its books (in the
/// database) and the clock.
#[derive(Clone)]
pub struct Gateway {
    pub sandbox: Arc<Sandbox>,
    store: Store,
}

impl Gateway {
    pub fn new(sandbox: Sandbox, store: Store) -> Gateway {
        Gateway { sandbox: Arc::new(sandbox), store }
    }

    fn now(&self) -> Timestamp {
        self.sandbox.clock.now()
    }
}

async fn wechat_refund(State(state): State<Gateway>, headers: HeaderMap, body: Bytes) -> Response {
    let sandbox = state.sandbox.clone();
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Err(r) =
        sandbox.authorized(&headers, RequestLine { method: "POST", path_with_query: REFUNDS_PATH, body: &text })
    {
        return r;
    }
    let req: RefundRequest = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => return sandbox.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", &e.to_string()),
    };
    let a = &req.amount;
    let key_ok = (1..=64).contains(&req.out_refund_no.len());
    if !key_ok || a.refund <= 0 || a.refund > a.total || a.currency != "CNY" {
        return sandbox.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", "out_refund_no or amount is not valid");
    }
    let faults = sandbox.faults();
    if roll(faults.error) {
        return sandbox.error(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "sandbox: told to fail");
    }
    let now = state.now();
    let new = SandboxRefund {
        refund_id: format!("5030{:026}", rand::random::<u64>()),
        trade_ref: req.transaction_id.clone().or(req.out_trade_no.clone()).unwrap_or_default(),
        amount_fen: a.refund,
        total_fen: a.total,
        notify_url: req.notify_url.clone(),
        ..booking(WECHAT, &req.out_refund_no, now, now + sandbox.settle_after)
    };
    match state.store.sandbox_request(new).await {
        Ok((mut r, fresh)) => match misbehave(&state, &sandbox, &mut r, fresh, faults).await {
            Some(lost) => lost,
            None => sandbox.signed(StatusCode::OK, Sandbox::refund_json(&r)),
        },
        Err(e) => sandbox.error(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", &e.to_string()),
    }
}

/// After booking a request: call back before answering (`early`) and lose the answer (`lost`,
/// returned as the response to send instead).
async fn misbehave(
    state: &Gateway,
    sandbox: &Sandbox,
    r: &mut SandboxRefund,
    fresh: bool,
    faults: Faults,
) -> Option<Response> {
    let now = state.now();
    let ends = if roll(faults.closed) {
        Some("CLOSED")
    } else if roll(faults.abnormal) {
        Some("ABNORMAL")
    } else {
        None
    };
    if fresh
        && let Some(status) = ends
        && state.store.sandbox_settle_now(&r.channel, &r.refund_key, status, now).await.is_ok()
        && let Ok(ended) = state.store.sandbox_refund(&r.channel, &r.refund_key).await
    {
        *r = ended;
    }
    if roll(faults.early)
        && r.status == "PROCESSING"
        && state.store.sandbox_settle_now(&r.channel, &r.refund_key, "SUCCESS", now).await.is_ok()
        && let Ok(settled) = state.store.sandbox_refund(&r.channel, &r.refund_key).await
        && deliver(sandbox, &settled, now).await
    {
        // Not marked notified, the gateway calls back again later: the callback is idempotent.
        if let Err(e) = state.store.sandbox_notified(&r.channel, &r.refund_key, now).await {
            tracing::warn!(key = %r.refund_key, error = %e, "sandbox: could not mark a callback sent");
        }
    }
    roll(faults.lost).then(|| (StatusCode::BAD_GATEWAY, "sandbox: the answer was lost").into_response())
}

async fn wechat_query(State(state): State<Gateway>, headers: HeaderMap, Path(key): Path<String>) -> Response {
    let sandbox = state.sandbox.clone();
    let path = format!("{REFUNDS_PATH}/{key}");
    if let Err(r) = sandbox.authorized(&headers, RequestLine { method: "GET", path_with_query: &path, body: "" }) {
        return r;
    }
    match state.store.sandbox_refund(WECHAT, &key).await {
        Ok(r) => sandbox.signed(StatusCode::OK, Sandbox::refund_json(&r)),
        Err(StoreError::NotFound) => sandbox.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "no such refund"),
        Err(e) => sandbox.error(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", &e.to_string()),
    }
}

/// A WeChat Pay refund notification for a settled refund: its body and signature headers.
fn wechat_notification(sandbox: &Sandbox, r: &SandboxRefund, now: Timestamp) -> Option<(String, SignedHeaders)> {
    let notice = RefundNotice {
        mchid: sandbox.mchid.clone(),
        out_trade_no: String::new(),
        transaction_id: r.trade_ref.clone(),
        out_refund_no: r.refund_key.clone(),
        refund_id: r.refund_id.clone(),
        refund_status: r.status.clone(),
        success_time: r.settled_at.map(|t| t.to_string()),
        user_received_account: "支付用户零钱".into(),
        amount: RefundAmount {
            total: r.total_fen,
            refund: r.amount_fen,
            payer_total: r.total_fen,
            payer_refund: r.amount_fen,
            currency: String::new(),
        },
    };
    let plain = serde_json::to_vec(&notice).ok()?;
    let nonce = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    let resource = wechat::encrypt_resource(&sandbox.api_v3_key, &nonce, "refund", &plain).ok()?;
    let body = serde_json::json!({
        "id": format!("EV-{}", r.refund_id),
        "create_time": now.to_string(),
        "resource_type": "encrypt-resource",
        "event_type": format!("REFUND.{}", r.status),
        "summary": "退款成功",
        "resource": resource,
    })
    .to_string();
    let header_nonce = format!("{:032X}", rand::random::<u128>());
    let h = SignedHeaders::sign(&sandbox.platform, &sandbox.platform_serial, now.as_second(), &header_nonce, &body);
    Some((body, h))
}

/// A bank refund as the bank protocol writes it (`SUCCESS` → `SUCCEEDED`, `PROCESSING` →
/// `ACCEPTED`).
fn bank_refund_json(r: &SandboxRefund) -> String {
    serde_json::to_string(&bank_record(r)).unwrap_or_default()
}

fn bank_record(r: &SandboxRefund) -> bank::Refund {
    let status = match r.status.as_str() {
        "SUCCESS" => "SUCCEEDED",
        "PROCESSING" => "ACCEPTED",
        "ABNORMAL" => "RETURNED",
        _ => "FAILED",
    };
    bank::Refund {
        request_no: r.refund_key.clone(),
        bank_ref: r.refund_id.clone(),
        amount_fen: r.amount_fen,
        status: status.into(),
        reason: None,
    }
}

/// A bank answer, signed with the shared secret over `ANSWER` and the request's path.
fn bank_answer(sandbox: &Sandbox, path: &str, status: StatusCode, body: String) -> Response {
    let nonce = format!("{:032x}", rand::random::<u128>());
    let sig =
        bank::Signature::sign(&sandbox.bank_secret, sandbox.clock.now().as_second(), &nonce, bank::ANSWER, path, &body);
    let mut res = (status, [("content-type", "application/json")], body).into_response();
    for (name, value) in [
        ("x-bank-timestamp", sig.timestamp.to_string()),
        ("x-bank-nonce", sig.nonce),
        ("x-bank-signature", sig.signature),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, v);
        }
    }
    res
}

fn bank_signed(sandbox: &Sandbox, headers: &HeaderMap, method: &str, path: &str, body: &str) -> bool {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(ts), Some(nonce), Some(signature)) = (h("x-bank-timestamp"), h("x-bank-nonce"), h("x-bank-signature"))
    else {
        return false;
    };
    let Ok(timestamp) = ts.parse() else { return false };
    bank::Signature { timestamp, nonce, signature }.verify(
        &sandbox.bank_secret,
        method,
        path,
        body,
        sandbox.clock.now().as_second(),
    )
}

async fn bank_refund(State(state): State<Gateway>, headers: HeaderMap, body: Bytes) -> Response {
    let sandbox = state.sandbox.clone();
    let text = String::from_utf8_lossy(&body).into_owned();
    let path = bank::REFUNDS_PATH;
    if !bank_signed(&sandbox, &headers, "POST", path, &text) {
        return bank_answer(&sandbox, path, StatusCode::UNAUTHORIZED, r#"{"error":"bad signature"}"#.into());
    }
    let Ok(req) = serde_json::from_str::<bank::RefundRequest>(&text) else {
        return bank_answer(&sandbox, path, StatusCode::BAD_REQUEST, r#"{"error":"not a refund request"}"#.into());
    };
    if req.amount_fen <= 0 || !(1..=64).contains(&req.request_no.len()) {
        return bank_answer(&sandbox, path, StatusCode::BAD_REQUEST, r#"{"error":"amount or request_no"}"#.into());
    }
    let faults = sandbox.faults();
    if roll(faults.error) {
        return bank_answer(&sandbox, path, StatusCode::SERVICE_UNAVAILABLE, r#"{"error":"told to fail"}"#.into());
    }
    let now = state.now();
    let new = SandboxRefund {
        refund_id: format!("BK{:018}", rand::random::<u64>() % 1_000_000_000_000_000_000),
        trade_ref: req.original_txn.clone(),
        amount_fen: req.amount_fen,
        total_fen: req.amount_fen,
        notify_url: Some(req.notify_url.clone()),
        ..booking(BANK, &req.request_no, now, now + sandbox.settle_after)
    };
    match state.store.sandbox_request(new).await {
        Ok((mut r, fresh)) => match misbehave(&state, &sandbox, &mut r, fresh, faults).await {
            Some(lost) => lost,
            None => bank_answer(&sandbox, path, StatusCode::OK, bank_refund_json(&r)),
        },
        Err(_) => bank_answer(&sandbox, path, StatusCode::SERVICE_UNAVAILABLE, r#"{"error":"busy"}"#.into()),
    }
}

async fn bank_query(State(state): State<Gateway>, headers: HeaderMap, Path(key): Path<String>) -> Response {
    let sandbox = state.sandbox.clone();
    let path = format!("{}/{key}", bank::REFUNDS_PATH);
    if !bank_signed(&sandbox, &headers, "GET", &path, "") {
        return bank_answer(&sandbox, &path, StatusCode::UNAUTHORIZED, r#"{"error":"bad signature"}"#.into());
    }
    match state.store.sandbox_refund(BANK, &key).await {
        Ok(r) => bank_answer(&sandbox, &path, StatusCode::OK, bank_refund_json(&r)),
        Err(StoreError::NotFound) => {
            bank_answer(&sandbox, &path, StatusCode::NOT_FOUND, r#"{"error":"no such refund"}"#.into())
        }
        Err(_) => bank_answer(&sandbox, &path, StatusCode::SERVICE_UNAVAILABLE, r#"{"error":"busy"}"#.into()),
    }
}

/// Posts a settled refund's notification to its `notify_url`; whether it was accepted.
async fn deliver(sandbox: &Sandbox, r: &SandboxRefund, now: Timestamp) -> bool {
    let Some(url) = r.notify_url.clone() else { return false };
    let request = match r.channel.as_str() {
        WECHAT => wechat_notification(sandbox, r, now).map(|(body, h)| {
            sandbox
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("wechatpay-timestamp", h.timestamp.to_string())
                .header("wechatpay-nonce", h.nonce)
                .header("wechatpay-signature", h.signature)
                .header("wechatpay-serial", h.serial)
                .body(body)
        }),
        BANK => {
            let body = bank_refund_json(r);
            let nonce = format!("{:032x}", rand::random::<u128>());
            let sig = bank::Signature::sign(
                &sandbox.bank_secret,
                now.as_second(),
                &nonce,
                bank::NOTIFY,
                bank::NOTIFY_PATH,
                &body,
            );
            Some(
                sandbox
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-bank-timestamp", sig.timestamp.to_string())
                    .header("x-bank-nonce", sig.nonce)
                    .header("x-bank-signature", sig.signature)
                    .body(body),
            )
        }
        _ => None,
    };
    let Some(request) = request else { return false };
    match request.send().await {
        Ok(res) if res.status().is_success() => true,
        Ok(res) => {
            tracing::debug!(status = %res.status(), key = %r.refund_key, "sandbox notification refused");
            false
        }
        Err(e) => {
            tracing::debug!(error = %e, key = %r.refund_key, "sandbox notification not delivered");
            false
        }
    }
}

/// How many notifications one [`tick`] delivers at most.
pub const NOTIFY_BATCH: usize = 50;

/// Settles what is due and delivers notifications not yet accepted; `serve` runs it every
/// fraction of a second. Returns how many notifications were accepted.
pub async fn tick(state: &Gateway) -> Result<usize, StoreError> {
    let sandbox = state.sandbox.clone();
    let now = state.now();
    state.store.sandbox_settle_due(now).await?;
    // Callbacks go out side by side, as a channel's would.
    let due = state.store.sandbox_unnotified(NOTIFY_BATCH).await?;
    let sandbox = &sandbox;
    let results = futures_util::stream::iter(due)
        .map(|r| async move {
            if !deliver(sandbox, &r, now).await {
                return Ok(0);
            }
            if roll(sandbox.faults().twice) {
                deliver(sandbox, &r, now).await;
            }
            state.store.sandbox_notified(&r.channel, &r.refund_key, state.now()).await?;
            Ok::<usize, StoreError>(1)
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let mut delivered = 0;
    for r in results {
        delivered += r?;
    }
    Ok(delivered)
}

/// `POST /sandbox/alipay/gateway.do`: the open API's one gateway.
async fn alipay_gateway(
    State(state): State<Gateway>,
    axum::Form(params): axum::Form<BTreeMap<String, String>>,
) -> Response {
    let sandbox = state.sandbox.clone();
    let method = params.get("method").cloned().unwrap_or_default();
    let answer = |r: alipay::Response| {
        let text = alipay::signed_response(&method, &r, &sandbox.platform);
        ([("content-type", "application/json;charset=utf-8")], text).into_response()
    };
    let fail = |code: &str, sub_code: &str, sub_msg: &str| alipay::Response {
        code: code.into(),
        msg: "Business Failed".into(),
        sub_code: Some(sub_code.into()),
        sub_msg: Some(sub_msg.into()),
        ..Default::default()
    };
    if params.get("app_id").map(String::as_str) != Some(ALIPAY_APP_ID)
        || !alipay::verify_params(&params, &sandbox.merchant_public)
    {
        return answer(fail("40002", "isv.invalid-signature", "验签出错"));
    }
    let biz = params.get("biz_content").cloned().unwrap_or_default();
    match method.as_str() {
        alipay::REFUND => {
            let Ok(b) = serde_json::from_str::<alipay::RefundBiz>(&biz) else {
                return answer(fail("40004", "ACQ.INVALID_PARAMETER", "biz_content"));
            };
            let fen = redress_domain::money::Fen::parse_yuan(&b.refund_amount).ok().map(|f| f.get());
            if fen.is_none_or(|f| f <= 0) || !(1..=64).contains(&b.out_request_no.len()) {
                return answer(fail("40004", "ACQ.INVALID_PARAMETER", "refund_amount or out_request_no"));
            }
            let now = state.now();
            let trade = b.trade_no.clone().unwrap_or_else(|| b.out_trade_no.clone());
            let new = SandboxRefund {
                refund_id: trade.clone(),
                trade_ref: trade.clone(),
                amount_fen: fen.unwrap_or(0),
                total_fen: fen.unwrap_or(0),
                status: "SUCCESS".into(),
                ..booking(ALIPAY, &b.out_request_no, now, now)
            };
            match state.store.sandbox_request(new).await {
                Ok((r, fresh)) => answer(alipay::Response {
                    code: alipay::SUCCESS.into(),
                    msg: "Success".into(),
                    trade_no: Some(trade),
                    out_trade_no: Some(b.out_trade_no),
                    fund_change: Some(if fresh { "Y" } else { "N" }.into()),
                    refund_fee: Some(redress_domain::money::Fen(r.amount_fen).yuan_string()),
                    ..Default::default()
                }),
                Err(_) => answer(fail("20000", "ACQ.SYSTEM_ERROR", "系统繁忙")),
            }
        }
        alipay::REFUND_QUERY => {
            let Ok(b) = serde_json::from_str::<alipay::QueryBiz>(&biz) else {
                return answer(fail("40004", "ACQ.INVALID_PARAMETER", "biz_content"));
            };
            match state.store.sandbox_refund(ALIPAY, &b.out_request_no).await {
                Ok(r) => answer(alipay::Response {
                    code: alipay::SUCCESS.into(),
                    msg: "Success".into(),
                    trade_no: Some(r.trade_ref),
                    out_request_no: Some(r.refund_key),
                    refund_amount: Some(redress_domain::money::Fen(r.amount_fen).yuan_string()),
                    refund_status: Some("REFUND_SUCCESS".into()),
                    ..Default::default()
                }),
                // Alipay answers success with no refund in it.
                Err(StoreError::NotFound) => answer(alipay::Response {
                    code: alipay::SUCCESS.into(),
                    msg: "Success".into(),
                    ..Default::default()
                }),
                Err(_) => answer(fail("20000", "ACQ.SYSTEM_ERROR", "系统繁忙")),
            }
        }
        statements::alipay::BILL_URL_QUERY => match alipay_bill_url(&state, &sandbox, &biz).await {
            Ok(url) => answer(alipay::Response {
                code: alipay::SUCCESS.into(),
                msg: "Success".into(),
                bill_download_url: Some(url),
                ..Default::default()
            }),
            Err((sub_code, sub_msg)) => answer(fail("40004", sub_code, sub_msg)),
        },
        _ => answer(fail("40004", "isv.invalid-method", "不存在的方法名")),
    }
}

/// The moments a business day spans, and the day itself, from `YYYY-MM-DD`.
fn business_day(text: &str) -> Option<(jiff::civil::Date, Timestamp, Timestamp)> {
    let date: jiff::civil::Date = text.parse().ok()?;
    let (from, to) = redress_domain::reconcile::day_span(date)?;
    Some((date, from, to))
}

#[derive(Deserialize)]
struct BillQuery {
    bill_date: String,
    #[serde(default)]
    bill_type: String,
}

/// `GET /v3/bill/tradebill?bill_date=…&bill_type=REFUND`: the refunds accepted that day.
async fn wechat_tradebill(State(state): State<Gateway>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let sandbox = state.sandbox.clone();
    let path = format!("{}?{}", statements::wechat::BILL_PATH, uri.query().unwrap_or_default());
    if let Err(r) = sandbox.authorized(&headers, RequestLine { method: "GET", path_with_query: &path, body: "" }) {
        return r;
    }
    let Ok(axum::extract::Query(q)) = axum::extract::Query::<BillQuery>::try_from_uri(&uri) else {
        return sandbox.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", "bill_date is required");
    };
    let Some((_, from, to)) = business_day(&q.bill_date) else {
        return sandbox.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", "bill_date must be YYYY-MM-DD");
    };
    if q.bill_type != "REFUND" {
        return sandbox.error(StatusCode::BAD_REQUEST, "PARAM_ERROR", "the sandbox keeps refund bills only");
    }
    let refunds = match state.store.sandbox_refunds_between(WECHAT, false, from, to).await {
        Ok(r) => r,
        Err(e) => return sandbox.error(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", &e.to_string()),
    };
    if refunds.is_empty() {
        return sandbox.error(StatusCode::BAD_REQUEST, statements::wechat::NO_STATEMENT, "请求的账单文件不存在");
    }
    let lines: Vec<statements::wechat::Line> = refunds
        .iter()
        .map(|r| statements::wechat::Line {
            appid: "wx0000000000sandbox".into(),
            mchid: sandbox.mchid.clone(),
            transaction_id: r.trade_ref.clone(),
            out_trade_no: String::new(),
            refund_id: r.refund_id.clone(),
            out_refund_no: r.refund_key.clone(),
            refund: redress_domain::money::Fen(r.amount_fen),
            requested: r.created_at,
            succeeded: r.settled_at.filter(|_| r.status == "SUCCESS"),
            status: r.status.clone(),
        })
        .collect();
    let file = statements::wechat::write(&lines).into_bytes();
    let answer = statements::wechat::BillAnswer {
        hash_type: "SHA1".into(),
        hash_value: statements::wechat::hash(&file),
        download_url: format!(
            "{}/sandbox/wechat{}?token={}",
            sandbox.base,
            statements::wechat::DOWNLOAD_PATH,
            sandbox.keep_bill(file)
        ),
    };
    sandbox.signed(StatusCode::OK, serde_json::to_string(&answer).unwrap_or_default())
}

/// `GET /v3/billdownload/file?token=…`: signed request, unsigned file (as WeChat Pay does).
async fn wechat_bill_download(
    State(state): State<Gateway>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let sandbox = state.sandbox.clone();
    let query = query.unwrap_or_default();
    let path = format!("{}?{query}", statements::wechat::DOWNLOAD_PATH);
    if let Err(r) = sandbox.authorized(&headers, RequestLine { method: "GET", path_with_query: &path, body: "" }) {
        return r;
    }
    let token = query.strip_prefix("token=").unwrap_or_default();
    match sandbox.bill(token) {
        Some(bytes) => ([("content-type", "application/octet-stream")], bytes).into_response(),
        None => sandbox.error(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "no such bill, or it expired"),
    }
}

/// `GET /sandbox/alipay/bill/{token}`: the bill ZIP a `bill_download_url` points at.
async fn alipay_bill_download(State(state): State<Gateway>, Path(token): Path<String>) -> Response {
    let sandbox = state.sandbox.clone();
    match sandbox.bill(&token) {
        Some(bytes) => ([("content-type", "application/zip")], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such bill, or it expired").into_response(),
    }
}

/// `alipay.data.dataservice.bill.downloadurl.query`: the bill of the refunds made that day
/// (Alipay refunds synchronously), as a URL to a ZIP.
async fn alipay_bill_url(
    state: &Gateway,
    sandbox: &Sandbox,
    biz: &str,
) -> Result<String, (&'static str, &'static str)> {
    let b: statements::alipay::BillBiz =
        serde_json::from_str(biz).map_err(|_| ("ACQ.INVALID_PARAMETER", "biz_content"))?;
    let (date, from, to) = business_day(&b.bill_date).ok_or(("isv.invalid-parameter", "bill_date"))?;
    if b.bill_type != "trade" {
        return Err(("isv.invalid-parameter", "the sandbox keeps trade bills only"));
    }
    let refunds = state
        .store
        .sandbox_refunds_between(ALIPAY, false, from, to)
        .await
        .map_err(|_| ("isp.unknow-error", "系统繁忙"))?;
    let lines: Vec<statements::alipay::Line> = refunds
        .iter()
        .map(|r| statements::alipay::Line {
            trade_no: r.trade_ref.clone(),
            out_trade_no: String::new(),
            out_request_no: r.refund_key.clone(),
            refund: redress_domain::money::Fen(r.amount_fen),
            paid_at: r.created_at,
            refunded_at: r.created_at,
        })
        .collect();
    let zip = statements::alipay::write(ALIPAY_PID, date, &lines, state.now())
        .map_err(|_| ("isp.unknow-error", "系统繁忙"))?;
    Ok(format!("{}/sandbox/alipay/bill/{}", sandbox.base, sandbox.keep_bill(zip)))
}

/// `GET /sandbox/bank/statements/{date}`: the refunds the bank settled that day.
async fn bank_statement(State(state): State<Gateway>, headers: HeaderMap, Path(date): Path<String>) -> Response {
    let sandbox = state.sandbox.clone();
    let path = format!("{}/{date}", bank::STATEMENTS_PATH);
    if !bank_signed(&sandbox, &headers, "GET", &path, "") {
        return bank_answer(&sandbox, &path, StatusCode::UNAUTHORIZED, r#"{"error":"bad signature"}"#.into());
    }
    let Some((_, from, to)) = business_day(&date) else {
        return bank_answer(&sandbox, &path, StatusCode::BAD_REQUEST, r#"{"error":"date must be YYYY-MM-DD"}"#.into());
    };
    match state.store.sandbox_refunds_between(BANK, true, from, to).await {
        Ok(refunds) => {
            let rows: Vec<(bank::Refund, Timestamp)> =
                refunds.iter().filter_map(|r| Some((bank_record(r), r.settled_at?))).collect();
            match bank::statement_csv(&rows) {
                Ok(csv) => bank_answer(&sandbox, &path, StatusCode::OK, csv),
                Err(_) => {
                    bank_answer(&sandbox, &path, StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":"statement"}"#.into())
                }
            }
        }
        Err(_) => bank_answer(&sandbox, &path, StatusCode::SERVICE_UNAVAILABLE, r#"{"error":"busy"}"#.into()),
    }
}

/// The gateway's routes, under `/sandbox/…`.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/sandbox/bank/statements/{date}", get(bank_statement))
        .route("/sandbox/alipay/bill/{token}", get(alipay_bill_download))
        .route("/sandbox/wechat/v3/bill/tradebill", get(wechat_tradebill))
        .route("/sandbox/wechat/v3/billdownload/file", get(wechat_bill_download))
        .route("/sandbox/bank/refunds", post(bank_refund))
        .route("/sandbox/bank/refunds/{key}", get(bank_query))
        .route("/sandbox/alipay/gateway.do", post(alipay_gateway))
        .route("/sandbox/wechat/v3/refund/domestic/refunds", post(wechat_refund))
        .route("/sandbox/wechat/v3/refund/domestic/refunds/{key}", get(wechat_query))
        .with_state(gateway)
}

#[cfg(test)]
mod tests {
    use super::Faults;

    fn parse_yuan(s: &str) -> Option<i64> {
        redress_domain::money::Fen::parse_yuan(s).ok().map(|f| f.get())
    }

    #[test]
    fn faults_are_read_from_a_setting() {
        let f = Faults::parse("error:0.2, lost:0.1,twice:1").expect("faults");
        assert_eq!(f, Faults { error: 0.2, lost: 0.1, twice: 1.0, ..Faults::default() });
        assert_eq!(Faults::parse("abnormal:0.5").map(|f| f.abnormal), Ok(0.5));
        assert_eq!(Faults::parse(""), Ok(Faults::default()));
        assert!(Faults::parse("lost:2").is_err());
        assert!(Faults::parse("slow:0.1").is_err());
        assert!(Faults::parse("error").is_err());
    }

    #[test]
    fn yuan_amounts_are_read_exactly() {
        assert_eq!(parse_yuan("25.50"), Some(2550));
        assert_eq!(parse_yuan("25.5"), Some(2550));
        assert_eq!(parse_yuan("7"), Some(700));
        assert_eq!(parse_yuan("0.05"), Some(5));
        for bad in ["", ".5", "1.234", "-1.00", "1e3", "１.00", "99999999999999999999"] {
            assert_eq!(parse_yuan(bad), None, "{bad:?}");
        }
    }
}
