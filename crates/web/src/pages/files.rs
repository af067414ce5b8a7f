//! The files of an application as the buyer's pages and the desk show them: the list, and the
//! upload form while the application takes more.

use crate::AppState;
use crate::dto::EvidenceDto;
use crate::error::ApiError;
use crate::i18n::Lang;
use redress_app::User;
use redress_domain::evidence::{EvidenceKind, accepts_files};
use redress_domain::ids::ApplicationRef;

/// The files of an application as a page shows them, and the upload form when it takes more.
#[derive(Default)]
pub struct Files {
    pub items: Vec<EvidenceDto>,
    /// `…/files`: uploads post here, file `id` is at `…/files/{id}`.
    pub base: String,
    pub can_upload: bool,
    pub kinds: Vec<(String, String)>,
    /// The limits, in words.
    pub hint: String,
    /// The file picker's `accept`.
    pub accept: String,
    /// Where the case file (ZIP) downloads from; none for a draft.
    pub case_file: Option<String>,
}

impl Files {
    /// `buyer`: the buyer's page (links under `/applications`, may upload); else the desk's.
    pub async fn of(
        state: &AppState,
        user: &User,
        no: &ApplicationRef,
        lang: Lang,
        buyer: bool,
    ) -> Result<Files, ApiError> {
        let a = state.app.application_for(no, user).await?;
        let items = state.app.evidence_of(no, user).await?;
        Ok(Files {
            items: items.iter().map(|e| EvidenceDto::new(e, &a.reference(), lang)).collect(),
            base: if buyer { format!("/applications/{no}/files") } else { format!("/desk/{no}/files") },
            can_upload: buyer && a.buyer == user.username && accepts_files(a.state),
            kinds: EvidenceKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), lang.t(&format!("evidence-kind-{}", k.as_str()))))
                .collect(),
            hint: lang.t_args(
                if state.evidence_limits.allow_mp4 { "files-hint-mp4" } else { "files-hint" },
                &[
                    ("size", (state.evidence_limits.max_bytes / (1024 * 1024)).to_string()),
                    ("count", state.evidence_limits.max_files.to_string()),
                ],
            ),
            accept: if state.evidence_limits.allow_mp4 {
                ".jpg,.jpeg,.png,.pdf,.mp4,image/jpeg,image/png,application/pdf,video/mp4"
            } else {
                ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"
            }
            .to_owned(),
            case_file: (a.state != redress_domain::application::ApplicationState::Draft)
                .then(|| if buyer { format!("/applications/{no}/case-file") } else { format!("/desk/{no}/case-file") }),
        })
    }

    pub fn size(&self, e: &EvidenceDto) -> String {
        crate::casefile::size_label(e.size)
    }
}
