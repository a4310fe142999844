//! The city simulator against the live platform: the same seed gives the same
//! results bit for bit; telemetry over gRPC gives exactly what the in-process
//! (offline) feed gives; a cordon charge cuts crossings into the cordon; and
//! a bad scenario file gets an error naming its key and line.

use omnibus::sim_feed::GrpcFeed;
use omnibus_citysim::feed::OfflineFeed;
use omnibus_citysim::kpi::Pair;
use omnibus_citysim::scenario::{Resolved, Scenario};
use omnibus_citysim::{Prepared, prepare, simulate};
use std::path::Path;
use std::sync::OnceLock;

/// A small morning on the bundled city: big districts, few people, two
/// iterations, a cordon around the centre, and speed-band tolls that react
/// to a 20 % slowdown so that the stream job's prices matter.
const SCENARIO: &str = r#"
name = "test cordon"
seed = 7
seeds = 1

[city]
district_size_m = 4000

[horizon]
start = "07:00"
end = "09:30"

[demand]
persons = 1200
work_start = "08:15"
work_start_spread_minutes = 20

[choice]
iterations = 2

[telemetry]
mode = "offline"
probe_share = 0.5

[policy]
currency = "BRL"

[policy.rule.speed_band]
target_speed_fraction = 0.8
step = 50
cap = 500

[policy.cordon]
name = "centre"
zone = [
    { lat = -30.06435, lon = -51.16792 },
    { lat = -30.06435, lon = -51.13678 },
    { lat = -30.03740, lon = -51.13678 },
    { lat = -30.03740, lon = -51.16792 },
]
daily_cap = 5000
single_charge_minutes = 60
utc_offset_minutes = -180
schedule = [{ from_minute = 360, to_minute = 660, charge = 2000 }]
"#;

fn scenario() -> &'static (Resolved, Prepared) {
    static PREPARED: OnceLock<(Resolved, Prepared)> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let resolved = Scenario::parse(SCENARIO, "test.toml", Path::new(".")).expect("valid scenario");
        let prepared = prepare(&resolved, &|_| {}).expect("prepared");
        (resolved, prepared)
    })
}

async fn offline() -> Vec<Pair> {
    let (resolved, prepared) = scenario();
    let mut feed = OfflineFeed::new(prepared.world.city.clone(), 2);
    simulate(prepared, resolved, &mut feed, &mut |_, _| {}).await.expect("simulated")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_reproduces_its_run_bit_for_bit_and_grpc_equals_offline() {
    let (resolved, prepared) = scenario();
    let first = offline().await;
    let second = offline().await;
    // Debug text compares every float bit for bit (NaN included).
    assert_eq!(format!("{first:?}"), format!("{second:?}"));

    let mut grpc = GrpcFeed::new(prepared.world.city.clone(), 2);
    let over_grpc =
        simulate(prepared, resolved, &mut grpc, &mut |_, _| {}).await.expect("simulated over gRPC");
    assert_eq!(format!("{first:?}"), format!("{over_grpc:?}"));

    // The prices the stream job set reached the drivers: the policy run's
    // second day paid segment tolls, and the job saw the telemetry.
    let policy = &first[0].policy;
    assert!(policy.iterations.iter().any(|i| i.priced_segments > 0), "{:?}", policy.iterations);
    assert!(policy.toll_revenue.0 > 0, "no segment tolls were paid");
    assert!(policy.telemetry_accepted > 0);
    assert_eq!(policy.telemetry_rejected, 0);
    assert!(policy.stream_cordon_passages > 0, "the stream job saw no cordon passage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cordon_charge_cuts_crossings_and_car_trips() {
    let pairs = offline().await;
    let Pair { baseline, policy } = &pairs[0];
    assert!(baseline.cordon_crossings > 50, "too few crossings to compare: {}", baseline.cordon_crossings);
    assert!(
        policy.cordon_crossings < baseline.cordon_crossings,
        "crossings {} → {}",
        baseline.cordon_crossings,
        policy.cordon_crossings
    );
    assert!(policy.modes[0] < baseline.modes[0], "car trips {} → {}", baseline.modes[0], policy.modes[0]);
    assert!(policy.cordon_revenue.0 > 0);
    assert_eq!(baseline.cordon_revenue.0, 0);
    // Everyone is accounted for: a mode, or no option at all.
    assert_eq!(policy.modes.iter().sum::<u64>() + policy.stranded, policy.persons);
    // Who pays adds up to what was paid.
    let by_income: i64 = policy.by_income.iter().map(|g| g.charges.0).sum();
    assert_eq!(by_income, policy.toll_revenue.0 + policy.cordon_revenue.0);
}

#[test]
fn bad_scenario_files_name_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let load = |text: &str| {
        std::fs::write(&path, text).unwrap();
        Scenario::load(&path).expect_err("a bad scenario").to_string()
    };
    let err = load("name = \"x\"\n[demand]\npersons = -5\n[policy]\n");
    assert!(err.contains("bad.toml line 3: demand.persons"), "{err}");
    let err = load("name = \"x\"\n[policy.cordon]\nzone = []\n");
    assert!(err.contains("line 2: policy.cordon.zone"), "{err}");
    let err = load("name = \"x\"\n[telemetry]\nmode = \"carrier pigeon\"\n[policy]\n");
    assert!(err.contains("line 3: telemetry.mode"), "{err}");
}
