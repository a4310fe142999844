//! Key figures of a run, as authorities use them, and their CSV files.

use crate::feed::DayPrices;
use crate::population::{INCOME_GROUPS, Person};
use crate::run::{Inputs, Plan};
use crate::scenario::TravelMode;
use crate::telemetry::{DayObserver, SERIES_MS};
use omnibus_core::policy::Policy;
use omnibus_core::{Cents, network::RoadClass};
use omnibus_meso::MesoOutcome;
use std::io::Write;

/// Totals of one day used while iterating.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayTotals {
    /// Vehicle-hours, waiting to enter included.
    pub vehicle_hours: f64,
    /// Mean car trip, minutes.
    pub mean_car_minutes: f64,
}

/// One iteration's convergence figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Iteration {
    /// 1-based.
    pub k: u32,
    /// Σ (cost of the plan held − cost of the best option) / Σ cost of the plan held,
    /// over people whose plan was still on offer (NaN in the first iteration).
    pub relative_gap: f64,
    /// People who chose again.
    pub replanned: u64,
    /// Of those, people whose mode or departure changed.
    pub switched: u64,
    /// Σ|volume change| / Σ volume over links against the previous iteration.
    pub flow_change: Option<f64>,
    /// Car trips simulated.
    pub car_trips: u64,
    /// Vehicle-hours.
    pub vehicle_hours: f64,
    /// Mean car trip, minutes.
    pub mean_car_minutes: f64,
    /// Segments the stream job priced above the floor.
    pub priced_segments: u64,
    /// People with no way to travel.
    pub stranded: u64,
}

/// Speeds per road class.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassFigures {
    /// Road class.
    pub class: &'static str,
    /// Vehicle-km.
    pub vehicle_km: f64,
    /// Vehicle-hours on links of the class.
    pub vehicle_hours: f64,
}

/// Who pays, per group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Payers {
    /// Group name.
    pub group: String,
    /// People in it.
    pub persons: u64,
    /// Of them, people who paid a toll or cordon charge.
    pub payers: u64,
    /// Tolls and cordon charges paid, cents.
    pub charges: Cents,
    /// Mode counts.
    pub modes: [u64; 5],
}

/// The outcome of one run (the final day after its iterations).
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Seed.
    pub seed: u64,
    /// Currency of all amounts.
    pub currency: String,
    /// Convergence.
    pub iterations: Vec<Iteration>,
    /// People.
    pub persons: u64,
    /// Chosen mode counts, [`TravelMode::ALL`] order.
    pub modes: [u64; 5],
    /// People with no way to travel.
    pub stranded: u64,
    /// Car trips, and those that reached their destination.
    pub car_trips: u64,
    /// See [`RunResult::car_trips`].
    pub arrived: u64,
    /// Vehicles moved past a blocked link by the gridlock rule.
    pub teleports: u64,
    /// Vehicle-km.
    pub vehicle_km: f64,
    /// Vehicle-hours (waiting to enter included).
    pub vehicle_hours: f64,
    /// Vehicle-hours over free-flow time.
    pub delay_hours: f64,
    /// Mean car trip, minutes.
    pub mean_car_minutes: f64,
    /// Per road class.
    pub classes: Vec<ClassFigures>,
    /// Inbound cordon crossings, from the simulation.
    pub cordon_crossings: u64,
    /// Cordon passages and revenue as the stream job counted them from probes.
    pub stream_cordon_passages: u64,
    /// See [`RunResult::stream_cordon_passages`].
    pub stream_cordon_revenue: Cents,
    /// Segment tolls paid.
    pub toll_revenue: Cents,
    /// Cordon charges paid.
    pub cordon_revenue: Cents,
    /// Parking paid.
    pub parking_revenue: Cents,
    /// Fares paid.
    pub fare_revenue: Cents,
    /// CO2 of cars, kg.
    pub car_co2_kg: f64,
    /// CO2 of transit riders' share, kg.
    pub transit_co2_kg: f64,
    /// NOx of cars, kg.
    pub nox_kg: f64,
    /// By home district, then by income group.
    pub by_district: Vec<Payers>,
    /// See [`RunResult::by_district`].
    pub by_income: Vec<Payers>,
    /// Per 5 minutes from the start: vehicles on the road (mean), mean speed
    /// km/h (NaN with no traffic), inbound cordon crossings.
    pub series_vehicles: Vec<f64>,
    /// See [`RunResult::series_vehicles`].
    pub series_speed_kmh: Vec<f64>,
    /// See [`RunResult::series_vehicles`].
    pub series_crossings: Vec<u32>,
    /// Per link: vehicles over the day, and their mean speed km/h (NaN if none).
    pub link_volume: Vec<u32>,
    /// See [`RunResult::link_volume`].
    pub link_speed_kmh: Vec<f64>,
    /// Telemetry records the ingest service accepted and rejected in the final day.
    pub telemetry_accepted: u64,
    /// See [`RunResult::telemetry_accepted`].
    pub telemetry_rejected: u64,
}

/// Builds the result of a run from its final day.
#[allow(clippy::too_many_arguments)]
pub fn summarize(
    inputs: &Inputs<'_>,
    policy: &Policy,
    people: &[Person],
    plans: &[Option<Plan>],
    obs: &DayObserver,
    day: &DayPrices,
    outcome: &MesoOutcome,
    drivers: &[u32],
    iterations: Vec<Iteration>,
    seed: u64,
) -> RunResult {
    let world = inputs.world;
    let net = &world.city.network;
    let mut modes = [0u64; 5];
    let mut stranded = 0;
    let mut by_district: Vec<Payers> =
        world.districts.iter().map(|d| Payers { group: d.name.clone(), ..Payers::default() }).collect();
    let mut by_income: Vec<Payers> =
        INCOME_GROUPS.iter().map(|g| Payers { group: (*g).to_owned(), ..Payers::default() }).collect();
    let mut charges_of = vec![Cents::ZERO; people.len()];
    for (trip, p) in drivers.iter().enumerate() {
        charges_of[*p as usize] = obs.tolls[trip] + obs.cordon_paid[trip];
    }
    let mut fare = Cents::ZERO;
    let mut transit_co2 = 0.0;
    for (p, person) in people.iter().enumerate() {
        let Some(plan) = &plans[p] else {
            stranded += 1;
            continue;
        };
        modes[plan.mode.index()] += 1;
        let level = inputs
            .skims
            .pairs
            .get(&(person.home_district, person.dest_district))
            .and_then(|l| l[plan.mode.index()]);
        if plan.mode != TravelMode::Car
            && let Some(l) = level
        {
            fare = fare + l.money;
            if plan.mode == TravelMode::Transit {
                transit_co2 += l.co2_g as f64 / 1_000.0;
            }
        }
        for group in
            [&mut by_district[person.home_district as usize], &mut by_income[usize::from(person.income)]]
        {
            group.persons += 1;
            group.modes[plan.mode.index()] += 1;
            group.charges = group.charges + charges_of[p];
            group.payers += u64::from(charges_of[p] > Cents::ZERO);
        }
    }
    // Parking: each driver who arrived pays the hourly price near the destination.
    let hourly = crate::run::parking_by_district(world, day, policy);
    let mut parking = Cents::ZERO;
    for (trip, p) in drivers.iter().enumerate() {
        if outcome.arrived_ms[trip].is_some() {
            let person = &people[*p as usize];
            parking =
                parking + Cents(hourly[person.dest_district as usize].0 * person.purpose.parking_hours());
        }
    }
    let mut classes: Vec<ClassFigures> = Vec::new();
    let mut free_hours = 0.0;
    let mut link_speed = Vec::with_capacity(net.segments().len());
    for (l, seg) in net.segments().iter().enumerate() {
        let v = f64::from(obs.volume[l]);
        let km = v * seg.length.0 / 1_000.0;
        let hours = obs.link_time_ms[l] as f64 / 3_600_000.0;
        free_hours += v * seg.length.0 / seg.free_flow.0 / 3_600.0;
        link_speed.push(if hours > 0.0 { km / hours } else { f64::NAN });
        let name = class_name(seg.class);
        match classes.iter_mut().find(|c| c.class == name) {
            Some(c) => {
                c.vehicle_km += km;
                c.vehicle_hours += hours;
            }
            None => classes.push(ClassFigures { class: name, vehicle_km: km, vehicle_hours: hours }),
        }
    }
    classes.sort_by_key(|c| class_rank(c.class));
    let vehicle_km: f64 = obs.distance_m.iter().sum::<f64>() / 1_000.0;
    let on_links: f64 = classes.iter().map(|c| c.vehicle_hours).sum();
    let times: Vec<f64> = drivers
        .iter()
        .enumerate()
        .filter_map(|(trip, p)| {
            let plan = plans[*p as usize].as_ref()?;
            let a = outcome.arrived_ms[trip]?;
            Some((inputs.scenario.start.0 + a - plan.depart.0) as f64 / 60_000.0)
        })
        .collect();
    let steps = obs.series_vs.len();
    RunResult {
        seed,
        currency: policy.currency.clone(),
        iterations,
        persons: people.len() as u64,
        modes,
        stranded,
        car_trips: drivers.len() as u64,
        arrived: outcome.arrived_ms.iter().filter(|a| a.is_some()).count() as u64,
        teleports: outcome.teleports,
        vehicle_km,
        vehicle_hours: outcome.vehicle_seconds / 3_600.0,
        delay_hours: (on_links - free_hours).max(0.0),
        mean_car_minutes: if times.is_empty() { 0.0 } else { times.iter().sum::<f64>() / times.len() as f64 },
        classes,
        cordon_crossings: obs.crossings.iter().map(|c| u64::from(*c)).sum(),
        stream_cordon_passages: day.cordon_passages,
        stream_cordon_revenue: day.cordon_revenue,
        toll_revenue: obs.tolls.iter().copied().sum(),
        cordon_revenue: obs.cordon_paid.iter().copied().sum(),
        parking_revenue: parking,
        fare_revenue: fare,
        car_co2_kg: obs.co2_g.iter().sum::<f64>() / 1_000.0,
        transit_co2_kg: transit_co2,
        nox_kg: obs.nox_g.iter().sum::<f64>() / 1_000.0,
        by_district,
        by_income,
        series_vehicles: obs.series_vs.iter().map(|vs| vs / (SERIES_MS as f64 / 1_000.0)).collect(),
        series_speed_kmh: (0..steps)
            .map(|s| if obs.series_vs[s] > 0.0 { obs.series_m[s] / obs.series_vs[s] * 3.6 } else { f64::NAN })
            .collect(),
        series_crossings: obs.series_crossings.clone(),
        link_volume: obs.volume.clone(),
        link_speed_kmh: link_speed,
        telemetry_accepted: day.accepted,
        telemetry_rejected: day.rejected,
    }
}

fn class_name(c: RoadClass) -> &'static str {
    match c {
        RoadClass::Motorway | RoadClass::Trunk => "motorway/trunk",
        RoadClass::Primary => "primary",
        RoadClass::Secondary => "secondary",
        RoadClass::Tertiary => "tertiary",
        _ => "local",
    }
}

fn class_rank(name: &str) -> usize {
    ["motorway/trunk", "primary", "secondary", "tertiary", "local"]
        .iter()
        .position(|n| *n == name)
        .unwrap_or(9)
}

impl RunResult {
    /// Mode shares, [`TravelMode::ALL`] order.
    pub fn mode_shares(&self) -> [f64; 5] {
        let total: u64 = self.modes.iter().sum();
        self.modes.map(|m| m as f64 / total.max(1) as f64)
    }

    /// Total CO2, kg.
    pub fn co2_kg(&self) -> f64 {
        self.car_co2_kg + self.transit_co2_kg
    }

    /// The headline figures as `(name, unit, value)`.
    pub fn headline(&self) -> Vec<(&'static str, &'static str, f64)> {
        let money = |c: Cents| c.0 as f64 / 100.0;
        let shares = self.mode_shares();
        let mut v = vec![
            ("persons", "people", self.persons as f64),
            ("car_trips", "trips", self.car_trips as f64),
            ("vehicle_km", "km", self.vehicle_km),
            ("vehicle_hours", "h", self.vehicle_hours),
            ("delay_hours", "h", self.delay_hours),
            ("mean_car_trip", "min", self.mean_car_minutes),
            (
                "average_speed",
                "km/h",
                if self.vehicle_hours > 0.0 { self.vehicle_km / self.vehicle_hours } else { 0.0 },
            ),
            ("cordon_crossings", "vehicles", self.cordon_crossings as f64),
            ("cordon_passages_stream_job", "vehicles", self.stream_cordon_passages as f64),
            ("toll_revenue", "currency", money(self.toll_revenue)),
            ("cordon_revenue", "currency", money(self.cordon_revenue)),
            ("parking_revenue", "currency", money(self.parking_revenue)),
            ("fare_revenue", "currency", money(self.fare_revenue)),
            ("co2_total", "kg", self.co2_kg()),
            ("co2_cars", "kg", self.car_co2_kg),
            ("nox_cars", "kg", self.nox_kg),
            ("teleports", "vehicles", self.teleports as f64),
            ("stranded", "people", self.stranded as f64),
        ];
        for (m, s) in TravelMode::ALL.iter().zip(shares) {
            v.push((mode_share_key(*m), "share", s));
        }
        for c in &self.classes {
            let speed = if c.vehicle_hours > 0.0 { c.vehicle_km / c.vehicle_hours } else { 0.0 };
            v.push((speed_key(c.class), "km/h", speed));
        }
        v
    }
}

fn mode_share_key(m: TravelMode) -> &'static str {
    match m {
        TravelMode::Car => "mode_share_car",
        TravelMode::Transit => "mode_share_transit",
        TravelMode::Bike => "mode_share_bike",
        TravelMode::BikeShare => "mode_share_bike_share",
        TravelMode::Walk => "mode_share_walk",
    }
}

fn speed_key(class: &str) -> &'static str {
    match class {
        "motorway/trunk" => "speed_motorway_trunk",
        "primary" => "speed_primary",
        "secondary" => "speed_secondary",
        "tertiary" => "speed_tertiary",
        _ => "speed_local",
    }
}

/// A baseline and a policy run of one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// Without the policy.
    pub baseline: RunResult,
    /// With it.
    pub policy: RunResult,
}

/// Writes `kpis.csv` (one row per seed, run and figure), `convergence.csv`,
/// `time_of_day.csv` and `who_pays.csv` into `dir`.
pub fn write_csv(dir: &std::path::Path, pairs: &[Pair], start_minute: i64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut k = std::io::BufWriter::new(std::fs::File::create(dir.join("kpis.csv"))?);
    writeln!(k, "seed,kpi,unit,baseline,policy,change,relative_change")?;
    for pair in pairs {
        let (b, p) = (pair.baseline.headline(), pair.policy.headline());
        for ((name, unit, bv), (_, _, pv)) in b.iter().zip(&p) {
            let unit = if *unit == "currency" { pair.policy.currency.as_str() } else { unit };
            let rel = if *bv != 0.0 { format!("{:.6}", (pv - bv) / bv) } else { String::new() };
            writeln!(k, "{},{name},{unit},{bv:.6},{pv:.6},{:.6},{rel}", pair.policy.seed, pv - bv)?;
        }
    }
    k.flush()?;
    let mut c = std::io::BufWriter::new(std::fs::File::create(dir.join("convergence.csv"))?);
    writeln!(
        c,
        "seed,run,iteration,relative_gap,replanned,switched,flow_change,car_trips,vehicle_hours,mean_car_minutes,priced_segments"
    )?;
    for pair in pairs {
        for (run, r) in [("baseline", &pair.baseline), ("policy", &pair.policy)] {
            for it in &r.iterations {
                writeln!(
                    c,
                    "{},{run},{},{},{},{},{},{},{:.3},{:.3},{}",
                    r.seed,
                    it.k,
                    if it.relative_gap.is_finite() {
                        format!("{:.6}", it.relative_gap)
                    } else {
                        String::new()
                    },
                    it.replanned,
                    it.switched,
                    it.flow_change.map_or(String::new(), |f| format!("{f:.6}")),
                    it.car_trips,
                    it.vehicle_hours,
                    it.mean_car_minutes,
                    it.priced_segments
                )?;
            }
        }
    }
    c.flush()?;
    let mut t = std::io::BufWriter::new(std::fs::File::create(dir.join("time_of_day.csv"))?);
    writeln!(t, "seed,run,local_time,vehicles_on_road,mean_speed_kmh,cordon_crossings")?;
    for pair in pairs {
        for (run, r) in [("baseline", &pair.baseline), ("policy", &pair.policy)] {
            for (s, v) in r.series_vehicles.iter().enumerate() {
                let m = start_minute + s as i64 * 5;
                let speed = r.series_speed_kmh[s];
                writeln!(
                    t,
                    "{},{run},{:02}:{:02},{v:.3},{},{}",
                    r.seed,
                    m / 60,
                    m % 60,
                    if speed.is_finite() { format!("{speed:.3}") } else { String::new() },
                    r.series_crossings[s]
                )?;
            }
        }
    }
    t.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("who_pays.csv"))?);
    writeln!(w, "seed,run,grouping,group,persons,payers,charges,car,transit,bike,bike_share,walk")?;
    for pair in pairs {
        for (run, r) in [("baseline", &pair.baseline), ("policy", &pair.policy)] {
            for (grouping, groups) in [("income", &r.by_income), ("district", &r.by_district)] {
                for g in groups.iter().filter(|g| g.persons > 0) {
                    writeln!(
                        w,
                        "{},{run},{grouping},{},{},{},{:.2},{},{},{},{},{}",
                        r.seed,
                        g.group,
                        g.persons,
                        g.payers,
                        g.charges.0 as f64 / 100.0,
                        g.modes[0],
                        g.modes[1],
                        g.modes[2],
                        g.modes[3],
                        g.modes[4]
                    )?;
                }
            }
        }
    }
    w.flush()
}
