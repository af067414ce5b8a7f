//! Payouts in the database (rules in `redress_domain::payout`). A payout is written in the
//! transaction of the decision that sets it in motion ([`insert_new`], called by the
//! applications' `write_decision`), so an approval without its payout, or a payout without
//! its approval, cannot exist.

use crate::applications::row::AnyQuery;
use crate::db::WriteTx;
use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::{Application, Decision, NewPayout};
use redress_domain::ids::ApplicationNo;
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use redress_domain::payout::{Payout, PayoutHistory, PayoutState, Reported as Report};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) const COLUMNS: &str = "id, application_no, n, order_no, channel, amount_fen, state, attempts, \
                       next_attempt_at, channel_ref, reason, created_at, sent_at, settled_at";

/// Binds a payout in [`COLUMNS`] order.
pub(crate) fn bind_payout<'q>(q: AnyQuery<'q>, p: &Payout) -> AnyQuery<'q> {
    q.bind(p.id.clone())
        .bind(p.application_no.clone())
        .bind(p.n)
        .bind(p.order_no.clone())
        .bind(p.channel.as_str())
        .bind(p.amount.0)
        .bind(p.state.as_str())
        .bind(p.attempts)
        .bind(ms(p.next_attempt_at))
        .bind(p.channel_ref.clone())
        .bind(p.reason.clone())
        .bind(ms(p.created_at))
        .bind(p.sent_at.map(ms))
        .bind(p.settled_at.map(ms))
}

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

/// Writes a payout a decision set in motion (in the decision's transaction): due now.
pub(crate) async fn insert_new(
    tx: &mut WriteTx,
    no: &ApplicationNo,
    a: &Application,
    p: &NewPayout,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payouts (id, application_no, n, order_no, channel, amount_fen, state, attempts, next_attempt_at,
                              created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, $8)",
    )
    .bind(&p.key)
    .bind(no.as_str())
    .bind(i64::from(p.n))
    .bind(a.order_no.as_str())
    .bind(p.channel.as_str())
    .bind(p.amount.0)
    .bind(PayoutState::Created.as_str())
    .bind(ms(now))
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// What one report from a channel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub payout: Payout,
    /// Whether it moved the payout forward (a repeat or older news does not).
    pub moved: bool,
}

/// Decides what a channel's report does, given the payout (locked) and its application: the
/// payout's next row, and the application's steps that follow (see `redress_app`).
pub type ReportDecision =
    Box<dyn FnOnce(&Payout, &Application) -> Result<(Report, Option<Decision>), StoreError> + Send>;

impl Store {
    /// What a decision about application `no` needs of its payouts: its order's channel and
    /// the state of each payout so far.
    pub async fn payout_history(&self, no: &ApplicationNo) -> Result<PayoutHistory, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let channel: Option<String> = sqlx::query(
            "SELECT o.pay_channel FROM applications a JOIN orders o ON o.order_no = a.order_no WHERE a.no = $1",
        )
        .bind(no.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("pay_channel")?;
        let channel = match channel {
            Some(c) => Some(Channel::parse(&c).ok_or_else(|| StoreError::corrupt("channel"))?),
            None => None,
        };
        let states = sqlx::query("SELECT state FROM payouts WHERE application_no = $1 ORDER BY n")
            .bind(no.as_str())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                let s: String = r.try_get("state")?;
                PayoutState::parse(&s).ok_or_else(|| StoreError::corrupt("payout state"))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(PayoutHistory { channel, states })
    }

    /// An application's payouts, oldest first (visibility is the caller's: the application's
    /// buyer or staff).
    pub async fn payouts_of(&self, no: &ApplicationNo) -> Result<Vec<Payout>, StoreError> {
        let rows = sqlx::query(built!("SELECT {COLUMNS} FROM payouts WHERE application_no = $1 ORDER BY n"))
            .bind(no.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Store {
    /// Takes up to `limit` payouts of `channels` that are due (created; or processing or
    /// abnormal — not ended — and due for a query) for `lease`, with the queue's one claim
    /// mechanism ([`crate::lease`]).
    pub async fn claim_due_payouts(
        &self,
        channels: &[Channel],
        now: Timestamp,
        lease: jiff::SignedDuration,
        limit: usize,
    ) -> Result<Vec<Payout>, StoreError> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        // Open: not ended, and through one of the channels (a parameter for each channel there
        // is, the list padded by repeating its first).
        let names: Vec<&'static str> =
            (0..Channel::ALL.len()).map(|i| channels.get(i).unwrap_or(&channels[0]).as_str()).collect();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let queue = crate::lease::queue!(
                "payouts",
                "id",
                format!(
                    "state IN ({}) AND channel IN ({})",
                    crate::payout_states_sql(|s| !s.is_final()),
                    (3..3 + Channel::ALL.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
                ),
                COLUMNS
            );
            let rows = crate::lease::claim_due(&s, &mut tx, &queue, &names, now, lease, limit).await?;
            let taken = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            tx.commit().await?;
            Ok(taken)
        })
        .await
    }

    /// Records one exchange with a channel (a request, a query, a callback) as it happened.
    pub async fn record_payout_attempt(
        &self,
        id: &str,
        action: &str,
        outcome: &str,
        detail: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (id, action, outcome, detail) = (id.to_owned(), action.to_owned(), outcome.to_owned(), detail.to_owned());
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            sqlx::query(
                "INSERT INTO payout_attempts (payout_id, n, at, action, outcome, detail)
                 SELECT $1, COALESCE(MAX(n), 0) + 1, $2, $3, $4, $5 FROM payout_attempts WHERE payout_id = $1",
            )
            .bind(&id)
            .bind(ms(at))
            .bind(&action)
            .bind(&outcome)
            .bind(&detail)
            .execute(&mut **tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Applies a channel's report to payout `id` as `decide` decides it, in one transaction
    /// with the payout's row locked: the payout's next row (or only its next attempt) and the
    /// application's steps that follow.
    pub async fn payout_reported(
        &self,
        id: &str,
        now: Timestamp,
        decide: ReportDecision,
    ) -> Result<Reported, StoreError> {
        let id = id.to_owned();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let sql = match s.backend() {
                crate::Backend::Postgres => built!(postgres: "SELECT {COLUMNS} FROM payouts WHERE id = $1 FOR UPDATE"),
                crate::Backend::Sqlite => built!("SELECT {COLUMNS} FROM payouts WHERE id = $1"),
            };
            let row = sqlx::query(sql).bind(&id).fetch_optional(&mut **tx).await?.ok_or(StoreError::NotFound)?;
            let p = from_row(&row)?;
            let no = ApplicationNo::parse(&p.application_no).map_err(StoreError::corrupt)?;
            let a = s.fetch_app(Some(&mut *tx), &no.into()).await?;
            let (report, follows) = decide(&p, &a)?;
            let reported = match report {
                Report::Unchanged { retry_at } => {
                    let mut p = p;
                    if let Some(at) = retry_at {
                        sqlx::query("UPDATE payouts SET next_attempt_at = $1, updated_at = $2 WHERE id = $3")
                            .bind(ms(at))
                            .bind(ms(now))
                            .bind(&id)
                            .execute(&mut **tx)
                            .await?;
                        p.next_attempt_at = at;
                    }
                    Reported { payout: p, moved: false }
                }
                Report::Moved(next) => {
                    sqlx::query(
                        "UPDATE payouts SET state = $1, channel_ref = $2, reason = $3, sent_at = $4, settled_at = $5,
                                next_attempt_at = $6, updated_at = $7 WHERE id = $8",
                    )
                    .bind(next.state.as_str())
                    .bind(&next.channel_ref)
                    .bind(&next.reason)
                    .bind(next.sent_at.map(ms))
                    .bind(next.settled_at.map(ms))
                    .bind(ms(next.next_attempt_at))
                    .bind(ms(now))
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
                    Reported { payout: *next, moved: true }
                }
            };
            if let Some(d) = follows {
                crate::applications::write_decision(&mut tx, &d, now).await?;
            }
            tx.commit().await?;
            Ok(reported)
        })
        .await
    }

    /// Puts a payout that is not final back in the queue for `at` (no answer, or one not to be
    /// believed: it will be asked about, with the same key).
    pub async fn payout_later(&self, id: &str, at: Timestamp, now: Timestamp) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.writing(move |s| async move {
            sqlx::query(built!(
                "UPDATE payouts SET next_attempt_at = $1, updated_at = $2 WHERE id = $3 AND state IN ({})",
                crate::payout_states_sql(|s| !s.is_final())
            ))
            .bind(ms(at))
            .bind(ms(now))
            .bind(&id)
            .execute(s.write_pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// How many refunds of an order its channel has been asked for, besides payout `except`.
    pub async fn refunds_requested_for_order(&self, order_no: &str, except: &str) -> Result<u32, StoreError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM payouts WHERE order_no = $1 AND id <> $2 AND (state <> $3 OR attempts > 0)",
        )
        .bind(order_no)
        .bind(except)
        .bind(PayoutState::Created.as_str())
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A payout by its idempotency key.
    pub async fn payout(&self, id: &str) -> Result<Payout, StoreError> {
        let row = sqlx::query(built!("SELECT {COLUMNS} FROM payouts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// A channel's payouts the channel first answered, or that arrived, in `[from, to)` (for
    /// reconciliation).
    pub async fn payouts_answered_or_arrived(
        &self,
        channel: Channel,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Payout>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {COLUMNS} FROM payouts WHERE channel = $1
               AND ((sent_at >= $2 AND sent_at < $3) OR (settled_at >= $2 AND settled_at < $3))
             ORDER BY id"
        ))
        .bind(channel.as_str())
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The applications whose refund staff recorded as paid another way.
    pub async fn settled_outside(&self) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let kind = redress_domain::application::EventKind::SettledOutside { note: String::new() }.name();
        let rows = sqlx::query("SELECT DISTINCT application_no FROM application_events WHERE kind = $1")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>("application_no")?)).collect()
    }
}
