-- PostgreSQL: stable application ids, and CHECK constraints on states and amounts
-- (docs/upgrading.md). SQLite gets the same schema from sqlite/0006.
--
-- An application's primary key is now `id`, given when its draft is created and never
-- changed; its number `no` (RF-…) is given when it is submitted. Applications submitted
-- before keep their number as their id. Drafts get an id made from their old number
-- (RF-20260101-ABC123 becomes DR-20260101ABC123) and no number until they are submitted.
-- Timeline events and payouts exist only once an application has a number and stay filed
-- under it; evidence, which a draft can have, is filed under the id.
--
-- The new constraints are added NOT VALID (checked for every row written from now on) and
-- validated by 0007, in its own transaction, which lets reads and writes go on meanwhile.

ALTER TABLE evidence DROP CONSTRAINT evidence_application_no_fkey;
ALTER TABLE application_events DROP CONSTRAINT application_events_application_no_fkey;
ALTER TABLE payouts DROP CONSTRAINT payouts_application_no_fkey;

ALTER TABLE applications DROP CONSTRAINT applications_pkey;
ALTER TABLE applications ALTER COLUMN no DROP NOT NULL;
ALTER TABLE applications ADD COLUMN id TEXT;

UPDATE evidence v SET application_no = 'DR-' || substr(v.application_no, 4, 8) || substr(v.application_no, 13, 6)
    FROM applications a WHERE a.no = v.application_no AND a.state = 'draft';
UPDATE applications SET
    id = CASE WHEN state = 'draft' THEN 'DR-' || substr(no, 4, 8) || substr(no, 13, 6) ELSE no END,
    no = CASE WHEN state = 'draft' THEN NULL ELSE no END;

ALTER TABLE applications ADD CONSTRAINT applications_pkey PRIMARY KEY (id);
ALTER TABLE applications ADD CONSTRAINT applications_no_key UNIQUE (no);
ALTER TABLE evidence RENAME COLUMN application_no TO application_id;

ALTER TABLE evidence ADD CONSTRAINT evidence_application_id_fkey
    FOREIGN KEY (application_id) REFERENCES applications (id) NOT VALID;
ALTER TABLE application_events ADD CONSTRAINT application_events_application_no_fkey
    FOREIGN KEY (application_no) REFERENCES applications (no) NOT VALID;
ALTER TABLE payouts ADD CONSTRAINT payouts_application_no_fkey
    FOREIGN KEY (application_no) REFERENCES applications (no) NOT VALID;

ALTER TABLE applications ADD CONSTRAINT applications_state_check CHECK (state IN ('draft', 'submitted',
    'in_review', 'info_requested', 'approved', 'rejected', 'appealed', 'withdrawn', 'refunding', 'refunded',
    'refund_failed')) NOT VALID;
ALTER TABLE applications ADD CONSTRAINT applications_numbered_check
    CHECK ((no IS NULL) = (state = 'draft')) NOT VALID;
ALTER TABLE applications ADD CONSTRAINT applications_round_check CHECK (round IN ('first', 'appeal')) NOT VALID;
ALTER TABLE applications ADD CONSTRAINT applications_requested_check CHECK (requested_fen > 0) NOT VALID;
ALTER TABLE applications ADD CONSTRAINT applications_approved_check
    CHECK (approved_fen IS NULL OR approved_fen > 0 AND approved_fen <= requested_fen) NOT VALID;
ALTER TABLE applications ADD CONSTRAINT applications_appeals_check CHECK (appeals >= 0) NOT VALID;
ALTER TABLE payouts ADD CONSTRAINT payouts_state_check
    CHECK (state IN ('created', 'processing', 'succeeded', 'abnormal', 'closed')) NOT VALID;
ALTER TABLE payouts ADD CONSTRAINT payouts_amount_check CHECK (amount_fen > 0) NOT VALID;
ALTER TABLE payouts ADD CONSTRAINT payouts_attempts_check CHECK (attempts >= 0) NOT VALID;
