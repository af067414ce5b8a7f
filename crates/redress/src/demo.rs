//! The demo data set: a living Redress to click through. Three buyers and a fourth whose
//! account was banned, a reviewer, a level-2 reviewer and an admin; 30 orders for promotion
//! services on Douyin, Xiaohongshu, Kuaishou and Bilibili paid through WeChat Pay, Alipay and
//! bank card, with delivery ledgers; policy v1; and applications in every state that can be
//! reached today, each walked there through the same use cases the API calls (backdated),
//! so every timeline is real; a support agent and a supervisor, and support tickets in every
//! state (one near its first-answer deadline, one waiting on the buyer).

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use redress_app::{App, Clock};
use redress_app::{NewUser, User};
use redress_domain::application::{DraftInput, Reason, RejectCode, Role};
use redress_domain::ids::{OrderNo, Username};
use redress_domain::money::Fen;
use redress_domain::order::{
    AccountEvent, AccountEventKind, Channel, DeliveryReading, DeliverySource, Order, Payment, Service,
};
use redress_domain::policy::Policy;
use redress_store::Store;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "redress-demo";

/// The demo operator's unified social credit code: made up, with a valid check character.
pub const DEMO_CREDIT_CODE: &str = "91310115MA1K000016";

const USERS: &[(&str, &str, Role, &str)] = &[
    ("lin", "林小雨", Role::Buyer, "zh-CN"),
    ("zhao", "赵大鹏", Role::Buyer, "zh-CN"),
    ("emma", "Emma Li", Role::Buyer, "en"),
    ("zhou", "周小舟", Role::Buyer, "zh-CN"),
    ("wang", "王审核", Role::Reviewer, "zh-CN"),
    ("li", "李复核", Role::SeniorReviewer, "zh-CN"),
    ("chen", "陈客服", Role::Agent, "zh-CN"),
    ("sun", "孙主管", Role::Supervisor, "zh-CN"),
    ("admin", "管理员", Role::Admin, "zh-CN"),
];

struct Product {
    prefix: &'static str,
    name: &'static str,
    platform: &'static str,
    unit: &'static str,
    promised: u64,
    price_fen: i64,
}

const PRODUCTS: &[Product] = &[
    Product {
        prefix: "DY",
        name: "抖音视频点赞 1000 个",
        platform: "douyin",
        unit: "likes",
        promised: 1000,
        price_fen: 5000,
    },
    Product {
        prefix: "XHS",
        name: "小红书笔记点赞 500 个",
        platform: "xiaohongshu",
        unit: "likes",
        promised: 500,
        price_fen: 3000,
    },
    Product {
        prefix: "KS",
        name: "快手作品播放 10000 次",
        platform: "kuaishou",
        unit: "views",
        promised: 10000,
        price_fen: 8000,
    },
    Product {
        prefix: "BL",
        name: "B站粉丝 200 个",
        platform: "bilibili",
        unit: "followers",
        promised: 200,
        price_fen: 12000,
    },
    Product {
        prefix: "DY",
        name: "抖音粉丝 300 个",
        platform: "douyin",
        unit: "followers",
        promised: 300,
        price_fen: 6000,
    },
    Product {
        prefix: "BL",
        name: "B站视频播放 5000 次",
        platform: "bilibili",
        unit: "views",
        promised: 5000,
        price_fen: 4000,
    },
];

/// (buyer, product, channel, paid days ago, delivered per mille at the deadline or None, source)
type Spec = (&'static str, usize, Channel, i64, Option<u64>, DeliverySource);

const P: DeliverySource = DeliverySource::Platform;
const T: DeliverySource = DeliverySource::ThirdParty;
const W: Channel = Channel::WechatPay;
const A: Channel = Channel::Alipay;
const B: Channel = Channel::BankCard;

const ORDERS: [Spec; 30] = [
    ("lin", 0, W, 20, Some(600), P),  // 0  seed: 1000 likes, 600 delivered → draft
    ("lin", 1, A, 18, Some(400), P),  // 1  seed: 500 likes, 200 delivered → auto-approved
    ("lin", 2, B, 16, Some(300), T),  // 2  → in review
    ("lin", 3, W, 2, None, P),        // 3  not started: no-reason window → withdrawn
    ("lin", 4, A, 30, Some(1000), P), // 4  completed
    ("lin", 5, W, 1, Some(150), P),   // 5  in progress
    ("lin", 0, B, 45, Some(800), T),  // 6  → submitted 20 days ago, never decided: past the statutory clock
    ("lin", 1, W, 60, Some(1000), T), // 7
    ("lin", 2, A, 3, None, P),        // 8  not started
    ("lin", 3, B, 12, Some(500), P),  // 9
    ("zhao", 0, A, 14, Some(450), T), // 10 → submitted
    ("zhao", 1, W, 22, Some(500), P), // 11 → approved in part by a reviewer
    ("zhao", 2, B, 25, Some(700), P), // 12 → rejected, then appealed
    ("zhao", 3, A, 9, Some(250), T),  // 13 → submitted, overdue
    ("zhao", 4, W, 35, Some(1000), P),
    ("zhao", 5, B, 40, Some(900), P),
    ("zhao", 0, W, 1, None, P),
    ("zhao", 1, A, 50, Some(1000), P),
    ("zhao", 2, W, 8, Some(600), P),
    ("zhao", 3, B, 70, Some(1000), T),
    ("emma", 0, B, 19, Some(550), T),  // 20 → information requested
    ("emma", 1, W, 28, Some(1000), P), // 21 → rejected (service completed)
    ("emma", 2, A, 24, Some(350), T),  // 22 → rejected, appealed, approved by level 2
    ("emma", 3, W, 11, Some(700), P),
    ("emma", 4, B, 4, Some(100), P),
    ("emma", 5, A, 33, Some(1000), P),
    ("emma", 0, W, 90, Some(700), P),
    ("emma", 1, B, 6, None, P),
    ("zhou", 4, W, 15, Some(200), P), // 28 → banned for a violation: submitted for a reviewer
    ("zhou", 2, A, 26, Some(1000), P),
];

fn ago(now: Timestamp, hours: i64) -> Timestamp {
    now - SignedDuration::from_hours(hours)
}

fn order_of(i: usize, spec: &Spec, now: Timestamp) -> anyhow::Result<Order> {
    let (buyer, product, channel, days, _, _) = *spec;
    let p = &PRODUCTS[product];
    let paid_at = ago(now, days * 24 + 3);
    let date = paid_at.to_zoned_datetime(redress_domain::calendar::shanghai()).strftime("%Y%m%d");
    let txn = match channel {
        Channel::WechatPay => format!("42000020{date}{:010}", 7_301_000 + i),
        Channel::Alipay => format!("{date}2200{:012}", 1_455_000 + i),
        Channel::BankCard => format!("UP{date}{:08}", 88_000 + i),
    };
    Ok(Order {
        no: OrderNo::parse(&format!("{}{date}{:03}", p.prefix, i + 1))?,
        buyer: Username::parse(buyer)?,
        service: Service {
            name: p.name.to_owned(),
            platform: p.platform.to_owned(),
            unit: p.unit.to_owned(),
            promised: p.promised,
            deadline: paid_at + SignedDuration::from_hours(72),
        },
        payment: Some(Payment { channel, transaction_id: txn, amount: Fen(p.price_fen), paid_at }),
        policy_version: 1,
        policy_accepted_at: paid_at - SignedDuration::from_mins(2),
    })
}

/// Policy version 2: version 1 and Taobao's rule — what nobody decides by its review
/// deadline is approved automatically (clause 7).
fn late_review_policy() -> Policy {
    let mut p = Policy::seed_v1();
    p.version = 2;
    p.title = redress_domain::Text::new("服务退款规则（第 2 版）", "Service refund policy (version 2)");
    p.clauses.push(redress_domain::policy::Clause {
        id: "7".into(),
        zh: "审核期限届满仍未处理的申请，系统按您申请的金额（以按规则可退金额和订单余额为限）自动同意退款。".into(),
        en: "An application not decided by its review deadline is approved automatically, for the amount you asked for (up to what the rules give and the order's balance).".into(),
    });
    p.rules.approve_when_late = true;
    p
}

/// Loads the demo into an empty database and returns a report of what is there.
pub async fn load(store: &Store, blobs: redress_blobs::Blobs, now: Timestamp) -> anyhow::Result<String> {
    // Everything is written through the same use cases as everything else, each at its own
    // moment in the past: the application's clock is set before each step.
    let clock = Clock::manual(now);
    let app = App::new(store.clone(), blobs, clock.clone());
    let app = &app;
    if app.has_users().await? {
        bail!("the database already has accounts; the demo loads only into an empty data dir");
    }
    app.publish_policy(&Policy::seed_v1(), "demo").await?;
    let mut users = std::collections::BTreeMap::new();
    for (name, display, role, locale) in USERS {
        let user = NewUser {
            username: Username::parse(name)?,
            display_name: display,
            role: *role,
            password: DEMO_PASSWORD,
            locale,
            email: Some(&format!("{name}@example.com")),
        };
        users.insert(*name, app.create_user(user).await?);
    }
    let mut orders = vec![];
    for (i, spec) in ORDERS.iter().enumerate() {
        let order = order_of(i, spec, now)?;
        app.upsert_order(&order).await?;
        if let (Some(per_mille), source) = (spec.4, spec.5) {
            let p = order.service.promised;
            let start = order.payment.as_ref().map_or(now, |p| p.paid_at) + SignedDuration::from_hours(6);
            let final_at = (order.service.deadline - SignedDuration::from_hours(1)).min(ago(now, 1));
            let readings = [
                DeliveryReading { at: start, delivered: p * per_mille / 2000, source },
                DeliveryReading {
                    at: final_at.max(start + SignedDuration::from_mins(1)),
                    delivered: p * per_mille / 1000,
                    source,
                },
            ];
            app.add_deliveries(&order.no, &readings).await?;
        }
        orders.push(order);
    }
    let ban =
        AccountEvent { at: ago(now, 24 * 14), kind: AccountEventKind::BannedForViolation, source: "douyin".into() };
    app.add_account_event("demo-ban-zhou", &Username::parse("zhou")?, &ban).await?;

    let u = |name: &str| users.get(name).cloned().with_context(|| format!("demo user {name}"));
    let (lin, zhao, emma, zhou, wang, li) = (u("lin")?, u("zhao")?, u("emma")?, u("zhou")?, u("wang")?, u("li")?);
    let chen = u("chen")?;
    let at = |t: Timestamp| clock.set(t);
    let draft = |buyer: &User, order: usize, reason: Reason, amount: Option<i64>, text: &str, t: Timestamp| {
        let order = orders[order].no.clone();
        let buyer = buyer.clone();
        let text = text.to_owned();
        at(t);
        async move {
            let amount = match amount {
                Some(f) => Fen(f),
                None => app.entitlement(&order, &buyer, None).await?.max_refundable,
            };
            let input = DraftInput { reason, description: text, amount };
            anyhow::Ok(app.create_draft(&order, &buyer, input).await?)
        }
    };

    // Draft (seed: 1000 likes bought, 600 delivered).
    draft(
        &lin,
        0,
        Reason::QuantityShort,
        Some(2000),
        "订单购买1000个抖音赞,截止时仅到账600个,附后台截图。",
        ago(now, 5),
    )
    .await?;
    // Auto-approved under rule 5 (platform data, ¥18.00 ≤ threshold; seed: 500 bought, 200 delivered).
    let a = draft(&lin, 1, Reason::QuantityShort, Some(1800), "购买500个小红书赞,3天后仅到账200个。", ago(now, 200))
        .await?;
    at(ago(now, 200));
    app.submit(&a.reference(), &lin).await?;
    // In review (and asked about in a ticket, below).
    let in_review = draft(
        &lin,
        2,
        Reason::NotDeliveredOnTime,
        None,
        "快手播放量在截止时间仅完成三成,第三方监测截图已附。",
        ago(now, 50),
    )
    .await?;
    at(ago(now, 50));
    let in_review = app.submit(&in_review.reference(), &lin).await?;
    at(ago(now, 30));
    app.claim(&in_review.reference(), &wang).await?;
    // Its thread: the reviewer and lin talk about it; a note between staff.
    let r = in_review.reference();
    at(ago(now, 29));
    app.write_on_application(&r, &wang, ("您好，已收到您的申请，正在核对第三方监测数据。", false), None).await?;
    at(ago(now, 28));
    app.write_on_application(&r, &lin, ("好的，如需补充材料请告诉我。", false), None).await?;
    at(ago(now, 27));
    app.write_on_application(&r, &wang, ("内部：监测截图的时间戳与截止时间一致。", true), None).await?;
    // Withdrawn.
    let a = draft(&lin, 3, Reason::NoReason, None, "", ago(now, 20)).await?;
    at(ago(now, 20));
    let a = app.submit(&a.reference(), &lin).await?;
    if a.state == redress_domain::application::ApplicationState::Submitted {
        at(ago(now, 19));
        app.withdraw(&a.reference(), &lin).await?;
    }
    // Submitted (third-party data: a human decides).
    let a = draft(&zhao, 10, Reason::QuantityShort, None, "第三方监测显示截止时只到账450个赞。", ago(now, 26)).await?;
    at(ago(now, 26));
    app.submit(&a.reference(), &zhao).await?;
    // Submitted long ago: overdue in the queue.
    let a =
        draft(&zhao, 13, Reason::NotDeliveredOnTime, None, "B站粉丝一周只涨了50个,远未达到承诺。", ago(now, 24 * 8))
            .await?;
    at(ago(now, 24 * 8));
    let a = app.submit(&a.reference(), &zhao).await?;
    at(ago(now, 24 * 6));
    app.write_on_application(&a.reference(), &zhao, ("已经过去好几天了，请尽快处理。", false), None).await?;
    // Approved in part by a reviewer.
    let a = draft(&zhao, 11, Reason::QuantityShort, None, "只到账250个赞,申请全额退款。", ago(now, 24 * 15)).await?;
    at(ago(now, 24 * 15));
    let a = app.submit(&a.reference(), &zhao).await?;
    at(ago(now, 24 * 14));
    app.claim(&a.reference(), &wang).await?;
    at(ago(now, 24 * 14 - 1));
    app.approve(&a.reference(), &wang, Some(Fen(1500))).await?;
    // Rejected, then appealed (waiting for a level-2 reviewer).
    let a = draft(&zhao, 12, Reason::ServiceInterrupted, Some(8000), "服务中途停止,要求全额退款。", ago(now, 24 * 18))
        .await?;
    at(ago(now, 24 * 18));
    let a = app.submit(&a.reference(), &zhao).await?;
    at(ago(now, 24 * 17));
    app.claim(&a.reference(), &wang).await?;
    at(ago(now, 24 * 17 - 2));
    app.reject(&a.reference(), &wang, RejectCode::InsufficientEvidence, "平台数据显示已交付70%,请提供服务中断的证据。")
        .await?;
    at(ago(now, 24 * 5));
    app.appeal(&a.reference(), &zhao, "附上客服承认服务中断的聊天记录,请复核。").await?;
    // Information requested.
    let a = draft(
        &emma,
        20,
        Reason::QuantityShort,
        None,
        "Only 550 of 1000 likes arrived by the deadline.",
        ago(now, 24 * 3),
    )
    .await?;
    at(ago(now, 24 * 3));
    let a = app.submit(&a.reference(), &emma).await?;
    at(ago(now, 24 * 2));
    app.claim(&a.reference(), &wang).await?;
    at(ago(now, 24 * 2 - 1));
    app.request_info(&a.reference(), &wang, "请上传截止时间的后台点赞数截图(含时间戳)。").await?;
    at(ago(now, 24 * 2 - 2));
    app.write_on_application(&a.reference(), &emma, ("Which screenshot do you need exactly?", false), None).await?;
    at(ago(now, 24 * 2 - 3));
    app.write_on_application(
        &a.reference(),
        &wang,
        ("The back-office like count at the deadline, with the system clock visible.", false),
        None,
    )
    .await?;
    // Rejected: the service was completed.
    let a =
        draft(&emma, 21, Reason::Other, Some(3000), "The likes disappeared a week later.", ago(now, 24 * 20)).await?;
    at(ago(now, 24 * 20));
    let a = app.submit(&a.reference(), &emma).await?;
    at(ago(now, 24 * 19));
    app.claim(&a.reference(), &wang).await?;
    at(ago(now, 24 * 19 - 1));
    app.reject(&a.reference(), &wang, RejectCode::ServiceCompleted, "平台数据显示截止前已全部交付。").await?;
    // Rejected, appealed, approved by the level-2 reviewer.
    let a = draft(&emma, 22, Reason::NotDeliveredOnTime, None, "Views stalled at 35%.", ago(now, 24 * 20)).await?;
    at(ago(now, 24 * 20));
    let a = app.submit(&a.reference(), &emma).await?;
    at(ago(now, 24 * 19));
    app.claim(&a.reference(), &wang).await?;
    at(ago(now, 24 * 19 - 2));
    app.reject(&a.reference(), &wang, RejectCode::InsufficientEvidence, "请提供第三方监测数据。").await?;
    at(ago(now, 24 * 10));
    app.appeal(&a.reference(), &emma, "Attached the analytics export showing 3,500 views at the deadline.").await?;
    at(ago(now, 24 * 9));
    app.claim(&a.reference(), &li).await?;
    at(ago(now, 24 * 9 - 1));
    app.approve(&a.reference(), &li, None).await?;
    // Banned for a violation: no automatic entitlement, a reviewer decides.
    let a = draft(&zhou, 28, Reason::AccountRisk, None, "账号被封后服务停止,申请退还未交付部分。", ago(now, 24 * 2))
        .await?;
    at(ago(now, 24 * 2));
    app.submit(&a.reference(), &zhou).await?;
    // Submitted twenty days ago and never decided: its statutory period has passed, so lin is
    // told so on its page and offered the complaint route (the 12315 page).
    let a = draft(
        &lin,
        6,
        Reason::NotDeliveredOnTime,
        None,
        "抖音赞截止时只到账八成，提交申请二十天了还没有人处理。",
        ago(now, 24 * 20),
    )
    .await?;
    at(ago(now, 24 * 20));
    app.submit(&a.reference(), &lin).await?;
    // Taobao's rule, in a second policy version: zhao's order bought under it has waited ten
    // days with nobody reviewing it, so the server approves it by the rule (the late-reviews
    // job) as soon as it runs.
    at(ago(now, 24 * 40));
    app.publish_policy(&late_review_policy(), "demo").await?;
    let mut late = order_of(ORDERS.len(), &("zhao", 2, W, 14, Some(400), T), now)?;
    late.policy_version = 2;
    app.upsert_order(&late).await?;
    let readings =
        [DeliveryReading { at: late.service.deadline - SignedDuration::from_hours(1), delivered: 2000, source: T }];
    app.add_deliveries(&late.no, &readings).await?;
    at(ago(now, 24 * 10));
    let input = DraftInput {
        reason: Reason::NotDeliveredOnTime,
        description: "快手播放量截止时只完成四成，第三方监测截图已附。".into(),
        amount: Fen(6000),
    };
    let a = app.create_draft(&late.no, &zhao, input).await?;
    app.submit(&a.reference(), &zhao).await?;

    // Support tickets, in every state.
    let ticket = |buyer: &User,
                  category,
                  subject: &str,
                  body: &str,
                  about: Option<&redress_domain::application::Application>,
                  t| {
        let input = redress_domain::ticket::NewTicket {
            category,
            subject: subject.to_owned(),
            body: body.to_owned(),
            order_no: None,
            application_no: about.and_then(|a| a.no.clone()),
        };
        let buyer = buyer.clone();
        at(t);
        async move { anyhow::Ok(app.open_ticket(&buyer, input, None).await?) }
    };
    use redress_domain::ticket::Category as C;
    // Open, near its first-answer deadline (asked 20 hours ago; 24 are promised).
    ticket(
        &lin,
        C::RefundProgress,
        "审核进度怎么样了？",
        "申请已经提交两天了，想知道大概什么时候有结果。",
        Some(&in_review),
        ago(now, 20),
    )
    .await?;
    // Waiting on lin: support asked her for something.
    let t = ticket(
        &lin,
        C::EvidenceQuestion,
        "截图要包含什么？",
        "上传证据时不知道截图需要包含哪些信息。",
        None,
        ago(now, 30),
    )
    .await?;
    at(ago(now, 28));
    app.write_ticket(
        &t.no,
        &chen,
        ("截图请包含订单号、下单时间和截止时的数量，最好带系统时间。您是用手机还是电脑？", false),
        None,
    )
    .await?;
    // Waiting on staff: zhao answered, with a note between colleagues.
    let t = ticket(
        &zhao,
        C::PayoutNotArrived,
        "退款还没到账",
        "审核通过三天了，银行卡还没收到退款。",
        None,
        ago(now, 24 * 3),
    )
    .await?;
    at(ago(now, 24 * 3 - 2));
    app.write_ticket(&t.no, &chen, ("已为您查询，银行卡退款一般 1–3 个工作日到账，请再等等。", false), None).await?;
    at(ago(now, 24 * 3 - 3));
    app.write_ticket(&t.no, &chen, ("内部：已向渠道查询该笔退款的状态。", true), None).await?;
    at(ago(now, 5));
    app.write_ticket(&t.no, &zhao, ("还是没有到账，麻烦再查一下。", false), None).await?;
    // Resolved (English), may still be reopened.
    let t = ticket(
        &emma,
        C::TermsQuestion,
        "Refund window for no-reason refunds?",
        "How long after paying can I ask for a no-reason refund?",
        None,
        ago(now, 24 * 4),
    )
    .await?;
    at(ago(now, 24 * 4 - 2));
    app.write_ticket(
        &t.no,
        &chen,
        ("Within 24 hours of payment, if delivery has not started; see the help page for the terms.", false),
        None,
    )
    .await?;
    at(ago(now, 24 * 2));
    app.resolve_ticket(&t.no, &chen, false).await?;
    // Closed: resolved two weeks ago, its week to reopen over.
    let t = ticket(&zhao, C::Account, "修改绑定手机号", "想换一个接收通知的手机号。", None, ago(now, 24 * 15)).await?;
    at(ago(now, 24 * 15 - 1));
    app.write_ticket(&t.no, &chen, ("手机号由商户系统同步，请在商户平台的个人资料里修改。", false), None).await?;
    at(ago(now, 24 * 14));
    app.resolve_ticket(&t.no, &chen, false).await?;

    at(now);
    app.close_resolved_tickets(100).await?;
    let chained = app.chain_audit(redress_app::ChainPace::CatchUp).await?;
    let token = app.create_api_token("demo-merchant").await?;
    let counts = app.state_counts().await?;
    let mut report = String::from("Demo data loaded.\n\nSign in (password for every account: redress-demo):\n");
    for (name, display, role, _) in USERS {
        report.push_str(&format!("  {name:<6} {display} ({})\n", role.as_str()));
    }
    report.push_str(&format!("\n{} orders; applications by state:\n", orders.len()));
    for (state, n) in counts {
        report.push_str(&format!("  {state:<15} {n}\n"));
    }
    report.push_str(&format!("\n{chained} timeline events in the audit chain.\n"));
    report.push_str(&format!("\nMerchant API token (demo-merchant, shown once): {token}\n"));
    Ok(report)
}
