//! Omnibus city simulator: synthetic vehicles drive the road network through a
//! morning peak, under congestion and spillback, and report what a real city's
//! sensors would — vehicle probes, loop-detector counts, parking occupancy and
//! bike-station status — on the simulated clock.
//!
//! A run is fully determined by the city and its [`SimConfig`] (seed included):
//! the demand ([`demand`]) and the bike stations draw from separate seeded
//! ChaCha8 streams, the traffic model ([`traffic`]) advances in fixed steps in a
//! fixed vehicle order, and no wall-clock time is read. [`Simulation::step`]
//! returns the records due in each step; [`drive`] runs a simulation to the end
//! against the ingest service's `IngestBatch` RPC. [`linear_road`] generates
//! Linear Road benchmark workloads, and [`lr_rating`] replays them through the
//! Linear Road gRPC service and measures every output's latency.

mod clock;
mod config;
pub mod demand;
mod drive;
pub mod linear_road;
pub mod lr_rating;
mod sensors;
mod sim;
pub mod traffic;

pub use clock::SimClock;
pub use config::{DEFAULT_START, SimConfig};
pub use drive::{REJECTION_SAMPLES, SimError, SimReport, connect, drive};
pub use sensors::PARKING_CATCHMENT_M;
pub use sim::{SimStats, Simulation};
