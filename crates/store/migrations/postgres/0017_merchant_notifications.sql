-- The merchant becomes an audience of notifications (its webhooks: crates/store/src/webhooks.rs),
-- and `hook_pending` marks the ones whose webhook message the webhook job has not made yet.
ALTER TABLE notifications DROP CONSTRAINT notifications_audience_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_audience_check
    CHECK (audience IN ('buyer', 'staff', 'merchant')) NOT VALID;
ALTER TABLE notifications ADD COLUMN hook_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD CONSTRAINT notifications_hook_pending_check
    CHECK (hook_pending IN (0, 1)) NOT VALID;
CREATE INDEX notifications_hook_pending ON notifications (created_at) WHERE hook_pending = 1;
