//! The simulator on the bundled Porto Alegre network: determinism, congestion,
//! spillback and well-formed telemetry.

use omnibus_core::{City, LatLon, SegmentId};
use omnibus_proto::v1::TelemetryRecord;
use omnibus_proto::v1::telemetry_record::Kind;
use omnibus_sim::{SimConfig, SimStats, Simulation};
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

fn city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    Arc::clone(CITY.get_or_init(|| Arc::new(City::porto_alegre())))
}

/// The encoded records of the first `until_s` simulated seconds.
fn encoded_records(config: SimConfig, until_s: i64) -> Vec<Vec<u8>> {
    let mut sim = Simulation::new(city(), config);
    let mut out = Vec::new();
    while !sim.is_done() && sim.elapsed_ms() < until_s * 1000 {
        out.extend(sim.step().iter().map(Message::encode_to_vec));
    }
    out
}

#[test]
fn same_seed_same_records_other_seed_other_records() {
    let config = |seed| SimConfig { seed, vehicles: 200, duration_s: 900, ..SimConfig::default() };
    let a = encoded_records(config(7), 600);
    let b = encoded_records(config(7), 600);
    assert!(a.len() > 500, "{} records", a.len());
    assert!(a == b, "two runs with seed 7 differ");
    let c = encoded_records(config(8), 180);
    assert!(!c.is_empty());
    assert!(a[..c.len().min(a.len())] != c[..], "seeds 7 and 8 gave the same records");
}

/// What the checks need from one busy run, observed after every step.
#[derive(Debug)]
struct Busy {
    records: Vec<TelemetryRecord>,
    /// Lowest speed / free flow of any occupied segment after any step.
    min_speed_ratio: f64,
    overfilled: Vec<String>,
    miscounted: Vec<String>,
    stats: SimStats,
    config: SimConfig,
}

/// A busy morning, small enough for debug builds but dense enough to jam.
fn busy() -> &'static Busy {
    static BUSY: OnceLock<Busy> = OnceLock::new();
    BUSY.get_or_init(|| {
        let city = city();
        let config = SimConfig { seed: 7, vehicles: 600, duration_s: 900, ..SimConfig::default() };
        let mut sim = Simulation::new(Arc::clone(&city), config.clone());
        let mut out = Busy {
            records: Vec::new(),
            min_speed_ratio: 1.0,
            overfilled: Vec::new(),
            miscounted: Vec::new(),
            stats: SimStats::default(),
            config,
        };
        let mut on: HashMap<SegmentId, u32> = HashMap::new();
        while !sim.is_done() {
            out.records.extend(sim.step());
            // Every occupied segment holds a vehicle, so walking the vehicles
            // visits all of them.
            on.clear();
            for s in sim.vehicle_segments() {
                *on.entry(s).or_default() += 1;
            }
            let total: u64 = on.values().map(|&n| u64::from(n)).sum();
            if total != sim.stats().driving {
                out.miscounted.push(format!("{total} on segments, {} driving", sim.stats().driving));
            }
            for (&s, &n) in &on {
                let (count, jam) = (sim.segment_vehicles(s), sim.segment_jam(s));
                if count != n {
                    out.miscounted.push(format!("{s} counts {count} vehicles, {n} are on it"));
                }
                if count > jam {
                    out.overfilled.push(format!("{s} holds {count} > {jam} at {:?}", sim.now()));
                }
                let free = city.network.segments()[s.index()].free_flow.0;
                out.min_speed_ratio = out.min_speed_ratio.min(sim.segment_speed(s).0 / free);
            }
        }
        assert!(sim.step().is_empty(), "a finished simulation emits nothing");
        out.stats = sim.stats().clone();
        out
    })
}

#[test]
fn congestion_forms() {
    let r = busy();
    assert!(r.min_speed_ratio < 0.5, "the slowest segment ran at {:.2} of free flow", r.min_speed_ratio);
    assert!(r.stats.departed > 500 && r.stats.arrived > 50, "{:?}", r.stats);
    assert!(r.stats.mean_speed_mps > 0.0 && r.stats.mean_speed_mps < 40.0, "{:?}", r.stats);
}

#[test]
fn spillback_never_overfills_a_segment() {
    let r = busy();
    assert!(r.overfilled.is_empty(), "{:?}", &r.overfilled[..r.overfilled.len().min(5)]);
    assert!(r.miscounted.is_empty(), "{:?}", &r.miscounted[..r.miscounted.len().min(5)]);
    assert_eq!(r.stats.departed, r.stats.arrived + r.stats.driving, "{:?}", r.stats);
}

#[test]
fn telemetry_is_well_formed_and_inside_the_city() {
    let r = busy();
    let city = city();
    let start = r.config.start.0;
    let end = start + i64::from(r.config.duration_s) * 1000;
    let (mut probes, mut loops, mut parking) = (0u64, 0u64, 0u64);
    let mut last_probe: HashMap<&str, i64> = HashMap::new();
    for rec in &r.records {
        match rec.kind.as_ref().expect("every record has a kind") {
            Kind::Probe(p) => {
                probes += 1;
                assert!(p.vehicle_id.starts_with("veh-"), "{p:?}");
                assert!((start..=end).contains(&p.time_ms), "{p:?}");
                assert!(p.lat.is_finite() && p.lon.is_finite(), "{p:?}");
                assert!(city.area.contains(LatLon::new(p.lat, p.lon)), "{p:?}");
                assert!(p.speed_mps.is_finite() && (0.0..40.0).contains(&p.speed_mps), "{p:?}");
                assert!(p.heading_deg.is_finite() && (0.0..360.0).contains(&p.heading_deg), "{p:?}");
                if let Some(prev) = last_probe.insert(&p.vehicle_id, p.time_ms) {
                    assert_eq!(p.time_ms - prev, 30_000, "{p:?}");
                }
            }
            Kind::LoopCount(l) => {
                loops += 1;
                assert!(city.registry.detectors.contains_key(&l.detector_id), "{l:?}");
                assert_eq!(l.interval_s, 60);
                assert_eq!((l.time_ms - start) % 60_000, 0, "{l:?}");
                assert!(l.occupancy.is_finite() && (0.0..=1.0).contains(&l.occupancy), "{l:?}");
            }
            Kind::Parking(p) => {
                parking += 1;
                assert!(city.registry.parking.contains_key(&p.facility_id), "{p:?}");
                assert_eq!(p.capacity, city.registry.parking[&p.facility_id].capacity);
                assert!(p.occupied <= p.capacity, "{p:?}");
            }
            Kind::BikeStation(b) => {
                let site = &city.registry.bike_stations[&b.station_id];
                assert_eq!(b.num_bikes_available + b.num_docks_available, site.capacity, "{b:?}");
            }
        }
    }
    assert_eq!(probes, r.stats.probes);
    assert_eq!(r.records.len() as u64, r.stats.records);
    assert!(probes > 1_000 && loops > 100, "{probes} probes, {loops} loop counts");
    // Every five minutes: at 5, 10 and 15 minutes.
    assert_eq!(parking, 3 * city.registry.parking.len() as u64);
}

#[test]
fn clock_follows_the_simulation() {
    let mut sim = Simulation::new(city(), SimConfig { vehicles: 10, duration_s: 5, ..SimConfig::default() });
    let clock = sim.clock();
    let start = sim.now();
    assert_eq!(start, SimConfig::default().start);
    assert_eq!(clock.now(), start);
    sim.step();
    assert_eq!(clock.now(), start.plus_ms(1_000));
    while !sim.is_done() {
        sim.step();
    }
    assert_eq!(clock.now(), start.plus_ms(5_000));
    assert_eq!(sim.now(), clock.now());
}
