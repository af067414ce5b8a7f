//! Reconciliation (docs/product.md §4): Redress's payouts for one business day set against the
//! channel's own statement for that day, listing every difference.
//!
//! A channel's statement for day D (Asia/Shanghai) lists refunds by one of two days
//! ([`Basis`]): WeChat Pay's refund bill lists the refunds it *accepted* on D, with their
//! status when the bill was made (a snapshot: a refund still processing then is `PROCESSING`
//! on it for ever); Alipay's and the bank's list the refunds *settled* on D. Redress's side of D
//! is every payout of that channel whose matching moment (the channel's first answer, or the
//! arrival) fell on D, plus whatever Redress knows about each key the statement names. Then:
//!
//! - a refund on the statement under a key Redress never issued: **unknown to Redress** (money
//!   left that no approval explains), or issued for another channel: **other channel**;
//! - a key on the statement twice: **duplicate** (the channel refunded a key twice);
//! - a refund the channel paid that staff had also recorded as paid another way (an abnormal
//!   one the channel delivered after all): **paid twice**;
//! - a payout of that day the statement does not list: **missing at the channel**;
//! - the same key with other amounts: **amount**;
//! - the same key, but Redress's state contradicts the channel's status: **state**. On a
//!   statement of settled refunds the status is how the refund stands: Redress must say the
//!   same (a bank's `RETURNED` against Redress's `succeeded` is money that came back). On
//!   WeChat Pay's snapshot bill a final status (succeeded, closed) must be Redress's state
//!   too, and one that was not final then (processing, abnormal) agrees with any state Redress
//!   has since moved on to — it disagrees only when Redress is behind it.
//!
//! Redress records those moments when it learns of them, which can be later than the channel's
//! (a lost answer, a retry's backoff): a refund the channel listed on D that Redress learned of
//! on D+1 is matched by key on D and listed as missing at the channel on D+1.

use crate::calendar::shanghai;
use crate::money::Fen;
use crate::order::Channel;
use crate::payout::{ChannelStatus, PayoutState, advance};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One refund on a channel's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    /// The idempotency key Redress sent (`out_refund_no`, `out_request_no`, `request_no`).
    pub key: String,
    /// The channel's own number for the refund.
    pub channel_ref: String,
    pub amount: Fen,
    pub status: ChannelStatus,
    /// When the channel settled it.
    pub at: Timestamp,
}

/// Which of a refund's days a channel's statement lists it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The day the channel accepted the refund (WeChat Pay's refund bill).
    Accepted,
    /// The day the money arrived (Alipay, the bank).
    Settled,
}

impl Basis {
    /// How a channel's statement lists refunds.
    pub fn of(channel: Channel) -> Basis {
        match channel {
            Channel::WechatPay => Basis::Accepted,
            Channel::Alipay | Channel::BankCard => Basis::Settled,
        }
    }
}

/// A payout as Redress knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ours {
    pub key: String,
    pub amount: Fen,
    pub state: PayoutState,
    /// When the channel first answered that it took the refund (None: it never did).
    pub accepted_at: Option<Timestamp>,
    /// When Redress learned that it arrived.
    pub arrived_at: Option<Timestamp>,
    /// Set when Redress issued this key for another channel than the statement's.
    pub other_channel: Option<Channel>,
    /// Staff recorded the application's refund as paid another way.
    pub paid_another_way: bool,
}

impl Ours {
    /// Whether the channel's statement of `date` should list it.
    fn due(&self, date: Date, basis: Basis) -> bool {
        if self.other_channel.is_some() {
            return false;
        }
        let on = |t: Option<Timestamp>| t.is_some_and(|t| business_date(t) == date);
        match basis {
            Basis::Accepted => self.state != PayoutState::Created && on(self.accepted_at),
            Basis::Settled => self.state == PayoutState::Succeeded && on(self.arrived_at),
        }
    }
}

/// Whether Redress's state contradicts the channel's status. A statement of settled refunds
/// says how each stands now: Redress must say the same. A bill of accepted refunds is a
/// snapshot: a status that was not final then agrees with any state Redress moved on to.
fn contradicts(ours: PayoutState, theirs: ChannelStatus, basis: Basis) -> bool {
    match basis {
        Basis::Settled => ours != theirs.state(),
        Basis::Accepted => ours != theirs.state() && (theirs.state().is_final() || advance(ours, theirs).is_some()),
    }
}

/// One difference between Redress and the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    UnknownToRedress { key: String, channel_ref: String, amount: Fen },
    OtherChannel { key: String, amount: Fen, issued_for: Channel },
    PaidTwice { key: String, amount: Fen },
    Duplicate { key: String, times: usize },
    MissingAtChannel { key: String, amount: Fen },
    Amount { key: String, ours: Fen, theirs: Fen },
    State { key: String, ours: PayoutState, theirs: ChannelStatus },
}

impl Mismatch {
    pub fn key(&self) -> &str {
        match self {
            Mismatch::UnknownToRedress { key, .. }
            | Mismatch::OtherChannel { key, .. }
            | Mismatch::PaidTwice { key, .. }
            | Mismatch::Duplicate { key, .. }
            | Mismatch::MissingAtChannel { key, .. }
            | Mismatch::Amount { key, .. }
            | Mismatch::State { key, .. } => key,
        }
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::UnknownToRedress { key, channel_ref, amount } => {
                write!(
                    f,
                    "unknown_to_redress {key}: the channel refunded {amount} ({channel_ref}) under a key Redress never issued"
                )
            }
            Mismatch::OtherChannel { key, amount, issued_for } => {
                write!(
                    f,
                    "other_channel {key}: the channel refunded {amount} under a key Redress issued for {}",
                    issued_for.as_str()
                )
            }
            Mismatch::PaidTwice { key, amount } => {
                write!(f, "paid_twice {key}: the channel paid {amount} that staff also recorded as paid another way")
            }
            Mismatch::Duplicate { key, times } => {
                write!(f, "duplicate {key}: the statement lists this key {times} times")
            }
            Mismatch::MissingAtChannel { key, amount } => {
                write!(
                    f,
                    "missing_at_channel {key}: Redress recorded {amount} arriving this day; the statement does not list it"
                )
            }
            Mismatch::Amount { key, ours, theirs } => {
                write!(f, "amount {key}: Redress {ours}, the channel {theirs}")
            }
            Mismatch::State { key, ours, theirs } => {
                write!(f, "state {key}: Redress says {}, the channel says {}", ours.as_str(), theirs.as_str())
            }
        }
    }
}

/// What was compared, and what differs (ordered by key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub date: Date,
    pub at_channel: usize,
    pub in_redress: usize,
    pub matched: usize,
    pub mismatches: Vec<Mismatch>,
}

/// The business day (Asia/Shanghai) a moment falls on.
pub fn business_date(at: Timestamp) -> Date {
    shanghai().to_datetime(at).date()
}

/// The moments a business day spans: from its midnight to the next, Asia/Shanghai.
pub fn day_span(date: Date) -> Option<(Timestamp, Timestamp)> {
    let midnight = |d: Date| shanghai().to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok();
    Some((midnight(date)?, midnight(date.tomorrow().ok()?)?))
}

/// Sets the statement of `date` against Redress's payouts. `ours` holds at least the payouts
/// the statement should list and those its keys name (in any order; repeats are ignored).
pub fn reconcile(date: Date, basis: Basis, statement: &[StatementEntry], ours: &[Ours]) -> Reconciliation {
    let ours: BTreeMap<&str, &Ours> = ours.iter().map(|o| (o.key.as_str(), o)).collect();
    let mut theirs: BTreeMap<&str, Vec<&StatementEntry>> = BTreeMap::new();
    for e in statement {
        theirs.entry(e.key.as_str()).or_default().push(e);
    }
    let mut mismatches = Vec::new();
    let mut matched = 0;
    for (key, entries) in &theirs {
        if entries.len() > 1 {
            mismatches.push(Mismatch::Duplicate { key: (*key).to_owned(), times: entries.len() });
        }
        let e = entries[0];
        let Some(o) = ours.get(key) else {
            mismatches.push(Mismatch::UnknownToRedress {
                key: e.key.clone(),
                channel_ref: e.channel_ref.clone(),
                amount: e.amount,
            });
            continue;
        };
        if let Some(issued_for) = o.other_channel {
            mismatches.push(Mismatch::OtherChannel { key: e.key.clone(), amount: e.amount, issued_for });
            continue;
        }
        let mut same = entries.len() == 1;
        if crate::payout::paid_twice(o.paid_another_way, e.status.state()) {
            mismatches.push(Mismatch::PaidTwice { key: e.key.clone(), amount: e.amount });
            same = false;
        }
        if o.amount != e.amount {
            mismatches.push(Mismatch::Amount { key: e.key.clone(), ours: o.amount, theirs: e.amount });
            same = false;
        }
        if contradicts(o.state, e.status, basis) {
            mismatches.push(Mismatch::State { key: e.key.clone(), ours: o.state, theirs: e.status });
            same = false;
        }
        if same {
            matched += 1;
        }
    }
    let due: BTreeSet<&str> = ours.values().filter(|o| o.due(date, basis)).map(|o| o.key.as_str()).collect();
    for key in &due {
        if !theirs.contains_key(key) {
            let o = ours[key];
            mismatches.push(Mismatch::MissingAtChannel { key: o.key.clone(), amount: o.amount });
        }
    }
    mismatches.sort_by(|a, b| a.key().cmp(b.key()));
    Reconciliation { date, at_channel: statement.len(), in_redress: due.len(), matched, mismatches }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Date {
        jiff::civil::date(2026, 11, 24)
    }

    /// 10:00 on the day, Beijing time.
    fn on_day(hour: i8) -> Timestamp {
        shanghai().to_timestamp(day().at(hour, 0, 0, 0)).expect("time")
    }

    fn entry(key: &str, fen: i64) -> StatementEntry {
        StatementEntry {
            key: key.into(),
            channel_ref: format!("ch-{key}"),
            amount: Fen(fen),
            status: ChannelStatus::Succeeded,
            at: on_day(10),
        }
    }

    fn ours(key: &str, fen: i64, state: PayoutState, arrived: Option<Timestamp>) -> Ours {
        Ours {
            key: key.into(),
            amount: Fen(fen),
            state,
            accepted_at: arrived,
            arrived_at: arrived,
            other_channel: None,
            paid_another_way: false,
        }
    }

    #[test]
    fn the_same_refunds_on_both_sides_match() {
        let r = reconcile(
            day(),
            Basis::Settled,
            &[entry("A-P1", 2500), entry("B-P1", 100)],
            &[
                ours("B-P1", 100, PayoutState::Succeeded, Some(on_day(11))),
                ours("A-P1", 2500, PayoutState::Succeeded, Some(on_day(10))),
            ],
        );
        assert_eq!(r.mismatches, vec![]);
        assert_eq!((r.at_channel, r.in_redress, r.matched), (2, 2, 2));
    }

    #[test]
    fn every_kind_of_difference_is_listed_once_by_key() {
        let statement = [
            entry("A-P1", 2500),
            entry("B-P1", 900),
            entry("C-P1", 300),
            entry("X-P1", 700),
            entry("D-P1", 100),
            entry("D-P1", 100),
        ];
        let redress = [
            ours("A-P1", 2500, PayoutState::Succeeded, Some(on_day(10))),
            ours("B-P1", 1000, PayoutState::Succeeded, Some(on_day(10))),
            ours("C-P1", 300, PayoutState::Processing, None),
            ours("D-P1", 100, PayoutState::Succeeded, Some(on_day(9))),
            ours("E-P1", 400, PayoutState::Succeeded, Some(on_day(23))),
            // Arrived the day before: not this day's business.
            ours("F-P1", 400, PayoutState::Succeeded, Some(on_day(10) - jiff::SignedDuration::from_hours(24))),
        ];
        let r = reconcile(day(), Basis::Settled, &statement, &redress);
        assert_eq!(
            r.mismatches,
            vec![
                Mismatch::Amount { key: "B-P1".into(), ours: Fen(1000), theirs: Fen(900) },
                Mismatch::State { key: "C-P1".into(), ours: PayoutState::Processing, theirs: ChannelStatus::Succeeded },
                Mismatch::Duplicate { key: "D-P1".into(), times: 2 },
                Mismatch::MissingAtChannel { key: "E-P1".into(), amount: Fen(400) },
                Mismatch::UnknownToRedress { key: "X-P1".into(), channel_ref: "ch-X-P1".into(), amount: Fen(700) },
            ]
        );
        assert_eq!(r.matched, 1);
        assert_eq!(r.in_redress, 4, "A, B, D, E arrived that day");
        let said: Vec<String> = r.mismatches.iter().map(ToString::to_string).collect();
        assert_eq!(said[0], "amount B-P1: Redress ¥10.00, the channel ¥9.00");
        assert_eq!(said[1], "state C-P1: Redress says processing, the channel says succeeded");
        assert!(said[4].starts_with("unknown_to_redress X-P1: the channel refunded ¥7.00 (ch-X-P1)"), "{}", said[4]);
    }

    #[test]
    fn the_business_day_is_beijing_time() {
        // 2026-11-24 16:30 UTC is 00:30 on the 25th in Beijing.
        let t: Timestamp = "2026-11-24T16:30:00Z".parse().expect("ts");
        assert_eq!(business_date(t), jiff::civil::date(2026, 11, 25));
        let (from, to) = day_span(jiff::civil::date(2026, 11, 25)).expect("span");
        assert_eq!((from.to_string(), to.to_string()), ("2026-11-24T16:00:00Z".into(), "2026-11-25T16:00:00Z".into()));
        let r = reconcile(day(), Basis::Settled, &[], &[ours("A-P1", 1, PayoutState::Succeeded, Some(t))]);
        assert_eq!(r.mismatches, vec![], "it arrived on the 25th");
    }

    #[test]
    fn a_refund_the_channel_closed_matches_a_closed_payout() {
        let closed = StatementEntry { status: ChannelStatus::Closed, ..entry("A-P1", 100) };
        let r = reconcile(
            day(),
            Basis::Settled,
            std::slice::from_ref(&closed),
            &[ours("A-P1", 100, PayoutState::Closed, None)],
        );
        assert_eq!(r.mismatches, vec![]);
        let r =
            reconcile(day(), Basis::Settled, &[closed], &[ours("A-P1", 100, PayoutState::Succeeded, Some(on_day(8)))]);
        assert_eq!(
            r.mismatches,
            vec![Mismatch::State { key: "A-P1".into(), ours: PayoutState::Succeeded, theirs: ChannelStatus::Closed }]
        );
    }

    #[test]
    fn a_settled_statement_says_how_a_refund_stands_now() {
        // The bank returned it (the card was closed): money came back, whatever Redress says.
        let returned = StatementEntry { status: ChannelStatus::Abnormal, ..entry("A-P1", 100) };
        for state in [PayoutState::Succeeded, PayoutState::Closed, PayoutState::Processing] {
            let r =
                reconcile(day(), Basis::Settled, std::slice::from_ref(&returned), &[ours("A-P1", 100, state, None)]);
            assert_eq!(
                r.mismatches,
                vec![Mismatch::State { key: "A-P1".into(), ours: state, theirs: ChannelStatus::Abnormal }],
                "{state:?}"
            );
        }
        let r = reconcile(day(), Basis::Settled, &[returned], &[ours("A-P1", 100, PayoutState::Abnormal, None)]);
        assert_eq!(r.mismatches, vec![]);
    }

    #[test]
    fn a_snapshot_still_processing_agrees_with_what_redress_learned_since() {
        // WeChat Pay's bill lists the refunds accepted that day, as they stood when it was made.
        let processing = StatementEntry { status: ChannelStatus::Processing, ..entry("A-P1", 100) };
        let accepted = Some(on_day(22));
        let arrived_next_day = Some(on_day(22) + jiff::SignedDuration::from_hours(4));
        for state in [PayoutState::Processing, PayoutState::Succeeded, PayoutState::Abnormal, PayoutState::Closed] {
            let o = Ours { arrived_at: arrived_next_day, ..ours("A-P1", 100, state, accepted) };
            let r = reconcile(day(), Basis::Accepted, std::slice::from_ref(&processing), &[o]);
            assert_eq!(r.mismatches, vec![], "{state:?}");
            assert_eq!((r.in_redress, r.matched), (1, 1));
        }
        // Redress never learned that the channel took it.
        let behind = ours("A-P1", 100, PayoutState::Created, None);
        let r = reconcile(day(), Basis::Accepted, &[processing], &[behind]);
        assert_eq!(
            r.mismatches,
            vec![Mismatch::State { key: "A-P1".into(), ours: PayoutState::Created, theirs: ChannelStatus::Processing }]
        );
        // Accepted on the day but missing from that day's bill; arrival days do not count here.
        let o = Ours { arrived_at: None, ..ours("B-P1", 5, PayoutState::Processing, accepted) };
        let r = reconcile(day(), Basis::Accepted, &[], &[o]);
        assert_eq!(r.mismatches, vec![Mismatch::MissingAtChannel { key: "B-P1".into(), amount: Fen(5) }]);
        let o = Ours {
            accepted_at: Some(on_day(10) - jiff::SignedDuration::from_hours(24)),
            ..ours("C-P1", 5, PayoutState::Succeeded, Some(on_day(10)))
        };
        assert_eq!(reconcile(day(), Basis::Accepted, &[], &[o]).mismatches, vec![]);
    }

    #[test]
    fn money_the_channel_paid_after_staff_paid_it_another_way_is_paid_twice() {
        // Abnormal, routed another way by staff; then the channel delivered it after all.
        let late = Ours { paid_another_way: true, ..ours("A-P1", 100, PayoutState::Succeeded, Some(on_day(9))) };
        let r = reconcile(day(), Basis::Settled, &[entry("A-P1", 100)], std::slice::from_ref(&late));
        assert_eq!(r.mismatches, vec![Mismatch::PaidTwice { key: "A-P1".into(), amount: Fen(100) }]);
        assert_eq!(r.matched, 0);
        // Still abnormal at the channel: nothing paid twice (yet).
        let stuck = StatementEntry { status: ChannelStatus::Abnormal, ..entry("A-P1", 100) };
        let o = Ours { state: PayoutState::Abnormal, ..late };
        assert_eq!(reconcile(day(), Basis::Settled, &[stuck], &[o]).mismatches, vec![]);
    }

    #[test]
    fn a_key_issued_for_another_channel_is_named_as_such() {
        let elsewhere = Ours {
            other_channel: Some(Channel::BankCard),
            ..ours("A-P1", 100, PayoutState::Succeeded, Some(on_day(9)))
        };
        let r = reconcile(day(), Basis::Settled, &[entry("A-P1", 100)], &[elsewhere]);
        assert_eq!(
            r.mismatches,
            vec![Mismatch::OtherChannel { key: "A-P1".into(), amount: Fen(100), issued_for: Channel::BankCard }]
        );
        assert_eq!(r.in_redress, 0, "not this channel's to pay");
        assert!(r.mismatches[0].to_string().contains("issued for bank_card"));
    }
}
