//! The composition root: everything `serve` runs, built from the settings in one place — the
//! use cases with their clock, the evidence store, the payment channels (the sandbox gateway
//! unless the settings name a real channel), and the jobs. `serve`, the commands that act
//! like it (`export case`, `reconcile`) and the integration tests all build it here.

use crate::jobs::Jobs;
use crate::settings::Settings;
use anyhow::Context;
use redress_sandbox::{Gateway, Sandbox};
use redress_store::Store;
use redress_web::{AppState, Payments};
use std::sync::Arc;

/// A built Redress: what the HTTP application serves, the sandbox gateway beside it when it
/// is in use, and the jobs that run beside them.
pub struct Redress {
    pub state: AppState,
    pub sandbox: Option<Gateway>,
    pub jobs: Jobs,
}

/// Opens the configured database (creating the data folder for SQLite) and brings its
/// schema up to date.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create data directory {}", settings.data_dir.display()))?;
    }
    let url = settings.database_url();
    let store =
        Store::connect(&url, None).await.with_context(|| format!("cannot open {}", settings.describe_database()))?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

impl Redress {
    /// Builds Redress on `store`. `base` is this server's own address: the sandbox gateway is
    /// served there and the channels call back there (unless `public_url` says otherwise).
    /// `None` for commands that pay nothing out (`export case`): no channels, no jobs.
    pub async fn build(settings: &Settings, store: Store, base: Option<&str>) -> anyhow::Result<Redress> {
        let app = redress_app::App::new(store.clone(), settings.blobs()?, settings.clock()?)
            .with_support(redress_app::SupportSettings { limits: settings.support_limits });
        let mut state = AppState::new(app);
        state.evidence_limits = settings.evidence_limits;
        state.report_font_path = settings.report_font.clone();
        state.operator = Arc::new(redress_web::OperatorInfo {
            identity: settings.operator.clone(),
            contact: settings.complaint_contact.clone(),
        });
        let key = settings
            .webhook_key_file
            .clone()
            .unwrap_or_else(|| settings.data_dir.join(redress_webhooks::vault::KEY_FILE));
        let vault = redress_webhooks::vault::Vault::open_or_create(&key)?;
        state.webhooks = redress_webhooks::Webhooks::new(vault, settings.webhook_allow_private)?;
        let Some(base) = base else {
            return Ok(Redress { jobs: Jobs::none(), sandbox: None, state });
        };
        // The embedded default: every channel is the sandbox gateway on this same server.
        let clock = state.app.clock().clone();
        let (sandbox, clients) = Sandbox::open(&store, base, settings.sandbox_settle, clock.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot set up the sandbox payment gateway: {e}"))?;
        sandbox.set_faults(settings.sandbox_faults);
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build()?;
        state.payments = Payments {
            channels: redress_payouts::Channels {
                wechat: Some(Arc::new(redress_payouts::wechat::WechatClient::new(
                    clients.wechat,
                    http.clone(),
                    clock.clone(),
                ))),
                alipay: Some(Arc::new(redress_payouts::alipay::AlipayClient::new(
                    clients.alipay,
                    http.clone(),
                    clock.clone(),
                ))),
                bank: Some(Arc::new(redress_payouts::bank::BankClient::new(clients.bank, http, clock.clone()))),
            },
            arrivals: settings.arrivals,
        };
        let gateway = Gateway::new(sandbox, store.clone());
        // Channels the settings file configures talk to the real thing.
        settings.real_channels(&mut state.payments, base, &clock)?;
        let mailer = match &settings.mail {
            Some(m) => {
                let public = settings.public_url.as_deref().unwrap_or(base);
                let mailer = redress_web::mail::Mailer::new(m, public).map_err(|e| anyhow::anyhow!("e-mail: {e}"))?;
                Some(Arc::new(mailer))
            }
            None => None,
        };
        let jobs = Jobs::of(&state, Some(&gateway), settings.payout_lease, mailer);
        state.jobs = Arc::new(jobs.clone());
        Ok(Redress { state, sandbox: Some(gateway), jobs })
    }

    /// The HTTP application, with the sandbox gateway when it is in use.
    pub fn router(&self) -> axum::Router {
        redress_web::app(self.state.clone(), self.sandbox.clone().map(redress_sandbox::router))
    }
}
