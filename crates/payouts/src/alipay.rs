//! The Alipay open-API refund client (protocol in `redress_channels::alipay`):
//! `alipay.trade.refund` with `out_request_no` = the payout's key, and
//! `alipay.trade.fastpay.refund.query` by that key. Alipay refunds synchronously: a `10000`
//! answer means the money moved (`fund_change: "N"` on a repeat of the same key, which moves
//! nothing more). Every answer's signature is checked with Alipay's public key first.

use crate::{Answer, ChannelError, RefundChannel, RefundOrder};
use redress_channels::alipay::{
    QueryBiz, REFUND, REFUND_QUERY, RefundBiz, Response, SUCCESS, signed_params, verify_response,
};
use redress_channels::statements::alipay::{BILL_URL_QUERY, BillBiz};
use redress_channels::{SigningKey, VerifyingKey};
use redress_domain::payout::ChannelStatus;
use redress_domain::reconcile::StatementEntry;
use std::future::Future;
use std::pin::Pin;

/// Where and as which app Redress talks to Alipay.
#[derive(Debug)]
pub struct AlipayConfig {
    /// `https://openapi.alipay.com/gateway.do`, or the sandbox's `http://…/sandbox/alipay/gateway.do`.
    pub gateway_url: String,
    pub app_id: String,
    pub app_key: SigningKey,
    pub alipay_public_key: VerifyingKey,
}

pub struct AlipayClient {
    pub config: AlipayConfig,
    http: reqwest::Client,
    /// Requests are signed, and answers' signatures checked for freshness, at its time.
    clock: redress_app::Clock,
}

impl AlipayClient {
    pub fn new(config: AlipayConfig, http: reqwest::Client, clock: redress_app::Clock) -> AlipayClient {
        AlipayClient { config, http, clock }
    }

    async fn call(&self, method: &str, biz: String) -> Result<Response, ChannelError> {
        let timestamp = redress_channels::statements::beijing_time(self.clock.now());
        let params = signed_params(&self.config.app_key, &self.config.app_id, method, &timestamp, None, &biz);
        let res =
            self.http.post(&self.config.gateway_url).form(&params).send().await.map_err(ChannelError::from_reqwest)?;
        if res.status().is_server_error() {
            return Err(ChannelError::Unavailable(res.status().to_string()));
        }
        let text = res.text().await.map_err(ChannelError::from_reqwest)?;
        verify_response(&text, method, &self.config.alipay_public_key)
            .map_err(|e| ChannelError::BadSignature(e.to_string()))
    }

    fn failure(r: Response) -> ChannelError {
        let code = r.sub_code.clone().unwrap_or_else(|| r.code.clone());
        let message = r.sub_msg.clone().unwrap_or_else(|| r.msg.clone());
        if r.code == "20000" || code.ends_with("SYSTEM_ERROR") {
            ChannelError::Unavailable(format!("{code} {message}"))
        } else {
            ChannelError::Refused { code, message }
        }
    }
}

impl RefundChannel for AlipayClient {
    fn refund<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let biz = RefundBiz {
                trade_no: (!o.transaction_id.is_empty()).then(|| o.transaction_id.to_owned()),
                out_trade_no: if o.transaction_id.is_empty() { o.order_no.to_owned() } else { String::new() },
                refund_amount: o.amount.yuan_string(),
                out_request_no: o.key.to_owned(),
                refund_reason: Some("售后退款".to_owned()),
            };
            let json = serde_json::to_string(&biz).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            let r = self.call(REFUND, json).await?;
            if r.code != SUCCESS {
                return Err(Self::failure(r));
            }
            Ok(Answer::Status { status: ChannelStatus::Succeeded, channel_ref: r.trade_no, reason: None })
        })
    }

    fn query<'a>(
        &'a self,
        o: RefundOrder<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<Answer, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let biz = QueryBiz {
                trade_no: (!o.transaction_id.is_empty()).then(|| o.transaction_id.to_owned()),
                out_trade_no: if o.transaction_id.is_empty() { o.order_no.to_owned() } else { String::new() },
                out_request_no: o.key.to_owned(),
            };
            let json = serde_json::to_string(&biz).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            let r = self.call(REFUND_QUERY, json).await?;
            if r.code != SUCCESS {
                return Err(Self::failure(r));
            }
            // A success without a refund status: Alipay has no refund with this key.
            Ok(match r.refund_status.as_deref() {
                Some("REFUND_SUCCESS") => {
                    Answer::Status { status: ChannelStatus::Succeeded, channel_ref: r.trade_no, reason: None }
                }
                _ => Answer::Unknown,
            })
        })
    }

    fn statement<'a>(
        &'a self,
        date: jiff::civil::Date,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<StatementEntry>, ChannelError>> + Send + 'a>> {
        Box::pin(async move {
            let biz = BillBiz { bill_type: "trade".into(), bill_date: date.to_string() };
            let json = serde_json::to_string(&biz).map_err(|e| ChannelError::Protocol(e.to_string()))?;
            let r = self.call(BILL_URL_QUERY, json).await?;
            if r.code != SUCCESS {
                if r.sub_code.as_deref() == Some("isp.bill_not_exist") {
                    return Ok(Vec::new());
                }
                return Err(Self::failure(r));
            }
            let url = r.bill_download_url.ok_or_else(|| ChannelError::Protocol("no bill_download_url".into()))?;
            // The download itself is not signed: the URL came in a signed answer.
            let res = self.http.get(url).send().await.map_err(ChannelError::from_reqwest)?;
            if !res.status().is_success() {
                return Err(ChannelError::Unavailable(format!("bill download: {}", res.status())));
            }
            let bytes = res.bytes().await.map_err(ChannelError::from_reqwest)?;
            redress_channels::statements::alipay::parse(&bytes).map_err(ChannelError::Protocol)
        })
    }
}
