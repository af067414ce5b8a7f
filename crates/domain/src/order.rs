//! Orders, payments, the delivery ledger and account events: the facts an application is
//! judged against (docs/product.md §2). Merchants push them; nobody types a shortfall.

use crate::ids::{OrderNo, Username};
use crate::money::Fen;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WechatPay,
    Alipay,
    BankCard,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::WechatPay, Channel::Alipay, Channel::BankCard];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WechatPay => "wechat_pay",
            Channel::Alipay => "alipay",
            Channel::BankCard => "bank_card",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    /// Where the service is delivered: douyin, xiaohongshu, kuaishou, bilibili, …
    pub platform: String,
    /// What is counted: likes, views, followers, …
    pub unit: String,
    pub promised: u64,
    pub deadline: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub channel: Channel,
    pub transaction_id: String,
    pub amount: Fen,
    pub paid_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub no: OrderNo,
    pub buyer: Username,
    pub service: Service,
    pub payment: Option<Payment>,
    /// The policy version the buyer ticked at purchase, and when: later versions never apply.
    pub policy_version: u32,
    pub policy_accepted_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverySource {
    /// The platform's own counter (objective: may drive an automatic decision).
    Platform,
    /// A third-party monitor's export (an analytics provider).
    ThirdParty,
    /// Typed in by staff.
    Manual,
}

impl DeliverySource {
    pub const ALL: [DeliverySource; 3] = [Self::Platform, Self::ThirdParty, Self::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliverySource::Platform => "platform",
            DeliverySource::ThirdParty => "third_party",
            DeliverySource::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<DeliverySource> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A cumulative delivered-quantity reading at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReading {
    pub at: Timestamp,
    pub delivered: u64,
    pub source: DeliverySource,
}

/// What the ledger says was delivered by `at`: the latest reading at or before `at`; among
/// readings at the same moment the platform's own counter wins, then a third party, then staff.
pub fn delivered_by(ledger: &[DeliveryReading], at: Timestamp) -> Option<&DeliveryReading> {
    ledger.iter().filter(|r| r.at <= at).max_by(|a, b| a.at.cmp(&b.at).then(b.source.cmp(&a.source)))
}

/// The latest delivered quantity on the ledger (0 when nothing was reported).
pub fn latest_delivered(ledger: &[DeliveryReading]) -> u64 {
    delivered_by(ledger, Timestamp::MAX).map_or(0, |r| r.delivered)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountEventKind {
    /// The buyer's account was banned for a violation of the buyer's own making.
    BannedForViolation,
    /// Banned or restricted for a reason that is not the buyer's fault.
    Restricted,
    /// The account was restored.
    Restored,
}

impl AccountEventKind {
    pub const ALL: [AccountEventKind; 3] = [Self::BannedForViolation, Self::Restricted, Self::Restored];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountEventKind::BannedForViolation => "banned_for_violation",
            AccountEventKind::Restricted => "restricted",
            AccountEventKind::Restored => "restored",
        }
    }

    pub fn parse(s: &str) -> Option<AccountEventKind> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub at: Timestamp,
    pub kind: AccountEventKind,
    pub source: String,
}

/// Whether the buyer's account stood banned for the buyer's own violation at `at`.
pub fn banned_for_violation(events: &[AccountEvent], at: Timestamp) -> Option<&AccountEvent> {
    let latest = events.iter().filter(|e| e.at <= at).max_by_key(|e| e.at)?;
    (latest.kind == AccountEventKind::BannedForViolation).then_some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn latest_reading_wins_and_platform_breaks_ties() {
        let ledger = vec![
            DeliveryReading { at: ts("2026-11-01T00:00:00Z"), delivered: 100, source: DeliverySource::Platform },
            DeliveryReading { at: ts("2026-11-02T00:00:00Z"), delivered: 300, source: DeliverySource::Manual },
            DeliveryReading { at: ts("2026-11-02T00:00:00Z"), delivered: 250, source: DeliverySource::Platform },
            DeliveryReading { at: ts("2026-11-05T00:00:00Z"), delivered: 900, source: DeliverySource::Platform },
        ];
        let r = delivered_by(&ledger, ts("2026-11-03T00:00:00Z")).expect("reading");
        assert_eq!((r.delivered, r.source), (250, DeliverySource::Platform));
        assert!(delivered_by(&ledger, ts("2026-10-01T00:00:00Z")).is_none());
    }

    #[test]
    fn a_restored_account_is_not_banned() {
        let events = vec![
            AccountEvent {
                at: ts("2026-11-01T00:00:00Z"),
                kind: AccountEventKind::BannedForViolation,
                source: "douyin".into(),
            },
            AccountEvent { at: ts("2026-11-03T00:00:00Z"), kind: AccountEventKind::Restored, source: "douyin".into() },
        ];
        assert!(banned_for_violation(&events, ts("2026-11-02T00:00:00Z")).is_some());
        assert!(banned_for_violation(&events, ts("2026-11-04T00:00:00Z")).is_none());
    }
}
