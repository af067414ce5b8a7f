//! What each background job has waiting, for `/readyz?verbose=1`: counted in the index the
//! job's own pass reads, up to a cap, and the time of the oldest waiting item (the first entry
//! of that index). Each reading is an index seek that costs at most the cap, however long the
//! history.

use crate::sql::built;
use crate::{Store, StoreError, from_ms, ms};
use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Counts stop here: a backlog larger than this reads as "more than".
pub const BACKLOG_CAP: u64 = 10_000;

/// One job's waiting work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// How many items wait, at most [`BACKLOG_CAP`].
    pub waiting: u64,
    /// Whether more than [`BACKLOG_CAP`] wait.
    pub capped: bool,
    /// When the oldest waiting item began to wait.
    pub oldest: Option<Timestamp>,
}

fn cap() -> i64 {
    i64::try_from(BACKLOG_CAP).unwrap_or(i64::MAX) + 1
}

/// A row of `n` (each part counted up to the cap + 1, so a sum above the cap means more than
/// the cap wait) and `oldest`, `oldest2`, `oldest3` (any may be absent or NULL).
fn backlog_of(row: &AnyRow) -> Result<Backlog, StoreError> {
    let n: i64 = row.try_get("n")?;
    let firsts = ["oldest", "oldest2", "oldest3"]
        .into_iter()
        .filter_map(|c| row.try_get::<Option<i64>, _>(c).ok().flatten())
        .min();
    let n = u64::try_from(n).unwrap_or(0);
    Ok(Backlog { waiting: n.min(BACKLOG_CAP), capped: n > BACKLOG_CAP, oldest: firsts.map(from_ms) })
}

impl Store {
    /// Reads one backlog statement's row.
    async fn read(&self, q: crate::applications::row::AnyQuery<'_>) -> Result<Backlog, StoreError> {
        backlog_of(&q.fetch_one(&self.pool).await?)
    }

    /// Submissions whose system snapshot is not taken yet (drafts, not submitted, have none).
    pub async fn snapshot_backlog(&self) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM applications
                     WHERE snapshot_pending = 1 AND submitted_at IS NOT NULL LIMIT $1) w) AS n,
                    (SELECT submitted_at FROM applications WHERE snapshot_pending = 1 AND submitted_at IS NOT NULL
                     ORDER BY submitted_at LIMIT 1) AS oldest",
            )
            .bind(cap()),
        )
        .await
    }

    /// Timeline events, files and messages waiting to be chained (a submitted draft's parked files wait
    /// with its submission's event, which is counted).
    pub async fn audit_backlog(&self) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM application_events WHERE audit_pending = 1 LIMIT $1) w)
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM evidence WHERE audit_pending = 1 LIMIT $1) v)
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE audit_pending = 1 LIMIT $1) m) AS n,
                    (SELECT at FROM application_events WHERE audit_pending = 1 ORDER BY at LIMIT 1) AS oldest,
                    (SELECT uploaded_at FROM evidence WHERE audit_pending = 1 ORDER BY uploaded_at LIMIT 1) AS oldest2,
                    (SELECT at FROM messages WHERE audit_pending = 1 ORDER BY at LIMIT 1) AS oldest3",
            )
            .bind(cap()),
        )
        .await
    }

    /// Payouts due now (open, and their next attempt's time has come); oldest: the longest due.
    pub async fn payout_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(built!(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM payouts WHERE state IN ({open}) AND next_attempt_at <= $1
                     LIMIT $2) w) AS n,
                    (SELECT MIN(next_attempt_at) FROM payouts WHERE state IN ({open}) AND next_attempt_at <= $1)
                     AS oldest",
                open = crate::payout_states_sql(|s| !s.is_final())
            ))
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Sessions past their expiry, not removed yet.
    pub async fn session_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE expires_at <= $1 LIMIT $2) w) AS n,
                    (SELECT MIN(expires_at) FROM sessions WHERE expires_at <= $1) AS oldest",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Review deadlines passed since the late-review rule last looked (each is looked at once).
    pub async fn late_review_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        let (at, no) = self.late_review_mark().await?;
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM applications
                     WHERE ((queue_key + 0), no) > ($1, $2) AND (queue_key + 0) < $3 LIMIT $4) w) AS n,
                    (SELECT MIN(queue_key + 0) FROM applications
                     WHERE ((queue_key + 0), no) > ($1, $2) AND (queue_key + 0) < $3) AS oldest",
            )
            .bind(at)
            .bind(no)
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Resolved tickets whose time to reopen is over, not closed yet.
    pub async fn ticket_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE close_at <= $1 LIMIT $2) w) AS n,
                    (SELECT MIN(close_at) FROM tickets WHERE close_at <= $1) AS oldest",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Usage counters whose window ended (the `limits` job forgets them).
    pub async fn usage_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM usage_counters WHERE window_end <= $1 LIMIT $2) w) AS n,
                    (SELECT MIN(window_end) FROM usage_counters WHERE window_end <= $1) AS oldest",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Notifications whose e-mail is not decided yet, and e-mails due to be sent.
    pub async fn mail_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE mail_pending = 1 LIMIT $2) w)
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM emails WHERE state = 'pending' AND next_attempt_at <= $1
                     LIMIT $2) v) AS n,
                    (SELECT MIN(created_at) FROM notifications WHERE mail_pending = 1) AS oldest,
                    (SELECT MIN(next_attempt_at) FROM emails WHERE state = 'pending' AND next_attempt_at <= $1)
                     AS oldest2",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// Merchant notifications whose webhook message is not made yet, and deliveries due.
    pub async fn webhook_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE hook_pending = 1 LIMIT $2) w)
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE state = 'pending'
                     AND next_attempt_at <= $1 LIMIT $2) v) AS n,
                    (SELECT MIN(created_at) FROM notifications WHERE hook_pending = 1) AS oldest,
                    (SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1)
                     AS oldest2",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }

    /// The sandbox's refunds due to settle, and settled ones whose callback is not delivered.
    pub async fn sandbox_backlog(&self, now: Timestamp) -> Result<Backlog, StoreError> {
        self.read(
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM sandbox_refunds
                     WHERE status = 'PROCESSING' AND settle_at <= $1 LIMIT $2) w)
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM sandbox_refunds
                     WHERE settled_at IS NOT NULL AND notified_at IS NULL AND notify_url IS NOT NULL LIMIT $2) v) AS n,
                    (SELECT MIN(settle_at) FROM sandbox_refunds WHERE status = 'PROCESSING' AND settle_at <= $1)
                     AS oldest,
                    (SELECT MIN(settled_at) FROM sandbox_refunds
                     WHERE settled_at IS NOT NULL AND notified_at IS NULL AND notify_url IS NOT NULL) AS oldest2",
            )
            .bind(ms(now))
            .bind(cap()),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_what_waits_up_to_the_cap_and_names_the_oldest() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::connect(&Store::sqlite_url(dir.path()), None).await.expect("store");
        store.migrate().await.expect("migrate");
        let now = Timestamp::from_second(1_800_000_000).expect("now");
        assert_eq!(store.session_backlog(now).await.expect("backlog"), Backlog::default());
        store
            .execute_unchecked(
                "INSERT INTO users (username, display_name, role, password_hash, locale, created_at)
                 VALUES ('u', 'U', 'buyer', 'x', 'zh-CN', 0)",
            )
            .await
            .expect("user");
        let at = |s: i64| ms(Timestamp::from_second(s).expect("time"));
        store
            .execute_unchecked(&format!(
                "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES
                 ('a', 'u', 0, {}), ('b', 'u', 0, {}), ('c', 'u', 0, {})",
                at(1_700_000_000),
                at(1_600_000_000),
                at(1_900_000_000)
            ))
            .await
            .expect("sessions");
        let b = store.session_backlog(now).await.expect("backlog");
        assert_eq!(
            b,
            Backlog { waiting: 2, capped: false, oldest: Some(Timestamp::from_second(1_600_000_000).expect("t")) }
        );
    }
}
