//! Omnibus car routing with a customizable contraction hierarchy (CCH, after
//! Dibbelt, Strasser and Wagner), in three phases:
//!
//! 1. **Preprocessing** ([`Cch::new`], metric-independent, once per road
//!    network): the nodes are ranked by nested dissection of the undirected
//!    graph (each connected piece is cut by inertial flow: a minimum vertex
//!    separator between the nodes at either end of a few directions over the
//!    node coordinates; separators rank above both sides), then contracted in
//!    rank order into a chordal "upward" graph: each node's higher-ranked
//!    neighbours become a clique.
//! 2. **Customization** ([`Cch::customize`], whenever travel times change,
//!    milliseconds for a city): input arc weights go onto the CCH edges (cheapest
//!    of parallel arcs), then every lower triangle is applied bottom-up, giving
//!    each edge its upward and downward shortcut length and how to unpack it.
//! 3. **Queries** ([`Query::run`]): an elimination-tree search from both ends
//!    (no priority queue), then the path is unpacked into input arc ids.
//!
//! [`dijkstra`] is the plain reference the tests hold the hierarchy to.

mod cch;
mod dijkstra;
mod metric;
mod order;
mod query;

#[cfg(test)]
mod tests;

pub use cch::Cch;
pub use dijkstra::dijkstra;
pub use metric::Metric;
pub use query::{Query, Searcher};

/// Weight of a closed arc (`u32::MAX`): the arc is never used.
pub const INFINITY: u32 = u32::MAX;

/// "No node / no edge / no arc" in the internal `u32` id arrays.
pub(crate) const NO_NODE: u32 = u32::MAX;
