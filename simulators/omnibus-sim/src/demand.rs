//! Travel demand: one trip per vehicle, with an origin, a destination and a
//! departure time, drawn deterministically from the seed.
//!
//! Departures follow a morning peak: their density rises linearly over the first
//! two thirds of the horizon. About 70% of destinations lie within
//! [`DOWNTOWN_RADIUS_M`] of a downtown hotspot, the centre of the network's
//! densest area, so that congestion forms there.

use omnibus_core::network::RoadNetwork;
use omnibus_core::{LatLon, NodeId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Radius around the hotspot from which downtown destinations are drawn.
pub const DOWNTOWN_RADIUS_M: f64 = 1_200.0;
/// Share of trips that end downtown.
pub const DOWNTOWN_SHARE: f64 = 0.7;
/// Side of the grid cells used to find the densest area.
const CELL_M: f64 = 500.0;

/// One vehicle's trip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Trip {
    pub origin: NodeId,
    pub destination: NodeId,
    /// Milliseconds after the start of the simulation.
    pub depart_ms: i64,
}

/// The generated demand.
#[derive(Debug)]
pub(crate) struct Demand {
    /// Trips sorted by departure (ties keep the order in which they were drawn).
    pub trips: Vec<Trip>,
    /// The downtown hotspot.
    pub hotspot: LatLon,
}

/// Draws `vehicles` trips over `duration_ms`.
pub(crate) fn generate(
    network: &RoadNetwork,
    vehicles: usize,
    duration_ms: i64,
    rng: &mut ChaCha8Rng,
) -> Demand {
    let usable = usable_nodes(network);
    let hotspot = hotspot(network, &usable);
    if usable.len() < 2 {
        return Demand { trips: Vec::new(), hotspot };
    }
    let downtown: Vec<NodeId> = usable
        .iter()
        .copied()
        .filter(|&n| network.node(n).pos.distance_m(hotspot) <= DOWNTOWN_RADIUS_M)
        .collect();
    let downtown = if downtown.len() >= 2 { downtown } else { usable.clone() };
    let peak_ms = (duration_ms as f64 * 2.0 / 3.0).max(0.0);
    let mut trips = Vec::with_capacity(vehicles);
    for _ in 0..vehicles {
        // Linearly rising density on [0, peak]: the square root of a uniform draw.
        let depart_ms = (peak_ms * rng.random::<f64>().sqrt()) as i64;
        let pool = if rng.random::<f64>() < DOWNTOWN_SHARE { &downtown } else { &usable };
        let destination = pool[rng.random_range(0..pool.len())];
        let mut origin = usable[rng.random_range(0..usable.len())];
        while origin == destination {
            origin = usable[rng.random_range(0..usable.len())];
        }
        trips.push(Trip { origin, destination, depart_ms });
    }
    trips.sort_by_key(|t| t.depart_ms);
    Demand { trips, hotspot }
}

/// Junctions a trip can start or end at: with at least one segment in and one out.
fn usable_nodes(network: &RoadNetwork) -> Vec<NodeId> {
    let mut incoming = vec![false; network.nodes().len()];
    for s in network.segments() {
        incoming[s.to.index()] = true;
    }
    (0..network.nodes().len() as u32)
        .map(NodeId)
        .filter(|&n| incoming[n.index()] && !network.outgoing(n).is_empty())
        .collect()
}

/// The centre of the densest 1.5 km square (3 × 3 grid cells) of usable junctions.
fn hotspot(network: &RoadNetwork, usable: &[NodeId]) -> LatLon {
    let projection = network.projection();
    let cell_of = |xy: [f64; 2]| ((xy[0] / CELL_M).floor() as i64, (xy[1] / CELL_M).floor() as i64);
    let mut cells: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    for &n in usable {
        *cells.entry(cell_of(projection.project(network.node(n).pos))).or_default() += 1;
    }
    let block = |(cx, cy): (i64, i64)| -> u32 {
        let mut sum = 0;
        for dx in -1..=1 {
            for dy in -1..=1 {
                sum += cells.get(&(cx + dx, cy + dy)).copied().unwrap_or(0);
            }
        }
        sum
    };
    // Highest count wins; ties go to the first cell in key order.
    let mut best: Option<((i64, i64), u32)> = None;
    for &cell in cells.keys() {
        let count = block(cell);
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((cell, count));
        }
    }
    let Some(((cx, cy), _)) = best else {
        return network.bounds().center();
    };
    let (mut sx, mut sy, mut k) = (0.0, 0.0, 0.0);
    for &n in usable {
        let xy = projection.project(network.node(n).pos);
        let (x, y) = cell_of(xy);
        if (x - cx).abs() <= 1 && (y - cy).abs() <= 1 {
            sx += xy[0];
            sy += xy[1];
            k += 1.0;
        }
    }
    projection.unproject([sx / k, sy / k])
}
