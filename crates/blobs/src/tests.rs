//! The same tests on the local folder and, when `REDRESS_TEST_S3_URL` names an S3-compatible
//! server (CI starts one), on object storage.

use super::*;
use futures_util::stream;
use std::sync::atomic::{AtomicU64, Ordering};

const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
}

/// The backends to test: (name, store, staging folder, temp dir kept alive).
async fn backends() -> Vec<(&'static str, Blobs, PathBuf, tempfile::TempDir)> {
    let mut out = vec![];
    let dir = tempfile::tempdir().expect("tempdir");
    let local = Blobs::local(dir.path().join("evidence"));
    out.push(("local", local, dir.path().join("evidence/.staging"), dir));
    match std::env::var("REDRESS_TEST_S3_URL") {
        Ok(url) if !url.is_empty() => {
            let bucket = format!("redress-test-{:08x}", rand::random::<u32>());
            // moto and MinIO create a bucket on a plain PUT.
            let r = reqwest::Client::new().put(format!("{url}/{bucket}")).send().await.expect("create bucket");
            assert!(r.status().is_success(), "create bucket: {}", r.status());
            let config = S3Config {
                endpoint: Some(url),
                bucket,
                region: "us-east-1".into(),
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
                prefix: "redress/".into(),
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let s3 = Blobs::s3(&config, dir.path().join("staging")).expect("s3");
            out.push(("s3", s3, dir.path().join("staging"), dir));
        }
        _ => {
            assert!(
                std::env::var("REDRESS_REQUIRE_S3").is_err(),
                "REDRESS_REQUIRE_S3 is set but REDRESS_TEST_S3_URL is not"
            );
            eprintln!("skipping object storage: REDRESS_TEST_S3_URL not set");
        }
    }
    out
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn stores_by_content_address_once() {
    for (name, blobs, staging, _dir) in backends().await {
        let staged = blobs.stage(body(&[b"hel", b"lo"]), 5).await.expect("stage");
        assert_eq!(
            (staged.sha256.as_str(), staged.size, staged.head.as_slice()),
            (HELLO_SHA, 5, &b"hello"[..]),
            "{name}"
        );
        let r = blobs.commit(staged).await.expect("commit");
        assert_eq!(r, BlobRef { sha256: HELLO_SHA.into(), size: 5 }, "{name}");
        assert_eq!(blobs.get(HELLO_SHA).await.expect("get"), Bytes::from_static(b"hello"), "{name}");
        assert!(blobs.exists(HELLO_SHA).await.expect("exists"), "{name}");
        // The same bytes again: the same address, nothing new, nothing left in staging.
        let again = blobs.commit(blobs.stage(body(&[b"hello"]), 5).await.expect("stage")).await.expect("commit");
        assert_eq!(again, r, "{name}");
        assert_eq!(files_in(&staging), 0, "{name}: staging is empty");
        blobs.delete(HELLO_SHA).await.expect("delete");
        assert!(matches!(blobs.get(HELLO_SHA).await, Err(BlobError::NotFound(_))), "{name}");
        blobs.delete(HELLO_SHA).await.expect("deleting what is gone is fine");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_while_it_streams_and_leaves_nothing() {
    for (name, blobs, staging, _dir) in backends().await {
        let max = 5 * 1024 * 1024;
        // 5 MB + 1 byte.
        let chunk: &'static [u8] = Box::leak(vec![7u8; 1024 * 1024].into_boxed_slice());
        let parts = [chunk, chunk, chunk, chunk, chunk, b"!"];
        assert!(matches!(blobs.stage(body(&parts), max).await, Err(BlobError::TooLarge { .. })), "{name}");
        assert_eq!(files_in(&staging), 0, "{name}");
        // "2 GB": pulled only until the limit is passed, never held whole.
        let pulled = Arc::new(AtomicU64::new(0));
        let counter = pulled.clone();
        let huge = stream::iter(0..(2u64 << 30) / (64 * 1024)).map(move |_| {
            counter.fetch_add(64 * 1024, Ordering::Relaxed);
            Ok::<_, std::io::Error>(Bytes::from_static(&[0u8; 64 * 1024]))
        });
        assert!(matches!(blobs.stage(Box::pin(huge), max).await, Err(BlobError::TooLarge { .. })), "{name}");
        assert!(pulled.load(Ordering::Relaxed) <= max + 64 * 1024, "{name}: read past the limit");
        assert_eq!(files_in(&staging), 0, "{name}");
        // A body that breaks off mid-way leaves nothing either.
        let broken = stream::iter(vec![Ok(Bytes::from_static(b"abc")), Err(std::io::Error::other("reset"))]);
        assert!(matches!(blobs.stage(broken, max).await, Err(BlobError::Read(_))), "{name}");
        assert_eq!(files_in(&staging), 0, "{name}");
        // A staged file that is dropped instead of committed is removed.
        drop(blobs.stage(body(&[b"draft"]), max).await.expect("stage"));
        assert_eq!(files_in(&staging), 0, "{name}");
    }
}

#[tokio::test]
async fn the_tail_is_the_last_bytes_whatever_the_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = Blobs::local(dir.path());
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    for chunk in [1, 7, 999, 1024, 3000, 5000] {
        let parts: Vec<Result<Bytes, std::io::Error>> =
            data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let staged = blobs.stage(stream::iter(parts), 10_000).await.expect("stage");
        assert_eq!(staged.tail, &data[data.len() - TAIL_BYTES..], "chunks of {chunk}");
        assert_eq!(staged.head, &data[..], "chunks of {chunk}");
    }
}

#[tokio::test]
async fn only_content_addresses_are_accepted() {
    for (name, blobs, _, _dir) in backends().await {
        for bad in ["../../etc/passwd", "", &"A".repeat(64), &format!("{}/", &HELLO_SHA[..63])] {
            assert!(matches!(blobs.get(bad).await, Err(BlobError::BadAddress(_))), "{name}: {bad}");
            assert!(matches!(blobs.delete(bad).await, Err(BlobError::BadAddress(_))), "{name}: {bad}");
        }
    }
}

#[tokio::test]
async fn the_local_folder_holds_whole_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = Blobs::local(dir.path());
    let r = blobs.commit(blobs.stage(body(&[b"hello"]), 10).await.expect("stage")).await.expect("commit");
    let path = dir.path().join(&r.sha256[..2]).join(&r.sha256[2..4]).join(&r.sha256);
    assert_eq!(std::fs::read(&path).expect("file at its address"), b"hello");
    // A crash mid-upload leaves a part file in staging, never at an address; it is swept.
    std::fs::write(dir.path().join(".staging/0000000000000001.part"), b"hal").expect("part");
    assert_eq!(blobs.sweep_staging(Duration::ZERO).await.expect("sweep"), 1);
    assert_eq!(files_in(&dir.path().join(".staging")), 0);
}
