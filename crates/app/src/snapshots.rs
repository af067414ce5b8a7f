//! Redress's own evidence: a snapshot of what a submission was made on — the order as it
//! stands, the policy version the buyer accepted (its clauses and when) and the delivery
//! ledger — as JSON, attached to the application as a system file. The snapshots job takes
//! them a moment after each submission (the request pays nothing for it); applications made
//! outside the web layer (the demo's, an import) get theirs the same way, and a case file
//! takes any still missing before it is written.

use crate::{App, Result};
use jiff::Timestamp;
use redress_domain::application::Application;
use redress_domain::evidence::{EvidenceKind, MediaType};
use redress_store::{EvidenceFile, StoreError};

impl App {
    /// How many snapshots one pass of [`App::take_snapshots`] takes at most (the store's
    /// [`redress_store::Store::system_evidence_batch`]).
    pub fn snapshot_batch(&self) -> usize {
        self.store.system_evidence_batch()
    }

    /// Attaches its snapshot to every submission since `since` (`None`: all of them) that
    /// lacks one, at most [`App::snapshot_batch`]: the files first (no database writer held), then
    /// every row in one transaction. Returns how many submissions it looked at. A snapshot
    /// another instance attached meanwhile is left as it is.
    pub async fn take_snapshots(&self, since: Option<Timestamp>) -> Result<usize> {
        let missing =
            self.store.missing_snapshots(since.unwrap_or(Timestamp::UNIX_EPOCH), self.snapshot_batch()).await?;
        let mut files = Vec::with_capacity(missing.len());
        for a in &missing {
            match self.snapshot_of(a).await {
                Ok(file) => files.push((a.id.clone(), file)),
                Err(e) => tracing::error!(no = %a.reference(), error = %e, "could not take the system snapshot"),
            }
        }
        if files.is_empty() {
            return Ok(missing.len());
        }
        let ids: Vec<_> = files.iter().map(|(id, _)| id.clone()).collect();
        let attached = self.store.add_system_evidence_batch(files, self.now()).await?;
        for (id, done) in ids.iter().zip(attached) {
            match done {
                Ok(_) | Err(StoreError::Exists(_)) => {}
                Err(e) => tracing::error!(id = %id, error = %e, "could not attach the system snapshot"),
            }
        }
        Ok(missing.len())
    }

    async fn snapshot_of(&self, a: &Application) -> Result<EvidenceFile> {
        let order = self.store.order(&a.order_no).await?;
        let policy = self.store.policy(order.policy_version).await?;
        let ledger = self.store.deliveries(&a.order_no).await?;
        let body = serde_json::json!({
            "redress_snapshot": 1,
            "application_no": a.reference().to_string(),
            "taken_at": self.now(),
            "application": {
                "reason": a.reason.as_str(),
                "requested_fen": a.requested.0,
                "submitted_at": a.submitted_at,
                "description": a.description,
            },
            "order": order,
            "policy": {
                "version": policy.version,
                "title": policy.title,
                "clauses": policy.clauses,
                "accepted_at": order.policy_accepted_at,
            },
            "delivery_ledger": ledger,
        });
        let bytes = serde_json::to_vec_pretty(&body).map_err(StoreError::corrupt)?;
        let blob = self.blobs.put(bytes.into()).await?;
        Ok(EvidenceFile {
            sha256: blob.sha256,
            size: blob.size,
            media_type: MediaType::Json,
            kind: EvidenceKind::Other,
            caption: String::new(),
            filename: format!("redress-snapshot-{}.json", a.reference()),
        })
    }

    /// Removes from the evidence store the files of a discarded draft that nothing else refers
    /// to, under the store's lock on those bytes (an upload attaching the same bytes elsewhere
    /// at that moment keeps them). A failure only leaves an unreferenced file behind, so it is
    /// logged, not reported.
    pub async fn forget_files(&self, files: Vec<String>) {
        for sha in files {
            let blobs = self.blobs.clone();
            let target = sha.clone();
            let remove: redress_store::BlobAction =
                Box::new(move || Box::pin(async move { blobs.delete(&target).await.map_err(|e| e.to_string()) }));
            if let Err(e) = self.store.remove_blob_if_unreferenced(&sha, remove).await {
                tracing::warn!(error = %e, %sha, "could not remove a discarded draft's file");
            }
        }
    }
}
