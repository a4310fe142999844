//! One service day of one or more feeds, laid out for RAPTOR: trips grouped
//! into patterns (trips of one route that call at the same stops in the same
//! order, never overtaking one another), the patterns serving each stop, and
//! footpaths between nearby stops. The day includes the previous day's trips
//! still running after midnight, and realtime delays when given.

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
    /// `wheelchair_boarding` (0 unknown, 1 yes, 2 no).
    pub wheelchair: u8,
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
    /// GTFS `route_type`.
    pub route_type: u16,
    /// One ride's fare, minor units; `None` where the feed prices nothing.
    pub fare: Option<u32>,
    /// Per trip, `wheelchair_accessible` (0 unknown, 1 yes, 2 no).
    pub wheelchair: Vec<u8>,
    /// Per trip, `bikes_allowed` (0 unknown, 1 yes, 2 no).
    pub bikes: Vec<u8>,
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
    /// `(from, to, seconds)` from the feeds' `transfers.txt`.
    pub file_transfers: Vec<(u32, u32, u32)>,
}

/// `(stop_sequence, stop, arrival, departure)` of one call.
type Call = (u32, u32, Option<u32>, Option<u32>);

/// Seconds in a day.
pub const DAY: u32 = 86_400;

/// Realtime changes to the day's trips, keyed by `feed:trip_id`.
#[derive(Clone, Debug, Default)]
pub struct Delays {
    /// Per trip, `(stop_sequence, arrival delay s, departure delay s)` in
    /// sequence order: each delay holds from its stop on until the next.
    pub trips: HashMap<String, Vec<(u32, i32, i32)>>,
    /// Trips cancelled.
    pub cancelled: std::collections::HashSet<String>,
}

impl Delays {
    /// Applies a trip's delays to its calls (sorted by sequence) and keeps
    /// the times from going backwards; true when the trip had any.
    fn apply(&self, id: &str, sequences: &[u32], times: &mut [(u32, u32)]) -> bool {
        let Some(updates) = self.trips.get(id) else {
            return false;
        };
        let mut next = 0;
        let mut current: Option<(i32, i32)> = None;
        for (k, seq) in sequences.iter().enumerate() {
            while next < updates.len() && updates[next].0 <= *seq {
                current = Some((updates[next].1, updates[next].2));
                next += 1;
            }
            if let Some((a, d)) = current {
                let shift = |t: u32, by: i32| (i64::from(t) + i64::from(by)).max(0) as u32;
                times[k] = (shift(times[k].0, a), shift(times[k].1, d));
            }
        }
        for k in 0..times.len() {
            if k > 0 {
                times[k].0 = times[k].0.max(times[k - 1].1);
            }
            times[k].1 = times[k].1.max(times[k].0);
        }
        true
    }
}

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
    /// service runs that day (frequency-based trips expanded), the previous
    /// day's trips from the first call after midnight, footpaths from
    /// `transfers.txt` and between stops within [`MAX_FOOTPATH_M`].
    pub fn build(feeds: &[Feed], date: u32) -> Timetable {
        Timetable::build_with(feeds, date, &Delays::default())
    }

    /// [`Timetable::build`] with realtime `delays` applied to the day's trips.
    pub fn build_with(feeds: &[Feed], date: u32, delays: &Delays) -> Timetable {
        let mut tt = Timetable::default();
        // (stops, feed, route) -> pattern ids
        let mut by_sequence: HashMap<(Vec<u32>, usize, u32), Vec<u32>> = HashMap::new();
        struct TripRows {
            stops: Vec<u32>,
            times: Vec<(u32, u32)>,
            id: String,
            feed: usize,
            route: u32,
            wheelchair: u8,
            bikes: u8,
        }
        let mut all: Vec<TripRows> = Vec::new();
        let yesterday = crate::gtfs::add_days(date, -1);
        for (fi, feed) in feeds.iter().enumerate() {
            let base = tt.stops.len() as u32;
            tt.stops.extend(feed.stops.iter().map(|s| TStop {
                id: format!("{}:{}", feed.name, s.id),
                name: s.name.clone(),
                pos: s.pos,
                wheelchair: s.wheelchair,
            }));
            let mut rows: Vec<Vec<Call>> = vec![Vec::new(); feed.trips.len()];
            for st in &feed.stop_times {
                rows[st.trip as usize].push((st.sequence, st.stop, st.arrival, st.departure));
            }
            for calls in &mut rows {
                calls.sort_by_key(|c| c.0);
            }
            let mut freq: HashMap<u32, Vec<(u32, u32, u32)>> = HashMap::new();
            for f in &feed.frequencies {
                freq.entry(f.trip).or_default().push((f.start, f.end, f.headway));
            }
            for (t, trip) in feed.trips.iter().enumerate() {
                let today = feed.runs(&trip.service, date);
                let overnight = feed.runs(&trip.service, yesterday)
                    && rows[t].iter().any(|c| c.3.or(c.2).is_some_and(|d| d >= DAY));
                if !today && !overnight {
                    continue;
                }
                let calls = &rows[t];
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
                let id = format!("{}:{}", feed.name, trip.id);
                if delays.cancelled.contains(&id) {
                    continue;
                }
                let sequences: Vec<u32> = calls.iter().map(|c| c.0).collect();
                let periods = freq.get(&(t as u32));
                let mut runs: Vec<TripRows> = Vec::new();
                let row = |stops: Vec<u32>, times: Vec<(u32, u32)>, id: String| TripRows {
                    stops,
                    times,
                    id,
                    feed: fi,
                    route: trip.route,
                    wheelchair: trip.wheelchair,
                    bikes: trip.bikes,
                };
                match periods {
                    Some(periods) => {
                        let first = times[0].1;
                        for &(start, end, headway) in periods {
                            let mut dep = start;
                            while dep < end {
                                let shift =
                                    |x: u32| (i64::from(x) - i64::from(first) + i64::from(dep)).max(0) as u32;
                                runs.push(row(
                                    stops.clone(),
                                    times.iter().map(|(a, d)| (shift(*a), shift(*d))).collect(),
                                    format!("{id}@{dep}"),
                                ));
                                dep += headway;
                            }
                        }
                    }
                    None => runs.push(row(stops, times, id)),
                }
                for mut run in runs {
                    // Yesterday's run, from its first departure after midnight.
                    if overnight
                        && let Some(first) = run.times.iter().position(|t| t.1 >= DAY)
                        && run.times.len() - first >= 2
                    {
                        all.push(TripRows {
                            stops: run.stops[first..].to_vec(),
                            times: run.times[first..]
                                .iter()
                                .map(|(a, d)| (a.saturating_sub(DAY).min(d - DAY), d - DAY))
                                .collect(),
                            id: format!("{}@-1", run.id),
                            ..row(Vec::new(), Vec::new(), String::new())
                        });
                    }
                    if today {
                        // Realtime delays apply to today's run of a scheduled trip
                        // (frequency-based trips are matched by start time: not modelled).
                        if periods.is_none() {
                            delays.apply(&run.id, &sequences, &mut run.times);
                        }
                        all.push(run);
                    }
                }
            }
            for (from, to, secs) in &feed.transfers {
                if from != to {
                    tt.file_transfers.push((base + from, base + to, *secs));
                }
            }
        }
        // Patterns: one route, same stops, and no overtaking within a pattern.
        all.sort_by(|a, b| {
            (a.feed, a.route, &a.stops, a.times[0].1, &a.id).cmp(&(
                b.feed,
                b.route,
                &b.stops,
                b.times[0].1,
                &b.id,
            ))
        });
        for trip in all {
            let candidates = by_sequence.entry((trip.stops.clone(), trip.feed, trip.route)).or_default();
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
                    let feed = &feeds[trip.feed];
                    let route = &feed.routes[trip.route as usize];
                    tt.patterns.push(Pattern {
                        stops: trip.stops.clone(),
                        route: route.name.clone(),
                        route_type: route.route_type,
                        fare: feed.route_fare(trip.route).and_then(|f| u32::try_from(f).ok()),
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
            pattern.wheelchair.push(trip.wheelchair);
            pattern.bikes.push(trip.bikes);
            tt.trip_count += 1;
        }
        tt.stop_patterns = vec![Vec::new(); tt.stops.len()];
        for (p, pattern) in tt.patterns.iter().enumerate() {
            for (i, s) in pattern.stops.iter().enumerate() {
                tt.stop_patterns[*s as usize].push((p as u32, i as u32));
            }
        }
        tt.footpaths = vec![Vec::new(); tt.stops.len()];
        tt.add_walking_footpaths();
        tt.add_file_transfers();
        tt
    }

    /// Adds the feeds' transfers to the footpaths and keeps, per pair of
    /// stops, the shortest.
    fn add_file_transfers(&mut self) {
        for &(from, to, secs) in &self.file_transfers {
            self.footpaths[from as usize].push((to, secs));
        }
        for f in &mut self.footpaths {
            f.sort_unstable();
            f.dedup_by_key(|(to, _)| *to);
        }
    }

    /// Replaces the straight-line footpaths of the stops given a walk on the
    /// street graph (`walks[stop]`: `(to, seconds)`; `None` keeps the stop's
    /// straight-line footpaths, for stops off the street map). The feeds'
    /// transfers are kept.
    pub fn set_street_footpaths(&mut self, walks: Vec<Option<Vec<(u32, u32)>>>) {
        for (stop, walk) in walks.into_iter().enumerate() {
            if let Some(w) = walk {
                self.footpaths[stop] = w.into_iter().filter(|(to, _)| *to as usize != stop).collect();
            }
        }
        self.add_file_transfers();
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

    /// Each trip's fare (0 where unpriced), numbered as in
    /// [`Timetable::connections`].
    pub fn trip_fares(&self) -> Vec<u32> {
        self.patterns.iter().flat_map(|p| std::iter::repeat_n(p.fare.unwrap_or(0), p.trip_count())).collect()
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
                        hop: i as u32 - 1,
                    });
                }
                trip += 1;
            }
        }
        out.sort_by_key(|c| (c.departure, c.arrival, c.trip));
        out
    }
}
