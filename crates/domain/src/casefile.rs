//! A case file (docs/product.md §5): what an exported ZIP must hold to be checked offline, and the
//! check itself.
//!
//! The archive holds `manifest.json` ([`Manifest`]), a report, every evidence file, and
//! `audit.json` ([`AuditProof`]): the audit entries of the case as they stand in the chain.
//! [`check`] is given what was found in the archive (each file's SHA-256 and size) and says
//! exactly what does not match:
//! - every file the manifest lists is there with its SHA-256 and size, and nothing else is;
//! - every audit entry is the case's and its hash follows from its own fields
//!   (see [`crate::audit`]); entries next to each other in the chain point at each other;
//! - every evidence file is vouched for by an evidence entry naming the same SHA-256, and every
//!   evidence entry's file is in the archive.
//!
//! What it cannot show offline: the links between the case's entries and the rest of the
//! installation's chain (other cases' entries are not in the archive). `chain_head` records
//! the head when the file was made, so `redress audit verify` on the installation, which walks
//! every link, can confirm the same head.

use crate::audit::{EVIDENCE_SEQ_FIELD, EVIDENCE_SHA256_FIELD, Entry};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `format` of a manifest this version writes and reads.
pub const FORMAT: &str = "redress-case-file/1";
pub const MANIFEST_PATH: &str = "manifest.json";
pub const AUDIT_PATH: &str = "audit.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub application_no: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// The report's language (`zh-CN` or `en`).
    pub language: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path inside the archive.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// For an evidence file: its number within the application (the audit entry's `ref_seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_seq: Option<i64>,
    /// For a file on a message: the message (its entry's subject and `ref_seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageRef>,
}

/// A message of a thread: an application's or a ticket's number, and its number in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageRef {
    pub thread: String,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditProof {
    pub application_no: String,
    /// The tickets about the application whose messages the case holds: their entries belong
    /// to the case too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tickets: Vec<String>,
    /// The case's entries, in chain order.
    pub entries: Vec<Entry>,
    /// The records the entries vouch for, by the entry's `seq`, where the reader may see them.
    /// An entry commits to its record's digest ([`crate::audit`]), so each record here is
    /// checked against its entry; an entry without one (a staff-internal record, or one
    /// redacted since) is still checked as a link of the chain. Entries of the first format
    /// carry their record in their body.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<i64, String>,
    /// The last entry of the whole chain when the file was made.
    pub chain_head: ChainHead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// One thing in an archive that does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The manifest names another format or application than the audit proof.
    Format(String),
    MissingFile(String),
    ExtraFile(String),
    FileHash {
        path: String,
        expected: String,
        found: String,
    },
    FileSize {
        path: String,
        expected: u64,
        found: u64,
    },
    /// An entry of another application (or of a ticket not about it).
    ForeignEntry {
        seq: i64,
        subject: String,
    },
    /// The entry's fields do not give its hash: it was edited.
    EntryHash {
        seq: i64,
    },
    /// Entries out of chain order, or repeated.
    EntryOrder {
        seq: i64,
    },
    /// Two entries next to each other in the chain that do not link.
    EntryLink {
        seq: i64,
    },
    /// The chain head is before the case's last entry.
    Head {
        seq: i64,
    },
    /// An evidence entry whose record cannot be read.
    EntryRecord {
        seq: i64,
    },
    /// An evidence file (or a message's file) no entry vouches for.
    Unvouched {
        path: String,
    },
    /// An entry vouches for other bytes than the archive holds.
    Vouched {
        seq: i64,
        path: String,
        entry_sha256: String,
        file_sha256: String,
    },
    /// An evidence entry whose file is not in the archive.
    EvidenceMissing {
        seq: i64,
        evidence_seq: i64,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Format(why) => write!(f, "manifest: {why}"),
            Mismatch::MissingFile(p) => write!(f, "{p}: listed in the manifest but not in the archive"),
            Mismatch::ExtraFile(p) => write!(f, "{p}: in the archive but not listed in the manifest"),
            Mismatch::FileHash { path, expected, found } => {
                write!(f, "{path}: SHA-256 is {found}, the manifest says {expected}")
            }
            Mismatch::FileSize { path, expected, found } => {
                write!(f, "{path}: {found} bytes, the manifest says {expected}")
            }
            Mismatch::ForeignEntry { seq, subject } => write!(f, "audit entry {seq}: belongs to {subject}"),
            Mismatch::EntryHash { seq } => write!(f, "audit entry {seq}: its fields do not give its hash (edited)"),
            Mismatch::EntryOrder { seq } => write!(f, "audit entry {seq}: out of chain order or repeated"),
            Mismatch::EntryLink { seq } => {
                write!(f, "audit entry {seq}: does not point at the hash of entry {}", seq - 1)
            }
            Mismatch::Head { seq } => write!(f, "chain head {seq} is before the case's last audit entry"),
            Mismatch::EntryRecord { seq } => {
                write!(f, "audit entry {seq}: the record it vouches for is missing or does not match it")
            }
            Mismatch::Unvouched { path } => write!(f, "{path}: no audit entry vouches for this evidence file"),
            Mismatch::Vouched { seq, path, entry_sha256, file_sha256 } => {
                write!(f, "{path}: audit entry {seq} vouches for SHA-256 {entry_sha256}, the file has {file_sha256}")
            }
            Mismatch::EvidenceMissing { seq, evidence_seq } => {
                write!(f, "audit entry {seq}: evidence file {evidence_seq} is not in the archive")
            }
        }
    }
}

/// Checks an archive: `found` maps each file in it (other than the manifest) to its SHA-256
/// and size. Returns every mismatch, in a stable order; empty when the case file is intact.
pub fn check(manifest: &Manifest, proof: &AuditProof, found: &BTreeMap<String, (String, u64)>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if manifest.format != FORMAT {
        out.push(Mismatch::Format(format!("format is {:?}, expected {FORMAT:?}", manifest.format)));
    }
    if manifest.application_no != proof.application_no {
        out.push(Mismatch::Format(format!(
            "names {}, the audit proof {}",
            manifest.application_no, proof.application_no
        )));
    }
    let listed: BTreeMap<&str, &ManifestFile> = manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for f in &manifest.files {
        match found.get(&f.path) {
            None => out.push(Mismatch::MissingFile(f.path.clone())),
            Some((sha, size)) => {
                if *sha != f.sha256 {
                    out.push(Mismatch::FileHash {
                        path: f.path.clone(),
                        expected: f.sha256.clone(),
                        found: sha.clone(),
                    });
                }
                if *size != f.size {
                    out.push(Mismatch::FileSize { path: f.path.clone(), expected: f.size, found: *size });
                }
            }
        }
    }
    for path in found.keys() {
        if !listed.contains_key(path.as_str()) {
            out.push(Mismatch::ExtraFile(path.clone()));
        }
    }

    // The entries: the case's own, each hashing to itself, in order, linked where adjacent.
    let mut prev: Option<&Entry> = None;
    let mut vouched: BTreeMap<i64, (i64, String)> = BTreeMap::new();
    // A message's entry vouches for its files: (thread, number) → (entry, SHA-256s).
    let mut on_messages: BTreeMap<MessageRef, (i64, Vec<String>)> = BTreeMap::new();
    for e in &proof.entries {
        if e.subject != proof.application_no && !proof.tickets.contains(&e.subject) {
            out.push(Mismatch::ForeignEntry { seq: e.seq, subject: e.subject.clone() });
        }
        if e.expected_hash() != e.hash {
            out.push(Mismatch::EntryHash { seq: e.seq });
        }
        if let Some(p) = prev {
            if e.seq <= p.seq {
                out.push(Mismatch::EntryOrder { seq: e.seq });
            } else if e.seq == p.seq + 1 && e.prev_hash != p.hash {
                out.push(Mismatch::EntryLink { seq: e.seq });
            }
        }
        let given = proof.records.get(&e.seq).map(String::as_str);
        if given.is_some_and(|r| !e.vouches_for(r)) {
            out.push(Mismatch::EntryRecord { seq: e.seq });
        } else if e.kind == "evidence" {
            // An evidence entry's record names the file: it must be there to vouch for one.
            match given.or_else(|| e.record_in_body()).and_then(evidence_of) {
                Some((evidence_seq, sha)) if evidence_seq == e.ref_seq => {
                    vouched.insert(evidence_seq, (e.seq, sha));
                }
                _ => out.push(Mismatch::EntryRecord { seq: e.seq }),
            }
        } else if e.kind == "message"
            && let Some((at, shas)) = given.and_then(message_files_of)
        {
            if at.thread == e.subject && at.seq == e.ref_seq {
                on_messages.insert(at, (e.seq, shas));
            } else {
                out.push(Mismatch::EntryRecord { seq: e.seq });
            }
        }
        prev = Some(e);
    }
    if let Some(last) = proof.entries.last()
        && proof.chain_head.seq < last.seq
    {
        out.push(Mismatch::Head { seq: proof.chain_head.seq });
    }

    // Evidence files against the entries that vouch for them.
    let mut files_by_seq = BTreeMap::new();
    for f in manifest.files.iter().filter(|f| f.evidence_seq.is_some()) {
        let Some(n) = f.evidence_seq else { continue };
        files_by_seq.insert(n, f);
        let file_sha = found.get(&f.path).map(|(s, _)| s.clone()).unwrap_or_else(|| f.sha256.clone());
        match vouched.get(&n) {
            None => out.push(Mismatch::Unvouched { path: f.path.clone() }),
            Some((seq, sha)) if *sha != file_sha => out.push(Mismatch::Vouched {
                seq: *seq,
                path: f.path.clone(),
                entry_sha256: sha.clone(),
                file_sha256: file_sha,
            }),
            Some(_) => {}
        }
    }
    for (evidence_seq, (seq, _)) in &vouched {
        if !files_by_seq.contains_key(evidence_seq) {
            out.push(Mismatch::EvidenceMissing { seq: *seq, evidence_seq: *evidence_seq });
        }
    }
    // A message's files against the message's entry.
    for f in &manifest.files {
        let Some(at) = &f.message else { continue };
        let file_sha = found.get(&f.path).map(|(s, _)| s.clone()).unwrap_or_else(|| f.sha256.clone());
        match on_messages.get(at) {
            None => out.push(Mismatch::Unvouched { path: f.path.clone() }),
            Some((seq, shas)) if !shas.contains(&file_sha) => out.push(Mismatch::Vouched {
                seq: *seq,
                path: f.path.clone(),
                entry_sha256: shas.join(","),
                file_sha256: file_sha,
            }),
            Some(_) => {}
        }
    }
    out
}

/// A message entry's record: the message, and its files' SHA-256s.
fn message_files_of(body: &str) -> Option<(MessageRef, Vec<String>)> {
    use crate::audit::{MESSAGE_FILES_FIELD, MESSAGE_SEQ_FIELD, MESSAGE_THREAD_FIELD};
    let fields: Vec<serde_json::Value> = serde_json::from_str(body).ok()?;
    let thread = fields.get(MESSAGE_THREAD_FIELD)?.as_str()?.to_owned();
    let seq = fields.get(MESSAGE_SEQ_FIELD)?.as_i64()?;
    let files = fields.get(MESSAGE_FILES_FIELD)?.as_str()?;
    let shas = files.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    Some((MessageRef { thread, seq }, shas))
}

/// An evidence entry's record: (the file's number, its SHA-256).
fn evidence_of(body: &str) -> Option<(i64, String)> {
    let fields: Vec<serde_json::Value> = serde_json::from_str(body).ok()?;
    let seq = fields.get(EVIDENCE_SEQ_FIELD)?.as_i64()?;
    let sha = fields.get(EVIDENCE_SHA256_FIELD)?.as_str()?.to_owned();
    Some((seq, sha))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{GENESIS, digest_of};

    const NO: &str = "RF-20261125-ABCDEF";

    fn evidence_body(seq: i64, sha: &str) -> String {
        serde_json::json!(["id", NO, seq, sha, 3, "image/png", "other", "", "a.png", "alice", 1, "buyer"]).to_string()
    }

    /// A case with one event and two evidence files, chained at 5, 6, 7 after four others: the
    /// event and the second file as digests with their records beside them, the first file in
    /// the first format (the record in the body).
    fn case() -> (Manifest, AuditProof, BTreeMap<String, (String, u64)>) {
        let mut prev = GENESIS.to_owned();
        let mut entries = Vec::new();
        let mut records = BTreeMap::new();
        for seq in 1..=7 {
            let (kind, subject, ref_seq, record) = match seq {
                5 => ("event", NO, 1, "[\"submitted\"]".to_owned()),
                6 => ("evidence", NO, 1, evidence_body(1, "aa")),
                7 => ("evidence", NO, 2, evidence_body(2, "bb")),
                _ => ("event", "RF-20261125-OTHERS", seq, format!("other {seq}")),
            };
            let body = if seq == 6 { record.clone() } else { digest_of(&record) };
            if seq == 5 || seq == 7 {
                records.insert(seq, record);
            }
            let e = Entry::link(&prev, seq, 1000 + seq, kind, subject, ref_seq, body);
            prev = e.hash.clone();
            entries.push(e);
        }
        let head = ChainHead { seq: 7, hash: prev };
        let proof = AuditProof {
            application_no: NO.into(),
            tickets: Vec::new(),
            entries: entries.split_off(4),
            records,
            chain_head: head,
        };
        let file = |path: &str, sha: &str, n: Option<i64>| ManifestFile {
            path: path.into(),
            sha256: sha.into(),
            size: 3,
            evidence_seq: n,
            message: None,
        };
        let manifest = Manifest {
            format: FORMAT.into(),
            application_no: NO.into(),
            generated_at: "2026-11-25T00:00:00Z".into(),
            language: "en".into(),
            files: vec![
                file("report.pdf", "cc", None),
                file("evidence/01-a.png", "aa", Some(1)),
                file("evidence/02-b.png", "bb", Some(2)),
            ],
        };
        let found = manifest.files.iter().map(|f| (f.path.clone(), (f.sha256.clone(), f.size))).collect();
        (manifest, proof, found)
    }

    #[test]
    fn an_intact_case_file_has_no_mismatch() {
        let (m, p, found) = case();
        assert_eq!(check(&m, &p, &found), vec![]);
    }

    #[test]
    fn records_are_checked_against_their_digests_and_may_be_left_out() {
        // A record that is not the one its entry vouches for.
        let (m, mut p, found) = case();
        p.records.insert(5, "[\"approved\"]".into());
        assert_eq!(check(&m, &p, &found), vec![Mismatch::EntryRecord { seq: 5 }]);
        // An event's record left out (staff-internal, or redacted): the entry is still a link.
        let (m, mut p, found) = case();
        p.records.remove(&5);
        assert_eq!(check(&m, &p, &found), vec![]);
        // An evidence entry's record left out: no file can be vouched for by it.
        let (m, mut p, found) = case();
        p.records.remove(&7);
        let got = check(&m, &p, &found);
        assert!(got.contains(&Mismatch::EntryRecord { seq: 7 }), "{got:?}");
        assert!(got.contains(&Mismatch::Unvouched { path: "evidence/02-b.png".into() }), "{got:?}");
        // The proof reads back as written, records included.
        let (_, p, _) = case();
        let back: AuditProof = serde_json::from_str(&serde_json::to_string(&p).expect("json")).expect("read");
        assert_eq!(back, p);
    }

    #[test]
    fn changed_missing_and_extra_files_are_named() {
        let (m, p, mut found) = case();
        found.insert("evidence/01-a.png".into(), ("ff".into(), 4));
        found.remove("report.pdf");
        found.insert("notes.txt".into(), ("00".into(), 1));
        let got = check(&m, &p, &found);
        assert!(got.contains(&Mismatch::MissingFile("report.pdf".into())), "{got:?}");
        assert!(got.contains(&Mismatch::ExtraFile("notes.txt".into())), "{got:?}");
        assert!(
            got.contains(&Mismatch::FileHash {
                path: "evidence/01-a.png".into(),
                expected: "aa".into(),
                found: "ff".into()
            }),
            "{got:?}"
        );
        assert!(got.contains(&Mismatch::Vouched {
            seq: 6,
            path: "evidence/01-a.png".into(),
            entry_sha256: "aa".into(),
            file_sha256: "ff".into()
        }));
    }

    #[test]
    fn a_file_swapped_with_its_manifest_line_is_still_caught_by_the_audit_entry() {
        let (mut m, p, mut found) = case();
        m.files[1].sha256 = "ee".into();
        found.insert("evidence/01-a.png".into(), ("ee".into(), 3));
        let got = check(&m, &p, &found);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(matches!(&got[0], Mismatch::Vouched { seq: 6, .. }), "{got:?}");
    }

    #[test]
    fn edited_reordered_foreign_and_dropped_entries_are_named() {
        let (m, mut p, found) = case();
        p.entries[0].body = digest_of("[\"approved\"]");
        assert_eq!(
            check(&m, &p, &found),
            vec![Mismatch::EntryHash { seq: 5 }, Mismatch::EntryRecord { seq: 5 }],
            "an edited entry no longer hashes to itself nor vouches for its record"
        );

        let (m, mut p, found) = case();
        p.entries.swap(1, 2);
        let got = check(&m, &p, &found);
        assert!(got.contains(&Mismatch::EntryOrder { seq: 6 }), "{got:?}");

        let (m, mut p, found) = case();
        p.entries[1].prev_hash = GENESIS.into();
        p.entries[1].hash = p.entries[1].expected_hash();
        assert_eq!(
            check(&m, &p, &found),
            vec![Mismatch::EntryLink { seq: 6 }, Mismatch::EntryLink { seq: 7 }],
            "rehashing an entry breaks its link and the next one's"
        );

        let (m, mut p, found) = case();
        p.entries[0].subject = "RF-20261125-OTHERS".into();
        p.entries[0].hash = p.entries[0].expected_hash();
        let got = check(&m, &p, &found);
        assert!(got.contains(&Mismatch::ForeignEntry { seq: 5, subject: "RF-20261125-OTHERS".into() }), "{got:?}");

        let (m, mut p, found) = case();
        p.entries.pop();
        assert_eq!(check(&m, &p, &found), vec![Mismatch::Unvouched { path: "evidence/02-b.png".into() }]);

        let (mut m, p, mut found) = case();
        m.files.pop();
        found.remove("evidence/02-b.png");
        assert_eq!(check(&m, &p, &found), vec![Mismatch::EvidenceMissing { seq: 7, evidence_seq: 2 }]);

        let (m, mut p, found) = case();
        p.chain_head.seq = 6;
        assert_eq!(check(&m, &p, &found), vec![Mismatch::Head { seq: 6 }]);
    }

    #[test]
    fn a_tickets_message_vouches_for_its_files_and_a_stranger_ticket_is_foreign() {
        const TK: &str = "TK-20261125-ABCDEF";
        let (mut m, mut p, mut found) = case();
        let last = p.entries.last().cloned().expect("an entry");
        let record = serde_json::json!([TK, 2, "message", "alice", "buyer", "ab", 9, "cc,dd"]).to_string();
        let e = Entry::link(&last.hash, last.seq + 1, 2000, "message", TK, 2, digest_of(&record));
        p.chain_head = ChainHead { seq: e.seq, hash: e.hash.clone() };
        p.records.insert(e.seq, record);
        p.entries.push(e);
        let on = |path: &str, sha: &str| ManifestFile {
            path: path.into(),
            sha256: sha.into(),
            size: 3,
            evidence_seq: None,
            message: Some(MessageRef { thread: TK.into(), seq: 2 }),
        };
        m.files.push(on("messages/TK/002-1-a.png", "cc"));
        found.insert("messages/TK/002-1-a.png".into(), ("cc".into(), 3));
        assert_eq!(
            check(&m, &p, &found),
            vec![Mismatch::ForeignEntry { seq: 8, subject: TK.into() }],
            "a ticket the case does not name"
        );
        p.tickets.push(TK.into());
        assert_eq!(check(&m, &p, &found), vec![], "its file vouched for by its message");
        m.files.push(on("messages/TK/002-2-b.png", "ee"));
        found.insert("messages/TK/002-2-b.png".into(), ("ee".into(), 3));
        assert_eq!(
            check(&m, &p, &found),
            vec![Mismatch::Vouched {
                seq: 8,
                path: "messages/TK/002-2-b.png".into(),
                entry_sha256: "cc,dd".into(),
                file_sha256: "ee".into()
            }]
        );
    }
}
