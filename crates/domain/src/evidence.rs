//! Evidence (docs/product.md §3 step 3, §5): what a file is, decided from its bytes; which names
//! are safe to keep; when an application takes new files; the limits.
//!
//! The rule for a file's type: the bytes decide. A file whose bytes are not JPEG, PNG or PDF
//! (or MP4 when screen recordings are allowed) is refused; so is one whose extension or
//! declared type says something else than its bytes (a PNG renamed `.pdf`, HTML renamed
//! `.jpg`). A PDF is accepted whatever it contains, JavaScript included: it is evidence, and
//! it is never rendered as active content by Redress (served as an attachment, `nosniff`).

use crate::application::ApplicationState;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    PaymentRecord,
    ServiceAgreement,
    DeliveryProgress,
    ChatLog,
    ThirdPartyReport,
    ScreenRecording,
    NotarisedDocument,
    Other,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 8] = [
        EvidenceKind::PaymentRecord,
        EvidenceKind::ServiceAgreement,
        EvidenceKind::DeliveryProgress,
        EvidenceKind::ChatLog,
        EvidenceKind::ThirdPartyReport,
        EvidenceKind::ScreenRecording,
        EvidenceKind::NotarisedDocument,
        EvidenceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::PaymentRecord => "payment_record",
            EvidenceKind::ServiceAgreement => "service_agreement",
            EvidenceKind::DeliveryProgress => "delivery_progress",
            EvidenceKind::ChatLog => "chat_log",
            EvidenceKind::ThirdPartyReport => "third_party_report",
            EvidenceKind::ScreenRecording => "screen_recording",
            EvidenceKind::NotarisedDocument => "notarised_document",
            EvidenceKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The types Redress keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Jpeg,
    Png,
    Pdf,
    Mp4,
    /// Only Redress's own snapshots; never decided for an upload.
    Json,
}

impl MediaType {
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Pdf => "application/pdf",
            MediaType::Mp4 => "video/mp4",
            MediaType::Json => "application/json",
        }
    }

    pub fn from_mime(m: &str) -> Option<MediaType> {
        match m.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(MediaType::Jpeg),
            "image/png" => Some(MediaType::Png),
            "application/pdf" => Some(MediaType::Pdf),
            "video/mp4" => Some(MediaType::Mp4),
            "application/json" => Some(MediaType::Json),
            _ => None,
        }
    }

    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Jpeg => &["jpg", "jpeg"],
            MediaType::Png => &["png"],
            MediaType::Pdf => &["pdf"],
            MediaType::Mp4 => &["mp4"],
            MediaType::Json => &["json"],
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png)
    }

    /// Whether Redress draws a preview of it (images, and a PDF's first page).
    pub fn previewable(self) -> bool {
        matches!(self, MediaType::Jpeg | MediaType::Png | MediaType::Pdf)
    }
}

/// Limits an installation configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_files: u32,
    pub allow_mp4: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bytes: 5 * 1024 * 1024, max_files: 20, allow_mp4: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a JPEG, PNG or PDF")]
    UnsupportedType,
    #[error("the file's name says {claimed}, its content is {actual}")]
    ExtensionMismatch { claimed: String, actual: &'static str },
    #[error("the declared type {declared} does not match the content {actual}")]
    DeclaredTypeMismatch { declared: String, actual: &'static str },
    #[error("the file ends before its format says it should (truncated or damaged)")]
    Incomplete,
    #[error("the file name is empty once cleaned")]
    NameEmpty,
    #[error("an application holds at most {max} files")]
    TooManyFiles { max: u32 },
    #[error("this application no longer takes files")]
    Closed,
}

impl EvidenceError {
    /// One of each, for the test that every code is translated.
    pub const ALL_FOR_TESTS: [EvidenceError; 8] = [
        EvidenceError::Empty,
        EvidenceError::Incomplete,
        EvidenceError::UnsupportedType,
        EvidenceError::ExtensionMismatch { claimed: String::new(), actual: "" },
        EvidenceError::DeclaredTypeMismatch { declared: String::new(), actual: "" },
        EvidenceError::NameEmpty,
        EvidenceError::TooManyFiles { max: 0 },
        EvidenceError::Closed,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::Empty => "evidence-empty",
            EvidenceError::UnsupportedType => "evidence-type-unsupported",
            EvidenceError::ExtensionMismatch { .. } => "evidence-extension-mismatch",
            EvidenceError::DeclaredTypeMismatch { .. } => "evidence-declared-type-mismatch",
            EvidenceError::Incomplete => "evidence-incomplete",
            EvidenceError::NameEmpty => "evidence-name-empty",
            EvidenceError::TooManyFiles { .. } => "evidence-too-many",
            EvidenceError::Closed => "evidence-closed",
        }
    }
}

/// Whether an application in `state` takes new files: while it is being prepared or decided,
/// not once it is decided or withdrawn.
pub fn accepts_files(state: ApplicationState) -> bool {
    matches!(
        state,
        ApplicationState::Draft
            | ApplicationState::Submitted
            | ApplicationState::InReview
            | ApplicationState::InfoRequested
            | ApplicationState::Appealed
    )
}

/// Whether a buyer may attach one more file to an application in `state` that holds `held`
/// files of theirs already.
pub fn may_attach(state: ApplicationState, held: i64, limits: &Limits) -> Result<(), EvidenceError> {
    if !accepts_files(state) {
        return Err(EvidenceError::Closed);
    }
    if held >= i64::from(limits.max_files) {
        return Err(EvidenceError::TooManyFiles { max: limits.max_files });
    }
    Ok(())
}

/// Whether a file of type `t` ends as its format says it must, from its last bytes: a PNG
/// with its IEND chunk, a JPEG with its end-of-image marker, a PDF with `%%EOF`. A truncated
/// upload, or something else wearing a JPEG's first bytes, fails.
pub fn looks_complete(t: MediaType, tail: &[u8]) -> bool {
    let has = |needle: &[u8]| tail.windows(needle.len()).any(|w| w == needle);
    match t {
        MediaType::Png => tail.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]),
        MediaType::Jpeg => has(&[0xFF, 0xD9]),
        MediaType::Pdf => has(b"%%EOF"),
        MediaType::Mp4 | MediaType::Json => true,
    }
}

/// The type of a file from what its bytes (`sniffed`, and its last bytes `tail`), its name
/// and its declared type say.
pub fn decide_type(
    sniffed: Option<MediaType>,
    tail: &[u8],
    size: u64,
    filename: &str,
    declared: Option<&str>,
    limits: &Limits,
) -> Result<MediaType, EvidenceError> {
    if size == 0 {
        return Err(EvidenceError::Empty);
    }
    let actual = match sniffed {
        Some(MediaType::Mp4) if !limits.allow_mp4 => return Err(EvidenceError::UnsupportedType),
        Some(MediaType::Json) => return Err(EvidenceError::UnsupportedType),
        Some(t) => t,
        None => return Err(EvidenceError::UnsupportedType),
    };
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !actual.extensions().contains(&ext.as_str()) {
        return Err(EvidenceError::ExtensionMismatch { claimed: ext, actual: actual.mime() });
    }
    if let Some(d) = declared.map(str::trim).filter(|d| !d.is_empty() && !d.starts_with("application/octet-stream"))
        && MediaType::from_mime(d) != Some(actual)
    {
        return Err(EvidenceError::DeclaredTypeMismatch {
            declared: d.chars().take(100).collect(),
            actual: actual.mime(),
        });
    }
    if !looks_complete(actual, tail) {
        return Err(EvidenceError::Incomplete);
    }
    Ok(actual)
}

/// The longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A file name safe to store and show: the last path component only, without control
/// characters (NUL included) or bidirectional overrides (which can make `gpj.exe` look like
/// `exe.jpg`), trimmed, and at most [`MAX_NAME_CHARS`] characters with its extension kept.
pub fn clean_filename(raw: &str) -> Result<String, EvidenceError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let bidi = |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let cleaned: String = last.chars().filter(|c| !c.is_control() && !bidi(*c)).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        return Err(EvidenceError::NameEmpty);
    }
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return Ok(cleaned);
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 8 => (s.to_owned(), format!(".{e}")),
        _ => (cleaned.clone(), String::new()),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    Ok(format!("{}{ext}", stem.chars().take(keep).collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_END: &[u8] = &[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    fn tail_of(t: Option<MediaType>) -> &'static [u8] {
        match t {
            Some(MediaType::Png) => PNG_END,
            Some(MediaType::Jpeg) => &[0x00, 0xFF, 0xD9],
            Some(MediaType::Pdf) => b"trailer\n%%EOF\n",
            _ => b"",
        }
    }

    fn decide(sniffed: Option<MediaType>, name: &str, declared: Option<&str>) -> Result<MediaType, EvidenceError> {
        decide_type(sniffed, tail_of(sniffed), 10, name, declared, &Limits::default())
    }

    #[test]
    fn the_bytes_decide_and_names_and_declared_types_must_agree() {
        assert_eq!(decide(Some(MediaType::Png), "shot.PNG", Some("image/png")), Ok(MediaType::Png));
        assert_eq!(decide(Some(MediaType::Jpeg), "a.jpeg", Some("application/octet-stream")), Ok(MediaType::Jpeg));
        assert_eq!(decide(Some(MediaType::Pdf), "contract.pdf", None), Ok(MediaType::Pdf));
        // A PNG renamed .pdf.
        assert!(matches!(decide(Some(MediaType::Png), "x.pdf", None), Err(EvidenceError::ExtensionMismatch { .. })));
        // HTML renamed .jpg: the bytes are no known type.
        assert_eq!(decide(None, "x.jpg", Some("image/jpeg")), Err(EvidenceError::UnsupportedType));
        assert!(matches!(
            decide(Some(MediaType::Jpeg), "x.jpg", Some("text/html")),
            Err(EvidenceError::DeclaredTypeMismatch { .. })
        ));
        assert!(matches!(decide(Some(MediaType::Png), "noext", None), Err(EvidenceError::ExtensionMismatch { .. })));
        assert_eq!(
            decide_type(Some(MediaType::Png), b"", 0, "a.png", None, &Limits::default()),
            Err(EvidenceError::Empty)
        );
        assert_eq!(decide(Some(MediaType::Mp4), "r.mp4", None), Err(EvidenceError::UnsupportedType));
        let mp4 = Limits { allow_mp4: true, ..Limits::default() };
        assert_eq!(decide_type(Some(MediaType::Mp4), b"", 9, "r.mp4", Some("video/mp4"), &mp4), Ok(MediaType::Mp4));
    }

    #[test]
    fn truncated_files_are_refused() {
        let l = Limits::default();
        assert_eq!(
            decide_type(Some(MediaType::Png), &PNG_END[..8], 9, "a.png", None, &l),
            Err(EvidenceError::Incomplete)
        );
        assert_eq!(
            decide_type(Some(MediaType::Jpeg), b"<html></html>", 9, "a.jpg", None, &l),
            Err(EvidenceError::Incomplete)
        );
        assert_eq!(
            decide_type(Some(MediaType::Pdf), b"endobj\n", 9, "a.pdf", None, &l),
            Err(EvidenceError::Incomplete)
        );
        assert_eq!(decide_type(Some(MediaType::Jpeg), &[0xFF, 0xD9, 0, 0], 9, "a.jpg", None, &l), Ok(MediaType::Jpeg));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_filename("../../etc/passwd.png").as_deref(), Ok("passwd.png"));
        assert_eq!(clean_filename("C:\\Users\\a\\shot.jpg").as_deref(), Ok("shot.jpg"));
        assert_eq!(clean_filename("a\0b.png").as_deref(), Ok("ab.png"));
        assert_eq!(clean_filename("invoice\u{202E}gpj.exe").as_deref(), Ok("invoicegpj.exe"));
        assert_eq!(clean_filename("截图 1.png").as_deref(), Ok("截图 1.png"));
        assert_eq!(clean_filename("../"), Err(EvidenceError::NameEmpty));
        assert_eq!(clean_filename("\u{202E}\0"), Err(EvidenceError::NameEmpty));
        let long = format!("{}.pdf", "长".repeat(300));
        let kept = clean_filename(&long).expect("long");
        assert_eq!(kept.chars().count(), MAX_NAME_CHARS);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn decided_applications_take_no_files() {
        let open: Vec<ApplicationState> = ApplicationState::ALL.iter().copied().filter(|s| accepts_files(*s)).collect();
        assert_eq!(
            open,
            [
                ApplicationState::Draft,
                ApplicationState::Submitted,
                ApplicationState::InReview,
                ApplicationState::InfoRequested,
                ApplicationState::Appealed
            ]
        );
    }
}
