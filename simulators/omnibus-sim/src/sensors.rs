//! The city's fixed telemetry sources as the simulation sees them: loop
//! detectors, parking facilities and bike-share stations.

use crate::traffic::Segments;
use omnibus_core::{City, NodeId, SegmentId};
use omnibus_proto::v1::telemetry_record::Kind;
use omnibus_proto::v1::{BikeStationStatus, LoopDetectorCount, ParkingOccupancy, TelemetryRecord};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Arrivals within this distance of a parking facility park there (at the
/// nearest one).
pub const PARKING_CATCHMENT_M: f64 = 400.0;
/// Share of a facility's spaces taken before the simulation starts.
const PARKING_BASE_SHARE: f64 = 0.15;
/// Largest change of a bike station's bikes between two reports.
const BIKE_STEP: i64 = 2;

#[derive(Debug)]
struct Parking {
    id: String,
    xy: [f64; 2],
    capacity: u32,
    base: u32,
    arrived: u32,
}

#[derive(Debug)]
struct BikeStation {
    id: String,
    capacity: u32,
    bikes: u32,
}

/// Loop detectors, parking facilities and bike stations with their state.
#[derive(Debug)]
pub(crate) struct Sensors {
    detectors: Vec<(String, SegmentId)>,
    parking: Vec<Parking>,
    bikes: Vec<BikeStation>,
    bike_rng: ChaCha8Rng,
}

impl Sensors {
    pub fn new(city: &City, mut bike_rng: ChaCha8Rng) -> Sensors {
        let projection = city.network.projection();
        let segments = city.network.segments().len();
        let detectors = city
            .registry
            .detectors
            .iter()
            .filter(|(_, s)| s.index() < segments)
            .map(|(id, &s)| (id.clone(), s))
            .collect();
        let parking = city
            .registry
            .parking
            .iter()
            .map(|(id, site)| Parking {
                id: id.clone(),
                xy: projection.project(site.pos),
                capacity: site.capacity,
                base: (f64::from(site.capacity) * PARKING_BASE_SHARE).round() as u32,
                arrived: 0,
            })
            .collect();
        let bikes = city
            .registry
            .bike_stations
            .iter()
            .map(|(id, site)| BikeStation {
                id: id.clone(),
                capacity: site.capacity,
                bikes: bike_rng.random_range(0..=site.capacity),
            })
            .collect();
        Sensors { detectors, parking, bikes, bike_rng }
    }

    /// A vehicle arrived at `node`: it takes a space at the nearest facility
    /// within [`PARKING_CATCHMENT_M`], if any.
    pub fn arrived(&mut self, city: &City, node: NodeId) {
        if self.parking.is_empty() {
            return;
        }
        let p = city.network.projection().project(city.network.node(node).pos);
        let mut best: Option<(usize, f64)> = None;
        for (i, f) in self.parking.iter().enumerate() {
            let d2 = (f.xy[0] - p[0]).powi(2) + (f.xy[1] - p[1]).powi(2);
            if d2 <= PARKING_CATCHMENT_M * PARKING_CATCHMENT_M && best.is_none_or(|(_, b)| d2 < b) {
                best = Some((i, d2));
            }
        }
        if let Some((i, _)) = best {
            self.parking[i].arrived = self.parking[i].arrived.saturating_add(1);
        }
    }

    /// A count for the minute ending at `time_ms` from every loop detector whose
    /// segment vehicles entered in that minute or that holds vehicles now
    /// (idle loops stay silent, to keep the volume down); resets the
    /// per-minute entry counters.
    pub fn loop_counts(&self, segs: &mut Segments, time_ms: i64, out: &mut Vec<TelemetryRecord>) {
        for (id, seg) in &self.detectors {
            let s = seg.index();
            if segs.entered[s] == 0 && segs.count[s] == 0 {
                continue;
            }
            let occupancy = (f64::from(segs.count[s]) / f64::from(segs.jam[s])).clamp(0.0, 1.0);
            out.push(TelemetryRecord {
                kind: Some(Kind::LoopCount(LoopDetectorCount {
                    detector_id: id.clone(),
                    time_ms,
                    interval_s: 60,
                    vehicle_count: segs.entered[s],
                    occupancy,
                })),
            });
        }
        segs.entered.fill(0);
    }

    /// The occupancy of every parking facility at `time_ms`.
    pub fn parking(&self, time_ms: i64, out: &mut Vec<TelemetryRecord>) {
        for f in &self.parking {
            out.push(TelemetryRecord {
                kind: Some(Kind::Parking(ParkingOccupancy {
                    facility_id: f.id.clone(),
                    time_ms,
                    occupied: f.base.saturating_add(f.arrived).min(f.capacity),
                    capacity: f.capacity,
                })),
            });
        }
    }

    /// Moves every bike station a random step and reports it at `time_ms`.
    pub fn bike_stations(&mut self, time_ms: i64, out: &mut Vec<TelemetryRecord>) {
        for b in &mut self.bikes {
            let delta = self.bike_rng.random_range(-BIKE_STEP..=BIKE_STEP);
            b.bikes = (i64::from(b.bikes) + delta).clamp(0, i64::from(b.capacity)) as u32;
            out.push(TelemetryRecord {
                kind: Some(Kind::BikeStation(BikeStationStatus {
                    station_id: b.id.clone(),
                    time_ms,
                    num_bikes_available: b.bikes,
                    num_docks_available: b.capacity - b.bikes,
                    is_renting: true,
                    is_returning: true,
                })),
            });
        }
    }
}
