//! `redress`: one binary wiring the domain, the store and the web adapter into subcommands.

use anyhow::Context;
use clap::{Parser, Subcommand};
use redress::settings::{self, Common, Settings};
use redress::startup::{Redress, open_store};
use redress::{admin, demo};
use redress_store::Store;

#[derive(Parser)]
#[command(name = "redress", version, about = "Redress: refunds and after-sales for metered online services")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI, JSON API and workers (migrates the database first).
    Serve {
        /// Address to listen on [env: REDRESS_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, env = "REDRESS_LISTEN")]
        listen: Option<String>,
        /// Load the demo data set first if the database has no users yet.
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade the database schema.
    Migrate,
    /// Load the demo data set (buyers, reviewers, 30 orders, applications in every state).
    Demo,
    /// Users, merchant API tokens, policy versions and the business calendar.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The tamper-evident audit chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Export a case file.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Compare Redress's payouts of one business day with the channel's statement of that day,
    /// listing every mismatch (exit status 1 when there is any).
    Reconcile {
        /// wechat_pay, alipay or bank_card.
        #[arg(long)]
        channel: String,
        /// The business day (Asia/Shanghai), YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Where the running server's sandbox gateway is, for channels the settings file does
        /// not configure [default: http:// + the listen address]
        #[arg(long)]
        sandbox_url: Option<String>,
    },
    /// Check a case file offline: every file against the manifest, the audit entries against
    /// themselves and the evidence they vouch for. Exit status 1 when anything does not match.
    Verify {
        /// The case file (ZIP).
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// An application's case file: the report (PDF), every evidence file, manifest.json with
    /// their SHA-256, and the case's audit entries.
    Case {
        /// The application number, RF-…
        no: String,
        /// Where to write the ZIP.
        #[arg(long)]
        out: std::path::PathBuf,
        /// The report's language: zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Append everything waiting to be chained now, with progress (after a bulk load or a
    /// restore; a running server does this by itself every second).
    Chain,
    /// Walk the chain from the first entry; report the first broken link (exit status 1).
    Verify {
        /// Print the result as one JSON object: verified, head, pending, intact, broken.
        #[arg(long)]
        json: bool,
    },
}

/// `redress audit chain`: appends what waits, batch by batch, with a progress bar on a
/// terminal, and says how fast.
async fn chain_audit(app: &redress_app::App) -> anyhow::Result<()> {
    let waiting = app.audit_pending().await?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(u64::try_from(waiting).unwrap_or(0))
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} {bar:40} {pos}/{len} records ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut total = 0u64;
    loop {
        let (n, more) = app.chain_audit_batch(redress_app::ChainPace::CatchUp).await?;
        total += n;
        bar.inc(n);
        if !more {
            break;
        }
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{total} entries appended in {secs:.1} s ({:.0} entries/s); the chain has caught up",
        total as f64 / secs.max(1e-9)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::resolve(&cli.common)?;
    // Logs go to stderr (stdout is each command's own output), coloured only on a terminal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&settings.log).unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Command::Verify { file } = &cli.command {
        // Offline: no database.
        return verify_case(file);
    }
    let store = open_store(&settings).await?;
    match cli.command {
        Command::Verify { .. } => unreachable!("handled above"),
        Command::Export(ExportCommand::Case { no, out, lang }) => {
            export_case(&settings, store, &no, &out, &lang).await?;
        }
        Command::Reconcile { channel, date, sandbox_url } => {
            if !reconcile(&settings, store, &channel, &date, sandbox_url).await? {
                std::process::exit(1);
            }
        }
        Command::Migrate => {
            println!("database is up to date ({})", settings.describe_database());
        }
        Command::Demo => {
            let report = demo::load(&store, settings.blobs()?, settings.clock()?.now()).await?;
            println!("{report}");
        }
        Command::Admin(cmd) => admin::run(&Redress::build(&settings, store.clone(), None).await?.state, cmd).await?,
        Command::Audit(AuditCommand::Chain) => {
            let app = Redress::build(&settings, store.clone(), None).await?.state.app;
            chain_audit(&app).await?;
        }
        Command::Audit(AuditCommand::Verify { json }) => {
            let report = Redress::build(&settings, store.clone(), None).await?.state.app.verify_audit().await?;
            if json {
                let broken = report
                    .broken
                    .as_ref()
                    .map(|(seq, why)| serde_json::json!({"entry": seq, "reason": why.to_string()}));
                let out = serde_json::json!({
                    "verified": report.verified,
                    "head": report.head,
                    "pending": report.pending,
                    "intact": report.broken.is_none(),
                    "broken": broken,
                });
                println!("{out}");
                if report.broken.is_some() {
                    std::process::exit(1);
                }
                return Ok(());
            }
            println!("{} entries verified; head {}", report.verified, report.head);
            if report.pending > 0 {
                println!(
                    "{} records not chained yet (a running server chains them within seconds; \
                     `redress audit chain` does it now)",
                    report.pending
                );
            }
            if let Some((seq, why)) = report.broken {
                println!("BROKEN at entry {seq}: {why}");
                std::process::exit(1);
            }
            println!("the chain is intact");
        }
        Command::Serve { listen, demo } => {
            if demo {
                settings.demo_operator();
            }
            let listen = listen.or(settings.listen.clone()).unwrap_or_else(|| settings::DEFAULT_LISTEN.to_owned());
            // Bound first: a taken port fails before the demo is loaded (and its merchant token,
            // shown once, printed for nothing).
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            if demo && !store.has_users().await? {
                let report = demo::load(&store, settings.blobs()?, settings.clock()?.now()).await?;
                println!("{report}");
            }
            serve(store, listener, &settings).await?;
        }
    }
    Ok(())
}

async fn serve(store: Store, listener: tokio::net::TcpListener, settings: &Settings) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let redress = Redress::build(settings, store.clone(), Some(&format!("http://{addr}"))).await?;
    let blobs = &redress.state.blobs;
    tracing::info!(evidence = %blobs.describe(), "evidence store");
    // Part files a crash left in staging: nothing refers to them.
    blobs.sweep_staging(std::time::Duration::from_secs(3600)).await?;
    redress.jobs.spawn();
    match &settings.mail {
        Some(m) => tracing::info!(from = %m.from, "notification e-mail is on"),
        None => tracing::info!("notification e-mail is off: set REDRESS_SMTP_URL to send it"),
    }
    tracing::info!(%addr, jobs = ?redress.jobs.names(), "Redress is listening");
    println!("Redress is listening on http://{addr}");
    axum::serve(listener, redress.router().into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await?;
    store.close().await;
    Ok(())
}

/// Writes a case file as an administrator sees it (next to `out`, then renamed into place).
async fn export_case(
    settings: &Settings,
    store: Store,
    no: &str,
    out: &std::path::Path,
    lang: &str,
) -> anyhow::Result<()> {
    let lang = redress_web::i18n::Lang::from_tag(lang).context("--lang must be zh-CN or en")?;
    let no = redress_domain::ids::ApplicationNo::parse(no)
        .map(redress_domain::ids::ApplicationRef::No)
        .map_err(|_| anyhow::anyhow!("{no} is not an application number (RF-YYYYMMDD-XXXXXX)"))?;
    let state = Redress::build(settings, store, None).await?.state;
    let operator = redress_store::User {
        username: redress_domain::ids::Username::parse("redress-cli").context("operator name")?,
        display_name: "redress export".to_owned(),
        role: redress_domain::application::Role::Admin,
        locale: lang.tag().to_owned(),
    };
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    let file = tmp.as_file().try_clone()?;
    redress_web::casefile::write_case_file(&state, &operator, &no, lang, file)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.render(lang).message))?;
    tmp.as_file().sync_all()?;
    tmp.persist(out).with_context(|| format!("cannot write {}", out.display()))?;
    println!("case file of {no} written to {}", out.display());
    Ok(())
}

/// `redress reconcile`: prints what was compared and every mismatch; whether all matched.
async fn reconcile(
    settings: &Settings,
    store: Store,
    channel: &str,
    date: &str,
    sandbox_url: Option<String>,
) -> anyhow::Result<bool> {
    use redress_domain::reconcile::Basis;
    let channel = redress_domain::order::Channel::parse(channel)
        .with_context(|| format!("--channel {channel}: expected wechat_pay, alipay or bank_card"))?;
    let date: jiff::civil::Date =
        date.parse().map_err(|_| anyhow::anyhow!("--date {date}: expected a day as YYYY-MM-DD"))?;
    let today = redress_domain::reconcile::business_date(settings.clock()?.now());
    anyhow::ensure!(date <= today, "--date {date}: that day has not begun yet (today is {today} in Asia/Shanghai)");
    let listen = settings.listen.clone().unwrap_or_else(|| settings::DEFAULT_LISTEN.to_owned());
    let base = sandbox_url.unwrap_or_else(|| format!("http://{listen}"));
    let base = base.trim_end_matches('/');
    let built = Redress::build(settings, store, Some(base)).await?;
    let r = redress_payouts::reconcile(&built.state.app, &built.state.payments.channels, channel, date).await?;
    let basis = match Basis::of(channel) {
        Basis::Accepted => "refunds the channel accepted that day",
        Basis::Settled => "refunds the channel settled that day",
    };
    println!(
        "{} on {date} (Asia/Shanghai; {basis}): {} on the channel's statement, {} in Redress, {} matched",
        channel.as_str(),
        r.at_channel,
        r.in_redress,
        r.matched
    );
    if date == today {
        println!(
            "note: {date} is not over yet; a channel's statement of it may be incomplete (real channels publish it the next morning)"
        );
    }
    if r.mismatches.is_empty() {
        println!("everything matches");
        return Ok(true);
    }
    for m in &r.mismatches {
        println!("MISMATCH {m}");
    }
    println!("{} mismatches", r.mismatches.len());
    Ok(false)
}

/// `redress verify case.zip`: prints what was checked and every mismatch.
fn verify_case(path: &std::path::Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let v = match redress_casefile::verify(std::io::BufReader::new(file)) {
        Ok(v) => v,
        Err(e) => {
            println!("NOT A VALID CASE FILE: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "case file of {} ({}), generated {}: {} files, {} audit entries, chain head #{}",
        v.manifest.application_no,
        v.manifest.language,
        v.manifest.generated_at,
        v.files,
        v.proof.entries.len(),
        v.proof.chain_head.seq
    );
    if v.mismatches.is_empty() {
        println!("everything matches");
        return Ok(());
    }
    for m in &v.mismatches {
        println!("MISMATCH {m}");
    }
    println!("{} mismatches", v.mismatches.len());
    std::process::exit(1);
}

async fn shutdown() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C; stop with SIGTERM");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
