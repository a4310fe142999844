//! McRAPTOR (Delling, Pajor, Werneck 2012, §4): RAPTOR with a bag of
//! Pareto-optimal labels per stop instead of one arrival time, here over
//! arrival time, trips taken and money (each boarding pays its route's fare).
//!
//! A query starts from any number of access labels (a stop, when the
//! traveller can be there, and what getting there cost: walking, cycling, or
//! driving and parking) and ends at egress stops (seconds and money from the
//! stop to the destination). Round *k* holds the journeys with *k* trips, so
//! a stop's bag needs to compare only arrival and money; labels of the round
//! are pruned against the destination's bag. As in [`crate::raptor`], a
//! journey walks at most once between two trips: labels reached by vehicle
//! are kept apart from all labels and only they walk.

use crate::timetable::Timetable;

/// Where a query may start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The stop.
    pub stop: u32,
    /// When the traveller can be there, seconds after midnight.
    pub arrival: u32,
    /// What getting there cost, minor units.
    pub money: u32,
    /// The caller's tag for this way in (walk, bike, a parking facility…).
    pub tag: u32,
}

/// Where a query may end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Egress {
    /// The stop.
    pub stop: u32,
    /// Seconds from the stop to the destination.
    pub secs: u32,
    /// Money from the stop to the destination, minor units.
    pub money: u32,
    /// The caller's tag.
    pub tag: u32,
}

/// Restrictions on the trips and stops a journey may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Most trips in a journey.
    pub max_trips: usize,
    /// Only trips and stops not marked inaccessible by wheelchair.
    pub wheelchair: bool,
    /// Only trips not marked as refusing bicycles.
    pub bike_on_board: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_trips: 6, wheelchair: false, bike_on_board: false }
    }
}

/// How a label was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// From the origin, by the access with this index in the query.
    Access(u32),
    /// A ride on `pattern`'s trip `trip` from position `board` to `alight`.
    Ride {
        /// Pattern.
        pattern: u32,
        /// Trip within the pattern.
        trip: u32,
        /// Boarding position.
        board: u32,
        /// Alighting position.
        alight: u32,
    },
    /// A footpath from stop `from` taking `secs`.
    Walk {
        /// From stop.
        from: u32,
        /// Seconds.
        secs: u32,
    },
}

/// One label: a way of being at `stop`.
#[derive(Clone, Copy, Debug)]
struct Label {
    arrival: u32,
    trips: u8,
    money: u32,
    stop: u32,
    parent: u32,
    step: Step,
    dead: bool,
}

/// One Pareto-optimal journey to the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journey {
    /// Arrival at the destination (after the egress), seconds.
    pub arrival: u32,
    /// Trips taken.
    pub trips: u8,
    /// Money in all: access, fares and egress, minor units.
    pub money: u32,
    /// Index of the access used.
    pub access: u32,
    /// Index of the egress used.
    pub egress: u32,
    /// Rides and walks in order, each with the stop it ends at and its
    /// arrival there.
    pub steps: Vec<(Step, u32, u32)>,
}

impl Journey {
    /// `(arrival, trips, money)`.
    pub fn criteria(&self) -> (u32, u8, u32) {
        (self.arrival, self.trips, self.money)
    }
}

/// A destination candidate: criteria, the label it leaves from, the egress.
type Target = ((u32, u8, u32), u32, u32);

/// Reusable McRAPTOR query state.
#[derive(Clone, Debug, Default)]
pub struct McRaptor {
    labels: Vec<Label>,
    /// Per stop, the labels not dominated by another (all rounds).
    bag: Vec<Vec<u32>>,
    /// Per stop, the labels reached by vehicle not dominated by another.
    ride_bag: Vec<Vec<u32>>,
    /// Per stop, labels new in the last round (to board from).
    fresh: Vec<Vec<u32>>,
    next_fresh: Vec<Vec<u32>>,
    marked: Vec<u32>,
    /// Per pattern, the earliest marked position (`u32::MAX`: none).
    earliest: Vec<u32>,
    touched: Vec<u32>,
    egress_at: Vec<Vec<u32>>,
    egress_stops: Vec<u32>,
    targets: Vec<Target>,
    /// Rounds the last query ran.
    pub rounds: usize,
    /// Labels the last query created.
    pub label_count: usize,
}

/// Whether `(a1, m1)` is at least as good as `(a2, m2)` on both.
fn covers(a1: u32, m1: u32, a2: u32, m2: u32) -> bool {
    a1 <= a2 && m1 <= m2
}

impl McRaptor {
    /// State for `tt`.
    pub fn new(tt: &Timetable) -> McRaptor {
        let n = tt.stops.len();
        McRaptor {
            bag: vec![Vec::new(); n],
            ride_bag: vec![Vec::new(); n],
            fresh: vec![Vec::new(); n],
            next_fresh: vec![Vec::new(); n],
            egress_at: vec![Vec::new(); n],
            earliest: vec![u32::MAX; tt.patterns.len()],
            ..McRaptor::default()
        }
    }

    fn target_covers(&self, arrival: u32, trips: u8, money: u32) -> bool {
        self.targets.iter().any(|((a, k, m), _, _)| *a <= arrival && *k <= trips && *m <= money)
    }

    /// Inserts a candidate into `bag[stop]` (and `ride_bag[stop]` for a
    /// ride) unless dominated; returns its label index if it entered the
    /// all-labels bag (then it may board next round). A ride that only
    /// enters the ride bag is returned through `walker`.
    fn insert(&mut self, label: Label, ride: bool, walker: &mut Option<u32>) -> Option<u32> {
        let s = label.stop as usize;
        let (a, m) = (label.arrival, label.money);
        if ride
            && self.ride_bag[s]
                .iter()
                .any(|&l| covers(self.labels[l as usize].arrival, self.labels[l as usize].money, a, m))
        {
            return None;
        }
        if self.target_covers(a, label.trips, m) {
            return None;
        }
        let id = self.labels.len() as u32;
        self.labels.push(label);
        if self.bag[s].is_empty() && self.ride_bag[s].is_empty() {
            self.touched.push(label.stop);
        }
        if ride {
            let labels = &self.labels;
            self.ride_bag[s].retain(|&l| !covers(a, m, labels[l as usize].arrival, labels[l as usize].money));
            self.ride_bag[s].push(id);
            *walker = Some(id);
        }
        if self.bag[s]
            .iter()
            .any(|&l| covers(self.labels[l as usize].arrival, self.labels[l as usize].money, a, m))
        {
            return None;
        }
        let labels = &mut self.labels;
        self.bag[s].retain(|&l| {
            let o = &mut labels[l as usize];
            // Earlier rounds have fewer trips: only this round's labels can fall.
            let beaten = o.trips == label.trips && covers(a, m, o.arrival, o.money);
            if beaten {
                o.dead = true;
            }
            !beaten
        });
        self.bag[s].push(id);
        Some(id)
    }

    /// Records a destination candidate from label `l` at an egress stop.
    fn reach_target(&mut self, l: u32, egress: &[Egress]) {
        let label = self.labels[l as usize];
        for &e in &self.egress_at[label.stop as usize] {
            let eg = egress[e as usize];
            let c = (label.arrival + eg.secs, label.trips, label.money + eg.money);
            if self.target_covers(c.0, c.1, c.2) {
                continue;
            }
            self.targets.retain(|((a, k, m), _, _)| !(c.0 <= *a && c.1 <= *k && c.2 <= *m));
            self.targets.push((c, l, e));
        }
    }

    /// The Pareto set over arrival, trips and money of journeys from the
    /// `access` labels to the destination through the `egress` stops, with
    /// their steps; sorted by arrival, then trips, then money.
    pub fn run(
        &mut self,
        tt: &Timetable,
        access: &[Access],
        egress: &[Egress],
        options: &Options,
    ) -> Vec<Journey> {
        for s in self.touched.drain(..) {
            self.bag[s as usize].clear();
            self.ride_bag[s as usize].clear();
            self.fresh[s as usize].clear();
            self.next_fresh[s as usize].clear();
        }
        for s in self.egress_stops.drain(..) {
            self.egress_at[s as usize].clear();
        }
        for (i, e) in egress.iter().enumerate() {
            self.egress_stops.push(e.stop);
            self.egress_at[e.stop as usize].push(i as u32);
        }
        self.labels.clear();
        self.targets.clear();
        self.marked.clear();
        self.rounds = 0;
        let usable_stop = |s: u32| !options.wheelchair || tt.stops[s as usize].wheelchair != 2;
        for (i, a) in access.iter().enumerate() {
            if !usable_stop(a.stop) {
                continue;
            }
            let label = Label {
                arrival: a.arrival,
                trips: 0,
                money: a.money,
                stop: a.stop,
                parent: u32::MAX,
                step: Step::Access(i as u32),
                dead: false,
            };
            if let Some(id) = self.insert(label, false, &mut None) {
                if self.fresh[a.stop as usize].is_empty() {
                    self.marked.push(a.stop);
                }
                self.fresh[a.stop as usize].push(id);
            }
        }
        let mut queue: Vec<u32> = Vec::new();
        let mut route_bag: Vec<(u32, u32, u32, u32)> = Vec::new(); // (trip, money, parent, board)
        let mut walkers: Vec<u32> = Vec::new();
        let mut next_marked: Vec<u32> = Vec::new();
        while !self.marked.is_empty() && self.rounds < options.max_trips {
            self.rounds += 1;
            let k = self.rounds as u8;
            queue.clear();
            for &s in &self.marked {
                for &(p, i) in &tt.stop_patterns[s as usize] {
                    let e = &mut self.earliest[p as usize];
                    if *e == u32::MAX {
                        queue.push(p);
                    }
                    *e = (*e).min(i);
                }
            }
            walkers.clear();
            for &p in &queue {
                let start = std::mem::replace(&mut self.earliest[p as usize], u32::MAX) as usize;
                let pattern = &tt.patterns[p as usize];
                let fare = pattern.fare.unwrap_or(0);
                route_bag.clear();
                for i in start..pattern.stops.len() {
                    let s = pattern.stops[i];
                    // Alight here.
                    if !route_bag.is_empty() && usable_stop(s) {
                        for &(t, money, parent, board) in &route_bag {
                            let label = Label {
                                arrival: pattern.at(t as usize, i).0,
                                trips: k,
                                money,
                                stop: s,
                                parent,
                                step: Step::Ride { pattern: p, trip: t, board, alight: i as u32 },
                                dead: false,
                            };
                            let mut walker = None;
                            if let Some(id) = self.insert(label, true, &mut walker) {
                                if self.next_fresh[s as usize].is_empty() {
                                    next_marked.push(s);
                                }
                                self.next_fresh[s as usize].push(id);
                            }
                            if let Some(w) = walker {
                                walkers.push(w);
                                self.reach_target(w, egress);
                            }
                        }
                    }
                    // Board here from last round's labels.
                    if self.fresh[s as usize].is_empty() || !usable_stop(s) {
                        continue;
                    }
                    for f in 0..self.fresh[s as usize].len() {
                        let l = self.fresh[s as usize][f];
                        let label = self.labels[l as usize];
                        if label.dead {
                            continue;
                        }
                        let (mut lo, mut hi) = (0usize, pattern.trip_count());
                        while lo < hi {
                            let mid = (lo + hi) / 2;
                            if pattern.at(mid, i).1 >= label.arrival {
                                hi = mid;
                            } else {
                                lo = mid + 1;
                            }
                        }
                        let ok = |t: usize| {
                            !(options.wheelchair && pattern.wheelchair[t] == 2
                                || options.bike_on_board && pattern.bikes[t] == 2)
                        };
                        while lo < pattern.trip_count() && !ok(lo) {
                            lo += 1;
                        }
                        if lo == pattern.trip_count() {
                            continue;
                        }
                        let cand = (lo as u32, label.money + fare, l, i as u32);
                        if route_bag.iter().any(|r| r.0 <= cand.0 && r.1 <= cand.1) {
                            continue;
                        }
                        route_bag.retain(|r| !(cand.0 <= r.0 && cand.1 <= r.1));
                        route_bag.push(cand);
                    }
                }
            }
            // One walk from each stop a vehicle reached this round.
            for &w in &walkers {
                let from = self.labels[w as usize];
                if !self.ride_bag[from.stop as usize].contains(&w) {
                    continue;
                }
                for &(to, secs) in &tt.footpaths[from.stop as usize] {
                    if !usable_stop(to) {
                        continue;
                    }
                    let label = Label {
                        arrival: from.arrival + secs,
                        stop: to,
                        parent: w,
                        step: Step::Walk { from: from.stop, secs },
                        dead: false,
                        ..from
                    };
                    if let Some(id) = self.insert(label, false, &mut None) {
                        if self.next_fresh[to as usize].is_empty() {
                            next_marked.push(to);
                        }
                        self.next_fresh[to as usize].push(id);
                    }
                }
            }
            for s in self.marked.drain(..) {
                self.fresh[s as usize].clear();
            }
            std::mem::swap(&mut self.fresh, &mut self.next_fresh);
            std::mem::swap(&mut self.marked, &mut next_marked);
        }
        for s in self.marked.drain(..) {
            self.fresh[s as usize].clear();
        }
        self.label_count = self.labels.len();
        let mut out: Vec<Journey> = self
            .targets
            .iter()
            .map(|&((arrival, trips, money), l, e)| {
                let mut steps = Vec::new();
                let mut at = l;
                let mut access_index = 0;
                while at != u32::MAX {
                    let label = self.labels[at as usize];
                    match label.step {
                        Step::Access(i) => access_index = i,
                        step => steps.push((step, label.stop, label.arrival)),
                    }
                    at = label.parent;
                }
                steps.reverse();
                Journey { arrival, trips, money, access: access_index, egress: e, steps }
            })
            .collect();
        out.sort_by_key(Journey::criteria);
        out
    }
}
