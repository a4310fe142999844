//! A plain connection scan (Dibbelt et al.), the oracle RAPTOR is tested
//! against: connections in departure order; a trip is boarded where the stop
//! was reached in time; a stop's earliest arrival by vehicle is kept apart
//! from its earliest arrival by any means, and each improvement of the former
//! relaxes the stop's footpaths (one walk between trips, never two).
//! Connections that depart at the same second are scanned until nothing
//! changes, so zero-minute hops are handled whatever their order; a trip is
//! ridden only from the hop where it was boarded on.

use crate::raptor::UNREACHED;
use crate::timetable::Timetable;

/// One hop of one trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// From stop.
    pub from: u32,
    /// To stop.
    pub to: u32,
    /// Departure, seconds.
    pub departure: u32,
    /// Arrival, seconds.
    pub arrival: u32,
    /// Trip number.
    pub trip: u32,
    /// The hop's position in its trip (0: first hop).
    pub hop: u32,
}

/// Arrivals at every stop after leaving `origin` at `departure` on foot only.
fn start(tt: &Timetable, origin: u32, departure: u32) -> Vec<u32> {
    let mut arr = vec![UNREACHED; tt.stops.len()];
    arr[origin as usize] = departure;
    for &(to, secs) in &tt.footpaths[origin as usize] {
        arr[to as usize] = arr[to as usize].min(departure + secs);
    }
    arr
}

/// Scans the connections departing at or after `departure` in order,
/// calling `relax` on each group that departs in the same second until it
/// reports no change (so zero-minute hops are handled whatever their order).
fn scan_groups(connections: &[Connection], departure: u32, mut relax: impl FnMut(&[Connection]) -> bool) {
    let mut i = connections.partition_point(|c| c.departure < departure);
    while i < connections.len() {
        let t = connections[i].departure;
        let end = i + connections[i..].partition_point(|c| c.departure == t);
        while relax(&connections[i..end]) {}
        i = end;
    }
}

/// One scan of the connections departing at or after `departure`, improving
/// `arr`. A trip is boarded where `boarding` (the scan's own arrivals when
/// `None`) reached its stop in time.
fn scan(
    tt: &Timetable,
    connections: &[Connection],
    departure: u32,
    boarding: Option<&[u32]>,
    arr: &mut [u32],
) {
    let mut ride = vec![UNREACHED; arr.len()];
    let trips = connections.iter().map(|c| c.trip as usize + 1).max().unwrap_or(0);
    // Per trip, the first hop it was boarded at (`u32::MAX`: not boarded).
    let mut boarded = vec![u32::MAX; trips];
    scan_groups(connections, departure, |group| {
        let mut changed = false;
        for c in group {
            let ready = boarding.map_or(arr[c.from as usize], |b| b[c.from as usize]);
            if c.hop < boarded[c.trip as usize] && ready <= c.departure {
                boarded[c.trip as usize] = c.hop;
                changed = true;
            }
            if boarded[c.trip as usize] <= c.hop && c.arrival < ride[c.to as usize] {
                ride[c.to as usize] = c.arrival;
                arr[c.to as usize] = arr[c.to as usize].min(c.arrival);
                changed = true;
                for &(to, secs) in &tt.footpaths[c.to as usize] {
                    arr[to as usize] = arr[to as usize].min(c.arrival + secs);
                }
            }
        }
        changed
    });
}

/// Earliest arrival at every stop from `origin` leaving at `departure`.
pub fn earliest_arrivals(
    tt: &Timetable,
    connections: &[Connection],
    origin: u32,
    departure: u32,
) -> Vec<u32> {
    let mut arr = start(tt, origin, departure);
    scan(tt, connections, departure, None, &mut arr);
    arr
}

/// Earliest arrival at every stop with at most `k` trips, for `k` in
/// `0..=max_trips` (`[k][stop]`): one connection scan per `k`, boarding only
/// where the scan for `k − 1` arrived in time. The oracle for RAPTOR's rounds.
pub fn earliest_arrivals_by_trips(
    tt: &Timetable,
    connections: &[Connection],
    origin: u32,
    departure: u32,
    max_trips: usize,
) -> Vec<Vec<u32>> {
    let mut layers = vec![start(tt, origin, departure)];
    for k in 1..=max_trips {
        let mut arr = layers[k - 1].clone();
        scan(tt, connections, departure, Some(&layers[k - 1]), &mut arr);
        layers.push(arr);
    }
    layers
}

/// Inserts `x` into a Pareto set over all its criteria (each smaller is
/// better); false when something already there is at least as good.
fn pareto_insert<T: Copy + PartialOrd>(set: &mut Vec<T>, x: T, covers: impl Fn(&T, &T) -> bool) -> bool {
    if set.iter().any(|y| covers(y, &x)) {
        return false;
    }
    set.retain(|y| !covers(&x, y));
    set.push(x);
    true
}

/// The Pareto set over `(arrival, trips, money)` of journeys from the
/// `access` stops to the destination through the `egress` stops (money: the
/// access's, each boarding's fare from `trip_fares`, the egress's), with at
/// most `max_trips` trips: a connection scan that keeps, per stop, every
/// label no other beats on all three, and per trip every `(trips, money,
/// hop)` it was boarded with (a label rides on from its hop only). The oracle for McRAPTOR; journeys end by vehicle at an
/// egress stop, as McRAPTOR's do.
pub fn pareto_journeys(
    tt: &Timetable,
    connections: &[Connection],
    trip_fares: &[u32],
    access: &[crate::mcraptor::Access],
    egress: &[crate::mcraptor::Egress],
    max_trips: usize,
) -> Vec<(u32, u8, u32)> {
    type L = (u32, u8, u32);
    let all3 = |a: &L, b: &L| a.0 <= b.0 && a.1 <= b.1 && a.2 <= b.2;
    let on = |a: &(u8, u32, u32), b: &(u8, u32, u32)| a.0 <= b.0 && a.1 <= b.1 && a.2 <= b.2;
    let n = tt.stops.len();
    let mut ready: Vec<Vec<L>> = vec![Vec::new(); n];
    let mut ride: Vec<Vec<L>> = vec![Vec::new(); n];
    let mut onboard: Vec<Vec<(u8, u32, u32)>> = vec![Vec::new(); trip_fares.len()];
    let mut target: Vec<L> = Vec::new();
    for a in access {
        pareto_insert(&mut ready[a.stop as usize], (a.arrival, 0, a.money), all3);
    }
    let start = access.iter().map(|a| a.arrival).min().unwrap_or(u32::MAX);
    scan_groups(connections, start, |group| {
        let mut changed = false;
        for c in group {
            let fare = trip_fares[c.trip as usize];
            for (a, k, m) in ready[c.from as usize].clone() {
                if a <= c.departure && (k as usize) < max_trips {
                    changed |= pareto_insert(&mut onboard[c.trip as usize], (k + 1, m + fare, c.hop), on);
                }
            }
            for (k, m, hop) in onboard[c.trip as usize].clone() {
                if hop > c.hop {
                    continue;
                }
                let label = (c.arrival, k, m);
                if !pareto_insert(&mut ride[c.to as usize], label, all3) {
                    continue;
                }
                changed = true;
                pareto_insert(&mut ready[c.to as usize], label, all3);
                for &(to, secs) in &tt.footpaths[c.to as usize] {
                    pareto_insert(&mut ready[to as usize], (c.arrival + secs, k, m), all3);
                }
                for e in egress.iter().filter(|e| e.stop == c.to) {
                    pareto_insert(&mut target, (c.arrival + e.secs, k, m + e.money), all3);
                }
            }
        }
        changed
    });
    target.sort_unstable();
    target
}
