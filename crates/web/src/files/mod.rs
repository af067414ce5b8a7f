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

/// A text field, refused past `max` bytes without reading further.
async fn short_text(mut field: Field<'_>, name: &'static str, max: usize) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > max {
            return Err(ApiError::field(name, ErrorCode::FieldTooLong));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::field(name, ErrorCode::FieldInvalid))
}

fn sniff(head: &[u8]) -> Option<MediaType> {
    infer::get(head).and_then(|t| MediaType::from_mime(t.mime_type()))
}

/// A field a form with files may have besides them: text of at most `max_bytes`, or (`flag`)
/// a yes/no (`true`/`false`, or a checkbox's `on`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FormField {
    pub name: &'static str,
    pub max_bytes: usize,
    pub flag: bool,
}

pub(crate) const fn text_field(name: &'static str, max_bytes: usize) -> FormField {
    FormField { name, max_bytes, flag: false }
}

pub(crate) const fn flag_field(name: &'static str) -> FormField {
    FormField { name, max_bytes: 8, flag: true }
}

/// How many files one message carries at most.
pub const MAX_MESSAGE_FILES: usize = 3;

/// One file of a form, staged (hashed, its first and last bytes kept) and not yet checked.
pub struct Upload {
    name: String,
    declared: Option<String>,
    staged: redress_blobs::Staged,
    image_end: Option<u64>,
}

/// A file whose bytes passed the checks, ready to put in place.
pub(crate) struct Checked {
    pub filename: String,
    pub media_type: MediaType,
    pub staged: redress_blobs::Staged,
}

impl Upload {
    /// Decides the file's type from its bytes, against its name, its declared type and the
    /// limits (the same checks for evidence and for a message's files).
    pub(crate) fn check(self, limits: &redress_domain::evidence::Limits) -> Result<Checked, ApiError> {
        let filename = clean_filename(&self.name)?;
        // Bytes after an image's end (a phone's motion photo, padding) are kept as uploaded:
        // the original is only ever served as an attachment, and previews are re-encoded.
        let ending = Ending { tail: &self.staged.tail, image_end: self.image_end };
        let media_type = decide_type(
            sniff(&self.staged.head),
            ending,
            self.staged.size,
            &filename,
            self.declared.as_deref(),
            limits,
        )?;
        Ok(Checked { filename, media_type, staged: self.staged })
    }
}

/// Reads a multipart form: the fields of `spec` (into `T`, as a JSON object of them would
/// be) and at most `max_files` files named `file`, each streamed into staging under the size
/// limit. Anything else, or too much of it, is refused before more is read.
pub(crate) async fn read_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    mut form: Multipart,
    spec: &[FormField],
    max_files: usize,
) -> ApiResult<(T, Vec<Upload>)> {
    let max = state.evidence_limits.max_bytes;
    let (mut fields, mut files) = (serde_json::Map::new(), Vec::new());
    let mut count = 0;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        count += 1;
        if count > (spec.len() + max_files).max(MAX_FIELDS) {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::MultipartTooManyFields));
        }
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if files.len() == max_files {
                let code = if max_files == 1 { ErrorCode::EvidenceOneFile } else { ErrorCode::FilesTooMany };
                return Err(ApiError::field("file", code));
            }
            let file_name = field.file_name().unwrap_or("").to_owned();
            // A form's empty file input (nothing chosen) is no file.
            let declared = field.content_type().map(str::to_owned);
            let body = Box::pin(field.map_err(|e| e.body_text()));
            let mut scan = EndScan::new();
            let staged = state
                .blobs
                .stage_seen(body, max, &mut |piece| scan.feed(piece))
                .await
                .map_err(|e| blob_error(e, max))?;
            if file_name.is_empty() && staged.size == 0 {
                continue;
            }
            files.push(Upload { name: file_name, declared, staged, image_end: scan.image_end() });
            continue;
        }
        let Some(f) = spec.iter().find(|f| f.name == name) else {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::MultipartFieldUnknown));
        };
        let text = short_text(field, f.name, f.max_bytes).await?;
        let value = if f.flag {
            match text.trim() {
                "true" | "on" | "1" => serde_json::Value::Bool(true),
                "false" | "" | "0" => serde_json::Value::Bool(false),
                _ => return Err(ApiError::field(f.name, ErrorCode::FieldInvalid)),
            }
        } else {
            serde_json::Value::String(text)
        };
        fields.insert(name, value);
    }
    let fields = serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| {
        let text = e.to_string();
        let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput);
        if let Some(f) = crate::extract::field_of(&text) {
            err.fields.push(f);
        }
        err.detail(text)
    })?;
    Ok((fields, files))
}

/// The fields of an evidence upload besides its file.
#[derive(serde::Deserialize)]
struct EvidenceFields {
    kind: Option<String>,
    #[serde(default)]
    caption: String,
}

const EVIDENCE_FIELDS: [FormField; 2] = [text_field("kind", MAX_TEXT_BYTES), text_field("caption", MAX_TEXT_BYTES)];

/// Receives one upload for the buyer's application `no` (the API's and the pages').
pub(crate) async fn receive(
    state: &AppState,
    user: &User,
    no: &ApplicationRef,
    form: Multipart,
) -> ApiResult<Evidence> {
    let limits = state.evidence_limits;
    let target = state.app.upload_target(no, user, &limits).await?;
    let (fields, files): (EvidenceFields, _) = read_form(state, form, &EVIDENCE_FIELDS, 1).await?;
    let kind = match fields.kind.as_deref().map(str::trim) {
        Some(k) => EvidenceKind::parse(k).ok_or_else(|| ApiError::field("kind", ErrorCode::EvidenceKindUnknown))?,
        None => return Err(ApiError::field("kind", ErrorCode::EvidenceKindUnknown)),
    };
    let Some(upload) = files.into_iter().next() else {
        return Err(ApiError::field("file", ErrorCode::EvidenceFileMissing));
    };
    attach_evidence(state, user, &target.id, upload.check(&limits)?, (kind, fields.caption.trim().to_owned())).await
}

/// Attaches a checked file to application `id` as evidence of `kind` with `caption`.
pub(crate) async fn attach_evidence(
    state: &AppState,
    user: &User,
    id: &redress_domain::ids::ApplicationId,
    file: Checked,
    (kind, caption): (EvidenceKind, String),
) -> ApiResult<Evidence> {
    let Checked { filename, media_type, staged } = file;
    let sha256 = staged.sha256.clone();
    let new = EvidenceFile { sha256: sha256.clone(), size: staged.size, media_type, kind, caption, filename };
    // The bytes go to their address inside the transaction that records them.
    let blobs = state.blobs.clone();
    let put: redress_app::BlobAction =
        Box::new(move || Box::pin(async move { blobs.commit(staged).await.map(|_| ()).map_err(|e| e.to_string()) }));
    match state.app.attach_evidence(id, user, new, state.evidence_limits, put).await {
        Ok(e) => Ok(e),
        Err(e) => {
            // Nothing half-written: bytes put in place before a failed insert go again.
            state.app.forget_files(vec![sha256]).await;
            Err(e.into())
        }
    }
}

/// Runs `write` with `uploads` checked and ready to attach to the message it writes (none:
/// `None`); if it fails, bytes it put in place go again.
pub(crate) async fn carrying<T, F, Fut>(state: &AppState, uploads: Vec<Upload>, write: F) -> ApiResult<T>
where
    F: FnOnce(Option<redress_app::Attachments>) -> Fut,
    Fut: std::future::Future<Output = redress_app::Result<T>>,
{
    if uploads.is_empty() {
        return write(None).await.map_err(ApiError::from);
    }
    let limits = state.evidence_limits;
    let checked = uploads.into_iter().map(|u| u.check(&limits)).collect::<Result<Vec<_>, _>>()?;
    let shas: Vec<String> = checked.iter().map(|c| c.staged.sha256.clone()).collect();
    let files = checked
        .iter()
        .map(|c| redress_app::StoredFile {
            sha256: c.staged.sha256.clone(),
            size: c.staged.size,
            media_type: c.media_type,
            filename: c.filename.clone(),
        })
        .collect();
    let blobs = state.blobs.clone();
    let put: redress_app::BlobAction = Box::new(move || {
        Box::pin(async move {
            for c in checked {
                blobs.commit(c.staged).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    });
    let attachments = redress_app::Attachments { files, put, max_in_thread: limits.max_files };
    match write(Some(attachments)).await {
        Ok(v) => Ok(v),
        Err(e) => {
            state.app.forget_files(shas).await;
            Err(e.into())
        }
    }
}

/// A file of an application `user` may see, as an attachment that cannot run anything.
pub(crate) async fn file_response(state: &AppState, user: &User, no: &ApplicationRef, id: &str) -> ApiResult<Response> {
    let e = state.app.evidence_item(no, id, user).await?;
    attachment(state, &e.file.sha256, &e.file.filename, e.file.media_type).await
}

/// A file on a message, as an attachment that cannot run anything (who may see it is the
/// caller's to have decided).
pub(crate) async fn stored_response(state: &AppState, f: &redress_app::StoredFile) -> ApiResult<Response> {
    attachment(state, &f.sha256, &f.filename, f.media_type).await
}

async fn attachment(state: &AppState, sha256: &str, filename: &str, media_type: MediaType) -> ApiResult<Response> {
    let bytes = state.blobs.get(sha256).await.map_err(|err| blob_error(err, 0))?;
    let ascii: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encode(filename));
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type.mime()));
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

/// A request body of fields `T` that may carry files: a JSON object or a URL-encoded form of
/// the fields alone, or a multipart form of the fields and files.
pub enum Posted<T> {
    Fields(T),
    Multipart(Multipart),
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Posted<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let kind = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default();
        match kind.as_str() {
            "multipart/form-data" => match Multipart::from_request(req, state).await {
                Ok(m) => Ok(Posted::Multipart(m)),
                Err(e) => {
                    Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::MultipartMalformed).detail(e.body_text()))
                }
            },
            // The fields alone are bounded as every JSON body is (the route lifts the limit
            // for a multipart form, which bounds itself).
            form => {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, crate::JSON_BODY_LIMIT)
                    .await
                    .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BodyTooLarge))?;
                let req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
                if form == "application/x-www-form-urlencoded" {
                    let crate::extract::Form(v) = crate::extract::Form::<T>::from_request(req, state).await?;
                    Ok(Posted::Fields(v))
                } else {
                    let crate::extract::Json(v) = crate::extract::Json::<T>::from_request(req, state).await?;
                    Ok(Posted::Fields(v))
                }
            }
        }
    }
}

impl<T: serde::de::DeserializeOwned> Posted<T> {
    /// The fields, and the files if a multipart form carried them (at most `max_files`).
    pub(crate) async fn read(
        self,
        state: &AppState,
        spec: &[FormField],
        max_files: usize,
    ) -> ApiResult<(T, Vec<Upload>)> {
        match self {
            Posted::Fields(v) => Ok((v, Vec::new())),
            Posted::Multipart(form) => read_form(state, form, spec, max_files).await,
        }
    }
}
