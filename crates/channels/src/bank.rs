//! The bank-card channel. Banks publish no common refund protocol, so Redress defines one here,
//! asynchronous like the others and with the same rules (docs/channels.md):
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
//! - `GET {base}/statements/{YYYY-MM-DD}` answers the day's statement (a signed answer like any
//!   other): UTF-8 CSV, the header line `request_no,bank_ref,amount_fen,status,settled_at`,
//!   then one line per refund the bank settled that day (Asia/Shanghai), `status` as above and
//!   `settled_at` in RFC 3339. 404 for a day whose statement is not ready.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use redress_domain::money::Fen;
use redress_domain::payout::ChannelStatus;
use redress_domain::reconcile::StatementEntry;
use serde::{Deserialize, Serialize};

pub const REFUNDS_PATH: &str = "/refunds";
/// What an answer's and a notification's signatures name instead of a request method.
pub const ANSWER: &str = "ANSWER";
pub const NOTIFY: &str = "NOTIFY";
pub const NOTIFY_PATH: &str = "/notify";
pub const TOLERANCE_SECS: i64 = 300;
pub const STATEMENTS_PATH: &str = "/statements";
const STATEMENT_HEADER: [&str; 5] = ["request_no", "bank_ref", "amount_fen", "status", "settled_at"];

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

/// A day's statement as the bank writes it; `refunds` are settled ones (`settled_at` set).
pub fn statement_csv(refunds: &[(Refund, jiff::Timestamp)]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![STATEMENT_HEADER.map(str::to_owned).to_vec()];
    for (r, at) in refunds {
        rows.push(vec![
            r.request_no.clone(),
            r.bank_ref.clone(),
            r.amount_fen.to_string(),
            r.status.clone(),
            at.to_string(),
        ]);
    }
    for row in rows {
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Reads a day's statement.
pub fn parse_statement(text: &str) -> Result<Vec<StatementEntry>, String> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = r.headers().map_err(|e| e.to_string())?;
    if header.iter().ne(STATEMENT_HEADER) {
        return Err(format!("unexpected header {:?}", header.iter().collect::<Vec<_>>()));
    }
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = i + 2;
        let field = |n: usize| rec.get(n).ok_or_else(|| format!("line {line}: missing {}", STATEMENT_HEADER[n]));
        out.push(StatementEntry {
            key: field(0)?.to_owned(),
            channel_ref: field(1)?.to_owned(),
            amount: Fen(field(2)?.parse().map_err(|_| format!("line {line}: amount_fen is not a number"))?),
            status: status(field(3)?).ok_or_else(|| format!("line {line}: unknown status"))?,
            at: field(4)?.parse().map_err(|_| format!("line {line}: settled_at is not a time"))?,
        });
    }
    Ok(out)
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

    #[test]
    fn a_statement_reads_back_what_was_written() {
        let at: jiff::Timestamp = "2026-11-24T02:00:00Z".parse().expect("ts");
        let refund = |key: &str, fen: i64, status: &str| Refund {
            request_no: key.into(),
            bank_ref: format!("B{key}"),
            amount_fen: fen,
            status: status.into(),
            reason: None,
        };
        let text = statement_csv(&[(refund("RF-1-P1", 2500, "SUCCEEDED"), at), (refund("RF-2-P1", 7, "FAILED"), at)])
            .expect("a statement");
        assert!(text.starts_with("request_no,bank_ref,amount_fen,status,settled_at\n"), "{text}");
        let read = parse_statement(&text).expect("statement");
        assert_eq!(read.len(), 2);
        assert_eq!(
            (read[0].key.as_str(), read[0].amount, read[0].status),
            ("RF-1-P1", Fen(2500), ChannelStatus::Succeeded)
        );
        assert_eq!((read[1].channel_ref.as_str(), read[1].status, read[1].at), ("BRF-2-P1", ChannelStatus::Closed, at));
        assert!(parse_statement("key,amount\nA,1\n").is_err(), "another header");
        let bad = text.replace("2500", "25.00");
        assert!(parse_statement(&bad).expect_err("amount").contains("line 2"), "names the line");
    }
}
