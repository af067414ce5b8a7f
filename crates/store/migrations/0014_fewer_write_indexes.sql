-- Every index an application's row is in costs each write of it an entry (a submission changes
-- indexed columns, so PostgreSQL cannot update it in place either). Two paid for nothing:
-- the index on `submitted_at` serves no query (the snapshots job reads its own partial index),
-- and the assignee's queue held every open application, assigned or not, while it is only ever
-- read for one reviewer's.
DROP INDEX applications_submitted;
DROP INDEX applications_queue_reviewer;
CREATE INDEX applications_queue_reviewer ON applications (reviewer, queue_key, no)
    WHERE queue_key IS NOT NULL AND reviewer IS NOT NULL;
