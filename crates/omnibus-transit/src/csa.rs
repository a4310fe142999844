//! A plain connection scan (Dibbelt et al.), the oracle RAPTOR is tested
//! against: connections in departure order; a trip is boarded where the stop
//! was reached in time; a stop's earliest arrival by vehicle is kept apart
//! from its earliest arrival by any means, and each improvement of the former
//! relaxes the stop's footpaths (one walk between trips, never two).
//! Connections that depart at the same second are scanned until nothing
//! changes, so zero-minute hops are handled whatever their order.

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
}

/// Earliest arrival at every stop from `origin` leaving at `departure`.
pub fn earliest_arrivals(
    tt: &Timetable,
    connections: &[Connection],
    origin: u32,
    departure: u32,
) -> Vec<u32> {
    let mut arr = vec![UNREACHED; tt.stops.len()];
    let mut ride = vec![UNREACHED; tt.stops.len()];
    let trips = connections.iter().map(|c| c.trip as usize + 1).max().unwrap_or(0);
    let mut boarded = vec![false; trips];
    arr[origin as usize] = departure;
    for &(to, secs) in &tt.footpaths[origin as usize] {
        arr[to as usize] = arr[to as usize].min(departure + secs);
    }
    let first = connections.partition_point(|c| c.departure < departure);
    let mut i = first;
    while i < connections.len() {
        let t = connections[i].departure;
        let end = i + connections[i..].partition_point(|c| c.departure == t);
        loop {
            let mut changed = false;
            for c in &connections[i..end] {
                if !boarded[c.trip as usize] && arr[c.from as usize] <= c.departure {
                    boarded[c.trip as usize] = true;
                    changed = true;
                }
                if boarded[c.trip as usize] && c.arrival < ride[c.to as usize] {
                    ride[c.to as usize] = c.arrival;
                    arr[c.to as usize] = arr[c.to as usize].min(c.arrival);
                    changed = true;
                    for &(to, secs) in &tt.footpaths[c.to as usize] {
                        let w = c.arrival + secs;
                        if w < arr[to as usize] {
                            arr[to as usize] = w;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        i = end;
    }
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
    let n = tt.stops.len();
    let mut layers = Vec::with_capacity(max_trips + 1);
    let mut zero = vec![UNREACHED; n];
    zero[origin as usize] = departure;
    for &(to, secs) in &tt.footpaths[origin as usize] {
        zero[to as usize] = zero[to as usize].min(departure + secs);
    }
    layers.push(zero);
    let trips = connections.iter().map(|c| c.trip as usize + 1).max().unwrap_or(0);
    let first = connections.partition_point(|c| c.departure < departure);
    for k in 1..=max_trips {
        let before = &layers[k - 1];
        let mut arr = before.clone();
        let mut ride = vec![UNREACHED; n];
        let mut boarded = vec![false; trips];
        let mut i = first;
        while i < connections.len() {
            let t = connections[i].departure;
            let end = i + connections[i..].partition_point(|c| c.departure == t);
            loop {
                let mut changed = false;
                for c in &connections[i..end] {
                    if !boarded[c.trip as usize] && before[c.from as usize] <= c.departure {
                        boarded[c.trip as usize] = true;
                        changed = true;
                    }
                    if boarded[c.trip as usize] && c.arrival < ride[c.to as usize] {
                        ride[c.to as usize] = c.arrival;
                        arr[c.to as usize] = arr[c.to as usize].min(c.arrival);
                        changed = true;
                        for &(to, secs) in &tt.footpaths[c.to as usize] {
                            arr[to as usize] = arr[to as usize].min(c.arrival + secs);
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            i = end;
        }
        layers.push(arr);
    }
    layers
}
