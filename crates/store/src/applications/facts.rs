//! The facts a decision about an order's balance is made on: the order, what its other
//! applications hold, the delivery ledger, the buyer's account events and the order's policy.
//! Read, never judged: the entitlement is the domain's to work out.

use super::row::{app_columns_of, app_from_row};
use crate::orders::{account_event, account_events_in, deliveries_in, delivery_reading, fetch_order, order_from_row};
use crate::{Backend, Store, StoreError, from_ms, states_sql};
use redress_domain::application::{Application, Claim, State};
use redress_domain::ids::{ApplicationNo, OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{AccountEvent, DeliveryReading, Order};
use redress_domain::policy::Policy;
use sqlx::Row;
use std::sync::{Arc, LazyLock};

/// What an order's entitlement is worked out from.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    pub order: Order,
    /// The order's applications that take something out of its balance (each with what it
    /// asked for and what was approved; the domain says how much each takes).
    pub claims: Vec<Claim>,
    pub ledger: Vec<DeliveryReading>,
    pub account_events: Vec<AccountEvent>,
    pub policy: Arc<Policy>,
}

/// The facts of a submission or an appeal: the application, and its order's facts without it,
/// all as of the order's `lock_version`.
#[derive(Debug, Clone)]
pub struct HoldFacts {
    pub application: Application,
    pub order_version: i64,
    pub order: OrderFacts,
}

impl Store {
    /// An order's facts, read in one transaction so they agree with each other.
    pub async fn order_facts(&self, order_no: &OrderNo) -> Result<OrderFacts, StoreError> {
        let mut tx = self.pool.begin().await?;
        let order = fetch_order(&mut tx, order_no.as_str()).await?.ok_or(StoreError::NotFound)?;
        let claims = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT no, state, requested_fen, approved_fen FROM applications WHERE order_no = $1 AND state IN ({})",
            states_sql(State::takes_balance)
        )))
        .bind(order_no.as_str())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| claim(r.try_get("no")?, r.try_get("state")?, r.try_get("requested_fen")?, r.try_get("approved_fen")?))
        .collect::<Result<Vec<_>, StoreError>>()?;
        let policy = self.policy_in(&mut tx, order.policy_version).await?;
        let ledger = deliveries_in(&mut tx, order_no).await?;
        let account_events = account_events_in(&mut tx, &order.buyer).await?;
        tx.commit().await?;
        Ok(OrderFacts { order, claims, ledger, account_events, policy })
    }

    /// The buyer's draft on an order, if there is one.
    pub async fn draft_on(&self, order_no: &OrderNo, buyer: &Username) -> Result<Option<ApplicationNo>, StoreError> {
        super::write::draft_on(&mut *self.pool.acquire().await?, order_no, buyer).await
    }

    /// The facts of a submission or an appeal of `no`, in one query without locks. The
    /// application and the order's `lock_version` come from the same row and the rest is
    /// read with them, so anything committed after that moment is caught by the version guard
    /// of [`Store::apply_held`].
    pub async fn hold_facts(&self, no: &ApplicationNo) -> Result<HoldFacts, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => &*FACTS_SQLITE,
            Backend::Postgres => &*FACTS_POSTGRES,
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(no.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let application = app_from_row(&row)?;
        let order = order_from_row(&row)?;
        let order_version: i64 = row.try_get("lock_version")?;
        let claims = json_rows::<(String, String, i64, Option<i64>)>(&row, "claims")?
            .into_iter()
            .map(|(no, state, requested, approved)| claim(no, state, requested, approved))
            .collect::<Result<Vec<_>, _>>()?;
        let ledger = json_rows::<(i64, String, i64)>(&row, "ledger")?
            .into_iter()
            .map(|(at, source, delivered)| delivery_reading(from_ms(at), &source, delivered))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let account_events = json_rows::<(i64, String, String)>(&row, "events")?
            .into_iter()
            .map(|(at, kind, source)| account_event(from_ms(at), &kind, source))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let policy = self.policy(order.policy_version).await?;
        Ok(HoldFacts {
            application,
            order_version,
            order: OrderFacts { order, claims, ledger, account_events, policy },
        })
    }
}

/// A JSON array of rows aggregated by the facts query (NULL when there are none).
fn json_rows<T: serde::de::DeserializeOwned>(row: &sqlx::any::AnyRow, col: &str) -> Result<Vec<T>, StoreError> {
    match row.try_get::<Option<String>, _>(col)? {
        Some(text) => serde_json::from_str(&text).map_err(StoreError::corrupt),
        None => Ok(vec![]),
    }
}

fn claim(no: String, state: String, requested: i64, approved: Option<i64>) -> Result<Claim, StoreError> {
    Ok(Claim {
        no: ApplicationNo::parse(&no).map_err(|_| StoreError::corrupt("application no"))?,
        state: State::parse(&state).ok_or_else(|| StoreError::corrupt("state"))?,
        requested: Fen(requested),
        approved: approved.map(Fen),
    })
}

/// The facts query for a backend: the JSON aggregate functions are the only difference.
fn facts_sql(agg: &str) -> String {
    let rows = |cols: &str| agg.replace("{}", cols);
    format!(
        "SELECT {app_cols}, {order_cols}, o.lock_version,
                (SELECT {claims} FROM applications c
                  WHERE c.order_no = a.order_no AND c.no <> a.no AND c.state IN ({claiming})) AS claims,
                (SELECT {ledger} FROM deliveries d WHERE d.order_no = a.order_no) AS ledger,
                (SELECT {events} FROM account_events e WHERE e.buyer = a.buyer) AS events
         FROM applications a JOIN orders o ON o.order_no = a.order_no WHERE a.no = $1",
        app_cols = app_columns_of("a"),
        order_cols = crate::orders::order_columns_of("o", &["order_no", "buyer"]),
        claiming = states_sql(State::takes_balance),
        claims = rows("c.no, c.state, c.requested_fen, c.approved_fen"),
        ledger = rows("d.at, d.source, d.delivered"),
        events = rows("e.at, e.kind, e.source"),
    )
}

static FACTS_SQLITE: LazyLock<String> = LazyLock::new(|| facts_sql("json_group_array(json_array({}))"));
static FACTS_POSTGRES: LazyLock<String> = LazyLock::new(|| facts_sql("CAST(json_agg(json_build_array({})) AS TEXT)"));
