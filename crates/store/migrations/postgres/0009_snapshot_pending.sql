-- Which submitted applications still need their system snapshot (crates/app/src/snapshots.rs):
-- `snapshot_pending` is 1 until the transaction that attaches the snapshot sets it to 0. A
-- partial index by submission time holds exactly those (a draft, not submitted, is not in its
-- range), so the snapshot job's pass costs what waits, not every submission there is.
-- Added as 0 (no table rewrite); then only the rows without a snapshot are written.
ALTER TABLE applications ADD COLUMN snapshot_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE applications ALTER COLUMN snapshot_pending SET DEFAULT 1;
ALTER TABLE applications ADD CONSTRAINT applications_snapshot_pending_check
    CHECK (snapshot_pending IN (0, 1)) NOT VALID;
UPDATE applications a SET snapshot_pending = 1 WHERE NOT EXISTS (
    SELECT 1 FROM evidence v WHERE v.application_id = a.id AND v.source = 'system');
CREATE INDEX applications_snapshot_pending ON applications (submitted_at) WHERE snapshot_pending = 1;
