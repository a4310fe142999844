//! The traffic model: a fixed-step, queue-aware link model.
//!
//! Each vehicle sits on one segment of its route at some offset. On a segment
//! holding `n` vehicles, each drives at the Greenshields speed
//! `v_free · max(0.05, 1 − (n − 1)/n_jam)`, where `n − 1` counts the *other*
//! vehicles (so a lone vehicle drives at free flow even on a segment a car
//! long) and `n_jam = lanes · length / 7.5 m`, rounded down, at least 1. A
//! vehicle may not enter a segment that already holds `n_jam` vehicles: it
//! waits at the end of its current segment (spillback). A vehicle that has been
//! blocked for [`MAX_BLOCKED_MS`] is moved ahead to the next segment of its
//! route with room (a "teleport", as in SUMO), which breaks gridlock cycles
//! without ever overfilling a segment.

use omnibus_core::network::RoadNetwork;
use omnibus_core::{NodeId, SegmentId};

/// Space one vehicle takes in a queue, metres per lane.
pub const VEHICLE_SPACING_M: f64 = 7.5;
/// Lowest speed, as a fraction of free flow, on a segment that is not empty.
pub const MIN_SPEED_FACTOR: f64 = 0.05;
/// How long a vehicle waits behind a full segment before it is moved ahead.
pub const MAX_BLOCKED_MS: i64 = 300_000;

/// Per-segment state, structure of arrays indexed by [`SegmentId`].
#[derive(Debug)]
pub(crate) struct Segments {
    pub length: Vec<f64>,
    pub free_flow: Vec<f64>,
    pub free_flow_time: Vec<f64>,
    pub jam: Vec<u32>,
    /// Vehicles on the segment now.
    pub count: Vec<u32>,
    /// Vehicles that entered since the last loop-detector report.
    pub entered: Vec<u32>,
    /// Lowest speed ratio any segment has had.
    pub min_ratio: f64,
}

impl Segments {
    pub fn new(network: &RoadNetwork) -> Segments {
        let segs = network.segments();
        let n = segs.len();
        Segments {
            length: segs.iter().map(|s| s.length.0.max(0.0)).collect(),
            free_flow: segs.iter().map(|s| s.free_flow.0.max(0.1)).collect(),
            free_flow_time: segs.iter().map(|s| s.length.0.max(0.0) / s.free_flow.0.max(0.1)).collect(),
            jam: segs.iter().map(|s| jam_count(f64::from(s.lanes), s.length.0)).collect(),
            count: vec![0; n],
            entered: vec![0; n],
            min_ratio: 1.0,
        }
    }

    /// Speed as a fraction of free flow with `count` vehicles on segment `s`.
    pub fn ratio(&self, s: usize, count: u32) -> f64 {
        let others = f64::from(count.saturating_sub(1));
        (1.0 - others / f64::from(self.jam[s])).max(MIN_SPEED_FACTOR)
    }

    /// The speed vehicles on segment `s` drive at now, m/s.
    pub fn speed(&self, s: usize) -> f64 {
        self.free_flow[s] * self.ratio(s, self.count[s])
    }

    pub fn is_full(&self, s: usize) -> bool {
        self.count[s] >= self.jam[s]
    }

    /// A vehicle drives onto segment `s`.
    fn enter(&mut self, s: usize) {
        self.count[s] += 1;
        self.entered[s] += 1;
        let r = self.ratio(s, self.count[s]);
        if r < self.min_ratio {
            self.min_ratio = r;
        }
    }

    fn leave(&mut self, s: usize) {
        debug_assert!(self.count[s] > 0);
        self.count[s] -= 1;
    }
}

/// Queue capacity of a segment.
pub(crate) fn jam_count(lanes: f64, length_m: f64) -> u32 {
    let n = (lanes.max(1.0) * length_m / VEHICLE_SPACING_M).floor();
    if n.is_finite() && n >= 1.0 { n.min(f64::from(u32::MAX)) as u32 } else { 1 }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VehicleState {
    /// Departed, waiting for room on its first segment.
    Queued,
    Driving,
    Done,
}

/// One vehicle with a route.
#[derive(Debug)]
pub(crate) struct Vehicle {
    /// The trip number, which names the vehicle.
    pub number: u32,
    pub destination: NodeId,
    pub route: Vec<SegmentId>,
    /// Index into `route` of the segment the vehicle is on.
    pub leg: usize,
    /// Metres from the start of the current segment.
    pub offset: f64,
    /// Distance covered in the last step over its length, m/s.
    pub speed: f64,
    pub state: VehicleState,
    /// When the vehicle started waiting behind a full segment.
    pub blocked_since_ms: Option<i64>,
    /// Offset of this vehicle's probe schedule within the report interval, ms.
    pub probe_phase_ms: i64,
}

impl Vehicle {
    pub fn segment(&self) -> SegmentId {
        self.route[self.leg]
    }
}

/// What one step of movement changed.
#[derive(Debug, Default)]
pub(crate) struct StepOutcome {
    pub entered_network: u64,
    pub arrived: u64,
    pub teleported: u64,
    pub driving: u64,
    pub speed_sum: f64,
}

/// Advances every vehicle in `active` (in that order) by `dt` seconds, ending
/// at `now_ms`. Destinations of arrivals are appended to `arrivals`.
pub(crate) fn advance(
    segs: &mut Segments,
    vehicles: &mut [Vehicle],
    active: &[u32],
    now_ms: i64,
    dt: f64,
    arrivals: &mut Vec<NodeId>,
) -> StepOutcome {
    let mut out = StepOutcome::default();
    for &i in active {
        let v = &mut vehicles[i as usize];
        if v.state == VehicleState::Queued {
            let first = v.route[0].index();
            if segs.is_full(first) {
                continue;
            }
            segs.enter(first);
            v.state = VehicleState::Driving;
            v.leg = 0;
            v.offset = 0.0;
            out.entered_network += 1;
        }
        if v.state != VehicleState::Driving {
            continue;
        }
        move_vehicle(segs, v, now_ms, dt, arrivals, &mut out);
        if v.state == VehicleState::Driving {
            out.driving += 1;
            out.speed_sum += v.speed;
        }
    }
    out
}

fn move_vehicle(
    segs: &mut Segments,
    v: &mut Vehicle,
    now_ms: i64,
    dt: f64,
    arrivals: &mut Vec<NodeId>,
    out: &mut StepOutcome,
) {
    let mut t_left = dt;
    let mut moved = 0.0;
    loop {
        let s = v.segment().index();
        let speed = segs.speed(s);
        let to_end = (segs.length[s] - v.offset).max(0.0);
        let reach = speed * t_left;
        if reach < to_end {
            v.offset += reach;
            moved += reach;
            v.blocked_since_ms = None;
            break;
        }
        moved += to_end;
        t_left -= to_end / speed;
        v.offset = segs.length[s];
        if v.leg + 1 == v.route.len() {
            segs.leave(s);
            v.state = VehicleState::Done;
            out.arrived += 1;
            arrivals.push(v.destination);
            break;
        }
        let next = v.route[v.leg + 1].index();
        if segs.is_full(next) {
            match v.blocked_since_ms {
                None => v.blocked_since_ms = Some(now_ms),
                Some(since) if now_ms - since >= MAX_BLOCKED_MS => teleport(segs, v, arrivals, out),
                Some(_) => {}
            }
            break;
        }
        v.blocked_since_ms = None;
        segs.leave(s);
        segs.enter(next);
        v.leg += 1;
        v.offset = 0.0;
        if t_left <= 0.0 {
            break;
        }
    }
    v.speed = moved / dt;
}

/// Moves a long-blocked vehicle to the next segment of its route with room, or
/// to its destination if there is none.
fn teleport(segs: &mut Segments, v: &mut Vehicle, arrivals: &mut Vec<NodeId>, out: &mut StepOutcome) {
    let from = v.segment().index();
    segs.leave(from);
    out.teleported += 1;
    v.blocked_since_ms = None;
    match (v.leg + 2..v.route.len()).find(|&j| !segs.is_full(v.route[j].index())) {
        Some(j) => {
            let to = v.route[j].index();
            // A teleported vehicle does not cross the loops in between; it is
            // counted where it reappears.
            segs.enter(to);
            v.leg = j;
            v.offset = 0.0;
        }
        None => {
            v.state = VehicleState::Done;
            out.arrived += 1;
            arrivals.push(v.destination);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnibus_core::network::{Node, RoadClass, Segment};
    use omnibus_core::{LatLon, Meters, MetersPerSecond};

    /// A straight chain of one-lane segments heading north, `lengths` metres long.
    fn chain(lengths: &[f64]) -> RoadNetwork {
        let mut nodes = vec![Node { osm_id: 0, pos: LatLon::new(0.0, 0.0) }];
        let mut segments = Vec::new();
        let mut lat = 0.0;
        for (i, &len) in lengths.iter().enumerate() {
            let from = nodes[i].pos;
            lat += len / 111_195.0;
            nodes.push(Node { osm_id: i as i64 + 1, pos: LatLon::new(lat, 0.0) });
            segments.push(Segment {
                id: SegmentId(i as u32),
                from: NodeId(i as u32),
                to: NodeId(i as u32 + 1),
                geometry: vec![from, LatLon::new(lat, 0.0)],
                length: Meters(len),
                class: RoadClass::Residential,
                free_flow: MetersPerSecond(10.0),
                lanes: 1,
                capacity_vph: 600.0,
                osm_way: 1,
                name: None,
            });
        }
        RoadNetwork::new(nodes, segments)
    }

    fn vehicle(number: u32, route: &[u32]) -> Vehicle {
        Vehicle {
            number,
            destination: NodeId(route.len() as u32),
            route: route.iter().map(|&s| SegmentId(s)).collect(),
            leg: 0,
            offset: 0.0,
            speed: 0.0,
            state: VehicleState::Queued,
            blocked_since_ms: None,
            probe_phase_ms: 0,
        }
    }

    #[test]
    fn jam_counts_and_greenshields_speeds() {
        assert_eq!(jam_count(1.0, 7.0), 1);
        assert_eq!(jam_count(1.0, 15.0), 2);
        assert_eq!(jam_count(2.0, 75.0), 20);
        assert_eq!(jam_count(1.0, f64::NAN), 1);
        let segs = Segments::new(&chain(&[75.0]));
        assert_eq!(segs.jam[0], 10);
        assert_eq!(segs.ratio(0, 0), 1.0);
        assert_eq!(segs.ratio(0, 1), 1.0, "a lone vehicle drives at free flow");
        assert!((segs.ratio(0, 6) - 0.5).abs() < 1e-12);
        assert!((segs.ratio(0, 10) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_lone_vehicle_drives_at_free_flow_and_arrives() {
        let net = chain(&[100.0, 50.0]);
        let mut segs = Segments::new(&net);
        let mut vehicles = vec![vehicle(0, &[0, 1])];
        let mut arrivals = Vec::new();
        let mut arrived_at = None;
        for step in 1..=20 {
            let out = advance(&mut segs, &mut vehicles, &[0], step * 1000, 1.0, &mut arrivals);
            if vehicles[0].state == VehicleState::Driving {
                assert!((vehicles[0].speed - 10.0).abs() < 1e-9, "{:?}", vehicles[0]);
            }
            if out.arrived == 1 {
                arrived_at = Some(step);
            }
        }
        assert_eq!(arrived_at, Some(15), "150 m at 10 m/s");
        assert_eq!(arrivals, vec![NodeId(2)]);
        assert_eq!(segs.count, vec![0, 0]);
        assert_eq!(segs.entered, vec![1, 1]);
    }

    #[test]
    fn spillback_holds_vehicles_upstream_of_a_full_segment() {
        // A 15 m segment (room for 2) between two long ones.
        let net = chain(&[300.0, 15.0, 300.0]);
        let mut segs = Segments::new(&net);
        let mut vehicles: Vec<Vehicle> = (0..40).map(|i| vehicle(i, &[0, 1, 2])).collect();
        let active: Vec<u32> = (0..40).collect();
        let mut arrivals = Vec::new();
        let mut saw_full = false;
        let mut blocked = 0;
        for step in 1..=900 {
            // One departure a second.
            let departed = &active[..active.len().min(step as usize)];
            advance(&mut segs, &mut vehicles, departed, step * 1000, 1.0, &mut arrivals);
            assert!(segs.count.iter().zip(&segs.jam).all(|(n, j)| n <= j), "{:?}", segs.count);
            saw_full |= segs.count[1] == segs.jam[1];
            blocked += vehicles.iter().filter(|v| v.blocked_since_ms.is_some()).count();
        }
        assert!(saw_full && blocked > 0);
        assert_eq!(arrivals.len(), 40, "everyone gets through eventually");
        assert_eq!(segs.count, vec![0, 0, 0]);
    }

    #[test]
    fn a_vehicle_blocked_too_long_is_moved_ahead() {
        let net = chain(&[100.0, 7.5, 100.0, 100.0]);
        let mut segs = Segments::new(&net);
        // Segment 1 is held full by a vehicle that never moves (it is not active).
        let mut vehicles = vec![vehicle(0, &[0, 1, 2, 3]), vehicle(1, &[1])];
        segs.enter(1);
        vehicles[1].state = VehicleState::Driving;
        let mut arrivals = Vec::new();
        let mut teleported = 0;
        for step in 1..=400 {
            teleported += advance(&mut segs, &mut vehicles, &[0], step * 1000, 1.0, &mut arrivals).teleported;
        }
        assert_eq!(teleported, 1);
        assert_eq!(vehicles[0].state, VehicleState::Done);
        assert_eq!(segs.count, vec![0, 1, 0, 0]);
    }
}
