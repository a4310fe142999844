//! The street graph for walking and cycling, from the same OpenStreetMap
//! extract as the road network: every way a pedestrian or a cyclist may use,
//! split at every node, with per-direction access (cyclists keep one-way
//! rules unless the way exempts them; pedestrians walk both ways). Only the
//! largest connected part is kept. Searches are multi-source Dijkstra by
//! time, bounded, with reusable state.

use crate::geo_util::{LatLon, LocalProjection};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Walking speed, metres per second (4.7 km/h).
pub const WALK_MPS: f64 = 1.3;
/// Cycling speed, metres per second (15 km/h).
pub const BIKE_MPS: f64 = 4.2;
/// Cell size of the snapping grid, metres.
const CELL_M: f64 = 150.0;

/// How a street is travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreetMode {
    /// On foot.
    Walk,
    /// By bicycle.
    Bike,
}

impl StreetMode {
    fn bit(self) -> u8 {
        match self {
            StreetMode::Walk => FOOT,
            StreetMode::Bike => BIKE,
        }
    }

    /// Speed, metres per second.
    pub fn speed(self) -> f64 {
        match self {
            StreetMode::Walk => WALK_MPS,
            StreetMode::Bike => BIKE_MPS,
        }
    }
}

const FOOT: u8 = 1;
const BIKE: u8 = 2;

/// A way as read from OSM, before splitting.
#[derive(Clone, Debug)]
pub(crate) struct StreetWay {
    pub refs: Vec<i64>,
    /// Access along the way's direction (`FOOT | BIKE` bits).
    pub forward: u8,
    /// Access against it.
    pub backward: u8,
}

/// Which of walking and cycling a way's tags allow, forward and backward;
/// `None` when neither.
pub(crate) fn street_way(refs: Vec<i64>, tags: &HashMap<&str, &str>) -> Option<StreetWay> {
    let highway = *tags.get("highway")?;
    if refs.len() < 2 || tags.get("area") == Some(&"yes") {
        return None;
    }
    let yes = |k: &str| matches!(tags.get(k), Some(&"yes" | &"designated" | &"permissive"));
    let no = |k: &str| matches!(tags.get(k), Some(&"no" | &"private" | &"use_sidepath"));
    let closed = no("access");
    let (mut foot, mut bike) = match highway {
        "footway" | "pedestrian" | "steps" | "corridor" | "platform" => (true, false),
        "path" | "track" | "living_street" | "residential" | "service" | "unclassified" | "road" => {
            (true, true)
        }
        "tertiary" | "tertiary_link" | "secondary" | "secondary_link" | "primary" | "primary_link" => {
            (true, true)
        }
        "trunk" | "trunk_link" => (true, false),
        "cycleway" => (false, true),
        _ => return None,
    };
    foot = (foot && !closed || yes("foot")) && !no("foot");
    bike = (bike && !closed || yes("bicycle")) && !no("bicycle");
    if !foot && !bike {
        return None;
    }
    let oneway = match tags.get("oneway").copied() {
        Some("yes" | "true" | "1") => 1,
        Some("-1" | "reverse") => -1,
        _ if tags.get("junction") == Some(&"roundabout") => 1,
        _ => 0,
    };
    let exempt = tags.get("oneway:bicycle") == Some(&"no")
        || tags.get("cycleway").is_some_and(|c| c.starts_with("opposite"));
    let (mut fwd, mut bwd) = (0, 0);
    if foot {
        fwd |= FOOT;
        bwd |= FOOT;
    }
    if bike {
        if oneway >= 0 || exempt {
            fwd |= BIKE;
        }
        if oneway <= 0 || exempt {
            bwd |= BIKE;
        }
    }
    Some(StreetWay { refs, forward: fwd, backward: bwd })
}

/// One directed street edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreetEdge {
    /// Head node.
    pub to: u32,
    /// Length, metres.
    pub length_m: f32,
    access: u8,
}

/// The walk and bike graph.
#[derive(Clone, Debug, Default)]
pub struct StreetGraph {
    pos: Vec<LatLon>,
    first: Vec<u32>,
    edges: Vec<StreetEdge>,
    /// Per node, the modes whose largest strongly connected part holds it:
    /// only those nodes are snapped to, so every snapped pair connects.
    modes: Vec<u8>,
    projection: Option<LocalProjection>,
    grid: HashMap<(i32, i32), Vec<u32>>,
}

impl StreetGraph {
    /// Builds the graph from ways and node coordinates; keeps the largest
    /// connected part.
    pub(crate) fn build(ways: &[StreetWay], coords: &HashMap<i64, LatLon>) -> StreetGraph {
        let mut index: HashMap<i64, u32> = HashMap::new();
        let mut pos: Vec<LatLon> = Vec::new();
        let mut arcs: Vec<(u32, u32, f32, u8)> = Vec::new();
        for way in ways {
            let mut prev: Option<(u32, LatLon)> = None;
            for r in &way.refs {
                let Some(&p) = coords.get(r) else {
                    prev = None;
                    continue;
                };
                let id = *index.entry(*r).or_insert_with(|| {
                    pos.push(p);
                    (pos.len() - 1) as u32
                });
                if let Some((a, pa)) = prev
                    && a != id
                {
                    let len = pa.distance_m(p) as f32;
                    if way.forward != 0 {
                        arcs.push((a, id, len, way.forward));
                    }
                    if way.backward != 0 {
                        arcs.push((id, a, len, way.backward));
                    }
                }
                prev = Some((id, p));
            }
        }
        // Largest connected part, ignoring direction.
        let mut parent: Vec<u32> = (0..pos.len() as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        for &(a, b, _, _) in &arcs {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra as usize] = rb;
            }
        }
        let mut size: HashMap<u32, usize> = HashMap::new();
        for x in 0..pos.len() as u32 {
            *size.entry(find(&mut parent, x)).or_default() += 1;
        }
        let Some((&root, _)) = size.iter().max_by_key(|(r, n)| (**n, Reverse(**r))) else {
            return StreetGraph::default();
        };
        let mut renumber = vec![u32::MAX; pos.len()];
        let mut kept = Vec::new();
        for x in 0..pos.len() as u32 {
            if find(&mut parent, x) == root {
                renumber[x as usize] = kept.len() as u32;
                kept.push(pos[x as usize]);
            }
        }
        let mut arcs: Vec<(u32, u32, f32, u8)> = arcs
            .into_iter()
            .filter(|a| renumber[a.0 as usize] != u32::MAX)
            .map(|(a, b, l, m)| (renumber[a as usize], renumber[b as usize], l, m))
            .collect();
        arcs.sort_by_key(|a| (a.0, a.1));
        let n = kept.len();
        let mut first = vec![0u32; n + 1];
        for a in &arcs {
            first[a.0 as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let edges =
            arcs.iter().map(|&(_, to, length_m, access)| StreetEdge { to, length_m, access }).collect();
        let mut graph = StreetGraph {
            pos: kept,
            first,
            edges,
            modes: vec![0; n],
            projection: None,
            grid: HashMap::new(),
        };
        for bit in [FOOT, BIKE] {
            for (v, inside) in graph.largest_strong_component(bit).into_iter().enumerate() {
                if inside {
                    graph.modes[v] |= bit;
                }
            }
        }
        graph.index();
        graph
    }

    /// The nodes of the largest strongly connected part of the edges open to
    /// `bit` (Kosaraju, iteratively).
    fn largest_strong_component(&self, bit: u8) -> Vec<bool> {
        let n = self.pos.len();
        let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); n];
        for v in 0..n as u32 {
            for e in self.edges(v).iter().filter(|e| e.access & bit != 0) {
                reverse[e.to as usize].push(v);
            }
        }
        // Finishing order on the forward edges.
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        for root in 0..n as u32 {
            if seen[root as usize] {
                continue;
            }
            seen[root as usize] = true;
            let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
            while let Some((v, i)) = stack.pop() {
                let out = self.edges(v);
                match out[i.min(out.len())..].iter().position(|e| e.access & bit != 0 && !seen[e.to as usize])
                {
                    Some(k) => {
                        let to = out[i + k].to;
                        stack.push((v, i + k + 1));
                        seen[to as usize] = true;
                        stack.push((to, 0));
                    }
                    None => order.push(v),
                }
            }
        }
        // Components on the reverse edges, in reverse finishing order.
        let mut component = vec![u32::MAX; n];
        let mut sizes: Vec<usize> = Vec::new();
        for &root in order.iter().rev() {
            if component[root as usize] != u32::MAX {
                continue;
            }
            let c = sizes.len() as u32;
            sizes.push(0);
            component[root as usize] = c;
            let mut stack = vec![root];
            while let Some(v) = stack.pop() {
                sizes[c as usize] += 1;
                for &u in &reverse[v as usize] {
                    if component[u as usize] == u32::MAX {
                        component[u as usize] = c;
                        stack.push(u);
                    }
                }
            }
        }
        // A component of one node without edges of this mode does not count.
        let has_edge = |v: usize| self.edges(v as u32).iter().any(|e| e.access & bit != 0);
        let best = (0..sizes.len()).filter(|&c| sizes[c] > 1).max_by_key(|&c| (sizes[c], Reverse(c)));
        (0..n)
            .map(|v| best.is_some_and(|b| component[v] == b as u32 && (sizes[b] > 1 || has_edge(v))))
            .collect()
    }

    fn index(&mut self) {
        let Some(&origin) = self.pos.first() else {
            return;
        };
        let projection = LocalProjection::new(origin);
        for (i, p) in self.pos.iter().enumerate() {
            let [x, y] = projection.project(*p);
            self.grid
                .entry(((x / CELL_M).floor() as i32, (y / CELL_M).floor() as i32))
                .or_default()
                .push(i as u32);
        }
        self.projection = Some(projection);
    }

    /// Nodes.
    pub fn node_count(&self) -> usize {
        self.pos.len()
    }

    /// Directed edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Where node `n` is.
    pub fn pos(&self, n: u32) -> LatLon {
        self.pos[n as usize]
    }

    /// Edges leaving `n`.
    pub fn edges(&self, n: u32) -> &[StreetEdge] {
        &self.edges[self.first[n as usize] as usize..self.first[n as usize + 1] as usize]
    }

    /// The nearest node usable by `mode` within `max_m` of `p`, and its distance.
    pub fn nearest(&self, p: LatLon, mode: StreetMode, max_m: f64) -> Option<(u32, f64)> {
        let projection = self.projection.as_ref()?;
        let [x, y] = projection.project(p);
        let (cx, cy) = ((x / CELL_M).floor() as i32, (y / CELL_M).floor() as i32);
        let reach = (max_m / CELL_M).ceil() as i32;
        let mut best: Option<(u32, f64)> = None;
        for ring in 0..=reach {
            for dx in -ring..=ring {
                for dy in -ring..=ring {
                    if dx.abs() != ring && dy.abs() != ring {
                        continue;
                    }
                    for &n in self.grid.get(&(cx + dx, cy + dy)).map_or(&[][..], Vec::as_slice) {
                        if self.modes[n as usize] & mode.bit() == 0 {
                            continue;
                        }
                        let d = self.pos[n as usize].distance_m(p);
                        if d <= max_m && best.is_none_or(|(_, b)| d < b) {
                            best = Some((n, d));
                        }
                    }
                }
            }
            // Anything in a further ring is at least `ring * CELL_M` away.
            if best.is_some_and(|(_, d)| d <= ring as f64 * CELL_M) {
                break;
            }
        }
        best
    }
}

/// Reusable state of a bounded multi-source street search.
#[derive(Clone, Debug, Default)]
pub struct StreetSearch {
    secs: Vec<f32>,
    parent: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
    /// Mode of the last search.
    pub mode: Option<StreetMode>,
}

impl StreetSearch {
    /// Seconds from the sources to every node within `max_secs`, by `mode`;
    /// each source starts at its own offset (seconds).
    pub fn run(&mut self, graph: &StreetGraph, sources: &[(u32, f64)], mode: StreetMode, max_secs: f64) {
        if self.secs.len() != graph.node_count() {
            self.secs = vec![f32::INFINITY; graph.node_count()];
            self.parent = vec![u32::MAX; graph.node_count()];
            self.touched.clear();
        }
        for n in self.touched.drain(..) {
            self.secs[n as usize] = f32::INFINITY;
            self.parent[n as usize] = u32::MAX;
        }
        self.heap.clear();
        self.mode = Some(mode);
        let speed = mode.speed() as f32;
        // Times are kept in milliseconds in the heap for a total order.
        let key = |s: f32| (s * 1000.0) as u32;
        for &(n, offset) in sources {
            let s = offset as f32;
            if s < self.secs[n as usize] {
                if self.secs[n as usize].is_infinite() {
                    self.touched.push(n);
                }
                self.secs[n as usize] = s;
                self.parent[n as usize] = u32::MAX;
                self.heap.push(Reverse((key(s), n)));
            }
        }
        while let Some(Reverse((k, n))) = self.heap.pop() {
            let here = self.secs[n as usize];
            if k > key(here) {
                continue;
            }
            for e in graph.edges(n) {
                if e.access & mode.bit() == 0 {
                    continue;
                }
                let t = here + e.length_m / speed;
                if f64::from(t) <= max_secs && t < self.secs[e.to as usize] {
                    if self.secs[e.to as usize].is_infinite() {
                        self.touched.push(e.to);
                    }
                    self.secs[e.to as usize] = t;
                    self.parent[e.to as usize] = n;
                    self.heap.push(Reverse((key(t), e.to)));
                }
            }
        }
    }

    /// Seconds to node `n` in the last search, if reached.
    pub fn secs(&self, n: u32) -> Option<f64> {
        self.secs.get(n as usize).filter(|s| s.is_finite()).map(|s| f64::from(*s))
    }

    /// Nodes the last search reached.
    pub fn reached(&self) -> &[u32] {
        &self.touched
    }

    /// The nodes from a source to `n`, in order.
    pub fn path(&self, n: u32) -> Vec<u32> {
        let mut out = vec![n];
        let mut at = n;
        while self.parent[at as usize] != u32::MAX {
            at = self.parent[at as usize];
            out.push(at);
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn access_by_hand() {
        let w = |t: &[(&'static str, &'static str)]| {
            street_way(vec![1, 2], &tags(t)).map(|w| (w.forward, w.backward))
        };
        assert_eq!(w(&[("highway", "footway")]), Some((FOOT, FOOT)));
        assert_eq!(w(&[("highway", "footway"), ("bicycle", "yes")]), Some((FOOT | BIKE, FOOT | BIKE)));
        assert_eq!(w(&[("highway", "residential"), ("oneway", "yes")]), Some((FOOT | BIKE, FOOT)));
        assert_eq!(
            w(&[("highway", "residential"), ("oneway", "yes"), ("oneway:bicycle", "no")]),
            Some((FOOT | BIKE, FOOT | BIKE))
        );
        assert_eq!(w(&[("highway", "motorway")]), None);
        assert_eq!(w(&[("highway", "service"), ("access", "private")]), None);
        assert_eq!(w(&[("highway", "cycleway")]), Some((BIKE, BIKE)));
        assert_eq!(w(&[("highway", "primary"), ("foot", "no")]), Some((BIKE, BIKE)));
    }

    #[test]
    fn a_line_of_three_nodes() {
        let coords: HashMap<i64, LatLon> = [
            (1, LatLon::new(-30.0, -51.2)),
            (2, LatLon::new(-30.0, -51.199)),
            (3, LatLon::new(-30.0, -51.198)),
            (9, LatLon::new(-31.0, -52.0)),
        ]
        .into_iter()
        .collect();
        let ways = vec![
            street_way(vec![1, 2, 3], &tags(&[("highway", "residential"), ("oneway", "yes")])).unwrap(),
            // An island, dropped.
            street_way(vec![9, 9], &tags(&[("highway", "footway")])).unwrap(),
        ];
        let g = StreetGraph::build(&ways, &coords);
        assert_eq!(g.node_count(), 3);
        let (a, _) = g.nearest(LatLon::new(-30.0, -51.2), StreetMode::Walk, 50.0).unwrap();
        let (c, _) = g.nearest(LatLon::new(-30.0, -51.198), StreetMode::Walk, 50.0).unwrap();
        let mut s = StreetSearch::default();
        s.run(&g, &[(c, 0.0)], StreetMode::Walk, 1e9);
        let walk = s.secs(a).unwrap();
        assert!((walk - 192.8 / WALK_MPS).abs() < 2.0, "{walk}");
        assert_eq!(s.path(a).len(), 3);
        // Against the one-way, a bicycle cannot go; along it, it can.
        s.run(&g, &[(c, 0.0)], StreetMode::Bike, 1e9);
        assert_eq!(s.secs(a), None);
        s.run(&g, &[(a, 10.0)], StreetMode::Bike, 1e9);
        assert!((s.secs(c).unwrap() - 10.0 - 192.8 / BIKE_MPS).abs() < 1.0);
        // The bound holds.
        s.run(&g, &[(a, 0.0)], StreetMode::Walk, 60.0);
        assert_eq!(s.secs(c), None);
    }
}
