//! `redress admin …`: accounts, merchant API tokens, policy versions, the business calendar.

use anyhow::{Context, bail};
use clap::Subcommand;
use redress_app::{App, NewUser};
use redress_domain::application::Role;
use redress_domain::calendar::BusinessCalendar;
use redress_domain::ids::Username;
use redress_domain::policy::Policy;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Accounts for buyers and staff.
    #[command(subcommand)]
    User(UserCommand),
    /// Bearer tokens for the merchant ingest API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Policy versions (published versions never change).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The business calendar (public holidays and make-up working days).
    #[command(subcommand)]
    Calendar(CalendarCommand),
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create {
        username: String,
        /// buyer, agent, reviewer, senior_reviewer (level-2) or admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// zh-CN or en
        #[arg(long, default_value = "zh-CN")]
        locale: String,
        /// Where notification e-mail goes (none without it)
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input (otherwise it is asked for).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set an account's password (one the merchant API created has none until then) and end
    /// all its sessions.
    SetPassword {
        username: String,
        /// Read the password from the first line of standard input (otherwise it is asked for).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown only once).
    Create { name: String },
    /// Revoke every token with this name.
    Revoke { name: String },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Publish a policy version from a TOML file (see crates/domain/data/policy-v1.toml).
    Publish { file: PathBuf },
    /// Print a published version as TOML.
    Show { version: u32 },
}

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Replace the business calendar with a TOML file in the shipped format.
    Set { file: PathBuf },
    /// Print the calendar in force.
    Show,
}

pub async fn run(app: &App, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::User(UserCommand::Create { username, role, display_name, locale, email, password_stdin }) => {
            let name = username_of(&username)?;
            let role = Role::parse(&role)
                .filter(|r| *r != Role::System)
                .ok_or_else(|| anyhow::anyhow!("role must be buyer, agent, reviewer, senior_reviewer or admin"))?;
            if locale != "zh-CN" && locale != "en" {
                bail!("locale must be zh-CN or en");
            }
            let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
            if let Some(e) = email.as_deref().filter(|e| !redress_domain::buyer::email_ok(e)) {
                bail!("{e} is not an e-mail address such as name@example.com");
            }
            let password = read_password(password_stdin)?;
            let display = display_name.unwrap_or_else(|| username.clone());
            app.create_user(NewUser {
                username: name,
                display_name: &display,
                role,
                password: &password,
                locale: &locale,
                email: email.as_deref(),
            })
            .await
            .with_context(|| format!("cannot create user {username}"))?;
            println!("created {} {username}", role.as_str());
        }
        AdminCommand::User(UserCommand::SetPassword { username, password_stdin }) => {
            let name = username_of(&username)?;
            let password = read_password(password_stdin)?;
            let ended = match app.set_password(&name, &password).await {
                Err(redress_app::Error::Store(redress_store::StoreError::NotFound)) => bail!("no user {username}"),
                done => done.with_context(|| format!("cannot set the password of {username}"))?,
            };
            println!("password set for {username}; {ended} session(s) ended");
        }
        AdminCommand::Token(TokenCommand::Create { name }) => {
            let token = app.create_api_token(&name).await?;
            eprintln!("API token for {name} (shown once; send it as Authorization: Bearer …):");
            println!("{token}");
        }
        AdminCommand::Token(TokenCommand::Revoke { name }) => {
            let n = app.revoke_api_token(&name).await?;
            println!("revoked {n} token(s) named {name}");
        }
        AdminCommand::Policy(PolicyCommand::Publish { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let policy =
                Policy::from_toml(&text).with_context(|| format!("{} is not a valid policy", file.display()))?;
            if app.publish_policy(&policy, "admin-cli").await? {
                println!("published policy version {}", policy.version);
            } else {
                println!("policy version {} was already published with exactly this content", policy.version);
            }
        }
        AdminCommand::Policy(PolicyCommand::Show { version }) => {
            let policy = app.policy(version).await.with_context(|| format!("policy version {version}"))?;
            print!("{}", policy.to_toml());
        }
        AdminCommand::Calendar(CalendarCommand::Set { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let calendar = BusinessCalendar::from_toml(&text)
                .with_context(|| format!("{} is not a valid calendar", file.display()))?;
            app.set_calendar(&calendar).await?;
            println!("business calendar replaced");
        }
        AdminCommand::Calendar(CalendarCommand::Show) => {
            print!("{}", app.calendar().await?.to_toml());
        }
    }
    Ok(())
}

fn username_of(name: &str) -> anyhow::Result<Username> {
    Username::parse(name).map_err(|_| anyhow::anyhow!("usernames are 1–64 lower-case letters, digits, '_', '.' or '-'"))
}

/// A new password, from standard input or asked for twice; at least 8 characters.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("password: ")?;
        let second = rpassword::prompt_password("again: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        first
    };
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(password)
}
