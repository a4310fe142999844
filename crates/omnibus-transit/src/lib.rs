//! Omnibus public transport: GTFS static import ([`gtfs`]: errors name the
//! file, line and field; bad rows are skipped and reported), one service day
//! laid out for RAPTOR ([`timetable`]: patterns, the patterns at each stop,
//! footpaths), RAPTOR earliest-arrival queries ([`raptor`]), and a plain
//! connection scan ([`csa`]) that tests hold RAPTOR to.

pub mod csa;
pub mod gtfs;
pub mod raptor;
pub mod timetable;

pub use gtfs::{Feed, FeedError, ImportReport};
pub use raptor::{Raptor, UNREACHED};
pub use timetable::Timetable;
