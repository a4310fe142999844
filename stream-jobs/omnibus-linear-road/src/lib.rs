//! The Linear Road benchmark (Arasu et al., VLDB 2004) on Omnibus: the input
//! tuple format ([`tuple`]) and the variable-tolling rules as a plain
//! sequential program ([`reference`]) — segment statistics per minute, tolls,
//! accident detection and alerts, account balances and daily expenditures —
//! which the timely dataflow ([`dataflow`]) is checked against; [`live`]
//! runs that dataflow as a long-running job fed while it runs.

pub mod dataflow;
pub mod history;
pub mod live;
pub mod reference;
pub mod tuple;

pub use history::{History, SegmentHistory};
pub use reference::{Output, run};
pub use tuple::{HistoryRow, ParseError, PositionReport, Tuple, format_tuple, parse, parse_history};
