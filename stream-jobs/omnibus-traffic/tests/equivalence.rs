//! The timely job's outputs equal the plain sequential computation on the same
//! seeded input, with one worker and with four.

use omnibus_core::cordon::{ChargePeriod, CordonPolicy};
use omnibus_core::express::{ExpressLanePolicy, ExpressZone};
use omnibus_core::live::LiveCity;
use omnibus_core::network::RoadClass;
use omnibus_core::policy::{
    ClassBandPolicy, MarginalCostPolicy, ParkingPolicy, Policy, PolicyStore, PricingRule, SpeedBandPolicy,
};
use omnibus_core::{
    Cents, City, EventTime, LatLon, Meters, MetersPerSecond, MillimetersPerSecond, Minute, SegmentId,
};
use omnibus_traffic::model::{BikeReport, LoopCount, ParkingReport, Probe, Telemetry};
use omnibus_traffic::{JobOutput, TrafficJob, reference};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex, OnceLock};

const T0_MINUTE: i64 = 29_000_000;

fn city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    CITY.get_or_init(|| Arc::new(City::porto_alegre())).clone()
}

/// The segments `workload(_, seed)` reports on.
fn chosen(seed: u64) -> Vec<SegmentId> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = city().network.segments().len();
    (0..60).map(|_| SegmentId(rng.random_range(0..n) as u32)).collect()
}

/// Two MnPASS zones over segments of both workloads.
fn express() -> ExpressLanePolicy {
    let (a, b) = (chosen(7), chosen(11));
    ExpressLanePolicy::mnpass(vec![
        ExpressZone { name: "north".into(), segments: a[..10].iter().chain(&b[..10]).copied().collect() },
        ExpressZone { name: "south".into(), segments: a[10..20].iter().chain(&b[10..20]).copied().collect() },
    ])
}

/// A speed band, then a stricter one at minute 8, ERP class bands reviewed
/// every 3 minutes from minute 14, marginal-cost tolls from minute 22; MnPASS
/// express lanes throughout.
fn policies() -> PolicyStore {
    // SFpark reviews every 5 minutes here (28 days in San Francisco).
    let parking = ParkingPolicy { review_minutes: 5, ..ParkingPolicy::default() };
    let mut store = PolicyStore::new(
        Policy { parking: parking.clone(), express_lanes: Some(express()), ..Policy::default() },
        "test",
    )
    .unwrap();
    let stricter = SpeedBandPolicy {
        target_speed_fraction: 0.6,
        step: Cents(50),
        floor: Cents(0),
        cap: Cents(300),
        window_minutes: 3,
    };
    let mut erp = ClassBandPolicy::erp();
    erp.review_minutes = 3;
    for class in [RoadClass::Tertiary, RoadClass::Residential, RoadClass::Unclassified, RoadClass::Service] {
        erp.bands.insert(class, (15.0, 25.0));
    }
    let marginal = MarginalCostPolicy {
        value_of_time_cents_per_hour: 1_000_000,
        cap: Cents(900),
        flow_window_minutes: 4,
    };
    let cordon = CordonPolicy {
        name: "centre".into(),
        zone: zone(&city()),
        schedule: vec![ChargePeriod { from_minute: 0, to_minute: 1_440, charge: Cents(500) }],
        daily_cap: Cents(1_500),
        single_charge_minutes: 10,
        utc_offset_minutes: 0,
    };
    for (rule, at) in [
        (PricingRule::SpeedBand(stricter), 8),
        (PricingRule::ClassBands(erp), 14),
        (PricingRule::MarginalCost(marginal), 22),
    ] {
        store
            .set(
                Policy {
                    rule,
                    parking: parking.clone(),
                    cordon: Some(cordon.clone()),
                    express_lanes: Some(express()),
                    currency: "BRL".into(),
                },
                "test",
                Minute(T0_MINUTE + at),
                Minute(0),
            )
            .unwrap();
    }
    store
}

/// A box of about 2 km around the network's centre.
fn zone(city: &City) -> Vec<LatLon> {
    let c = city.network.bounds().center();
    let d = 0.01;
    vec![
        LatLon::new(c.lat - d, c.lon - d),
        LatLon::new(c.lat - d, c.lon + d),
        LatLon::new(c.lat + d, c.lon + d),
        LatLon::new(c.lat + d, c.lon - d),
    ]
}

/// Probes on 60 segments over 30 minutes (half of them congested from minute 4 to
/// 16), loop counts, parking and bike reports, and probes far from any road.
fn workload(city: &City, seed: u64) -> Vec<Telemetry> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let net = &city.network;
    let segments: Vec<_> =
        (0..60).map(|_| &net.segments()[rng.random_range(0..net.segments().len())]).collect();
    let mut out = Vec::new();
    for minute in 0..30i64 {
        for (i, s) in segments.iter().enumerate() {
            let congested = i % 2 == 0 && (4..16).contains(&minute);
            for v in 0..rng.random_range(0..6u64) {
                for _ in 0..rng.random_range(1..3) {
                    let (pos, bearing) = s.point_at(Meters(rng.random_range(0.0..s.length.0)));
                    let factor =
                        if congested { rng.random_range(0.05..0.3) } else { rng.random_range(0.7..1.1) };
                    out.push(Telemetry::Probe(Probe {
                        vehicle: (i as u64) << 8 | v,
                        time: EventTime((T0_MINUTE + minute) * 60_000 + rng.random_range(0..60_000)),
                        pos,
                        speed: MillimetersPerSecond::from_mps(MetersPerSecond(s.free_flow.0 * factor)),
                        heading_deg: bearing,
                    }));
                }
            }
            if i % 7 == 0 {
                out.push(Telemetry::Loop(LoopCount {
                    segment: s.id,
                    time: EventTime((T0_MINUTE + minute) * 60_000 + 59_000),
                    count: rng.random_range(0..40),
                }));
            }
        }
        for f in 0..3 {
            out.push(Telemetry::Parking(ParkingReport {
                facility: format!("parking-{f}"),
                time: EventTime((T0_MINUTE + minute) * 60_000 + rng.random_range(0..60_000)),
                occupied: rng.random_range(0..100),
                capacity: 100,
            }));
            out.push(Telemetry::Bike(BikeReport {
                station: format!("bike-{f}"),
                time: EventTime((T0_MINUTE + minute) * 60_000 + rng.random_range(0..60_000)),
                bikes: rng.random_range(0..10),
                docks: rng.random_range(0..10),
            }));
        }
        // Commuters in and out of the cordon zone every two minutes.
        let probe = CordonPolicy { zone: zone(city), ..CordonPolicy::default() };
        let midpoint = |s: &omnibus_core::network::Segment| s.point_at(Meters(s.length.0 / 2.0));
        let inside = net.segments().iter().find(|s| probe.contains(midpoint(s).0)).unwrap();
        let outside = net.segments().iter().find(|s| !probe.contains(midpoint(s).0)).unwrap();
        for v in 0..20u64 {
            let seg = if (minute as u64 + v) % 4 < 2 { inside } else { outside };
            let (pos, heading_deg) = midpoint(seg);
            out.push(Telemetry::Probe(Probe {
                vehicle: 1 << 40 | v,
                time: EventTime((T0_MINUTE + minute) * 60_000 + rng.random_range(0..60_000)),
                pos,
                speed: MillimetersPerSecond(5_000),
                heading_deg,
            }));
        }
        // Somewhere in the river, far from any road: counted as unmatched.
        out.push(Telemetry::Probe(Probe {
            vehicle: 999,
            time: EventTime((T0_MINUTE + minute) * 60_000),
            pos: LatLon::new(-30.2, -51.4),
            speed: MillimetersPerSecond(1000),
            heading_deg: 0.0,
        }));
    }
    out.sort_by_key(Telemetry::time);
    out
}

async fn run_job(workers: usize, records: &[Telemetry], seed: u64) -> (Vec<JobOutput>, LiveCity) {
    let live = LiveCity::new(policies());
    let recorder = Arc::new(Mutex::new(Vec::new()));
    let mut job = TrafficJob::start(city(), live.clone(), workers, Some(recorder.clone()));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rest = records;
    while !rest.is_empty() {
        let n = rng.random_range(1..400).min(rest.len());
        let (batch, tail) = rest.split_at(n);
        let mut batch = batch.to_vec();
        batch.shuffle(&mut rng);
        let newest = batch.iter().map(Telemetry::time).max().unwrap();
        job.send(batch).await.unwrap();
        job.advance(newest.plus_ms(-90_000).minute()).await.unwrap();
        rest = tail;
    }
    job.finish().await.unwrap();
    let mut out = recorder.lock().unwrap().clone();
    out.sort();
    (out, live)
}

fn expected(records: &[Telemetry]) -> Vec<JobOutput> {
    let end = Minute(records.iter().map(|r| r.time().minute().0).max().unwrap() + 1);
    let mut out = reference::run(&city(), &policies(), records, end);
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_matches_the_sequential_reference() {
    let records = workload(&city(), 7);
    let want = expected(&records);
    let (got, live) = run_job(1, &records, 1).await;
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    // The run is not trivial: congestion raised prices under both policy versions.
    let priced: Vec<_> = got
        .iter()
        .filter_map(|o| if let JobOutput::Segment(s) = o { Some(s) } else { None })
        .filter(|s| s.price > Cents::ZERO)
        .collect();
    for version in 1..=4 {
        assert!(priced.iter().any(|s| s.policy_version == version), "no price under version {version}");
    }
    // Commuters paid the cordon, and the single-charge rule or the cap waived some passages.
    let passages: Vec<_> = got
        .iter()
        .filter_map(|o| if let JobOutput::Cordon { owed, .. } = o { Some(*owed) } else { None })
        .collect();
    assert!(passages.iter().any(|o| o.0 > 0) && passages.contains(&Cents::ZERO), "{passages:?}");
    // Express lanes were repriced every 3 minutes, above the minimum while congested.
    let zones: Vec<_> = got
        .iter()
        .filter_map(|o| {
            if let JobOutput::Express { minute, price, .. } = o { Some((*minute, *price)) } else { None }
        })
        .collect();
    assert!(zones.iter().all(|(m, _)| (m.0 + 1) % 3 == 0), "{zones:?}");
    assert!(zones.iter().any(|(_, p)| p.0 > 100), "{zones:?}");
    // Parking occupancy around 50 % makes SFpark lower the hourly price at reviews.
    assert!(got.iter().any(
        |o| matches!(o, JobOutput::Parking { previous_price_per_hour: a, price_per_hour: b, .. } if b < a)
    ));
    let counters = live.read(|s| s.counters);
    assert_eq!(counters.unmatched, 30);
    assert!(counters.matched > 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_match_the_sequential_reference() {
    let records = workload(&city(), 11);
    let want = expected(&records);
    let (got, live) = run_job(4, &records, 2).await;
    assert_eq!(got, want);
    // The live state holds what the job published.
    assert!(live.read(|s| !s.segments.is_empty() && s.latest_minute == Some(Minute(T0_MINUTE + 29))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_records_are_refused_not_dropped() {
    let live = LiveCity::new(policies());
    let mut job = TrafficJob::start(city(), live, 2, None);
    job.advance(Minute(T0_MINUTE + 5)).await.unwrap();
    let late = Telemetry::Bike(BikeReport {
        station: "b".into(),
        time: Minute(T0_MINUTE + 4).start(),
        bikes: 1,
        docks: 1,
    });
    let err = job.send(vec![late]).await.unwrap_err();
    assert!(err.to_string().contains("behind the watermark"), "{err}");
    job.finish().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_read_without_waiting_for_the_watermark() {
    let live = LiveCity::new(policies());
    let mut job = TrafficJob::start(city(), live.clone(), 2, None);
    let records = workload(&city(), 3);
    let probes = records.iter().filter(|r| matches!(r, Telemetry::Probe(_))).count() as u64;
    for chunk in records.chunks(7) {
        job.send(chunk.to_vec()).await.unwrap();
    }
    let mut seen = 0;
    for _ in 0..100 {
        seen = live.read(|s| s.counters.probes);
        if seen == probes {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, probes);
    job.finish().await.unwrap();
}
