//! Injected time. Logic never reads the wall clock: it asks a [`Clock`], which
//! binaries build from the system time and simulations from simulated time.

use crate::units::EventTime;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The current event time.
pub type Clock = Arc<dyn Fn() -> EventTime + Send + Sync>;

/// A clock that returns whatever was last set: for simulations and tests.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: EventTime) -> Self {
        Self(Arc::new(AtomicI64::new(now.0)))
    }
    /// Moves the clock.
    pub fn set(&self, now: EventTime) {
        self.0.store(now.0, Ordering::Relaxed);
    }
    /// The time it shows.
    pub fn now(&self) -> EventTime {
        EventTime(self.0.load(Ordering::Relaxed))
    }
    /// The clock as a [`Clock`].
    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}

/// The system's wall clock: what binaries inject when they serve for real.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        EventTime(ms)
    })
}
