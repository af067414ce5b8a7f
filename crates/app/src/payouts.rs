//! What a payment channel's report does: the payout moves forward only (the domain's
//! `on_report`), and the application follows in the same transaction as
//! `Application::follow_payout` decides (`refunding`, `refunded`, `refund_failed`). The
//! payout worker and the channels' callbacks both report through here.

use crate::{App, Result};
use jiff::{SignedDuration, Timestamp};
use redress_domain::application::Decision;
use redress_domain::ids::ApplicationNo;
use redress_domain::money::Fen;
use redress_domain::order::Channel;
use redress_domain::payout::{ChannelStatus, PayoutHistory, Reported as Report, on_report};
use redress_domain::payout::{Payout, PayoutState};
use redress_domain::reconcile::{Basis, Ours, Reconciliation, StatementEntry};
use redress_store::Reported;
use redress_store::StoreError;

impl App {
    /// Sets Redress's payouts through `channel` on business day `date` against the channel's
    /// `statement` of that day: ours are those the channel answered or settled that day, and
    /// any other the statement names; the domain finds the mismatches (docs/product.md §4).
    pub async fn reconcile(
        &self,
        channel: Channel,
        date: jiff::civil::Date,
        statement: &[StatementEntry],
    ) -> Result<Reconciliation> {
        let (from, to) = redress_domain::reconcile::day_span(date).ok_or(StoreError::NotFound)?;
        let mut ours = self.store.payouts_answered_or_arrived(channel, from, to).await?;
        let known: std::collections::BTreeSet<String> = ours.iter().map(|p| p.id.clone()).collect();
        let named: std::collections::BTreeSet<&str> = statement.iter().map(|e| e.key.as_str()).collect();
        for key in named.into_iter().filter(|k| !known.contains(*k)) {
            match self.store.payout(key).await {
                Ok(p) => ours.push(p),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let outside = self.store.settled_outside().await?;
        let ours: Vec<Ours> = ours
            .into_iter()
            .map(|p| Ours {
                key: p.id,
                amount: p.amount,
                state: p.state,
                accepted_at: p.channel_ref.as_ref().and(p.sent_at),
                arrived_at: p.settled_at.filter(|_| p.state == PayoutState::Succeeded),
                other_channel: (p.channel != channel).then_some(p.channel),
                paid_another_way: outside.contains(&p.application_no),
            })
            .collect();
        let found = redress_domain::reconcile::reconcile(date, Basis::of(channel), statement, &ours);
        self.tell_paid_twice(&found).await?;
        Ok(found)
    }

    /// Every administrator is told of each payout a reconciliation found paid twice — once,
    /// however often the day is reconciled.
    async fn tell_paid_twice(&self, found: &Reconciliation) -> Result<()> {
        use redress_domain::reconcile::Mismatch;
        let twice: Vec<(&String, Fen)> = found
            .mismatches
            .iter()
            .filter_map(|m| match m {
                Mismatch::PaidTwice { key, amount } => Some((key, *amount)),
                _ => None,
            })
            .collect();
        if twice.is_empty() {
            return Ok(());
        }
        let admins = self.store.admins().await?;
        let mut notices = Vec::new();
        for (key, amount) in twice {
            let no =
                ApplicationNo::parse(&self.store.payout(key).await?.application_no).map_err(StoreError::corrupt)?;
            notices.extend(redress_domain::notify::paid_twice(key, &no, amount, &admins, self.now()));
        }
        Ok(self.store.notify(notices).await?)
    }

    /// A payout by its key.
    pub async fn payout(&self, key: &str) -> Result<Payout> {
        Ok(self.store.payout(key).await?)
    }

    /// An application's payouts, oldest first.
    pub async fn payouts_of(&self, no: &ApplicationNo) -> Result<Vec<Payout>> {
        Ok(self.store.payouts_of(no).await?)
    }

    /// Takes up to `limit` payouts through `channels` that are due now, each held for `lease`
    /// (one worker at a time: the store's claim/lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL).
    pub async fn claim_due_payouts(
        &self,
        channels: &[Channel],
        lease: SignedDuration,
        limit: usize,
    ) -> Result<Vec<Payout>> {
        Ok(self.store.claim_due_payouts(channels, self.now(), lease, limit).await?)
    }

    /// Payout `id` had no answer to believe: it is asked about again at `at`.
    pub async fn payout_later(&self, id: &str, at: Timestamp) -> Result<()> {
        Ok(self.store.payout_later(id, at, self.now()).await?)
    }

    /// How many refunds of order `order_no` other than `except` a channel has been asked for
    /// (the channels' per-order limits count them).
    pub async fn refunds_requested_for_order(&self, order_no: &str, except: &str) -> Result<u32> {
        Ok(self.store.refunds_requested_for_order(order_no, except).await?)
    }

    /// Records one exchange with a channel about payout `id` (a request, a query, a callback).
    pub async fn record_payout_attempt(&self, id: &str, action: &str, outcome: &str, detail: &str) -> Result<()> {
        Ok(self.store.record_payout_attempt(id, action, outcome, detail, self.now()).await?)
    }

    /// Accepts a channel callback's nonce once: `false` for a replay.
    pub async fn callback_nonce_fresh(&self, channel: &str, nonce: &str) -> Result<bool> {
        Ok(self.store.channel_nonce_fresh(channel, nonce, self.now()).await?)
    }

    /// Applies a channel's `report` on payout `id` (with its reference and, for an abnormal or
    /// closed refund, its reason); while the payout is not final it is asked about again at
    /// `retry_at`.
    pub async fn payout_reported(
        &self,
        id: &str,
        report: ChannelStatus,
        channel_ref: Option<&str>,
        reason: Option<&str>,
        retry_at: Timestamp,
    ) -> Result<Reported> {
        let now = self.now();
        let (channel_ref, reason) = (channel_ref.map(str::to_owned), reason.map(str::to_owned));
        let decide: redress_store::ReportDecision = Box::new(move |p, a| {
            let outcome = on_report(p, report, channel_ref.as_deref(), reason.as_deref(), retry_at, now);
            let follows = match &outcome {
                Report::Moved(next) => {
                    let steps = a.follow_payout(next.state, reason.as_deref().unwrap_or_default(), now)?;
                    if steps.is_empty() {
                        None
                    } else {
                        Some(Decision::of(a, steps, &PayoutHistory::default())?.on_payout(next.state))
                    }
                }
                Report::Unchanged { .. } => None,
            };
            Ok((outcome, follows))
        });
        Ok(self.store.payout_reported(id, now, decide).await?)
    }
}
