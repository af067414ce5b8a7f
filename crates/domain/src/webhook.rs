//! What the merchant's system is told, by webhook (docs/notifications.md): every step of an
//! application and every payout's news is a notification to the merchant
//! ([`crate::notify::Audience::Merchant`]), written with its cause; each becomes one message
//! — its body made once, its `webhook-id` derived from the notification — delivered to every
//! endpoint subscribed to its type. Here: which endpoints take which types, what a message
//! says, when a failed delivery is tried again, and when an endpoint is switched off.

use crate::application::Application;
use crate::money::Fen;
use crate::notify::{Notice, NoticeKind};
use crate::payout::Payout;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The most a message body may weigh; a larger one is cut to what identifies its object.
pub const MAX_BODY: usize = 20 * 1024;

/// How long the previous secret still signs after a rotation.
pub const ROTATION_OVERLAP: SignedDuration = SignedDuration::from_hours(24);

/// An endpoint whose deliveries have failed for this long, without one success, is disabled.
pub const FAILING_LIMIT: SignedDuration = SignedDuration::from_hours(5 * 24);

/// The most event patterns an endpoint may list.
pub const MAX_PATTERNS: usize = 32;

/// Why a list of event types is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown event type {0}")]
    Unknown(String),
    #[error("too many event types")]
    TooMany,
}

/// The event types an endpoint takes: exact types (`application.approved`), families
/// (`payout.*`), or every type (`*`, also when none is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

impl EventFilter {
    /// Reads a comma-separated list; each entry must name a type or family that exists.
    pub fn parse(text: &str) -> Result<EventFilter, FilterError> {
        let patterns: Vec<String> =
            text.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
        if patterns.len() > MAX_PATTERNS {
            return Err(FilterError::TooMany);
        }
        for p in &patterns {
            let known = p == "*"
                || match p.strip_suffix(".*") {
                    Some(family) => hooked_kinds().any(|k| k.as_str().split('.').next() == Some(family)),
                    None => hooked_kinds().any(|k| k.as_str() == p),
                };
            if !known {
                return Err(FilterError::Unknown(p.clone()));
            }
        }
        Ok(EventFilter(patterns))
    }

    /// Whether a message of `kind` goes to the endpoint.
    pub fn takes(&self, kind: NoticeKind) -> bool {
        let t = kind.as_str();
        self.0.is_empty()
            || self.0.iter().any(|p| {
                p == "*" || p == t || p.strip_suffix(".*").is_some_and(|family| t.split('.').next() == Some(family))
            })
    }

    /// As stored and shown: comma-separated, `*` for every type.
    pub fn to_text(&self) -> String {
        if self.0.is_empty() { "*".to_owned() } else { self.0.join(",") }
    }
}

/// Whether an endpoint taking `events`, registered at `registered`, is sent merchant
/// notification `n`: of a type it takes, about a step made once it existed (history is not
/// sent to an endpoint registered later; a replay sends it on request).
pub fn sent_to(events: &EventFilter, registered: Timestamp, n: &Notice) -> bool {
    registered <= n.at && events.takes(n.kind)
}

/// The kinds sent to the merchant (staff's own housekeeping is not).
pub fn hooked_kinds() -> impl Iterator<Item = NoticeKind> {
    NoticeKind::ALL.iter().copied().filter(|k| k.to_merchant())
}

/// A message's `webhook-id`, from the notification it tells: the same on every attempt,
/// redelivery and replay, so the receiver can drop repeats.
pub fn message_id(notice_id: &str) -> String {
    let digest = Sha256::digest(format!("webhook\n{notice_id}").as_bytes());
    format!("msg_{}", &hex::encode(digest)[..26])
}

/// The application as the merchant sees it: no buyer contact data, no staff notes.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub no: String,
    pub order_no: String,
    /// The merchant's own buyer id.
    pub buyer_id: String,
    pub state: &'static str,
    pub reason: &'static str,
    pub requested_fen: i64,
    pub approved_fen: Option<i64>,
    pub reject_code: Option<&'static str>,
    pub round: crate::application::Round,
    pub submitted_at: Option<Timestamp>,
    pub review_due_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    /// The application's step count now (at least the message's `sequence`).
    pub version: i64,
}

/// A refund's payout as the merchant sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PayoutView {
    pub id: String,
    pub channel: &'static str,
    pub amount_fen: i64,
    pub state: &'static str,
    /// The channel's refund id, once it has one.
    pub channel_ref: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub settled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageData {
    /// What the message is about: `application`.
    pub object: &'static str,
    /// The object's id (the application number).
    pub id: String,
    /// The step's number on the object: messages about one object are ordered by it.
    pub sequence: i64,
    /// The amount the step is about (approved, refunded, paid twice), if any.
    pub amount_fen: Option<i64>,
    /// The object as it was when the message was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<ApplicationView>,
    /// Its refund's latest payout, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout: Option<PayoutView>,
}

/// A message body, to the Standard Webhooks shape: `type`, `timestamp`, `data`.
#[derive(Debug, Clone, Serialize)]
pub struct MessageBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When the step happened.
    pub timestamp: Timestamp,
    pub data: MessageData,
}

/// The body of the message telling `notice`, about `application` and its latest `payout`, as
/// JSON of at most [`MAX_BODY`] bytes.
pub fn body(notice: &Notice, application: Option<&Application>, payout: Option<&Payout>) -> String {
    let mut message = MessageBody {
        kind: notice.kind.as_str(),
        timestamp: notice.at,
        data: MessageData {
            object: "application",
            id: notice.subject.to_string(),
            sequence: notice.seq,
            amount_fen: notice.amount.map(|Fen(f)| f),
            application: application.map(|a| ApplicationView {
                no: notice.subject.to_string(),
                order_no: a.order_no.to_string(),
                buyer_id: a.buyer.to_string(),
                state: a.state.as_str(),
                reason: a.reason.as_str(),
                requested_fen: a.requested.0,
                approved_fen: a.approved.map(|f| f.0),
                reject_code: a.reject_code.map(|c| c.as_str()),
                round: a.round,
                submitted_at: a.submitted_at,
                review_due_at: a.review_due_at,
                decided_at: a.decided_at,
                version: a.version,
            }),
            payout: payout.map(|p| PayoutView {
                id: p.id.clone(),
                channel: p.channel.as_str(),
                amount_fen: p.amount.0,
                state: p.state.as_str(),
                channel_ref: p.channel_ref.clone(),
                sent_at: p.sent_at,
                settled_at: p.settled_at,
            }),
        },
    };
    let text = serde_json::to_string(&message).unwrap_or_default();
    if text.len() <= MAX_BODY {
        return text;
    }
    // Channels' references are short and the view has no free text, so this is a safeguard.
    message.data.application = None;
    message.data.payout = None;
    serde_json::to_string(&message).unwrap_or_default()
}

/// What one attempt's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx answer.
    Delivered,
    /// Tried again at this time.
    Retry(Timestamp),
    /// The retries are spent: the message is recorded as failed to this endpoint.
    GiveUp,
    /// The endpoint is disabled (the delivery failed with it).
    Disable(DisableReason),
}

/// Why an endpoint was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableReason {
    /// It answered 410 Gone: the receiver asked for no more.
    Gone,
    /// It has failed for [`FAILING_LIMIT`].
    Failing,
}

impl DisableReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisableReason::Gone => "gone",
            DisableReason::Failing => "failing",
        }
    }
}

/// After attempt number `attempts` (from 1) of a delivery got `status` (`None`: no answer —
/// refused, timed out, not allowed), the endpoint failing since `failing_since` (before this
/// attempt; `None` if its last delivery succeeded).
pub fn verdict(status: Option<u16>, attempts: u32, now: Timestamp, failing_since: Option<Timestamp>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Disable(DisableReason::Gone),
        _ if failing_since.is_some_and(|since| now - since >= FAILING_LIMIT) => {
            Verdict::Disable(DisableReason::Failing)
        }
        _ => retry_at(attempts, now).map_or(Verdict::GiveUp, Verdict::Retry),
    }
}

/// When to try a delivery again after `attempts` failed tries: after 5 seconds, 5 and 30
/// minutes, then 2, 5, 10, 14, 20 and 24 hours — about three days in all; `None` after that.
pub fn retry_at(attempts: u32, now: Timestamp) -> Option<Timestamp> {
    const SECONDS: [i64; 9] = [5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400];
    let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
    SECONDS.get(i).map(|s| now + SignedDuration::from_secs(*s))
}

/// The secrets that sign at `now`: the current one, and the previous one until its overlap ends.
pub fn signing<'a, S>(current: &'a S, previous: Option<(&'a S, Timestamp)>, now: Timestamp) -> Vec<&'a S> {
    let mut out = vec![current];
    if let Some((old, _)) = previous.filter(|(_, until)| now < *until) {
        out.push(old);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_types_families_and_everything_and_refuse_unknown_types() {
        let all = EventFilter::parse("").expect("empty is everything");
        assert!(hooked_kinds().all(|k| all.takes(k)));
        assert_eq!(all.to_text(), "*");
        let some = EventFilter::parse("application.approved, payout.*").expect("known types");
        assert!(some.takes(NoticeKind::Approved) && some.takes(NoticeKind::PayoutSucceeded));
        assert!(!some.takes(NoticeKind::Rejected));
        assert_eq!(some.to_text(), "application.approved,payout.*");
        assert_eq!(EventFilter::parse("refund.*"), Err(FilterError::Unknown("refund.*".into())));
        assert_eq!(EventFilter::parse("application.aproved"), Err(FilterError::Unknown("application.aproved".into())));
        assert_eq!(
            EventFilter::parse("webhook.endpoint_disabled"),
            Err(FilterError::Unknown("webhook.endpoint_disabled".into()))
        );
        assert_eq!(EventFilter::parse(&vec!["*"; MAX_PATTERNS + 1].join(",")), Err(FilterError::TooMany));
    }

    #[test]
    fn an_endpoint_is_sent_what_it_takes_from_when_it_exists() {
        let no = crate::ids::ApplicationNo::parse("RF-20261201-ABC123").expect("a number");
        let t0 = Timestamp::UNIX_EPOCH;
        let n = Notice {
            id: "NT-1".into(),
            kind: NoticeKind::Approved,
            audience: crate::notify::Audience::Merchant,
            recipient: crate::notify::MERCHANT.into(),
            subject: no.into(),
            seq: 3,
            amount: None,
            at: t0 + SignedDuration::from_secs(10),
        };
        let all = EventFilter::parse("*").expect("all");
        assert!(sent_to(&all, t0, &n));
        assert!(!sent_to(&all, t0 + SignedDuration::from_secs(11), &n), "registered after the step");
        assert!(!sent_to(&EventFilter::parse("payout.*").expect("payouts"), t0, &n));
    }

    #[test]
    fn retries_span_about_three_days_then_stop() {
        let t0 = Timestamp::UNIX_EPOCH;
        assert_eq!(retry_at(1, t0), Some(t0 + SignedDuration::from_secs(5)));
        assert_eq!(retry_at(0, t0), None);
        let total: i64 = (1..).map_while(|n| retry_at(n, t0)).map(|t| (t - t0).as_secs()).sum();
        assert!((60 * 3600..84 * 3600).contains(&total), "{total} s");
        assert_eq!(retry_at(10, t0), None);
    }

    #[test]
    fn answers_decide_deliveries_and_endpoints() {
        let t0 = Timestamp::UNIX_EPOCH;
        assert_eq!(verdict(Some(204), 3, t0, Some(t0)), Verdict::Delivered);
        assert_eq!(verdict(Some(410), 1, t0, None), Verdict::Disable(DisableReason::Gone));
        assert_eq!(verdict(Some(500), 1, t0, None), Verdict::Retry(t0 + SignedDuration::from_secs(5)));
        assert_eq!(verdict(None, 2, t0, Some(t0)), Verdict::Retry(t0 + SignedDuration::from_mins(5)));
        assert_eq!(
            verdict(Some(302), 9, t0, None),
            Verdict::Retry(t0 + SignedDuration::from_hours(24)),
            "no redirects"
        );
        assert_eq!(verdict(Some(500), 10, t0, None), Verdict::GiveUp);
        let later = t0 + FAILING_LIMIT;
        assert_eq!(verdict(Some(500), 1, later, Some(t0)), Verdict::Disable(DisableReason::Failing));
        assert_eq!(verdict(Some(200), 1, later, Some(t0)), Verdict::Delivered, "a success clears it");
    }

    #[test]
    fn the_previous_secret_signs_for_the_overlap_only() {
        let t0 = Timestamp::UNIX_EPOCH;
        let (new, old) = ("new", "old");
        assert_eq!(signing(&new, None, t0), [&new]);
        assert_eq!(signing(&new, Some((&old, t0 + ROTATION_OVERLAP)), t0), [&new, &old]);
        assert_eq!(signing(&new, Some((&old, t0 + ROTATION_OVERLAP)), t0 + ROTATION_OVERLAP), [&new]);
    }

    #[test]
    fn message_ids_are_stable_and_well_formed() {
        let id = message_id("NT-1");
        assert_eq!(id, message_id("NT-1"));
        assert_ne!(id, message_id("NT-2"));
        assert!(id.starts_with("msg_") && id.len() == 30 && !id.contains('.'));
    }
}
