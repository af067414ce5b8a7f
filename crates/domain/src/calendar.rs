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

    /// The `n`-th business day after `day`; for none, `day` itself if it is a business day,
    /// else the next one. `None` past the last date there is.
    pub fn business_day_after(&self, day: Date, n: u32) -> Option<Date> {
        let mut day = day;
        let mut left = if n == 0 && !self.is_business_day(day) { 1 } else { n };
        while left > 0 {
            day = day.tomorrow().ok()?;
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }

    /// How many business days lie after `from`, up to and including `to`.
    pub fn business_days_in(&self, from: Date, to: Date) -> u32 {
        let mut day = from;
        let mut n = 0u32;
        while day < to {
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
            n = n.saturating_add(u32::from(self.is_business_day(day)));
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    fn business_days_after_a_day() {
        let cal = BusinessCalendar::china_default();
        let after = |d: &str, n| cal.business_day_after(d.parse().expect("date"), n).map(|d| d.to_string());
        // Friday + 3 → Wednesday 2 December.
        assert_eq!(after("2026-11-27", 3).as_deref(), Some("2026-12-02"));
        // 30 September + 1 skips 1–7 October → Thursday 8 October.
        assert_eq!(after("2026-09-30", 1).as_deref(), Some("2026-10-08"));
        // 8 October + 2 → Friday 9, then the make-up Saturday 10 October.
        assert_eq!(after("2026-10-08", 2).as_deref(), Some("2026-10-10"));
        // None: the day itself if a business day, else the next one.
        assert_eq!(after("2026-11-27", 0).as_deref(), Some("2026-11-27"));
        assert_eq!(after("2026-10-03", 0).as_deref(), Some("2026-10-08"));
        // 2027 (provisional): 4 February + 1 skips the Spring Festival → make-up Saturday 13.
        assert_eq!(after("2027-02-04", 1).as_deref(), Some("2027-02-13"));
    }

    #[test]
    fn business_days_in_a_span() {
        let cal = BusinessCalendar::china_default();
        let count = |from: &str, to: &str| cal.business_days_in(from.parse().expect("date"), to.parse().expect("date"));
        assert_eq!(count("2026-11-27", "2026-12-02"), 3, "Monday to Wednesday");
        assert_eq!(count("2026-11-27", "2026-11-29"), 0, "a weekend");
        assert_eq!(count("2026-12-02", "2026-11-27"), 0, "backwards");
        assert_eq!(count("2026-09-30", "2026-10-10"), 3, "National Day: 8, 9 and the make-up 10 October");
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
        fn counting_gives_back_the_days_added(days in 0i32..(5 * 365), n in 1u32..60) {
            // 2024-01-01 .. 2029-01-01: inside and around the data.
            let cal = BusinessCalendar::china_default();
            let from = Date::new(2024, 1, 1).expect("date").checked_add(jiff::Span::new().days(days)).expect("date");
            let to = cal.business_day_after(from, n).expect("a day");
            prop_assert!(to > from && cal.is_business_day(to));
            prop_assert_eq!(cal.business_days_in(from, to), n);
            prop_assert_eq!(cal.business_days_in(from, to.yesterday().expect("date")), n - 1);
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
