//! What a payment channel's report does: the payout moves forward only (the domain's
//! `on_report`), and the application follows in the same transaction as
//! `Application::follow_payout` decides (`refunding`, `refunded`, `refund_failed`). The
//! payout worker and the channels' callbacks both report through here.

use crate::{App, Result};
use jiff::Timestamp;
use redress_domain::application::Decision;
use redress_domain::payout::{ChannelStatus, PayoutHistory, Reported as Report, on_report};
use redress_store::Reported;

impl App {
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
                    if steps.is_empty() { None } else { Some(Decision::of(a, steps, &PayoutHistory::default())?) }
                }
                Report::Unchanged { .. } => None,
            };
            Ok((outcome, follows))
        });
        Ok(self.store.payout_reported(id, now, decide).await?)
    }
}
