//! A case file's contents: everything about one submitted application that goes into the
//! report and the archive — the application with its order and timeline, the policy the
//! buyer accepted, the delivery ledger, the entitlement, the files, and the application's
//! audit entries with the chain's head — gathered after the system snapshot and the audit
//! chain are brought up to date, so the file holds every entry there is. Rendering it (the
//! translated report, the PDF, the ZIP) is the adapter's.

use crate::{App, ApplicationView, Result};
use redress_domain::audit::{Entry, GENESIS};
use redress_domain::entitlement::Entitlement;
use redress_domain::ids::{ApplicationNo, ApplicationRef};
use redress_domain::order::DeliveryReading;
use redress_domain::policy::Policy;
use redress_domain::ticket::{Message, MessageKind};
use redress_store::{Evidence, MessageFile, PageRequest, TicketsOf, User};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Case {
    pub view: ApplicationView,
    /// The application's number (a case is of a submitted application).
    pub no: ApplicationNo,
    pub policy: Arc<Policy>,
    pub ledger: Vec<DeliveryReading>,
    /// The order's entitlement without this application's own hold.
    pub entitlement: Entitlement,
    pub evidence: Vec<Evidence>,
    /// The application's thread, then each ticket about it (oldest first): their public
    /// messages and those messages' files. Staff's notes are never in a case file.
    pub threads: Vec<CaseThread>,
    /// The application's audit entries and its tickets', oldest first.
    pub audit: Vec<Entry>,
    /// The tickets about the application (their entries are the case's too).
    pub tickets: Vec<String>,
    /// The records they vouch for, by entry `seq`, as the viewer may see them.
    pub records: BTreeMap<i64, String>,
    /// The chain's head when they were read: its position and hash (the genesis if empty).
    pub head: (i64, String),
}

/// A thread in a case: the application's own (no subject) or a ticket's.
#[derive(Debug, Clone)]
pub struct CaseThread {
    /// The application's or the ticket's number.
    pub thread: String,
    /// A ticket's subject.
    pub subject: Option<String>,
    pub messages: Vec<Message>,
    pub files: Vec<MessageFile>,
}

/// Whether a record the chain vouches for is one a case file carries: every record of the
/// application (its timeline and files) and a thread's public messages, never staff's notes
/// or what happened to a ticket on staff's side.
fn carried(e: &Entry, record: &str) -> bool {
    if e.kind != "message" {
        return true;
    }
    let fields: Vec<serde_json::Value> = serde_json::from_str(record).unwrap_or_default();
    fields.get(redress_domain::audit::MESSAGE_KIND_FIELD).and_then(|k| k.as_str())
        == Some(MessageKind::Message.as_str())
}

impl App {
    /// Every page of `thread`'s public messages, with their files.
    async fn whole_thread(&self, thread: &str, subject: Option<String>) -> Result<CaseThread> {
        let (mut messages, mut files) = (Vec::new(), Vec::new());
        let mut page = PageRequest::first(redress_store::MAX_LIMIT);
        loop {
            let got = self.store.thread(thread, false, &page).await?;
            messages.extend(got.messages.items.into_iter().filter(|m| m.kind == MessageKind::Message));
            files.extend(got.files);
            match got.messages.next {
                Some(next) => page = PageRequest { after: Some(next), ..page },
                None => break,
            }
        }
        Ok(CaseThread { thread: thread.to_owned(), subject, messages, files })
    }

    /// The case of `r` as `viewer` may see it; `None` for a draft, which has no case yet.
    pub async fn case(&self, r: &ApplicationRef, viewer: &User) -> Result<Option<Case>> {
        let view = self.view(r, viewer).await?;
        let a = &view.application;
        let Some(no) = a.no.clone() else { return Ok(None) };
        self.take_snapshots(a.submitted_at).await?;
        self.chain_audit(redress_store::ChainPace::Serving).await?;
        // The order's facts once: its policy, its ledger, and the entitlement from them.
        let facts = self.store.order_facts(&a.order_no).await?;
        let entitlement = crate::orders::assess(&facts, Some(&a.id), self.now());
        let (policy, ledger) = (facts.policy, facts.ledger);
        let evidence = self.store.evidence_of(&a.id).await?;
        let mut threads = vec![self.whole_thread(no.as_str(), None).await?];
        let mut tickets = Vec::new();
        let mut page = PageRequest::first(redress_store::MAX_LIMIT);
        loop {
            let got = self.store.tickets_of(TicketsOf::Application(&no), &page).await?;
            tickets.extend(got.items);
            match got.next {
                Some(next) => page = PageRequest { after: Some(next), ..page },
                None => break,
            }
        }
        tickets.sort_by_key(|t| t.created_at);
        for t in &tickets {
            threads.push(self.whole_thread(t.no.as_str(), Some(t.subject.clone())).await?);
        }
        let (mut chained, mut head) = self.store.audit_entries_of(no.as_str()).await?;
        for t in &tickets {
            let (more, later) = self.store.audit_entries_of(t.no.as_str()).await?;
            chained.extend(more);
            head = later.or(head);
        }
        chained.sort_by_key(|(e, _)| e.seq);
        let head = head.unwrap_or((0, GENESIS.to_owned()));
        // The records a case file carries; a staff-internal one is left out, its entry kept.
        let records = chained
            .iter()
            .filter_map(|(e, r)| r.as_ref().filter(|r| carried(e, r)).map(|r| (e.seq, r.clone())))
            .collect();
        let audit = chained.into_iter().map(|(e, _)| e).collect();
        let tickets = tickets.iter().map(|t| t.no.to_string()).collect();
        Ok(Some(Case { view, no, policy, ledger, entitlement, evidence, threads, tickets, audit, records, head }))
    }
}
