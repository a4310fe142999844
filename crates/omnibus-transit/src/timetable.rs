//! One service day of one or more feeds, laid out for RAPTOR: trips grouped
//! into patterns (trips that call at the same stops in the same order, never
//! overtaking one another), the patterns serving each stop, and footpaths
//! between nearby stops.

use crate::gtfs::Feed;
use omnibus_core::LatLon;
use std::collections::HashMap;

/// Walking speed for footpaths, metres per second.
pub const WALK_MPS: f64 = 1.3;
/// Straight-line distance times this is the assumed walking distance.
pub const DETOUR_FACTOR: f64 = 1.3;
/// Stops at most this far apart (straight line) get a footpath.
pub const MAX_FOOTPATH_M: f64 = 400.0;

/// A stop of the timetable.
#[derive(Clone, Debug)]
pub struct TStop {
    /// `feed:stop_id`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Where.
    pub pos: LatLon,
}

/// Trips with the same stop sequence, sorted by departure, none overtaking.
#[derive(Clone, Debug, Default)]
pub struct Pattern {
    /// Stops in order.
    pub stops: Vec<u32>,
    /// `(arrival, departure)` per trip and stop: `times[trip * stops.len() + i]`.
    pub times: Vec<(u32, u32)>,
    /// `feed:trip_id` of each trip.
    pub trips: Vec<String>,
    /// The route's name.
    pub route: String,
}

impl Pattern {
    /// Trips in the pattern.
    pub fn trip_count(&self) -> usize {
        self.trips.len()
    }

    /// `(arrival, departure)` of trip `t` at position `i`.
    pub fn at(&self, t: usize, i: usize) -> (u32, u32) {
        self.times[t * self.stops.len() + i]
    }
}

/// The timetable of one service day.
#[derive(Clone, Debug, Default)]
pub struct Timetable {
    /// Stops.
    pub stops: Vec<TStop>,
    /// Patterns.
    pub patterns: Vec<Pattern>,
    /// Per stop, `(pattern, position)` of every pattern calling there.
    pub stop_patterns: Vec<Vec<(u32, u32)>>,
    /// Per stop, `(to, seconds)` footpaths (never to itself).
    pub footpaths: Vec<Vec<(u32, u32)>>,
    /// Trips of the day dropped while building (fewer than two timed calls,
    /// or times that go backwards).
    pub dropped_count: usize,
    /// The first 100 of them, and why.
    pub dropped: Vec<String>,
    /// Trips kept.
    pub trip_count: usize,
}

/// `(stop_sequence, stop, arrival, departure)` of one call.
type Call = (u32, u32, Option<u32>, Option<u32>);

/// Fills empty times of a trip by linear interpolation between timed stops.
fn interpolate(times: &mut [(Option<u32>, Option<u32>)]) -> Option<()> {
    let timed: Vec<usize> = (0..times.len()).filter(|i| times[*i].0.is_some()).collect();
    let (&first, &last) = (timed.first()?, timed.last()?);
    if first != 0 || last != times.len() - 1 {
        return None;
    }
    for w in timed.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (ta, tb) = (times[a].1?, times[b].0?);
        for (k, slot) in times.iter_mut().enumerate().take(b).skip(a + 1) {
            let t = ta + (tb.saturating_sub(ta)) * (k - a) as u32 / (b - a) as u32;
            *slot = (Some(t), Some(t));
        }
    }
    Some(())
}

impl Timetable {
    /// The timetable of `date` (`YYYYMMDD`) over `feeds`: the trips whose
    /// service runs that day (frequency-based trips expanded), footpaths from
    /// `transfers.txt` and between stops within [`MAX_FOOTPATH_M`].
    pub fn build(feeds: &[Feed], date: u32) -> Timetable {
        let mut tt = Timetable::default();
        let mut by_sequence: HashMap<Vec<u32>, Vec<u32>> = HashMap::new(); // stops -> pattern ids
        struct TripRows {
            stops: Vec<u32>,
            times: Vec<(u32, u32)>,
            id: String,
            route: String,
        }
        let mut all: Vec<TripRows> = Vec::new();
        for feed in feeds {
            let base = tt.stops.len() as u32;
            tt.stops.extend(feed.stops.iter().map(|s| TStop {
                id: format!("{}:{}", feed.name, s.id),
                name: s.name.clone(),
                pos: s.pos,
            }));
            let mut rows: Vec<Vec<Call>> = vec![Vec::new(); feed.trips.len()];
            for st in &feed.stop_times {
                rows[st.trip as usize].push((st.sequence, st.stop, st.arrival, st.departure));
            }
            let mut freq: HashMap<u32, Vec<(u32, u32, u32)>> = HashMap::new();
            for f in &feed.frequencies {
                freq.entry(f.trip).or_default().push((f.start, f.end, f.headway));
            }
            for (t, trip) in feed.trips.iter().enumerate() {
                if !feed.runs(&trip.service, date) {
                    continue;
                }
                let mut calls = std::mem::take(&mut rows[t]);
                calls.sort_by_key(|c| c.0);
                let mut times: Vec<(Option<u32>, Option<u32>)> = calls.iter().map(|c| (c.2, c.3)).collect();
                if calls.len() < 2 || interpolate(&mut times).is_none() {
                    tt.dropped_count += 1;
                    if tt.dropped.len() < 100 {
                        tt.dropped.push(format!("{}:{}: fewer than two timed calls", feed.name, trip.id));
                    }
                    continue;
                }
                let times: Vec<(u32, u32)> =
                    times.iter().map(|(a, d)| (a.unwrap_or(0), d.unwrap_or(0).max(a.unwrap_or(0)))).collect();
                if times.windows(2).any(|w| w[1].0 < w[0].1) {
                    tt.dropped_count += 1;
                    if tt.dropped.len() < 100 {
                        tt.dropped.push(format!("{}:{}: times go backwards", feed.name, trip.id));
                    }
                    continue;
                }
                let stops: Vec<u32> = calls.iter().map(|c| base + c.1).collect();
                let route = feed.routes[trip.route as usize].name.clone();
                match freq.get(&(t as u32)) {
                    None => {
                        all.push(TripRows { stops, times, id: format!("{}:{}", feed.name, trip.id), route })
                    }
                    Some(periods) => {
                        let first = times[0].1;
                        for &(start, end, headway) in periods {
                            let mut dep = start;
                            while dep < end {
                                let shift =
                                    |x: u32| (i64::from(x) - i64::from(first) + i64::from(dep)).max(0) as u32;
                                all.push(TripRows {
                                    stops: stops.clone(),
                                    times: times.iter().map(|(a, d)| (shift(*a), shift(*d))).collect(),
                                    id: format!("{}:{}@{}", feed.name, trip.id, dep),
                                    route: route.clone(),
                                });
                                dep += headway;
                            }
                        }
                    }
                }
            }
            for (from, to, secs) in &feed.transfers {
                if from != to {
                    tt.footpaths.resize(tt.stops.len(), Vec::new());
                    tt.footpaths[(base + from) as usize].push((base + to, *secs));
                }
            }
        }
        // Patterns: same stops, and no overtaking within a pattern.
        all.sort_by(|a, b| a.stops.cmp(&b.stops).then(a.times[0].1.cmp(&b.times[0].1)).then(a.id.cmp(&b.id)));
        for trip in all {
            let candidates = by_sequence.entry(trip.stops.clone()).or_default();
            let fits = |p: &Pattern| {
                let last = p.trip_count() - 1;
                (0..p.stops.len()).all(|i| {
                    let (a, d) = p.at(last, i);
                    a <= trip.times[i].0 && d <= trip.times[i].1
                })
            };
            let slot = candidates.iter().copied().find(|p| fits(&tt.patterns[*p as usize]));
            let p = match slot {
                Some(p) => p,
                None => {
                    tt.patterns.push(Pattern {
                        stops: trip.stops.clone(),
                        route: trip.route.clone(),
                        ..Pattern::default()
                    });
                    let p = (tt.patterns.len() - 1) as u32;
                    candidates.push(p);
                    p
                }
            };
            let pattern = &mut tt.patterns[p as usize];
            pattern.times.extend(&trip.times);
            pattern.trips.push(trip.id);
            tt.trip_count += 1;
        }
        tt.stop_patterns = vec![Vec::new(); tt.stops.len()];
        for (p, pattern) in tt.patterns.iter().enumerate() {
            for (i, s) in pattern.stops.iter().enumerate() {
                tt.stop_patterns[*s as usize].push((p as u32, i as u32));
            }
        }
        tt.footpaths.resize(tt.stops.len(), Vec::new());
        tt.add_walking_footpaths();
        for f in &mut tt.footpaths {
            f.sort_unstable();
            f.dedup_by_key(|(to, _)| *to);
        }
        tt
    }

    /// Footpaths between stops within [`MAX_FOOTPATH_M`] of each other, found
    /// with a grid of that cell size.
    fn add_walking_footpaths(&mut self) {
        if self.stops.is_empty() {
            return;
        }
        let lat0 = self.stops[0].pos.lat.to_radians();
        let (mlat, mlon) = (111_320.0, 111_320.0 * lat0.cos());
        let xy = |p: LatLon| (p.lon * mlon, p.lat * mlat);
        let cell =
            |(x, y): (f64, f64)| ((x / MAX_FOOTPATH_M).floor() as i64, (y / MAX_FOOTPATH_M).floor() as i64);
        let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (i, s) in self.stops.iter().enumerate() {
            grid.entry(cell(xy(s.pos))).or_default().push(i as u32);
        }
        for (i, s) in self.stops.iter().enumerate() {
            let p = xy(s.pos);
            let (cx, cy) = cell(p);
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for &j in grid.get(&(cx + dx, cy + dy)).map_or(&[][..], Vec::as_slice) {
                        if j as usize == i {
                            continue;
                        }
                        let q = xy(self.stops[j as usize].pos);
                        let d = ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
                        if d <= MAX_FOOTPATH_M {
                            let secs = (d * DETOUR_FACTOR / WALK_MPS).ceil() as u32;
                            self.footpaths[i].push((j, secs));
                        }
                    }
                }
            }
        }
    }

    /// Every `(from, to, departure, arrival, trip)` hop of every trip, for
    /// the connection scan.
    pub fn connections(&self) -> Vec<crate::csa::Connection> {
        let mut out = Vec::new();
        let mut trip = 0u32;
        for p in &self.patterns {
            for t in 0..p.trip_count() {
                for i in 1..p.stops.len() {
                    out.push(crate::csa::Connection {
                        from: p.stops[i - 1],
                        to: p.stops[i],
                        departure: p.at(t, i - 1).1,
                        arrival: p.at(t, i).0,
                        trip,
                    });
                }
                trip += 1;
            }
        }
        out.sort_by_key(|c| (c.departure, c.arrival, c.trip));
        out
    }
}
