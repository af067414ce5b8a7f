//! The write path of submissions and appeals: the two writes that make an application hold
//! part of its order's balance, and the hottest path of the system.
//!
//! The facts (the application, its order with `lock_version`, what the order's other
//! applications hold, the delivery ledger, the buyer's account events) are read in one query
//! without locks; the domain decides on them; the result is written only if the order's
//! `lock_version` is still the one read. Every write that can change those facts bumps it
//! (another submission or appeal, a merchant update, a new reading, an account event), so the
//! balance checked is the balance written against; a lost race decides again.
//!
//! The write itself is one transaction on SQLite (on the single write connection) and one
//! statement on PostgreSQL (data-modifying CTEs): each round trip to a database server costs
//! as much CPU as the commit, so the PostgreSQL form keeps them to one.

use crate::applications::{APP_COLUMNS, actor, app_from_row, bind_app, own, save_app_sql, today};
use crate::users::User;
use crate::{Backend, Store, StoreError, from_ms, ms, states_sql};
use jiff::Timestamp;
use rand::RngExt;
use redress_domain::application::{Application, ApplicationError, Event, EventKind, State};
use redress_domain::calendar::BusinessCalendar;
use redress_domain::entitlement::{self, Entitlement, Facts, Verdict};
use redress_domain::ids::ApplicationNo;
use redress_domain::money::{Fen, RefundAmount};
use redress_domain::order::{AccountEvent, AccountEventKind, DeliveryReading, DeliverySource};
use redress_domain::policy::Policy;
use sqlx::Row;
use std::sync::{Arc, LazyLock};

type Decision = Result<Vec<(Application, Event)>, StoreError>;

/// What a write attempt found.
enum Outcome {
    Written,
    /// The order's facts changed (or a fresh number was taken) since they were read.
    Lost,
}

impl Store {
    /// Submits a draft: checks the amount against the balance, starts the review clock,
    /// issues the application number (dated today), and applies rule 5 (auto-approval) — all
    /// committed together.
    pub async fn submit(&self, no: &ApplicationNo, buyer: &User, now: Timestamp) -> Result<Application, StoreError> {
        let renumber = !no.as_str().contains(&today(now).strftime("-%Y%m%d-").to_string());
        self.hold(no, buyer, now, renumber, |a, ent, policy, calendar| {
            if a.state != State::Draft {
                return Err(ApplicationError::IllegalTransition { from: a.state, action: "submitted" }.into());
            }
            if ent.verdict == Verdict::NotEligible {
                return Err(StoreError::NotEligible(ent.explanation.clone()));
            }
            RefundAmount::new(a.requested, ent.max_refundable)?;
            let submitted = a.submit(&actor(buyer), now, &policy.rules, calendar)?;
            if !ent.auto_approves(a.requested) {
                return Ok(vec![submitted]);
            }
            let rule = ent.clauses.first().cloned().unwrap_or_default();
            let approved = submitted.0.auto_approve(&rule, now)?;
            Ok(vec![submitted, approved])
        })
        .await
    }

    /// Appeals a rejection: the amount is held again, so it must still fit the balance.
    pub async fn appeal(
        &self,
        no: &ApplicationNo,
        buyer: &User,
        text: &str,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.hold(no, buyer, now, false, |a, ent, policy, calendar| {
            let step = a.appeal(&actor(buyer), text, now, &policy.rules, calendar)?;
            if a.requested > ent.balance {
                return Err(StoreError::BalanceTaken);
            }
            Ok(vec![step])
        })
        .await
    }

    async fn hold(
        &self,
        no: &ApplicationNo,
        buyer: &User,
        now: Timestamp,
        renumber: bool,
        decide: impl Fn(&Application, &Entitlement, &Policy, &BusinessCalendar) -> Decision,
    ) -> Result<Application, StoreError> {
        let calendar = self.calendar().await?;
        for attempt in 0..8 {
            // After a lost race the winner may have renumbered the draft: say so, not 404.
            let (a, version, ent, policy) = match self.hold_facts(no, buyer, now).await {
                Err(StoreError::NotFound) if attempt > 0 => return Err(StoreError::Conflict),
                other => other?,
            };
            let steps = decide(&a, &ent, &policy, &calendar)?;
            let Some((last, _)) = steps.last() else { return Ok(a) };
            let mut last = last.clone();
            if renumber {
                last.no = ApplicationNo::generate(today(now), &mut rand::rng());
            }
            let events: Vec<Event> = steps.into_iter().map(|(_, e)| e).collect();
            let write =
                Write { prev_no: a.no.clone(), prev_version: a.version, order_version: version, last, events, now };
            let last = write.last.clone();
            // An approval writes its payout instruction too, which the one-statement write has
            // no room for: on PostgreSQL it takes the transaction as well.
            let approves = write.events.iter().any(|e| matches!(e.kind, EventKind::Approved { .. }));
            let outcome = match self.backend() {
                Backend::Sqlite => self.writing(move |store| async move { write.in_transaction(&store).await }).await?,
                Backend::Postgres if approves => write.in_transaction(self).await?,
                Backend::Postgres => write.one_statement(self).await?,
            };
            match outcome {
                Outcome::Written => return Ok(last),
                // Someone changed the order's facts since we read them: decide again, after a
                // short random pause so racing buyers do not collide in step.
                Outcome::Lost => {
                    let pause = std::time::Duration::from_millis(rand::rng().random_range(1..10));
                    tokio::time::sleep(pause).await;
                }
            }
        }
        // Still losing after eight tries: the order is being changed constantly; try later.
        Err(StoreError::Busy)
    }

    /// The facts `hold` decides on, in one query. The application and the order's
    /// `lock_version` come from the same row, and the rest is read with them, so anything
    /// committed after that moment is caught by the version guard.
    async fn hold_facts(
        &self,
        no: &ApplicationNo,
        buyer: &User,
        now: Timestamp,
    ) -> Result<(Application, i64, Entitlement, Arc<Policy>), StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => &*FACTS_SQLITE,
            Backend::Postgres => &*FACTS_POSTGRES,
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(no.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let a = app_from_row(&row)?;
        own(&a, buyer)?;
        let order = crate::orders::order_from_row(&row)?;
        let version: i64 = row.try_get("lock_version")?;
        let claims: Vec<(String, i64, Option<i64>)> = json_rows(&row, "claims")?;
        let mut claimed = Fen::ZERO;
        for (state, requested, approved) in claims {
            let state = State::parse(&state).ok_or_else(|| StoreError::corrupt("state"))?;
            claimed = claimed + state.claim(Fen(requested), approved.map(Fen));
        }
        let ledger = json_rows::<(i64, String, i64)>(&row, "ledger")?
            .into_iter()
            .map(|(at, source, delivered)| {
                Ok(DeliveryReading {
                    at: from_ms(at),
                    delivered: u64::try_from(delivered).unwrap_or(0),
                    source: DeliverySource::parse(&source).ok_or_else(|| StoreError::corrupt("delivery source"))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let events = json_rows::<(i64, String, String)>(&row, "events")?
            .into_iter()
            .map(|(at, kind, source)| {
                Ok(AccountEvent {
                    at: from_ms(at),
                    kind: AccountEventKind::parse(&kind).ok_or_else(|| StoreError::corrupt("account event"))?,
                    source,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let policy = self.policy(order.policy_version).await?;
        let e = entitlement::assess(&Facts {
            order: &order,
            ledger: &ledger,
            account_events: &events,
            policy: &policy,
            claimed,
            now,
        });
        Ok((a, version, e, policy))
    }
}

/// A JSON array of rows aggregated by the facts query (NULL when there are none).
fn json_rows<T: serde::de::DeserializeOwned>(row: &sqlx::any::AnyRow, col: &str) -> Result<Vec<T>, StoreError> {
    match row.try_get::<Option<String>, _>(col)? {
        Some(text) => serde_json::from_str(&text).map_err(StoreError::corrupt),
        None => Ok(vec![]),
    }
}

/// The facts query for a backend: the JSON aggregate functions are the only difference.
fn facts_sql(agg: &str) -> String {
    let app_cols = APP_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
    let claiming = states_sql(State::takes_balance);
    let rows = |cols: &str| agg.replace("{}", cols);
    format!(
        "SELECT {app_cols}, o.service_name, o.platform, o.unit, o.promised, o.deadline, o.policy_version,
                o.policy_accepted_at, o.pay_channel, o.pay_transaction_id, o.paid_fen, o.paid_at, o.lock_version,
                (SELECT {claims} FROM applications c
                  WHERE c.order_no = a.order_no AND c.no <> a.no AND c.state IN ({claiming})) AS claims,
                (SELECT {ledger} FROM deliveries d WHERE d.order_no = a.order_no) AS ledger,
                (SELECT {events} FROM account_events e WHERE e.buyer = a.buyer) AS events
         FROM applications a JOIN orders o ON o.order_no = a.order_no WHERE a.no = $1",
        claims = rows("c.state, c.requested_fen, c.approved_fen"),
        ledger = rows("d.at, d.source, d.delivered"),
        events = rows("e.at, e.kind, e.source"),
    )
}

static FACTS_SQLITE: LazyLock<String> = LazyLock::new(|| facts_sql("json_group_array(json_array({}))"));
static FACTS_POSTGRES: LazyLock<String> = LazyLock::new(|| facts_sql("CAST(json_agg(json_build_array({})) AS TEXT)"));

/// One decided write: the application goes from `prev_no`@`prev_version` to `last` (one save,
/// whatever the number of steps) and each step's event is recorded.
struct Write {
    prev_no: ApplicationNo,
    prev_version: i64,
    order_version: i64,
    last: Application,
    events: Vec<Event>,
    now: Timestamp,
}

const EVENT_COLUMNS: &str = "application_no, seq, at, kind, actor, actor_role, from_state, to_state, body";

impl Write {
    /// The timeline rows: each event's sequence number is the version its step produced.
    fn event_rows(&self) -> Result<Vec<(i64, &Event, String)>, StoreError> {
        let first = self.last.version - self.events.len() as i64 + 1;
        self.events
            .iter()
            .enumerate()
            .map(|(i, e)| Ok((first + i as i64, e, serde_json::to_string(e).map_err(StoreError::corrupt)?)))
            .collect()
    }

    /// The write as a transaction: bump the order's version if unchanged (and the new number
    /// free), save the application, record the events and an approval's payout.
    async fn in_transaction(self, store: &Store) -> Result<Outcome, StoreError> {
        let mut tx = store.write().await?;
        let bumped =
            sqlx::query("UPDATE orders SET lock_version = lock_version + 1 WHERE order_no = $1 AND lock_version = $2")
                .bind(self.last.order_no.as_str())
                .bind(self.order_version)
                .execute(&mut **tx)
                .await?;
        let taken = self.last.no != self.prev_no
            && sqlx::query("SELECT 1 FROM applications WHERE no = $1")
                .bind(self.last.no.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
        if bumped.rows_affected() == 0 || taken {
            return Ok(Outcome::Lost);
        }
        crate::applications::save(&mut tx, &self.prev_no, self.prev_version, &self.last, self.now).await?;
        for (seq, e, body) in self.event_rows()? {
            bind_event(sqlx::query(sqlx::AssertSqlSafe(INSERT_EVENT.as_str())), &self.last.no, seq, e, body)
                .execute(&mut **tx)
                .await?;
            if let EventKind::Approved { amount, .. } = &e.kind {
                crate::payouts::create_for_approval(&mut tx, &self.last, *amount, e.at).await?;
            }
        }
        tx.commit().await?;
        Ok(Outcome::Written)
    }

    /// The same write as one statement: bump the order's version if unchanged (and the new
    /// number free), save the application if its version is unchanged, record the events —
    /// each only if the one before succeeded.
    async fn one_statement(self, store: &Store) -> Result<Outcome, StoreError> {
        // Parameters: the application's columns and `updated_at`, then (as in
        // `save_app_sql`) its previous number and version, then the order and its version, the
        // new number, and nine per event.
        let cols = APP_COLUMNS.split(", ").count() + 1;
        let (p_prev_no, p_order, p_order_version, p_new_no) = (cols + 1, cols + 3, cols + 4, cols + 5);
        let rows = self.event_rows()?;
        let selects: Vec<String> = (0..rows.len())
            .map(|i| {
                let b = p_new_no + 1 + i * 9;
                format!(
                    "SELECT CAST(${} AS TEXT), CAST(${} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS TEXT), CAST(${} AS TEXT), \
                     CAST(${} AS TEXT), CAST(${} AS TEXT), CAST(${} AS TEXT), CAST(${} AS TEXT) FROM saved",
                    b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8
                )
            })
            .collect();
        let save = save_app_sql(" AND EXISTS (SELECT 1 FROM bump)");
        let sql = format!(
            "WITH bump AS (
                UPDATE orders SET lock_version = lock_version + 1
                WHERE order_no = ${p_order} AND lock_version = ${p_order_version}
                  AND NOT EXISTS (SELECT 1 FROM applications WHERE no = ${p_new_no} AND no <> ${p_prev_no})
                RETURNING 1
             ), saved AS ({save} RETURNING 1
             ), events AS (
                INSERT INTO application_events ({EVENT_COLUMNS}) {} RETURNING 1
             )
             SELECT (SELECT COUNT(*) FROM bump) AS bumped, (SELECT COUNT(*) FROM saved) AS saved",
            selects.join(" UNION ALL ")
        );
        let mut q = bind_app(sqlx::query(sqlx::AssertSqlSafe(sql)), &self.last, self.now)
            .bind(self.prev_no.to_string())
            .bind(self.prev_version)
            .bind(self.last.order_no.to_string())
            .bind(self.order_version)
            .bind(self.last.no.to_string());
        for (seq, e, body) in rows {
            q = bind_event(q, &self.last.no, seq, e, body);
        }
        let row = q.fetch_one(store.write_pool()).await?;
        let (bumped, saved): (i64, i64) = (row.try_get("bumped")?, row.try_get("saved")?);
        match (bumped, saved) {
            (0, _) => Ok(Outcome::Lost),
            (_, 0) => Err(StoreError::Conflict),
            _ => Ok(Outcome::Written),
        }
    }
}

static INSERT_EVENT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO application_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
});

/// Binds one timeline row in [`EVENT_COLUMNS`] order.
fn bind_event<'q>(
    q: crate::applications::AnyQuery<'q>,
    no: &ApplicationNo,
    seq: i64,
    e: &Event,
    body: String,
) -> crate::applications::AnyQuery<'q> {
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
