-- The sandbox's callback pass reads the settled refunds whose callback is not delivered yet;
-- without this index every pass walked every refund the sandbox ever took. A partial index
-- holds exactly the waiting ones, so a pass costs what waits, not the history.
CREATE INDEX sandbox_refunds_unnotified ON sandbox_refunds (settled_at)
    WHERE settled_at IS NOT NULL AND notified_at IS NULL AND notify_url IS NOT NULL;
