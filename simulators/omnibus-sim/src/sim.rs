//! The simulation: demand, traffic and telemetry advanced together one fixed
//! step at a time.

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::demand::{self, Trip};
use crate::sensors::Sensors;
use crate::traffic::{self, Segments, Vehicle, VehicleState};
use omnibus_core::routing::Dijkstra;
use omnibus_core::seed::mix;
use omnibus_core::{City, EventTime, LatLon, Meters, MetersPerSecond, NodeId, SegmentId};
use omnibus_proto::v1::telemetry_record::Kind;
use omnibus_proto::v1::{TelemetryRecord, VehicleProbe};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::sync::Arc;

/// Random stream of the demand.
const STREAM_DEMAND: u64 = 1;
/// Random stream of the bike stations.
const STREAM_BIKES: u64 = 2;
/// Loop detectors report once a minute.
const LOOP_PERIOD_MS: i64 = 60_000;
/// Parking facilities and bike stations report every five minutes.
const FACILITY_PERIOD_MS: i64 = 300_000;

/// Running totals of a simulation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimStats {
    /// Vehicles that have entered the road network.
    pub departed: u64,
    /// Vehicles that have reached their destination.
    pub arrived: u64,
    /// Vehicles on the road network now.
    pub driving: u64,
    /// Mean speed over the last step of the vehicles on the network, m/s.
    pub mean_speed_mps: f64,
    /// Vehicle probes emitted so far.
    pub probes: u64,
    /// Telemetry records of every kind emitted so far.
    pub records: u64,
}

/// A deterministic traffic simulation of one city: the same city, config and
/// seed give the same record stream, bit for bit.
pub struct Simulation {
    city: Arc<City>,
    config: SimConfig,
    step_ms: i64,
    duration_ms: i64,
    report_ms: i64,
    elapsed_ms: i64,
    clock: SimClock,
    hotspot: LatLon,
    trips: Vec<Trip>,
    next_trip: usize,
    dijkstra: Dijkstra,
    segs: Segments,
    vehicles: Vec<Vehicle>,
    /// Indexes into `vehicles` of those queued or driving, in departure order.
    active: Vec<u32>,
    arrivals: Vec<NodeId>,
    sensors: Sensors,
    stats: SimStats,
    skipped: u64,
    teleported: u64,
}

impl fmt::Debug for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulation")
            .field("city", &self.city.name)
            .field("config", &self.config)
            .field("now", &self.now())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// A random stream of `seed`: every subsystem draws from its own.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Whether a period of `period` ms, shifted by `phase`, ends in `(prev, now]`.
fn crossed(prev: i64, now: i64, period: i64, phase: i64) -> bool {
    (now - phase).div_euclid(period) > (prev - phase).div_euclid(period)
}

impl Simulation {
    /// A simulation of `city` at the start of `config`'s horizon, with its whole
    /// demand drawn.
    pub fn new(city: Arc<City>, config: SimConfig) -> Simulation {
        let step_ms = config.step_ms();
        let duration_ms = config.duration_ms();
        let report_ms = config.report_interval_ms();
        let mut demand_rng = rng(config.seed, STREAM_DEMAND);
        let demand = demand::generate(&city.network, config.vehicles, duration_ms, &mut demand_rng);
        let segs = Segments::new(&city.network);
        let sensors = Sensors::new(&city, rng(config.seed, STREAM_BIKES));
        tracing::debug!(
            city = %city.name,
            trips = demand.trips.len(),
            hotspot_lat = demand.hotspot.lat,
            hotspot_lon = demand.hotspot.lon,
            "simulation ready"
        );
        Simulation {
            clock: SimClock::new(config.start),
            step_ms,
            duration_ms,
            report_ms,
            elapsed_ms: 0,
            hotspot: demand.hotspot,
            trips: demand.trips,
            next_trip: 0,
            dijkstra: Dijkstra::default(),
            segs,
            vehicles: Vec::with_capacity(config.vehicles),
            active: Vec::new(),
            arrivals: Vec::new(),
            sensors,
            stats: SimStats::default(),
            skipped: 0,
            teleported: 0,
            city,
            config,
        }
    }

    /// Advances one step and returns the telemetry records due in it (probes,
    /// then loop counts, then parking, then bike stations). Does nothing once
    /// the horizon is reached.
    pub fn step(&mut self) -> Vec<TelemetryRecord> {
        if self.is_done() {
            return Vec::new();
        }
        let prev = self.elapsed_ms;
        let now = (prev + self.step_ms).min(self.duration_ms);
        let dt = (now - prev) as f64 / 1000.0;
        self.elapsed_ms = now;

        self.depart(now);
        self.arrivals.clear();
        let outcome =
            traffic::advance(&mut self.segs, &mut self.vehicles, &self.active, now, dt, &mut self.arrivals);
        let vehicles = &self.vehicles;
        self.active.retain(|&i| vehicles[i as usize].state != VehicleState::Done);
        for &node in &self.arrivals {
            self.sensors.arrived(&self.city, node);
        }
        self.stats.departed += outcome.entered_network;
        self.stats.arrived += outcome.arrived;
        self.stats.driving = outcome.driving;
        self.stats.mean_speed_mps =
            if outcome.driving > 0 { outcome.speed_sum / outcome.driving as f64 } else { 0.0 };
        self.teleported += outcome.teleported;

        let mut out = Vec::new();
        self.probes(prev, now, &mut out);
        let start = self.config.start.0;
        if crossed(prev, now, LOOP_PERIOD_MS, 0) {
            let at = start + now.div_euclid(LOOP_PERIOD_MS) * LOOP_PERIOD_MS;
            self.sensors.loop_counts(&mut self.segs, at, &mut out);
        }
        if crossed(prev, now, FACILITY_PERIOD_MS, 0) {
            let at = start + now.div_euclid(FACILITY_PERIOD_MS) * FACILITY_PERIOD_MS;
            self.sensors.parking(at, &mut out);
            self.sensors.bike_stations(at, &mut out);
        }
        self.stats.records += out.len() as u64;
        self.clock.set(self.now());
        out
    }

    /// Routes every trip that departs by `now` and queues it for the network.
    fn depart(&mut self, now: i64) {
        let network = &self.city.network;
        let cost = &self.segs.free_flow_time;
        while let Some(trip) = self.trips.get(self.next_trip).filter(|t| t.depart_ms <= now) {
            let number = self.next_trip as u32;
            self.next_trip += 1;
            let path = self.dijkstra.run(network, trip.origin, trip.destination, |s| cost[s.index()]);
            let Some(path) = path.filter(|p| !p.segments.is_empty()) else {
                self.skipped += 1;
                continue;
            };
            let probe_phase_ms = (mix(self.config.seed, u64::from(number)) % self.report_ms as u64) as i64;
            self.active.push(self.vehicles.len() as u32);
            self.vehicles.push(Vehicle {
                number,
                destination: trip.destination,
                route: path.segments,
                leg: 0,
                offset: 0.0,
                speed: 0.0,
                state: VehicleState::Queued,
                blocked_since_ms: None,
                probe_phase_ms,
            });
        }
    }

    /// A probe from every driving vehicle whose report falls in `(prev, now]`.
    fn probes(&mut self, prev: i64, now: i64, out: &mut Vec<TelemetryRecord>) {
        let network = &self.city.network;
        let time_ms = self.config.start.0 + now;
        for &i in &self.active {
            let v = &self.vehicles[i as usize];
            if v.state != VehicleState::Driving || !crossed(prev, now, self.report_ms, v.probe_phase_ms) {
                continue;
            }
            let segment = &network.segments()[v.segment().index()];
            let (pos, bearing) = segment.point_at(Meters(v.offset));
            let heading_deg = if (0.0..360.0).contains(&bearing) { bearing } else { 0.0 };
            out.push(TelemetryRecord {
                kind: Some(Kind::Probe(VehicleProbe {
                    vehicle_id: format!("veh-{:06}", v.number),
                    time_ms,
                    lat: pos.lat,
                    lon: pos.lon,
                    speed_mps: v.speed,
                    heading_deg,
                })),
            });
            self.stats.probes += 1;
        }
    }

    /// The simulated time now.
    pub fn now(&self) -> EventTime {
        self.config.start.plus_ms(self.elapsed_ms)
    }

    /// Simulated milliseconds since the start.
    pub fn elapsed_ms(&self) -> i64 {
        self.elapsed_ms
    }

    /// Whether the horizon has been reached.
    pub fn is_done(&self) -> bool {
        self.elapsed_ms >= self.duration_ms
    }

    /// A shared handle on the simulated clock, updated after every step.
    pub fn clock(&self) -> SimClock {
        self.clock.clone()
    }

    /// Totals so far.
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The simulated city.
    pub fn city(&self) -> &Arc<City> {
        &self.city
    }

    /// The downtown hotspot most destinations are drawn around.
    pub fn hotspot(&self) -> LatLon {
        self.hotspot
    }

    /// Trips dropped because their origin cannot reach their destination.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Vehicles moved ahead past a segment that stayed full for too long
    /// (see [`crate::traffic::MAX_BLOCKED_MS`]).
    pub fn teleported(&self) -> u64 {
        self.teleported
    }

    /// Vehicles waiting at their origin for room on their first segment.
    pub fn queued(&self) -> u64 {
        self.active.len() as u64 - self.stats.driving
    }

    /// The segment of every vehicle on the network now, in vehicle order (a
    /// segment appears once per vehicle on it).
    pub fn vehicle_segments(&self) -> impl Iterator<Item = SegmentId> + '_ {
        self.active
            .iter()
            .map(|&i| &self.vehicles[i as usize])
            .filter(|v| v.state == VehicleState::Driving)
            .map(Vehicle::segment)
    }

    /// Vehicles on a segment now (0 for an unknown id).
    pub fn segment_vehicles(&self, id: SegmentId) -> u32 {
        self.segs.count.get(id.index()).copied().unwrap_or(0)
    }

    /// How many vehicles a segment holds when jammed (0 for an unknown id).
    pub fn segment_jam(&self, id: SegmentId) -> u32 {
        self.segs.jam.get(id.index()).copied().unwrap_or(0)
    }

    /// The speed vehicles on a segment drive at now (free flow when it is
    /// empty; 0 for an unknown id).
    pub fn segment_speed(&self, id: SegmentId) -> MetersPerSecond {
        if id.index() >= self.segs.count.len() {
            return MetersPerSecond(0.0);
        }
        MetersPerSecond(self.segs.speed(id.index()))
    }

    /// The lowest ratio of current to free-flow speed any segment has had so far.
    pub fn min_speed_ratio(&self) -> f64 {
        self.segs.min_ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_cross_once_per_boundary() {
        assert!(!crossed(0, 1_000, 30_000, 0));
        assert!(crossed(29_000, 30_000, 30_000, 0));
        assert!(!crossed(30_000, 31_000, 30_000, 0));
        assert!(crossed(4_000, 5_000, 30_000, 5_000));
        assert!(crossed(34_000, 35_000, 30_000, 5_000));
        let hits = (0..3_600).filter(|&s| crossed(s * 1000, (s + 1) * 1000, 30_000, 12_345)).count();
        assert_eq!(hits, 120);
    }

    #[test]
    fn streams_and_mixing_are_seeded() {
        use rand::Rng;
        let a: u64 = rng(1, STREAM_DEMAND).random();
        assert_eq!(a, rng(1, STREAM_DEMAND).random::<u64>());
        assert_ne!(a, rng(1, STREAM_BIKES).random::<u64>());
        assert_ne!(a, rng(2, STREAM_DEMAND).random::<u64>());
    }
}
