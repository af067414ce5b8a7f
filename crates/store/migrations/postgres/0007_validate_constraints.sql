-- PostgreSQL: checks the rows written before 0006 against its constraints. A transaction of
-- its own, so reads and writes go on while every row is read (VALIDATE takes a lock that
-- lets them); a row that fails stops the upgrade here, naming the constraint.
ALTER TABLE evidence VALIDATE CONSTRAINT evidence_application_id_fkey;
ALTER TABLE application_events VALIDATE CONSTRAINT application_events_application_no_fkey;
ALTER TABLE payouts VALIDATE CONSTRAINT payouts_application_no_fkey;
ALTER TABLE applications VALIDATE CONSTRAINT applications_state_check;
ALTER TABLE applications VALIDATE CONSTRAINT applications_numbered_check;
ALTER TABLE applications VALIDATE CONSTRAINT applications_round_check;
ALTER TABLE applications VALIDATE CONSTRAINT applications_requested_check;
ALTER TABLE applications VALIDATE CONSTRAINT applications_approved_check;
ALTER TABLE applications VALIDATE CONSTRAINT applications_appeals_check;
ALTER TABLE payouts VALIDATE CONSTRAINT payouts_state_check;
ALTER TABLE payouts VALIDATE CONSTRAINT payouts_amount_check;
ALTER TABLE payouts VALIDATE CONSTRAINT payouts_attempts_check;
