//! Limits against abuse of support (docs/product.md §6): how many tickets a buyer may have
//! open, open per day, how many messages they may write a minute and how many bytes of files
//! they may attach a day. A buyer's use is counted per window (a minute; a day in Beijing
//! time) in the database, in the transaction of the write it counts, so the limits hold
//! across instances; this module decides the windows, what a write uses and when a buyer
//! past a limit may try again.

use crate::calendar::{shanghai, shanghai_date};
use jiff::{SignedDuration, Timestamp};

/// The limits an installation sets; the defaults are documented in docs/product.md §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbuseLimits {
    pub open_tickets: u32,
    pub tickets_per_day: u32,
    pub messages_per_minute: u32,
    pub attachment_bytes_per_day: u64,
}

impl Default for AbuseLimits {
    fn default() -> AbuseLimits {
        AbuseLimits {
            open_tickets: 10,
            tickets_per_day: 20,
            messages_per_minute: 10,
            attachment_bytes_per_day: 50 * 1024 * 1024,
        }
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Meter {
    /// Tickets opened, per day.
    Tickets,
    /// Messages written (a ticket's first included), per minute.
    Messages,
    /// Bytes of files attached to messages, per day.
    AttachmentBytes,
}

impl Meter {
    pub fn as_str(self) -> &'static str {
        match self {
            Meter::Tickets => "tickets",
            Meter::Messages => "messages",
            Meter::AttachmentBytes => "attachment_bytes",
        }
    }

    /// The window `now` falls in: a minute, or a day from Beijing's midnight.
    pub fn window(self, now: Timestamp) -> (Timestamp, Timestamp) {
        match self {
            Meter::Messages => {
                let start = Timestamp::from_second(now.as_second().div_euclid(60) * 60).unwrap_or(now);
                (start, start + SignedDuration::from_secs(60))
            }
            Meter::Tickets | Meter::AttachmentBytes => {
                let day = shanghai_date(now);
                let start = day.to_zoned_datetime(shanghai()).map(|z| z.timestamp()).unwrap_or(now);
                let end = day
                    .tomorrow()
                    .and_then(|d| d.to_zoned_datetime(shanghai()))
                    .map(|z| z.timestamp())
                    .unwrap_or(start + SignedDuration::from_hours(24));
                (start, end)
            }
        }
    }
}

/// One use of a meter by a write: `amount` in the window starting at `window_start`, at most
/// `limit` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Use {
    pub meter: Meter,
    pub amount: u64,
    pub limit: u64,
    pub window_start: Timestamp,
    pub window_end: Timestamp,
}

impl Use {
    pub fn new(meter: Meter, amount: u64, limit: u64, now: Timestamp) -> Use {
        let (window_start, window_end) = meter.window(now);
        Use { meter, amount, limit, window_start, window_end }
    }

    /// Whether `total` (this window's use, this one included) is past the limit: then when
    /// to try again, in whole seconds (at least one).
    pub fn refused(&self, total: u64, now: Timestamp) -> Option<LimitReached> {
        (total > self.limit).then(|| LimitReached { meter: Some(self.meter), retry_after: retry(self.window_end, now) })
    }
}

fn retry(until: Timestamp, now: Timestamp) -> u64 {
    u64::try_from((until - now).as_secs()).unwrap_or(0).max(1)
}

/// A buyer went past a limit: which (`None`: open tickets), and in how many seconds trying
/// again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too much at once: try again in {retry_after} s")]
pub struct LimitReached {
    pub meter: Option<Meter>,
    pub retry_after: u64,
}

/// How long a buyer with too many open tickets is told to wait: an answer may resolve one.
pub const OPEN_TICKETS_RETRY: u64 = 3600;

impl LimitReached {
    /// The error's code (`limit-<meter>`).
    pub fn code(&self) -> &'static str {
        match self.meter {
            None => "limit-open-tickets",
            Some(Meter::Tickets) => "limit-tickets",
            Some(Meter::Messages) => "limit-messages",
            Some(Meter::AttachmentBytes) => "limit-attachment-bytes",
        }
    }

    pub const ALL_FOR_TESTS: [LimitReached; 4] = [
        LimitReached { meter: None, retry_after: 1 },
        LimitReached { meter: Some(Meter::Tickets), retry_after: 1 },
        LimitReached { meter: Some(Meter::Messages), retry_after: 1 },
        LimitReached { meter: Some(Meter::AttachmentBytes), retry_after: 1 },
    ];
}

impl AbuseLimits {
    /// Reads the setting: `name:value` pairs, comma-separated, each changing one default —
    /// `open_tickets`, `tickets_per_day`, `messages_per_minute` (counts, at least 1) and
    /// `attachment_mb_per_day` (MiB, at least 1). Empty: the defaults.
    pub fn parse(text: &str) -> Result<AbuseLimits, String> {
        let mut l = AbuseLimits::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once(':').ok_or_else(|| format!("{pair:?}: expected name:value"))?;
            let n: u32 = value
                .trim()
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("{name}: {value:?} is not a whole number of at least 1"))?;
            match name.trim() {
                "open_tickets" => l.open_tickets = n,
                "tickets_per_day" => l.tickets_per_day = n,
                "messages_per_minute" => l.messages_per_minute = n,
                "attachment_mb_per_day" => l.attachment_bytes_per_day = u64::from(n) * 1024 * 1024,
                other => {
                    return Err(format!(
                        "unknown limit {other:?}: open_tickets, tickets_per_day, messages_per_minute or attachment_mb_per_day"
                    ));
                }
            }
        }
        Ok(l)
    }

    /// What opening a ticket uses, with `bytes` of files on its first message.
    pub fn opening(&self, bytes: u64, now: Timestamp) -> Vec<Use> {
        let mut uses = vec![
            Use::new(Meter::Tickets, 1, u64::from(self.tickets_per_day), now),
            Use::new(Meter::Messages, 1, u64::from(self.messages_per_minute), now),
        ];
        uses.extend(self.files(bytes, now));
        uses
    }

    /// What a message uses, with `bytes` of files on it.
    pub fn writing(&self, bytes: u64, now: Timestamp) -> Vec<Use> {
        let mut uses = vec![Use::new(Meter::Messages, 1, u64::from(self.messages_per_minute), now)];
        uses.extend(self.files(bytes, now));
        uses
    }

    fn files(&self, bytes: u64, now: Timestamp) -> Option<Use> {
        (bytes > 0).then(|| Use::new(Meter::AttachmentBytes, bytes, self.attachment_bytes_per_day, now))
    }

    /// Whether a buyer with `open` tickets open may open another.
    pub fn may_open(&self, open: u64) -> Result<(), LimitReached> {
        if open >= u64::from(self.open_tickets) {
            return Err(LimitReached { meter: None, retry_after: OPEN_TICKETS_RETRY });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn a_day_is_beijings_and_a_minute_is_a_minute() {
        // 23:30 UTC on 1 Dec is 07:30 on 2 Dec in Beijing: the day began at 16:00 UTC.
        let now = at("2026-12-01T23:30:15Z");
        assert_eq!(Meter::Tickets.window(now), (at("2026-12-01T16:00:00Z"), at("2026-12-02T16:00:00Z")));
        assert_eq!(Meter::Messages.window(now), (at("2026-12-01T23:30:00Z"), at("2026-12-01T23:31:00Z")));
    }

    #[test]
    fn past_the_limit_says_when_to_try_again() {
        let now = at("2026-12-01T23:30:15Z");
        let u = Use::new(Meter::Messages, 1, 10, now);
        assert_eq!(u.refused(10, now), None, "the tenth is allowed");
        assert_eq!(u.refused(11, now), Some(LimitReached { meter: Some(Meter::Messages), retry_after: 45 }));
        let day = Use::new(Meter::AttachmentBytes, 5, 100, now);
        assert_eq!(day.refused(101, now).map(|r| r.retry_after), Some(16 * 3600 + 29 * 60 + 45));
        let limits = AbuseLimits::default();
        assert!(limits.may_open(9).is_ok());
        assert_eq!(limits.may_open(10).map_err(|e| e.code()), Err("limit-open-tickets"));
    }

    #[test]
    fn the_setting_changes_what_it_names() {
        assert_eq!(AbuseLimits::parse(""), Ok(AbuseLimits::default()));
        let l = AbuseLimits::parse("open_tickets:3, attachment_mb_per_day:5").expect("valid");
        assert_eq!((l.open_tickets, l.attachment_bytes_per_day), (3, 5 * 1024 * 1024));
        assert_eq!(l.messages_per_minute, AbuseLimits::default().messages_per_minute);
        assert!(AbuseLimits::parse("open_tickets:0").is_err());
        assert!(AbuseLimits::parse("tickets:3").is_err());
        assert!(AbuseLimits::parse("open_tickets=3").is_err());
    }

    #[test]
    fn a_write_uses_what_it_writes() {
        let now = at("2026-12-01T08:00:00Z");
        let l = AbuseLimits::default();
        let metered = |uses: Vec<Use>| uses.iter().map(|u| (u.meter, u.amount)).collect::<Vec<_>>();
        assert_eq!(metered(l.opening(0, now)), [(Meter::Tickets, 1), (Meter::Messages, 1)]);
        assert_eq!(metered(l.writing(300, now)), [(Meter::Messages, 1), (Meter::AttachmentBytes, 300)]);
    }
}
