//! The WeChat Pay API v3 refund client (protocol in `redress_channels::wechat`): create a
//! refund with `out_refund_no` = the payout's key, query it by that key; every request signed
//! with the merchant's key, every answer's signature checked with the platform's key before it
//! is believed.

use crate::{Answer, ChannelError, RefundChannel, RefundOrder};
use redress_channels::VerifyingKey;
use redress_channels::statements::wechat::{BILL_PATH, BillAnswer, NO_STATEMENT, hash, parse};
use redress_channels::wechat::{
    Authorization, ErrorBody, Merchant, REFUNDS_PATH, Refund, RefundRequest, RequestAmount, RequestLine, SignedHeaders,
};
use redress_domain::reconcile::StatementEntry;
use std::future::Future;
use std::pin::Pin;

/// Where and as whom Redress talks to WeChat Pay.
#[derive(Debug)]
pub struct WechatConfig {
    /// `https://api.mch.weixin.qq.com`, or the sandbox's `http://…/sandbox/wechat`.
    pub base_url: String,
    pub merchant: Merchant,
    pub platform_key: VerifyingKey,
    /// The platform certificate's serial (or public key id) answers must be signed with.
    pub platform_serial: String,
    /// The 32-byte APIv3 key notifications are encrypted with.
    pub api_v3_key: Vec<u8>,
    /// Where WeChat Pay posts refund notifications.
    pub notify_url: String,
}

pub struct WechatClient {
    pub config: WechatConfig,
    http: reqwest::Client,
    /// Requests are signed, and answers' signatures checked for freshness, at its time.
    clock: redress_app::Clock,
}

impl WechatClient {
    pub fn new(config: WechatConfig, http: reqwest::Client, clock: redress_app::Clock) -> WechatClient {
        WechatClient { config, http, clock }
    }

    /// Sends a request signed over `path` (with its query) to `url`.
    async fn send(&self, method: &str, url: &str, path: &str, body: String) -> Result<reqwest::Response, ChannelError> {
        let now = self.clock.now().as_second();
        let nonce = format!("{:032X}", rand::random::<u128>());
        let line = RequestLine { method, path_with_query: path, body: &body };
        let auth = Authorization::sign(&self.config.merchant, line, now, &nonce);
        let req = match method {
            "POST" => self.http.post(url).header("content-type", "application/json").body(body.clone()),
            _ => self.http.get(url),
        };
        req.header("authorization", auth.header())
            .header("accept", "application/json")
            .header("user-agent", "Redress")
            .send()
            .await
            .map_err(ChannelError::from_reqwest)
    }

    /// A signed exchange: the answer's status and text once its signature is checked.
    async fn call(&self, method: &str, path: &str, body: String) -> Result<(u16, String), ChannelError> {
        let res = self.send(method, &format!("{}{path}", self.config.base_url), path, body).await?;
        let status = res.status().as_u16();
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let signed = (
            header("wechatpay-timestamp"),
            header("wechatpay-nonce"),
            header("wechatpay-signature"),
            header("wechatpay-serial"),
        );
        let text = res.text().await.map_err(ChannelError::from_reqwest)?;
        // Every answer, error answers included, must be the platform's.
        let (Some(ts), Some(nonce), Some(signature), Some(serial)) = signed else {
            return Err(ChannelError::BadSignature("the answer is not signed".into()));
        };
        let headers = SignedHeaders {
            timestamp: ts.parse().map_err(|_| ChannelError::BadSignature("bad timestamp".into()))?,
            nonce,
            signature,
            serial,
        };
        headers
            .verify(&self.config.platform_key, &self.config.platform_serial, &text, self.clock.now().as_second())
            .map_err(|e| ChannelError::BadSignature(e.to_string()))?;
        Ok((status, text))
    }

    fn read(http: u16, text: &str) -> Result<Answer, ChannelError> {
        match http {
            200 => {
                let r: Refund = serde_json::from_str(text).map_err(|e| ChannelError::Protocol(e.to_string()))?;
                let s = crate::status_or(redress_channels::wechat::status(&r.status), &r.status)?;
                let reason = reason_of(&r);
                Ok(Answer::Status { status: s, channel_ref: Some(r.refund_id), reason })
            }
            404 => Ok(Answer::Unknown),
            _ => {
                let e: ErrorBody = serde_json::from_str(text)
                    .unwrap_or(ErrorBody { code: http.to_string(), message: text.chars().take(200).collect() });
                Err(if http >= 500 || e.code == "SYSTEM_ERROR" || e.code == "FREQUENCY_LIMITED" {
                    ChannelError::Unavailable(format!("{} {}", e.code, e.message))
                } else {
                    ChannelError::Refused { code: e.code, message: e.message }
                })
            }
        }
    }
}

fn reason_of(r: &Refund) -> Option<String> {
    match r.status.as_str() {
        "ABNORMAL" => Some(format!("ABNORMAL: {}", r.user_received_account)),
        "CLOSED" => Some("CLOSED".to_owned()),
        _ => None,
    }
}

/// The path and query WeChat Pay signs for an absolute URL it gave out (the base URL's own
/// path, such as the sandbox's `/sandbox/wechat`, is not part of it).
fn signed_path(base_url: &str, url: &str) -> Result<String, ChannelError> {
    let u = reqwest::Url::parse(url).map_err(|e| ChannelError::Protocol(format!("download_url: {e}")))?;
    let prefix = reqwest::Url::parse(base_url).map(|b| b.path().trim_end_matches('/').to_owned()).unwrap_or_default();
    let path = u.path().strip_prefix(prefix.as_str()).unwrap_or(u.path());
    Ok(match u.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    })
}

impl RefundChannel for WechatClient {
    fn refund<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let body = RefundRequest {
                transaction_id: (!o.transaction_id.is_empty()).then(|| o.transaction_id.to_owned()),
                out_trade_no: o.transaction_id.is_empty().then(|| o.order_no.to_owned()),
                out_refund_no: o.key.to_owned(),
                reason: Some("售后退款 / after-sales refund".to_owned()),
                notify_url: Some(self.config.notify_url.clone()),
                amount: RequestAmount { refund: o.amount.0, total: o.paid.0, currency: "CNY".to_owned() },
            };
            let json = serde_json::to_string(&body).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            let (status, text) = self.call("POST", REFUNDS_PATH, json).await?;
            Self::read(status, &text)
        })
    }

    fn query<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let path = format!("{REFUNDS_PATH}/{}", o.key);
            let (status, text) = self.call("GET", &path, String::new()).await?;
            Self::read(status, &text)
        })
    }

    fn statement<'a>(
        &'a self,
        date: jiff::civil::Date,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<StatementEntry>, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let path = format!("{BILL_PATH}?bill_date={date}&bill_type=REFUND");
            let (status, text) = self.call("GET", &path, String::new()).await?;
            if status != 200 {
                let e: ErrorBody = serde_json::from_str(&text)
                    .unwrap_or(ErrorBody { code: status.to_string(), message: text.chars().take(200).collect() });
                if e.code == NO_STATEMENT {
                    return Ok(Vec::new());
                }
                return Err(ChannelError::Unavailable(format!("{} {}", e.code, e.message)));
            }
            let bill: BillAnswer = serde_json::from_str(&text).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            let signed = signed_path(&self.config.base_url, &bill.download_url)?;
            // The file comes unsigned (as WeChat Pay documents): it is believed only if its hash
            // is the one the signed answer gave.
            let res = self.send("GET", &bill.download_url, &signed, String::new()).await?;
            if !res.status().is_success() {
                return Err(ChannelError::Unavailable(format!("bill download: {}", res.status())));
            }
            let bytes = res.bytes().await.map_err(ChannelError::from_reqwest)?;
            if !bill.hash_type.eq_ignore_ascii_case("SHA1") || !hash(&bytes).eq_ignore_ascii_case(&bill.hash_value) {
                return Err(ChannelError::BadSignature("the bill's SHA-1 is not the signed hash_value".into()));
            }
            let text =
                std::str::from_utf8(&bytes).map_err(|_| ChannelError::Protocol("the bill is not UTF-8".into()))?;
            parse(text).map_err(ChannelError::Protocol)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_download_url_is_signed_over_its_path_below_the_base() {
        let p = super::signed_path(
            "http://127.0.0.1:8080/sandbox/wechat",
            "http://127.0.0.1:8080/sandbox/wechat/v3/billdownload/file?token=abc",
        );
        assert_eq!(p, Ok("/v3/billdownload/file?token=abc".to_owned()));
        let p = super::signed_path(
            "https://api.mch.weixin.qq.com",
            "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO",
        );
        assert_eq!(
            p.as_deref(),
            Ok("/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO")
        );
    }
}
