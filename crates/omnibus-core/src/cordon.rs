//! Time-of-day cordon charging (Stockholm, Gothenburg): a vehicle pays when it
//! crosses into a zone, by a schedule of the local time of day, at most a daily
//! cap, and — Gothenburg's rule — passages within 60 minutes of a charged one
//! are charged once, at the highest of their charges.

use crate::geo_util::LatLon;
use crate::policy::PolicyError;
use crate::units::{Cents, EventTime};
use serde::{Deserialize, Serialize};

/// One period of the charge schedule, in local minutes of the day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargePeriod {
    /// First minute of the day the charge applies (0–1439).
    pub from_minute: u32,
    /// Minute of the day it stops applying (exclusive, 1–1440).
    pub to_minute: u32,
    /// Charge per passage.
    pub charge: Cents,
}

/// A cordon around a zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CordonPolicy {
    /// Zone name, as `GetCordon` and reports show it.
    pub name: String,
    /// The zone's boundary polygon (closed implicitly), at least 3 points.
    pub zone: Vec<LatLon>,
    /// Charge schedule: sorted, non-overlapping periods; no charge outside them.
    pub schedule: Vec<ChargePeriod>,
    /// Most a vehicle pays in one local day.
    pub daily_cap: Cents,
    /// Passages within this many minutes of a charged one are charged once, at
    /// their highest charge (Gothenburg: 60); 0 charges every passage.
    pub single_charge_minutes: u32,
    /// Local time minus UTC, minutes (Porto Alegre: −180).
    pub utc_offset_minutes: i32,
}

impl Default for CordonPolicy {
    fn default() -> Self {
        CordonPolicy {
            name: "cordon".into(),
            zone: Vec::new(),
            schedule: Vec::new(),
            daily_cap: Cents(0),
            single_charge_minutes: 60,
            utc_offset_minutes: 0,
        }
    }
}

fn bad(field: String, reason: impl Into<String>) -> PolicyError {
    PolicyError { field, reason: reason.into() }
}

impl CordonPolicy {
    /// Stockholm's 2016 weekday schedule (SEK cents), a 60-minute single-charge
    /// rule and its daily cap, around `zone`.
    pub fn stockholm(zone: Vec<LatLon>, utc_offset_minutes: i32) -> CordonPolicy {
        let p = |from: u32, to: u32, kr: i64| ChargePeriod {
            from_minute: from,
            to_minute: to,
            charge: Cents(kr * 100),
        };
        CordonPolicy {
            name: "inner city".into(),
            zone,
            schedule: vec![
                p(6 * 60, 6 * 60 + 30, 15),
                p(6 * 60 + 30, 7 * 60, 25),
                p(7 * 60, 8 * 60 + 30, 35),
                p(8 * 60 + 30, 9 * 60, 25),
                p(9 * 60, 9 * 60 + 30, 15),
                p(9 * 60 + 30, 15 * 60, 11),
                p(15 * 60, 15 * 60 + 30, 15),
                p(15 * 60 + 30, 16 * 60, 25),
                p(16 * 60, 17 * 60 + 30, 35),
                p(17 * 60 + 30, 18 * 60, 25),
                p(18 * 60, 18 * 60 + 30, 15),
            ],
            daily_cap: Cents(10_500),
            single_charge_minutes: 60,
            utc_offset_minutes,
        }
    }

    /// Checks the zone, the schedule (sorted, within the day, no overlaps) and
    /// the amounts; errors name the field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.zone.len() < 3 {
            return Err(bad(
                "cordon.zone".into(),
                format!("{} points; a zone needs at least 3", self.zone.len()),
            ));
        }
        for (i, p) in self.zone.iter().enumerate() {
            if !p.lat.is_finite() || !p.lon.is_finite() || p.lat.abs() > 90.0 || p.lon.abs() > 180.0 {
                return Err(bad(
                    format!("cordon.zone[{i}]"),
                    format!("({}, {}) is not a position", p.lat, p.lon),
                ));
            }
        }
        for (i, period) in self.schedule.iter().enumerate() {
            let field = || format!("cordon.schedule[{i}]");
            if period.from_minute >= period.to_minute || period.to_minute > 1_440 {
                return Err(bad(
                    field(),
                    format!(
                        "{}..{} is not a period within a day (minutes 0..1440)",
                        period.from_minute, period.to_minute
                    ),
                ));
            }
            if period.charge.0 < 0 {
                return Err(bad(field(), format!("charge {} is negative", period.charge.0)));
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &self.schedule[j])
                && period.from_minute < prev.to_minute
            {
                return Err(bad(
                    field(),
                    format!(
                        "{}..{} overlaps or precedes the period before it ({}..{})",
                        period.from_minute, period.to_minute, prev.from_minute, prev.to_minute
                    ),
                ));
            }
        }
        if self.daily_cap.0 < 0 {
            return Err(bad("cordon.daily_cap".into(), "must not be negative"));
        }
        if self.single_charge_minutes > 1_440 {
            return Err(bad("cordon.single_charge_minutes".into(), "at most a day (1440)"));
        }
        if self.utc_offset_minutes.abs() > 14 * 60 {
            return Err(bad("cordon.utc_offset_minutes".into(), "must be within ±14 hours"));
        }
        Ok(())
    }

    /// Whether `p` lies inside the zone (even-odd rule).
    pub fn contains(&self, p: LatLon) -> bool {
        let mut inside = false;
        let n = self.zone.len();
        for i in 0..n {
            let (a, b) = (self.zone[i], self.zone[(i + n - 1) % n]);
            if (a.lat > p.lat) != (b.lat > p.lat) {
                let lon = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
                if p.lon < lon {
                    inside = !inside;
                }
            }
        }
        inside
    }

    fn local_ms(&self, t: EventTime) -> i64 {
        t.0.saturating_add(i64::from(self.utc_offset_minutes) * 60_000)
    }

    /// The local day `t` falls in (days since the epoch).
    pub fn local_day(&self, t: EventTime) -> i64 {
        self.local_ms(t).div_euclid(86_400_000)
    }

    /// The charge for a passage at `t`.
    pub fn charge_at(&self, t: EventTime) -> Cents {
        let minute = (self.local_ms(t).rem_euclid(86_400_000) / 60_000) as u32;
        self.schedule
            .iter()
            .find(|p| (p.from_minute..p.to_minute).contains(&minute))
            .map_or(Cents::ZERO, |p| p.charge)
    }
}

/// What one vehicle has paid: the state the charging rules need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleAccount {
    /// Local day of the last passage.
    pub day: i64,
    /// Paid that day.
    pub paid_today: Cents,
    /// Start of the current single-charge window and the highest charge in it.
    pub window: Option<(EventTime, Cents)>,
}

impl VehicleAccount {
    /// Books a passage at `t` and returns what it adds to the bill.
    pub fn pass(&mut self, policy: &CordonPolicy, t: EventTime) -> Cents {
        let day = policy.local_day(t);
        if day != self.day {
            *self = VehicleAccount { day, ..VehicleAccount::default() };
        }
        let charge = policy.charge_at(t);
        let window_ms = i64::from(policy.single_charge_minutes) * 60_000;
        let mut owed = charge;
        match self.window {
            Some((start, highest)) if window_ms > 0 && t.0 - start.0 < window_ms => {
                owed = Cents((charge.0 - highest.0).max(0));
                self.window = Some((start, highest.max(charge)));
            }
            _ => {
                if charge > Cents::ZERO {
                    self.window = Some((t, charge));
                }
            }
        }
        let owed = Cents(owed.0.min((policy.daily_cap.0 - self.paid_today.0).max(0)));
        self.paid_today = self.paid_today + owed;
        owed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Vec<LatLon> {
        vec![LatLon::new(0.0, 0.0), LatLon::new(0.0, 1.0), LatLon::new(1.0, 1.0), LatLon::new(1.0, 0.0)]
    }

    fn at(h: i64, m: i64) -> EventTime {
        EventTime((h * 60 + m) * 60_000)
    }

    #[test]
    fn zone_membership() {
        let c = CordonPolicy::stockholm(square(), 0);
        assert!(c.contains(LatLon::new(0.5, 0.5)));
        assert!(!c.contains(LatLon::new(1.5, 0.5)));
        assert!(!c.contains(LatLon::new(0.5, -0.1)));
    }

    #[test]
    fn stockholm_by_hand() {
        let c = CordonPolicy::stockholm(square(), 0);
        assert_eq!(c.charge_at(at(7, 15)), Cents(3_500));
        assert_eq!(c.charge_at(at(6, 45)), Cents(2_500));
        assert_eq!(c.charge_at(at(19, 0)), Cents::ZERO);
        let mut acct = VehicleAccount::default();
        // 06:45 pays 25 kr; 07:15 is within the hour: only the 10 kr difference.
        assert_eq!(acct.pass(&c, at(6, 45)), Cents(2_500));
        assert_eq!(acct.pass(&c, at(7, 15)), Cents(1_000));
        // 07:40 is still within the window that opened at 06:45? No: 55 min → yes, nothing more.
        assert_eq!(acct.pass(&c, at(7, 40)), Cents::ZERO);
        // 08:00 opens a new window: 35 kr.
        assert_eq!(acct.pass(&c, at(8, 0)), Cents(3_500));
        // 16:00 and 17:10: 35 + 35 would pass the 105 kr cap (paid 70 so far).
        assert_eq!(acct.pass(&c, at(16, 0)), Cents(3_500));
        assert_eq!(acct.pass(&c, at(17, 10)), Cents::ZERO);
        assert_eq!(acct.paid_today, Cents(10_500));
        // A new day starts afresh.
        assert_eq!(acct.pass(&c, EventTime(at(7, 0).0 + 86_400_000)), Cents(3_500));
    }

    #[test]
    fn overlapping_schedules_are_refused() {
        let mut c = CordonPolicy::stockholm(square(), 0);
        c.validate().unwrap();
        c.schedule[3].from_minute = 8 * 60;
        assert_eq!(c.validate().unwrap_err().field, "cordon.schedule[3]");
        let mut c = CordonPolicy::stockholm(square(), 0);
        c.zone.truncate(2);
        assert_eq!(c.validate().unwrap_err().field, "cordon.zone");
        let mut c = CordonPolicy::stockholm(square(), 0);
        c.daily_cap = Cents(-1);
        assert_eq!(c.validate().unwrap_err().field, "cordon.daily_cap");
    }
}
