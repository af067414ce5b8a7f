//! Refund applications in the database: reading them (one, a buyer's, the review queue, the
//! timeline) here; their columns and row mapping in [`row`], the facts decisions are made on
//! in [`facts`], applying a decision in [`write`], and the review clocks of applications
//! stored before there were any in [`clocks`].

mod clocks;
mod facts;
mod late;
pub(crate) mod row;
mod write;

pub use facts::{HoldFacts, OrderFacts};
pub use late::{LateMark, LateReview};
pub use write::Held;
pub(crate) use write::write_decision;

use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::sql::built;
use crate::{Store, StoreError, ms};
use redress_domain::application::{Application, ApplicationState, Event, Reason};
use redress_domain::ids::{ApplicationNo, ApplicationRef, OrderNo, Username};
use redress_domain::order::Channel;
use row::{APP_COLUMNS, app_from_row, key_of};
use sqlx::{Any, Row, Transaction};
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub seq: i64,
    pub event: Event,
}

/// What the review queue is narrowed to; every field set must match.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// `None`: every application waiting for staff.
    pub state: Option<ApplicationState>,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    /// Held (claimed) by this reviewer.
    pub assignee: Option<Username>,
    /// An amount range (fen, inclusive): the queue is then listed by amount asked for,
    /// smallest first, instead of by due time.
    pub min_fen: Option<i64>,
    pub max_fen: Option<i64>,
}

impl QueueFilter {
    /// Which of [`queue_sql`]'s variants serves it.
    pub(crate) fn shape(&self, after: bool) -> usize {
        [
            self.state.is_some(),
            self.reason.is_some(),
            self.channel.is_some(),
            self.assignee.is_some(),
            self.min_fen.is_some(),
            self.max_fen.is_some(),
            after,
        ]
        .iter()
        .enumerate()
        .map(|(bit, on)| usize::from(*on) << bit)
        .sum()
    }

    /// The filter's values, in the order [`QUEUE_SQL`]'s statements bind them.
    pub(crate) fn params(&self) -> Vec<KeyPart> {
        let texts = [
            self.state.map(ApplicationState::as_str),
            self.reason.map(Reason::as_str),
            self.channel.map(Channel::as_str),
        ]
        .into_iter()
        .flatten()
        .map(|t| KeyPart::Text(t.to_owned()))
        .chain(self.assignee.iter().map(|a| KeyPart::Text(a.to_string())));
        texts.chain([self.min_fen, self.max_fen].into_iter().flatten().map(KeyPart::Int)).collect()
    }
}

/// An application in the review queue, with the channel its refund would go back through.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub application: Application,
    pub channel: Channel,
}

/// The review queue's statement for each filter shape (bits: state, reason, channel,
/// assignee, min, max, after). Each is a seek in the partial index whose columns are the
/// equality filters followed by the sort: `applications_queue_*` (migration 0010). With an
/// amount bound the sort is the amount; otherwise the queue key (due time).
fn queue_sql(shape: usize) -> String {
    let on = |bit: usize| shape & (1 << bit) != 0;
    // The whole queue's index is on `queue_key + 0`, an expression only the unfiltered queue
    // orders by: a filtered queue cannot be served by walking the whole queue and skipping
    // what does not match (which PostgreSQL prefers when due times follow insertion order),
    // only by its own index (migration 0010).
    let sort = if on(4) || on(5) {
        "requested_fen"
    } else if shape & 0b1111 == 0 {
        "queue_key + 0"
    } else {
        "queue_key"
    };
    let mut n = 0;
    let mut param = || {
        n += 1;
        format!("${n}")
    };
    let mut conds = vec!["queue_key IS NOT NULL".to_owned()];
    for (bit, column, op) in [
        (0, "state", "="),
        (1, "reason", "="),
        (2, "pay_channel", "="),
        (3, "reviewer", "="),
        (4, "requested_fen", ">="),
        (5, "requested_fen", "<="),
    ] {
        if on(bit) {
            conds.push(format!("{column} {op} {}", param()));
        }
    }
    if on(6) {
        conds.push(format!("({sort}, no) > ({}, {})", param(), param()));
    }
    format!(
        "SELECT {APP_COLUMNS}, pay_channel FROM applications WHERE {} ORDER BY {sort}, no LIMIT {}",
        conds.join(" AND "),
        param()
    )
}

pub(crate) static QUEUE_SQL: LazyLock<Vec<String>> = LazyLock::new(|| (0..1 << 7).map(queue_sql).collect());

inventory::submit! { crate::sql::Built { only: None, texts: || QUEUE_SQL.clone() } }

/// Whose applications a list holds. Staff search by number, order or buyer; a buyer's own
/// list is the only one with drafts.
#[derive(Debug, Clone, Copy)]
pub enum AppsOf<'a> {
    /// The buyer's own list, drafts included.
    Buyer(&'a Username),
    /// Staff search: a buyer's submitted applications.
    SearchBuyer(&'a Username),
    SearchOrder(&'a OrderNo),
    SearchNo(&'a ApplicationNo),
}

impl AppsOf<'_> {
    pub(crate) fn variant(&self) -> usize {
        match self {
            AppsOf::Buyer(_) => 0,
            AppsOf::SearchBuyer(_) => 1,
            AppsOf::SearchOrder(_) => 2,
            AppsOf::SearchNo(_) => 3,
        }
    }

    pub(crate) fn value(&self) -> &str {
        match self {
            AppsOf::Buyer(u) | AppsOf::SearchBuyer(u) => u.as_str(),
            AppsOf::SearchOrder(o) => o.as_str(),
            AppsOf::SearchNo(n) => n.as_str(),
        }
    }
}

/// The statement of each [`AppsOf`] variant, without and with a cursor: newest first, in the
/// index on (column, created_at, id).
fn apps_sql(variant: usize, after: bool) -> String {
    let (column, drafts) = [("buyer", true), ("buyer", false), ("order_no", false), ("no", false)][variant];
    let mut conds = vec![format!("{column} = $1")];
    if !drafts {
        conds.push("no IS NOT NULL".into());
    }
    let limit = if after {
        conds.push("(created_at, id) < ($2, $3)".into());
        "$4"
    } else {
        "$2"
    };
    // A number names one application: nothing to order.
    let order = if column == "no" { "" } else { " ORDER BY created_at DESC, id DESC" };
    format!("SELECT {APP_COLUMNS} FROM applications WHERE {}{order} LIMIT {limit}", conds.join(" AND "))
}

pub(crate) static APPS_SQL: LazyLock<Vec<String>> =
    LazyLock::new(|| (0..8).map(|i| apps_sql(i / 2, i % 2 == 1)).collect());

inventory::submit! { crate::sql::Built { only: None, texts: || APPS_SQL.clone() } }

/// A buyer's applications that wait for them, newest first (`$1` the buyer, `$2` the limit);
/// the states are the domain's, listed as the partial index `applications_awaiting_buyer`
/// lists them.
pub(crate) static AWAITING_BUYER_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {APP_COLUMNS} FROM applications WHERE buyer = $1 AND state IN ({}) ORDER BY created_at DESC, id DESC LIMIT $2",
        crate::states_sql(ApplicationState::awaits_buyer)
    )
});

inventory::submit! { crate::sql::Built { only: None, texts: || vec![AWAITING_BUYER_SQL.clone()] } }

/// The lists' names in their cursors.
const QUEUE_BY_DUE: &str = "queue";
const QUEUE_BY_AMOUNT: &str = "queue-amount";
const APPLICATIONS: &str = "applications";

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

    /// A page of applications, newest first: a buyer's own, or staff's search.
    pub async fn applications_of(&self, of: AppsOf<'_>, page: &PageRequest) -> Result<Page<Application>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(APPLICATIONS, "it")).transpose()?;
        let chosen = &APPS_SQL[of.variant() * 2 + usize::from(after.is_some())];
        let mut q = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str())).bind(of.value().to_owned());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let apps = rows.iter().map(app_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(apps, page, APPLICATIONS, |a| {
            vec![KeyPart::Int(ms(a.created_at)), KeyPart::Text(a.id.to_string())]
        }))
    }

    /// The newest `limit` of `buyer`'s applications that wait for them (a draft to finish,
    /// information asked for), through a partial index of exactly those.
    pub async fn awaiting_buyer(&self, buyer: &Username, limit: u32) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(AWAITING_BUYER_SQL.as_str())
            .bind(buyer.as_str())
            .bind(i64::from(limit.min(crate::page::MAX_LIMIT)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(app_from_row).collect()
    }

    /// A page of the applications waiting for staff, the one due soonest first (or, with an
    /// amount range, the smallest first). Drafts and decided applications are never listed.
    pub async fn review_queue(&self, f: &QueueFilter, page: &PageRequest) -> Result<Page<QueueItem>, StoreError> {
        let by_amount = f.min_fen.is_some() || f.max_fen.is_some();
        let list = if by_amount { QUEUE_BY_AMOUNT } else { QUEUE_BY_DUE };
        let after = page.after.as_ref().map(|c| c.key_for(list, "it")).transpose()?;
        let chosen = &QUEUE_SQL[f.shape(after.is_some())];
        let mut q = bind_key(sqlx::query(sqlx::AssertSqlSafe(chosen.as_str())), &f.params());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| {
                let c: Option<String> = r.try_get("pay_channel")?;
                let channel = c.as_deref().and_then(Channel::parse).ok_or_else(|| StoreError::corrupt("channel"))?;
                Ok(QueueItem { application: app_from_row(r)?, channel })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::of(items, page, list, |i| {
            let a = &i.application;
            let sort = if by_amount { a.requested.0 } else { a.queue_key().unwrap_or_default() };
            vec![KeyPart::Int(sort), KeyPart::Text(a.no.as_ref().map(ApplicationNo::to_string).unwrap_or_default())]
        }))
    }

    /// How many applications are in each state (for the demo report and dashboards).
    pub async fn state_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM applications GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("n")?))).collect()
    }
}
