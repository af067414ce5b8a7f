-- The review promise as a service-level clock (crates/domain/src/sla.rs, whole business days)
-- and the statutory clock (crates/domain/src/statutory.rs), each as JSON: start, target or
-- period, pauses, stop. `paused_days_left` is no longer written. An application stored before
-- this version whose clocks still matter — open, or approved and not yet paid — gets them
-- rebuilt from its round's start, due time and days left when Redress next migrates
-- (crates/store/src/applications/clocks.rs); the partial index finds those, and is empty after.
ALTER TABLE applications ADD COLUMN review_clock TEXT;
ALTER TABLE applications ADD COLUMN statutory_clock TEXT;
CREATE INDEX applications_clocks_to_rebuild ON applications (id)
    WHERE statutory_clock IS NULL
      AND state IN ('submitted', 'in_review', 'info_requested', 'appealed', 'approved', 'refunding', 'refund_failed');
