//! Validation of telemetry records: each record is checked on its own and
//! either becomes a [`Telemetry`] value for the stream job or a [`Rejection`]
//! naming the field at fault.

use omnibus_core::{City, EventTime, LatLon, MetersPerSecond, MillimetersPerSecond, Minute};
use omnibus_proto::v1::{Rejection, TelemetryRecord, telemetry_record::Kind};
use omnibus_traffic::model::{BikeReport, LoopCount, ParkingReport, Probe, Telemetry, stable_hash};

/// Limits records are checked against.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most records per batch.
    pub max_batch: usize,
    /// How far ahead of the service clock an event time may be, ms.
    pub max_future_ms: i64,
    /// How far behind the service clock an event time may be, ms.
    pub max_age_ms: i64,
    /// Fastest plausible vehicle, m/s.
    pub max_speed_mps: f64,
    /// Longest vehicle or facility id, bytes.
    pub max_id_len: usize,
    /// Records per second one client address may send (0: unlimited).
    pub max_records_per_second_per_client: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_batch: 5_000,
            max_future_ms: 5 * 60_000,
            max_age_ms: 24 * 3_600_000,
            max_speed_mps: 70.0,
            max_id_len: 64,
            max_records_per_second_per_client: 200_000,
        }
    }
}

/// Why a record was refused.
type Refusal = (&'static str, String);

/// What a record is checked against: the city, the limits, the service's clock
/// reading and the first minute the stream job still has open.
#[derive(Debug)]
pub struct Checker<'a> {
    /// The city.
    pub city: &'a City,
    /// The limits.
    pub limits: &'a Limits,
    /// Service time when the batch arrived.
    pub now: EventTime,
    /// Records of earlier minutes are too late.
    pub watermark: Minute,
}

impl Checker<'_> {
    /// Validates one record.
    pub fn check(&self, index: usize, record: &TelemetryRecord) -> Result<Telemetry, Rejection> {
        self.check_kind(record).map_err(|(field, reason)| Rejection {
            index: index as u32,
            field: field.to_owned(),
            reason,
        })
    }

    fn check_kind(&self, record: &TelemetryRecord) -> Result<Telemetry, Refusal> {
        match record.kind.as_ref() {
            None => {
                Err(("kind", "the record holds no probe, loop count, parking or bike-station report".into()))
            }
            Some(Kind::Probe(p)) => {
                check_id("probe.vehicle_id", &p.vehicle_id, self.limits.max_id_len)?;
                let time = self.check_time("probe.time_ms", p.time_ms)?;
                let pos = self.check_position("probe", p.lat, p.lon)?;
                if !p.speed_mps.is_finite() || p.speed_mps < 0.0 || p.speed_mps > self.limits.max_speed_mps {
                    return Err((
                        "probe.speed_mps",
                        format!(
                            "{} m/s is not a speed between 0 and {}",
                            p.speed_mps, self.limits.max_speed_mps
                        ),
                    ));
                }
                if !p.heading_deg.is_finite() || !(0.0..360.0).contains(&p.heading_deg) {
                    return Err((
                        "probe.heading_deg",
                        format!("{} is not a bearing in [0, 360)", p.heading_deg),
                    ));
                }
                Ok(Telemetry::Probe(Probe {
                    vehicle: stable_hash(&p.vehicle_id),
                    time,
                    pos,
                    speed: MillimetersPerSecond::from_mps(MetersPerSecond(p.speed_mps)),
                    heading_deg: p.heading_deg,
                }))
            }
            Some(Kind::LoopCount(l)) => {
                let Some(segment) = self.city.registry.detectors.get(&l.detector_id) else {
                    return Err(("loop_count.detector_id", unknown("loop detector", &l.detector_id)));
                };
                let time = self.check_time("loop_count.time_ms", l.time_ms)?;
                if !(1..=3_600).contains(&l.interval_s) {
                    return Err((
                        "loop_count.interval_s",
                        format!("{} s is not between 1 and 3600", l.interval_s),
                    ));
                }
                if !l.occupancy.is_finite() || !(0.0..=1.0).contains(&l.occupancy) {
                    return Err((
                        "loop_count.occupancy",
                        format!("{} is not a fraction in [0, 1]", l.occupancy),
                    ));
                }
                if l.vehicle_count > l.interval_s.saturating_mul(5) {
                    return Err((
                        "loop_count.vehicle_count",
                        format!(
                            "{} vehicles in {} s is more than a lane can carry",
                            l.vehicle_count, l.interval_s
                        ),
                    ));
                }
                Ok(Telemetry::Loop(LoopCount { segment: *segment, time, count: l.vehicle_count }))
            }
            Some(Kind::Parking(p)) => {
                if !self.city.registry.parking.contains_key(&p.facility_id) {
                    return Err(("parking.facility_id", unknown("parking facility", &p.facility_id)));
                }
                let time = self.check_time("parking.time_ms", p.time_ms)?;
                if p.capacity == 0 {
                    return Err(("parking.capacity", "must be positive".into()));
                }
                if p.occupied > p.capacity {
                    return Err((
                        "parking.occupied",
                        format!("{} exceeds capacity {}", p.occupied, p.capacity),
                    ));
                }
                Ok(Telemetry::Parking(ParkingReport {
                    facility: p.facility_id.clone(),
                    time,
                    occupied: p.occupied,
                    capacity: p.capacity,
                }))
            }
            Some(Kind::BikeStation(b)) => {
                if !self.city.registry.bike_stations.contains_key(&b.station_id) {
                    return Err(("bike_station.station_id", unknown("bike-share station", &b.station_id)));
                }
                let time = self.check_time("bike_station.time_ms", b.time_ms)?;
                Ok(Telemetry::Bike(BikeReport {
                    station: b.station_id.clone(),
                    time,
                    bikes: b.num_bikes_available,
                    docks: b.num_docks_available,
                }))
            }
        }
    }

    fn check_time(&self, field: &'static str, ms: i64) -> Result<EventTime, Refusal> {
        let t = EventTime(ms);
        if ms <= 0 {
            return Err((field, format!("{ms} is not a time after 1970 in milliseconds")));
        }
        if ms > self.now.0.saturating_add(self.limits.max_future_ms) {
            return Err((
                field,
                format!("{ms} is {} s ahead of the service clock ({})", (ms - self.now.0) / 1000, self.now.0),
            ));
        }
        if ms < self.now.0.saturating_sub(self.limits.max_age_ms) {
            return Err((
                field,
                format!("{ms} is {} s older than the service clock allows", (self.now.0 - ms) / 1000),
            ));
        }
        if t.minute() < self.watermark {
            return Err((
                field,
                format!(
                    "{ms} falls in a minute the stream job has already closed (records from {} ms on are open)",
                    self.watermark.start().0
                ),
            ));
        }
        Ok(t)
    }

    fn check_position(&self, prefix: &'static str, lat: f64, lon: f64) -> Result<LatLon, Refusal> {
        let (lat_field, lon_field) = match prefix {
            "probe" => ("probe.lat", "probe.lon"),
            _ => ("lat", "lon"),
        };
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err((lat_field, format!("{lat} is not a latitude")));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err((lon_field, format!("{lon} is not a longitude")));
        }
        let p = LatLon::new(lat, lon);
        if !self.city.area.contains(p) {
            let a = self.city.area;
            return Err((
                lat_field,
                format!(
                    "({lat}, {lon}) lies outside {} (lat {:.4}..{:.4}, lon {:.4}..{:.4})",
                    self.city.name, a.min_lat, a.max_lat, a.min_lon, a.max_lon
                ),
            ));
        }
        Ok(p)
    }
}

fn check_id(field: &'static str, id: &str, max: usize) -> Result<(), Refusal> {
    if id.is_empty() {
        return Err((field, "must not be empty".into()));
    }
    if id.len() > max {
        return Err((field, format!("{} bytes; at most {max}", id.len())));
    }
    Ok(())
}

fn unknown(what: &str, id: &str) -> String {
    let shown: String = id.chars().take(64).collect();
    format!("{what} {shown:?} is not registered in this city")
}

/// Converts a logged record back without the time checks (replay after a
/// restart: it was validated when it was accepted).
pub fn replay(city: &City, record: &TelemetryRecord) -> Option<Telemetry> {
    let limits = Limits { max_future_ms: i64::MAX / 4, max_age_ms: i64::MAX / 4, ..Limits::default() };
    Checker { city, limits: &limits, now: EventTime(0), watermark: Minute(i64::MIN) }.check(0, record).ok()
}
