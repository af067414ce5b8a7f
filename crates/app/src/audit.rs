//! The audit chain: new timeline events and evidence are appended by the audit job, and the
//! whole chain is checked on request (`redress audit verify`).

use crate::{App, Result};
use redress_store::{AuditReport, ChainPace};

impl App {
    /// Appends every timeline event and submitted evidence row not chained yet, in
    /// transactions the size `pace` says; returns how many.
    pub async fn chain_audit(&self, pace: ChainPace) -> Result<u64> {
        Ok(self.store.chain_pending(self.now(), pace).await?)
    }

    /// Appends one transaction's worth of what waits: how many, and whether more may wait.
    pub async fn chain_audit_batch(&self, pace: ChainPace) -> Result<(u64, bool)> {
        Ok(self.store.chain_some(self.now(), pace).await?)
    }

    /// How many records wait to be chained.
    pub async fn audit_pending(&self) -> Result<i64> {
        Ok(self.store.audit_pending().await?)
    }

    /// Walks the whole chain and checks every link and every row it vouches for.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        Ok(self.store.verify_audit().await?)
    }
}
