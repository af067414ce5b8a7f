-- A buyer's use of support per window (rules in crates/domain/src/limits.rs): tickets opened
-- per Beijing day, messages per minute, bytes of files per day. Counted in the transaction of
-- the write it counts (an upsert; the row's lock orders concurrent writes of one buyer, so a
-- limit holds across instances); windows that ended are forgotten by the `limits` job, which
-- reads only those through `usage_counters_ended`.
CREATE TABLE usage_counters (
    subject      TEXT NOT NULL,
    meter        TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    PRIMARY KEY (subject, meter, window_start)
);
CREATE INDEX usage_counters_ended ON usage_counters (window_end);
