//! Service-level clocks (docs/product.md §6): how long a promise has left, for tickets,
//! applications and payouts alike. A clock starts at an instant with a target — an amount of
//! *counting* time — and counts either every hour ([`Hours::Calendar`]) or only working hours
//! on business days, Asia/Shanghai ([`Hours::Business`], on the [`BusinessCalendar`] with its
//! public holidays and make-up working days). While it is paused nothing counts; every pause
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
    /// The instant at which `work` of counting time has passed since `from`.
    pub fn add(&self, calendar: &BusinessCalendar, from: Timestamp, work: SignedDuration) -> Timestamp {
        if work <= SignedDuration::ZERO {
            return from;
        }
        let day = match self {
            Hours::Calendar => return from.checked_add(work).unwrap_or(Timestamp::MAX),
            Hours::Business(day) => day,
        };
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

    /// How much counting time lies between `from` and `to` (zero if `to` is not later).
    pub fn between(&self, calendar: &BusinessCalendar, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let day = match self {
            Hours::Calendar => return to.duration_since(from),
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
            let here = self.hours.between(calendar, cursor, p.from);
            if here >= left {
                return Some(self.hours.add(calendar, cursor, left));
            }
            left -= here;
            cursor = p.to?.max(cursor);
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

    proptest! {
        #[test]
        fn a_pause_never_moves_the_due_time_earlier(
            start in instant(),
            target_mins in 1i64..(40 * 60),
            h in hours_kind(),
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
        fn adding_then_measuring_gives_the_work_back(start in instant(), mins in 0i64..(60 * 60), h in hours_kind()) {
            let cal = BusinessCalendar::china_default();
            let work = SignedDuration::from_mins(mins);
            let due = h.add(&cal, start, work);
            prop_assert!(due >= start);
            prop_assert_eq!(h.between(&cal, start, due), work);
        }
    }
}
