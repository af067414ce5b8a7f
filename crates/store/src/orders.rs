//! Orders, payments, delivery readings and account events as merchants push them. Every
//! ingest call is idempotent: the same message twice changes nothing, and a message that
//! contradicts what was recorded (another buyer, another payment) is refused, not applied.

use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::Application;
use redress_domain::ids::{OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{
    AccountEvent, AccountEventKind, Channel, DeliveryReading, DeliverySource, Order, Payment,
    Service,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

pub type OrderUpsert = Order;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// An order with what is left to refund on it.
#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub order: Order,
    pub claimed: Fen,
    pub balance: Fen,
    pub delivered: u64,
}

const ORDER_COLUMNS: &str = "order_no, buyer, service_name, platform, unit, promised, deadline, policy_version, \
     policy_accepted_at, pay_channel, pay_transaction_id, paid_fen, paid_at";

pub(crate) fn order_from_row(row: &AnyRow) -> Result<Order, StoreError> {
    let no: String = row.try_get("order_no")?;
    let buyer: String = row.try_get("buyer")?;
    let channel: Option<String> = row.try_get("pay_channel")?;
    let payment = match channel {
        Some(c) => Some(Payment {
            channel: Channel::parse(&c).ok_or_else(|| StoreError::corrupt("channel"))?,
            transaction_id: row
                .try_get::<Option<String>, _>("pay_transaction_id")?
                .unwrap_or_default(),
            amount: Fen(row.try_get::<Option<i64>, _>("paid_fen")?.unwrap_or(0)),
            paid_at: from_ms(row.try_get::<Option<i64>, _>("paid_at")?.unwrap_or(0)),
        }),
        None => None,
    };
    Ok(Order {
        no: OrderNo::parse(&no).map_err(|_| StoreError::corrupt("order_no"))?,
        buyer: Username::parse(&buyer).map_err(|_| StoreError::corrupt("buyer"))?,
        service: Service {
            name: row.try_get("service_name")?,
            platform: row.try_get("platform")?,
            unit: row.try_get("unit")?,
            promised: u64::try_from(row.try_get::<i64, _>("promised")?).unwrap_or(0),
            deadline: from_ms(row.try_get("deadline")?),
        },
        payment,
        policy_version: u32::try_from(row.try_get::<i64, _>("policy_version")?).unwrap_or(0),
        policy_accepted_at: from_ms(row.try_get("policy_accepted_at")?),
    })
}

fn positive(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    pub async fn upsert_order(
        &self,
        order: &Order,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.write().await?;
        let policy_known = sqlx::query("SELECT 1 FROM policies WHERE version = $1")
            .bind(i64::from(order.policy_version))
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !policy_known {
            return Err(StoreError::UnknownPolicy(order.policy_version));
        }
        let existing = fetch_order(&mut tx, order.no.as_str()).await?;
        let outcome = match existing {
            None => {
                let p = order.payment.as_ref();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO orders ({ORDER_COLUMNS}, created_at, updated_at, lock_version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 0)"
                )))
                .bind(order.no.as_str())
                .bind(order.buyer.as_str())
                .bind(&order.service.name)
                .bind(&order.service.platform)
                .bind(&order.service.unit)
                .bind(positive(order.service.promised))
                .bind(ms(order.service.deadline))
                .bind(i64::from(order.policy_version))
                .bind(ms(order.policy_accepted_at))
                .bind(p.map(|p| p.channel.as_str()))
                .bind(p.map(|p| p.transaction_id.clone()))
                .bind(p.map(|p| p.amount.0))
                .bind(p.map(|p| ms(p.paid_at)))
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                Upserted::Created
            }
            Some(old) => {
                if old.buyer != order.buyer {
                    return Err(StoreError::Immutable("buyer"));
                }
                if old.policy_version != order.policy_version
                    || old.policy_accepted_at != order.policy_accepted_at
                {
                    return Err(StoreError::Immutable("policy_version"));
                }
                let payment = match (&old.payment, &order.payment) {
                    (Some(a), Some(b)) if a != b => return Err(StoreError::Immutable("payment")),
                    (Some(a), _) => Some(a.clone()),
                    (None, b) => b.clone(),
                };
                let merged = Order {
                    payment,
                    ..order.clone()
                };
                if merged == old {
                    Upserted::Unchanged
                } else {
                    let p = merged.payment.as_ref();
                    sqlx::query(
                        "UPDATE orders SET service_name = $2, platform = $3, unit = $4, promised = $5, deadline = $6,
                         pay_channel = $7, pay_transaction_id = $8, paid_fen = $9, paid_at = $10, updated_at = $11,
                         lock_version = lock_version + 1 WHERE order_no = $1",
                    )
                    .bind(order.no.as_str())
                    .bind(&merged.service.name)
                    .bind(&merged.service.platform)
                    .bind(&merged.service.unit)
                    .bind(positive(merged.service.promised))
                    .bind(ms(merged.service.deadline))
                    .bind(p.map(|p| p.channel.as_str()))
                    .bind(p.map(|p| p.transaction_id.clone()))
                    .bind(p.map(|p| p.amount.0))
                    .bind(p.map(|p| ms(p.paid_at)))
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await?;
                    Upserted::Updated
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records the payment of an existing order (once; the same payment again is a no-op).
    pub async fn set_payment(
        &self,
        order_no: &OrderNo,
        payment: &Payment,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let order = self.order(order_no).await?;
        self.upsert_order(
            &Order {
                payment: Some(payment.clone()),
                ..order
            },
            now,
        )
        .await
    }

    pub async fn order(&self, order_no: &OrderNo) -> Result<Order, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1"
        )))
        .bind(order_no.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    /// Adds delivery readings; returns how many were new. A reading already recorded with
    /// another quantity (same order, moment and source) is refused and nothing is written.
    pub async fn add_deliveries(
        &self,
        order_no: &OrderNo,
        readings: &[DeliveryReading],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write().await?;
        if fetch_order(&mut tx, order_no.as_str()).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut added = 0;
        for r in readings {
            let done = sqlx::query(
                "INSERT INTO deliveries (order_no, at, source, delivered, recorded_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (order_no, at, source) DO NOTHING",
            )
            .bind(order_no.as_str())
            .bind(ms(r.at))
            .bind(r.source.as_str())
            .bind(positive(r.delivered))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                added += 1;
                continue;
            }
            let same: i64 = sqlx::query(
                "SELECT delivered FROM deliveries WHERE order_no = $1 AND at = $2 AND source = $3",
            )
            .bind(order_no.as_str())
            .bind(ms(r.at))
            .bind(r.source.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get("delivered")?;
            if same != positive(r.delivered) {
                return Err(StoreError::Immutable("a delivery reading"));
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn deliveries(&self, order_no: &OrderNo) -> Result<Vec<DeliveryReading>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, source, delivered FROM deliveries WHERE order_no = $1 ORDER BY at, source",
        )
        .bind(order_no.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(reading_from_row).collect()
    }

    /// Records an account event under the merchant's event id (idempotent).
    pub async fn add_account_event(
        &self,
        event_id: &str,
        buyer: &Username,
        event: &AccountEvent,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO account_events (event_id, buyer, kind, at, source, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(buyer.as_str())
        .bind(event.kind.as_str())
        .bind(ms(event.at))
        .bind(&event.source)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let row = sqlx::query(
                "SELECT buyer, kind, at, source FROM account_events WHERE event_id = $1",
            )
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await?;
            let same = row.try_get::<String, _>("buyer")? == buyer.as_str()
                && account_event_from_row(&row)? == *event;
            return if same {
                Ok(Upserted::Unchanged)
            } else {
                Err(StoreError::Immutable("an account event"))
            };
        }
        tx.commit().await?;
        Ok(Upserted::Created)
    }

    pub async fn account_events(&self, buyer: &Username) -> Result<Vec<AccountEvent>, StoreError> {
        let rows =
            sqlx::query("SELECT kind, at, source FROM account_events WHERE buyer = $1 ORDER BY at")
                .bind(buyer.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(account_event_from_row).collect()
    }

    /// A buyer's orders, newest payment first, with balances.
    pub async fn buyer_orders(&self, buyer: &Username) -> Result<Vec<OrderSummary>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE buyer = $1 ORDER BY paid_at DESC, order_no"
        )))
        .bind(buyer.as_str())
        .fetch_all(&self.pool)
        .await?;
        let apps = self.applications_of_buyer(buyer).await?;
        let readings = sqlx::query(
            "SELECT d.order_no, d.at, d.source, d.delivered FROM deliveries d JOIN orders o ON o.order_no = d.order_no
             WHERE o.buyer = $1 ORDER BY d.at",
        )
        .bind(buyer.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let order = order_from_row(row)?;
            let claimed = redress_domain::application::claimed(
                apps.iter().filter(|a| a.order_no == order.no),
            );
            let paid = order.payment.as_ref().map_or(Fen::ZERO, |p| p.amount);
            let mut ledger = vec![];
            for r in &readings {
                if r.try_get::<String, _>("order_no")? == order.no.as_str() {
                    ledger.push(reading_from_row(r)?);
                }
            }
            let delivered = redress_domain::order::delivered_by(&ledger, Timestamp::MAX)
                .map_or(0, |r| r.delivered);
            out.push(OrderSummary {
                balance: paid.saturating_sub(claimed).max_zero(),
                claimed,
                delivered,
                order,
            });
        }
        Ok(out)
    }

    /// All applications on an order (for balances), read inside `tx` when given.
    pub(crate) async fn applications_on_order(
        tx: &mut Transaction<'static, Any>,
        order_no: &str,
    ) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM applications WHERE order_no = $1",
            crate::applications::APP_COLUMNS
        )))
        .bind(order_no)
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(crate::applications::app_from_row).collect()
    }
}

pub(crate) async fn fetch_order(
    tx: &mut Transaction<'static, Any>,
    order_no: &str,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1"
    )))
    .bind(order_no)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(order_from_row).transpose()
}

/// Takes the order's row lock (and SQLite's write lock) before reading its balance.
pub(crate) async fn lock_order(
    tx: &mut Transaction<'static, Any>,
    order_no: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE orders SET lock_version = lock_version + 1 WHERE order_no = $1")
        .bind(order_no)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Reads run on the caller's connection: inside a write transaction a second pooled
/// connection could wait forever for a pool slot held by writers queued behind this one.
pub(crate) async fn deliveries_in(
    conn: &mut AnyConnection,
    order_no: &OrderNo,
) -> Result<Vec<DeliveryReading>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, source, delivered FROM deliveries WHERE order_no = $1 ORDER BY at, source",
    )
    .bind(order_no.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(reading_from_row).collect()
}

pub(crate) async fn account_events_in(
    conn: &mut AnyConnection,
    buyer: &Username,
) -> Result<Vec<AccountEvent>, StoreError> {
    let rows =
        sqlx::query("SELECT kind, at, source FROM account_events WHERE buyer = $1 ORDER BY at")
            .bind(buyer.as_str())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(account_event_from_row).collect()
}

fn reading_from_row(row: &AnyRow) -> Result<DeliveryReading, StoreError> {
    let source: String = row.try_get("source")?;
    Ok(DeliveryReading {
        at: from_ms(row.try_get("at")?),
        delivered: u64::try_from(row.try_get::<i64, _>("delivered")?).unwrap_or(0),
        source: DeliverySource::parse(&source)
            .ok_or_else(|| StoreError::corrupt("delivery source"))?,
    })
}

fn account_event_from_row(row: &AnyRow) -> Result<AccountEvent, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(AccountEvent {
        at: from_ms(row.try_get("at")?),
        kind: AccountEventKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt("account event kind"))?,
        source: row.try_get("source")?,
    })
}
