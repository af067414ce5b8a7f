//! Refund applications: drafts, submission, every decision, the timeline, the review queue.
//! Each write is one transaction: the new state and its timeline event are committed together,
//! guarded by the application's `version`, so two people deciding at once cannot both win.
//! Writes that change what an order's applications hold (submit, appeal) are guarded by the
//! order's `lock_version`, so the refundable balance they check is the one they write against.

use crate::orders::{account_events_in, deliveries_in, fetch_order};
use crate::users::User;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use redress_domain::application::{
    Actor, Application, ApplicationError, DraftInput, Event, EventKind, Reason, RejectCode, Round, State, claimed,
};
use redress_domain::calendar::{BusinessCalendar, shanghai};
use redress_domain::entitlement::{self, Entitlement, Facts, Verdict};
use redress_domain::ids::{ApplicationNo, OrderNo, Username};
use redress_domain::money::{Fen, RefundAmount};
use redress_domain::order::{Channel, Order};
use redress_domain::policy::Policy;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::sync::{Arc, LazyLock};

pub(crate) const APP_COLUMNS: &str = "no, order_no, buyer, state, reason, description, requested_fen, approved_fen, \
     reject_code, reject_text, reviewer, first_reviewer, round, appeals, created_at, submitted_at, review_due_at, \
     paused_days_left, decided_at, version";

/// An application with its order and timeline, as its buyer or staff see it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    pub order: Order,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub seq: i64,
    pub event: Event,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// `None`: every application waiting for staff.
    pub state: Option<State>,
    pub reason: Option<Reason>,
    pub channel: Option<Channel>,
    pub min_fen: Option<i64>,
    pub max_fen: Option<i64>,
    pub limit: i64,
}

fn opt_ms(row: &AnyRow, col: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ms))
}

pub(crate) fn app_from_row(row: &AnyRow) -> Result<Application, StoreError> {
    let text = |col: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(col)?) };
    let bad = StoreError::corrupt;
    Ok(Application {
        no: ApplicationNo::parse(&text("no")?).map_err(|_| bad("application no"))?,
        order_no: OrderNo::parse(&text("order_no")?).map_err(|_| bad("order no"))?,
        buyer: Username::parse(&text("buyer")?).map_err(|_| bad("buyer"))?,
        state: State::parse(&text("state")?).ok_or_else(|| bad("state"))?,
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
        paused_days_left: row.try_get::<Option<i64>, _>("paused_days_left")?.map(|d| u32::try_from(d).unwrap_or(0)),
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

pub(crate) fn today(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned_datetime(shanghai()).date()
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// Binds every column of [`APP_COLUMNS`], in that order, then `updated_at`.
pub(crate) fn bind_app<'q>(q: AnyQuery<'q>, a: &Application, now: Timestamp) -> AnyQuery<'q> {
    q.bind(a.no.to_string())
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
        .bind(a.paused_days_left.map(i64::from))
        .bind(a.decided_at.map(ms))
        .bind(a.version)
        .bind(ms(now))
}

/// `$1, …, $N` for the application's columns and `updated_at`.
fn app_placeholders() -> String {
    (1..=APP_COLUMNS.split(", ").count() + 1).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

static INSERT_APP: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO applications ({APP_COLUMNS}, updated_at) VALUES ({})", app_placeholders()));

/// Guarded by the previous number and version, bound after the columns.
static SAVE_APP: LazyLock<String> = LazyLock::new(|| save_app_sql(""));

/// The guarded update of an application: the columns and `updated_at` are `$1…$21`, the
/// previous number and version `$22` and `$23`; `extra` adds a condition.
pub(crate) fn save_app_sql(extra: &str) -> String {
    let n = APP_COLUMNS.split(", ").count();
    format!(
        "UPDATE applications SET ({APP_COLUMNS}, updated_at) = ({}) WHERE no = ${} AND version = ${}{extra}",
        app_placeholders(),
        n + 2,
        n + 3
    )
}

async fn insert_app(tx: &mut Transaction<'static, Any>, a: &Application, now: Timestamp) -> Result<(), StoreError> {
    bind_app(sqlx::query(sqlx::AssertSqlSafe(INSERT_APP.as_str())), a, now).execute(&mut **tx).await?;
    Ok(())
}

/// Writes `a` over the stored row if the stored row is still `prev_no` at `prev_version`.
pub(crate) async fn save(
    tx: &mut Transaction<'static, Any>,
    prev_no: &ApplicationNo,
    prev_version: i64,
    a: &Application,
    now: Timestamp,
) -> Result<(), StoreError> {
    let done = bind_app(sqlx::query(sqlx::AssertSqlSafe(SAVE_APP.as_str())), a, now)
        .bind(prev_no.to_string())
        .bind(prev_version)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}

/// Writes a transition's timeline event, and what the transition sets in motion, in the
/// caller's transaction: an approval writes its payout instruction (the outbox).
pub(crate) async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    a: &Application,
    e: &Event,
) -> Result<(), StoreError> {
    match &e.kind {
        EventKind::Approved { amount, .. } => crate::payouts::create_for_approval(tx, a, *amount, e.at).await?,
        EventKind::RefundRetried => {
            crate::payouts::create_for_approval(tx, a, a.approved.unwrap_or(a.requested), e.at).await?
        }
        EventKind::SettledOutside { .. } => crate::payouts::none_on_its_way(tx, a).await?,
        _ => {}
    }
    let body = serde_json::to_string(e).map_err(StoreError::corrupt)?;
    sqlx::query(
        "INSERT INTO application_events (application_no, seq, at, kind, actor, actor_role, from_state, to_state, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.no.as_str())
    .bind(a.version)
    .bind(ms(e.at))
    .bind(e.kind.name())
    .bind(&e.actor.name)
    .bind(e.actor.role.as_str())
    .bind(e.from.as_str())
    .bind(e.to.as_str())
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who may see an application: its buyer; staff once it has been submitted (a draft is the
/// buyer's own notes).
fn visible_to(a: &Application, viewer: &User) -> bool {
    a.buyer == viewer.username || (viewer.role.is_staff() && a.state != State::Draft)
}

pub(crate) fn actor(user: &User) -> Actor {
    Actor { name: user.username.to_string(), role: user.role }
}

/// Refuses anyone but the application's own buyer (for buyer-only actions).
pub(crate) fn own(a: &Application, buyer: &User) -> Result<(), StoreError> {
    if a.buyer == buyer.username { Ok(()) } else { Err(StoreError::NotFound) }
}

/// A fresh number dated `now` that no application has yet.
async fn fresh_number(tx: &mut Transaction<'static, Any>, now: Timestamp) -> Result<ApplicationNo, StoreError> {
    for _ in 0..8 {
        let no = ApplicationNo::generate(today(now), &mut rand::rng());
        let taken =
            sqlx::query("SELECT 1 FROM applications WHERE no = $1").bind(no.as_str()).fetch_optional(&mut **tx).await?;
        if taken.is_none() {
            return Ok(no);
        }
    }
    Err(StoreError::Exists("application_no"))
}

impl Store {
    pub(crate) async fn fetch_app(
        &self,
        tx: Option<&mut Transaction<'static, Any>>,
        no: &ApplicationNo,
    ) -> Result<Application, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {APP_COLUMNS} FROM applications WHERE no = $1"));
        let q = sqlx::query(sql).bind(no.as_str());
        let row = match tx {
            Some(tx) => q.fetch_optional(&mut **tx).await?,
            None => q.fetch_optional(&self.pool).await?,
        };
        app_from_row(&row.ok_or(StoreError::NotFound)?)
    }

    /// An application as `viewer` may see it; someone else's is `NotFound`, never `Forbidden`,
    /// so numbers cannot be probed.
    pub async fn application_for(&self, no: &ApplicationNo, viewer: &User) -> Result<Application, StoreError> {
        let a = self.fetch_app(None, no).await?;
        if visible_to(&a, viewer) { Ok(a) } else { Err(StoreError::NotFound) }
    }

    /// The entitlement on `order_no` as of `now`, ignoring `except` (the application being
    /// edited or decided), for its buyer or staff.
    pub async fn entitlement(
        &self,
        order_no: &OrderNo,
        viewer: &User,
        except: Option<&ApplicationNo>,
        now: Timestamp,
    ) -> Result<Entitlement, StoreError> {
        let mut tx = self.pool.begin().await?;
        let (e, _) = self.entitlement_in(&mut tx, order_no, viewer, except, now).await?;
        tx.commit().await?;
        Ok(e)
    }

    async fn entitlement_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        order_no: &OrderNo,
        viewer: &User,
        except: Option<&ApplicationNo>,
        now: Timestamp,
    ) -> Result<(Entitlement, Arc<Policy>), StoreError> {
        let order = fetch_order(tx, order_no.as_str()).await?.ok_or(StoreError::NotFound)?;
        if !viewer.role.is_staff() && viewer.username != order.buyer {
            return Err(StoreError::NotFound);
        }
        let apps = Store::claims_on_order(tx, order_no.as_str()).await?;
        let policy = self.policy_in(tx, order.policy_version).await?;
        let ledger = deliveries_in(tx, order_no).await?;
        let events = account_events_in(tx, &order.buyer).await?;
        let claimed = claimed(apps.iter().filter(|a| Some(&a.no) != except));
        let e = entitlement::assess(&Facts {
            order: &order,
            ledger: &ledger,
            account_events: &events,
            policy: &policy,
            claimed,
            now,
        });
        Ok((e, policy))
    }

    /// Saves a draft. The order must be the buyer's and open to applications; the amount must
    /// fit the balance.
    pub async fn create_draft(
        &self,
        order_no: &OrderNo,
        buyer: &User,
        input: DraftInput,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        let ent = self.entitlement(order_no, buyer, None, now).await?;
        if buyer.role.is_staff() {
            return Err(StoreError::NotFound);
        }
        if ent.verdict == Verdict::NotEligible {
            return Err(StoreError::NotEligible(ent.explanation.clone()));
        }
        input.check()?;
        RefundAmount::new(input.amount, ent.max_refundable)?;
        let mut tx = self.write().await?;
        let no = fresh_number(&mut tx, now).await?;
        let draft = Application::new_draft(no, order_no.clone(), buyer.username.clone(), input, now)?;
        insert_app(&mut tx, &draft, now).await?;
        tx.commit().await?;
        Ok(draft)
    }

    pub async fn update_draft(
        &self,
        no: &ApplicationNo,
        buyer: &User,
        input: DraftInput,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        let next = a.update_draft(input)?;
        let ent = self.entitlement(&a.order_no, buyer, Some(no), now).await?;
        RefundAmount::new(next.requested, ent.max_refundable)?;
        let mut tx = self.write().await?;
        save(&mut tx, &a.no, a.version, &next, now).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Deletes a draft and its evidence rows (drafts have no timeline, so nothing the audit
    /// log refers to is lost). Returns the content addresses of the files it held, for the
    /// caller to remove from the evidence store when nothing else refers to them.
    pub async fn delete_draft(&self, no: &ApplicationNo, buyer: &User) -> Result<Vec<String>, StoreError> {
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        if a.state != State::Draft {
            return Err(ApplicationError::IllegalTransition { from: a.state, action: "deleted" }.into());
        }
        let (no, version) = (no.clone(), a.version);
        self.writing(move |s| async move {
            let mut tx = s.write().await?;
            let files: Vec<String> = sqlx::query("SELECT DISTINCT sha256 FROM evidence WHERE application_no = $1")
                .bind(no.as_str())
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get("sha256"))
                .collect::<Result<_, _>>()?;
            sqlx::query("DELETE FROM evidence WHERE application_no = $1 AND EXISTS (SELECT 1 FROM applications WHERE no = $1 AND state = 'draft')")
                .bind(no.as_str())
                .execute(&mut **tx)
                .await?;
            let done = sqlx::query("DELETE FROM applications WHERE no = $1 AND version = $2 AND state = 'draft'")
                .bind(no.as_str())
                .bind(version)
                .execute(&mut **tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
            tx.commit().await?;
            Ok(files)
        })
        .await
    }

    /// Applies a transition that does not change what the order's applications hold: the
    /// version guard makes a concurrent change lose with `Conflict`.
    async fn transition(
        &self,
        no: &ApplicationNo,
        who: &User,
        now: Timestamp,
        f: impl FnOnce(&Application, &Actor, &BusinessCalendar) -> Result<(Application, Event), StoreError>,
    ) -> Result<Application, StoreError> {
        let calendar = self.calendar().await?;
        let a = self.application_for(no, who).await?;
        let (next, event) = f(&a, &actor(who), &calendar)?;
        let (prev_no, prev_version) = (a.no.clone(), a.version);
        self.writing(move |store| async move {
            let mut tx = store.write().await?;
            save(&mut tx, &prev_no, prev_version, &next, now).await?;
            insert_event(&mut tx, &next, &event).await?;
            tx.commit().await?;
            Ok(next)
        })
        .await
    }

    pub async fn withdraw(&self, no: &ApplicationNo, buyer: &User, now: Timestamp) -> Result<Application, StoreError> {
        self.transition(no, buyer, now, |a, who, _| {
            own(a, buyer)?;
            Ok(a.withdraw(who, now)?)
        })
        .await
    }

    pub async fn supplement(
        &self,
        no: &ApplicationNo,
        buyer: &User,
        message: &str,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, buyer, now, |a, who, cal| {
            own(a, buyer)?;
            Ok(a.supplement(who, message, now, cal)?)
        })
        .await
    }

    pub async fn claim(&self, no: &ApplicationNo, reviewer: &User, now: Timestamp) -> Result<Application, StoreError> {
        self.transition(no, reviewer, now, |a, who, _| Ok(a.claim(who, now)?)).await
    }

    pub async fn request_info(
        &self,
        no: &ApplicationNo,
        reviewer: &User,
        message: &str,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, reviewer, now, |a, who, cal| Ok(a.request_info(who, message, now, cal)?)).await
    }

    /// Approves `amount`, or the full amount asked for when `None`.
    pub async fn approve(
        &self,
        no: &ApplicationNo,
        reviewer: &User,
        amount: Option<Fen>,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, reviewer, now, |a, who, _| Ok(a.approve(who, amount.unwrap_or(a.requested), now)?)).await
    }

    /// Sends a failed refund again, as a new payout with a new key.
    pub async fn retry_refund(
        &self,
        no: &ApplicationNo,
        staff: &User,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, staff, now, |a, who, _| Ok(a.retry_refund(who, now)?)).await
    }

    /// Records that a failed refund was paid another way, with staff's note.
    pub async fn settle_outside(
        &self,
        no: &ApplicationNo,
        staff: &User,
        note: &str,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, staff, now, |a, who, _| Ok(a.settle_outside(who, note, now)?)).await
    }

    pub async fn reject(
        &self,
        no: &ApplicationNo,
        reviewer: &User,
        code: RejectCode,
        text: &str,
        now: Timestamp,
    ) -> Result<Application, StoreError> {
        self.transition(no, reviewer, now, |a, who, _| Ok(a.reject(who, code, text, now)?)).await
    }

    pub async fn view(&self, no: &ApplicationNo, viewer: &User) -> Result<ApplicationView, StoreError> {
        let application = self.application_for(no, viewer).await?;
        let order = self.order(&application.order_no).await?;
        let rows = sqlx::query("SELECT seq, body FROM application_events WHERE application_no = $1 ORDER BY seq")
            .bind(no.as_str())
            .fetch_all(&self.pool)
            .await?;
        let timeline = rows
            .iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                Ok(TimelineEntry {
                    seq: r.try_get("seq")?,
                    event: serde_json::from_str(&body).map_err(StoreError::corrupt)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(ApplicationView { application, order, timeline })
    }

    /// A buyer's applications, newest first (at most `limit`).
    pub async fn applications_of_buyer(&self, buyer: &Username) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APP_COLUMNS} FROM applications WHERE buyer = $1 ORDER BY created_at DESC, no LIMIT 500"
        )))
        .bind(buyer.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(app_from_row).collect()
    }

    /// Applications waiting for staff, the one due soonest first. Drafts are never listed.
    pub async fn review_queue(&self, f: &QueueFilter) -> Result<Vec<(Application, Channel)>, StoreError> {
        let cols = APP_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        let open = crate::states_sql(State::is_open);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {cols}, o.pay_channel FROM applications a JOIN orders o ON o.order_no = a.order_no
             WHERE (CAST($1 AS TEXT) IS NULL AND a.state IN ({open})
                    OR a.state = CAST($1 AS TEXT) AND a.state <> 'draft')
               AND (CAST($2 AS TEXT) IS NULL OR a.reason = CAST($2 AS TEXT))
               AND (CAST($3 AS TEXT) IS NULL OR o.pay_channel = CAST($3 AS TEXT))
               AND (CAST($4 AS BIGINT) IS NULL OR a.requested_fen >= CAST($4 AS BIGINT))
               AND (CAST($5 AS BIGINT) IS NULL OR a.requested_fen <= CAST($5 AS BIGINT))
             ORDER BY a.review_due_at, a.no LIMIT $6"
        )))
        .bind(f.state.map(State::as_str))
        .bind(f.reason.map(Reason::as_str))
        .bind(f.channel.map(Channel::as_str))
        .bind(f.min_fen)
        .bind(f.max_fen)
        .bind(if f.limit > 0 { f.limit } else { 200 })
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
