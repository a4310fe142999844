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

/// A probe of `id` on `segment`, `along` of the way down it (0–1), heading its
/// way at `speed_fraction` of its free-flow speed, at `time`.
pub fn probe_on(
    segment: &omnibus_core::network::Segment,
    id: String,
    along: f64,
    speed_fraction: f64,
    time: EventTime,
) -> omnibus_proto::v1::TelemetryRecord {
    use omnibus_proto::v1::{TelemetryRecord, VehicleProbe, telemetry_record::Kind};
    let (pos, heading_deg) = segment.point_at(omnibus_core::Meters(segment.length.0 * along));
    TelemetryRecord {
        kind: Some(Kind::Probe(VehicleProbe {
            vehicle_id: id,
            time_ms: time.0,
            lat: pos.lat,
            lon: pos.lon,
            speed_mps: segment.free_flow.0 * speed_fraction,
            heading_deg,
        })),
    }
}
