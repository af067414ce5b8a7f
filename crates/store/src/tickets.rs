//! Support tickets and threads in the database (rules in `redress_domain::ticket`): a
//! ticket's row with its clocks, and the messages of every thread — a ticket's, or an
//! application's (named by its number). A change is written guarded by the ticket's version,
//! with the entries it adds, in one transaction.

use crate::db::WriteTx;
use crate::message_files::{Attachments, Carrying, Thread};
use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::Role;
use redress_domain::ids::{ApplicationNo, OrderNo, TicketNo, Username};
use redress_domain::ticket::{
    Category, Message, MessageKind, Redaction, Resolution, Status, Ticket, TicketChange, TicketClocks, TicketState,
};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) const TICKET_COLUMNS: &str = "no, buyer, category, subject, order_no, application_no, created_at, \
     state, assignee, clocks, queue_key, resolution, merged_into, resolved_at, close_at, updated_at, version";
const MESSAGE_COLUMNS: &str =
    "thread, seq, kind, author, author_role, body, body_sha256, at, redacted_by, redacted_at, redaction_reason";

/// Which tickets the desk's queue shows (one filter at a time is an index seek; together,
/// the first one given leads).
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<TicketState>,
    pub category: Option<Category>,
    pub assignee: Option<Username>,
}

/// The queue, by nearest due time, in `tickets_queue*`.
const QUEUE_LIST: &str = "ticket-queue";
/// A buyer's tickets (or an order's, an application's), newest first.
const MINE_LIST: &str = "tickets";
/// A thread, oldest first.
const THREAD_LIST: &str = "thread";

/// The queue's statement for a filter shape: bit 0 state, 1 category, 2 assignee, 3 after.
pub(crate) static QUEUE_SQL: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    (0..16)
        .map(|shape: usize| {
            let mut wheres = vec!["queue_key IS NOT NULL".to_owned()];
            let mut n = 0;
            let mut param = || {
                n += 1;
                format!("${n}")
            };
            for (bit, col) in [(0, "state"), (1, "category"), (2, "assignee")] {
                if shape & (1 << bit) != 0 {
                    wheres.push(format!("{col} = {}", param()));
                }
            }
            // The unfiltered queue walks `tickets_queue` (on `queue_key + 0`); a filtered one
            // its own index.
            let key = if shape & 7 == 0 { "(queue_key + 0)" } else { "queue_key" };
            if shape & 8 != 0 {
                wheres.push(format!("({key}, no) > ({}, {})", param(), param()));
            }
            format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE {} ORDER BY {key}, no LIMIT {}",
                wheres.join(" AND "),
                param()
            )
        })
        .collect()
});

/// Whose tickets: a buyer's, an order's, an application's; newest first.
#[derive(Debug, Clone, Copy)]
pub enum TicketsOf<'a> {
    Buyer(&'a Username),
    Order(&'a OrderNo),
    Application(&'a ApplicationNo),
}

impl TicketsOf<'_> {
    pub(crate) fn variant(&self) -> usize {
        match self {
            TicketsOf::Buyer(_) => 0,
            TicketsOf::Order(_) => 1,
            TicketsOf::Application(_) => 2,
        }
    }

    fn value(&self) -> String {
        match self {
            TicketsOf::Buyer(b) => b.to_string(),
            TicketsOf::Order(o) => o.to_string(),
            TicketsOf::Application(a) => a.to_string(),
        }
    }
}

/// Statements of [`TicketsOf`]: variant × 2, `+ 1` with a cursor.
pub(crate) static MINE_SQL: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    ["buyer", "order_no", "application_no"]
        .iter()
        .flat_map(|col| {
            [
                format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE {col} = $1 ORDER BY created_at DESC, no DESC LIMIT $2"
                ),
                format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE {col} = $1 AND (created_at, no) < ($2, $3)
                     ORDER BY created_at DESC, no DESC LIMIT $4"
                ),
            ]
        })
        .collect()
});

/// A thread, oldest first; with staff's notes (`[1]`, `[3]`) or without (`[0]`, `[2]`); with a cursor
/// from `[2]`.
pub(crate) static THREAD_SQL: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    // The statuses a buyer is not shown, from the domain (a status's text is its name, or its
    // name, a colon and what it names).
    let hidden: Vec<String> = Status::ALL
        .iter()
        .filter(|st| !st.public())
        .map(|st| format!("body <> '{st}' AND body NOT LIKE '{st}:%'"))
        .collect();
    let public = format!("AND kind <> 'note' AND (kind <> 'status' OR ({}))", hidden.join(" AND "));
    [("", ""), ("", "AND seq > $2")]
        .iter()
        .flat_map(|(_, after)| {
            let limit = if after.is_empty() { "$2" } else { "$3" };
            [
                format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread = $1 {public} {after} ORDER BY seq LIMIT {limit}"
                ),
                format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread = $1 {after} ORDER BY seq LIMIT {limit}"),
            ]
        })
        .collect()
});

/// A buyer's tickets waiting on them (`$1` the buyer, `$2` the limit).
pub(crate) const AWAITING_SQL: &str =
    "SELECT no, buyer, category, subject, state, order_no, application_no, assignee, \
    clocks, queue_key, resolution, merged_into, resolved_at, close_at, created_at, updated_at, version
    FROM tickets WHERE buyer = $1 AND state = 'waiting_on_buyer' ORDER BY updated_at DESC, no DESC LIMIT $2";

fn parse<T>(v: Option<T>, what: &str) -> Result<T, StoreError> {
    v.ok_or_else(|| StoreError::corrupt(what))
}

fn ticket_of(r: &AnyRow) -> Result<Ticket, StoreError> {
    let opt_ms = |c: &str| r.try_get::<Option<i64>, _>(c).map(|v| v.map(from_ms));
    let clocks: String = r.try_get("clocks")?;
    let clocks: TicketClocks = serde_json::from_str(&clocks).map_err(|_| StoreError::corrupt("ticket clocks"))?;
    Ok(Ticket {
        no: TicketNo::parse(&r.try_get::<String, _>("no")?).map_err(|_| StoreError::corrupt("ticket number"))?,
        buyer: Username::parse(&r.try_get::<String, _>("buyer")?).map_err(|_| StoreError::corrupt("buyer"))?,
        category: parse(Category::parse(&r.try_get::<String, _>("category")?), "ticket category")?,
        subject: r.try_get("subject")?,
        state: parse(TicketState::parse(&r.try_get::<String, _>("state")?), "ticket state")?,
        order_no: r.try_get::<Option<String>, _>("order_no")?.and_then(|o| OrderNo::parse(&o).ok()),
        application_no: r.try_get::<Option<String>, _>("application_no")?.and_then(|a| ApplicationNo::parse(&a).ok()),
        assignee: r.try_get::<Option<String>, _>("assignee")?.and_then(|a| Username::parse(&a).ok()),
        clocks,
        resolution: r.try_get::<Option<String>, _>("resolution")?.as_deref().and_then(Resolution::parse),
        merged_into: r.try_get::<Option<String>, _>("merged_into")?.and_then(|t| TicketNo::parse(&t).ok()),
        resolved_at: opt_ms("resolved_at")?,
        close_at: opt_ms("close_at")?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        version: r.try_get("version")?,
    })
}

fn message_of(r: &AnyRow) -> Result<Message, StoreError> {
    let redaction = match r.try_get::<Option<String>, _>("redacted_by")? {
        Some(by) => Some(Redaction {
            by,
            at: from_ms(r.try_get::<Option<i64>, _>("redacted_at")?.unwrap_or_default()),
            reason: r.try_get::<Option<String>, _>("redaction_reason")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Message {
        seq: r.try_get("seq")?,
        kind: parse(MessageKind::parse(&r.try_get::<String, _>("kind")?), "message kind")?,
        author: r.try_get("author")?,
        author_role: parse(Role::parse(&r.try_get::<String, _>("author_role")?), "author role")?,
        body: r.try_get("body")?,
        at: from_ms(r.try_get("at")?),
        redaction,
    })
}

/// Binds every column of [`TICKET_COLUMNS`] for `t`, whose clocks are `clocks` (JSON).
pub(crate) fn bind_ticket<'q>(
    q: crate::applications::row::AnyQuery<'q>,
    t: &Ticket,
    clocks: String,
    queue_key: Option<i64>,
) -> crate::applications::row::AnyQuery<'q> {
    let q = q
        .bind(t.no.to_string())
        .bind(t.buyer.to_string())
        .bind(t.category.as_str())
        .bind(t.subject.clone())
        .bind(t.order_no.as_ref().map(OrderNo::to_string))
        .bind(t.application_no.as_ref().map(ApplicationNo::to_string))
        .bind(ms(t.created_at));
    bind_changing(q, t, clocks, queue_key)
}

/// Binds what a change to a ticket may change, from `state` to `version` in
/// [`TICKET_COLUMNS`]' order (the UPDATE of [`Store::save_ticket`] sets them so).
fn bind_changing<'q>(
    q: crate::applications::row::AnyQuery<'q>,
    t: &Ticket,
    clocks: String,
    queue_key: Option<i64>,
) -> crate::applications::row::AnyQuery<'q> {
    q.bind(t.state.as_str())
        .bind(t.assignee.as_ref().map(Username::to_string))
        .bind(clocks)
        .bind(queue_key)
        .bind(t.resolution.map(Resolution::as_str))
        .bind(t.merged_into.as_ref().map(TicketNo::to_string))
        .bind(t.resolved_at.map(ms))
        .bind(t.close_at.map(ms))
        .bind(ms(t.updated_at))
        .bind(t.version)
}

/// The columns a new message binds ([`bind_message`]).
pub(crate) const NEW_MESSAGE_COLUMNS: &str = "thread, seq, kind, author, author_role, body, body_sha256, at, files";

/// Binds [`NEW_MESSAGE_COLUMNS`] for message `m` of `thread`, which carries files with the
/// SHA-256s `files` (comma-separated, in order; empty for none).
pub(crate) fn bind_message<'q>(
    q: crate::applications::row::AnyQuery<'q>,
    thread: &str,
    m: &Message,
    files: &str,
) -> crate::applications::row::AnyQuery<'q> {
    let body = m.body.clone().unwrap_or_default();
    q.bind(thread.to_owned())
        .bind(m.seq)
        .bind(m.kind.as_str())
        .bind(m.author.clone())
        .bind(m.author_role.as_str())
        .bind(body.clone())
        .bind(hex::encode(Sha256::digest(body.as_bytes())))
        .bind(ms(m.at))
        .bind(files.to_owned())
}

pub(crate) fn clocks_json(t: &Ticket) -> Result<String, StoreError> {
    serde_json::to_string(&t.clocks).map_err(|e| StoreError::Internal(e.to_string()))
}

/// Adds `entries` to `thread` after its last message, in `tx`, with `files` on the first
/// that is written (a message or a note, not a status); returns the first's number.
async fn append(
    (backend, tx): (crate::Backend, &mut WriteTx),
    thread: &str,
    author: (&str, Role),
    entries: &[(MessageKind, String)],
    now: Timestamp,
    mut files: Option<Attachments>,
) -> Result<i64, StoreError> {
    let last: Option<i64> = sqlx::query("SELECT MAX(seq) AS last FROM messages WHERE thread = $1")
        .bind(thread.to_owned())
        .fetch_one(&mut ***tx)
        .await?
        .try_get("last")?;
    let first = last.unwrap_or(0) + 1;
    for (i, (kind, body)) in entries.iter().enumerate() {
        let m = Message {
            seq: first + i as i64,
            kind: *kind,
            author: author.0.to_owned(),
            author_role: author.1,
            body: Some(body.clone()),
            at: now,
            redaction: None,
        };
        // The first message or note carries the files, named in its row for the audit chain.
        let carried = if *kind == MessageKind::Status { None } else { files.take() };
        let shas = carried.as_ref().map(|f| f.files.iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>().join(","));
        bind_message(
            sqlx::query(built!(
                "INSERT INTO messages ({NEW_MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            )),
            thread,
            &m,
            shas.as_deref().unwrap_or(""),
        )
        .execute(&mut ***tx)
        .await?;
        if let Some(files) = carried {
            crate::message_files::attach(backend, tx, (thread, m.seq), author.0, now, files).await?;
        }
    }
    if files.is_some_and(|f| !f.files.is_empty()) {
        return Err(StoreError::Internal("files given without a message to carry them".into()));
    }
    Ok(first)
}

impl Store {
    /// Writes a new ticket and its first message; `Exists("ticket_no")` if the number is
    /// taken.
    pub async fn insert_ticket(
        &self,
        t: Ticket,
        first: String,
        queue_key: Option<i64>,
        carry: Carrying,
    ) -> Result<(), StoreError> {
        let clocks = clocks_json(&t)?;
        let backend = self.backend();
        self.grouped(move |tx| {
            Box::pin(async move {
                let taken = sqlx::query("SELECT 1 FROM tickets WHERE no = $1")
                    .bind(t.no.to_string())
                    .fetch_optional(&mut ***tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Exists("ticket_no"));
                }
                if let Some(q) = &carry.quota {
                    crate::usage::count(tx, q).await?;
                }
                let insert = sqlx::query(built!(
                    "INSERT INTO tickets ({TICKET_COLUMNS})
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
                ));
                bind_ticket(insert, &t, clocks, queue_key).execute(&mut ***tx).await?;
                append(
                    (backend, tx),
                    t.no.as_str(),
                    (t.buyer.as_str(), Role::Buyer),
                    &[(MessageKind::Message, first)],
                    t.created_at,
                    carry.files,
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Whether ticket number `no` is taken.
    pub async fn ticket_exists(&self, no: &TicketNo) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 FROM tickets WHERE no = $1").bind(no.to_string()).fetch_optional(&self.pool).await?;
        Ok(row.is_some())
    }

    /// One ticket; `NotFound` if there is none.
    pub async fn ticket(&self, no: &TicketNo) -> Result<Ticket, StoreError> {
        let row = sqlx::query(built!("SELECT {TICKET_COLUMNS} FROM tickets WHERE no = $1"))
            .bind(no.to_string())
            .fetch_optional(&self.pool)
            .await?;
        ticket_of(&row.ok_or(StoreError::NotFound)?)
    }

    /// Writes a decided change by `author` over the version it was decided on (`Conflict`
    /// if it changed meanwhile), with its thread entries (`files` on its message).
    pub async fn save_ticket(
        &self,
        change: TicketChange,
        author: (String, Role),
        (queue_key, carry): (Option<i64>, Carrying),
        notices: Vec<redress_domain::notify::Notice>,
    ) -> Result<Ticket, StoreError> {
        let clocks = clocks_json(&change.next)?;
        let backend = self.backend();
        self.grouped(move |tx| {
            Box::pin(async move {
                let t = &change.next;
                // A merge's target is read again in the merge's transaction (held, on
                // PostgreSQL): one resolved, closed or merged meanwhile takes no duplicate.
                if t.resolution == Some(Resolution::Merged)
                    && let Some(into) = &t.merged_into
                {
                    let sql = match backend {
                        crate::Backend::Postgres => {
                            built!(postgres: "SELECT {TICKET_COLUMNS} FROM tickets WHERE no = $1 FOR UPDATE")
                        }
                        crate::Backend::Sqlite => built!("SELECT {TICKET_COLUMNS} FROM tickets WHERE no = $1"),
                    };
                    let row = sqlx::query(sql).bind(into.to_string()).fetch_optional(&mut ***tx).await?;
                    let open = match row {
                        Some(r) => ticket_of(&r)?.takes_merge_of(t),
                        None => false,
                    };
                    if !open {
                        return Err(StoreError::Conflict);
                    }
                }
                let update = sqlx::query(
                    "UPDATE tickets SET state = $1, assignee = $2, clocks = $3, queue_key = $4, resolution = $5,
                        merged_into = $6, resolved_at = $7, close_at = $8, updated_at = $9, version = $10
                     WHERE no = $11 AND version = $12",
                );
                let done = bind_changing(update, t, clocks, queue_key)
                    .bind(t.no.to_string())
                    .bind(change.prev_version)
                    .execute(&mut ***tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict);
                }
                if let Some(q) = &carry.quota {
                    crate::usage::count(tx, q).await?;
                }
                let thread = t.no.as_str();
                append((backend, tx), thread, (&author.0, author.1), &change.entries, t.updated_at, carry.files)
                    .await?;
                crate::notifications::insert(tx, &notices).await?;
                Ok(change.next)
            })
        })
        .await
    }

    /// Adds a message (with `files`) to application `no`'s thread.
    pub async fn post_to_application(
        &self,
        no: &ApplicationNo,
        author: (String, Role),
        (kind, body, carry): (MessageKind, String, Carrying),
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let thread = no.to_string();
        let backend = self.backend();
        self.grouped(move |tx| {
            Box::pin(async move {
                // Two messages at once are numbered one after the other: the application's row
                // is held first (SQLite's one writer does that already).
                if backend == crate::Backend::Postgres {
                    sqlx::query(built!(postgres: "SELECT 1 FROM applications WHERE no = $1 FOR UPDATE"))
                        .bind(thread.clone())
                        .fetch_optional(&mut ***tx)
                        .await?;
                }
                if let Some(q) = &carry.quota {
                    crate::usage::count(tx, q).await?;
                }
                append((backend, tx), &thread, (&author.0, author.1), &[(kind, body)], now, carry.files).await
            })
        })
        .await
    }

    /// A page of a thread, oldest first, with its messages' files; staff's notes and
    /// staff-side statuses only if `with_notes`.
    pub async fn thread(&self, thread: &str, with_notes: bool, page: &PageRequest) -> Result<Thread, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(THREAD_LIST, "i")).transpose()?;
        let chosen = &THREAD_SQL[usize::from(with_notes) + 2 * usize::from(after.is_some())];
        let mut q = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str())).bind(thread.to_owned());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(message_of).collect::<Result<Vec<_>, _>>()?;
        let messages = Page::of(items, page, THREAD_LIST, |m| vec![KeyPart::Int(m.seq)]);
        let files = self.files_of(thread, &messages.items).await?;
        Ok(Thread { messages, files })
    }

    /// A page of a buyer's (an order's, an application's) tickets, newest first.
    pub async fn tickets_of(&self, of: TicketsOf<'_>, page: &PageRequest) -> Result<Page<Ticket>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(MINE_LIST, "it")).transpose()?;
        let chosen = &MINE_SQL[of.variant() * 2 + usize::from(after.is_some())];
        let mut q = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str())).bind(of.value());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(ticket_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, MINE_LIST, |t| vec![KeyPart::Int(ms(t.created_at)), KeyPart::Text(t.no.to_string())]))
    }

    /// A page of the desk's queue: tickets not resolved, nearest due time first.
    pub async fn ticket_queue(&self, f: &TicketFilter, page: &PageRequest) -> Result<Page<(Ticket, i64)>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(QUEUE_LIST, "it")).transpose()?;
        let shape = usize::from(f.state.is_some())
            | usize::from(f.category.is_some()) << 1
            | usize::from(f.assignee.is_some()) << 2
            | usize::from(after.is_some()) << 3;
        let chosen = &QUEUE_SQL[shape];
        let mut q = sqlx::query(sqlx::AssertSqlSafe(chosen.as_str()));
        for v in [f.state.map(|s| s.as_str().to_owned()), f.category.map(|c| c.as_str().to_owned())]
            .into_iter()
            .chain([f.assignee.as_ref().map(Username::to_string)])
            .flatten()
        {
            q = q.bind(v);
        }
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| Ok((ticket_of(r)?, r.try_get::<Option<i64>, _>("queue_key")?.unwrap_or_default())))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Page::of(items, page, QUEUE_LIST, |(t, key)| vec![KeyPart::Int(*key), KeyPart::Text(t.no.to_string())]))
    }

    /// A buyer's tickets waiting on their answer, the latest answered first (at most `limit`),
    /// through the partial index `tickets_awaiting_buyer`.
    pub async fn tickets_awaiting(&self, buyer: &Username, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        let rows =
            sqlx::query(AWAITING_SQL).bind(buyer.to_string()).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(ticket_of).collect()
    }

    /// Resolved tickets whose time to reopen is over at `now`, oldest first (at most `limit`).
    pub async fn tickets_to_close(&self, now: Timestamp, limit: i64) -> Result<Vec<Ticket>, StoreError> {
        let rows = sqlx::query(built!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE close_at IS NOT NULL AND close_at <= $1
             ORDER BY close_at, no LIMIT $2"
        ))
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ticket_of).collect()
    }

    /// Empties message `seq` of `thread`, leaving who, when and why (again: `Conflict`).
    pub async fn redact_message(
        &self,
        thread: &str,
        seq: i64,
        by: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (thread, by, reason) = (thread.to_owned(), by.to_owned(), reason.to_owned());
        self.grouped(move |tx| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE messages SET body = NULL, redacted_by = $1, redacted_at = $2, redaction_reason = $3
                     WHERE thread = $4 AND seq = $5 AND redacted_by IS NULL AND kind <> 'status'",
                )
                .bind(by)
                .bind(ms(now))
                .bind(reason)
                .bind(thread.clone())
                .bind(seq)
                .execute(&mut ***tx)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok(());
                }
                let exists = sqlx::query("SELECT 1 FROM messages WHERE thread = $1 AND seq = $2 AND kind <> 'status'")
                    .bind(thread)
                    .bind(seq)
                    .fetch_optional(&mut ***tx)
                    .await?;
                Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound })
            })
        })
        .await
    }
}

inventory::submit! { crate::sql::Built { only: None, texts: || QUEUE_SQL.clone() } }
inventory::submit! { crate::sql::Built { only: None, texts: || MINE_SQL.clone() } }
inventory::submit! { crate::sql::Built { only: None, texts: || THREAD_SQL.clone() } }
