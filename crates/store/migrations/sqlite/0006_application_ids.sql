-- SQLite: stable application ids, and CHECK constraints on states and amounts
-- (docs/upgrading.md). PostgreSQL gets the same schema from postgres/0006 and 0007.
--
-- An application's primary key is now `id`, given when its draft is created and never
-- changed; its number `no` (RF-…) is given when it is submitted. Applications submitted
-- before keep their number as their id. Drafts get an id made from their old number
-- (RF-20260101-ABC123 becomes DR-20260101ABC123) and no number until they are submitted.
-- Timeline events and payouts exist only once an application has a number and stay filed
-- under it; evidence, which a draft can have, is filed under the id.
--
-- SQLite cannot change a table's constraints in place, so `applications` and every table that
-- refers to it are rebuilt, here, in one transaction. Children are dropped before their
-- parents, so no reference is ever left dangling while foreign keys are enforced; renaming a
-- rebuilt parent renames the references to it.

CREATE TABLE applications_v6 (
    id               TEXT PRIMARY KEY,
    no               TEXT UNIQUE,
    order_no         TEXT NOT NULL REFERENCES orders (order_no),
    buyer            TEXT NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL,
    description      TEXT NOT NULL,
    requested_fen    BIGINT NOT NULL,
    approved_fen     BIGINT,
    reject_code      TEXT,
    reject_text      TEXT,
    reviewer         TEXT,
    first_reviewer   TEXT,
    round            TEXT NOT NULL,
    appeals          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    submitted_at     BIGINT,
    review_due_at    BIGINT,
    paused_days_left BIGINT,
    decided_at       BIGINT,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    CONSTRAINT applications_state_check CHECK (state IN ('draft', 'submitted', 'in_review', 'info_requested',
        'approved', 'rejected', 'appealed', 'withdrawn', 'refunding', 'refunded', 'refund_failed')),
    CONSTRAINT applications_numbered_check CHECK ((no IS NULL) = (state = 'draft')),
    CONSTRAINT applications_round_check CHECK (round IN ('first', 'appeal')),
    CONSTRAINT applications_requested_check CHECK (requested_fen > 0),
    CONSTRAINT applications_approved_check CHECK (approved_fen IS NULL OR approved_fen > 0 AND approved_fen <= requested_fen),
    CONSTRAINT applications_appeals_check CHECK (appeals >= 0)
);
INSERT INTO applications_v6 (id, no, order_no, buyer, state, reason, description, requested_fen, approved_fen,
        reject_code, reject_text, reviewer, first_reviewer, round, appeals, created_at, submitted_at,
        review_due_at, paused_days_left, decided_at, updated_at, version)
    SELECT CASE WHEN state = 'draft' THEN 'DR-' || substr(no, 4, 8) || substr(no, 13, 6) ELSE no END,
        CASE WHEN state = 'draft' THEN NULL ELSE no END,
        order_no, buyer, state, reason, description, requested_fen, approved_fen, reject_code, reject_text,
        reviewer, first_reviewer, round, appeals, created_at, submitted_at, review_due_at, paused_days_left,
        decided_at, updated_at, version
    FROM applications ORDER BY no;

CREATE TABLE application_events_v6 (
    application_no TEXT NOT NULL REFERENCES applications_v6 (no),
    seq            BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    body           TEXT NOT NULL,
    PRIMARY KEY (application_no, seq)
);
INSERT INTO application_events_v6 (application_no, seq, at, kind, actor, actor_role, from_state, to_state, body)
    SELECT application_no, seq, at, kind, actor, actor_role, from_state, to_state, body
    FROM application_events ORDER BY application_no, seq;

CREATE TABLE evidence_v6 (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications_v6 (id),
    seq            BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    media_type     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    caption        TEXT NOT NULL,
    filename       TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    source         TEXT NOT NULL
);
INSERT INTO evidence_v6 (id, application_id, seq, sha256, size, media_type, kind, caption, filename,
        uploaded_by, uploaded_at, source)
    SELECT v.id, CASE WHEN a.state = 'draft' THEN 'DR-' || substr(a.no, 4, 8) || substr(a.no, 13, 6) ELSE a.no END,
        v.seq, v.sha256, v.size, v.media_type, v.kind, v.caption, v.filename, v.uploaded_by, v.uploaded_at,
        v.source
    FROM evidence v JOIN applications a ON a.no = v.application_no ORDER BY v.id;

CREATE TABLE payouts_v6 (
    id              TEXT PRIMARY KEY,
    application_no  TEXT NOT NULL REFERENCES applications_v6 (no),
    n               BIGINT NOT NULL,
    order_no        TEXT NOT NULL REFERENCES orders (order_no),
    channel         TEXT NOT NULL,
    amount_fen      BIGINT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    channel_ref     TEXT,
    reason          TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    settled_at      BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (application_no, n),
    CONSTRAINT payouts_state_check CHECK (state IN ('created', 'processing', 'succeeded', 'abnormal', 'closed')),
    CONSTRAINT payouts_amount_check CHECK (amount_fen > 0),
    CONSTRAINT payouts_attempts_check CHECK (attempts >= 0)
);
INSERT INTO payouts_v6 (id, application_no, n, order_no, channel, amount_fen, state, attempts, next_attempt_at,
        channel_ref, reason, created_at, sent_at, settled_at, updated_at)
    SELECT id, application_no, n, order_no, channel, amount_fen, state, attempts, next_attempt_at, channel_ref,
        reason, created_at, sent_at, settled_at, updated_at
    FROM payouts ORDER BY id;

CREATE TABLE payout_attempts_v6 (
    payout_id TEXT NOT NULL REFERENCES payouts_v6 (id),
    n         BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (payout_id, n)
);
INSERT INTO payout_attempts_v6 (payout_id, n, at, action, outcome, detail)
    SELECT payout_id, n, at, action, outcome, detail FROM payout_attempts ORDER BY payout_id, n;

DROP TABLE payout_attempts;
DROP TABLE payouts;
DROP TABLE evidence;
DROP TABLE application_events;
DROP TABLE applications;

ALTER TABLE applications_v6 RENAME TO applications;
ALTER TABLE application_events_v6 RENAME TO application_events;
ALTER TABLE evidence_v6 RENAME TO evidence;
ALTER TABLE payouts_v6 RENAME TO payouts;
ALTER TABLE payout_attempts_v6 RENAME TO payout_attempts;

CREATE INDEX applications_buyer ON applications (buyer, created_at);
CREATE INDEX applications_order ON applications (order_no);
CREATE INDEX applications_queue ON applications (state, review_due_at);
CREATE INDEX applications_submitted ON applications (submitted_at);
CREATE UNIQUE INDEX evidence_application ON evidence (application_id, seq);
CREATE INDEX evidence_sha256 ON evidence (sha256);
CREATE UNIQUE INDEX evidence_one_snapshot ON evidence (application_id) WHERE source = 'system';
CREATE INDEX payouts_due ON payouts (state, next_attempt_at);
CREATE INDEX payouts_order ON payouts (order_no);
