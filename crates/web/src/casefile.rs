//! Case files (docs/product.md §5): gathers an application's order, policy,
//! entitlement, ledger, timeline, decision, evidence and audit entries, writes the report in the
//! reader's language and the ZIP (`redress-casefile`), for the buyer who owns it and for staff,
//! on the API, the pages and `redress export case`.

use crate::AppState;
use crate::codes::ErrorCode;
use crate::dto::TimelineDto;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::extract::{AuthUser, application_ref};
use crate::i18n::{Lang, local_time};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redress_app::Case;
use redress_app::User;
use redress_casefile::{Block, CaseWriter, Report, Section};
use redress_domain::casefile::{AuditProof, ChainHead};
use redress_domain::ids::ApplicationRef;
use redress_domain::order::latest_delivered;
use serde::Deserialize;
use std::io::Seek;

/// The file name a case file is offered under.
pub fn file_name(no: &impl std::fmt::Display) -> String {
    format!("{no}-case-file.zip")
}

/// Writes the case file of `no`, as `viewer` may see it, into `out`; returns `out`, rewound.
/// The audit chain and the system snapshot are brought up to date first, so the file holds
/// every entry there is.
pub async fn write_case_file(
    state: &AppState,
    viewer: &User,
    r: &ApplicationRef,
    lang: Lang,
    out: std::fs::File,
) -> ApiResult<std::fs::File> {
    let Some(case) = state.app.case(r, viewer).await? else {
        return Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::CaseDraft));
    };
    let font = state.report_font()?;
    let now = state.app.now();
    let Case { view, no, policy, ledger, entitlement: ent, evidence, threads, tickets, audit: entries, records, head } =
        case;
    let no = &no;
    let (head_seq, head_hash) = head;
    let a = &view.application;
    let order = &view.order;
    let t = |id: &str| lang.t(id);
    let field = |id: &str, value: String| Block::Field(lang.t(id), value);

    let mut sections = Vec::new();
    sections.push(Section {
        heading: t("case-application"),
        blocks: vec![
            field("case-no", no.to_string()),
            field("case-buyer", a.buyer.to_string()),
            field("case-reason", t(&format!("reason-{}", a.reason.as_str()))),
            field("case-requested", a.requested.to_string()),
            field("case-state", t(&format!("state-{}", a.state.as_str()))),
            field("case-submitted", a.submitted_at.as_ref().map(local_time).unwrap_or_default()),
            field(
                "case-review-due",
                a.review_due_at.as_ref().map(|t| crate::i18n::deadline(t, lang)).unwrap_or_else(|| "—".into()),
            ),
            field(
                "case-description",
                if a.description.trim().is_empty() { t("desk-no-description") } else { a.description.clone() },
            ),
        ],
    });
    let mut blocks = vec![
        field("case-order-no", order.no.to_string()),
        field("case-service", order.service.name.clone()),
        field("case-promised", format!("{} {}", order.service.promised, lang.tk("unit", &order.service.unit))),
        field("case-deadline", local_time(&order.service.deadline)),
    ];
    if let Some(p) = &order.payment {
        blocks.push(field("case-paid", p.amount.to_string()));
        blocks.push(field("case-channel", t(&format!("channel-{}", p.channel.as_str()))));
        blocks.push(field("case-paid-at", local_time(&p.paid_at)));
    }
    sections.push(Section { heading: t("case-order"), blocks });
    let mut blocks = vec![
        field("case-policy-version", format!("v{} · {}", policy.version, policy.title.get(lang.tag()))),
        field("case-policy-accepted", local_time(&order.policy_accepted_at)),
    ];
    blocks.extend(
        policy
            .clauses
            .iter()
            .map(|c| Block::Paragraph(format!("{} {}", c.id, if lang == Lang::En { &c.en } else { &c.zh }))),
    );
    sections.push(Section { heading: t("case-policy"), blocks });
    sections.push(Section {
        heading: t("case-entitlement"),
        blocks: vec![
            field("case-suggested", ent.suggested.to_string()),
            field("case-max", ent.max_refundable.to_string()),
            field("case-delivered", format!("{} / {}", latest_delivered(&ledger), ent.promised)),
            field("case-clauses", ent.clauses.join(", ")),
            field("case-explanation", ent.explanation.get(lang.tag()).to_owned()),
        ],
    });
    let blocks = if ledger.is_empty() {
        vec![Block::Paragraph(t("case-ledger-empty"))]
    } else {
        ledger
            .iter()
            .map(|r| {
                Block::Field(
                    local_time(&r.at),
                    format!("{} · {}", r.delivered, t(&format!("source-{}", r.source.as_str()))),
                )
            })
            .collect()
    };
    sections.push(Section { heading: t("case-ledger"), blocks });
    let mut blocks = Vec::new();
    for entry in &view.timeline {
        let e = TimelineDto::new(entry, lang);
        let mut value = format!("{} · {}", e.label, e.actor_label(lang));
        let note = e.note(lang);
        if !note.is_empty() {
            value = format!("{value}\n{note}");
        }
        blocks.push(Block::Field(local_time(&e.at), value));
    }
    sections.push(Section { heading: t("case-timeline"), blocks });
    sections.push(Section { heading: t("case-decision"), blocks: decision(a, lang) });

    let mut blocks = Vec::new();
    for e in &evidence {
        let mut value = format!(
            "{}\n{} · {} · {}",
            e.file.filename,
            t(&format!("evidence-kind-{}", e.file.kind.as_str())),
            size_label(e.file.size),
            if e.system { t("files-system") } else { e.uploaded_by.clone() }
        );
        if !e.file.caption.is_empty() {
            value = format!("{value}\n{}", e.file.caption);
        }
        blocks.push(Block::Field(format!("{:02}", e.seq), value));
        blocks.push(Block::Note(format!("SHA-256 {} · {}", e.file.sha256, local_time(&e.uploaded_at))));
    }
    if blocks.is_empty() {
        blocks.push(Block::Paragraph(t("case-evidence-none")));
    }
    sections.push(Section { heading: t("case-evidence"), blocks });
    sections.push(Section { heading: t("case-messages"), blocks: messages(&threads, lang) });
    sections.push(Section {
        heading: t("case-audit"),
        blocks: vec![
            field("case-audit-entries", entries.len().to_string()),
            field("case-audit-head", format!("#{head_seq}")),
            Block::Note(head_hash.clone()),
            Block::Paragraph(lang.t_args("case-audit-how", &[("file", file_name(no))])),
        ],
    });
    let report = Report {
        title: lang.t_args("case-title", &[("no", no.to_string())]),
        subtitle: lang.t_args("case-subtitle", &[("time", local_time(&now))]),
        language: lang.tag().to_owned(),
        footer: no.to_string(),
        sections,
    };
    let proof = AuditProof {
        application_no: no.to_string(),
        tickets,
        entries,
        records,
        chain_head: ChainHead { seq: head_seq, hash: head_hash },
    };

    // The files one at a time (each at most a few MB), written off the async threads.
    let mut w = CaseWriter::new(out, no.as_str(), lang.tag(), now);
    for e in &evidence {
        let bytes = state.blobs.get(&e.file.sha256).await.map_err(|err| {
            tracing::error!(error = %err, sha = %e.file.sha256, "evidence file missing from the store");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        })?;
        let (seq, name) = (e.seq, e.file.filename.clone());
        w = blocking(move || {
            w.add_evidence(seq, &name, &bytes)?;
            Ok(w)
        })
        .await?;
    }
    for th in &threads {
        for m in &th.messages {
            for (n, f) in th.files.iter().filter(|f| f.seq == m.seq).enumerate() {
                let bytes = state.blobs.get(&f.file.sha256).await.map_err(|err| {
                    tracing::error!(error = %err, sha = %f.file.sha256, "a message's file missing from the store");
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
                })?;
                let (thread, seq, name) = (th.thread.clone(), m.seq, f.file.filename.clone());
                w = blocking(move || {
                    w.add_message_file((&thread, seq, n + 1), &name, &bytes)?;
                    Ok(w)
                })
                .await?;
            }
        }
    }
    let (mut file, _) = blocking(move || {
        let pdf = redress_casefile::render_pdf(&report, &font)?;
        w.add_report(&pdf)?;
        w.add_audit(&proof)?;
        w.finish()
    })
    .await?;
    file.rewind().map_err(|e| internal(e.into()))?;
    Ok(file)
}

/// The report's messages: the application's thread, then each ticket about it, every public
/// message with who wrote it and its files (a redacted one as its tombstone).
fn messages(threads: &[redress_app::CaseThread], lang: Lang) -> Vec<Block> {
    let mut blocks = Vec::new();
    for th in threads {
        if th.messages.is_empty() && th.subject.is_none() {
            continue;
        }
        blocks.push(Block::Paragraph(match &th.subject {
            None => lang.t("case-thread-application"),
            Some(subject) => {
                lang.t_args("case-thread-ticket", &[("no", th.thread.clone()), ("subject", subject.clone())])
            }
        }));
        for m in &th.messages {
            let who = if m.author_role == redress_domain::application::Role::Buyer {
                format!("{} · {}", m.author, lang.t("role-buyer"))
            } else {
                format!("{} · {}", m.author, lang.t(&format!("role-{}", m.author_role.as_str())))
            };
            let text = match (&m.body, &m.redaction) {
                (Some(body), _) => body.clone(),
                (None, Some(r)) => lang.t_args("case-message-redacted", &[("reason", r.reason.clone())]),
                (None, None) => String::new(),
            };
            blocks.push(Block::Field(local_time(&m.at), format!("{who}\n{text}")));
            for f in th.files.iter().filter(|f| f.seq == m.seq) {
                blocks.push(Block::Note(format!(
                    "{} · {} · SHA-256 {}",
                    f.file.filename,
                    size_label(f.file.size),
                    f.file.sha256
                )));
            }
        }
    }
    if blocks.is_empty() {
        blocks.push(Block::Paragraph(lang.t("case-messages-none")));
    }
    blocks
}

fn decision(a: &redress_domain::application::Application, lang: Lang) -> Vec<Block> {
    let field = |id: &str, value: String| Block::Field(lang.t(id), value);
    let mut blocks = vec![field("case-state", lang.t(&format!("state-{}", a.state.as_str())))];
    match (a.approved, a.reject_code) {
        (Some(amount), _) => blocks.push(field("case-approved", amount.to_string())),
        (None, Some(code)) => blocks.push(field(
            "case-rejected",
            format!("{} — {}", lang.t(&format!("reject-{}", code.as_str())), a.reject_text.clone().unwrap_or_default()),
        )),
        (None, None) => blocks.push(Block::Paragraph(lang.t("case-decision-pending"))),
    }
    if let Some(at) = &a.decided_at {
        blocks.push(field("case-decided-at", local_time(at)));
    }
    if let Some(r) = &a.reviewer {
        blocks.push(field("case-reviewer", r.clone()));
    }
    blocks
}

/// A file's size as people read it: whole KB (rounded up) below a megabyte, then MB with one
/// decimal. The pages and the case report show the same label.
pub(crate) fn size_label(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn internal(e: redress_casefile::CaseError) -> ApiError {
    tracing::error!(error = %e, "case file");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, redress_casefile::CaseError> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(internal),
        Err(e) => {
            tracing::error!(error = %e, "case file task");
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal))
        }
    }
}

/// The case file of `no` as a download.
pub async fn download(state: &AppState, viewer: &User, no: &str, lang: Lang) -> ApiResult<Response> {
    let no = application_ref(no)?;
    let tmp = tempfile::tempfile().map_err(|e| internal(e.into()))?;
    let file = write_case_file(state, viewer, &no, lang, tmp).await?;
    let len = file.metadata().map(|m| m.len()).ok();
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Some(len) = len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file_name(&no))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// The report's language; by default the request's.
    lang: Option<crate::dto::LanguageTag>,
}

/// The case file: a ZIP with the report (PDF), every evidence file, `manifest.json` with each
/// file's SHA-256, and the case's audit entries (`audit.json`). `redress verify` checks it
/// offline.
#[utoipa::path(get, path = "/api/v1/applications/{no}/case-file", tag = "buyer", security(("buyer_session" = []), ("staff_session" = [])),
    params(("no" = String, Path), CaseQuery),
    responses((status = 200, description = "The case file", content_type = "application/zip"),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn case_file(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    lang: Lang,
    Path(no): Path<String>,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Response> {
    let lang = q.lang.map_or(lang, crate::dto::LanguageTag::lang);
    download(&state, &user, &no, lang).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_whole_kilobytes_then_megabytes() {
        assert_eq!(super::size_label(1), "1 KB");
        assert_eq!(super::size_label(1024), "1 KB");
        assert_eq!(super::size_label(1025), "2 KB");
        assert_eq!(super::size_label(1024 * 1024 - 1), "1024 KB");
        assert_eq!(super::size_label(5 * 1024 * 1024 + 200 * 1024), "5.2 MB");
    }
}
