//! The entitlement engine (docs/product.md §2): from the order, its delivery ledger, the buyer's
//! account events, the policy version the buyer accepted and the current time, decide whether
//! a refund is owed, how much at most, how much to suggest, which clauses say so, and say why
//! in zh-CN and English. Pure and deterministic: the buyer's preview and the reviewer's panel
//! show the same answer for the same facts.
//!
//! Order of the rules, first match wins:
//! 1. not paid → nothing to refund; 2. rule 4, out of the refund window; 3. balance exhausted;
//! 4. rule 3, banned for own violation → reviewer decides; 5. rule 1, no-reason window;
//! 6. rule 2, after the deadline: pro-rata shortfall (or "completed");
//! 7. before the deadline with delivery under way → reviewer decides on evidence.
//!
//! Choices written down here:
//! * A ban counts only if it stood during the service (at or before the deadline): a ban
//!   after the deadline did not cause the shortfall.
//! * Rule 1's "delivery not started" is read from the ledger: no reading above zero from any
//!   source. The merchant system reports delivery; silence from it means nothing was
//!   delivered, which is also what makes rule 5 (auto-approval) safe for rule 1.
//! * Pro-rata shares round to the nearest fen, halves up (in the buyer's favour); see
//!   [`Fen::pro_rata`].

use crate::Text;
use crate::money::Fen;
use crate::order::{AccountEvent, DeliveryReading, DeliverySource, Order, banned_for_violation, delivered_by};
use crate::policy::Policy;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A rule of the policy gives the buyer a refund from objective data.
    Entitled,
    /// No rule decides it; the buyer may apply up to the balance and a reviewer decides on evidence.
    Review,
    /// No application is possible (not paid, out of time, nothing left).
    NotEligible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    NotPaid,
    OutOfWindow,
    NothingLeft,
    ViolationExclusion,
    NoReasonWindow,
    ProRataShortfall,
    ServiceCompleted,
    InProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub verdict: Verdict,
    pub basis: Basis,
    /// Paid − committed by approvals − held by open applications.
    pub balance: Fen,
    /// The most a new application may ask for.
    pub max_refundable: Fen,
    /// What the rules give (0 when a reviewer decides).
    pub suggested: Fen,
    pub clauses: Vec<String>,
    pub explanation: Text,
    pub promised: u64,
    /// Delivered by the deadline (or by now, before it), per the ledger.
    pub delivered: u64,
    pub delivery_source: Option<DeliverySource>,
    /// Set when rule 5 may approve a request of at most this amount without a human.
    pub auto_approvable_up_to: Option<Fen>,
}

impl Entitlement {
    /// Rule 5: whether a request for `requested` may be approved without a human.
    pub fn auto_approves(&self, requested: Fen) -> bool {
        self.auto_approvable_up_to.is_some_and(|cap| requested > Fen::ZERO && requested <= cap)
    }
}

pub struct Facts<'a> {
    pub order: &'a Order,
    pub ledger: &'a [DeliveryReading],
    pub account_events: &'a [AccountEvent],
    pub policy: &'a Policy,
    /// Sum over this order's other applications of what they commit or hold
    /// (see [`crate::application::ApplicationState::claim`]).
    pub claimed: Fen,
    pub now: Timestamp,
}

pub fn assess(f: &Facts) -> Entitlement {
    let rules = &f.policy.rules;
    let promised = f.order.service.promised;
    let by = f.now.min(f.order.service.deadline);
    let reading = delivered_by(f.ledger, by);
    let delivered = reading.map_or(0, |r| r.delivered);
    let mut e = Entitlement {
        verdict: Verdict::NotEligible,
        basis: Basis::NotPaid,
        balance: Fen::ZERO,
        max_refundable: Fen::ZERO,
        suggested: Fen::ZERO,
        clauses: vec![],
        explanation: Text::default(),
        promised,
        delivered,
        delivery_source: reading.map(|r| r.source),
        auto_approvable_up_to: None,
    };
    let Some(payment) = &f.order.payment else {
        e.explanation =
            Text::new("该订单尚未付款,没有可退金额。", "This order has not been paid; there is nothing to refund.");
        return e;
    };
    let paid = payment.amount;
    e.balance = paid.saturating_sub(f.claimed).max_zero();
    let days_since_payment = f.now.duration_since(payment.paid_at);

    if days_since_payment > days(rules.refund_window_days) {
        e.basis = Basis::OutOfWindow;
        e.clauses = vec![rules.refund_window_clause.clone()];
        e.explanation = Text::new(
            format!(
                "已超过付款后 {} 天的退款申请期限(第 {} 条)。",
                rules.refund_window_days, rules.refund_window_clause
            ),
            format!(
                "The {}-day refund window after payment has passed (clause {}).",
                rules.refund_window_days, rules.refund_window_clause
            ),
        );
        return e;
    }
    if e.balance == Fen::ZERO {
        e.basis = Basis::NothingLeft;
        e.explanation = Text::new(
            format!("该订单已支付 {paid},已全部退款或正在处理中,没有剩余可退金额。"),
            format!("Of the {paid} paid, everything has been refunded or is held by open applications."),
        );
        return e;
    }
    e.max_refundable = e.balance;

    if rules.violation_limits_refund
        && let Some(ban) = banned_for_violation(f.account_events, f.now.min(f.order.service.deadline))
    {
        e.verdict = Verdict::Review;
        e.basis = Basis::ViolationExclusion;
        e.clauses = vec![rules.violation_clause.clone()];
        let at = ban.at.to_zoned_datetime(crate::calendar::shanghai()).strftime("%Y-%m-%d");
        e.explanation = Text::new(
            format!(
                "账号于 {at} 因违规被封禁(来源:{}),依第 {} 条不适用自动退款;您仍可申请,审核人员将依据证据和您的法定权利处理。",
                ban.source, rules.violation_clause
            ),
            format!(
                "The account was banned for a violation on {at} (source: {}). Under clause {} no automatic refund applies; you may still apply and a reviewer will decide on the evidence and your statutory rights.",
                ban.source, rules.violation_clause
            ),
        );
        return e;
    }

    if delivered == 0 && days_since_payment <= days(rules.no_reason_days) {
        e.verdict = Verdict::Entitled;
        e.basis = Basis::NoReasonWindow;
        e.suggested = e.balance;
        e.clauses = vec![rules.no_reason_clause.clone()];
        e.auto_approvable_up_to = auto_cap(f.policy, e.suggested);
        e.explanation = Text::new(
            format!(
                "付款未满 {} 天且服务尚未开始交付,依第 {} 条可无理由全额退款 {}。",
                rules.no_reason_days, rules.no_reason_clause, e.suggested
            ),
            format!(
                "Paid less than {} days ago and delivery has not started: under clause {} you may have a full refund of {} without giving a reason.",
                rules.no_reason_days, rules.no_reason_clause, e.suggested
            ),
        );
        return e;
    }

    if f.now >= f.order.service.deadline {
        let shortfall = promised.saturating_sub(delivered);
        if shortfall == 0 {
            e.verdict = Verdict::Review;
            e.basis = Basis::ServiceCompleted;
            e.clauses = vec![rules.pro_rata_clause.clone()];
            e.explanation = Text::new(
                format!(
                    "记录显示截止时已交付 {delivered}/{promised},服务已完成;如数据有误,您仍可附证据申请,由审核人员判断。"
                ),
                format!(
                    "The records show {delivered} of {promised} delivered by the deadline: the service is complete. If the data is wrong you may still apply with evidence and a reviewer will decide."
                ),
            );
            return e;
        }
        let share = paid.pro_rata(shortfall, promised);
        e.verdict = Verdict::Entitled;
        e.basis = Basis::ProRataShortfall;
        e.suggested = share.saturating_sub(f.claimed).max_zero().min(e.balance);
        e.clauses = vec![rules.pro_rata_clause.clone()];
        let source = e.delivery_source;
        if source == Some(DeliverySource::Platform) {
            e.auto_approvable_up_to = auto_cap(f.policy, e.suggested);
        }
        let (source_zh, source_en) = match source {
            Some(DeliverySource::Platform) => ("平台数据", "the platform's own data"),
            Some(DeliverySource::ThirdParty) => ("第三方监测数据", "a third-party monitor"),
            Some(DeliverySource::Manual) => ("人工录入", "entered by staff"),
            None => ("无交付记录", "no delivery record"),
        };
        e.explanation = Text::new(
            format!(
                "截止时承诺 {promised}、实际交付 {delivered}(来源:{source_zh}),未交付 {shortfall};依第 {} 条按比例可退 {share}(四舍五入到分),扣除已退或处理中的金额后建议退款 {}。",
                rules.pro_rata_clause, e.suggested
            ),
            format!(
                "By the deadline {delivered} of {promised} were delivered (source: {source_en}), {shortfall} short. Under clause {} the undelivered share is {share} (rounded to the nearest fen); after amounts already refunded or in progress, {} is suggested.",
                rules.pro_rata_clause, e.suggested
            ),
        );
        return e;
    }

    e.verdict = Verdict::Review;
    e.basis = Basis::InProgress;
    let deadline = f.order.service.deadline.to_zoned_datetime(crate::calendar::shanghai()).strftime("%Y-%m-%d %H:%M");
    e.explanation = Text::new(
        format!(
            "服务仍在交付期内(截止 {deadline},目前 {delivered}/{promised}),没有自动适用的退款规则;如服务中断或账号有风险,您可以附证据申请,由审核人员判断。"
        ),
        format!(
            "The service is still within its delivery period (deadline {deadline}, {delivered} of {promised} so far) and no automatic rule applies. If the service was interrupted or your account is at risk, apply with evidence and a reviewer will decide."
        ),
    );
    e
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

fn auto_cap(policy: &Policy, suggested: Fen) -> Option<Fen> {
    let max = Fen(policy.rules.auto_approve_max_fen);
    (max > Fen::ZERO && suggested > Fen::ZERO && suggested <= max).then_some(suggested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrderNo, Username};
    use crate::order::{AccountEventKind, Channel, Payment, Service};

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn order(promised: u64, paid: i64) -> Order {
        Order {
            no: OrderNo::parse("DY-1").expect("no"),
            buyer: Username::parse("alice").expect("name"),
            service: Service {
                name: "抖音点赞".into(),
                platform: "douyin".into(),
                unit: "likes".into(),
                promised,
                deadline: ts("2026-11-04T00:00:00Z"),
            },
            payment: Some(Payment {
                channel: Channel::WechatPay,
                transaction_id: "4200001".into(),
                amount: Fen(paid),
                paid_at: ts("2026-11-01T00:00:00Z"),
            }),
            policy_version: 1,
            policy_accepted_at: ts("2026-11-01T00:00:00Z"),
        }
    }

    fn reading(at: &str, n: u64, source: DeliverySource) -> DeliveryReading {
        DeliveryReading { at: ts(at), delivered: n, source }
    }

    fn assess_at(
        o: &Order,
        ledger: &[DeliveryReading],
        events: &[AccountEvent],
        claimed: i64,
        now: &str,
    ) -> Entitlement {
        let policy = Policy::seed_v1();
        assess(&Facts {
            order: o,
            ledger,
            account_events: events,
            policy: &policy,
            claimed: Fen(claimed),
            now: ts(now),
        })
    }

    #[test]
    fn seed_example_1000_likes_600_delivered() {
        let o = order(1000, 5000);
        let ledger = [reading("2026-11-03T12:00:00Z", 600, DeliverySource::Platform)];
        let e = assess_at(&o, &ledger, &[], 0, "2026-11-05T00:00:00Z");
        assert_eq!((e.verdict, e.basis), (Verdict::Entitled, Basis::ProRataShortfall));
        assert_eq!(e.suggested, Fen(2000));
        assert_eq!(e.max_refundable, Fen(5000));
        assert_eq!(e.clauses, vec!["3".to_string()]);
        assert!(e.explanation.zh.contains("¥20.00") && e.explanation.en.contains("¥20.00"));
        assert!(e.auto_approves(Fen(2000)));
        assert!(!e.auto_approves(Fen(2001)));
    }

    #[test]
    fn seed_example_500_bought_200_after_three_days() {
        // 500 Xiaohongshu likes for ¥30.00, 200 delivered at the 3-day deadline: 3/5 refundable.
        let o = order(500, 3000);
        let ledger = [
            reading("2026-11-02T00:00:00Z", 120, DeliverySource::ThirdParty),
            reading("2026-11-03T23:00:00Z", 200, DeliverySource::ThirdParty),
            reading("2026-11-06T00:00:00Z", 480, DeliverySource::ThirdParty),
        ];
        let e = assess_at(&o, &ledger, &[], 0, "2026-11-07T00:00:00Z");
        assert_eq!(e.delivered, 200, "readings after the deadline do not count");
        assert_eq!(e.suggested, Fen(1800));
        assert_eq!(e.auto_approvable_up_to, None, "third-party data needs a human");
        // Each language names the source in words, never by its code.
        assert!(e.explanation.en.contains("(source: a third-party monitor)"), "{}", e.explanation.en);
        assert!(e.explanation.zh.contains("第三方监测数据"), "{}", e.explanation.zh);
        assert!(!e.explanation.en.contains("third_party"), "{}", e.explanation.en);
    }

    #[test]
    fn no_reason_window_before_delivery() {
        let o = order(1000, 5000);
        let e = assess_at(&o, &[], &[], 0, "2026-11-02T00:00:00Z");
        assert_eq!((e.verdict, e.basis, e.suggested), (Verdict::Entitled, Basis::NoReasonWindow, Fen(5000)));
        let started = [reading("2026-11-01T06:00:00Z", 10, DeliverySource::Platform)];
        let e = assess_at(&o, &started, &[], 0, "2026-11-02T00:00:00Z");
        assert_eq!((e.verdict, e.basis), (Verdict::Review, Basis::InProgress));
    }

    #[test]
    fn out_of_window_and_nothing_left() {
        let o = order(1000, 5000);
        let e = assess_at(&o, &[], &[], 0, "2027-06-01T00:00:00Z");
        assert_eq!((e.verdict, e.basis, e.max_refundable), (Verdict::NotEligible, Basis::OutOfWindow, Fen::ZERO));
        let e = assess_at(&o, &[], &[], 5000, "2026-11-05T00:00:00Z");
        assert_eq!((e.verdict, e.basis), (Verdict::NotEligible, Basis::NothingLeft));
    }

    #[test]
    fn earlier_refunds_reduce_the_pro_rata_suggestion() {
        let o = order(1000, 5000);
        let ledger = [reading("2026-11-03T00:00:00Z", 600, DeliverySource::Platform)];
        let e = assess_at(&o, &ledger, &[], 1500, "2026-11-05T00:00:00Z");
        assert_eq!((e.suggested, e.balance), (Fen(500), Fen(3500)));
    }

    #[test]
    fn violation_ban_sends_it_to_a_reviewer() {
        let o = order(1000, 5000);
        let ban = [AccountEvent {
            at: ts("2026-11-02T00:00:00Z"),
            kind: AccountEventKind::BannedForViolation,
            source: "douyin".into(),
        }];
        let e = assess_at(&o, &[], &ban, 0, "2026-11-05T00:00:00Z");
        assert_eq!((e.verdict, e.basis), (Verdict::Review, Basis::ViolationExclusion));
        assert_eq!(e.max_refundable, Fen(5000), "the law's floor: the buyer may still apply");
        assert_eq!(e.auto_approvable_up_to, None);
    }

    #[test]
    fn completed_service_is_for_a_reviewer() {
        let o = order(1000, 5000);
        let ledger = [reading("2026-11-03T00:00:00Z", 1000, DeliverySource::Platform)];
        let e = assess_at(&o, &ledger, &[], 0, "2026-11-05T00:00:00Z");
        assert_eq!((e.verdict, e.basis, e.suggested), (Verdict::Review, Basis::ServiceCompleted, Fen::ZERO));
    }
}
