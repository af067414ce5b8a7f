//! Evidence files, for the API and the pages alike: an upload received as a stream (staged,
//! hashed, typed from its bytes, attached under the use case's rules), a file served as an
//! attachment that cannot run anything, a discarded draft's files removed, Redress's own
//! snapshot of each new submission, and (in [`preview`]) the thumbnails and previews drawn
//! from a file's pixels.

pub mod preview;

use crate::AppState;
use crate::codes::ErrorCode;
use crate::error::blob_error;
use crate::error::{ApiError, ApiResult};
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use redress_app::{Evidence, EvidenceFile, User};
use redress_domain::evidence::{EndScan, Ending, EvidenceKind, MediaType, clean_filename, decide_type};
use redress_domain::ids::ApplicationRef;

/// The longest text field an upload form takes.
const MAX_TEXT_BYTES: usize = 2000;
/// Fields an upload form may have.
const MAX_FIELDS: usize = 8;

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge)
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::MultipartMalformed).detail(e.body_text())
    }
}

/// A text field, refused past [`MAX_TEXT_BYTES`] without reading further.
async fn short_text(mut field: Field<'_>, name: &'static str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_BYTES {
            return Err(ApiError::field(name, ErrorCode::FieldTooLong));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::field(name, ErrorCode::FieldInvalid))
}

fn sniff(head: &[u8]) -> Option<MediaType> {
    infer::get(head).and_then(|t| MediaType::from_mime(t.mime_type()))
}

/// Receives one upload for the buyer's application `no` (the API's and the pages').
pub(crate) async fn receive(
    state: &AppState,
    user: &User,
    no: &ApplicationRef,
    mut form: Multipart,
) -> ApiResult<Evidence> {
    let no = no.clone();
    let limits = state.evidence_limits;
    let target = state.app.upload_target(&no, user, &limits).await?;
    let (mut kind, mut caption, mut file) = (None, String::new(), None);
    let mut fields = 0;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::MultipartTooManyFields));
        }
        match field.name().unwrap_or("") {
            "kind" => kind = Some(short_text(field, "kind").await?),
            "caption" => caption = short_text(field, "caption").await?,
            "file" if file.is_some() => return Err(ApiError::field("file", ErrorCode::EvidenceOneFile)),
            "file" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let declared = field.content_type().map(str::to_owned);
                let body = Box::pin(field.map_err(|e| e.body_text()));
                let mut scan = EndScan::new();
                let staged = state
                    .blobs
                    .stage_seen(body, limits.max_bytes, &mut |piece| scan.feed(piece))
                    .await
                    .map_err(|e| blob_error(e, limits.max_bytes))?;
                file = Some((name, declared, staged, scan.image_end()));
            }
            _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::MultipartFieldUnknown)),
        }
    }
    let kind = match kind.as_deref().map(str::trim) {
        Some(k) => EvidenceKind::parse(k).ok_or_else(|| ApiError::field("kind", ErrorCode::EvidenceKindUnknown))?,
        None => return Err(ApiError::field("kind", ErrorCode::EvidenceKindUnknown)),
    };
    let Some((name, declared, staged, image_end)) = file else {
        return Err(ApiError::field("file", ErrorCode::EvidenceFileMissing));
    };
    let filename = clean_filename(&name)?;
    // Bytes after an image's end (a phone's motion photo, padding) are kept as uploaded: the
    // original is only ever served as an attachment, and previews are re-encoded.
    let ending = Ending { tail: &staged.tail, image_end };
    let media_type = decide_type(sniff(&staged.head), ending, staged.size, &filename, declared.as_deref(), &limits)?;
    let sha256 = staged.sha256.clone();
    let new = EvidenceFile {
        sha256: sha256.clone(),
        size: staged.size,
        media_type,
        kind,
        caption: caption.trim().to_owned(),
        filename,
    };
    // The bytes go to their address inside the transaction that records them.
    let blobs = state.blobs.clone();
    let put: redress_app::BlobAction =
        Box::new(move || Box::pin(async move { blobs.commit(staged).await.map(|_| ()).map_err(|e| e.to_string()) }));
    match state.app.attach_evidence(&target.id, user, new, limits, put).await {
        Ok(e) => Ok(e),
        Err(e) => {
            // Nothing half-written: bytes put in place before a failed insert go again.
            state.app.forget_files(vec![sha256]).await;
            Err(e.into())
        }
    }
}

/// A file of an application `user` may see, as an attachment that cannot run anything.
pub(crate) async fn file_response(state: &AppState, user: &User, no: &ApplicationRef, id: &str) -> ApiResult<Response> {
    let e = state.app.evidence_item(no, id, user).await?;
    let bytes = state.blobs.get(&e.file.sha256).await.map_err(|err| blob_error(err, 0))?;
    let ascii: String =
        e.file.filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encode(&e.file.filename));
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(e.file.media_type.mime()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(res)
}

/// A file name as it goes into a `filename*=` header or a URL.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
