//! Previews and thumbnails of evidence, safe to show inline.
//!
//! The rule: nothing a buyer uploaded is ever shown inline as it is; only pixels Redress drew
//! itself are. An image is decoded (with limits on its dimensions and memory, so a
//! decompression bomb is refused) and re-encoded from its pixels — PNG stays PNG, JPEG stays
//! JPEG, turned upright per its EXIF orientation — so whatever else the file carried (HTML
//! behind a JPEG, metadata) is gone. A PDF's first page is rasterised by hayro, a pure-Rust
//! renderer that runs no JavaScript, follows no links and loads nothing, into a PNG; the PDF
//! itself is only ever downloaded as an attachment. Results are served with
//! `Content-Security-Policy: default-src 'none'; sandbox` and `nosniff`. Thumbnails are at most
//! 240 px, previews at most 1600 px; both are computed on request on a thread of their own (a
//! large stack for deeply nested documents), at most two at a time, and cached by the browser
//! (the bytes behind an id never change, so the ETag is the file's SHA-256 and the size).

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::{ApiError, ApiResult};
use crate::extract::application_ref;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbaImage};
use redress_app::User;
use redress_domain::evidence::MediaType;
use std::io::Cursor;
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// How large a view of an image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Thumbnail,
    Preview,
}

impl Size {
    fn max_side(self) -> u32 {
        match self {
            Size::Thumbnail => 240,
            Size::Preview => 1600,
        }
    }

    /// From the last part of a page's path: `thumb` or `preview`.
    pub fn parse(name: &str) -> Option<Size> {
        [Size::Thumbnail, Size::Preview].into_iter().find(|s| s.name() == name)
    }

    fn name(self) -> &'static str {
        match self {
            Size::Thumbnail => "thumb",
            Size::Preview => "preview",
        }
    }
}

/// Decoding is CPU- and memory-heavy: at most this many at once.
static DECODERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// The stack of a preview thread: parsers of nested documents recurse.
const PREVIEW_STACK: usize = 32 * 1024 * 1024;

/// The largest image side decoded, and the most memory one decode may take.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Why a file has no preview.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("{0}")]
    Image(#[from] image::ImageError),
    #[error("PDF: {0}")]
    Pdf(String),
    #[error("no preview for this type")]
    Unsupported,
}

/// The preview of `bytes`, at most `size` on a side, and its type: an image re-encoded in its
/// own format, a PDF's first page as PNG.
pub fn render(bytes: &[u8], media_type: MediaType, size: Size) -> Result<(Vec<u8>, MediaType), PreviewError> {
    match media_type {
        MediaType::Png | MediaType::Jpeg => Ok((reencode(bytes, media_type, size)?, media_type)),
        MediaType::Pdf => Ok((first_page(bytes, size)?, MediaType::Png)),
        _ => Err(PreviewError::Unsupported),
    }
}

/// The first page of a PDF on white, scaled to fit `size` (never above twice its size), as PNG.
fn first_page(bytes: &[u8], size: Size) -> Result<Vec<u8>, PreviewError> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::Pdf;
    use hayro::vello_cpu::color::palette::css::WHITE;
    let pdf = Pdf::new(bytes.to_vec()).map_err(|e| PreviewError::Pdf(format!("{e:?}")))?;
    let page = pdf.pages().first().ok_or_else(|| PreviewError::Pdf("no pages".to_owned()))?;
    let (w, h) = page.render_dimensions();
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0) {
        return Err(PreviewError::Pdf(format!("page size {w}×{h}")));
    }
    let scale = (size.max_side() as f32 / w.max(h)).min(2.0);
    let settings = hayro::PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE };
    let cache = hayro::RenderCache::new();
    let pixmap =
        hayro::render(page, &cache, &InterpreterSettings::default(), &hayro::RenderSettings::default(), &settings);
    // Drawn on opaque white, so premultiplied and straight alpha are the same.
    let img =
        RgbaImage::from_raw(u32::from(pixmap.width()), u32::from(pixmap.height()), pixmap.data_as_u8_slice().to_vec())
            .ok_or_else(|| PreviewError::Pdf("empty page".to_owned()))?;
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(img).to_rgb8().write_to(&mut out, ImageFormat::Png).map_err(PreviewError::Image)?;
    Ok(out.into_inner())
}

/// Decodes `bytes` and re-encodes them at most `size` on a side, in the same format.
pub fn reencode(bytes: &[u8], media_type: MediaType, size: Size) -> Result<Vec<u8>, image::ImageError> {
    let format = match media_type {
        MediaType::Png => ImageFormat::Png,
        _ => ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let side = size.max_side();
    if img.width() > side || img.height() > side {
        img = img.thumbnail(side, side);
    }
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Png => img.write_to(&mut out, ImageFormat::Png)?,
        _ => {
            let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
            rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85))?;
        }
    }
    Ok(out.into_inner())
}

/// The re-encoded view of an image evidence file `user` may see.
pub(crate) async fn image_response(
    state: &AppState,
    user: &User,
    no: &str,
    id: &str,
    size: Size,
    request: &HeaderMap,
) -> ApiResult<Response> {
    let no = application_ref(no)?;
    let e = state.app.evidence_item(&no, id, user).await?;
    if !e.file.media_type.previewable() {
        return Err(ApiError::not_found());
    }
    let etag = format!("\"{}-{}\"", e.file.sha256, size.name());
    let cache = HeaderValue::from_static("private, max-age=31536000, immutable");
    if request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().insert(header::CACHE_CONTROL, cache);
        return Ok(res);
    }
    let bytes = state.blobs.get(&e.file.sha256).await.map_err(|err| {
        tracing::error!(error = %err, sha = %e.file.sha256, "evidence file missing from the store");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
    })?;
    let _permit =
        DECODERS.acquire().await.map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal))?;
    let media_type = e.file.media_type;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new().name("preview".into()).stack_size(PREVIEW_STACK).spawn(move || {
        // The request waiting for it may have gone (the client hung up): nothing to tell it.
        tx.send(render(&bytes, media_type, size)).ok();
    });
    if let Err(err) = spawned {
        tracing::error!(error = %err, "preview thread");
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal));
    }
    let (encoded, out_type) = match rx.await {
        Ok(Ok(done)) => done,
        Ok(Err(err)) => {
            // Accepted as evidence (its type and ending checked) but not drawable here: the
            // page falls back to the download link.
            tracing::warn!(error = %err, id, "cannot preview a file");
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PreviewUnavailable));
        }
        Err(_) => {
            tracing::error!(id, "the preview thread stopped without an answer");
            return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal));
        }
    };
    let mut res = encoded.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(out_type.mime()));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, cache);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        }));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("png");
        out.into_inner()
    }

    #[test]
    fn images_are_rebuilt_from_their_pixels_and_shrunk() {
        let mut original = png(2000, 1000);
        // Whatever follows the image is not carried over.
        original.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let thumb = reencode(&original, MediaType::Png, Size::Thumbnail).expect("thumb");
        let t = image::load_from_memory(&thumb).expect("a PNG");
        assert_eq!((t.width(), t.height()), (240, 120));
        assert!(!thumb.windows(6).any(|w| w == b"<html>"));
        let preview = reencode(&original, MediaType::Png, Size::Preview).expect("preview");
        assert_eq!(image::load_from_memory(&preview).expect("png").width(), 1600);
        let small = reencode(&png(100, 50), MediaType::Png, Size::Preview).expect("small");
        assert_eq!(image::load_from_memory(&small).expect("png").width(), 100, "never enlarged");
    }

    #[test]
    fn no_preview_without_a_page_or_of_other_types() {
        assert!(render(b"%PDF-1.4\n%%EOF\n", MediaType::Pdf, Size::Thumbnail).is_err());
        assert!(matches!(render(b"{}", MediaType::Json, Size::Thumbnail), Err(PreviewError::Unsupported)));
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn a_decompression_bomb_and_garbage_are_refused() {
        // A well-formed PNG header (its checksum right) claiming 50 000 × 50 000 pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = reencode(&bomb, MediaType::Png, Size::Thumbnail).expect_err("refused");
        assert!(matches!(err, image::ImageError::Limits(_)), "refused for its size, not its bytes: {err}");
        assert!(reencode(b"\xFF\xD8\xFF\xE0 not really a jpeg", MediaType::Jpeg, Size::Thumbnail).is_err());
    }
}
