//! Per-principal rate limiting (GCRA, from `governor`), keyed by the principal's name.
//!
//! The [`Caller`](crate::auth::Caller) extractor charges every authenticated request to its principal; other
//! authentication code can call [`RateLimiter::check`] with a name of its own.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::Config;
use crate::error::ApiError;

/// Above this many remembered principals, idle ones are forgotten (their state equals a fresh one).
const RETAIN_ABOVE: usize = 10_000;

/// A rate limit per principal name.
#[derive(Debug)]
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `per_second` requests per second sustained, up to `burst` at once.
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> RateLimiter {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        RateLimiter { limiter: DefaultKeyedRateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// The limit of a configuration (values of 0, refused by validation, count as 1).
    pub fn from_config(config: &Config) -> RateLimiter {
        let one = NonZeroU32::MIN;
        RateLimiter::new(
            NonZeroU32::new(config.rate_limit_per_second).unwrap_or(one),
            NonZeroU32::new(config.rate_limit_burst).unwrap_or(one),
        )
    }

    /// Charges one request to `principal`: `Ok` if allowed, else a 429 error with `Retry-After`.
    pub fn check(&self, principal: &str) -> Result<(), ApiError> {
        if self.limiter.len() > RETAIN_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&principal.to_owned())
            .map_err(|not_until| ApiError::rate_limited(not_until.wait_time_from(self.clock.now())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_per_principal() {
        let limiter = RateLimiter::new(NonZeroU32::MIN, NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN));
        for _ in 0..3 {
            assert!(limiter.check("alice").is_ok());
        }
        let refused = limiter.check("alice").err();
        assert_eq!(refused.as_ref().map(|e| e.status().as_u16()), Some(429));
        assert!(limiter.check("bob").is_ok(), "another principal has its own budget");
    }
}
