-- The merchant becomes an audience of notifications (its webhooks: crates/store/src/webhooks.rs),
-- and `hook_pending` marks the ones whose webhook message the webhook job has not made yet.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE notifications_new (
    id           TEXT PRIMARY KEY,
    recipient    TEXT NOT NULL,
    audience     TEXT NOT NULL CHECK (audience IN ('buyer', 'staff', 'merchant')),
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    amount_fen   BIGINT,
    created_at   BIGINT NOT NULL,
    read_at      BIGINT,
    mail_pending BIGINT NOT NULL DEFAULT 1 CHECK (mail_pending IN (0, 1)),
    email_id     TEXT,
    hook_pending BIGINT NOT NULL DEFAULT 0 CHECK (hook_pending IN (0, 1))
);
INSERT INTO notifications_new (id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at,
                               mail_pending, email_id)
    SELECT id, recipient, audience, kind, subject, seq, amount_fen, created_at, read_at, mail_pending, email_id
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_of ON notifications (recipient, created_at, id);
CREATE INDEX notifications_unread ON notifications (recipient) WHERE read_at IS NULL;
CREATE INDEX notifications_mail_pending ON notifications (created_at) WHERE mail_pending = 1;
CREATE INDEX notifications_email ON notifications (email_id) WHERE email_id IS NOT NULL;
CREATE INDEX notifications_hook_pending ON notifications (created_at) WHERE hook_pending = 1;
