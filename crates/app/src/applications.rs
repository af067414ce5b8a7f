//! A buyer's refund applications: drafts, submission, withdrawal, answering an information
//! request, appeal; and an application with its order and timeline, as its buyer or staff see
//! it.

use crate::orders::assess;
use crate::{App, Error, Result, actor, own};
use jiff::Timestamp;
use rand::RngExt;
use redress_domain::application::EventKind;
use redress_domain::application::{self as decide, Application, ApplicationError, Decision, DraftInput, Step};
use redress_domain::calendar::{BusinessCalendar, shanghai_date};
use redress_domain::entitlement::Entitlement;
use redress_domain::ids::{ApplicationId, ApplicationNo, ApplicationRef, OrderNo};
use redress_domain::order::{DeliveryReading, Order, latest_delivered};
use redress_domain::payout::{Payout, PayoutHistory};
use redress_store::{AppsOf, Held, Page, PageRequest, StoreError, TimelineEntry, User};

/// An application with its order and timeline, as its buyer or staff see it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub application: Application,
    pub order: Order,
    pub timeline: Vec<TimelineEntry>,
}

/// An application's detail, as the API, the buyer's page and the desk show it: read once.
#[derive(Debug, Clone)]
pub struct ApplicationDetail {
    pub view: ApplicationView,
    /// The order's entitlement without this application's own hold (what it could ask for).
    pub entitlement: Entitlement,
    /// The order's entitlement as it stands now (this application included).
    pub order_now: Entitlement,
    pub ledger: Vec<DeliveryReading>,
    /// Its payouts, oldest first.
    pub payouts: Vec<Payout>,
}

impl ApplicationDetail {
    /// The latest delivered quantity on the ledger.
    pub fn delivered(&self) -> u64 {
        latest_delivered(&self.ledger)
    }

    /// Where its payouts stand (in flight, abnormal, paid twice), for the desk.
    pub fn payout_history(&self) -> PayoutHistory {
        PayoutHistory {
            channel: self.view.order.payment.as_ref().map(|p| p.channel),
            states: self.payouts.iter().map(|p| p.state).collect(),
        }
    }

    /// Whether staff recorded the refund as paid another way.
    pub fn paid_another_way(&self) -> bool {
        self.view.timeline.iter().any(|t| matches!(t.event.kind, EventKind::SettledOutside { .. }))
    }
}

/// How often a write guarded by the order's facts is decided again after losing a race
/// before giving up (`busy`): only an order changed constantly gets there.
const HOLD_ATTEMPTS: usize = 8;

impl App {
    pub async fn view(&self, no: &ApplicationRef, viewer: &User) -> Result<ApplicationView> {
        let application = self.application_for(no, viewer).await?;
        let order = self.store.order(&application.order_no).await?;
        let timeline = self.timeline_of(&application).await?;
        Ok(ApplicationView { application, order, timeline })
    }

    /// An application's detail as `viewer` may see it, from one read of the order's facts.
    pub async fn detail(&self, no: &ApplicationRef, viewer: &User) -> Result<ApplicationDetail> {
        let application = self.application_for(no, viewer).await?;
        // The order comes with its facts: read once.
        let facts = self.store.order_facts(&application.order_no).await?;
        let timeline = self.timeline_of(&application).await?;
        let payouts = match &application.no {
            Some(no) => self.store.payouts_of(no).await?,
            None => vec![],
        };
        let now = self.now();
        Ok(ApplicationDetail {
            entitlement: assess(&facts, Some(&application.id), now),
            order_now: assess(&facts, None, now),
            ledger: facts.ledger,
            payouts,
            view: ApplicationView { application, order: facts.order, timeline },
        })
    }

    /// An application's timeline (a draft has none yet).
    async fn timeline_of(&self, a: &Application) -> Result<Vec<TimelineEntry>> {
        match &a.no {
            Some(no) => Ok(self.store.timeline(no).await?),
            None => Ok(vec![]),
        }
    }

    /// A page of a buyer's applications, newest first, drafts included.
    pub async fn applications_of(&self, buyer: &User, page: &PageRequest) -> Result<Page<Application>> {
        Ok(self.store.applications_of(AppsOf::Buyer(&buyer.username), page).await?)
    }

    /// What waits for the buyer, newest first: drafts to finish and information asked for
    /// (at most `limit`).
    pub async fn awaiting_buyer(&self, buyer: &User, limit: u32) -> Result<Vec<Application>> {
        Ok(self.store.awaiting_buyer(&buyer.username, limit).await?)
    }

    /// The buyer's draft on an order, if there is one (one draft per order).
    pub async fn draft_on(&self, order_no: &OrderNo, buyer: &User) -> Result<Option<ApplicationId>> {
        Ok(self.store.draft_on(order_no, &buyer.username).await?)
    }

    /// Saves a new draft: on the buyer's own order, open to applications, within what may be
    /// asked for, and the buyer's only draft on the order.
    pub async fn create_draft(&self, order_no: &OrderNo, buyer: &User, input: DraftInput) -> Result<Application> {
        if buyer.role.is_staff() {
            return Err(Error::not_found());
        }
        let facts = self.order_facts_for(order_no, buyer).await?;
        let now = self.now();
        let ent = assess(&facts, None, now);
        let existing = self.store.draft_on(order_no, &buyer.username).await?;
        for _ in 0..HOLD_ATTEMPTS {
            let id = ApplicationId::generate(&mut rand::rng());
            let draft = decide::new_draft(
                id,
                buyer.username.clone(),
                &ent,
                existing.clone(),
                order_no.clone(),
                input.clone(),
                now,
            )?;
            match self.store.insert_draft(draft.clone(), now).await {
                Ok(None) => return Ok(draft),
                Ok(Some(id)) => return Err(ApplicationError::DraftExists(id).into()),
                // The random id was taken: draw another.
                Err(StoreError::Exists("application_id")) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Exists("application_id").into())
    }

    pub async fn update_draft(&self, no: &ApplicationRef, buyer: &User, input: DraftInput) -> Result<Application> {
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        let facts = self.store.order_facts(&a.order_no).await?;
        let now = self.now();
        let next = decide::edit_draft(&a, input, &assess(&facts, Some(&a.id), now))?;
        self.store.save_draft(next.clone(), a.version, now).await?;
        Ok(next)
    }

    /// Deletes a draft; returns the content addresses of the files it held, for the caller
    /// to remove from the evidence store when nothing else refers to them.
    pub async fn delete_draft(&self, no: &ApplicationRef, buyer: &User) -> Result<Vec<String>> {
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        a.check_deletable()?;
        Ok(self.store.delete_draft(&a.id, a.version).await?)
    }

    /// Submits a draft: checks the amount against the balance, starts the review clock, gives
    /// it its number (dated today), and applies rule 5 (auto-approval, with its payout) — all committed
    /// together, against the order's facts as they were read (a lost race decides again).
    pub async fn submit(&self, no: &ApplicationRef, buyer: &User) -> Result<Application> {
        let calendar = self.store.calendar().await?;
        self.hold(no, buyer, |facts, now| {
            let channel = facts.order.order.payment.as_ref().map(|p| p.channel);
            let number = ApplicationNo::generate(shanghai_date(now), &mut rand::rng());
            let ent = assess(&facts.order, None, now);
            decide::submit(
                &facts.application,
                &actor(buyer),
                &ent,
                &facts.order.policy.rules,
                &calendar,
                channel,
                number,
                now,
            )
        })
        .await
    }

    /// Appeals a rejection: the amount is held again, so it must still fit the balance.
    pub async fn appeal(&self, no: &ApplicationRef, buyer: &User, text: &str) -> Result<Application> {
        let calendar = self.store.calendar().await?;
        self.hold(no, buyer, |facts, now| {
            let ent = assess(&facts.order, None, now);
            decide::appeal(&facts.application, &actor(buyer), text, &ent, &facts.order.policy.rules, &calendar, now)
        })
        .await
    }

    /// A decision on the order's facts, written only if they are unchanged; decided again
    /// (after a short random pause, so racing buyers do not collide in step) when they
    /// changed.
    async fn hold(
        &self,
        no: &ApplicationRef,
        buyer: &User,
        decide: impl Fn(&redress_store::HoldFacts, Timestamp) -> Result<Decision, ApplicationError>,
    ) -> Result<Application> {
        for _ in 0..HOLD_ATTEMPTS {
            let facts = self.store.hold_facts(no).await?;
            own(&facts.application, buyer)?;
            let now = self.now();
            let d = decide(&facts, now)?;
            let (next, wrote_payout) = (d.next.clone(), d.creates_payout());
            match self.store.apply_held(d, facts.order_version, now).await? {
                Held::Written => {
                    if wrote_payout {
                        self.wrote_payout();
                    }
                    return Ok(next);
                }
                Held::Lost => {
                    let pause = std::time::Duration::from_millis(rand::rng().random_range(1..10));
                    tokio::time::sleep(pause).await;
                }
            }
        }
        Err(StoreError::Busy.into())
    }

    pub async fn withdraw(&self, no: &ApplicationRef, buyer: &User) -> Result<Application> {
        self.buyer_step(no, buyer, |a, who, now, _| a.withdraw(who, now)).await
    }

    /// Answers an information request; the review clock resumes.
    pub async fn supplement(&self, no: &ApplicationRef, buyer: &User, message: &str) -> Result<Application> {
        self.buyer_step(no, buyer, |a, who, now, cal| a.supplement(who, message, now, cal)).await
    }

    /// Whether `buyer` may answer with `message` now, decided as [`App::supplement`] would
    /// and writing nothing (an answer with files checks before it attaches them).
    pub async fn may_supplement(&self, no: &ApplicationRef, buyer: &User, message: &str) -> Result<Application> {
        let calendar = self.store.calendar().await?;
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        a.supplement(&actor(buyer), message, self.now(), &calendar)?;
        Ok(a)
    }

    async fn buyer_step(
        &self,
        no: &ApplicationRef,
        buyer: &User,
        step: impl FnOnce(&Application, &redress_domain::application::Actor, Timestamp, &BusinessCalendar) -> Step,
    ) -> Result<Application> {
        self.transition(no, buyer, true, step).await
    }

    /// One step that does not change what the order's applications hold: decided on the
    /// application as read, written guarded by its version (a concurrent change loses with
    /// `conflict`). The payouts are read only when the step moves money. `buyer_only`: staff
    /// may see the application but not act as its buyer (not found, as for anyone else).
    pub(crate) async fn transition(
        &self,
        no: &ApplicationRef,
        who: &User,
        buyer_only: bool,
        step: impl FnOnce(&Application, &redress_domain::application::Actor, Timestamp, &BusinessCalendar) -> Step,
    ) -> Result<Application> {
        let calendar = self.store.calendar().await?;
        let a = self.application_for(no, who).await?;
        if buyer_only {
            own(&a, who)?;
        }
        let now = self.now();
        let step = step(&a, &actor(who), now, &calendar)?;
        let payouts = if let (true, Some(no)) = (Decision::touches_payouts(&step.1), &a.no) {
            self.store.payout_history(no).await?
        } else {
            PayoutHistory::default()
        };
        let d = Decision::of(&a, vec![step], &payouts)?;
        let wrote_payout = d.creates_payout();
        let next = self.store.apply(d, now).await?;
        if wrote_payout {
            self.wrote_payout();
        }
        Ok(next)
    }
}
