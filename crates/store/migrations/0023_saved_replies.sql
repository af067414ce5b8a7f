-- Saved replies (crates/domain/src/saved_reply.rs): answers supervisors keep for the desk, each
-- in zh-CN and English. Listed by title; changed over their version.
CREATE TABLE saved_replies (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    body_zh    TEXT NOT NULL,
    body_en    TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    version    BIGINT NOT NULL
);
CREATE INDEX saved_replies_title ON saved_replies (title, id);
