//! Business calendar: which days count as working days in mainland China, and
//! deadline arithmetic in business days (e.g. "the merchant must review a refund
//! within 3 business days").
//!
//! All dates are Asia/Shanghai calendar dates. Public holidays (放假) and
//! make-up working days (调休上班) come from a TOML file; the default one,
//! `data/calendar-cn.toml`, is embedded and follows the State Council General
//! Office notices (2027 is provisional, see the file). Administrators can load
//! their own file of the same format with [`BusinessCalendar::from_toml`].
//!
//! Years for which the calendar has no table are treated as plain
//! Monday-to-Friday weeks, without any holidays ([`BusinessCalendar::covers`]
//! tells whether a year has data).
//!
//! A deadline of "N business days" ends at 00:00 Asia/Shanghai following the
//! N-th business day, so a due time is always an exclusive instant.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// How many days before its definitive data runs out the calendar warns administrators.
pub const RUNS_OUT_WARNING_DAYS: i64 = 60;

/// IANA name of the time zone all business dates are taken in.
pub const SHANGHAI: &str = "Asia/Shanghai";

/// The Asia/Shanghai time zone from jiff's bundled tz database (falls back to a
/// fixed +08:00 offset, which China has used since 1991, should it be missing).
pub fn shanghai() -> TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get(SHANGHAI).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))).clone()
}

/// Holidays and make-up working days per year. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    years: BTreeMap<i16, YearData>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct YearData {
    source: String,
    provisional: bool,
    holidays: BTreeSet<Date>,
    workdays: BTreeSet<Date>,
}

/// Why a calendar file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid calendar TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("invalid year {0:?}: expected a table key such as [years.2026]")]
    InvalidYear(String),
    #[error("invalid date {value:?} in year {year}: expected YYYY-MM-DD")]
    InvalidDate { year: i16, value: String },
    #[error("date {date} is listed under year {year}")]
    WrongYear { year: i16, date: Date },
    #[error("date {0} is listed both as a holiday and as a workday")]
    HolidayAndWorkday(Date),
    #[error("workday {0} is not a Saturday or Sunday")]
    WorkdayNotWeekend(Date),
}

/// On-disk representation, see `data/calendar-cn.toml`.
#[derive(Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileRepr {
    years: BTreeMap<String, YearRepr>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct YearRepr {
    source: String,
    provisional: bool,
    holidays: Vec<String>,
    workdays: Vec<String>,
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn parse_dates(year: i16, values: &[String]) -> Result<BTreeSet<Date>, CalendarError> {
    let mut out = BTreeSet::new();
    for value in values {
        // Only the canonical YYYY-MM-DD form is accepted (not "20260101" etc.).
        let date = value.parse::<Date>().ok().filter(|d| d.to_string() == *value);
        let Some(date) = date else {
            return Err(CalendarError::InvalidDate { year, value: value.clone() });
        };
        if date.year() != year {
            return Err(CalendarError::WrongYear { year, date });
        }
        out.insert(date);
    }
    Ok(out)
}

/// The Shanghai calendar day `at` falls on.
pub fn shanghai_date(at: Timestamp) -> Date {
    at.to_zoned_datetime(shanghai()).date()
}

/// 00:00 Asia/Shanghai of the day after `date` (saturating at the end of time).
fn end_of(date: Date) -> Timestamp {
    date.tomorrow()
        .and_then(|next| next.to_zoned_datetime(shanghai()))
        .map(|zdt| zdt.timestamp())
        .unwrap_or(Timestamp::MAX)
}

impl BusinessCalendar {
    /// The embedded mainland China calendar (`data/calendar-cn.toml`).
    pub fn china_default() -> Self {
        Self::from_toml(include_str!("../data/calendar-cn.toml"))
            .expect("embedded data/calendar-cn.toml must be a valid calendar")
    }

    /// Parses and validates a calendar file (format documented in
    /// `data/calendar-cn.toml`).
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let file: FileRepr = toml::from_str(text)?;
        let mut years = BTreeMap::new();
        for (key, repr) in file.years {
            let year = match key.parse::<i16>() {
                Ok(y) if (1000..=9999).contains(&y) && y.to_string() == key => y,
                _ => return Err(CalendarError::InvalidYear(key)),
            };
            let holidays = parse_dates(year, &repr.holidays)?;
            let workdays = parse_dates(year, &repr.workdays)?;
            if let Some(&date) = holidays.intersection(&workdays).next() {
                return Err(CalendarError::HolidayAndWorkday(date));
            }
            if let Some(&date) = workdays.iter().find(|d| !is_weekend(**d)) {
                return Err(CalendarError::WorkdayNotWeekend(date));
            }
            let data = YearData { source: repr.source, provisional: repr.provisional, holidays, workdays };
            years.insert(year, data);
        }
        Ok(Self { years })
    }

    /// Serialises the calendar in the format read by [`Self::from_toml`]
    /// (comments of the original file are not preserved).
    pub fn to_toml(&self) -> String {
        let to_strings = |set: &BTreeSet<Date>| set.iter().map(Date::to_string).collect();
        let years = self
            .years
            .iter()
            .map(|(year, data)| {
                let repr = YearRepr {
                    source: data.source.clone(),
                    provisional: data.provisional,
                    holidays: to_strings(&data.holidays),
                    workdays: to_strings(&data.workdays),
                };
                (year.to_string(), repr)
            })
            .collect();
        toml::to_string(&FileRepr { years }).expect("strings, booleans and arrays always serialise to TOML")
    }

    /// Whether `date` is a working day: a listed make-up workday, or a Monday to
    /// Friday that is not a listed holiday. Years without data: Monday to Friday.
    pub fn is_business_day(&self, date: Date) -> bool {
        if let Some(data) = self.years.get(&date.year()) {
            if data.workdays.contains(&date) {
                return true;
            }
            if data.holidays.contains(&date) {
                return false;
            }
        }
        !is_weekend(date)
    }

    /// Whether the calendar has holiday data for `year`.
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether a due time on `date` rests on data that may still change: a year the calendar
    /// has no table for, or one marked provisional (announced holidays not yet published).
    pub fn is_provisional(&self, date: Date) -> bool {
        self.years.get(&date.year()).is_none_or(|y| y.provisional)
    }

    /// Whether a due time at `at` is provisional ([`BusinessCalendar::is_provisional`]).
    pub fn is_provisional_at(&self, at: Timestamp) -> bool {
        at != Timestamp::MAX && self.is_provisional(shanghai_date(at))
    }

    /// The last day the calendar has definitive data for (the 31 December of its last
    /// year that is not provisional), if any.
    pub fn definitive_until(&self) -> Option<Date> {
        let year = self.years.iter().rev().find(|(_, y)| !y.provisional).map(|(year, _)| *year)?;
        Date::new(year, 12, 31).ok()
    }

    /// If the definitive data runs out within [`RUNS_OUT_WARNING_DAYS`] of `today` (or has
    /// already): the last day it covers. Administrators are warned, so next year's holidays
    /// are loaded before due times fall on guesses.
    pub fn runs_out_soon(&self, today: Date) -> Option<Date> {
        let until = self.definitive_until().unwrap_or(today);
        let left = i64::from((until - today).get_days());
        (left <= RUNS_OUT_WARNING_DAYS).then_some(until)
    }

    /// Due time for "N business days" starting at `from`: the end (exclusive:
    /// 00:00 Asia/Shanghai of the following day) of the N-th business day
    /// strictly after the Shanghai calendar date of `from`. n = 0 → end of
    /// `from`'s own day if it is a business day, else end of the next business
    /// day. Saturates at [`Timestamp::MAX`] beyond the representable range.
    pub fn add_business_days(&self, from: Timestamp, n: u32) -> Timestamp {
        let mut day = shanghai_date(from);
        let mut remaining = n;
        if n == 0 {
            if self.is_business_day(day) {
                return end_of(day);
            }
            remaining = 1;
        }
        while remaining > 0 {
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => return Timestamp::MAX,
            };
            if self.is_business_day(day) {
                remaining -= 1;
            }
        }
        end_of(day)
    }

    /// Business days left before `due`, counted from `at`: the number of
    /// business days d with date(at) < d and end-of-d <= due. Used to pause and
    /// resume a review clock (`add_business_days(resume, left)` for left ≥ 1).
    pub fn business_days_left(&self, at: Timestamp, due: Timestamp) -> u32 {
        // end_of(d) <= due  <=>  start of (d + 1) <= due  <=>  d < date(due).
        let last_exclusive = shanghai_date(due);
        let mut day = shanghai_date(at);
        let mut count: u32 = 0;
        loop {
            day = match day.tomorrow() {
                Ok(next) if next < last_exclusive => next,
                _ => return count,
            };
            if self.is_business_day(day) {
                count = count.saturating_add(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn sh(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        let civil = date(y, m, d).at(h, min, 0, 0);
        civil.to_zoned_datetime(shanghai()).unwrap().timestamp()
    }

    #[test]
    fn default_calendar_holidays_and_make_up_days() {
        let cal = BusinessCalendar::china_default();
        assert!(cal.covers(2025) && cal.covers(2026) && cal.covers(2027));
        assert!(!cal.covers(2024) && !cal.covers(2028));
        assert!(cal.years[&2027].provisional && !cal.years[&2026].provisional);
        assert_eq!(shanghai().iana_name(), Some(SHANGHAI));
        // Make-up Sat/Sun, ordinary Friday, 2025 make-up Sat, outside data (Tue).
        for d in "2026-10-10 2026-09-20 2026-11-27 2025-02-08 2030-10-01".split(' ') {
            assert!(cal.is_business_day(d.parse().unwrap()), "{d}");
        }
        // National Day, ordinary Saturday, Spring Festival Monday, outside data (Sat).
        for d in "2026-10-01 2026-10-07 2026-11-28 2026-02-23 2030-10-05".split(' ') {
            assert!(!cal.is_business_day(d.parse().unwrap()), "{d}");
        }
    }

    #[test]
    fn due_times() {
        let cal = BusinessCalendar::china_default();
        let add = |at, n| cal.add_business_days(at, n);
        // Friday 10:00 + 3 → end of Wednesday Dec 2.
        assert_eq!(add(sh(2026, 11, 27, 10, 0), 3), sh(2026, 12, 3, 0, 0));
        // Sep 30 + 1 skips Oct 1–7 → end of Thursday Oct 8.
        assert_eq!(add(sh(2026, 9, 30, 9, 0), 1), sh(2026, 10, 9, 0, 0));
        // Oct 8 + 2 → Friday Oct 9, then make-up Saturday Oct 10.
        assert_eq!(add(sh(2026, 10, 8, 9, 0), 2), sh(2026, 10, 11, 0, 0));
        // n = 0: own day if business day, else the next one.
        assert_eq!(add(sh(2026, 11, 27, 10, 0), 0), sh(2026, 11, 28, 0, 0));
        assert_eq!(add(sh(2026, 10, 3, 10, 0), 0), sh(2026, 10, 9, 0, 0));
        // 2027 (provisional): Feb 4 + 1 skips Spring Festival → make-up Sat Feb 13.
        assert_eq!(add(sh(2027, 2, 4, 9, 0), 1), sh(2027, 2, 14, 0, 0));
    }

    #[test]
    fn late_evening_uses_shanghai_date_not_utc() {
        let cal = BusinessCalendar::china_default();
        let add = |at, n| cal.add_business_days(at, n);
        // Friday 23:30 Shanghai (15:30 UTC) is still Friday: + 1 → end of Monday.
        let fri = sh(2026, 11, 27, 23, 30);
        assert_eq!(fri, "2026-11-27T15:30:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(add(fri, 1), sh(2026, 12, 1, 0, 0));
        assert_eq!(add(fri, 0), sh(2026, 11, 28, 0, 0));
        // 00:30 Shanghai on Saturday is still Friday in UTC: counts from Saturday.
        let sat = sh(2026, 11, 28, 0, 30);
        assert_eq!(sat, "2026-11-27T16:30:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(add(sat, 1), sh(2026, 12, 1, 0, 0));
        assert_eq!(add(sat, 0), sh(2026, 12, 1, 0, 0));
    }

    #[test]
    fn days_left() {
        let cal = BusinessCalendar::china_default();
        let left = |at, due| cal.business_days_left(at, due);
        let due = sh(2026, 12, 3, 0, 0);
        assert_eq!(left(sh(2026, 11, 27, 10, 0), due), 3);
        assert_eq!(left(sh(2026, 11, 30, 18, 0), due), 2);
        assert_eq!(left(sh(2026, 12, 2, 8, 0), due), 0);
        assert_eq!(left(sh(2026, 12, 5, 8, 0), due), 0);
        assert_eq!(left(sh(2026, 9, 30, 8, 0), sh(2026, 10, 11, 0, 0)), 3);
    }

    fn err(text: &str) -> CalendarError {
        BusinessCalendar::from_toml(text).unwrap_err()
    }

    #[test]
    fn rejects_bad_files() {
        let both = "[years.2026]\nholidays = [\"2026-10-10\"]\nworkdays = [\"2026-10-10\"]";
        assert!(matches!(err(both), CalendarError::HolidayAndWorkday(_)));
        for bad in ["2026-13-01", "2026-02-30", "2026-1-5", "20260105", "soon"] {
            let e = err(&format!("[years.2026]\nholidays = [\"{bad}\"]"));
            assert!(matches!(e, CalendarError::InvalidDate { .. }), "{bad}: {e:?}");
        }
        let wrong = "[years.2026]\nholidays = [\"2027-01-01\"]";
        assert!(matches!(err(wrong), CalendarError::WrongYear { .. }));
        let weekday = "[years.2026]\nworkdays = [\"2026-10-09\"]";
        assert!(matches!(err(weekday), CalendarError::WorkdayNotWeekend(_)));
        assert!(matches!(err("[years.next]"), CalendarError::InvalidYear(_)));
        let typo = "[years.2026]\nholiday = [\"2026-10-01\"]";
        assert!(matches!(err(typo), CalendarError::Toml(_)));
        assert!(matches!(err("[years.2026"), CalendarError::Toml(_)));
        assert!(matches!(err("[years.2026]\nholidays = [20260101]"), CalendarError::Toml(_)));
    }

    #[test]
    fn toml_round_trip() {
        let cal = BusinessCalendar::china_default();
        let text = cal.to_toml();
        assert_eq!(BusinessCalendar::from_toml(&text).unwrap(), cal);
        let tricky = "[years.2026]\nsource = \"a \\\"quoted\\\" \\\\ source\"\nholidays = [\"2026-10-01\"]\n";
        let cal = BusinessCalendar::from_toml(tricky).unwrap();
        assert_eq!(BusinessCalendar::from_toml(&cal.to_toml()).unwrap(), cal);
    }

    proptest! {
        #[test]
        fn add_and_left_agree(secs in 1_704_067_200i64..1_861_920_000, n in 1u32..60) {
            // 2024-01-01 .. 2029-01-01: inside and around the data.
            let cal = BusinessCalendar::china_default();
            let from = Timestamp::from_second(secs).unwrap();
            let due = cal.add_business_days(from, n);
            prop_assert!(due > from);
            let prev = cal.add_business_days(from, n - 1);
            prop_assert!(prev < due || (n == 1 && prev == due));
            prop_assert!(due < cal.add_business_days(from, n + 1));
            prop_assert_eq!(cal.business_days_left(from, due), n);
            prop_assert!(cal.is_business_day(shanghai_date(due).yesterday().unwrap()));
        }
    }

    #[test]
    fn a_provisional_year_marks_its_due_times_and_warns_sixty_days_ahead() {
        let cal = BusinessCalendar::china_default();
        let d = |y, m, day| Date::new(y, m, day).expect("date");
        assert!(!cal.is_provisional(d(2026, 10, 8)));
        assert!(cal.is_provisional(d(2027, 2, 1)), "2027 is provisional in the shipped file");
        assert!(cal.is_provisional(d(2031, 1, 1)), "a year without data");
        assert_eq!(cal.definitive_until(), Some(d(2026, 12, 31)));
        assert_eq!(cal.runs_out_soon(d(2026, 10, 31)), None, "61 days ahead: not yet");
        assert_eq!(cal.runs_out_soon(d(2026, 11, 1)), Some(d(2026, 12, 31)), "60 days ahead");
        assert_eq!(cal.runs_out_soon(d(2027, 3, 1)), Some(d(2026, 12, 31)), "and after it ran out");
    }
}
