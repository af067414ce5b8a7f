-- Notifications (rules in crates/domain/src/notify.rs, SQL in crates/store/src/notifications.rs):
-- one row per person told, written in the transaction of what caused it. The id is derived
-- from the cause and the recipient, so a cause written twice tells once.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    audience   TEXT NOT NULL CHECK (audience IN ('buyer', 'staff')),
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    amount_fen BIGINT,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);

-- A person's notifications, newest first (keyset paging on created_at, id).
CREATE INDEX notifications_of ON notifications (recipient, created_at, id);
-- The unread count in every page's header reads only the unread.
CREATE INDEX notifications_unread ON notifications (recipient) WHERE read_at IS NULL;

-- What waits for a buyer (a draft to finish, information asked for: the domain's
-- `ApplicationState::awaits_buyer`), which their landing page leads with: a few rows a buyer.
CREATE INDEX applications_awaiting_buyer ON applications (buyer, created_at, id)
    WHERE state IN ('draft', 'info_requested');
