//! Reading orders: one order, a buyer's orders with the facts of their entitlements, the
//! delivery ledger and account events. (What merchants push is in `ingest`.)

use crate::OrderFacts;
use crate::page::{KeyPart, Page, PageRequest};
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
use std::sync::LazyLock;

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

    /// A page of a buyer's orders, newest first, each with the facts its entitlement is worked
    /// out from and the buyer's draft on it, if any. Read in one transaction so balances and
    /// applications agree; what belongs to the orders is read for the page's range of the
    /// buyer's orders only (the same index order), so a page costs the same however many
    /// orders the buyer has.
    pub async fn buyer_orders(&self, buyer: &Username, page: &PageRequest) -> Result<Page<BuyerOrder>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(ORDERS_LIST, "it")).transpose()?;
        let mut tx = self.pool.begin().await?;
        let chosen = &ORDERS_SQL[usize::from(after.is_some())];
        let mut q = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str())).bind(buyer.to_string());
        if let Some(key) = after {
            q = crate::page::bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&mut *tx).await?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            orders.push((order_from_row(row)?, row.try_get::<i64, _>("created_at")?));
        }
        let mut page = Page::of(orders, page, ORDERS_LIST, |(o, created)| {
            vec![KeyPart::Int(*created), KeyPart::Text(o.no.to_string())]
        });
        let (Some((newest, newest_at)), Some((oldest, oldest_at))) = (page.items.first(), page.items.last()) else {
            tx.commit().await?;
            return Ok(Page { items: vec![], next: None });
        };
        // The page's range of the buyer's orders, newest and oldest included.
        let range = |q: crate::applications::row::AnyQuery<'static>| {
            q.bind(buyer.to_string())
                .bind(*newest_at)
                .bind(newest.no.to_string())
                .bind(*oldest_at)
                .bind(oldest.no.to_string())
        };
        let mut claims: HashMap<String, Vec<Claim>> = HashMap::new();
        let mut drafts: HashMap<String, ApplicationId> = HashMap::new();
        let claim_rows = range(sqlx::query(built!(
            "SELECT a.id, a.order_no, a.state, a.requested_fen, a.approved_fen
             FROM orders o JOIN applications a ON a.order_no = o.order_no
             WHERE o.buyer = $1 AND (o.created_at, o.order_no) <= ($2, $3) AND (o.created_at, o.order_no) >= ($4, $5)
               AND a.state IN ({})",
            crate::states_sql(|s| s.takes_balance() || s == ApplicationState::Draft)
        )))
        .fetch_all(&mut *tx)
        .await?;
        for r in &claim_rows {
            let id: String = r.try_get("id")?;
            let id = ApplicationId::parse(&id).map_err(|_| StoreError::corrupt("application id"))?;
            let state: String = r.try_get("state")?;
            let state = ApplicationState::parse(&state).ok_or_else(|| StoreError::corrupt("state"))?;
            let order_no: String = r.try_get("order_no")?;
            if state == ApplicationState::Draft {
                drafts.insert(order_no, id);
                continue;
            }
            claims.entry(order_no).or_default().push(Claim {
                id,
                state,
                requested: Fen(r.try_get("requested_fen")?),
                approved: r.try_get::<Option<i64>, _>("approved_fen")?.map(Fen),
            });
        }
        let mut ledgers: HashMap<String, Vec<DeliveryReading>> = HashMap::new();
        let readings = range(sqlx::query(
            "SELECT d.order_no, d.at, d.source, d.delivered FROM orders o JOIN deliveries d ON d.order_no = o.order_no
             WHERE o.buyer = $1 AND (o.created_at, o.order_no) <= ($2, $3) AND (o.created_at, o.order_no) >= ($4, $5)
             ORDER BY d.order_no, d.at",
        ))
        .fetch_all(&mut *tx)
        .await?;
        for r in &readings {
            ledgers.entry(r.try_get("order_no")?).or_default().push(reading_from_row(r)?);
        }
        let account_events = account_events_in(&mut tx, buyer).await?;
        let mut out = Vec::with_capacity(page.items.len());
        for (order, _) in std::mem::take(&mut page.items) {
            let policy = self.policy_in(&mut tx, order.policy_version).await?;
            out.push(BuyerOrder {
                draft: drafts.remove(order.no.as_str()),
                facts: OrderFacts {
                    ledger: ledgers.remove(order.no.as_str()).unwrap_or_default(),
                    claims: claims.remove(order.no.as_str()).unwrap_or_default(),
                    account_events: account_events.clone(),
                    policy,
                    order,
                },
            });
        }
        tx.commit().await?;
        Ok(Page { items: out, next: page.next })
    }

    /// The policy version each of a buyer's orders was bought under, and when it was
    /// accepted, newest version first (the help page; one index range per buyer).
    pub async fn buyer_policies(&self, buyer: &Username) -> Result<Vec<(u32, OrderNo, Timestamp)>, StoreError> {
        let rows = sqlx::query(
            "SELECT policy_version, order_no, policy_accepted_at FROM orders WHERE buyer = $1
             ORDER BY policy_version DESC, created_at DESC, order_no DESC",
        )
        .bind(buyer.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let no: String = r.try_get("order_no")?;
                Ok((
                    u32::try_from(r.try_get::<i64, _>("policy_version")?).unwrap_or(0),
                    OrderNo::parse(&no).map_err(|_| StoreError::corrupt("order_no"))?,
                    from_ms(r.try_get("policy_accepted_at")?),
                ))
            })
            .collect()
    }
}

/// A page of a buyer's orders, without and with a cursor: newest first, in the index on
/// (buyer, created_at, order_no).
pub(crate) static ORDERS_SQL: LazyLock<[String; 2]> = LazyLock::new(|| {
    let page = |cond: &str, limit: &str| {
        format!(
            "SELECT {ORDER_COLUMNS}, created_at FROM orders WHERE buyer = $1{cond}
             ORDER BY created_at DESC, order_no DESC LIMIT {limit}"
        )
    };
    [page("", "$2"), page(" AND (created_at, order_no) < ($2, $3)", "$4")]
});

inventory::submit! { crate::sql::Built { only: None, texts: || ORDERS_SQL.to_vec() } }

/// The name of a buyer's order list in its cursors.
const ORDERS_LIST: &str = "orders";

/// One of a buyer's orders: its facts, and the buyer's draft on it, if there is one.
#[derive(Debug, Clone)]
pub struct BuyerOrder {
    pub facts: OrderFacts,
    pub draft: Option<ApplicationId>,
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
