//! Service-level clocks (docs/product.md §6): how long a promise has left, for tickets,
//! applications and payouts alike. A clock starts at an instant with a target — an amount of
//! *counting* time — and counts either every hour ([`Hours::Calendar`]) or only working hours
//! on business days, Asia/Shanghai ([`Hours::Business`], on the [`BusinessCalendar`] with its
//! public holidays and make-up working days), or counts whole business days
//! ([`Hours::BusinessDays`]: the review promise, the payout arrival window). While it is
//! paused nothing counts; every pause
//! is kept, so the due time can be recomputed from the record, and a pause can only push the
//! due time later. A clock that is stopped was met if it stopped before its due time.

use crate::calendar::{BusinessCalendar, shanghai, shanghai_date};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The most days a due time is looked for ahead (a calendar without business days, or a
/// target of years, saturates at [`Timestamp::MAX`]).
const HORIZON_DAYS: u32 = 3_660;

/// A working day's hours, Asia/Shanghai: from `open` to `close`, less an optional break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDay {
    pub open: Time,
    pub close: Time,
    /// A break (lunch) inside the day, when nothing counts.
    pub lunch: Option<(Time, Time)>,
}

/// Why working hours are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("the day must open before it closes")]
    Order,
    #[error("the break must lie inside the working day and end after it starts")]
    Lunch,
}

impl WorkingDay {
    /// Checked: `open < close`, and a break inside them.
    pub fn new(open: Time, close: Time, lunch: Option<(Time, Time)>) -> Result<WorkingDay, HoursError> {
        if open >= close {
            return Err(HoursError::Order);
        }
        if let Some((from, to)) = lunch
            && !(open < from && from < to && to < close)
        {
            return Err(HoursError::Lunch);
        }
        Ok(WorkingDay { open, close, lunch })
    }

    /// The stretches of `date` that count, as local times.
    fn stretches(&self) -> Vec<(Time, Time)> {
        match self.lunch {
            Some((from, to)) => vec![(self.open, from), (to, self.close)],
            None => vec![(self.open, self.close)],
        }
    }
}

/// Which hours count toward a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Hours {
    /// Every hour of every day.
    Calendar,
    /// The working day's hours on business days only.
    Business(WorkingDay),
    /// Whole business days, Asia/Shanghai: the day a clock starts (or resumes) on never
    /// counts, and a business day counts whole once it has begun, so a clock is due at 24:00
    /// of a business day and a pause that begins and ends on one day changes nothing; a clock
    /// resumed on a later day than it paused has at least a day left. A target is a number of
    /// days ([`business_days`]; part of a day counts as a whole one). An instant at midnight
    /// ends the day before it.
    BusinessDays,
}

/// A target of `n` business days, for [`Hours::BusinessDays`].
pub fn business_days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(n))
}

/// The day `at` belongs to for whole business days: midnight is the end of the day before.
fn day_of(at: Timestamp) -> Date {
    shanghai_date(at.checked_sub(SignedDuration::from_millis(1)).unwrap_or(at))
}

/// The end of the `n`-th business day after the day of `from` ([`day_of`]); for none, the
/// end of that day if it is a business day, else of the next one.
fn add_days(calendar: &BusinessCalendar, from: Timestamp, n: u32) -> Timestamp {
    let last = calendar.business_day_after(day_of(from), n);
    last.and_then(|d| d.tomorrow().ok()).map_or(Timestamp::MAX, |next| at(next, Time::midnight()))
}

/// The business days that have begun after the day of `from` by `to` ([`day_of`] both).
fn days_between(calendar: &BusinessCalendar, from: Timestamp, to: Timestamp) -> u32 {
    calendar.business_days_in(day_of(from), day_of(to))
}

/// The whole days in `work`, rounded up (at most [`HORIZON_DAYS`]).
fn whole_days(work: SignedDuration) -> u32 {
    let secs = work.as_secs().max(0);
    let days = secs / 86_400 + i64::from(secs % 86_400 > 0);
    u32::try_from(days).unwrap_or(HORIZON_DAYS).min(HORIZON_DAYS)
}

/// `date` at local time `t`, as an instant.
fn at(date: Date, t: Time) -> Timestamp {
    date.to_datetime(t).to_zoned_datetime(shanghai()).map(|z| z.timestamp()).unwrap_or(Timestamp::MAX)
}

/// The instants of `date` that count under `hours` on `calendar`, in order.
fn windows(hours: &WorkingDay, calendar: &BusinessCalendar, date: Date) -> Vec<(Timestamp, Timestamp)> {
    if !calendar.is_business_day(date) {
        return Vec::new();
    }
    hours.stretches().into_iter().map(|(from, to)| (at(date, from), at(date, to))).collect()
}

impl Hours {
    /// The instant at which `work` of counting time has passed since `from`. Whole business days end at the end of a business day: no time at all, at the end of
    /// the day of `from` if it is a business day, else of the next one.
    pub fn add(&self, calendar: &BusinessCalendar, from: Timestamp, work: SignedDuration) -> Timestamp {
        let day = match self {
            Hours::Calendar => return from.checked_add(work.max(SignedDuration::ZERO)).unwrap_or(Timestamp::MAX),
            Hours::BusinessDays => return add_days(calendar, from, whole_days(work)),
            Hours::Business(day) => day,
        };
        if work <= SignedDuration::ZERO {
            return from;
        }
        let mut left = work;
        let mut date = shanghai_date(from);
        for _ in 0..HORIZON_DAYS {
            for (start, end) in windows(day, calendar, date) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                let here = end.duration_since(start);
                if left <= here {
                    return start.checked_add(left).unwrap_or(Timestamp::MAX);
                }
                left -= here;
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => return Timestamp::MAX,
            };
        }
        Timestamp::MAX
    }

    /// Whether a due time `due` under these hours rests on provisional calendar data (a year
    /// whose holidays are not yet published): calendar hours never do; whole business days
    /// are decided by the day that ends at `due`.
    pub fn is_provisional(&self, calendar: &BusinessCalendar, due: Timestamp) -> bool {
        match self {
            Hours::Calendar => false,
            Hours::Business(_) => calendar.is_provisional_at(due),
            Hours::BusinessDays => calendar.is_provisional(day_of(due)),
        }
    }

    /// How much counting time lies between `from` and `to` (zero if `to` is not later).
    pub fn between(&self, calendar: &BusinessCalendar, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let day = match self {
            Hours::Calendar => return to.duration_since(from),
            Hours::BusinessDays => return business_days(days_between(calendar, from, to)),
            Hours::Business(day) => day,
        };
        let mut total = SignedDuration::ZERO;
        let mut date = shanghai_date(from);
        while date <= shanghai_date(to) {
            for (start, end) in windows(day, calendar, date) {
                let (start, end) = (start.max(from), end.min(to));
                if start < end {
                    total += end.duration_since(start);
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        total
    }
}

/// A time nothing counted: from `from` until `to` (`None`: still paused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// One promise's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub started_at: Timestamp,
    /// Counting time allowed.
    pub target: SignedDuration,
    pub hours: Hours,
    /// In order, none overlapping; only the last may be open.
    pub pauses: Vec<Pause>,
    /// When what it waited for happened (a reply, a resolution).
    pub stopped_at: Option<Timestamp>,
}

/// Where a clock stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ClockState {
    /// Counting; due then.
    Running { due: Timestamp },
    /// Paused, with this much counting time left.
    Paused { left: SignedDuration },
    /// Stopped in time.
    Met { at: Timestamp },
    /// Not stopped by its due time (and, if stopped since, stopped late).
    Breached { due: Timestamp },
}

/// Why a clock cannot be paused, resumed or stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("the clock is paused already")]
    Paused,
    #[error("the clock is not paused")]
    NotPaused,
    #[error("the clock has stopped")]
    Stopped,
    #[error("a clock cannot be changed before its last change")]
    Earlier,
}

impl Clock {
    pub fn start(at: Timestamp, target: SignedDuration, hours: Hours) -> Clock {
        Clock { started_at: at, target, hours, pauses: Vec::new(), stopped_at: None }
    }

    fn last_change(&self) -> Timestamp {
        let paused = self.pauses.last().map(|p| p.to.unwrap_or(p.from));
        paused.map_or(self.started_at, |p| p.max(self.started_at))
    }

    fn check(&self, at: Timestamp) -> Result<(), ClockError> {
        if self.stopped_at.is_some() {
            return Err(ClockError::Stopped);
        }
        if at < self.last_change() {
            return Err(ClockError::Earlier);
        }
        Ok(())
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    pub fn pause(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        if self.is_paused() {
            return Err(ClockError::Paused);
        }
        self.pauses.push(Pause { from: at, to: None });
        Ok(())
    }

    pub fn resume(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        match self.pauses.last_mut() {
            Some(p) if p.to.is_none() => {
                p.to = Some(at);
                Ok(())
            }
            _ => Err(ClockError::NotPaused),
        }
    }

    /// What it waited for happened at `at` (a paused clock stops where it stands).
    pub fn stop(&mut self, at: Timestamp) -> Result<(), ClockError> {
        self.check(at)?;
        if let Some(p) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
            p.to = Some(at);
        }
        self.stopped_at = Some(at);
        Ok(())
    }

    /// The counting time left at the start of the open pause, or `None` when it runs.
    fn left_when_paused(&self, calendar: &BusinessCalendar) -> Option<SignedDuration> {
        let open = self.pauses.last().filter(|p| p.to.is_none())?;
        let mut used = SignedDuration::ZERO;
        let mut cursor = self.started_at;
        for p in &self.pauses {
            used += self.hours.between(calendar, cursor, p.from);
            cursor = p.to.unwrap_or(open.from).max(cursor);
        }
        Some((self.target - used).max(SignedDuration::ZERO))
    }

    /// When the target runs out, counting only outside the pauses; `None` while paused.
    pub fn due(&self, calendar: &BusinessCalendar) -> Option<Timestamp> {
        let mut left = self.target;
        let mut cursor = self.started_at;
        for p in &self.pauses {
            // Ran out before the pause began?
            let out = self.hours.add(calendar, cursor, left);
            if out <= p.from {
                return Some(out);
            }
            left = (left - self.hours.between(calendar, cursor, p.from)).max(SignedDuration::ZERO);
            let to = p.to?;
            if self.hours == Hours::BusinessDays && day_of(to) > day_of(p.from) {
                // Resumed on a later day: at least a day (a pause on the last day, whose
                // start counted it in full, would leave only the rest of the resume day).
                left = left.max(business_days(1));
            }
            cursor = to.max(cursor);
        }
        Some(self.hours.add(calendar, cursor, left))
    }

    /// Where the clock stands at `now`.
    pub fn state(&self, calendar: &BusinessCalendar, now: Timestamp) -> ClockState {
        let due = self.due(calendar);
        match (self.stopped_at, due) {
            (Some(at), Some(due)) if at <= due => ClockState::Met { at },
            (Some(_), Some(due)) => ClockState::Breached { due },
            // Stopped while paused before it ran out.
            (Some(at), None) => ClockState::Met { at },
            (None, Some(due)) if now < due => ClockState::Running { due },
            (None, Some(due)) => ClockState::Breached { due },
            (None, None) => ClockState::Paused { left: self.left_when_paused(calendar).unwrap_or(self.target) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    fn sh(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        at(date(y, m, d), time(h, min, 0, 0))
    }

    fn office() -> Hours {
        Hours::Business(
            WorkingDay::new(time(9, 0, 0, 0), time(18, 0, 0, 0), Some((time(12, 0, 0, 0), time(13, 30, 0, 0))))
                .expect("valid hours"),
        )
    }

    fn hours(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    /// Worked out by hand on the shipped 2026 calendar: 09:00–18:00 with lunch 12:00–13:30 is
    /// 7.5 counting hours a business day. New Year: 1–3 January off, Sunday 4 January
    /// working. National Day: 1–7 October off (Thursday to Wednesday), Saturday 10 October
    /// working.
    #[test]
    fn business_hours_match_a_hand_computed_table() {
        let cal = BusinessCalendar::china_default();
        let h = office();
        let cases: &[(Timestamp, SignedDuration, Timestamp, &str)] = &[
            // A Monday morning, 2 h: 11:00 the same day.
            (sh(2026, 11, 30, 9, 0), hours(2), sh(2026, 11, 30, 11, 0), "within the morning"),
            // Across lunch: 11:00 + 2 h = 12:00 (1 h), then 13:30 + 1 h = 14:30.
            (sh(2026, 11, 30, 11, 0), hours(2), sh(2026, 11, 30, 14, 30), "across lunch"),
            // Friday 17:00 + 2 h: 1 h Friday, the weekend skipped, Monday 10:00.
            (sh(2026, 12, 4, 17, 0), hours(2), sh(2026, 12, 7, 10, 0), "across a weekend"),
            // Saturday (no make-up day) counts from Monday 09:00.
            (sh(2026, 12, 5, 10, 0), hours(1), sh(2026, 12, 7, 10, 0), "from a weekend"),
            // Before opening: from 09:00.
            (sh(2026, 11, 30, 6, 0), SignedDuration::from_mins(30), sh(2026, 11, 30, 9, 30), "before opening"),
            // 24 counting hours = 3.2 business days from Monday 09:00: Mon, Tue, Wed full
            // (22.5 h), then 1.5 h of Thursday: 10:30.
            (sh(2026, 11, 30, 9, 0), hours(24), sh(2026, 12, 3, 10, 30), "24 business hours"),
            // New Year 2026: 1–3 January off, Sunday 4 January a make-up working day.
            (sh(2025, 12, 31, 17, 0), hours(2), sh(2026, 1, 4, 10, 0), "into a make-up Sunday"),
            // Wednesday 30 September 17:00 + 2 h: 1 h, the National Day week, Thursday 8 October.
            (sh(2026, 9, 30, 17, 0), hours(2), sh(2026, 10, 8, 10, 0), "across National Day"),
            // Asked on the holiday itself: counting starts on 8 October.
            (sh(2026, 10, 3, 15, 0), hours(8), sh(2026, 10, 9, 9, 30), "from inside the holiday"),
            // Friday 9 October 17:00 + 2 h: Saturday 10 October is a working day.
            (sh(2026, 10, 9, 17, 0), hours(2), sh(2026, 10, 10, 10, 0), "into a make-up Saturday"),
        ];
        for (from, work, due, what) in cases {
            assert_eq!(h.add(&cal, *from, *work), *due, "{what}");
            assert_eq!(h.between(&cal, *from, *due), *work, "{what}: the way back");
        }
    }

    #[test]
    fn calendar_hours_count_every_hour() {
        let cal = BusinessCalendar::china_default();
        let from = sh(2026, 10, 1, 10, 0);
        assert_eq!(Hours::Calendar.add(&cal, from, hours(24)), sh(2026, 10, 2, 10, 0));
        assert_eq!(Hours::Calendar.between(&cal, from, sh(2026, 10, 2, 10, 0)), hours(24));
    }

    #[test]
    fn pauses_stop_the_count_and_are_kept() {
        let cal = BusinessCalendar::china_default();
        let mut c = Clock::start(sh(2026, 11, 30, 9, 0), hours(4), office());
        assert_eq!(c.due(&cal), Some(sh(2026, 11, 30, 14, 30)));
        c.pause(sh(2026, 11, 30, 10, 0)).expect("pauses");
        assert_eq!(c.due(&cal), None);
        assert_eq!(c.state(&cal, sh(2026, 11, 30, 16, 0)), ClockState::Paused { left: hours(3) });
        assert_eq!(c.pause(sh(2026, 11, 30, 11, 0)), Err(ClockError::Paused));
        assert_eq!(c.resume(sh(2026, 11, 30, 9, 30)), Err(ClockError::Earlier));
        // Resumed the next morning at 09:00: 3 h left, 12:00.
        c.resume(sh(2026, 12, 1, 9, 0)).expect("resumes");
        assert_eq!(c.due(&cal), Some(sh(2026, 12, 1, 12, 0)));
        assert_eq!(c.pauses.len(), 1);
        assert_eq!(c.state(&cal, sh(2026, 12, 1, 11, 0)), ClockState::Running { due: sh(2026, 12, 1, 12, 0) });
        assert_eq!(c.state(&cal, sh(2026, 12, 1, 12, 0)), ClockState::Breached { due: sh(2026, 12, 1, 12, 0) });
        c.stop(sh(2026, 12, 1, 11, 59)).expect("stops");
        assert_eq!(c.state(&cal, sh(2026, 12, 9, 0, 0)), ClockState::Met { at: sh(2026, 12, 1, 11, 59) });
        assert_eq!(c.pause(sh(2026, 12, 2, 9, 0)), Err(ClockError::Stopped));
    }

    /// The review promise on the shipped 2026 calendar, by hand: due at the end (24:00
    /// Shanghai) of the N-th business day after the day it started; the day a pause begins on
    /// is given back, so a resumed clock has at least a day.
    #[test]
    fn business_days_match_a_hand_computed_table() {
        let cal = BusinessCalendar::china_default();
        let end = |y, m, d| sh(y, m, d, 0, 0);
        let cases: &[(Timestamp, u32, Timestamp, &str)] = &[
            // Tuesday 10:00 + 3: Wednesday, Thursday, Friday.
            (sh(2026, 11, 24, 10, 0), 3, end(2026, 11, 28), "within a week"),
            // Friday 23:30 + 1: the weekend skipped, end of Monday.
            (sh(2026, 11, 27, 23, 30), 1, end(2026, 12, 1), "late on a Friday"),
            // Wednesday 30 September + 1: the National Day week skipped, Thursday 8 October.
            (sh(2026, 9, 30, 9, 0), 1, end(2026, 10, 9), "across National Day"),
            // Thursday 8 October + 2: Friday, then the make-up Saturday 10 October.
            (sh(2026, 10, 8, 9, 0), 2, end(2026, 10, 11), "into a make-up Saturday"),
            // No days: the end of the day itself, or of the next business day.
            (sh(2026, 11, 27, 10, 0), 0, end(2026, 11, 28), "no days on a business day"),
            (sh(2026, 10, 3, 10, 0), 0, end(2026, 10, 9), "no days on a holiday"),
        ];
        for (from, n, due, what) in cases {
            assert_eq!(Hours::BusinessDays.add(&cal, *from, business_days(*n)), *due, "{what}");
            if *n > 0 {
                assert_eq!(Hours::BusinessDays.between(&cal, *from, *due), business_days(*n), "{what}: the way back");
            }
        }
        // Submitted Tuesday 24 November 10:00 (due at the end of Friday 27); paused Thursday 26
        // at 15:00, Wednesday and Thursday begun, so one day is left; resumed Monday 30 at
        // 09:00: Tuesday, due at the end of Tuesday 1 December.
        let mut c = Clock::start(sh(2026, 11, 24, 10, 0), business_days(3), Hours::BusinessDays);
        c.pause(sh(2026, 11, 26, 15, 0)).expect("pauses");
        assert_eq!(c.state(&cal, sh(2026, 11, 28, 0, 0)), ClockState::Paused { left: business_days(1) });
        c.resume(sh(2026, 11, 30, 9, 0)).expect("resumes");
        assert_eq!(c.due(&cal), Some(end(2026, 12, 2)));
        // Paused and resumed the same day: nothing changes.
        let mut c = Clock::start(sh(2026, 11, 24, 10, 0), business_days(3), Hours::BusinessDays);
        c.pause(sh(2026, 11, 26, 15, 0)).expect("pauses");
        c.resume(sh(2026, 11, 26, 17, 0)).expect("resumes");
        assert_eq!(c.due(&cal), Some(end(2026, 11, 28)));
        // Paused on its last day, before it ran out: resumed the same evening, it keeps its
        // due time; resumed on a later day (a Wednesday, a Saturday), it has a day after it.
        let mut c = Clock::start(sh(2026, 11, 24, 10, 0), business_days(3), Hours::BusinessDays);
        c.pause(sh(2026, 11, 27, 20, 0)).expect("pauses");
        assert_eq!(c.state(&cal, sh(2026, 11, 29, 0, 0)), ClockState::Paused { left: SignedDuration::ZERO });
        let (mut evening, mut weekend) = (c.clone(), c.clone());
        c.resume(sh(2026, 12, 2, 11, 0)).expect("resumes");
        assert_eq!(c.due(&cal), Some(end(2026, 12, 4)));
        evening.resume(sh(2026, 11, 27, 22, 0)).expect("resumes");
        assert_eq!(evening.due(&cal), Some(end(2026, 11, 28)));
        weekend.resume(sh(2026, 11, 28, 11, 0)).expect("resumes");
        assert_eq!(weekend.due(&cal), Some(end(2026, 12, 1)));
        // The day is Shanghai's, not UTC's: Friday 23:30 (15:30 UTC) + 1 is the end of
        // Monday; Saturday 00:30 (still Friday in UTC) counts from Saturday, so also Monday.
        let fri = sh(2026, 11, 27, 23, 30);
        assert_eq!(fri, "2026-11-27T15:30:00Z".parse::<Timestamp>().expect("time"));
        assert_eq!(Hours::BusinessDays.add(&cal, fri, business_days(1)), end(2026, 12, 1));
        assert_eq!(Hours::BusinessDays.add(&cal, sh(2026, 11, 28, 0, 30), business_days(1)), end(2026, 12, 1));
        assert_eq!(Hours::BusinessDays.add(&cal, sh(2026, 11, 28, 0, 30), business_days(0)), end(2026, 12, 1));
        // Midnight ends the day before: submitted at 00:00 on Tuesday, Tuesday counts.
        assert_eq!(Hours::BusinessDays.add(&cal, end(2026, 11, 24), business_days(1)), end(2026, 11, 25));
    }

    #[test]
    fn working_hours_are_checked() {
        let (nine, noon, one, six) = (time(9, 0, 0, 0), time(12, 0, 0, 0), time(13, 0, 0, 0), time(18, 0, 0, 0));
        assert_eq!(WorkingDay::new(six, nine, None), Err(HoursError::Order));
        assert_eq!(WorkingDay::new(nine, six, Some((one, noon))), Err(HoursError::Lunch));
        assert_eq!(WorkingDay::new(nine, six, Some((nine, one))), Err(HoursError::Lunch));
        assert!(WorkingDay::new(nine, six, Some((noon, one))).is_ok());
    }

    fn instant() -> impl Strategy<Value = Timestamp> {
        // Across 2026 and 2027, to the minute.
        (0i64..(2 * 365 * 24 * 60)).prop_map(|m| sh(2026, 1, 1, 0, 0) + SignedDuration::from_mins(m))
    }

    fn hours_kind() -> impl Strategy<Value = Hours> {
        prop_oneof![Just(Hours::Calendar), Just(office())]
    }

    /// Every kind, whole business days too (whose targets round up to whole days).
    fn any_hours() -> impl Strategy<Value = Hours> {
        prop_oneof![Just(Hours::Calendar), Just(office()), Just(Hours::BusinessDays)]
    }

    proptest! {
        #[test]
        fn a_pause_never_moves_the_due_time_earlier(
            start in instant(),
            target_mins in 1i64..(8 * 24 * 60),
            h in any_hours(),
            offset in 0i64..(30 * 24 * 60),
            length in 0i64..(10 * 24 * 60),
        ) {
            let cal = BusinessCalendar::china_default();
            let c = Clock::start(start, SignedDuration::from_mins(target_mins), h);
            let before = c.due(&cal).expect("running");
            let mut paused = c.clone();
            let from = start + SignedDuration::from_mins(offset);
            paused.pause(from).expect("pauses");
            paused.resume(from + SignedDuration::from_mins(length)).expect("resumes");
            let after = paused.due(&cal).expect("running");
            prop_assert!(after >= before, "{after} < {before}");
            if length == 0 {
                prop_assert_eq!(after, before, "a pause of no time changes nothing");
            }
        }

        #[test]
        fn whole_business_days_come_back(start in instant(), n in 1u32..40) {
            let cal = BusinessCalendar::china_default();
            let h = Hours::BusinessDays;
            let due = h.add(&cal, start, business_days(n));
            prop_assert!(due > start);
            prop_assert_eq!(h.between(&cal, start, due), business_days(n));
            prop_assert!(cal.is_business_day(day_of(due)), "due at the end of a business day");
            if n > 1 {
                prop_assert!(h.add(&cal, start, business_days(n - 1)) < due);
            }
        }

        #[test]
        fn adding_then_measuring_gives_the_work_back(start in instant(), mins in 0i64..(60 * 60), h in hours_kind()) {
            let cal = BusinessCalendar::china_default();
            let work = SignedDuration::from_mins(mins);
            let due = h.add(&cal, start, work);
            prop_assert!(due >= start);
            prop_assert_eq!(h.between(&cal, start, due), work);
        }
    }
}
