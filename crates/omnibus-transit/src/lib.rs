//! Omnibus public transport: GTFS static import ([`gtfs`]: errors name the
//! file, line and field; bad rows are skipped and reported), one service day
//! laid out for RAPTOR ([`timetable`]: patterns, the patterns at each stop,
//! footpaths), RAPTOR earliest-arrival queries and Pareto sets over arrival
//! time and trips taken ([`raptor`]), McRAPTOR's Pareto sets over arrival,
//! trips and money from many access stops to many egress stops
//! ([`mcraptor`]), and a plain connection scan ([`csa`], also per trip count
//! and over all three criteria) that tests hold both to.

pub mod bench;
pub mod csa;
pub mod gtfs;
pub mod mcraptor;
pub mod raptor;
pub mod realtime;
pub mod timetable;

pub use gtfs::{Feed, FeedError, ImportReport};
pub use mcraptor::{Access, Egress, Journey, McRaptor};
pub use raptor::{Raptor, UNREACHED};
pub use timetable::Timetable;
