//! The simulated city as the models see it: the road network as mesoscopic
//! links with signalized junctions, the car hierarchy for route choice, and
//! the districts people live and work in.

use crate::CitySimError;
use omnibus_cch::Cch;
use omnibus_core::network::RoadClass;
use omnibus_core::{City, LatLon, NodeId, SegmentId};
use omnibus_meso::{LinkId, LinkSpec, Movement, Network, SignalPlan};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Green time of each of a signal's two approach groups, ms.
pub const SIGNAL_GREEN_MS: i64 = 27_000;
/// All-red clearance after each green, ms.
pub const SIGNAL_CLEARANCE_MS: i64 = 3_000;

/// A district: a square of the city with road junctions in it.
#[derive(Clone, Debug, PartialEq)]
pub struct District {
    /// Its name, `C<column>R<row>` from the south-west corner.
    pub name: String,
    /// Mean position of its junctions.
    pub centre: LatLon,
    /// Its road junctions, ascending (the imported network is strongly
    /// connected, so every one reaches every other).
    pub nodes: Vec<NodeId>,
    /// Distance of its centre from the city centre, m.
    pub from_centre_m: f64,
}

/// The city, ready to simulate.
#[derive(Debug)]
pub struct World {
    /// The city.
    pub city: Arc<City>,
    /// Road segments as mesoscopic links (link `i` is segment `i`).
    pub network: Network,
    /// Junctions given a fixed-time signal.
    pub signals: usize,
    /// The car hierarchy over the segments (arc `i` is segment `i`).
    pub cch: Cch,
    /// Districts, in name order.
    pub districts: Vec<District>,
    /// District of each node (`u32::MAX`: none).
    pub district_of: Vec<u32>,
    /// The centre of the densest square kilometre.
    pub centre: LatLon,
}

fn is_major(class: RoadClass) -> bool {
    matches!(
        class,
        RoadClass::Motorway
            | RoadClass::Trunk
            | RoadClass::Primary
            | RoadClass::Secondary
            | RoadClass::Tertiary
    )
}

impl World {
    /// Prepares `city`, dividing it into districts of `district_size_m`.
    pub fn new(city: Arc<City>, district_size_m: f64) -> Result<World, CitySimError> {
        let net = &city.network;
        let links: Vec<LinkSpec> = net
            .segments()
            .iter()
            .map(|s| LinkSpec {
                from: s.from.0,
                to: s.to.0,
                length_m: s.length.0.max(1.0),
                free_speed_mps: s.free_flow.0,
                lanes: u32::from(s.lanes.max(1)),
                capacity_vph: s.capacity_vph,
            })
            .collect();
        let mut network = Network::new(net.nodes().len(), links)?;
        let signals = add_signals(&city, &mut network)?;
        let coords: Vec<(f64, f64)> = net.nodes().iter().map(|n| (n.pos.lon, n.pos.lat)).collect();
        let arcs: Vec<(u32, u32)> = net.segments().iter().map(|s| (s.from.0, s.to.0)).collect();
        let cch = Cch::new(net.nodes().len(), &arcs, &coords);
        let centre = densest_square_km(&city);
        let (districts, district_of) = districts(&city, district_size_m, centre);
        if districts.len() < 2 {
            return Err(CitySimError::Demand(format!(
                "the city has {} district(s) of {district_size_m} m with roads; need at least 2 (make city.district_size_m smaller)",
                districts.len()
            )));
        }
        tracing::info!(
            city = %city.name,
            links = network.links().len(),
            signals,
            districts = districts.len(),
            "City ready to simulate."
        );
        Ok(World { city, network, signals, cch, districts, district_of, centre })
    }

    /// The link of a segment.
    pub fn link(segment: SegmentId) -> LinkId {
        LinkId(segment.0)
    }
}

/// Two-phase fixed-time signals at junctions where major roads meet from two
/// crossing directions: approaches within 45° of north–south go in phase 0,
/// the others in phase 2, each followed by an all-red clearance. Offsets are
/// spread over the cycle by node id.
fn add_signals(city: &City, network: &mut Network) -> Result<usize, CitySimError> {
    let net = &city.network;
    let n = net.nodes().len();
    let mut incoming: Vec<Vec<SegmentId>> = vec![Vec::new(); n];
    for s in net.segments() {
        incoming[s.to.index()].push(s.id);
    }
    let cycle = 2 * (SIGNAL_GREEN_MS + SIGNAL_CLEARANCE_MS);
    let mut count = 0;
    for (node, ins) in incoming.iter().enumerate() {
        let mut from_nodes: Vec<u32> = ins.iter().map(|s| net.segments()[s.index()].from.0).collect();
        from_nodes.sort_unstable();
        from_nodes.dedup();
        let major = ins.iter().filter(|s| is_major(net.segments()[s.index()].class)).count();
        if from_nodes.len() < 3 || major < 2 {
            continue;
        }
        let axis = |s: SegmentId| {
            let g = &net.segments()[s.index()].geometry;
            let b = g[g.len() - 2].bearing_deg(g[g.len() - 1]).rem_euclid(180.0);
            usize::from((45.0..135.0).contains(&b))
        };
        let groups: Vec<usize> = ins.iter().map(|&s| axis(s)).collect();
        if groups.iter().all(|&g| g == groups[0]) {
            continue;
        }
        let outs = net.outgoing(NodeId(node as u32));
        let mut movements = Vec::new();
        for (&s, &g) in ins.iter().zip(&groups) {
            for &o in outs {
                movements.push(Movement {
                    from: World::link(s),
                    to: World::link(o),
                    green: if g == 0 { 0b0001 } else { 0b0100 },
                });
            }
        }
        let offset_ms = (node as i64).wrapping_mul(7_919) % cycle;
        network.add_signal(
            node as u32,
            SignalPlan {
                offset_ms,
                phases_ms: vec![SIGNAL_GREEN_MS, SIGNAL_CLEARANCE_MS, SIGNAL_GREEN_MS, SIGNAL_CLEARANCE_MS],
                movements,
            },
        )?;
        count += 1;
    }
    Ok(count)
}

fn densest_square_km(city: &City) -> LatLon {
    let proj = city.network.projection();
    let mut cells: BTreeMap<(i64, i64), (usize, f64, f64)> = BTreeMap::new();
    for node in city.network.nodes() {
        let [x, y] = proj.project(node.pos);
        let e = cells.entry(((x / 1_000.0).floor() as i64, (y / 1_000.0).floor() as i64)).or_default();
        e.0 += 1;
        e.1 += x;
        e.2 += y;
    }
    let best = cells.values().max_by(|a, b| a.0.cmp(&b.0)).copied().unwrap_or((1, 0.0, 0.0));
    proj.unproject([best.1 / best.0 as f64, best.2 / best.0 as f64])
}

fn districts(city: &City, size: f64, centre: LatLon) -> (Vec<District>, Vec<u32>) {
    let proj = city.network.projection();
    let nodes = city.network.nodes();
    let xy: Vec<[f64; 2]> = nodes.iter().map(|n| proj.project(n.pos)).collect();
    let (min_x, min_y) =
        xy.iter().fold((f64::INFINITY, f64::INFINITY), |(a, b), p| (a.min(p[0]), b.min(p[1])));
    let mut cells: BTreeMap<(i64, i64), Vec<NodeId>> = BTreeMap::new();
    for (i, p) in xy.iter().enumerate() {
        let key = (((p[0] - min_x) / size).floor() as i64, ((p[1] - min_y) / size).floor() as i64);
        cells.entry(key).or_default().push(NodeId(i as u32));
    }
    let mut district_of = vec![u32::MAX; nodes.len()];
    let mut out = Vec::new();
    for ((cx, cy), members) in cells {
        // Too few junctions to place people: left out (their roads still carry traffic).
        if members.len() < 8 {
            continue;
        }
        let (sx, sy) =
            members.iter().fold((0.0, 0.0), |(a, b), n| (a + xy[n.index()][0], b + xy[n.index()][1]));
        let c = proj.unproject([sx / members.len() as f64, sy / members.len() as f64]);
        for n in &members {
            district_of[n.index()] = out.len() as u32;
        }
        out.push(District {
            name: format!("C{cx}R{cy}"),
            centre: c,
            from_centre_m: c.distance_m(centre),
            nodes: members,
        });
    }
    (out, district_of)
}
