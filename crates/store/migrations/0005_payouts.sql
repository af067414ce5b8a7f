-- Payouts (PRODUCT.md §4; rules in crates/domain/src/payout.rs): written in the transaction of
-- the approval that causes them (the outbox); sent by a worker. `id` is the idempotency key
-- the channel sees (RF-…-P1), stable across retries, restarts and crashes.
CREATE TABLE payouts (
    id              TEXT PRIMARY KEY,
    application_no  TEXT NOT NULL REFERENCES applications (no),
    n               BIGINT NOT NULL,
    order_no        TEXT NOT NULL REFERENCES orders (order_no),
    channel         TEXT NOT NULL,
    amount_fen      BIGINT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- The channel's own reference (WeChat Pay refund_id, Alipay trade_no) once known.
    channel_ref     TEXT,
    -- The channel's words when it is abnormal or closed.
    reason          TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    settled_at      BIGINT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (application_no, n)
);
CREATE INDEX payouts_due ON payouts (state, next_attempt_at);
CREATE INDEX payouts_order ON payouts (order_no);

-- Every request to a channel, every query and every callback, as it happened.
CREATE TABLE payout_attempts (
    payout_id TEXT NOT NULL REFERENCES payouts (id),
    n         BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    action    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    PRIMARY KEY (payout_id, n)
);

-- Callback nonces already accepted, per channel: a replayed callback is refused.
CREATE TABLE channel_nonces (
    channel TEXT NOT NULL,
    nonce   TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (channel, nonce)
);

-- The sandbox gateway's own books (crates/web/src/sandbox): the refunds it was asked for, one
-- per idempotency key, kept in the database so restarts of `serve` do not make it forget.
CREATE TABLE sandbox_refunds (
    channel     TEXT NOT NULL,
    refund_key  TEXT NOT NULL,
    refund_id   TEXT NOT NULL,
    trade_ref   TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    total_fen   BIGINT NOT NULL,
    status      TEXT NOT NULL,
    notify_url  TEXT,
    requests    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    settle_at   BIGINT NOT NULL,
    settled_at  BIGINT,
    notified_at BIGINT,
    PRIMARY KEY (channel, refund_key)
);
CREATE INDEX sandbox_refunds_due ON sandbox_refunds (status, settle_at);
