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
