//! The bank-card client (protocol, Redress's own, in `redress_channels::bank`).

use crate::{Answer, ChannelError, RefundChannel, RefundOrder};
use redress_channels::bank::{ANSWER, REFUNDS_PATH, Refund, RefundRequest, STATEMENTS_PATH, Signature, status};
use redress_domain::reconcile::StatementEntry;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone)]
pub struct BankConfig {
    /// The bank's refund API, or the sandbox's `http://…/sandbox/bank`.
    pub base_url: String,
    pub merchant_id: String,
    /// The shared HMAC secret.
    pub secret: Vec<u8>,
    pub notify_url: String,
}

pub struct BankClient {
    pub config: BankConfig,
    http: reqwest::Client,
    /// Requests are signed, and answers' signatures checked for freshness, at its time.
    clock: redress_app::Clock,
}

/// The signature headers of a response or notification, if all there.
pub fn signature_of(headers: &reqwest::header::HeaderMap) -> Option<Signature> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Some(Signature {
        timestamp: h("x-bank-timestamp")?.parse().ok()?,
        nonce: h("x-bank-nonce")?,
        signature: h("x-bank-signature")?,
    })
}

impl BankClient {
    pub fn new(config: BankConfig, http: reqwest::Client, clock: redress_app::Clock) -> BankClient {
        BankClient { config, http, clock }
    }

    /// Sends a signed request; the answer's status and text once its signature is checked.
    async fn exchange(&self, method: &str, path: &str, body: String) -> Result<(u16, String), ChannelError> {
        let now = self.clock.now().as_second();
        let nonce = format!("{:032x}", rand::random::<u128>());
        let sig = Signature::sign(&self.config.secret, now, &nonce, method, path, &body);
        let url = format!("{}{path}", self.config.base_url);
        let req = match method {
            "POST" => self.http.post(url).header("content-type", "application/json").body(body),
            _ => self.http.get(url),
        };
        let res = req
            .header("x-bank-timestamp", sig.timestamp.to_string())
            .header("x-bank-nonce", sig.nonce)
            .header("x-bank-signature", sig.signature)
            .send()
            .await
            .map_err(ChannelError::from_reqwest)?;
        let http = res.status().as_u16();
        let answer_sig = signature_of(res.headers());
        let text = res.text().await.map_err(ChannelError::from_reqwest)?;
        let verified = answer_sig
            .is_some_and(|s| s.verify(&self.config.secret, ANSWER, path, &text, self.clock.now().as_second()));
        if !verified {
            return Err(ChannelError::BadSignature("the bank's answer is not signed with the shared secret".into()));
        }
        Ok((http, text))
    }

    async fn call(&self, method: &str, path: &str, body: String) -> Result<Answer, ChannelError> {
        let (http, text) = self.exchange(method, path, body).await?;
        match http {
            200 => {
                let r: Refund = serde_json::from_str(&text).map_err(|e| ChannelError::Protocol(e.to_string()))?;
                let s = crate::status_or(status(&r.status), &r.status)?;
                Ok(Answer::Status { status: s, channel_ref: Some(r.bank_ref), reason: r.reason })
            }
            404 => Ok(Answer::Unknown),
            400..=499 => {
                Err(ChannelError::Refused { code: http.to_string(), message: text.chars().take(200).collect() })
            }
            _ => Err(ChannelError::Unavailable(format!("{http} {}", text.chars().take(200).collect::<String>()))),
        }
    }
}

impl RefundChannel for BankClient {
    fn refund<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let body = RefundRequest {
                merchant_id: self.config.merchant_id.clone(),
                request_no: o.key.to_owned(),
                original_txn: o.transaction_id.to_owned(),
                amount_fen: o.amount.0,
                notify_url: self.config.notify_url.clone(),
            };
            let json = serde_json::to_string(&body).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            self.call("POST", REFUNDS_PATH, json).await
        })
    }

    fn query<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move { self.call("GET", &format!("{REFUNDS_PATH}/{}", o.key), String::new()).await })
    }

    fn statement<'a>(
        &'a self,
        date: jiff::civil::Date,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<StatementEntry>, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let (http, text) = self.exchange("GET", &format!("{STATEMENTS_PATH}/{date}"), String::new()).await?;
            match http {
                200 => redress_channels::bank::parse_statement(&text).map_err(ChannelError::Protocol),
                _ => Err(ChannelError::Unavailable(format!("{http} {}", text.chars().take(200).collect::<String>()))),
            }
        })
    }
}
