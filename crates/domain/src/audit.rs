//! The audit chain (docs/product.md §5): an append-only list of entries, each carrying the SHA-256
//! of the one before it, so that editing, deleting or reordering anything already chained is
//! detected by walking the list.
//!
//! An entry's hash is SHA-256 over the JSON array
//! `[prev_hash, seq, at_ms, kind, subject, ref_seq, body]` (compact, in that order; JSON
//! escapes make the encoding unambiguous). The first entry's `prev_hash` is [`GENESIS`].
//!
//! An entry also proves the content of the thing it points at. Its `body` is
//! [`digest_of`] the thing's canonical record (for a timeline event: every column of its row
//! as a JSON array): `sha256:` and the SHA-256 of the record, in hex. The chain commits to the
//! digest, not to a copy, so a record may later be redacted or erased under a rule that keeps
//! its digest, and a case file may carry an entry without the record it vouches for (a
//! staff-internal one). Entries chained before version 0.8 hold the record's text itself;
//! they verify as they were written ([`Entry::vouches_for`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How a digest body begins.
pub const DIGEST_PREFIX: &str = "sha256:";

/// The body of an entry vouching for `record`.
pub fn digest_of(record: &str) -> String {
    format!("{DIGEST_PREFIX}{}", hex::encode(Sha256::digest(record.as_bytes())))
}

/// In an evidence record (the evidence row's columns as a JSON array, in table order),
/// the positions of the file's number within its application and of its SHA-256.
pub const EVIDENCE_SEQ_FIELD: usize = 2;
pub const EVIDENCE_SHA256_FIELD: usize = 3;

/// In a message record (the columns of a thread's message that never change, as a JSON
/// array), the positions of its thread, its number and its files' SHA-256s (comma-separated).
pub const MESSAGE_THREAD_FIELD: usize = 0;
pub const MESSAGE_SEQ_FIELD: usize = 1;
/// And of its kind (`message`, `note`, `status`).
pub const MESSAGE_KIND_FIELD: usize = 2;
pub const MESSAGE_FILES_FIELD: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3… without gaps.
    pub seq: i64,
    /// When it was chained (epoch ms, UTC).
    pub at_ms: i64,
    /// What it records: `event` (a timeline event), `evidence` (a file) or `message` (a
    /// thread's message).
    pub kind: String,
    /// The application it belongs to (for a message, its thread: an application's or a
    /// ticket's number).
    pub subject: String,
    /// Which of the subject's things (for an event, its timeline sequence number).
    pub ref_seq: i64,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// Builds the entry that follows `prev_hash`, with its hash.
    pub fn link(prev_hash: &str, seq: i64, at_ms: i64, kind: &str, subject: &str, ref_seq: i64, body: String) -> Entry {
        let hash = hash_of(prev_hash, seq, at_ms, kind, subject, ref_seq, &body);
        Entry {
            seq,
            at_ms,
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            ref_seq,
            body,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }

    /// Whether `record` is what this entry vouches for: its digest is the body, or (an entry
    /// of the first format) it is the body.
    pub fn vouches_for(&self, record: &str) -> bool {
        if self.body.starts_with(DIGEST_PREFIX) { digest_of(record) == self.body } else { record == self.body }
    }

    /// The record itself, where the body is a copy of it (the first format).
    pub fn record_in_body(&self) -> Option<&str> {
        (!self.body.starts_with(DIGEST_PREFIX)).then_some(self.body.as_str())
    }

    /// The hash this entry should have, from its own fields.
    pub fn expected_hash(&self) -> String {
        hash_of(&self.prev_hash, self.seq, self.at_ms, &self.kind, &self.subject, self.ref_seq, &self.body)
    }
}

fn hash_of(prev_hash: &str, seq: i64, at_ms: i64, kind: &str, subject: &str, ref_seq: i64, body: &str) -> String {
    let canonical = serde_json::json!([prev_hash, seq, at_ms, kind, subject, ref_seq, body]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// Why the chain breaks at an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// An entry is missing or out of place: the sequence jumps.
    Gap {
        expected: i64,
        found: i64,
    },
    /// The entry does not point at the hash of the entry before it.
    PrevMismatch,
    /// The entry's fields do not give its hash: it was edited.
    HashMismatch,
    /// What the entry vouches for no longer matches it (edited, or gone).
    RecordChanged,
    RecordMissing,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Gap { expected, found } => write!(f, "expected entry {expected}, found entry {found}"),
            Break::PrevMismatch => f.write_str("it does not point at the hash of the entry before it"),
            Break::HashMismatch => f.write_str("its fields do not give its hash (the entry was edited)"),
            Break::RecordChanged => f.write_str("the record it vouches for was changed"),
            Break::RecordMissing => f.write_str("the record it vouches for is gone"),
        }
    }
}

/// Walks entries in order, one at a time, keeping only the last hash: memory does not grow
/// with the chain.
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: i64,
    head: String,
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier { next_seq: 1, head: GENESIS.to_owned() }
    }
}

impl Verifier {
    /// Checks the next entry; `record` is the canonical record of what it vouches for as it
    /// stands now (`None` when it is gone).
    pub fn check(&mut self, e: &Entry, record: Option<&str>) -> Result<(), Break> {
        if e.seq != self.next_seq {
            return Err(Break::Gap { expected: self.next_seq, found: e.seq });
        }
        if e.prev_hash != self.head {
            return Err(Break::PrevMismatch);
        }
        if e.expected_hash() != e.hash {
            return Err(Break::HashMismatch);
        }
        match record {
            None => return Err(Break::RecordMissing),
            Some(r) if !e.vouches_for(r) => return Err(Break::RecordChanged),
            Some(_) => {}
        }
        self.next_seq += 1;
        self.head = e.hash.clone();
        Ok(())
    }

    /// Entries checked so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last entry checked (GENESIS for an empty chain).
    pub fn head(&self) -> &str {
        &self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|i| {
                // Odd entries in the first format (the record itself), even ones as digests.
                let record = format!("body {i}");
                let body = if i % 2 == 1 { record } else { digest_of(&record) };
                let e = Entry::link(&prev, i, 1_700_000_000_000 + i, "event", "RF-20261125-ABCDEF", i, body);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<i64, (i64, Break)> {
        let mut v = Verifier::default();
        for e in entries {
            // The record as it stands: a first-format entry's own copy (edited with it, as an
            // attacker would), else the one the chain was built on.
            let record = e.record_in_body().map_or_else(|| format!("body {}", e.ref_seq), str::to_owned);
            v.check(e, Some(&record)).map_err(|b| (e.seq, b))?;
        }
        Ok(v.count())
    }

    #[test]
    fn a_fresh_chain_verifies_and_its_hash_is_stable() {
        let c = chain(5);
        assert_eq!(verify(&c), Ok(5));
        // The documented encoding, computed independently.
        let canonical = r#"["0000000000000000000000000000000000000000000000000000000000000000",1,1700000000001,"event","RF-20261125-ABCDEF",1,"body 1"]"#;
        assert_eq!(c[0].hash, hex::encode(Sha256::digest(canonical.as_bytes())));
    }

    #[test]
    fn edits_deletions_and_reordering_are_detected_where_they_happen() {
        let c = chain(5);
        let mut edited = c.clone();
        edited[2].body = "body X".into();
        assert_eq!(verify(&edited), Err((3, Break::HashMismatch)));

        let mut rehashed = c.clone();
        rehashed[2].body = "body X".into();
        rehashed[2].hash = rehashed[2].expected_hash();
        assert_eq!(verify(&rehashed), Err((4, Break::PrevMismatch)), "recomputing one hash breaks the next link");

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted), Err((3, Break::Gap { expected: 2, found: 3 })));

        let mut last_gone = c.clone();
        last_gone.pop();
        assert_eq!(verify(&last_gone), Ok(4), "a truncated tail verifies: compare the head with a recorded one");

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped), Err((3, Break::Gap { expected: 2, found: 3 })));

        let mut renumbered = c.clone();
        renumbered.swap(1, 2);
        renumbered[1].seq = 2;
        renumbered[2].seq = 3;
        assert_eq!(verify(&renumbered), Err((2, Break::PrevMismatch)));
    }

    #[test]
    fn the_record_an_entry_vouches_for_is_compared_in_either_format() {
        let c = chain(2);
        for e in &c {
            let mut v = Verifier { next_seq: e.seq, head: e.prev_hash.clone() };
            assert_eq!(v.check(e, Some("something else")), Err(Break::RecordChanged), "entry {}", e.seq);
            let mut v = Verifier { next_seq: e.seq, head: e.prev_hash.clone() };
            assert_eq!(v.check(e, None), Err(Break::RecordMissing));
            let mut v = Verifier { next_seq: e.seq, head: e.prev_hash.clone() };
            assert_eq!(v.check(e, Some(&format!("body {}", e.seq))), Ok(()));
        }
        assert_eq!(c[0].record_in_body(), Some("body 1"));
        assert_eq!(c[1].record_in_body(), None);
        // The documented digest form, computed independently.
        assert_eq!(c[1].body, format!("sha256:{}", hex::encode(Sha256::digest(b"body 2"))));
    }
}
