//! WeChat Pay API v3, domestic refunds (docs/channels.md; WeChat Pay's public API
//! documentation for `/v3/refund/domestic/refunds`).
//!
//! - Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
//!   signature="…",timestamp="…",serial_no="…"`, the signature being SHA256withRSA by the
//!   merchant's key over `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
//! - Responses and notifications carry `Wechatpay-Timestamp`, `-Nonce`, `-Signature` and
//!   `-Serial`, the signature being over `TIMESTAMP\nNONCE\nBODY\n` by the platform's key.
//!   Redress refuses a timestamp more than [`TOLERANCE_SECS`] from its clock.
//! - A refund notification's `resource` is AES-256-GCM with the merchant's 32-byte APIv3 key:
//!   base64 ciphertext with the 16-byte tag appended, a 12-character nonce and
//!   `associated_data`.

use crate::keys::{SigningKey, VerifyingKey};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use redress_domain::payout::ChannelStatus;
use serde::{Deserialize, Serialize};

pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
pub const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";
/// How far a signed timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;

/// `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    pub out_refund_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    pub amount: RequestAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAmount {
    /// Fen.
    pub refund: i64,
    pub total: i64,
    pub currency: String,
}

/// A refund as the create and query calls answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    #[serde(default)]
    pub transaction_id: String,
    #[serde(default)]
    pub out_trade_no: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub user_received_account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default)]
    pub create_time: String,
    pub status: String,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub total: i64,
    pub refund: i64,
    #[serde(default)]
    pub payer_total: i64,
    #[serde(default)]
    pub payer_refund: i64,
    #[serde(default)]
    pub currency: String,
}

/// An error answer: `{ "code": "…", "message": "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// A notification as posted to `notify_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    /// `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED`.
    pub event_type: String,
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: EncryptedResource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedResource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// A refund notification's decrypted `resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotice {
    pub mchid: String,
    #[serde(default)]
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub refund_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default)]
    pub user_received_account: String,
    pub amount: RefundAmount,
}

/// What a `status` / `refund_status` means for the payout.
pub fn status(s: &str) -> Option<ChannelStatus> {
    match s {
        "SUCCESS" => Some(ChannelStatus::Succeeded),
        "PROCESSING" => Some(ChannelStatus::Processing),
        "ABNORMAL" => Some(ChannelStatus::Abnormal),
        "CLOSED" => Some(ChannelStatus::Closed),
        _ => None,
    }
}

/// The text a request signature covers.
pub fn request_message(method: &str, path_with_query: &str, timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The text a response or notification signature covers.
pub fn response_message(timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{body}\n")
}

/// What identifies a merchant to WeChat Pay: its number, its API certificate's serial and the
/// certificate's private key.
#[derive(Debug)]
pub struct Merchant {
    pub mchid: String,
    pub serial_no: String,
    pub key: SigningKey,
}

/// A request as its signature covers it.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    pub method: &'a str,
    pub path_with_query: &'a str,
    pub body: &'a str,
}

impl RequestLine<'_> {
    fn message(&self, timestamp: i64, nonce: &str) -> String {
        request_message(self.method, self.path_with_query, timestamp, nonce, self.body)
    }
}

/// The fields of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mchid: String,
    pub nonce: String,
    pub signature: String,
    pub timestamp: i64,
    pub serial_no: String,
}

impl Authorization {
    /// Signs a request as `merchant`.
    pub fn sign(merchant: &Merchant, request: RequestLine<'_>, timestamp: i64, nonce: &str) -> Authorization {
        let signature = merchant.key.sign_base64(request.message(timestamp, nonce).as_bytes());
        Authorization {
            mchid: merchant.mchid.clone(),
            nonce: nonce.to_owned(),
            signature,
            timestamp,
            serial_no: merchant.serial_no.clone(),
        }
    }

    /// The header's value.
    pub fn header(&self) -> String {
        format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{}\",signature=\"{}\",timestamp=\"{}\",serial_no=\"{}\"",
            self.mchid, self.nonce, self.signature, self.timestamp, self.serial_no
        )
    }

    /// Reads a header's value (as a gateway does).
    pub fn parse(header: &str) -> Option<Authorization> {
        let rest = header.strip_prefix(AUTH_SCHEME)?.trim_start();
        let mut fields = std::collections::HashMap::new();
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            fields.insert(k.trim(), v.trim().trim_matches('"'));
        }
        Some(Authorization {
            mchid: fields.get("mchid")?.to_string(),
            nonce: fields.get("nonce_str")?.to_string(),
            signature: fields.get("signature")?.to_string(),
            timestamp: fields.get("timestamp")?.parse().ok()?,
            serial_no: fields.get("serial_no")?.to_string(),
        })
    }

    /// Whether it signs this request with `key`, at a time within [`TOLERANCE_SECS`] of `now`.
    pub fn verify(&self, key: &VerifyingKey, request: RequestLine<'_>, now: i64) -> Result<(), SignatureError> {
        check_time(self.timestamp, now)?;
        let msg = request.message(self.timestamp, &self.nonce);
        if key.verify_base64(msg.as_bytes(), &self.signature) { Ok(()) } else { Err(SignatureError::Invalid) }
    }
}

/// The `Wechatpay-*` headers of a response or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: i64,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignedHeaders {
    /// Signs a response or notification body (as the platform does).
    pub fn sign(key: &SigningKey, serial: &str, timestamp: i64, nonce: &str, body: &str) -> SignedHeaders {
        SignedHeaders {
            timestamp,
            nonce: nonce.to_owned(),
            signature: key.sign_base64(response_message(timestamp, nonce, body).as_bytes()),
            serial: serial.to_owned(),
        }
    }

    /// Whether `body` was signed by the platform key `key` (whose serial is `serial`) at a time
    /// within [`TOLERANCE_SECS`] of `now`.
    pub fn verify(&self, key: &VerifyingKey, serial: &str, body: &str, now: i64) -> Result<(), SignatureError> {
        if self.serial != serial {
            return Err(SignatureError::UnknownSerial(self.serial.clone()));
        }
        check_time(self.timestamp, now)?;
        let msg = response_message(self.timestamp, &self.nonce, body);
        if key.verify_base64(msg.as_bytes(), &self.signature) { Ok(()) } else { Err(SignatureError::Invalid) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature does not match")]
    Invalid,
    #[error("signed {0} s away from now, beyond the tolerance")]
    Stale(i64),
    #[error("signed with an unknown certificate serial {0}")]
    UnknownSerial(String),
}

fn check_time(timestamp: i64, now: i64) -> Result<(), SignatureError> {
    let skew = (now - timestamp).abs();
    if skew > TOLERANCE_SECS { Err(SignatureError::Stale(skew)) } else { Ok(()) }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the APIv3 key must be 32 bytes")]
    KeyLength,
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    #[error("the nonce must be 12 bytes")]
    Nonce,
    #[error("the ciphertext is not base64")]
    Encoding,
    #[error("the resource does not decrypt with this key (tampered, or another key)")]
    Authentication,
}

/// Decrypts a notification's `resource` with the merchant's APIv3 key.
pub fn decrypt_resource(api_v3_key: &[u8], r: &EncryptedResource) -> Result<Vec<u8>, DecryptError> {
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(DecryptError::Algorithm(r.algorithm.clone()));
    }
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, api_v3_key).map_err(|_| DecryptError::KeyLength)?);
    let nonce = Nonce::try_assume_unique_for_key(r.nonce.as_bytes()).map_err(|_| DecryptError::Nonce)?;
    let mut data = STANDARD.decode(&r.ciphertext).map_err(|_| DecryptError::Encoding)?;
    let plain = key
        .open_in_place(nonce, Aad::from(r.associated_data.as_bytes()), &mut data)
        .map_err(|_| DecryptError::Authentication)?;
    Ok(plain.to_vec())
}

/// Encrypts a notification's `resource` (as the platform does).
pub fn encrypt_resource(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<EncryptedResource, DecryptError> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, api_v3_key).map_err(|_| DecryptError::KeyLength)?);
    let n = Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|_| DecryptError::Nonce)?;
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(n, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| DecryptError::Authentication)?;
    Ok(EncryptedResource {
        algorithm: "AEAD_AES_256_GCM".to_owned(),
        ciphertext: STANDARD.encode(data),
        associated_data: associated_data.to_owned(),
        nonce: nonce.to_owned(),
        original_type: "refund".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{PKCS8, PUBLIC};

    /// Computed with Python `cryptography` (see testdata/README.md).
    const REQUEST_SIGNATURE: &str = "P0hS7Ic1PYkwLcZEtiFYIdw/n2lYO+KQYuCHNq0P/Zq8RWv0mChAVoegOwEo1ubEA9hpNM0D3uUCDxd+vo5t55Nd1KeWdS0IeqPzc1KGWXtuVA25Ez0sPe3Zmz/Mmi+v+hh66uVshSZcJfXra74t+iw6JiQB20nSa1vRDc3AzQvkIWKEFkblCFI1mqmCPWlwvVlVN88nTOjrvHpo4WzBQ5+loI1Kr1KYjoOGG8t4579rWUn5WVhmDBSgoF3Y3f2RrRnPIlq6h1Mw/OF9p/ZuGNkNzKM6UuWCis1I2B6MbgGaGSRbjw0IOddP2RPYLRGfL5TwBmAUqpl2SYfKIQin5A==";
    const API_V3_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOTICE_CIPHERTEXT: &str = "HxawNj+VYy41AcvB3tbeNJEA9opYKB1FRxKmKGErepJUrZ43Q66HyKuB06Vu3VazJdC7RXuSOuGYsD6fOgQk/Vde+tZbHiKjfiGUUHiQR/i07ZKzLDuOV/rrpx/U4HAYLG5092TeXplijx2xB89xKySb9bRKvg7C01uNK6VYd5wHfEzt5emR3vQCUZlvMUYpSerfMSKj9fpJclzTq/Pk0JJS2+FsXXZsueVm2f98ESDVLTk/uKO6gdgageRXSx54JtNmTvnXVtKhTeRoePhzmTYvk02pGAK4jDzBQ+jwLOUQ0CrfJqOB6m/0hcBGeoJJnbMaRi+0xiR+iwMLdZ6kcqGQwhxVyLRFl+LQgYAAnW+gPFNrLlfSLnfoZEb7FqAv6/LM3bxqWE9G5MZNXtAoiVUj1mWwAjWXeTKvoblS+ri/4UcWnNRzkdO556/G46TOoHPHUq6oH5q5NJXfO77sqneoVxC+C7atHOGjMjJW6JhldpTc";

    #[test]
    fn a_request_is_signed_as_wechat_pay_checks_it() {
        let merchant = Merchant {
            mchid: "1900000100".into(),
            serial_no: "5157F09EFDC096DE15EBE81A47057A72".into(),
            key: SigningKey::from_text(PKCS8).expect("key"),
        };
        let body = r#"{"out_refund_no":"RF-20261125-ABCDEF-P1"}"#;
        let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
        let line = |method, body| RequestLine { method, path_with_query: REFUNDS_PATH, body };
        let auth = Authorization::sign(&merchant, line("POST", body), 1764000000, nonce);
        assert_eq!(auth.signature, REQUEST_SIGNATURE, "the known answer");
        let header = auth.header();
        assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000100\",nonce_str=\"593BEC0C"), "{header}");
        let parsed = Authorization::parse(&header).expect("parse");
        assert_eq!(parsed, auth);
        let public = VerifyingKey::from_text(PUBLIC).expect("public");
        assert_eq!(parsed.verify(&public, line("POST", body), 1764000100), Ok(()));
        let other = body.replace("P1", "P2");
        assert_eq!(parsed.verify(&public, line("POST", &other), 1764000100), Err(SignatureError::Invalid));
        assert_eq!(parsed.verify(&public, line("GET", body), 1764000100), Err(SignatureError::Invalid));
        assert_eq!(parsed.verify(&public, line("POST", body), 1764000301), Err(SignatureError::Stale(301)));
        assert_eq!(Authorization::parse("Bearer x"), None);
    }

    #[test]
    fn responses_and_notifications_are_verified_by_serial_time_and_signature() {
        let key = SigningKey::from_text(PKCS8).expect("key");
        let public = VerifyingKey::from_text(PUBLIC).expect("public");
        let body = r#"{"status":"SUCCESS"}"#;
        let h = SignedHeaders::sign(&key, "PUB_KEY_ID_0001", 1764000000, "n1", body);
        assert_eq!(h.verify(&public, "PUB_KEY_ID_0001", body, 1764000000), Ok(()));
        assert_eq!(
            h.verify(&public, "PUB_KEY_ID_0002", body, 1764000000),
            Err(SignatureError::UnknownSerial("PUB_KEY_ID_0001".into()))
        );
        assert_eq!(
            h.verify(&public, "PUB_KEY_ID_0001", r#"{"status":"CLOSED"}"#, 1764000000),
            Err(SignatureError::Invalid)
        );
        assert_eq!(h.verify(&public, "PUB_KEY_ID_0001", body, 1763999000), Err(SignatureError::Stale(1000)));
        let mut replayed_nonce = h.clone();
        replayed_nonce.nonce = "n2".into();
        assert_eq!(replayed_nonce.verify(&public, "PUB_KEY_ID_0001", body, 1764000000), Err(SignatureError::Invalid));
    }

    #[test]
    fn a_notification_resource_decrypts_with_the_api_v3_key() {
        let resource = EncryptedResource {
            algorithm: "AEAD_AES_256_GCM".into(),
            ciphertext: NOTICE_CIPHERTEXT.into(),
            associated_data: "refund".into(),
            nonce: "fedcba987654".into(),
            original_type: "refund".into(),
        };
        let plain = decrypt_resource(API_V3_KEY, &resource).expect("decrypts");
        let notice: RefundNotice = serde_json::from_slice(&plain).expect("a refund notice");
        assert_eq!(
            (notice.out_refund_no.as_str(), notice.refund_status.as_str()),
            ("RF-20261125-ABCDEF-P1", "SUCCESS")
        );
        assert_eq!((notice.amount.refund, notice.user_received_account.as_str()), (2550, "招商银行信用卡0403"));
        assert_eq!(status(&notice.refund_status), Some(ChannelStatus::Succeeded));
        // Our encryption gives the same bytes as the independent one.
        let again = encrypt_resource(API_V3_KEY, "fedcba987654", "refund", &plain).expect("encrypt");
        assert_eq!(again.ciphertext, NOTICE_CIPHERTEXT);
        // Another key, other associated data, a flipped bit: refused.
        assert_eq!(decrypt_resource(b"0123456789abcdef0123456789abcdeX", &resource), Err(DecryptError::Authentication));
        let other_aad = EncryptedResource { associated_data: "transaction".into(), ..resource.clone() };
        assert_eq!(decrypt_resource(API_V3_KEY, &other_aad), Err(DecryptError::Authentication));
        let mut bytes = STANDARD.decode(NOTICE_CIPHERTEXT).expect("b64");
        bytes[3] ^= 1;
        let flipped = EncryptedResource { ciphertext: STANDARD.encode(bytes), ..resource.clone() };
        assert_eq!(decrypt_resource(API_V3_KEY, &flipped), Err(DecryptError::Authentication));
        assert_eq!(decrypt_resource(b"short", &resource), Err(DecryptError::KeyLength));
        let v2 = EncryptedResource { algorithm: "AEAD_AES_128_GCM".into(), ..resource };
        assert!(matches!(decrypt_resource(API_V3_KEY, &v2), Err(DecryptError::Algorithm(_))));
    }

    #[test]
    fn statuses_map_to_the_payout_machine() {
        assert_eq!(status("PROCESSING"), Some(ChannelStatus::Processing));
        assert_eq!(status("ABNORMAL"), Some(ChannelStatus::Abnormal));
        assert_eq!(status("CLOSED"), Some(ChannelStatus::Closed));
        assert_eq!(status("success"), None);
    }
}
