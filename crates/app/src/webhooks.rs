//! The merchant's webhooks (what a message says and when it is tried again is the domain's:
//! `redress_domain::webhook`; sealing, signing and sending are the `redress-webhooks`
//! adapter's). Endpoints are registered, rotated and disabled here; the webhook job makes
//! the messages, takes the due deliveries under the queues' lease, and records each attempt.

use crate::{App, Result};
use redress_domain::webhook::{EventFilter, Verdict, verdict};
use redress_store::{Endpoint, HookAttempt, OutgoingHook, Page, PageRequest, Replayed};

/// How long a webhook job holds the deliveries it took: past the 15 s a send may take, so
/// another instance takes one over only after a crash (and sends it under the same id).
pub const HOOK_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// What one attempt got, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAnswer {
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub body: String,
    pub error: Option<String>,
}

impl App {
    /// Registers an endpoint (URL and filter checked, secret sealed by the caller).
    pub async fn create_endpoint(
        &self,
        id: &str,
        url: &str,
        events: &EventFilter,
        sealed_secret: &str,
        by: &str,
    ) -> Result<Endpoint> {
        Ok(self.store.create_endpoint(id, url, events, sealed_secret, by, self.now()).await?)
    }

    pub async fn endpoint(&self, id: &str) -> Result<Endpoint> {
        Ok(self.store.endpoint(id).await?)
    }

    pub async fn endpoints(&self, page: &PageRequest) -> Result<Page<Endpoint>> {
        Ok(self.store.endpoints(page).await?)
    }

    /// Gives endpoint `id` a new sealed secret; the previous one signs for the domain's overlap.
    pub async fn rotate_endpoint_secret(&self, id: &str, sealed_secret: &str) -> Result<Endpoint> {
        let now = self.now();
        let until = now + redress_domain::webhook::ROTATION_OVERLAP;
        Ok(self.store.rotate_endpoint_secret(id, sealed_secret, until, now).await?)
    }

    pub async fn disable_endpoint(&self, id: &str) -> Result<Endpoint> {
        Ok(self.store.disable_endpoint(id, self.now()).await?)
    }

    /// Endpoint `id`'s delivery log, newest first.
    pub async fn hook_attempts(&self, id: &str, page: &PageRequest) -> Result<Page<HookAttempt>> {
        self.store.endpoint(id).await?;
        Ok(self.store.hook_attempts(id, page).await?)
    }

    /// Sends message `message` to endpoint `id` again.
    pub async fn redeliver(&self, id: &str, message: &str) -> Result<()> {
        Ok(self.store.redeliver(id, message, self.now()).await?)
    }

    /// Sends endpoint `id` again what happened from `since` until before `until`.
    pub async fn replay(&self, id: &str, since: jiff::Timestamp, until: jiff::Timestamp) -> Result<Replayed> {
        Ok(self.store.replay(id, since, until, self.now()).await?)
    }

    /// Makes the messages of up to `limit` new merchant notifications.
    pub async fn route_hooks(&self, limit: usize) -> Result<usize> {
        Ok(self.store.route_hooks(self.now(), limit).await?)
    }

    /// Takes up to `limit` due deliveries for [`HOOK_LEASE`].
    pub async fn claim_hooks(&self, limit: usize) -> Result<Vec<OutgoingHook>> {
        Ok(self.store.claim_hooks(self.now(), HOOK_LEASE, limit).await?)
    }

    /// A delivery whose endpoint was disabled meanwhile: dropped.
    pub async fn hook_cancelled(&self, hook: &OutgoingHook) -> Result<()> {
        Ok(self.store.hook_cancelled(&hook.delivery_id, self.now()).await?)
    }

    /// Records what attempt `hook` got; what the domain decides of it.
    pub async fn hook_done(&self, hook: &OutgoingHook, answer: HookAnswer) -> Result<Verdict> {
        let now = self.now();
        let decided = verdict(answer.status, hook.attempt, now, hook.failing_since);
        let attempt = HookAttempt {
            delivery_id: hook.delivery_id.clone(),
            attempt: hook.attempt,
            endpoint_id: hook.endpoint_id.clone(),
            message_id: hook.message_id.clone(),
            kind: hook.kind.clone(),
            at: now,
            status: answer.status,
            latency_ms: answer.latency_ms,
            answer: Some(answer.body).filter(|b| !b.is_empty()),
            error: answer.error,
        };
        self.store.hook_attempted(hook, attempt, decided).await?;
        Ok(decided)
    }
}
