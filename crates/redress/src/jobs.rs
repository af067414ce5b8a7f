//! The background jobs `serve` runs, in one place, on one scheduler. Each job is a pass that
//! does what is due now and says how much it did; the scheduler runs each lane's jobs in turn
//! every tick, at once when one of them is woken, and — for jobs that drain — a job again at
//! once while its pass fills its batch. Tests step the same job
//! objects one pass at a time ([`Jobs::run`]) instead of waiting for the scheduler.
//!
//! Several instances may share a database: each job says how its work is claimed, so that
//! running it on every instance at once does each piece of work once.

use jiff::{SignedDuration, Timestamp};
use redress_sandbox::Gateway;
use redress_web::AppState;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
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
}

/// Every job of a server.
#[derive(Clone)]
pub struct Jobs {
    jobs: Vec<Arc<dyn Job>>,
}

impl Jobs {
    /// The jobs of the application `state` describes (the sandbox's only when it is in use).
    pub fn of(state: &AppState, sandbox: Option<&Gateway>, payout_lease: SignedDuration) -> Jobs {
        let mut jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(Snapshots { state: state.clone(), since: Mutex::new(None) }),
            Arc::new(AuditChain { state: state.clone() }),
            Arc::new(Payouts { state: state.clone(), lease: payout_lease }),
            Arc::new(Sessions { state: state.clone() }),
        ];
        if let Some(gateway) = sandbox {
            jobs.push(Arc::new(SandboxNotifier { gateway: gateway.clone() }));
        }
        Jobs { jobs }
    }

    /// No jobs (for commands that only read or write once).
    pub fn none() -> Jobs {
        Jobs { jobs: vec![] }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.jobs.iter().map(|j| j.name()).collect()
    }

    /// One pass of the job called `name`; how many items it handled.
    pub async fn run(&self, name: &str) -> anyhow::Result<usize> {
        let job = self.jobs.iter().find(|j| j.name() == name).ok_or_else(|| anyhow::anyhow!("no job {name}"))?;
        job.pass().await
    }

    /// Starts the scheduler: one task per lane, for as long as the runtime runs.
    pub fn spawn(&self) {
        for lane in [Lane::Records, Lane::Money, Lane::Housekeeping] {
            let jobs: Vec<_> = self.jobs.iter().filter(|j| j.lane() == lane).cloned().collect();
            if !jobs.is_empty() {
                tokio::spawn(schedule(jobs));
            }
        }
    }
}

async fn schedule(jobs: Vec<Arc<dyn Job>>) {
    let mut tick = tokio::time::interval(jobs[0].every());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let wake = jobs.iter().find_map(|j| j.wake()).unwrap_or_default();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = wake.notified() => {}
        }
        for job in &jobs {
            loop {
                match job.pass().await {
                    Ok(n) if n >= job.batch() && job.drain() => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(job = job.name(), error = %e, "job failed; retrying");
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

    fn lane(&self) -> Lane {
        Lane::Records
    }

    fn batch(&self) -> usize {
        redress_app::SNAPSHOT_BATCH
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

    fn lane(&self) -> Lane {
        Lane::Records
    }

    fn batch(&self) -> usize {
        usize::MAX
    }

    fn pass(&self) -> Pass<'_> {
        Box::pin(async move {
            let n = self.state.app.chain_audit().await?;
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
