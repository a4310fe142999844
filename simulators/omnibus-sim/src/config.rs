//! Simulation parameters.

use omnibus_core::EventTime;

/// 2026-03-02T07:00:00-03:00 (a Monday morning in Porto Alegre), milliseconds
/// since the Unix epoch: the default start of the simulated clock.
pub const DEFAULT_START: EventTime = EventTime(1_772_445_600_000);

/// What to simulate and how telemetry is reported.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of every random stream (demand, bike stations, probe phases).
    pub seed: u64,
    /// Vehicle trips to generate.
    pub vehicles: usize,
    /// Simulated horizon, seconds.
    pub duration_s: u32,
    /// Length of one simulation step, seconds (rounded to whole milliseconds,
    /// at least 1 ms).
    pub step_s: f64,
    /// Every driving vehicle reports a probe once per this many seconds (at
    /// least 1); vehicles are staggered over the interval.
    pub report_interval_s: u32,
    /// Simulated clock at the start of the run.
    pub start: EventTime,
    /// Most records in one `IngestBatch` request (at least 1).
    pub batch_size: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            vehicles: 4_000,
            duration_s: 3_600,
            step_s: 1.0,
            report_interval_s: 30,
            start: DEFAULT_START,
            batch_size: 1_000,
        }
    }
}

impl SimConfig {
    /// The step in whole milliseconds.
    pub(crate) fn step_ms(&self) -> i64 {
        let ms = (self.step_s * 1000.0).round();
        if ms.is_finite() && ms >= 1.0 { ms.min(3_600_000.0) as i64 } else { 1 }
    }

    /// The horizon in milliseconds.
    pub(crate) fn duration_ms(&self) -> i64 {
        i64::from(self.duration_s) * 1000
    }

    /// The probe interval in milliseconds.
    pub(crate) fn report_interval_ms(&self) -> i64 {
        i64::from(self.report_interval_s.max(1)) * 1000
    }
}
