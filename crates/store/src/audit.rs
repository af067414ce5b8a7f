//! The audit chain in the database (rules in `redress_domain::audit`).
//!
//! Timeline events, evidence rows and the messages of threads (a ticket's, an application's)
//! are written by their own transactions; a chainer then appends every one not yet in the
//! chain, in the order they happened, as entries of `audit_log` (kind `event`, `evidence` or
//! `message`; a draft's files only once it is submitted, since a draft and its files may be
//! discarded). Only one chainer appends at a time — on PostgreSQL a transaction-scoped
//! advisory lock serialises the instances, on SQLite the single write connection does — and
//! `seq` is the primary key while what an entry vouches for is unique, so two writers can
//! never fork the chain: the second would fail and retry on the new head. `serve` runs the
//! chainer every second, so a record is chained within about a second of its commit;
//! `redress audit verify` reports those still waiting.

use crate::db::Backend;
use crate::sql::built;
use crate::{Store, StoreError, ms};
use jiff::Timestamp;
use redress_domain::audit::{Break, Entry, GENESIS, Verifier, digest_of};
use sqlx::Row;
use sqlx::any::AnyRow;

/// How large the chainer's transactions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainPace {
    /// While requests are served (`serve`'s audit job, a case file's export): on SQLite a
    /// transaction holds the one writer every request's write waits for, so it is kept to a
    /// few milliseconds there.
    Serving,
    /// Catching up with no one waiting (`redress audit chain`, the demo's load): larger
    /// transactions, fewer of them.
    CatchUp,
}

impl ChainPace {
    /// Records of each kind (timeline events, evidence rows) one transaction appends, at most.
    fn batch(self, backend: Backend) -> i64 {
        match (self, backend) {
            (ChainPace::Serving, Backend::Sqlite) => 150,
            _ => 500,
        }
    }
}

/// An arbitrary constant naming the chainer's advisory lock on PostgreSQL.
const CHAIN_LOCK: i64 = 0x5245_4452_4155_4449;

/// The kind of an entry vouching for a published service-level version; its subject is
/// [`SERVICE_LEVELS_SUBJECT`] and its `ref_seq` the version.
pub(crate) const SERVICE_LEVELS_KIND: &str = "service_levels";
pub(crate) const SERVICE_LEVELS_SUBJECT: &str = "service-levels";

/// The record of a published service-level version, as [`SERVICE_LEVEL_FIELDS`] reads it back.
pub(crate) fn service_levels_record(version: i64, body: &str, by: &str, note: &str, at_ms: i64) -> String {
    serde_json::json!([version, body, by, note, at_ms]).to_string()
}

/// Chains `record` at once, inside the transaction `tx` that writes it, under the chainer's
/// lock: for what is rare and must never wait to be chained (a published service-level
/// version). One entry per (kind, subject, ref_seq), as for everything chained.
pub(crate) async fn chain_in(
    backend: Backend,
    tx: &mut crate::db::WriteTx,
    (kind, subject, ref_seq): (&str, &str, i64),
    record: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHAIN_LOCK).execute(&mut ***tx).await?;
    }
    let head =
        sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut ***tx).await?;
    let (seq, prev) = match head {
        Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
        None => (1, GENESIS.to_owned()),
    };
    let e = Entry::link(&prev, seq, ms(now), kind, subject, ref_seq, digest_of(record));
    sqlx::query(built!("INSERT INTO audit_log ({LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(e.seq)
        .bind(e.at_ms)
        .bind(e.kind)
        .bind(e.subject)
        .bind(e.ref_seq)
        .bind(e.body)
        .bind(e.prev_hash)
        .bind(e.hash)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries that verified, from the first.
    pub verified: i64,
    /// The hash of the last verified entry: record it elsewhere to detect a truncated tail.
    pub head: String,
    /// The first broken entry and why.
    pub broken: Option<(i64, Break)>,
    /// Timeline events and evidence not chained yet.
    pub pending: i64,
}

#[derive(Clone, Copy)]
enum Col {
    Text,
    Int,
}

/// Every column of a timeline event row, in table order.
const EVENT_FIELDS: &[(&str, Col)] = &[
    ("application_no", Col::Text),
    ("seq", Col::Int),
    ("at", Col::Int),
    ("kind", Col::Text),
    ("actor", Col::Text),
    ("actor_role", Col::Text),
    ("from_state", Col::Text),
    ("to_state", Col::Text),
    ("body", Col::Text),
];

/// Every column of an evidence row, in table order, with the application named by its number
/// (as when evidence was filed under the number: see [`evidence_source`]).
const EVIDENCE_FIELDS: &[(&str, Col)] = &[
    ("id", Col::Text),
    ("application_no", Col::Text),
    ("seq", Col::Int),
    ("sha256", Col::Text),
    ("size", Col::Int),
    ("media_type", Col::Text),
    ("kind", Col::Text),
    ("caption", Col::Text),
    ("filename", Col::Text),
    ("uploaded_by", Col::Text),
    ("uploaded_at", Col::Int),
    ("source", Col::Text),
];

/// Every column of a published service-level version (`service_levels`), in table order.
const SERVICE_LEVEL_FIELDS: &[(&str, Col)] = &[
    ("version", Col::Int),
    ("body", Col::Text),
    ("published_by", Col::Text),
    ("note", Col::Text),
    ("published_at", Col::Int),
];

/// The canonical record of a row: its `fields` as a JSON array, read from columns named with
/// `prefix`.
fn record(row: &AnyRow, fields: &[(&str, Col)], prefix: &str) -> Result<String, StoreError> {
    let values = fields
        .iter()
        .map(|(name, col)| {
            let name = format!("{prefix}{name}");
            Ok(match col {
                Col::Text => serde_json::Value::from(row.try_get::<String, _>(name.as_str())?),
                Col::Int => serde_json::Value::from(row.try_get::<i64, _>(name.as_str())?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(serde_json::Value::Array(values).to_string())
}

/// `t.a AS pa, t.b AS pb, …` for `fields`.
fn aliased(fields: &[(&str, Col)], table: &str, prefix: &str) -> String {
    aliased_from(fields, |f| format!("{table}.{f}"), prefix)
}

/// `source(a) AS pa, …` for `fields`.
fn aliased_from(fields: &[(&str, Col)], source: impl Fn(&str) -> String, prefix: &str) -> String {
    fields.iter().map(|(f, _)| format!("{} AS {prefix}{f}", source(f))).collect::<Vec<_>>().join(", ")
}

/// Every column of a message row that never changes, in table order, and its files' SHA-256s
/// (`files`): the text is vouched for by its digest, so a redaction, which empties the text
/// and keeps the digest, leaves the record as it was chained.
const MESSAGE_FIELDS: &[(&str, Col)] = &[
    ("thread", Col::Text),
    ("seq", Col::Int),
    ("kind", Col::Text),
    ("author", Col::Text),
    ("author_role", Col::Text),
    ("body_sha256", Col::Text),
    ("at", Col::Int),
    ("files", Col::Text),
];

/// Where an evidence record's field is read: the row `v`, except the application's number,
/// which is its application's (`ap`). Files are filed under the application's stable id since
/// migration 6; the chain names them by number, as it did when they were filed under it.
fn evidence_source(field: &str) -> String {
    if field == "application_no" { "ap.no".to_owned() } else { format!("v.{field}") }
}

/// Entries of `audit_log a`, each beside the record it vouches for (columns prefixed `e_` for
/// an event, `v_` for evidence, `m_` for a message, `s_` for a service-level version; NULL
/// where gone): add the WHERE and the order.
static WITH_RECORDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT a.seq, a.at, a.kind, a.subject, a.ref_seq, a.body, a.prev_hash, a.hash, {}, {}, {}, {}
         FROM audit_log a
         LEFT JOIN application_events e ON a.kind = 'event' AND e.application_no = a.subject AND e.seq = a.ref_seq
         LEFT JOIN applications ap ON a.kind = 'evidence' AND ap.no = a.subject
         LEFT JOIN evidence v ON v.application_id = ap.id AND v.seq = a.ref_seq
         LEFT JOIN messages m ON a.kind = 'message' AND m.thread = a.subject AND m.seq = a.ref_seq
         LEFT JOIN service_levels s ON a.kind = '{SERVICE_LEVELS_KIND}' AND s.version = a.ref_seq",
        aliased(EVENT_FIELDS, "e", "e_"),
        aliased_from(EVIDENCE_FIELDS, evidence_source, "v_"),
        aliased(MESSAGE_FIELDS, "m", "m_"),
        aliased(SERVICE_LEVEL_FIELDS, "s", "s_"),
    )
});

/// A row of [`WITH_RECORDS`]: the entry and its record's canonical text.
fn entry_with_record(row: &AnyRow) -> Result<(Entry, Option<String>), StoreError> {
    let entry = entry_from_row(row)?;
    let found = |col: &str| row.try_get::<Option<String>, _>(col).map(|v| v.is_some());
    let record = match entry.kind.as_str() {
        "event" if found("e_application_no")? => Some(record(row, EVENT_FIELDS, "e_")?),
        "evidence" if found("v_id")? => Some(record(row, EVIDENCE_FIELDS, "v_")?),
        "message" if found("m_thread")? => Some(record(row, MESSAGE_FIELDS, "m_")?),
        SERVICE_LEVELS_KIND if row.try_get::<Option<i64>, _>("s_version")?.is_some() => {
            Some(record(row, SERVICE_LEVEL_FIELDS, "s_")?)
        }
        _ => None,
    };
    Ok((entry, record))
}

fn entry_from_row(row: &AnyRow) -> Result<Entry, StoreError> {
    Ok(Entry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        ref_seq: row.try_get("ref_seq")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The draft state's name, where a statement needs it.
fn draft() -> &'static str {
    redress_domain::application::ApplicationState::Draft.as_str()
}

// What the chainer reads as waiting (`chain_batch`): timeline events and evidence whose `audit_pending` is
// 1, oldest first, each through a partial index of exactly those rows, so a pass costs what
// waits, not what has been chained. The column's default is 1: a row is waiting however it
// reached its table (the application, a bulk load, a restore), until the transaction that
// appends its entry sets it to 0. Evidence rows also carry the application's state: a
// draft's files are not chained (a draft and its files may be discarded, and a draft has no
// number) but parked (2) until the application is submitted.

/// The columns of `audit_log`, and the fields of an [`Entry`] in JSON that fill them.
const LOG_COLUMNS: &str = "seq, at, kind, subject, ref_seq, body, prev_hash, hash";
const ENTRY_FIELDS: &str = "seq, at_ms, kind, subject, ref_seq, body, prev_hash, hash";

/// Parks the waiting files of application `id` if it is still a draft, holding its row (as
/// uploads and the submission do) so that it cannot be submitted meanwhile.
async fn park(backend: Backend, tx: &mut crate::db::WriteTx, id: &str) -> Result<(), StoreError> {
    let still_draft = match backend {
        Backend::Postgres => {
            built!(postgres: "SELECT 1 FROM applications WHERE id = $1 AND state = '{}' FOR UPDATE", draft())
        }
        Backend::Sqlite => built!("SELECT 1 FROM applications WHERE id = $1 AND state = '{}'", draft()),
    };
    if sqlx::query(still_draft).bind(id).fetch_optional(&mut ***tx).await?.is_some() {
        sqlx::query("UPDATE evidence SET audit_pending = 2 WHERE application_id = $1 AND audit_pending = 1")
            .bind(id)
            .execute(&mut ***tx)
            .await?;
    }
    Ok(())
}

/// How far back in time (ms) a bounded read of what waits starts before the oldest row the
/// last read found, for rows that commit a little after their time was stamped.
const MARGIN_MS: i64 = 60_000;

/// How often (ms of the clock) a read starts from the very beginning instead.
const SWEEP_EVERY_MS: i64 = 60_000;

/// Where the chainer's reads of what waits start, per kind (epoch ms; `None`: from the
/// beginning). A cleared row leaves a dead entry in PostgreSQL's partial index until VACUUM
/// removes it, and a read from the beginning walks them all; so reads start a margin before
/// the oldest waiting row the previous read found, and only a sweep now and then (and the
/// first read) starts from the beginning. A row older than the mark (one whose transaction
/// committed long after it stamped its time) is found by the next sweep: nothing is skipped,
/// only such a row may wait up to a sweep's interval.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    events: Option<i64>,
    evidence: Option<i64>,
    messages: Option<i64>,
    last_sweep: Option<i64>,
}

impl Marks {
    /// Where this read starts, per kind (events, evidence, messages).
    fn from(&mut self, now: i64) -> (i64, i64, i64) {
        if self.last_sweep.is_none_or(|t| now - t >= SWEEP_EVERY_MS || now < t) {
            self.last_sweep = Some(now);
            self.events = None;
            self.evidence = None;
            self.messages = None;
        }
        let start = |m: Option<i64>| m.unwrap_or(i64::MIN);
        (start(self.events), start(self.evidence), start(self.messages))
    }

    /// After a read that found `oldest` first (or nothing) at `now`.
    fn found(mark: &mut Option<i64>, oldest: Option<i64>, now: i64) {
        let next = oldest.unwrap_or(now).saturating_sub(MARGIN_MS);
        *mark = Some(mark.map_or(next, |m| m.max(next)));
    }
}

/// A row read as waiting: its chain key, its kind and its record.
struct Waiting {
    at: i64,
    subject: String,
    ref_seq: i64,
    kind: &'static str,
    record: String,
}

impl Waiting {
    /// A waiting row of `kind`, its time in column `at`, its subject in `subject` and its
    /// record of `fields`.
    fn read(
        row: &AnyRow,
        kind: &'static str,
        (at, subject): (&str, &str),
        fields: &[(&str, Col)],
    ) -> Result<Waiting, StoreError> {
        Ok(Waiting {
            at: row.try_get(at)?,
            subject: row.try_get(subject)?,
            ref_seq: row.try_get("seq")?,
            kind,
            record: record(row, fields, "")?,
        })
    }
}

/// The entries a chainer's transaction has just appended (`seq` from $1 to $2), materialised
/// by that key range first, so that no planner reads the log by its `kind` index instead
/// (every entry of a kind: a pass would grow with the log).
const APPENDED: &str =
    "WITH appended AS MATERIALIZED (SELECT kind, subject, ref_seq FROM audit_log WHERE seq >= $1 AND seq <= $2)";

impl Store {
    /// Appends every timeline event and evidence row waiting to be chained; returns how many.
    pub async fn chain_pending(&self, now: Timestamp, pace: ChainPace) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let (n, more) = self.chain_some(now, pace).await?;
            total += n;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Appends one transaction's worth of what waits (at most [`ChainPace::batch`] of each kind): how
    /// many, and whether more may be waiting.
    pub async fn chain_some(&self, now: Timestamp, pace: ChainPace) -> Result<(u64, bool), StoreError> {
        let mut tries = 0;
        loop {
            match self.writing(move |s| async move { s.chain_batch(now, pace.batch(s.backend())).await }).await {
                // Another instance's chainer appended some of what this pass read (what waits
                // is read before the lock): read again from the new head. Again and again
                // means rows marked waiting that are in the chain already (a hand-made
                // change): the error goes to the job's log rather than round a loop.
                Err(StoreError::Conflict) if tries < 8 => tries += 1,
                done => return done,
            }
        }
    }

    fn marks(&self) -> std::sync::MutexGuard<'_, Marks> {
        // A panic while holding it leaves nothing half-done: marks are hints.
        self.chain_marks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One transaction's worth: (entries appended, whether more may be waiting).
    ///
    /// Nothing is skipped: a row waits (1) from its commit until the transaction that appends
    /// its entry clears it, so every committed row is found by some pass, in whatever order
    /// transactions commit. Nothing is chained twice: the clearing is guarded (`AND
    /// audit_pending = 1`, every row or the transaction fails) and `audit_log` allows one entry
    /// per (kind, subject, ref_seq), so a second chainer that read the same rows fails,
    /// appends nothing, and reads again. A draft's file is parked (2) only while its
    /// application is locked and still a draft; it waits again (1) in the transaction that
    /// chains the application's submission, which commits after every file the draft got
    /// (uploads and the submission lock the application's row).
    async fn chain_batch(&self, now: Timestamp, batch: i64) -> Result<(u64, bool), StoreError> {
        // Read on a reader, before the write transaction: the writer is not held for it.
        let (events_from, evidence_from, messages_from) = self.marks().from(ms(now));
        // What waits of one kind, from `from` on, oldest first.
        let waiting = |sql: sqlx::AssertSqlSafe<&'static str>, from: i64| {
            sqlx::query(sql).bind(from).bind(batch).fetch_all(&self.pool)
        };
        let events = waiting(
            built!(
                "SELECT {} FROM application_events e WHERE e.audit_pending = 1 AND e.at >= $1
                 ORDER BY e.at, e.application_no, e.seq LIMIT $2",
                aliased(EVENT_FIELDS, "e", "")
            ),
            events_from,
        )
        .await?;
        let evidence = waiting(
            built!(
                "SELECT {}, ap.id AS app_id, ap.state AS app_state
             FROM evidence v JOIN applications ap ON ap.id = v.application_id
             WHERE v.audit_pending = 1 AND v.uploaded_at >= $1
             ORDER BY v.uploaded_at, v.application_id, v.seq LIMIT $2",
                aliased_from(EVIDENCE_FIELDS, evidence_source, "")
            ),
            evidence_from,
        )
        .await?;
        let messages = waiting(
            built!(
                "SELECT {} FROM messages m WHERE m.audit_pending = 1 AND m.at >= $1
                 ORDER BY m.at, m.thread, m.seq LIMIT $2",
                aliased(MESSAGE_FIELDS, "m", "")
            ),
            messages_from,
        )
        .await?;
        {
            let first = |rows: &[AnyRow], col: &str| rows.first().map(|r| r.try_get::<i64, _>(col)).transpose();
            let (e, v, m) = (first(&events, "at")?, first(&evidence, "uploaded_at")?, first(&messages, "at")?);
            let mut marks = self.marks();
            Marks::found(&mut marks.events, e, ms(now));
            Marks::found(&mut marks.evidence, v, ms(now));
            Marks::found(&mut marks.messages, m, ms(now));
        }
        if events.is_empty() && evidence.is_empty() && messages.is_empty() {
            return Ok((0, false));
        }
        let full = usize::try_from(batch).unwrap_or(usize::MAX);
        let mut more = events.len() == full || evidence.len() == full || messages.len() == full;
        let mut items = Vec::with_capacity(events.len() + evidence.len() + messages.len());
        for row in &events {
            items.push(Waiting::read(row, "event", ("at", "application_no"), EVENT_FIELDS)?);
        }
        for row in &messages {
            items.push(Waiting::read(row, "message", ("at", "thread"), MESSAGE_FIELDS)?);
        }
        let mut drafts = Vec::new();
        for row in &evidence {
            if row.try_get::<String, _>("app_state")? == draft() {
                drafts.push(row.try_get::<String, _>("app_id")?);
            } else {
                items.push(Waiting::read(row, "evidence", ("uploaded_at", "application_no"), EVIDENCE_FIELDS)?);
            }
        }
        // Both kinds, in the order they happened.
        items.sort_by(|a, b| (a.at, &a.subject, a.ref_seq, a.kind).cmp(&(b.at, &b.subject, b.ref_seq, b.kind)));
        drafts.sort();
        drafts.dedup();

        let mut tx = self.write().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHAIN_LOCK).execute(&mut **tx).await?;
        }
        for id in &drafts {
            park(self.backend(), &mut tx, id).await?;
        }
        let head =
            sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
        let (first, mut prev) = match head {
            Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
            None => (1, GENESIS.to_owned()),
        };
        let mut entries = Vec::with_capacity(items.len());
        let (mut n_events, mut n_evidence, mut n_messages) = (0u64, 0u64, 0u64);
        for (i, w) in items.into_iter().enumerate() {
            let seq = first + i as i64;
            let e = Entry::link(&prev, seq, ms(now), w.kind, &w.subject, w.ref_seq, digest_of(&w.record));
            prev = e.hash.clone();
            match w.kind {
                "event" => n_events += 1,
                "message" => n_messages += 1,
                _ => n_evidence += 1,
            }
            entries.push(e);
        }
        let last = first + entries.len() as i64 - 1;
        if !entries.is_empty() {
            // All of them in one statement, as a JSON array of entries.
            let insert = match self.backend() {
                Backend::Postgres => built!(postgres:
                    "INSERT INTO audit_log ({LOG_COLUMNS}) SELECT {ENTRY_FIELDS}
                     FROM jsonb_to_recordset(CAST(CAST($1 AS TEXT) AS jsonb)) AS r(seq BIGINT, at_ms BIGINT, kind TEXT,
                       subject TEXT, ref_seq BIGINT, body TEXT, prev_hash TEXT, hash TEXT)"
                ),
                Backend::Sqlite => built!(sqlite:
                    "INSERT INTO audit_log ({LOG_COLUMNS}) SELECT value ->> 'seq', value ->> 'at_ms',
                       value ->> 'kind', value ->> 'subject', value ->> 'ref_seq', value ->> 'body',
                       value ->> 'prev_hash', value ->> 'hash'
                     FROM json_each($1)"
                ),
            };
            let json = serde_json::to_string(&entries).map_err(|e| StoreError::Internal(e.to_string()))?;
            let inserted = sqlx::query(insert).bind(json).execute(&mut **tx).await;
            match inserted {
                Ok(_) => {}
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => return Err(StoreError::Conflict),
                Err(other) => return Err(other.into()),
            }
        }
        // Clear what was chained, driven by the entries just appended ([`APPENDED`]). Every
        // row must still have been waiting.
        if n_events > 0 {
            let cleared = sqlx::query(built!(
                "{APPENDED}
                 UPDATE application_events SET audit_pending = 0 FROM appended a
                 WHERE a.kind = 'event'
                   AND application_events.application_no = a.subject AND application_events.seq = a.ref_seq
                   AND application_events.audit_pending = 1"
            ))
            .bind(first)
            .bind(last)
            .execute(&mut **tx)
            .await?;
            if cleared.rows_affected() != n_events {
                return Err(StoreError::Conflict);
            }
            // The files of the drafts submitted in these events wait again (and are chained
            // in the next batch, which reads back to the oldest of them).
            let unparked = sqlx::query(built!(
                "{APPENDED}
                 UPDATE evidence SET audit_pending = 1 WHERE audit_pending = 2 AND application_id IN (
                   SELECT ap.id FROM appended a
                   JOIN application_events e ON e.application_no = a.subject AND e.seq = a.ref_seq
                   JOIN applications ap ON ap.no = a.subject
                   WHERE a.kind = 'event' AND e.from_state = '{}')
                 RETURNING uploaded_at",
                draft()
            ))
            .bind(first)
            .bind(last)
            .fetch_all(&mut **tx)
            .await?;
            let times = unparked.iter().map(|r| r.try_get::<i64, _>("uploaded_at")).collect::<Result<Vec<_>, _>>()?;
            if let Some(oldest) = times.into_iter().min() {
                more = true;
                let mut marks = self.marks();
                marks.evidence = marks.evidence.map(|m| m.min(oldest.saturating_sub(MARGIN_MS)));
            }
        }
        if n_evidence > 0 {
            let cleared = sqlx::query(built!(
                "{APPENDED}
                 UPDATE evidence SET audit_pending = 0 FROM appended a JOIN applications ap ON ap.no = a.subject
                 WHERE a.kind = 'evidence'
                   AND evidence.application_id = ap.id AND evidence.seq = a.ref_seq AND evidence.audit_pending = 1"
            ))
            .bind(first)
            .bind(last)
            .execute(&mut **tx)
            .await?;
            if cleared.rows_affected() != n_evidence {
                return Err(StoreError::Conflict);
            }
        }
        if n_messages > 0 {
            let cleared = sqlx::query(built!(
                "{APPENDED}
                 UPDATE messages SET audit_pending = 0 FROM appended a
                 WHERE a.kind = 'message'
                   AND messages.thread = a.subject AND messages.seq = a.ref_seq AND messages.audit_pending = 1"
            ))
            .bind(first)
            .bind(last)
            .execute(&mut **tx)
            .await?;
            if cleared.rows_affected() != n_messages {
                return Err(StoreError::Conflict);
            }
        }
        tx.commit().await?;
        Ok((n_events + n_evidence + n_messages, more))
    }

    /// Walks the whole chain from the first entry and checks every link and every record it
    /// vouches for; stops at the first break. Reads in pages, so memory stays flat.
    pub async fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        let mut v = Verifier::default();
        let mut broken = None;
        let mut after = 0i64;
        'pages: loop {
            let rows = sqlx::query(built!("{} WHERE a.seq > $1 ORDER BY a.seq LIMIT 1000", *WITH_RECORDS))
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let (entry, record) = entry_with_record(row)?;
                if let Err(b) = v.check(&entry, record.as_deref()) {
                    // A gap is reported at the entry that is missing.
                    let at = if let Break::Gap { expected, .. } = b { expected } else { entry.seq };
                    broken = Some((at, b));
                    break 'pages;
                }
                after = entry.seq;
            }
        }
        Ok(AuditReport { verified: v.count(), head: v.head().to_owned(), broken, pending: self.audit_pending().await? })
    }

    /// How many timeline events, files and messages wait to be chained, counted in the
    /// partial indexes of what waits: the files of a submitted draft among them, not those of
    /// drafts.
    pub async fn audit_pending(&self) -> Result<i64, StoreError> {
        let row = sqlx::query(built!(
            "SELECT (SELECT COUNT(*) FROM application_events WHERE audit_pending = 1)
                  + (SELECT COUNT(*) FROM evidence WHERE audit_pending = 1)
                  + (SELECT COUNT(*) FROM messages WHERE audit_pending = 1)
                  + (SELECT COUNT(*) FROM evidence v JOIN applications ap ON ap.id = v.application_id
                     WHERE v.audit_pending = 2 AND ap.state <> '{}') AS n",
            draft()
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The chain's entries for one application, in chain order, each with the record it
    /// vouches for as it stands (`None` if gone), and the chain's last entry (read after them,
    /// so it is never before the application's last entry).
    pub async fn audit_entries_of(
        &self,
        subject: &str,
    ) -> Result<(Vec<(Entry, Option<String>)>, Option<(i64, String)>), StoreError> {
        let rows = sqlx::query(built!("{} WHERE a.subject = $1 ORDER BY a.seq", *WITH_RECORDS))
            .bind(subject)
            .fetch_all(&self.pool)
            .await?;
        let entries = rows.iter().map(entry_with_record).collect::<Result<Vec<_>, _>>()?;
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?)))
            .transpose()?;
        Ok((entries, head))
    }

    /// Runs SQL as it is on the write connection. Redress never calls it: it is for tests that
    /// play an attacker with database access, and for an operator's repairs.
    #[doc(hidden)]
    pub async fn execute_unchecked(&self, sql: &str) -> Result<u64, StoreError> {
        let unchecked = sql.to_owned();
        self.writing(move |s| async move {
            Ok(sqlx::query(sqlx::AssertSqlSafe(unchecked)).execute(s.write_pool()).await?.rows_affected())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{EVIDENCE_FIELDS, MARGIN_MS, MESSAGE_FIELDS, Marks, SWEEP_EVERY_MS};

    #[test]
    fn reads_start_a_margin_before_what_waited_and_sweep_from_the_beginning_now_and_then() {
        let mut m = Marks::default();
        let t0 = 1_800_000_000_000;
        assert_eq!(m.from(t0), (i64::MIN, i64::MIN, i64::MIN), "the first read starts from the beginning");
        Marks::found(&mut m.events, Some(t0 - 5_000), t0);
        Marks::found(&mut m.evidence, None, t0);
        Marks::found(&mut m.messages, Some(t0 - 7_000), t0);
        assert_eq!(m.from(t0 + 1_000), (t0 - 5_000 - MARGIN_MS, t0 - MARGIN_MS, t0 - 7_000 - MARGIN_MS));
        // The mark never moves back on its own: a read finds nothing older than it.
        Marks::found(&mut m.events, None, t0 + 1_000);
        assert_eq!(m.from(t0 + 2_000).0, t0 + 1_000 - MARGIN_MS);
        // A row stamped before the mark, committed late, is read by the next sweep.
        assert_eq!(m.from(t0 + SWEEP_EVERY_MS), (i64::MIN, i64::MIN, i64::MIN));
        // A clock moved back (a test's) sweeps too.
        Marks::found(&mut m.events, None, t0 + SWEEP_EVERY_MS);
        assert_eq!(m.from(t0).0, i64::MIN);
    }
    use redress_domain::audit::{EVIDENCE_SEQ_FIELD, EVIDENCE_SHA256_FIELD};

    #[test]
    fn the_domain_reads_an_evidence_record_where_the_store_writes_it() {
        assert_eq!(EVIDENCE_FIELDS[EVIDENCE_SEQ_FIELD].0, "seq");
        assert_eq!(EVIDENCE_FIELDS[EVIDENCE_SHA256_FIELD].0, "sha256");
        use redress_domain::audit::{MESSAGE_FILES_FIELD, MESSAGE_KIND_FIELD, MESSAGE_SEQ_FIELD, MESSAGE_THREAD_FIELD};
        assert_eq!(MESSAGE_FIELDS[MESSAGE_THREAD_FIELD].0, "thread");
        assert_eq!(MESSAGE_FIELDS[MESSAGE_KIND_FIELD].0, "kind");
        assert_eq!(MESSAGE_FIELDS[MESSAGE_SEQ_FIELD].0, "seq");
        assert_eq!(MESSAGE_FIELDS[MESSAGE_FILES_FIELD].0, "files");
    }
}
