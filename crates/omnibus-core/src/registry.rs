//! The city's known telemetry sources: loop detectors, parking facilities and
//! bike-share stations. Telemetry naming any other id is refused.

use crate::geo_util::LatLon;
use crate::network::{RoadClass, RoadNetwork};
use crate::osm::OsmPoi;
use crate::units::SegmentId;
use std::collections::BTreeMap;

/// A place with a capacity: a parking facility or a bike-share station.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// Where it is.
    pub pos: LatLon,
    /// Spaces or docks.
    pub capacity: u32,
    /// Its name, if known.
    pub name: Option<String>,
}

/// Every telemetry source the city knows.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// Loop detectors by id, with the segment each one counts.
    pub detectors: BTreeMap<String, SegmentId>,
    /// Parking facilities by id.
    pub parking: BTreeMap<String, Site>,
    /// Bike-share stations by id.
    pub bike_stations: BTreeMap<String, Site>,
}

impl Registry {
    /// The registry of an imported city: one loop detector on every segment of a
    /// main road (secondary and above), `amenity=parking` facilities (capacity
    /// from the tag, else 50) and `amenity=bicycle_rental` stations (else 12 docks).
    pub fn from_osm(network: &RoadNetwork, parking: &[OsmPoi], bikes: &[OsmPoi]) -> Registry {
        let detectors = network
            .segments()
            .iter()
            .filter(|s| s.class <= RoadClass::Secondary)
            .map(|s| (format!("loop-{}", s.id.0), s.id))
            .collect();
        let site = |p: &OsmPoi, default: u32| Site {
            pos: p.pos,
            capacity: p.capacity.unwrap_or(default).max(1),
            name: p.name.clone(),
        };
        Registry {
            detectors,
            parking: parking.iter().map(|p| (format!("parking-{}", p.osm_ref), site(p, 50))).collect(),
            bike_stations: bikes.iter().map(|p| (format!("bike-{}", p.osm_ref), site(p, 12))).collect(),
        }
    }
}
