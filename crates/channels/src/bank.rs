//! The bank-card channel. Banks publish no common refund protocol, so Redress defines one here,
//! asynchronous like the others and with the same rules (../../shared/PROTOCOLS.md):
//!
//! - `POST {base}/refunds` with JSON [`RefundRequest`]; `request_no` is the idempotency key (a
//!   repeat returns the first refund and moves nothing more).
//! - `GET {base}/refunds/{request_no}` answers the refund, or 404 for a key never seen.
//! - Answers are JSON [`Refund`]; `status` is `ACCEPTED` (on its way), `SUCCEEDED`,
//!   `RETURNED` (the receiving bank sent it back, e.g. a closed card: not final, route it
//!   another way) or `FAILED` (the bank gave up: a new request number is needed).
//! - When a refund settles, the bank posts the [`Refund`] to the request's `notify_url`.
//! - Every request, answer and notification is signed: headers `X-Bank-Timestamp` (Unix
//!   seconds), `X-Bank-Nonce` and `X-Bank-Signature` = base64(HMAC-SHA256(shared secret,
//!   `TIMESTAMP\nNONCE\nMETHOD\nPATH\nBODY\n`)); an answer is signed with METHOD `ANSWER` and
//!   the request's path, a notification with METHOD `NOTIFY` and PATH `/notify`. A timestamp
//!   more than five minutes away is refused, and so is a notification nonce seen before.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use redress_domain::payout::ChannelStatus;
use serde::{Deserialize, Serialize};

pub const REFUNDS_PATH: &str = "/refunds";
/// What an answer's and a notification's signatures name instead of a request method.
pub const ANSWER: &str = "ANSWER";
pub const NOTIFY: &str = "NOTIFY";
pub const NOTIFY_PATH: &str = "/notify";
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub merchant_id: String,
    pub request_no: String,
    /// The card payment being refunded.
    pub original_txn: String,
    pub amount_fen: i64,
    pub notify_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub request_no: String,
    pub bank_ref: String,
    pub amount_fen: i64,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub fn status(s: &str) -> Option<ChannelStatus> {
    match s {
        "ACCEPTED" => Some(ChannelStatus::Processing),
        "SUCCEEDED" => Some(ChannelStatus::Succeeded),
        "RETURNED" => Some(ChannelStatus::Abnormal),
        "FAILED" => Some(ChannelStatus::Closed),
        _ => None,
    }
}

/// The three signature headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub timestamp: i64,
    pub nonce: String,
    pub signature: String,
}

fn message(timestamp: i64, nonce: &str, method: &str, path: &str, body: &str) -> String {
    format!("{timestamp}\n{nonce}\n{method}\n{path}\n{body}\n")
}

impl Signature {
    pub fn sign(secret: &[u8], timestamp: i64, nonce: &str, method: &str, path: &str, body: &str) -> Signature {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let tag = hmac::sign(&key, message(timestamp, nonce, method, path, body).as_bytes());
        Signature { timestamp, nonce: nonce.to_owned(), signature: STANDARD.encode(tag.as_ref()) }
    }

    /// Whether it signs this message with `secret`, within five minutes of `now` (constant-time
    /// comparison).
    pub fn verify(&self, secret: &[u8], method: &str, path: &str, body: &str, now: i64) -> bool {
        if (now - self.timestamp).abs() > TOLERANCE_SECS {
            return false;
        }
        let Ok(tag) = STANDARD.decode(&self.signature) else { return false };
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        hmac::verify(&key, message(self.timestamp, &self.nonce, method, path, body).as_bytes(), &tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_signed_with_the_shared_secret_and_checked_in_time() {
        let s = Signature::sign(b"secret", 1764000000, "n1", "POST", "/refunds", "{}");
        assert!(s.verify(b"secret", "POST", "/refunds", "{}", 1764000100));
        assert!(!s.verify(b"other", "POST", "/refunds", "{}", 1764000100), "another secret");
        assert!(!s.verify(b"secret", "POST", "/refunds", "{ }", 1764000100), "another body");
        assert!(!s.verify(b"secret", "GET", "/refunds", "{}", 1764000100), "another method");
        assert!(!s.verify(b"secret", "POST", "/refunds", "{}", 1764000301), "too late");
        // HMAC-SHA256 known answer (RFC 4231 test case 2).
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"Jefe");
        let tag = hmac::sign(&key, b"what do ya want for nothing?");
        assert_eq!(
            tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(status("RETURNED"), Some(ChannelStatus::Abnormal));
        assert_eq!(status("FAILED"), Some(ChannelStatus::Closed));
    }
}
