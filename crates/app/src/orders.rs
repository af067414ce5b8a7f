//! Orders as buyers and staff see them: each with its entitlement, worked out by the domain
//! from the facts the store read.

use crate::{App, Error, Result};
use jiff::Timestamp;
use redress_domain::application::claimed_by;
use redress_domain::calendar::BusinessCalendar;
use redress_domain::entitlement::{self, Entitlement, Facts};
use redress_domain::ids::{ApplicationId, OrderNo};
use redress_domain::order::{DeliveryReading, Order, latest_delivered};
use redress_domain::policy::Policy;
use redress_store::{OrderFacts, Page, PageRequest, User};
use std::sync::Arc;

/// An order with what is left to refund on it and what the policy gives now.
#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub order: Order,
    /// Latest delivered quantity on the ledger.
    pub delivered: u64,
    pub entitlement: Entitlement,
    /// The buyer's draft on the order, if there is one.
    pub draft: Option<ApplicationId>,
}

/// The entitlement on an order's facts as of `now`, leaving out application `except`.
pub(crate) fn assess(f: &OrderFacts, except: Option<&ApplicationId>, now: Timestamp) -> Entitlement {
    entitlement::assess(&Facts {
        order: &f.order,
        ledger: &f.ledger,
        account_events: &f.account_events,
        policy: &f.policy,
        claimed: claimed_by(&f.claims, except),
        now,
    })
}

impl App {
    /// An order (who may see it is the caller's to decide: see [`App::entitlement`]).
    pub async fn order(&self, order_no: &OrderNo) -> Result<Order> {
        Ok(self.store.order(order_no).await?)
    }

    /// An order's delivery ledger, oldest reading first.
    pub async fn deliveries(&self, order_no: &OrderNo) -> Result<Vec<DeliveryReading>> {
        Ok(self.store.deliveries(order_no).await?)
    }

    /// A published policy version.
    pub async fn policy(&self, version: u32) -> Result<Arc<Policy>> {
        Ok(self.store.policy(version).await?)
    }

    /// The business calendar review clocks run on.
    pub async fn calendar(&self) -> Result<Arc<BusinessCalendar>> {
        Ok(self.store.calendar().await?)
    }

    /// The facts of an order its buyer or staff may see (anyone else: not found).
    pub(crate) async fn order_facts_for(&self, order_no: &OrderNo, viewer: &User) -> Result<OrderFacts> {
        let facts = self.store.order_facts(order_no).await?;
        if viewer.role.is_staff() || viewer.username == facts.order.buyer { Ok(facts) } else { Err(Error::not_found()) }
    }

    /// The entitlement on `order_no` now, leaving out `except` (the application being edited
    /// or decided), for its buyer or staff.
    pub async fn entitlement(
        &self,
        order_no: &OrderNo,
        viewer: &User,
        except: Option<&ApplicationId>,
    ) -> Result<Entitlement> {
        let facts = self.order_facts_for(order_no, viewer).await?;
        Ok(assess(&facts, except, self.now()))
    }

    /// A page of a buyer's orders, newest first, each with its entitlement now and the
    /// buyer's draft on it.
    pub async fn buyer_orders(&self, buyer: &User, page: &PageRequest) -> Result<Page<OrderSummary>> {
        let now = self.now();
        Ok(self.store.buyer_orders(&buyer.username, page).await?.map(|b| OrderSummary {
            entitlement: assess(&b.facts, None, now),
            delivered: latest_delivered(&b.facts.ledger),
            draft: b.draft,
            order: b.facts.order,
        }))
    }

    /// The policy version each of a buyer's orders was bought under, newest version first.
    pub async fn buyer_policies(&self, buyer: &User) -> Result<Vec<(u32, OrderNo, Timestamp)>> {
        Ok(self.store.buyer_policies(&buyer.username).await?)
    }
}
