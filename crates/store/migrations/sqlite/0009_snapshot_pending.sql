-- Which submitted applications still need their system snapshot (crates/app/src/snapshots.rs):
-- `snapshot_pending` is 1 until the transaction that attaches the snapshot sets it to 0. A
-- partial index by submission time holds exactly those (a draft, not submitted, is not in its
-- range), so the snapshot job's pass costs what waits, not every submission there is.
ALTER TABLE applications ADD COLUMN snapshot_pending BIGINT NOT NULL DEFAULT 1
    CHECK (snapshot_pending IN (0, 1));
UPDATE applications SET snapshot_pending = 0 WHERE EXISTS (
    SELECT 1 FROM evidence v WHERE v.application_id = applications.id AND v.source = 'system');
CREATE INDEX applications_snapshot_pending ON applications (submitted_at) WHERE snapshot_pending = 1;
