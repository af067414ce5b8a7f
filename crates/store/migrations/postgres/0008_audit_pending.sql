-- What waits to be chained (crates/store/src/audit.rs): `audit_pending` is 1 for a timeline
-- event or file not in the audit chain yet — the default, so a row is waiting however it
-- reaches its table — 0 once chained, 2 for a draft's file, parked until the submission.
-- Partial indexes hold exactly the waiting rows, so the chainer's pass costs what waits.
--
-- The rows already there are nearly all chained: the column is added as 0 (no table
-- rewrite), the default becomes 1, and only the few rows still waiting are written.
ALTER TABLE application_events ADD COLUMN audit_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE application_events ALTER COLUMN audit_pending SET DEFAULT 1;
ALTER TABLE application_events ADD CONSTRAINT application_events_audit_pending_check
    CHECK (audit_pending IN (0, 1, 2)) NOT VALID;
ALTER TABLE evidence ADD COLUMN audit_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE evidence ALTER COLUMN audit_pending SET DEFAULT 1;
ALTER TABLE evidence ADD CONSTRAINT evidence_audit_pending_check
    CHECK (audit_pending IN (0, 1, 2)) NOT VALID;

UPDATE application_events e SET audit_pending = 1 WHERE NOT EXISTS (
    SELECT 1 FROM audit_log a WHERE a.kind = 'event' AND a.subject = e.application_no AND a.ref_seq = e.seq);
UPDATE evidence v SET audit_pending = CASE WHEN ap.state = 'draft' THEN 2 ELSE 1 END
    FROM applications ap
    WHERE ap.id = v.application_id AND NOT EXISTS (
        SELECT 1 FROM audit_log a WHERE a.kind = 'evidence' AND a.subject = ap.no AND a.ref_seq = v.seq);

CREATE INDEX application_events_audit_pending ON application_events (at, application_no, seq)
    WHERE audit_pending = 1;
CREATE INDEX evidence_audit_pending ON evidence (uploaded_at, application_id, seq) WHERE audit_pending = 1;
CREATE INDEX evidence_audit_parked ON evidence (application_id) WHERE audit_pending = 2;
