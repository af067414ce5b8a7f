//! Case files over HTTP: who may have one, what is in it, and that it checks out offline.

use crate::both;
use crate::evidence::{PNG, draft, upload};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::io::Read;

/// Whether this machine can make reports (a CJK font); CI requires it.
fn font_installed() -> bool {
    let found = redress_casefile::ReportFont::locate(None).is_ok();
    assert!(
        found || std::env::var_os("REDRESS_REQUIRE_PDF_TOOLS").is_none(),
        "REDRESS_REQUIRE_PDF_TOOLS is set but no CJK font is installed (apt-get install fonts-wqy-microhei)"
    );
    found
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.client.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.expect("get");
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.bytes().await.expect("body").to_vec())
}

both!(a_case_file_holds_the_case_and_checks_out, |app: TestApp| async move {
    if !font_installed() {
        eprintln!("skipping: no CJK font for the report");
        return;
    }
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let rita = app.login("rita").await;
    let no = draft(&app, &alice, "CF-1").await;
    let (status, _, body) = fetch(&app, &alice, &format!("/api/v1/applications/{no}/case-file")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a draft has none: {}", String::from_utf8_lossy(&body));
    assert_eq!(
        upload(&app, &alice, &no, "付款截图.png", "image/png", PNG.to_vec(), "payment_record").await.status,
        201
    );
    let s = app.post(&format!("/api/v1/applications/{no}/submit"), &alice, json!({})).await;
    let no = s.body["no"].as_str().expect("no").to_owned();
    app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
    let r = app
        .post(
            &format!("/api/v1/review/applications/{no}/reject"),
            &rita,
            json!({"code": "other", "text": "截图不清楚"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let path = format!("/api/v1/applications/{no}/case-file?lang=en");
    let (status, _, _) = fetch(&app, &bob, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another buyer's case");
    for token in [&alice, &rita] {
        let (status, headers, bytes) = fetch(&app, token, &path).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
        assert_eq!(headers["content-type"], "application/zip");
        assert!(headers["content-disposition"].to_str().unwrap_or("").starts_with("attachment;"));
        let v = redress_casefile::verify(std::io::Cursor::new(&bytes)).expect("a case file");
        assert_eq!(v.mismatches, vec![], "it checks out");
        assert_eq!((v.manifest.application_no.as_str(), v.manifest.language.as_str()), (no.as_str(), "en"));
        // The buyer's file and Redress's snapshot, each vouched for by the audit chain, and
        // the timeline's events (submitted, claimed, rejected).
        let evidence: Vec<_> = v.manifest.files.iter().filter(|f| f.evidence_seq.is_some()).collect();
        assert_eq!(evidence.len(), 2, "{:?}", v.manifest.files);
        assert!(evidence[0].path.ends_with("付款截图.png"), "{}", evidence[0].path);
        let kinds: Vec<&str> = v.proof.entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "event").count(), 3, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "evidence").count(), 2, "{kinds:?}");
        let mut zip = zip_of(&bytes);
        let mut png = Vec::new();
        zip.by_name(&evidence[0].path).expect("the file").read_to_end(&mut png).expect("read");
        assert_eq!(png, PNG, "the file as uploaded");
        let mut pdf = Vec::new();
        zip.by_name("report.pdf").expect("report").read_to_end(&mut pdf).expect("read");
        assert!(pdf.starts_with(b"%PDF-"));
    }
    // The pages offer it too, in the page's language.
    let page = app
        .client
        .get(format!("{}/applications/{no}", app.base))
        .header("cookie", format!("redress_session={alice}"))
        .send()
        .await;
    let html = page.expect("page").text().await.expect("html");
    assert!(html.contains(&format!("/applications/{no}/case-file")), "the buyer's page links it");
});

fn zip_of(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<&[u8]>> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip")
}

/// The text of a PDF, if poppler's `pdftotext` is installed (CI requires it).
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("write");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

both!(a_case_file_carries_the_public_messages_of_its_threads_and_their_files, |app: TestApp| async move {
    if !font_installed() {
        eprintln!("skipping: no CJK font for the report");
        return;
    }
    use reqwest::multipart::{Form, Part};
    let (alice, amy) = (app.login("alice").await, app.login("amy").await);
    app.order("CF-2", "alice", 1000, 10_000, 4, Some((400, "third_party"))).await;
    let no = app.submitted(&alice, "CF-2", "60").await;
    let post = |path: String, token: String, form: Form| {
        let req = app.client.post(format!("{}{path}", app.base)).bearer_auth(token).multipart(form);
        async move {
            let r = req.send().await.expect("post");
            assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
        }
    };
    let png = Part::bytes(PNG.to_vec()).file_name("聊天.png").mime_str("image/png").expect("mime");
    post(
        format!("/api/v1/applications/{no}/messages"),
        alice.clone(),
        Form::new().text("body", "聊天截图").part("file", png),
    )
    .await;
    let r = app
        .post(&format!("/api/v1/applications/{no}/messages"), &amy, json!({"body": "内部：待核实", "internal": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let part = Part::bytes(pdf.to_vec()).file_name("合同.pdf").mime_str("application/pdf").expect("mime");
    let form = Form::new()
        .text("category", "refund_progress")
        .text("subject", "进度")
        .text("body", "审核到哪一步了")
        .text("application_no", no.clone())
        .part("file", part);
    let r = app.client.post(format!("{}/api/v1/tickets", app.base)).bearer_auth(&alice).multipart(form).send().await;
    let ticket: serde_json::Value = r.expect("open").json().await.expect("json");
    let tk = ticket["no"].as_str().expect("no").to_owned();
    for (body, internal) in [("正在审核，请稍候", false), ("内部：别透露审核人", true)] {
        let r = app
            .post(&format!("/api/v1/tickets/{tk}/messages"), &amy, json!({"body": body, "internal": internal}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    let (status, _, bytes) = fetch(&app, &alice, &format!("/api/v1/applications/{no}/case-file?lang=en")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let v = redress_casefile::verify(std::io::Cursor::new(&bytes)).expect("a case file");
    assert_eq!(v.mismatches, vec![], "it checks out");
    assert_eq!(v.proof.tickets, vec![tk.clone()]);
    // Both messages' files, each vouched for by its message's entry.
    let on_messages: Vec<_> =
        v.manifest.files.iter().filter_map(|f| f.message.as_ref().map(|m| (m, &f.path))).collect();
    assert_eq!(on_messages.len(), 2, "{:?}", v.manifest.files);
    assert_eq!((on_messages[0].0.thread.as_str(), on_messages[1].0.thread.as_str()), (no.as_str(), tk.as_str()));
    let mut zip = zip_of(&bytes);
    let mut got = Vec::new();
    zip.by_name(on_messages[0].1).expect("the file").read_to_end(&mut got).expect("read");
    assert_eq!(got, PNG);
    // Every message is chained; staff's notes are entries without their records.
    let messages: Vec<_> = v.proof.entries.iter().filter(|e| e.kind == "message").collect();
    assert!(messages.len() >= 5, "{messages:?}");
    for e in &messages {
        if let Some(r) = v.proof.records.get(&e.seq) {
            assert!(r.contains("\"message\""), "only public messages' records: {r}");
        }
    }
    assert!(messages.iter().any(|e| !v.proof.records.contains_key(&e.seq)), "a note's entry has no record");
    let mut report = Vec::new();
    zip.by_name("report.pdf").expect("report").read_to_end(&mut report).expect("read");
    if let Some(text) = pdf_text(&report) {
        for shown in ["聊天截图", "审核到哪一步了", "正在审核", "合同.pdf"] {
            assert!(text.contains(shown), "{shown} in the report");
        }
        for hidden in ["待核实", "别透露审核人"] {
            assert!(!text.contains(hidden), "a note in the report: {hidden}");
        }
    }
});
