//! The archive: written one file at a time (evidence is stored as it is, already compressed;
//! the report and JSON deflated), with `manifest.json` last; and read back to check it.

use crate::CaseError;
use redress_domain::casefile::{
    AUDIT_PATH, AuditProof, FORMAT, MANIFEST_PATH, Manifest, ManifestFile, MessageRef, Mismatch, check,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Where the report goes in the archive.
pub const REPORT_PATH: &str = "report.pdf";
/// The most one file of an archive may expand to when checked (evidence is at most a few MB).
const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;

/// Writes a case file.
pub struct CaseWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    manifest: Manifest,
    modified: zip::DateTime,
}

impl<W: Write + Seek> CaseWriter<W> {
    pub fn new(out: W, application_no: &str, language: &str, generated_at: jiff::Timestamp) -> CaseWriter<W> {
        // ZIP times have no zone: Redress's business time.
        let local = generated_at.to_zoned_datetime(redress_domain::calendar::shanghai());
        let modified = zip::DateTime::from_date_and_time(
            u16::try_from(local.year()).unwrap_or(1980),
            local.month() as u8,
            local.day() as u8,
            local.hour() as u8,
            local.minute() as u8,
            local.second() as u8,
        )
        .unwrap_or_default();
        CaseWriter {
            zip: ZipWriter::new(out),
            manifest: Manifest {
                format: FORMAT.to_owned(),
                application_no: application_no.to_owned(),
                generated_at: generated_at.to_string(),
                language: language.to_owned(),
                files: Vec::new(),
            },
            modified,
        }
    }

    fn put(
        &mut self,
        path: String,
        bytes: &[u8],
        deflate: bool,
        (evidence_seq, message): (Option<i64>, Option<MessageRef>),
    ) -> Result<(), CaseError> {
        let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.modified)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        self.zip.start_file(path.as_str(), options)?;
        self.zip.write_all(bytes)?;
        self.manifest.files.push(ManifestFile {
            path,
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
            evidence_seq,
            message,
        });
        Ok(())
    }

    /// An evidence file, as `evidence/NN-name`. Returns its path in the archive.
    pub fn add_evidence(&mut self, evidence_seq: i64, filename: &str, bytes: &[u8]) -> Result<String, CaseError> {
        let path = format!("evidence/{evidence_seq:02}-{}", safe_name(filename));
        self.put(path.clone(), bytes, false, (Some(evidence_seq), None))?;
        Ok(path)
    }

    /// A file on message `seq` of `thread`, as `messages/THREAD/NNN-name` (`n`: its place
    /// among the message's files, so two of one name stay apart). Returns its path.
    pub fn add_message_file(
        &mut self,
        (thread, seq, n): (&str, i64, usize),
        filename: &str,
        bytes: &[u8],
    ) -> Result<String, CaseError> {
        let path = format!("messages/{}/{seq:03}-{n}-{}", safe_name(thread), safe_name(filename));
        self.put(path.clone(), bytes, false, (None, Some(MessageRef { thread: thread.to_owned(), seq })))?;
        Ok(path)
    }

    pub fn add_report(&mut self, pdf: &[u8]) -> Result<(), CaseError> {
        self.put(REPORT_PATH.to_owned(), pdf, true, (None, None))
    }

    pub fn add_audit(&mut self, proof: &AuditProof) -> Result<(), CaseError> {
        let json = serde_json::to_vec_pretty(proof)
            .map_err(|e| CaseError::Malformed { path: AUDIT_PATH, why: e.to_string() })?;
        self.put(AUDIT_PATH.to_owned(), &json, true, (None, None))
    }

    /// Writes the manifest and the archive's directory.
    pub fn finish(mut self) -> Result<(W, Manifest), CaseError> {
        let json = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| CaseError::Malformed { path: MANIFEST_PATH, why: e.to_string() })?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(self.modified);
        self.zip.start_file(MANIFEST_PATH, options)?;
        self.zip.write_all(&json)?;
        Ok((self.zip.finish()?, self.manifest))
    }
}

/// A name safe in any unzip tool: no folders, no control or direction characters.
fn safe_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_alphanumeric() || "._-()（）".contains(c) { c } else { '_' }).take(120).collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() { "file".to_owned() } else { cleaned.to_owned() }
}

/// What checking an archive found.
#[derive(Debug)]
pub struct Verified {
    pub manifest: Manifest,
    pub proof: AuditProof,
    /// Files in the archive besides the manifest.
    pub files: usize,
    /// Empty when everything matches.
    pub mismatches: Vec<Mismatch>,
}

/// Reads a case file and checks it (see `redress_domain::casefile::check`). An archive that
/// cannot be read at all, or lacks a readable manifest or audit proof, is an error.
pub fn verify<R: Read + Seek>(archive: R) -> Result<Verified, CaseError> {
    let mut zip = ZipArchive::new(archive)?;
    let mut found = BTreeMap::new();
    let mut manifest = None;
    let mut audit = None;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name()?.into_owned();
        let mut hasher = Sha256::new();
        let mut kept = Vec::new();
        let keep = name == MANIFEST_PATH || name == AUDIT_PATH;
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n =
                f.read(&mut buf).map_err(|e| CaseError::Malformed { path: "archive", why: format!("{name}: {e}") })?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > MAX_ENTRY_BYTES {
                return Err(CaseError::Malformed { path: "archive", why: format!("{name} expands past 256 MB") });
            }
            hasher.update(&buf[..n]);
            if keep {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        match name.as_str() {
            MANIFEST_PATH => manifest = Some(kept),
            n => {
                if n == AUDIT_PATH {
                    audit = Some(kept);
                }
                found.insert(name, (hex::encode(hasher.finalize()), size));
            }
        }
    }
    let manifest: Manifest = match manifest {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| CaseError::Malformed { path: MANIFEST_PATH, why: e.to_string() })?,
        None => return Err(CaseError::Malformed { path: MANIFEST_PATH, why: "missing".to_owned() }),
    };
    let proof: AuditProof = match audit {
        Some(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| CaseError::Malformed { path: AUDIT_PATH, why: e.to_string() })?
        }
        None => return Err(CaseError::Malformed { path: AUDIT_PATH, why: "missing".to_owned() }),
    };
    let mismatches = check(&manifest, &proof, &found);
    Ok(Verified { manifest, proof, files: found.len(), mismatches })
}

#[cfg(test)]
mod tests {
    use super::*;
    use redress_domain::audit::{Entry, GENESIS, digest_of};
    use redress_domain::casefile::ChainHead;
    use std::io::Cursor;

    const NO: &str = "RF-20261125-ABCDEF";

    fn archive(evidence: &[u8]) -> Vec<u8> {
        let sha = hex::encode(Sha256::digest(evidence));
        let body = serde_json::json!([
            "e1",
            NO,
            1,
            sha,
            evidence.len(),
            "image/png",
            "other",
            "",
            "a.png",
            "alice",
            1,
            "buyer"
        ]);
        let e = Entry::link(GENESIS, 1, 1, "evidence", NO, 1, digest_of(&body.to_string()));
        let proof = AuditProof {
            application_no: NO.into(),
            tickets: Vec::new(),
            chain_head: ChainHead { seq: 1, hash: e.hash.clone() },
            entries: vec![e],
            records: [(1, body.to_string())].into(),
        };
        let mut w = CaseWriter::new(Cursor::new(Vec::new()), NO, "en", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(w.add_evidence(1, "../收据\u{202e}gnp.exe", evidence).expect("add"), "evidence/01-_收据_gnp.exe");
        w.add_report(b"%PDF-1.7 report").expect("report");
        w.add_audit(&proof).expect("audit");
        let (out, manifest) = w.finish().expect("finish");
        assert_eq!(manifest.files.len(), 3);
        out.into_inner()
    }

    #[test]
    fn a_written_case_file_verifies_and_a_changed_byte_is_named() {
        let evidence = b"\x89PNG evidence bytes".to_vec();
        let bytes = archive(&evidence);
        let v = verify(Cursor::new(&bytes)).expect("verify");
        assert_eq!((v.files, v.mismatches.clone()), (3, vec![]));

        // The same archive with the evidence changed (stored uncompressed, so findable).
        let mut tampered = bytes.clone();
        let at = tampered.windows(evidence.len()).position(|w| w == evidence.as_slice()).expect("stored as is");
        tampered[at + 5] ^= 1;
        match verify(Cursor::new(&tampered)) {
            // The ZIP's own CRC catches it first, naming the file; either way it does not pass.
            Err(CaseError::Malformed { why, .. }) => assert!(why.starts_with("evidence/01-"), "{why}"),
            Ok(v) => assert!(
                v.mismatches
                    .iter()
                    .any(|m| matches!(m, Mismatch::FileHash { path, .. } if path.starts_with("evidence/01-"))),
                "{:?}",
                v.mismatches
            ),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn something_that_is_not_a_case_file_is_an_error() {
        assert!(verify(Cursor::new(b"not a zip".to_vec())).is_err());
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("hello.txt", SimpleFileOptions::default()).expect("start");
        w.write_all(b"hi").expect("write");
        let bytes = w.finish().expect("finish").into_inner();
        assert!(matches!(verify(Cursor::new(bytes)), Err(CaseError::Malformed { path: MANIFEST_PATH, .. })));
    }
}
