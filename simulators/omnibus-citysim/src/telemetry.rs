//! What a simulated day produces while it runs: experienced link times,
//! volumes, money paid, emissions and time-of-day series (for the next
//! iteration and the report), and the telemetry a real city's sensors would
//! send (probes every `probe_interval_s` from connected cars, loop counts per
//! minute, parking occupancy and bike-station status every five minutes).

use crate::feed::PriceTable;
use crate::population::Person;
use crate::run::{BIN_MS, Inputs, Plan, person_draw};
use crate::scenario::TravelMode;
use omnibus_core::cordon::{CordonPolicy, VehicleAccount};
use omnibus_core::policy::Policy;
use omnibus_core::{Cents, EventTime, Meters, SegmentId};
use omnibus_meso::{LinkId, MesoOutcome, Observer, TripId};
use omnibus_proto::v1::telemetry_record::Kind;
use omnibus_proto::v1::{
    BikeStationStatus, LoopDetectorCount, ParkingOccupancy, TelemetryRecord, VehicleProbe,
};
use std::collections::BTreeMap;

/// Width of a time-of-day series step, ms.
pub const SERIES_MS: i64 = 5 * 60_000;
/// Arrivals within this distance of a parking facility park there.
pub const PARKING_CATCHMENT_M: f64 = 400.0;

/// Grams of CO2 per vehicle-km at `kmh`: the U-shaped speed dependence of
/// hot-emission curves (high at crawling speed, lowest around 60–70 km/h,
/// rising at motorway speed), normalised to the DESNZ 2023 average car
/// (168 g/km) at 50 km/h.
pub fn co2_g_per_km(kmh: f64) -> f64 {
    let v = kmh.clamp(5.0, 130.0);
    let shape = |v: f64| 0.6 + 13.0 / v + v * v / 12_000.0;
    omnibus_planner::co2::CAR_G_PER_KM * shape(v) / shape(50.0)
}

/// Grams of NOx per vehicle-km at `kmh` (same shape, steeper at high speed),
/// 0.3 g/km at 50 km/h (a Euro 5/6 fleet mix).
pub fn nox_g_per_km(kmh: f64) -> f64 {
    let v = kmh.clamp(5.0, 130.0);
    let shape = |v: f64| 0.5 + 15.0 / v + v * v / 6_000.0;
    0.3 * shape(v) / shape(50.0)
}

/// Watches one simulated day.
#[derive(Debug)]
pub struct DayObserver {
    start: EventTime,
    bins: usize,
    links: usize,
    lengths: Vec<f64>,
    /// Per trip: entry time into its current link.
    enter_ms: Vec<i64>,
    started: Vec<bool>,
    /// Per bin × link: summed traversal time and traversals.
    sum_ms: Vec<u64>,
    cnt: Vec<u32>,
    /// Vehicles that entered each link over the day.
    pub volume: Vec<u32>,
    /// Summed traversal time per link, ms (for mean speeds).
    pub link_time_ms: Vec<u64>,
    /// Per trip: tolls of segments, cordon charges, distance, CO2 and NOx grams.
    pub tolls: Vec<Cents>,
    /// See [`DayObserver::tolls`].
    pub cordon_paid: Vec<Cents>,
    /// See [`DayObserver::tolls`].
    pub distance_m: Vec<f64>,
    /// See [`DayObserver::tolls`].
    pub co2_g: Vec<f64>,
    /// See [`DayObserver::tolls`].
    pub nox_g: Vec<f64>,
    /// Inbound cordon crossings per trip.
    pub crossings: Vec<u32>,
    accounts: BTreeMap<u32, VehicleAccount>,
    cordon_policy: Option<CordonPolicy>,
    cordon: Vec<bool>,
    charged: Vec<bool>,
    table: PriceTable,
    /// Per 5-minute step: vehicle-seconds on the road, metres driven, crossings.
    pub series_vs: Vec<f64>,
    /// See [`DayObserver::series_vs`].
    pub series_m: Vec<f64>,
    /// See [`DayObserver::series_vs`].
    pub series_crossings: Vec<u32>,
    on_road: i64,
    last_t: i64,
    /// Per loop detector: its link and counts per minute.
    detectors: Vec<(String, usize, Vec<u32>)>,
    detector_of: BTreeMap<usize, usize>,
    probe: Vec<bool>,
    phase_ms: Vec<i64>,
    interval_ms: i64,
    vehicle: Vec<u32>,
    probes: Vec<TelemetryRecord>,
}

impl DayObserver {
    /// An observer of the day in which `drivers[i]` drives trip `i`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inputs: &Inputs<'_>,
        policy: &Policy,
        table: &PriceTable,
        cordon: &[bool],
        charged: &[bool],
        drivers: &[u32],
        seed: u64,
        bins: usize,
    ) -> DayObserver {
        let sc = inputs.scenario;
        let world = inputs.world;
        let links = world.network.links().len();
        let steps = (((sc.end.0 - sc.start.0) / SERIES_MS) + 37) as usize;
        let minutes = ((sc.end.0 - sc.start.0) / 60_000 + 181) as usize;
        let detectors: Vec<(String, usize, Vec<u32>)> = world
            .city
            .registry
            .detectors
            .iter()
            .filter(|(_, s)| s.index() < links)
            .map(|(id, s)| (id.clone(), s.index(), vec![0; minutes]))
            .collect();
        let detector_of = detectors.iter().enumerate().map(|(i, d)| (d.1, i)).collect();
        let share = *sc.scenario.telemetry.probe_share.get_ref();
        let interval_ms = i64::from(*sc.scenario.telemetry.probe_interval_s.get_ref()) * 1_000;
        let probe: Vec<bool> = drivers.iter().map(|p| person_draw(seed, *p) < share).collect();
        let phase_ms = drivers
            .iter()
            .map(|p| (crate::rng::mix(seed ^ 0x5eed, u64::from(*p)) % interval_ms as u64) as i64)
            .collect();
        let n = drivers.len();
        DayObserver {
            start: sc.start,
            bins,
            links,
            lengths: world.network.links().iter().map(|l| l.length_m).collect(),
            enter_ms: vec![0; n],
            started: vec![false; n],
            sum_ms: vec![0; bins * links],
            cnt: vec![0; bins * links],
            volume: vec![0; links],
            link_time_ms: vec![0; links],
            tolls: vec![Cents::ZERO; n],
            cordon_paid: vec![Cents::ZERO; n],
            distance_m: vec![0.0; n],
            co2_g: vec![0.0; n],
            nox_g: vec![0.0; n],
            crossings: vec![0; n],
            accounts: BTreeMap::new(),
            cordon_policy: policy.cordon.clone(),
            cordon: cordon.to_vec(),
            charged: charged.to_vec(),
            table: table.clone(),
            series_vs: vec![0.0; steps],
            series_m: vec![0.0; steps],
            series_crossings: vec![0; steps],
            on_road: 0,
            last_t: 0,
            detectors,
            detector_of,
            probe,
            phase_ms,
            interval_ms,
            vehicle: drivers.to_vec(),
            probes: Vec::new(),
        }
    }

    fn step(&self, t: i64) -> usize {
        ((t / SERIES_MS).max(0) as usize).min(self.series_vs.len() - 1)
    }

    fn advance(&mut self, t: i64) {
        // Integrate vehicles on the road over (last_t, t].
        while self.last_t < t {
            let step_end = (self.last_t / SERIES_MS + 1) * SERIES_MS;
            let to = step_end.min(t);
            let s = self.step(self.last_t);
            self.series_vs[s] += self.on_road as f64 * (to - self.last_t) as f64 / 1_000.0;
            self.last_t = to;
        }
    }

    /// Mean traversal time of `link` for vehicles entering in `bin`, ms.
    pub fn mean_time(&self, bin: usize, link: usize) -> Option<u32> {
        let i = bin * self.links + link;
        (self.cnt[i] > 0)
            .then(|| (self.sum_ms[i] / u64::from(self.cnt[i])).clamp(1, u64::from(u32::MAX)) as u32)
    }

    /// Totals of the day for the convergence table. A car trip lasts from
    /// its planned departure (waiting to enter the road included) to its
    /// arrival, as in the KPIs.
    pub fn totals(&self, outcome: &MesoOutcome, plans: &omnibus_meso::Plans) -> crate::kpi::DayTotals {
        let times: Vec<i64> = plans
            .trips()
            .zip(&outcome.arrived_ms)
            .filter_map(|(trip, a)| a.map(|a| a - plans.depart_ms(trip)))
            .collect();
        crate::kpi::DayTotals {
            vehicle_hours: outcome.vehicle_seconds / 3_600.0,
            mean_car_minutes: if times.is_empty() {
                0.0
            } else {
                times.iter().sum::<i64>() as f64 / times.len() as f64 / 60_000.0
            },
        }
    }

    /// The day's telemetry in time order: probes, loop counts, parking and
    /// bike-station reports.
    pub fn telemetry(
        &mut self,
        inputs: &Inputs<'_>,
        people: &[Person],
        plans: &[Option<Plan>],
        outcome: &MesoOutcome,
    ) -> Vec<TelemetryRecord> {
        let world = inputs.world;
        let sc = inputs.scenario;
        let start = self.start.0;
        self.place_probes(&world.city.network);
        let mut out = std::mem::take(&mut self.probes);
        for (id, link, counts) in &self.detectors {
            let speed = world.network.links()[*link].free_speed_mps.max(1.0);
            for (m, c) in counts.iter().enumerate() {
                let end = start + (m as i64 + 1) * 60_000;
                if end > sc.end.0 {
                    break;
                }
                out.push(TelemetryRecord {
                    kind: Some(Kind::LoopCount(LoopDetectorCount {
                        detector_id: id.clone(),
                        time_ms: end,
                        interval_s: 60,
                        vehicle_count: *c,
                        occupancy: (f64::from(*c) * 7.5 / speed / 60.0).min(1.0),
                    })),
                });
            }
        }
        // Parking: arrivals near a facility occupy it from their arrival on.
        let sites: Vec<(&String, &omnibus_core::registry::Site)> =
            world.city.registry.parking.iter().collect();
        let mut arrivals: Vec<Vec<i64>> = vec![Vec::new(); sites.len()];
        if !sites.is_empty() {
            for (trip, a) in outcome.arrived_ms.iter().enumerate() {
                let Some(a) = a else { continue };
                let person = &people[self.vehicle[trip] as usize];
                let pos = world.city.network.node(person.dest).pos;
                if let Some((i, _)) = sites
                    .iter()
                    .enumerate()
                    .map(|(i, (_, s))| (i, s.pos.distance_m(pos)))
                    .filter(|(_, d)| *d <= PARKING_CATCHMENT_M)
                    .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)))
                {
                    arrivals[i].push(start + a);
                }
            }
        }
        // Bike stations: bike-share riders take a bike near home and leave it near the destination.
        let stations: Vec<(&String, &omnibus_core::registry::Site)> =
            world.city.registry.bike_stations.iter().collect();
        let mut moves: Vec<Vec<(i64, i32)>> = vec![Vec::new(); stations.len()];
        if !stations.is_empty() {
            let nearest = |pos: omnibus_core::LatLon| {
                stations
                    .iter()
                    .enumerate()
                    .map(|(i, (_, s))| (i, s.pos.distance_m(pos)))
                    .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)))
                    .map(|(i, _)| i)
            };
            for (p, plan) in plans.iter().enumerate() {
                let Some(plan) = plan.as_ref().filter(|pl| pl.mode == TravelMode::BikeShare) else {
                    continue;
                };
                let person = &people[p];
                let net = &world.city.network;
                if let (Some(a), Some(b)) =
                    (nearest(net.node(person.home).pos), nearest(net.node(person.dest).pos))
                {
                    let ride = inputs
                        .skims
                        .pairs
                        .get(&(person.home_district, person.dest_district))
                        .and_then(|l| l[TravelMode::BikeShare.index()])
                        .map_or(0, |l| (l.time_s * 1_000.0) as i64);
                    moves[a].push((plan.depart.0, -1));
                    moves[b].push((plan.depart.0 + ride, 1));
                }
            }
        }
        let mut t = start + 300_000;
        while t <= sc.end.0 {
            for (i, (id, site)) in sites.iter().enumerate() {
                let base = (f64::from(site.capacity) * 0.15).round() as u32;
                let arrived = arrivals[i].iter().filter(|a| **a <= t).count() as u32;
                out.push(TelemetryRecord {
                    kind: Some(Kind::Parking(ParkingOccupancy {
                        facility_id: (*id).clone(),
                        time_ms: t,
                        occupied: (base + arrived).min(site.capacity),
                        capacity: site.capacity,
                    })),
                });
            }
            for (i, (id, site)) in stations.iter().enumerate() {
                let delta: i32 = moves[i].iter().filter(|(w, _)| *w <= t).map(|(_, d)| *d).sum();
                let bikes = (i64::from(site.capacity / 2) + i64::from(delta))
                    .clamp(0, i64::from(site.capacity)) as u32;
                out.push(TelemetryRecord {
                    kind: Some(Kind::BikeStation(BikeStationStatus {
                        station_id: (*id).clone(),
                        time_ms: t,
                        num_bikes_available: bikes,
                        num_docks_available: site.capacity - bikes,
                        is_renting: true,
                        is_returning: true,
                    })),
                });
            }
            t += 300_000;
        }
        out.sort_by_key(record_key);
        out
    }
}

/// Orders records by time, then kind, then source.
fn record_key(r: &TelemetryRecord) -> (i64, u8, String) {
    match r.kind.as_ref() {
        Some(Kind::Probe(p)) => (p.time_ms, 0, p.vehicle_id.clone()),
        Some(Kind::LoopCount(l)) => (l.time_ms, 1, l.detector_id.clone()),
        Some(Kind::Parking(p)) => (p.time_ms, 2, p.facility_id.clone()),
        Some(Kind::BikeStation(b)) => (b.time_ms, 3, b.station_id.clone()),
        None => (i64::MIN, 9, String::new()),
    }
}

impl Observer for DayObserver {
    fn entered(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        let i = trip.0 as usize;
        let l = link.0 as usize;
        self.advance(t_ms);
        if !self.started[i] {
            self.started[i] = true;
            self.on_road += 1;
        }
        self.enter_ms[i] = t_ms;
        self.volume[l] += 1;
        let at = EventTime(self.start.0 + t_ms);
        self.tolls[i] = self.tolls[i] + self.table.price_at(SegmentId(link.0), at);
        if self.cordon[l] {
            self.crossings[i] += 1;
            let s = self.step(t_ms);
            self.series_crossings[s] += 1;
        }
        if self.charged[l]
            && let Some(policy) = &self.cordon_policy
        {
            let owed = self.accounts.entry(trip.0).or_default().pass(policy, at);
            self.cordon_paid[i] = self.cordon_paid[i] + owed;
        }
        if let Some(&d) = self.detector_of.get(&l) {
            let m = (t_ms / 60_000).max(0) as usize;
            if let Some(c) = self.detectors[d].2.get_mut(m) {
                *c += 1;
            }
        }
    }

    fn left(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        let i = trip.0 as usize;
        let l = link.0 as usize;
        self.advance(t_ms);
        let enter = self.enter_ms[i];
        let dur = (t_ms - enter).max(1);
        let bin = ((enter / BIN_MS).max(0) as usize).min(self.bins - 1);
        self.sum_ms[bin * self.links + l] += dur as u64;
        self.cnt[bin * self.links + l] += 1;
        self.link_time_ms[l] += dur as u64;
        let len = self.lengths[l];
        let kmh = len / (dur as f64 / 1_000.0) * 3.6;
        self.distance_m[i] += len;
        self.co2_g[i] += co2_g_per_km(kmh) * len / 1_000.0;
        self.nox_g[i] += nox_g_per_km(kmh) * len / 1_000.0;
        let s = self.step(t_ms);
        self.series_m[s] += len;
        if self.probe[i] {
            // Reports at phase + n·interval within [enter, t).
            let phase = self.phase_ms[i];
            let first = (enter - phase).div_euclid(self.interval_ms)
                + i64::from((enter - phase).rem_euclid(self.interval_ms) != 0);
            let mut at = phase + first * self.interval_ms;
            while at < t_ms {
                let frac = (at - enter) as f64 / dur as f64;
                // Link and fraction for now; `place_probes` turns them into a position.
                self.probes.push(TelemetryRecord {
                    kind: Some(Kind::Probe(VehicleProbe {
                        vehicle_id: format!("sim-{:07}", self.vehicle[i]),
                        time_ms: self.start.0 + at,
                        lat: f64::from(link.0),
                        lon: frac,
                        speed_mps: len / (dur as f64 / 1_000.0),
                        heading_deg: 0.0,
                    })),
                });
                at += self.interval_ms;
            }
        }
    }

    fn arrived(&mut self, _trip: TripId, t_ms: i64) {
        self.advance(t_ms);
        self.on_road -= 1;
    }
}

impl DayObserver {
    /// Turns the probes' (link, fraction) placeholders into positions and headings.
    fn place_probes(&mut self, network: &omnibus_core::network::RoadNetwork) {
        for r in &mut self.probes {
            if let Some(Kind::Probe(p)) = r.kind.as_mut() {
                let seg = &network.segments()[p.lat as usize];
                let (pos, bearing) = seg.point_at(Meters(p.lon * seg.length.0));
                p.lat = pos.lat;
                p.lon = pos.lon;
                p.heading_deg = if (0.0..360.0).contains(&bearing) { bearing } else { 0.0 };
            }
        }
    }
}
