//! Level-of-service between districts: what each way of travelling costs.
//!
//! Walking, cycling, bike-share and transit come from the journey planner
//! itself ([`omnibus_planner::journey::JourneyPlanner`]): one plan per pair of
//! districts, its best itinerary per family; transit is averaged over four
//! departures a quarter of an hour apart, so that a level includes the wait
//! a traveller meets on average, not the luck of one departure minute. Car
//! costs come from the car
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
use omnibus_planner::transit::TransitNetwork;
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
    /// What the levels rest on that a reader should know (for the report).
    pub notes: Vec<String>,
}

/// Transit departures a level of service averages over, minutes after the first.
pub const TRANSIT_SAMPLES_MIN: [i64; 4] = [0, 15, 30, 45];

/// When transit levels of service are taken.
#[derive(Clone, Debug, PartialEq)]
pub struct TransitWindow {
    /// First sampled departure.
    pub start: EventTime,
    /// Why it is not the time asked for, when it is not.
    pub note: Option<String>,
}

/// Transit stop departures per local hour of `date`'s timetable (0..30 h).
pub fn departures_per_hour(network: &TransitNetwork, date: u32) -> [u64; 30] {
    let day = network.day(date);
    let mut out = [0u64; 30];
    for pattern in &day.timetable.patterns {
        for t in 0..pattern.trip_count() {
            for i in 0..pattern.stops.len() {
                let (_, dep) = pattern.at(t, i);
                out[(dep / 3_600).min(29) as usize] += 1;
            }
        }
    }
    out
}

/// The clock hours in which a timetable runs at least half its busiest
/// hour's departures, as "mostly HH:00–HH:00".
pub fn busy_hours(per_hour: &[u64; 30]) -> String {
    let peak = per_hour.iter().copied().max().unwrap_or(0);
    let busy = |h: usize| peak > 0 && per_hour[h] * 2 >= peak;
    let mut runs = Vec::new();
    let mut h = 0;
    while h < 30 {
        if busy(h) {
            let from = h;
            while h < 30 && busy(h) {
                h += 1;
            }
            runs.push(format!("{from:02}:00–{h:02}:00"));
        }
        h += 1;
    }
    if runs.is_empty() { "no service".into() } else { format!("mostly {}", runs.join(", ")) }
}

/// The transit skim window: the hour that starts at `wanted` if the
/// timetable runs there at least half of its busiest hour's service,
/// otherwise the busiest hour (with a note saying so). A sample timetable
/// that covers only part of the day (the bundled bus feed runs mostly
/// 13:00–16:00) would otherwise cost every morning trip hours of waiting.
pub fn transit_window(per_hour: &[u64; 30], midnight: EventTime, wanted: EventTime) -> TransitWindow {
    let wanted_s = (wanted.0 - midnight.0).div_euclid(1_000);
    let hour = (wanted_s.div_euclid(3_600)).clamp(0, 29) as usize;
    let busiest = (0..30).max_by_key(|&h| (per_hour[h], std::cmp::Reverse(h))).unwrap_or(0);
    let peak = per_hour[busiest];
    let here = per_hour[hour];
    if peak == 0 || here * 2 >= peak {
        return TransitWindow { start: wanted, note: None };
    }
    let start = midnight.plus_ms(busiest as i64 * 3_600_000);
    let hhmm = |s: i64| format!("{:02}:{:02}", s / 3_600, s / 60 % 60);
    TransitWindow {
        start,
        note: Some(format!(
            "The transit timetable runs {}; at {} it has only {:.0} % of the stop departures of its busiest hour, so transit levels of service (times including waits, fares) are taken at {}–{} and applied to the morning trips.",
            busy_hours(per_hour),
            hhmm(wanted_s),
            here as f64 * 100.0 / peak as f64,
            hhmm(busiest as i64 * 3_600),
            hhmm(busiest as i64 * 3_600 + 3_600),
        )),
    }
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

/// Plans every pair in `pairs` with the journey planner at `depart` (walk,
/// bike, bike-share) and at the [`TRANSIT_SAMPLES_MIN`] departures from
/// `transit_start` (transit), on two threads.
#[allow(clippy::too_many_arguments)]
pub fn active_skims(
    world: &World,
    planner: &JourneyPlanner,
    pairs: &[(u32, u32)],
    depart: EventTime,
    transit_start: EventTime,
    size_m: f64,
    value_of_time: i64,
    progress: &(dyn Fn(u64) + Sync),
) -> ActiveSkims {
    let plan_one = |(from, to): (u32, u32)| -> Option<[Option<Level>; 5]> {
        let (origin, destination) = ends(world, from, to, size_m);
        let preferences = Preferences {
            max_walk_m: 1_500.0,
            max_bike_m: 15_000.0,
            value_of_time_cents_per_hour: value_of_time,
            ..Preferences::default()
        };
        let best_of = |depart: EventTime, modes: Modes| -> Option<[Option<(f64, Level)>; 5]> {
            let request = JourneyRequest { origin, destination, depart, modes, preferences };
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
            Some(best)
        };
        let active = Modes { walk: true, bike: true, bike_share: true, ..Modes::default() };
        let mut levels = best_of(depart, active)?.map(|b| b.map(|(_, l)| l));
        let transit: Vec<Level> = TRANSIT_SAMPLES_MIN
            .iter()
            .filter_map(|m| {
                let at = transit_start.plus_ms(m * 60_000);
                best_of(at, Modes { transit: true, ..Modes::default() })?[TravelMode::Transit.index()]
            })
            .map(|(_, l)| l)
            .collect();
        levels[TravelMode::Transit.index()] = average(&transit);
        Some(levels)
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

/// The mean of `levels` (`None` when there are none).
pub fn average(levels: &[Level]) -> Option<Level> {
    let n = levels.len();
    if n == 0 {
        return None;
    }
    let mean = |f: &dyn Fn(&Level) -> f64| levels.iter().map(f).sum::<f64>() / n as f64;
    Some(Level {
        time_s: mean(&|l| l.time_s),
        money: Cents(mean(&|l| l.money.0 as f64).round() as i64),
        co2_g: mean(&|l| l.co2_g as f64).round() as i64,
        distance_m: mean(&|l| l.distance_m),
    })
}

/// The journey planner for walking, cycling, bike-share and transit (its car
/// part is not used: cars are costed on the simulation's own times).
pub fn journey_planner(world: &World, bundled: bool) -> (JourneyPlanner, Option<Arc<TransitNetwork>>) {
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
    (JourneyPlanner::new(car, transit.clone()), transit)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(busy: &[(usize, u64)]) -> [u64; 30] {
        let mut out = [0u64; 30];
        for &(h, n) in busy {
            out[h] = n;
        }
        out
    }

    #[test]
    fn the_wanted_hour_is_kept_where_the_timetable_runs() {
        let per_hour = hours(&[(7, 800), (8, 900), (13, 1_000)]);
        let midnight = EventTime(1_000_000);
        let eight = midnight.plus_ms(8 * 3_600_000);
        assert_eq!(transit_window(&per_hour, midnight, eight), TransitWindow { start: eight, note: None });
        assert_eq!(busy_hours(&per_hour), "mostly 07:00–09:00, 13:00–14:00");
        assert_eq!(busy_hours(&[0; 30]), "no service");
    }

    #[test]
    fn a_timetable_without_morning_service_is_sampled_at_its_busiest_hour_with_a_note() {
        // The bundled bus feed's shape: a few morning trips, most after noon.
        let per_hour = hours(&[(7, 40), (8, 30), (13, 1_280), (14, 1_213), (15, 1_193)]);
        let midnight = EventTime(1_000_000);
        let window = transit_window(&per_hour, midnight, midnight.plus_ms(8 * 3_600_000));
        assert_eq!(window.start, midnight.plus_ms(13 * 3_600_000));
        let note = window.note.expect("a note");
        assert!(note.contains("mostly 13:00–16:00"), "{note}");
        assert!(note.contains("at 08:00 it has only 2 %"), "{note}");
        assert!(note.contains("taken at 13:00–14:00"), "{note}");
    }

    #[test]
    fn levels_average_every_field() {
        let level = |t: f64, m: i64| Level { time_s: t, money: Cents(m), co2_g: m, distance_m: t * 2.0 };
        assert_eq!(average(&[]), None);
        let mean = average(&[level(1_000.0, 470), level(2_000.0, 940), level(3_000.0, 471)]).unwrap();
        assert_eq!(mean, Level { time_s: 2_000.0, money: Cents(627), co2_g: 627, distance_m: 4_000.0 });
    }
}
