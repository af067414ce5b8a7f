//! Payouts (docs/product.md §4): money going back along the original channel, exactly once.
//!
//! A payout is written in the same transaction as the approval that causes it (the outbox) and
//! has its own state machine, apart from the application's:
//! `created → processing → succeeded`, or `abnormal` (the channel cannot reach the account —
//! not final, staff choose another route) or `closed` (the channel gave up; only a new payout,
//! with a new key, can try again). Reports from a channel only ever move a payout forward: a
//! late `processing` never overwrites `succeeded`, and a repeated report changes nothing.
//!
//! The idempotency key (WeChat Pay `out_refund_no`, Alipay `out_request_no`, the bank
//! channel's request number) is derived from the application and the payout's number within
//! it, so every retry, restart and crash sends the same key, and the channel never refunds it
//! twice.

use crate::calendar::BusinessCalendar;
use crate::ids::ApplicationNo;
use crate::money::Fen;
use crate::order::Channel;
use crate::sla::{Clock, Hours, business_days};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

crate::enums::str_enum!(
    /// Where a payout stands.
    PayoutState {
        Created = "created",
        Processing = "processing",
        Succeeded = "succeeded",
        Abnormal = "abnormal",
        Closed = "closed",
    }
);

impl PayoutState {
    /// How far along a payout is; a report never moves it back.
    fn rank(self) -> u8 {
        match self {
            PayoutState::Created => 0,
            PayoutState::Processing => 1,
            PayoutState::Abnormal => 2,
            PayoutState::Succeeded | PayoutState::Closed => 3,
        }
    }

    /// Nothing more will happen to it at the channel.
    pub fn is_final(self) -> bool {
        self.rank() == 3
    }

    /// The worker still has something to do: send it, or ask the channel how it went.
    pub fn needs_work(self) -> bool {
        matches!(self, PayoutState::Created | PayoutState::Processing)
    }
}

/// Money went out twice: staff recorded the refund as paid another way, and the channel paid
/// it as well. The desk and reconciliation both ask this.
pub fn paid_twice(paid_another_way: bool, channel: PayoutState) -> bool {
    paid_another_way && channel == PayoutState::Succeeded
}

/// What an application's payouts are, as a decision needs them: the channel its order was paid
/// through and the state of each payout so far, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutHistory {
    /// `None` for an order without a payment (nothing can be paid back on it).
    pub channel: Option<Channel>,
    pub states: Vec<PayoutState>,
}

impl PayoutHistory {
    /// On its way to the channel (created or processing): recording the refund as paid
    /// another way now could pay twice.
    pub fn in_flight(&self) -> bool {
        self.states.iter().any(|s| s.needs_work())
    }

    /// Not ended (an abnormal one included: the channel may still pay it, or be told where
    /// to). One payout is open at a time: sending another could pay twice.
    pub fn open(&self) -> bool {
        self.states.iter().any(|s| !s.is_final())
    }

    pub fn abnormal(&self) -> bool {
        self.states.contains(&PayoutState::Abnormal)
    }

    /// Whether the channel paid a refund that was also `paid_another_way`.
    pub fn paid_twice(&self, paid_another_way: bool) -> bool {
        self.states.iter().any(|s| paid_twice(paid_another_way, *s))
    }

    /// The number the next payout of the application takes (1, 2, …).
    pub fn next_n(&self) -> u32 {
        u32::try_from(self.states.len()).unwrap_or(u32::MAX - 1) + 1
    }
}

/// What a channel says about a refund (its answer to a request or a query, or a callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Processing,
    Succeeded,
    Abnormal,
    Closed,
}

impl ChannelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelStatus::Processing => "processing",
            ChannelStatus::Succeeded => "succeeded",
            ChannelStatus::Abnormal => "abnormal",
            ChannelStatus::Closed => "closed",
        }
    }

    /// The payout state this status means.
    pub fn state(self) -> PayoutState {
        match self {
            ChannelStatus::Processing => PayoutState::Processing,
            ChannelStatus::Succeeded => PayoutState::Succeeded,
            ChannelStatus::Abnormal => PayoutState::Abnormal,
            ChannelStatus::Closed => PayoutState::Closed,
        }
    }
}

/// The state after a channel's report: `Some(next)` when it moves the payout forward, `None`
/// when it changes nothing (a repeat, or older news than what is known). `succeeded` and
/// `closed` are final; `abnormal` may still end as either.
pub fn advance(current: PayoutState, report: ChannelStatus) -> Option<PayoutState> {
    let next = report.state();
    if current.is_final() || next.rank() <= current.rank() { None } else { Some(next) }
}

/// A payout as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The idempotency key the channel sees.
    pub id: String,
    pub application_no: String,
    /// The application's n-th payout.
    pub n: i64,
    pub order_no: String,
    pub channel: Channel,
    pub amount: Fen,
    pub state: PayoutState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub channel_ref: Option<String>,
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub settled_at: Option<Timestamp>,
}

/// What a channel's report does to a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// Nothing moved (a repeat, or older news): ask again at `retry_at`, unless it has ended.
    Unchanged { retry_at: Option<Timestamp> },
    /// The payout's next row.
    Moved(Box<Payout>),
}

/// A channel's `report` on `p` at `now` (with its reference and, for an abnormal or closed
/// refund, its reason), to be asked about again at `retry_at` while not final.
pub fn on_report(
    p: &Payout,
    report: ChannelStatus,
    channel_ref: Option<&str>,
    reason: Option<&str>,
    retry_at: Timestamp,
    now: Timestamp,
) -> Reported {
    let Some(next) = advance(p.state, report) else {
        return Reported::Unchanged { retry_at: (!p.state.is_final()).then_some(retry_at) };
    };
    let mut p = p.clone();
    p.state = next;
    p.channel_ref = channel_ref.map(str::to_owned).or(p.channel_ref);
    p.reason =
        if matches!(next, PayoutState::Abnormal | PayoutState::Closed) { reason.map(str::to_owned) } else { None };
    p.sent_at = p.sent_at.or(Some(now));
    p.settled_at = next.is_final().then_some(now);
    p.next_attempt_at = retry_at;
    Reported::Moved(Box::new(p))
}

/// The most characters a channel takes in an idempotency key (WeChat Pay's `out_refund_no`).
pub const MAX_KEY_CHARS: usize = 64;

/// The idempotency key of an application's `n`-th payout (1, 2, …): `RF-…-P1`. Only the
/// characters every channel accepts (letters, digits, `-`), at most [`MAX_KEY_CHARS`].
pub fn payout_key(application: &ApplicationNo, n: u32) -> String {
    format!("{application}-P{n}")
}

/// Why a payout cannot be sent (checked before sending, with a clear message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    #[error("WeChat Pay refunds only within one year of payment")]
    TooLate,
    #[error("WeChat Pay allows at most {max} partial refunds per order")]
    TooManyRefunds { max: u32 },
    #[error("a refund must be more than zero and at most what was paid")]
    BadAmount,
    #[error("the idempotency key must be 1 to 64 letters, digits or dashes")]
    BadKey,
}

impl PayoutError {
    /// A stable code for translation.
    pub fn code(&self) -> &'static str {
        match self {
            PayoutError::TooLate => "payout-too-late",
            PayoutError::TooManyRefunds { .. } => "payout-too-many",
            PayoutError::BadAmount => "payout-bad-amount",
            PayoutError::BadKey => "payout-bad-key",
        }
    }
}

/// WeChat Pay: at most this many refunds of one order.
pub const WECHAT_MAX_REFUNDS: u32 = 50;

/// The channel's own limits, checked before a payout is sent: `earlier` is how many refunds of
/// the order the channel has already been asked for.
pub fn check_limits(
    channel: Channel,
    paid: Fen,
    amount: Fen,
    paid_at: Timestamp,
    now: Timestamp,
    earlier: u32,
    key: &str,
) -> Result<(), PayoutError> {
    if amount <= Fen::ZERO || amount > paid {
        return Err(PayoutError::BadAmount);
    }
    if key.is_empty()
        || key.chars().count() > MAX_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(PayoutError::BadKey);
    }
    if channel == Channel::WechatPay {
        if now.duration_since(paid_at) > SignedDuration::from_hours(365 * 24) {
            return Err(PayoutError::TooLate);
        }
        if earlier >= WECHAT_MAX_REFUNDS {
            return Err(PayoutError::TooManyRefunds { max: WECHAT_MAX_REFUNDS });
        }
    }
    Ok(())
}

/// When to try again after `attempts` failed or unanswered tries: 5 s, 10 s, 20 s… doubling up
/// to an hour, spread by `jitter` (0.0–1.0, from the caller's randomness) by up to a fifth so
/// many payouts failing together do not retry together.
pub fn retry_delay(attempts: u32, jitter: f64) -> SignedDuration {
    let base = 5i64.saturating_mul(1i64 << attempts.min(20)).min(3600);
    let spread = (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as i64;
    SignedDuration::from_secs(base + spread)
}

/// When the money is expected to arrive, in business days after it was sent (docs/product.md §4,
/// configurable per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalDays {
    pub min: u32,
    pub max: u32,
}

impl ArrivalDays {
    /// WeChat Pay and Alipay 0–1 business days, bank card 1–7.
    pub fn default_for(channel: Channel) -> ArrivalDays {
        match channel {
            Channel::WechatPay | Channel::Alipay => ArrivalDays { min: 0, max: 1 },
            Channel::BankCard => ArrivalDays { min: 1, max: 7 },
        }
    }

    /// The window as times: from the end of the `min`-th business day after `sent` (or `sent`
    /// itself for 0) to the end of the `max`-th.
    pub fn window(self, sent: Timestamp, calendar: &BusinessCalendar) -> (Timestamp, Timestamp) {
        let from = if self.min == 0 { sent } else { self.clock(sent, self.min).due(calendar).unwrap_or(sent) };
        (from, self.clock(sent, self.max).due(calendar).unwrap_or(sent))
    }

    /// The arrival promise as a service-level clock: `days` whole business days from `sent`,
    /// in the same engine as the review promise and the tickets' clocks.
    fn clock(self, sent: Timestamp, days: u32) -> Clock {
        Clock::start(sent, business_days(days), Hours::BusinessDays)
    }

    /// The clock of the latest arrival: from `sent`, stopped when the money arrived.
    pub fn arrival_clock(self, sent: Timestamp, arrived: Option<Timestamp>) -> Clock {
        let mut clock = self.clock(sent, self.max);
        if let Some(at) = arrived {
            let _stopped = clock.stop(at.max(sent));
        }
        clock
    }
}

/// Each channel's arrival window, as configured (`wechat_pay:0-1,alipay:0-1,bank_card:1-7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrivals {
    pub wechat_pay: ArrivalDays,
    pub alipay: ArrivalDays,
    pub bank_card: ArrivalDays,
}

impl Default for Arrivals {
    fn default() -> Arrivals {
        Arrivals {
            wechat_pay: ArrivalDays::default_for(Channel::WechatPay),
            alipay: ArrivalDays::default_for(Channel::Alipay),
            bank_card: ArrivalDays::default_for(Channel::BankCard),
        }
    }
}

impl Arrivals {
    pub fn get(&self, channel: Channel) -> ArrivalDays {
        match channel {
            Channel::WechatPay => self.wechat_pay,
            Channel::Alipay => self.alipay,
            Channel::BankCard => self.bank_card,
        }
    }

    /// The defaults with the channels named in `text` replaced: `channel:min-max`, comma-separated.
    pub fn parse(text: &str) -> Result<Arrivals, String> {
        let mut a = Arrivals::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, days) = part.split_once(':').ok_or_else(|| format!("{part}: expected channel:min-max"))?;
            let (min, max) = days.split_once('-').ok_or_else(|| format!("{part}: expected min-max business days"))?;
            let (min, max): (u32, u32) = (
                min.trim().parse().map_err(|_| format!("{part}: not a number of days"))?,
                max.trim().parse().map_err(|_| format!("{part}: not a number of days"))?,
            );
            if min > max || max > 60 {
                return Err(format!("{part}: need min ≤ max ≤ 60"));
            }
            let days = ArrivalDays { min, max };
            match Channel::parse(name.trim()) {
                Some(Channel::WechatPay) => a.wechat_pay = days,
                Some(Channel::Alipay) => a.alipay = days,
                Some(Channel::BankCard) => a.bank_card = days,
                None => return Err(format!("{name}: unknown channel (wechat_pay, alipay, bank_card)")),
            }
        }
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn reports_only_move_a_payout_forward() {
        use ChannelStatus as R;
        use PayoutState as S;
        assert_eq!(advance(S::Created, R::Processing), Some(S::Processing));
        assert_eq!(advance(S::Created, R::Succeeded), Some(S::Succeeded));
        assert_eq!(advance(S::Processing, R::Processing), None, "a repeat changes nothing");
        assert_eq!(advance(S::Succeeded, R::Processing), None, "a late PROCESSING never overwrites SUCCESS");
        assert_eq!(advance(S::Succeeded, R::Closed), None);
        assert_eq!(advance(S::Closed, R::Succeeded), None, "closed is final: a new payout is needed");
        assert_eq!(advance(S::Abnormal, R::Succeeded), Some(S::Succeeded), "abnormal is not final");
        assert_eq!(advance(S::Abnormal, R::Processing), None);
    }

    proptest! {
        #[test]
        fn any_sequence_of_reports_is_monotonic_and_final_states_stick(reports in prop::collection::vec(0u8..4, 0..30)) {
            let mut s = PayoutState::Created;
            for r in reports {
                let r = [ChannelStatus::Processing, ChannelStatus::Succeeded, ChannelStatus::Abnormal, ChannelStatus::Closed][r as usize];
                if let Some(next) = advance(s, r) {
                    prop_assert!(next.rank() > s.rank());
                    prop_assert!(!s.is_final());
                    s = next;
                }
            }
        }
    }

    #[test]
    fn keys_are_stable_and_every_channel_takes_them() {
        let no = ApplicationNo::parse("RF-20261125-ABCDEF").expect("no");
        assert_eq!(payout_key(&no, 1), "RF-20261125-ABCDEF-P1");
        assert_eq!(payout_key(&no, 1), payout_key(&no, 1));
        assert_ne!(payout_key(&no, 1), payout_key(&no, 2));
        let now = ts("2026-11-25T00:00:00Z");
        for c in Channel::ALL {
            assert_eq!(check_limits(c, Fen(1000), Fen(500), now, now, 0, &payout_key(&no, 1)), Ok(()));
        }
        assert_eq!(check_limits(Channel::Alipay, Fen(1000), Fen(500), now, now, 0, ""), Err(PayoutError::BadKey));
        let long = "K".repeat(65);
        assert_eq!(check_limits(Channel::Alipay, Fen(1000), Fen(500), now, now, 0, &long), Err(PayoutError::BadKey));
        assert_eq!(check_limits(Channel::Alipay, Fen(1000), Fen(500), now, now, 0, "a b"), Err(PayoutError::BadKey));
    }

    #[test]
    fn channel_limits_are_checked_before_sending() {
        let paid_at = ts("2025-11-20T00:00:00Z");
        let key = "RF-20261125-ABCDEF-P1";
        let within = ts("2026-11-19T00:00:00Z");
        let after = ts("2026-11-25T00:00:00Z");
        assert_eq!(check_limits(Channel::WechatPay, Fen(1000), Fen(100), paid_at, within, 0, key), Ok(()));
        assert_eq!(
            check_limits(Channel::WechatPay, Fen(1000), Fen(100), paid_at, after, 0, key),
            Err(PayoutError::TooLate)
        );
        assert_eq!(
            check_limits(Channel::Alipay, Fen(1000), Fen(100), paid_at, after, 0, key),
            Ok(()),
            "WeChat Pay's rule only"
        );
        assert_eq!(
            check_limits(Channel::WechatPay, Fen(1000), Fen(100), paid_at, within, 50, key),
            Err(PayoutError::TooManyRefunds { max: 50 })
        );
        assert_eq!(check_limits(Channel::WechatPay, Fen(1000), Fen(100), paid_at, within, 49, key), Ok(()));
        assert_eq!(
            check_limits(Channel::BankCard, Fen(1000), Fen(1001), paid_at, within, 0, key),
            Err(PayoutError::BadAmount)
        );
        assert_eq!(
            check_limits(Channel::BankCard, Fen(1000), Fen(0), paid_at, within, 0, key),
            Err(PayoutError::BadAmount)
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let secs = |n, j| retry_delay(n, j).as_secs();
        assert_eq!((secs(0, 0.0), secs(1, 0.0), secs(2, 0.0), secs(3, 0.0)), (5, 10, 20, 40));
        assert_eq!(secs(20, 0.0), 3600);
        assert_eq!(secs(u32::MAX, 0.0), 3600, "no overflow");
        assert_eq!(secs(3, 1.0), 48, "spread by up to a fifth");
        assert_eq!(secs(3, 7.0), 48, "jitter is clamped");
    }

    #[test]
    fn arrival_days_are_configurable_per_channel() {
        let a = Arrivals::parse("bank_card:2-5, alipay:0-0").expect("parse");
        assert_eq!(a.get(Channel::BankCard), ArrivalDays { min: 2, max: 5 });
        assert_eq!(a.get(Channel::Alipay), ArrivalDays { min: 0, max: 0 });
        assert_eq!(a.get(Channel::WechatPay), ArrivalDays { min: 0, max: 1 }, "the default stays");
        assert_eq!(Arrivals::parse(""), Ok(Arrivals::default()));
        for bad in ["bank_card:5-2", "paypal:0-1", "bank_card:1", "bank_card:a-b", "bank_card:1-99"] {
            assert!(Arrivals::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arrival_windows_follow_the_business_calendar() {
        let cal = BusinessCalendar::china_default();
        // Friday 2026-11-27 15:00 in Shanghai.
        let sent = ts("2026-11-27T07:00:00Z");
        let (from, to) = ArrivalDays::default_for(Channel::WechatPay).window(sent, &cal);
        assert_eq!(from, sent);
        // One business day after Friday: the end of Monday.
        assert_eq!(to.to_zoned_datetime(crate::calendar::shanghai()).date(), date(2026, 12, 1));
        let (from, to) = ArrivalDays::default_for(Channel::BankCard).window(sent, &cal);
        assert_eq!(from.to_zoned_datetime(crate::calendar::shanghai()).date(), date(2026, 12, 1));
        // Seven business days: Mon 30 … Tue 8 December; ends at 00:00 on the 9th.
        assert_eq!(to.to_zoned_datetime(crate::calendar::shanghai()).date(), date(2026, 12, 9));
        // The same promise as a clock: kept by money on the last day, missed after it.
        use crate::sla::ClockState;
        let bank = ArrivalDays::default_for(Channel::BankCard);
        let on_time = bank.arrival_clock(sent, Some(ts("2026-12-08T15:59:59Z")));
        assert!(matches!(on_time.state(&cal, to), ClockState::Met { .. }));
        let late = bank.arrival_clock(sent, Some(ts("2026-12-08T16:00:01Z")));
        assert_eq!(late.state(&cal, to), ClockState::Breached { due: to });
        assert_eq!(bank.arrival_clock(sent, None).state(&cal, sent), ClockState::Running { due: to });
    }
}
