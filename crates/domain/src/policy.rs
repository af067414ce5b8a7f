//! Policy versions: human-readable clauses plus the machine-readable rules the entitlement
//! engine applies (docs/product.md §2). A published version never changes; orders pin the version
//! the buyer accepted, so a later version never applies retroactively.

use crate::Text;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Short, stable id cited in explanations, e.g. `"2.1"`.
    pub id: String,
    pub zh: String,
    pub en: String,
}

/// The rules of one policy version. Every rule cites the clause that states it to the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Rule 1: full refund without a reason within this many days of payment, before delivery started.
    pub no_reason_days: u32,
    pub no_reason_clause: String,
    /// Rule 2: after the deadline the undelivered share is refundable pro rata.
    pub pro_rata_clause: String,
    /// Rule 3: a ban for the buyer's own violation removes the automatic entitlement (a
    /// reviewer still decides: standard terms cannot take away what the law guarantees).
    pub violation_limits_refund: bool,
    pub violation_clause: String,
    /// Rule 4: applications more than this many days after payment are out of time.
    pub refund_window_days: u32,
    pub refund_window_clause: String,
    /// Rule 5: approve without a human when entitlement follows from objective data alone and
    /// the amount is at most this (0 turns auto-decision off).
    pub auto_approve_max_fen: i64,
    /// Review promised within this many business days.
    pub review_business_days: u32,
    /// A rejection may be appealed within this many days, at most `appeal_limit` times.
    pub appeal_window_days: u32,
    pub appeal_limit: u32,
    /// The statutory period (docs/product.md §6): a refund request not dealt with within this
    /// many days is presumed deliberately delayed (侵害消费者权益行为处罚办法 arts. 8–10: 15,
    /// the default for a policy that does not say).
    #[serde(default = "default_statutory_days")]
    pub statutory_days: u32,
    /// Taobao's rule (docs/product.md §3): an application whose review deadline passes without
    /// a decision is approved by the system — the amount asked for, capped at what the rules
    /// give and the balance. Off unless a policy says so (policy v1 does not).
    #[serde(default)]
    pub approve_when_late: bool,
}

/// The most days a rule's period may have (ten years; the law's are weeks).
const MAX_DAYS: u32 = 3650;

fn default_statutory_days() -> u32 {
    crate::statutory::DEFAULT_DAYS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: u32,
    pub title: Text,
    pub clauses: Vec<Clause>,
    pub rules: Rules,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy file is not valid: {0}")]
    Syntax(String),
    #[error("version must be 1 or more")]
    Version,
    #[error("clause id {0:?} appears twice")]
    DuplicateClause(String),
    #[error("rule cites clause {0:?}, which the policy does not contain")]
    UnknownClause(String),
    #[error("a policy needs at least one clause")]
    NoClauses,
    #[error("{0} must be at least 1")]
    ZeroDays(&'static str),
    #[error("{0} must be at most 3650 (ten years)")]
    TooManyDays(&'static str),
}

impl Policy {
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let p: Policy = toml::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        p.validated()
    }

    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let p: Policy = serde_json::from_str(text).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        p.validated()
    }

    pub fn validated(self) -> Result<Policy, PolicyError> {
        if self.version == 0 {
            return Err(PolicyError::Version);
        }
        if self.clauses.is_empty() {
            return Err(PolicyError::NoClauses);
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.clauses {
            if !seen.insert(c.id.as_str()) {
                return Err(PolicyError::DuplicateClause(c.id.clone()));
            }
        }
        let r = &self.rules;
        for cited in [&r.no_reason_clause, &r.pro_rata_clause, &r.violation_clause, &r.refund_window_clause] {
            if !seen.contains(cited.as_str()) {
                return Err(PolicyError::UnknownClause(cited.clone()));
            }
        }
        for (days, name) in [
            (r.refund_window_days, "refund_window_days"),
            (r.review_business_days, "review_business_days"),
            (r.statutory_days, "statutory_days"),
        ] {
            if days == 0 {
                return Err(PolicyError::ZeroDays(name));
            }
            if days > MAX_DAYS {
                return Err(PolicyError::TooManyDays(name));
            }
        }
        Ok(self)
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Version 1 as Redress ships it: the rules docs/product.md §2 names.
    pub fn seed_v1() -> Policy {
        Policy::from_toml(SEED_V1).expect("the shipped policy v1 is valid")
    }
}

/// The shipped example policy.
pub const SEED_V1: &str = include_str!("../data/policy-v1.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policy_parses_and_round_trips() {
        let p = Policy::seed_v1();
        assert_eq!(p.rules.no_reason_days, 7);
        assert_eq!(p.rules.refund_window_days, 180);
        assert_eq!(Policy::from_toml(&p.to_toml()).expect("round trip"), p);
    }

    #[test]
    fn rejects_a_rule_citing_a_missing_clause() {
        let text = SEED_V1.replace("no_reason_clause = \"2\"", "no_reason_clause = \"9.9\"");
        assert!(matches!(Policy::from_toml(&text), Err(PolicyError::UnknownClause(c)) if c == "9.9"));
    }

    #[test]
    fn the_statutory_period_is_fifteen_days_unless_said_and_bounded() {
        let p = Policy::seed_v1();
        assert_eq!((p.rules.statutory_days, p.rules.approve_when_late), (15, false), "v1 says neither");
        let said =
            SEED_V1.replace("appeal_limit = 1", "appeal_limit = 1\nstatutory_days = 30\napprove_when_late = true");
        let p = Policy::from_toml(&said).expect("valid");
        assert_eq!((p.rules.statutory_days, p.rules.approve_when_late), (30, true));
        let huge = SEED_V1.replace("appeal_limit = 1", "appeal_limit = 1\nstatutory_days = 4000000000");
        assert!(matches!(Policy::from_toml(&huge), Err(PolicyError::TooManyDays("statutory_days"))));
    }

    #[test]
    fn rejects_unknown_fields() {
        let text = format!("{SEED_V1}\n[extra]\nx = 1\n");
        assert!(matches!(Policy::from_toml(&text), Err(PolicyError::Syntax(_))));
    }
}
