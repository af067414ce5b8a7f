//! Reading orders: one order, a buyer's orders with the facts of their entitlements, the
//! delivery ledger and account events. (What merchants push is in `ingest`.)

use crate::OrderFacts;
use crate::sql::built;
use crate::{Store, StoreError, from_ms};
use jiff::Timestamp;
use redress_domain::application::{ApplicationState, Claim};
use redress_domain::ids::{ApplicationId, OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{
    AccountEvent, AccountEventKind, Channel, DeliveryReading, DeliverySource, Order, Payment, Service,
};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use std::collections::HashMap;

const ORDER_COLUMNS: &str = "order_no, buyer, service_name, platform, unit, promised, deadline, policy_version, \
     policy_accepted_at, pay_channel, pay_transaction_id, paid_fen, paid_at";

pub(crate) fn order_columns() -> &'static str {
    ORDER_COLUMNS
}

/// The order's columns prefixed with `alias.`, leaving out `skip` (columns a join already
/// has under the same name).
pub(crate) fn order_columns_of(alias: &str, skip: &[&str]) -> String {
    ORDER_COLUMNS
        .split(", ")
        .filter(|c| !skip.contains(c))
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn order_from_row(row: &AnyRow) -> Result<Order, StoreError> {
    let no: String = row.try_get("order_no")?;
    let buyer: String = row.try_get("buyer")?;
    let channel: Option<String> = row.try_get("pay_channel")?;
    let payment = match channel {
        Some(c) => Some(Payment {
            channel: Channel::parse(&c).ok_or_else(|| StoreError::corrupt("channel"))?,
            transaction_id: row.try_get::<Option<String>, _>("pay_transaction_id")?.unwrap_or_default(),
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

impl Store {
    pub async fn order(&self, order_no: &OrderNo) -> Result<Order, StoreError> {
        let row = sqlx::query(built!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1"))
            .bind(order_no.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    pub async fn deliveries(&self, order_no: &OrderNo) -> Result<Vec<DeliveryReading>, StoreError> {
        deliveries_in(&mut *self.pool.acquire().await?, order_no).await
    }

    pub async fn account_events(&self, buyer: &Username) -> Result<Vec<AccountEvent>, StoreError> {
        account_events_in(&mut *self.pool.acquire().await?, buyer).await
    }

    /// A buyer's orders, newest payment first, each with the facts its entitlement is worked
    /// out from. Read in one transaction so balances and applications agree.
    pub async fn buyer_order_facts(&self, buyer: &Username) -> Result<Vec<OrderFacts>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows =
            sqlx::query(built!("SELECT {ORDER_COLUMNS} FROM orders WHERE buyer = $1 ORDER BY paid_at DESC, order_no"))
                .bind(buyer.as_str())
                .fetch_all(&mut *tx)
                .await?;
        let mut claims: HashMap<String, Vec<Claim>> = HashMap::new();
        let claim_rows = sqlx::query(built!(
            "SELECT id, order_no, state, requested_fen, approved_fen FROM applications
             WHERE buyer = $1 AND state IN ({})",
            crate::states_sql(ApplicationState::takes_balance)
        ))
        .bind(buyer.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for r in &claim_rows {
            let id: String = r.try_get("id")?;
            let state: String = r.try_get("state")?;
            claims.entry(r.try_get("order_no")?).or_default().push(Claim {
                id: ApplicationId::parse(&id).map_err(|_| StoreError::corrupt("application id"))?,
                state: ApplicationState::parse(&state).ok_or_else(|| StoreError::corrupt("state"))?,
                requested: Fen(r.try_get("requested_fen")?),
                approved: r.try_get::<Option<i64>, _>("approved_fen")?.map(Fen),
            });
        }
        let mut ledgers: HashMap<String, Vec<DeliveryReading>> = HashMap::new();
        let readings = sqlx::query(
            "SELECT d.order_no, d.at, d.source, d.delivered FROM deliveries d JOIN orders o ON o.order_no = d.order_no
             WHERE o.buyer = $1 ORDER BY d.at",
        )
        .bind(buyer.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for r in &readings {
            ledgers.entry(r.try_get("order_no")?).or_default().push(reading_from_row(r)?);
        }
        let account_events = account_events_in(&mut tx, buyer).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let order = order_from_row(row)?;
            let policy = self.policy_in(&mut tx, order.policy_version).await?;
            out.push(OrderFacts {
                ledger: ledgers.remove(order.no.as_str()).unwrap_or_default(),
                claims: claims.remove(order.no.as_str()).unwrap_or_default(),
                account_events: account_events.clone(),
                policy,
                order,
            });
        }
        tx.commit().await?;
        Ok(out)
    }
}

pub(crate) async fn fetch_order(
    tx: &mut Transaction<'static, Any>,
    order_no: &str,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(built!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_no = $1"))
        .bind(order_no)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(order_from_row).transpose()
}

/// Takes the order's row lock without changing it, so merchant messages about one order apply
/// one after the other (on SQLite the write transaction already excludes other writers).
pub(crate) async fn lock_order(tx: &mut Transaction<'static, Any>, order_no: &str) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE orders SET lock_version = lock_version WHERE order_no = $1")
        .bind(order_no)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// Tells submissions and appeals deciding on older facts to decide again: bumps the
/// `lock_version` of `order_no`, or of every order of `buyer`.
pub(crate) async fn facts_changed(
    tx: &mut Transaction<'static, Any>,
    order_no: Option<&str>,
    buyer: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE orders SET lock_version = lock_version + 1 WHERE order_no = CAST($1 AS TEXT) OR buyer = CAST($2 AS TEXT)",
    )
    .bind(order_no)
    .bind(buyer)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Reads run on the caller's connection: inside a write transaction a second pooled
/// connection could wait for a pool slot held by writers queued behind this one.
pub(crate) async fn deliveries_in(
    conn: &mut AnyConnection,
    order_no: &OrderNo,
) -> Result<Vec<DeliveryReading>, StoreError> {
    let rows = sqlx::query("SELECT at, source, delivered FROM deliveries WHERE order_no = $1 ORDER BY at, source")
        .bind(order_no.as_str())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(reading_from_row).collect()
}

pub(crate) async fn account_events_in(
    conn: &mut AnyConnection,
    buyer: &Username,
) -> Result<Vec<AccountEvent>, StoreError> {
    let rows = sqlx::query("SELECT kind, at, source FROM account_events WHERE buyer = $1 ORDER BY at")
        .bind(buyer.as_str())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(account_event_from_row).collect()
}

fn reading_from_row(row: &AnyRow) -> Result<DeliveryReading, StoreError> {
    delivery_reading(from_ms(row.try_get("at")?), &row.try_get::<String, _>("source")?, row.try_get("delivered")?)
}

pub(crate) fn delivery_reading(at: Timestamp, source: &str, delivered: i64) -> Result<DeliveryReading, StoreError> {
    Ok(DeliveryReading {
        at,
        delivered: u64::try_from(delivered).unwrap_or(0),
        source: DeliverySource::parse(source).ok_or_else(|| StoreError::corrupt("delivery source"))?,
    })
}

pub(crate) fn account_event_from_row(row: &AnyRow) -> Result<AccountEvent, StoreError> {
    account_event(from_ms(row.try_get("at")?), &row.try_get::<String, _>("kind")?, row.try_get("source")?)
}

pub(crate) fn account_event(at: Timestamp, kind: &str, source: String) -> Result<AccountEvent, StoreError> {
    Ok(AccountEvent {
        at,
        kind: AccountEventKind::parse(kind).ok_or_else(|| StoreError::corrupt("account event kind"))?,
        source,
    })
}
