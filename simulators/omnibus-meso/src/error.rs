//! The error type of the mesoscopic model: every message names the link, trip or node and the
//! field that is wrong.

/// Why a network, a signal plan, a trip or a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum MesoError {
    /// A link's numeric field is not finite, not positive, or otherwise out of range.
    #[error("link {link}: field `{field}` = {value} is invalid: {reason}")]
    InvalidLink { link: usize, field: &'static str, value: f64, reason: &'static str },
    /// A link refers to a node that does not exist.
    #[error(
        "link {link}: field `{field}` = node {node} is out of range (the network has {node_count} nodes)"
    )]
    LinkNodeOutOfRange { link: usize, field: &'static str, node: u64, node_count: usize },
    /// The network is larger than the 32-bit ids allow.
    #[error("the network has too many {what} ({count}); at most {max} are supported")]
    TooLarge { what: &'static str, count: usize, max: u64 },
    /// `add_signal` was given a node that does not exist.
    #[error("signal at node {node}: field `node` is out of range (the network has {node_count} nodes)")]
    SignalNodeOutOfRange { node: u32, node_count: usize },
    /// A signal plan's phases or offset are invalid.
    #[error("signal at node {node}: field `{field}` is invalid: {reason}")]
    InvalidSignal { node: u32, field: &'static str, reason: String },
    /// A movement of a signal plan is not a turn at the signal's node, or is listed twice.
    #[error("signal at node {node}: movement {index} ({from} -> {to}): field `{field}` is invalid: {reason}")]
    InvalidMovement { node: u32, index: usize, from: u32, to: u32, field: &'static str, reason: String },
    /// A trip has an empty route.
    #[error("trip {trip}: field `route` is empty")]
    EmptyRoute { trip: u32 },
    /// A route refers to a link that does not exist.
    #[error(
        "trip {trip}: route position {position}: link {link} does not exist (the network has {link_count} links)"
    )]
    UnknownLink { trip: u32, position: usize, link: u32, link_count: usize },
    /// Two consecutive links of a route do not meet at a node.
    #[error(
        "trip {trip}: route position {position}: link {link} starts at node {from_node} but the previous \
         link {previous} ends at node {previous_to_node}"
    )]
    Disconnected {
        trip: u32,
        position: usize,
        link: u32,
        from_node: u32,
        previous: u32,
        previous_to_node: u32,
    },
    /// A departure time beyond [`MAX_TIME_MS`](crate::MAX_TIME_MS).
    #[error("trip {trip}: field `depart_ms` = {depart_ms} is beyond +-2^53 ms")]
    InvalidDepart { trip: u32, depart_ms: i64 },
    /// Too many trips for 32-bit trip ids.
    #[error("too many trips: at most {max} are supported")]
    TooManyTrips { max: u64 },
    /// A configuration field is invalid.
    #[error("config: field `{field}` is invalid: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
}
