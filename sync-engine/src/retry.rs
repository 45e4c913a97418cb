//! Capped exponential backoff with jitter from a seeded RNG, and the loop
//! that retries an operation while its error allows it.
//!
//! The wait before retry `n` (from 1) is drawn uniformly from
//! `[d/2, d]` where `d = min(cap, base * 2^(n-1))`: the upper half keeps a
//! floor under each wait, and the random half spreads retries that
//! started together. A `Retry-After` header raises the wait to at least
//! what the server requested. When it requests more than
//! [`RetryPolicy::max_retry_after`], the engine gives up on that call
//! instead of blocking the pass.
//!
//! Draws come from a ChaCha RNG seeded by the caller, so a pass replayed
//! with the same seed against the same faults waits the same times.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{SyncError, SyncResult};

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The wait before the first retry, before jitter.
    pub base_delay: Duration,
    /// The maximum wait between two attempts, before `Retry-After`.
    pub max_delay: Duration,
    /// The maximum `Retry-After` the engine honours by waiting.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A retry policy with its RNG and a count of the retries made.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    rng: ChaCha8Rng,
    retries: u64,
}

impl Backoff {
    /// Creates a backoff whose jitter comes from `seed`.
    pub fn new(policy: RetryPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            rng: ChaCha8Rng::seed_from_u64(seed),
            retries: 0,
        }
    }

    /// Returns the policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Returns the number of retries made so far.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Returns the wait before attempt `attempt + 1` after `error` ended
    /// attempt `attempt` (from 1), or `None` when the policy gives up:
    /// attempts are used up, or the server asked for a longer wait than
    /// the policy honours.
    pub fn next_delay(&mut self, attempt: u32, error: &SyncError) -> Option<Duration> {
        if attempt >= self.policy.max_attempts {
            return None;
        }
        let requested = error.retry_after();
        if requested.is_some_and(|wait| wait > self.policy.max_retry_after) {
            return None;
        }
        let exponent = attempt.saturating_sub(1).min(31);
        let ceiling = self
            .policy
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.policy.max_delay);
        let floor = ceiling / 2;
        let jittered = if ceiling > floor {
            let nanos = self.rng.random_range(floor.as_nanos()..=ceiling.as_nanos());
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        } else {
            ceiling
        };
        Some(requested.map_or(jittered, |wait| jittered.max(wait)))
    }

    /// Sleeps before attempt `attempt + 1` after `error`, or returns false
    /// when the policy gives up. `label` names the operation in logs.
    pub fn wait_before_retry(&mut self, label: &str, attempt: u32, error: &SyncError) -> bool {
        let Some(delay) = self.next_delay(attempt, error) else {
            tracing::warn!(%error, attempt, "{label}: giving up");
            return false;
        };
        tracing::info!(%error, attempt, delay_ms = delay.as_millis() as u64, "{label}: retrying");
        self.retries += 1;
        std::thread::sleep(delay);
        true
    }

    /// Runs `operation` until it succeeds, fails with an error that
    /// `should_retry` rejects, or the policy gives up. `operation` gets the
    /// attempt number, from 1. `label` names the operation in logs.
    pub fn retry<T>(
        &mut self,
        label: &str,
        should_retry: impl Fn(&SyncError) -> bool,
        mut operation: impl FnMut(u32) -> SyncResult<T>,
    ) -> SyncResult<T> {
        let mut attempt = 1;
        loop {
            let error = match operation(attempt) {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !should_retry(&error) || !self.wait_before_retry(label, attempt, &error) {
                return Err(error);
            }
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn timeout() -> SyncError {
        SyncError::new(ErrorKind::Timeout, "call", "timed out")
    }

    #[test]
    fn delays_grow_within_jitter_bounds() {
        let mut backoff = Backoff::new(policy(), 7);
        let ceilings = [100, 200, 400, 800, 1000];
        for (index, ceiling) in ceilings.iter().enumerate() {
            let attempt = index as u32 + 1;
            let delay = backoff
                .next_delay(attempt, &timeout())
                .expect("attempts left");
            let ceiling = Duration::from_millis(*ceiling);
            assert!(
                delay <= ceiling,
                "attempt {attempt}: {delay:?} > {ceiling:?}"
            );
            assert!(
                delay >= ceiling / 2,
                "attempt {attempt}: {delay:?} < half of {ceiling:?}"
            );
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut backoff = Backoff::new(policy(), 7);
        assert!(backoff.next_delay(5, &timeout()).is_some());
        assert!(backoff.next_delay(6, &timeout()).is_none());
    }

    #[test]
    fn same_seed_same_delays() {
        let mut first = Backoff::new(policy(), 42);
        let mut second = Backoff::new(policy(), 42);
        let mut third = Backoff::new(policy(), 43);
        let draws = |b: &mut Backoff| -> Vec<Duration> {
            (1..5).filter_map(|a| b.next_delay(a, &timeout())).collect()
        };
        let first_draws = draws(&mut first);
        assert_eq!(first_draws, draws(&mut second));
        assert_ne!(first_draws, draws(&mut third));
    }

    #[test]
    fn retry_after_sets_a_floor() {
        let mut backoff = Backoff::new(policy(), 1);
        let limited = SyncError::http_status("POST", 429, Some(Duration::from_secs(2)));
        let delay = backoff.next_delay(1, &limited).expect("honoured");
        assert_eq!(delay, Duration::from_secs(2));
    }

    #[test]
    fn retry_after_beyond_limit_gives_up() {
        let mut backoff = Backoff::new(policy(), 1);
        let limited = SyncError::http_status("POST", 429, Some(Duration::from_secs(30)));
        assert!(backoff.next_delay(1, &limited).is_none());
    }

    #[test]
    fn retry_loop_stops_on_success() {
        let mut backoff = Backoff::new(
            RetryPolicy {
                base_delay: Duration::from_millis(1),
                ..policy()
            },
            3,
        );
        let mut calls = 0;
        let result = backoff.retry("test", SyncError::is_retryable, |_| {
            calls += 1;
            if calls < 3 {
                Err(timeout())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(result, Ok(3));
        assert_eq!(backoff.retries(), 2);
    }

    #[test]
    fn retry_loop_never_retries_rejected_errors() {
        let mut backoff = Backoff::new(policy(), 3);
        let mut calls = 0;
        let result: SyncResult<()> = backoff.retry("test", SyncError::is_retryable, |_| {
            calls += 1;
            Err(SyncError::new(ErrorKind::AccessError, "write", "denied"))
        });
        assert_eq!(result.map_err(|e| e.kind()), Err(ErrorKind::AccessError));
        assert_eq!(calls, 1);
        assert_eq!(backoff.retries(), 0);
    }
}
