//! Evidence uploads through the API: the bad-input table, the limits, who may upload and
//! download, and that a refusal leaves nothing behind.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A 1×1 PNG.
/// A 1×1 PNG with correct checksums (a decoder checks them).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x56, 0xC7, 0x2F,
    0x0D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const PDF_WITH_JS: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert('hi')) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A one-page PDF (200 × 100 pt) with a black box in its left half, that also asks to run
/// JavaScript when opened.
fn pdf_with_box_and_script() -> Vec<u8> {
    let content = b"0 0 0 rg 0 0 100 100 re f";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert('hi')) >> >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", content.len(), String::from_utf8_lossy(content)),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

const HTML: &[u8] = b"<!doctype html><html><script>alert(1)</script></html>";

/// What is tried, file name, declared type, bytes, expected status, expected code ("" when
/// accepted).
type Case = (&'static str, &'static str, &'static str, Vec<u8>, u16, &'static str);

pub struct Up {
    pub status: StatusCode,
    body: Value,
}

impl Up {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn upload(app: &TestApp, token: &str, no: &str, name: &str, mime: &str, bytes: Vec<u8>, kind: &str) -> Up {
    let part = Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).expect("mime");
    let form = Form::new().text("kind", kind.to_owned()).text("caption", "截图").part("file", part);
    let r = app
        .client
        .post(format!("{}/api/v1/applications/{no}/evidence", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    let text = r.text().await.expect("body");
    Up { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

pub async fn draft(app: &TestApp, token: &str, order: &str) -> String {
    app.order(order, "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let r = app
        .post("/api/v1/applications", token, json!({"order_no": order, "reason": "quantity_short", "amount": "1"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["no"].as_str().expect("no").to_owned()
}

/// Files in the evidence folder (the staging folder excluded).
fn stored_files(app: &TestApp) -> usize {
    let mut n = 0;
    let mut dirs = vec![app.evidence_root()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if !p.to_string_lossy().contains(".staging") {
                n += 1;
            }
        }
    }
    n
}

fn staging_empty(app: &TestApp) -> bool {
    std::fs::read_dir(app.evidence_root().join(".staging")).map(|d| d.count() == 0).unwrap_or(true)
}

both!(the_bad_input_table, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let no = draft(&app, &alice, "EV-1").await;
    let mut polyglot = vec![0xFF, 0xD8, 0xFF, 0xE0];
    polyglot.extend_from_slice(HTML);
    let cases: Vec<Case> = vec![
        ("a PNG", "shot.png", "image/png", PNG.to_vec(), 201, ""),
        ("a PNG renamed .pdf", "shot.pdf", "application/pdf", PNG.to_vec(), 422, "evidence-extension-mismatch"),
        ("HTML renamed .jpg", "x.jpg", "image/jpeg", HTML.to_vec(), 422, "evidence-type-unsupported"),
        ("a PNG declared as HTML", "shot.png", "text/html", PNG.to_vec(), 422, "evidence-declared-type-mismatch"),
        // The bytes start as a JPEG but do not end as one.
        ("a JPEG/HTML polyglot", "poly.jpg", "image/jpeg", polyglot, 422, "evidence-incomplete"),
        ("a truncated PNG", "cut.png", "image/png", PNG[..PNG.len() - 6].to_vec(), 422, "evidence-incomplete"),
        // Evidence; never rendered as active content (see the download test).
        ("a PDF with JavaScript", "contract.pdf", "application/pdf", PDF_WITH_JS.to_vec(), 201, ""),
        ("a zero-byte file", "empty.png", "image/png", vec![], 422, "evidence-empty"),
        ("a name of only ../", "../", "image/png", PNG.to_vec(), 422, "evidence-name-empty"),
    ];
    for (what, name, mime, bytes, status, code) in cases {
        let r = upload(&app, &alice, &no, name, mime, bytes, "delivery_progress").await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.body);
        if !code.is_empty() {
            assert_eq!(r.code(), code, "{what}");
            assert!(!r.body["message"].as_str().unwrap_or("").is_empty(), "{what}: a message");
        }
        assert!(staging_empty(&app), "{what}: nothing left in staging");
    }
    // Names are cleaned, never refused for being odd.
    let long = format!("{}.png", "长".repeat(300));
    for (raw, kept) in [
        ("../../etc/passwd.png", "passwd.png".to_owned()),
        ("invoice\u{202E}gnp.png", "invoicegnp.png".to_owned()),
        (long.as_str(), format!("{}.png", "长".repeat(116))),
    ] {
        let r = upload(&app, &alice, &no, raw, "image/png", PNG.to_vec(), "other").await;
        assert_eq!(r.status, StatusCode::CREATED, "{raw:?}: {}", r.body);
        assert_eq!(r.body["filename"], kept.as_str(), "{raw:?}");
    }
    // A JPEG that ends properly but carries HTML inside (a comment segment) is kept as a
    // JPEG: it is only ever served as an attachment with nosniff and a sandboxing policy, so
    // the HTML never runs.
    let mut inner = vec![0xFF, 0xD8, 0xFF, 0xFE];
    inner.extend_from_slice(&(HTML.len() as u16 + 2).to_be_bytes());
    inner.extend_from_slice(HTML);
    inner.extend_from_slice(&[0xFF, 0xD9]);
    let r = upload(&app, &alice, &no, "inner.jpg", "image/jpeg", inner.clone(), "other").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Bytes after an image's end — a phone's motion-photo video after a JPEG, padding after a
    // PNG — are accepted and kept exactly as uploaded; an image cut short still is not.
    let mut motion = inner.clone();
    motion.extend_from_slice(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom");
    motion.extend((0..40_000u32).map(|i| (i % 251) as u8));
    let mut padded = PNG.to_vec();
    padded.extend_from_slice(&[0; 4096]);
    for (name, mime, bytes) in [("motion.jpg", "image/jpeg", motion), ("padded.png", "image/png", padded)] {
        let r = upload(&app, &alice, &no, name, mime, bytes.clone(), "other").await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
        let href = r.body["href"].as_str().expect("href");
        let got = app.client.get(format!("{}{href}", app.base)).bearer_auth(&alice).send().await.expect("download");
        assert!(got.headers()["content-disposition"].to_str().unwrap_or("").starts_with("attachment;"));
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice(), "{name}: stored as uploaded");
    }
    let r = upload(&app, &alice, &no, "cut.jpg", "image/jpeg", inner[..inner.len() - 1].to_vec(), "other").await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "evidence-incomplete"));
    // A NUL cannot travel in a multipart header: the upload is refused as unreadable, whole.
    let r = upload(&app, &alice, &no, "a\u{0}b.png", "image/png", PNG.to_vec(), "other").await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "multipart-malformed"));
    assert!(staging_empty(&app));
    // Eight accepted so far; the same PNG bytes are stored once.
    let list = app.get(&format!("/api/v1/applications/{no}/evidence"), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(8));
    assert_eq!(
        stored_files(&app),
        5,
        "PNG, the HTML-carrying JPEG, PDF, motion photo, padded PNG: one file per content"
    );

    // The limit of 20 files per application.
    for i in 8..20 {
        let r = upload(&app, &alice, &no, &format!("s{i}.png"), "image/png", PNG.to_vec(), "other").await;
        assert_eq!(r.status, StatusCode::CREATED, "file {i}: {}", r.body);
    }
    let r = upload(&app, &alice, &no, "s21.png", "image/png", PNG.to_vec(), "other").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "evidence-too-many"));

    // Kind is required and checked.
    let other = draft(&app, &alice, "EV-2").await;
    let r = upload(&app, &alice, &other, "a.png", "image/png", PNG.to_vec(), "selfie").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "evidence-kind-unknown"));
});

both!(size_limit_is_enforced_while_streaming_and_leaves_nothing, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let no = draft(&app, &alice, "EV-3").await;
    // A PNG and padding after its end, `size` bytes in all.
    let padded = |size: usize| {
        // A PNG, then padding after its end (kept as uploaded).
        let mut v = PNG.to_vec();
        v.resize(size, 0);
        v
    };
    let big = padded(5 * 1024 * 1024 + 1);
    let r = upload(&app, &alice, &no, "big.png", "image/png", big, "other").await;
    assert_eq!((r.status, r.code()), (StatusCode::PAYLOAD_TOO_LARGE, "evidence-too-large"), "{}", r.body);
    assert!(r.body["message"].as_str().unwrap_or("").contains("5.0 MB"), "{}", r.body);
    let exact = padded(5 * 1024 * 1024);
    let r = upload(&app, &alice, &no, "exact.png", "image/png", exact, "other").await;
    assert_eq!(r.status, StatusCode::CREATED, "exactly 5 MB is fine");
    assert!(staging_empty(&app));
    assert_eq!(stored_files(&app), 1);
    let list = app.get(&format!("/api/v1/applications/{no}/evidence"), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
});

both!(only_the_owner_uploads_and_only_while_the_application_is_open, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let rita = app.login("rita").await;
    let no = draft(&app, &alice, "EV-4").await;
    let r = upload(&app, &bob, &no, "a.png", "image/png", PNG.to_vec(), "other").await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not-found"));
    let r = upload(&app, &alice, &no, "a.png", "image/png", PNG.to_vec(), "payment_record").await;
    assert_eq!(r.status, StatusCode::CREATED);
    let href = r.body["href"].as_str().expect("href").to_owned();
    // Submitting numbers the application; its files stay with it, and the draft's address
    // still finds them.
    let s = app.post(&format!("/api/v1/applications/{no}/submit"), &alice, json!({})).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let submitted = s.body["no"].as_str().expect("no").to_owned();
    assert!(no.starts_with("DR-") && submitted.starts_with("RF-") && no != submitted, "{no} → {submitted}");
    let by_draft_id = app.get(&format!("/api/v1/applications/{no}/evidence"), &alice).await;
    assert_eq!(by_draft_id.body.as_array().map(Vec::len), Some(1), "{}", by_draft_id.body);
    let r = app.client.get(format!("{}{href}", app.base)).bearer_auth(&alice).send().await.expect("download");
    assert_eq!(r.status(), StatusCode::OK, "the draft's file link still works");
    let list = app.get(&format!("/api/v1/applications/{submitted}/evidence"), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "the snapshot is not taken in the request");
    assert_eq!(app.take_snapshots().await, 1);
    let list = app.get(&format!("/api/v1/applications/{submitted}/evidence"), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(2), "{}", list.body);
    assert_eq!(app.take_snapshots().await, 0, "nothing waits for a snapshot any more");
    // Marked as waiting by hand (a restore that kept an old flag): the next pass finds the
    // snapshot there, attaches none, and it waits no more.
    app.store.execute_unchecked("UPDATE applications SET snapshot_pending = 1").await.expect("mark");
    assert_eq!(app.take_snapshots().await, 1);
    assert_eq!(app.take_snapshots().await, 0);
    let again = app.get(&format!("/api/v1/applications/{submitted}/evidence"), &alice).await;
    assert_eq!(again.body.as_array().map(Vec::len), Some(2), "{}", again.body);
    assert_eq!(list.body[0]["system"], false);
    // Redress's own snapshot of the submission.
    let snap = &list.body[1];
    assert_eq!((snap["system"].as_bool(), snap["media_type"].as_str()), (Some(true), Some("application/json")));
    let r = app
        .client
        .get(format!("{}{}", app.base, snap["href"].as_str().unwrap_or("")))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("snapshot");
    let snapshot: Value = r.json().await.expect("json");
    assert_eq!(snapshot["application_no"], submitted.as_str());
    assert_eq!(snapshot["order"]["no"], "EV-4");
    assert_eq!(snapshot["policy"]["version"], 1);
    assert!(snapshot["policy"]["clauses"].as_array().is_some_and(|c| !c.is_empty()), "{snapshot}");
    assert!(snapshot["policy"]["accepted_at"].is_string(), "{snapshot}");
    assert_eq!(snapshot["delivery_ledger"][0]["delivered"], 600);
    assert_eq!(snapshot["delivery_ledger"][0]["source"], "third_party");
    let href = list.body[0]["href"].as_str().unwrap_or(&href).to_owned();
    // Download: the owner and staff, as an attachment that cannot run anything.
    for token in [&alice, &rita] {
        let r = app.client.get(format!("{}{href}", app.base)).bearer_auth(token).send().await.expect("download");
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "image/png");
        assert!(h["content-disposition"].to_str().unwrap_or("").starts_with("attachment;"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-security-policy"].to_str().unwrap_or("").contains("sandbox"));
        assert_eq!(r.bytes().await.expect("bytes").as_ref(), PNG);
    }
    let r = app.client.get(format!("{}{href}", app.base)).bearer_auth(&bob).send().await.expect("download");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Decided: no more files.
    app.post(&format!("/api/v1/review/applications/{submitted}/claim"), &rita, json!({})).await;
    let d = app
        .post(&format!("/api/v1/review/applications/{submitted}/reject"), &rita, json!({"code": "other", "text": "no"}))
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let r = upload(&app, &alice, &submitted, "b.png", "image/png", PNG.to_vec(), "other").await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "evidence-closed"));
});

both!(a_discarded_drafts_files_are_removed, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let keep = draft(&app, &alice, "EV-5").await;
    let discard = draft(&app, &alice, "EV-6").await;
    assert_eq!(upload(&app, &alice, &keep, "a.png", "image/png", PNG.to_vec(), "other").await.status, 201);
    assert_eq!(upload(&app, &alice, &discard, "a.png", "image/png", PNG.to_vec(), "other").await.status, 201);
    let r = app.post(&format!("/api/v1/applications/{discard}/evidence"), &alice, json!({})).await;
    assert_ne!(r.status, StatusCode::CREATED, "JSON is not an upload");
    assert_eq!(
        upload(&app, &alice, &discard, "c.pdf", "application/pdf", PDF_WITH_JS.to_vec(), "other").await.status,
        201
    );
    assert_eq!(stored_files(&app), 2);
    let r = app.call(reqwest::Method::DELETE, &format!("/api/v1/applications/{discard}"), Some(&alice), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(stored_files(&app), 1, "the PDF went; the PNG another draft holds stayed");
});

both!(snapshots_are_taken_once_even_for_submissions_made_elsewhere, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let no = draft(&app, &alice, "EV-7").await;
    // Submitted outside the web layer (as the demo does), long ago.
    let user = app.user("alice").await;
    let when = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(50);
    let no = redress_domain::ids::ApplicationRef::parse(&no).expect("no");
    let a = app.at(when).submit(&no, &user).await.expect("submit");
    let list = app.get(&format!("/api/v1/applications/{}/evidence", a.reference()), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(0));
    let take = |since| app.state.app.take_snapshots(since);
    let recent = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_mins(10));
    assert_eq!(take(recent).await.ok(), Some(0), "older than the window");
    assert_eq!(take(None).await.ok(), Some(1));
    assert_eq!(take(None).await.ok(), Some(0), "once");
    let list = app.get(&format!("/api/v1/applications/{}/evidence", a.reference()), &alice).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.body);
    assert_eq!(list.body[0]["system"], true);
});

both!(a_pass_of_snapshots_is_one_transaction_where_each_stands_alone, |app: TestApp| async move {
    use redress_domain::evidence::{EvidenceKind, MediaType};
    use redress_store::EvidenceFile;
    let alice = app.login("alice").await;
    let user = app.user("alice").await;
    let mut nos = Vec::new();
    for order in ["EV-8", "EV-9", "EV-10"] {
        let no = redress_domain::ids::ApplicationRef::parse(&draft(&app, &alice, order).await).expect("no");
        nos.push(app.state.app.submit(&no, &user).await.expect("submit"));
    }
    let file = |n: u8| EvidenceFile {
        sha256: format!("{n:02x}").repeat(32),
        size: 10,
        media_type: MediaType::Json,
        kind: EvidenceKind::Other,
        caption: String::new(),
        filename: format!("snapshot-{n}.json"),
    };
    let now = jiff::Timestamp::now();
    let first = app.store.add_system_evidence_batch(vec![(nos[0].id.clone(), file(1))], now).await.expect("batch");
    assert!(first[0].is_ok(), "{first:?}");
    // Another instance attached the first one's already: that one is refused, the others stand.
    let items = vec![(nos[1].id.clone(), file(2)), (nos[0].id.clone(), file(3)), (nos[2].id.clone(), file(4))];
    let done = app.store.add_system_evidence_batch(items, now).await.expect("batch");
    assert!(done[0].is_ok() && done[2].is_ok(), "{done:?}");
    assert!(matches!(done[1], Err(redress_store::StoreError::Exists(_))), "{done:?}");
    for (a, expected) in [(&nos[0], "snapshot-1.json"), (&nos[1], "snapshot-2.json"), (&nos[2], "snapshot-4.json")] {
        let no = a.reference();
        let list = app.get(&format!("/api/v1/applications/{no}/evidence"), &alice).await;
        assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.body);
        assert_eq!(list.body[0]["filename"], expected, "{}", list.body);
    }
});

both!(images_and_pdfs_are_previewed_only_as_pixels_redress_drew, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let rita = app.login("rita").await;
    let no = draft(&app, &alice, "EV-8").await;
    let png = upload(&app, &alice, &no, "shot.png", "image/png", PNG.to_vec(), "delivery_progress").await;
    let mut inner = vec![0xFF, 0xD8, 0xFF, 0xFE];
    inner.extend_from_slice(&(HTML.len() as u16 + 2).to_be_bytes());
    inner.extend_from_slice(HTML);
    inner.extend_from_slice(&[0xFF, 0xD9]);
    let jpeg = upload(&app, &alice, &no, "inner.jpg", "image/jpeg", inner, "other").await;
    let pdf = upload(&app, &alice, &no, "c.pdf", "application/pdf", pdf_with_box_and_script(), "other").await;
    let blank = upload(&app, &alice, &no, "d.pdf", "application/pdf", PDF_WITH_JS.to_vec(), "other").await;
    let id = |u: &Up| u.body["id"].as_str().expect("id").to_owned();
    let (png, jpeg, pdf, blank) = (id(&png), id(&jpeg), id(&pdf), id(&blank));
    let get = |path: String, token: String, etag: Option<String>| {
        let mut req =
            app.client.get(format!("{}{path}", app.base)).header("cookie", format!("redress_session={token}"));
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        async move { req.send().await.expect("get") }
    };
    // The buyer's page shows the image's thumbnail, linked to its preview.
    let page = get(format!("/applications/{no}/edit"), alice.clone(), None).await.text().await.expect("html");
    assert!(page.contains(&format!("/applications/{no}/files/{png}/thumb")), "{page}");
    assert!(page.contains(&format!("/files/{pdf}/thumb")), "{page}");

    let r = get(format!("/applications/{no}/files/{png}/thumb"), alice.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["content-disposition"], "inline");
    assert!(h["content-security-policy"].to_str().unwrap_or("").contains("sandbox"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    let body = r.bytes().await.expect("bytes");
    assert!(body.starts_with(b"\x89PNG"), "a PNG");
    // Unchanged content: the browser's copy is good.
    let etag = h["etag"].to_str().expect("etag").to_owned();
    let r = get(format!("/applications/{no}/files/{png}/thumb"), alice.clone(), Some(etag)).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // The JPEG with HTML inside is not a decodable image: no preview, nothing of it served inline.
    let r = get(format!("/applications/{no}/files/{jpeg}/preview"), alice.clone(), None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text().await.expect("text").contains("<script>"));
    // A PDF's first page, drawn by Redress as a PNG; the JavaScript it asks for never runs
    // (the renderer has none) and the PDF itself is never served inline.
    let r = get(format!("/applications/{no}/files/{pdf}/thumb"), alice.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["content-security-policy"].to_str().unwrap_or("").contains("sandbox"));
    let img = image::load_from_memory(&r.bytes().await.expect("bytes")).expect("a PNG").to_rgb8();
    assert_eq!((img.width(), img.height()), (240, 120), "the page's shape, fitted to 240 px");
    assert!(img.get_pixel(40, 60).0.iter().all(|c| *c < 40), "the box is drawn");
    assert!(img.get_pixel(200, 60).0.iter().all(|c| *c > 215), "the rest is white");
    // A PDF without a page has no preview: the download link stays.
    let r = get(format!("/applications/{no}/files/{blank}/preview"), alice.clone(), None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // No previews of other buyers' files, or under another name.
    for (path, token) in [
        (format!("/applications/{no}/files/{png}/preview"), &bob),
        (format!("/applications/{no}/files/{png}/original"), &alice),
    ] {
        let r = get(path.clone(), token.clone(), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Staff see it on the desk once it is submitted.
    let s = app.post(&format!("/api/v1/applications/{no}/submit"), &alice, json!({})).await;
    let submitted = s.body["no"].as_str().expect("no").to_owned();
    let r = get(format!("/desk/{submitted}/files/{png}/preview"), rita.clone(), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.expect("bytes").starts_with(b"\x89PNG"));
});

both!(discarding_a_draft_never_takes_bytes_another_upload_is_attaching, |app: TestApp| async move {
    let alice = app.login("alice").await;
    let keep = draft(&app, &alice, "EV-9").await;
    // Six rounds: the kept draft ends with six files, under the limit.
    for round in 0..6 {
        let order = format!("EV-R{round}");
        let discard = draft(&app, &alice, &order).await;
        assert_eq!(upload(&app, &alice, &discard, "a.png", "image/png", PNG.to_vec(), "other").await.status, 201);
        // The same bytes arrive on another draft while the first is discarded.
        let path = format!("/api/v1/applications/{discard}");
        let delete = app.call(reqwest::Method::DELETE, &path, Some(&alice), None);
        let attach = upload(&app, &alice, &keep, "b.png", "image/png", PNG.to_vec(), "other");
        let (deleted, attached) = tokio::join!(delete, attach);
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.body);
        // Every file an application holds is still there to download.
        let list = app.get(&format!("/api/v1/applications/{keep}/evidence"), &alice).await;
        for item in list.body.as_array().expect("list") {
            let href = item["href"].as_str().expect("href");
            let r = app.client.get(format!("{}{href}", app.base)).bearer_auth(&alice).send().await.expect("get");
            assert_eq!(r.status(), StatusCode::OK, "round {round}: {href} lost its bytes");
        }
    }
});
