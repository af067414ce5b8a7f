//! `redress-load history`: a platform's year, written into a Redress database on top of the
//! demo data (so the demo accounts still sign in), for measuring what grows with history.
//!
//! Every application is walked through the domain's own transitions, so each row, timeline
//! and payout is one the use cases could have written; the rows are then written in bulk
//! (`Store::bulk_insert`), one transaction per slice. Seeded: the same arguments give the
//! same history. The mix (per mille of applications, and the timeline each one has):
//!
//! | state at the end | ‰ | timeline |
//! |---|---:|---|
//! | submitted | 50 | submitted |
//! | in review | 40 | submitted, claimed |
//! | information requested | 30 | submitted, claimed, info requested |
//! | appealed | 30 | submitted, claimed, rejected, appealed |
//! | withdrawn | 300 | submitted, withdrawn |
//! | rejected | 250 | submitted, claimed, rejected |
//! | refunded | 280 | submitted, approved (rule 5), refund started, refunded |
//! | refund failed | 10 | submitted, approved (rule 5), refund started, refund failed |
//! | refunded outside the channel | 10 | … refund failed, settled outside |
//!
//! 15 % open (the first four rows), about 2.9 events per application (every timeline a path
//! of the state machine: a refund alone takes four steps). Each application is on its own
//! order, paid through WeChat Pay, Alipay or bank card, with one delivery reading; buyers are
//! `b00001` … (50,000 by default, password `redress-demo`, one in ten in English). Open
//! applications were submitted in the last two weeks, so their review due times spread over
//! about two weeks (some overdue); the rest over the year before. They are written in the
//! order they were submitted, and each slice's timeline and files in time order, so the rows
//! lie on disk as a real history's do (written as it happened) and the audit chain, which
//! walks them in time order, reads them as it would on a real platform's database. Every
//! submitted application has Redress's system snapshot, and six in ten a buyer's screenshot: the rows are real, the
//! bytes are two files shared by all (content addressed), so a generated application's case
//! file is not meaningful evidence. The audit chain is left to catch up: every generated event
//! is new to it.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use redress_domain::application::{Actor, Application, DraftInput, Event, Reason, RejectCode, Role, Step};
use redress_domain::calendar::BusinessCalendar;
use redress_domain::evidence::{EvidenceKind, MediaType};
use redress_domain::ids::{ApplicationId, ApplicationNo, OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{Channel, DeliveryReading, DeliverySource, Order, Payment, Service};
use redress_domain::payout::{Payout, PayoutState, payout_key};
use redress_domain::policy::{Policy, Rules};
use redress_store::{Bulk, BulkUser, Evidence, EvidenceFile, Store};
use std::collections::HashSet;
use std::path::Path;

/// What the history holds.
#[derive(Clone)]
pub struct Shape {
    pub applications: usize,
    pub buyers: usize,
    pub seed: u64,
    /// Applications per transaction.
    pub slice: usize,
    pub now: Timestamp,
    /// Support tickets, five in six still open, opened over the last two weeks.
    pub tickets: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Submitted,
    InReview,
    InfoRequested,
    Appealed,
    Withdrawn,
    Rejected,
    Refunded,
    RefundFailed,
    SettledOutside,
}

/// The mix, per mille (the table above).
const MIX: [(Outcome, u32); 9] = [
    (Outcome::Submitted, 50),
    (Outcome::InReview, 40),
    (Outcome::InfoRequested, 30),
    (Outcome::Appealed, 30),
    (Outcome::Withdrawn, 300),
    (Outcome::Rejected, 250),
    (Outcome::Refunded, 280),
    (Outcome::RefundFailed, 10),
    (Outcome::SettledOutside, 10),
];

impl Outcome {
    /// Of every thousand applications, how many are still open (the first four rows).
    fn open_per_mille() -> u32 {
        MIX.iter().filter(|(o, _)| o.is_open()).map(|(_, s)| s).sum()
    }

    /// An open outcome or a closed one, in the proportions of the mix.
    fn pick(rng: &mut StdRng, open: bool) -> Outcome {
        let group = MIX.iter().filter(|(o, _)| o.is_open() == open);
        let mut roll = rng.random_range(0..group.clone().map(|(_, s)| s).sum::<u32>());
        for &(o, share) in group {
            if roll < share {
                return o;
            }
            roll -= share;
        }
        Outcome::Rejected
    }

    fn is_open(self) -> bool {
        matches!(self, Outcome::Submitted | Outcome::InReview | Outcome::InfoRequested | Outcome::Appealed)
    }
}

const PRODUCTS: [(&str, &str, &str, u64, i64); 4] = [
    ("抖音点赞 1000 个", "douyin", "likes", 1000, 5000),
    ("小红书浏览 5000 次", "xiaohongshu", "views", 5000, 8800),
    ("快手关注 500 个", "kuaishou", "followers", 500, 12000),
    ("B站播放 10000 次", "bilibili", "plays", 10000, 19900),
];

/// The bytes every generated file row points at: a 1×1 PNG and a snapshot document.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x56, 0xc7, 0x2f,
    0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
const SNAPSHOT: &str = r#"{"generated_by":"redress-load history","note":"a generated application's snapshot"}"#;

/// The files the rows point at, once stored.
struct Files {
    png: (String, u64),
    snapshot: (String, u64),
}

/// Writes the history into the database `store` (with the demo already loaded) and its two
/// files into the evidence store under `evidence_dir`.
pub async fn generate(store: &Store, evidence_dir: &Path, shape: &Shape) -> anyhow::Result<()> {
    if store.user("lin").await.is_err() {
        bail!("load the demo first (`redress demo`, with the same --data-dir or --database-url)");
    }
    let first = OrderNo::parse(&order_no(0))?;
    if store.order(&first).await.is_ok() {
        bail!("this database already has a generated history");
    }
    let blobs = redress_blobs::Blobs::local(evidence_dir);
    let png = blobs.put(bytes::Bytes::from_static(PNG)).await.context("cannot store the generated files")?;
    let snap = blobs.put(bytes::Bytes::from_static(SNAPSHOT.as_bytes())).await?;
    let files = Files { png: (png.sha256, png.size), snapshot: (snap.sha256, snap.size) };
    let password = Store::password_hash("redress-demo").await?;
    let rules = Policy::seed_v1().rules;
    let calendar = BusinessCalendar::china_default();

    let dropped = store.bulk_loading().await?;
    eprintln!("{dropped} secondary indexes dropped, to be built once at the end");
    let bar = ProgressBar::new(shape.applications as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} {bar:40} {pos}/{len} applications ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Slices are made on one task while the previous one is written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Bulk, usize)>(2);
    let (apps, slice, now) = (shape.applications, shape.slice, shape.now);
    let tickets_of = shape.clone();
    let shape = shape.clone();
    let maker = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut g = Generator::new(&shape, rules, calendar, files);
        let mut first = Bulk { users: g.buyers(), ..Bulk::default() };
        let mut done = 0;
        while done < apps {
            let n = slice.min(apps - done);
            let mut bulk = std::mem::take(&mut first);
            for i in done..done + n {
                g.application(i, &mut bulk)?;
            }
            // In the order they happened, so the rows lie on disk as a real history's do.
            bulk.events.sort_by_key(|(_, _, e)| e.at);
            bulk.evidence.sort_by_key(|v| v.uploaded_at);
            done += n;
            if tx.blocking_send((bulk, n)).is_err() {
                break;
            }
        }
        Ok(())
    });
    let (mut events, mut rows) = (0usize, 0usize);
    while let Some((bulk, n)) = rx.recv().await {
        events += bulk.events.len();
        rows += bulk.rows();
        store.bulk_insert(bulk, password.clone(), now).await?;
        bar.inc(n as u64);
    }
    maker.await??;
    bar.finish();
    eprintln!("{apps} applications, {events} timeline events, {rows} rows in {:.1} s", bar.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    let (tickets, open) = write_tickets(store, &tickets_of, &password).await?;
    eprintln!("{tickets} tickets ({open} open) in {:.1} s", started.elapsed().as_secs_f64());
    let indexing = std::time::Instant::now();
    let built = store.bulk_loaded().await?;
    eprintln!("{built} indexes built (and planner statistics gathered) in {:.1} s", indexing.elapsed().as_secs_f64());
    Ok(())
}

/// Writes `shape.tickets` support tickets of the generated buyers, each walked through the
/// domain: opened in the last two weeks, then (by its number modulo 6) left open (2 in 6),
/// answered and waiting on the buyer (2), answered and written to again (1), or resolved (1).
/// How many, and how many are open.
async fn write_tickets(store: &Store, shape: &Shape, password: &str) -> anyhow::Result<(usize, usize)> {
    use redress_domain::ticket::{Category, DEFAULT_CLOSE_AFTER, NewTicket, Targets, Ticket, TicketChange};
    let calendar = BusinessCalendar::china_default();
    let targets = Targets::default();
    let mut rng = StdRng::seed_from_u64(shape.seed ^ 0x7431);
    let staff = Actor { name: "wang".into(), role: Role::Reviewer };
    let mut taken = HashSet::new();
    let (mut written, mut open) = (0, 0);
    while written < shape.tickets {
        let mut bulk = Bulk::default();
        let n = shape.slice.min(shape.tickets - written);
        for i in written..written + n {
            let buyer_name = Generator::buyer_name(i % shape.buyers.max(1));
            let buyer = Actor { name: buyer_name.clone(), role: Role::Buyer };
            let opened = shape.now - SignedDuration::from_mins(rng.random_range(60..14 * 24 * 60));
            let no = loop {
                let no =
                    redress_domain::ids::TicketNo::generate(redress_domain::calendar::shanghai_date(opened), &mut rng);
                if taken.insert(no.clone()) {
                    break no;
                }
            };
            let category = Category::ALL[i % Category::ALL.len()];
            let input = NewTicket {
                category,
                subject: format!("工单 {i}"),
                body: "退款进度如何？".into(),
                order_no: None,
                application_no: None,
            };
            let (mut t, first) = Ticket::open(no, Username::parse(&buyer_name)?, &input, &targets, opened)?;
            let mut entries: Vec<(redress_domain::ticket::MessageKind, String, Actor, Timestamp)> =
                vec![(redress_domain::ticket::MessageKind::Message, first, buyer.clone(), opened)];
            let mut apply = |t: &mut Ticket, c: TicketChange, who: &Actor, at: Timestamp| {
                for (kind, body) in c.entries {
                    entries.push((kind, body, who.clone(), at));
                }
                *t = c.next;
            };
            let replied = opened + SignedDuration::from_mins(rng.random_range(10..600));
            if i % 6 >= 2 {
                let c = t.write(&staff, "已收到，正在核实。", false, &targets, DEFAULT_CLOSE_AFTER, replied)?;
                apply(&mut t, c, &staff, replied);
            }
            let later = replied + SignedDuration::from_mins(rng.random_range(10..600));
            if i % 6 == 4 {
                let c = t.write(&buyer, "好的，请尽快。", false, &targets, DEFAULT_CLOSE_AFTER, later)?;
                apply(&mut t, c, &buyer, later);
            }
            if i % 6 == 5 {
                let c = t.resolve(&staff, false, &targets, DEFAULT_CLOSE_AFTER, later)?;
                apply(&mut t, c, &staff, later);
            } else {
                open += 1;
            }
            for (seq, (kind, body, who, at)) in entries.into_iter().enumerate() {
                let m = redress_domain::ticket::Message {
                    seq: seq as i64 + 1,
                    kind,
                    author: who.name,
                    author_role: who.role,
                    body: Some(body),
                    at,
                    redaction: None,
                };
                bulk.messages.push((t.no.to_string(), m));
            }
            let key = t.queue_key(&calendar);
            bulk.tickets.push((t, key));
        }
        written += n;
        store.bulk_insert(bulk, password.to_owned(), shape.now).await?;
    }
    Ok((written, open))
}

fn order_no(i: usize) -> String {
    format!("H{i:09}")
}

struct Generator {
    rng: StdRng,
    /// How many applications in all: the open ones are the last of them.
    total: usize,
    buyers: usize,
    now: Timestamp,
    rules: Rules,
    calendar: BusinessCalendar,
    files: Files,
    numbers: HashSet<ApplicationNo>,
    reviewer: Actor,
    senior: Actor,
}

impl Generator {
    fn new(shape: &Shape, rules: Rules, calendar: BusinessCalendar, files: Files) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(shape.seed),
            total: shape.applications,
            buyers: shape.buyers.max(1),
            now: shape.now,
            rules,
            calendar,
            files,
            numbers: HashSet::new(),
            reviewer: Actor { name: "wang".into(), role: Role::Reviewer },
            senior: Actor { name: "li".into(), role: Role::SeniorReviewer },
        }
    }

    fn buyer_name(i: usize) -> String {
        format!("b{:05}", i + 1)
    }

    fn buyers(&self) -> Vec<BulkUser> {
        (0..self.buyers)
            .filter_map(|i| {
                let name = Self::buyer_name(i);
                Some(BulkUser {
                    username: Username::parse(&name).ok()?,
                    display_name: format!("买家 {name}"),
                    role: Role::Buyer,
                    locale: if i % 10 == 9 { "en".into() } else { "zh-CN".into() },
                })
            })
            .collect()
    }

    fn minutes(&mut self, from: i64, to: i64) -> SignedDuration {
        SignedDuration::from_mins(self.rng.random_range(from..to))
    }

    /// A fresh application number for a submission at `at`.
    fn number(&mut self, at: Timestamp) -> ApplicationNo {
        let date = redress_domain::reconcile::business_date(at);
        loop {
            let no = ApplicationNo::generate(date, &mut self.rng);
            if self.numbers.insert(no.clone()) {
                return no;
            }
        }
    }

    /// The `i`-th application's outcome and submission time. Applications come in the order
    /// they were submitted, as a real history was written: the closed ones over the year
    /// before the last two weeks, then the open ones over the last two weeks.
    fn when(&mut self, i: usize) -> (Outcome, Timestamp) {
        let open = self.total * Outcome::open_per_mille() as usize / 1000;
        let closed = self.total - open;
        let is_open = i >= closed;
        let (first, count, from, span) = if is_open {
            (closed, open, self.now - SignedDuration::from_mins(14 * 24 * 60 - 10), 14 * 24 * 60 - 20)
        } else {
            (0, closed, self.now - SignedDuration::from_hours(365 * 24), 350 * 24 * 60)
        };
        let outcome = Outcome::pick(&mut self.rng, is_open);
        let offset = ((i - first) as i64 * span) / count.max(1) as i64;
        (outcome, from + SignedDuration::from_mins(offset))
    }

    /// The `i`-th application, with its order, delivery, timeline, files and payout.
    fn application(&mut self, i: usize, bulk: &mut Bulk) -> anyhow::Result<()> {
        let (outcome, submitted_at) = self.when(i);
        let buyer = Username::parse(&Self::buyer_name(self.rng.random_range(0..self.buyers)))?;
        let (name, platform, unit, promised, price) = PRODUCTS[self.rng.random_range(0..PRODUCTS.len())];
        let channel = Channel::ALL[self.rng.random_range(0..Channel::ALL.len())];
        let deadline = submitted_at - self.minutes(60, 3 * 24 * 60);
        let paid_at = deadline - SignedDuration::from_hours(72);
        let order = Order {
            no: OrderNo::parse(&order_no(i))?,
            buyer: buyer.clone(),
            service: Service { name: name.into(), platform: platform.into(), unit: unit.into(), promised, deadline },
            payment: Some(Payment {
                channel,
                transaction_id: format!("T{i:012}{}", self.rng.random_range(1000..10000)),
                amount: Fen(price),
                paid_at,
            }),
            policy_version: 1,
            policy_accepted_at: paid_at - SignedDuration::from_mins(2),
        };
        let per_mille = self.rng.random_range(200..900u64);
        let source = if self.rng.random_bool(0.7) { DeliverySource::Platform } else { DeliverySource::ThirdParty };
        let delivered = promised * per_mille / 1000;
        let reading = DeliveryReading { at: deadline - SignedDuration::from_mins(30), delivered, source };
        let requested = Fen((price * (1000 - per_mille as i64) / 1000).max(1));

        let me = Actor { name: buyer.to_string(), role: Role::Buyer };
        let input = DraftInput {
            reason: Reason::QuantityShort,
            description: format!("截止时只交付了 {delivered}/{promised} {unit}，申请按比例退款。"),
            amount: requested,
        };
        let created_at = submitted_at - self.minutes(2, 60);
        let id = ApplicationId::generate(&mut self.rng);
        let draft = Application::new_draft(id, order.no.clone(), buyer.clone(), input, created_at)?;
        let no = self.number(submitted_at);
        let mut walk = Walk { app: draft, events: vec![] };
        walk.step(|a| a.submit(no.clone(), &me, submitted_at, &self.rules, &self.calendar))?;
        let mut t = submitted_at;
        let mut later = |g: &mut Generator, from: i64, to: i64| {
            t += g.minutes(from, to);
            t.min(g.now)
        };
        let (reviewer, senior) = (self.reviewer.clone(), self.senior.clone());
        let mut payout = None;
        match outcome {
            Outcome::Submitted => {}
            Outcome::Withdrawn => {
                let at = later(self, 10, 3 * 24 * 60);
                walk.step(|a| a.withdraw(&me, at))?;
            }
            Outcome::InReview | Outcome::InfoRequested | Outcome::Appealed | Outcome::Rejected => {
                let at = later(self, 5, 24 * 60);
                walk.step(|a| a.claim(&reviewer, at))?;
                let at = later(self, 5, 8 * 60);
                match outcome {
                    Outcome::InfoRequested => {
                        walk.step(|a| a.request_info(&reviewer, "请补充截止时的后台截图。", at))?;
                    }
                    Outcome::Rejected | Outcome::Appealed => {
                        let text = "平台数据显示已按约定交付。";
                        walk.step(|a| a.reject(&reviewer, RejectCode::ServiceCompleted, text, at))?;
                        if outcome == Outcome::Appealed {
                            let at = later(self, 5, 24 * 60);
                            let text = "附上第三方监测数据，请复核。";
                            walk.step(|a| a.appeal(&me, text, at, &self.rules, &self.calendar))?;
                        }
                    }
                    _ => {}
                }
            }
            Outcome::Refunded | Outcome::RefundFailed | Outcome::SettledOutside => {
                walk.step(|a| a.auto_approve("5", submitted_at))?;
                let sent = submitted_at + SignedDuration::from_secs(2);
                walk.step(|a| a.start_refund(&Actor::system(), sent))?;
                let settled = later(self, 1, 24 * 60);
                let succeeded = outcome == Outcome::Refunded;
                if succeeded {
                    walk.step(|a| a.refund_succeeded(&Actor::system(), settled))?;
                } else {
                    walk.step(|a| a.refund_failed(&Actor::system(), "CLOSED: 用户账户已注销", settled))?;
                    if outcome == Outcome::SettledOutside {
                        let at = later(self, 60, 3 * 24 * 60);
                        walk.step(|a| a.settle_outside(&senior, "已通过银行转账退回，流水号 8841。", at))?;
                    }
                }
                payout = Some(Payout {
                    id: payout_key(&no, 1),
                    application_no: no.to_string(),
                    n: 1,
                    order_no: order.no.to_string(),
                    channel,
                    amount: requested,
                    state: if succeeded { PayoutState::Succeeded } else { PayoutState::Closed },
                    attempts: 1,
                    next_attempt_at: settled,
                    channel_ref: Some(format!("50300{i:010}")),
                    reason: (!succeeded).then(|| "CLOSED: 用户账户已注销".to_owned()),
                    created_at: submitted_at,
                    sent_at: Some(sent),
                    settled_at: Some(settled),
                });
            }
        }
        let Walk { app, events } = walk;
        self.files_of(&app, &no, submitted_at, bulk);
        bulk.events.extend(events.into_iter().map(|(seq, e)| (no.clone(), seq, e)));
        bulk.payouts.extend(payout);
        bulk.deliveries.push((order.no.clone(), reading));
        bulk.orders.push(order);
        bulk.applications.push(app);
        Ok(())
    }

    /// The system snapshot, and for six in ten a buyer's screenshot uploaded with the draft.
    fn files_of(&mut self, a: &Application, no: &ApplicationNo, submitted_at: Timestamp, bulk: &mut Bulk) {
        let mut seq = 0;
        let mut file = |g: &mut Generator, system: bool, at: Timestamp| {
            seq += 1;
            let ((sha256, size), media_type, kind, caption, filename, by) = if system {
                let name = format!("redress-snapshot-{no}.json");
                (g.files.snapshot.clone(), MediaType::Json, EvidenceKind::Other, String::new(), name, "system".into())
            } else {
                let caption = "截止时的后台截图".to_owned();
                let by = a.buyer.to_string();
                (
                    g.files.png.clone(),
                    MediaType::Png,
                    EvidenceKind::DeliveryProgress,
                    caption,
                    "screenshot.png".into(),
                    by,
                )
            };
            Evidence {
                id: format!("EV{:016X}", g.rng.random::<u64>()),
                application_id: a.id.to_string(),
                seq,
                file: EvidenceFile { sha256, size, media_type, kind, caption, filename },
                uploaded_by: by,
                uploaded_at: at,
                system,
            }
        };
        if self.rng.random_bool(0.6) {
            let f = file(self, false, a.created_at);
            bulk.evidence.push(f);
        }
        let f = file(self, true, submitted_at + SignedDuration::from_secs(1));
        bulk.evidence.push(f);
    }
}

/// An application walked through its transitions, with the timeline rows they made.
struct Walk {
    app: Application,
    events: Vec<(i64, Event)>,
}

impl Walk {
    fn step(&mut self, f: impl FnOnce(&Application) -> Step) -> anyhow::Result<()> {
        let (next, event) =
            f(&self.app).map_err(|e| anyhow::anyhow!("{:?} refused a generated step: {e}", self.app.state))?;
        self.events.push((next.version, event));
        self.app = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redress_domain::application::ApplicationState;

    #[test]
    fn the_mix_is_whole_and_fifteen_percent_open() {
        assert_eq!(MIX.iter().map(|(_, s)| s).sum::<u32>(), 1000);
        assert_eq!(Outcome::open_per_mille(), 150);
    }

    #[test]
    fn every_generated_application_ends_where_its_outcome_says() {
        let files = Files { png: ("a".repeat(64), 1), snapshot: ("b".repeat(64), 1) };
        let now: Timestamp = "2026-12-01T02:00:00Z".parse().expect("time");
        let shape = Shape { applications: 2000, buyers: 100, seed: 7, slice: 2000, now, tickets: 0 };
        let mut g = Generator::new(&shape, Policy::seed_v1().rules, BusinessCalendar::china_default(), files);
        let mut bulk = Bulk::default();
        for i in 0..2000 {
            g.application(i, &mut bulk).expect("generated");
        }
        let open = bulk.applications.iter().filter(|a| a.state.is_open()).count();
        assert_eq!(open, 300, "15 % of 2000 open");
        let submitted: Vec<_> = bulk.applications.iter().map(|a| a.submitted_at).collect();
        assert!(submitted.is_sorted(), "in the order they were submitted");
        assert!(bulk.applications[..1700].iter().all(|a| !a.state.is_open()), "the open ones are the latest");
        let per_app = bulk.events.len() as f64 / 2000.0;
        assert!((2.6..3.2).contains(&per_app), "{per_app} events per application");
        for a in &bulk.applications {
            assert!(a.no.is_some() && a.state != ApplicationState::Draft);
            if a.state.is_open() {
                assert!(a.submitted_at.is_some_and(|t| t > now - SignedDuration::from_hours(14 * 24)));
            }
        }
        let refunded = bulk.applications.iter().filter(|a| a.state == ApplicationState::Refunded).count();
        assert!(bulk.payouts.len() >= refunded && !bulk.payouts.is_empty());
        let numbers: HashSet<_> = bulk.applications.iter().map(|a| a.no.clone()).collect();
        assert_eq!(numbers.len(), 2000, "numbers are unique");
    }

    /// Written through the store's bulk path, the history reads back through its ordinary
    /// queries: what was generated is what the use cases see.
    #[tokio::test]
    async fn a_generated_history_reads_back_as_the_store_reads_applications() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("store");
        store.migrate().await.expect("migrate");
        let now = Timestamp::now();
        let shape = Shape { applications: 1500, buyers: 40, seed: 3, slice: 400, now, tickets: 300 };
        let refused = generate(&store, &dir.path().join("evidence"), &shape).await.expect_err("no demo yet");
        assert!(refused.to_string().contains("load the demo first"), "{refused}");

        store.publish_policy(&Policy::seed_v1(), "test", now).await.expect("policy");
        let lin = redress_store::NewUser {
            username: Username::parse("lin").expect("name"),
            display_name: "林",
            role: Role::Buyer,
            password: "redress-demo",
            locale: "zh-CN",
            email: None,
        };
        store.create_user(lin, now).await.expect("user");
        generate(&store, &dir.path().join("evidence"), &shape).await.expect("generated");
        let again = generate(&store, &dir.path().join("evidence"), &shape).await.expect_err("once");
        assert!(again.to_string().contains("already has a generated history"), "{again}");

        let counts: std::collections::BTreeMap<String, i64> =
            store.state_counts().await.expect("counts").into_iter().collect();
        assert_eq!(counts.values().sum::<i64>(), 1500);
        assert!(!counts.contains_key("draft"), "no drafts: {counts:?}");
        let queue = store
            .review_queue(&redress_store::QueueFilter::default(), &redress_store::PageRequest::first(200))
            .await
            .expect("queue")
            .items;
        assert!(!queue.is_empty() && queue.iter().all(|i| i.application.state.is_open()));
        let a = &queue[0].application;
        let no = a.no.clone().expect("numbered");
        let timeline = store.timeline(&no).await.expect("timeline");
        assert_eq!(timeline.first().map(|t| t.event.kind.name()), Some("submitted"));
        assert_eq!(timeline.len() as i64, a.version);
        let buyer = store.user(a.buyer.as_str()).await.expect("the buyer has an account");
        assert_eq!(buyer.role, Role::Buyer);
        let files = store.evidence_of(&a.id).await.expect("files");
        assert!(files.iter().any(|f| f.system), "a system snapshot");
        let audit = store.verify_audit().await.expect("verify");
        assert!(audit.broken.is_none() && audit.pending >= 1500, "every event waits for the chain: {audit:?}");

        // Tickets: five in six in the desk's queue, nearest deadline first, each readable.
        let mut queued = Vec::new();
        let mut page = redress_store::PageRequest::first(200);
        loop {
            let found = store.ticket_queue(&redress_store::TicketFilter::default(), &page).await.expect("ticket queue");
            queued.extend(found.items);
            match found.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        assert_eq!(queued.len(), 250);
        assert!(queued.windows(2).all(|w| w[0].1 <= w[1].1), "by queue key");
        let (t, _) = &queued[0];
        let thread = store.thread(t.no.as_str(), true, &redress_store::PageRequest::first(10)).await.expect("thread");
        assert_eq!(thread.messages.items.first().and_then(|m| m.body.as_deref()), Some("退款进度如何？"));
        assert!(store.user(t.buyer.as_str()).await.is_ok(), "a generated buyer's ticket");
    }
}
