//! Lockout after repeated authentication failures: a pure policy over a small per-principal [`State`].
//!
//! Guarantees:
//! - after [`Policy::threshold`] (default 5) consecutive failures within [`Policy::window_secs`] (default
//!   15 minutes of the first of them), the principal is locked; each further lockout lasts longer — by
//!   default 1 minute, 5 minutes, 15 minutes, then 1 hour for every later one (the cap);
//! - a success resets everything; the escalation is also forgotten after [`Policy::forget_after_secs`]
//!   (default 24 hours) without a failure, so a user who mistypes once a month never starts at the cap;
//! - every function is deterministic given `now` (Unix seconds), never panics, and saturates instead of
//!   overflowing. A clock that goes backwards starts a new counting window and never shortens a lock.
//!
//! The caller's protocol: [`Policy::check`] first; on [`Decision::Deny`] refuse *without* checking the
//! credential (so guessing stops during a lock) and without recording anything; otherwise check the credential
//! and store [`Policy::record_failure`] or [`Policy::record_success`] — atomically with respect to concurrent
//! logins (compare-and-swap on the stored state), or parallel guesses would each see a stale count. One state
//! per principal covers password and TOTP failures alike. An attacker can lock a victim out by failing on
//! purpose; the escalation cap bounds that to an hour at a time, and per-source rate limits belong to the
//! HTTP layer.

use serde::{Deserialize, Serialize};

/// Lock lengths used when a policy has none (never: [`Policy::new`] refuses an empty list).
const FALLBACK_LOCK_SECS: i64 = 3600;

/// The lockout policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    threshold: u32,
    window_secs: i64,
    lock_secs: Vec<i64>,
    forget_after_secs: i64,
}

impl Default for Policy {
    /// 5 failures within 15 minutes; locks of 1, 5 and 15 minutes, then 1 hour; forgotten after 24 hours.
    fn default() -> Self {
        Policy {
            threshold: 5,
            window_secs: 15 * 60,
            lock_secs: vec![60, 5 * 60, 15 * 60, 60 * 60],
            forget_after_secs: 24 * 3600,
        }
    }
}

/// A policy's parameters are inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The threshold is zero.
    #[error("lockout threshold must be at least 1")]
    Threshold,
    /// The window is not positive.
    #[error("lockout window must be positive")]
    Window,
    /// No lock lengths, a non-positive one, or one shorter than the one before.
    #[error("lock durations must be a non-empty, non-decreasing list of positive seconds")]
    Durations,
    /// The escalation would be forgotten before the longest lock ends.
    #[error("forget-after period must be at least the longest lock duration")]
    ForgetAfter,
}

/// Failures and locks of one principal. Store it with the principal; [`State::default`] is a clean slate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct State {
    /// Consecutive failures counted in the current window.
    pub failures: u32,
    /// When the first failure of the current window happened.
    pub window_start: i64,
    /// When the most recent failure happened.
    pub last_failure: i64,
    /// Lockouts since the last success (or since the escalation was forgotten); picks the next lock's length.
    pub lockouts: u32,
    /// Locked until this time (exclusive), if ever locked.
    pub locked_until: Option<i64>,
}

/// Whether an authentication attempt may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Decision {
    /// Check the credential.
    Allow,
    /// Refuse without checking the credential.
    Deny {
        /// When the lock ends (Unix seconds).
        until: i64,
    },
}

impl Policy {
    /// A policy: lock after `threshold` failures within `window_secs` of the first; lock lengths in order,
    /// the last repeating; escalation forgotten after `forget_after_secs` without failures.
    pub fn new(
        threshold: u32,
        window_secs: i64,
        lock_secs: Vec<i64>,
        forget_after_secs: i64,
    ) -> Result<Policy, PolicyError> {
        if threshold == 0 {
            return Err(PolicyError::Threshold);
        }
        if window_secs <= 0 {
            return Err(PolicyError::Window);
        }
        let increasing = lock_secs.windows(2).all(|w| matches!(w, [a, b] if a <= b));
        if lock_secs.is_empty() || lock_secs.iter().any(|s| *s <= 0) || !increasing {
            return Err(PolicyError::Durations);
        }
        if lock_secs.last().is_some_and(|longest| forget_after_secs < *longest) {
            return Err(PolicyError::ForgetAfter);
        }
        Ok(Policy { threshold, window_secs, lock_secs, forget_after_secs })
    }

    /// Failures that trigger a lock.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// How long after the first counted failure the count runs before starting over.
    pub fn window_secs(&self) -> i64 {
        self.window_secs
    }

    /// Lock lengths in order; the last one repeats.
    pub fn lock_secs(&self) -> &[i64] {
        &self.lock_secs
    }

    /// Quiet period after which the escalation starts over.
    pub fn forget_after_secs(&self) -> i64 {
        self.forget_after_secs
    }

    /// Whether an attempt may proceed at `now`.
    pub fn check(&self, state: &State, now: i64) -> Decision {
        match state.locked_until {
            Some(until) if now < until => Decision::Deny { until },
            _ => Decision::Allow,
        }
    }

    /// The state after a failed attempt at `now`. During a lock the state is returned unchanged: such
    /// attempts must be refused before the credential is checked, so they are not guesses.
    pub fn record_failure(&self, state: &State, now: i64) -> State {
        let mut s = *state;
        if let Decision::Deny { .. } = self.check(state, now) {
            return s;
        }
        if s.lockouts > 0 && now.saturating_sub(s.last_failure) >= self.forget_after_secs {
            s.lockouts = 0;
        }
        if s.failures == 0 || now < s.window_start || now.saturating_sub(s.window_start) >= self.window_secs {
            s.failures = 0;
            s.window_start = now;
        }
        s.failures = s.failures.saturating_add(1);
        s.last_failure = now;
        if s.failures >= self.threshold {
            let level = usize::try_from(s.lockouts).unwrap_or(usize::MAX);
            let secs = self.lock_secs.get(level).or(self.lock_secs.last()).copied().unwrap_or(FALLBACK_LOCK_SECS);
            s.locked_until = Some(now.saturating_add(secs));
            s.lockouts = s.lockouts.saturating_add(1);
            s.failures = 0;
        }
        s
    }

    /// The state after a successful attempt: a clean slate.
    pub fn record_success(&self, _state: &State, _now: i64) -> State {
        State::default()
    }
}

/// [`Policy::check`] under the default policy.
pub fn check(state: &State, now: i64) -> Decision {
    Policy::default().check(state, now)
}

/// [`Policy::record_failure`] under the default policy.
pub fn record_failure(state: &State, now: i64) -> State {
    Policy::default().record_failure(state, now)
}

/// [`Policy::record_success`] under the default policy.
pub fn record_success(state: &State, now: i64) -> State {
    Policy::default().record_success(state, now)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_790_000_000;

    /// Fails `n` times, one second apart, starting at `at`, all allowed; returns the state and the time after.
    fn fail(p: &Policy, mut s: State, at: i64, n: u32) -> (State, i64) {
        let mut now = at;
        for _ in 0..n {
            assert_eq!(p.check(&s, now), Decision::Allow, "attempt at {now} should be allowed");
            s = p.record_failure(&s, now);
            now += 1;
        }
        (s, now)
    }

    #[test]
    fn five_failures_lock_for_a_minute() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), T0, 4);
        assert_eq!(p.check(&s, now), Decision::Allow, "four failures do not lock");
        assert_eq!(s.failures, 4);
        let s = p.record_failure(&s, now);
        assert_eq!(p.check(&s, now), Decision::Deny { until: now + 60 });
        assert_eq!(p.check(&s, now + 59), Decision::Deny { until: now + 60 });
        assert_eq!(p.check(&s, now + 60), Decision::Allow);
    }

    #[test]
    fn escalation_then_cap() {
        let p = Policy::default();
        let mut s = State::default();
        let mut now = T0;
        for expected in [60, 300, 900, 3600, 3600, 3600] {
            (s, now) = fail(&p, s, now, 4);
            s = p.record_failure(&s, now);
            assert_eq!(p.check(&s, now), Decision::Deny { until: now + expected }, "lock of {expected} s");
            now += expected;
            assert_eq!(p.check(&s, now), Decision::Allow);
        }
        assert_eq!(s.lockouts, 6);
    }

    #[test]
    fn success_resets() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), T0, 4);
        let s = p.record_success(&s, now);
        assert_eq!(s, State::default());
        let (s, now) = fail(&p, s, now, 4);
        assert_eq!(p.check(&s, now), Decision::Allow, "the count started over");
        // Success after a lock resets the escalation too.
        let (s, now) = fail(&p, s, now, 1);
        let (s, now) = fail(&p, s, now + 60, 5);
        assert_eq!(p.check(&s, now), Decision::Deny { until: now - 1 + 300 }, "second lock is 5 minutes");
        let s = p.record_success(&s, now + 300);
        let (s, now) = fail(&p, s, now + 300, 5);
        assert_eq!(p.check(&s, now), Decision::Deny { until: now - 1 + 60 }, "back to 1 minute");
    }

    #[test]
    fn failures_outside_the_window_start_over() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), T0, 4);
        // The fifth failure comes 15 minutes after the first: a new window.
        let s = p.record_failure(&s, T0 + 15 * 60);
        assert_eq!(p.check(&s, now), Decision::Allow);
        assert_eq!(s.failures, 1);
        assert_eq!(s.window_start, T0 + 15 * 60);
        // Just inside the window it locks.
        let (s, _) = fail(&p, State::default(), T0, 4);
        let s = p.record_failure(&s, T0 + 15 * 60 - 1);
        assert!(matches!(p.check(&s, T0 + 15 * 60 - 1), Decision::Deny { .. }));
    }

    #[test]
    fn failures_during_a_lock_change_nothing() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), T0, 5);
        let locked_at = now - 1;
        let locked = s;
        let s = p.record_failure(&s, locked_at + 10);
        assert_eq!(s, locked, "not counted, lock not extended");
        assert_eq!(p.check(&s, locked_at + 59), Decision::Deny { until: locked_at + 60 });
        assert_eq!(p.check(&s, locked_at + 60), Decision::Allow);
    }

    #[test]
    fn escalation_is_forgotten_after_a_quiet_day() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), T0, 5);
        let (s, now) = fail(&p, s, now + 60, 5);
        assert_eq!(s.lockouts, 2);
        // A day later, five more failures lock for 1 minute, not 15.
        let later = now + 24 * 3600;
        let (s, after) = fail(&p, s, later, 5);
        assert_eq!(p.check(&s, after), Decision::Deny { until: after - 1 + 60 });
        assert_eq!(s.lockouts, 1);
        // But less than a day later the escalation stands.
        let (s, now) = fail(&p, State::default(), T0, 5);
        let (s, now) = fail(&p, s, now + 60, 5);
        let (s, after) = fail(&p, s, now + 24 * 3600 - 10, 5);
        assert_eq!(p.check(&s, after), Decision::Deny { until: after - 1 + 900 });
    }

    #[test]
    fn clock_going_backwards() {
        let p = Policy::default();
        let (s, _) = fail(&p, State::default(), T0, 4);
        // A failure "before" the window start opens a new window rather than locking or underflowing.
        let s = p.record_failure(&s, T0 - 1000);
        assert_eq!(s.failures, 1);
        assert_eq!(p.check(&s, T0 - 1000), Decision::Allow);
        // A lock holds while the clock reads before its end, even if it jumped back.
        let (s, now) = fail(&p, State::default(), T0, 5);
        assert!(matches!(p.check(&s, now - 3600), Decision::Deny { .. }));
    }

    #[test]
    fn extremes_saturate() {
        let p = Policy::default();
        let (s, now) = fail(&p, State::default(), i64::MAX - 10, 5);
        assert_eq!(p.check(&s, now), Decision::Deny { until: i64::MAX });
        let s = State { failures: u32::MAX, window_start: 0, last_failure: 0, lockouts: u32::MAX, locked_until: None };
        let s = p.record_failure(&s, i64::MIN);
        assert_eq!(s.failures, 1);
        let (s, _) = fail(&p, s, i64::MIN + 1, 4);
        assert!(matches!(p.check(&s, i64::MIN + 5), Decision::Deny { .. }), "cap used for huge levels");
    }

    #[test]
    fn custom_policy() {
        let p = Policy::new(1, 60, vec![10, 20], 100).unwrap();
        let s = p.record_failure(&State::default(), T0);
        assert_eq!(p.check(&s, T0), Decision::Deny { until: T0 + 10 });
        let s = p.record_failure(&s, T0 + 10);
        assert_eq!(p.check(&s, T0 + 10), Decision::Deny { until: T0 + 30 });
        let s = p.record_failure(&s, T0 + 30);
        assert_eq!(p.check(&s, T0 + 30), Decision::Deny { until: T0 + 50 }, "the last length repeats");
        assert_eq!(Policy::new(0, 60, vec![10], 10), Err(PolicyError::Threshold));
        assert_eq!(Policy::new(3, 0, vec![10], 10), Err(PolicyError::Window));
        assert_eq!(Policy::new(3, 60, vec![], 10), Err(PolicyError::Durations));
        assert_eq!(Policy::new(3, 60, vec![20, 10], 30), Err(PolicyError::Durations));
        assert_eq!(Policy::new(3, 60, vec![0], 30), Err(PolicyError::Durations));
        assert_eq!(Policy::new(3, 60, vec![10, 100], 30), Err(PolicyError::ForgetAfter));
        let d = Policy::default();
        assert_eq!(Policy::new(d.threshold(), d.window_secs(), d.lock_secs().to_vec(), d.forget_after_secs()), Ok(d));
    }

    #[test]
    fn free_functions_use_the_default_policy() {
        let mut s = State::default();
        for i in 0..5 {
            assert_eq!(check(&s, T0 + i), Decision::Allow);
            s = record_failure(&s, T0 + i);
        }
        assert_eq!(check(&s, T0 + 4), Decision::Deny { until: T0 + 4 + 60 });
        assert_eq!(record_success(&s, T0 + 100), State::default());
    }

    #[test]
    fn state_round_trips_through_serde() {
        let (s, _) = fail(&Policy::default(), State::default(), T0, 5);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), s);
    }

    proptest! {
        /// Whatever the sequence of events, no attempt is allowed while locked, no more than `threshold`
        /// failures are ever recorded between locks, and locks never exceed the cap.
        #[test]
        fn invariants(events in proptest::collection::vec((any::<bool>(), 0i64..2000), 0..200)) {
            let p = Policy::default();
            let mut s = State::default();
            let mut now = T0;
            for (success, gap) in events {
                now += gap;
                match p.check(&s, now) {
                    Decision::Deny { until } => {
                        prop_assert!(now < until && until - now <= 3600);
                        prop_assert_eq!(p.record_failure(&s, now), s);
                    }
                    Decision::Allow => {
                        s = if success { p.record_success(&s, now) } else { p.record_failure(&s, now) };
                        prop_assert!(s.failures < p.threshold());
                    }
                }
            }
        }
    }
}
