//! Alipay open API: `alipay.trade.refund` and `alipay.trade.fastpay.refund.query`
//! (docs/channels.md; Alipay's public open-platform documentation).
//!
//! - One gateway URL; the common parameters (`app_id`, `method`, `format=JSON`,
//!   `charset=utf-8`, `sign_type=RSA2`, `timestamp` in Beijing time, `version=1.0`,
//!   `biz_content` as JSON) are form-encoded with `sign`.
//! - `sign` is SHA256withRSA by the app's private key over every parameter but `sign` itself
//!   and empty ones, sorted by name, joined as `k=v` with `&`, unencoded.
//! - A response is `{"<method with _>_response": {...}, "sign": "..."}`; the signature covers
//!   the exact text of the `..._response` value and is checked with Alipay's public key.
//! - `out_request_no` is the idempotency key: a repeat returns the first result with
//!   `fund_change: "N"`.

use crate::keys::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub const REFUND: &str = "alipay.trade.refund";
pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
/// The success `code`.
pub const SUCCESS: &str = "10000";

/// `biz_content` of `alipay.trade.refund` (the trade by Alipay's `trade_no` or the merchant's
/// `out_trade_no`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundBiz {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub out_trade_no: String,
    /// Yuan with two decimals, e.g. `25.50`.
    pub refund_amount: String,
    pub out_request_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
}

/// `biz_content` of `alipay.trade.fastpay.refund.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryBiz {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub out_trade_no: String,
    pub out_request_no: String,
}

/// The `alipay_trade_refund_response` / `alipay_trade_fastpay_refund_query_response` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Response {
    pub code: String,
    pub msg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<String>,
    /// `Y` when this call moved money; `N` on a repeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_change: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<String>,
    /// The query's answer: `REFUND_SUCCESS` when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    /// `alipay.data.dataservice.bill.downloadurl.query`: where the bill is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_download_url: Option<String>,
}

/// The text `sign` covers.
pub fn sign_content(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, v)| k.as_str() != "sign" && !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The common parameters of a call, with `sign` added. `timestamp` is Beijing time,
/// `yyyy-MM-dd HH:mm:ss`.
pub fn signed_params(
    key: &SigningKey,
    app_id: &str,
    method: &str,
    timestamp: &str,
    notify_url: Option<&str>,
    biz_content: &str,
) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = [
        ("app_id", app_id),
        ("method", method),
        ("format", "JSON"),
        ("charset", "utf-8"),
        ("sign_type", "RSA2"),
        ("timestamp", timestamp),
        ("version", "1.0"),
        ("biz_content", biz_content),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(url) = notify_url {
        p.insert("notify_url".into(), url.to_owned());
    }
    let sign = key.sign_base64(sign_content(&p).as_bytes());
    p.insert("sign".into(), sign);
    p
}

/// Whether a request's parameters carry a valid `sign` by `key` (as the gateway checks).
pub fn verify_params(params: &BTreeMap<String, String>, key: &VerifyingKey) -> bool {
    params.get("sign").is_some_and(|s| key.verify_base64(sign_content(params).as_bytes(), s))
}

/// The key of a method's response object: `alipay.trade.refund` → `alipay_trade_refund_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("the answer is not a response to {0}")]
    Malformed(String),
    #[error("the answer's signature does not match")]
    Invalid,
}

/// Checks an answer's signature over the exact text of its response object and reads it.
pub fn verify_response(raw: &str, method: &str, key: &VerifyingKey) -> Result<Response, ResponseError> {
    let malformed = || ResponseError::Malformed(method.to_owned());
    let parts: BTreeMap<String, &RawValue> = serde_json::from_str(raw).map_err(|_| malformed())?;
    let section = parts.get(&response_key(method)).ok_or_else(malformed)?.get();
    let sign: String =
        parts.get("sign").and_then(|s| serde_json::from_str(s.get()).ok()).ok_or(ResponseError::Invalid)?;
    if !key.verify_base64(section.as_bytes(), &sign) {
        return Err(ResponseError::Invalid);
    }
    serde_json::from_str(section).map_err(|_| malformed())
}

/// A signed answer (as the gateway writes it).
pub fn signed_response(method: &str, response: &Response, key: &SigningKey) -> String {
    let section = serde_json::to_string(response).unwrap_or_else(|_| "{}".to_owned());
    let sign = key.sign_base64(section.as_bytes());
    format!("{{\"{}\":{section},\"sign\":{}}}", response_key(method), serde_json::Value::from(sign))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{PKCS1, PUBLIC, bare};
    use redress_domain::money::Fen;

    /// Computed with Python `cryptography` (see testdata/README.md).
    const REQUEST_SIGNATURE: &str = "HTXsYiVAEbQVV7QKMd9UybKc3Id1MOWLYR1blcfGMhrDarsVMrXokXasPQCxNioEVj/ftAmUnV0AZz+5IGVNhh44UFzJaih+E9NHEKe+TpzlN/ToYGfL7h/0Cm490PlUUv9s3vQpHThkx9rivE3vR3Op8f322TWa6ss44G5iVCG+E/pPoTBQy/zSnspbF0GEe92HnRfvtoF2EmflaoiM0p7YJLWAdR+ioPVU3z7Z4eLwxrbSRYZiX4G+t2HE2Eh6l4l9udTJ1xZLLXRq0LPdQlN/uqMIWseHks4/AjZrteaz0amflWWyGLhuRv32Nokq61tFvvGy2OgJQuMeQ4fQWw==";
    const RESPONSE_SECTION: &str = r#"{"code":"10000","msg":"Success","trade_no":"2026112522001456781400012345","out_trade_no":"T1","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"25.50"}"#;
    const RESPONSE_SIGNATURE: &str = "FqnPdiH8dq5Fx4HPPNKNZx2QHVH3eTPrS57ayAFbzkvA5a4qZ+NDnimb9BBxPnFRFsfphNMAK2TAqpnLSkHAeHo1dlJg8sqVCvC83QHXP3rdKnMR0S7bmcCKpgRPYMHwD3yPXiC9u6yUlxZg15voveS2lkKov/Ue+mbZp6pTPqkf2CAi5ea7iqMKe38b76OLisQZNChS7zAwZcCub5KLJjcRJDTvPqkhAqmIvABKDIGMsEpsnZ+ZpiW6MVSqnU+ZoVfHex3jZFGASslqg2aNIRlFNUa9J3L3i5ipfObaHwHLEkEmmecWCQgok21LO0XT7ZwUAwxm5AQGGbV23ACZlw==";

    #[test]
    fn a_request_is_signed_over_its_sorted_parameters() {
        // Alipay's console gives the key as bare base64.
        let key = SigningKey::from_text(&bare(PKCS1)).expect("key");
        let biz = serde_json::to_string(&RefundBiz {
            trade_no: None,
            out_trade_no: "T1".into(),
            refund_amount: Fen(2550).yuan_string(),
            out_request_no: "RF-20261125-ABCDEF-P1".into(),
            refund_reason: None,
        })
        .expect("json");
        assert_eq!(biz, r#"{"out_trade_no":"T1","refund_amount":"25.50","out_request_no":"RF-20261125-ABCDEF-P1"}"#);
        // The vector's biz_content has its keys in another order: it is signed as given.
        let vector_biz = r#"{"out_request_no":"RF-20261125-ABCDEF-P1","out_trade_no":"T1","refund_amount":"25.50"}"#;
        let p = signed_params(&key, "2021000000000000", REFUND, "2026-11-25 10:00:00", None, vector_biz);
        assert_eq!(
            sign_content(&p),
            format!(
                "app_id=2021000000000000&biz_content={vector_biz}&charset=utf-8&format=JSON&method=alipay.trade.refund&sign_type=RSA2&timestamp=2026-11-25 10:00:00&version=1.0"
            )
        );
        assert_eq!(p["sign"], REQUEST_SIGNATURE, "the known answer");
        let public = VerifyingKey::from_text(&bare(PUBLIC)).expect("public");
        assert!(verify_params(&p, &public));
        let mut changed = p.clone();
        changed.insert("biz_content".into(), vector_biz.replace("25.50", "255.00"));
        assert!(!verify_params(&changed, &public), "an edited amount");
        let mut empty_added = p.clone();
        empty_added.insert("notify_url".into(), String::new());
        assert!(verify_params(&empty_added, &public), "empty parameters are not signed");
    }

    #[test]
    fn a_response_is_verified_over_its_exact_text() {
        let public = VerifyingKey::from_text(PUBLIC).expect("public");
        let raw = format!(r#"{{"alipay_trade_refund_response":{RESPONSE_SECTION},"sign":"{RESPONSE_SIGNATURE}"}}"#);
        let r = verify_response(&raw, REFUND, &public).expect("verified");
        assert_eq!(
            (r.code.as_str(), r.fund_change.as_deref(), r.refund_fee.as_deref()),
            (SUCCESS, Some("Y"), Some("25.50"))
        );
        // Re-spacing the same JSON changes the text the signature covers.
        let spaced = raw.replace(r#""code":"10000""#, r#""code": "10000""#);
        assert_eq!(verify_response(&spaced, REFUND, &public), Err(ResponseError::Invalid));
        let forged = raw.replace(r#""refund_fee":"25.50""#, r#""refund_fee":"2550.00""#);
        assert_eq!(verify_response(&forged, REFUND, &public), Err(ResponseError::Invalid));
        assert!(matches!(verify_response(&raw, REFUND_QUERY, &public), Err(ResponseError::Malformed(_))));
        assert!(matches!(verify_response("not json", REFUND, &public), Err(ResponseError::Malformed(_))));
        // What the gateway writes, Redress reads.
        let key = SigningKey::from_text(PKCS1).expect("key");
        let answer = Response {
            code: SUCCESS.into(),
            msg: "Success".into(),
            refund_status: Some("REFUND_SUCCESS".into()),
            ..Default::default()
        };
        let text = signed_response(REFUND_QUERY, &answer, &key);
        assert_eq!(verify_response(&text, REFUND_QUERY, &public), Ok(answer));
    }

    #[test]
    fn amounts_are_written_in_yuan() {
        assert_eq!(
            (Fen(2550).yuan_string(), Fen(5).yuan_string(), Fen(100000).yuan_string(), Fen(0).yuan_string()),
            ("25.50".into(), "0.05".into(), "1000.00".into(), "0.00".into())
        );
    }
}
