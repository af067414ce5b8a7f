//! What staff do with an application: take it for review, ask for information, decide it,
//! and send a failed refund again or record it paid another way; and the late-review rule,
//! which approves what nobody decided in time.

use crate::{App, Result};
use jiff::Timestamp;
use redress_domain::application::{self as decide, Application, ApplicationError, RejectCode};
use redress_domain::ids::ApplicationRef;
use redress_domain::money::Fen;
use redress_store::{AppsOf, Page, PageRequest, QueueFilter, QueueItem, StoreError, User};

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

    /// The policy's late-review rule, one pass (docs/product.md §3): every application whose
    /// review deadline passed since the last pass, under a policy with `approve_when_late`, is
    /// approved by the system for the amount asked for, capped at what the rules give and the
    /// balance — decided on its order's facts and written under its version, so a reviewer
    /// deciding at the same moment, or another instance's pass, wins or loses whole and it is
    /// decided once. Looks at `limit` deadlines at most; returns how many it approved.
    pub async fn approve_late_reviews(&self, limit: i64) -> Result<usize> {
        let now = self.now();
        let until = now.as_millisecond();
        let mark = self.store.late_review_mark().await?;
        // Everything due before now has been looked at once this pass is through.
        let through = (until, String::new());
        let versions = self.store.late_review_policies().await?;
        if versions.is_empty() {
            // No policy has the rule: nothing falling due now will ever be approved by it.
            self.store.advance_late_review_mark(&mark, &through, now).await?;
            return Ok(0);
        }
        let due = self.store.late_reviews(&mark, until, limit).await?;
        let mut approved = 0;
        for (no, _, _) in due.iter().filter(|(_, _, v)| versions.contains(v)) {
            if self.approve_late(no, now).await? {
                approved += 1;
            }
        }
        // A full batch stops at its last application (others may share its deadline): the
        // next pass reads on from there, past what could not be approved.
        let full = usize::try_from(limit).is_ok_and(|l| due.len() >= l);
        let next = match due.last() {
            Some((no, key, _)) if full => (*key, no.to_string()),
            _ => through,
        };
        self.store.advance_late_review_mark(&mark, &next, now).await?;
        Ok(approved)
    }

    /// The late-review rule on one application: `false` when there was nothing to do (decided
    /// or paused meanwhile, or nothing left to approve).
    async fn approve_late(&self, no: &ApplicationRef, now: Timestamp) -> Result<bool> {
        for _ in 0..3 {
            let facts = self.store.hold_facts(no).await?;
            let a = &facts.application;
            let Some(number) = &a.no else { return Ok(false) };
            let ent = crate::orders::assess(&facts.order, Some(&a.id), now);
            let payouts = self.store.payout_history(number).await?;
            let d = match decide::approve_late(a, &ent, &facts.order.policy.rules, &payouts, now) {
                Ok(Some(d)) => d,
                // Not (or no longer) due, or nothing left: a reviewer's to decide.
                Ok(None) | Err(_) => return Ok(false),
            };
            match self.store.apply(d, now).await {
                Ok(_) => {
                    self.wrote_payout();
                    return Ok(true);
                }
                // Someone acted at the same moment: decide again on what they wrote.
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }
}
