//! A case file's contents: everything about one submitted application that goes into the
//! report and the archive — the application with its order and timeline, the policy the
//! buyer accepted, the delivery ledger, the entitlement, the files, and the application's
//! audit entries with the chain's head — gathered after the system snapshot and the audit
//! chain are brought up to date, so the file holds every entry there is. Rendering it (the
//! translated report, the PDF, the ZIP) is the adapter's.

use crate::{App, ApplicationView, Result};
use redress_domain::audit::{Entry, GENESIS};
use redress_domain::entitlement::Entitlement;
use redress_domain::ids::{ApplicationNo, ApplicationRef};
use redress_domain::order::DeliveryReading;
use redress_domain::policy::Policy;
use redress_store::{Evidence, User};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Case {
    pub view: ApplicationView,
    /// The application's number (a case is of a submitted application).
    pub no: ApplicationNo,
    pub policy: Arc<Policy>,
    pub ledger: Vec<DeliveryReading>,
    /// The order's entitlement without this application's own hold.
    pub entitlement: Entitlement,
    pub evidence: Vec<Evidence>,
    /// The application's audit entries, oldest first.
    pub audit: Vec<Entry>,
    /// The records they vouch for, by entry `seq`, as the viewer may see them.
    pub records: BTreeMap<i64, String>,
    /// The chain's head when they were read: its position and hash (the genesis if empty).
    pub head: (i64, String),
}

impl App {
    /// The case of `r` as `viewer` may see it; `None` for a draft, which has no case yet.
    pub async fn case(&self, r: &ApplicationRef, viewer: &User) -> Result<Option<Case>> {
        let view = self.view(r, viewer).await?;
        let a = &view.application;
        let Some(no) = a.no.clone() else { return Ok(None) };
        self.take_snapshots(a.submitted_at).await?;
        self.chain_audit(redress_store::ChainPace::Serving).await?;
        // The order's facts once: its policy, its ledger, and the entitlement from them.
        let facts = self.store.order_facts(&a.order_no).await?;
        let entitlement = crate::orders::assess(&facts, Some(&a.id), self.now());
        let (policy, ledger) = (facts.policy, facts.ledger);
        let evidence = self.store.evidence_of(&a.id).await?;
        let (chained, head) = self.store.audit_entries_of(no.as_str()).await?;
        let head = head.unwrap_or((0, GENESIS.to_owned()));
        // Every record of an application is the buyer's to see today: the timeline and the
        // files. A staff-internal record would be left out here, its entry kept.
        let records = chained.iter().filter_map(|(e, r)| Some((e.seq, r.clone()?))).collect();
        let audit = chained.into_iter().map(|(e, _)| e).collect();
        Ok(Some(Case { view, no, policy, ledger, entitlement, evidence, audit, records, head }))
    }
}
