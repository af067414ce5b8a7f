//! The statutory clock (docs/product.md §6): beside the platform's own promises, the period
//! after which the law presumes an operator who has not refunded delays it deliberately —
//! more than 15 days under 侵害消费者权益行为处罚办法 arts. 8–10 (the policy's `statutory_days`). It runs from a refund request's submission (an appeal starts it again), ignores
//! every pause a merchant state makes, and stops when the money has arrived, a reasoned
//! rejection is given, or the buyer withdraws. The period's length is the policy's
//! (`statutory_days`), kept with the clock when it starts.
//!
//! Days are counted as the Civil Code counts a period (arts. 201–203): the day it begins on
//! does not count, counting starts the next day; the last day ends at 24:00 Beijing time; a
//! last day that is a rest day or public holiday moves to the first working day after it.

use crate::calendar::{BusinessCalendar, shanghai, shanghai_date};
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

/// The statutory period, in days: 15 (处罚办法 arts. 8–10), when a policy does not say.
pub const DEFAULT_DAYS: u32 = 15;

/// The last day of a period of `days` days begun at `start` (Civil Code arts. 201, 203 §1):
/// the `days`-th calendar day after the Beijing date of `start`, moved to the next working
/// day when it is not one. `None` past the last date there is.
pub fn last_day(calendar: &BusinessCalendar, start: Timestamp, days: u32) -> Option<Date> {
    let mut day = shanghai_date(start).checked_add(Span::new().try_days(i64::from(days)).ok()?).ok()?;
    while !calendar.is_business_day(day) {
        day = day.tomorrow().ok()?;
    }
    Some(day)
}

/// When the period ends: 24:00 Beijing time of its [`last_day`] (art. 203 §2).
pub fn period_end(calendar: &BusinessCalendar, start: Timestamp, days: u32) -> Timestamp {
    last_day(calendar, start, days)
        .and_then(|d| d.tomorrow().ok())
        .and_then(|next| next.to_zoned_datetime(shanghai()).ok())
        .map_or(Timestamp::MAX, |z| z.timestamp())
}

/// A refund request's statutory clock: when it began, the period's days (the policy's, when
/// it began) and, once it no longer runs, when it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatutoryClock {
    pub started_at: Timestamp,
    pub days: u32,
    pub stopped_at: Option<Timestamp>,
}

/// Where a statutory clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatutoryState {
    /// Running; the period ends then.
    Running { due: Timestamp },
    /// Not dealt with by the end of the period: the delay is presumed deliberate.
    Passed { due: Timestamp },
    /// Dealt with (money arrived, a reasoned rejection, withdrawn) in time.
    Met { due: Timestamp, at: Timestamp },
    /// Dealt with, but after the period ended.
    MetLate { due: Timestamp, at: Timestamp },
}

impl StatutoryClock {
    pub fn start(at: Timestamp, days: u32) -> StatutoryClock {
        StatutoryClock { started_at: at, days, stopped_at: None }
    }

    /// Stops it at `at`, if it still runs (a later stop changes nothing).
    pub fn stop(&mut self, at: Timestamp) {
        if self.stopped_at.is_none() {
            self.stopped_at = Some(at.max(self.started_at));
        }
    }

    /// When the period ends.
    pub fn due(&self, calendar: &BusinessCalendar) -> Timestamp {
        period_end(calendar, self.started_at, self.days)
    }

    /// Where it stands at `now`.
    pub fn state(&self, calendar: &BusinessCalendar, now: Timestamp) -> StatutoryState {
        let due = self.due(calendar);
        match self.stopped_at {
            Some(at) if at <= due => StatutoryState::Met { due, at },
            Some(at) => StatutoryState::MetLate { due, at },
            None if now < due => StatutoryState::Running { due },
            None => StatutoryState::Passed { due },
        }
    }

    /// Whether the period ended before it was dealt with (passed, or met late).
    pub fn has_passed(&self, calendar: &BusinessCalendar, now: Timestamp) -> bool {
        matches!(self.state(calendar, now), StatutoryState::Passed { .. } | StatutoryState::MetLate { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn sh(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        date(y, m, d).to_datetime(time(h, min, 0, 0)).to_zoned_datetime(shanghai()).expect("time").timestamp()
    }

    /// Worked out by hand on the shipped calendar (2026 from the State Council notice):
    /// 15 days, the start day not counted, a last day off moved to the next working day.
    #[test]
    fn fifteen_days_match_a_hand_computed_table() {
        let cal = BusinessCalendar::china_default();
        let cases: &[(Timestamp, Date, &str)] = &[
            // Tuesday 1 December + 15 = Wednesday 16 December, a working day.
            (sh(2026, 12, 1, 10, 0), date(2026, 12, 16), "an ordinary fortnight"),
            // 00:30 on 2 December in Beijing is still 1 December in UTC: Beijing's day counts.
            (sh(2026, 12, 2, 0, 30), date(2026, 12, 17), "Beijing's date, not UTC's"),
            // Friday 27 November + 15 = Saturday 12 December: moved to Monday 14.
            (sh(2026, 11, 27, 9, 0), date(2026, 12, 14), "started on a Friday, last day a Saturday"),
            // Saturday 28 November + 15 = Sunday 13 December: moved to Monday 14.
            (sh(2026, 11, 28, 15, 0), date(2026, 12, 14), "last day a Sunday"),
            // Friday 30 January + 15 = Saturday 14 February, a make-up working day before
            // the Spring Festival: it stays.
            (sh(2026, 1, 30, 18, 0), date(2026, 2, 14), "a make-up Saturday is a working day"),
            // Thursday 5 February + 15 = Friday 20 February, inside the Spring Festival
            // (15–23 February): moved to Tuesday 24 February.
            (sh(2026, 2, 5, 11, 0), date(2026, 2, 24), "across the Spring Festival"),
            // Wednesday 16 September + 15 = Thursday 1 October, National Day (1–7 October):
            // moved to Thursday 8 October.
            (sh(2026, 9, 16, 20, 0), date(2026, 10, 8), "into National Day"),
            // Friday 25 September (a holiday itself: the start day never counts) + 15 =
            // Saturday 10 October, a make-up working day: it stays.
            (sh(2026, 9, 25, 10, 0), date(2026, 10, 10), "started on a holiday"),
            // 23:59 on New Year's Eve 2025 + 15 = Thursday 15 January 2026 (the New Year
            // holiday, 1–3 January, is inside the period and changes nothing).
            (sh(2025, 12, 31, 23, 59), date(2026, 1, 15), "across the new year"),
        ];
        for (start, last, what) in cases {
            assert_eq!(last_day(&cal, *start, DEFAULT_DAYS), Some(*last), "{what}");
            let end = period_end(&cal, *start, DEFAULT_DAYS);
            let midnight = last.tomorrow().expect("date").to_zoned_datetime(shanghai()).expect("time").timestamp();
            assert_eq!(end, midnight, "{what}: the period ends at 24:00 Beijing time");
        }
    }

    #[test]
    fn it_passes_unless_dealt_with_in_time_and_a_stop_is_kept() {
        let cal = BusinessCalendar::china_default();
        let start = sh(2026, 12, 1, 10, 0);
        let due = sh(2026, 12, 17, 0, 0);
        let mut c = StatutoryClock::start(start, DEFAULT_DAYS);
        assert_eq!(c.state(&cal, start), StatutoryState::Running { due });
        assert_eq!(c.state(&cal, due), StatutoryState::Passed { due }, "24:00 is the end");
        assert!(!c.has_passed(&cal, sh(2026, 12, 16, 23, 59)));
        let late = sh(2026, 12, 18, 9, 0);
        let mut in_time = c;
        in_time.stop(sh(2026, 12, 16, 23, 0));
        assert!(matches!(in_time.state(&cal, late), StatutoryState::Met { .. }));
        c.stop(late);
        c.stop(sh(2026, 12, 30, 9, 0));
        assert_eq!(c.state(&cal, late), StatutoryState::MetLate { due, at: late }, "the first stop");
        assert!(c.has_passed(&cal, late));
        // A longer period (a policy may say so) ends later.
        assert!(StatutoryClock::start(start, 30).due(&cal) > due);
    }
}
