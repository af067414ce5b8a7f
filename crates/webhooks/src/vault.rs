//! Endpoint secrets at rest: sealed with AES-256-GCM under a key kept outside the database
//! (a file in the data folder, made on first use with owner-only permissions, or one named by
//! a setting), the endpoint's id bound in as associated data so a sealed secret moved to
//! another endpoint does not open. A stolen database alone does not let anyone sign as Redress.

use crate::signature::Secret;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;
use std::path::Path;
use std::sync::Arc;

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "webhook-secrets.key";

/// The sealing key's length.
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read or make the webhook key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the webhook key file {0} does not hold a 32-byte key")]
    BadKey(String),
    #[error("a stored webhook secret does not open with this key (was the key file replaced?)")]
    Unsealed,
}

/// The sealing key.
#[derive(Clone)]
pub struct Vault {
    key: Arc<LessSafeKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(…)")
    }
}

impl Vault {
    fn of(bytes: &[u8]) -> Option<Vault> {
        let key = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
        Some(Vault { key: Arc::new(LessSafeKey::new(key)) })
    }

    /// A key that lives as long as the process (tests, and servers that never keep secrets).
    pub fn ephemeral() -> Vault {
        let bytes: [u8; KEY_LEN] = rand::rng().random();
        Vault::of(&bytes).unwrap_or_else(|| unreachable!("a 32-byte key is an AES-256 key"))
    }

    /// The key in `path`, made there (readable by its owner only) if the file does not exist.
    pub fn open_or_create(path: &Path) -> Result<Vault, VaultError> {
        let shown = path.display().to_string();
        let io = |source| VaultError::Io { path: shown.clone(), source };
        match std::fs::read(path) {
            Ok(bytes) => {
                let raw = STANDARD.decode(String::from_utf8_lossy(&bytes).trim()).unwrap_or(bytes);
                if raw.len() != KEY_LEN {
                    return Err(VaultError::BadKey(shown));
                }
                Vault::of(&raw).ok_or(VaultError::BadKey(shown))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; KEY_LEN] = rand::rng().random();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(io)?;
                std::io::Write::write_all(&mut file, STANDARD.encode(bytes).as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Vault::of(&bytes).ok_or(VaultError::BadKey(shown))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// `secret` sealed for endpoint `endpoint`: base64 of a random nonce and the ciphertext.
    pub fn seal(&self, endpoint: &str, secret: &Secret) -> String {
        let nonce: [u8; NONCE_LEN] = rand::rng().random();
        let mut data = secret.bytes().to_vec();
        // Sealing fails only for inputs far beyond a secret's size.
        if self
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(endpoint.as_bytes()), &mut data)
            .is_err()
        {
            return String::new();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        STANDARD.encode(out)
    }

    /// The secret `sealed` for `endpoint`.
    pub fn open(&self, endpoint: &str, sealed: &str) -> Result<Secret, VaultError> {
        let raw = STANDARD.decode(sealed).map_err(|_| VaultError::Unsealed)?;
        if raw.len() <= NONCE_LEN {
            return Err(VaultError::Unsealed);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Unsealed)?;
        let mut data = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(endpoint.as_bytes()), &mut data)
            .map_err(|_| VaultError::Unsealed)?;
        Secret::from_bytes(plain.to_vec()).ok_or(VaultError::Unsealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_for_its_endpoint_with_its_key_only() {
        let vault = Vault::ephemeral();
        let secret = Secret::generate(&mut rand::rng());
        let sealed = vault.seal("WE-1", &secret);
        assert!(!sealed.contains(&secret.reveal()[6..]), "not in clear");
        assert_eq!(vault.open("WE-1", &sealed).ok(), Some(secret));
        assert!(vault.open("WE-2", &sealed).is_err(), "bound to its endpoint");
        assert!(Vault::ephemeral().open("WE-1", &sealed).is_err(), "another key");
        assert!(vault.open("WE-1", "bm9pc2U=").is_err());
    }

    #[test]
    fn the_key_file_is_made_once_for_its_owner_and_read_back() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("data").join(KEY_FILE);
        let first = Vault::open_or_create(&path).expect("made");
        let sealed = first.seal("WE-1", &Secret::generate(&mut rand::rng()));
        let again = Vault::open_or_create(&path).expect("read back");
        assert!(again.open("WE-1", &sealed).is_ok(), "the same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("there").permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner only");
        }
        std::fs::write(&path, "short").expect("written");
        assert!(matches!(Vault::open_or_create(&path), Err(VaultError::BadKey(_))));
    }
}
