//! Per-client rate limiting: a token bucket of records per second for each
//! client address, refilled continuously, holding at most one second's worth.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most clients tracked at once; idle (full) buckets are dropped beyond it.
const MAX_CLIENTS: usize = 10_000;

/// A monotonic clock: time since some fixed start.
pub type Monotonic = Arc<dyn Fn() -> Duration + Send + Sync>;

/// The process's monotonic clock.
pub fn monotonic() -> Monotonic {
    let start = Instant::now();
    Arc::new(move || start.elapsed())
}

/// Token buckets per client.
pub struct RateLimiter {
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Duration)>>,
    now: Monotonic,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("per_second", &self.per_second).finish()
    }
}

impl RateLimiter {
    /// `per_second` records per second per client (0: unlimited).
    pub fn new(per_second: u32, now: Monotonic) -> RateLimiter {
        RateLimiter { per_second: f64::from(per_second), buckets: Mutex::new(HashMap::new()), now }
    }

    /// Takes `records` tokens from `client`'s bucket, or says how long to wait
    /// before the batch would fit. A batch larger than a second's worth is
    /// allowed from a full bucket (and empties it), so no batch is refused forever.
    pub fn take(&self, client: IpAddr, records: usize) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = (self.now)();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            let rate = self.per_second;
            buckets.retain(|_, (tokens, at)| *tokens + (now - *at).as_secs_f64() * rate < rate);
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.per_second, now));
        *tokens = (*tokens + (now - *at).as_secs_f64() * self.per_second).min(self.per_second);
        *at = now;
        let need = (records as f64).min(self.per_second);
        if *tokens >= need {
            *tokens -= records as f64;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((need - *tokens) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn buckets_refill_per_client() {
        let ms = Arc::new(AtomicU64::new(0));
        let clock = ms.clone();
        let limiter =
            RateLimiter::new(1_000, Arc::new(move || Duration::from_millis(clock.load(Ordering::Relaxed))));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        assert!(limiter.take(a, 800).is_ok());
        assert_eq!(limiter.take(a, 800), Err(Duration::from_millis(600)));
        // Another client has its own bucket.
        assert!(limiter.take(b, 800).is_ok());
        ms.store(600, Ordering::Relaxed);
        assert!(limiter.take(a, 800).is_ok());
        // A batch larger than a second's worth passes from a full bucket only.
        ms.store(5_000, Ordering::Relaxed);
        assert!(limiter.take(a, 5_000).is_ok());
        assert!(limiter.take(a, 1).is_err());
        assert!(RateLimiter::new(0, monotonic()).take(a, 1_000_000).is_ok());
    }
}
