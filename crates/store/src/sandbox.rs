//! The sandbox gateway's books and the channels' replay guard.
//!
//! The sandbox (crates/sandbox) keeps the refunds it was asked for here, one per
//! channel and idempotency key, so that however often Redress asks — retries, restarts,
//! crashes — it refunds a key once, and anyone can count what it paid.

use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A refund as the sandbox recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxRefund {
    pub channel: String,
    pub refund_key: String,
    /// The sandbox's own number for it (WeChat Pay `refund_id`, Alipay `trade_no`…).
    pub refund_id: String,
    pub trade_ref: String,
    pub amount_fen: i64,
    pub total_fen: i64,
    /// `PROCESSING`, `SUCCESS`, `ABNORMAL`, `CLOSED`.
    pub status: String,
    pub notify_url: Option<String>,
    /// How many times it was asked for (1 + repeats with the same key).
    pub requests: i64,
    pub created_at: Timestamp,
    pub settle_at: Timestamp,
    pub settled_at: Option<Timestamp>,
    pub notified_at: Option<Timestamp>,
}

const COLUMNS: &str = "channel, refund_key, refund_id, trade_ref, amount_fen, total_fen, status, notify_url, requests, \
                       created_at, settle_at, settled_at, notified_at";

fn from_row(r: &AnyRow) -> Result<SandboxRefund, StoreError> {
    let opt = |c: &str| r.try_get::<Option<i64>, _>(c).map(|v| v.map(from_ms));
    Ok(SandboxRefund {
        channel: r.try_get("channel")?,
        refund_key: r.try_get("refund_key")?,
        refund_id: r.try_get("refund_id")?,
        trade_ref: r.try_get("trade_ref")?,
        amount_fen: r.try_get("amount_fen")?,
        total_fen: r.try_get("total_fen")?,
        status: r.try_get("status")?,
        notify_url: r.try_get("notify_url")?,
        requests: r.try_get("requests")?,
        created_at: from_ms(r.try_get("created_at")?),
        settle_at: from_ms(r.try_get("settle_at")?),
        settled_at: opt("settled_at")?,
        notified_at: opt("notified_at")?,
    })
}

impl Store {
    /// Records a refund request: a new key makes a `PROCESSING` refund settling at `settle_at`;
    /// a known key only counts the repeat. Returns the refund as recorded and whether it is new.
    pub async fn sandbox_request(&self, new: SandboxRefund) -> Result<(SandboxRefund, bool), StoreError> {
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let inserted = sqlx::query(
                "INSERT INTO sandbox_refunds (channel, refund_key, refund_id, trade_ref, amount_fen, total_fen, status,
                                              notify_url, requests, created_at, settle_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10) ON CONFLICT (channel, refund_key) DO NOTHING",
            )
            .bind(&new.channel)
            .bind(&new.refund_key)
            .bind(&new.refund_id)
            .bind(&new.trade_ref)
            .bind(new.amount_fen)
            .bind(new.total_fen)
            .bind(&new.status)
            .bind(&new.notify_url)
            .bind(ms(new.created_at))
            .bind(ms(new.settle_at))
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
            if !inserted {
                sqlx::query(
                    "UPDATE sandbox_refunds SET requests = requests + 1 WHERE channel = $1 AND refund_key = $2",
                )
                .bind(&new.channel)
                .bind(&new.refund_key)
                .execute(&mut **tx)
                .await?;
            }
            let row =
                sqlx::query(built!("SELECT {COLUMNS} FROM sandbox_refunds WHERE channel = $1 AND refund_key = $2"))
                    .bind(&new.channel)
                    .bind(&new.refund_key)
                    .fetch_one(&mut **tx)
                    .await?;
            tx.commit().await?;
            Ok((from_row(&row)?, inserted))
        })
        .await
    }

    pub async fn sandbox_refund(&self, channel: &str, key: &str) -> Result<SandboxRefund, StoreError> {
        let row = sqlx::query(built!("SELECT {COLUMNS} FROM sandbox_refunds WHERE channel = $1 AND refund_key = $2"))
            .bind(channel)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Settles one refund now as `status` (`SUCCESS`, `ABNORMAL`, or `CLOSED` when the channel
    /// gives up), if it has not ended (processing, or abnormal: a channel may still deliver an
    /// abnormal refund, or give it up).
    pub async fn sandbox_settle_now(
        &self,
        channel: &str,
        key: &str,
        status: &'static str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (channel, key) = (channel.to_owned(), key.to_owned());
        self.writing(move |s| async move {
            sqlx::query(
                "UPDATE sandbox_refunds SET status = $4, settled_at = $1
                 WHERE channel = $2 AND refund_key = $3 AND status IN ('PROCESSING', 'ABNORMAL')",
            )
            .bind(ms(now))
            .bind(&channel)
            .bind(&key)
            .bind(status)
            .execute(s.write_pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// Settles every processing refund whose time has come, as `SUCCESS`; returns them.
    pub async fn sandbox_settle_due(&self, now: Timestamp) -> Result<Vec<SandboxRefund>, StoreError> {
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let rows = sqlx::query(built!(
                "UPDATE sandbox_refunds SET status = 'SUCCESS', settled_at = $1
                 WHERE status = 'PROCESSING' AND settle_at <= $1 RETURNING {COLUMNS}"
            ))
            .bind(ms(now))
            .fetch_all(&mut **tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        })
        .await
    }

    /// Settled refunds whose callback has not been delivered yet (retried until it is).
    pub async fn sandbox_unnotified(&self, limit: usize) -> Result<Vec<SandboxRefund>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {COLUMNS} FROM sandbox_refunds
             WHERE settled_at IS NOT NULL AND notified_at IS NULL AND notify_url IS NOT NULL
             ORDER BY settled_at LIMIT $1"
        ))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn sandbox_notified(&self, channel: &str, key: &str, now: Timestamp) -> Result<(), StoreError> {
        let (channel, key) = (channel.to_owned(), key.to_owned());
        self.writing(move |s| async move {
            sqlx::query("UPDATE sandbox_refunds SET notified_at = $1 WHERE channel = $2 AND refund_key = $3")
                .bind(ms(now))
                .bind(&channel)
                .bind(&key)
                .execute(s.write_pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Every refund the sandbox recorded for a channel (for tests and reconciliation).
    pub async fn sandbox_refunds(&self, channel: &str) -> Result<Vec<SandboxRefund>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {COLUMNS} FROM sandbox_refunds WHERE channel = $1 ORDER BY created_at, refund_key"
        ))
        .bind(channel)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// A channel's refunds made (`by_settlement` false) or settled (true) in `[from, to)`, for
    /// the sandbox's statements.
    pub async fn sandbox_refunds_between(
        &self,
        channel: &str,
        by_settlement: bool,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SandboxRefund>, StoreError> {
        let sql = if by_settlement {
            built!(
                "SELECT {COLUMNS} FROM sandbox_refunds WHERE channel = $1 AND settled_at >= $2 AND settled_at < $3
                 ORDER BY settled_at, refund_key"
            )
        } else {
            built!(
                "SELECT {COLUMNS} FROM sandbox_refunds WHERE channel = $1 AND created_at >= $2 AND created_at < $3
                 ORDER BY created_at, refund_key"
            )
        };
        let rows = sqlx::query(sql).bind(channel).bind(ms(from)).bind(ms(to)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Accepts a callback's nonce once: `false` when the channel already used it (a replay).
    pub async fn channel_nonce_fresh(&self, channel: &str, nonce: &str, now: Timestamp) -> Result<bool, StoreError> {
        let (channel, nonce) = (channel.to_owned(), nonce.to_owned());
        self.writing(move |s| async move {
            let done = sqlx::query(
                "INSERT INTO channel_nonces (channel, nonce, at) VALUES ($1, $2, $3) ON CONFLICT (channel, nonce) DO NOTHING",
            )
            .bind(&channel)
            .bind(&nonce)
            .bind(ms(now))
            .execute(s.write_pool())
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// A setting's value, or `value` stored as it if there is none yet (every instance ends up
    /// with the first one written).
    pub async fn setting_or_init(&self, key: &str, value: String, now: Timestamp) -> Result<String, StoreError> {
        let key = key.to_owned();
        self.writing(move |s| async move {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&key)
            .bind(&value)
            .bind(ms(now))
            .execute(s.write_pool())
            .await?;
            let row =
                sqlx::query("SELECT value FROM settings WHERE key = $1").bind(&key).fetch_one(s.write_pool()).await?;
            Ok(row.try_get("value")?)
        })
        .await
    }
}
