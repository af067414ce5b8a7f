//! The official complaint route (docs/product.md §6): once a refund request's statutory period
//! has passed without it being dealt with, its buyer gets a page laying out what a complaint on
//! the national 12315 platform asks for, in the order its form asks — the respondent, the
//! purchase, the specific claim, the facts as a dated timeline, the evidence with SHA-256 —
//! each ready to copy, with the case file to download and attach. Nothing is submitted: the
//! buyer files the complaint themselves.

use super::files::Files;
use super::{Page, Viewer, render};
use crate::AppState;
use crate::dto::{ApplicationDto, EvidenceDto, OrderDto};
use crate::error::ApiError;
use crate::extract::{Path, application_ref};
use crate::i18n::{Lang, deadline, local_time};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

/// The national platform's address.
pub const PLATFORM_12315: &str = "https://www.12315.cn";

#[derive(Template)]
#[template(path = "buyer/complaint.html")]
struct ComplaintPage {
    p: Page,
    app: ApplicationDto,
    /// Each section as the text to paste into the platform's form.
    respondent_text: String,
    purchase_text: String,
    claim_text: String,
    /// The facts: (when, what), oldest first, and as one text.
    facts: Vec<(String, String)>,
    facts_text: String,
    evidence: Vec<EvidenceDto>,
    evidence_text: String,
    case_file: Option<String>,
    platform: &'static str,
}

pub async fn complaint(State(state): State<AppState>, v: Viewer, Path(no): Path<String>) -> Result<Response, ApiError> {
    v.require_buyer()?;
    let no = application_ref(&no)?;
    let d = state.app.detail(&no, &v.user).await?;
    let (now, cal, lang) = (state.app.now(), state.app.store.calendar().await?, v.page.lang);
    let view = &d.view;
    // Before the period has passed the route is not offered: there is no such page yet.
    if !view.application.complaint_open(&cal, now) {
        return Err(ApiError::not_found());
    }
    let app = ApplicationDto::new(&view.application, lang, now, &cal).for_buyer();
    let order = OrderDto::new(&view.order, d.delivered(), &d.order_now, lang);
    let files = Files::of(&state, &v.user, &no, lang, true).await?;
    // The respondent, as the settings name it (none: the operator has not said).
    let respondent_text = match &state.operator.identity {
        Some(op) => [
            format!("{}{}", lang.t("complaint-respondent-name"), op.legal_name),
            format!("{}{}", lang.t("complaint-respondent-code"), op.credit_code),
            format!("{}{}", lang.t("complaint-respondent-address"), op.address),
        ]
        .join("\n"),
        None => lang.t("complaint-respondent-unknown"),
    };
    let paid = order.paid.as_ref().map_or_else(|| "—".to_owned(), |m| m.display.clone());
    let purchase_text = [
        format!("{}{}", lang.t("complaint-purchase-time"), order.paid_at.as_ref().map_or("—".into(), local_time)),
        format!("{}{}", lang.t("complaint-purchase-order"), order.order_no),
        format!("{}{}", lang.t("complaint-purchase-service"), order.service.name),
        format!("{}{paid}", lang.t("complaint-purchase-amount")),
    ]
    .join("\n");
    let claim_text = lang.t_args("complaint-claim-refund", &[("amount", app.requested.display.clone())]);
    let facts = facts(&d.view.timeline, &app, lang);
    let facts_text = facts.iter().map(|(at, what)| format!("{at} {what}")).collect::<Vec<_>>().join("\n");
    let evidence_text = files
        .items
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}. {} ({}) SHA-256 {}", i + 1, e.filename, e.kind_label, e.sha256))
        .collect::<Vec<_>>()
        .join("\n");
    let page = ComplaintPage {
        case_file: files.case_file.clone(),
        evidence: files.items,
        evidence_text,
        respondent_text,
        purchase_text,
        claim_text,
        facts,
        facts_text,
        app,
        platform: PLATFORM_12315,
        p: v.page,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The facts as a dated timeline: what happened to the request, in the buyer's words, ending
/// with the statutory period running out.
fn facts(timeline: &[redress_app::TimelineEntry], app: &ApplicationDto, lang: Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = timeline
        .iter()
        .map(|t| crate::dto::TimelineDto::new(t, lang))
        .map(|e| {
            let note = e.note(lang);
            let sep = if lang == Lang::Zh { "：" } else { ": " };
            let what = if note.is_empty() { e.label.clone() } else { format!("{}{sep}{note}", e.label) };
            (local_time(&e.at), what)
        })
        .collect();
    if let Some(s) = &app.statutory {
        let days = s.days.to_string();
        out.push((deadline(&s.due_at, lang), lang.t_args("complaint-fact-deadline", &[("days", days)])));
    }
    out
}
