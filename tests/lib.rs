//! Shared helpers of the end-to-end tests: the bundled city, loaded once, and a
//! platform started on free loopback ports with an injected clock.

use omnibus::Platform;
use omnibus::config::{Config, ServerConfig};
use omnibus_core::City;
use omnibus_core::clock::ManualClock;
use omnibus_core::{EventTime, Minute};
use std::sync::{Arc, OnceLock};

/// The start of the tests' simulated morning (a Monday, 07:00 in Porto Alegre).
pub const T0: EventTime = EventTime(1_772_445_600_000);

/// The bundled city, loaded once per test binary.
pub fn city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    CITY.get_or_init(|| Arc::new(City::porto_alegre())).clone()
}

/// Starts every service on free loopback ports; `wal_dir` holds the log.
pub async fn start(clock: &ManualClock, wal_dir: Option<std::path::PathBuf>) -> Platform {
    let mut config = Config { server: ServerConfig::ephemeral(), ..Config::default() };
    config.ingest.wal_dir = wal_dir;
    config.ingest.fsync = true;
    Platform::start(city(), clock.clock(), &config, None).await.expect("platform starts")
}

/// The minute `m` minutes after [`T0`].
pub fn minute(m: i64) -> Minute {
    Minute(T0.minute().0 + m)
}
