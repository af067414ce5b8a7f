//! Webhooks in the database (rules in `redress_domain::webhook`): the merchant's endpoints
//! and their sealed secrets, the messages made from the merchant's notifications, the
//! deliveries (a work queue on the queues' lease) and the log of every attempt.

use crate::db::WriteTx;
use crate::page::{KeyPart, Page, PageRequest, bind_key};
use crate::{Backend, Store, StoreError, from_ms, ms};
use jiff::{SignedDuration, Timestamp};
use redress_domain::ids::{ApplicationNo, ApplicationRef};
use redress_domain::notify::{Audience, Notice, NoticeKind};
use redress_domain::webhook::{EventFilter, Verdict};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An endpoint as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// Comma-separated event types and families; `*` for all.
    pub events: String,
    pub enabled: bool,
    /// Why it was disabled: `gone` (it answered 410), `failing` (five days), `manual`.
    pub disabled_reason: Option<String>,
    /// The first failure since its last success.
    pub failing_since: Option<Timestamp>,
    /// Until when the previous secret still signs, during a rotation.
    pub previous_until: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A delivery taken for sending: where, with which (sealed) secrets, what.
#[derive(Debug, Clone)]
pub struct OutgoingHook {
    pub delivery_id: String,
    /// The `webhook-id`.
    pub message_id: String,
    pub kind: String,
    /// The application it is about.
    pub subject: String,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub endpoint_id: String,
    pub url: String,
    pub enabled: bool,
    pub secret: String,
    pub previous: Option<(String, Timestamp)>,
    pub failing_since: Option<Timestamp>,
}

/// One attempt, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAttempt {
    pub delivery_id: String,
    pub attempt: u32,
    pub endpoint_id: String,
    pub message_id: String,
    pub kind: String,
    pub at: Timestamp,
    /// The HTTP status, if there was an answer.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The answer's first 1 KB.
    pub answer: Option<String>,
    /// Why there was no answer (refused address, timeout, connection).
    pub error: Option<String>,
}

/// What a replay queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    pub queued: usize,
    /// Where to go on from when the range held more than one call queues.
    pub more_from: Option<Timestamp>,
}

/// The most messages one replay call queues.
pub const REPLAY_BATCH: usize = 1_000;

const ENDPOINT_COLUMNS: &str = "id, url, events, state, disabled_reason, failing_since, previous_until, created_by, \
                                created_at, updated_at";

/// The endpoints' list, oldest first, in the index `webhook_endpoints_list`.
const ENDPOINT_LIST: &str = "webhook-endpoints";
pub(crate) const ENDPOINT_SQL: [&str; 2] = [
    "SELECT id, url, events, state, disabled_reason, failing_since, previous_until, created_by, created_at, updated_at
     FROM webhook_endpoints ORDER BY created_at, id LIMIT $1",
    "SELECT id, url, events, state, disabled_reason, failing_since, previous_until, created_by, created_at, updated_at
     FROM webhook_endpoints WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3",
];

/// An endpoint's delivery log, newest first, in the index `webhook_attempts_log`.
const ATTEMPT_LIST: &str = "webhook-attempts";
pub(crate) const ATTEMPT_SQL: [&str; 2] = [
    "SELECT delivery_id, attempt, endpoint_id, message_id, kind, at, status, latency_ms, answer, error
     FROM webhook_attempts WHERE endpoint_id = $1
     ORDER BY at DESC, delivery_id DESC, attempt DESC LIMIT $2",
    "SELECT delivery_id, attempt, endpoint_id, message_id, kind, at, status, latency_ms, answer, error
     FROM webhook_attempts WHERE endpoint_id = $1 AND (at, delivery_id, attempt) < ($2, $3, $4)
     ORDER BY at DESC, delivery_id DESC, attempt DESC LIMIT $5",
];

fn endpoint_of(r: &AnyRow) -> Result<Endpoint, StoreError> {
    Ok(Endpoint {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        events: r.try_get("events")?,
        enabled: r.try_get::<String, _>("state")? == "enabled",
        disabled_reason: r.try_get("disabled_reason")?,
        failing_since: r.try_get::<Option<i64>, _>("failing_since")?.map(from_ms),
        previous_until: r.try_get::<Option<i64>, _>("previous_until")?.map(from_ms),
        created_by: r.try_get("created_by")?,
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

fn attempt_of(r: &AnyRow) -> Result<HookAttempt, StoreError> {
    Ok(HookAttempt {
        delivery_id: r.try_get("delivery_id")?,
        attempt: u32::try_from(r.try_get::<i64, _>("attempt")?).unwrap_or(0),
        endpoint_id: r.try_get("endpoint_id")?,
        message_id: r.try_get("message_id")?,
        kind: r.try_get("kind")?,
        at: from_ms(r.try_get("at")?),
        status: r.try_get::<Option<i64>, _>("status")?.and_then(|s| u16::try_from(s).ok()),
        latency_ms: r.try_get("latency_ms")?,
        answer: r.try_get("answer")?,
        error: r.try_get("error")?,
    })
}

/// A new delivery's id.
fn delivery_id() -> String {
    use rand::RngExt;
    let bytes: [u8; 12] = rand::rng().random();
    format!("WD-{}", hex::encode(bytes))
}

/// Queues `message` for `endpoint`, due at once.
async fn queue_delivery(tx: &mut WriteTx, message: &str, endpoint: &str, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, message_id, endpoint_id, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)",
    )
    .bind(delivery_id())
    .bind(message)
    .bind(endpoint)
    .bind(ms(now))
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

impl Store {
    /// Registers an endpoint (its id, URL and filter checked by the caller; its secret sealed).
    pub async fn create_endpoint(
        &self,
        id: &str,
        url: &str,
        events: &EventFilter,
        sealed_secret: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<Endpoint, StoreError> {
        let (key, url, events, secret, by) =
            (id.to_owned(), url.to_owned(), events.to_text(), sealed_secret.to_owned(), by.to_owned());
        self.writing(move |s| async move {
            let id = key;
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, events, state, secret, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, 'enabled', $4, $5, $6, $6)",
            )
            .bind(&id)
            .bind(&url)
            .bind(&events)
            .bind(&secret)
            .bind(&by)
            .bind(ms(now))
            .execute(s.write_pool())
            .await?;
            Ok(())
        })
        .await?;
        self.endpoint(id).await
    }

    /// One endpoint; `NotFound` if there is none.
    pub async fn endpoint(&self, id: &str) -> Result<Endpoint, StoreError> {
        let row = sqlx::query(crate::sql::built!("SELECT {} FROM webhook_endpoints WHERE id = $1", ENDPOINT_COLUMNS))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        endpoint_of(&row.ok_or(StoreError::NotFound)?)
    }

    /// A page of the endpoints, oldest first.
    pub async fn endpoints(&self, page: &PageRequest) -> Result<Page<Endpoint>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(ENDPOINT_LIST, "it")).transpose()?;
        let mut q = sqlx::query(ENDPOINT_SQL[usize::from(after.is_some())]);
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(endpoint_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, ENDPOINT_LIST, |e| vec![KeyPart::Int(ms(e.created_at)), KeyPart::Text(e.id.clone())]))
    }

    /// Gives endpoint `id` a new (sealed) secret; the one it had signs too until `until`.
    pub async fn rotate_endpoint_secret(
        &self,
        id: &str,
        sealed_secret: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Endpoint, StoreError> {
        let (id, secret) = (id.to_owned(), sealed_secret.to_owned());
        let done = self
            .writing(move |s| async move {
                let done = sqlx::query(
                    "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $1, secret = $2, updated_at = $3
                     WHERE id = $4",
                )
                .bind(ms(until))
                .bind(&secret)
                .bind(ms(now))
                .bind(&id)
                .execute(s.write_pool())
                .await?;
                Ok((done.rows_affected(), id))
            })
            .await?;
        if done.0 == 0 {
            return Err(StoreError::NotFound);
        }
        self.endpoint(&done.1).await
    }

    /// Disables endpoint `id` by hand (again: no change); its waiting deliveries are dropped
    /// when they come up.
    pub async fn disable_endpoint(&self, id: &str, now: Timestamp) -> Result<Endpoint, StoreError> {
        let id = id.to_owned();
        let again = id.clone();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            disable(&mut tx, &id, "manual", now).await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        self.endpoint(&again).await
    }

    /// Makes the webhook message of up to `limit` merchant notifications that wait for it,
    /// oldest first, and queues it for every enabled endpoint that takes its type and existed
    /// when it happened; a notification no endpoint takes makes no message. One transaction.
    pub async fn route_hooks(&self, now: Timestamp, limit: usize) -> Result<usize, StoreError> {
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let waiting = match s.backend() {
                Backend::Postgres => {
                    "SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at FROM notifications
                     WHERE hook_pending = 1 ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED"
                }
                Backend::Sqlite => {
                    "SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at FROM notifications
                     WHERE hook_pending = 1 ORDER BY created_at LIMIT $1"
                }
            };
            let rows = sqlx::query(waiting).bind(i64::try_from(limit).unwrap_or(i64::MAX)).fetch_all(&mut **tx).await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let endpoints = sqlx::query("SELECT id, events, created_at FROM webhook_endpoints WHERE state = 'enabled'")
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| {
                    let events = EventFilter::parse(&r.try_get::<String, _>("events")?).map_err(StoreError::corrupt)?;
                    Ok((r.try_get::<String, _>("id")?, events, from_ms(r.try_get("created_at")?)))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            for r in &rows {
                let n = crate::notifications::from_row(r)?.notice;
                let takers: Vec<&String> = endpoints
                    .iter()
                    .filter(|(_, events, created)| redress_domain::webhook::sent_to(events, *created, &n))
                    .map(|(id, _, _)| id)
                    .collect();
                if !takers.is_empty() {
                    let message = make_message(&s, &mut tx, &n).await?;
                    for endpoint in takers {
                        queue_delivery(&mut tx, &message, endpoint, now).await?;
                    }
                }
                sqlx::query("UPDATE notifications SET hook_pending = 0 WHERE id = $1")
                    .bind(&n.id)
                    .execute(&mut **tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(rows.len())
        })
        .await
    }

    /// Takes up to `limit` due deliveries for `lease`, each with its endpoint and message.
    pub async fn claim_hooks(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: usize,
    ) -> Result<Vec<OutgoingHook>, StoreError> {
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let queue = crate::lease::queue!(
                "webhook_deliveries",
                "id",
                "state = 'pending'",
                "id, message_id, endpoint_id, attempts"
            );
            let rows = crate::lease::claim_due(&s, &mut tx, &queue, &[], now, lease, limit).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let (delivery_id, message_id, endpoint_id): (String, String, String) =
                    (r.try_get("id")?, r.try_get("message_id")?, r.try_get("endpoint_id")?);
                let e = sqlx::query(
                    "SELECT m.kind, m.subject, m.body, e.url, e.state, e.secret, e.previous_secret, e.previous_until,
                            e.failing_since
                     FROM webhook_messages m, webhook_endpoints e WHERE m.id = $1 AND e.id = $2",
                )
                .bind(&message_id)
                .bind(&endpoint_id)
                .fetch_one(&mut **tx)
                .await?;
                let previous = match (
                    e.try_get::<Option<String>, _>("previous_secret")?,
                    e.try_get::<Option<i64>, _>("previous_until")?,
                ) {
                    (Some(secret), Some(until)) => Some((secret, from_ms(until))),
                    _ => None,
                };
                out.push(OutgoingHook {
                    delivery_id,
                    message_id,
                    kind: e.try_get("kind")?,
                    subject: e.try_get("subject")?,
                    body: e.try_get("body")?,
                    attempt: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    endpoint_id,
                    url: e.try_get("url")?,
                    enabled: e.try_get::<String, _>("state")? == "enabled",
                    secret: e.try_get("secret")?,
                    previous,
                    failing_since: e.try_get::<Option<i64>, _>("failing_since")?.map(from_ms),
                });
            }
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    /// A delivery whose endpoint is disabled: dropped, not sent.
    pub async fn hook_cancelled(&self, delivery_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let id = delivery_id.to_owned();
        self.writing(move |s| async move {
            sqlx::query("UPDATE webhook_deliveries SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state = 'pending'")
                .bind(ms(now))
                .bind(&id)
                .execute(s.write_pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Records attempt `a` of delivery `hook` and what it decided, in one transaction: the
    /// delivery delivered, to be tried again, or failed; the endpoint's failing clock; and,
    /// when the endpoint is disabled, the administrators told.
    pub async fn hook_attempted(
        &self,
        hook: &OutgoingHook,
        a: HookAttempt,
        verdict: Verdict,
    ) -> Result<(), StoreError> {
        let (subject, now) = (hook.subject.clone(), a.at);
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, endpoint_id, message_id, kind, at, status, latency_ms, answer, error)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (delivery_id, attempt) DO NOTHING",
            )
            .bind(&a.delivery_id)
            .bind(i64::from(a.attempt))
            .bind(&a.endpoint_id)
            .bind(&a.message_id)
            .bind(&a.kind)
            .bind(ms(now))
            .bind(a.status.map(i64::from))
            .bind(a.latency_ms)
            .bind(a.answer.clone())
            .bind(a.error.clone())
            .execute(&mut **tx)
            .await?;
            let (state, retry_at) = match verdict {
                Verdict::Delivered => ("delivered", None),
                Verdict::Retry(at) => ("pending", Some(at)),
                Verdict::GiveUp | Verdict::Disable(_) => ("failed", None),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), updated_at = $3
                 WHERE id = $4 AND state = 'pending'",
            )
            .bind(state)
            .bind(retry_at.map(ms))
            .bind(ms(now))
            .bind(&a.delivery_id)
            .execute(&mut **tx)
            .await?;
            let failing = if verdict == Verdict::Delivered { None } else { Some(ms(now)) };
            sqlx::query(
                "UPDATE webhook_endpoints SET failing_since = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN NULL
                        ELSE COALESCE(failing_since, CAST($1 AS BIGINT)) END
                 WHERE id = $2",
            )
            .bind(failing)
            .bind(&a.endpoint_id)
            .execute(&mut **tx)
            .await?;
            if let Verdict::Disable(reason) = verdict
                && disable(&mut tx, &a.endpoint_id, reason.as_str(), now).await?
            {
                let admins = crate::notifications::admins_on(&mut **tx).await?;
                let no = ApplicationNo::parse(&subject).map_err(StoreError::corrupt)?;
                let cause = format!("{}.{}.{}", a.endpoint_id, reason.as_str(), ms(now));
                let told = redress_domain::notify::endpoint_disabled(&cause, &no, &admins, now);
                crate::notifications::insert(&mut tx, &told).await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// A page of endpoint `id`'s delivery log, newest first.
    pub async fn hook_attempts(&self, endpoint: &str, page: &PageRequest) -> Result<Page<HookAttempt>, StoreError> {
        let after = page.after.as_ref().map(|c| c.key_for(ATTEMPT_LIST, "iti")).transpose()?;
        let mut q = sqlx::query(ATTEMPT_SQL[usize::from(after.is_some())]).bind(endpoint.to_owned());
        if let Some(key) = after {
            q = bind_key(q, key);
        }
        let rows = q.bind(page.fetch()).fetch_all(&self.pool).await?;
        let items = rows.iter().map(attempt_of).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::of(items, page, ATTEMPT_LIST, |a| {
            vec![KeyPart::Int(ms(a.at)), KeyPart::Text(a.delivery_id.clone()), KeyPart::Int(i64::from(a.attempt))]
        }))
    }

    /// Sends message `message` to endpoint `endpoint` again (under the same `webhook-id`).
    /// `NotFound` if either is unknown or the endpoint is disabled.
    pub async fn redeliver(&self, endpoint: &str, message: &str, now: Timestamp) -> Result<(), StoreError> {
        let (endpoint, message) = (endpoint.to_owned(), message.to_owned());
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let known = sqlx::query(
                "SELECT 1 AS one FROM webhook_messages m, webhook_endpoints e
                 WHERE m.id = $1 AND e.id = $2 AND e.state = 'enabled'",
            )
            .bind(&message)
            .bind(&endpoint)
            .fetch_optional(&mut **tx)
            .await?;
            if known.is_none() {
                return Err(StoreError::NotFound);
            }
            queue_delivery(&mut tx, &message, &endpoint, now).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Sends endpoint `endpoint` again every message made from `since` until before `until`
    /// that it takes, oldest first, up to [`REPLAY_BATCH`] a call. `NotFound` if the endpoint
    /// is unknown or disabled.
    pub async fn replay(
        &self,
        endpoint: &str,
        since: Timestamp,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<Replayed, StoreError> {
        let endpoint = endpoint.to_owned();
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let e = sqlx::query("SELECT events FROM webhook_endpoints WHERE id = $1 AND state = 'enabled'")
                .bind(&endpoint)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let events = EventFilter::parse(&e.try_get::<String, _>("events")?).map_err(StoreError::corrupt)?;
            let rows = sqlx::query(
                "SELECT id, kind, created_at FROM webhook_messages WHERE created_at >= $1 AND created_at < $2
                 ORDER BY created_at, id LIMIT $3",
            )
            .bind(ms(since))
            .bind(ms(until))
            .bind(i64::try_from(REPLAY_BATCH + 1).unwrap_or(i64::MAX))
            .fetch_all(&mut **tx)
            .await?;
            let more_from = rows.get(REPLAY_BATCH).map(|r| r.try_get::<i64, _>("created_at")).transpose()?.map(from_ms);
            let mut queued = 0;
            for r in rows.iter().take(REPLAY_BATCH) {
                let kind = NoticeKind::parse(&r.try_get::<String, _>("kind")?);
                if kind.is_some_and(|k| events.takes(k)) {
                    queue_delivery(&mut tx, &r.try_get::<String, _>("id")?, &endpoint, now).await?;
                    queued += 1;
                }
            }
            tx.commit().await?;
            Ok(Replayed { queued, more_from })
        })
        .await
    }
}

/// Disables endpoint `id` for `reason`; whether it was enabled. `NotFound` if there is none.
async fn disable(tx: &mut WriteTx, id: &str, reason: &str, now: Timestamp) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET state = 'disabled', disabled_reason = $1, updated_at = $2
         WHERE id = $3 AND state = 'enabled'",
    )
    .bind(reason)
    .bind(ms(now))
    .bind(id)
    .execute(&mut ***tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    let exists =
        sqlx::query("SELECT 1 AS one FROM webhook_endpoints WHERE id = $1").bind(id).fetch_optional(&mut ***tx).await?;
    if exists.is_some() { Ok(false) } else { Err(StoreError::NotFound) }
}

/// The message of merchant notification `n` (made once: a notification routed again after a
/// crash finds it): its id.
async fn make_message(s: &Store, tx: &mut WriteTx, n: &Notice) -> Result<String, StoreError> {
    debug_assert_eq!(n.audience, Audience::Merchant);
    let id = redress_domain::webhook::message_id(&n.id);
    // Merchant notifications are about applications (tickets are not told to the merchant).
    let (application, payouts) = match n.subject.application() {
        Some(no) => {
            let application = match s.application(&ApplicationRef::No(no.clone())).await {
                Ok(a) => Some(a),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            };
            (application, s.payouts_of(no).await?)
        }
        None => (None, Vec::new()),
    };
    let body = redress_domain::webhook::body(n, application.as_ref(), payouts.last());
    sqlx::query(
        "INSERT INTO webhook_messages (id, notice_id, kind, subject, sequence, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(&n.id)
    .bind(n.kind.as_str())
    .bind(n.subject.to_string())
    .bind(n.seq)
    .bind(body)
    .bind(ms(n.at))
    .execute(&mut ***tx)
    .await?;
    Ok(id)
}
