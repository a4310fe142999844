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

/// Arrivals at every stop after leaving `origin` at `departure` on foot only.
fn start(tt: &Timetable, origin: u32, departure: u32) -> Vec<u32> {
    let mut arr = vec![UNREACHED; tt.stops.len()];
    arr[origin as usize] = departure;
    for &(to, secs) in &tt.footpaths[origin as usize] {
        arr[to as usize] = arr[to as usize].min(departure + secs);
    }
    arr
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
    let mut boarded = vec![false; trips];
    let mut i = connections.partition_point(|c| c.departure < departure);
    while i < connections.len() {
        let t = connections[i].departure;
        let end = i + connections[i..].partition_point(|c| c.departure == t);
        loop {
            let mut changed = false;
            for c in &connections[i..end] {
                let ready = boarding.map_or(arr[c.from as usize], |b| b[c.from as usize]);
                if !boarded[c.trip as usize] && ready <= c.departure {
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
