//! The city's public transport for the planner: its GTFS feeds, each stop
//! tied to the street graph, footpaths walked on the streets, one timetable
//! per service day (built on first use, kept for a few days), and the
//! realtime delays applied as they arrive.

use omnibus_core::City;
use omnibus_core::streets::{StreetMode, StreetSearch, WALK_MPS};
use omnibus_transit::gtfs::{self, Feed, FeedError};
use omnibus_transit::realtime::{self, FeedMessage, RealtimeReport};
use omnibus_transit::timetable::{Delays, MAX_FOOTPATH_M};
use omnibus_transit::{McRaptor, Timetable};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tracing::info;

/// The bundled Porto Alegre bus feed (EPTC, 2019).
pub const PORTO_ALEGRE_BUS_GTFS: &[u8] = include_bytes!("../../../data/porto-alegre/poa_eptc_gtfs.zip");
/// The bundled Porto Alegre metro-rail feed (Trensurb, 2019).
pub const PORTO_ALEGRE_RAIL_GTFS: &[u8] = include_bytes!("../../../data/porto-alegre/poa_trensurb_gtfs.zip");
/// Trensurb's flat fare, centavos: its feed has no fares, so the value comes from the
/// fare table published with the same sample data (`fares_poa.zip`, RAIL R$ 4.50).
pub const TRENSURB_FARE_CENTAVOS: i64 = 450;
/// Porto Alegre's offset from UTC (Brasília time, no daylight saving since 2019).
pub const PORTO_ALEGRE_UTC_OFFSET_S: i32 = -3 * 3_600;

/// Farthest a stop may be from the street graph to be walked to, metres.
pub const MAX_STOP_CONNECTOR_M: f64 = 300.0;
/// Service days whose timetables are kept.
const DAYS_KEPT: usize = 4;

/// One service day, ready to plan on.
#[derive(Debug)]
pub struct Day {
    /// The date asked for, `YYYYMMDD`.
    pub date: u32,
    /// The date whose timetable is used (another date of the same weekday
    /// when the feeds do not cover the one asked for).
    pub timetable_date: u32,
    /// The timetable.
    pub timetable: Timetable,
    /// Query state to reuse (one query at a time per day).
    pub search: Mutex<McRaptor>,
}

/// Public transport tied to a city's streets.
#[derive(Debug)]
pub struct TransitNetwork {
    feeds: Vec<Feed>,
    /// Local time's offset from UTC, seconds.
    pub utc_offset_s: i32,
    /// Per stop (timetable numbering), its walk node and the straight-line
    /// distance to it; `None` for stops off the street map.
    pub stop_nodes: Vec<Option<(u32, f64)>>,
    /// Per stop, its bike node and the distance to it.
    pub stop_bike_nodes: Vec<Option<(u32, f64)>>,
    street_footpaths: Vec<Option<Vec<(u32, u32)>>>,
    /// First and last dates all feeds cover.
    pub service_range: (u32, u32),
    delays: RwLock<Delays>,
    days: Mutex<Vec<Arc<Day>>>,
}

impl TransitNetwork {
    /// `feeds` on `city`'s streets, local time `utc_offset_s` from UTC.
    pub fn new(feeds: Vec<Feed>, city: &City, utc_offset_s: i32) -> TransitNetwork {
        // The stop list does not depend on the day.
        let empty = Timetable::build(&feeds, 0);
        let streets = &city.streets;
        let stop_nodes: Vec<Option<(u32, f64)>> = empty
            .stops
            .iter()
            .map(|s| streets.nearest(s.pos, StreetMode::Walk, MAX_STOP_CONNECTOR_M))
            .collect();
        let stop_bike_nodes = empty
            .stops
            .iter()
            .map(|s| streets.nearest(s.pos, StreetMode::Bike, MAX_STOP_CONNECTOR_M))
            .collect();
        let mut at_node: HashMap<u32, Vec<u32>> = HashMap::new();
        for (stop, n) in stop_nodes.iter().enumerate() {
            if let Some((node, _)) = n {
                at_node.entry(*node).or_default().push(stop as u32);
            }
        }
        // Footpaths on the streets: every stop within MAX_FOOTPATH_M of walking.
        let mut search = StreetSearch::default();
        let max_secs = MAX_FOOTPATH_M / WALK_MPS;
        let street_footpaths = stop_nodes
            .iter()
            .map(|n| {
                let (node, connector) = (*n)?;
                search.run(streets, &[(node, connector / WALK_MPS)], StreetMode::Walk, max_secs);
                let mut out = Vec::new();
                for &reached in search.reached() {
                    for &to in at_node.get(&reached).map_or(&[][..], Vec::as_slice) {
                        let (_, c) = stop_nodes[to as usize]?;
                        let secs = search.secs(reached)? + c / WALK_MPS;
                        if secs <= max_secs {
                            out.push((to, secs.ceil() as u32));
                        }
                    }
                }
                Some(out)
            })
            .collect();
        // The dates every feed covers (or, where they share none, any covers).
        let ranges: Vec<(u32, u32)> = feeds
            .iter()
            .filter_map(|feed| {
                let dates = feed
                    .calendars
                    .values()
                    .flat_map(|c| [c.start, c.end])
                    .chain(feed.calendar_dates.iter().filter(|d| d.2).map(|d| d.1));
                let (lo, hi) = dates.fold((u32::MAX, 0), |(lo, hi), d| (lo.min(d), hi.max(d)));
                (lo <= hi).then_some((lo, hi))
            })
            .collect();
        let (mut first, mut last) = ranges.iter().fold((0, u32::MAX), |(a, b), r| (a.max(r.0), b.min(r.1)));
        if first > last {
            (first, last) = ranges.iter().fold((u32::MAX, 0), |(a, b), r| (a.min(r.0), b.max(r.1)));
        }
        info!(
            feeds = feeds.len(),
            stops = stop_nodes.len(),
            on_streets = stop_nodes.iter().filter(|n| n.is_some()).count(),
            first,
            last,
            "Transit network ready."
        );
        TransitNetwork {
            feeds,
            utc_offset_s,
            stop_nodes,
            stop_bike_nodes,
            street_footpaths,
            service_range: (first, last),
            delays: RwLock::new(Delays::default()),
            days: Mutex::new(Vec::new()),
        }
    }

    /// The bundled Porto Alegre feeds (EPTC buses, Trensurb metro-rail at
    /// its flat fare) on `city`'s streets.
    pub fn porto_alegre(city: &City) -> Result<TransitNetwork, FeedError> {
        let bus = Feed::from_zip_bytes(PORTO_ALEGRE_BUS_GTFS, "eptc", "poa_eptc_gtfs.zip (bundled)")?;
        let mut rail =
            Feed::from_zip_bytes(PORTO_ALEGRE_RAIL_GTFS, "trensurb", "poa_trensurb_gtfs.zip (bundled)")?;
        rail.default_fare = Some(TRENSURB_FARE_CENTAVOS);
        Ok(TransitNetwork::new(vec![bus, rail], city, PORTO_ALEGRE_UTC_OFFSET_S))
    }

    /// The feeds.
    pub fn feeds(&self) -> &[Feed] {
        &self.feeds
    }

    /// The date whose timetable serves `date`: itself inside the feeds'
    /// range, else the nearest date of the same weekday inside it.
    pub fn timetable_date(&self, date: u32) -> u32 {
        let (first, last) = self.service_range;
        if first > last || (first..=last).contains(&date) {
            return date;
        }
        let (d, f, l) = (gtfs::day_number(date), gtfs::day_number(first), gtfs::day_number(last));
        // Whole weeks towards the range, landing inside it.
        let weeks = if date > last { (l - d).div_euclid(7) } else { (f - d + 6).div_euclid(7) };
        gtfs::add_days(date, weeks * 7)
    }

    /// The timetable for `date` (`YYYYMMDD`), with the realtime delays known.
    pub fn day(&self, date: u32) -> Arc<Day> {
        let mut days = self.days.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = days.iter().find(|d| d.date == date) {
            return d.clone();
        }
        let timetable_date = self.timetable_date(date);
        let delays = self.delays.read().unwrap_or_else(|e| e.into_inner());
        let mut timetable = Timetable::build_with(&self.feeds, timetable_date, &delays);
        timetable.set_street_footpaths(self.street_footpaths.clone());
        let search = Mutex::new(McRaptor::new(&timetable));
        let day = Arc::new(Day { date, timetable_date, timetable, search });
        if days.len() >= DAYS_KEPT {
            days.remove(0);
        }
        days.push(day.clone());
        day
    }

    /// Applies a GTFS-Realtime message to the feed named `feed` for `date`:
    /// later queries of that day plan with the new times.
    pub fn apply_realtime(&self, feed: &str, date: u32, message: &FeedMessage) -> Option<RealtimeReport> {
        let static_feed = self.feeds.iter().find(|f| f.name == feed)?;
        let report = {
            let mut delays = self.delays.write().unwrap_or_else(|e| e.into_inner());
            realtime::apply(&mut delays, message, static_feed, date, self.utc_offset_s)
        };
        // Rebuilt on next use.
        self.days.lock().unwrap_or_else(|e| e.into_inner()).retain(|d| d.timetable_date != date);
        info!(feed, date, matched = report.matched, unmatched = report.unmatched_count, "Realtime applied.");
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_feeds_fall_back_to_the_same_weekday() {
        let city = City::porto_alegre();
        let net = TransitNetwork::porto_alegre(&city).unwrap();
        // EPTC runs 15 April to 15 July 2019, Trensurb all of 2019 from March.
        assert_eq!(net.service_range, (20_190_415, 20_190_715));
        // Inside: itself.
        assert_eq!(net.timetable_date(20_190_507), 20_190_507);
        // 22 November 2026 is a Sunday; the last Sunday both feeds cover is 14 July 2019.
        let d = net.timetable_date(20_261_122);
        assert_eq!(d, 20_190_714);
        assert_eq!(gtfs::weekday(d), gtfs::weekday(20_261_122));
        // 1 January 2018 was a Monday, as was 15 April 2019.
        assert_eq!(net.timetable_date(20_180_101), 20_190_415);
        // Most stops lie on the extract's streets, and footpaths follow them.
        let on = net.stop_nodes.iter().filter(|n| n.is_some()).count();
        assert!(on > 2_000, "{on} stops on the streets");
        let day = net.day(20_190_507);
        assert!(day.timetable.trip_count > 1_000);
        assert!(day.timetable.patterns.iter().any(|p| p.fare == Some(470)));
        assert!(day.timetable.patterns.iter().any(|p| p.fare == Some(450)));
    }
}
