//! `redress admin …`: accounts, merchant API tokens, policy versions, the business calendar,
//! the service levels of support.

use anyhow::{Context, bail};
use clap::Subcommand;
use redress_app::{App, NewUser};
use redress_domain::application::Role;
use redress_domain::calendar::BusinessCalendar;
use redress_domain::ids::Username;
use redress_domain::policy::Policy;
use redress_domain::service_levels::ServiceLevels;
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
    /// Webhook endpoints of the merchant's system (Standard Webhooks, signed).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The service levels of support tickets: targets per category, business hours, how long
    /// a resolved ticket may be reopened (published as numbered versions).
    #[command(subcommand)]
    Sla(SlaCommand),
}

#[derive(Subcommand)]
pub enum SlaCommand {
    /// Publish a TOML file (see crates/domain/data/service-levels.toml) as the next version:
    /// clocks started from then on keep its targets, running clocks keep theirs.
    Set {
        file: PathBuf,
        /// Why, kept with the version.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Print the version in force as TOML.
    Show,
    /// List the published versions: who published each, when and why.
    History,
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint and print its signing secret (shown only once).
    Create {
        /// Where to send (https://; http:// and private addresses only with
        /// REDRESS_WEBHOOK_ALLOW_PRIVATE=true)
        #[arg(long)]
        url: String,
        /// Event types or families, comma-separated, e.g. application.*,payout.* [default: all]
        #[arg(long, default_value = "")]
        events: String,
    },
    /// List the endpoints (never their secrets).
    List,
    /// Give an endpoint a new secret and print it; the old one keeps signing for 24 hours.
    RotateSecret { id: String },
    /// Stop sending to an endpoint.
    Disable { id: String },
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

pub async fn run(state: &redress_web::AppState, cmd: AdminCommand) -> anyhow::Result<()> {
    let app: &App = &state.app;
    match cmd {
        AdminCommand::Webhook(cmd) => webhook(state, cmd).await?,
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
        AdminCommand::Sla(SlaCommand::Set { file, note }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let levels = ServiceLevels::from_toml(&text)
                .with_context(|| format!("{} is not a valid service-level file", file.display()))?;
            let by = std::env::var("USER").map(|u| format!("admin-cli ({u})")).unwrap_or_else(|_| "admin-cli".into());
            match app.publish_service_levels(&levels, &by, note.trim()).await? {
                Some(v) => println!("published service levels version {v}"),
                None => println!("these service levels are already in force"),
            }
        }
        AdminCommand::Sla(SlaCommand::Show) => {
            let levels = app.service_levels().await?;
            match levels.0 {
                0 => println!("# the shipped service levels (none published)"),
                v => println!("# service levels version {v}"),
            }
            print!("{}", levels.1.to_toml());
        }
        AdminCommand::Sla(SlaCommand::History) => {
            let history = app.service_level_history(100).await?;
            if history.is_empty() {
                println!("none published: the shipped service levels are in force");
            }
            for p in history {
                let note = if p.note.is_empty() { String::new() } else { format!(" — {}", p.note) };
                println!("v{} {} {}{note}", p.version, p.published_at, p.published_by);
            }
        }
    }
    Ok(())
}

async fn webhook(state: &redress_web::AppState, cmd: WebhookCommand) -> anyhow::Result<()> {
    let (app, hooks) = (&state.app, &state.webhooks);
    fn missing(id: &str) -> impl Fn(redress_webhooks::HookError) -> anyhow::Error + '_ {
        move |e| match e {
            redress_webhooks::HookError::App(redress_app::Error::Store(redress_store::StoreError::NotFound)) => {
                anyhow::anyhow!("no webhook endpoint {id}")
            }
            e => anyhow::anyhow!(e),
        }
    }
    match cmd {
        WebhookCommand::Create { url, events } => {
            let (e, secret) = hooks
                .create(app, &url, &events, "admin-cli")
                .await
                .map_err(|e| anyhow::anyhow!("cannot register {url}: {e}"))?;
            eprintln!("endpoint {} for {} ({}); its signing secret (shown once):", e.id, e.url, e.events);
            println!("{secret}");
        }
        WebhookCommand::List => {
            let mut page = redress_app::PageRequest { limit: redress_app::MAX_LIMIT, after: None };
            loop {
                let found = app.endpoints(&page).await?;
                for e in &found.items {
                    let state = if e.enabled {
                        "enabled".to_owned()
                    } else {
                        format!("disabled ({})", e.disabled_reason.as_deref().unwrap_or("manual"))
                    };
                    println!("{}\t{}\t{}\t{}\tsince {}", e.id, state, e.events, e.url, e.created_at);
                }
                match found.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        WebhookCommand::RotateSecret { id } => {
            let (e, secret) = hooks.rotate(app, &id).await.map_err(missing(&id))?;
            let until = e.previous_until.map(|t| t.to_string()).unwrap_or_default();
            eprintln!("new signing secret for {} (shown once; the previous one also signs until {until}):", e.id);
            println!("{secret}");
        }
        WebhookCommand::Disable { id } => {
            let e = app.disable_endpoint(&id).await.map_err(|e| missing(&id)(e.into()))?;
            println!("disabled {} ({})", e.id, e.url);
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
