//! The facts a decision about an order's balance is made on: the order, what its other
//! applications hold, the delivery ledger, the buyer's account events and the order's policy.
//! Read, never judged: the entitlement is the domain's to work out.

use super::row::{app_columns_of, app_from_row, key_of};
use crate::orders::{account_event, account_events_in, deliveries_in, delivery_reading, fetch_order, order_from_row};
use crate::sql::built;
use crate::{Backend, Store, StoreError, from_ms, states_sql};
use redress_domain::application::{Application, ApplicationState, Claim};
use redress_domain::ids::{ApplicationId, ApplicationRef, OrderNo, Username};
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
        let claims = sqlx::query(built!(
            "SELECT id, state, requested_fen, approved_fen FROM applications WHERE order_no = $1 AND state IN ({})",
            states_sql(ApplicationState::takes_balance)
        ))
        .bind(order_no.as_str())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| claim(r.try_get("id")?, r.try_get("state")?, r.try_get("requested_fen")?, r.try_get("approved_fen")?))
        .collect::<Result<Vec<_>, StoreError>>()?;
        let policy = self.policy_in(&mut tx, order.policy_version).await?;
        let ledger = deliveries_in(&mut tx, order_no).await?;
        let account_events = account_events_in(&mut tx, &order.buyer).await?;
        tx.commit().await?;
        Ok(OrderFacts { order, claims, ledger, account_events, policy })
    }

    /// The buyer's draft on an order, if there is one.
    pub async fn draft_on(&self, order_no: &OrderNo, buyer: &Username) -> Result<Option<ApplicationId>, StoreError> {
        super::write::draft_on(&mut *self.pool.acquire().await?, order_no, buyer).await
    }

    /// The facts of a submission or an appeal of `r`, in one query without locks. The
    /// application and the order's `lock_version` come from the same row and the rest is
    /// read with them, so anything committed after that moment is caught by the version guard
    /// of [`Store::apply_held`].
    pub async fn hold_facts(&self, r: &ApplicationRef) -> Result<HoldFacts, StoreError> {
        let (by_id, key) = key_of(r);
        let chosen = match (self.backend(), by_id) {
            (Backend::Sqlite, true) => &FACTS_SQLITE[0],
            (Backend::Sqlite, false) => &FACTS_SQLITE[1],
            (Backend::Postgres, true) => &FACTS_POSTGRES[0],
            (Backend::Postgres, false) => &FACTS_POSTGRES[1],
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str()))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let application = app_from_row(&row)?;
        let order = order_from_row(&row)?;
        let order_version: i64 = row.try_get("lock_version")?;
        let claims = json_rows::<(String, String, i64, Option<i64>)>(&row, "claims")?
            .into_iter()
            .map(|(id, state, requested, approved)| claim(id, state, requested, approved))
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

fn claim(id: String, state: String, requested: i64, approved: Option<i64>) -> Result<Claim, StoreError> {
    Ok(Claim {
        id: ApplicationId::parse(&id).map_err(|_| StoreError::corrupt("application id"))?,
        state: ApplicationState::parse(&state).ok_or_else(|| StoreError::corrupt("state"))?,
        requested: Fen(requested),
        approved: approved.map(Fen),
    })
}

/// The facts query for a backend (the JSON aggregate functions are the only difference),
/// finding the application by `column`.
fn facts_sql(agg: &str, column: &str) -> String {
    let rows = |cols: &str| agg.replace("{}", cols);
    format!(
        "SELECT {app_cols}, {order_cols}, o.lock_version,
                (SELECT {claims} FROM applications c
                  WHERE c.order_no = a.order_no AND c.id <> a.id AND c.state IN ({claiming})) AS claims,
                (SELECT {ledger} FROM deliveries d WHERE d.order_no = a.order_no) AS ledger,
                (SELECT {events} FROM account_events e WHERE e.buyer = a.buyer) AS events
         FROM applications a JOIN orders o ON o.order_no = a.order_no WHERE a.{column} = $1",
        app_cols = app_columns_of("a"),
        order_cols = crate::orders::order_columns_of("o", &["order_no", "buyer"]),
        claiming = states_sql(ApplicationState::takes_balance),
        claims = rows("c.id, c.state, c.requested_fen, c.approved_fen"),
        ledger = rows("d.at, d.source, d.delivered"),
        events = rows("e.at, e.kind, e.source"),
    )
}

inventory::submit! { crate::sql::Built { only: Some(Backend::Sqlite), texts: || FACTS_SQLITE.to_vec() } }
inventory::submit! { crate::sql::Built { only: Some(Backend::Postgres), texts: || FACTS_POSTGRES.to_vec() } }

/// By id, then by number.
static FACTS_SQLITE: LazyLock<[String; 2]> = LazyLock::new(|| {
    let agg = "json_group_array(json_array({}))";
    [facts_sql(agg, "id"), facts_sql(agg, "no")]
});
static FACTS_POSTGRES: LazyLock<[String; 2]> = LazyLock::new(|| {
    let agg = "CAST(json_agg(json_build_array({})) AS TEXT)";
    [facts_sql(agg, "id"), facts_sql(agg, "no")]
});
