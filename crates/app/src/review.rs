//! What staff do with an application: take it for review, ask for information, decide it,
//! and send a failed refund again or record it paid another way.

use crate::{App, Result};
use redress_domain::application::{Application, ApplicationError, RejectCode};
use redress_domain::ids::ApplicationRef;
use redress_domain::money::Fen;
use redress_store::{AppsOf, Page, PageRequest, QueueFilter, QueueItem, User};

impl App {
    /// A page of the applications waiting for staff, the one due soonest first.
    pub async fn review_queue(&self, filter: &QueueFilter, page: &PageRequest) -> Result<Page<QueueItem>> {
        Ok(self.store.review_queue(filter, page).await?)
    }

    /// Staff's search: the submitted applications with a number, on an order, or of a buyer,
    /// newest first.
    pub async fn search_applications(&self, by: AppsOf<'_>, page: &PageRequest) -> Result<Page<Application>> {
        Ok(self.store.applications_of(by, page).await?)
    }

    /// How many applications are in each state (the states that have any).
    pub async fn state_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(self.store.state_counts().await?)
    }

    pub async fn claim(&self, no: &ApplicationRef, reviewer: &User) -> Result<Application> {
        self.transition(no, reviewer, false, |a, who, now, _| a.claim(who, now)).await
    }

    /// The holder (or a supervisor) gives an application in review back to the queue.
    pub async fn release(&self, no: &ApplicationRef, who: &User) -> Result<Application> {
        self.transition(no, who, false, |a, who, now, _| a.release(who, now)).await
    }

    /// A supervisor gives an application in review to reviewer `to`.
    pub async fn reassign(&self, no: &ApplicationRef, who: &User, to: &str) -> Result<Application> {
        let to = self.store.user(to).await.map_err(|_| ApplicationError::NotAReviewer)?;
        self.transition(no, who, false, |a, who, now, _| a.reassign(who, &crate::actor(&to), now)).await
    }

    /// Pauses the review clock and asks the buyer for more.
    pub async fn request_info(&self, no: &ApplicationRef, reviewer: &User, message: &str) -> Result<Application> {
        self.transition(no, reviewer, false, |a, who, now, _| a.request_info(who, message, now)).await
    }

    /// Approves `amount`, or the full amount asked for when `None`; the payout is written with
    /// the approval.
    pub async fn approve(&self, no: &ApplicationRef, reviewer: &User, amount: Option<Fen>) -> Result<Application> {
        self.transition(no, reviewer, false, |a, who, now, _| a.approve(who, amount.unwrap_or(a.requested), now)).await
    }

    pub async fn reject(
        &self,
        no: &ApplicationRef,
        reviewer: &User,
        code: RejectCode,
        text: &str,
    ) -> Result<Application> {
        self.transition(no, reviewer, false, |a, who, now, _| a.reject(who, code, text, now)).await
    }

    /// Sends a failed refund again, as a new payout with a new key.
    pub async fn retry_refund(&self, no: &ApplicationRef, staff: &User) -> Result<Application> {
        self.transition(no, staff, false, |a, who, now, _| a.retry_refund(who, now)).await
    }

    /// Records that a failed refund was paid another way, with staff's note.
    pub async fn settle_outside(&self, no: &ApplicationRef, staff: &User, note: &str) -> Result<Application> {
        self.transition(no, staff, false, |a, who, now, _| a.settle_outside(who, note, now)).await
    }
}
