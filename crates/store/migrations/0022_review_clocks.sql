-- The review promise as a service-level clock (crates/domain/src/sla.rs, whole business days):
-- its start, target, every pause and its stop, as JSON. `paused_days_left` is no longer
-- written. An open application stored before this version gets its clock rebuilt from its due
-- time and, while paused, its days left, when Redress next migrates
-- (crates/store/src/applications/clocks.rs); the partial index finds those, and is empty after.
ALTER TABLE applications ADD COLUMN review_clock TEXT;
CREATE INDEX applications_clock_to_rebuild ON applications (id)
    WHERE review_clock IS NULL AND queue_key IS NOT NULL;
