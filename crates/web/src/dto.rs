//! The JSON shapes of the API. Amounts travel as integer fen (`*_fen`) plus a display string
//! (`¥12.34`); amounts people type are accepted as yuan text ("12.34") or JSON numbers and
//! parsed exactly, never through floating point arithmetic. Times are RFC 3339 (UTC).

use crate::i18n::Lang;
use jiff::Timestamp;
use redress_app::Evidence;
use redress_app::OrderSummary;
use redress_app::{TimelineEntry, User};
use redress_domain::application::{Application, Event};
use redress_domain::calendar::BusinessCalendar;
use redress_domain::entitlement::Entitlement;
use redress_domain::money::{AmountError, Fen};
use redress_domain::order::{DeliveryReading, Order};
use redress_domain::policy::Policy;
use redress_domain::sla::{Clock, ClockState, Hours};
use redress_domain::statutory::{StatutoryClock, StatutoryState};
use redress_domain::ticket::near_breach;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A yuan amount as typed: `"12.34"` or `12.34` (at most two decimals).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AmountInput {
    Text(String),
    Number(serde_json::Number),
}

impl utoipa::PartialSchema for AmountInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = crate::forms::schemas::yuan();
        let number = ObjectBuilder::new().schema_type(Type::Number).exclusive_minimum(Some(0.0)).build();
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some("Yuan, as text (`\"12.34\"`, `\"¥12.34\"`) or a number (`12.34`); at most two decimals."))
            .into()
    }
}

impl ToSchema for AmountInput {}

impl AmountInput {
    pub fn parse(&self) -> Result<Fen, AmountError> {
        match self {
            AmountInput::Text(s) => Fen::parse_yuan(s),
            AmountInput::Number(n) => Fen::parse_yuan(&n.to_string()),
        }
    }
}

/// A language Redress writes in: `zh-CN` or `en`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum LanguageTag {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl LanguageTag {
    pub fn lang(self) -> crate::i18n::Lang {
        match self {
            LanguageTag::Zh => crate::i18n::Lang::Zh,
            LanguageTag::En => crate::i18n::Lang::En,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Money {
    pub fen: i64,
    /// `¥12.34`
    pub display: String,
}

impl From<Fen> for Money {
    fn from(f: Fen) -> Money {
        Money { fen: f.0, display: f.to_string() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub username: String,
    pub display_name: String,
    /// buyer, agent, reviewer, senior_reviewer, admin
    pub role: String,
    pub locale: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> UserDto {
        UserDto {
            username: u.username.to_string(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
            locale: u.locale.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceDto {
    pub name: String,
    /// douyin, xiaohongshu, kuaishou, bilibili, …
    pub platform: String,
    /// likes, views, followers, …
    pub unit: String,
    pub promised: u64,
    #[schema(value_type = String, format = DateTime)]
    pub deadline: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub order_no: String,
    pub service: ServiceDto,
    pub paid: Option<Money>,
    /// wechat_pay, alipay, bank_card
    pub channel: Option<String>,
    pub channel_label: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
    pub policy_version: u32,
    #[schema(value_type = String, format = DateTime)]
    pub policy_accepted_at: Timestamp,
    /// Latest delivered quantity on the ledger.
    pub delivered: u64,
    /// Paid − refunded − held by open applications.
    pub refundable_balance: Money,
    /// Whether the policy lets a new application be made now (within the refund window, with
    /// a balance left): where the "申请退款 / Request refund" action shows.
    pub can_apply: bool,
}

impl OrderDto {
    pub fn new(o: &Order, delivered: u64, e: &Entitlement, lang: Lang) -> OrderDto {
        let p = o.payment.as_ref();
        OrderDto {
            order_no: o.no.to_string(),
            service: ServiceDto {
                name: o.service.name.clone(),
                platform: o.service.platform.clone(),
                unit: o.service.unit.clone(),
                promised: o.service.promised,
                deadline: o.service.deadline,
            },
            paid: p.map(|p| p.amount.into()),
            channel: p.map(|p| p.channel.as_str().to_owned()),
            channel_label: p.map(|p| lang.t(&format!("channel-{}", p.channel.as_str()))),
            paid_at: p.map(|p| p.paid_at),
            policy_version: o.policy_version,
            policy_accepted_at: o.policy_accepted_at,
            delivered,
            refundable_balance: e.balance.into(),
            can_apply: e.verdict != redress_domain::entitlement::Verdict::NotEligible,
        }
    }

    pub fn from_summary(s: &OrderSummary, lang: Lang) -> OrderDto {
        OrderDto::new(&s.order, s.delivered, &s.entitlement, lang)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub delivered: u64,
    /// platform, third_party, manual
    pub source: String,
}

impl From<&DeliveryReading> for DeliveryDto {
    fn from(r: &DeliveryReading) -> DeliveryDto {
        DeliveryDto { at: r.at, delivered: r.delivered, source: r.source.as_str().to_owned() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntitlementDto {
    /// entitled, review, not_eligible
    pub verdict: String,
    /// The rule that decided: no_reason_window, pro_rata_shortfall, violation_exclusion, …
    pub basis: String,
    pub balance: Money,
    pub max_refundable: Money,
    pub suggested: Money,
    pub clauses: Vec<String>,
    /// The explanation in the request's language.
    pub explanation: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    pub promised: u64,
    pub delivered: u64,
    pub delivery_source: Option<String>,
    /// Set when a request up to this amount is approved without a human (policy rule 5).
    pub auto_approvable_up_to: Option<Money>,
}

impl EntitlementDto {
    pub fn new(e: &Entitlement, lang: Lang) -> EntitlementDto {
        EntitlementDto {
            verdict: snake(&e.verdict),
            basis: snake(&e.basis),
            balance: e.balance.into(),
            max_refundable: e.max_refundable.into(),
            suggested: e.suggested.into(),
            clauses: e.clauses.clone(),
            explanation: e.explanation.get(lang.tag()).to_owned(),
            explanation_zh: e.explanation.zh.clone(),
            explanation_en: e.explanation.en.clone(),
            promised: e.promised,
            delivered: e.delivered,
            delivery_source: e.delivery_source.map(|s| s.as_str().to_owned()),
            auto_approvable_up_to: e.auto_approvable_up_to.map(Money::from),
        }
    }
}

/// The snake_case name of a unit-like serde enum variant.
fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One page of a list: its items, and the cursor of the next page — pass it as `after` —
/// or `null` on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Paged<T> {
    pub fn new<U>(page: redress_app::Page<U>, f: impl FnMut(U) -> T) -> Paged<T> {
        Paged {
            next: page.next.as_ref().map(redress_app::Cursor::encode),
            items: page.items.into_iter().map(f).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationDto {
    /// `RF-YYYYMMDD-XXXXXX`
    pub no: String,
    pub order_no: String,
    pub buyer: String,
    pub state: String,
    pub state_label: String,
    pub reason: String,
    pub reason_label: String,
    pub description: String,
    pub requested: Money,
    pub approved: Option<Money>,
    pub reject_code: Option<String>,
    pub reject_label: Option<String>,
    pub reject_text: Option<String>,
    pub reviewer: Option<String>,
    /// first or appeal
    pub round: String,
    pub appeals: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    /// When the review is promised by (paused while information is requested).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub review_due_at: Option<Timestamp>,
    /// The due date falls on a day the business calendar has no definitive holidays for: it
    /// may still move.
    pub review_due_provisional: bool,
    /// The review promise's clock (kind `review`): started at submission or appeal, paused
    /// while information is requested, met or missed by the decision.
    pub review_clock: Option<ClockDto>,
    /// The statutory clock (docs/product.md §6): staff always see it; a buyer once its period
    /// has passed without the request being dealt with.
    pub statutory: Option<StatutoryDto>,
    pub overdue: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    pub version: i64,
}

impl ApplicationDto {
    pub fn new(a: &Application, lang: Lang, now: Timestamp, cal: &BusinessCalendar) -> ApplicationDto {
        ApplicationDto {
            no: a.reference().to_string(),
            order_no: a.order_no.to_string(),
            buyer: a.buyer.to_string(),
            state: a.state.as_str().to_owned(),
            state_label: lang.t(&format!("state-{}", a.state.as_str())),
            reason: a.reason.as_str().to_owned(),
            reason_label: lang.t(&format!("reason-{}", a.reason.as_str())),
            description: a.description.clone(),
            requested: a.requested.into(),
            approved: a.approved.map(Money::from),
            reject_code: a.reject_code.map(|c| c.as_str().to_owned()),
            reject_label: a.reject_code.map(|c| lang.t(&format!("reject-{}", c.as_str()))),
            reject_text: a.reject_text.clone(),
            reviewer: a.reviewer.clone(),
            round: if a.round == redress_domain::application::Round::Appeal { "appeal" } else { "first" }.to_owned(),
            appeals: a.appeals,
            created_at: a.created_at,
            submitted_at: a.submitted_at,
            review_due_at: a.review_due_at,
            // A due time is the end of its last business day: that day decides.
            review_due_provisional: a.review_due_at.is_some_and(|d| Hours::BusinessDays.is_provisional(cal, d)),
            review_clock: a.review_clock.as_ref().map(|c| ClockDto::new("review", c, cal, now)),
            statutory: a.statutory_clock.as_ref().map(|c| StatutoryDto::new(c, cal, now, lang)),
            overdue: a.is_overdue(now),
            decided_at: a.decided_at,
            version: a.version,
        }
    }
}

/// What a ticket's reader is shown of the application it is about: its statutory clock (for a
/// buyer only once the period has passed) and whether the complaint route is offered (to its
/// buyer); nothing for a ticket about no application.
pub async fn linked_application(
    state: &crate::AppState,
    viewer: &User,
    application: Option<&redress_domain::ids::ApplicationNo>,
    lang: Lang,
) -> redress_app::Result<(Option<StatutoryDto>, bool)> {
    let Some(no) = application else { return Ok((None, false)) };
    let a = state.app.application_for(&redress_domain::ids::ApplicationRef::No(no.clone()), viewer).await?;
    let (cal, now) = (state.app.store.calendar().await?, state.app.now());
    let dto = ApplicationDto::new(&a, lang, now, &cal);
    Ok(if viewer.role.is_staff() {
        (dto.statutory, false)
    } else {
        (dto.for_buyer().statutory, a.complaint_open(&cal, now))
    })
}

impl ApplicationDto {
    /// As its buyer sees it: the statutory clock only once its period has passed.
    pub fn for_buyer(mut self) -> ApplicationDto {
        self.statutory = self.statutory.filter(|s| s.passed);
        self
    }
}

/// A refund request's statutory clock: the period after which the law presumes a delay
/// deliberate (侵害消费者权益行为处罚办法 arts. 8–10), counted as the Civil Code counts
/// periods and never paused.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatutoryDto {
    /// running, passed (not dealt with in time), met, met_late
    pub state: String,
    pub state_label: String,
    /// The period, in days (15 unless the policy says otherwise).
    pub days: u32,
    /// Submission, or the appeal that started it again.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// 24:00 Beijing time of the period's last day.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// When it was dealt with: the money arrived, a reasoned rejection, a withdrawal.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// The period ended before the request was dealt with.
    pub passed: bool,
    /// The last day rests on provisional calendar data.
    pub provisional: bool,
}

impl StatutoryDto {
    fn new(c: &StatutoryClock, cal: &BusinessCalendar, now: Timestamp, lang: Lang) -> StatutoryDto {
        let state = match c.state(cal, now) {
            StatutoryState::Running { .. } => "running",
            StatutoryState::Passed { .. } => "passed",
            StatutoryState::Met { .. } => "met",
            StatutoryState::MetLate { .. } => "met_late",
        };
        let due = c.due(cal);
        StatutoryDto {
            state: state.to_owned(),
            state_label: lang.t(&format!("statutory-{state}")),
            days: c.days,
            started_at: c.started_at,
            due_at: due,
            stopped_at: c.stopped_at,
            passed: c.has_passed(cal, now),
            // It ends at 24:00 of its last day, as a whole-business-day clock does.
            provisional: Hours::BusinessDays.is_provisional(cal, due),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineDto {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// submitted, claimed, info_requested, supplemented, approved, rejected, appealed, withdrawn, …
    pub kind: String,
    pub label: String,
    pub actor: String,
    pub actor_role: String,
    pub from: String,
    pub to: String,
    /// The event's own data (message, amount, reason code, rule), as recorded.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl TimelineDto {
    pub fn new(t: &TimelineEntry, lang: Lang) -> TimelineDto {
        let Event { at, actor, from, to, kind } = &t.event;
        let mut data = serde_json::to_value(kind).unwrap_or_default();
        if let Some(obj) = data.as_object_mut() {
            obj.remove("kind");
        }
        TimelineDto {
            seq: t.seq,
            at: *at,
            kind: kind.name().to_owned(),
            label: lang.t(&format!("event-{}", kind.name())),
            actor: actor.name.clone(),
            actor_role: actor.role.as_str().to_owned(),
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            data,
        }
    }
}

impl TimelineDto {
    /// The event's own words in a line: the amount and reason of a submission, a message…
    pub fn note(&self, lang: Lang) -> String {
        let e = self;
        let text = |k: &str| e.data.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let fen = |k: &str| e.data.get(k).and_then(|v| v.as_i64()).map(|f| Fen(f).to_string()).unwrap_or_default();
        match e.kind.as_str() {
            "submitted" => format!("{} · {}", fen("amount"), lang.t(&format!("reason-{}", text("reason")))),
            "approved" => {
                let mut s = fen("amount");
                if e.data.get("partial").and_then(|v| v.as_bool()) == Some(true) {
                    s = format!("{s} · {}", lang.t("page-partial"));
                }
                match e.data.get("auto_rule").and_then(|v| v.as_str()) {
                    Some(redress_domain::application::LATE_REVIEW_RULE) => {
                        s = format!("{s} · {}", lang.t("page-auto-decided-late"));
                    }
                    Some(_) => s = format!("{s} · {}", lang.t("page-auto-decided")),
                    None => {}
                }
                s
            }
            "rejected" => format!("{} — {}", lang.t(&format!("reject-{}", text("code"))), text("text")),
            "info_requested" | "supplemented" => text("message"),
            "appealed" => text("text"),
            "refund_failed" => text("reason"),
            "settled_outside" => text("note"),
            _ => String::new(),
        }
    }

    /// Who acted: a name and role, or the system.
    pub fn actor_label(&self, lang: Lang) -> String {
        if self.actor_role == "system" {
            lang.t("role-system")
        } else {
            format!("{} · {}", self.actor, lang.t(&format!("role-{}", self.actor_role)))
        }
    }
}

/// A service-level clock as it stands: a ticket's, an application's review or a payout's
/// arrival.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockDto {
    /// first_response, next_response or resolution (a ticket's), review (an application's),
    /// arrival (a payout's)
    pub kind: String,
    /// running, paused, met or breached
    pub state: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// When it runs out (none while paused).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// While paused: the counting time left, in seconds.
    pub left_seconds: Option<i64>,
    /// When it stopped (met, or stopped late).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// Running, and within a quarter of its target (at least an hour) of its due time.
    pub near_breach: bool,
    /// How many times it was paused.
    pub pauses: usize,
    /// Counted in business hours or days up to a day the business calendar has no definitive
    /// data for: the due time may still move when that year's holidays are published.
    pub provisional: bool,
}

impl ClockDto {
    pub fn new(kind: &str, c: &Clock, cal: &BusinessCalendar, now: Timestamp) -> ClockDto {
        let st = c.state(cal, now);
        let (state, due, left) = match st {
            ClockState::Running { due } => ("running", Some(due), None),
            ClockState::Paused { left } => ("paused", None, Some(left.as_secs())),
            ClockState::Met { .. } => ("met", c.due(cal), None),
            ClockState::Breached { due } => ("breached", Some(due), None),
        };
        ClockDto {
            kind: kind.to_owned(),
            state: state.to_owned(),
            started_at: c.started_at,
            due_at: due,
            left_seconds: left,
            stopped_at: c.stopped_at,
            near_breach: matches!(st, ClockState::Running { due } if near_breach(due, c.target, now)),
            pauses: c.pauses.len(),
            provisional: due.is_some_and(|d| c.hours.is_provisional(cal, d)),
        }
    }
}

/// A payout of an application: where the money goes and when it is expected.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutDto {
    /// The idempotency key the channel sees, `RF-…-P1`.
    pub key: String,
    /// wechat_pay, alipay, bank_card
    pub channel: String,
    pub channel_label: String,
    pub amount: Money,
    /// created, processing, succeeded, abnormal, closed
    pub state: String,
    pub state_label: String,
    /// The window the money is expected in (business days of the channel, from when it was
    /// sent or, before that, from now).
    #[schema(value_type = String, format = DateTime)]
    pub expected_from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expected_by: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub arrived_at: Option<Timestamp>,
    /// Once sent: the arrival promise's clock (kind `arrival`, due at `expected_by`), met or
    /// missed when the money arrived.
    pub arrival_clock: Option<ClockDto>,
    /// The channel's words when it could not pay (abnormal, closed); for staff.
    pub reason: Option<String>,
    /// Requests and queries made so far.
    pub attempts: i64,
}

impl PayoutDto {
    pub fn new(
        p: &redress_domain::payout::Payout,
        days: redress_domain::payout::ArrivalDays,
        calendar: &BusinessCalendar,
        lang: Lang,
        now: Timestamp,
    ) -> PayoutDto {
        use redress_domain::payout::PayoutState;
        let (expected_from, expected_by) = days.window(p.sent_at.unwrap_or(now), calendar);
        let arrived_at = (p.state == PayoutState::Succeeded).then_some(p.settled_at).flatten();
        let arrival_clock =
            p.sent_at.map(|sent| ClockDto::new("arrival", &days.arrival_clock(sent, arrived_at), calendar, now));
        PayoutDto {
            key: p.id.clone(),
            channel: p.channel.as_str().to_owned(),
            channel_label: lang.t(&format!("channel-{}", p.channel.as_str())),
            amount: p.amount.into(),
            state: p.state.as_str().to_owned(),
            state_label: lang.t(&format!("payout-state-{}", p.state.as_str())),
            expected_from,
            expected_by,
            arrived_at,
            arrival_clock,
            reason: p.reason.clone(),
            attempts: p.attempts,
        }
    }

    /// An application's payouts, for its buyer or staff.
    pub async fn list(
        state: &crate::AppState,
        payouts: &[redress_domain::payout::Payout],
        lang: Lang,
    ) -> redress_app::Result<Vec<PayoutDto>> {
        let calendar = state.app.calendar().await?;
        let now = state.app.now();
        let arrivals = state.payments.arrivals;
        Ok(payouts.iter().map(|p| PayoutDto::new(p, arrivals.get(p.channel), &calendar, lang, now)).collect())
    }
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceDto {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub filename: String,
    pub caption: String,
    pub uploaded_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: Timestamp,
    /// Redress's own snapshot taken at submission, not a buyer's file.
    pub system: bool,
    /// Where to download it.
    pub href: String,
    /// Whether the pages show a thumbnail and a preview (images rebuilt from their pixels, a
    /// PDF's first page drawn by Redress).
    pub previewable: bool,
}

impl EvidenceDto {
    /// A file of application `of` (as the application is addressed).
    pub fn new(e: &Evidence, of: &redress_domain::ids::ApplicationRef, lang: Lang) -> EvidenceDto {
        EvidenceDto {
            id: e.id.clone(),
            kind: e.file.kind.as_str().to_owned(),
            kind_label: lang.t(&format!("evidence-kind-{}", e.file.kind.as_str())),
            media_type: e.file.media_type.mime().to_owned(),
            size: e.file.size,
            sha256: e.file.sha256.clone(),
            filename: e.file.filename.clone(),
            caption: e.file.caption.clone(),
            uploaded_by: e.uploaded_by.clone(),
            uploaded_at: e.uploaded_at,
            system: e.system,
            href: format!("/api/v1/applications/{of}/evidence/{}", e.id),
            previewable: e.file.media_type.previewable(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyDto {
    pub version: u32,
    pub title: String,
    pub clauses: Vec<ClauseDto>,
    /// The machine-readable rules as published.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct ClauseDto {
    pub id: String,
    pub text: String,
}

impl PolicyDto {
    pub fn new(p: &Policy, lang: Lang) -> PolicyDto {
        PolicyDto {
            version: p.version,
            title: p.title.get(lang.tag()).to_owned(),
            clauses: p
                .clauses
                .iter()
                .map(|c| ClauseDto {
                    id: c.id.clone(),
                    text: if lang == Lang::En { c.en.clone() } else { c.zh.clone() },
                })
                .collect(),
            rules: serde_json::to_value(&p.rules).unwrap_or_default(),
        }
    }
}

/// A notification, in the reader's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: String,
    /// The catalogue's name of what happened (also the merchant's webhook event type), e.g.
    /// `application.approved`; see docs/notifications.md.
    #[schema(schema_with = crate::forms::schemas::notice_kind)]
    pub kind: String,
    /// The number of what it is about: an application (`RF-…`) or a support ticket (`TK-…`).
    pub subject: String,
    /// `RF-YYYYMMDD-XXXXXX`: the application it is about, if it is about one.
    pub application_no: Option<String>,
    /// `TK-YYYYMMDD-XXXXXX`: the support ticket it is about, if it is about one.
    pub ticket_no: Option<String>,
    /// What happened, in the reader's language.
    pub text: String,
    pub amount: Option<Money>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it happened, in Beijing time, with the zone.
    pub created_local: String,
    pub read: bool,
    /// The page of what it is about (the application's, the buyer's or the desk's; the ticket's).
    pub link: String,
}

impl NotificationDto {
    pub fn new(n: &redress_app::Notification, lang: Lang) -> NotificationDto {
        let notice = &n.notice;
        NotificationDto {
            id: notice.id.clone(),
            kind: notice.kind.as_str().to_owned(),
            subject: notice.subject.to_string(),
            application_no: notice.subject.application().map(ToString::to_string),
            ticket_no: match &notice.subject {
                redress_domain::ids::Subject::Ticket(t) => Some(t.to_string()),
                redress_domain::ids::Subject::Application(_) => None,
            },
            text: notice_text(notice, lang),
            amount: notice.amount.map(Money::from),
            created_at: notice.at,
            created_local: crate::i18n::zoned_time(&notice.at, lang),
            read: n.read_at.is_some(),
            link: notice_link(notice),
        }
    }
}

/// The sentence of a notice in `lang` (`notice-<kind>` in `main.ftl`).
pub fn notice_text(n: &redress_domain::notify::Notice, lang: Lang) -> String {
    let amount = n.amount.map(|a| a.to_string()).unwrap_or_default();
    lang.t_args(&notice_key(n.kind), &[("no", n.subject.to_string()), ("amount", amount)])
}

/// The translation key of a notification kind: `notice-` and its name with `-` for `.`.
pub fn notice_key(kind: redress_domain::notify::NoticeKind) -> String {
    format!("notice-{}", kind.as_str().replace('.', "-"))
}

/// Where a notice leads: the buyer's page of the application, or the desk's (the
/// webhooks' page for a disabled endpoint; the merchant's notices are not shown to people).
pub fn notice_link(n: &redress_domain::notify::Notice) -> String {
    use redress_domain::notify::{Audience, NoticeKind};
    match (n.audience, n.kind) {
        (_, NoticeKind::WebhookDisabled) => "/admin/webhooks".to_owned(),
        _ if n.subject.application().is_none() => format!("/tickets/{}", n.subject),
        (Audience::Buyer, _) => format!("/applications/{}", n.subject),
        (Audience::Staff | Audience::Merchant, _) => format!("/desk/{}", n.subject),
    }
}

/// How many notifications are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadDto {
    /// Counted up to 100 (shown as "99+" past 99).
    pub unread: i64,
}

#[cfg(test)]
mod notice_tests {
    use super::*;
    use redress_domain::ids::ApplicationNo;
    use redress_domain::notify::{Audience, Notice, NoticeKind};

    /// Every kind of notification reads as a whole sentence in both languages, naming the
    /// application and, where it has one, the amount.
    #[test]
    fn every_notification_kind_is_translated() {
        let no = ApplicationNo::parse("RF-20261201-ABC123").expect("a number");
        for kind in NoticeKind::ALL {
            let n = Notice {
                id: "NT-1".into(),
                kind: *kind,
                audience: Audience::Buyer,
                recipient: "lin".into(),
                subject: no.clone().into(),
                seq: 1,
                amount: Some(Fen(1234)),
                at: Timestamp::UNIX_EPOCH,
            };
            let mut texts = Vec::new();
            for lang in [Lang::Zh, Lang::En] {
                assert!(lang.has(&notice_key(*kind)), "{} has no {} text", kind, lang.tag());
                let text = notice_text(&n, lang);
                assert!(text.contains("RF-20261201-ABC123"), "{kind} in {}: {text}", lang.tag());
                assert!(!text.contains('{') && !text.contains("notice-"), "{kind} in {}: {text}", lang.tag());
                texts.push(text);
            }
            assert_ne!(texts[0], texts[1], "{kind}: two languages, two texts");
            let about_money = !matches!(
                kind,
                NoticeKind::InReview
                    | NoticeKind::InfoRequested
                    | NoticeKind::Supplemented
                    | NoticeKind::Rejected
                    | NoticeKind::Appealed
                    | NoticeKind::Withdrawn
                    | NoticeKind::SettledOutside
                    | NoticeKind::WebhookDisabled
                    | NoticeKind::Reassigned
            ) && !kind.about_ticket();
            for text in &texts {
                assert_eq!(text.contains("¥12.34"), about_money, "{kind}: {text}");
            }
        }
    }
}
