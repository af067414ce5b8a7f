//! What merchants push: orders, payments, delivery readings and account events. Every call is
//! idempotent: the same message twice changes nothing, and a message that contradicts what
//! was recorded (another buyer, another payment, another reading for the same moment) is
//! refused and writes nothing. Incoming times are cut to the millisecond, the precision
//! they are stored with, so a resent message compares equal to what was stored.

use crate::applications::row::AnyQuery;
use crate::orders::{facts_changed, fetch_order, lock_order, order_columns};
use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::ids::{OrderNo, Username};
use redress_domain::order::{AccountEvent, DeliveryReading, Order, Payment};
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

fn to_ms(t: Timestamp) -> Timestamp {
    from_ms(ms(t))
}

fn normalised(order: &Order) -> Order {
    let mut o = order.clone();
    o.service.deadline = to_ms(o.service.deadline);
    o.policy_accepted_at = to_ms(o.policy_accepted_at);
    if let Some(p) = o.payment.as_mut() {
        p.paid_at = to_ms(p.paid_at);
    }
    o
}

fn positive(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Creates or updates an order. Under which policy it was bought and its payment never
    /// change once recorded; who bought it, once an application (a draft included) is opened
    /// on it; the service terms, once an application has been submitted on it (they decide
    /// the shortfall). An order may name a buyer Redress does not know yet: it is theirs when
    /// they arrive (their account has that id).
    pub async fn upsert_order(&self, order: &Order, now: Timestamp) -> Result<Upserted, StoreError> {
        let order = normalised(order);
        self.merge_order(&order.no.clone(), now, move |old| {
            let Some(old) = old else { return Ok(order) };
            if old.policy_version != order.policy_version || old.policy_accepted_at != order.policy_accepted_at {
                return Err(StoreError::Immutable("policy_version"));
            }
            let payment = match (&old.payment, &order.payment) {
                (Some(a), Some(b)) if a != b => return Err(StoreError::Immutable("payment")),
                (Some(a), _) => Some(a.clone()),
                (None, b) => b.clone(),
            };
            Ok(Order { payment, ..order })
        })
        .await
    }

    /// Records the payment of an existing order (once; the same payment again is a no-op).
    pub async fn set_payment(
        &self,
        order_no: &OrderNo,
        payment: &Payment,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let payment = Payment { paid_at: to_ms(payment.paid_at), ..payment.clone() };
        self.merge_order(order_no, now, move |old| {
            let old = old.ok_or(StoreError::NotFound)?;
            match &old.payment {
                Some(p) if *p != payment => Err(StoreError::Immutable("payment")),
                _ => Ok(Order { payment: Some(payment), ..old.clone() }),
            }
        })
        .await
    }

    /// Reads the order under its row lock (so concurrent messages about one order apply one
    /// after the other), lets `merge` decide the new version, and writes it.
    async fn merge_order(
        &self,
        no: &OrderNo,
        now: Timestamp,
        merge: impl FnOnce(Option<&Order>) -> Result<Order, StoreError>,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.write().await?;
        let old = match lock_order(&mut tx, no.as_str()).await {
            Ok(()) => fetch_order(&mut tx, no.as_str()).await?,
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let new = merge(old.as_ref())?;
        match self.policy_in(&mut tx, new.policy_version).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(StoreError::UnknownPolicy(new.policy_version)),
            Err(e) => return Err(e),
        }
        let outcome = match old {
            Some(old) if old == new => Upserted::Unchanged,
            Some(old) => {
                // A buyer entered wrongly can be corrected until someone applies on the order.
                if old.buyer != new.buyer && has_applications(&mut tx, no.as_str()).await? {
                    return Err(StoreError::Immutable("buyer"));
                }
                if old.service != new.service && has_submissions(&mut tx, no.as_str()).await? {
                    return Err(StoreError::Immutable("service"));
                }
                write_order(&mut tx, &new, now, false).await?;
                facts_changed(&mut tx, Some(no.as_str()), None).await?;
                Upserted::Updated
            }
            None if write_order(&mut tx, &new, now, true).await? => Upserted::Created,
            // Another message created it since we looked: nothing written, the sender retries.
            None => return Err(StoreError::Conflict),
        };
        tx.commit().await?;
        Ok(outcome)
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
        lock_order(&mut tx, order_no.as_str()).await?;
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
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 1 {
                added += 1;
                continue;
            }
            let stored: i64 =
                sqlx::query("SELECT delivered FROM deliveries WHERE order_no = $1 AND at = $2 AND source = $3")
                    .bind(order_no.as_str())
                    .bind(ms(r.at))
                    .bind(r.source.as_str())
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get("delivered")?;
            if stored != positive(r.delivered) {
                return Err(StoreError::Immutable("delivery_reading"));
            }
        }
        if added > 0 {
            facts_changed(&mut tx, Some(order_no.as_str()), None).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Records an account event under the merchant's event id (idempotent).
    pub async fn add_account_event(
        &self,
        event_id: &str,
        buyer: &Username,
        event: &AccountEvent,
        now: Timestamp,
    ) -> Result<Upserted, StoreError> {
        let event = AccountEvent { at: to_ms(event.at), ..event.clone() };
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
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            // A ban changes what the buyer's orders entitle to.
            facts_changed(&mut tx, None, Some(buyer.as_str())).await?;
            tx.commit().await?;
            return Ok(Upserted::Created);
        }
        let row = sqlx::query("SELECT buyer, kind, at, source FROM account_events WHERE event_id = $1")
            .bind(event_id)
            .fetch_one(&mut **tx)
            .await?;
        let same = row.try_get::<String, _>("buyer")? == buyer.as_str()
            && crate::orders::account_event_from_row(&row)? == event;
        if same { Ok(Upserted::Unchanged) } else { Err(StoreError::Immutable("account_event")) }
    }
}

/// Inserts (`create`) or updates every column of `o`. An insert that finds the row already
/// there writes nothing and returns `false`.
async fn write_order(
    tx: &mut Transaction<'static, Any>,
    o: &Order,
    now: Timestamp,
    create: bool,
) -> Result<bool, StoreError> {
    let sql = if create {
        built!(
            "INSERT INTO orders ({}, created_at, updated_at, lock_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 0)
             ON CONFLICT (order_no) DO NOTHING",
            order_columns()
        )
    } else {
        built!(
            "UPDATE orders SET buyer = $2, service_name = $3, platform = $4, unit = $5, promised = $6, deadline = $7,
             policy_version = $8, policy_accepted_at = $9, pay_channel = $10, pay_transaction_id = $11, paid_fen = $12,
             paid_at = $13, updated_at = $14 WHERE order_no = $1"
        )
    };
    let done = bind_order(sqlx::query(sql), o).bind(ms(now)).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Binds the order's columns (`order_columns`), in that order.
pub(crate) fn bind_order<'q>(q: AnyQuery<'q>, o: &Order) -> AnyQuery<'q> {
    let p = o.payment.as_ref();
    q.bind(o.no.to_string())
        .bind(o.buyer.to_string())
        .bind(o.service.name.clone())
        .bind(o.service.platform.clone())
        .bind(o.service.unit.clone())
        .bind(positive(o.service.promised))
        .bind(ms(o.service.deadline))
        .bind(i64::from(o.policy_version))
        .bind(ms(o.policy_accepted_at))
        .bind(p.map(|p| p.channel.as_str()))
        .bind(p.map(|p| p.transaction_id.clone()))
        .bind(p.map(|p| p.amount.0))
        .bind(p.map(|p| ms(p.paid_at)))
}

/// Whether any application on the order has left the draft stage.
/// Whether any application, a draft included, was opened on the order.
async fn has_applications(tx: &mut Transaction<'static, Any>, order_no: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 FROM applications WHERE order_no = $1 LIMIT 1")
        .bind(order_no)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

async fn has_submissions(tx: &mut Transaction<'static, Any>, order_no: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 FROM applications WHERE order_no = $1 AND state <> $2 LIMIT 1")
        .bind(order_no)
        .bind(redress_domain::application::ApplicationState::Draft.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}
