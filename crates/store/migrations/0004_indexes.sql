-- The background pass that takes system snapshots looks at recent submissions only.
CREATE INDEX applications_submitted ON applications (submitted_at);
-- A case file gathers one application's audit entries.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
