//! The payout worker (docs/product.md §4): takes due payouts from the outbox the approvals wrote,
//! sends each to its channel with its idempotency key, and records every exchange.
//!
//! Exactly once: the key is fixed before the first send and every retry uses it, so the
//! channel never refunds it twice. A payout is taken under a lease (`Store::claim_due_payouts`:
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL), so two workers never hold it at once; if a worker
//! dies mid-send, the lease runs out and the next worker first *asks* the channel about the key
//! before sending again. A timeout is not a failure: the payout is asked about later. A
//! channel's answer only ever moves a payout forward.

pub mod alipay;
pub mod bank;
pub mod wechat;

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use redress_app::App;
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use redress_domain::payout::Payout;
use redress_domain::payout::{ChannelStatus, PayoutState, check_limits, retry_delay};
use redress_domain::reconcile::{Reconciliation, StatementEntry};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a refund is, as a channel is told.
#[derive(Debug, Clone, Copy)]
pub struct RefundOrder<'a> {
    /// The idempotency key.
    pub key: &'a str,
    pub order_no: &'a str,
    /// The channel's number for the payment.
    pub transaction_id: &'a str,
    pub amount: Fen,
    /// What was paid.
    pub paid: Fen,
}

/// A channel's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status {
        status: ChannelStatus,
        channel_ref: Option<String>,
        reason: Option<String>,
    },
    /// A query for a key the channel has never seen.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// No answer in time: the refund may or may not have been made.
    #[error("no answer in time")]
    Timeout,
    /// Could not reach the channel, or it is busy: try again later with the same key.
    #[error("channel unavailable: {0}")]
    Unavailable(String),
    /// The channel refused the request itself (bad parameters, not enough funds…).
    #[error("refused: {code} {message}")]
    Refused { code: String, message: String },
    /// An answer that is not the channel's: not believed.
    #[error("answer not verified: {0}")]
    BadSignature(String),
    #[error("unreadable answer: {0}")]
    Protocol(String),
}

impl ChannelError {
    pub fn from_reqwest(e: reqwest::Error) -> ChannelError {
        if e.is_timeout() { ChannelError::Timeout } else { ChannelError::Unavailable(e.to_string()) }
    }
}

fn status_or(s: Option<ChannelStatus>, text: &str) -> Result<ChannelStatus, ChannelError> {
    s.ok_or_else(|| ChannelError::Protocol(format!("unknown status {text}")))
}

/// One channel's refund API.
pub trait RefundChannel: Send + Sync {
    /// Asks for the refund (a repeat with the same key refunds nothing more).
    fn refund<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>>;
    /// Asks how the refund with this key stands.
    fn query<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>>;
    /// The channel's statement of a business day (an empty one for a day without refunds).
    fn statement<'a>(
        &'a self,
        date: jiff::civil::Date,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<StatementEntry>, ChannelError>> + Send + 'a>>;
}

/// The configured channels.
#[derive(Clone, Default)]
pub struct Channels {
    pub wechat: Option<Arc<wechat::WechatClient>>,
    pub alipay: Option<Arc<alipay::AlipayClient>>,
    pub bank: Option<Arc<bank::BankClient>>,
}

impl Channels {
    /// The channels this configuration can pay through.
    pub fn configured(&self) -> Vec<Channel> {
        Channel::ALL.into_iter().filter(|c| self.get(*c).is_some()).collect()
    }

    /// The client of a channel, if it is configured.
    pub fn get(&self, c: Channel) -> Option<&dyn RefundChannel> {
        match c {
            Channel::WechatPay => self.wechat.as_deref().map(|c| c as &dyn RefundChannel),
            Channel::Alipay => self.alipay.as_deref().map(|c| c as &dyn RefundChannel),
            Channel::BankCard => self.bank.as_deref().map(|c| c as &dyn RefundChannel),
        }
    }
}

/// How many payouts a worker takes at a time.
pub const BATCH: usize = 20;

/// How many payouts a worker sends at once.
pub const CONCURRENCY: usize = 8;

/// How long a worker holds a payout it took.
pub const LEASE: SignedDuration = SignedDuration::from_secs(60);

/// Takes the payouts that are due now (by the application's clock) and works each once;
/// returns how many it worked.
pub async fn run_once(app: &App, channels: &Channels) -> Result<usize, redress_app::Error> {
    run_once_leased(app, channels, LEASE).await
}

/// As [`run_once`], holding what it takes for `lease`.
pub async fn run_once_leased(
    app: &App,
    channels: &Channels,
    lease: SignedDuration,
) -> Result<usize, redress_app::Error> {
    let due = app.claim_due_payouts(&channels.configured(), lease, BATCH).await?;
    let n = due.len();
    // Each payout is its own conversation with its channel: they go on side by side.
    futures_util::stream::iter(due)
        .for_each_concurrent(CONCURRENCY, |p| async move {
            if let Err(e) = work(app, channels, &p).await {
                tracing::warn!(payout = %p.id, error = %e, "payout not worked; it will be taken again");
            }
        })
        .await;
    Ok(n)
}

fn later(app: &App, p: &Payout) -> Timestamp {
    app.now() + retry_delay(u32::try_from(p.attempts).unwrap_or(u32::MAX), rand::random::<f64>())
}

async fn work(app: &App, channels: &Channels, p: &Payout) -> Result<(), redress_app::Error> {
    let Some(channel) = channels.get(p.channel) else {
        return Ok(());
    };
    let order =
        app.order(&redress_domain::ids::OrderNo::parse(&p.order_no).map_err(redress_app::StoreError::corrupt)?).await?;
    let Some(payment) = order.payment.as_ref() else {
        return Err(redress_app::StoreError::corrupt("a payout's order has no payment").into());
    };
    let o = RefundOrder {
        key: &p.id,
        order_no: &p.order_no,
        transaction_id: &payment.transaction_id,
        amount: p.amount,
        paid: payment.amount,
    };
    // Sent before (this is not its first attempt) or already answered: ask first. Only a
    // payout the channel never saw is sent; an abnormal one is only ever asked about, until
    // the channel says how it ended.
    let asked_before = p.attempts > 1 || p.state != PayoutState::Created;
    if asked_before {
        let answer = channel.query(o).await;
        app.record_payout_attempt(&p.id, "query", &outcome(&answer), &detail(&answer)).await?;
        match answer {
            Ok(Answer::Status { status, channel_ref, reason }) => {
                app.payout_reported(&p.id, status, channel_ref.as_deref(), reason.as_deref(), later(app, p)).await?;
                return Ok(());
            }
            Ok(Answer::Unknown) if p.state == PayoutState::Created => {}
            Ok(Answer::Unknown) | Err(_) => {
                app.payout_later(&p.id, later(app, p)).await?;
                return Ok(());
            }
        }
    }
    let earlier = app.refunds_requested_for_order(&p.order_no, &p.id).await?;
    if let Err(e) = check_limits(p.channel, payment.amount, p.amount, payment.paid_at, app.now(), earlier, &p.id) {
        app.record_payout_attempt(&p.id, "check", "refused", &e.to_string()).await?;
        app.payout_reported(&p.id, ChannelStatus::Closed, None, Some(e.code()), later(app, p)).await?;
        return Ok(());
    }
    let answer = channel.refund(o).await;
    app.record_payout_attempt(&p.id, "refund", &outcome(&answer), &detail(&answer)).await?;
    match answer {
        Ok(Answer::Status { status, channel_ref, reason }) => {
            app.payout_reported(&p.id, status, channel_ref.as_deref(), reason.as_deref(), later(app, p)).await?;
        }
        Err(ChannelError::Refused { code, message }) => {
            let reason = format!("{code}: {message}");
            app.payout_reported(&p.id, ChannelStatus::Closed, None, Some(&reason), later(app, p)).await?;
        }
        // No answer, or one not to be believed: ask again later, with the same key.
        Ok(Answer::Unknown) | Err(_) => app.payout_later(&p.id, later(app, p)).await?,
    }
    Ok(())
}

/// Why a reconciliation could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    #[error("the channel's statement could not be had: {0}")]
    Channel(#[from] ChannelError),
    #[error(transparent)]
    Store(#[from] redress_app::StoreError),
}

/// Fetches the channel's statement of `date` and has Redress's payouts set against it
/// ([`App::reconcile`]).
pub async fn reconcile(
    app: &App,
    channels: &Channels,
    channel: Channel,
    date: jiff::civil::Date,
) -> Result<Reconciliation, ReconcileError> {
    let client = channels.get(channel).ok_or(ReconcileError::NotConfigured(channel.as_str()))?;
    let statement = client.statement(date).await?;
    match app.reconcile(channel, date, &statement).await {
        Ok(r) => Ok(r),
        Err(redress_app::Error::Store(e)) => Err(e.into()),
        Err(e) => Err(ReconcileError::Channel(ChannelError::Protocol(e.to_string()))),
    }
}

fn outcome(a: &Result<Answer, ChannelError>) -> String {
    match a {
        Ok(Answer::Status { status, .. }) => format!("{status:?}").to_lowercase(),
        Ok(Answer::Unknown) => "unknown".into(),
        Err(ChannelError::Timeout) => "timeout".into(),
        Err(ChannelError::Refused { .. }) => "refused".into(),
        Err(_) => "error".into(),
    }
}

fn detail(a: &Result<Answer, ChannelError>) -> String {
    match a {
        Ok(Answer::Status { channel_ref, reason, .. }) => {
            format!("{} {}", channel_ref.as_deref().unwrap_or(""), reason.as_deref().unwrap_or("")).trim().to_owned()
        }
        Ok(Answer::Unknown) => String::new(),
        Err(e) => e.to_string(),
    }
}
