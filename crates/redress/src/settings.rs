//! Settings: command-line flags, then `REDRESS_*` environment variables, then an optional
//! TOML file (`--config`), then defaults. The README's configuration table lists them.

use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use std::path::PathBuf;

pub const DEFAULT_DATA_DIR: &str = "./redress-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Flags every subcommand that touches data takes.
#[derive(Args, Debug, Default)]
pub struct Common {
    /// Folder for the SQLite database and evidence files [default: ./redress-data]
    #[arg(long, env = "REDRESS_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of the embedded SQLite file
    #[arg(long, env = "REDRESS_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// A TOML file with any of: data_dir, database_url, listen, log, evidence_s3_*
    #[arg(long, env = "REDRESS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Log filter, e.g. info or redress_web=debug [default: info]
    #[arg(long, env = "REDRESS_LOG", global = true)]
    pub log: Option<String>,
    /// Largest evidence file, in MB [default: 5]
    #[arg(long, env = "REDRESS_EVIDENCE_MAX_MB", global = true)]
    pub evidence_max_mb: Option<u64>,
    /// Most evidence files per application [default: 20]
    #[arg(long, env = "REDRESS_EVIDENCE_MAX_FILES", global = true)]
    pub evidence_max_files: Option<u32>,
    /// Also accept MP4 screen recordings as evidence [default: false]
    #[arg(long, env = "REDRESS_EVIDENCE_ALLOW_MP4", global = true)]
    pub evidence_allow_mp4: Option<bool>,
    /// Font for case-file reports: TrueType/OpenType with Chinese and Latin characters
    /// [default: WenQuanYi Micro Hei or Noto Sans CJK where the system has it]
    #[arg(long, env = "REDRESS_REPORT_FONT", global = true)]
    pub report_font: Option<PathBuf>,
    /// Seconds after which the sandbox payment gateway settles a refund [default: 3]
    #[arg(long, env = "REDRESS_SANDBOX_SETTLE_SECS", global = true)]
    pub sandbox_settle_secs: Option<u64>,
    /// Seconds a payout worker holds a payout it took; after a crash, others take it over
    /// after this long [default: 60]
    #[arg(long, env = "REDRESS_PAYOUT_LEASE_SECS", global = true)]
    pub payout_lease_secs: Option<u64>,
    /// Business days a refund takes to arrive, per channel [default: wechat_pay:0-1,alipay:0-1,bank_card:1-7]
    #[arg(long, env = "REDRESS_ARRIVAL_DAYS", global = true)]
    pub arrival_days: Option<String>,
    /// What a buyer may do in support, counted across instances: any of open_tickets,
    /// tickets_per_day, messages_per_minute, attachment_mb_per_day as name:value
    /// [default: open_tickets:10,tickets_per_day:20,messages_per_minute:10,attachment_mb_per_day:50]
    #[arg(long, env = "REDRESS_SUPPORT_LIMITS", global = true)]
    pub support_limits: Option<String>,
    /// The operator's legal name: with operator_credit_code and operator_address, the respondent
    /// a buyer's complaint names (the 12315 page)
    #[arg(long, env = "REDRESS_OPERATOR_NAME", global = true)]
    pub operator_name: Option<String>,
    /// The operator's unified social credit code (18 characters; the check character is verified)
    #[arg(long, env = "REDRESS_OPERATOR_CREDIT_CODE", global = true)]
    pub operator_credit_code: Option<String>,
    /// The operator's registered address
    #[arg(long, env = "REDRESS_OPERATOR_ADDRESS", global = true)]
    pub operator_address: Option<String>,
    /// Where buyers complain to the operator, shown in every page's footer and on the help page
    #[arg(long, env = "REDRESS_COMPLAINT_EMAIL", global = true)]
    pub complaint_email: Option<String>,
    /// The operator's complaint phone number, shown beside the e-mail address
    #[arg(long, env = "REDRESS_COMPLAINT_PHONE", global = true)]
    pub complaint_phone: Option<String>,
    /// This server's public address, for the channels' callbacks [default: the listen address]
    #[arg(long, env = "REDRESS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Make the sandbox gateway misbehave, e.g. error:0.2,lost:0.1,early:0.1,twice:0.3
    #[arg(long, env = "REDRESS_SANDBOX_FAULTS", global = true)]
    pub sandbox_faults: Option<String>,
    /// Tests only: start the clock at this time (RFC 3339) and let it stand until moved
    /// (`POST /test/clock`). Refused unless REDRESS_TESTING=1 says the server is a test fixture.
    #[arg(long, env = "REDRESS_TEST_CLOCK", global = true, hide = true)]
    pub test_clock: Option<String>,
    /// Keep evidence files in this S3 bucket instead of the data folder
    #[arg(long, env = "REDRESS_EVIDENCE_S3_BUCKET", global = true)]
    pub evidence_s3_bucket: Option<String>,
    /// The S3-compatible service's address (default: AWS)
    #[arg(long, env = "REDRESS_EVIDENCE_S3_ENDPOINT", global = true)]
    pub evidence_s3_endpoint: Option<String>,
    /// The bucket's region [default: us-east-1]
    #[arg(long, env = "REDRESS_EVIDENCE_S3_REGION", global = true)]
    pub evidence_s3_region: Option<String>,
    /// Key prefix inside the bucket [default: redress/]
    #[arg(long, env = "REDRESS_EVIDENCE_S3_PREFIX", global = true)]
    pub evidence_s3_prefix: Option<String>,
    /// Access key id for the bucket
    #[arg(long, env = "REDRESS_EVIDENCE_S3_ACCESS_KEY_ID", global = true, hide_env_values = true)]
    pub evidence_s3_access_key_id: Option<String>,
    /// Secret access key for the bucket
    #[arg(long, env = "REDRESS_EVIDENCE_S3_SECRET_ACCESS_KEY", global = true, hide_env_values = true)]
    pub evidence_s3_secret_access_key: Option<String>,
    /// The SMTP server for notification e-mails: smtp://host[:port] (STARTTLS), smtps://host[:port]
    /// (TLS), or smtp://host[:port]?tls=none (a local relay); user and password may be in it.
    /// Without it, no e-mail is sent
    #[arg(long, env = "REDRESS_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// A file holding the SMTP password (instead of putting it in the URL)
    #[arg(long, env = "REDRESS_SMTP_PASSWORD_FILE", global = true)]
    pub smtp_password_file: Option<PathBuf>,
    /// The sender of notification e-mails, e.g. "Redress <refunds@example.com>" [default: Redress <redress@localhost>]
    #[arg(long, env = "REDRESS_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// The file holding the key that seals webhook secrets at rest (made on first use);
    /// several instances share one [default: <data_dir>/webhook-secrets.key]
    #[arg(long, env = "REDRESS_WEBHOOK_KEY_FILE", global = true)]
    pub webhook_key_file: Option<PathBuf>,
    /// Let webhooks go to http:// and to addresses inside private networks (local receivers
    /// in development and tests only) [default: false]
    #[arg(long, env = "REDRESS_WEBHOOK_ALLOW_PRIVATE", global = true)]
    pub webhook_allow_private: Option<bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    log: Option<String>,
    evidence_max_mb: Option<u64>,
    evidence_max_files: Option<u32>,
    evidence_allow_mp4: Option<bool>,
    report_font: Option<PathBuf>,
    sandbox_settle_secs: Option<u64>,
    payout_lease_secs: Option<u64>,
    sandbox_faults: Option<String>,
    public_url: Option<String>,
    arrival_days: Option<String>,
    support_limits: Option<String>,
    operator_name: Option<String>,
    operator_credit_code: Option<String>,
    operator_address: Option<String>,
    complaint_email: Option<String>,
    complaint_phone: Option<String>,
    wechat_pay: Option<WechatSettings>,
    alipay: Option<AlipaySettings>,
    bank_card: Option<BankSettings>,
    evidence_s3_bucket: Option<String>,
    evidence_s3_endpoint: Option<String>,
    evidence_s3_region: Option<String>,
    evidence_s3_prefix: Option<String>,
    evidence_s3_access_key_id: Option<String>,
    evidence_s3_secret_access_key: Option<String>,
    smtp_url: Option<String>,
    smtp_password_file: Option<PathBuf>,
    smtp_from: Option<String>,
    webhook_key_file: Option<PathBuf>,
    webhook_allow_private: Option<bool>,
}

#[derive(Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log: String,
    /// Object storage for evidence; `None` keeps files in `<data_dir>/evidence`.
    pub evidence_s3: Option<redress_blobs::S3Config>,
    pub evidence_limits: redress_domain::evidence::Limits,
    pub report_font: Option<PathBuf>,
    /// How long the sandbox gateway takes to settle a refund.
    pub sandbox_settle: jiff::SignedDuration,
    pub payout_lease: jiff::SignedDuration,
    /// How often the sandbox gateway misbehaves (all zero by default).
    pub sandbox_faults: redress_sandbox::Faults,
    pub public_url: Option<String>,
    pub arrivals: redress_domain::payout::Arrivals,
    /// What a buyer may do in support.
    pub support_limits: redress_domain::limits::AbuseLimits,
    /// Who runs the platform, as a complaint names them; `None` until set.
    pub operator: Option<redress_domain::operator::Operator>,
    /// Where buyers complain to the operator.
    pub complaint_contact: redress_domain::operator::Contact,
    /// Real channels from the settings file; the others use the sandbox.
    pub wechat_pay: Option<WechatSettings>,
    pub alipay: Option<AlipaySettings>,
    pub bank_card: Option<BankSettings>,
    /// A clock standing at this time until moved (test fixtures only).
    pub test_clock: Option<jiff::Timestamp>,
    /// The SMTP server for notification e-mails; `None`: e-mail is off.
    pub mail: Option<redress_web::mail::MailSettings>,
    /// The key that seals webhook secrets; `None`: `<data_dir>/webhook-secrets.key`.
    pub webhook_key_file: Option<PathBuf>,
    /// Whether webhooks may go to http:// and private addresses.
    pub webhook_allow_private: bool,
}

/// The sender when the settings name none.
pub const DEFAULT_SMTP_FROM: &str = "Redress <redress@localhost>";

/// Whether this process was started as a test fixture (`REDRESS_TESTING=1`).
fn testing() -> bool {
    std::env::var("REDRESS_TESTING").is_ok_and(|v| v == "1")
}

impl Settings {
    pub fn resolve(flags: &Common) -> anyhow::Result<Settings> {
        let file = match &flags.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str::<FileSettings>(&text)
                    .with_context(|| format!("invalid settings in {}", path.display()))?
            }
            None => FileSettings::default(),
        };
        let pick = |flag: &Option<String>, file: Option<String>| flag.clone().or(file).filter(|s| !s.is_empty());
        let evidence_s3 = match pick(&flags.evidence_s3_bucket, file.evidence_s3_bucket) {
            None => None,
            Some(bucket) => {
                let key = pick(&flags.evidence_s3_access_key_id, file.evidence_s3_access_key_id);
                let secret = pick(&flags.evidence_s3_secret_access_key, file.evidence_s3_secret_access_key);
                let (Some(access_key_id), Some(secret_access_key)) = (key, secret) else {
                    anyhow::bail!(
                        "evidence_s3_bucket is set but its credentials are not: set REDRESS_EVIDENCE_S3_ACCESS_KEY_ID and REDRESS_EVIDENCE_S3_SECRET_ACCESS_KEY"
                    );
                };
                Some(redress_blobs::S3Config {
                    endpoint: pick(&flags.evidence_s3_endpoint, file.evidence_s3_endpoint),
                    bucket,
                    region: pick(&flags.evidence_s3_region, file.evidence_s3_region)
                        .unwrap_or_else(|| "us-east-1".into()),
                    access_key_id,
                    secret_access_key,
                    prefix: pick(&flags.evidence_s3_prefix, file.evidence_s3_prefix)
                        .unwrap_or_else(|| "redress/".into()),
                })
            }
        };
        let defaults = redress_domain::evidence::Limits::default();
        let max_mb = flags.evidence_max_mb.or(file.evidence_max_mb);
        if max_mb == Some(0) || flags.evidence_max_files.or(file.evidence_max_files) == Some(0) {
            anyhow::bail!("evidence_max_mb and evidence_max_files must be at least 1");
        }
        let evidence_limits = redress_domain::evidence::Limits {
            max_bytes: max_mb.map_or(defaults.max_bytes, |mb| mb.saturating_mul(1024 * 1024)),
            max_files: flags.evidence_max_files.or(file.evidence_max_files).unwrap_or(defaults.max_files),
            allow_mp4: flags.evidence_allow_mp4.or(file.evidence_allow_mp4).unwrap_or(defaults.allow_mp4),
        };
        let test_clock = match flags.test_clock.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(_) if !testing() => anyhow::bail!(
                "test_clock is for test fixtures only: a server keeps the system's time (set REDRESS_TESTING=1 only in a test)"
            ),
            Some(t) => Some(t.parse().map_err(|e| anyhow::anyhow!("test_clock {t}: expected an RFC 3339 time ({e})"))?),
        };
        let mail = match pick(&flags.smtp_url, file.smtp_url) {
            None => None,
            Some(url) => {
                let password = match flags.smtp_password_file.clone().or(file.smtp_password_file) {
                    Some(path) => Some(
                        std::fs::read_to_string(&path)
                            .with_context(|| format!("cannot read smtp_password_file {}", path.display()))?
                            .trim_end_matches(['\r', '\n'])
                            .to_owned(),
                    ),
                    None => None,
                };
                let from = pick(&flags.smtp_from, file.smtp_from).unwrap_or_else(|| DEFAULT_SMTP_FROM.to_owned());
                Some(redress_web::mail::MailSettings { url, password, from })
            }
        };
        let operator = redress_domain::operator::Operator::from_settings(
            pick(&flags.operator_name, file.operator_name).as_deref(),
            pick(&flags.operator_credit_code, file.operator_credit_code).as_deref(),
            pick(&flags.operator_address, file.operator_address).as_deref(),
        )?;
        let complaint_contact = redress_domain::operator::Contact::new(
            pick(&flags.complaint_email, file.complaint_email).as_deref(),
            pick(&flags.complaint_phone, file.complaint_phone).as_deref(),
        )?;
        Ok(Settings {
            operator,
            complaint_contact,
            mail,
            webhook_key_file: flags.webhook_key_file.clone().or(file.webhook_key_file),
            webhook_allow_private: flags.webhook_allow_private.or(file.webhook_allow_private).unwrap_or(false),
            test_clock,
            evidence_limits,
            report_font: flags.report_font.clone().or(file.report_font),
            public_url: flags.public_url.clone().or(file.public_url).filter(|s| !s.is_empty()),
            arrivals: redress_domain::payout::Arrivals::parse(
                &flags.arrival_days.clone().or(file.arrival_days).unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("arrival_days: {e}"))?,
            support_limits: redress_domain::limits::AbuseLimits::parse(
                &flags.support_limits.clone().or(file.support_limits).unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("support_limits: {e}"))?,
            wechat_pay: file.wechat_pay,
            alipay: file.alipay,
            bank_card: file.bank_card,
            sandbox_faults: redress_sandbox::Faults::parse(
                &flags.sandbox_faults.clone().or(file.sandbox_faults).unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("sandbox_faults: {e}"))?,
            payout_lease: match flags.payout_lease_secs.or(file.payout_lease_secs) {
                Some(n) if !(1..=86_400).contains(&n) => {
                    anyhow::bail!("payout_lease_secs must be between 1 and 86400 (a day), not {n}")
                }
                Some(n) => jiff::SignedDuration::from_secs(i64::try_from(n).unwrap_or(i64::MAX)),
                None => redress_payouts::LEASE,
            },
            sandbox_settle: jiff::SignedDuration::from_secs(
                i64::try_from(flags.sandbox_settle_secs.or(file.sandbox_settle_secs).unwrap_or(3)).unwrap_or(i64::MAX),
            ),
            evidence_s3,
            data_dir: flags.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: flags.database_url.clone().or(file.database_url).filter(|s| !s.is_empty()),
            listen: file.listen,
            log: flags.log.clone().or(file.log).unwrap_or_else(|| "info".to_owned()),
        })
    }

    /// For `serve --demo`: a made-up operator and complaint contact where the settings name
    /// none, so the demo shows the footer, the help page and the complaint route filled in.
    pub fn demo_operator(&mut self) {
        if self.operator.is_none() {
            self.operator = redress_domain::operator::Operator::from_settings(
                Some("示例网络科技有限公司（演示）"),
                Some(crate::demo::DEMO_CREDIT_CODE),
                Some("上海市浦东新区示例路 1 号（演示数据）"),
            )
            .ok()
            .flatten();
        }
        if self.complaint_contact.is_empty() {
            self.complaint_contact = redress_domain::operator::Contact {
                email: Some("complaints@example.com".into()),
                phone: Some("400-000-0000".into()),
            };
        }
    }

    /// The evidence store: the data folder, or the configured bucket (staging files locally).
    pub fn blobs(&self) -> anyhow::Result<redress_blobs::Blobs> {
        match &self.evidence_s3 {
            None => Ok(redress_blobs::Blobs::local(self.data_dir.join("evidence"))),
            Some(c) => redress_blobs::Blobs::s3(c, self.data_dir.join("evidence-staging"))
                .with_context(|| format!("cannot use the evidence bucket {}", c.bucket)),
        }
    }

    /// Where "now" comes from: the system's clock, or a clock that stands at `test_clock`
    /// until moved (only for a server started as a test fixture).
    pub fn clock(&self) -> anyhow::Result<redress_app::Clock> {
        match self.test_clock {
            None => Ok(redress_app::Clock::System),
            Some(at) => Ok(redress_app::Clock::manual(at)),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| redress_store::Store::sqlite_url(&self.data_dir))
    }

    /// The database, for messages (no password).
    pub fn describe_database(&self) -> String {
        match &self.database_url {
            Some(url) => match url.split_once('@') {
                Some((_, host)) => format!("postgres://…@{host}"),
                None => url.clone(),
            },
            None => format!("SQLite {}", self.data_dir.join("redress.db").display()),
        }
    }
}

/// `[wechat_pay]` in the settings file: a real WeChat Pay merchant instead of the sandbox.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    /// [default: https://api.mch.weixin.qq.com]
    base_url: Option<String>,
    mchid: String,
    /// The merchant API certificate's serial number.
    serial_no: String,
    /// The merchant API certificate's private key (PEM).
    private_key_file: PathBuf,
    /// WeChat Pay's platform public key or certificate key (PEM), and its id/serial.
    platform_key_file: PathBuf,
    platform_serial: String,
    /// The 32-character APIv3 key.
    api_v3_key: String,
}

/// `[alipay]` in the settings file: a real Alipay app instead of the sandbox.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct AlipaySettings {
    /// [default: https://openapi.alipay.com/gateway.do]
    gateway: Option<String>,
    app_id: String,
    /// The app's private key (PEM or the console's bare base64).
    private_key_file: PathBuf,
    /// Alipay's public key (PEM or bare base64).
    alipay_public_key_file: PathBuf,
}

/// `[bank_card]` in the settings file: a bank speaking Redress's bank protocol.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct BankSettings {
    base_url: String,
    merchant_id: String,
    /// A file holding the shared HMAC secret.
    secret_file: PathBuf,
}

fn read(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

impl Settings {
    /// Replaces the sandbox's client for each channel the settings file configures. `base` is
    /// this server's own address, used for callbacks unless `public_url` is set.
    pub fn real_channels(
        &self,
        payments: &mut redress_web::Payments,
        base: &str,
        clock: &redress_app::Clock,
    ) -> anyhow::Result<()> {
        use redress_channels::{SigningKey, VerifyingKey};
        use std::sync::Arc;
        let base = self.public_url.as_deref().unwrap_or(base).trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build()?;
        if let Some(w) = &self.wechat_pay {
            let key = SigningKey::from_text(&read(&w.private_key_file, "the WeChat Pay private key")?)
                .map_err(|e| anyhow::anyhow!("wechat_pay.private_key_file: {e}"))?;
            let platform = VerifyingKey::from_text(&read(&w.platform_key_file, "the WeChat Pay platform key")?)
                .map_err(|e| anyhow::anyhow!("wechat_pay.platform_key_file: {e}"))?;
            anyhow::ensure!(w.api_v3_key.len() == 32, "wechat_pay.api_v3_key must be 32 characters");
            let config = redress_payouts::wechat::WechatConfig {
                base_url: w.base_url.clone().unwrap_or_else(|| "https://api.mch.weixin.qq.com".into()),
                merchant: redress_channels::wechat::Merchant {
                    mchid: w.mchid.clone(),
                    serial_no: w.serial_no.clone(),
                    key,
                },
                platform_key: platform,
                platform_serial: w.platform_serial.clone(),
                api_v3_key: w.api_v3_key.as_bytes().to_vec(),
                notify_url: format!("{base}/api/v1/channels/wechat/notify"),
            };
            tracing::info!(url = %config.base_url, "WeChat Pay: a real merchant");
            payments.channels.wechat =
                Some(Arc::new(redress_payouts::wechat::WechatClient::new(config, http.clone(), clock.clone())));
        }
        if let Some(a) = &self.alipay {
            let config = redress_payouts::alipay::AlipayConfig {
                gateway_url: a.gateway.clone().unwrap_or_else(|| "https://openapi.alipay.com/gateway.do".into()),
                app_id: a.app_id.clone(),
                app_key: SigningKey::from_text(&read(&a.private_key_file, "the Alipay app private key")?)
                    .map_err(|e| anyhow::anyhow!("alipay.private_key_file: {e}"))?,
                alipay_public_key: VerifyingKey::from_text(&read(&a.alipay_public_key_file, "Alipay's public key")?)
                    .map_err(|e| anyhow::anyhow!("alipay.alipay_public_key_file: {e}"))?,
            };
            tracing::info!(url = %config.gateway_url, "Alipay: a real app");
            payments.channels.alipay =
                Some(Arc::new(redress_payouts::alipay::AlipayClient::new(config, http.clone(), clock.clone())));
        }
        if let Some(b) = &self.bank_card {
            let secret = read(&b.secret_file, "the bank's shared secret")?.trim().as_bytes().to_vec();
            anyhow::ensure!(secret.len() >= 16, "bank_card.secret_file must hold at least 16 characters");
            let config = redress_payouts::bank::BankConfig {
                base_url: b.base_url.clone(),
                merchant_id: b.merchant_id.clone(),
                secret,
                notify_url: format!("{base}/api/v1/channels/bank/notify"),
            };
            tracing::info!(url = %config.base_url, "bank card: a real bank");
            payments.channels.bank =
                Some(Arc::new(redress_payouts::bank::BankClient::new(config, http, clock.clone())));
        }
        Ok(())
    }
}
