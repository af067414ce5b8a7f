//! The paging contract every list follows (`?limit=`, `?after=`, `{"items", "next"}`): a
//! cursor followed to the end gives every item once, in order, whatever the page size; each
//! filter of the review queue; staff's search; the buyer's lists; and the errors a client can
//! make with a cursor or a limit.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Follows `next` from `path` (which has a query already) to the last page; every page's
/// items. Each page holds at most `limit`.
async fn all_pages(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = vec![];
    let mut url = format!("{path}&limit={limit}");
    loop {
        let r = app.get(&url, token).await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{url}: {}", r.body);
        let items = r.body["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit, "{url}: {} items", items.len());
        pages.push(items);
        match r.body["next"].as_str() {
            Some(next) => {
                assert!(pages.len() < 100, "paging does not end");
                url = format!("{path}&limit={limit}&after={next}");
            }
            None => return pages,
        }
    }
}

fn app_of(i: &Value) -> &Value {
    &i["application"]
}

fn same(i: &Value) -> &Value {
    i
}

fn numbers(pages: &[Vec<Value>], pick: fn(&Value) -> &Value) -> Vec<String> {
    pages.iter().flatten().map(|i| pick(i)["no"].as_str().expect("no").to_owned()).collect()
}

both!(every_list_pages_by_cursor, |app: TestApp| async move {
    // Alice: 7 orders over two channels, an application of ¥21 … ¥27 on each (more than the
    // rules' ¥20, so each waits for a reviewer); Bob: two (¥30 and ¥31) and a draft.
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut all = BTreeSet::new();
    for i in 1..=7 {
        let channel = if i <= 4 { "wechat_pay" } else { "alipay" };
        app.order_via(channel, &format!("P-{i}"), "alice", 1000, 5000, 5, Some((600, "third_party"))).await;
        all.insert(app.submitted(&alice, &format!("P-{i}"), &(20 + i).to_string()).await);
    }
    for i in [30, 31] {
        app.order(&format!("Q-{i}"), "bob", 1000, 5000, 5, Some((600, "third_party"))).await;
        all.insert(app.submitted(&bob, &format!("Q-{i}"), &i.to_string()).await);
    }
    app.order("Q-32", "bob", 1000, 5000, 5, Some((600, "third_party"))).await;
    let r = app.post("/api/v1/applications", &bob, json!({"order_no": "Q-32", "reason": "quantity_short"})).await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.body);

    let rita = app.login("rita").await;
    let claimed: Vec<String> = all.iter().take(2).cloned().collect();
    for no in &claimed {
        let r = app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    }

    // The whole queue, at every page size: each application once, soonest due first.
    for limit in [1, 2, 4, 50] {
        let pages = all_pages(&app, &rita, "/api/v1/review/queue?", limit).await;
        let seen = numbers(&pages, app_of);
        assert_eq!(seen.len(), all.len(), "limit {limit}: {seen:?}");
        assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), all, "limit {limit}");
        let dues: Vec<(String, String)> = pages
            .iter()
            .flatten()
            .map(|i| (i["application"]["review_due_at"].as_str().unwrap_or("").to_owned(), app_of(i)["no"].to_string()))
            .collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "limit {limit}: due order {dues:?}");
        if limit == 4 {
            assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 1]);
        }
    }

    // Each filter, alone and together.
    let count = |path: &'static str| {
        let (app, rita) = (&app, &rita);
        async move {
            let pages = all_pages(app, rita, path, 2).await;
            pages.into_iter().flatten().collect::<Vec<_>>()
        }
    };
    let alipay = count("/api/v1/review/queue?channel=alipay").await;
    assert_eq!(alipay.len(), 3);
    assert!(alipay.iter().all(|i| i["channel"] == "alipay"));
    let held = count("/api/v1/review/queue?state=in_review").await;
    assert_eq!(numbers(&[held], app_of), claimed);
    let mine = count("/api/v1/review/queue?assignee=rita").await;
    assert_eq!(numbers(&[mine], app_of), claimed);
    assert!(count("/api/v1/review/queue?assignee=rick").await.is_empty());
    let waiting_wechat = count("/api/v1/review/queue?state=submitted&channel=wechat_pay").await;
    let is_it = |i: &Value| i["channel"] == "wechat_pay" && i["application"]["state"] == "submitted";
    assert!(!waiting_wechat.is_empty() && waiting_wechat.iter().all(is_it));
    let everything = count("/api/v1/review/queue?").await;
    assert_eq!(waiting_wechat.len(), everything.iter().filter(|i| is_it(i)).count());
    assert_eq!(count("/api/v1/review/queue?reason=quantity_short").await.len(), all.len());
    assert!(count("/api/v1/review/queue?reason=account_risk").await.is_empty());
    assert!(count("/api/v1/review/queue?state=approved").await.is_empty(), "decided ones are not in the queue");

    // An amount range lists by amount, smallest first.
    let ranged = count("/api/v1/review/queue?min_amount=22&max_amount=30").await;
    let amounts: Vec<i64> = ranged.iter().filter_map(|i| i["application"]["requested"]["fen"].as_i64()).collect();
    assert_eq!(amounts, vec![2200, 2300, 2400, 2500, 2600, 2700, 3000]);

    // A cursor works only on the list that gave it; limits stay within 1–200.
    let first = app.get("/api/v1/review/queue?limit=1", &rita).await;
    let due_cursor = first.body["next"].as_str().expect("next").to_owned();
    let ranged = app.get("/api/v1/review/queue?limit=1&min_amount=1", &rita).await;
    let amount_cursor = ranged.body["next"].as_str().expect("next").to_owned();
    let orders = app.get("/api/v1/orders?limit=1", &alice).await;
    let orders_cursor = orders.body["next"].as_str().expect("next").to_owned();
    for (path, token, field) in [
        (format!("/api/v1/review/queue?after={amount_cursor}"), &rita, "after"),
        (format!("/api/v1/review/queue?min_amount=1&after={due_cursor}"), &rita, "after"),
        (format!("/api/v1/review/queue?after={orders_cursor}"), &rita, "after"),
        (format!("/api/v1/applications?after={orders_cursor}"), &alice, "after"),
        ("/api/v1/review/queue?after=not-a-cursor".into(), &rita, "after"),
        ("/api/v1/orders?after=%22%5D".into(), &alice, "after"),
        ("/api/v1/review/queue?limit=0".into(), &rita, "limit"),
        ("/api/v1/review/queue?limit=201".into(), &rita, "limit"),
        ("/api/v1/orders?limit=-1".into(), &alice, "limit"),
        ("/api/v1/applications?limit=ten".into(), &alice, "limit"),
    ] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
        assert_eq!(r.body["fields"][0]["field"], field, "{path}: {}", r.body);
    }
    let r = app.get("/api/v1/review/queue?limit=x&state=nope", &rita).await;
    let fields: BTreeSet<&str> =
        r.body["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, BTreeSet::from(["limit", "state"]), "every problem at once: {}", r.body);

    // Staff search: by number, by order, by buyer (no drafts), exactly one of them.
    let one = all.iter().next().expect("one").clone();
    let r = app.get(&format!("/api/v1/review/applications?no={one}"), &rita).await;
    assert_eq!(numbers(&[r.body["items"].as_array().expect("items").clone()], same), vec![one.clone()]);
    let r = app.get("/api/v1/review/applications?order_no=P-3", &rita).await;
    assert_eq!(r.body["items"][0]["order_no"], "P-3", "{}", r.body);
    let bobs = all_pages(&app, &rita, "/api/v1/review/applications?buyer=bob", 1).await;
    assert_eq!(bobs.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1], "two submitted, the draft left out");
    for q in ["", "?no=&buyer=", "?no=x&buyer=bob", "?order_no=P-1&buyer=bob"] {
        let r = app.get(&format!("/api/v1/review/applications{q}"), &rita).await;
        assert_eq!(r.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{q}: {}", r.body);
    }
    assert_eq!(app.get("/api/v1/review/applications?buyer=bob", &alice).await.status, reqwest::StatusCode::FORBIDDEN);

    // The buyer's own lists, newest first, drafts included.
    let orders = all_pages(&app, &alice, "/api/v1/orders?", 3).await;
    let nos: Vec<&str> = orders.iter().flatten().filter_map(|o| o["order_no"].as_str()).collect();
    assert_eq!(nos, vec!["P-7", "P-6", "P-5", "P-4", "P-3", "P-2", "P-1"]);
    assert!(orders.iter().flatten().all(|o| o["refundable_balance"]["fen"].as_i64() < Some(5000)), "claims are read");
    let apps = all_pages(&app, &bob, "/api/v1/applications?", 2).await;
    assert_eq!(apps.iter().map(Vec::len).sum::<usize>(), 3);
    assert_eq!(apps[0][0]["state"], "draft", "the newest first");
});
