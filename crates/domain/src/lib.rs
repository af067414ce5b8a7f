//! Redress's domain: the rules of docs/product.md as pure functions and types. No I/O, no async,
//! no SQL, no HTTP — the store, the web layer and the CLI are adapters around this crate.

pub mod access;
pub mod application;
pub mod audit;
pub mod buyer;
pub mod calendar;
pub mod casefile;
pub mod entitlement;
mod enums;
pub mod evidence;
pub mod ids;
pub mod limits;
pub mod money;
pub mod notify;
pub mod operator;
pub mod order;
pub mod payout;
pub mod policy;
pub mod reconcile;
pub mod saved_reply;
pub mod service_levels;
pub mod sla;
pub mod statutory;
pub mod ticket;
pub mod webhook;

use serde::{Deserialize, Serialize};

/// A sentence in both product languages (zh-CN first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text { zh: zh.into(), en: en.into() }
    }

    /// The sentence for a language tag such as `en` or `zh-CN` (anything not English is zh-CN).
    pub fn get(&self, lang: &str) -> &str {
        if lang.starts_with("en") { &self.en } else { &self.zh }
    }
}
