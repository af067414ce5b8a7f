//! Refund applications in the database: reading them (one, a buyer's, the review queue, the
//! timeline) here; their columns and row mapping in [`row`], the facts decisions are made on
//! in [`facts`], and applying a decision in [`write`].

mod facts;
pub(crate) mod row;
mod write;

pub use facts::{HoldFacts, OrderFacts};
pub use write::Held;
pub(crate) use write::write_decision;

use crate::sql::built;
use crate::{Store, StoreError, states_sql};
use redress_domain::application::{Application, ApplicationState, Event, Reason};
use redress_domain::ids::{ApplicationNo, ApplicationRef, Username};
use redress_domain::order::Channel;
use row::{APP_COLUMNS, app_columns_of, app_from_row, key_of};
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub seq: i64,
    pub event: Event,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// `None`: every application waiting for staff.
    pub state: Option<ApplicationState>,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub min_fen: Option<i64>,
    pub max_fen: Option<i64>,
    pub limit: i64,
}

impl Store {
    pub(crate) async fn fetch_app(
        &self,
        tx: Option<&mut Transaction<'static, Any>>,
        r: &ApplicationRef,
    ) -> Result<Application, StoreError> {
        let (by_id, key) = key_of(r);
        let sql = if by_id {
            built!("SELECT {APP_COLUMNS} FROM applications WHERE id = $1")
        } else {
            built!("SELECT {APP_COLUMNS} FROM applications WHERE no = $1")
        };
        let q = sqlx::query(sql).bind(key);
        let row = match tx {
            Some(tx) => q.fetch_optional(&mut **tx).await?,
            None => q.fetch_optional(&self.pool).await?,
        };
        app_from_row(&row.ok_or(StoreError::NotFound)?)
    }

    /// An application by its draft id or number (who may see it is the caller's to decide).
    pub async fn application(&self, r: &ApplicationRef) -> Result<Application, StoreError> {
        self.fetch_app(None, r).await
    }

    /// An application's timeline, oldest first.
    pub async fn timeline(&self, no: &ApplicationNo) -> Result<Vec<TimelineEntry>, StoreError> {
        let rows = sqlx::query("SELECT seq, body FROM application_events WHERE application_no = $1 ORDER BY seq")
            .bind(no.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                Ok(TimelineEntry {
                    seq: r.try_get("seq")?,
                    event: serde_json::from_str(&body).map_err(StoreError::corrupt)?,
                })
            })
            .collect()
    }

    /// A buyer's applications, newest first (at most 500).
    pub async fn applications_of_buyer(&self, buyer: &Username) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {APP_COLUMNS} FROM applications WHERE buyer = $1 ORDER BY created_at DESC, id LIMIT 500"
        ))
        .bind(buyer.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(app_from_row).collect()
    }

    /// Applications waiting for staff, the one due soonest first. Drafts are never listed.
    pub async fn review_queue(&self, f: &QueueFilter) -> Result<Vec<(Application, Channel)>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {}, o.pay_channel FROM applications a JOIN orders o ON o.order_no = a.order_no
             WHERE (CAST($1 AS TEXT) IS NULL AND a.state IN ({})
                    OR a.state = CAST($1 AS TEXT) AND a.state <> CAST($7 AS TEXT))
               AND (CAST($2 AS TEXT) IS NULL OR a.reason = CAST($2 AS TEXT))
               AND (CAST($3 AS TEXT) IS NULL OR o.pay_channel = CAST($3 AS TEXT))
               AND (CAST($4 AS BIGINT) IS NULL OR a.requested_fen >= CAST($4 AS BIGINT))
               AND (CAST($5 AS BIGINT) IS NULL OR a.requested_fen <= CAST($5 AS BIGINT))
             ORDER BY a.review_due_at, a.no LIMIT $6",
            app_columns_of("a"),
            states_sql(ApplicationState::is_open)
        ))
        .bind(f.state.map(ApplicationState::as_str))
        .bind(f.reason.map(Reason::as_str))
        .bind(f.channel.map(Channel::as_str))
        .bind(f.min_fen)
        .bind(f.max_fen)
        .bind(if f.limit > 0 { f.limit } else { 200 })
        .bind(ApplicationState::Draft.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let c: Option<String> = r.try_get("pay_channel")?;
                let channel = c.as_deref().and_then(Channel::parse).ok_or_else(|| StoreError::corrupt("channel"))?;
                Ok((app_from_row(r)?, channel))
            })
            .collect()
    }

    /// How many applications are in each state (for the demo report and dashboards).
    pub async fn state_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM applications GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }
}
