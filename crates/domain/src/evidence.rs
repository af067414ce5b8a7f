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

/// How a file ends: its last bytes, and where the image inside it ends by its own structure
/// ([`EndScan`]).
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    pub tail: &'a [u8],
    /// The offset just past a PNG's IEND chunk or a JPEG's end-of-image marker, if the bytes
    /// reached it.
    pub image_end: Option<u64>,
}

/// Whether a file of type `t` holds all its format says it must: a PNG up to its IEND chunk, a
/// JPEG up to its end-of-image marker (both read by their structure, so bytes after the end —
/// a phone's motion-photo video, a tool's padding — are allowed and kept), a PDF with `%%EOF`
/// among its last bytes. A truncated upload, or something else wearing a JPEG's first bytes,
/// fails.
pub fn looks_complete(t: MediaType, ending: Ending<'_>) -> bool {
    match t {
        MediaType::Png | MediaType::Jpeg => ending.image_end.is_some(),
        MediaType::Pdf => ending.tail.windows(5).any(|w| w == b"%%EOF"),
        MediaType::Mp4 | MediaType::Json => true,
    }
}

/// Walks a PNG's chunks or a JPEG's segments as the bytes stream past, in constant memory,
/// to find where the image ends. Any other content, or a structure that breaks its format's
/// rules, never ends.
#[derive(Debug, Clone, Default)]
pub struct EndScan {
    offset: u64,
    state: ScanState,
}

#[derive(Debug, Clone, Default)]
enum ScanState {
    /// The first bytes, until the format is known.
    #[default]
    Start,
    Signature {
        seen: Vec<u8>,
    },
    /// PNG: reading a chunk's length and type; then skipping its data and CRC.
    PngHeader {
        buf: Vec<u8>,
    },
    PngSkip {
        left: u64,
        last: bool,
    },
    /// JPEG: expecting a marker's 0xFF, its code, a segment's two length bytes, skipping
    /// the segment, or inside entropy-coded data (after 0xFF there).
    JpegFf,
    JpegCode,
    JpegLen {
        code: u8,
        first: Option<u8>,
    },
    JpegSkip {
        left: u64,
        then_entropy: bool,
    },
    Entropy,
    EntropyFf,
    Ended(u64),
    Broken,
}

const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

impl EndScan {
    pub fn new() -> EndScan {
        EndScan::default()
    }

    /// The offset just past the image's end, once the bytes fed have reached it.
    pub fn image_end(&self) -> Option<u64> {
        match self.state {
            ScanState::Ended(at) => Some(at),
            _ => None,
        }
    }

    /// Reads the next bytes of the file.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if matches!(self.state, ScanState::Ended(_) | ScanState::Broken) {
                return;
            }
            // Skipping states jump over many bytes at once.
            if let ScanState::PngSkip { left, .. } | ScanState::JpegSkip { left, .. } = &mut self.state {
                let n = (*left).min(bytes.len() as u64);
                *left -= n;
                self.offset += n;
                bytes = &bytes[n as usize..];
                if *left == 0 {
                    self.state = match self.state {
                        ScanState::PngSkip { last: true, .. } => ScanState::Ended(self.offset),
                        ScanState::PngSkip { .. } => ScanState::PngHeader { buf: Vec::with_capacity(8) },
                        ScanState::JpegSkip { then_entropy: true, .. } => ScanState::Entropy,
                        _ => ScanState::JpegFf,
                    };
                }
                continue;
            }
            if let ScanState::Entropy = self.state {
                // Entropy-coded data runs until the next 0xFF.
                match bytes.iter().position(|b| *b == 0xFF) {
                    Some(i) => {
                        self.offset += i as u64 + 1;
                        bytes = &bytes[i + 1..];
                        self.state = ScanState::EntropyFf;
                    }
                    None => {
                        self.offset += bytes.len() as u64;
                        return;
                    }
                }
                continue;
            }
            let b = bytes[0];
            bytes = &bytes[1..];
            self.offset += 1;
            self.step(b);
        }
    }

    fn step(&mut self, b: u8) {
        use ScanState::*;
        self.state = match std::mem::take(&mut self.state) {
            Start => Signature { seen: vec![b] },
            Signature { mut seen } => {
                seen.push(b);
                if seen == [0xFF, 0xD8] {
                    JpegFf
                } else if seen.len() <= PNG_SIGNATURE.len() && PNG_SIGNATURE.starts_with(&seen) {
                    if seen.len() == PNG_SIGNATURE.len() {
                        PngHeader { buf: Vec::with_capacity(8) }
                    } else {
                        Signature { seen }
                    }
                } else {
                    Broken
                }
            }
            PngHeader { mut buf } => {
                buf.push(b);
                if buf.len() < 8 {
                    PngHeader { buf }
                } else {
                    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
                    // The format caps a chunk at 2³¹ − 1 bytes; a type is four ASCII letters.
                    if len > i32::MAX as u32 || !buf[4..8].iter().all(u8::is_ascii_alphabetic) {
                        Broken
                    } else {
                        PngSkip { left: u64::from(len) + 4, last: &buf[4..8] == b"IEND" }
                    }
                }
            }
            JpegFf if b == 0xFF => JpegCode,
            JpegFf => Broken,
            // Fill bytes before a marker's code.
            JpegCode if b == 0xFF => JpegCode,
            JpegCode => self.marker(b, false),
            EntropyFf => self.marker(b, true),
            JpegLen { code, first: None } => JpegLen { code, first: Some(b) },
            JpegLen { code, first: Some(hi) } => {
                let len = u16::from_be_bytes([hi, b]);
                if len < 2 {
                    Broken
                } else if len == 2 {
                    if code == 0xDA { Entropy } else { JpegFf }
                } else {
                    JpegSkip { left: u64::from(len) - 2, then_entropy: code == 0xDA }
                }
            }
            other => other,
        };
    }

    /// After 0xFF: a marker's code (or, inside entropy-coded data, a stuffed zero or a
    /// restart marker, which do not end it).
    fn marker(&self, code: u8, in_entropy: bool) -> ScanState {
        use ScanState::*;
        match code {
            0xD9 => Ended(self.offset),
            0x00 if in_entropy => Entropy,
            0xFF if in_entropy => EntropyFf,
            0xD0..=0xD7 if in_entropy => Entropy,
            // Markers without a length: TEM, RSTn outside a scan, another SOI.
            0x01 | 0xD0..=0xD8 => JpegFf,
            0x00 => Broken,
            c => JpegLen { code: c, first: None },
        }
    }
}

/// The type of a file from what its bytes (`sniffed`, and how it ends), its name and its
/// declared type say.
pub fn decide_type(
    sniffed: Option<MediaType>,
    ending: Ending<'_>,
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
    if !looks_complete(actual, ending) {
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

    fn ending_of(t: Option<MediaType>) -> Ending<'static> {
        match t {
            Some(MediaType::Png) => Ending { tail: PNG_END, image_end: Some(10) },
            Some(MediaType::Jpeg) => Ending { tail: &[0x00, 0xFF, 0xD9], image_end: Some(10) },
            Some(MediaType::Pdf) => Ending { tail: b"trailer\n%%EOF\n", image_end: None },
            _ => Ending { tail: b"", image_end: None },
        }
    }

    fn open(tail: &[u8]) -> Ending<'_> {
        Ending { tail, image_end: None }
    }

    fn decide(sniffed: Option<MediaType>, name: &str, declared: Option<&str>) -> Result<MediaType, EvidenceError> {
        decide_type(sniffed, ending_of(sniffed), 10, name, declared, &Limits::default())
    }

    /// A PNG of one chunk besides IHDR and IEND.
    fn png() -> Vec<u8> {
        let mut v = PNG_SIGNATURE.to_vec();
        let chunk = |v: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            v.extend_from_slice(&(data.len() as u32).to_be_bytes());
            v.extend_from_slice(kind);
            v.extend_from_slice(data);
            v.extend_from_slice(&[1, 2, 3, 4]); // the CRC is not the scan's to check
        };
        chunk(&mut v, b"IHDR", &[0; 13]);
        // Data that looks like an end inside a chunk does not end it.
        chunk(&mut v, b"tEXt", b"IEND\xAEB`\x82 \xFF\xD9");
        chunk(&mut v, b"IEND", &[]);
        v
    }

    /// A JPEG: an APP1 segment holding a thumbnail's own end marker, a scan with stuffed and
    /// restart bytes, a second scan (progressive), the end.
    fn jpeg() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0x01, 0x02, 0xFF, 0xD9]);
        v.extend_from_slice(&[0xFF, 0xFF, 0xDB, 0x00, 0x03, 0x07]);
        for _ in 0..2 {
            v.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x04, 0x01, 0x00]);
            v.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0x00, 0x78]);
        }
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    /// Where the scan says the image ends, fed `bytes` in pieces of `step`.
    fn scanned(bytes: &[u8], step: usize) -> Option<u64> {
        let mut scan = EndScan::new();
        for piece in bytes.chunks(step) {
            scan.feed(piece);
        }
        scan.image_end()
    }

    #[test]
    fn the_scan_finds_where_an_image_ends_whatever_follows_it() {
        for (name, image) in [("png", png()), ("jpeg", jpeg())] {
            for step in [1, 2, 3, 7, 64, 1 << 20] {
                assert_eq!(scanned(&image, step), Some(image.len() as u64), "{name} in pieces of {step}");
                // A motion photo's video, or padding, after the end: the image still ends there.
                let mut more = image.clone();
                more.extend_from_slice(b"\0\0\0\x18ftypmp42 ... \xFF\xD9 ... IEND");
                more.extend(std::iter::repeat_n(0u8, 5000));
                assert_eq!(scanned(&more, step), Some(image.len() as u64), "{name} with a tail, pieces of {step}");
                // Cut anywhere before its end, it has none.
                for cut in [1, 2, 9, image.len() / 2, image.len() - 1] {
                    assert_eq!(scanned(&image[..cut], step), None, "{name} cut at {cut}, pieces of {step}");
                }
            }
        }
        // Not an image, or an image whose structure is broken: no end.
        assert_eq!(scanned(b"<html>\xFF\xD9</html>", 1), None);
        assert_eq!(scanned(&[0xFF, 0xD8, 0x12, 0xFF, 0xD9], 1), None, "no marker after SOI");
        let mut bad = png();
        bad[PNG_SIGNATURE.len() + 4] = b'1';
        assert_eq!(scanned(&bad, 5), None, "a chunk type must be letters");
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
            decide_type(Some(MediaType::Png), open(b""), 0, "a.png", None, &Limits::default()),
            Err(EvidenceError::Empty)
        );
        assert_eq!(decide(Some(MediaType::Mp4), "r.mp4", None), Err(EvidenceError::UnsupportedType));
        let mp4 = Limits { allow_mp4: true, ..Limits::default() };
        assert_eq!(
            decide_type(Some(MediaType::Mp4), open(b""), 9, "r.mp4", Some("video/mp4"), &mp4),
            Ok(MediaType::Mp4)
        );
    }

    #[test]
    fn truncated_files_are_refused() {
        let l = Limits::default();
        // The end's bytes among the last ones are not enough: the structure must reach them.
        assert_eq!(
            decide_type(Some(MediaType::Png), open(PNG_END), 9, "a.png", None, &l),
            Err(EvidenceError::Incomplete)
        );
        assert_eq!(
            decide_type(Some(MediaType::Jpeg), open(&[0xFF, 0xD9]), 9, "a.jpg", None, &l),
            Err(EvidenceError::Incomplete)
        );
        assert_eq!(
            decide_type(Some(MediaType::Pdf), open(b"endobj\n"), 9, "a.pdf", None, &l),
            Err(EvidenceError::Incomplete)
        );
        let jpeg = jpeg();
        let ended = Ending { tail: &jpeg[jpeg.len() - 4..], image_end: Some(jpeg.len() as u64) };
        assert_eq!(decide_type(Some(MediaType::Jpeg), ended, 9, "a.jpg", None, &l), Ok(MediaType::Jpeg));
        assert_eq!(decide_type(Some(MediaType::Pdf), open(b"%%EOF\n\0\0"), 9, "a.pdf", None, &l), Ok(MediaType::Pdf));
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
