//! The audit chain on both databases: built from the timeline, intact when untouched, and
//! broken exactly where someone with database access edits, deletes or reorders a row.

use crate::both;
use crate::helpers::TestApp;
use jiff::Timestamp;
use redress_store::AuditReport;
use serde_json::json;

/// Three applications with a few decisions each; returns the number of records to chain:
/// per application three timeline events and the system snapshot taken at submission.
async fn history(app: &TestApp) -> i64 {
    let alice = app.login("alice").await;
    let rita = app.login("rita").await;
    for i in 0..3 {
        let order = format!("AU-{i}");
        app.order(&order, "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
        let no = app.submitted(&alice, &order, "10").await;
        let r = app.post(&format!("/api/v1/review/applications/{no}/claim"), &rita, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app.post(&format!("/api/v1/review/applications/{no}/approve"), &rita, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(app.take_snapshots().await, 3);
    12
}

async fn verify(app: &TestApp) -> AuditReport {
    app.store.verify_audit().await.expect("verify")
}

async fn sql(app: &TestApp, statements: &[&str]) {
    for s in statements {
        app.store.execute_unchecked(s).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

both!(tampering_with_chained_rows_is_detected_where_it_happens, |app: TestApp| async move {
    let events = history(&app).await;
    assert_eq!(verify(&app).await.pending, events, "nothing chained before the chainer runs");
    assert_eq!(app.run("audit").await as i64, events);
    assert_eq!(app.run("audit").await, 0, "each event once");
    let intact = verify(&app).await;
    assert_eq!((intact.verified, intact.broken.clone(), intact.pending), (events, None, 0));

    // Each attack, then its undo; the chain must be intact again after each undo.
    let subject = |seq: i64| format!("(SELECT subject FROM audit_log WHERE seq = {seq})");
    let ref_seq = |seq: i64| format!("(SELECT ref_seq FROM audit_log WHERE seq = {seq})");
    let event_at = |seq: i64| format!("application_no = {} AND seq = {}", subject(seq), ref_seq(seq));
    let attacks: Vec<(&str, i64, Vec<String>, Vec<String>)> = vec![
        (
            "edit a timeline event",
            4,
            vec![format!("UPDATE application_events SET body = body || ' ' WHERE {}", event_at(4))],
            vec![format!(
                "UPDATE application_events SET body = substr(body, 1, length(body) - 1) WHERE {}",
                event_at(4)
            )],
        ),
        (
            "delete a timeline event",
            5,
            vec![
                format!("CREATE TABLE saved_event AS SELECT * FROM application_events WHERE {}", event_at(5)),
                format!("DELETE FROM application_events WHERE {}", event_at(5)),
            ],
            vec![
                "INSERT INTO application_events SELECT * FROM saved_event".to_owned(),
                "DROP TABLE saved_event".to_owned(),
            ],
        ),
        (
            "delete an audit entry",
            6,
            vec![
                "CREATE TABLE saved_entry AS SELECT * FROM audit_log WHERE seq = 6".to_owned(),
                "DELETE FROM audit_log WHERE seq = 6".to_owned(),
            ],
            vec!["INSERT INTO audit_log SELECT * FROM saved_entry".to_owned(), "DROP TABLE saved_entry".to_owned()],
        ),
        (
            "swap two audit entries",
            2,
            vec![
                "UPDATE audit_log SET seq = -1 WHERE seq = 2".to_owned(),
                "UPDATE audit_log SET seq = 2 WHERE seq = 3".to_owned(),
                "UPDATE audit_log SET seq = 3 WHERE seq = -1".to_owned(),
            ],
            vec![
                "UPDATE audit_log SET seq = -1 WHERE seq = 2".to_owned(),
                "UPDATE audit_log SET seq = 2 WHERE seq = 3".to_owned(),
                "UPDATE audit_log SET seq = 3 WHERE seq = -1".to_owned(),
            ],
        ),
        (
            "edit an audit entry",
            7,
            vec!["UPDATE audit_log SET at = at + 1 WHERE seq = 7".to_owned()],
            vec!["UPDATE audit_log SET at = at - 1 WHERE seq = 7".to_owned()],
        ),
        (
            "edit the first entry's link",
            1,
            vec![format!("UPDATE audit_log SET prev_hash = '{}' WHERE seq = 1", "f".repeat(64))],
            vec![format!("UPDATE audit_log SET prev_hash = '{}' WHERE seq = 1", "0".repeat(64))],
        ),
    ];
    for (what, at, attack, undo) in attacks {
        sql(&app, &attack.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let r = verify(&app).await;
        let broken = r.broken.as_ref().map(|(seq, _)| *seq);
        assert_eq!(broken, Some(at), "{what}: {r:?}");
        assert_eq!(r.verified, at - 1, "{what}: everything before the break verifies");
        sql(&app, &undo.iter().map(String::as_str).collect::<Vec<_>>()).await;
        assert_eq!(verify(&app).await, intact, "{what}: undone");
    }
});

both!(concurrent_chainers_never_fork_the_chain, |app: TestApp| async move {
    let alice = app.login("alice").await;
    for i in 0..12 {
        app.order(&format!("CC-{i}"), "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    }
    // Drafts getting files, submissions and chainers at the same time: a draft's file is
    // parked while chainers run and must still be chained once its draft is submitted.
    let mut tasks = vec![];
    for i in 0..12 {
        let (base, token) = (app.base.clone(), alice.clone());
        let client = app.client.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/applications"))
                .bearer_auth(&token)
                .json(&json!({"order_no": format!("CC-{i}"), "reason": "quantity_short", "amount": "1"}))
                .send()
                .await
                .expect("draft");
            let body: serde_json::Value = r.json().await.expect("json");
            let no = body["no"].as_str().expect("no").to_owned();
            let part = reqwest::multipart::Part::bytes(crate::evidence::PNG.to_vec())
                .file_name("a.png")
                .mime_str("image/png")
                .expect("mime");
            let form = reqwest::multipart::Form::new().text("kind", "chat_log").part("file", part);
            let r = client
                .post(format!("{base}/api/v1/applications/{no}/evidence"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), 201);
            let r = client
                .post(format!("{base}/api/v1/applications/{no}/submit"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("submit");
            assert_eq!(r.status(), 200);
        }));
    }
    for _ in 0..6 {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                store.chain_pending(Timestamp::now(), redress_store::ChainPace::CatchUp).await.expect("chain");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(app.take_snapshots().await, 12);
    app.run("audit").await;
    let r = verify(&app).await;
    assert_eq!((r.verified, r.broken, r.pending), (36, None, 0), "12 submissions, their files and snapshots");
});

both!(evidence_is_chained_once_submitted_and_its_rows_are_guarded, |app: TestApp| async move {
    use crate::evidence::{PNG, upload};
    let alice = app.login("alice").await;
    app.order("AE-1", "alice", 1000, 10000, 5, Some((600, "third_party"))).await;
    let r = app
        .post("/api/v1/applications", &alice, json!({"order_no": "AE-1", "reason": "quantity_short", "amount": "1"}))
        .await;
    let draft = r.body["no"].as_str().expect("no").to_owned();
    assert_eq!(upload(&app, &alice, &draft, "a.png", "image/png", PNG.to_vec(), "chat_log").await.status, 201);
    // A file that reached the table by another path (a restore, a hand-written import), which
    // knows nothing of the chain: it waits, and the chainer parks it as a draft's.
    sql(
        &app,
        &["INSERT INTO evidence (id, application_id, seq, sha256, size, media_type, kind, caption, filename,
               uploaded_by, uploaded_at, source)
           SELECT 'EVSTRAY', application_id, 2, sha256, size, media_type, kind, caption, 'restored.png',
               uploaded_by, uploaded_at + 1, source FROM evidence WHERE seq = 1"],
    )
    .await;
    assert_eq!(verify(&app).await.pending, 1, "the restored file waits");
    app.run("audit").await;
    let r = verify(&app).await;
    assert_eq!((r.verified, r.pending), (0, 0), "a draft's files wait for the submission");

    let s = app.post(&format!("/api/v1/applications/{draft}/submit"), &alice, json!({})).await;
    assert_eq!(s.status, 200, "{}", s.body);
    let no = s.body["no"].as_str().expect("no").to_owned();
    assert_eq!(upload(&app, &alice, &no, "b.png", "image/png", PNG.to_vec(), "payment_record").await.status, 201);
    assert_eq!(verify(&app).await.pending, 4, "the submission and three files");
    assert_eq!(app.take_snapshots().await, 1);
    assert_eq!(verify(&app).await.pending, 5, "and the snapshot");
    app.run("audit").await;
    let intact = verify(&app).await;
    assert_eq!((intact.verified, intact.broken.clone(), intact.pending), (5, None, 0));

    // A timeline event restored by hand is chained like any other.
    sql(
        &app,
        &["INSERT INTO application_events (application_no, seq, at, kind, actor, actor_role, from_state, to_state, body)
           SELECT application_no, 99, at, kind, actor, actor_role, from_state, to_state, body
           FROM application_events WHERE seq = 1"],
    )
    .await;
    assert_eq!(verify(&app).await.pending, 1);
    app.run("audit").await;
    let intact = verify(&app).await;
    assert_eq!((intact.verified, intact.broken.clone(), intact.pending), (6, None, 0));

    // Editing an evidence row's caption, or pointing it at other bytes, is detected.
    for (attack, undo) in [
        (
            "UPDATE evidence SET caption = caption || 'x' WHERE seq = 1",
            "UPDATE evidence SET caption = substr(caption, 1, length(caption) - 1) WHERE seq = 1",
        ),
        (
            "UPDATE evidence SET sha256 = 'f' || substr(sha256, 2) WHERE seq = 2",
            "UPDATE evidence SET sha256 = (SELECT sha256 FROM evidence WHERE seq = 1) WHERE seq = 2",
        ),
    ] {
        sql(&app, &[attack]).await;
        let r = verify(&app).await;
        assert!(matches!(r.broken, Some((_, redress_domain::audit::Break::RecordChanged))), "{attack}: {r:?}");
        sql(&app, &[undo]).await;
        assert_eq!(verify(&app).await, intact, "{attack}: undone");
    }
});
