-- Files on messages (docs/product.md §6): a buyer's or staff's message on a ticket or an
-- application's thread may carry files, checked from their bytes as evidence is and kept in
-- the same content-addressed store (`sha256`). A file belongs to one message and is seen by
-- whoever sees that message (a file on an internal note only by staff).
CREATE TABLE message_files (
    id          TEXT PRIMARY KEY,
    thread      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    -- Its place among the message's files, from 1.
    n           BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    media_type  TEXT NOT NULL,
    filename    TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    at          BIGINT NOT NULL,
    FOREIGN KEY (thread, seq) REFERENCES messages (thread, seq)
);
-- A page of a thread reads its messages' files by range.
CREATE INDEX message_files_thread ON message_files (thread, seq, n);
-- Whether bytes are still referred to before a discarded draft's file is removed.
CREATE INDEX message_files_sha256 ON message_files (sha256);

-- A message names its files' SHA-256s (comma-separated, in order), so the audit chain's
-- record of a message — its columns that never change — vouches for its files too.
ALTER TABLE messages ADD COLUMN files TEXT NOT NULL DEFAULT '';
