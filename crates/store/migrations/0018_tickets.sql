-- Support tickets and the conversations on tickets and applications (docs/product.md §6;
-- rules in crates/domain/src/ticket.rs, SQL in crates/store/src/tickets.rs).

-- A ticket: what a buyer asked, where it stands, and its service-level clocks (the domain's
-- `TicketClocks` as JSON, every clock that ran with its pauses). `queue_key` is where it
-- stands in the desk's queue — its nearest due time, or after every running clock while it
-- waits on the buyer — and NULL once resolved; the queue's indexes are partial, so a
-- resolved ticket leaves them. `close_at`: when a resolved ticket closes (the close job reads
-- only what is due). `messages`: how many messages its thread has.
CREATE TABLE tickets (
    no             TEXT PRIMARY KEY,
    buyer          TEXT NOT NULL,
    category       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    state          TEXT NOT NULL
        CHECK (state IN ('open', 'waiting_on_staff', 'waiting_on_buyer', 'resolved', 'closed')),
    order_no       TEXT,
    application_no TEXT,
    assignee       TEXT,
    clocks         TEXT NOT NULL,
    queue_key      BIGINT,
    resolution     TEXT CHECK (resolution IN ('solved', 'spam', 'merged')),
    merged_into    TEXT,
    resolved_at    BIGINT,
    close_at       BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL
);
CREATE INDEX tickets_buyer ON tickets (buyer, created_at, no);
CREATE INDEX tickets_order ON tickets (order_no, created_at, no) WHERE order_no IS NOT NULL;
CREATE INDEX tickets_application ON tickets (application_no, created_at, no) WHERE application_no IS NOT NULL;
CREATE INDEX tickets_queue ON tickets ((queue_key + 0), no) WHERE queue_key IS NOT NULL;
CREATE INDEX tickets_queue_state ON tickets (state, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX tickets_queue_category ON tickets (category, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX tickets_queue_assignee ON tickets (assignee, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX tickets_closing ON tickets (close_at, no) WHERE close_at IS NOT NULL;
-- What waits for a buyer's answer, for their landing page.
CREATE INDEX tickets_awaiting_buyer ON tickets (buyer, updated_at, no) WHERE state = 'waiting_on_buyer';

-- The messages of a thread: a ticket's (`thread` its number) or an application's (its
-- number). `kind`: `message` (the buyer's or a staff reply, public), `note` (staff only,
-- never shown to a buyer) or `status` (what happened to the ticket: `body` names it).
-- Never edited: an admin may redact one, which empties `body` and leaves who, when and why;
-- `body_sha256` stays, so what was written can still be proven (`audit_pending` marks the
-- messages the audit chain will take in, as for timeline events).
CREATE TABLE messages (
    thread           TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('message', 'note', 'status')),
    author           TEXT NOT NULL,
    author_role      TEXT NOT NULL,
    body             TEXT,
    body_sha256      TEXT NOT NULL,
    at               BIGINT NOT NULL,
    redacted_by      TEXT,
    redacted_at      BIGINT,
    redaction_reason TEXT,
    audit_pending    BIGINT NOT NULL DEFAULT 1 CHECK (audit_pending IN (0, 1)),
    PRIMARY KEY (thread, seq)
);
CREATE INDEX messages_audit_pending ON messages (at, thread, seq) WHERE audit_pending = 1;
