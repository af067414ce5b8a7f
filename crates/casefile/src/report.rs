//! The case report as PDF: a title, then sections of labelled fields and paragraphs, laid out
//! on A4 pages with lines wrapped to the page (Chinese text may break between any two
//! characters, Latin text at spaces) and a footer with page numbers.

use crate::CaseError;
use crate::font::ReportFont;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::TextDirection;

/// What the report says, already in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    /// `zh-CN` or `en`, recorded in the PDF.
    pub language: String,
    pub sections: Vec<Section>,
    /// Printed at the foot of every page with the page number, e.g. the application number.
    pub footer: String,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// A label and its value side by side.
    Field(String, String),
    /// Running text, the full width of the page.
    Paragraph(String),
    /// A small grey line, e.g. a hash or a time under an item.
    Note(String),
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const LABEL_W: f32 = 118.0;
const VALUE_X: f32 = MARGIN + LABEL_W + 10.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 8.5;
const LEADING: f32 = 1.55;
const FOOTER_Y: f32 = PAGE_H - 30.0;
const BOTTOM: f32 = PAGE_H - MARGIN;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ink {
    Black,
    Grey,
    Accent,
}

impl Ink {
    fn fill(self) -> Fill {
        let (r, g, b) = match self {
            Ink::Black => (20, 20, 20),
            Ink::Grey => (105, 105, 105),
            Ink::Accent => (23, 92, 160),
        };
        Fill { paint: rgb::Color::new(r, g, b).into(), ..Fill::default() }
    }
}

enum Draw {
    Text { x: f32, y: f32, size: f32, ink: Ink, text: String },
    Rule { y: f32 },
}

/// Lays the report out into pages of things to draw.
struct Layout<'a> {
    font: &'a ReportFont,
    pages: Vec<Vec<Draw>>,
    y: f32,
}

impl Layout<'_> {
    fn new(font: &ReportFont) -> Layout<'_> {
        Layout { font, pages: vec![Vec::new()], y: MARGIN }
    }

    /// Makes room for `height` points, on a new page if this one is full.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn push(&mut self, d: Draw) {
        if let Some(page) = self.pages.last_mut() {
            page.push(d);
        }
    }

    /// Wrapped lines of `text` at `x`, `width` wide.
    fn lines(&mut self, x: f32, width: f32, size: f32, ink: Ink, text: &str) {
        for line in wrap(self.font, text, size, width) {
            self.room(size * LEADING);
            self.y += size * LEADING;
            self.push(Draw::Text { x, y: self.y - size * 0.35, size, ink, text: line });
        }
    }

    fn section(&mut self, s: &Section) {
        self.room(60.0);
        self.y += 14.0;
        self.lines(MARGIN, TEXT_W, 13.0, Ink::Accent, &s.heading);
        self.y += 3.0;
        self.push(Draw::Rule { y: self.y });
        self.y += 4.0;
        for b in &s.blocks {
            match b {
                Block::Field(label, value) => {
                    let label_lines = wrap(self.font, label, SMALL + 0.5, LABEL_W);
                    let value_lines = wrap(self.font, value, BODY, PAGE_W - MARGIN - VALUE_X);
                    let rows = label_lines.len().max(value_lines.len());
                    self.room(BODY * LEADING * rows.min(4) as f32);
                    let top = self.y;
                    for (i, l) in label_lines.into_iter().enumerate() {
                        let y = top + BODY * LEADING * (i as f32 + 1.0) - BODY * 0.35;
                        self.push(Draw::Text { x: MARGIN, y, size: SMALL + 0.5, ink: Ink::Grey, text: l });
                    }
                    for l in value_lines {
                        self.room(BODY * LEADING);
                        self.y += BODY * LEADING;
                        self.push(Draw::Text {
                            x: VALUE_X,
                            y: self.y - BODY * 0.35,
                            size: BODY,
                            ink: Ink::Black,
                            text: l,
                        });
                    }
                    self.y = self.y.max(top + BODY * LEADING * rows as f32).min(BOTTOM);
                }
                Block::Paragraph(text) => {
                    self.y += 2.0;
                    self.lines(MARGIN, TEXT_W, BODY, Ink::Black, text);
                }
                Block::Note(text) => self.lines(MARGIN + 12.0, TEXT_W - 12.0, SMALL, Ink::Grey, text),
            }
        }
    }
}

/// Splits `text` into lines no wider than `width` at `size` points: at newlines, at spaces,
/// and between Chinese characters; a word longer than a line is cut.
fn wrap(font: &ReportFont, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        // Where the line may be cut: the byte index its first part ends at.
        let mut cut: Option<usize> = None;
        for c in para.chars() {
            if line.is_empty() && c == ' ' {
                continue;
            }
            let wide = is_wide(c);
            if wide && !line.is_empty() {
                cut = Some(line.len());
            }
            line.push(c);
            if font.width(&line, size) > width && line.chars().count() > 1 {
                let at = cut.filter(|&i| i > 0 && i < line.len()).unwrap_or(line.len() - c.len_utf8());
                let rest = line.split_off(at);
                out.push(line.trim_end().to_owned());
                line = rest.trim_start().to_owned();
                cut = None;
            }
            if c == ' ' || wide {
                cut = Some(line.len());
            }
        }
        out.push(line);
    }
    out
}

/// Characters a line may break before and after (CJK and full-width forms).
fn is_wide(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// The report laid out: per page, what to draw.
fn layout(report: &Report, font: &ReportFont) -> Vec<Vec<Draw>> {
    let mut l = Layout::new(font);
    l.lines(MARGIN, TEXT_W, 18.0, Ink::Black, &report.title);
    if !report.subtitle.is_empty() {
        l.y += 2.0;
        l.lines(MARGIN, TEXT_W, BODY, Ink::Grey, &report.subtitle);
    }
    for s in &report.sections {
        l.section(s);
    }
    l.pages
}

/// Renders the report as a PDF document.
pub fn render_pdf(report: &Report, font: &ReportFont) -> Result<Vec<u8>, CaseError> {
    let pages = layout(report, font);
    let total = pages.len();
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new().title(report.title.clone()).language(report.language.clone()).creator("Redress".to_owned()),
    );
    let settings = || PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| CaseError::Pdf("page size".to_owned()));
    for (i, draws) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut surface = page.surface();
        let footer = format!("{}    {}/{}", report.footer, i + 1, total);
        let footer_draw = Draw::Text { x: MARGIN, y: FOOTER_Y, size: SMALL, ink: Ink::Grey, text: footer };
        for d in draws.iter().chain(std::iter::once(&footer_draw)) {
            match d {
                Draw::Text { x, y, size, ink, text } => {
                    surface.set_fill(Some(ink.fill()));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.pdf.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Draw::Rule { y } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(MARGIN, *y, TEXT_W, 0.6) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(Ink::Accent.fill()));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| CaseError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The installed CJK font; tests that need it are skipped without one, unless
    /// REDRESS_REQUIRE_PDF_TOOLS is set (as in CI).
    fn font() -> Option<ReportFont> {
        let found = ReportFont::locate(None);
        if std::env::var_os("REDRESS_REQUIRE_PDF_TOOLS").is_some() {
            return Some(found.expect("REDRESS_REQUIRE_PDF_TOOLS is set"));
        }
        found.ok()
    }

    #[test]
    fn lines_fit_the_width_and_keep_every_character() {
        let Some(f) = font() else {
            eprintln!("skipping: no CJK font installed");
            return;
        };
        let text = "买家申请退款，理由是交付数量不足。The buyer says only 600 of 1000 likes arrived by the deadline, \
                    and asks for the pro-rata refund.\nSHA-256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let lines = wrap(&f, text, BODY, 200.0);
        assert!(lines.len() > 4, "{lines:?}");
        for l in &lines {
            assert!(f.width(l, BODY) <= 200.0, "{l:?} is {} wide", f.width(l, BODY));
        }
        let joined: String = lines.concat().chars().filter(|c| !c.is_whitespace()).collect();
        let original: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, original);
        // Latin text breaks at spaces, not inside words (only a word longer than a line is cut).
        let words: Vec<&str> = text.split_whitespace().collect();
        for token in lines.iter().flat_map(|l| l.split_whitespace()) {
            let whole = words.contains(&token) || token.chars().any(is_wide);
            assert!(whole || words.iter().any(|w| w.len() > 40 && w.contains(token)), "{token:?} in {lines:?}");
        }
    }

    #[test]
    fn a_long_report_runs_onto_numbered_pages() {
        let Some(f) = font() else {
            eprintln!("skipping: no CJK font installed");
            return;
        };
        let report = Report {
            title: "退款案卷 RF-20261125-ABCDEF".into(),
            subtitle: "生成于 2026-11-25".into(),
            language: "zh-CN".into(),
            footer: "RF-20261125-ABCDEF".into(),
            sections: vec![Section {
                heading: "时间线".into(),
                blocks: (0..120).map(|i| Block::Field(format!("事件 {i}"), "买家提交了申请。".repeat(3))).collect(),
            }],
        };
        let pages = layout(&report, &f);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        for page in &pages {
            for d in page {
                if let Draw::Text { y, .. } = d {
                    assert!(*y > MARGIN && *y <= BOTTOM, "drawn at {y}, outside the page's text area");
                }
            }
        }
        let pdf = render_pdf(&report, &f).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
