//! Settings: command-line flags, then `REDRESS_*` environment variables, then an optional
//! TOML file (`--config`), then defaults. The README's configuration table lists them.

use anyhow::Context;
use clap::Args;
use serde::Deserialize;
use std::path::PathBuf;

pub const DEFAULT_DATA_DIR: &str = "./redress-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Flags every subcommand that touches data takes.
#[derive(Args, Debug)]
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
    /// Make the sandbox gateway misbehave, e.g. error:0.2,lost:0.1,early:0.1,twice:0.3
    #[arg(long, env = "REDRESS_SANDBOX_FAULTS", global = true)]
    pub sandbox_faults: Option<String>,
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
    sandbox_faults: Option<String>,
    evidence_s3_bucket: Option<String>,
    evidence_s3_endpoint: Option<String>,
    evidence_s3_region: Option<String>,
    evidence_s3_prefix: Option<String>,
    evidence_s3_access_key_id: Option<String>,
    evidence_s3_secret_access_key: Option<String>,
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
    /// How often the sandbox gateway misbehaves (all zero by default).
    pub sandbox_faults: redress_web::sandbox::Faults,
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
        Ok(Settings {
            evidence_limits,
            report_font: flags.report_font.clone().or(file.report_font),
            sandbox_faults: redress_web::sandbox::Faults::parse(
                &flags.sandbox_faults.clone().or(file.sandbox_faults).unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("sandbox_faults: {e}"))?,
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

    /// The evidence store: the data folder, or the configured bucket (staging files locally).
    pub fn blobs(&self) -> anyhow::Result<redress_blobs::Blobs> {
        match &self.evidence_s3 {
            None => Ok(redress_blobs::Blobs::local(self.data_dir.join("evidence"))),
            Some(c) => redress_blobs::Blobs::s3(c, self.data_dir.join("evidence-staging"))
                .with_context(|| format!("cannot use the evidence bucket {}", c.bucket)),
        }
    }

    /// What the web layer and the commands that act like it (`export case`) work with.
    pub fn app_state(&self, store: redress_store::Store) -> anyhow::Result<redress_web::AppState> {
        let mut state = redress_web::AppState::new(store, self.blobs()?);
        state.evidence_limits = self.evidence_limits;
        state.report_font_path = self.report_font.clone();
        Ok(state)
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
