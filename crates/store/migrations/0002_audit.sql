-- The audit chain (see crates/domain/src/audit.rs): append-only, each entry carrying the
-- SHA-256 of the one before. `seq` is the position; (kind, subject, ref_seq) names what an
-- entry vouches for, at most once.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    ref_seq    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (kind, subject, ref_seq)
);
