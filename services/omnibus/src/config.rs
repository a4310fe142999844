//! The TOML configuration of `omnibus serve` and the demo. Every table and
//! key is optional; unknown keys are errors that name the key and line.

use omnibus_core::policy::Policy;
use omnibus_ingest::IngestConfig;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One of the services a process can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Telemetry ingest with the traffic stream job.
    Ingest,
    /// Live prices and the pricing policy.
    Pricing,
    /// Journey planning.
    Planner,
    /// The Linear Road benchmark's tolling job (not started by default).
    LinearRoad,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Ingest => "ingest",
            Service::Pricing => "pricing",
            Service::Planner => "planner",
            Service::LinearRoad => "linear-road",
        })
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Services this process runs.
    pub services: Vec<Service>,
    /// The city.
    pub city: CityConfig,
    /// Listen addresses.
    pub server: ServerConfig,
    /// The stream job.
    pub stream: StreamConfig,
    /// The ingest service.
    pub ingest: IngestConfig,
    /// The pricing policy in force at start (validated when the platform starts).
    pub policy: Policy,
    /// The stream node a replica mirrors.
    pub upstream: UpstreamConfig,
    /// The Linear Road service.
    pub linear_road: LinearRoadConfig,
}

/// The Linear Road service: its workers and the history its historical
/// queries read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearRoadConfig {
    /// Timely workers per run.
    pub workers: usize,
    /// Historical tolls for daily-expenditure queries: `VID,Day,XWay,Toll` lines.
    pub toll_history: Option<PathBuf>,
    /// Segment statistics for travel-time queries: `XWay,Dir,Seg,DOW,Quarter,LAV,Toll` lines.
    pub segment_history: Option<PathBuf>,
}

impl Default for LinearRoadConfig {
    fn default() -> Self {
        LinearRoadConfig { workers: 2, toll_history: None, segment_history: None }
    }
}

/// Where a process without the ingest service (and so without the stream job)
/// gets the live state: the pricing service of the node that runs the job.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// `http://host:port` of the stream node's pricing service. Live segment
    /// figures are mirrored from it, and policy reads and changes go to it.
    pub pricing: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            services: vec![Service::Ingest, Service::Pricing, Service::Planner],
            city: CityConfig::default(),
            server: ServerConfig::default(),
            stream: StreamConfig::default(),
            ingest: IngestConfig::default(),
            policy: Policy::default(),
            upstream: UpstreamConfig::default(),
            linear_road: LinearRoadConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file; errors name the file, line and key.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            match line {
                Some(l) => format!("line {l}: {}", e.message()),
                None => e.message().to_owned(),
            }
        })
    }
}

/// Which city to load.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CityConfig {
    /// Display name.
    pub name: String,
    /// An `.osm.pbf` extract; the bundled Porto Alegre extract when absent.
    pub osm_pbf: Option<PathBuf>,
    /// A GBFS feed directory whose `station_information.json` adds the city's
    /// bike-share stations (their live state then comes from telemetry).
    pub gbfs: Option<PathBuf>,
}

impl Default for CityConfig {
    fn default() -> Self {
        CityConfig { name: "Porto Alegre".into(), osm_pbf: None, gbfs: None }
    }
}

/// Listen addresses; port 0 picks a free one.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Ingest service.
    pub ingest: SocketAddr,
    /// Pricing service.
    pub pricing: SocketAddr,
    /// Planner service.
    pub planner: SocketAddr,
    /// Linear Road service.
    pub linear_road: SocketAddr,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            ingest: ([127, 0, 0, 1], 50051).into(),
            pricing: ([127, 0, 0, 1], 50052).into(),
            planner: ([127, 0, 0, 1], 50053).into(),
            linear_road: ([127, 0, 0, 1], 50054).into(),
        }
    }
}

impl ServerConfig {
    /// The address of `service`.
    pub fn addr(&self, service: Service) -> SocketAddr {
        match service {
            Service::Ingest => self.ingest,
            Service::Pricing => self.pricing,
            Service::Planner => self.planner,
            Service::LinearRoad => self.linear_road,
        }
    }

    /// Every service on a free loopback port.
    pub fn ephemeral() -> ServerConfig {
        let any: SocketAddr = ([127, 0, 0, 1], 0).into();
        ServerConfig { ingest: any, pricing: any, planner: any, linear_road: any }
    }
}

/// The stream job.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Worker threads.
    pub workers: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig { workers: 2 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../../config/omnibus.toml");
        let c = Config::parse(text).unwrap();
        assert_eq!(c.services.len(), 3);
        assert_eq!(c.policy, Policy::default());
        c.policy.validate().unwrap();
    }

    #[test]
    fn other_rules_are_configured_by_name() {
        use omnibus_core::network::RoadClass;
        use omnibus_core::policy::PricingRule;
        let text = "[policy.rule.class_bands]\nbands = { primary = [20.0, 30.0] }\nreview_minutes = 10\n\n[policy.parking]\nreview_minutes = 60\n";
        let c = Config::parse(text).unwrap();
        let PricingRule::ClassBands(b) = &c.policy.rule else { panic!("{:?}", c.policy.rule) };
        assert_eq!(b.bands.get(&RoadClass::Primary), Some(&(20.0, 30.0)));
        assert_eq!((b.review_minutes, c.policy.parking.review_minutes), (10, 60));
        c.policy.validate().unwrap();
        let err = Config::parse("[policy.rule.class_bands]\nbands = { freeway = [1.0, 2.0] }\n").unwrap_err();
        assert!(err.starts_with("line 2:") && err.contains("freeway"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err = Config::parse("[stream]\nworkers = 2\nwrokers = 3\n").unwrap_err();
        assert!(err.starts_with("line 3:") && err.contains("wrokers"), "{err}");
    }
}
