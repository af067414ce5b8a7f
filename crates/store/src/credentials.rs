//! Credentials checked recently, kept in memory so a busy client's requests do not each read
//! the session or token table.
//!
//! An entry is trusted for [`RECHECK`] of the injected clock after it was read from the
//! database, and never past the credential's own expiry. A credential ended through this
//! store (a logout, a new password, a revoked token) is forgotten here at once; one ended by
//! another instance or by the CLI is refused here at most [`RECHECK`] later. Only credentials
//! found are kept: an unknown token is read every time, so a session opened on another
//! instance works here at once.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a credential read from the database is trusted without reading it again.
pub const RECHECK: SignedDuration = SignedDuration::from_secs(1);

/// The most credentials kept; past it, the ones due for a re-read are dropped first, and all
/// of them if that is not enough.
const CAPACITY: usize = 10_000;

/// Checked credentials by the SHA-256 of their token.
#[derive(Debug)]
pub(crate) struct Recent<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
}

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent { entries: Mutex::new(HashMap::new()) }
    }
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    read_at: Timestamp,
    /// When the credential itself ends (`None`: it does not, until revoked).
    expires_at: Option<Timestamp>,
}

impl<V> Entry<V> {
    fn fresh(&self, now: Timestamp) -> bool {
        // A clock set back is treated as a reason to read again.
        self.read_at <= now && now < self.read_at + RECHECK && self.expires_at.is_none_or(|e| now < e)
    }
}

impl<V: Clone> Recent<V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<V>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value read for `hash` if it may still be trusted at `now`.
    pub(crate) fn get(&self, hash: &str, now: Timestamp) -> Option<V> {
        self.lock().get(hash).filter(|e| e.fresh(now)).map(|e| e.value.clone())
    }

    /// Keeps what was just read from the database.
    pub(crate) fn put(&self, hash: String, value: V, read_at: Timestamp, expires_at: Option<Timestamp>) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.fresh(read_at));
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(hash, Entry { value, read_at, expires_at });
    }

    /// Forgets the credential `hash`.
    pub(crate) fn forget(&self, hash: &str) {
        self.lock().remove(hash);
    }

    /// Forgets every credential whose value `ends` says is ended.
    pub(crate) fn forget_where(&self, ends: impl Fn(&V) -> bool) {
        self.lock().retain(|_, e| !ends(&e.value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("a valid time")
    }

    #[test]
    fn trusted_for_the_recheck_time_and_never_past_expiry() {
        let r = Recent::default();
        r.put("a".into(), 1, at(0), Some(at(10)));
        assert_eq!(r.get("a", at(0)), Some(1));
        assert_eq!(r.get("a", at(0) + SignedDuration::from_millis(999)), Some(1));
        assert_eq!(r.get("a", at(1)), None, "read again after RECHECK");
        assert_eq!(r.get("a", at(-1)), None, "a clock set back reads again");
        r.put("b".into(), 2, at(10) - SignedDuration::from_millis(500), Some(at(10)));
        assert_eq!(r.get("b", at(10)), None, "expired, though read half a second ago");
    }

    #[test]
    fn forgetting_is_immediate() {
        let r = Recent::default();
        r.put("a".into(), "lin", at(0), None);
        r.put("b".into(), "lin", at(0), None);
        r.put("c".into(), "wang", at(0), None);
        r.forget("c");
        assert_eq!(r.get("c", at(0)), None);
        r.forget_where(|u| *u == "lin");
        assert_eq!((r.get("a", at(0)), r.get("b", at(0))), (None, None));
    }

    #[test]
    fn bounded() {
        let r = Recent::default();
        for i in 0..CAPACITY {
            r.put(i.to_string(), i, at(0), None);
        }
        // Full of entries due for a re-read: they go, the new one stays.
        r.put("late".into(), 0, at(5), None);
        assert_eq!(r.lock().len(), 1);
        assert_eq!(r.get("late", at(5)), Some(0));
        // Full of fresh ones: all go.
        let r = Recent::default();
        for i in 0..CAPACITY {
            r.put(i.to_string(), i, at(5), None);
        }
        assert_eq!(r.lock().len(), CAPACITY);
        r.put("one more".into(), 0, at(5), None);
        assert_eq!(r.lock().len(), 1);
    }
}
