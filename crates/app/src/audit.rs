//! The audit chain: new timeline events and evidence are appended by the audit job, and the
//! whole chain is checked on request (`redress audit verify`).

use crate::{App, Result};
use redress_store::AuditReport;

impl App {
    /// Appends every timeline event and submitted evidence row not chained yet; returns how
    /// many.
    pub async fn chain_audit(&self) -> Result<u64> {
        Ok(self.store.chain_pending(self.now()).await?)
    }

    /// Walks the whole chain and checks every link and every row it vouches for.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        Ok(self.store.verify_audit().await?)
    }
}
