-- Notifications (rules in crates/domain/src/notify.rs, SQL in crates/store/src/notifications.rs):
-- one row per person told, written in the transaction of what caused it. The id is derived
-- from the cause and the recipient, so a cause written twice tells once.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    audience   TEXT NOT NULL CHECK (audience IN ('buyer', 'staff')),
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    amount_fen BIGINT,
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    -- 1 until the mail job has decided its e-mail (crates/store/src/mail.rs), then 0; the
    -- e-mail that carries it, if any.
    mail_pending BIGINT NOT NULL DEFAULT 1 CHECK (mail_pending IN (0, 1)),
    email_id   TEXT
);

-- A person's notifications, newest first (keyset paging on created_at, id).
CREATE INDEX notifications_of ON notifications (recipient, created_at, id);
-- The unread count in every page's header reads only the unread.
CREATE INDEX notifications_unread ON notifications (recipient) WHERE read_at IS NULL;

-- What waits for a buyer (a draft to finish, information asked for: the domain's
-- `ApplicationState::awaits_buyer`), which their landing page leads with: a few rows a buyer.
CREATE INDEX applications_awaiting_buyer ON applications (buyer, created_at, id)
    WHERE state IN ('draft', 'info_requested');

-- The mail job reads only the notifications whose e-mail is undecided.
CREATE INDEX notifications_mail_pending ON notifications (created_at) WHERE mail_pending = 1;
CREATE INDEX notifications_email ON notifications (email_id) WHERE email_id IS NOT NULL;

-- E-mails: one per person per application per burst (at most one each 10 minutes, carrying
-- every notification since the last), a work queue on the queues' lease (crates/store/src/lease.rs).
-- The id is the Message-ID's local part, so a retry is the same message.
CREATE TABLE emails (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    due_at          BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    error           TEXT
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE state = 'pending';
CREATE INDEX emails_item ON emails (recipient, subject, due_at);
CREATE INDEX emails_failed ON emails (updated_at, id) WHERE state = 'failed';

-- Whether a person takes the e-mails they may switch off (receipts, review started, what the
-- buyer did); decisions and money are always sent.
ALTER TABLE users ADD COLUMN optional_emails BIGINT NOT NULL DEFAULT 1;
