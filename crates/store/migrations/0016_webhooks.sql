-- Webhooks to the merchant's system (rules in crates/domain/src/webhook.rs, SQL in
-- crates/store/src/webhooks.rs). The merchant's notifications (audience 'merchant', added to
-- the notifications table by 0017) are the outbox: the webhook job makes one message of each,
-- and one delivery per subscribed endpoint, a work queue on the queues' lease.

-- Where to send: the secret (and during a rotation the previous one, until previous_until)
-- sealed with the webhook key (never stored or shown in clear after it is made).
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('enabled', 'disabled')),
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  BIGINT,
    -- The first failure since the last success; five days of it disable the endpoint.
    failing_since   BIGINT,
    disabled_reason TEXT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (created_at, id);

-- One message per merchant notification: its webhook-id and body, made once, so every
-- attempt, redelivery and replay sends the same bytes under the same id.
CREATE TABLE webhook_messages (
    id         TEXT PRIMARY KEY,
    notice_id  TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    sequence   BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Replaying a time range reads only that range.
CREATE INDEX webhook_messages_at ON webhook_messages (created_at, id);

-- A message to an endpoint: the work queue.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

-- The delivery log: each attempt's answer (the first 1 KB of it).
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    endpoint_id TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    latency_ms  BIGINT NOT NULL,
    answer      TEXT,
    error       TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
-- An endpoint's log, newest first (keyset paging on at, delivery_id, attempt).
CREATE INDEX webhook_attempts_log ON webhook_attempts (endpoint_id, at, delivery_id, attempt);
