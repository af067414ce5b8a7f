//! Standard Webhooks signatures: the secret is `whsec_` and the base64 of 24 random bytes
//! (the specification allows 24–64); a message is signed as `v1,` and the base64 HMAC-SHA256 of
//! `{webhook-id}.{webhook-timestamp}.{body}`, with the body's exact bytes. While a secret is
//! being rotated the old and the new one both sign: the `webhook-signature` header carries
//! each signature, separated by spaces, and a receiver accepts the message if any verifies.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;

/// The prefix of a secret as it is shown and stored.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret.
pub const SECRET_BYTES: usize = 24;

/// A signing secret (its bytes; shown as `whsec_…`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret starts with whsec_")]
    Prefix,
    #[error("a webhook secret is whsec_ and base64")]
    Encoding,
    #[error("a webhook secret holds 24 to 64 bytes")]
    Length,
}

impl Secret {
    /// A new random secret.
    pub fn generate(rng: &mut impl rand::Rng) -> Secret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rng.fill(&mut bytes[..]);
        Secret(bytes)
    }

    /// A secret as shown (`whsec_…`).
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let b64 = text.strip_prefix(SECRET_PREFIX).ok_or(SecretError::Prefix)?;
        let bytes = STANDARD.decode(b64).map_err(|_| SecretError::Encoding)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(SecretError::Length);
        }
        Ok(Secret(bytes))
    }

    /// A secret from its bytes (24 to 64 of them).
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Secret> {
        (24..=64).contains(&bytes.len()).then_some(Secret(bytes))
    }

    /// Its bytes (for sealing at rest).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as shown, once, to whoever registers the endpoint.
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// One `v1,…` signature of a message.
    fn sign_one(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(id.as_bytes());
        ctx.update(b".");
        ctx.update(timestamp.to_string().as_bytes());
        ctx.update(b".");
        ctx.update(body);
        format!("v1,{}", STANDARD.encode(ctx.sign().as_ref()))
    }
}

/// The `webhook-signature` header of a message: a signature by each of `secrets` (the current
/// one, and during a rotation the previous one too), separated by spaces.
pub fn sign(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets.iter().map(|s| s.sign_one(id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// Whether `header` carries a `v1` signature of the message by `secret`, compared in constant
/// time (what a receiver does; used by Redress's tests and documentation).
pub fn verify(secret: &Secret, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &secret.0);
    let mut message = Vec::with_capacity(id.len() + body.len() + 24);
    message.extend_from_slice(format!("{id}.{timestamp}.").as_bytes());
    message.extend_from_slice(body);
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|b64| STANDARD.decode(b64).is_ok_and(|tag| hmac::verify(&key, &message, &tag).is_ok()))
}

/// A message id: `msg_` and 26 letters and digits (never a `.`, as the specification asks).
pub fn message_id(rng: &mut impl rand::Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";
    let tail: String = (0..26).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect();
    format!("msg_{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_back_and_bad_ones_are_refused() {
        let s = Secret::generate(&mut rand::rng());
        let shown = s.reveal();
        assert!(shown.starts_with("whsec_"));
        assert_eq!(Secret::parse(&shown), Ok(s.clone()));
        assert_eq!(format!("{s:?}"), "Secret(…)", "never printed");
        assert_eq!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(SecretError::Prefix));
        assert_eq!(Secret::parse("whsec_!!"), Err(SecretError::Encoding));
        assert_eq!(Secret::parse("whsec_c2hvcnQ="), Err(SecretError::Length));
    }

    #[test]
    fn signatures_verify_with_their_secret_only_and_both_sign_during_a_rotation() {
        let (old, new) = (Secret::generate(&mut rand::rng()), Secret::generate(&mut rand::rng()));
        let body = br#"{"type":"application.approved"}"#;
        let one = sign(&[&new], "msg_1", 1_700_000_000, body);
        assert!(verify(&new, "msg_1", 1_700_000_000, body, &one));
        assert!(!verify(&old, "msg_1", 1_700_000_000, body, &one));
        assert!(!verify(&new, "msg_1", 1_700_000_001, body, &one), "the timestamp is signed");
        assert!(!verify(&new, "msg_2", 1_700_000_000, body, &one), "the id is signed");
        assert!(!verify(&new, "msg_1", 1_700_000_000, b"{}", &one), "the body is signed");
        let both = sign(&[&new, &old], "msg_1", 1_700_000_000, body);
        assert_eq!(both.split(' ').count(), 2);
        assert!(verify(&old, "msg_1", 1_700_000_000, body, &both) && verify(&new, "msg_1", 1_700_000_000, body, &both));
        let id = message_id(&mut rand::rng());
        assert!(id.starts_with("msg_") && id.len() == 30 && !id.contains('.'), "{id}");
    }

    /// Redress's signature is checked by the specification's own Python library
    /// (`standardwebhooks` from PyPI, installed by `scripts/install-test-tools`).
    #[test]
    fn the_reference_library_verifies_redress_signatures() {
        let python = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-venv/bin/python");
        let present = std::process::Command::new(&python)
            .args(["-c", "import standardwebhooks"])
            .status()
            .is_ok_and(|s| s.success());
        if !present {
            assert!(
                std::env::var("REDRESS_REQUIRE_STANDARDWEBHOOKS").is_err(),
                "standardwebhooks is not installed: run scripts/install-test-tools"
            );
            eprintln!("standardwebhooks is not installed: skipped");
            return;
        }
        let secret = Secret::generate(&mut rand::rng());
        let other = Secret::generate(&mut rand::rng());
        let body = r#"{"type":"payout.succeeded","data":{"no":"RF-20261201-ABC123","名":"林"}}"#;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
        let ts = i64::try_from(now).expect("seconds");
        let header = sign(&[&other, &secret], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body.as_bytes());
        let script = "import sys, standardwebhooks\n\
                      secret, msg_id, ts, sig, body = sys.argv[1:6]\n\
                      standardwebhooks.Webhook(secret).verify(body, {'webhook-id': msg_id, 'webhook-timestamp': ts, 'webhook-signature': sig})\n\
                      print('verified')";
        let run = |secret: &Secret, sig: &str| {
            std::process::Command::new(&python)
                .args(["-c", script, &secret.reveal(), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &ts.to_string(), sig, body])
                .output()
                .expect("python runs")
        };
        let ok = run(&secret, &header);
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "verified");
        let forged = run(&Secret::generate(&mut rand::rng()), &header);
        assert!(!forged.status.success(), "another secret does not verify");
    }
}
