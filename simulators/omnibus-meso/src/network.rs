//! The road network of the queue model: directed links between numbered nodes, each with a
//! free-flow time, an outflow capacity and a storage capacity, plus fixed-time signal plans at
//! nodes.

use std::fmt;

use crate::error::MesoError;

/// Length of road one queued vehicle occupies, in metres: SUMO's default passenger car (5 m) plus
/// its default minimum gap (2.5 m). [`MesoConfig::default`](crate::MesoConfig) uses it, and so does
/// [`Network::storage`].
pub const DEFAULT_VEHICLE_LENGTH_M: f64 = 7.5;

/// Largest free-flow time, headway or departure time accepted, in milliseconds (2^53 ms, about
/// 285 000 years): keeps every time the engine computes far from `i64` overflow.
pub const MAX_TIME_MS: i64 = 1 << 53;

/// Index of a link in [`Network::links`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

impl LinkId {
    /// The link as a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link {}", self.0)
    }
}

/// One directed road link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// Node the link starts at.
    pub from: u32,
    /// Node the link ends at.
    pub to: u32,
    /// Length in metres (> 0).
    pub length_m: f64,
    /// Free-flow speed in metres per second (> 0).
    pub free_speed_mps: f64,
    /// Number of lanes (>= 1); scales the storage capacity.
    pub lanes: u32,
    /// Outflow capacity of the whole link in vehicles per hour (> 0): departures from the link are
    /// at least `3600 / capacity_vph` seconds apart.
    pub capacity_vph: f64,
}

/// A fixed-time signal at a node: phases repeat with period sum(phases_ms), shifted by offset_ms.
///
/// Phase 0 starts at `offset_ms + k * cycle` for every integer `k`.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalPlan {
    /// Time at which a cycle starts (phase 0 begins), in milliseconds; any value, taken modulo the
    /// cycle.
    pub offset_ms: i64,
    /// Phase durations in milliseconds: 1 to 64 phases, each > 0.
    pub phases_ms: Vec<i64>,
    /// The turns this signal controls.
    pub movements: Vec<Movement>,
}

/// A turn from `from` into `to` (from.to == to.from == the signal's node) and the phases (bit i =
/// phase i) in which it has green. Turns not listed at a signalized node are always green.
///
/// A listed movement with `green == 0` never has green: vehicles making that turn wait until the
/// stuck timeout moves them on (see [`MesoConfig::stuck_ms`](crate::MesoConfig)).
#[derive(Clone, Debug, PartialEq)]
pub struct Movement {
    /// Incoming link.
    pub from: LinkId,
    /// Outgoing link.
    pub to: LinkId,
    /// Bit i set: green during phase i.
    pub green: u64,
}

/// A signal plan with its cycle precomputed.
#[derive(Clone, Debug)]
pub(crate) struct Signal {
    pub(crate) plan: SignalPlan,
    pub(crate) cycle_ms: i64,
    /// `offset_ms` modulo the cycle.
    pub(crate) offset_ms: i64,
    /// End of each phase within the cycle (cumulative durations).
    pub(crate) phase_ends: Vec<i64>,
}

impl Signal {
    /// The first instant `>= t_ms` at which a movement with green mask `green` has green, or `None`
    /// when it never has.
    pub(crate) fn next_green(&self, green: u64, t_ms: i64) -> Option<i64> {
        let n = self.phase_ends.len();
        let pos = (t_ms - self.offset_ms).rem_euclid(self.cycle_ms);
        let phase = self.phase_ends.partition_point(|&end| end <= pos);
        if green >> phase & 1 == 1 {
            return Some(t_ms);
        }
        if green == 0 {
            return None;
        }
        // The next phase (cyclically) that has green: rotate the mask so that bit 0 is the phase
        // after the current one.
        let mask = if n == 64 { green } else { green & ((1u64 << n) - 1) };
        let after = phase + 1;
        let rotated = if after >= n { mask } else { (mask >> after) | (mask << (n - after)) };
        let rotated = if n == 64 { rotated } else { rotated & ((1u64 << n) - 1) };
        let next = (after + rotated.trailing_zeros() as usize) % n;
        let start = if next == 0 { 0 } else { self.phase_ends[next - 1] };
        let wait = if start > pos { start - pos } else { self.cycle_ms - pos + start };
        Some(t_ms + wait)
    }
}

/// Directed links between nodes `0..node_count`, with optional fixed-time signals at nodes.
#[derive(Clone, Debug)]
pub struct Network {
    node_count: usize,
    links: Vec<LinkSpec>,
    free_flow_ms: Vec<i64>,
    headway_ms: Vec<i64>,
    /// Signal per node (indexed by node), `None` for unsignalized nodes.
    signals: Vec<Option<Signal>>,
}

fn positive_finite(link: usize, field: &'static str, value: f64) -> Result<(), MesoError> {
    if !value.is_finite() {
        return Err(MesoError::InvalidLink { link, field, value, reason: "not finite" });
    }
    if value <= 0.0 {
        return Err(MesoError::InvalidLink { link, field, value, reason: "must be > 0" });
    }
    Ok(())
}

/// Free-flow traversal time in whole milliseconds: `length / speed` rounded to the nearest
/// millisecond, at least 1 ms.
fn free_flow_ms(spec: &LinkSpec) -> i64 {
    ((spec.length_m / spec.free_speed_mps * 1000.0).round() as i64).max(1)
}

/// Minimum time between two departures from a link: `3600 / capacity` seconds rounded to the
/// nearest millisecond, at least 1 ms.
fn headway_ms(spec: &LinkSpec) -> i64 {
    ((3_600_000.0 / spec.capacity_vph).round() as i64).max(1)
}

/// Vehicles a link of `length_m` metres and `lanes` lanes holds when each takes
/// `vehicle_length_m` metres: `max(1, floor(length * lanes / vehicle_length))`.
pub(crate) fn storage_of(spec: &LinkSpec, vehicle_length_m: f64) -> u32 {
    let raw = spec.length_m * f64::from(spec.lanes) / vehicle_length_m;
    // The tiny tolerance keeps exact multiples (75 m / 7.5 m) from rounding down to 9.
    let vehicles = (raw + 1e-9).floor();
    if vehicles >= f64::from(u32::MAX) { u32::MAX } else { (vehicles as u32).max(1) }
}

impl Network {
    /// Checks the links and builds the network: node ids must be `< node_count`; length, speed and
    /// capacity finite and positive; at least one lane.
    pub fn new(node_count: usize, links: Vec<LinkSpec>) -> Result<Network, MesoError> {
        let max = u64::from(u32::MAX);
        if node_count as u64 > max + 1 {
            return Err(MesoError::TooLarge { what: "nodes", count: node_count, max: max + 1 });
        }
        // u32::MAX is reserved as "no link" inside the engine.
        if links.len() as u64 >= max {
            return Err(MesoError::TooLarge { what: "links", count: links.len(), max: max - 1 });
        }
        for (i, spec) in links.iter().enumerate() {
            for (field, node) in [("from", spec.from), ("to", spec.to)] {
                if node as usize >= node_count {
                    return Err(MesoError::LinkNodeOutOfRange {
                        link: i,
                        field,
                        node: node.into(),
                        node_count,
                    });
                }
            }
            positive_finite(i, "length_m", spec.length_m)?;
            positive_finite(i, "free_speed_mps", spec.free_speed_mps)?;
            if spec.lanes == 0 {
                return Err(MesoError::InvalidLink {
                    link: i,
                    field: "lanes",
                    value: 0.0,
                    reason: "must be >= 1",
                });
            }
            positive_finite(i, "capacity_vph", spec.capacity_vph)?;
            if spec.length_m / spec.free_speed_mps * 1000.0 > MAX_TIME_MS as f64 {
                return Err(MesoError::InvalidLink {
                    link: i,
                    field: "free_speed_mps",
                    value: spec.free_speed_mps,
                    reason: "the free-flow time exceeds MAX_TIME_MS",
                });
            }
            if 3_600_000.0 / spec.capacity_vph > MAX_TIME_MS as f64 {
                return Err(MesoError::InvalidLink {
                    link: i,
                    field: "capacity_vph",
                    value: spec.capacity_vph,
                    reason: "the headway exceeds MAX_TIME_MS",
                });
            }
        }
        let free_flow_ms = links.iter().map(free_flow_ms).collect();
        let headway_ms = links.iter().map(headway_ms).collect();
        Ok(Network { node_count, links, free_flow_ms, headway_ms, signals: vec![None; node_count] })
    }

    /// Installs a fixed-time signal at `node`, replacing any plan already there. Phases: 1 to 64,
    /// each > 0 ms. Movements: both links meet at `node`, green bits only for existing phases, no
    /// turn listed twice.
    pub fn add_signal(&mut self, node: u32, plan: SignalPlan) -> Result<(), MesoError> {
        if node as usize >= self.node_count {
            return Err(MesoError::SignalNodeOutOfRange { node, node_count: self.node_count });
        }
        let n = plan.phases_ms.len();
        if n == 0 || n > 64 {
            return Err(MesoError::InvalidSignal {
                node,
                field: "phases_ms",
                reason: format!("has {n} phases; 1 to 64 are supported"),
            });
        }
        let mut cycle_ms: i64 = 0;
        let mut phase_ends = Vec::with_capacity(n);
        for (i, &d) in plan.phases_ms.iter().enumerate() {
            if d <= 0 {
                return Err(MesoError::InvalidSignal {
                    node,
                    field: "phases_ms",
                    reason: format!("phase {i} lasts {d} ms; each phase must last > 0 ms"),
                });
            }
            cycle_ms = cycle_ms.checked_add(d).ok_or_else(|| MesoError::InvalidSignal {
                node,
                field: "phases_ms",
                reason: "the cycle length overflows".to_owned(),
            })?;
            phase_ends.push(cycle_ms);
        }
        let valid_bits = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        let mut seen: Vec<(u32, u32)> = Vec::with_capacity(plan.movements.len());
        for (index, m) in plan.movements.iter().enumerate() {
            let bad = |field: &'static str, reason: String| MesoError::InvalidMovement {
                node,
                index,
                from: m.from.0,
                to: m.to.0,
                field,
                reason,
            };
            let Some(from) = self.links.get(m.from.index()) else {
                return Err(bad("from", format!("link {} does not exist", m.from.0)));
            };
            if from.to != node {
                return Err(bad(
                    "from",
                    format!("link {} ends at node {}, not at the signal's node", m.from.0, from.to),
                ));
            }
            let Some(to) = self.links.get(m.to.index()) else {
                return Err(bad("to", format!("link {} does not exist", m.to.0)));
            };
            if to.from != node {
                return Err(bad(
                    "to",
                    format!("link {} starts at node {}, not at the signal's node", m.to.0, to.from),
                ));
            }
            if m.green & !valid_bits != 0 {
                return Err(bad(
                    "green",
                    format!("mask {:#x} has bits beyond the plan's {n} phases", m.green),
                ));
            }
            seen.push((m.from.0, m.to.0));
        }
        seen.sort_unstable();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            let (from, to) = w[0];
            let index = plan.movements.iter().rposition(|m| (m.from.0, m.to.0) == (from, to)).unwrap_or(0);
            return Err(MesoError::InvalidMovement {
                node,
                index,
                from,
                to,
                field: "from",
                reason: "this turn is listed more than once".to_owned(),
            });
        }
        let offset_ms = plan.offset_ms.rem_euclid(cycle_ms);
        self.signals[node as usize] = Some(Signal { plan, cycle_ms, offset_ms, phase_ends });
        Ok(())
    }

    /// The links, indexed by [`LinkId`].
    pub fn links(&self) -> &[LinkSpec] {
        &self.links
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Free-flow traversal time of `link`: `length / speed` rounded to the nearest millisecond (at
    /// least 1 ms), the value the engine uses.
    pub fn free_flow_ms(&self, link: LinkId) -> i64 {
        self.free_flow_ms[link.index()]
    }

    /// Minimum time between two departures from `link`: `3600 / capacity_vph` seconds rounded to the
    /// nearest millisecond (at least 1 ms), the value the engine uses.
    pub fn headway_ms(&self, link: LinkId) -> i64 {
        self.headway_ms[link.index()]
    }

    /// Vehicles `link` holds with the default vehicle length [`DEFAULT_VEHICLE_LENGTH_M`]:
    /// `max(1, floor(length * lanes / 7.5))`. See [`Network::storage_for`] for other lengths.
    pub fn storage(&self, link: LinkId) -> u32 {
        self.storage_for(link, DEFAULT_VEHICLE_LENGTH_M)
    }

    /// Vehicles `link` holds when each takes `vehicle_length_m` metres:
    /// `max(1, floor(length * lanes / vehicle_length))`, the value [`simulate`](crate::simulate)
    /// uses with `MesoConfig::vehicle_length_m == vehicle_length_m`.
    pub fn storage_for(&self, link: LinkId, vehicle_length_m: f64) -> u32 {
        storage_of(&self.links[link.index()], vehicle_length_m)
    }

    /// The signal plan at `node`, if it has one.
    pub fn signal(&self, node: u32) -> Option<&SignalPlan> {
        self.signals.get(node as usize)?.as_ref().map(|s| &s.plan)
    }

    /// The first instant `>= t_ms` at which the turn `from -> to` has green: `t_ms` itself at an
    /// unsignalized node or for a turn the node's plan does not list, `None` for a listed turn that
    /// never has green.
    pub fn next_green_ms(&self, from: LinkId, to: LinkId, t_ms: i64) -> Option<i64> {
        let node = self.links[from.index()].to;
        let Some(signal) = &self.signals[node as usize] else { return Some(t_ms) };
        match signal.plan.movements.iter().find(|m| m.from == from && m.to == to) {
            Some(m) => signal.next_green(m.green, t_ms),
            None => Some(t_ms),
        }
    }

    pub(crate) fn signals(&self) -> &[Option<Signal>] {
        &self.signals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(from: u32, to: u32, length_m: f64) -> LinkSpec {
        LinkSpec { from, to, length_m, free_speed_mps: 10.0, lanes: 1, capacity_vph: 1800.0 }
    }

    #[test]
    fn derived_values() {
        let mut l = link(0, 1, 183.2);
        l.free_speed_mps = 13.89;
        l.lanes = 2;
        l.capacity_vph = 3600.0;
        let net = Network::new(2, vec![l, link(1, 0, 1.0)]).unwrap();
        assert_eq!(net.free_flow_ms(LinkId(0)), 13_189);
        assert_eq!(net.headway_ms(LinkId(0)), 1000);
        assert_eq!(net.storage(LinkId(0)), 48);
        assert_eq!(net.storage(LinkId(1)), 1, "a link shorter than a vehicle still holds one");
        assert_eq!(net.storage_for(LinkId(0), 5.0), 73);
        assert_eq!(Network::new(2, vec![link(0, 1, 75.0)]).unwrap().storage(LinkId(0)), 10);
    }

    #[test]
    fn link_validation_names_link_and_field() {
        let mut bad = link(0, 1, 100.0);
        bad.free_speed_mps = f64::NAN;
        let err = Network::new(2, vec![link(0, 1, 10.0), bad]).unwrap_err().to_string();
        assert!(
            err.contains("link 1") && err.contains("free_speed_mps") && err.contains("not finite"),
            "{err}"
        );
        let err = Network::new(2, vec![link(0, 5, 10.0)]).unwrap_err().to_string();
        assert!(err.contains("link 0") && err.contains("`to`") && err.contains("node 5"), "{err}");
        let err = Network::new(2, vec![link(0, 1, -1.0)]).unwrap_err().to_string();
        assert!(err.contains("length_m"), "{err}");
        let mut l = link(0, 1, 10.0);
        l.lanes = 0;
        assert!(Network::new(2, vec![l]).unwrap_err().to_string().contains("lanes"));
        let mut l = link(0, 1, 10.0);
        l.capacity_vph = 0.0;
        assert!(Network::new(2, vec![l]).unwrap_err().to_string().contains("capacity_vph"));
    }

    fn cross() -> Network {
        // 0 -> 1 -> 2 and 3 -> 1 -> 4
        Network::new(5, vec![link(0, 1, 10.0), link(1, 2, 10.0), link(3, 1, 10.0), link(1, 4, 10.0)]).unwrap()
    }

    #[test]
    fn signal_validation() {
        let mut net = cross();
        let plan = |movements| SignalPlan { offset_ms: 0, phases_ms: vec![1000, 2000], movements };
        let m = |from, to, green| Movement { from: LinkId(from), to: LinkId(to), green };
        assert!(net.add_signal(1, plan(vec![m(0, 1, 1), m(2, 3, 2)])).is_ok());
        let err = net.add_signal(1, plan(vec![m(1, 3, 1)])).unwrap_err().to_string();
        assert!(err.contains("node 1") && err.contains("movement 0") && err.contains("`from`"), "{err}");
        let err = net.add_signal(1, plan(vec![m(0, 2, 1)])).unwrap_err().to_string();
        assert!(err.contains("`to`"), "{err}");
        let err = net.add_signal(1, plan(vec![m(0, 1, 4)])).unwrap_err().to_string();
        assert!(err.contains("`green`"), "{err}");
        let err = net.add_signal(1, plan(vec![m(0, 1, 1), m(0, 1, 2)])).unwrap_err().to_string();
        assert!(err.contains("movement 1") && err.contains("more than once"), "{err}");
        let err = net.add_signal(9, plan(vec![])).unwrap_err().to_string();
        assert!(err.contains("node 9"), "{err}");
        let err =
            net.add_signal(1, SignalPlan { offset_ms: 0, phases_ms: vec![], movements: vec![] }).unwrap_err();
        assert!(err.to_string().contains("phases_ms"));
        let err = net
            .add_signal(1, SignalPlan { offset_ms: 0, phases_ms: vec![5, 0], movements: vec![] })
            .unwrap_err();
        assert!(err.to_string().contains("phase 1"));
        let err = net
            .add_signal(1, SignalPlan { offset_ms: 0, phases_ms: vec![1; 65], movements: vec![] })
            .unwrap_err();
        assert!(err.to_string().contains("65 phases"));
    }

    #[test]
    fn next_green() {
        let mut net = cross();
        let m = |from, to, green| Movement { from: LinkId(from), to: LinkId(to), green };
        // Cycle 10 s: phase 0 [0, 4 s), phase 1 [4, 5 s), phase 2 [5, 9 s), phase 3 [9, 10 s);
        // shifted by 1 s.
        let plan = SignalPlan {
            offset_ms: 1000,
            phases_ms: vec![4000, 1000, 4000, 1000],
            movements: vec![m(0, 1, 0b0001), m(2, 3, 0b0100), m(2, 1, 0)],
        };
        net.add_signal(1, plan).unwrap();
        let g = |from, to, t| net.next_green_ms(LinkId(from), LinkId(to), t);
        assert_eq!(g(0, 1, 1000), Some(1000));
        assert_eq!(g(0, 1, 4999), Some(4999));
        assert_eq!(g(0, 1, 5000), Some(11_000));
        assert_eq!(g(0, 1, 500), Some(1000), "before the offset: the previous cycle's last phase");
        assert_eq!(g(0, 1, 999 - 10_000), Some(1000 - 10_000));
        assert_eq!(g(2, 3, 1000), Some(6000));
        assert_eq!(g(2, 3, 9_999), Some(9_999));
        assert_eq!(g(2, 3, 10_000), Some(16_000));
        assert_eq!(g(2, 1, 0), None, "a listed turn with no green bit");
        assert_eq!(g(0, 3, 5000), Some(5000), "an unlisted turn is always green");
    }

    #[test]
    fn next_green_with_64_phases() {
        let mut net = cross();
        let plan = SignalPlan {
            offset_ms: 0,
            phases_ms: vec![10; 64],
            movements: vec![Movement { from: LinkId(0), to: LinkId(1), green: 1 << 63 | 1 << 2 }],
        };
        net.add_signal(1, plan).unwrap();
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), 0), Some(20));
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), 25), Some(25));
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), 30), Some(630));
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), 639), Some(639));
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), 640), Some(660));
    }
}
