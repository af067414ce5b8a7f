//! Service levels (docs/product.md §6): the targets support promises — per ticket category,
//! or the default — on which hours they count, and how long a resolved ticket may be
//! reopened. Written by administrators as TOML (the shipped default is
//! `data/service-levels.toml`), checked here, and kept as numbered versions: a version
//! applies to clocks started while it is in force, a running clock keeps the target it
//! started with.

use crate::sla::{Hours, WorkingDay};
use crate::ticket::{Category, Targets};
use jiff::SignedDuration;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest target a service level may set (a year: anything longer is no promise).
const MAX_TARGET: SignedDuration = SignedDuration::from_hours(366 * 24);

/// What support promises, in force from a version on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLevels {
    /// How long a resolved ticket may be reopened before it closes.
    pub close_after: SignedDuration,
    /// The targets of a category without its own.
    pub default: Targets,
    pub categories: BTreeMap<Category, Targets>,
    /// The working day targets in business hours count on (kept when none uses it yet).
    pub business_hours: Option<WorkingDay>,
}

/// Why a service-level file is refused (nothing is changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceLevelsError {
    #[error("not valid TOML for service levels: {0}")]
    Toml(String),
    #[error("{field}: {value:?} is not a duration such as 30m, 24h or 5d")]
    Duration { field: String, value: String },
    #[error("{field}: a target must be more than nothing and at most a year")]
    OutOfRange { field: String },
    #[error("{field}: {value:?} is not a time of day such as 09:00")]
    Time { field: String, value: String },
    #[error("hours: {0}")]
    Hours(#[from] crate::sla::HoursError),
    #[error("{0}: hours = \"business\" needs the [business_hours] table")]
    NoBusinessHours(String),
    #[error("{field}: hours must be \"calendar\", \"business\" or \"business_days\", not {value:?}")]
    HoursKind { field: String, value: String },
    #[error("{0}: a target in business days is a whole number of days (1d, 3d)")]
    WholeDays(String),
    #[error("unknown category {0:?}")]
    Category(String),
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct TargetsRepr {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hours: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DayRepr {
    open: String,
    close: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    lunch: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    close_after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_hours: Option<DayRepr>,
    default: TargetsRepr,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    categories: BTreeMap<String, TargetsRepr>,
}

/// `30m`, `24h`, `5d` (a day is 24 hours of counting time).
fn duration(field: &str, value: &str) -> Result<SignedDuration, ServiceLevelsError> {
    let bad = || ServiceLevelsError::Duration { field: field.to_owned(), value: value.to_owned() };
    let v = value.trim();
    let (n, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let minutes = match unit {
        "m" => n,
        "h" => n.checked_mul(60).ok_or_else(bad)?,
        "d" => n.checked_mul(24 * 60).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let d = SignedDuration::from_mins(minutes);
    if d <= SignedDuration::ZERO || d > MAX_TARGET {
        return Err(ServiceLevelsError::OutOfRange { field: field.to_owned() });
    }
    Ok(d)
}

/// The shortest way to write `d` in the file's units.
fn written(d: SignedDuration) -> String {
    let m = d.as_mins();
    if m % (24 * 60) == 0 && m >= 2 * 24 * 60 {
        format!("{}d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

fn time(field: &str, value: &str) -> Result<Time, ServiceLevelsError> {
    value.trim().parse().map_err(|_| ServiceLevelsError::Time { field: field.to_owned(), value: value.to_owned() })
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl ServiceLevels {
    /// The shipped levels (`data/service-levels.toml`): the source document's 24 hours to an
    /// answer, every hour counting; five days to resolve; seven days to reopen.
    pub fn shipped() -> ServiceLevels {
        ServiceLevels::from_toml(include_str!("../data/service-levels.toml")).unwrap_or(ServiceLevels {
            close_after: crate::ticket::DEFAULT_CLOSE_AFTER,
            default: Targets::default(),
            categories: BTreeMap::new(),
            business_hours: None,
        })
    }

    /// The targets a ticket of `category` starts its clocks on.
    pub fn targets(&self, category: Category) -> Targets {
        self.categories.get(&category).copied().unwrap_or(self.default)
    }

    /// Reads and checks a service-level file.
    pub fn from_toml(text: &str) -> Result<ServiceLevels, ServiceLevelsError> {
        let file: FileRepr = toml::from_str(text).map_err(|e| ServiceLevelsError::Toml(e.to_string()))?;
        let close_after = duration("close_after", &file.close_after)?;
        let day = match &file.business_hours {
            None => None,
            Some(d) => {
                let lunch = match &d.lunch {
                    None => None,
                    Some(l) => {
                        let (from, to) = l.split_once('-').ok_or_else(|| ServiceLevelsError::Time {
                            field: "business_hours.lunch".into(),
                            value: l.clone(),
                        })?;
                        Some((time("business_hours.lunch", from)?, time("business_hours.lunch", to)?))
                    }
                };
                Some(WorkingDay::new(
                    time("business_hours.open", &d.open)?,
                    time("business_hours.close", &d.close)?,
                    lunch,
                )?)
            }
        };
        let targets = |name: &str, r: &TargetsRepr, base: &Targets| -> Result<Targets, ServiceLevelsError> {
            let field = |f: &str| format!("{name}.{f}");
            let pick = |f: &str, v: &Option<String>, d: SignedDuration| match v {
                Some(v) => duration(&field(f), v),
                None => Ok(d),
            };
            let hours = match r.hours.as_deref() {
                None => base.hours,
                Some("calendar") => Hours::Calendar,
                Some("business_days") => Hours::BusinessDays,
                Some("business") => {
                    Hours::Business(day.ok_or_else(|| ServiceLevelsError::NoBusinessHours(name.into()))?)
                }
                Some(other) => {
                    return Err(ServiceLevelsError::HoursKind { field: field("hours"), value: other.to_owned() });
                }
            };
            let t = Targets {
                first_response: pick("first_response", &r.first_response, base.first_response)?,
                next_response: pick("next_response", &r.next_response, base.next_response)?,
                resolution: pick("resolution", &r.resolution, base.resolution)?,
                hours,
            };
            if hours == Hours::BusinessDays {
                let whole = [
                    ("first_response", t.first_response),
                    ("next_response", t.next_response),
                    ("resolution", t.resolution),
                ];
                if let Some((f, _)) = whole.iter().find(|(_, d)| d.as_secs() % 86_400 != 0) {
                    return Err(ServiceLevelsError::WholeDays(field(f)));
                }
            }
            Ok(t)
        };
        let default = targets("default", &file.default, &Targets::default())?;
        let mut categories = BTreeMap::new();
        for (name, r) in &file.categories {
            let c = Category::parse(name).ok_or_else(|| ServiceLevelsError::Category(name.clone()))?;
            categories.insert(c, targets(&format!("categories.{name}"), r, &default)?);
        }
        Ok(ServiceLevels { close_after, default, categories, business_hours: day })
    }

    /// The levels as a file [`ServiceLevels::from_toml`] reads back to the same.
    pub fn to_toml(&self) -> String {
        let day = self.business_hours.or_else(|| {
            std::iter::once(&self.default).chain(self.categories.values()).find_map(|t| match t.hours {
                Hours::Business(d) => Some(d),
                Hours::Calendar | Hours::BusinessDays => None,
            })
        });
        let repr = |t: &Targets, base: Option<&Targets>| TargetsRepr {
            first_response: (base.map(|b| b.first_response) != Some(t.first_response))
                .then(|| written(t.first_response)),
            next_response: (base.map(|b| b.next_response) != Some(t.next_response)).then(|| written(t.next_response)),
            resolution: (base.map(|b| b.resolution) != Some(t.resolution)).then(|| written(t.resolution)),
            hours: (base.map(|b| b.hours) != Some(t.hours)).then(|| {
                match t.hours {
                    Hours::Calendar => "calendar",
                    Hours::Business(_) => "business",
                    Hours::BusinessDays => "business_days",
                }
                .to_owned()
            }),
        };
        let file = FileRepr {
            close_after: written(self.close_after),
            business_hours: day.map(|d| DayRepr {
                open: hhmm(d.open),
                close: hhmm(d.close),
                lunch: d.lunch.map(|(a, b)| format!("{}-{}", hhmm(a), hhmm(b))),
            }),
            default: repr(&self.default, None),
            categories: self
                .categories
                .iter()
                .map(|(c, t)| (c.as_str().to_owned(), repr(t, Some(&self.default))))
                .collect(),
        };
        toml::to_string(&file).unwrap_or_default()
    }
}

/// A published version: its number, the levels, and who published it when, saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub version: u32,
    pub levels: ServiceLevels,
    pub published_by: String,
    pub note: String,
    pub published_at: jiff::Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
close_after = "7d"

[business_hours]
open = "09:00"
close = "18:00"
lunch = "12:00-13:30"

[default]
first_response = "24h"
next_response = "24h"
resolution = "5d"
hours = "calendar"

[categories.payout_not_arrived]
first_response = "4h"
hours = "business"

[categories.account]
resolution = "3d"
hours = "business_days"
"#;

    #[test]
    fn a_category_has_its_own_targets_and_the_rest_the_default() {
        let l = ServiceLevels::from_toml(FILE).expect("valid");
        let payout = l.targets(Category::PayoutNotArrived);
        assert_eq!(payout.first_response, SignedDuration::from_hours(4));
        assert_eq!(payout.resolution, SignedDuration::from_hours(5 * 24), "what it does not say, the default says");
        let Hours::Business(day) = payout.hours else { panic!("business hours") };
        assert_eq!(
            (hhmm(day.open), day.lunch.map(|(a, b)| (hhmm(a), hhmm(b)))),
            ("09:00".into(), Some(("12:00".into(), "13:30".into())))
        );
        assert_eq!(l.targets(Category::Other), l.default);
        let account = l.targets(Category::Account);
        assert_eq!((account.hours, account.resolution), (Hours::BusinessDays, SignedDuration::from_hours(72)));
        assert_eq!(l.close_after, SignedDuration::from_hours(7 * 24));
        assert_eq!(ServiceLevels::from_toml(&l.to_toml()).expect("round trip"), l);
    }

    #[test]
    fn the_shipped_file_is_the_documented_promise() {
        let l = ServiceLevels::shipped();
        assert_eq!(l.default, Targets::default());
        assert_eq!(l.close_after, crate::ticket::DEFAULT_CLOSE_AFTER);
    }

    #[test]
    fn a_bad_file_says_what_is_wrong() {
        let with = |from: &str, to: &str| ServiceLevels::from_toml(&FILE.replace(from, to));
        assert!(matches!(with("\"4h\"", "\"4 hours\""), Err(ServiceLevelsError::Duration { .. })));
        assert_eq!(
            with("resolution = \"3d\"", "resolution = \"36h\""),
            Err(ServiceLevelsError::WholeDays("categories.account.resolution".into()))
        );
        assert!(matches!(with("\"4h\"", "\"0h\""), Err(ServiceLevelsError::OutOfRange { .. })));
        assert!(matches!(with("\"5d\"", "\"400d\""), Err(ServiceLevelsError::OutOfRange { .. })));
        assert!(matches!(with("payout_not_arrived", "payouts"), Err(ServiceLevelsError::Category(_))));
        assert!(matches!(with("\"18:00\"", "\"08:00\""), Err(ServiceLevelsError::Hours(_))));
        assert!(matches!(
            with("hours = \"business\"", "hours = \"weekdays\""),
            Err(ServiceLevelsError::HoursKind { .. })
        ));
        let no_day =
            FILE.replace("[business_hours]\nopen = \"09:00\"\nclose = \"18:00\"\nlunch = \"12:00-13:30\"\n", "");
        assert!(matches!(ServiceLevels::from_toml(&no_day), Err(ServiceLevelsError::NoBusinessHours(_))));
        assert!(matches!(with("resolution", "resolve"), Err(ServiceLevelsError::Toml(_))));
    }
}
