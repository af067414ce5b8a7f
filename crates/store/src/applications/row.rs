//! The `applications` and `application_events` tables: their columns, and how a row becomes
//! an [`Application`] or a timeline entry and back. Every statement on these tables is
//! built from the lists here.

use crate::{StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::{Application, ApplicationState, Event, Reason, RejectCode, Round};
use redress_domain::ids::{ApplicationId, ApplicationNo, ApplicationRef, OrderNo, Username};
use redress_domain::money::Fen;
use sqlx::Any;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

pub(crate) const APP_COLUMNS: &str = "id, no, order_no, buyer, state, reason, description, requested_fen, approved_fen, \
     reject_code, reject_text, reviewer, first_reviewer, round, appeals, created_at, submitted_at, review_due_at, \
     review_clock, statutory_clock, decided_at, version";

/// The application's columns, each prefixed with `a.` (for joins).
pub(crate) fn app_columns_of(alias: &str) -> String {
    APP_COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

pub(crate) const EVENT_COLUMNS: &str = "application_no, seq, at, kind, actor, actor_role, from_state, to_state, body";

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn opt_ms(row: &AnyRow, col: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ms))
}

/// A clock kept as JSON in column `col` (NULL: none).
fn json_column<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<Option<T>, StoreError> {
    match row.try_get::<Option<String>, _>(col)? {
        Some(json) => Ok(Some(serde_json::from_str(&json).map_err(|_| StoreError::corrupt(col.to_owned()))?)),
        None => Ok(None),
    }
}

pub(crate) fn app_from_row(row: &AnyRow) -> Result<Application, StoreError> {
    let text = |col: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(col)?) };
    let bad = StoreError::corrupt;
    Ok(Application {
        id: ApplicationId::parse(&text("id")?).map_err(|_| bad("application id"))?,
        no: match row.try_get::<Option<String>, _>("no")? {
            Some(no) => Some(ApplicationNo::parse(&no).map_err(|_| bad("application no"))?),
            None => None,
        },
        order_no: OrderNo::parse(&text("order_no")?).map_err(|_| bad("order no"))?,
        buyer: Username::parse(&text("buyer")?).map_err(|_| bad("buyer"))?,
        state: ApplicationState::parse(&text("state")?).ok_or_else(|| bad("state"))?,
        reason: Reason::parse(&text("reason")?).ok_or_else(|| bad("reason"))?,
        description: text("description")?,
        requested: Fen(row.try_get("requested_fen")?),
        approved: row.try_get::<Option<i64>, _>("approved_fen")?.map(Fen),
        reject_code: match row.try_get::<Option<String>, _>("reject_code")? {
            Some(c) => Some(RejectCode::parse(&c).ok_or_else(|| bad("reject code"))?),
            None => None,
        },
        reject_text: row.try_get("reject_text")?,
        reviewer: row.try_get("reviewer")?,
        first_reviewer: row.try_get("first_reviewer")?,
        round: if text("round")? == "appeal" { Round::Appeal } else { Round::First },
        appeals: u32::try_from(row.try_get::<i64, _>("appeals")?).unwrap_or(0),
        created_at: from_ms(row.try_get("created_at")?),
        submitted_at: opt_ms(row, "submitted_at")?,
        review_due_at: opt_ms(row, "review_due_at")?,
        review_clock: json_column(row, "review_clock")?,
        statutory_clock: json_column(row, "statutory_clock")?,
        decided_at: opt_ms(row, "decided_at")?,
        version: row.try_get("version")?,
    })
}

fn round_str(r: Round) -> &'static str {
    match r {
        Round::First => "first",
        Round::Appeal => "appeal",
    }
}

/// Binds every column of [`APP_COLUMNS`], in that order, then `queue_key` and `updated_at`.
pub(crate) fn bind_app<'q>(q: AnyQuery<'q>, a: &Application, now: Timestamp) -> AnyQuery<'q> {
    q.bind(a.id.to_string())
        .bind(a.no.as_ref().map(ApplicationNo::to_string))
        .bind(a.order_no.to_string())
        .bind(a.buyer.to_string())
        .bind(a.state.as_str())
        .bind(a.reason.as_str())
        .bind(a.description.clone())
        .bind(a.requested.0)
        .bind(a.approved.map(|f| f.0))
        .bind(a.reject_code.map(RejectCode::as_str))
        .bind(a.reject_text.clone())
        .bind(a.reviewer.clone())
        .bind(a.first_reviewer.clone())
        .bind(round_str(a.round))
        .bind(i64::from(a.appeals))
        .bind(ms(a.created_at))
        .bind(a.submitted_at.map(ms))
        .bind(a.review_due_at.map(ms))
        .bind(a.review_clock.as_ref().and_then(|c| serde_json::to_string(c).ok()))
        .bind(a.statutory_clock.as_ref().and_then(|c| serde_json::to_string(c).ok()))
        .bind(a.decided_at.map(ms))
        .bind(a.version)
        .bind(a.queue_key())
        .bind(ms(now))
}

/// How many parameters [`bind_app`] binds.
pub(crate) fn app_params() -> usize {
    APP_COLUMNS.split(", ").count() + 2
}

/// The columns an application's row is written with: [`bind_app`]'s, then the order's
/// payment channel (copied so the review queue filters on it without a join).
const APP_WRITE_COLUMNS: &str = "queue_key, updated_at, pay_channel";

/// `$1, …, $N` for [`bind_app`]'s values, then the channel read from the order (`$3`).
fn app_placeholders() -> String {
    let mut p: Vec<String> = (1..=app_params()).map(|i| format!("${i}")).collect();
    p.push("(SELECT o.pay_channel FROM orders o WHERE o.order_no = $3)".into());
    p.join(", ")
}

pub(crate) static INSERT_APP: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO applications ({APP_COLUMNS}, {APP_WRITE_COLUMNS}) VALUES ({})", app_placeholders())
});

/// Guarded by the application's id and previous version, bound after the columns.
pub(crate) static SAVE_APP: LazyLock<String> = LazyLock::new(|| save_app_sql(""));

/// The guarded update of an application: the columns, `queue_key` and `updated_at` first,
/// then its id and previous version; `extra` adds a condition.
pub(crate) fn save_app_sql(extra: &str) -> String {
    let n = app_params();
    format!(
        "UPDATE applications SET ({APP_COLUMNS}, {APP_WRITE_COLUMNS}) = ({}) WHERE id = ${} AND version = ${}{extra}",
        app_placeholders(),
        n + 1,
        n + 2
    )
}

inventory::submit! {
    crate::sql::Built { only: None, texts: || vec![INSERT_APP.clone(), SAVE_APP.clone(), INSERT_EVENT.clone()] }
}

pub(crate) static INSERT_EVENT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO application_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
});

/// Whether an application is looked up by its id (else by its number), and the value: a
/// draft by its id, a submitted application by its number.
pub(crate) fn key_of(r: &ApplicationRef) -> (bool, &str) {
    match r {
        ApplicationRef::Draft(id) => (true, id.as_str()),
        ApplicationRef::No(no) => (false, no.as_str()),
    }
}

/// Binds one timeline row in [`EVENT_COLUMNS`] order.
pub(crate) fn bind_event<'q>(q: AnyQuery<'q>, no: &ApplicationNo, seq: i64, e: &Event, body: String) -> AnyQuery<'q> {
    q.bind(no.to_string())
        .bind(seq)
        .bind(ms(e.at))
        .bind(e.kind.name())
        .bind(e.actor.name.clone())
        .bind(e.actor.role.as_str())
        .bind(e.from.as_str())
        .bind(e.to.as_str())
        .bind(body)
}

/// The timeline rows of `events`, the last of which produced `last_version`: each event's
/// sequence number is the version its step produced.
pub(crate) fn event_rows(events: &[Event], last_version: i64) -> Result<Vec<(i64, &Event, String)>, StoreError> {
    let first = last_version - events.len() as i64 + 1;
    events
        .iter()
        .enumerate()
        .map(|(i, e)| Ok((first + i as i64, e, serde_json::to_string(e).map_err(StoreError::corrupt)?)))
        .collect()
}
