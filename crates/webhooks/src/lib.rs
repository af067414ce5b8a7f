//! Outgoing webhooks to the merchant's system, to the Standard Webhooks specification
//! (<https://www.standardwebhooks.com>): `signature` signs what is sent the way every
//! receiver's library verifies it; `target` decides which addresses Redress may call, so a
//! merchant's token cannot make Redress reach its own network; `vault` keeps the secrets
//! sealed at rest; `send` makes one attempt. [`Webhooks`] ties them to the use cases: it
//! registers endpoints and runs the webhook job's pass.

pub mod send;
pub mod signature;
pub mod target;
pub mod vault;

use redress_app::{App, Endpoint, HookAnswer};
use redress_domain::webhook::{EventFilter, FilterError, signing};
use signature::Secret;
use target::TargetError;
use vault::Vault;

/// Why an endpoint cannot be registered or a pass could not run.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    App(#[from] redress_app::Error),
}

/// The webhook side of a server: the sealing key and the sender.
#[derive(Clone)]
pub struct Webhooks {
    vault: Vault,
    sender: send::Sender,
}

impl Webhooks {
    pub fn new(vault: Vault, allow_private: bool) -> Result<Webhooks, reqwest::Error> {
        Ok(Webhooks { vault, sender: send::Sender::new(allow_private)? })
    }

    /// With a key that lives as long as the process and public targets only (a server's
    /// composition root replaces it with the data folder's key and the setting).
    pub fn ephemeral() -> Webhooks {
        let sender = send::Sender::new(false).unwrap_or_else(|e| panic!("the HTTP client cannot start: {e}"));
        Webhooks { vault: Vault::ephemeral(), sender }
    }

    pub fn allows_private(&self) -> bool {
        self.sender.allows_private()
    }

    /// Registers an endpoint for `url` taking `events` (comma-separated; empty for all);
    /// gives it with its secret, shown this once.
    pub async fn create(&self, app: &App, url: &str, events: &str, by: &str) -> Result<(Endpoint, String), HookError> {
        let url = target::check_url(url, self.allows_private())?;
        // A name that resolves inside a network now is refused now (it is checked again at
        // every send, since what a name resolves to can change); one that does not resolve
        // yet may be registered.
        if let Err(e @ TargetError::Inside(_)) = target::resolve(&url, self.allows_private()).await {
            return Err(e.into());
        }
        let events = EventFilter::parse(events)?;
        let id = endpoint_id();
        let secret = Secret::generate(&mut rand::rng());
        let sealed = self.vault.seal(&id, &secret);
        let e = app.create_endpoint(&id, url.as_str(), &events, &sealed, by).await?;
        Ok((e, secret.reveal()))
    }

    /// Gives endpoint `id` a new secret, shown this once; the previous one signs too for 24 hours.
    pub async fn rotate(&self, app: &App, id: &str) -> Result<(Endpoint, String), HookError> {
        app.endpoint(id).await?;
        let secret = Secret::generate(&mut rand::rng());
        let e = app.rotate_endpoint_secret(id, &self.vault.seal(id, &secret)).await?;
        Ok((e, secret.reveal()))
    }

    /// One pass of the webhook job: makes the messages of up to `route` new merchant
    /// notifications, then sends up to `send` due deliveries (at once, each signed at the
    /// moment it is sent) and records what each got. How many it handled.
    pub async fn deliver(&self, app: &App, route: usize, send: usize) -> Result<usize, HookError> {
        let routed = app.route_hooks(route).await?;
        let hooks = app.claim_hooks(send).await?;
        let sent = hooks.len();
        let attempts = hooks.into_iter().map(|hook| async move {
            if !hook.enabled {
                return app.hook_cancelled(&hook).await;
            }
            let answer = self.attempt(app, &hook).await;
            app.hook_done(&hook, answer).await.map(|_| ())
        });
        for done in futures_util::future::join_all(attempts).await {
            done?;
        }
        Ok(routed + sent)
    }

    async fn attempt(&self, app: &App, hook: &redress_app::OutgoingHook) -> HookAnswer {
        let now = app.now();
        let current = match self.vault.open(&hook.endpoint_id, &hook.secret) {
            Ok(s) => s,
            Err(e) => {
                return HookAnswer { status: None, latency_ms: 0, body: String::new(), error: Some(e.to_string()) };
            }
        };
        let previous = hook
            .previous
            .as_ref()
            .and_then(|(sealed, until)| self.vault.open(&hook.endpoint_id, sealed).ok().map(|s| (s, *until)));
        let secrets = signing(&current, previous.as_ref().map(|(s, until)| (s, *until)), now);
        let timestamp = now.as_second();
        let signed = send::Signed {
            id: &hook.message_id,
            timestamp,
            signature: signature::sign(&secrets, &hook.message_id, timestamp, hook.body.as_bytes()),
            body: &hook.body,
        };
        let a = self.sender.send(&hook.url, &signed).await;
        HookAnswer {
            status: a.status,
            latency_ms: i64::try_from(a.latency.as_millis()).unwrap_or(i64::MAX),
            body: a.body,
            error: a.error,
        }
    }
}

/// A new endpoint's id: `WE-` and 16 random hex digits.
fn endpoint_id() -> String {
    use rand::RngExt;
    let bytes: [u8; 8] = rand::rng().random();
    format!("WE-{}", hex::encode(bytes))
}
