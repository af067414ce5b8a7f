//! What the load tool's runs share: timing a run at a concurrency level, signing in, and
//! preparing orders and drafts over the merchant and buyer APIs.

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Throughput and latency of one run.
pub(crate) struct Stats {
    pub(crate) concurrency: usize,
    pub(crate) count: usize,
    pub(crate) elapsed: Duration,
    pub(crate) latencies: Vec<Duration>,
}

impl Stats {
    pub(crate) fn new(concurrency: usize, elapsed: Duration, mut latencies: Vec<Duration>) -> Stats {
        latencies.sort();
        Stats { concurrency, count: latencies.len(), elapsed, latencies }
    }

    pub(crate) fn pct(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i].as_secs_f64() * 1000.0
    }

    /// Like `print`, with the bytes moved per second.
    pub(crate) fn print_bytes(&self, what: &str, bytes_each: usize) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "{what}\tc={}\tn={}\t{:.1} MB/s\t{:.1}/s\tp50={:.1}ms\tp99={:.1}ms",
            self.concurrency,
            self.count,
            (self.count * bytes_each) as f64 / secs / (1024.0 * 1024.0),
            self.count as f64 / secs,
            self.pct(0.50),
            self.pct(0.99)
        );
    }

    pub(crate) fn print(&self, what: &str) {
        println!(
            "{what}\tc={}\tn={}\t{:.0}/s\tp50={:.2}ms\tp99={:.2}ms",
            self.concurrency,
            self.count,
            self.count as f64 / self.elapsed.as_secs_f64(),
            self.pct(0.50),
            self.pct(0.99)
        );
    }
}

/// Runs `jobs` jobs on `concurrency` workers; each worker gets its index and job number.
pub(crate) async fn run<F, Fut>(concurrency: usize, jobs: usize, f: F) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let f = Arc::new(f);
    let per_worker = jobs.div_ceil(concurrency);
    let start = Instant::now();
    let mut handles = vec![];
    for w in 0..concurrency {
        let f = f.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_worker);
            for j in 0..per_worker {
                let t = Instant::now();
                f(w, j).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = vec![];
    for h in handles {
        all.extend(h.await??);
    }
    Ok(Stats::new(concurrency, start.elapsed(), all))
}

pub(crate) async fn login(client: &reqwest::Client, url: &str, user: &str, password: &str) -> anyhow::Result<String> {
    let res = client
        .post(format!("{url}/api/v1/session"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    body["token"].as_str().map(str::to_owned).with_context(|| format!("login failed: {body}"))
}

/// One order per submission, as buyers apply (an order rarely has more than a couple of
/// applications), each with delivery under way so that every submission waits for a human and
/// is a plain submit; and one ¥0.01 draft on each. Set up concurrently; not timed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn prepare(
    client: &reqwest::Client,
    url: &str,
    merchant: &str,
    buyer: &str,
    token: &str,
    run_id: u32,
    workers: usize,
    requests: usize,
) -> anyhow::Result<Vec<Vec<String>>> {
    let per_worker = requests.div_ceil(workers);
    let drafts = Arc::new(std::sync::Mutex::new(vec![String::new(); per_worker * workers]));
    let (client, url, merchant, buyer, token, slots) =
        (client.clone(), url.to_owned(), merchant.to_owned(), buyer.to_owned(), token.to_owned(), drafts.clone());
    let setup_workers = workers.min(16);
    let per_setup = (per_worker * workers).div_ceil(setup_workers);
    run(setup_workers, per_setup * setup_workers, move |w, j| {
        let (client, url, merchant, buyer, token, slots) =
            (client.clone(), url.clone(), merchant.clone(), buyer.clone(), token.clone(), slots.clone());
        async move {
            let index = w * per_setup + j;
            if index >= per_worker * workers {
                return Ok(());
            }
            let now = Timestamp::now();
            let order = format!("LOAD-{run_id:08x}-{workers}-{index}");
            let body = json!({
                "buyer": buyer,
                "service": {"name": "load test", "platform": "douyin", "unit": "likes", "promised": 1000, "deadline": now + SignedDuration::from_hours(24 * 30)},
                "policy_version": 1,
                "policy_accepted_at": now - SignedDuration::from_hours(1),
                "payment": {"channel": "wechat_pay", "transaction_id": order, "amount_fen": 5000, "paid_at": now - SignedDuration::from_hours(1)},
            });
            let res = client.put(format!("{url}/api/v1/merchant/orders/{order}")).bearer_auth(&merchant).json(&body).send().await?;
            if !res.status().is_success() {
                bail!("order {order}: {}", res.text().await.unwrap_or_default());
            }
            let reading = json!({"readings": [{"at": now - SignedDuration::from_mins(30), "delivered": 10, "source": "third_party"}]});
            client.post(format!("{url}/api/v1/merchant/orders/{order}/deliveries")).bearer_auth(&merchant).json(&reading).send().await?;
            let res = client
                .post(format!("{url}/api/v1/applications"))
                .bearer_auth(&token)
                .json(&json!({"order_no": order, "reason": "service_interrupted", "amount": "0.01", "description": "load test"}))
                .send()
                .await?;
            let body: Value = res.json().await?;
            let no = body["no"].as_str().map(str::to_owned).with_context(|| format!("draft: {body}"))?;
            slots.lock().map_err(|_| anyhow::anyhow!("poisoned"))?[index] = no;
            Ok(())
        }
    })
    .await?;
    let all = std::mem::take(&mut *drafts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    Ok(all.chunks(per_worker).map(<[String]>::to_vec).collect())
}
