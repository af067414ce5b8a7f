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
    /// A TOML file with any of: data_dir, database_url, listen, log
    #[arg(long, env = "REDRESS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Log filter, e.g. info or redress_web=debug [default: info]
    #[arg(long, env = "REDRESS_LOG", global = true)]
    pub log: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    log: Option<String>,
}

#[derive(Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub log: String,
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
        Ok(Settings {
            data_dir: flags.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: flags.database_url.clone().or(file.database_url).filter(|s| !s.is_empty()),
            listen: file.listen,
            log: flags.log.clone().or(file.log).unwrap_or_else(|| "info".to_owned()),
        })
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
