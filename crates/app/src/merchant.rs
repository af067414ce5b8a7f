//! What the merchant system tells Redress: buyers, orders and their payments, delivery
//! readings, account events, and new policy versions. Each is idempotent: the same message again
//! changes nothing, and a message that contradicts what was recorded is refused whole.

use crate::{App, Result};
use redress_domain::buyer::BuyerProfile;
use redress_domain::ids::{OrderNo, Username};
use redress_domain::order::{AccountEvent, DeliveryReading, Order, Payment};
use redress_domain::policy::Policy;
use redress_store::Upserted;

impl App {
    /// Creates or updates the buyer `id` (orders already naming them are theirs from now on).
    pub async fn upsert_buyer(&self, id: &Username, profile: &BuyerProfile) -> Result<Upserted> {
        Ok(self.store.upsert_buyer(id, profile, self.now()).await?)
    }

    pub async fn buyer_profile(&self, id: &Username) -> Result<BuyerProfile> {
        Ok(self.store.buyer_profile(id).await?)
    }

    pub async fn upsert_order(&self, order: &Order) -> Result<Upserted> {
        Ok(self.store.upsert_order(order, self.now()).await?)
    }

    /// Records the payment of an existing order (once).
    pub async fn set_payment(&self, order_no: &OrderNo, payment: &Payment) -> Result<Upserted> {
        Ok(self.store.set_payment(order_no, payment, self.now()).await?)
    }

    /// Adds delivery readings; returns how many were new.
    pub async fn add_deliveries(&self, order_no: &OrderNo, readings: &[DeliveryReading]) -> Result<usize> {
        Ok(self.store.add_deliveries(order_no, readings, self.now()).await?)
    }

    /// Records an account event under the merchant's event id.
    pub async fn add_account_event(&self, event_id: &str, buyer: &Username, event: &AccountEvent) -> Result<Upserted> {
        Ok(self.store.add_account_event(event_id, buyer, event, self.now()).await?)
    }

    /// Publishes a policy version; `false` when that version exists already with the same body.
    pub async fn publish_policy(&self, policy: &Policy, by: &str) -> Result<bool> {
        Ok(self.store.publish_policy(policy, by, self.now()).await?)
    }
}
