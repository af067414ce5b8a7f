//! `redress-load pages`: the latency of every list the paging contract covers (docs/api.md,
//! "Lists") over HTTP, on its first page and on page N (default 50) reached by following the
//! cursor — the growth check for a generated history: neither may grow with it.

use crate::common::{login, run};
use anyhow::{Context, bail};
use serde_json::Value;

/// What to measure, as whom: the staff lists as `staff`, the buyer's as `buyer`.
pub(crate) struct Plan {
    pub url: String,
    pub staff: String,
    pub buyer: String,
    pub password: String,
    pub page: usize,
    pub requests: usize,
}

/// The lists of docs/api.md; `{buyer}` is the buyer measured.
const LISTS: &[(&str, bool)] = &[
    ("/api/v1/review/queue", true),
    ("/api/v1/review/queue?state=submitted", true),
    ("/api/v1/review/queue?reason=quantity_short", true),
    ("/api/v1/review/queue?channel=alipay", true),
    ("/api/v1/review/queue?state=submitted&channel=wechat_pay", true),
    ("/api/v1/review/queue?assignee={staff}", true),
    ("/api/v1/review/queue?min_amount=10&max_amount=100", true),
    ("/api/v1/review/applications?buyer={buyer}", true),
    ("/api/v1/orders", false),
    ("/api/v1/applications", false),
    ("/api/v1/desk/tickets", true),
    ("/api/v1/desk/tickets?state=waiting_on_staff", true),
    ("/api/v1/desk/tickets?category=account", true),
    ("/api/v1/desk/tickets?assignee={staff}", true),
    ("/api/v1/tickets", false),
];

pub(crate) async fn measure(plan: &Plan) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(16).build()?;
    let staff = login(&client, &plan.url, &plan.staff, &plan.password).await?;
    let buyer = login(&client, &plan.url, &plan.buyer, &plan.password).await?;
    // One known application and order, for the search by number and by order.
    let first = get(&client, &format!("{}/api/v1/review/queue?limit=1", plan.url), &staff).await?;
    let app = &first["items"][0]["application"];
    let mut lists: Vec<(String, bool)> =
        LISTS.iter().map(|(p, s)| (p.replace("{staff}", &plan.staff).replace("{buyer}", &plan.buyer), *s)).collect();
    if let (Some(no), Some(order)) = (app["no"].as_str(), app["order_no"].as_str()) {
        lists.push((format!("/api/v1/review/applications?no={no}"), true));
        lists.push((format!("/api/v1/review/applications?order_no={order}"), true));
    }
    println!("list\tpage\tn\tp50\tp99");
    for (path, as_staff) in lists {
        let token = if as_staff { staff.clone() } else { buyer.clone() };
        let sep = if path.contains('?') { '&' } else { '?' };
        // Follow the cursor to page N (or the last page there is).
        let mut url = format!("{}{path}", plan.url);
        let first_url = url.clone();
        let mut reached = 1;
        while reached < plan.page {
            let body = get(&client, &url, &token).await?;
            match body["next"].as_str() {
                Some(next) => {
                    url = format!("{}{path}{sep}after={next}", plan.url);
                    reached += 1;
                }
                None => break,
            }
        }
        for (label, target) in [(1, first_url), (reached, url)] {
            let (client, token) = (client.clone(), token.clone());
            let stats = run(1, plan.requests, move |_, _| {
                let (client, target, token) = (client.clone(), target.clone(), token.clone());
                async move {
                    get(&client, &target, &token).await?;
                    Ok(())
                }
            })
            .await?;
            println!("{path}\t{label}\t{}\t{:.2}ms\t{:.2}ms", stats.count, stats.pct(0.50), stats.pct(0.99));
        }
    }
    Ok(())
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    let res = client.get(url).bearer_auth(token).send().await?;
    if !res.status().is_success() {
        bail!("GET {url}: {}", res.status());
    }
    res.json().await.with_context(|| format!("GET {url}"))
}
