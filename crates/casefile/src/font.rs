//! The report's font: one face that covers Chinese and Latin (PDF viewers do no fallback), and
//! the width of text in it, for wrapping lines.

use crate::CaseError;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where Debian and Ubuntu put fonts that cover both (`fonts-wqy-microhei`,
/// `fonts-wqy-zenhei`, `fonts-noto-cjk`); the first that exists is used unless one is configured.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// A loaded font face, cheap to clone.
#[derive(Clone)]
pub struct ReportFont {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) pdf: krilla::text::Font,
    /// Advance widths in em, by character.
    widths: Arc<Mutex<HashMap<char, f32>>>,
}

impl std::fmt::Debug for ReportFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportFont").field("bytes", &self.data.len()).field("index", &self.index).finish()
    }
}

impl ReportFont {
    /// The configured font file, or the first of [`FONT_CANDIDATES`] that exists.
    pub fn locate(configured: Option<&Path>) -> Result<ReportFont, CaseError> {
        let path: PathBuf = match configured {
            Some(p) => p.to_owned(),
            None => FONT_CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists()).ok_or_else(|| {
                CaseError::Font(
                    "install fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set REDRESS_REPORT_FONT \
                     to a TrueType/OpenType font with Chinese characters"
                        .to_owned(),
                )
            })?,
        };
        let data = std::fs::read(&path).map_err(|e| CaseError::Font(format!("{}: {e}", path.display())))?;
        ReportFont::from_bytes(data, 0).map_err(|e| CaseError::Font(format!("{}: {e}", path.display())))
    }

    /// A face of a font file (a collection's first face is 0).
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<ReportFont, CaseError> {
        let data = Arc::new(data);
        let face = FontRef::from_index(&data, index).map_err(|e| CaseError::Font(e.to_string()))?;
        if face.charmap().map('退').is_none() || face.charmap().map('R').is_none() {
            return Err(CaseError::Font("the font lacks Chinese or Latin characters".to_owned()));
        }
        let pdf = krilla::text::Font::new(data.clone().into(), index)
            .ok_or_else(|| CaseError::Font("krilla cannot read the font".to_owned()))?;
        Ok(ReportFont { data, index, pdf, widths: Arc::default() })
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c)).sum::<f32>() * size
    }

    fn char_width(&self, c: char) -> f32 {
        let mut cache = self.widths.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = cache.get(&c) {
            return *w;
        }
        let w = FontRef::from_index(&self.data, self.index)
            .ok()
            .and_then(|f| {
                let gid = f.charmap().map(c)?;
                f.glyph_metrics(Size::new(1.0), LocationRef::default()).advance_width(gid)
            })
            // A character the font lacks is drawn as a box about an em wide.
            .unwrap_or(1.0);
        cache.insert(c, w);
        w
    }
}
