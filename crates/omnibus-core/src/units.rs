//! Typed identifiers and units. Money is integer minor units, never `f64`.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as an index into the owning table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A directed road segment of the network (one direction of a street between two junctions).
    SegmentId,
    "s"
);
id_type!(
    /// A junction (or dead end) of the road network.
    NodeId,
    "n"
);

/// A length in metres.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Meters(pub f64);

/// A duration in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Seconds(pub f64);

/// A speed in metres per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct MetersPerSecond(pub f64);

impl MetersPerSecond {
    /// Converts from kilometres per hour.
    pub fn from_kmh(kmh: f64) -> Self {
        Self(kmh / 3.6)
    }
    /// This speed in kilometres per hour.
    pub fn kmh(self) -> f64 {
        self.0 * 3.6
    }
}

/// A speed in millimetres per second: the integer unit the stream job sums in, so
/// that averages do not depend on the order in which workers see the reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MillimetersPerSecond(pub u32);

impl MillimetersPerSecond {
    /// Rounds a speed to whole millimetres per second (negative and NaN become 0).
    pub fn from_mps(speed: MetersPerSecond) -> Self {
        let mm = (speed.0 * 1000.0).round();
        if mm.is_nan() || mm <= 0.0 { Self(0) } else { Self(mm.min(f64::from(u32::MAX)) as u32) }
    }
    /// This speed in metres per second.
    pub fn mps(self) -> MetersPerSecond {
        MetersPerSecond(f64::from(self.0) / 1000.0)
    }
}

/// Money in minor units (cents) of the city's currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cents(pub i64);

impl Cents {
    /// Zero.
    pub const ZERO: Cents = Cents(0);
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0.saturating_add(rhs.0))
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// An event time: milliseconds since the Unix epoch, as carried by telemetry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventTime(pub i64);

impl EventTime {
    /// The minute this instant falls in.
    pub fn minute(self) -> Minute {
        Minute(self.0.div_euclid(60_000))
    }
    /// This instant moved by `ms` milliseconds.
    pub fn plus_ms(self, ms: i64) -> EventTime {
        EventTime(self.0.saturating_add(ms))
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date `year-month-day`
/// (Howard Hinnant's days-from-civil). The one place dates become day numbers.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` `days` after 1970-01-01: the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A whole minute of event time: minutes since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Minute(pub i64);

impl Minute {
    /// The first instant of this minute.
    pub fn start(self) -> EventTime {
        EventTime(self.0.saturating_mul(60_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_through_day_numbers() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn cents_display_and_sum() {
        assert_eq!(Cents(1234).to_string(), "12.34");
        assert_eq!(Cents(-5).to_string(), "-0.05");
        assert_eq!([Cents(1), Cents(2)].into_iter().sum::<Cents>(), Cents(3));
    }

    #[test]
    fn minutes_floor_negative_times() {
        assert_eq!(EventTime(59_999).minute(), Minute(0));
        assert_eq!(EventTime(-1).minute(), Minute(-1));
        assert_eq!(Minute(2).start(), EventTime(120_000));
    }

    #[test]
    fn speed_rounding() {
        assert_eq!(MillimetersPerSecond::from_mps(MetersPerSecond(1.2345)).0, 1235);
        assert_eq!(MillimetersPerSecond::from_mps(MetersPerSecond(f64::NAN)).0, 0);
        assert_eq!(MillimetersPerSecond::from_mps(MetersPerSecond(-3.0)).0, 0);
    }
}
