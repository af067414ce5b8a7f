-- Redress core schema. Portable SQL accepted by both SQLite and PostgreSQL (through sqlx Any):
-- ids are TEXT, timestamps BIGINT epoch milliseconds (UTC), money BIGINT fen, JSON as TEXT.
-- Never edit a migration that has landed; add a new numbered file.

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale        TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Bearer sessions for the JSON API; only the SHA-256 of the token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Merchant API tokens; only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Published policy versions: written once, never updated.
CREATE TABLE policies (
    version      BIGINT PRIMARY KEY,
    body         TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL
);

CREATE TABLE orders (
    order_no           TEXT PRIMARY KEY,
    buyer              TEXT NOT NULL,
    service_name       TEXT NOT NULL,
    platform           TEXT NOT NULL,
    unit               TEXT NOT NULL,
    promised           BIGINT NOT NULL,
    deadline           BIGINT NOT NULL,
    policy_version     BIGINT NOT NULL REFERENCES policies (version),
    policy_accepted_at BIGINT NOT NULL,
    pay_channel        TEXT,
    pay_transaction_id TEXT,
    paid_fen           BIGINT,
    paid_at            BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    -- Bumped whenever what the order entitles to may change (a submission or appeal, a merchant
    -- update, a new delivery reading, an account event): submissions and appeals decide on
    -- lock-free reads and write only if it is still the version they read.
    lock_version       BIGINT NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer, paid_at);

CREATE TABLE deliveries (
    order_no    TEXT NOT NULL REFERENCES orders (order_no),
    at          BIGINT NOT NULL,
    source      TEXT NOT NULL,
    delivered   BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (order_no, at, source)
);

CREATE TABLE account_events (
    event_id    TEXT PRIMARY KEY,
    buyer       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    source      TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX account_events_buyer ON account_events (buyer, at);

CREATE TABLE applications (
    no               TEXT PRIMARY KEY,
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
    version          BIGINT NOT NULL
);
CREATE INDEX applications_buyer ON applications (buyer, created_at);
CREATE INDEX applications_order ON applications (order_no);
CREATE INDEX applications_queue ON applications (state, review_due_at);

-- The timeline: one row per transition, written in the same transaction as the state.
CREATE TABLE application_events (
    application_no TEXT NOT NULL REFERENCES applications (no),
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

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
