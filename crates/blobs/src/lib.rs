//! Evidence storage: files kept by the SHA-256 of their bytes (a content address), behind one
//! interface with two backends — a local folder (the default, inside the data dir) and
//! S3-compatible object storage (through the `object_store` crate).
//!
//! Every file arrives in two steps. [`Blobs::stage`] streams the body into a temporary file in
//! a local staging folder, hashing it and counting bytes as they come: a body over the limit
//! is refused as soon as it passes the limit, without being held in memory, and its temporary
//! file is removed. [`Blobs::commit`] then moves it to its address: locally by fsync, rename
//! and fsync of the folder, so a crash leaves either no file or the whole file at its address,
//! never half a file the database could point at; on S3 by one upload, which the store makes
//! visible whole or not at all. The same bytes stored twice are one file.
//!
//! Deleting is for files no submitted application or audit entry refers to; the caller
//! decides that, this crate only stores.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncWriteExt;

/// How many leading bytes of a staged file are kept for type detection.
pub const HEAD_BYTES: usize = 8 * 1024;
/// How many trailing bytes are kept, to check that a file is complete.
pub const TAIL_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("reading the upload failed: {0}")]
    Read(String),
    #[error("not a content address: {0}")]
    BadAddress(String),
    #[error("no file at {0}")]
    NotFound(String),
    #[error("local storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("object storage: {0}")]
    Object(#[from] object_store::Error),
}

/// Where a stored file is, and how big.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
}

/// A file received but not yet at its address. Dropping it removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    path: Option<PathBuf>,
    pub sha256: String,
    pub size: u64,
    /// The first [`HEAD_BYTES`] bytes, to decide the file's type from its content.
    pub head: Vec<u8>,
    /// The last [`TAIL_BYTES`] bytes (or fewer), to check that it is complete.
    pub tail: Vec<u8>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.path.take()
            && let Err(e) = std::fs::remove_file(&p)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            // Left behind, it is only a part file: the staging sweep at start removes it.
            tracing::warn!(path = %p.display(), error = %e, "could not remove a staged upload");
        }
    }
}

/// S3-compatible object storage settings.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `https://…` of an S3-compatible service; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Keys start with this (e.g. `redress/`).
    pub prefix: String,
}

#[derive(Clone)]
enum Backend {
    Local { root: PathBuf },
    Object { store: Arc<dyn ObjectStore>, prefix: String },
}

/// The evidence store. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    backend: Backend,
    staging: PathBuf,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Blobs {
    /// Files under `root` (`root/ab/cd/abcd…`), staged in `root/.staging`.
    pub fn local(root: impl Into<PathBuf>) -> Blobs {
        let root = root.into();
        Blobs { staging: root.join(".staging"), backend: Backend::Local { root } }
    }

    /// Files in an S3 bucket, staged in the local folder `staging`.
    pub fn s3(config: &S3Config, staging: impl Into<PathBuf>) -> Result<Blobs, BlobError> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key);
        if let Some(endpoint) = &config.endpoint {
            b = b
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        Ok(Blobs {
            backend: Backend::Object { store: Arc::new(b.build()?), prefix: config.prefix.clone() },
            staging: staging.into(),
        })
    }

    /// Where files go, for logs and error messages.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local { root } => format!("local folder {}", root.display()),
            Backend::Object { prefix, .. } => format!("object storage (prefix {prefix:?})"),
        }
    }

    /// Streams `body` into a staged file, refusing it once it passes `max` bytes.
    pub async fn stage<S, E>(&self, body: S, max: u64) -> Result<Staged, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.stage_seen(body, max, &mut |_| {}).await
    }

    /// [`Blobs::stage`], showing each piece to `seen` as it passes (to check a file's
    /// structure without reading it twice).
    pub async fn stage_seen<S, E>(
        &self,
        mut body: S,
        max: u64,
        seen: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<Staged, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        tokio::fs::create_dir_all(&self.staging).await?;
        let path = self.staging.join(format!("{:016x}.part", rand::random::<u64>()));
        let mut file = tokio::fs::File::create(&path).await?;
        // From here on, any early return drops `staged`, which removes the file.
        let mut staged =
            Staged { path: Some(path), sha256: String::new(), size: 0, head: Vec::new(), tail: Vec::new() };
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::Read(e.to_string()))?;
            staged.size += chunk.len() as u64;
            if staged.size > max {
                return Err(BlobError::TooLarge { max });
            }
            hasher.update(&chunk);
            seen(&chunk);
            let room = HEAD_BYTES.saturating_sub(staged.head.len()).min(chunk.len());
            staged.head.extend_from_slice(&chunk[..room]);
            staged.tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_BYTES)..]);
            if staged.tail.len() > 2 * TAIL_BYTES {
                staged.tail.drain(..staged.tail.len() - TAIL_BYTES);
            }
            file.write_all(&chunk).await?;
        }
        file.sync_all().await?;
        if staged.tail.len() > TAIL_BYTES {
            staged.tail.drain(..staged.tail.len() - TAIL_BYTES);
        }
        staged.sha256 = hex::encode(hasher.finalize());
        Ok(staged)
    }

    /// Stores bytes already in memory (Redress's own files): staged and committed at once.
    pub async fn put(&self, bytes: Bytes) -> Result<BlobRef, BlobError> {
        let stream = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        let staged = self.stage(stream, u64::MAX).await?;
        self.commit(staged).await
    }

    /// Moves a staged file to its content address (a no-op if those bytes are already there).
    pub async fn commit(&self, mut staged: Staged) -> Result<BlobRef, BlobError> {
        let blob = BlobRef { sha256: staged.sha256.clone(), size: staged.size };
        let Some(temp) = staged.path.clone() else {
            return Err(BlobError::Read("the staged file is gone".into()));
        };
        match &self.backend {
            Backend::Local { root } => {
                let target = local_path(root, &blob.sha256)?;
                if tokio::fs::try_exists(&target).await? {
                    return Ok(blob);
                }
                let dir = target.parent().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                tokio::fs::create_dir_all(&dir).await?;
                tokio::fs::rename(&temp, &target).await?;
                staged.path = None;
                // The rename is durable once the folder that holds the new name is synced.
                tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
                    .await
                    .map_err(|e| BlobError::Read(e.to_string()))??;
            }
            Backend::Object { store, prefix } => {
                let key = object_key(prefix, &blob.sha256)?;
                match store.head(&key).await {
                    Ok(_) => return Ok(blob),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                let bytes = tokio::fs::read(&temp).await?;
                store.put(&key, PutPayload::from(bytes)).await?;
            }
        }
        Ok(blob)
    }

    /// The bytes at an address.
    pub async fn get(&self, sha256: &str) -> Result<Bytes, BlobError> {
        match &self.backend {
            Backend::Local { root } => match tokio::fs::read(local_path(root, sha256)?).await {
                Ok(b) => Ok(Bytes::from(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound(sha256.to_owned())),
                Err(e) => Err(e.into()),
            },
            Backend::Object { store, prefix } => match store.get(&object_key(prefix, sha256)?).await {
                Ok(r) => Ok(r.bytes().await?),
                Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(sha256.to_owned())),
                Err(e) => Err(e.into()),
            },
        }
    }

    pub async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        match &self.backend {
            Backend::Local { root } => Ok(tokio::fs::try_exists(local_path(root, sha256)?).await?),
            Backend::Object { store, prefix } => match store.head(&object_key(prefix, sha256)?).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Removes the file at an address (absent is fine). Only for files nothing refers to.
    pub async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        match &self.backend {
            Backend::Local { root } => match tokio::fs::remove_file(local_path(root, sha256)?).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Backend::Object { store, prefix } => match store.delete(&object_key(prefix, sha256)?).await {
                Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => Err(e.into()),
                _ => Ok(()),
            },
        }
    }

    /// Removes staged files older than `age` (left by a crash mid-upload; nothing refers to
    /// them). Returns how many.
    pub async fn sweep_staging(&self, age: Duration) -> Result<usize, BlobError> {
        let mut removed = 0;
        let mut dir = match tokio::fs::read_dir(&self.staging).await {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let cutoff = SystemTime::now().checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
        while let Some(entry) = dir.next_entry().await? {
            let old = entry.metadata().await?.modified().is_ok_and(|m| m < cutoff);
            if old && entry.file_name().to_string_lossy().ends_with(".part") {
                tokio::fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn check(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(BlobError::BadAddress(sha256.chars().take(80).collect()))
    }
}

fn local_path(root: &Path, sha256: &str) -> Result<PathBuf, BlobError> {
    check(sha256)?;
    Ok(root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
}

fn object_key(prefix: &str, sha256: &str) -> Result<ObjectPath, BlobError> {
    check(sha256)?;
    Ok(ObjectPath::from(format!("{prefix}sha256/{}/{sha256}", &sha256[..2])))
}

#[cfg(test)]
mod tests;
