//! `redress-load notify`: notifications delivered per second, and the time from a step's
//! commit (its submission answered) to its delivery, to a local webhook receiver this tool
//! runs and, when given its Maildir, to an SMTP sink. Submissions are spread over one or more
//! instances sharing a database; every instance's jobs deliver.

use crate::common::{Stats, login, prepare, run};
use anyhow::{Context, bail};
use rand::RngExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub(crate) struct Plan {
    pub urls: Vec<String>,
    pub merchant: String,
    pub buyer: String,
    pub password: String,
    pub count: usize,
    pub concurrency: usize,
    /// The SMTP sink's Maildir (its `new/` folder is read), if e-mail is measured.
    pub maildir: Option<PathBuf>,
}

/// When each application's `application.submitted` message arrived.
type Arrivals = Arc<Mutex<HashMap<String, SystemTime>>>;

/// A receiver on a free local port answering 204; its URL.
async fn receiver(arrivals: Arrivals) -> anyhow::Result<String> {
    let handler = move |body: String| {
        let arrivals = arrivals.clone();
        async move {
            let at = SystemTime::now();
            if let Ok(v) = serde_json::from_str::<Value>(&body)
                && v["type"] == "application.submitted"
                && let Some(no) = v["data"]["id"].as_str()
                && let Ok(mut seen) = arrivals.lock()
            {
                seen.entry(no.to_owned()).or_insert(at);
            }
            axum::http::StatusCode::NO_CONTENT
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// The e-mails in the Maildir: the application number in each subject, and when the file
/// was written.
fn mailed(maildir: &std::path::Path) -> anyhow::Result<HashMap<String, SystemTime>> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else { return Ok(out) };
    for entry in entries {
        let path = entry?.path();
        let at = std::fs::metadata(&path)?.modified()?;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(no) = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).find(|w| w.starts_with("RF-"))
        {
            out.entry(no.to_owned()).or_insert(at);
        }
    }
    Ok(out)
}

/// The latencies from each submission's answer to its arrival, and the span from the first
/// submission sent to the last arrival.
fn measured(
    submitted: &HashMap<String, SystemTime>,
    arrived: &HashMap<String, SystemTime>,
    started: SystemTime,
) -> (Vec<Duration>, Duration) {
    let mut latencies = Vec::new();
    let mut last = started;
    for (no, done) in submitted {
        if let Some(at) = arrived.get(no) {
            latencies.push(at.duration_since(*done).unwrap_or_default());
            last = last.max(*at);
        }
    }
    (latencies, last.duration_since(started).unwrap_or_default())
}

pub(crate) async fn measure(plan: &Plan) -> anyhow::Result<()> {
    let first = plan.urls.first().context("at least one --url")?.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let token = login(&client, &first, &plan.buyer, &plan.password).await?;
    let arrivals: Arrivals = Arc::default();
    let hook = receiver(arrivals.clone()).await?;
    let res = client
        .post(format!("{first}/api/v1/merchant/webhooks"))
        .bearer_auth(&plan.merchant)
        .json(&json!({"url": hook, "events": ["application.submitted"]}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("registering the receiver (is REDRESS_WEBHOOK_ALLOW_PRIVATE=true?): {}", res.text().await?);
    }
    let run_id: u32 = rand::rng().random();
    let drafts = Arc::new(
        prepare(&client, &first, &plan.merchant, &plan.buyer, &token, run_id, plan.concurrency, plan.count).await?,
    );
    let submitted: Arc<Mutex<HashMap<String, SystemTime>>> = Arc::default();
    let started = SystemTime::now();
    let (urls, done) = (Arc::new(plan.urls.clone()), submitted.clone());
    let stats = run(plan.concurrency, plan.count, move |w, j| {
        let (client, urls, token, drafts, done) =
            (client.clone(), urls.clone(), token.clone(), drafts.clone(), done.clone());
        async move {
            let no = &drafts[w][j];
            let url = &urls[(w + j) % urls.len()];
            let res = client.post(format!("{url}/api/v1/applications/{no}/submit")).bearer_auth(&token).send().await?;
            let at = SystemTime::now();
            if !res.status().is_success() {
                bail!("submit {no}: {} {}", res.status(), res.text().await.unwrap_or_default());
            }
            let body: Value = res.json().await?;
            let numbered = body["no"].as_str().context("a number")?.to_owned();
            done.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.insert(numbered, at);
            Ok(())
        }
    })
    .await?;
    stats.print("submit");
    let submitted = std::mem::take(&mut *submitted.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    let deadline = SystemTime::now() + Duration::from_secs(300);
    let instances = plan.urls.len();
    loop {
        let hooks = arrivals.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
        let mail = match &plan.maildir {
            Some(dir) => Some(mailed(dir)?),
            None => None,
        };
        let all_in = |got: &HashMap<String, SystemTime>| submitted.keys().all(|no| got.contains_key(no));
        let done = all_in(&hooks) && mail.as_ref().is_none_or(all_in);
        if done || SystemTime::now() > deadline {
            let (lat, span) = measured(&submitted, &hooks, started);
            Stats::new(plan.concurrency, span, lat).print(&format!("webhook delivered ({instances} instance(s))"));
            if let Some(mail) = mail {
                let (lat, span) = measured(&submitted, &mail, started);
                Stats::new(plan.concurrency, span, lat).print(&format!("e-mail delivered ({instances} instance(s))"));
            }
            if !done {
                bail!("not everything was delivered within 5 minutes");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
