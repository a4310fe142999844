//! GBFS (General Bikeshare Feed Specification) import: `station_information.json`
//! and `station_status.json`, versions 2.x and 3.x.
//!
//! A file that is not JSON, or has no `data.stations` list, is refused with an
//! error naming the file (and the line, where JSON says). A station with a bad
//! or missing field is skipped and reported with its line and field; the rest
//! import. A repeated `station_id` keeps the first record and reports the later
//! ones. Both versions' spellings are read: a name as a string (2.x) or as
//! localized texts (3.x), flags as `0`/`1` or booleans, `num_bikes_available`
//! (2.x) or `num_vehicles_available` (3.x), and `last_reported` as POSIX
//! seconds (2.x) or an RFC 3339 time (3.x).

use crate::geo_util::LatLon;
use crate::registry::Site;
use crate::units::EventTime;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest GBFS file read, bytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Why a GBFS file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum GbfsError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("{file}: {bytes} bytes is more than the {max} a GBFS file may have")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The file is not JSON, or has no `data.stations` list.
    #[error("{file} line {line}: {message}")]
    Format {
        /// The file.
        file: String,
        /// Line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A station record that was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Line where the record starts.
    pub line: usize,
    /// Its `station_id`, when it has one.
    pub station_id: Option<String>,
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.station_id {
            write!(f, " (station {id})")?;
        }
        write!(f, ": field {}: {}", self.field, self.reason)
    }
}

/// What a file gave: its records in file order, and those it skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported<T> {
    /// The records imported, in file order.
    pub records: Vec<T>,
    /// The records skipped, with why.
    pub skipped: Vec<Skipped>,
    /// The feed's `last_updated`, when given.
    pub last_updated: Option<EventTime>,
}

/// One station from `station_information.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct StationInformation {
    /// `station_id`.
    pub id: String,
    /// `name` (the first text of 3.x's localized names).
    pub name: String,
    /// `lat`, `lon`.
    pub pos: LatLon,
    /// `capacity`, when given.
    pub capacity: Option<u32>,
}

/// One station from `station_status.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationStatus {
    /// `station_id`.
    pub id: String,
    /// `num_bikes_available` (2.x) or `num_vehicles_available` (3.x).
    pub bikes_available: u32,
    /// `num_docks_available` (0 when not given).
    pub docks_available: u32,
    /// `is_installed`, `is_renting` and `is_returning` all true.
    pub in_service: bool,
    /// `last_reported`, when given.
    pub last_reported: Option<EventTime>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Option<Data<'a>>,
    last_updated: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    stations: Option<Vec<&'a RawValue>>,
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// A file's stations, each with its line, and its `last_updated`.
type Stations = (Vec<(usize, Value)>, Option<EventTime>);

/// The stations of a GBFS file, each with its line.
fn stations<'a>(text: &'a str, file: &str) -> Result<Stations, GbfsError> {
    let format = |line: usize, message: String| GbfsError::Format { file: file.to_owned(), line, message };
    let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|e| format(e.line(), e.to_string()))?;
    let stations = envelope.data.and_then(|d| d.stations).ok_or_else(|| {
        format(1, "no data.stations list: is this a station_information or station_status file?".into())
    })?;
    let last_updated = envelope
        .last_updated
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .and_then(|v| time(&v).ok());
    let mut out = Vec::with_capacity(stations.len());
    for raw in stations {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let value: Value =
            serde_json::from_str(raw.get()).map_err(|e| format(line_of(text, offset), e.to_string()))?;
        out.push((line_of(text, offset), value));
    }
    Ok((out, last_updated))
}

/// Reads each station with `read`, keeping the first of each `station_id`.
fn import<T>(
    text: &str,
    file: &str,
    read: impl Fn(&str, &Value) -> Result<T, (&'static str, String)>,
) -> Result<Imported<T>, GbfsError> {
    let (stations, last_updated) = stations(text, file)?;
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    let mut imported = Imported { records: Vec::new(), skipped: Vec::new(), last_updated };
    for (line, value) in stations {
        let id = match value.get("station_id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            other => {
                let reason = match other {
                    None => "missing".to_owned(),
                    Some(v) => format!("must be a non-empty string, got {v}"),
                };
                imported.skipped.push(Skipped { line, station_id: None, field: "station_id", reason });
                continue;
            }
        };
        if let Some(&first) = first_line.get(&id) {
            imported.skipped.push(Skipped {
                line,
                station_id: Some(id),
                field: "station_id",
                reason: format!("repeats the station first listed at line {first}; the first is kept"),
            });
            continue;
        }
        match read(&id, &value) {
            Ok(record) => {
                first_line.insert(id, line);
                imported.records.push(record);
            }
            Err((field, reason)) => {
                imported.skipped.push(Skipped { line, station_id: Some(id), field, reason })
            }
        }
    }
    Ok(imported)
}

fn number(value: &Value, field: &'static str) -> Result<Option<f64>, (&'static str, String)> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or((field, format!("{n} is not a number"))),
        Some(other) => Err((field, format!("must be a number, got {other}"))),
    }
}

fn count(value: &Value, field: &'static str) -> Result<Option<u32>, (&'static str, String)> {
    match number(value, field)? {
        None => Ok(None),
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Ok(Some(n as u32)),
        Some(n) => Err((field, format!("must be a whole number of at least 0, got {n}"))),
    }
}

fn flag(value: &Value, field: &'static str) -> Result<bool, (&'static str, String)> {
    match value.get(field) {
        // Absent flags default to true, as the specification says.
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
        Some(other) => Err((field, format!("must be true, false, 0 or 1, got {other}"))),
    }
}

/// A POSIX time in seconds or an RFC 3339 time, as an event time.
fn time(value: &Value) -> Result<EventTime, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .and_then(|s| s.checked_mul(1_000))
            .map(EventTime)
            .ok_or_else(|| format!("{n} is not whole POSIX seconds")),
        Value::String(s) => rfc3339(s).ok_or_else(|| format!("{s:?} is not an RFC 3339 time")),
        other => Err(format!("must be POSIX seconds or an RFC 3339 time, got {other}")),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` as milliseconds since the epoch.
pub fn rfc3339(s: &str) -> Option<EventTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, mi, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        ms = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    }
    let offset_s = match s.get(i..)? {
        "Z" | "z" => 0,
        zone if zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':' =>
        {
            let sign = if zone.as_bytes()[0] == b'-' { -1 } else { 1 };
            sign * (digits(i + 1..i + 3)? * 3600 + digits(i + 4..i + 6)? * 60)
        }
        _ => return None,
    };
    let days = crate::units::days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Some(EventTime(secs * 1_000 + ms))
}

fn read_information(id: &str, v: &Value) -> Result<StationInformation, (&'static str, String)> {
    let name = match v.get("name") {
        Some(Value::String(s)) if s.trim().is_empty() => id.to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(texts)) => texts
            .iter()
            .find_map(|t| t.get("text").and_then(Value::as_str))
            .map(str::to_owned)
            .ok_or(("name", "no text among its localized names".to_owned()))?,
        None | Some(Value::Null) => id.to_owned(),
        Some(other) => return Err(("name", format!("must be a string or localized texts, got {other}"))),
    };
    let lat = number(v, "lat")?.ok_or(("lat", "missing".to_owned()))?;
    let lon = number(v, "lon")?.ok_or(("lon", "missing".to_owned()))?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(("lat", format!("must be between -90 and 90, got {lat}")));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(("lon", format!("must be between -180 and 180, got {lon}")));
    }
    Ok(StationInformation {
        id: id.to_owned(),
        name,
        pos: LatLon::new(lat, lon),
        capacity: count(v, "capacity")?,
    })
}

fn read_status(id: &str, v: &Value) -> Result<StationStatus, (&'static str, String)> {
    let (field, bikes) = match count(v, "num_bikes_available")? {
        Some(n) => ("num_bikes_available", Some(n)),
        None => ("num_vehicles_available", count(v, "num_vehicles_available")?),
    };
    let bikes_available = bikes.ok_or((field, "missing (nor num_bikes_available)".to_owned()))?;
    let docks_available = count(v, "num_docks_available")?.unwrap_or(0);
    let in_service = flag(v, "is_installed")? && flag(v, "is_renting")? && flag(v, "is_returning")?;
    let last_reported = match v.get("last_reported") {
        None | Some(Value::Null) => None,
        Some(t) => Some(time(t).map_err(|e| ("last_reported", e))?),
    };
    Ok(StationStatus { id: id.to_owned(), bikes_available, docks_available, in_service, last_reported })
}

/// Parses `station_information.json` text; `file` names it in errors.
pub fn station_information(text: &str, file: &str) -> Result<Imported<StationInformation>, GbfsError> {
    import(text, file, read_information)
}

/// Parses `station_status.json` text; `file` names it in errors.
pub fn station_status(text: &str, file: &str) -> Result<Imported<StationStatus>, GbfsError> {
    import(text, file, read_status)
}

/// Reads a file of at most [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<String, GbfsError> {
    let file = path.display().to_string();
    let bytes = std::fs::metadata(path).map_err(|source| GbfsError::Io { file: file.clone(), source })?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(GbfsError::TooLarge { file, bytes, max: MAX_FILE_BYTES });
    }
    std::fs::read_to_string(path).map_err(|source| GbfsError::Io { file, source })
}

/// A GBFS feed directory's stations and, when the directory has one, their status.
#[derive(Clone, Debug, PartialEq)]
pub struct Feed {
    /// From `station_information.json`.
    pub information: Imported<StationInformation>,
    /// From `station_status.json`, when present.
    pub status: Option<Imported<StationStatus>>,
}

impl Feed {
    /// Reads `station_information.json` and, if present, `station_status.json`
    /// from `dir`.
    pub fn load(dir: &Path) -> Result<Feed, GbfsError> {
        let path = dir.join("station_information.json");
        let information = station_information(&read_file(&path)?, &path.display().to_string())?;
        let path = dir.join("station_status.json");
        let status = if path.exists() {
            Some(station_status(&read_file(&path)?, &path.display().to_string())?)
        } else {
            None
        };
        Ok(Feed { information, status })
    }

    /// The stations as registry sites keyed `gbfs-{station_id}`. A station
    /// without a capacity gets its status's bikes plus docks, else 12 docks.
    pub fn sites(&self) -> BTreeMap<String, Site> {
        let status: BTreeMap<&str, &StationStatus> =
            self.status.iter().flat_map(|s| s.records.iter()).map(|s| (s.id.as_str(), s)).collect();
        self.information
            .records
            .iter()
            .map(|s| {
                let from_status = status.get(s.id.as_str()).map(|t| t.bikes_available + t.docks_available);
                let capacity = s.capacity.or(from_status).unwrap_or(12).max(1);
                (format!("gbfs-{}", s.id), Site { pos: s.pos, capacity, name: Some(s.name.clone()) })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(EventTime(0)));
        assert_eq!(rfc3339("2025-11-05T12:00:00+00:00"), Some(EventTime(1_762_344_000_000)));
        assert_eq!(rfc3339("2025-11-05T13:00:00+01:00"), Some(EventTime(1_762_344_000_000)));
        assert_eq!(rfc3339("2025-11-05T12:00:00.25Z"), Some(EventTime(1_762_344_000_250)));
        assert_eq!(rfc3339("2000-02-29T00:00:00-03:00"), Some(EventTime(951_793_200_000)));
        for bad in
            ["2025-11-05", "2025-13-05T12:00:00Z", "2025-11-05T12:00:00", "2025-11-05T12:00:00+0100", "x"]
        {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_records_are_skipped_with_line_and_field() {
        let text = r#"{"last_updated": 1631517662, "data": {"stations": [
  {"station_id": "a", "name": "A", "lat": 60.1, "lon": 24.9, "capacity": 10},
  {"station_id": "b", "name": "B", "lat": "north", "lon": 24.9},
  {"name": "C", "lat": 60.1, "lon": 24.9},
  {"station_id": "a", "name": "A again", "lat": 60.2, "lon": 24.9},
  {"station_id": "d", "name": [{"text": "Dee", "language": "en"}], "lat": 60.3, "lon": 24.8, "capacity": -1},
  {"station_id": "e", "name": [{"text": "Ee", "language": "fi"}], "lat": 60.3, "lon": 24.8}
]}}"#;
        let got = station_information(text, "station_information.json").unwrap();
        let ids: Vec<&str> = got.records.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "e"]);
        assert_eq!(got.records[1].name, "Ee");
        assert_eq!(got.last_updated, Some(EventTime(1_631_517_662_000)));
        let skipped: Vec<String> = got.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            skipped,
            [
                "line 3 (station b): field lat: must be a number, got \"north\"",
                "line 4: field station_id: missing",
                "line 5 (station a): field station_id: repeats the station first listed at line 2; the first is kept",
                "line 6 (station d): field capacity: must be a whole number of at least 0, got -1",
            ]
        );
    }

    #[test]
    fn broken_files_name_file_and_line() {
        let err =
            station_status("{\"data\": {\"stations\": [\n{\"station_id\": 1,,}]}}", "s.json").unwrap_err();
        assert!(err.to_string().starts_with("s.json line 2: "), "{err}");
        let err = station_status("{\"data\": {\"vehicles\": []}}", "s.json").unwrap_err();
        assert!(err.to_string().contains("no data.stations list"), "{err}");
    }

    #[test]
    fn status_reads_both_versions() {
        let text = r#"{"data": {"stations": [
  {"station_id": "1", "num_bikes_available": 2, "num_docks_available": 29, "is_installed": 1, "is_renting": 1, "is_returning": 0, "last_reported": 1631517287},
  {"station_id": "2", "num_vehicles_available": 5, "num_docks_available": 15, "is_installed": true, "last_reported": "2025-11-05T12:00:00+00:00"},
  {"station_id": "3", "num_docks_available": 15},
  {"station_id": "4", "num_bikes_available": 1, "is_renting": "yes"}
]}}"#;
        let got = station_status(text, "station_status.json").unwrap();
        assert_eq!(
            got.records,
            [
                StationStatus {
                    id: "1".into(),
                    bikes_available: 2,
                    docks_available: 29,
                    in_service: false,
                    last_reported: Some(EventTime(1_631_517_287_000)),
                },
                StationStatus {
                    id: "2".into(),
                    bikes_available: 5,
                    docks_available: 15,
                    in_service: true,
                    last_reported: Some(EventTime(1_762_344_000_000)),
                },
            ]
        );
        let fields: Vec<(usize, &str)> = got.skipped.iter().map(|s| (s.line, s.field)).collect();
        assert_eq!(fields, [(4, "num_vehicles_available"), (5, "is_renting")]);
    }
}
