-- The background pass that takes system snapshots looks at recent submissions only.
CREATE INDEX applications_submitted ON applications (submitted_at);
