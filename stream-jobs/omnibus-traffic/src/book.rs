//! The state one worker keeps for the segments, facilities and stations routed
//! to it, and what it emits when a minute closes.

use crate::model::{JobOutput, SegmentMinute};
use omnibus_core::network::RoadNetwork;
use omnibus_core::policy::{MAX_WINDOW_MINUTES, MinuteFigures, PolicyVersion, window_speed};
use omnibus_core::{Cents, EventTime, MillimetersPerSecond, Minute, SegmentId};
use std::collections::{BTreeMap, VecDeque};

/// An observation routed to the worker that owns its key.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Observation {
    /// A matched probe: segment, minute, vehicle, speed.
    Speed(SegmentId, Minute, u64, MillimetersPerSecond),
    /// A loop count on a segment in a minute.
    Loop(SegmentId, Minute, u32),
    /// A parking report: facility, time, occupied, capacity.
    Parking(String, EventTime, u32, u32),
    /// A bike-station report: station, time, bikes, docks.
    Bike(String, EventTime, u32, u32),
}

impl Observation {
    /// The key workers are chosen by.
    pub fn key(&self) -> u64 {
        match self {
            Observation::Speed(s, ..) | Observation::Loop(s, ..) => u64::from(s.0),
            Observation::Parking(id, ..) | Observation::Bike(id, ..) => crate::model::stable_hash(id),
        }
    }
    /// The minute it belongs to.
    pub fn minute(&self) -> Minute {
        match self {
            Observation::Speed(_, m, ..) | Observation::Loop(_, m, _) => *m,
            Observation::Parking(_, t, ..) | Observation::Bike(_, t, ..) => t.minute(),
        }
    }
}

#[derive(Default)]
struct MinuteObs {
    /// Per vehicle: sum of speeds (mm/s) and report count.
    vehicles: BTreeMap<u64, (u64, u64)>,
    loop_count: u32,
}

struct SegmentState {
    price: Cents,
    /// Closed minutes with observations, oldest first, the last hour at most.
    recent: VecDeque<(Minute, MinuteFigures)>,
}

/// Per-worker state of the traffic job.
#[derive(Default)]
pub struct Book {
    pending: BTreeMap<Minute, BTreeMap<SegmentId, MinuteObs>>,
    parking: BTreeMap<Minute, BTreeMap<String, (EventTime, u32, u32)>>,
    bikes: BTreeMap<Minute, BTreeMap<String, (EventTime, u32, u32)>>,
    segments: BTreeMap<SegmentId, SegmentState>,
    facilities: BTreeMap<String, FacilityState>,
}

struct FacilityState {
    price: Cents,
    /// Latest report: time, occupied, capacity.
    last: (EventTime, u32, u32),
    /// Occupancy samples (permille) in the current review period.
    samples: (u64, u64),
}

impl std::fmt::Debug for Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Book")
            .field("segments", &self.segments.len())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Book {
    /// Files an observation under its minute.
    pub fn add(&mut self, obs: Observation) {
        let minute = obs.minute();
        match obs {
            Observation::Speed(s, _, vehicle, speed) => {
                let e = self.pending.entry(minute).or_default().entry(s).or_default();
                let v = e.vehicles.entry(vehicle).or_default();
                v.0 += u64::from(speed.0);
                v.1 += 1;
            }
            Observation::Loop(s, _, count) => {
                let e = self.pending.entry(minute).or_default().entry(s).or_default();
                e.loop_count = e.loop_count.saturating_add(count);
            }
            Observation::Parking(id, t, a, b) => {
                keep_latest(self.parking.entry(minute).or_default(), id, (t, a, b))
            }
            Observation::Bike(id, t, a, b) => {
                keep_latest(self.bikes.entry(minute).or_default(), id, (t, a, b))
            }
        }
    }

    /// Earliest minute holding observations not yet closed.
    pub fn first_pending(&self) -> Option<Minute> {
        [self.pending.keys().next(), self.parking.keys().next(), self.bikes.keys().next()]
            .into_iter()
            .flatten()
            .min()
            .copied()
    }

    /// Latest minute holding observations not yet closed.
    pub fn last_pending(&self) -> Option<Minute> {
        [self.pending.keys().next_back(), self.parking.keys().next_back(), self.bikes.keys().next_back()]
            .into_iter()
            .flatten()
            .max()
            .copied()
    }

    /// Whether any segment or facility is being priced (and so must be reviewed
    /// every minute).
    pub fn has_segments(&self) -> bool {
        !self.segments.is_empty() || !self.facilities.is_empty()
    }

    /// Closes `minute`: every segment seen so far is reviewed under `policy`.
    pub fn close(
        &mut self,
        minute: Minute,
        policy: &PolicyVersion,
        network: &RoadNetwork,
        out: &mut Vec<JobOutput>,
    ) {
        let rule = &policy.policy.rule;
        let obs = self.pending.remove(&minute).unwrap_or_default();
        for s in obs.keys() {
            self.segments.entry(*s).or_insert(SegmentState { price: Cents::ZERO, recent: VecDeque::new() });
        }
        for (segment, state) in &mut self.segments {
            let o = obs.get(segment);
            let minute_speed = o.and_then(|o| mean_of_vehicle_means(&o.vehicles)).map(MillimetersPerSecond);
            if let Some(o) = o {
                let figures = MinuteFigures {
                    speed: minute_speed,
                    vehicles: o.vehicles.len() as u32,
                    loop_count: o.loop_count,
                };
                state.recent.push_back((minute, figures));
            }
            while state.recent.front().is_some_and(|(m, _)| m.0 <= minute.0 - i64::from(MAX_WINDOW_MINUTES)) {
                state.recent.pop_front();
            }
            let recent = state.recent.make_contiguous();
            let window = window_speed(recent, minute, rule.speed_window());
            let price =
                rule.next_segment_price(minute, state.price, recent, &network.segments()[segment.index()]);
            if o.is_some() || window.is_some() || price != state.price {
                out.push(JobOutput::Segment(SegmentMinute {
                    segment: *segment,
                    minute,
                    vehicles: o.map_or(0, |o| o.vehicles.len() as u32),
                    minute_speed,
                    loop_count: o.map_or(0, |o| o.loop_count),
                    window_speed: window,
                    previous_price: state.price,
                    price,
                    policy_version: policy.version,
                }));
            }
            state.price = price;
        }
        let parking = &policy.policy.parking;
        let reports = self.parking.remove(&minute).unwrap_or_default();
        for (id, report) in &reports {
            let st = self.facilities.entry(id.clone()).or_insert(FacilityState {
                price: parking.initial_per_hour,
                last: *report,
                samples: (0, 0),
            });
            st.last = *report;
            st.samples.0 += u64::from(report.1) * 1000 / u64::from(report.2.max(1));
            st.samples.1 += 1;
        }
        for (facility, st) in &mut self.facilities {
            let mut price = st.price;
            if parking.is_review(minute) {
                let mean = (st.samples.1 > 0).then(|| (st.samples.0 / st.samples.1) as u32);
                price = parking.next_price(st.price, mean);
                st.samples = (0, 0);
            }
            if reports.contains_key(facility) || price != st.price {
                out.push(JobOutput::Parking {
                    facility: facility.clone(),
                    minute,
                    time: st.last.0,
                    occupied: st.last.1,
                    capacity: st.last.2,
                    previous_price_per_hour: st.price,
                    price_per_hour: price,
                });
            }
            st.price = price;
        }
        for (station, (time, bikes, docks)) in self.bikes.remove(&minute).unwrap_or_default() {
            out.push(JobOutput::Bike { station, minute, time, bikes, docks });
        }
    }
}

/// Keeps the latest report per id; equal times keep the larger values, so the
/// result never depends on arrival order.
fn keep_latest(map: &mut BTreeMap<String, (EventTime, u32, u32)>, id: String, report: (EventTime, u32, u32)) {
    let e = map.entry(id).or_insert(report);
    if report > *e {
        *e = report;
    }
}

/// Mean over vehicles of each vehicle's mean speed, in whole mm/s.
pub fn mean_of_vehicle_means(vehicles: &BTreeMap<u64, (u64, u64)>) -> Option<u32> {
    if vehicles.is_empty() {
        return None;
    }
    let sum: u64 = vehicles.values().map(|(s, n)| s / n).sum();
    Some((sum / vehicles.len() as u64) as u32)
}
