//! A plain sequential implementation of the traffic job, written without
//! timely, for tests to compare the dataflow against.

use crate::dataflow::observe;
use crate::model::{JobOutput, SegmentMinute, Telemetry};
use omnibus_core::policy::{MAX_WINDOW_MINUTES, MinuteFigures, PolicyStore, window_speed};
use omnibus_core::{Cents, City, EventTime, MillimetersPerSecond, Minute, SegmentId};
use std::collections::BTreeMap;

/// Computes every output the job would emit for `records`, closing every minute
/// up to (not including) `end`.
pub fn run(city: &City, policies: &PolicyStore, records: &[Telemetry], end: Minute) -> Vec<JobOutput> {
    // (minute, segment) -> vehicle -> (speed sum, reports); and loop counts.
    let mut speeds: BTreeMap<(Minute, SegmentId), BTreeMap<u64, (u64, u64)>> = BTreeMap::new();
    let mut loops: BTreeMap<(Minute, SegmentId), u32> = BTreeMap::new();
    let mut first_seen: BTreeMap<SegmentId, Minute> = BTreeMap::new();
    let mut parking: BTreeMap<(Minute, String), (EventTime, u32, u32)> = BTreeMap::new();
    let mut bikes: BTreeMap<(Minute, String), (EventTime, u32, u32)> = BTreeMap::new();
    for r in records {
        let Some(obs) = observe(city, r.clone()) else { continue };
        use crate::book::Observation as O;
        match obs {
            O::Speed(s, m, v, speed) => {
                let e = speeds.entry((m, s)).or_default().entry(v).or_default();
                e.0 += u64::from(speed.0);
                e.1 += 1;
                let f = first_seen.entry(s).or_insert(m);
                *f = (*f).min(m);
            }
            O::Loop(s, m, c) => {
                *loops.entry((m, s)).or_default() += c;
                let f = first_seen.entry(s).or_insert(m);
                *f = (*f).min(m);
            }
            O::Parking(id, t, a, b) => {
                let e = parking.entry((t.minute(), id)).or_insert((t, a, b));
                *e = (*e).max((t, a, b));
            }
            O::Bike(id, t, a, b) => {
                let e = bikes.entry((t.minute(), id)).or_insert((t, a, b));
                *e = (*e).max((t, a, b));
            }
        }
    }
    let mut out = Vec::new();
    let first_parking: BTreeMap<&String, Minute> =
        parking.keys().rev().map(|(m, id)| (id, *m)).collect::<BTreeMap<_, _>>();
    let Some(start) = first_seen.values().chain(first_parking.values()).min().copied() else {
        push_bikes(&bikes, end, &mut out);
        return out;
    };
    // Every observed minute of every segment.
    let mut figures: BTreeMap<SegmentId, BTreeMap<Minute, MinuteFigures>> = BTreeMap::new();
    for ((m, s), vehicles) in &speeds {
        let total: u64 = vehicles.values().map(|(sum, n)| sum / n).sum();
        let f = figures.entry(*s).or_default().entry(*m).or_default();
        f.speed = Some(MillimetersPerSecond((total / vehicles.len() as u64) as u32));
        f.vehicles = vehicles.len() as u32;
    }
    for ((m, s), count) in &loops {
        figures.entry(*s).or_default().entry(*m).or_default().loop_count = *count;
    }
    let mut price: BTreeMap<SegmentId, Cents> = BTreeMap::new();
    // Parking: hourly price, and the occupancy samples (permille) of the period.
    let mut parking_price: BTreeMap<&String, Cents> = BTreeMap::new();
    let mut samples: BTreeMap<&String, Vec<u64>> = BTreeMap::new();
    let mut last_report: BTreeMap<&String, (EventTime, u32, u32)> = BTreeMap::new();
    for m in start.0..end.0 {
        let minute = Minute(m);
        let version = policies.active_at(minute);
        let rule = &version.policy.rule;
        let rules = &version.policy.parking;
        for (id, first) in &first_parking {
            if *first > minute {
                continue;
            }
            let report = parking.get(&(minute, (*id).clone()));
            if let Some(r) = report {
                last_report.insert(id, *r);
                samples.entry(id).or_default().push(u64::from(r.1) * 1000 / u64::from(r.2.max(1)));
            }
            let old = *parking_price.entry(id).or_insert(rules.initial_per_hour);
            let mut new = old;
            if rules.is_review(minute) {
                let period = samples.remove(id).unwrap_or_default();
                let mean =
                    (!period.is_empty()).then(|| (period.iter().sum::<u64>() / period.len() as u64) as u32);
                new = rules.next_price(old, mean);
            }
            if report.is_some() || new != old {
                let (time, occupied, capacity) = last_report[id];
                out.push(JobOutput::Parking {
                    facility: (*id).clone(),
                    minute,
                    time,
                    occupied,
                    capacity,
                    previous_price_per_hour: old,
                    price_per_hour: new,
                });
            }
            parking_price.insert(id, new);
        }
        for (s, first) in &first_seen {
            if *first > minute {
                continue;
            }
            let recent: Vec<(Minute, MinuteFigures)> = figures[s]
                .range(Minute(m - i64::from(MAX_WINDOW_MINUTES) + 1)..=minute)
                .map(|(k, v)| (*k, *v))
                .collect();
            let this = figures[s].get(&minute);
            let old = price.get(s).copied().unwrap_or(Cents::ZERO);
            let window = window_speed(&recent, minute, rule.speed_window());
            let new = rule.next_segment_price(minute, old, &recent, &city.network.segments()[s.index()]);
            if this.is_some() || window.is_some() || new != old {
                out.push(JobOutput::Segment(SegmentMinute {
                    segment: *s,
                    minute,
                    vehicles: this.map_or(0, |f| f.vehicles),
                    minute_speed: this.and_then(|f| f.speed),
                    loop_count: this.map_or(0, |f| f.loop_count),
                    window_speed: window,
                    previous_price: old,
                    price: new,
                    policy_version: version.version,
                }));
            }
            price.insert(*s, new);
        }
    }
    express_lanes(city, policies, start, end, &mut out);
    push_bikes(&bikes, end, &mut out);
    cordon_passages(policies, records, end, &mut out);
    out
}

/// Express-lane zones, from the segment-minutes already computed, every minute
/// from `start` to the last minute with segment output.
fn express_lanes(city: &City, policies: &PolicyStore, start: Minute, end: Minute, out: &mut Vec<JobOutput>) {
    let mut by_minute: BTreeMap<Minute, Vec<crate::express::ZoneObs>> = BTreeMap::new();
    let mut last = None;
    for o in out.iter() {
        if let JobOutput::Segment(s) = o {
            let mut obs = Vec::new();
            crate::express::fan_out(s, policies, &city.network, &mut obs);
            by_minute.entry(s.minute).or_default().extend(obs);
            last = last.max(Some(s.minute));
        }
    }
    let Some(last) = last else { return };
    let mut book = crate::express::ZoneBook::default();
    let mut priced = Vec::new();
    for m in start.0..=last.0.min(end.0 - 1) {
        for o in by_minute.remove(&Minute(m)).unwrap_or_default() {
            book.add(o);
        }
        book.close(Minute(m), policies, &mut priced);
    }
    out.extend(priced);
}

/// Every vehicle's probes in time order, through the cordon rules.
fn cordon_passages(policies: &PolicyStore, records: &[Telemetry], end: Minute, out: &mut Vec<JobOutput>) {
    let mut by_vehicle: BTreeMap<u64, Vec<(EventTime, omnibus_core::LatLon)>> = BTreeMap::new();
    for r in records {
        if let Telemetry::Probe(p) = r
            && p.time.minute() < end
        {
            by_vehicle.entry(p.vehicle).or_default().push((p.time, p.pos));
        }
    }
    for (vehicle, mut probes) in by_vehicle {
        probes.sort_by(crate::cordon::probe_order);
        let mut state = crate::cordon::VehicleState::default();
        for (time, pos) in probes {
            out.extend(state.probe(vehicle, time, pos, policies));
        }
    }
}

type Sites = BTreeMap<(Minute, String), (EventTime, u32, u32)>;

fn push_bikes(bikes: &Sites, end: Minute, out: &mut Vec<JobOutput>) {
    for ((minute, station), (time, bikes, docks)) in bikes.range(..(end, String::new())) {
        out.push(JobOutput::Bike {
            station: station.clone(),
            minute: *minute,
            time: *time,
            bikes: *bikes,
            docks: *docks,
        });
    }
}
