//! Case files (docs/product.md §5): a ZIP a buyer or merchant takes away — the report as PDF, every
//! evidence file, `manifest.json` with each file's SHA-256, and the case's audit entries — and
//! the offline check of one. The rules of the check are in `redress_domain::casefile`; this
//! crate reads and writes the bytes (PDF with krilla, ZIP with zip). It knows nothing of the
//! database: the caller assembles the report's text, in the reader's language, and the files.

mod archive;
mod font;
mod report;

pub use archive::{CaseWriter, REPORT_PATH, Verified, verify};
pub use font::{FONT_CANDIDATES, ReportFont};
pub use report::{Block, Report, Section, render_pdf};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("no font with Chinese characters for the report: {0}")]
    Font(String),
    #[error("could not write the PDF report: {0}")]
    Pdf(String),
    #[error("could not read or write the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{path} is not valid: {why}")]
    Malformed { path: &'static str, why: String },
}
