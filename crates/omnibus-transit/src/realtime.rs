//! GTFS-Realtime TripUpdates: decoding the protobuf feed and turning its
//! delays and cancellations into [`Delays`] for a static feed and a service
//! day, reporting what matched and what did not.
//!
//! The messages declare only the fields Omnibus reads, with the field numbers
//! of the GTFS-Realtime specification; protobuf skips the rest.

use crate::gtfs::Feed;
use crate::timetable::Delays;
use std::collections::HashMap;

/// `FeedMessage`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedMessage {
    /// `header`.
    #[prost(message, optional, tag = "1")]
    pub header: Option<FeedHeader>,
    /// `entity`.
    #[prost(message, repeated, tag = "2")]
    pub entity: Vec<FeedEntity>,
}

/// `FeedHeader`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedHeader {
    /// `gtfs_realtime_version`.
    #[prost(string, optional, tag = "1")]
    pub gtfs_realtime_version: Option<String>,
    /// `timestamp`, seconds since the epoch.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
}

/// `FeedEntity`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedEntity {
    /// `id`.
    #[prost(string, optional, tag = "1")]
    pub id: Option<String>,
    /// `is_deleted`.
    #[prost(bool, optional, tag = "2")]
    pub is_deleted: Option<bool>,
    /// `trip_update`.
    #[prost(message, optional, tag = "3")]
    pub trip_update: Option<TripUpdate>,
}

/// `TripUpdate`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TripUpdate {
    /// `trip`.
    #[prost(message, optional, tag = "1")]
    pub trip: Option<TripDescriptor>,
    /// `stop_time_update`.
    #[prost(message, repeated, tag = "2")]
    pub stop_time_update: Vec<StopTimeUpdate>,
    /// `timestamp`.
    #[prost(uint64, optional, tag = "4")]
    pub timestamp: Option<u64>,
    /// `delay`, seconds (the whole trip, where no stop says otherwise).
    #[prost(int32, optional, tag = "5")]
    pub delay: Option<i32>,
}

/// `TripDescriptor`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TripDescriptor {
    /// `trip_id`.
    #[prost(string, optional, tag = "1")]
    pub trip_id: Option<String>,
    /// `start_time`.
    #[prost(string, optional, tag = "2")]
    pub start_time: Option<String>,
    /// `start_date`, `YYYYMMDD`.
    #[prost(string, optional, tag = "3")]
    pub start_date: Option<String>,
    /// `schedule_relationship`: 0 scheduled, 1 added, 2 unscheduled, 3 canceled.
    #[prost(int32, optional, tag = "4")]
    pub schedule_relationship: Option<i32>,
    /// `route_id`.
    #[prost(string, optional, tag = "5")]
    pub route_id: Option<String>,
}

/// `TripUpdate.StopTimeUpdate`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StopTimeUpdate {
    /// `stop_sequence`.
    #[prost(uint32, optional, tag = "1")]
    pub stop_sequence: Option<u32>,
    /// `arrival`.
    #[prost(message, optional, tag = "2")]
    pub arrival: Option<StopTimeEvent>,
    /// `departure`.
    #[prost(message, optional, tag = "3")]
    pub departure: Option<StopTimeEvent>,
    /// `stop_id`.
    #[prost(string, optional, tag = "4")]
    pub stop_id: Option<String>,
    /// `schedule_relationship`: 0 scheduled, 1 skipped, 2 no data.
    #[prost(int32, optional, tag = "5")]
    pub schedule_relationship: Option<i32>,
}

/// `TripUpdate.StopTimeEvent`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StopTimeEvent {
    /// `delay`, seconds.
    #[prost(int32, optional, tag = "1")]
    pub delay: Option<i32>,
    /// `time`, seconds since the epoch.
    #[prost(int64, optional, tag = "2")]
    pub time: Option<i64>,
}

/// A realtime feed that is not GTFS-Realtime.
#[derive(Debug, thiserror::Error)]
#[error("not a GTFS-Realtime feed message: {0}")]
pub struct DecodeError(#[from] prost::DecodeError);

/// Decodes a GTFS-Realtime `FeedMessage`.
pub fn decode(bytes: &[u8]) -> Result<FeedMessage, DecodeError> {
    Ok(<FeedMessage as prost::Message>::decode(bytes)?)
}

/// What applying a realtime feed did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealtimeReport {
    /// Trip updates in the message.
    pub trip_updates: usize,
    /// Of them, the trips found in the static feed and running that day.
    pub matched: usize,
    /// Trips cancelled.
    pub cancelled: usize,
    /// Stop updates applied.
    pub stop_updates: usize,
    /// Updates not applied, and why (the first 100).
    pub unmatched: Vec<String>,
    /// Updates not applied, in all.
    pub unmatched_count: usize,
}

impl RealtimeReport {
    fn miss(&mut self, why: String) {
        self.unmatched_count += 1;
        if self.unmatched.len() < 100 {
            self.unmatched.push(why);
        }
    }
}

/// Seconds since the epoch of midnight UTC starting `date` (`YYYYMMDD`).
fn epoch_of(date: u32) -> i64 {
    crate::gtfs::day_number(date) * 86_400
}

/// `(stop_sequence, stop_id, arrival, departure)` of one scheduled call.
type ScheduledCall<'a> = (u32, &'a str, Option<u32>, Option<u32>);

/// Merges the trip updates of `message` for `feed`'s trips on `date` into
/// `delays` (a trip's new update replaces its old one). A stop event with an
/// absolute time is turned into a delay against the schedule, with the
/// feed's local time `utc_offset_s` seconds ahead of UTC.
pub fn apply(
    delays: &mut Delays,
    message: &FeedMessage,
    feed: &Feed,
    date: u32,
    utc_offset_s: i32,
) -> RealtimeReport {
    let mut report = RealtimeReport::default();
    let trips: HashMap<&str, u32> =
        feed.trips.iter().enumerate().map(|(i, t)| (t.id.as_str(), i as u32)).collect();
    let mut calls: HashMap<u32, Vec<ScheduledCall<'_>>> = HashMap::new();
    let midnight = epoch_of(date) - i64::from(utc_offset_s);
    for entity in &message.entity {
        let Some(update) = &entity.trip_update else {
            continue;
        };
        report.trip_updates += 1;
        let descriptor = update.trip.clone().unwrap_or_default();
        let trip_id = descriptor.trip_id.clone().unwrap_or_default();
        let Some(&trip) = trips.get(trip_id.as_str()) else {
            report.miss(format!("trip {trip_id:?} is not in the static feed"));
            continue;
        };
        if let Some(start) = descriptor.start_date.as_deref().filter(|s| !s.is_empty())
            && crate::gtfs::parse_date(start) != Some(date)
        {
            report.miss(format!("trip {trip_id:?} runs on {start}, not {date}"));
            continue;
        }
        if !feed.runs(&feed.trips[trip as usize].service, date) {
            report.miss(format!("trip {trip_id:?} does not run on {date}"));
            continue;
        }
        report.matched += 1;
        let key = format!("{}:{}", feed.name, trip_id);
        if descriptor.schedule_relationship == Some(3) {
            report.cancelled += 1;
            delays.cancelled.insert(key);
            continue;
        }
        delays.cancelled.remove(&key);
        if calls.is_empty() {
            for st in &feed.stop_times {
                calls.entry(st.trip).or_default().push((
                    st.sequence,
                    feed.stops[st.stop as usize].id.as_str(),
                    st.arrival,
                    st.departure,
                ));
            }
            for c in calls.values_mut() {
                c.sort_by_key(|c| c.0);
            }
        }
        let trip_calls = calls.get(&trip).map_or(&[][..], Vec::as_slice);
        let mut out: Vec<(u32, i32, i32)> = Vec::new();
        if let (Some(d), Some(first)) = (update.delay, trip_calls.first()) {
            out.push((first.0, d, d));
        }
        for stu in &update.stop_time_update {
            let call = match (stu.stop_sequence, stu.stop_id.as_deref()) {
                (Some(seq), _) => trip_calls.iter().find(|c| c.0 == seq),
                (None, Some(stop)) => trip_calls.iter().find(|c| c.1 == stop),
                (None, None) => None,
            };
            let Some(&(seq, _, arr, dep)) = call else {
                report.miss(format!("trip {trip_id:?}: a stop update names no stop of the trip"));
                continue;
            };
            // Skipped stops keep their times (the vehicle passes); no data
            // returns the trip to its schedule from here.
            let delay_of = |event: &Option<StopTimeEvent>, scheduled: Option<u32>| {
                let e = event.as_ref()?;
                e.delay.or_else(|| {
                    let t = e.time?;
                    Some((t - midnight - i64::from(scheduled?)).clamp(-86_400, 86_400) as i32)
                })
            };
            let (a, d) = match stu.schedule_relationship {
                Some(1) => continue,
                Some(2) => (Some(0), Some(0)),
                _ => (delay_of(&stu.arrival, arr), delay_of(&stu.departure, dep)),
            };
            let (a, d) = match (a, d) {
                (Some(a), Some(d)) => (a, d),
                (Some(x), None) | (None, Some(x)) => (x, x),
                (None, None) => {
                    report.miss(format!("trip {trip_id:?}: stop {seq} gives neither delay nor time"));
                    continue;
                }
            };
            report.stop_updates += 1;
            out.push((seq, a, d));
        }
        out.sort_by_key(|u| u.0);
        delays.trips.insert(key, out);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_by_hand() {
        assert_eq!(epoch_of(19_700_101), 0);
        assert_eq!(epoch_of(20_000_301), 951_868_800);
        assert_eq!(epoch_of(20_261_122), 1_795_305_600);
    }
}
