//! RAPTOR (Delling, Pajor, Werneck 2012): earliest arrival by rounds, round
//! *k* holding the best arrivals with *k* trips; each round scans every
//! pattern serving a stop improved in the round before, boarding the earliest
//! trip it can catch, then relaxes footpaths from the stops it improved.
//!
//! Footpaths are not transitively closed, so a journey walks at most once
//! between two trips: a stop keeps its earliest arrival by vehicle apart from
//! its earliest arrival by any means, and walks start from the former.

use crate::timetable::Timetable;

/// Never reached.
pub const UNREACHED: u32 = u32::MAX;

/// Reusable query state.
#[derive(Clone, Debug, Default)]
pub struct Raptor {
    best: Vec<u32>,
    /// Earliest arrival by vehicle.
    best_ride: Vec<u32>,
    previous: Vec<u32>,
    current: Vec<u32>,
    marked: Vec<bool>,
    marked_list: Vec<u32>,
    queue: Vec<u32>,
    /// Per pattern, the earliest marked position this round (`u32::MAX`: none).
    earliest: Vec<u32>,
    /// Stops a trip improved this round, with that trip's arrival.
    improved: Vec<(u32, u32)>,
    /// Rounds the last query ran.
    pub rounds: usize,
    /// With a target: its earliest arrival after each round (index k − 1 for
    /// at most k trips).
    pub target_by_round: Vec<u32>,
}

impl Raptor {
    /// State for `tt`.
    pub fn new(tt: &Timetable) -> Raptor {
        let n = tt.stops.len();
        Raptor {
            best: vec![UNREACHED; n],
            best_ride: vec![UNREACHED; n],
            previous: vec![UNREACHED; n],
            current: vec![UNREACHED; n],
            marked: vec![false; n],
            marked_list: Vec::new(),
            queue: Vec::new(),
            earliest: vec![u32::MAX; tt.patterns.len()],
            improved: Vec::new(),
            rounds: 0,
            target_by_round: Vec::new(),
        }
    }

    fn mark(&mut self, s: u32) {
        if !self.marked[s as usize] {
            self.marked[s as usize] = true;
            self.marked_list.push(s);
        }
    }

    /// Earliest arrival at every stop from `origin` leaving at `departure`
    /// (seconds), with at most `max_trips` trips; the target, when given,
    /// prunes the search. Returns the arrivals (`UNREACHED` where none).
    pub fn run(
        &mut self,
        tt: &Timetable,
        origin: u32,
        departure: u32,
        target: Option<u32>,
        max_trips: usize,
    ) -> &[u32] {
        self.best.fill(UNREACHED);
        self.best_ride.fill(UNREACHED);
        self.previous.fill(UNREACHED);
        self.marked.fill(false);
        self.marked_list.clear();
        self.best[origin as usize] = departure;
        self.previous[origin as usize] = departure;
        self.mark(origin);
        for &(to, secs) in &tt.footpaths[origin as usize] {
            let t = departure + secs;
            if t < self.best[to as usize] {
                self.best[to as usize] = t;
                self.previous[to as usize] = t;
                self.mark(to);
            }
        }
        self.rounds = 0;
        self.target_by_round.clear();
        while !self.marked_list.is_empty() && self.rounds < max_trips {
            self.rounds += 1;
            // Patterns to scan, from their earliest marked stop.
            self.queue.clear();
            for s in std::mem::take(&mut self.marked_list) {
                self.marked[s as usize] = false;
                for &(p, i) in &tt.stop_patterns[s as usize] {
                    let e = &mut self.earliest[p as usize];
                    if *e == u32::MAX {
                        self.queue.push(p);
                    }
                    *e = (*e).min(i);
                }
            }
            self.current.copy_from_slice(&self.previous);
            let bound = |best: &[u32]| target.map_or(UNREACHED, |t| best[t as usize]);
            let mut improved = std::mem::take(&mut self.improved);
            improved.clear();
            for qi in 0..self.queue.len() {
                let p = self.queue[qi];
                let start = std::mem::replace(&mut self.earliest[p as usize], u32::MAX) as usize;
                let pattern = &tt.patterns[p as usize];
                let mut trip: Option<usize> = None;
                for i in start..pattern.stops.len() {
                    let s = pattern.stops[i] as usize;
                    if let Some(t) = trip {
                        let arr = pattern.at(t, i).0;
                        if arr < self.best_ride[s] && arr < bound(&self.best) {
                            self.best_ride[s] = arr;
                            improved.push((s as u32, arr));
                            if arr < self.best[s] {
                                self.best[s] = arr;
                                self.current[s] = arr;
                            }
                        }
                    }
                    // Catch an earlier trip here if the last round reached this stop in time.
                    let ready = self.previous[s];
                    if ready == UNREACHED {
                        continue;
                    }
                    let catchable = match trip {
                        Some(t) => ready <= pattern.at(t, i).1,
                        None => false,
                    };
                    if trip.is_none() || catchable {
                        // The earliest trip departing at or after `ready`.
                        let (mut lo, mut hi) = (0usize, trip.map_or(pattern.trip_count(), |t| t + 1));
                        while lo < hi {
                            let mid = (lo + hi) / 2;
                            if pattern.at(mid, i).1 >= ready {
                                hi = mid;
                            } else {
                                lo = mid + 1;
                            }
                        }
                        if lo < pattern.trip_count() && pattern.at(lo, i).1 >= ready {
                            trip = Some(lo);
                        }
                    }
                }
            }
            // Footpaths from the stops this round improved (one walk, not chained).
            for &(s, arr) in &improved {
                if self.current[s as usize] == arr {
                    self.mark(s);
                }
                for &(to, secs) in &tt.footpaths[s as usize] {
                    let t = arr + secs;
                    if t < self.best[to as usize] && t < bound(&self.best) {
                        self.best[to as usize] = t;
                        self.current[to as usize] = t;
                        self.mark(to);
                    }
                }
            }
            self.improved = improved;
            std::mem::swap(&mut self.previous, &mut self.current);
            if let Some(t) = target {
                self.target_by_round.push(self.best[t as usize]);
            }
        }
        &self.best
    }

    /// The Pareto set over arrival time and trips taken from `origin` to
    /// `target`: `(trips, arrival)` pairs, fewer trips first, each arriving
    /// strictly earlier than the one before (RAPTOR's rounds are exactly these
    /// trade-offs).
    pub fn pareto(
        &mut self,
        tt: &Timetable,
        origin: u32,
        departure: u32,
        target: u32,
        max_trips: usize,
    ) -> Vec<(usize, u32)> {
        self.run(tt, origin, departure, Some(target), max_trips);
        let mut out: Vec<(usize, u32)> = Vec::new();
        let walk = if origin == target {
            Some(departure)
        } else {
            tt.footpaths[origin as usize].iter().find(|(to, _)| *to == target).map(|(_, s)| departure + s)
        };
        if let Some(w) = walk {
            out.push((0, w));
        }
        for (k, &a) in self.target_by_round.iter().enumerate() {
            if a != UNREACHED && out.last().is_none_or(|(_, best)| a < *best) {
                out.push((k + 1, a));
            }
        }
        out
    }
}
