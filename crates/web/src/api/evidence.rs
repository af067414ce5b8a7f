//! Evidence files on an application: upload (multipart, streamed into the evidence store with
//! the size limit enforced while it streams), list, and download as an attachment.
//!
//! The request body of an upload is bounded without a global limit: at most a few short text
//! fields (`kind`, `caption`) and one file, which the store refuses as soon as it passes the
//! limit. Checks that need no bytes (whose application, does it take files) come first.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::{AuthUser, Buyer, application_no};
use crate::i18n::Lang;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use jiff::Timestamp;
use redress_blobs::BlobError;
use redress_domain::application::Application;
use redress_domain::evidence::{EvidenceError, EvidenceKind, MediaType, clean_filename, decide_type};
use redress_store::{Evidence, EvidenceFile, User};
use serde::Serialize;
use utoipa::ToSchema;

/// The longest text field of an upload form, in bytes.
const MAX_TEXT_BYTES: usize = 2000;
/// Fields an upload form may have.
const MAX_FIELDS: usize = 8;

#[derive(Serialize, ToSchema)]
pub struct EvidenceDto {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub filename: String,
    pub caption: String,
    pub uploaded_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: Timestamp,
    /// Redress's own snapshot taken at submission, not a buyer's file.
    pub system: bool,
    /// Where to download it.
    pub href: String,
    /// Whether the pages show a thumbnail and a preview (images rebuilt from their pixels, a
    /// PDF's first page drawn by Redress).
    pub previewable: bool,
}

impl EvidenceDto {
    pub fn new(e: &Evidence, lang: Lang) -> EvidenceDto {
        EvidenceDto {
            id: e.id.clone(),
            kind: e.file.kind.as_str().to_owned(),
            kind_label: lang.t(&format!("evidence-kind-{}", e.file.kind.as_str())),
            media_type: e.file.media_type.mime().to_owned(),
            size: e.file.size,
            sha256: e.file.sha256.clone(),
            filename: e.file.filename.clone(),
            caption: e.file.caption.clone(),
            uploaded_by: e.uploaded_by.clone(),
            uploaded_at: e.uploaded_at,
            system: e.system,
            href: format!("/api/v1/applications/{}/evidence/{}", e.application_no, e.id),
            previewable: e.file.media_type.previewable(),
        }
    }
}

/// The form of an upload, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One of payment_record, service_agreement, delivery_progress, chat_log,
    /// third_party_report, screen_recording, notarised_document, other.
    kind: String,
    caption: Option<String>,
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

impl From<EvidenceError> for ApiError {
    fn from(e: EvidenceError) -> ApiError {
        let (status, field) = match e {
            EvidenceError::Closed => (StatusCode::CONFLICT, None),
            EvidenceError::TooManyFiles { .. } => (StatusCode::UNPROCESSABLE_ENTITY, None),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, Some("file")),
        };
        let mut err = ApiError::new(status, e.code());
        if let EvidenceError::TooManyFiles { max } = e {
            err = err.arg("count", max.to_string());
        }
        if let Some(f) = field {
            err.fields.push(FieldError::new(f, e.code()));
        }
        err
    }
}

fn blob_error(e: BlobError, max: u64) -> ApiError {
    match e {
        BlobError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "evidence-too-large")
            .arg("size", format!("{:.1}", max as f64 / (1024.0 * 1024.0))),
        BlobError::Read(detail) => ApiError::new(StatusCode::BAD_REQUEST, "upload-interrupted").detail(detail),
        BlobError::NotFound(_) | BlobError::BadAddress(_) => ApiError::not_found(),
        other => {
            tracing::error!(error = %other, "evidence store");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large")
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "multipart-malformed").detail(e.body_text())
    }
}

/// A text field, refused past [`MAX_TEXT_BYTES`] without reading further.
async fn short_text(mut field: Field<'_>, name: &'static str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_BYTES {
            return Err(ApiError::field(name, "field-too-long"));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| ApiError::field(name, "field-invalid"))
}

/// How many snapshots one pass of [`take_snapshots`] takes at most.
pub const SNAPSHOT_BATCH: usize = 50;

/// Attaches Redress's own snapshot to every submission that lacks one: the order as it stands,
/// the policy version the buyer accepted (its clauses and when it was accepted) and the
/// delivery ledger, as JSON, marked as system-generated. `serve` runs it every second, so a
/// submission gets its snapshot within about a second and the request pays nothing for it;
/// applications made outside the web layer (the demo's, an import) get theirs the same way.
/// `since` bounds the scan to submissions from then on (`None`: all of them). Returns how many
/// it took.
pub async fn take_snapshots(state: &AppState, since: Option<Timestamp>) -> Result<usize, ApiError> {
    let missing = state.store.missing_snapshots(since.unwrap_or(Timestamp::UNIX_EPOCH), SNAPSHOT_BATCH).await?;
    // The files first (no database writer held), then every row in one transaction.
    let mut files = Vec::with_capacity(missing.len());
    for a in &missing {
        match take_snapshot(state, a).await {
            Ok(file) => files.push((a.no.clone(), file)),
            Err(e) => tracing::error!(no = %a.no, error = ?e.code, "could not take the system snapshot"),
        }
    }
    if files.is_empty() {
        return Ok(missing.len());
    }
    let nos: Vec<_> = files.iter().map(|(no, _)| no.clone()).collect();
    let attached = state.store.add_system_evidence_batch(files, state.app.now()).await?;
    for (no, done) in nos.iter().zip(attached) {
        match done {
            Ok(_) => {}
            // Another instance got there first.
            Err(redress_store::StoreError::Exists(_)) => {}
            Err(e) => tracing::error!(no = %no, error = %e, "could not attach the system snapshot"),
        }
    }
    Ok(missing.len())
}

async fn take_snapshot(state: &AppState, a: &Application) -> ApiResult<EvidenceFile> {
    let now = state.app.now();
    let order = state.store.order(&a.order_no).await?;
    let policy = state.store.policy(order.policy_version).await?;
    let ledger = state.store.deliveries(&a.order_no).await?;
    let body = serde_json::json!({
        "redress_snapshot": 1,
        "application_no": a.no.to_string(),
        "taken_at": now,
        "application": {
            "reason": a.reason.as_str(),
            "requested_fen": a.requested.0,
            "submitted_at": a.submitted_at,
            "description": a.description,
        },
        "order": order,
        "policy": {
            "version": policy.version,
            "title": policy.title,
            "clauses": policy.clauses,
            "accepted_at": order.policy_accepted_at,
        },
        "delivery_ledger": ledger,
    });
    let bytes = axum::body::Bytes::from(serde_json::to_vec_pretty(&body).unwrap_or_default());
    let stream = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
    let staged = state.blobs.stage(stream, u64::MAX).await.map_err(|e| blob_error(e, 0))?;
    let blob = state.blobs.commit(staged).await.map_err(|e| blob_error(e, 0))?;
    Ok(EvidenceFile {
        sha256: blob.sha256,
        size: blob.size,
        media_type: MediaType::Json,
        kind: EvidenceKind::Other,
        caption: String::new(),
        filename: format!("redress-snapshot-{}.json", a.no),
    })
}

/// Removes from the evidence store the files of a discarded draft that nothing else refers
/// to, under the store's lock on those bytes (an upload attaching the same bytes elsewhere at
/// that moment keeps them). A failure only leaves an unreferenced file behind, so it is
/// logged, not reported.
pub async fn forget(state: &AppState, files: Vec<String>) {
    for sha in files {
        let blobs = state.blobs.clone();
        let target = sha.clone();
        let remove: redress_store::BlobAction =
            Box::new(move || Box::pin(async move { blobs.delete(&target).await.map_err(|e| e.to_string()) }));
        if let Err(e) = state.store.remove_blob_if_unreferenced(&sha, remove).await {
            tracing::warn!(error = %e, %sha, "could not remove a discarded draft's file");
        }
    }
}

fn sniff(head: &[u8]) -> Option<MediaType> {
    infer::get(head).and_then(|t| MediaType::from_mime(t.mime_type()))
}

#[utoipa::path(post, path = "/api/v1/applications/{no}/evidence", tag = "buyer", security(("session" = [])),
    params(("no" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Buyer(user): Buyer,
    lang: Lang,
    Path(no): Path<String>,
    form: Multipart,
) -> ApiResult<(StatusCode, axum::Json<EvidenceDto>)> {
    let e = receive(&state, &user, &no, form).await?;
    Ok((StatusCode::CREATED, axum::Json(EvidenceDto::new(&e, lang))))
}

/// Receives one upload for the buyer's application `no` (the API's and the pages').
pub(crate) async fn receive(state: &AppState, user: &User, no: &str, mut form: Multipart) -> ApiResult<Evidence> {
    let no = application_no(no)?;
    let limits = state.evidence_limits;
    state.app.upload_target(&no, user, &limits).await?;
    let (mut kind, mut caption, mut file) = (None, String::new(), None);
    let mut fields = 0;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "multipart-too-many-fields"));
        }
        match field.name().unwrap_or("") {
            "kind" => kind = Some(short_text(field, "kind").await?),
            "caption" => caption = short_text(field, "caption").await?,
            "file" if file.is_some() => return Err(ApiError::field("file", "evidence-one-file")),
            "file" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let declared = field.content_type().map(str::to_owned);
                let body = Box::pin(field.map_err(|e| e.body_text()));
                let staged =
                    state.blobs.stage(body, limits.max_bytes).await.map_err(|e| blob_error(e, limits.max_bytes))?;
                file = Some((name, declared, staged));
            }
            _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "multipart-field-unknown")),
        }
    }
    let kind = match kind.as_deref().map(str::trim) {
        Some(k) => EvidenceKind::parse(k).ok_or_else(|| ApiError::field("kind", "evidence-kind-unknown"))?,
        None => return Err(ApiError::field("kind", "evidence-kind-unknown")),
    };
    let Some((name, declared, staged)) = file else {
        return Err(ApiError::field("file", "evidence-file-missing"));
    };
    let filename = clean_filename(&name)?;
    let media_type =
        decide_type(sniff(&staged.head), &staged.tail, staged.size, &filename, declared.as_deref(), &limits)?;
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
    let put: redress_store::BlobAction =
        Box::new(move || Box::pin(async move { blobs.commit(staged).await.map(|_| ()).map_err(|e| e.to_string()) }));
    match state.app.attach_evidence(&no, user, new, limits, put).await {
        Ok(e) => Ok(e),
        Err(e) => {
            // Nothing half-written: bytes put in place before a failed insert go again.
            forget(state, vec![sha256]).await;
            Err(e.into())
        }
    }
}

#[utoipa::path(get, path = "/api/v1/applications/{no}/evidence", tag = "buyer", security(("session" = [])),
    params(("no" = String, Path)),
    responses((status = 200, body = Vec<EvidenceDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<String>,
) -> ApiResult<axum::Json<Vec<EvidenceDto>>> {
    let no = application_no(&no)?;
    let items = state.app.evidence_of(&no, &user).await?;
    Ok(axum::Json(items.iter().map(|e| EvidenceDto::new(e, lang)).collect()))
}

/// The file, always as an attachment, with a policy that forbids running anything in it.
#[utoipa::path(get, path = "/api/v1/applications/{no}/evidence/{id}", tag = "buyer", security(("session" = [])),
    params(("no" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path((no, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    file_response(&state, &user, &no, &id).await
}

/// A file of an application `user` may see, as an attachment that cannot run anything.
pub(crate) async fn file_response(state: &AppState, user: &User, no: &str, id: &str) -> ApiResult<Response> {
    let no = application_no(no)?;
    let e = state.app.evidence_item(&no, id, user).await?;
    let bytes = state.blobs.get(&e.file.sha256).await.map_err(|err| blob_error(err, 0))?;
    let ascii: String =
        e.file.filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition =
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::pages::encode(&e.file.filename));
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(e.file.media_type.mime()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(res)
}
