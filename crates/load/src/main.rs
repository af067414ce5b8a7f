//! `redress-load`: the benchmark behind BENCHMARKS.md.
//!
//! * `submit` drives a running Redress over HTTP: it signs in as a buyer, pushes one order per
//!   worker through the merchant API, prepares the drafts, then times `POST …/submit` (the
//!   durable write that issues an application number) at each concurrency level.
//! * `history` writes a platform's year of history (a million applications by default) into
//!   a database that has the demo, for measuring what grows with history (see `history.rs`).
//! * `raw` measures the ceiling: durable single-row INSERT transactions per second on the same
//!   database with the settings Redress itself runs with (SQLite WAL + synchronous=FULL,
//!   PostgreSQL synchronous_commit=on).

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use common::{Stats, login, prepare, run};
use jiff::Timestamp;
use rand::RngExt;
use serde_json::json;
use sqlx::Executor;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
mod cpu;
mod history;
mod notify;
mod pages;

#[derive(Parser)]
#[command(name = "redress-load", about = "Load tool for Redress")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submissions per second and latency over HTTP against a running server.
    Submit {
        #[command(flatten)]
        server: Server,
        /// A merchant API token (`redress admin token create`, or the one `redress demo` prints).
        #[arg(long, env = "REDRESS_LOAD_MERCHANT_TOKEN")]
        merchant_token: String,
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        /// Submissions per concurrency level.
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// The server's process id: report its CPU time per submission.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Report every PostgreSQL process's CPU time per submission, summed.
        #[arg(long)]
        postgres_cpu: bool,
    },
    /// Requests per second of an authenticated GET (e.g. `/api/v1/me`: one session lookup):
    /// the cost of HTTP and authentication alone, to read the submit figures against.
    Get {
        #[command(flatten)]
        server: Server,
        #[arg(long, default_value = "/api/v1/me")]
        path: String,
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 3000)]
        requests: usize,
    },
    /// Evidence uploads over HTTP: MB/s and latency of 5 MB files, one draft per upload.
    Upload {
        #[command(flatten)]
        server: Server,
        #[arg(long, env = "REDRESS_LOAD_MERCHANT_TOKEN")]
        merchant_token: String,
        #[arg(long, value_delimiter = ',', default_value = "1,16")]
        concurrency: Vec<usize>,
        /// Uploads per concurrency level.
        #[arg(long, default_value_t = 64)]
        requests: usize,
        /// Bytes per file.
        #[arg(long, default_value_t = 5 * 1024 * 1024)]
        size: usize,
    },
    /// The disk's ceiling for the same work: files of the same size written, fsynced and
    /// renamed into place (as the evidence store commits them), in `dir`.
    Disk {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, value_delimiter = ',', default_value = "1,16")]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 64)]
        requests: usize,
        #[arg(long, default_value_t = 5 * 1024 * 1024)]
        size: usize,
    },
    /// Payouts end to end through the sandbox gateway: `count` applications approved by a
    /// reviewer over HTTP, then timed from each approval (its payout written) to its refund
    /// recorded (the application `refunded`), read from the database. Run the server with
    /// REDRESS_SANDBOX_SETTLE_SECS=0 to leave the channel's own delay out.
    Payouts {
        #[command(flatten)]
        server: Server,
        #[arg(long, env = "REDRESS_LOAD_MERCHANT_TOKEN")]
        merchant_token: String,
        /// The server's database (sqlite://…/redress.db or postgres://…), read for the times.
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value = "wang")]
        reviewer: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Reviewers approving at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Notifications delivered per second and commit→delivered latency: `count` submissions
    /// spread over the instances in `--urls` (one database), each delivered as an
    /// `application.submitted` webhook to a receiver this tool runs (the servers need
    /// REDRESS_WEBHOOK_ALLOW_PRIVATE=true) and, with `--maildir`, as an e-mail to the SMTP sink
    /// writing there.
    Notify {
        /// The instances, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
        urls: Vec<String>,
        #[arg(long, env = "REDRESS_LOAD_MERCHANT_TOKEN")]
        merchant_token: String,
        #[arg(long, default_value = "lin")]
        buyer: String,
        #[arg(long, default_value = "redress-demo")]
        password: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long)]
        maildir: Option<std::path::PathBuf>,
    },
    /// Writes a platform's year of history on top of the demo data: orders, payments,
    /// deliveries, applications with their timelines, files and payouts (the mix is in
    /// `crates/load/src/history.rs`). Load the demo first (`redress demo`).
    History {
        /// The data folder (its `redress.db`, unless --database-url is given, and its evidence
        /// folder, which gets the two files the generated rows share).
        #[arg(long, env = "REDRESS_DATA_DIR", default_value = "redress-data")]
        data_dir: std::path::PathBuf,
        /// A PostgreSQL database instead of the data folder's SQLite file.
        #[arg(long, env = "REDRESS_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        applications: usize,
        #[arg(long, default_value_t = 50_000)]
        buyers: usize,
        /// The same seed gives the same history.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Applications per transaction.
        #[arg(long, default_value_t = 5_000)]
        slice: usize,
        /// Support tickets (five in six open: 100,000 open by default).
        #[arg(long, default_value_t = 120_000)]
        tickets: usize,
    },
    /// The latency of every paged list (docs/api.md) on page 1 and on page N, reached by
    /// following the cursor: run against a server over a generated history.
    Pages {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "wang")]
        staff: String,
        /// A buyer with many orders (the generated buyers are b00001 …).
        #[arg(long, default_value = "b00001")]
        buyer: String,
        #[arg(long, default_value = "redress-demo")]
        password: String,
        #[arg(long, default_value_t = 50)]
        page: usize,
        /// Requests per list and page, one at a time.
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// Raw durable single-row INSERT transactions per second.
    Raw {
        /// sqlite://path?mode=rwc or postgres://…
        #[arg(long)]
        database_url: String,
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 4000)]
        requests: usize,
        /// Report every PostgreSQL process's CPU time per insert, summed.
        #[arg(long)]
        postgres_cpu: bool,
    },
}

/// The server to drive and the buyer to sign in as.
#[derive(Args)]
struct Server {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value = "lin")]
    buyer: String,
    #[arg(long, default_value = "redress-demo")]
    password: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::History { data_dir, database_url, applications, buyers, seed, slice, tickets } => {
            let url = database_url.unwrap_or_else(|| redress_store::Store::sqlite_url(&data_dir));
            let store =
                redress_store::Store::connect(&url, None).await.with_context(|| format!("cannot open {url}"))?;
            store.migrate().await?;
            let now = jiff::Timestamp::now();
            let shape = history::Shape { applications, buyers, seed, slice: slice.max(1), now, tickets };
            history::generate(&store, &data_dir.join("evidence"), &shape).await?;
            store.close().await;
        }
        Command::Submit {
            server: Server { url, buyer, password },
            merchant_token,
            concurrency,
            requests,
            server_pid,
            postgres_cpu,
        } => {
            let meter = cpu::CpuMeter { server: server_pid, postgres: postgres_cpu };
            let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
            let token = login(&client, &url, &buyer, &password).await?;
            let run_id: u32 = rand::rng().random();
            for c in concurrency {
                let drafts = prepare(&client, &url, &merchant_token, &buyer, &token, run_id, c, requests).await?;
                let drafts = Arc::new(drafts);
                let (client, url, token) = (client.clone(), url.clone(), token.clone());
                let before = meter.sample();
                let stats = run(c, requests, move |w, j| {
                    let (client, url, token, drafts) = (client.clone(), url.clone(), token.clone(), drafts.clone());
                    async move {
                        let no = &drafts[w][j];
                        let res = client
                            .post(format!("{url}/api/v1/applications/{no}/submit"))
                            .bearer_auth(&token)
                            .send()
                            .await?;
                        if !res.status().is_success() {
                            bail!("submit {no}: {} {}", res.status(), res.text().await.unwrap_or_default());
                        }
                        Ok(())
                    }
                })
                .await?;
                let after = meter.sample();
                stats.print("submit");
                meter.print("submit", &before, &after, stats.count);
            }
        }
        Command::Payouts {
            server: Server { url, buyer, password },
            merchant_token,
            database_url,
            reviewer,
            count,
            concurrency,
        } => {
            payouts(&url, &buyer, &password, &merchant_token, &database_url, &reviewer, count, concurrency).await?;
        }
        Command::Notify { urls, merchant_token, buyer, password, count, concurrency, maildir } => {
            let plan = notify::Plan { urls, merchant: merchant_token, buyer, password, count, concurrency, maildir };
            notify::measure(&plan).await?;
        }
        Command::Pages { url, staff, buyer, password, page, requests } => {
            pages::measure(&pages::Plan { url, staff, buyer, password, page: page.max(1), requests }).await?;
        }
        Command::Get { server: Server { url, buyer, password }, path, concurrency, requests } => {
            let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
            let token = login(&client, &url, &buyer, &password).await?;
            for c in concurrency {
                let (client, target, token) = (client.clone(), format!("{url}{path}"), token.clone());
                let stats = run(c, requests, move |_, _| {
                    let (client, target, token) = (client.clone(), target.clone(), token.clone());
                    async move {
                        let res = client.get(&target).bearer_auth(&token).send().await?;
                        if !res.status().is_success() {
                            bail!("GET {target}: {}", res.status());
                        }
                        res.bytes().await?;
                        Ok(())
                    }
                })
                .await?;
                stats.print("get");
            }
        }
        Command::Upload { server: Server { url, buyer, password }, merchant_token, concurrency, requests, size } => {
            let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
            let token = login(&client, &url, &buyer, &password).await?;
            let run_id: u32 = rand::rng().random();
            for c in concurrency {
                let drafts =
                    Arc::new(prepare(&client, &url, &merchant_token, &buyer, &token, run_id, c, requests).await?);
                let (client, url, token) = (client.clone(), url.clone(), token.clone());
                let stats = run(c, requests, move |w, j| {
                    let (client, url, token, drafts) = (client.clone(), url.clone(), token.clone(), drafts.clone());
                    async move {
                        let no = &drafts[w][j];
                        let part = reqwest::multipart::Part::bytes(evidence_file(size, run_id, w, j))
                            .file_name("load.png")
                            .mime_str("image/png")?;
                        let form = reqwest::multipart::Form::new().text("kind", "delivery_progress").part("file", part);
                        let res = client
                            .post(format!("{url}/api/v1/applications/{no}/evidence"))
                            .bearer_auth(&token)
                            .multipart(form)
                            .send()
                            .await?;
                        if !res.status().is_success() {
                            bail!("upload to {no}: {} {}", res.status(), res.text().await.unwrap_or_default());
                        }
                        Ok(())
                    }
                })
                .await?;
                stats.print_bytes("upload", size);
            }
        }
        Command::Disk { dir, concurrency, requests, size } => {
            std::fs::create_dir_all(&dir)?;
            for c in concurrency {
                let target = dir.clone();
                let stats = run(c, requests, move |w, j| {
                    let dir = target.clone();
                    async move {
                        let bytes = evidence_file(size, 0, w, j);
                        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                            use std::io::Write;
                            let temp = dir.join(format!("{w}-{j}.part"));
                            let mut f = std::fs::File::create(&temp)?;
                            f.write_all(&bytes)?;
                            f.sync_all()?;
                            std::fs::rename(&temp, dir.join(format!("{w}-{j}")))?;
                            std::fs::File::open(&dir)?.sync_all()?;
                            Ok(())
                        })
                        .await??;
                        Ok(())
                    }
                })
                .await?;
                stats.print_bytes("disk", size);
                for e in std::fs::read_dir(&dir)? {
                    std::fs::remove_file(e?.path())?;
                }
            }
        }
        Command::Raw { database_url, concurrency, requests, postgres_cpu } => {
            let meter = cpu::CpuMeter { server: None, postgres: postgres_cpu };
            for c in concurrency {
                let pool = raw_pool(&database_url, c).await?;
                pool.execute("DROP TABLE IF EXISTS bench_raw").await?;
                pool.execute("CREATE TABLE bench_raw (id TEXT PRIMARY KEY, payload TEXT NOT NULL, at BIGINT NOT NULL)")
                    .await?;
                let p = pool.clone();
                let before = meter.sample();
                let stats = run(c, requests, move |w, j| {
                    let p = p.clone();
                    async move {
                        sqlx::query("INSERT INTO bench_raw (id, payload, at) VALUES ($1, $2, $3)")
                            .bind(format!("{w}-{j}"))
                            .bind("RF-20261124-7K3M9Q submitted")
                            .bind(Timestamp::now().as_millisecond())
                            .execute(&p)
                            .await?;
                        Ok(())
                    }
                })
                .await?;
                let after = meter.sample();
                stats.print("raw-insert");
                meter.print("raw-insert", &before, &after, stats.count);
                pool.execute("DROP TABLE bench_raw").await?;
                pool.close().await;
            }
        }
    }
    Ok(())
}

/// A file Redress accepts as a PNG (its signature, one chunk of noise, the end chunk), `size`
/// bytes long and different for every job so that no two uploads share a content address.
fn evidence_file(size: usize, run_id: u32, worker: usize, job: usize) -> Vec<u8> {
    const HEAD: &[u8] = &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    const TAIL: &[u8] = &[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];
    let data = size.saturating_sub(HEAD.len() + 8 + 4 + TAIL.len());
    let mut v = Vec::with_capacity(size);
    v.extend_from_slice(HEAD);
    v.extend_from_slice(&(data as u32).to_be_bytes());
    v.extend_from_slice(b"tEXt");
    let start = v.len();
    v.extend_from_slice(format!("{run_id}-{worker}-{job}").as_bytes());
    let mut x = (run_id as u64) ^ ((worker as u64) << 32) ^ job as u64 | 1;
    while v.len() < start + data {
        // xorshift: cheap bytes that do not compress to nothing.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(start + data);
    v.extend_from_slice(&[0, 0, 0, 0]); // the chunk's CRC (not checked)
    v.extend_from_slice(TAIL);
    v
}

async fn raw_pool(url: &str, connections: usize) -> anyhow::Result<sqlx::AnyPool> {
    sqlx::any::install_default_drivers();
    let sqlite = !url.starts_with("postgres");
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(connections as u32)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                let settings = if sqlite { redress_store::SQLITE_PRAGMAS } else { redress_store::POSTGRES_SETTINGS };
                conn.execute(settings).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    Ok(pool)
}

/// `redress-load payouts`: see [`Command::Payouts`].
#[allow(clippy::too_many_arguments)]
async fn payouts(
    url: &str,
    buyer: &str,
    password: &str,
    merchant: &str,
    database_url: &str,
    reviewer: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let token = login(&client, url, buyer, password).await?;
    let staff = login(&client, url, reviewer, password).await?;
    let run_id: u32 = rand::rng().random();
    let drafts: Vec<String> = prepare(&client, url, merchant, buyer, &token, run_id, 1, count).await?.concat();
    let send = {
        let (client, url) = (client.clone(), url.to_owned());
        move |path: String, token: String| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let res = client.post(format!("{url}{path}")).bearer_auth(&token).json(&json!({})).send().await?;
                if !res.status().is_success() {
                    bail!("{path}: {} {}", res.status(), res.text().await.unwrap_or_default());
                }
                anyhow::Ok(())
            }
        }
    };
    for chunk in drafts.chunks(16) {
        let submits = chunk.iter().map(|no| send(format!("/api/v1/applications/{no}/submit"), token.clone()));
        futures_util::future::try_join_all(submits).await?;
    }
    let drafts = Arc::new(drafts);
    let per_worker = count.div_ceil(concurrency);
    let approvals = run(concurrency, per_worker * concurrency, {
        let (drafts, staff) = (drafts.clone(), staff.clone());
        move |w, j| {
            let no = drafts.get(w * per_worker + j).cloned();
            let (claim, approve) = (send.clone(), send.clone());
            let staff = staff.clone();
            async move {
                let Some(no) = no else { return Ok(()) };
                claim(format!("/api/v1/review/applications/{no}/claim"), staff.clone()).await?;
                approve(format!("/api/v1/review/applications/{no}/approve"), staff).await
            }
        }
    })
    .await?;
    approvals.print("approve");
    // Every refund recorded: read the times the server wrote.
    let pool = raw_pool(database_url, 1).await?;
    let pattern = format!("LOAD-{run_id:08x}-%");
    let deadline = Instant::now() + Duration::from_secs(600);
    let rows = loop {
        let rows =
            sqlx::query("SELECT created_at, settled_at FROM payouts WHERE order_no LIKE $1 AND state = 'succeeded'")
                .bind(&pattern)
                .fetch_all(&pool)
                .await?;
        if rows.len() >= count {
            break rows;
        }
        if Instant::now() > deadline {
            bail!("{} of {count} payouts succeeded after 10 minutes", rows.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    use sqlx::Row;
    let mut first = i64::MAX;
    let mut last = i64::MIN;
    let mut latencies = Vec::with_capacity(rows.len());
    for r in &rows {
        let (created, settled): (i64, i64) = (r.try_get("created_at")?, r.try_get("settled_at")?);
        first = first.min(created);
        last = last.max(settled);
        latencies.push(Duration::from_millis(u64::try_from(settled - created).unwrap_or(0)));
    }
    let span = Duration::from_millis(u64::try_from(last - first).unwrap_or(0).max(1));
    let stats = Stats::new(concurrency, span, latencies);
    println!(
        "payouts\tn={}\t{:.1} settled/s (first approval to last refund)\tapproval→refunded p50={:.0}ms\tp99={:.0}ms",
        stats.count,
        stats.count as f64 / span.as_secs_f64(),
        stats.pct(0.50),
        stats.pct(0.99)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_evidence_file_is_a_whole_png_of_its_size() {
        for size in [64, 1000, 5 * 1024 * 1024] {
            let f = super::evidence_file(size, 1, 2, 3);
            assert_eq!(f.len(), size);
            let mut scan = redress_domain::evidence::EndScan::new();
            scan.feed(&f);
            assert_eq!(scan.image_end(), Some(size as u64), "{size}");
        }
        assert_ne!(super::evidence_file(64, 1, 2, 3), super::evidence_file(64, 1, 2, 4));
    }
}
