//! Level-of-service between districts: what each way of travelling costs.
//!
//! Walking, cycling, bike-share and transit come from the journey planner
//! itself ([`omnibus_planner::journey::JourneyPlanner`]): one plan per pair of
//! districts, its best itinerary per family. Car costs come from the car
//! hierarchy customized per time bin and income group on the last
//! iteration's experienced link times plus the tolls in force, so they move
//! with congestion and prices.

use crate::scenario::TravelMode;
use crate::world::World;
use omnibus_cch::{Cch, Metric, Searcher};
use omnibus_core::live::LiveCity;
use omnibus_core::policy::PolicyStore;
use omnibus_core::{Cents, EventTime, LatLon};
use omnibus_planner::journey::{JourneyPlanner, JourneyRequest, Modes, Preferences};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Cost of one way of travelling between two districts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    /// Door-to-door time, s.
    pub time_s: f64,
    /// Fare or rental, cents.
    pub money: Cents,
    /// CO2, grams (per passenger).
    pub co2_g: i64,
    /// Distance travelled, m.
    pub distance_m: f64,
}

/// Non-car levels of service per ordered district pair.
#[derive(Clone, Debug, Default)]
pub struct ActiveSkims {
    /// `(from, to)` → level per mode (index [`TravelMode::index`]; car unused).
    pub pairs: BTreeMap<(u32, u32), [Option<Level>; 5]>,
    /// Pairs the planner could not plan between (reported).
    pub failures: u64,
}

/// A point inside a district for planning: its centre, or a third of the
/// district size east of it for trips within one district.
fn ends(world: &World, from: u32, to: u32, size_m: f64) -> (LatLon, LatLon) {
    let a = world.districts[from as usize].centre;
    let b = world.districts[to as usize].centre;
    if from != to {
        return (a, b);
    }
    let proj = world.city.network.projection();
    let [x, y] = proj.project(a);
    (proj.unproject([x - size_m / 6.0, y]), proj.unproject([x + size_m / 6.0, y]))
}

/// Plans every pair in `pairs` with the journey planner at `depart`, on two threads.
pub fn active_skims(
    world: &World,
    planner: &JourneyPlanner,
    pairs: &[(u32, u32)],
    depart: EventTime,
    size_m: f64,
    value_of_time: i64,
    progress: &(dyn Fn(u64) + Sync),
) -> ActiveSkims {
    let plan_one = |(from, to): (u32, u32)| -> Option<[Option<Level>; 5]> {
        let (origin, destination) = ends(world, from, to, size_m);
        let request = JourneyRequest {
            origin,
            destination,
            depart,
            modes: Modes { walk: true, bike: true, bike_share: true, transit: true, ..Modes::default() },
            preferences: Preferences {
                max_walk_m: 1_500.0,
                max_bike_m: 15_000.0,
                value_of_time_cents_per_hour: value_of_time,
                ..Preferences::default()
            },
        };
        let plan = planner.plan(&request).ok()?;
        let mut best: [Option<(f64, Level)>; 5] = [None; 5];
        for it in &plan.itineraries {
            let mode = match it.family() {
                "transit" => TravelMode::Transit,
                "walk" => TravelMode::Walk,
                "bike" => TravelMode::Bike,
                "bike-share" => TravelMode::BikeShare,
                _ => continue,
            };
            let time_s = ((it.arrive().0 - depart.0).max(0)) as f64 / 1_000.0;
            let gc = it.money().0 as f64 + time_s / 3_600.0 * value_of_time as f64;
            let level = Level { time_s, money: it.money(), co2_g: it.co2_g, distance_m: it.distance_m() };
            if best[mode.index()].is_none_or(|(g, _)| gc < g) {
                best[mode.index()] = Some((gc, level));
            }
        }
        Some(best.map(|b| b.map(|(_, l)| l)))
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    type Planned = ((u32, u32), Option<[Option<Level>; 5]>);
    let halves: Vec<Vec<Planned>> = std::thread::scope(|s| {
        let chunk = pairs.len().div_ceil(2).max(1);
        let handles: Vec<_> = pairs
            .chunks(chunk)
            .map(|part| {
                let done = &done;
                let plan_one = &plan_one;
                s.spawn(move || {
                    part.iter()
                        .map(|&p| {
                            let r = (p, plan_one(p));
                            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                            r
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("skim thread")).collect()
    });
    let mut out = ActiveSkims::default();
    for (pair, levels) in halves.into_iter().flatten() {
        match levels {
            Some(l) => {
                out.pairs.insert(pair, l);
            }
            None => out.failures += 1,
        }
    }
    out
}

/// The journey planner for walking, cycling, bike-share and transit (its car
/// part is not used: cars are costed on the simulation's own times).
pub fn journey_planner(world: &World, bundled: bool) -> JourneyPlanner {
    let live =
        LiveCity::new(PolicyStore::new(crate::scenario::no_tolls(), "simulation").expect("valid policy"));
    let car = omnibus_planner::CarPlanner::new(world.city.clone(), live);
    let transit = if bundled {
        omnibus_planner::transit::TransitNetwork::porto_alegre(&world.city)
            .map_err(|error| tracing::warn!(%error, "Bundled transit feeds failed to import."))
            .ok()
            .map(Arc::new)
    } else {
        None
    };
    JourneyPlanner::new(car, transit)
}

/// Weights in ms of generalized cost: travel time plus money at `vot` (cents/h).
pub fn weights(time_ms: &[u32], money: &[i64], vot: i64, out: &mut Vec<u32>) {
    out.clear();
    out.extend(time_ms.iter().zip(money).map(|(t, m)| {
        let extra = (*m as f64 * 3_600_000.0 / vot as f64).round();
        (f64::from(*t) + extra).clamp(1.0, f64::from(u32::MAX / 4)) as u32
    }));
}

/// Time and money of the best path from `from` to `to` on `metric`, and the path.
pub fn car_path(
    cch: &Cch,
    metric: &Metric,
    searcher: &mut Searcher,
    from: u32,
    to: u32,
    time_ms: &[u32],
    money: &[i64],
) -> Option<(i64, Cents, Vec<u32>)> {
    let (_, arcs) = searcher.run(cch, metric, from, to)?;
    let t: i64 = arcs.iter().map(|a| i64::from(time_ms[*a as usize])).sum();
    let m: i64 = arcs.iter().map(|a| money[*a as usize]).sum();
    Some((t, Cents(m), arcs))
}
