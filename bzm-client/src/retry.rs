//! When and how long to wait before trying a request again.
//!
//! Pure functions only; the client's send loop ([`Client`](crate::Client)) asks
//! [`should_retry`] whether a failure is worth another attempt and [`RetryPolicy::delay`] how
//! long to sleep first.
//! Network errors, 429 and 5xx are retried; other 4xx never are (they will not get better).
//! Requests that create something (start a test, create a test or project) are retried only when
//! the server surely did not act on them (connection refused, 429), so a flaky network cannot
//! start a test twice and burn credits.

use std::time::{Duration, SystemTime};

/// Retry settings: exponential backoff with jitter, capped.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Delay before the first retry, before jitter.
    pub base_delay: Duration,
    /// Growth of the delay per retry.
    pub factor: f64,
    /// No single wait is longer than this; a `Retry-After` above it ends the retries.
    pub max_delay: Duration,
    /// Relative jitter: the delay is scaled by a factor drawn from `[1 - jitter, 1 + jitter)`.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: 0.25,
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Backoff before retry number `retry` (0 = first retry). `unit` is the jitter draw in
    /// `[0, 1)`; pass 0.5 for the un-jittered value.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let raw = self.base_delay.as_secs_f64() * self.factor.powi(exponent);
        let scale = 1.0 - self.jitter + 2.0 * self.jitter * unit.clamp(0.0, 1.0);
        let capped = (raw * scale).min(self.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(capped.max(0.0)).unwrap_or(self.max_delay)
    }

    /// How long to wait before retry number `retry`: the backoff, or the server's
    /// `Retry-After` when that is longer. `None` when the server asks for more than
    /// `max_delay`: then waiting is not worth it and the caller reports the error instead.
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Option<Duration> {
        let backoff = self.backoff(retry, unit);
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection was never made: the server cannot have seen the request.
    Connect,
    /// Timeout, reset or dropped connection after the request may have been sent.
    Network,
    /// The server answered with this HTTP status (>= 400).
    Status(u16),
}

/// Whether a failure is worth another attempt. `idempotent` is false for requests that
/// create something, where a second try after an unclear outcome could create it twice.
pub fn should_retry(failure: Failure, idempotent: bool) -> bool {
    match failure {
        Failure::Connect | Failure::Status(429) => true,
        Failure::Network => idempotent,
        Failure::Status(status) => status >= 500 && idempotent,
    }
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: 0.25,
        }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let p = policy();
        let delays: Vec<u64> = (0..7).map(|k| p.backoff(k, 0.5).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn jitter_bounds_are_three_quarters_and_five_quarters() {
        let p = policy();
        assert_eq!(p.backoff(2, 0.0), Duration::from_secs(3));
        assert_eq!(p.backoff(2, 1.0), Duration::from_secs(5));
    }

    #[test]
    fn retry_after_longer_than_backoff_wins() {
        let p = policy();
        let wait = p.delay(0, 0.5, Some(Duration::from_secs(7)));
        assert_eq!(wait, Some(Duration::from_secs(7)));
        assert_eq!(
            p.delay(4, 0.5, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(16))
        );
    }

    #[test]
    fn retry_after_beyond_the_cap_gives_up() {
        assert_eq!(policy().delay(0, 0.5, Some(Duration::from_secs(31))), None);
    }

    #[test]
    fn what_is_retried() {
        for status in [500, 502, 503, 504, 429] {
            assert!(should_retry(Failure::Status(status), true), "{status}");
        }
        for status in [400, 401, 402, 403, 404, 405, 409, 410] {
            assert!(!should_retry(Failure::Status(status), true), "{status}");
        }
        assert!(should_retry(Failure::Network, true));
        assert!(should_retry(Failure::Connect, true));
    }

    #[test]
    fn creating_requests_are_retried_only_when_surely_not_processed() {
        assert!(should_retry(Failure::Connect, false));
        assert!(should_retry(Failure::Status(429), false));
        assert!(!should_retry(Failure::Network, false));
        assert!(!should_retry(Failure::Status(500), false));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after(" 12 ", now),
            Some(Duration::from_secs(12))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    proptest! {
        #[test]
        fn backoff_never_exceeds_cap_and_grows(retry in 0u32..64, unit in 0.0f64..1.0) {
            let p = policy();
            let d = p.backoff(retry, unit);
            prop_assert!(d <= p.max_delay);
            prop_assert!(p.backoff(retry + 1, 0.5) >= p.backoff(retry, 0.5));
        }
    }
}
