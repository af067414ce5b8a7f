//! Translations: every sentence a person reads comes from `locales/{zh-CN,en}/*.ftl`.
//! zh-CN is the default; English is chosen by `Accept-Language` (and, on pages, a cookie).

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A time as people in China read it: Asia/Shanghai, to the minute.
pub fn local_time(t: &jiff::Timestamp) -> String {
    t.to_zoned_datetime(redress_domain::calendar::shanghai()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// A time to the minute with its zone named: `2026-12-01 14:30（北京时间）`.
pub fn zoned_time(t: &jiff::Timestamp, lang: Lang) -> String {
    lang.t_args("time-beijing", &[("time", local_time(t))])
}

/// A deadline, in words that cannot be read a day late: a deadline at midnight Beijing time
/// is the end of the day before (`2026年12月4日 24:00（北京时间）`, `4 Dec 2026, end of day
/// (Beijing time)`), any other the day and minute, always with the zone.
pub fn deadline(t: &jiff::Timestamp, lang: Lang) -> String {
    let local = t.to_zoned_datetime(redress_domain::calendar::shanghai());
    let midnight = local.hour() == 0 && local.minute() == 0 && local.second() == 0 && local.subsec_nanosecond() == 0;
    let day = if midnight { local.date().yesterday().unwrap_or(local.date()) } else { local.date() };
    let date = match lang {
        Lang::Zh => day.strftime("%Y年%-m月%-d日").to_string(),
        Lang::En => day.strftime("%-d %b %Y").to_string(),
    };
    if midnight {
        lang.t_args("deadline-end-of-day", &[("date", date)])
    } else {
        lang.t_args("deadline-at", &[("date", date), ("time", local.strftime("%H:%M").to_string())])
    }
}

/// The cookie that remembers the language chosen with the page switcher.
pub const LANG_COOKIE: &str = "redress_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// Picks the language from an `Accept-Language` header: the first of zh / en by quality;
    /// anything else (or nothing) means zh-CN.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("zh") {
                Lang::Zh
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, l)| l)
    }

    /// The language of a request: the `redress_lang` cookie set by the page switcher, else
    /// `Accept-Language`.
    pub fn of(headers: &axum::http::HeaderMap) -> Lang {
        let chosen = headers.get_all(axum::http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
            c.split(';').find_map(|kv| match kv.trim().split_once('=') {
                Some((LANG_COOKIE, v)) => Lang::from_tag(v.trim()),
                _ => None,
            })
        });
        chosen.unwrap_or_else(|| {
            Lang::from_accept_language(headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        })
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag {
            "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn t(self, id: &str) -> String {
        LOCALES.lookup(self.id(), id)
    }

    /// A message with arguments; `count` is passed as a number, so messages can choose plural
    /// forms by it.
    pub fn t_args(self, id: &str, args: &[(&'static str, String)]) -> String {
        let value = |k: &str, v: &String| match (k, v.parse::<i64>()) {
            ("count", Ok(n)) => FluentValue::from(n),
            _ => FluentValue::from(v.clone()),
        };
        let map: HashMap<Cow<'static, str>, FluentValue> =
            args.iter().map(|(k, v)| (Cow::Borrowed(*k), value(k, v))).collect();
        LOCALES.lookup_with_args(self.id(), id, &map)
    }

    /// The label of a code in a family (`platform`, `unit`…); a code Redress does not know
    /// (a merchant's new platform, say) is shown as it is.
    pub fn tk(self, family: &str, code: &str) -> String {
        let id = format!("{family}-{code}");
        if self.has(&id) { self.t(&id) } else { code.to_owned() }
    }

    /// Whether `id` has a translation that formats without error (used by the test that every
    /// code is translated; the variables messages use are filled in).
    pub fn has(self, id: &str) -> bool {
        let map: HashMap<Cow<'static, str>, FluentValue> = [
            "what", "state", "version", "no", "date", "amount", "seconds", "minutes", "reason", "subject", "name",
            "count", "size", "time", "file", "days",
        ]
        .into_iter()
        .map(|k| (Cow::Borrowed(k), FluentValue::from("x")))
        .collect();
        LOCALES.try_lookup_with_args(self.id(), id, &map).is_some()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(Lang::of(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr, zh-CN;q=0.5, en;q=0.8")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-TW,en;q=0.3")), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Zh);
    }

    #[test]
    fn the_switcher_cookie_wins_over_the_header() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::ACCEPT_LANGUAGE, "zh-CN".parse().unwrap());
        assert_eq!(Lang::of(&h), Lang::Zh);
        h.insert(axum::http::header::COOKIE, "a=b; redress_lang=en".parse().unwrap());
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(axum::http::header::COOKIE, "redress_lang=fr".parse().unwrap());
        assert_eq!(Lang::of(&h), Lang::Zh);
    }

    #[test]
    fn both_languages_are_loaded() {
        assert_eq!(Lang::En.t("error-not-found"), "Not found. Check the number, or it may not be yours to see.");
        assert!(Lang::Zh.t("error-not-found").contains("未找到"));
    }

    #[test]
    fn counts_choose_plural_forms() {
        let too_many = |n: u32| Lang::En.t_args("error-evidence-too-many", &[("count", n.to_string())]);
        assert_eq!(too_many(1), "An application holds at most one file.");
        assert_eq!(too_many(20), "An application holds at most 20 files.");
        assert_eq!(Lang::Zh.t_args("error-evidence-too-many", &[("count", "1".into())]), "每个申请最多 1 个文件。");
    }

    #[test]
    fn a_deadline_at_midnight_is_the_end_of_the_day_before_with_its_zone() {
        // The end of 4 December in Beijing is 16:00 UTC on 4 December.
        let end: jiff::Timestamp = "2026-12-04T16:00:00Z".parse().expect("time");
        assert_eq!(deadline(&end, Lang::Zh), "2026年12月4日 24:00（北京时间）");
        assert_eq!(deadline(&end, Lang::En), "4 Dec 2026, end of day (Beijing time)");
        let afternoon: jiff::Timestamp = "2026-12-04T07:30:00Z".parse().expect("time");
        assert_eq!(deadline(&afternoon, Lang::Zh), "2026年12月4日 15:30（北京时间）");
        assert_eq!(deadline(&afternoon, Lang::En), "4 Dec 2026, 15:30 (Beijing time)");
        // A second past midnight is the new day.
        let after: jiff::Timestamp = "2026-12-04T16:00:01Z".parse().expect("time");
        assert_eq!(deadline(&after, Lang::En), "5 Dec 2026, 00:00 (Beijing time)");
    }
}
