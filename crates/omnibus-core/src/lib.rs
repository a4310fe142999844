//! Omnibus domain model, shared by every service, job and simulator: typed ids
//! and units, geographic helpers, the road network imported from OpenStreetMap,
//! map matching, shortest paths, the walk and bike street graph, pricing
//! policies, the telemetry registry and the live city state that the stream
//! job publishes.

pub mod city;
pub mod clock;
pub mod cordon;
pub mod express;
pub mod gbfs;
pub mod geo_util;
pub mod golden;
pub mod live;
pub mod matcher;
pub mod network;
pub mod osm;
pub mod policy;
pub mod registry;
pub mod routing;
pub mod seed;
pub mod shared_data;
pub mod streets;
pub mod units;

pub use city::City;
pub use geo_util::LatLon;
pub use units::{
    Cents, EventTime, Meters, MetersPerSecond, MillimetersPerSecond, Minute, NodeId, Seconds, SegmentId,
};
