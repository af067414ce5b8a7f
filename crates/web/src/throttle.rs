//! Login throttling, for the API's and the pages' sign-in alike (governor, per account and per
//! client address).

use crate::codes::ErrorCode;
use crate::error::ApiError;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Login attempts allowed per account and per client address. Every attempt counts, so a
/// password cannot be guessed faster than the account's quota whatever the number of
/// addresses, nor many accounts sprayed from one address.
pub struct LoginThrottle {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginThrottle {
    fn default() -> LoginThrottle {
        let quota = |burst: u32, every: Duration| {
            Quota::with_period(every).map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)))
        };
        let accounts = quota(10, Duration::from_secs(30)).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN));
        let addresses = quota(100, Duration::from_millis(500)).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        LoginThrottle { accounts: RateLimiter::keyed(accounts), addresses: RateLimiter::keyed(addresses) }
    }
}

impl LoginThrottle {
    /// Counts an attempt; `Err(seconds)` when it must wait.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<(), u64> {
        let now = DefaultClock::default().now();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(now).as_secs().max(1);
        if let Some(ip) = addr {
            self.addresses.check_key(&ip).map_err(wait)?;
        }
        self.accounts.check_key(&username.to_owned()).map_err(wait)?;
        if self.accounts.len() > 50_000 {
            self.accounts.retain_recent();
            self.addresses.retain_recent();
        }
        Ok(())
    }
}

/// The throttle's answer, in the API's error shape.
pub fn throttled(seconds: u64) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::LoginThrottled).arg("seconds", seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_its_burst_whatever_the_address() {
        let t = LoginThrottle::default();
        for i in 0..10u8 {
            assert!(t.check("lin", Some(IpAddr::from([10, 0, 0, i]))).is_ok(), "attempt {i}");
        }
        let wait = t.check("lin", Some(IpAddr::from([10, 0, 1, 1]))).expect_err("throttled");
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(t.check("zhao", Some(IpAddr::from([10, 0, 1, 1]))).is_ok(), "other accounts are not affected");
    }

    #[test]
    fn an_address_is_throttled_after_its_burst_whatever_the_account() {
        let t = LoginThrottle::default();
        let ip = Some(IpAddr::from([192, 0, 2, 7]));
        for i in 0..100 {
            assert!(t.check(&format!("user{i}"), ip).is_ok(), "attempt {i}");
        }
        assert!(t.check("another", ip).is_err());
        assert!(t.check("another", Some(IpAddr::from([192, 0, 2, 8]))).is_ok());
    }
}
