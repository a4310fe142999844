//! GTFS static import: stops, routes, trips, stop times, calendars,
//! calendar dates, frequencies, transfers and fares (`fare_attributes.txt`,
//! `fare_rules.txt` by route), from a `.zip` or a directory.
//! A missing required file or column fails the import, naming it; a bad row
//! is skipped and reported with its file, line and field, and the rest of the
//! feed imports.

use omnibus_core::LatLon;
use omnibus_core::units::{civil_from_days, days_from_civil};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Rows kept in a report's sample of skipped rows.
pub const SKIPPED_SAMPLE: usize = 100;

/// A problem with a feed: which file, line and field, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct FeedError {
    /// The file inside the feed (`stop_times.txt`), or the feed itself.
    pub file: String,
    /// 1-based line (0 when the problem is the whole file).
    pub line: u64,
    /// The column at fault (or `file`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn err(file: &str, line: u64, field: &str, reason: impl Into<String>) -> FeedError {
    FeedError { file: file.to_owned(), line, field: field.to_owned(), reason: reason.into() }
}

/// What an import read and what it skipped.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    /// Rows read per file.
    pub rows: Vec<(String, usize)>,
    /// Rows skipped in all.
    pub skipped: usize,
    /// The first [`SKIPPED_SAMPLE`] skipped rows and why.
    pub sample: Vec<FeedError>,
}

impl ImportReport {
    fn skip(&mut self, e: FeedError) {
        self.skipped += 1;
        if self.sample.len() < SKIPPED_SAMPLE {
            self.sample.push(e);
        }
    }
}

/// A stop or station.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    /// `stop_id`.
    pub id: String,
    /// `stop_name`.
    pub name: String,
    /// Where.
    pub pos: LatLon,
    /// `location_type` (0 stop, 1 station, …).
    pub location_type: u8,
    /// `parent_station`.
    pub parent: Option<String>,
    /// `wheelchair_boarding`: 0 unknown, 1 possible, 2 not possible.
    pub wheelchair: u8,
}

/// A route.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// `route_id`.
    pub id: String,
    /// `route_short_name` (or the long name).
    pub name: String,
    /// `route_type` (0 tram, 1 subway, 2 rail, 3 bus, …).
    pub route_type: u16,
    /// `agency_id` (empty when the feed has one agency and leaves it out).
    pub agency: String,
    /// The fare of one ride, in minor units of the feed's currency, from
    /// `fare_rules.txt` (the cheapest fare naming the route) or else the
    /// agency's only fare; `None` where the feed gives none.
    pub fare: Option<i64>,
}

/// A trip.
#[derive(Clone, Debug, PartialEq)]
pub struct Trip {
    /// `trip_id`.
    pub id: String,
    /// Index into [`Feed::routes`].
    pub route: u32,
    /// `service_id`.
    pub service: String,
    /// `wheelchair_accessible`: 0 unknown, 1 yes, 2 no.
    pub wheelchair: u8,
    /// `bikes_allowed`: 0 unknown, 1 yes, 2 no.
    pub bikes: u8,
}

/// A fare product (`fare_attributes.txt`).
#[derive(Clone, Debug, PartialEq)]
pub struct Fare {
    /// `fare_id`.
    pub id: String,
    /// `price` in minor units (cents, centavos).
    pub price: i64,
    /// `currency_type` (ISO 4217).
    pub currency: String,
    /// `agency_id` (empty: any).
    pub agency: String,
}

/// Parses a price such as `4.7` or `2.50` into minor units (at most two
/// decimals), without going through floating point.
pub fn parse_price(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok().filter(|w: &i64| *w >= 0)? };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

fn flag(rec: &csv::StringRecord, i: Option<usize>) -> u8 {
    match get(rec, i) {
        "1" => 1,
        "2" => 2,
        _ => 0,
    }
}

/// One call of a trip at a stop; times in seconds after midnight of the
/// service day (may pass 24:00), absent where the feed leaves them empty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopTime {
    /// Index into [`Feed::trips`].
    pub trip: u32,
    /// Index into [`Feed::stops`].
    pub stop: u32,
    /// `stop_sequence`.
    pub sequence: u32,
    /// `arrival_time`.
    pub arrival: Option<u32>,
    /// `departure_time`.
    pub departure: Option<u32>,
}

/// A weekly service pattern (`calendar.txt`).
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    /// Monday..Sunday.
    pub days: [bool; 7],
    /// First date, `YYYYMMDD`.
    pub start: u32,
    /// Last date, `YYYYMMDD`.
    pub end: u32,
}

/// Trips of a template trip every `headway` seconds (`frequencies.txt`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frequency {
    /// Index into [`Feed::trips`].
    pub trip: u32,
    /// First departure, seconds.
    pub start: u32,
    /// Departures before this, seconds.
    pub end: u32,
    /// Seconds between departures.
    pub headway: u32,
}

/// A GTFS feed.
#[derive(Clone, Debug, Default)]
pub struct Feed {
    /// A short name, used to keep ids of several feeds apart.
    pub name: String,
    /// Stops.
    pub stops: Vec<Stop>,
    /// Routes.
    pub routes: Vec<Route>,
    /// Trips.
    pub trips: Vec<Trip>,
    /// Stop times, in file order.
    pub stop_times: Vec<StopTime>,
    /// Calendars by `service_id`.
    pub calendars: HashMap<String, Calendar>,
    /// `(service_id, date, added)` exceptions.
    pub calendar_dates: Vec<(String, u32, bool)>,
    /// Frequencies.
    pub frequencies: Vec<Frequency>,
    /// `(from, to, min_transfer_time s)` from `transfers.txt` (type 2, or
    /// types 0/1 with no time).
    pub transfers: Vec<(u32, u32, u32)>,
    /// Fare products.
    pub fares: Vec<Fare>,
    /// The fare of a ride on a route the feed prices nowhere, in minor units;
    /// set by the city's configuration, not read from the feed.
    pub default_fare: Option<i64>,
    /// What the import read and skipped.
    pub report: ImportReport,
}

/// Parses `HH:MM:SS` (hours may pass 24) to seconds.
pub fn parse_time(s: &str) -> Option<u32> {
    let mut parts = s.trim().split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let sec: u32 = parts.next()?.parse().ok()?;
    (parts.next().is_none() && m < 60 && sec < 61 && h < 200).then_some(h * 3_600 + m * 60 + sec)
}

/// Parses `YYYYMMDD`.
pub fn parse_date(s: &str) -> Option<u32> {
    let d: u32 = s.trim().parse().ok()?;
    let (m, day) = (d / 100 % 100, d % 100);
    (s.trim().len() == 8 && (1..=12).contains(&m) && (1..=31).contains(&day)).then_some(d)
}

/// Day of the week of `YYYYMMDD`, 0 = Monday (1970-01-01 was a Thursday).
pub fn weekday(date: u32) -> usize {
    (day_number(date) + 3).rem_euclid(7) as usize
}

/// Days from 1 January 1970 to `date` (`YYYYMMDD`).
pub fn day_number(date: u32) -> i64 {
    days_from_civil(i64::from(date / 10_000), i64::from(date / 100 % 100), i64::from(date % 100))
}

/// The date `days` after `date`.
pub fn add_days(date: u32, days: i64) -> u32 {
    let (y, m, d) = civil_from_days(day_number(date) + days);
    (y * 10_000 + m * 100 + d) as u32
}

enum Source<'a> {
    Dir(std::path::PathBuf),
    Zip(zip::ZipArchive<std::fs::File>),
    Bytes(zip::ZipArchive<std::io::Cursor<&'a [u8]>>),
}

impl Source<'_> {
    fn read(&mut self, file: &str) -> Result<Option<String>, FeedError> {
        let mut text = String::new();
        match self {
            Source::Dir(dir) => {
                let path = dir.join(file);
                if !path.exists() {
                    return Ok(None);
                }
                std::fs::File::open(&path)
                    .and_then(|mut f| f.read_to_string(&mut text))
                    .map_err(|e| err(file, 0, "file", e.to_string()))?;
            }
            Source::Zip(z) => {
                if !read_zipped(z, file, &mut text)? {
                    return Ok(None);
                }
            }
            Source::Bytes(z) => {
                if !read_zipped(z, file, &mut text)? {
                    return Ok(None);
                }
            }
        }
        // A UTF-8 byte-order mark is common in the wild.
        Ok(Some(text.trim_start_matches('\u{feff}').to_owned()))
    }
}

/// Reads `file` from a zip archive into `text`; false when it is not there.
fn read_zipped<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    file: &str,
    text: &mut String,
) -> Result<bool, FeedError> {
    match archive.by_name(file) {
        Ok(mut f) => {
            f.read_to_string(text).map_err(|e| err(file, 0, "file", e.to_string()))?;
            Ok(true)
        }
        Err(zip::result::ZipError::FileNotFound) => Ok(false),
        Err(e) => Err(err(file, 0, "file", e.to_string())),
    }
}

/// One CSV file's header and rows.
struct Table<'a> {
    file: &'a str,
    columns: HashMap<String, usize>,
    reader: csv::Reader<&'a [u8]>,
    /// Rows that could not be read at all.
    unreadable: Vec<FeedError>,
}

impl<'a> Table<'a> {
    fn new(file: &'a str, text: &'a str) -> Result<Table<'a>, FeedError> {
        let mut reader =
            csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| err(file, 1, "header", e.to_string()))?.clone();
        let columns = headers.iter().enumerate().map(|(i, h)| (h.to_owned(), i)).collect();
        Ok(Table { file, columns, reader, unreadable: Vec::new() })
    }

    fn require(&self, column: &str) -> Result<usize, FeedError> {
        self.columns
            .get(column)
            .copied()
            .ok_or_else(|| err(self.file, 1, column, "required column is missing"))
    }

    fn column(&self, column: &str) -> Option<usize> {
        self.columns.get(column).copied()
    }

    /// Every readable row with its line number; unreadable rows are kept in
    /// `unreadable`.
    fn rows(&mut self) -> impl Iterator<Item = (u64, csv::StringRecord)> + '_ {
        let (file, unreadable) = (self.file, &mut self.unreadable);
        self.reader.records().filter_map(move |r| match r {
            Ok(rec) => Some((rec.position().map_or(0, |p| p.line()), rec)),
            Err(e) => {
                unreadable.push(err(file, e.position().map_or(0, |p| p.line()), "row", e.to_string()));
                None
            }
        })
    }
}

fn get(rec: &csv::StringRecord, i: Option<usize>) -> &str {
    i.and_then(|i| rec.get(i)).unwrap_or("")
}

impl Feed {
    /// Imports the feed at `path` (a `.zip` or a directory); `name` keeps its
    /// ids apart from other feeds'.
    pub fn load(path: &Path, name: &str) -> Result<Feed, FeedError> {
        let source = if path.is_dir() {
            Source::Dir(path.to_owned())
        } else {
            let file = std::fs::File::open(path)
                .map_err(|e| err(&path.display().to_string(), 0, "file", e.to_string()))?;
            Source::Zip(
                zip::ZipArchive::new(file)
                    .map_err(|e| err(&path.display().to_string(), 0, "file", format!("not a zip: {e}")))?,
            )
        };
        Feed::from_source(source, name)
    }

    /// Imports a zipped feed held in memory; `label` names it in errors.
    pub fn from_zip_bytes(bytes: &[u8], name: &str, label: &str) -> Result<Feed, FeedError> {
        let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| err(label, 0, "file", format!("not a zip: {e}")))?;
        Feed::from_source(Source::Bytes(archive), name)
    }

    fn from_source(mut src: Source<'_>, name: &str) -> Result<Feed, FeedError> {
        let mut feed = Feed { name: name.to_owned(), ..Feed::default() };
        let required = |src: &mut Source, file: &str| {
            src.read(file)?.ok_or_else(|| err(file, 0, "file", "required file is missing"))
        };
        // Stops.
        let text = required(&mut src, "stops.txt")?;
        let mut t = Table::new("stops.txt", &text)?;
        let (id, lat, lon) = (t.require("stop_id")?, t.column("stop_lat"), t.column("stop_lon"));
        let (nm, lt, parent) = (t.column("stop_name"), t.column("location_type"), t.column("parent_station"));
        let wheelchair = t.column("wheelchair_boarding");
        let mut stop_index: HashMap<String, u32> = HashMap::new();
        let mut bad = Vec::new();
        for (line, rec) in t.rows() {
            let sid = get(&rec, Some(id)).to_owned();
            let location_type: u8 = match get(&rec, lt) {
                "" => 0,
                v => match v.parse() {
                    Ok(t) => t,
                    Err(_) => {
                        bad.push(err(
                            "stops.txt",
                            line,
                            "location_type",
                            format!("{v:?} is not a location type"),
                        ));
                        continue;
                    }
                },
            };
            let coord = |i: Option<usize>, field: &str, max: f64| -> Result<f64, FeedError> {
                let v: f64 = get(&rec, i).parse().map_err(|_| {
                    err("stops.txt", line, field, format!("{:?} is not a number", get(&rec, i)))
                })?;
                if v.is_finite() && v.abs() <= max {
                    Ok(v)
                } else {
                    Err(err("stops.txt", line, field, format!("{v} is out of range")))
                }
            };
            if sid.is_empty() {
                bad.push(err("stops.txt", line, "stop_id", "is empty"));
                continue;
            }
            // Stops without coordinates cannot be routed to: skipped and reported.
            let pos = match (coord(lat, "stop_lat", 90.0), coord(lon, "stop_lon", 180.0)) {
                (Ok(a), Ok(b)) => LatLon::new(a, b),
                (Err(e), _) | (_, Err(e)) => {
                    bad.push(e);
                    continue;
                }
            };
            if stop_index.insert(sid.clone(), feed.stops.len() as u32).is_some() {
                bad.push(err("stops.txt", line, "stop_id", format!("{sid:?} appears twice")));
                continue;
            }
            let parent = Some(get(&rec, parent).to_owned()).filter(|p| !p.is_empty());
            let wheelchair = flag(&rec, wheelchair);
            let name = get(&rec, nm).to_owned();
            feed.stops.push(Stop { id: sid, name, pos, location_type, parent, wheelchair });
        }
        feed.counted(&mut t, feed.stops.len(), &mut bad);

        // Routes.
        let text = required(&mut src, "routes.txt")?;
        let mut t = Table::new("routes.txt", &text)?;
        let (id, short, long, rt) = (
            t.require("route_id")?,
            t.column("route_short_name"),
            t.column("route_long_name"),
            t.require("route_type")?,
        );
        let agency = t.column("agency_id");
        let mut route_index: HashMap<String, u32> = HashMap::new();
        for (line, rec) in t.rows() {
            let Ok(route_type) = get(&rec, Some(rt)).parse::<u16>() else {
                bad.push(err(
                    "routes.txt",
                    line,
                    "route_type",
                    format!("{:?} is not a route type", get(&rec, Some(rt))),
                ));
                continue;
            };
            let rid = get(&rec, Some(id)).to_owned();
            let name = Some(get(&rec, short)).filter(|s| !s.is_empty()).unwrap_or(get(&rec, long)).to_owned();
            if route_index.insert(rid.clone(), feed.routes.len() as u32).is_some() {
                bad.push(err("routes.txt", line, "route_id", format!("{rid:?} appears twice")));
                continue;
            }
            let agency = get(&rec, agency).to_owned();
            feed.routes.push(Route { id: rid, name, route_type, agency, fare: None });
        }
        feed.counted(&mut t, feed.routes.len(), &mut bad);

        // Trips.
        let text = required(&mut src, "trips.txt")?;
        let mut t = Table::new("trips.txt", &text)?;
        let (rid, sid, tid) = (t.require("route_id")?, t.require("service_id")?, t.require("trip_id")?);
        let (wheelchair, bikes) = (t.column("wheelchair_accessible"), t.column("bikes_allowed"));
        let mut trip_index: HashMap<String, u32> = HashMap::new();
        for (line, rec) in t.rows() {
            let Some(route) = route_index.get(get(&rec, Some(rid))).copied() else {
                bad.push(err(
                    "trips.txt",
                    line,
                    "route_id",
                    format!("{:?} is not in routes.txt", get(&rec, Some(rid))),
                ));
                continue;
            };
            let id = get(&rec, Some(tid)).to_owned();
            if trip_index.insert(id.clone(), feed.trips.len() as u32).is_some() {
                bad.push(err("trips.txt", line, "trip_id", format!("{id:?} appears twice")));
                continue;
            }
            feed.trips.push(Trip {
                id,
                route,
                service: get(&rec, Some(sid)).to_owned(),
                wheelchair: flag(&rec, wheelchair),
                bikes: flag(&rec, bikes),
            });
        }
        feed.counted(&mut t, feed.trips.len(), &mut bad);

        // Stop times.
        let text = required(&mut src, "stop_times.txt")?;
        let mut t = Table::new("stop_times.txt", &text)?;
        let (tid, arr, dep, sid, seq) = (
            t.require("trip_id")?,
            t.require("arrival_time")?,
            t.require("departure_time")?,
            t.require("stop_id")?,
            t.require("stop_sequence")?,
        );
        for (line, rec) in t.rows() {
            let e = |field: &str, reason: String| err("stop_times.txt", line, field, reason);
            let Some(trip) = trip_index.get(get(&rec, Some(tid))).copied() else {
                bad.push(e("trip_id", format!("{:?} is not in trips.txt", get(&rec, Some(tid)))));
                continue;
            };
            let Some(stop) = stop_index.get(get(&rec, Some(sid))).copied() else {
                bad.push(e("stop_id", format!("{:?} is not in stops.txt", get(&rec, Some(sid)))));
                continue;
            };
            let Ok(sequence) = get(&rec, Some(seq)).parse::<u32>() else {
                bad.push(e("stop_sequence", format!("{:?} is not a whole number", get(&rec, Some(seq)))));
                continue;
            };
            let time = |i: usize, field: &str| -> Result<Option<u32>, FeedError> {
                let s = get(&rec, Some(i));
                if s.is_empty() {
                    return Ok(None);
                }
                parse_time(s).map(Some).ok_or_else(|| e(field, format!("{s:?} is not HH:MM:SS")))
            };
            match (time(arr, "arrival_time"), time(dep, "departure_time")) {
                (Ok(a), Ok(d)) => feed.stop_times.push(StopTime {
                    trip,
                    stop,
                    sequence,
                    arrival: a.or(d),
                    departure: d.or(a),
                }),
                (Err(x), _) | (_, Err(x)) => bad.push(x),
            }
        }
        feed.counted(&mut t, feed.stop_times.len(), &mut bad);

        // Calendars (one of the two files is required).
        let calendar = src.read("calendar.txt")?;
        let dates = src.read("calendar_dates.txt")?;
        if calendar.is_none() && dates.is_none() {
            return Err(err(
                "calendar.txt",
                0,
                "file",
                "neither calendar.txt nor calendar_dates.txt is present",
            ));
        }
        if let Some(text) = &calendar {
            let mut t = Table::new("calendar.txt", text)?;
            let sid = t.require("service_id")?;
            let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
            let mut cols = [0usize; 7];
            for (i, n) in names.iter().enumerate() {
                cols[i] = t.require(n)?;
            }
            let (start, end) = (t.require("start_date")?, t.require("end_date")?);
            let mut n = 0;
            for (line, rec) in t.rows() {
                let mut days = [false; 7];
                let mut day_error = None;
                for (i, c) in cols.iter().enumerate() {
                    match get(&rec, Some(*c)) {
                        "1" => days[i] = true,
                        "0" => {}
                        v => {
                            day_error =
                                Some(err("calendar.txt", line, names[i], format!("{v:?} is not 0 or 1")))
                        }
                    }
                }
                if let Some(e) = day_error {
                    bad.push(e);
                    continue;
                }
                match (parse_date(get(&rec, Some(start))), parse_date(get(&rec, Some(end)))) {
                    (Some(s), Some(e)) => {
                        let service = get(&rec, Some(sid)).to_owned();
                        if feed
                            .calendars
                            .insert(service.clone(), Calendar { days, start: s, end: e })
                            .is_some()
                        {
                            bad.push(err(
                                "calendar.txt",
                                line,
                                "service_id",
                                format!("{service:?} appears twice; the last row counts"),
                            ));
                        }
                        n += 1;
                    }
                    (None, _) => bad.push(err("calendar.txt", line, "start_date", "is not YYYYMMDD")),
                    (_, None) => bad.push(err("calendar.txt", line, "end_date", "is not YYYYMMDD")),
                }
            }
            feed.counted(&mut t, n, &mut bad);
        }
        if let Some(text) = &dates {
            let mut t = Table::new("calendar_dates.txt", text)?;
            let (sid, date, kind) =
                (t.require("service_id")?, t.require("date")?, t.require("exception_type")?);
            for (line, rec) in t.rows() {
                let Some(d) = parse_date(get(&rec, Some(date))) else {
                    bad.push(err("calendar_dates.txt", line, "date", "is not YYYYMMDD"));
                    continue;
                };
                let added = match get(&rec, Some(kind)) {
                    "1" => true,
                    "2" => false,
                    other => {
                        bad.push(err(
                            "calendar_dates.txt",
                            line,
                            "exception_type",
                            format!("{other:?} is not 1 or 2"),
                        ));
                        continue;
                    }
                };
                feed.calendar_dates.push((get(&rec, Some(sid)).to_owned(), d, added));
            }
            feed.counted(&mut t, feed.calendar_dates.len(), &mut bad);
        }
        if let Some(text) = src.read("frequencies.txt")? {
            let mut t = Table::new("frequencies.txt", &text)?;
            let (tid, start, end, hw) = (
                t.require("trip_id")?,
                t.require("start_time")?,
                t.require("end_time")?,
                t.require("headway_secs")?,
            );
            for (line, rec) in t.rows() {
                let e = |field: &str, reason: &str| err("frequencies.txt", line, field, reason);
                let Some(trip) = trip_index.get(get(&rec, Some(tid))).copied() else {
                    bad.push(e("trip_id", "is not in trips.txt"));
                    continue;
                };
                let (Some(s), Some(en)) =
                    (parse_time(get(&rec, Some(start))), parse_time(get(&rec, Some(end))))
                else {
                    bad.push(e("start_time", "start_time or end_time is not HH:MM:SS"));
                    continue;
                };
                match get(&rec, Some(hw)).parse::<u32>() {
                    Ok(_) if en <= s => bad.push(e("end_time", "is not after start_time")),
                    Ok(h) if h > 0 => {
                        feed.frequencies.push(Frequency { trip, start: s, end: en, headway: h })
                    }
                    _ => bad.push(e("headway_secs", "is not a positive whole number")),
                }
            }
            feed.counted(&mut t, feed.frequencies.len(), &mut bad);
        }
        if let Some(text) = src.read("transfers.txt")? {
            let mut t = Table::new("transfers.txt", &text)?;
            let (from, to) = (t.require("from_stop_id")?, t.require("to_stop_id")?);
            let (kind, min) = (t.column("transfer_type"), t.column("min_transfer_time"));
            for (line, rec) in t.rows() {
                let (Some(a), Some(b)) =
                    (stop_index.get(get(&rec, Some(from))), stop_index.get(get(&rec, Some(to))))
                else {
                    bad.push(err("transfers.txt", line, "from_stop_id", "a stop is not in stops.txt"));
                    continue;
                };
                // Type 3 forbids the transfer; others allow it after the minimum time.
                let secs = match get(&rec, min) {
                    "" => 0,
                    v => match v.parse() {
                        Ok(t) => t,
                        Err(_) => {
                            bad.push(err(
                                "transfers.txt",
                                line,
                                "min_transfer_time",
                                format!("{v:?} is not a whole number of seconds"),
                            ));
                            continue;
                        }
                    },
                };
                if get(&rec, kind) != "3" {
                    feed.transfers.push((*a, *b, secs));
                }
            }
            feed.counted(&mut t, feed.transfers.len(), &mut bad);
        }
        feed.read_fares(&mut src, &route_index, &mut bad)?;
        Ok(feed)
    }

    /// `fare_attributes.txt` and `fare_rules.txt`: each route gets the
    /// cheapest fare whose rule names it (rules by zone are not modelled),
    /// or else its agency's only fare.
    fn read_fares(
        &mut self,
        src: &mut Source<'_>,
        route_index: &HashMap<String, u32>,
        bad: &mut Vec<FeedError>,
    ) -> Result<(), FeedError> {
        let Some(text) = src.read("fare_attributes.txt")? else {
            return Ok(());
        };
        let mut t = Table::new("fare_attributes.txt", &text)?;
        let (id, price, currency) = (t.require("fare_id")?, t.require("price")?, t.require("currency_type")?);
        let agency = t.column("agency_id");
        let mut fare_index: HashMap<String, usize> = HashMap::new();
        for (line, rec) in t.rows() {
            let Some(p) = parse_price(get(&rec, Some(price))) else {
                bad.push(err(
                    "fare_attributes.txt",
                    line,
                    "price",
                    format!("{:?} is not a price with at most two decimals", get(&rec, Some(price))),
                ));
                continue;
            };
            let fid = get(&rec, Some(id)).to_owned();
            if fare_index.insert(fid.clone(), self.fares.len()).is_some() {
                bad.push(err("fare_attributes.txt", line, "fare_id", format!("{fid:?} appears twice")));
                continue;
            }
            self.fares.push(Fare {
                id: fid,
                price: p,
                currency: get(&rec, Some(currency)).to_owned(),
                agency: get(&rec, agency).to_owned(),
            });
        }
        self.counted(&mut t, self.fares.len(), bad);
        let mut ruled = false;
        if let Some(text) = src.read("fare_rules.txt")? {
            let mut t = Table::new("fare_rules.txt", &text)?;
            let (fid, rid) = (t.require("fare_id")?, t.column("route_id"));
            let mut n = 0;
            for (line, rec) in t.rows() {
                let Some(&f) = fare_index.get(get(&rec, Some(fid))) else {
                    bad.push(err("fare_rules.txt", line, "fare_id", "is not in fare_attributes.txt"));
                    continue;
                };
                n += 1;
                let route = get(&rec, rid);
                if route.is_empty() {
                    continue;
                }
                let Some(&r) = route_index.get(route) else {
                    bad.push(err(
                        "fare_rules.txt",
                        line,
                        "route_id",
                        format!("{route:?} is not in routes.txt"),
                    ));
                    continue;
                };
                ruled = true;
                let price = self.fares[f].price;
                let slot = &mut self.routes[r as usize].fare;
                *slot = Some(slot.map_or(price, |p| p.min(price)));
            }
            self.counted(&mut t, n, bad);
        }
        for route in &mut self.routes {
            if route.fare.is_none() && !ruled {
                let mut fares = self.fares.iter().filter(|f| f.agency.is_empty() || f.agency == route.agency);
                if let (Some(f), None) = (fares.next(), fares.next()) {
                    route.fare = Some(f.price);
                }
            }
        }
        Ok(())
    }

    /// The fare of a ride on `route`: the feed's, else the configured default.
    pub fn route_fare(&self, route: u32) -> Option<i64> {
        self.routes[route as usize].fare.or(self.default_fare)
    }

    /// Records a file's row count and its skipped rows, in line order.
    fn counted(&mut self, table: &mut Table<'_>, rows: usize, bad: &mut Vec<FeedError>) {
        self.report.rows.push((table.file.to_owned(), rows));
        bad.append(&mut table.unreadable);
        bad.sort_by_key(|e| e.line);
        for e in bad.drain(..) {
            self.report.skip(e);
        }
    }

    /// Whether service `service` runs on `date` (`YYYYMMDD`).
    pub fn runs(&self, service: &str, date: u32) -> bool {
        let mut on = self
            .calendars
            .get(service)
            .is_some_and(|c| c.start <= date && date <= c.end && c.days[weekday(date)]);
        for (s, d, added) in &self.calendar_dates {
            if *d == date && s == service {
                on = *added;
            }
        }
        on
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_by_hand() {
        assert_eq!(parse_time("25:10:05"), Some(90_605));
        assert_eq!(parse_time(" 7:00:00"), Some(25_200));
        assert_eq!(parse_time("7:60:00"), None);
        assert_eq!(parse_date("20190415"), Some(20_190_415));
        assert_eq!(parse_date("2019-04-15"), None);
        // 2019-04-15 was a Monday, 2026-11-22 a Sunday.
        assert_eq!(weekday(20_190_415), 0);
        assert_eq!(weekday(20_261_122), 6);
        assert_eq!(add_days(20_191_231, 1), 20_200_101);
        assert_eq!(add_days(20_200_228, 1), 20_200_229);
    }

    #[test]
    fn prices_by_hand() {
        assert_eq!(parse_price("4.7"), Some(470));
        assert_eq!(parse_price("2.50"), Some(250));
        assert_eq!(parse_price("3"), Some(300));
        assert_eq!(parse_price(".5"), Some(50));
        assert_eq!(parse_price("1.005"), None);
        assert_eq!(parse_price("-1"), None);
        assert_eq!(parse_price("abc"), None);
        assert_eq!(parse_price(""), None);
    }
}
