//! The `redress` binary: admin commands, settings precedence, and `serve --demo` giving a
//! living Redress on an empty data directory with no other configuration.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use support::{redress, serve_demo, text};

#[test]
fn admin_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ok = redress(
        d,
        &["admin", "user", "create", "rita", "--role", "reviewer", "--password-stdin"],
        Some("a long secret\n"),
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let again = redress(
        d,
        &["admin", "user", "create", "rita", "--role", "reviewer", "--password-stdin"],
        Some("a long secret\n"),
    );
    assert!(!again.status.success() && text(&again).contains("cannot create user rita"), "{}", text(&again));
    let bad =
        redress(d, &["admin", "user", "create", "x", "--role", "king", "--password-stdin"], Some("a long secret\n"));
    assert!(!bad.status.success() && text(&bad).contains("role must be"), "{}", text(&bad));
    let short = redress(d, &["admin", "user", "create", "y", "--role", "buyer", "--password-stdin"], Some("short\n"));
    assert!(!short.status.success() && text(&short).contains("at least 8"), "{}", text(&short));
    let set = redress(d, &["admin", "user", "set-password", "rita", "--password-stdin"], Some("a new long secret\n"));
    assert!(text(&set).contains("password set for rita; 0 session(s) ended"), "{}", text(&set));
    let nobody = redress(d, &["admin", "user", "set-password", "nobody"], Some("a new long secret\n"));
    assert!(!nobody.status.success() && text(&nobody).contains("no user nobody"), "{}", text(&nobody));
    let short = redress(d, &["admin", "user", "set-password", "rita"], Some("short\n"));
    assert!(!short.status.success() && text(&short).contains("at least 8"), "{}", text(&short));

    let token = redress(d, &["admin", "token", "create", "shop"], None);
    assert!(String::from_utf8_lossy(&token.stdout).trim().starts_with("rdm_"), "{}", text(&token));

    let policy = d.join("p.toml");
    std::fs::write(&policy, redress_domain::policy::SEED_V1).expect("write policy");
    let p = policy.to_str().expect("path");
    assert!(text(&redress(d, &["admin", "policy", "publish", p], None)).contains("published policy version 1"));
    assert!(text(&redress(d, &["admin", "policy", "publish", p], None)).contains("already published"));
    std::fs::write(&policy, redress_domain::policy::SEED_V1.replace("no_reason_days = 7", "no_reason_days = 3"))
        .expect("write");
    let changed = redress(d, &["admin", "policy", "publish", p], None);
    assert!(!changed.status.success(), "a published version never changes: {}", text(&changed));
    let shown = redress(d, &["admin", "policy", "show", "1"], None);
    assert!(text(&shown).contains("no_reason_days = 7"), "{}", text(&shown));

    let cal = redress(d, &["admin", "calendar", "show"], None);
    assert!(text(&cal).contains("2026-10-01"), "{}", text(&cal));

    // Service levels: the shipped ones until a version is published; a bad file changes
    // nothing and says why; the same file twice is one version; the history says who and why.
    let shown = text(&redress(d, &["admin", "sla", "show"], None));
    assert!(shown.contains("the shipped service levels") && shown.contains("first_response = \"24h\""), "{shown}");
    let sla = d.join("sla.toml");
    let faster = shown.replacen("# the shipped service levels (none published)\n", "", 1)
        + "\n[categories.payout_not_arrived]\nfirst_response = \"4h\"\nhours = \"business\"\n";
    std::fs::write(&sla, faster.replace("\"4h\"", "\"4 hours\"")).expect("write");
    let s = sla.to_str().expect("path");
    let bad = redress(d, &["admin", "sla", "set", s], None);
    assert!(!bad.status.success() && text(&bad).contains("not a duration"), "{}", text(&bad));
    std::fs::write(&sla, &faster).expect("write");
    let set = redress(d, &["admin", "sla", "set", s, "--note", "payouts first"], None);
    assert!(text(&set).contains("published service levels version 1"), "{}", text(&set));
    assert!(text(&redress(d, &["admin", "sla", "set", s], None)).contains("already in force"));
    let shown = text(&redress(d, &["admin", "sla", "show"], None));
    assert!(shown.contains("version 1") && shown.contains("[categories.payout_not_arrived]"), "{shown}");
    let history = text(&redress(d, &["admin", "sla", "history"], None));
    assert!(
        history.starts_with("v1 ") && history.contains("admin-cli") && history.contains("payouts first"),
        "{history}"
    );

    // Webhook endpoints: an address inside a network is refused, a public one is registered
    // with its secret printed once, listed without it, rotated, disabled.
    let inside = redress(d, &["admin", "webhook", "create", "--url", "https://169.254.169.254/latest"], None);
    assert!(!inside.status.success() && text(&inside).contains("private network"), "{}", text(&inside));
    let unknown = redress(
        d,
        &["admin", "webhook", "create", "--url", "https://hooks.example.com/", "--events", "refund.*"],
        None,
    );
    assert!(!unknown.status.success() && text(&unknown).contains("unknown event type refund.*"), "{}", text(&unknown));
    let made = redress(
        d,
        &["admin", "webhook", "create", "--url", "https://hooks.example.com/r", "--events", "application.*,payout.*"],
        None,
    );
    let secret = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert!(made.status.success() && secret.starts_with("whsec_"), "{}", text(&made));
    let id = text(&made).split_whitespace().find(|w| w.starts_with("WE-")).expect("an id").to_owned();
    let listed = text(&redress(d, &["admin", "webhook", "list"], None));
    assert!(listed.contains(&id) && listed.contains("enabled") && !listed.contains(&secret), "{listed}");
    let rotated = redress(d, &["admin", "webhook", "rotate-secret", &id], None);
    let new = String::from_utf8_lossy(&rotated.stdout).trim().to_owned();
    assert!(rotated.status.success() && new.starts_with("whsec_") && new != secret, "{}", text(&rotated));
    assert!(text(&redress(d, &["admin", "webhook", "disable", &id], None)).contains(&format!("disabled {id}")));
    assert!(text(&redress(d, &["admin", "webhook", "list"], None)).contains("disabled (manual)"));
    let nobody = redress(d, &["admin", "webhook", "rotate-secret", "WE-0"], None);
    assert!(!nobody.status.success() && text(&nobody).contains("no webhook endpoint WE-0"), "{}", text(&nobody));
}

#[test]
fn settings_file_is_used_when_no_flag_says_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_file = dir.path().join("from-file");
    let config = dir.path().join("redress.toml");
    std::fs::write(&config, format!("data_dir = {:?}\nlog = \"warn\"\n", from_file.display().to_string()))
        .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(["--config", config.to_str().expect("path"), "migrate"])
        .env_remove("REDRESS_DATABASE_URL")
        .env_remove("REDRESS_DATA_DIR")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out));
    assert!(from_file.join("redress.db").exists(), "the data_dir from the file was used");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "colour = \"blue\"\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(["--config", bad.to_str().expect("path"), "migrate"])
        .output()
        .expect("run");
    assert!(!out.status.success() && text(&out).contains("invalid settings"), "{}", text(&out));
}

#[test]
fn serve_demo_on_an_empty_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, base, report) = serve_demo(dir.path(), &[]);
    assert!(report.contains("password for every account: redress-demo"), "{report}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let result = rt.block_on(async {
        let c = reqwest::Client::new();
        let ready = c.get(format!("{base}/readyz")).send().await?.status();
        let login: serde_json::Value = c
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "lin", "password": "redress-demo"}))
            .send()
            .await?
            .json()
            .await?;
        let token = login["token"].as_str().unwrap_or_default().to_owned();
        let orders: serde_json::Value =
            c.get(format!("{base}/api/v1/orders")).bearer_auth(&token).send().await?.json().await?;
        let apps: serde_json::Value =
            c.get(format!("{base}/api/v1/applications")).bearer_auth(&token).send().await?.json().await?;
        let reviewed = apps["items"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["state"] == "in_review"))
            .and_then(|a| a["no"].as_str())
            .unwrap_or_default()
            .to_owned();
        let thread: serde_json::Value = c
            .get(format!("{base}/api/v1/applications/{reviewed}/messages"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let wang: serde_json::Value = c
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "wang", "password": "redress-demo"}))
            .send()
            .await?
            .json()
            .await?;
        let queue: serde_json::Value = c
            .get(format!("{base}/api/v1/review/queue"))
            .bearer_auth(wang["token"].as_str().unwrap_or_default())
            .send()
            .await?
            .json()
            .await?;
        let tickets: serde_json::Value =
            c.get(format!("{base}/api/v1/tickets")).bearer_auth(&token).send().await?.json().await?;
        let chen: serde_json::Value = c
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "chen", "password": "redress-demo"}))
            .send()
            .await?
            .json()
            .await?;
        let desk: serde_json::Value = c
            .get(format!("{base}/api/v1/desk/tickets"))
            .bearer_auth(chen["token"].as_str().unwrap_or_default())
            .send()
            .await?
            .json()
            .await?;
        Ok::<_, reqwest::Error>((ready, orders, apps, queue, tickets, desk, thread))
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    let (ready, orders, apps, queue, tickets, desk, thread) = result.expect("http");
    let said: Vec<&str> =
        thread["items"].as_array().expect("thread").iter().filter_map(|m| m["author"].as_str()).collect();
    assert_eq!(said, ["wang", "lin"], "lin's application in review has a thread (the note is staff's): {thread}");
    let lins: Vec<&str> =
        tickets["items"].as_array().expect("tickets").iter().filter_map(|t| t["state"].as_str()).collect();
    assert!(lins.contains(&"open") && lins.contains(&"waiting_on_buyer"), "{tickets}");
    let desk = desk["items"].as_array().expect("desk");
    assert!(desk.iter().any(|t| t["mark"] == "near_breach"), "a ticket near its deadline: {desk:?}");
    assert!(desk.iter().any(|t| t["state"] == "waiting_on_staff"));
    assert!(ready.is_success());
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(10), "lin has 10 demo orders");
    let states: std::collections::BTreeSet<&str> =
        apps["items"].as_array().expect("apps").iter().filter_map(|a| a["state"].as_str()).collect();
    // An approved demo application may already be refunding or refunded through the sandbox.
    let paid = ["approved", "refunding", "refunded"].iter().any(|s| states.contains(s));
    assert!(states.contains("draft") && paid && states.contains("in_review"), "{states:?}");
    let queued = queue["items"].as_array().expect("queue");
    assert!(queued.len() >= 5, "{queue}");
    assert!(queued.iter().any(|i| i["application"]["overdue"] == true), "an overdue application is in the demo");
}

#[test]
fn the_demo_is_chained_and_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let demo = redress(d, &["demo"], None);
    assert!(demo.status.success(), "{}", text(&demo));
    let chained: u64 = text(&demo)
        .lines()
        .find_map(|l| l.strip_suffix(" timeline events in the audit chain.")?.trim().parse().ok())
        .expect("the demo reports its chain");
    assert!(chained > 20, "{chained}");
    let out = redress(d, &["audit", "verify"], None);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains(&format!("{chained} entries verified")) && t.contains("the chain is intact"), "{t}");

    // The same, for a machine.
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
    };
    let out = redress(d, &["audit", "verify", "--json"], None);
    let v = json(&out);
    assert!(out.status.success(), "{v}");
    assert_eq!(
        (v["verified"].as_u64(), v["pending"].as_i64(), v["intact"].as_bool()),
        (Some(chained), Some(0), Some(true))
    );
    assert!(v["broken"].is_null() && v["head"].as_str().is_some_and(|h| h.len() == 64), "{v}");
    // A timeline event restored by hand waits; `audit chain` appends it now.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = redress_store::Store::connect(&redress_store::Store::sqlite_url(d), None).await.expect("store");
        store
            .execute_unchecked(
                "INSERT INTO application_events (application_no, seq, at, kind, actor, actor_role, from_state,
                   to_state, body)
                 SELECT application_no, 99, at, kind, actor, actor_role, from_state, to_state, body
                 FROM application_events ORDER BY application_no LIMIT 1",
            )
            .await
            .expect("insert");
        store.close().await;
    });
    assert_eq!(json(&redress(d, &["audit", "verify", "--json"], None))["pending"].as_i64(), Some(1));
    let out = redress(d, &["audit", "chain"], None);
    assert!(out.status.success() && text(&out).contains("1 entries appended"), "{}", text(&out));
    let v = json(&redress(d, &["audit", "verify", "--json"], None));
    assert_eq!((v["verified"].as_u64(), v["pending"].as_i64()), (Some(chained + 1), Some(0)), "{v}");
    // An edited entry: the object says where and why, and the exit status says it failed.
    rt.block_on(async {
        let store = redress_store::Store::connect(&redress_store::Store::sqlite_url(d), None).await.expect("store");
        store.execute_unchecked("UPDATE audit_log SET body = body || ' ' WHERE seq = 3").await.expect("edit");
        store.close().await;
    });
    let out = redress(d, &["audit", "verify", "--json"], None);
    let v = json(&out);
    assert!(!out.status.success(), "{v}");
    assert_eq!(
        (v["verified"].as_u64(), v["intact"].as_bool(), v["broken"]["entry"].as_i64()),
        (Some(2), Some(false), Some(3))
    );
    assert!(v["broken"]["reason"].as_str().is_some_and(|r| r.contains("edited")), "{v}");
}

/// Signs in as the demo buyer lin; returns her session token and her demo draft's number.
async fn lin_and_her_draft(c: &reqwest::Client, base: &str) -> Result<(String, String), reqwest::Error> {
    let login: serde_json::Value = c
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": "lin", "password": "redress-demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let apps: serde_json::Value =
        c.get(format!("{base}/api/v1/applications")).bearer_auth(&token).send().await?.json().await?;
    let draft =
        apps["items"].as_array().and_then(|a| a.iter().find(|a| a["state"] == "draft")).map(|a| a["no"].clone());
    Ok((token, draft.and_then(|n| n.as_str().map(str::to_owned)).unwrap_or_default()))
}

#[test]
fn serve_keeps_evidence_in_the_configured_bucket() {
    let url = match std::env::var("REDRESS_TEST_S3_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("REDRESS_REQUIRE_S3").is_err(),
                "REDRESS_REQUIRE_S3 is set but REDRESS_TEST_S3_URL is not"
            );
            return;
        }
    };
    let bucket = format!("redress-cli-{}", std::process::id());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async { reqwest::Client::new().put(format!("{url}/{bucket}")).send().await }).expect("bucket");
    // Without credentials the settings are refused, clearly.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("REDRESS_DATABASE_URL")
        .env("REDRESS_EVIDENCE_S3_BUCKET", &bucket)
        .output()
        .expect("run");
    assert!(!out.status.success() && text(&out).contains("REDRESS_EVIDENCE_S3_ACCESS_KEY_ID"), "{}", text(&out));

    let env = [
        ("REDRESS_EVIDENCE_S3_BUCKET", bucket.as_str()),
        ("REDRESS_EVIDENCE_S3_ENDPOINT", url.as_str()),
        ("REDRESS_EVIDENCE_S3_ACCESS_KEY_ID", "test"),
        ("REDRESS_EVIDENCE_S3_SECRET_ACCESS_KEY", "test"),
    ];
    let (mut child, base, _) = serve_demo(dir.path(), &env);
    // A 1×1 PNG.
    let png: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let result = rt.block_on(async {
        let c = reqwest::Client::new();
        let (token, no) = lin_and_her_draft(&c, &base).await?;
        let part = reqwest::multipart::Part::bytes(png.to_vec()).file_name("s.png").mime_str("image/png")?;
        let form = reqwest::multipart::Form::new().text("kind", "other").part("file", part);
        let up: serde_json::Value = c
            .post(format!("{base}/api/v1/applications/{no}/evidence"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?
            .json()
            .await?;
        Ok::<_, reqwest::Error>(up)
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    let up = result.expect("http");
    let sha = up["sha256"].as_str().unwrap_or_else(|| panic!("uploaded: {up}"));
    // Read back from the bucket directly.
    let config = redress_blobs::S3Config {
        endpoint: Some(url.clone()),
        bucket: bucket.clone(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        secret_access_key: "test".into(),
        prefix: "redress/".into(),
    };
    let staging = tempfile::tempdir().expect("tempdir");
    let bucket_store = redress_blobs::Blobs::s3(&config, staging.path()).expect("s3");
    let bytes = rt.block_on(bucket_store.get(sha)).expect("the file is in the bucket");
    assert_eq!(bytes.as_ref(), png);
    assert!(!dir.path().join("evidence").exists(), "nothing in the local evidence folder");
}

#[test]
fn evidence_limits_are_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zero = redress(dir.path(), &["--evidence-max-mb", "0", "migrate"], None);
    assert!(!zero.status.success() && text(&zero).contains("at least 1"), "{}", text(&zero));
    let (mut child, base, _) =
        serve_demo(dir.path(), &[("REDRESS_EVIDENCE_MAX_FILES", "1"), ("REDRESS_EVIDENCE_MAX_MB", "1")]);
    let png = |extra: usize| {
        // The signature, one chunk of `extra` bytes, the end chunk.
        let mut v = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        v.extend_from_slice(&(extra as u32).to_be_bytes());
        v.extend_from_slice(b"tEXt");
        v.resize(v.len() + extra, 7);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]);
        v
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let result = rt.block_on(async {
        let c = reqwest::Client::new();
        let (token, no) = lin_and_her_draft(&c, &base).await?;
        let mut codes = vec![];
        for bytes in [png(1024 * 1024), png(100), png(100)] {
            let part = reqwest::multipart::Part::bytes(bytes).file_name("s.png").mime_str("image/png")?;
            let form = reqwest::multipart::Form::new().text("kind", "other").part("file", part);
            let r = c
                .post(format!("{base}/api/v1/applications/{no}/evidence"))
                .bearer_auth(&token)
                .header("accept-language", "en")
                .multipart(form)
                .send()
                .await?;
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await?;
            codes.push((status, body["code"].as_str().unwrap_or("").to_owned(), body["message"].clone()));
        }
        Ok::<_, reqwest::Error>(codes)
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    let codes = result.expect("http");
    assert_eq!((codes[0].0, codes[0].1.as_str()), (413, "evidence-too-large"), "{codes:?}");
    assert!(codes[0].2.as_str().unwrap_or("").contains("1.0 MB"), "{codes:?}");
    assert_eq!(codes[1].0, 201, "{codes:?}");
    assert_eq!((codes[2].0, codes[2].1.as_str()), (422, "evidence-too-many"), "{codes:?}");
    assert!(codes[2].2.as_str().unwrap_or("").contains("at most one file."), "{codes:?}");
}

/// Whether poppler's tools are installed; CI requires them (REDRESS_REQUIRE_PDF_TOOLS).
fn pdf_tools() -> bool {
    let found =
        Command::new("pdftoppm").arg("-v").output().is_ok() && Command::new("pdftotext").arg("-v").output().is_ok();
    assert!(
        found || std::env::var_os("REDRESS_REQUIRE_PDF_TOOLS").is_none(),
        "REDRESS_REQUIRE_PDF_TOOLS is set but pdftoppm/pdftotext are missing (apt-get install poppler-utils)"
    );
    found
}

/// A copy of a ZIP with the entry `name` replaced by `bytes` (an attacker repacking it).
fn repack(zip_path: &Path, out: &Path, name: &str, bytes: &[u8]) {
    use std::io::Read;
    let mut src = zip::ZipArchive::new(std::fs::File::open(zip_path).expect("open")).expect("zip");
    let mut dst = zip::ZipWriter::new(std::fs::File::create(out).expect("create"));
    for i in 0..src.len() {
        let mut f = src.by_index(i).expect("entry");
        let entry = f.name().expect("name").into_owned();
        let mut content = Vec::new();
        f.read_to_end(&mut content).expect("read");
        dst.start_file(entry.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        dst.write_all(if entry == name { bytes } else { &content }).expect("write");
    }
    dst.finish().expect("finish");
}

#[test]
fn a_case_file_is_exported_checked_offline_and_its_report_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (mut child, base, _) = serve_demo(d, &[]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let apps = rt.block_on(async {
        let c = reqwest::Client::new();
        let (token, _) = lin_and_her_draft(&c, &base).await?;
        c.get(format!("{base}/api/v1/applications")).bearer_auth(&token).send().await?.json::<serde_json::Value>().await
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    let apps = apps.expect("lin's applications");
    let no = apps["items"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["state"] != "draft"))
        .and_then(|a| a["no"].as_str())
        .expect("a submitted application")
        .to_owned();

    let zip_path = d.join("case.zip");
    let zip_arg = zip_path.to_str().expect("path");
    let out = redress(d, &["export", "case", &no, "--out", zip_arg, "--lang", "en"], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = redress(d, &["verify", zip_arg], None);
    let t = text(&out);
    assert!(out.status.success() && t.contains("everything matches"), "{t}");

    // An edited evidence file, repacked: named, and the audit entry that vouches for it too.
    let archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
    let names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
    let evidence = names.iter().find(|n| n.starts_with("evidence/")).expect("an evidence file").clone();
    drop(archive);
    let tampered = d.join("tampered.zip");
    repack(&zip_path, &tampered, &evidence, b"{\"edited\": true}");
    let out = redress(d, &["verify", tampered.to_str().expect("path")], None);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains(&format!("MISMATCH {evidence}: SHA-256 is")), "{t}");
    assert!(t.contains("vouches for SHA-256"), "{t}");
    // A file slipped in.
    repack(&zip_path, &tampered, "manifest.json", &{
        let mut a = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
        let mut m = String::new();
        std::io::Read::read_to_string(&mut a.by_name("manifest.json").expect("manifest"), &mut m).expect("read");
        m.replace("\"report.pdf\"", "\"report-old.pdf\"").into_bytes()
    });
    let out = redress(d, &["verify", tampered.to_str().expect("path")], None);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("MISMATCH report-old.pdf: listed in the manifest but not in the archive"), "{t}");
    assert!(t.contains("MISMATCH report.pdf: in the archive but not listed in the manifest"), "{t}");

    if !pdf_tools() {
        eprintln!("skipping the PDF rendering check: poppler-utils not installed");
        return;
    }
    let mut report = Vec::new();
    let mut a = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
    std::io::Read::read_to_end(&mut a.by_name("report.pdf").expect("report"), &mut report).expect("read");
    let pdf = d.join("report.pdf");
    std::fs::write(&pdf, &report).expect("write");
    // Rendered to an image: the first page has ink on it.
    let png = d.join("page");
    let r = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(&png)
        .output()
        .expect("pdftoppm");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let rendered = std::fs::read_dir(d).expect("dir").filter_map(Result::ok).find(|e| {
        e.file_name().to_string_lossy().starts_with("page") && e.file_name().to_string_lossy().ends_with(".png")
    });
    let rendered = rendered.expect("pdftoppm wrote a PNG").path();
    assert!(std::fs::metadata(&rendered).expect("png").len() > 10_000, "a blank page compresses to almost nothing");
    let gray = Command::new("pdftoppm")
        .args(["-gray", "-r", "30", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .output()
        .expect("pdftoppm");
    let pgm = gray.stdout;
    // P5 <w> <h> 255\n then one byte per pixel.
    let header_end =
        pgm.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(2).map(|(i, _)| i + 1).expect("pgm header");
    let pixels = &pgm[header_end..];
    let dark = pixels.iter().filter(|p| **p < 128).count();
    assert!(dark * 200 > pixels.len(), "{dark} dark pixels of {}: the page looks blank", pixels.len());
    // And its text is the case's, in English.
    let r = Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    let words = String::from_utf8_lossy(&r.stdout).to_string();
    for expected in [
        format!("Refund case file {no}"),
        "Timeline".to_owned(),
        "Refund policy accepted".to_owned(),
        "SHA-256".to_owned(),
        "redress verify".to_owned(),
    ] {
        assert!(words.contains(&expected), "{expected:?} not in the report:\n{words}");
    }
}

#[test]
fn real_channels_are_configuration_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../channels/testdata");
    let secret = d.join("bank-secret");
    std::fs::write(&secret, "0123456789abcdef0123").expect("secret");
    let config = |key: &Path| {
        format!(
            "public_url = \"https://refunds.example.com\"\n\
             [wechat_pay]\nbase_url = \"http://127.0.0.1:9\"\nmchid = \"1900000100\"\nserial_no = \"ABC\"\n\
             private_key_file = {:?}\nplatform_key_file = {:?}\nplatform_serial = \"PUB_KEY_ID_1\"\n\
             api_v3_key = \"0123456789abcdef0123456789abcdef\"\n\
             [alipay]\napp_id = \"2021000000000000\"\nprivate_key_file = {:?}\nalipay_public_key_file = {:?}\n\
             [bank_card]\nbase_url = \"http://127.0.0.1:9\"\nmerchant_id = \"M1\"\nsecret_file = {:?}\n",
            key,
            keys.join("merchant_pub.pem"),
            keys.join("merchant_key_pkcs1.pem"),
            keys.join("merchant_pub.pem"),
            secret
        )
    };
    let good = d.join("good.toml");
    std::fs::write(&good, config(&keys.join("merchant_key.pem"))).expect("config");
    let log = d.join("serve.log");
    let env = [("REDRESS_CONFIG", good.to_str().expect("path")), ("REDRESS_LOG", "info")];
    let (mut child, base, _) = support::serve_logged(d, &["--demo"], &env, &log);
    let report = std::fs::read_to_string(&log).expect("log");
    for line in ["WeChat Pay: a real merchant", "Alipay: a real app", "bank card: a real bank"] {
        assert!(report.contains(line), "{line:?} not in the log: {report}");
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ready = rt.block_on(async {
        reqwest::get(format!("{base}/readyz")).await.map(|r| r.status().is_success()).unwrap_or(false)
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    assert!(ready, "serve runs with real channels configured");
    // A key file that is not there: serve refuses to start and says which.
    let bad = d.join("bad.toml");
    std::fs::write(&bad, config(&d.join("missing.pem"))).expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("--data-dir")
        .arg(d)
        .args(["--config", bad.to_str().expect("path"), "serve", "--listen", "127.0.0.1:0"])
        .env_remove("REDRESS_DATABASE_URL")
        .output()
        .expect("serve");
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(t.contains("cannot read the WeChat Pay private key") && t.contains("missing.pem"), "{t}");
    // Arrival windows are settings too; a wrong one is refused with what is wrong.
    let out = redress(d, &["--arrival-days", "bank_card:7-1", "migrate"], None);
    let t = text(&out);
    assert!(!out.status.success() && t.contains("arrival_days: bank_card:7-1"), "{t}");
    let out = redress(d, &["--arrival-days", "bank_card:2-5", "migrate"], None);
    assert!(out.status.success(), "{}", text(&out));
    // So are support's limits.
    let out = redress(d, &["--support-limits", "open_tickets:0", "migrate"], None);
    let t = text(&out);
    assert!(!out.status.success() && t.contains("support_limits: open_tickets"), "{t}");
    let out = redress(d, &["--support-limits", "open_tickets:3,attachment_mb_per_day:20", "migrate"], None);
    assert!(out.status.success(), "{}", text(&out));
    // The operator a complaint names: whole, and its credit code's check character right.
    let named = ["--operator-name", "示例网络科技有限公司", "--operator-address", "上海市"];
    let typo = [&named[..], &["--operator-credit-code", "91350100M000100Y44", "migrate"]].concat();
    let t = text(&redress(d, &typo, None));
    assert!(t.contains("operator_credit_code") && t.contains("should be 3"), "{t}");
    let t = text(&redress(d, &["--operator-name", "示例网络科技有限公司", "migrate"], None));
    assert!(t.contains("operator_name is set") && t.contains("operator_address"), "{t}");
    let t = text(&redress(d, &["--complaint-email", "kefu", "migrate"], None));
    assert!(t.contains("complaint_email"), "{t}");
    let right = [&named[..], &["--operator-credit-code", "91350100M000100Y43", "migrate"]].concat();
    assert!(redress(d, &right, None).status.success());
}

#[test]
fn reconcile_compares_the_demo_payouts_with_the_sandbox_statements() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (mut child, base, _) = serve_demo(d, &[("REDRESS_SANDBOX_SETTLE_SECS", "0")]);
    let today = jiff::Timestamp::now().in_tz("Asia/Shanghai").expect("tz").date().to_string();
    let run = |channel: &str| {
        redress(d, &["reconcile", "--channel", channel, "--date", &today, "--sandbox-url", &base], None)
    };
    // The demo's approved applications are paid within seconds of the start: wait until every
    // channel's statement matches (a refund in flight shows as a mismatch until it lands).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut outputs = Vec::new();
    for channel in ["wechat_pay", "alipay", "bank_card"] {
        loop {
            let out = run(channel);
            if out.status.success() || std::time::Instant::now() > deadline {
                outputs.push((channel, out));
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    let mut compared = 0;
    for (channel, out) in &outputs {
        let t = text(out);
        assert!(out.status.success() && t.contains("everything matches"), "{channel}: {t}");
        let first = t.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("{channel} on {today} (Asia/Shanghai;")), "{first}");
        compared +=
            first.split(", ").find_map(|p| p.strip_suffix(" matched")?.parse::<u32>().ok()).expect("how many matched");
    }
    assert!(compared >= 2, "the demo's refunds were compared: {compared}");
    // With the server gone, the statement cannot be had: said plainly, exit status not 0.
    let out = run("wechat_pay");
    assert!(!out.status.success());
    assert!(text(&out).contains("the channel's statement could not be had"), "{}", text(&out));
    // Mistakes are refused before anything is asked.
    let out = redress(d, &["reconcile", "--channel", "paypal", "--date", &today], None);
    assert!(!out.status.success() && text(&out).contains("expected wechat_pay, alipay or bank_card"), "{}", text(&out));
    let out = redress(d, &["reconcile", "--channel", "alipay", "--date", "2999-01-01"], None);
    assert!(!out.status.success() && text(&out).contains("that day has not begun yet"), "{}", text(&out));
    let out = redress(d, &["reconcile", "--channel", "alipay", "--date", "24/11/2026"], None);
    assert!(!out.status.success() && text(&out).contains("expected a day as YYYY-MM-DD"), "{}", text(&out));
}

#[test]
fn the_payout_lease_is_refused_outside_a_second_to_a_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bad in ["0", "86401"] {
        let out = redress(dir.path(), &["--payout-lease-secs", bad, "migrate"], None);
        let t = text(&out);
        assert!(!out.status.success() && t.contains("payout_lease_secs must be between 1 and 86400"), "{bad}: {t}");
    }
    let out = redress(dir.path(), &["--payout-lease-secs", "30", "migrate"], None);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_test_clock_is_refused_outside_a_test_fixture_and_moves_inside_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let out = redress(d, &["serve", "--listen", "127.0.0.1:0", "--test-clock", "2026-12-01T02:00:00Z"], None);
    assert!(!out.status.success() && text(&out).contains("test fixtures only"), "{}", text(&out));

    let (mut child, base, _) =
        support::serve(d, &[], &[("REDRESS_TESTING", "1"), ("REDRESS_TEST_CLOCK", "2026-12-01T02:00:00Z")]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let moved = rt.block_on(async {
        let c = reqwest::Client::new();
        let r: serde_json::Value = c
            .post(format!("{base}/test/clock"))
            .json(&serde_json::json!({"advance_secs": 3600}))
            .send()
            .await?
            .json()
            .await?;
        anyhow::Ok(r)
    });
    child.kill().ok(); // it may have exited already
    child.wait().expect("the server exits");
    assert_eq!(moved.expect("clock")["now"], "2026-12-01T03:00:00Z");

    // A normal server has no such route.
    let (mut child, base, _) = support::serve(d, &[], &[]);
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{base}/test/clock"))
            .json(&serde_json::json!({"advance_secs": 1}))
            .send()
            .await
    });
    child.kill().ok();
    child.wait().expect("the server exits");
    assert_eq!(status.expect("answer").status(), reqwest::StatusCode::NOT_FOUND);
}

#[test]
fn logs_go_to_stderr_without_colour_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A command with output of its own, logging at info on the way (the migration).
    let out = Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(["--data-dir", d.to_str().expect("path"), "--log", "info", "admin", "token", "create", "shop"])
        .env_remove("REDRESS_DATABASE_URL")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "stdout is the token alone: {stdout:?}");
    assert!(stdout.starts_with("rdm_"), "{stdout:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "no colour codes in a pipe: {stderr:?}");
}

#[test]
fn serve_demo_on_a_taken_port_fails_before_loading_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = redress(d, &["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")], None);
    let t = text(&out);
    assert!(!out.status.success() && t.contains("cannot listen on"), "{t}");
    assert!(!t.contains("Merchant API token"), "no token printed for a server that did not start: {t}");
    drop(taken);
    // The demo is loaded on the next start, which prints the token then.
    let (mut child, _, report) = serve_demo(d, &[]);
    child.kill().ok();
    child.wait().expect("exit");
    assert!(report.contains("Merchant API token"), "{report}");
}

#[test]
fn the_demo_names_its_operator_and_every_page_its_complaint_contact() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let page = |base: &str, path: &str| {
        rt.block_on(async {
            let r = reqwest::get(format!("{base}{path}")).await.expect("page");
            r.text().await.expect("html")
        })
    };
    // The demo, without settings: a made-up operator and contact.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("serve.log");
    let (mut child, base, _) = support::serve_logged(dir.path(), &["--demo"], &[], &log);
    let login = page(&base, "/login");
    // A buyer's help page names the respondent of a complaint and the 12315 platform.
    let help = rt.block_on(async {
        let client = reqwest::Client::new();
        let session: serde_json::Value = client
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "lin", "password": "redress-demo"}))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("json");
        let token = session["token"].as_str().expect("token").to_owned();
        let r = client.get(format!("{base}/help")).header("cookie", format!("redress_session={token}"));
        r.send().await.expect("help").text().await.expect("html")
    });
    child.kill().ok();
    child.wait().expect("the server exits");
    assert!(login.contains("id=\"complaint-contact\"") && login.contains("complaints@example.com"), "{login}");
    assert!(help.contains("id=\"operator\"") && help.contains(redress::demo::DEMO_CREDIT_CODE), "{help}");
    assert!(help.contains("https://www.12315.cn"), "{help}");
    // The settings' contact wins, on every page, the demo's or not.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("serve.log");
    let env = [("REDRESS_COMPLAINT_EMAIL", "kefu@shop.example"), ("REDRESS_COMPLAINT_PHONE", "021-0000-0000")];
    let (mut child, base, _) = support::serve_logged(dir.path(), &[], &env, &log);
    let login = page(&base, "/login");
    child.kill().ok();
    child.wait().expect("the server exits");
    assert!(login.contains("mailto:kefu@shop.example") && login.contains("tel:021-0000-0000"), "{login}");
    assert!(!login.contains("complaints@example.com"));
}
