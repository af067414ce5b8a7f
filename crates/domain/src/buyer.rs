//! A buyer as the merchant's system knows them: a display name, how to reach them, and the
//! language they read. Notifications are sent to these (PRODUCT.md §6).

/// What is wrong with one field of a buyer's profile (the field, and a stable code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileError {
    pub field: &'static str,
    pub code: &'static str,
}

/// The languages Redress writes in.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// A buyer's profile, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerProfile {
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// One of [`LANGUAGES`].
    pub language: String,
}

impl BuyerProfile {
    /// Checks every field and reports every problem at once. Surrounding spaces are dropped;
    /// an empty e-mail address or phone number is none; the language defaults to zh-CN.
    pub fn parse(
        display_name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        language: Option<&str>,
    ) -> Result<BuyerProfile, Vec<ProfileError>> {
        let mut errors = vec![];
        // Lengths are of the text as sent (the API documents them so), the rest of it trimmed.
        let long = |s: Option<&str>, max: usize| s.is_some_and(|s| s.chars().count() > max);
        let name_long = long(Some(display_name), 100);
        let display_name = display_name.trim();
        if display_name.is_empty() || name_long || display_name.chars().any(char::is_control) {
            errors.push(ProfileError { field: "display_name", code: "text-required" });
        }
        let email_long = long(email, 254);
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if email_long || email.is_some_and(|e| !email_ok(e)) {
            errors.push(ProfileError { field: "email", code: "email-invalid" });
        }
        let phone_long = long(phone, 32);
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        if phone_long || phone.is_some_and(|p| !phone_ok(p)) {
            errors.push(ProfileError { field: "phone", code: "phone-invalid" });
        }
        let language = match language.map(str::trim) {
            None | Some("") => "zh-CN",
            Some(l) => match LANGUAGES.iter().find(|x| x.eq_ignore_ascii_case(l)) {
                Some(x) => x,
                None => {
                    errors.push(ProfileError { field: "language", code: "language-unknown" });
                    "zh-CN"
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(BuyerProfile {
            display_name: display_name.to_owned(),
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            language: language.to_owned(),
        })
    }
}

/// An address mail can be sent to: `local@domain`, the domain with a dot and no empty label,
/// no spaces or control characters, at most 254 characters (RFC 5321's path limit).
pub fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else { return false };
    let clean = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '@');
    e.len() <= 254
        && local.len() <= 64
        && clean(local)
        && clean(domain)
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
}

/// A phone number: an optional leading `+`, then 5 to 15 digits (E.164's most), spaces and
/// hyphens allowed between them.
fn phone_ok(p: &str) -> bool {
    let rest = p.strip_prefix('+').unwrap_or(p);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && (5..=15).contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_profile_is_kept_trimmed() {
        let p = BuyerProfile::parse(" 赵六 ", Some(" zhao@example.cn "), Some("+86 138-0013-8000"), Some("EN"))
            .expect("valid");
        assert_eq!(p.display_name, "赵六");
        assert_eq!(p.email.as_deref(), Some("zhao@example.cn"));
        assert_eq!(p.phone.as_deref(), Some("+86 138-0013-8000"));
        assert_eq!(p.language, "en");
    }

    #[test]
    fn empty_contact_is_none_and_the_language_defaults_to_chinese() {
        let p = BuyerProfile::parse("Zhao", Some(""), None, None).expect("valid");
        assert_eq!((p.email, p.phone, p.language.as_str()), (None, None, "zh-CN"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let e = BuyerProfile::parse(" ", Some("zhao@"), Some("12"), Some("fr")).expect_err("invalid");
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["display_name", "email", "phone", "language"]);
    }

    #[test]
    fn addresses() {
        for ok in ["a@b.cn", "first.last+tag@mail.example.com", "用户@例子.中国"] {
            assert!(email_ok(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b..cn", "a b@c.cn", "a@b.cn\n", "a@-b.cn"] {
            assert!(!email_ok(bad), "{bad:?}");
        }
        assert!(!email_ok(&format!("{}@b.cn", "a".repeat(65))));
    }

    #[test]
    fn lengths_count_what_was_sent() {
        let padded = format!(" {}", "名".repeat(100));
        assert!(BuyerProfile::parse(&padded, None, None, None).is_err(), "101 characters as sent");
        assert!(BuyerProfile::parse(&"名".repeat(100), None, None, None).is_ok());
        let spaced = format!("{}13800138000", " ".repeat(30));
        assert_eq!(BuyerProfile::parse("Z", None, Some(&spaced), None).expect_err("long")[0].field, "phone");
    }

    #[test]
    fn phones() {
        for ok in ["13800138000", "+86 138 0013 8000", "010-12345678"] {
            assert!(phone_ok(ok), "{ok}");
        }
        for bad in ["", "+", "1234", "+86 (10) 1234", "１３８００１３８０００", "1234567890123456", "-12345"]
        {
            assert!(!phone_ok(bad), "{bad:?}");
        }
    }
}
