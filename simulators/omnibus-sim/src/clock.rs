//! A shared handle on the simulated clock.

use omnibus_core::EventTime;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A cheap, clonable view of a simulation's clock, updated after every step, so
/// that other tasks (a progress bar, the services under test) can share the
/// simulated time.
#[derive(Clone, Debug)]
pub struct SimClock(Arc<AtomicI64>);

impl SimClock {
    /// A clock standing at `at`.
    pub fn new(at: EventTime) -> SimClock {
        SimClock(Arc::new(AtomicI64::new(at.0)))
    }

    /// The simulated time now.
    pub fn now(&self) -> EventTime {
        EventTime(self.0.load(Ordering::Acquire))
    }

    pub(crate) fn set(&self, at: EventTime) {
        self.0.store(at.0, Ordering::Release);
    }
}
