//! Files on messages over the API: a ticket opened and answered with files, an application's
//! thread carrying one, an information request answered with a file (it becomes evidence);
//! the bytes checked as evidence's are, and a file seen only by those who see its message
//! (another buyer, a buyer and a staff note, a redacted message).

use crate::both;
use crate::evidence::PNG;
use crate::helpers::{Resp, TestApp};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const HTML: &[u8] = b"<!doctype html><html><script>alert(1)</script></html>";

fn file(name: &str, mime: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name(name.to_owned()).mime_str(mime).expect("mime")
}

/// Posts `form` as multipart to `path`.
async fn post_form(app: &TestApp, path: &str, token: &str, form: Form) -> Resp {
    let r =
        app.client.post(format!("{}{path}", app.base)).bearer_auth(token).multipart(form).send().await.expect("post");
    let status = r.status();
    let text = r.text().await.expect("body");
    Resp { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

/// Downloads `url` (a file's): status and bytes.
async fn download(app: &TestApp, url: &str, token: &str) -> (StatusCode, Vec<u8>, String) {
    let r = app.client.get(format!("{}{url}", app.base)).bearer_auth(token).send().await.expect("get");
    let status = r.status();
    let disposition = r.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (status, r.bytes().await.expect("bytes").to_vec(), disposition)
}

fn messages(detail: &Value) -> Vec<Value> {
    detail["messages"]["items"].as_array().cloned().unwrap_or_default()
}

both!(files_travel_on_ticket_messages_and_stay_with_who_sees_them, |app: TestApp| async move {
    crate::tickets::admin(&app, "root").await;
    let (alice, bob, amy, root) =
        (app.login("alice").await, app.login("bob").await, app.login("amy").await, app.login("root").await);
    let form = Form::new()
        .text("category", "evidence_question")
        .text("subject", "截图可以吗？")
        .text("body", "附上两张截图")
        .part("file", file("进度.png", "image/png", PNG))
        .part("file", file("合同.pdf", "application/pdf", PDF));
    let r = post_form(&app, "/api/v1/tickets", &alice, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.body["no"].as_str().expect("no").to_owned();
    let detail = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
    let first = &messages(&detail)[0];
    let files = first["files"].as_array().expect("files");
    assert_eq!(
        files.iter().map(|f| (f["filename"].as_str(), f["media_type"].as_str())).collect::<Vec<_>>(),
        [(Some("进度.png"), Some("image/png")), (Some("合同.pdf"), Some("application/pdf"))]
    );
    let png_url = files[0]["url"].as_str().expect("url").to_owned();
    let (status, bytes, disposition) = download(&app, &png_url, &alice).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PNG));
    assert!(disposition.starts_with("attachment;"), "{disposition}");

    // Another buyer: the file, the ticket and a post to it are all not found, nothing written.
    assert_eq!(download(&app, &png_url, &bob).await.0, StatusCode::NOT_FOUND);
    let form = Form::new().text("body", "x").part("file", file("a.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &bob, form).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // A file on a staff note is staff's: the buyer neither sees nor downloads it.
    let form = Form::new()
        .text("body", "内部：渠道回单")
        .text("internal", "true")
        .part("file", file("回单.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &amy, form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let staff = app.get(&format!("/api/v1/tickets/{no}"), &amy).await.body;
    let note = messages(&staff).into_iter().find(|m| m["kind"] == "note").expect("the note");
    let note_url = note["files"][0]["url"].as_str().expect("url").to_owned();
    assert_eq!(download(&app, &note_url, &amy).await.0, StatusCode::OK);
    assert_eq!(download(&app, &note_url, &alice).await.0, StatusCode::NOT_FOUND);
    let theirs = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
    assert!(messages(&theirs).iter().all(|m| m["kind"] != "note"));

    // Bytes that are not what they claim, or too many files: refused, nothing written.
    let before = app.get(&format!("/api/v1/tickets/{no}"), &amy).await.body;
    let form = Form::new().text("body", "看这个").part("file", file("x.png", "image/png", HTML));
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &alice, form).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "evidence-type-unsupported"), "{}", r.body);
    let mut form = Form::new().text("body", "四个文件");
    for i in 0..4 {
        form = form.part("file", file(&format!("{i}.png"), "image/png", PNG));
    }
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &alice, form).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "files-too-many"), "{}", r.body);
    let form = Form::new().text("body", "x").text("colour", "red");
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &alice, form).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "multipart-field-unknown"), "{}", r.body);
    let after = app.get(&format!("/api/v1/tickets/{no}"), &amy).await.body;
    assert_eq!(messages(&after).len(), messages(&before).len());
    assert_eq!(after["ticket"]["version"], before["ticket"]["version"]);

    // Staff answer; the buyer answers back with a file: the same turn as a message without one.
    let r = app.post(&format!("/api/v1/tickets/{no}/messages"), &amy, json!({"body": "收到，请再发一张"})).await;
    assert_eq!(r.body["state"], "waiting_on_buyer", "{}", r.body);
    let form = Form::new().text("body", "补充一张").part("file", file("补充.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/tickets/{no}/messages"), &alice, form).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("waiting_on_staff")), "{}", r.body);

    // Every message is in the audit chain, its files named in its record.
    let now = jiff::Timestamp::now();
    app.store.chain_pending(now, redress_store::ChainPace::CatchUp).await.expect("chain");
    let verified = app.store.verify_audit().await.expect("verify");
    assert_eq!((verified.broken.clone(), verified.pending), (None, 0), "{verified:?}");

    // Redacted (a posted ID card): its files go with its text; the chain still verifies, as
    // the record holds the text's digest, which stays.
    let r = app.post(&format!("/api/v1/tickets/{no}/messages/1/redact"), &root, json!({"reason": "身份证照片"})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(download(&app, &png_url, &alice).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&app, &png_url, &amy).await.0, StatusCode::NOT_FOUND);
    let theirs = app.get(&format!("/api/v1/tickets/{no}"), &alice).await.body;
    assert_eq!(messages(&theirs)[0]["files"], json!([]));
    let after = app.store.verify_audit().await.expect("verify");
    assert_eq!((after.broken, after.verified), (None, verified.verified), "a redaction keeps the chain whole");
    // Changing what a chained message names (its text's digest, its files) is detected.
    app.store
        .execute_unchecked(&format!("UPDATE messages SET files = '' WHERE thread = '{no}' AND seq = 1"))
        .await
        .expect("tamper");
    let tampered = app.store.verify_audit().await.expect("verify");
    assert!(tampered.broken.is_some(), "{tampered:?}");
});

both!(an_information_request_is_answered_with_a_file_that_becomes_evidence, |app: TestApp| async move {
    let (alice, rita) = (app.login("alice").await, app.login("rita").await);
    app.order("O-AT1", "alice", 1000, 10_000, 4, Some((400, "third_party"))).await;
    let no = app.submitted(&alice, "O-AT1", "60").await;
    let base = format!("/api/v1/review/applications/{no}");
    let r = app.post(&format!("{base}/claim"), &rita, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.post(&format!("{base}/request-info"), &rita, json!({"message": "请上传聊天记录"})).await;
    assert_eq!(r.body["state"], "info_requested", "{}", r.body);
    let evidence = async || app.get(&format!("/api/v1/applications/{no}/evidence"), &alice).await.body;
    let held = evidence().await.as_array().map(Vec::len).unwrap_or(0);

    // An answer that fails (no text) attaches nothing.
    let form = Form::new().text("message", " ").part("file", file("chat.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/applications/{no}/supplement"), &alice, form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(evidence().await.as_array().map(Vec::len).unwrap_or(0), held);

    let form = Form::new()
        .text("message", "聊天记录见附件")
        .text("kind", "chat_log")
        .part("file", file("chat.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/applications/{no}/supplement"), &alice, form).await;
    assert_eq!(
        (r.status, r.body["state"].as_str(), r.body["reviewer"].as_str()),
        (StatusCode::OK, Some("in_review"), Some("rita")),
        "{}",
        r.body
    );
    let files = evidence().await;
    let files = files.as_array().expect("evidence");
    assert_eq!(files.len(), held + 1);
    let added = files.last().expect("the answer's file");
    assert_eq!((added["kind"].as_str(), added["filename"].as_str()), (Some("chat_log"), Some("chat.png")));
});

both!(an_application_thread_carries_files, |app: TestApp| async move {
    let (alice, bob, amy) = (app.login("alice").await, app.login("bob").await, app.login("amy").await);
    app.order("O-AT2", "alice", 1000, 10_000, 4, Some((400, "platform"))).await;
    let no = app.submitted(&alice, "O-AT2", "60").await;
    let form = Form::new().text("body", "付款截图").part("file", file("pay.png", "image/png", PNG));
    let r = post_form(&app, &format!("/api/v1/applications/{no}/messages"), &alice, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let thread = app.get(&format!("/api/v1/applications/{no}/messages"), &amy).await.body;
    let url = thread["items"][0]["files"][0]["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with(&format!("/api/v1/applications/{no}/message-files/")), "{url}");
    assert_eq!(download(&app, &url, &amy).await.0, StatusCode::OK);
    assert_eq!(download(&app, &url, &alice).await.1, PNG);
    assert_eq!(download(&app, &url, &bob).await.0, StatusCode::NOT_FOUND);
    // JSON still works alone.
    let r = app.post(&format!("/api/v1/applications/{no}/messages"), &alice, json!({"body": "还有一句"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
});
