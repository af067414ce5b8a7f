//! Payouts in the database (rules in `redress_domain::payout`). An approval writes its payout
//! instruction in its own transaction ([`create_for_approval`], called wherever an approval's
//! event is written), so an approval without its payout, or a payout without its approval,
//! cannot exist.

use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::Application;
use redress_domain::ids::ApplicationNo;
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use redress_domain::payout::{PayoutState, payout_key};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// A payout as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The idempotency key the channel sees.
    pub id: String,
    pub application_no: String,
    /// The application's n-th payout.
    pub n: i64,
    pub order_no: String,
    pub channel: Channel,
    pub amount: Fen,
    pub state: PayoutState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub channel_ref: Option<String>,
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub settled_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, application_no, n, order_no, channel, amount_fen, state, attempts, next_attempt_at, \
                       channel_ref, reason, created_at, sent_at, settled_at";

fn from_row(r: &AnyRow) -> Result<Payout, StoreError> {
    let text = |c: &str| r.try_get::<String, _>(c);
    let opt_ms = |c: &str| r.try_get::<Option<i64>, _>(c).map(|v| v.map(from_ms));
    Ok(Payout {
        id: text("id")?,
        application_no: text("application_no")?,
        n: r.try_get("n")?,
        order_no: text("order_no")?,
        channel: Channel::parse(&text("channel")?).ok_or_else(|| StoreError::corrupt("payout channel"))?,
        amount: Fen(r.try_get("amount_fen")?),
        state: PayoutState::parse(&text("state")?).ok_or_else(|| StoreError::corrupt("payout state"))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: from_ms(r.try_get("next_attempt_at")?),
        channel_ref: r.try_get("channel_ref")?,
        reason: r.try_get("reason")?,
        created_at: from_ms(r.try_get("created_at")?),
        sent_at: opt_ms("sent_at")?,
        settled_at: opt_ms("settled_at")?,
    })
}

/// Writes the payout instruction of an approval of `amount`, in the approval's transaction: to
/// the channel the order was paid through, with the next key of the application, due now.
pub(crate) async fn create_for_approval(
    tx: &mut Transaction<'static, Any>,
    a: &Application,
    amount: Fen,
    now: Timestamp,
) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT pay_channel FROM orders WHERE order_no = $1")
        .bind(a.order_no.as_str())
        .fetch_one(&mut **tx)
        .await?;
    let channel: Option<String> = row.try_get("pay_channel")?;
    // An approval needs a payment: the entitlement gives nothing on an unpaid order.
    let channel = channel.ok_or_else(|| StoreError::corrupt("an approved application's order has no payment"))?;
    let n: i64 = sqlx::query("SELECT COALESCE(MAX(n), 0) + 1 AS n FROM payouts WHERE application_no = $1")
        .bind(a.no.as_str())
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    let key = payout_key(&a.no, u32::try_from(n).unwrap_or(u32::MAX));
    sqlx::query(
        "INSERT INTO payouts (id, application_no, n, order_no, channel, amount_fen, state, attempts, next_attempt_at,
                              created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, $8)",
    )
    .bind(&key)
    .bind(a.no.as_str())
    .bind(n)
    .bind(a.order_no.as_str())
    .bind(channel)
    .bind(amount.0)
    .bind(PayoutState::Created.as_str())
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// An application's payouts, oldest first (visibility is the caller's: the application's
    /// buyer or staff).
    pub async fn payouts_of(&self, no: &ApplicationNo) -> Result<Vec<Payout>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM payouts WHERE application_no = $1 ORDER BY n"
        )))
        .bind(no.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }
}
