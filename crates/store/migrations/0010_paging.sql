-- Every list is read in index order, a page at a time (docs/api.md, "Lists"): each list's
-- index ends in the list's sort columns and a unique tiebreak, so a page is a seek to the
-- cursor and a walk of `limit` rows, however long the history is.
--
-- The review queue: `queue_key` is where an open application stands in it (the domain's
-- `Application::queue_key`: its review due time, or, paused for the buyer, after every running
-- clock), NULL once it waits for no one on staff. The payment channel is copied from the order
-- (it cannot change once an application is submitted) so the queue can be filtered by it
-- without a join. The queue's indexes are partial: they hold the open applications only, and a
-- decided one leaves them.
ALTER TABLE applications ADD COLUMN queue_key BIGINT;
ALTER TABLE applications ADD COLUMN pay_channel TEXT;
UPDATE applications SET pay_channel = (SELECT o.pay_channel FROM orders o WHERE o.order_no = applications.order_no);
UPDATE applications SET queue_key = CASE
        WHEN state = 'info_requested' THEN 1000000000000000 + COALESCE(submitted_at, created_at)
        ELSE COALESCE(review_due_at, submitted_at, created_at) END
    WHERE state IN ('submitted', 'in_review', 'info_requested', 'appealed');

-- The whole queue's index is on the expression `queue_key + 0`, which only the unfiltered
-- queue orders by: a filtered queue is then served by its own index, never by walking the whole
-- queue and skipping what does not match (the planner's choice when due times follow the order
-- rows were written in, as they do).
DROP INDEX applications_queue;
CREATE INDEX applications_queue ON applications ((queue_key + 0), no) WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_state ON applications (state, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_reason ON applications (reason, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_channel ON applications (pay_channel, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_state_channel ON applications (state, pay_channel, queue_key, no)
    WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_reviewer ON applications (reviewer, queue_key, no) WHERE queue_key IS NOT NULL;
CREATE INDEX applications_queue_amount ON applications (requested_fen, no) WHERE queue_key IS NOT NULL;

-- A buyer's applications and the staff's search, newest first.
DROP INDEX applications_buyer;
CREATE INDEX applications_buyer ON applications (buyer, created_at, id);
DROP INDEX applications_order;
CREATE INDEX applications_order ON applications (order_no, created_at, id);

-- A buyer's orders, newest first.
DROP INDEX orders_buyer;
CREATE INDEX orders_buyer ON orders (buyer, created_at, order_no);
