//! A city: its road network, map matcher and telemetry registry, loaded once and
//! shared by every service.

use crate::gbfs;
use crate::matcher::{MapMatcher, MatcherConfig};
use crate::network::{Bounds, RoadNetwork};
use crate::osm::{self, OsmError, OsmImport};
use crate::registry::Registry;
use crate::streets::StreetGraph;
use std::path::Path;

/// The bundled sample city: central Porto Alegre, Brazil.
/// © OpenStreetMap contributors, ODbL (see `data/README.md`).
pub const PORTO_ALEGRE_PBF: &[u8] = include_bytes!("../../../data/porto-alegre/poa_osm.pbf");

/// Margin around the road network inside which telemetry positions are accepted.
pub const CITY_MARGIN_M: f64 = 500.0;

/// A loaded city.
#[derive(Debug)]
pub struct City {
    /// Display name.
    pub name: String,
    /// The drivable network.
    pub network: RoadNetwork,
    /// Map matcher over the network.
    pub matcher: MapMatcher,
    /// Known telemetry sources.
    pub registry: Registry,
    /// Where telemetry may come from: the network's box plus [`CITY_MARGIN_M`].
    pub area: Bounds,
    /// The walk and bike graph.
    pub streets: StreetGraph,
}

impl City {
    /// The bundled Porto Alegre extract.
    pub fn porto_alegre() -> City {
        let import = osm::import_bytes(PORTO_ALEGRE_PBF, "porto-alegre (bundled)")
            .expect("the bundled Porto Alegre extract imports");
        City::from_import("Porto Alegre".to_owned(), import)
    }

    /// A city from an `.osm.pbf` file.
    pub fn load(name: &str, path: &Path) -> Result<City, OsmError> {
        Ok(City::from_import(name.to_owned(), osm::import_path(path)?))
    }

    /// Registers the bike-share stations of a GBFS feed (as `gbfs-{station_id}`),
    /// those inside the city's area; returns the ids of those outside it.
    pub fn add_gbfs_stations(&mut self, feed: &gbfs::Feed) -> Vec<String> {
        let mut outside = Vec::new();
        for (id, site) in feed.sites() {
            if self.area.contains(site.pos) {
                self.registry.bike_stations.insert(id, site);
            } else {
                outside.push(id);
            }
        }
        outside
    }

    fn from_import(name: String, import: OsmImport) -> City {
        let registry = Registry::from_osm(&import.network, &import.parking, &import.bike_rental);
        let matcher = MapMatcher::new(&import.network, MatcherConfig::default());
        let area = import.network.bounds().expanded(CITY_MARGIN_M);
        City { name, network: import.network, matcher, registry, area, streets: import.streets }
    }
}
