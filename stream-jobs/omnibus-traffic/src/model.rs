//! What flows into and out of the traffic job.

use omnibus_core::live::{BikeLive, ParkingLive};
use omnibus_core::{Cents, EventTime, LatLon, MillimetersPerSecond, Minute, SegmentId};
use serde::{Deserialize, Serialize};

/// A stable 64-bit FNV-1a hash: pseudonymous vehicle ids and facility ids are
/// routed to workers by it, the same way in every process and run.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A validated vehicle probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// [`stable_hash`] of the sender's pseudonymous id.
    pub vehicle: u64,
    /// Event time.
    pub time: EventTime,
    /// Position.
    pub pos: LatLon,
    /// Ground speed.
    pub speed: MillimetersPerSecond,
    /// Heading, degrees clockwise from north.
    pub heading_deg: f64,
}

/// Vehicles counted by a loop detector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopCount {
    /// The segment the detector counts.
    pub segment: SegmentId,
    /// End of the counting interval.
    pub time: EventTime,
    /// Vehicles counted.
    pub count: u32,
}

/// Occupancy of a parking facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkingReport {
    /// Facility id from the registry.
    pub facility: String,
    /// Event time.
    pub time: EventTime,
    /// Spaces taken.
    pub occupied: u32,
    /// Spaces in all.
    pub capacity: u32,
}

/// Status of a bike-share station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BikeReport {
    /// Station id from the registry.
    pub station: String,
    /// Event time.
    pub time: EventTime,
    /// Bikes available.
    pub bikes: u32,
    /// Docks available.
    pub docks: u32,
}

/// One validated telemetry record, as the ingest service hands it to the job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Telemetry {
    /// A vehicle position report.
    Probe(Probe),
    /// A loop detector count.
    Loop(LoopCount),
    /// A parking occupancy report.
    Parking(ParkingReport),
    /// A bike-share station status.
    Bike(BikeReport),
}

impl Telemetry {
    /// Event time of the record.
    pub fn time(&self) -> EventTime {
        match self {
            Telemetry::Probe(p) => p.time,
            Telemetry::Loop(l) => l.time,
            Telemetry::Parking(p) => p.time,
            Telemetry::Bike(b) => b.time,
        }
    }

    /// Which worker shard the record is read by.
    pub fn shard_key(&self) -> u64 {
        match self {
            Telemetry::Probe(p) => p.vehicle,
            Telemetry::Loop(l) => u64::from(l.segment.0),
            Telemetry::Parking(p) => stable_hash(&p.facility),
            Telemetry::Bike(b) => stable_hash(&b.station),
        }
    }
}

/// A road segment's figures for one closed minute.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SegmentMinute {
    /// The segment.
    pub segment: SegmentId,
    /// The minute.
    pub minute: Minute,
    /// Distinct probe vehicles seen on the segment in the minute.
    pub vehicles: u32,
    /// Average speed in the minute: the mean over vehicles of each vehicle's own
    /// mean speed (`None` without probes).
    pub minute_speed: Option<MillimetersPerSecond>,
    /// Vehicles counted by loop detectors in the minute.
    pub loop_count: u32,
    /// Mean of the per-minute averages over the policy window.
    pub window_speed: Option<MillimetersPerSecond>,
    /// Price before this minute.
    pub previous_price: Cents,
    /// Price after this minute.
    pub price: Cents,
    /// The policy version that set the price.
    pub policy_version: u64,
}

/// Everything the job emits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JobOutput {
    /// A segment's minute.
    Segment(SegmentMinute),
    /// A parking facility in a minute with a report or a price change: its
    /// latest report so far and its demand-responsive hourly price.
    Parking {
        /// Facility id.
        facility: String,
        /// The minute.
        minute: Minute,
        /// Latest report in that minute.
        time: EventTime,
        /// Spaces taken.
        occupied: u32,
        /// Spaces in all.
        capacity: u32,
        /// Hourly price before this minute.
        previous_price_per_hour: Cents,
        /// Hourly price after this minute.
        price_per_hour: Cents,
    },
    /// A vehicle crossed into the cordon zone.
    Cordon {
        /// The vehicle (hash of its pseudonym).
        vehicle: u64,
        /// The minute of the passage.
        minute: Minute,
        /// The probe that first saw it inside.
        time: EventTime,
        /// The schedule's charge at that time.
        charge: Cents,
        /// What the passage adds to the vehicle's bill (after the single-charge
        /// rule and the daily cap).
        owed: Cents,
        /// The policy version that priced it.
        policy_version: u64,
    },
    /// An express-lane zone repriced at a review (MnPASS).
    Express {
        /// The zone.
        zone: String,
        /// The review minute.
        minute: Minute,
        /// Highest downstream density over the window, thousandths of a
        /// vehicle per lane-mile.
        density_milli: u64,
        /// The new price.
        price: Cents,
        /// The policy version that set it.
        policy_version: u64,
    },
    /// A bike-share station's latest report in a minute.
    Bike {
        /// Station id.
        station: String,
        /// The minute.
        minute: Minute,
        /// Latest report in that minute.
        time: EventTime,
        /// Bikes available.
        bikes: u32,
        /// Docks available.
        docks: u32,
    },
}

impl JobOutput {
    /// The minute the output is for.
    pub fn minute(&self) -> Minute {
        match self {
            JobOutput::Segment(s) => s.minute,
            JobOutput::Parking { minute, .. }
            | JobOutput::Bike { minute, .. }
            | JobOutput::Cordon { minute, .. }
            | JobOutput::Express { minute, .. } => *minute,
        }
    }
}

/// Applies job outputs to the live city state and announces price changes.
pub fn publish(live: &omnibus_core::live::LiveCity, outputs: &[JobOutput]) {
    use omnibus_core::live::SegmentLive;
    let mut segments = Vec::new();
    live.write(|state| {
        for out in outputs {
            match out {
                JobOutput::Segment(s) => segments.push((
                    s.segment,
                    SegmentLive {
                        minute: s.minute,
                        vehicles: s.vehicles,
                        loop_count: s.loop_count,
                        window_speed: s.window_speed.map(MillimetersPerSecond::mps),
                        price: s.price,
                        policy_version: s.policy_version,
                    },
                )),
                JobOutput::Parking { facility, minute, time, occupied, capacity, price_per_hour, .. } => {
                    let live = ParkingLive {
                        time: *time,
                        minute: *minute,
                        occupied: *occupied,
                        capacity: *capacity,
                        price_per_hour: *price_per_hour,
                    };
                    state.parking.insert(facility.clone(), live);
                }
                JobOutput::Cordon { owed, .. } => {
                    state.cordon.passages += 1;
                    state.cordon.revenue = state.cordon.revenue + *owed;
                    state.cordon.charged += u64::from(owed.0 > 0);
                }
                JobOutput::Express { zone, minute, density_milli, price, policy_version } => {
                    let live = omnibus_core::live::ExpressLive {
                        minute: *minute,
                        density_milli: *density_milli,
                        price: *price,
                        policy_version: *policy_version,
                    };
                    state.express.insert(zone.clone(), live);
                }
                JobOutput::Bike { station, time, bikes, docks, .. } => {
                    state
                        .bikes
                        .insert(station.clone(), BikeLive { time: *time, bikes: *bikes, docks: *docks });
                }
            }
            let m = out.minute();
            if state.latest_minute.is_none_or(|l| l < m) {
                state.latest_minute = Some(m);
            }
        }
    });
    live.update_segments(segments);
}
