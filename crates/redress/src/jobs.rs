//! The background jobs `serve` runs, in one place, on one scheduler. Each job is a pass that
//! does what is due now and says how much it did; the scheduler runs each lane's jobs in turn
//! every tick, at once when one of them is woken, and — for jobs that drain — a job again at
//! once while its pass fills its batch. Tests step the same job
//! objects one pass at a time ([`Jobs::run`]) instead of waiting for the scheduler.
//!
//! Several instances may share a database: each job says how its work is claimed, so that
//! running it on every instance at once does each piece of work once.

use jiff::{SignedDuration, Timestamp};
use redress_app::{App, WorkQueue};
use redress_sandbox::Gateway;
use redress_web::AppState;
use redress_web::api::health::{JobReport, JobsReport};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

type Pass<'a> = Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send + 'a>>;

/// One recurring job.
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    /// A pass: does what is due now; how many items it handled.
    fn pass(&self) -> Pass<'_>;
    /// A pass that handled this many is a full batch.
    fn batch(&self) -> usize;
    /// Whether a full batch is followed by another pass at once (work that is waited for, such
    /// as money on its way), rather than at the next tick (work that may lag a little, and
    /// would otherwise compete with requests for the database's writer).
    fn drain(&self) -> bool {
        false
    }
    /// How often the scheduler looks without being woken.
    fn every(&self) -> Duration {
        Duration::from_secs(1)
    }
    /// Wakes the job before its time (new work written by this server).
    fn wake(&self) -> Option<Arc<Notify>> {
        None
    }
    /// Jobs of one lane run one after the other, in the order listed, on the lane's tick (its
    /// first job's `every`), so related work follows in order (a snapshot is chained in the
    /// pass that takes it; a refund the worker sent is settled and called back at once) and
    /// the lanes' writes do not all queue for the database's writer at the same moment.
    fn lane(&self) -> Lane;
    /// The work queue whose backlog it drains.
    fn queue(&self) -> WorkQueue;
}

/// The scheduler's lanes (one task each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// What keeps the records: system snapshots, then the audit chain.
    Records,
    /// Money on its way: the payout worker, then the sandbox's settlements and callbacks.
    Money,
    /// Housekeeping: expired sessions.
    Housekeeping,
    /// Telling people: notification e-mails (an SMTP server's pace holds up nothing else).
    Messages,
    /// Telling the merchant's system: webhooks (neither a slow receiver nor a slow SMTP
    /// server holds up the other).
    Hooks,
}

/// What a job's passes on this instance did: how many, the last one's start, length and result.
#[derive(Default)]
struct Record {
    passes: u64,
    failures: u64,
    last_run_at: Option<Timestamp>,
    last_took: Option<Duration>,
    last_handled: Option<usize>,
    last_error: Option<String>,
}

/// A job and its record.
struct Entry {
    job: Arc<dyn Job>,
    record: Mutex<Record>,
}

impl Entry {
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One pass, recorded (its start on the application's clock, its length on the machine's).
    async fn pass(&self, now: Timestamp) -> anyhow::Result<usize> {
        let started = Instant::now();
        let done = self.job.pass().await;
        let mut r = self.record();
        r.passes += 1;
        r.last_run_at = Some(now);
        r.last_took = Some(started.elapsed());
        match &done {
            Ok(n) => (r.last_handled, r.last_error) = (Some(*n), None),
            Err(e) => {
                r.failures += 1;
                (r.last_handled, r.last_error) = (None, Some(format!("{e:#}")));
            }
        }
        done
    }
}

/// Every job of a server, with what each did last.
#[derive(Clone)]
pub struct Jobs {
    entries: Vec<Arc<Entry>>,
    /// The application whose clock the records use and whose store holds the backlogs.
    app: Option<App>,
}

impl Jobs {
    /// The jobs of the application `state` describes (the sandbox's only when it is in use).
    pub fn of(
        state: &AppState,
        sandbox: Option<&Gateway>,
        payout_lease: SignedDuration,
        mailer: Option<Arc<redress_web::mail::Mailer>>,
    ) -> Jobs {
        let mut jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(Snapshots { state: state.clone(), since: Mutex::new(None) }),
            Arc::new(AuditChain { state: state.clone() }),
            Arc::new(Payouts { state: state.clone(), lease: payout_lease }),
            Arc::new(Sessions { state: state.clone() }),
            Arc::new(Tickets { state: state.clone() }),
            Arc::new(LateReviews { state: state.clone() }),
            Arc::new(Usage { state: state.clone() }),
            Arc::new(Mail { state: state.clone(), mailer }),
            Arc::new(Webhooks { state: state.clone() }),
        ];
        if let Some(gateway) = sandbox {
            jobs.push(Arc::new(SandboxNotifier { gateway: gateway.clone() }));
        }
        let entries = jobs.into_iter().map(|job| Arc::new(Entry { job, record: Default::default() })).collect();
        Jobs { entries, app: Some(state.app.clone()) }
    }

    /// No jobs (for commands that only read or write once).
    pub fn none() -> Jobs {
        Jobs { entries: vec![], app: None }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.job.name()).collect()
    }

    fn now(&self) -> Timestamp {
        self.app.as_ref().map_or_else(Timestamp::now, App::now)
    }

    /// One pass of the job called `name`; how many items it handled.
    pub async fn run(&self, name: &str) -> anyhow::Result<usize> {
        let entry =
            self.entries.iter().find(|e| e.job.name() == name).ok_or_else(|| anyhow::anyhow!("no job {name}"))?;
        entry.pass(self.now()).await
    }

    /// Starts the scheduler: one task per lane, for as long as the runtime runs.
    pub fn spawn(&self) {
        for lane in [Lane::Records, Lane::Money, Lane::Housekeeping, Lane::Messages, Lane::Hooks] {
            let entries: Vec<_> = self.entries.iter().filter(|e| e.job.lane() == lane).cloned().collect();
            if !entries.is_empty() {
                tokio::spawn(schedule(self.clone(), entries));
            }
        }
    }
}

impl JobsReport for Jobs {
    /// Each job's record on this instance, and its backlog in the database (an index seek
    /// each, counted up to [`redress_app::BACKLOG_CAP`]).
    fn report(&self) -> Pin<Box<dyn Future<Output = Vec<JobReport>> + Send + '_>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(self.entries.len());
            for e in &self.entries {
                let backlog = match &self.app {
                    Some(app) => app.backlog(e.job.queue()).await.map_err(|err| err.to_string()),
                    None => Err("no application".to_owned()),
                };
                let now = self.now();
                let r = e.record();
                let ok = backlog.as_ref().ok();
                out.push(JobReport {
                    name: e.job.name().to_owned(),
                    every_secs: e.job.every().as_secs(),
                    passes: r.passes,
                    failures: r.failures,
                    last_run_at: r.last_run_at,
                    last_took_ms: r.last_took.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                    last_handled: r.last_handled.map(|n| u64::try_from(n).unwrap_or(u64::MAX)),
                    last_error: r.last_error.clone(),
                    backlog: ok.map(|b| b.waiting),
                    backlog_capped: ok.is_some_and(|b| b.capped),
                    backlog_cap: redress_app::BACKLOG_CAP,
                    oldest_pending_at: ok.and_then(|b| b.oldest),
                    oldest_pending_secs: ok.and_then(|b| b.oldest).map(|t| (now - t).as_secs().max(0)),
                    backlog_error: backlog.err(),
                });
            }
            out
        })
    }
}

async fn schedule(jobs: Jobs, entries: Vec<Arc<Entry>>) {
    let mut tick = tokio::time::interval(entries[0].job.every());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let wake = entries.iter().find_map(|e| e.job.wake()).unwrap_or_default();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
        }
        for e in &entries {
            loop {
                match e.pass(jobs.now()).await {
                    Ok(n) if n >= e.job.batch() && e.job.drain() => continue,
                    Ok(_) => break,
                    Err(err) => {
                        tracing::warn!(job = e.job.name(), error = %err, "job failed; retrying");
                        break;
                    }
                }
            }
        }
    }
}

/// Redress's own snapshot of each new submission (order, policy, ledger) as a system evidence
/// file. Claimed by a unique index (one system snapshot per application): an instance that
/// comes second finds it there and moves on. The first pass looks at every submission; later
/// ones at the last ten minutes (a submission's time is set before its transaction commits).
struct Snapshots {
    state: AppState,
    since: Mutex<Option<Timestamp>>,
}

impl Job for Snapshots {
    fn name(&self) -> &'static str {
        "snapshots"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Snapshots
    }

    fn lane(&self) -> Lane {
        Lane::Records
    }

    fn batch(&self) -> usize {
        self.state.app.snapshot_batch()
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let started = self.state.app.now();
            let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
            let n = self
                .state
                .app
                .take_snapshots(since)
                .await
                .map_err(|e| anyhow::anyhow!("taking system snapshots failed: {e}"))?;
            if n < self.batch() {
                *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Some(started - SignedDuration::from_mins(10));
            }
            Ok(n)
        })
    }
}

/// Appends new timeline events and evidence rows to the audit chain. Claimed by one appender
/// at a time: an advisory lock on PostgreSQL, the single writer on SQLite; `seq` is the
/// primary key and each record is chained once, so a racing appender fails instead of forking.
struct AuditChain {
    state: AppState,
}

impl Job for AuditChain {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Audit
    }

    fn lane(&self) -> Lane {
        Lane::Records
    }

    fn batch(&self) -> usize {
        usize::MAX
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let n = self.state.app.chain_audit(redress_app::ChainPace::Serving).await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }
}

/// Sends due payouts to their channels. Claimed row by row under a lease: a worker pushes each
/// payout it takes `lease` into the future (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so no
/// other instance takes it meanwhile, and after a crash another takes it over when the lease
/// ends. Woken at once by this server's approvals.
struct Payouts {
    state: AppState,
    lease: SignedDuration,
}

impl Job for Payouts {
    fn name(&self) -> &'static str {
        "payouts"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Payouts
    }

    fn lane(&self) -> Lane {
        Lane::Money
    }

    fn batch(&self) -> usize {
        redress_payouts::BATCH
    }

    fn drain(&self) -> bool {
        true
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.state.app.payouts_due())
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            Ok(redress_payouts::run_once_leased(&self.state.app, &self.state.payments.channels, self.lease).await?)
        })
    }
}

/// The sandbox gateway settles the refunds it took and calls back, as a channel would.
/// Claimed by the sandbox's own books: a refund is marked notified in the transaction that
/// records its callback, so one instance sends each.
struct SandboxNotifier {
    gateway: Gateway,
}

impl Job for SandboxNotifier {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Sandbox
    }

    fn lane(&self) -> Lane {
        Lane::Money
    }

    fn batch(&self) -> usize {
        redress_sandbox::NOTIFY_BATCH
    }

    fn drain(&self) -> bool {
        true
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move { Ok(redress_sandbox::tick(&self.gateway).await?) })
    }
}

/// Removes sessions past their expiry (an index seek on `expires_at`, a batch at a time).
/// Claimed by nothing: deleting what another instance deleted first deletes nothing.
struct Sessions {
    state: AppState,
}

impl Job for Sessions {
    fn name(&self) -> &'static str {
        "sessions"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Sessions
    }

    fn lane(&self) -> Lane {
        Lane::Housekeeping
    }

    fn batch(&self) -> usize {
        redress_store::SESSION_EXPIRY_BATCH
    }

    fn every(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move { Ok(self.state.app.expire_sessions().await?) })
    }
}

/// Closes resolved tickets whose time to reopen is over (an index seek on `close_at`, a batch
/// at a time). Claimed by the ticket's version: a ticket another instance closed (or its buyer
/// reopened) meanwhile is left as it is.
struct Tickets {
    state: AppState,
}

/// Tickets closed per pass at most.
const TICKET_CLOSE_BATCH: usize = 200;

impl Job for Tickets {
    fn name(&self) -> &'static str {
        "tickets"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Tickets
    }

    fn lane(&self) -> Lane {
        Lane::Housekeeping
    }

    fn batch(&self) -> usize {
        TICKET_CLOSE_BATCH
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.state.app.clock_moved())
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move { Ok(self.state.app.close_resolved_tickets(TICKET_CLOSE_BATCH as i64).await?) })
    }
}

/// The late-review rule (docs/product.md §3): approves what nobody decided by its review
/// deadline, under a policy that says so. Reads from a mark every instance shares (a seek on
/// the review queue's index); each application is decided under its version, so one that a
/// reviewer or another instance decided at the same moment is decided once.
struct LateReviews {
    state: AppState,
}

/// Deadlines looked at per pass at most.
const LATE_REVIEW_BATCH: usize = 200;

impl Job for LateReviews {
    fn name(&self) -> &'static str {
        "late-reviews"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::LateReviews
    }

    fn lane(&self) -> Lane {
        Lane::Housekeeping
    }

    fn batch(&self) -> usize {
        LATE_REVIEW_BATCH
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.state.app.clock_moved())
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move { Ok(self.state.app.approve_late_reviews(LATE_REVIEW_BATCH as i64).await?) })
    }
}

/// Forgets buyers' usage counters whose window ended (an index seek on `window_end`, a batch
/// at a time): what counts against the limits is only ever the current minute and day.
struct Usage {
    state: AppState,
}

/// Counters forgotten per pass at most.
const USAGE_BATCH: usize = 1000;

impl Job for Usage {
    fn name(&self) -> &'static str {
        "limits"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Usage
    }

    fn lane(&self) -> Lane {
        Lane::Housekeeping
    }

    fn batch(&self) -> usize {
        USAGE_BATCH
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let app = &self.state.app;
            let n = app.store.forget_usage(app.now(), USAGE_BATCH as i64).await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }
}

/// Notification e-mails: decides each new notification's e-mail (an index seek on what waits),
/// then sends the e-mails that are due, taken under the queues' lease so two instances never
/// send one at once; a crash mid-send sends it again after the lease, under the same
/// `Message-ID`. Without an SMTP server it only records that nothing is e-mailed.
struct Mail {
    state: AppState,
    mailer: Option<Arc<redress_web::mail::Mailer>>,
}

/// Notifications routed, and e-mails sent, per pass at most.
const MAIL_ROUTE_BATCH: usize = 200;
const MAIL_SEND_BATCH: usize = 20;

impl Job for Mail {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Mail
    }

    fn lane(&self) -> Lane {
        Lane::Messages
    }

    /// A pass that handled this many goes on at once (e-mails due wait for nothing else).
    fn batch(&self) -> usize {
        MAIL_SEND_BATCH
    }

    fn drain(&self) -> bool {
        true
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let mailer = self.mailer.as_deref();
            Ok(redress_web::mail::deliver(&self.state.app, mailer, MAIL_ROUTE_BATCH, MAIL_SEND_BATCH).await?)
        })
    }
}

/// The merchant's webhooks: makes each new merchant notification's message (an index seek on
/// what waits), then sends the deliveries that are due, taken under the queues' lease so two
/// instances never send one at once; a crash mid-send sends it again after the lease, under
/// the same `webhook-id`.
struct Webhooks {
    state: AppState,
}

/// Merchant notifications routed, and deliveries sent (at once), per pass at most.
const HOOK_ROUTE_BATCH: usize = 200;
const HOOK_SEND_BATCH: usize = 20;

impl Job for Webhooks {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn queue(&self) -> WorkQueue {
        WorkQueue::Webhooks
    }

    fn lane(&self) -> Lane {
        Lane::Hooks
    }

    /// A pass that handled this many goes on at once: deliveries wait for nothing but the
    /// receiver.
    fn batch(&self) -> usize {
        HOOK_SEND_BATCH
    }

    fn drain(&self) -> bool {
        true
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let hooks = &self.state.webhooks;
            Ok(hooks.deliver(&self.state.app, HOOK_ROUTE_BATCH, HOOK_SEND_BATCH).await?)
        })
    }
}
