-- Evidence files attached to applications. The bytes live in the evidence store under
-- `sha256`; a row is never deleted once its application is submitted. A draft is
-- renumbered when it is submitted: its files follow (ON UPDATE CASCADE). `seq` numbers an
-- application's files 1, 2, 3… (the audit chain refers to a file by number and seq).
CREATE TABLE evidence (
    id             TEXT PRIMARY KEY,
    application_no TEXT NOT NULL REFERENCES applications (no) ON UPDATE CASCADE,
    seq            BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    media_type     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    caption        TEXT NOT NULL,
    filename       TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    -- 'buyer', or 'system' for Redress's own snapshot taken at submission.
    source         TEXT NOT NULL
);
CREATE UNIQUE INDEX evidence_application ON evidence (application_no, seq);
CREATE INDEX evidence_sha256 ON evidence (sha256);
-- One system snapshot per application.
CREATE UNIQUE INDEX evidence_one_snapshot ON evidence (application_no) WHERE source = 'system';
