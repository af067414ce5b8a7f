-- What waits to be chained (crates/store/src/audit.rs): `audit_pending` is 1 for a timeline
-- event or file not in the audit chain yet — the default, so a row is waiting however it
-- reaches its table — 0 once chained, 2 for a draft's file, parked until the submission.
-- Partial indexes hold exactly the waiting rows, so the chainer's pass costs what waits.
ALTER TABLE application_events ADD COLUMN audit_pending BIGINT NOT NULL DEFAULT 1
    CHECK (audit_pending IN (0, 1, 2));
ALTER TABLE evidence ADD COLUMN audit_pending BIGINT NOT NULL DEFAULT 1
    CHECK (audit_pending IN (0, 1, 2));

UPDATE application_events SET audit_pending = 0 WHERE EXISTS (
    SELECT 1 FROM audit_log a
    WHERE a.kind = 'event' AND a.subject = application_events.application_no AND a.ref_seq = application_events.seq);
UPDATE evidence SET audit_pending = 0 WHERE EXISTS (
    SELECT 1 FROM applications ap JOIN audit_log a ON a.kind = 'evidence' AND a.subject = ap.no
    WHERE ap.id = evidence.application_id AND a.ref_seq = evidence.seq);
UPDATE evidence SET audit_pending = 2 WHERE audit_pending = 1 AND EXISTS (
    SELECT 1 FROM applications ap WHERE ap.id = evidence.application_id AND ap.state = 'draft');

CREATE INDEX application_events_audit_pending ON application_events (at, application_no, seq)
    WHERE audit_pending = 1;
CREATE INDEX evidence_audit_pending ON evidence (uploaded_at, application_id, seq) WHERE audit_pending = 1;
CREATE INDEX evidence_audit_parked ON evidence (application_id) WHERE audit_pending = 2;
