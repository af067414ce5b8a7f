//! Evidence: which files an application has, and a buyer's upload attached under the rules
//! (their own application, still taking files, within the limit), checked again inside the
//! attaching transaction so concurrent uploads cannot pass the limit together.

use crate::{App, Error, Result, own};
use redress_domain::application::Application;
use redress_domain::evidence::{Limits, may_attach};
use redress_domain::ids::{ApplicationId, ApplicationRef};
use redress_store::{BlobAction, Evidence, EvidenceFile, StoreError, User};

impl App {
    /// The buyer's application that an upload is for, if it may take one now (checked before
    /// the bytes are received; [`App::attach_evidence`] checks again when writing).
    pub async fn upload_target(&self, no: &ApplicationRef, buyer: &User, limits: &Limits) -> Result<Application> {
        let a = self.application_for(no, buyer).await?;
        own(&a, buyer)?;
        may_attach(a.state, 0, limits).map_err(StoreError::from)?;
        Ok(a)
    }

    /// Attaches a received file to application `id` (the [`App::upload_target`]); `put` puts
    /// its bytes in place inside the same transaction.
    pub async fn attach_evidence(
        &self,
        id: &ApplicationId,
        buyer: &User,
        file: EvidenceFile,
        limits: Limits,
        put: BlobAction,
    ) -> Result<Evidence> {
        let name = buyer.username.clone();
        let check: redress_store::Check = Box::new(move |a: &Application, held: i64| {
            if a.buyer != name {
                return Err(StoreError::NotFound);
            }
            Ok(may_attach(a.state, held, &limits)?)
        });
        Ok(self.store.add_evidence(id, buyer, file, check, self.now(), put).await?)
    }

    /// The files of an application `viewer` may see, oldest first.
    pub async fn evidence_of(&self, no: &ApplicationRef, viewer: &User) -> Result<Vec<Evidence>> {
        let a = self.application_for(no, viewer).await?;
        Ok(self.store.evidence_of(&a.id).await?)
    }

    /// One file of an application `viewer` may see.
    pub async fn evidence_item(&self, no: &ApplicationRef, id: &str, viewer: &User) -> Result<Evidence> {
        let a = self.application_for(no, viewer).await?;
        self.store.evidence_item(&a.id, id).await.map_err(Error::from)
    }
}
