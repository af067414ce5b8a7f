//! RSA keys as the channels hand them out, and SHA256withRSA (PKCS#1 v1.5) with them.
//!
//! WeChat Pay gives PEM files (the merchant's PKCS#8 private key, the platform's public key);
//! Alipay's console gives bare base64 DER, PKCS#1 or PKCS#8 for the private key and
//! SubjectPublicKeyInfo for Alipay's public key. Both forms are read here.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, SubjectPublicKeyInfoDer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM or base64 RSA key")]
    Unreadable,
    #[error("the key is not a usable RSA key: {0}")]
    Rejected(String),
}

/// Bare base64 (whitespace allowed), as Alipay's console shows keys.
fn bare_der(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(compact).ok()
}

/// A private key that signs.
#[derive(Debug)]
pub struct SigningKey(KeyPair);

impl SigningKey {
    /// PEM (`PRIVATE KEY` or `RSA PRIVATE KEY`) or bare base64 DER (PKCS#8 or PKCS#1).
    pub fn from_text(text: &str) -> Result<SigningKey, KeyError> {
        let bytes = text.as_bytes();
        let pair = if let Ok(der) = PrivatePkcs8KeyDer::from_pem_slice(bytes) {
            KeyPair::from_pkcs8(der.secret_pkcs8_der())
        } else if let Ok(der) = PrivatePkcs1KeyDer::from_pem_slice(bytes) {
            KeyPair::from_der(der.secret_pkcs1_der())
        } else {
            let der = bare_der(text).ok_or(KeyError::Unreadable)?;
            KeyPair::from_pkcs8(&der).or_else(|_| KeyPair::from_der(&der))
        };
        pair.map(SigningKey).map_err(|e| KeyError::Rejected(e.to_string()))
    }

    /// A new 2048-bit key and its PKCS#8 form as bare base64 (for the sandbox's own keys).
    pub fn generate() -> Result<(SigningKey, String), KeyError> {
        use aws_lc_rs::encoding::AsDer;
        let pair =
            KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| KeyError::Rejected(e.to_string()))?;
        let der = pair.as_der().map_err(|e| KeyError::Rejected(e.to_string()))?;
        let text = STANDARD.encode(der.as_ref());
        Ok((SigningKey(pair), text))
    }

    /// The public half as bare base64 SubjectPublicKeyInfo (what [`VerifyingKey::from_text`]
    /// reads).
    pub fn public_text(&self) -> String {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair as _;
        match self.0.public_key().as_der() {
            Ok(der) => STANDARD.encode(der.as_ref()),
            Err(_) => String::new(),
        }
    }

    /// SHA256withRSA (PKCS#1 v1.5) of `msg`; deterministic.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        // Signing with a valid key into a buffer of the modulus' length cannot fail.
        if self.0.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig).is_err() {
            sig.clear();
        }
        sig
    }

    /// [`SigningKey::sign`] as base64, as every channel carries signatures.
    pub fn sign_base64(&self, msg: &[u8]) -> String {
        STANDARD.encode(self.sign(msg))
    }
}

/// A public key that verifies.
#[derive(Debug, Clone)]
pub struct VerifyingKey(Vec<u8>);

impl VerifyingKey {
    /// PEM (`PUBLIC KEY`) or bare base64 DER (SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`).
    pub fn from_text(text: &str) -> Result<VerifyingKey, KeyError> {
        let der = match SubjectPublicKeyInfoDer::from_pem_slice(text.as_bytes()) {
            Ok(der) => der.as_ref().to_vec(),
            Err(_) => bare_der(text).ok_or(KeyError::Unreadable)?,
        };
        aws_lc_rs::rsa::PublicKey::from_der(&der).map_err(|e| KeyError::Rejected(e.to_string()))?;
        Ok(VerifyingKey(der))
    }

    /// Whether `signature_b64` is SHA256withRSA of `msg` by this key's owner.
    pub fn verify_base64(&self, msg: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = STANDARD.decode(signature_b64.trim()) else {
            return false;
        };
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.0).verify(msg, &sig).is_ok()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const PKCS8: &str = include_str!("../testdata/merchant_key.pem");
    pub const PKCS1: &str = include_str!("../testdata/merchant_key_pkcs1.pem");
    pub const PUBLIC: &str = include_str!("../testdata/merchant_pub.pem");

    /// The body of a PEM file: what Alipay's console shows.
    pub fn bare(pem: &str) -> String {
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    #[test]
    fn every_form_of_the_key_signs_alike_and_verifies() {
        let forms = [PKCS8.to_owned(), PKCS1.to_owned(), bare(PKCS8), bare(PKCS1)];
        let public = VerifyingKey::from_text(PUBLIC).expect("public");
        let bare_public = VerifyingKey::from_text(&bare(PUBLIC)).expect("bare public");
        let mut sigs = Vec::new();
        for f in &forms {
            let k = SigningKey::from_text(f).expect("key");
            let s = k.sign_base64(b"hello");
            assert!(public.verify_base64(b"hello", &s));
            assert!(bare_public.verify_base64(b"hello", &s));
            assert!(!public.verify_base64(b"hellO", &s), "another message");
            sigs.push(s);
        }
        assert!(sigs.windows(2).all(|w| w[0] == w[1]), "PKCS#1 v1.5 is deterministic");
        assert!(!public.verify_base64(b"hello", "not base64!"));
        assert_eq!(SigningKey::from_text("not a key!").err(), Some(KeyError::Unreadable));
        assert!(
            matches!(SigningKey::from_text("bm9uc2Vuc2U="), Err(KeyError::Rejected(_))),
            "base64 of something else"
        );
        assert!(VerifyingKey::from_text("bm90IGEga2V5").is_err(), "base64 of something else");
        // The sandbox's own keys: generated, written down, read back.
        let (k, text) = SigningKey::generate().expect("generate");
        let again = SigningKey::from_text(&text).expect("read back");
        let public = VerifyingKey::from_text(&k.public_text()).expect("public");
        assert!(public.verify_base64(b"x", &again.sign_base64(b"x")));
        assert_eq!(SigningKey::from_text(PKCS8).expect("key").public_text(), bare(PUBLIC));
    }
}
