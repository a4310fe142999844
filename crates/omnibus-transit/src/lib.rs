//! Omnibus public transport: GTFS static import ([`gtfs`]: errors name the
//! file, line and field; bad rows are skipped and reported), one service day
//! laid out for RAPTOR ([`timetable`]: patterns, the patterns at each stop,
//! footpaths), RAPTOR earliest-arrival queries and Pareto sets over arrival
//! time and trips taken ([`raptor`]), and a plain connection scan ([`csa`],
//! also per trip count) that tests hold RAPTOR to.

pub mod csa;
pub mod gtfs;
pub mod raptor;
pub mod timetable;

pub use gtfs::{Feed, FeedError, ImportReport};
pub use raptor::{Raptor, UNREACHED};
pub use timetable::Timetable;
