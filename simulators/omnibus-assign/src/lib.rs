//! Static traffic assignment for Omnibus: user equilibrium (Wardrop) and system optimum on road
//! networks with BPR volume-delay functions `t = t0 (1 + b (x/c)^power)`, tolls in integer cents
//! converted to time by a value of time, and a distance term.
//!
//! - [`tntp`] reads the Transportation Networks for Research test problems (network, trips and
//!   best-known flows), honouring the first-thru-node rule (zones are never passed through).
//! - [`network::Network`] holds the links and a forward-star adjacency; [`shortest`] runs Dijkstra
//!   on it.
//! - [`assign::frank_wolfe`] is the link-based baseline; [`assign::gradient_projection`] is a
//!   path-based gradient projection with column generation that reaches tight relative gaps fast.
//!   Both equalise either the generalized cost (UE) or the marginal cost `t + x t'` (SO).
//! - [`tolls`] computes marginal-cost (Pigouvian) tolls `x t'(x)` at system-optimum flows.
//!
//! Everything is deterministic: origins and destinations are visited in node order.

pub mod assign;
pub mod demand;
pub mod network;
pub mod shortest;
pub mod tntp;
pub mod tolls;

pub use assign::{
    AssignError, AssignOptions, Assignment, IterationRecord, OdPaths, PathAssignment, PathFlow, frank_wolfe,
    gradient_projection, relative_gap,
};
pub use demand::{Demand, DemandError, OriginDemand};
pub use network::{CostMode, CostWeights, Link, LinkId, Network, NetworkError, NodeId};
pub use tntp::TntpError;
pub use tolls::{TollError, apply_marginal_cost_tolls, marginal_cost_tolls, marginal_cost_tolls_cents};
