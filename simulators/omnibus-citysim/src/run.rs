//! One policy run: iterations of choice and traffic towards equilibrium
//! (method of successive averages), then the outcome of the final day.
//!
//! Each iteration:
//! 1. car costs per 15-minute bin from the previous day's experienced link
//!    times, the segment prices the stream job set that day, the cordon
//!    charge of the bin (inbound links) and parking at the destination;
//! 2. a share 1/k of the people choose again (all in the first iteration) by
//!    multinomial logit among car at each departure shift (time, money,
//!    Vickrey schedule delay) and the journey planner's walk, bike,
//!    bike-share and transit itineraries; drivers get the cheapest route of
//!    their departure bin and value of time from the car hierarchy;
//! 3. the drivers' day runs through the mesoscopic model, which yields the
//!    experienced times, what each driver paid, and the telemetry (probes,
//!    loop counts, parking, bike stations);
//! 4. the telemetry goes to the live platform ([`PriceFeed`]), whose stream
//!    job prices the day under the policy: those are the prices of the next day.

use crate::CitySimError;
use crate::feed::{DayPrices, PriceFeed, PriceTable};
use crate::kpi::{self, DayTotals, Iteration, RunResult};
use crate::population::Person;
use crate::rng::{Stream, mix, uniform};
use crate::scenario::{Resolved, TravelMode};
use crate::skims::{ActiveSkims, car_path, weights};
use crate::telemetry::DayObserver;
use crate::world::World;
use omnibus_cch::{Metric, Searcher};
use omnibus_core::policy::Policy;
use omnibus_core::{Cents, EventTime, SegmentId};
use omnibus_meso::{LinkId, MesoConfig, Plans};
use std::collections::HashMap;

/// Width of a time bin of car costs, ms.
pub const BIN_MS: i64 = 15 * 60_000;

/// A person's current plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// How they travel.
    pub mode: TravelMode,
    /// When they leave.
    pub depart: EventTime,
    /// Their route (drivers).
    pub route: Vec<u32>,
}

/// Progress of a run, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Iteration `k` of `of` started.
    Iteration {
        /// 1-based.
        k: u32,
        /// Total.
        of: u32,
    },
    /// The day of the iteration is being sent to the platform.
    Telemetry {
        /// Records.
        records: usize,
    },
}

/// Everything a run needs that does not change between runs of a scenario.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The city.
    pub world: &'a World,
    /// The scenario.
    pub scenario: &'a Resolved,
    /// Non-car levels of service.
    pub skims: &'a ActiveSkims,
}

/// Car time and money between two nodes in a bin for an income group.
type CarMemo = HashMap<(u32, u32, u32, u8), Option<(i64, Cents)>>;

/// What the final day left behind.
type FinalDay = (DayObserver, DayPrices, Vec<Option<Plan>>, omnibus_meso::MesoOutcome, Vec<u32>);

struct CarCosts {
    bins: usize,
    time: Vec<Vec<u32>>,
    money: Vec<Vec<i64>>,
    metrics: Vec<[Metric; 3]>,
    memo: CarMemo,
    anchors: Vec<u32>,
}

impl CarCosts {
    fn bin(&self, start: EventTime, t: EventTime) -> usize {
        (((t.0 - start.0).div_euclid(BIN_MS)).max(0) as usize).min(self.bins - 1)
    }
}

/// Cordon entry links: segments from outside the zone to inside it.
pub fn cordon_links(world: &World, policy: &Policy) -> Vec<bool> {
    let net = &world.city.network;
    let Some(c) = &policy.cordon else { return vec![false; net.segments().len()] };
    let inside: Vec<bool> = net.nodes().iter().map(|n| c.contains(n.pos)).collect();
    net.segments().iter().map(|s| !inside[s.from.index()] && inside[s.to.index()]).collect()
}

/// Hourly parking price near each district's centre: the nearest facility
/// within 600 m (its price from the platform), else free street parking.
pub(crate) fn parking_by_district(world: &World, prices: &DayPrices, policy: &Policy) -> Vec<Cents> {
    world
        .districts
        .iter()
        .map(|d| {
            world
                .city
                .registry
                .parking
                .iter()
                .map(|(id, site)| (site.pos.distance_m(d.centre), id))
                .filter(|(dist, _)| *dist <= 600.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or(Cents::ZERO, |(_, id)| {
                    prices.parking.get(id).copied().unwrap_or(policy.parking.initial_per_hour)
                })
        })
        .collect()
}

/// Runs `policy` for the scenario's iterations with `seed`, sending each day
/// through `feed`.
pub async fn run_policy<F: PriceFeed>(
    inputs: &Inputs<'_>,
    policy: &Policy,
    seed: u64,
    feed: &mut F,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunResult, CitySimError> {
    let world = inputs.world;
    let sc = inputs.scenario;
    let choice = &sc.scenario.choice;
    let people = crate::population::generate(world, sc, seed)?;
    let n_links = world.network.links().len();
    let bins = (((sc.end.0 - sc.start.0) as f64 / BIN_MS as f64).ceil() as usize).max(1);
    let free: Vec<u32> = (0..n_links)
        .map(|l| world.network.free_flow_ms(LinkId(l as u32)).clamp(1, i64::from(u32::MAX)) as u32)
        .collect();
    // Crossings count against the cordon of the policy under test in every
    // run (the baseline too); only a run whose policy has the cordon charges it.
    let counted = cordon_links(world, sc.scenario.policy.get_ref());
    let charged = cordon_links(world, policy);
    let vots = *choice.value_of_time_cents_per_hour.get_ref();
    let anchors: Vec<u32> = world
        .districts
        .iter()
        .map(|d| {
            d.nodes
                .iter()
                .min_by(|a, b| {
                    let pa = world.city.network.node(**a).pos.distance_m(d.centre);
                    let pb = world.city.network.node(**b).pos.distance_m(d.centre);
                    pa.total_cmp(&pb).then(a.cmp(b))
                })
                .map_or(0, |n| n.0)
        })
        .collect();
    let mut link_time: Vec<Vec<u32>> = vec![free.clone(); bins];
    let mut prices = DayPrices {
        table: PriceTable { floor: policy.rule.floor(), ..PriceTable::default() },
        ..DayPrices::default()
    };
    let mut plans: Vec<Option<Plan>> = vec![None; people.len()];
    let mut iterations = Vec::new();
    let mut previous_volume: Option<Vec<u32>> = None;
    let iterations_total = *choice.iterations.get_ref();
    let mut last: Option<FinalDay> = None;
    let mut searcher = Searcher::new(world.city.network.nodes().len());
    let mut scratch = Vec::new();
    for k in 1..=iterations_total {
        progress(Progress::Iteration { k, of: iterations_total });
        // 1. Car costs of the day ahead.
        let parking = parking_by_district(world, &prices, policy);
        let mut costs = CarCosts {
            bins,
            time: Vec::new(),
            money: Vec::new(),
            metrics: Vec::new(),
            memo: HashMap::new(),
            anchors: anchors.clone(),
        };
        for (b, times) in link_time.iter().enumerate() {
            let mid = sc.start.plus_ms(b as i64 * BIN_MS + BIN_MS / 2);
            let charge = policy.cordon.as_ref().map_or(Cents::ZERO, |c| c.charge_at(mid));
            let money: Vec<i64> = (0..n_links)
                .map(|l| {
                    prices.table.price_at(SegmentId(l as u32), mid).0 + if charged[l] { charge.0 } else { 0 }
                })
                .collect();
            let metrics = vots.map(|vot| {
                weights(times, &money, vot, &mut scratch);
                world.cch.customize(&scratch)
            });
            costs.time.push(times.clone());
            costs.money.push(money);
            costs.metrics.push(metrics);
        }
        // 2. Choices.
        let mut stats = ChoiceStats::default();
        let share = 1.0 / f64::from(k);
        for (p, person) in people.iter().enumerate() {
            let (alternatives, held) =
                alternatives(inputs, person, plans[p].as_ref(), &mut costs, &parking, &mut searcher);
            let Some(best) = alternatives.iter().map(|a| a.gc).min_by(f64::total_cmp) else {
                stats.stranded += 1;
                plans[p] = None;
                continue;
            };
            if let Some(held) = held {
                stats.gap_num += (held - best).max(0.0);
                stats.gap_den += held.abs();
            }
            let replan = k == 1 || held.is_none() || uniform(seed, Stream::Choice, p as u32, k, 0) < share;
            if !replan {
                continue;
            }
            let pick = logit_pick(
                &alternatives,
                *choice.logit_scale_cents.get_ref(),
                uniform(seed, Stream::Choice, p as u32, k, 1),
            );
            let alt = &alternatives[pick];
            let route = if alt.mode == TravelMode::Car {
                let b = costs.bin(sc.start, alt.depart);
                let metric = &costs.metrics[b][usize::from(person.income)];
                match car_path(
                    &world.cch,
                    metric,
                    &mut searcher,
                    person.home.0,
                    person.dest.0,
                    &costs.time[b],
                    &costs.money[b],
                ) {
                    Some((_, _, arcs)) if !arcs.is_empty() => arcs,
                    _ => {
                        stats.stranded += 1;
                        plans[p] = None;
                        continue;
                    }
                }
            } else {
                Vec::new()
            };
            let changed =
                plans[p].as_ref().is_none_or(|old| old.mode != alt.mode || old.depart != alt.depart);
            stats.replanned += 1;
            stats.switched += u64::from(changed && k > 1);
            plans[p] = Some(Plan { mode: alt.mode, depart: alt.depart, route });
        }
        // 3. The day's traffic.
        let mut meso_plans = Plans::with_capacity(people.len(), people.len() * 30);
        let mut drivers: Vec<u32> = Vec::new();
        for (p, plan) in plans.iter().enumerate() {
            if let Some(plan) = plan.as_ref().filter(|plan| plan.mode == TravelMode::Car) {
                let route: Vec<LinkId> = plan.route.iter().map(|a| LinkId(*a)).collect();
                meso_plans.push(&world.network, plan.depart.0 - sc.start.0, &route)?;
                drivers.push(p as u32);
            }
        }
        let mut observer =
            DayObserver::new(inputs, policy, &prices.table, &counted, &charged, &drivers, seed, bins);
        let config =
            MesoConfig { end_ms: Some(sc.end.0 - sc.start.0 + 3 * 3_600_000), ..MesoConfig::default() };
        let outcome = omnibus_meso::simulate(&world.network, &meso_plans, &config, &mut observer)?;
        let records = observer.telemetry(inputs, &people, &plans, &outcome);
        // 4. The platform prices the day.
        progress(Progress::Telemetry { records: records.len() });
        let day = feed.day(policy, records).await?;
        // Experienced link times per bin.
        for (b, times) in link_time.iter_mut().enumerate() {
            for (l, t) in times.iter_mut().enumerate() {
                *t = observer.mean_time(b, l).unwrap_or(free[l]);
            }
        }
        let volume = observer.volume.clone();
        let flow_change = previous_volume.as_ref().map(|prev| {
            let num: f64 = prev.iter().zip(&volume).map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs()).sum();
            let den: f64 = prev.iter().map(|a| f64::from(*a)).sum();
            num / den.max(1.0)
        });
        let totals: DayTotals = observer.totals(&outcome, &meso_plans);
        iterations.push(Iteration {
            k,
            relative_gap: if stats.gap_den > 0.0 { stats.gap_num / stats.gap_den } else { f64::NAN },
            replanned: stats.replanned,
            switched: stats.switched,
            flow_change,
            car_trips: drivers.len() as u64,
            vehicle_hours: totals.vehicle_hours,
            mean_car_minutes: totals.mean_car_minutes,
            priced_segments: day.table.priced_segments() as u64,
            stranded: stats.stranded,
        });
        tracing::info!(
            k,
            cars = drivers.len(),
            records = day.accepted,
            rejected = day.rejected,
            "Iteration done."
        );
        previous_volume = Some(volume);
        let day_for_next = day.clone();
        last = Some((observer, day, plans.clone(), outcome, drivers));
        prices = day_for_next;
    }
    let (observer, day, plans, outcome, drivers) = last.expect("at least one iteration");
    Ok(kpi::summarize(inputs, policy, &people, &plans, &observer, &day, &outcome, &drivers, iterations, seed))
}

#[derive(Debug, Default)]
struct ChoiceStats {
    gap_num: f64,
    gap_den: f64,
    replanned: u64,
    switched: u64,
    stranded: u64,
}

/// One option a person weighs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Alternative {
    /// Mode.
    pub mode: TravelMode,
    /// Departure.
    pub depart: EventTime,
    /// Generalized cost, cents.
    pub gc: f64,
}

/// Index drawn from `alternatives` by multinomial logit with scale `theta`
/// cents, using the uniform number `u`.
pub fn logit_pick(alternatives: &[Alternative], theta: f64, u: f64) -> usize {
    let best = alternatives.iter().map(|a| a.gc).fold(f64::INFINITY, f64::min);
    let weights: Vec<f64> = alternatives.iter().map(|a| (-(a.gc - best) / theta).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut x = u * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    alternatives.len() - 1
}

fn car_level(
    inputs: &Inputs<'_>,
    person: &Person,
    costs: &mut CarCosts,
    searcher: &mut Searcher,
    bin: usize,
) -> Option<(i64, Cents)> {
    let world = inputs.world;
    let class = person.income;
    let (from, to) = if person.home_district == person.dest_district {
        (person.home.0, person.dest.0)
    } else {
        (costs.anchors[person.home_district as usize], costs.anchors[person.dest_district as usize])
    };
    let key = (from, to, bin as u32, class);
    if let Some(v) = costs.memo.get(&key) {
        return *v;
    }
    let metric = &costs.metrics[bin][usize::from(class)];
    let v = car_path(&world.cch, metric, searcher, from, to, &costs.time[bin], &costs.money[bin])
        .map(|(t, m, _)| (t, m));
    costs.memo.insert(key, v);
    v
}

/// Generalized cost (cents) of driving at `depart`: time at the value of
/// time, tolls, cordon charges, parking and the schedule penalty.
fn car_gc(
    inputs: &Inputs<'_>,
    person: &Person,
    costs: &mut CarCosts,
    parking: &[Cents],
    searcher: &mut Searcher,
    depart: EventTime,
) -> Option<f64> {
    let sc = inputs.scenario;
    let choice = &sc.scenario.choice;
    let vot = choice.value_of_time_cents_per_hour.get_ref()[usize::from(person.income)] as f64;
    let park = parking[person.dest_district as usize].0 * person.purpose.parking_hours();
    let bin = costs.bin(sc.start, depart);
    let (t, money) = car_level(inputs, person, costs, searcher, bin)?;
    let schedule = if person.purpose == crate::population::Purpose::Listed {
        (depart.0 - person.preferred.0).abs() as f64 / 3_600_000.0 * vot * choice.early_factor
    } else {
        let late = (depart.0 + t - person.preferred.0) as f64 / 3_600_000.0;
        if late > 0.0 { late * vot * choice.late_factor } else { -late * vot * choice.early_factor }
    };
    let constant = choice.mode_constants_cents.of(TravelMode::Car).0;
    Some((money.0 + park + constant) as f64 + t as f64 / 3_600_000.0 * vot + schedule)
}

/// The options of `person` under today's costs, and what their current plan
/// costs under them (if it is still possible).
fn alternatives(
    inputs: &Inputs<'_>,
    person: &Person,
    current: Option<&Plan>,
    costs: &mut CarCosts,
    parking: &[Cents],
    searcher: &mut Searcher,
) -> (Vec<Alternative>, Option<f64>) {
    let sc = inputs.scenario;
    let choice = &sc.scenario.choice;
    let vot = choice.value_of_time_cents_per_hour.get_ref()[usize::from(person.income)] as f64;
    let modes = choice.modes.get_ref();
    let constants = &choice.mode_constants_cents;
    let listed = person.purpose == crate::population::Purpose::Listed;
    let mut out = Vec::new();
    let latest = sc.end.plus_ms(-60_000);
    let clamp = |t: EventTime| EventTime(t.0.clamp(sc.start.0, latest.0));
    let can_drive = person.has_car && modes.contains(&TravelMode::Car);
    if can_drive {
        // A first guess of the trip time, from the bin half an hour before the wish.
        let guess_bin = costs.bin(sc.start, person.preferred.plus_ms(-1_800_000));
        let guess = car_level(inputs, person, costs, searcher, guess_bin).map_or(1_800_000, |(t, _)| t);
        let base = if listed { person.preferred } else { person.preferred.plus_ms(-guess) };
        for &shift in choice.departure_shifts_minutes.get_ref() {
            let depart = clamp(base.plus_ms(i64::from(shift) * 60_000));
            if out.iter().any(|a: &Alternative| a.depart == depart) {
                continue;
            }
            if let Some(gc) = car_gc(inputs, person, costs, parking, searcher, depart) {
                out.push(Alternative { mode: TravelMode::Car, depart, gc });
            }
        }
    }
    if let Some(levels) = inputs.skims.pairs.get(&(person.home_district, person.dest_district)) {
        for mode in [TravelMode::Transit, TravelMode::Bike, TravelMode::BikeShare, TravelMode::Walk] {
            let Some(level) = levels[mode.index()].filter(|_| modes.contains(&mode)) else { continue };
            let depart = if listed {
                person.preferred
            } else {
                clamp(person.preferred.plus_ms(-(level.time_s * 1_000.0) as i64))
            };
            let gc = (level.money.0 + constants.of(mode).0) as f64 + level.time_s / 3_600.0 * vot;
            out.push(Alternative { mode, depart, gc });
        }
    }
    if !choice.mode_choice {
        // Without mode choice everyone keeps to the car if they have one, else to the rest.
        let has_car = out.iter().any(|a| a.mode == TravelMode::Car);
        out.retain(|a| (a.mode == TravelMode::Car) == has_car);
    }
    let held = current.and_then(|plan| match plan.mode {
        TravelMode::Car if out.iter().any(|a| a.mode == TravelMode::Car) => {
            car_gc(inputs, person, costs, parking, searcher, plan.depart)
        }
        mode => out.iter().find(|a| a.mode == mode).map(|a| a.gc),
    });
    (out, held)
}

/// A stable per-person draw in [0, 1) that is not tied to an iteration
/// (which cars report probes).
pub fn person_draw(seed: u64, person: u32) -> f64 {
    (mix(mix(seed, Stream::Probes as u64), u64::from(person)) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_prefers_the_cheaper_and_is_reproducible() {
        let alts = [
            Alternative { mode: TravelMode::Car, depart: EventTime(0), gc: 1_000.0 },
            Alternative { mode: TravelMode::Transit, depart: EventTime(0), gc: 1_250.0 },
        ];
        let picks: Vec<usize> =
            (0..10_000).map(|i| logit_pick(&alts, 250.0, f64::from(i) / 10_000.0)).collect();
        let car = picks.iter().filter(|i| **i == 0).count() as f64 / 10_000.0;
        // e^1 / (e^1 + 1) = 0.731.
        assert!((car - 0.731).abs() < 0.01, "{car}");
        assert_eq!(logit_pick(&alts, 250.0, 0.5), logit_pick(&alts, 250.0, 0.5));
    }
}
