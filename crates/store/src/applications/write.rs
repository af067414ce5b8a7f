//! Applying what the domain decided. Every write here is one transaction: the application's
//! new row (guarded by the version it was decided on), its timeline events and the payout it
//! sets in motion commit together, or nothing does. No rule is checked here; the guards only
//! make sure the facts a decision was made on are still the facts written against.

use super::row::{
    AnyQuery, EVENT_COLUMNS, INSERT_APP, INSERT_EVENT, SAVE_APP, app_params, bind_app, bind_event, event_rows,
    save_app_sql,
};
use crate::db::WriteTx;
use crate::{Backend, Store, StoreError};
use jiff::Timestamp;
use redress_domain::application::{Application, ApplicationState, Decision};
use redress_domain::ids::{ApplicationId, Username};
use sqlx::Row;
use std::sync::LazyLock;

/// What a guarded write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Written,
    /// The order's facts changed (or the new number was taken) since they were read: decide
    /// again.
    Lost,
}

/// Writes `a` over the stored row if the stored row is still at `prev_version`.
async fn save(tx: &mut WriteTx, prev_version: i64, a: &Application, now: Timestamp) -> Result<(), StoreError> {
    let done = bind_app(sqlx::query(sqlx::AssertSqlSafe(SAVE_APP.as_str())), a, now)
        .bind(a.id.to_string())
        .bind(prev_version)
        .execute(&mut ***tx)
        .await?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}

/// The application's row, its events and its payout, in `tx`.
pub(crate) async fn write_decision(tx: &mut WriteTx, d: &Decision, now: Timestamp) -> Result<(), StoreError> {
    save(tx, d.prev_version, &d.next, now).await?;
    for (seq, e, body) in event_rows(&d.events, d.next.version)? {
        bind_event(sqlx::query(sqlx::AssertSqlSafe(INSERT_EVENT.as_str())), &d.no, seq, e, body)
            .execute(&mut ***tx)
            .await?;
    }
    if let Some(p) = &d.payout {
        crate::payouts::insert_new(tx, &d.no, &d.next, p, now).await?;
    }
    crate::notifications::insert(tx, &d.notices).await
}

impl Store {
    /// Applies a decision that does not change what the order's applications hold: the
    /// version guard makes a concurrent change lose with `Conflict`.
    pub async fn apply(&self, d: Decision, now: Timestamp) -> Result<Application, StoreError> {
        self.grouped(move |tx| {
            Box::pin(async move {
                write_decision(tx, &d, now).await?;
                Ok(d.next)
            })
        })
        .await
    }

    /// Applies a decision that changes what the order's applications hold (a submission, an
    /// appeal), made on the order's facts at `order_version`: written only if the order's
    /// `lock_version` is still that (every write that changes those facts bumps it) and a new
    /// number is still free; else [`Held::Lost`] and nothing is written.
    ///
    /// One grouped write on SQLite (see [`Store::grouped`]); one statement on
    /// PostgreSQL (data-modifying CTEs: each round trip to a database server costs as much
    /// CPU as the commit), or a transaction there too when the decision writes a payout.
    pub async fn apply_held(&self, d: Decision, order_version: i64, now: Timestamp) -> Result<Held, StoreError> {
        match self.backend() {
            Backend::Postgres if d.payout.is_none() => held_in_one_statement(self, &d, order_version, now).await,
            _ => self.grouped(move |tx| Box::pin(async move { held_in(tx, &d, order_version, now).await })).await,
        }
    }

    /// Inserts a new draft. `Ok(Some(id))`: the buyer has draft `id` on the order already
    /// (written by a concurrent request), and nothing was written. The order's row is locked
    /// first, so two drafts on one order cannot pass the check at once.
    pub async fn insert_draft(&self, draft: Application, now: Timestamp) -> Result<Option<ApplicationId>, StoreError> {
        self.grouped(move |tx| {
            Box::pin(async move {
                crate::orders::lock_order(tx, draft.order_no.as_str()).await?;
                if let Some(id) = draft_on(tx, &draft.order_no, &draft.buyer).await? {
                    return Ok(Some(id));
                }
                let taken = sqlx::query("SELECT 1 FROM applications WHERE id = $1")
                    .bind(draft.id.as_str())
                    .fetch_optional(&mut ***tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Exists("application_id"));
                }
                bind_app(sqlx::query(sqlx::AssertSqlSafe(INSERT_APP.as_str())), &draft, now)
                    .execute(&mut ***tx)
                    .await?;
                Ok(None)
            })
        })
        .await
    }

    /// Saves a changed draft over `prev_version`.
    pub async fn save_draft(&self, next: Application, prev_version: i64, now: Timestamp) -> Result<(), StoreError> {
        self.grouped(move |tx| Box::pin(async move { save(tx, prev_version, &next, now).await })).await
    }

    /// Deletes a draft at `version` and its evidence rows (drafts have no timeline, so nothing
    /// the audit log refers to is lost). Returns the content addresses of the files it held,
    /// for the caller to remove from the evidence store when nothing else refers to them.
    pub async fn delete_draft(&self, id: &ApplicationId, version: i64) -> Result<Vec<String>, StoreError> {
        let id = id.clone();
        self.grouped(move |tx| {
            Box::pin(async move {
                let draft = ApplicationState::Draft.as_str();
                let files: Vec<String> = sqlx::query("SELECT DISTINCT sha256 FROM evidence WHERE application_id = $1")
                    .bind(id.as_str())
                    .fetch_all(&mut ***tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("sha256"))
                    .collect::<Result<_, _>>()?;
                sqlx::query(
                    "DELETE FROM evidence WHERE application_id = $1
                       AND EXISTS (SELECT 1 FROM applications WHERE id = $1 AND state = $2)",
                )
                .bind(id.as_str())
                .bind(draft)
                .execute(&mut ***tx)
                .await?;
                let done = sqlx::query("DELETE FROM applications WHERE id = $1 AND version = $2 AND state = $3")
                    .bind(id.as_str())
                    .bind(version)
                    .bind(draft)
                    .execute(&mut ***tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict);
                }
                Ok(files)
            })
        })
        .await
    }
}

/// The buyer's draft on an order, if there is one.
pub(crate) async fn draft_on(
    conn: &mut sqlx::AnyConnection,
    order_no: &redress_domain::ids::OrderNo,
    buyer: &Username,
) -> Result<Option<ApplicationId>, StoreError> {
    let row = sqlx::query("SELECT id FROM applications WHERE order_no = $1 AND buyer = $2 AND state = $3 LIMIT 1")
        .bind(order_no.as_str())
        .bind(buyer.as_str())
        .bind(ApplicationState::Draft.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(ApplicationId::parse(&r.try_get::<String, _>("id")?).map_err(StoreError::corrupt)?)),
        None => Ok(None),
    }
}

/// The held write in `tx`: the order's version is bumped only if unchanged and the new number
/// still free (one statement), then the decision is written.
async fn held_in(tx: &mut WriteTx, d: &Decision, order_version: i64, now: Timestamp) -> Result<Held, StoreError> {
    let bumped = sqlx::query(
        "UPDATE orders SET lock_version = lock_version + 1 WHERE order_no = $1 AND lock_version = $2
           AND NOT EXISTS (SELECT 1 FROM applications WHERE no = $3 AND id <> $4)",
    )
    .bind(d.next.order_no.as_str())
    .bind(order_version)
    .bind(d.no.as_str())
    .bind(d.next.id.as_str())
    .execute(&mut ***tx)
    .await?;
    if bumped.rows_affected() == 0 {
        return Ok(Held::Lost);
    }
    write_decision(tx, d, now).await?;
    Ok(Held::Written)
}

/// The held write as one statement: bump the order's version if unchanged (and the new number
/// free), save the application if its version is unchanged, record the events — each only if
/// the one before succeeded. For decisions without a payout.
async fn held_in_one_statement(
    store: &Store,
    d: &Decision,
    order_version: i64,
    now: Timestamp,
) -> Result<Held, StoreError> {
    let rows = event_rows(&d.events, d.next.version)?;
    let held = HELD_SQL
        .get(rows.len())
        .and_then(|by_notices| by_notices.get(d.notices.len()))
        .ok_or_else(|| StoreError::Internal("too many events in one decision".into()))?;
    let mut q: AnyQuery<'_> = bind_app(sqlx::query(sqlx::AssertSqlSafe(held.as_str())), &d.next, now)
        .bind(d.next.id.to_string())
        .bind(d.prev_version)
        .bind(d.next.order_no.to_string())
        .bind(order_version)
        .bind(d.no.to_string());
    for (seq, e, body) in rows {
        q = bind_event(q, &d.no, seq, e, body);
    }
    for n in &d.notices {
        q = crate::notifications::bind_notice(q, n);
    }
    let row = q.fetch_one(store.write_pool()).await?;
    let (bumped, saved): (i64, i64) = (row.try_get("bumped")?, row.try_get("saved")?);
    match (bumped, saved) {
        (0, _) => Ok(Held::Lost),
        (_, 0) => Err(StoreError::Conflict),
        _ => Ok(Held::Written),
    }
}

/// The held write as one statement, by how many events it records (a decision records one or
/// two: a submission and rule 5's approval) and how many notifications (up to three a step:
/// the merchant, the buyer, the reviewer).
static HELD_SQL: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    (0..=2).map(|events| (0..=3 * events).map(|notices| held_sql(events, notices)).collect()).collect()
});

inventory::submit! { crate::sql::Built {
    only: Some(Backend::Postgres),
    texts: || HELD_SQL[1..].iter().flatten().cloned().collect(),
} }

/// Parameters: the application's columns and `updated_at`, then (as in `save_app_sql`) its id
/// and previous version, then the order and its version, its number, nine per event and
/// ten per notification.
fn held_sql(events: usize, notices: usize) -> String {
    let cols = app_params();
    let (p_id, p_order, p_order_version, p_no) = (cols + 1, cols + 3, cols + 4, cols + 5);
    let selects: Vec<String> = (0..events)
        .map(|i| {
            let b = p_no + 1 + i * 9;
            let casts = ["TEXT", "BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT"];
            let values: Vec<String> =
                casts.iter().enumerate().map(|(k, ty)| format!("CAST(${} AS {ty})", b + k)).collect();
            format!("SELECT {} FROM saved", values.join(", "))
        })
        .collect();
    let told: Vec<String> = (0..notices)
        .map(|i| {
            let b = p_no + 1 + events * 9 + i * crate::notifications::NOTICE_PARAMS;
            let casts = ["TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT"];
            let values: Vec<String> =
                casts.iter().enumerate().map(|(k, ty)| format!("CAST(${} AS {ty})", b + k)).collect();
            format!("SELECT {} FROM saved", values.join(", "))
        })
        .collect();
    let notify = if told.is_empty() {
        String::new()
    } else {
        format!(
            ", notified AS (
            INSERT INTO notifications ({}) {} ON CONFLICT (id) DO NOTHING RETURNING 1
         )",
            crate::notifications::NOTICE_COLUMNS,
            told.join(" UNION ALL ")
        )
    };
    let save = save_app_sql(" AND EXISTS (SELECT 1 FROM bump)");
    format!(
        "WITH bump AS (
            UPDATE orders SET lock_version = lock_version + 1
            WHERE order_no = ${p_order} AND lock_version = ${p_order_version}
              AND NOT EXISTS (SELECT 1 FROM applications WHERE no = ${p_no} AND id <> ${p_id})
            RETURNING 1
         ), saved AS ({save} RETURNING 1
         ), events AS (
            INSERT INTO application_events ({EVENT_COLUMNS}) {} RETURNING 1
         ){notify}
         SELECT (SELECT COUNT(*) FROM bump) AS bumped, (SELECT COUNT(*) FROM saved) AS saved",
        selects.join(" UNION ALL ")
    )
}
