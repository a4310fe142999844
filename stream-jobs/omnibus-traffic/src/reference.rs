//! A plain sequential implementation of the traffic job, written without
//! timely, for tests to compare the dataflow against.

use crate::dataflow::observe;
use crate::model::{JobOutput, SegmentMinute, Telemetry};
use omnibus_core::policy::{PolicyStore, PricingRule};
use omnibus_core::{Cents, City, EventTime, MillimetersPerSecond, Minute, SegmentId};
use std::collections::{BTreeMap, BTreeSet};

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
    let Some(start) = first_seen.values().min().copied() else {
        push_sites(&parking, &bikes, end, &mut out);
        return out;
    };
    let mut price: BTreeMap<SegmentId, Cents> = BTreeMap::new();
    let mut minute_avg: BTreeMap<(SegmentId, Minute), u32> = BTreeMap::new();
    let segments: BTreeSet<SegmentId> = first_seen.keys().copied().collect();
    for m in start.0..end.0 {
        let minute = Minute(m);
        let version = policies.active_at(minute);
        let PricingRule::SpeedBand(band) = &version.policy.rule;
        for s in &segments {
            if first_seen[s] > minute {
                continue;
            }
            let vehicles = speeds.get(&(minute, *s));
            let avg = vehicles.map(|v| {
                let total: u64 = v.values().map(|(sum, n)| sum / n).sum();
                (total / v.len() as u64) as u32
            });
            if let Some(a) = avg {
                minute_avg.insert((*s, minute), a);
            }
            let window: Vec<u32> = (m - i64::from(band.window_minutes) + 1..=m)
                .filter_map(|w| minute_avg.get(&(*s, Minute(w))).copied())
                .collect();
            let window_speed = (!window.is_empty())
                .then(|| (window.iter().map(|&a| u64::from(a)).sum::<u64>() / window.len() as u64) as u32);
            let old = price.get(s).copied().unwrap_or(Cents::ZERO);
            let free_flow = city.network.segments()[s.index()].free_flow.0;
            let new = band.next_price(old, window_speed.map(|w| f64::from(w) / 1000.0 / free_flow));
            let loop_count = loops.get(&(minute, *s)).copied();
            if vehicles.is_some() || loop_count.is_some() || window_speed.is_some() || new != old {
                out.push(JobOutput::Segment(SegmentMinute {
                    segment: *s,
                    minute,
                    vehicles: vehicles.map_or(0, |v| v.len() as u32),
                    minute_speed: avg.map(MillimetersPerSecond),
                    loop_count: loop_count.unwrap_or(0),
                    window_speed: window_speed.map(MillimetersPerSecond),
                    previous_price: old,
                    price: new,
                    policy_version: version.version,
                }));
            }
            price.insert(*s, new);
        }
    }
    push_sites(&parking, &bikes, end, &mut out);
    out
}

type Sites = BTreeMap<(Minute, String), (EventTime, u32, u32)>;

fn push_sites(parking: &Sites, bikes: &Sites, end: Minute, out: &mut Vec<JobOutput>) {
    for ((minute, facility), (time, occupied, capacity)) in parking.range(..(end, String::new())) {
        out.push(JobOutput::Parking {
            facility: facility.clone(),
            minute: *minute,
            time: *time,
            occupied: *occupied,
            capacity: *capacity,
        });
    }
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
