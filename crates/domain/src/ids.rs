//! Identifiers that parse rather than validate: once you hold one, it is well-formed.

use jiff::civil::Date;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Crockford base32 alphabet (no I, L, O, U): readable over the phone, never ambiguous.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed identifier")]
pub struct IdError;

/// `RF-YYYYMMDD-XXXXXX`: the Shanghai date of submission and 6 random Crockford base32
/// characters (30 bits). Never sequential, so numbers reveal nothing and cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApplicationNo(String);

/// `{prefix}-YYYYMMDD-XXXXXX`: a date and 6 random Crockford base32 characters.
fn dated<R: rand::Rng + ?Sized>(prefix: &str, date: Date, rng: &mut R) -> String {
    let suffix: String = (0..6).map(|_| CROCKFORD[rng.random_range(0..32usize)] as char).collect();
    format!("{prefix}-{}-{suffix}", date.strftime("%Y%m%d"))
}

/// `text` as a dated number with `prefix`, upper-cased, if it is one.
fn parse_dated(prefix: &str, text: &str) -> Result<String, IdError> {
    let upper = text.trim().to_ascii_uppercase();
    let mut parts = upper.split('-');
    let (Some(p), Some(date), Some(suffix), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(IdError);
    };
    let date_ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) && Date::strptime("%Y%m%d", date).is_ok();
    let suffix_ok = suffix.len() == 6 && suffix.bytes().all(|b| CROCKFORD.contains(&b));
    if p == prefix && date_ok && suffix_ok { Ok(upper) } else { Err(IdError) }
}

impl ApplicationNo {
    pub fn generate<R: rand::Rng + ?Sized>(date: Date, rng: &mut R) -> ApplicationNo {
        ApplicationNo(dated("RF", date, rng))
    }

    pub fn parse(text: &str) -> Result<ApplicationNo, IdError> {
        parse_dated("RF", text).map(ApplicationNo)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `TK-YYYYMMDD-XXXXXX`: a support ticket's number, the Shanghai date it was opened and 6
/// random Crockford base32 characters, never sequential (as [`ApplicationNo`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketNo(String);

impl TicketNo {
    pub fn generate<R: rand::Rng + ?Sized>(date: Date, rng: &mut R) -> TicketNo {
        TicketNo(dated("TK", date, rng))
    }

    pub fn parse(text: &str) -> Result<TicketNo, IdError> {
        parse_dated("TK", text).map(TicketNo)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An application's identity: given when its draft is created and never changed (the
/// database's key). `DR-` and 14 random Crockford base32 characters (70 bits): opaque, never
/// sequential. Applications submitted before ids existed have their number as their id, and
/// drafts of then an id made from their old number (`DR-20260101ABC123`), of the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApplicationId(String);

/// The random part of a draft id.
const DRAFT_ID_CHARS: usize = 14;

impl ApplicationId {
    pub fn generate<R: rand::Rng + ?Sized>(rng: &mut R) -> ApplicationId {
        let suffix: String = (0..DRAFT_ID_CHARS).map(|_| CROCKFORD[rng.random_range(0..32usize)] as char).collect();
        ApplicationId(format!("DR-{suffix}"))
    }

    /// A draft id, or the number of an application submitted before ids existed.
    pub fn parse(text: &str) -> Result<ApplicationId, IdError> {
        let upper = text.trim().to_ascii_uppercase();
        if let Some(suffix) = upper.strip_prefix("DR-")
            && suffix.len() == DRAFT_ID_CHARS
            && suffix.bytes().all(|b| CROCKFORD.contains(&b))
        {
            return Ok(ApplicationId(upper));
        }
        ApplicationNo::parse(&upper).map(|no| ApplicationId(no.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How an application is addressed (the API's `no` field, the pages' links): by its draft id
/// until it is submitted, by its number from then on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ApplicationRef {
    Draft(ApplicationId),
    No(ApplicationNo),
}

impl ApplicationRef {
    pub fn parse(text: &str) -> Result<ApplicationRef, IdError> {
        match ApplicationNo::parse(text) {
            Ok(no) => Ok(ApplicationRef::No(no)),
            Err(_) => ApplicationId::parse(text).map(ApplicationRef::Draft),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ApplicationRef::Draft(id) => id.as_str(),
            ApplicationRef::No(no) => no.as_str(),
        }
    }
}

impl From<ApplicationNo> for ApplicationRef {
    fn from(no: ApplicationNo) -> ApplicationRef {
        ApplicationRef::No(no)
    }
}

impl From<&ApplicationNo> for ApplicationRef {
    fn from(no: &ApplicationNo) -> ApplicationRef {
        ApplicationRef::No(no.clone())
    }
}

impl TryFrom<String> for ApplicationRef {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        ApplicationRef::parse(&s)
    }
}

impl From<ApplicationRef> for String {
    fn from(r: ApplicationRef) -> String {
        r.as_str().to_owned()
    }
}

impl fmt::Display for ApplicationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApplicationRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        ApplicationRef::parse(s)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdError> {
                let allowed: fn(char) -> bool = $allowed;
                if !text.is_empty() && text.chars().count() <= $max && text.chars().all(allowed) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(IdError)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A merchant's order number: 1–64 of `A–Z a–z 0–9 _ -`.
    OrderNo,
    64,
    |c| c.is_ascii_alphanumeric() || c == '_' || c == '-'
);
string_id!(
    /// A login name: 1–64 of `a–z 0–9 _ . -` (lower case).
    Username,
    64,
    |c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
);

macro_rules! string_conversions {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                $name::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
string_conversions!(ApplicationNo, TicketNo, ApplicationId, OrderNo, Username);

/// What a notification (or an e-mail) is about: an application or a support ticket, told
/// apart by their numbers' prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Subject {
    Application(ApplicationNo),
    Ticket(TicketNo),
}

impl Subject {
    pub fn parse(text: &str) -> Result<Subject, IdError> {
        match TicketNo::parse(text) {
            Ok(t) => Ok(Subject::Ticket(t)),
            Err(_) => ApplicationNo::parse(text).map(Subject::Application),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Subject::Application(a) => a.as_str(),
            Subject::Ticket(t) => t.as_str(),
        }
    }

    /// The application it is about, if it is one.
    pub fn application(&self) -> Option<&ApplicationNo> {
        match self {
            Subject::Application(a) => Some(a),
            Subject::Ticket(_) => None,
        }
    }
}

impl From<ApplicationNo> for Subject {
    fn from(no: ApplicationNo) -> Subject {
        Subject::Application(no)
    }
}

impl From<TicketNo> for Subject {
    fn from(no: TicketNo) -> Subject {
        Subject::Ticket(no)
    }
}

impl TryFrom<String> for Subject {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Subject::parse(&s)
    }
}

impl From<Subject> for String {
    fn from(v: Subject) -> String {
        v.as_str().to_owned()
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn application_numbers_have_the_documented_shape() {
        let mut rng = rand::rng();
        let no = ApplicationNo::generate(date(2026, 11, 24), &mut rng);
        assert!(no.as_str().starts_with("RF-20261124-"));
        assert_eq!(ApplicationNo::parse(no.as_str()), Ok(no.clone()));
        assert_eq!(ApplicationNo::parse(&no.as_str().to_lowercase()), Ok(no));
    }

    #[test]
    fn ticket_numbers_have_the_documented_shape_and_are_not_application_numbers() {
        let no = TicketNo::generate(date(2026, 12, 3), &mut rand::rng());
        assert!(no.as_str().starts_with("TK-20261203-") && no.as_str().len() == 18, "{no}");
        assert_eq!(TicketNo::parse(&no.as_str().to_lowercase()), Ok(no.clone()));
        assert!(ApplicationNo::parse(no.as_str()).is_err());
        assert!(TicketNo::parse(ApplicationNo::generate(date(2026, 12, 3), &mut rand::rng()).as_str()).is_err());
        assert!(TicketNo::parse("TK-20261303-ABC123").is_err(), "no 13th month");
        assert!(TicketNo::parse("TK-20261203-ABCI23").is_err(), "no I in the alphabet");
    }

    #[test]
    fn draft_ids_are_opaque_and_tell_themselves_from_numbers() {
        let mut rng = rand::rng();
        let id = ApplicationId::generate(&mut rng);
        assert!(id.as_str().starts_with("DR-") && id.as_str().len() == 17, "{id}");
        assert_eq!(ApplicationRef::parse(id.as_str()), Ok(ApplicationRef::Draft(id.clone())));
        assert_eq!(ApplicationRef::parse(&id.as_str().to_lowercase()), Ok(ApplicationRef::Draft(id)));
        let no = ApplicationNo::generate(date(2026, 11, 24), &mut rng);
        assert_eq!(ApplicationRef::parse(no.as_str()), Ok(ApplicationRef::No(no.clone())));
        // An id made from an old draft number in the upgrade has the same shape.
        assert!(ApplicationId::parse("DR-20261124ABC123").is_ok());
        // The number of an application submitted before ids existed is its id.
        assert_eq!(ApplicationId::parse(no.as_str()).map(|i| i.to_string()), Ok(no.to_string()));
        for bad in ["DR-", "DR-ABC", "DR-20261124ABC12I", "DR-20261124ABC1234", "XX-20261124ABC123", ""] {
            assert!(ApplicationRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn application_numbers_are_not_sequential() {
        let mut rng = rand::rng();
        let many: std::collections::HashSet<_> =
            (0..1000).map(|_| ApplicationNo::generate(date(2026, 11, 24), &mut rng)).collect();
        assert!(many.len() > 990, "1000 draws gave only {} distinct", many.len());
    }

    #[test]
    fn rejects_malformed_numbers() {
        for bad in [
            "RF-20261124-7K3M9",
            "RF-20261324-7K3M9Q",
            "RF-20261124-7K3M9I",
            "XX-20261124-7K3M9Q",
            "RF-20261124-7K3M9Q-1",
            "",
        ] {
            assert_eq!(ApplicationNo::parse(bad), Err(IdError), "{bad}");
        }
    }

    #[test]
    fn order_numbers_and_usernames() {
        assert!(OrderNo::parse("DY-2026-0001").is_ok());
        assert!(OrderNo::parse("../etc").is_err());
        assert!(OrderNo::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("Alice").is_err());
    }
}
