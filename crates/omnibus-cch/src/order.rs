//! Phase one, part one: a nested-dissection node order (inertial flow).
//!
//! The undirected graph is split recursively. A subset that is not connected is
//! split into its components (they need no separator). A connected subset is cut
//! by inertial flow: for a few directions, the nodes are sorted by their
//! projection onto the direction, and a minimum vertex separator between the
//! first and the last quarter is found by unit-capacity max flow; the smallest
//! separator (then the most balanced) wins, takes the highest ranks still free,
//! and both sides are ordered below it. Small subsets are ordered by
//! minimum-degree elimination.

use crate::NO_NODE;

/// Subsets of at most this many nodes are ordered by minimum-degree elimination.
const LEAF_SIZE: usize = 64;
/// Number of projection directions (evenly spaced over a half turn) tried per cut.
const DIRECTIONS: usize = 4;
/// Share of a subset's nodes at either end of a direction that a cut separates.
const TERMINAL_SHARE: f64 = 0.25;
/// Subsets at least this large try their directions on parallel threads.
pub(crate) const PARALLEL_SIZE: usize = 4096;

/// Undirected simple graph in compressed sparse row form (each edge stored twice,
/// no self-loops, no parallel edges).
#[derive(Debug, Clone)]
pub(crate) struct Undirected {
    /// `first[v]..first[v + 1]` indexes the neighbours of `v` in `adj`.
    pub(crate) first: Vec<u32>,
    /// Neighbour lists, sorted per node.
    pub(crate) adj: Vec<u32>,
}

impl Undirected {
    /// The undirected simple graph underlying `arcs`.
    pub(crate) fn new(num_nodes: usize, arcs: &[(u32, u32)]) -> Undirected {
        let mut pairs: Vec<(u32, u32)> =
            arcs.iter().filter(|(a, b)| a != b).flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut first = vec![0u32; num_nodes + 1];
        for &(a, _) in &pairs {
            first[a as usize + 1] += 1;
        }
        for v in 0..num_nodes {
            first[v + 1] += first[v];
        }
        let adj = pairs.into_iter().map(|(_, b)| b).collect();
        Undirected { first, adj }
    }

    /// The neighbours of `v`.
    pub(crate) fn neighbors(&self, v: u32) -> &[u32] {
        &self.adj[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }
}

/// Nested-dissection order of the nodes: `order[rank] = node`, separators last.
///
/// `coords[node]` are planar coordinates; they only steer the cuts, so any values
/// (duplicates, NaN) still give a valid order.
///
/// Subsets of at most `leaf_size` nodes (capped at [`LEAF_SIZE`]) are leaves;
/// subsets of at least `parallel_size` nodes try their cut directions on parallel
/// threads (which gives the same order).
pub(crate) fn nested_dissection(
    graph: &Undirected,
    coords: &[(f64, f64)],
    leaf_size: usize,
    parallel_size: usize,
) -> Vec<u32> {
    let num_nodes = coords.len();
    let mut dissector = Dissector {
        graph,
        coords,
        leaf_size: leaf_size.clamp(1, LEAF_SIZE),
        parallel_size,
        member: vec![0; num_nodes],
        seen: vec![0; num_nodes],
        local: vec![NO_NODE; num_nodes],
        stamp: 0,
        order: vec![NO_NODE; num_nodes],
        next: num_nodes,
    };
    let mut stack = vec![(0..num_nodes as u32).collect::<Vec<u32>>()];
    while let Some(set) = stack.pop() {
        dissector.stamp += 1;
        for &v in &set {
            dissector.member[v as usize] = dissector.stamp;
        }
        if set.len() <= dissector.leaf_size {
            dissector.order_leaf(&set);
        } else if let Some(components) = dissector.split_components(&set) {
            stack.extend(components);
        } else {
            let (separator, left, right) = dissector.bisect(&set);
            debug_assert!(!separator.is_empty() && left.len().max(right.len()) < set.len());
            dissector.assign_top(&separator);
            stack.extend([left, right].into_iter().filter(|side| !side.is_empty()));
        }
    }
    debug_assert_eq!(dissector.next, 0);
    dissector.order
}

/// Working state of the recursive dissection. Subsets are processed one at a time
/// from an explicit stack, so per-node scratch arrays can be shared; `stamp`
/// (bumped per subset) makes `member` and `seen` valid without clearing them.
struct Dissector<'a> {
    graph: &'a Undirected,
    coords: &'a [(f64, f64)],
    leaf_size: usize,
    parallel_size: usize,
    /// `member[v] == stamp` iff `v` belongs to the current subset.
    member: Vec<u32>,
    /// Visit marks of the component search, same stamp.
    seen: Vec<u32>,
    /// Index of a node inside the current subset (valid for members only).
    local: Vec<u32>,
    stamp: u32,
    /// `order[rank] = node`, filled from the top.
    order: Vec<u32>,
    /// Ranks `next..` are taken.
    next: usize,
}

impl Dissector<'_> {
    fn is_member(&self, v: u32) -> bool {
        self.member[v as usize] == self.stamp
    }

    /// Gives `nodes` the highest free ranks, in the given order.
    fn assign_top(&mut self, nodes: &[u32]) {
        self.next -= nodes.len();
        self.order[self.next..self.next + nodes.len()].copy_from_slice(nodes);
    }

    /// The connected components of the current subset, or `None` if it is connected.
    fn split_components(&mut self, set: &[u32]) -> Option<Vec<Vec<u32>>> {
        let mut components: Vec<Vec<u32>> = Vec::new();
        let mut reached = 0;
        for &start in set {
            if self.seen[start as usize] == self.stamp {
                continue;
            }
            self.seen[start as usize] = self.stamp;
            let mut component = vec![start];
            let mut head = 0;
            while head < component.len() {
                let v = component[head];
                head += 1;
                for &u in self.graph.neighbors(v) {
                    if self.is_member(u) && self.seen[u as usize] != self.stamp {
                        self.seen[u as usize] = self.stamp;
                        component.push(u);
                    }
                }
            }
            reached += component.len();
            if components.is_empty() && reached == set.len() {
                return None;
            }
            components.push(component);
        }
        Some(components)
    }

    /// Orders a small subset by minimum-degree elimination (with fill-in) on the
    /// subgraph it induces; the last node eliminated gets the highest rank.
    fn order_leaf(&mut self, set: &[u32]) {
        debug_assert!(set.len() <= 64);
        for (i, &v) in set.iter().enumerate() {
            self.local[v as usize] = i as u32;
        }
        let mut adjacency: Vec<u64> = set
            .iter()
            .map(|&v| {
                self.graph
                    .neighbors(v)
                    .iter()
                    .filter(|&&u| self.is_member(u))
                    .fold(0u64, |mask, &u| mask | 1 << self.local[u as usize])
            })
            .collect();
        let mut remaining: u64 = if set.len() == 64 { u64::MAX } else { (1u64 << set.len()) - 1 };
        let mut eliminated = Vec::with_capacity(set.len());
        while remaining != 0 {
            let mut best = remaining.trailing_zeros() as usize;
            let mut rest = remaining;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if adjacency[i].count_ones() < adjacency[best].count_ones() {
                    best = i;
                }
            }
            let neighbours = adjacency[best];
            let mut rest = neighbours;
            while rest != 0 {
                let j = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                adjacency[j] = (adjacency[j] | neighbours) & !(1u64 << j) & !(1u64 << best);
            }
            remaining &= !(1u64 << best);
            eliminated.push(set[best]);
        }
        self.assign_top(&eliminated);
    }

    /// Cuts a connected subset by inertial flow and returns
    /// `(separator, left, right)`, where no edge joins `left` and `right`.
    fn bisect(&mut self, set: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        for (i, &v) in set.iter().enumerate() {
            self.local[v as usize] = i as u32;
        }
        let graph = self.local_graph(set);
        let coords: Vec<(f64, f64)> = set.iter().map(|&v| self.coords[v as usize]).collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let cuts: Vec<Option<Cut>> = if set.len() >= self.parallel_size && threads > 1 {
            // Every direction in full, each on its own thread.
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..DIRECTIONS)
                    .map(|direction| {
                        let (graph, coords) = (&graph, &coords);
                        scope.spawn(move || directional_cut(graph, coords, direction, usize::MAX))
                    })
                    .collect();
                workers.into_iter().map(|worker| worker.join().expect("cut thread panicked")).collect()
            })
        } else {
            // One direction after the other, each giving up once it cannot win.
            let mut best: Option<(usize, usize)> = None;
            (0..DIRECTIONS)
                .map(|direction| {
                    let bound = best.map_or(usize::MAX, |(size, _)| size + 1);
                    let cut = directional_cut(&graph, &coords, direction, bound);
                    if let Some(cut) = &cut
                        && best.is_none_or(|b| cut.key() < b)
                    {
                        best = Some(cut.key());
                    }
                    cut
                })
                .collect()
        };
        // The first of the smallest, most balanced cuts: the same either way.
        let best = cuts
            .into_iter()
            .flatten()
            .reduce(|best, cut| if cut.key() < best.key() { cut } else { best })
            .unwrap_or_else(|| neighbourhood_cut(&graph));
        let mut parts: [Vec<u32>; 3] = Default::default();
        for (&v, &side) in set.iter().zip(&best.side) {
            parts[side as usize].push(v);
        }
        let [left, separator, right] = parts;
        (separator, left, right)
    }

    /// The subgraph induced by the current subset, on local indices (which must
    /// be set).
    fn local_graph(&self, set: &[u32]) -> LocalGraph {
        let mut first = Vec::with_capacity(set.len() + 1);
        let mut adj = Vec::new();
        first.push(0);
        for &v in set {
            adj.extend(
                self.graph
                    .neighbors(v)
                    .iter()
                    .filter(|&&u| self.is_member(u))
                    .map(|&u| self.local[u as usize]),
            );
            first.push(adj.len() as u32);
        }
        LocalGraph::new(first, adj)
    }
}

/// A vertex separator of a subset: `side[local node]` is 0 (left), 1 (separator)
/// or 2 (right); no edge joins left and right.
#[derive(Debug)]
struct Cut {
    size: usize,
    imbalance: usize,
    side: Vec<u8>,
}

impl Cut {
    /// Smaller is better: separator size, then imbalance.
    fn key(&self) -> (usize, usize) {
        (self.size, self.imbalance)
    }
}

/// The minimum vertex separator between the nodes with the lowest and the
/// highest projections onto `direction` (of [`DIRECTIONS`]), a share of
/// [`TERMINAL_SHARE`] each; `None` if it has `bound` nodes or more.
fn directional_cut(graph: &LocalGraph, coords: &[(f64, f64)], direction: usize, bound: usize) -> Option<Cut> {
    let n = coords.len();
    let angle = std::f64::consts::PI * direction as f64 / DIRECTIONS as f64;
    let (sin, cos) = angle.sin_cos();
    let mut keyed: Vec<(f64, u32)> =
        coords.iter().enumerate().map(|(i, &(x, y))| (x * cos + y * sin, i as u32)).collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let terminals = ((n as f64 * TERMINAL_SHARE) as usize).clamp(1, n / 2);
    let sources: Vec<u32> = keyed[..terminals].iter().map(|&(_, i)| i).collect();
    let sinks: Vec<u32> = keyed[n - terminals..].iter().map(|&(_, i)| i).collect();
    let cut = VertexCut::new(graph, &sources, &sinks);
    if !cut.role.contains(&SINK) {
        // Every sink touches a source: no separator between them.
        return None;
    }
    let (size, side) = cut.min_cut(bound)?;
    let left = side.iter().filter(|&&s| s == 0).count();
    Some(Cut { size, imbalance: left.abs_diff(n - size - left), side })
}

/// The fallback cut of a connected graph whose terminals are all adjacent: a
/// node of least degree on the left, its neighbours as the separator.
fn neighbourhood_cut(graph: &LocalGraph) -> Cut {
    let n = graph.first.len() - 1;
    let v = (0..n as u32).min_by_key(|&v| graph.slots(v).len()).expect("a subset above leaf size");
    let mut side = vec![2u8; n];
    side[v as usize] = 0;
    for &u in &graph.adj[graph.slots(v)] {
        side[u as usize] = 1;
    }
    let size = graph.slots(v).len();
    Cut { size, imbalance: (n - size - 1).abs_diff(1), side }
}

/// A subset's induced graph on local indices, in compressed sparse row form;
/// `twin[slot]` is the slot of the same edge in the other direction.
#[derive(Debug)]
struct LocalGraph {
    first: Vec<u32>,
    adj: Vec<u32>,
    twin: Vec<u32>,
}

impl LocalGraph {
    /// The graph with neighbour lists `adj[first[v]..first[v + 1]]` (each edge
    /// listed at both endpoints); sorts the lists to pair up the twins.
    fn new(first: Vec<u32>, mut adj: Vec<u32>) -> LocalGraph {
        for v in 0..first.len() - 1 {
            adj[first[v] as usize..first[v + 1] as usize].sort_unstable();
        }
        let mut graph = LocalGraph { first, adj, twin: Vec::new() };
        graph.twin = (0..graph.first.len() as u32 - 1)
            .flat_map(|v| graph.slots(v).map(move |slot| (v, slot)))
            .map(|(v, slot)| {
                let u = graph.adj[slot];
                let range = graph.slots(u);
                let at = graph.adj[range.clone()].binary_search(&v).expect("edge listed at both ends");
                (range.start + at) as u32
            })
            .collect();
        graph
    }

    fn slots(&self, v: u32) -> std::ops::Range<usize> {
        self.first[v as usize] as usize..self.first[v as usize + 1] as usize
    }
}

/// Role of a node in a flow problem: may join the separator.
const INNER: u8 = 0;
/// Role of a node in a flow problem: fed by the super source.
const SOURCE: u8 = 1;
/// Role of a node in a flow problem: drains into the super sink.
const SINK: u8 = 2;
/// Level of a state the residual search did not reach (or a dead end of the
/// blocking-flow search).
const UNLEVELED: u32 = u32::MAX;

/// Minimum vertex cut between a source and a sink node set, by unit-capacity
/// max flow (Dinic). The separator consists of inner nodes only.
///
/// Every inner node `v` is split into an "in" state `2v` and an "out" state
/// `2v + 1`, joined by an arc of capacity one; edges join out states to in states
/// with unbounded capacity. Sources and sinks have unbounded capacity: the out
/// states of sources (those with an inner neighbour) are where searches start,
/// and reaching the in state of a sink ends an augmenting path. Sinks next to a
/// source are demoted to inner nodes, so every path crosses a unit arc. Each phase
/// levels the residual graph breadth-first, then augments along level-increasing
/// paths depth-first.
struct VertexCut<'g> {
    graph: &'g LocalGraph,
    role: Vec<u8>,
    /// Out states of the sources that have a non-source neighbour.
    starts: Vec<u32>,
    /// Unit of flow through the node (in state to out state).
    through: Vec<bool>,
    /// Flow along each slot, from the out state of its tail to the in state of its head.
    along: Vec<u32>,
    /// Residual distance from the super source, per state.
    level: Vec<u32>,
    /// Next residual arc to try, per state, in the depth-first search.
    cursor: Vec<u32>,
    queue: Vec<u32>,
    /// Depth-first path: state and the slot of the arc that entered it.
    path: Vec<(u32, u32)>,
}

impl<'g> VertexCut<'g> {
    fn new(graph: &'g LocalGraph, sources: &[u32], sinks: &[u32]) -> VertexCut<'g> {
        let n = graph.first.len() - 1;
        let mut role = vec![INNER; n];
        for &s in sources {
            role[s as usize] = SOURCE;
        }
        for &t in sinks {
            if graph.adj[graph.slots(t)].iter().all(|&u| role[u as usize] != SOURCE) {
                role[t as usize] = SINK;
            }
        }
        let starts = sources
            .iter()
            .filter(|&&s| graph.adj[graph.slots(s)].iter().any(|&u| role[u as usize] != SOURCE))
            .map(|&s| 2 * s + 1)
            .collect();
        VertexCut {
            graph,
            role,
            starts,
            through: vec![false; n],
            along: vec![0; graph.adj.len()],
            level: vec![UNLEVELED; 2 * n],
            cursor: vec![0; 2 * n],
            queue: Vec::with_capacity(2 * n),
            path: Vec::new(),
        }
    }

    fn role(&self, state: u32) -> u8 {
        self.role[(state / 2) as usize]
    }

    /// Residual arc number `k` of the state of an inner node or the out state of
    /// a source, as `(next state, slot)` if it has capacity left and does not
    /// lead into a source. Arc 0 is the node's own arc (forward from the in
    /// state, backward from the out state); arc `k > 0` follows neighbour slot
    /// `k - 1`, forward from the out state, or backward against flow from the in
    /// state (then the slot returned is the one carrying that flow).
    fn arc(&self, state: u32, k: u32) -> Option<(u32, u32)> {
        let v = state / 2;
        let from_in = state.is_multiple_of(2);
        let (next, slot) = if k == 0 {
            if self.through[v as usize] != from_in && self.role[v as usize] == INNER {
                (state ^ 1, NO_NODE)
            } else {
                return None;
            }
        } else {
            let slot = self.graph.first[v as usize] + k - 1;
            let u = self.graph.adj[slot as usize];
            if from_in {
                let twin = self.graph.twin[slot as usize];
                if self.along[twin as usize] == 0 {
                    return None;
                }
                (2 * u + 1, twin)
            } else {
                (2 * u, slot)
            }
        };
        (self.role(next) != SOURCE).then_some((next, slot))
    }

    /// Number of residual arc numbers of `state` (with or without capacity).
    fn arc_count(&self, state: u32) -> u32 {
        let v = (state / 2) as usize;
        self.graph.first[v + 1] - self.graph.first[v] + 1
    }

    /// Levels the states reachable from the sources, breadth-first; true if a
    /// sink is among them. Once one is dequeued, states past its level are left
    /// unleveled: no shortest augmenting path uses them.
    fn level_graph(&mut self) -> bool {
        self.level.fill(UNLEVELED);
        self.queue.clear();
        for &s in &self.starts {
            self.level[s as usize] = 0;
            self.queue.push(s);
        }
        let mut sink_level = UNLEVELED;
        let mut head = 0;
        while head < self.queue.len() {
            let state = self.queue[head];
            head += 1;
            let level = self.level[state as usize];
            if level >= sink_level {
                break;
            }
            if self.role(state) == SINK {
                sink_level = level;
                continue;
            }
            for k in 0..self.arc_count(state) {
                if let Some((next, _)) = self.arc(state, k)
                    && self.level[next as usize] == UNLEVELED
                {
                    self.level[next as usize] = level + 1;
                    self.queue.push(next);
                }
            }
        }
        sink_level != UNLEVELED
    }

    /// Augments along level-increasing paths until none is left or the flow
    /// reaches `bound`; returns the new flow.
    fn blocking_flow(&mut self, mut flow: usize, bound: usize) -> usize {
        self.cursor.fill(0);
        for i in 0..self.starts.len() {
            let start = self.starts[i];
            self.path.clear();
            self.path.push((start, NO_NODE));
            while let Some(&(state, _)) = self.path.last() {
                if self.role(state) == SINK {
                    self.augment();
                    flow += 1;
                    if flow >= bound {
                        return flow;
                    }
                    self.path.truncate(1);
                    continue;
                }
                match self.admissible(state) {
                    Some(step) => self.path.push(step),
                    None => {
                        // Dead end for the rest of the phase.
                        self.level[state as usize] = UNLEVELED;
                        self.path.pop();
                        if let Some(&(parent, _)) = self.path.last() {
                            self.cursor[parent as usize] += 1;
                        }
                    }
                }
            }
        }
        flow
    }

    /// The first residual arc of `state` from its cursor on that leads one level
    /// up; the cursor stays on it.
    fn admissible(&mut self, state: u32) -> Option<(u32, u32)> {
        let next_level = self.level[state as usize] + 1;
        while self.cursor[state as usize] < self.arc_count(state) {
            if let Some((next, slot)) = self.arc(state, self.cursor[state as usize])
                && self.level[next as usize] == next_level
            {
                return Some((next, slot));
            }
            self.cursor[state as usize] += 1;
        }
        None
    }

    /// Pushes one unit along the depth-first path.
    fn augment(&mut self) {
        for pair in self.path.windows(2) {
            let ((from, _), (to, slot)) = (pair[0], pair[1]);
            if from / 2 == to / 2 {
                self.through[(to / 2) as usize] = to % 2 == 1;
            } else if from % 2 == 1 {
                self.along[slot as usize] += 1;
            } else {
                self.along[slot as usize] -= 1;
            }
        }
    }

    /// Maximum flow, given up as soon as it reaches `bound`. Below the bound,
    /// returns its size and the cut: `side[v]` is 0 on the source side, 1 in the
    /// separator, 2 on the sink side, and no edge joins sides 0 and 2.
    fn min_cut(mut self, bound: usize) -> Option<(usize, Vec<u8>)> {
        let mut flow = 0;
        while self.level_graph() {
            flow = self.blocking_flow(flow, bound);
            if flow >= bound {
                return None;
            }
        }
        let reached = |state: usize| self.level[state] != UNLEVELED;
        let side = (0..self.role.len())
            .map(|v| match self.role[v] {
                SOURCE => 0,
                SINK => 2,
                _ => match (reached(2 * v), reached(2 * v + 1)) {
                    (true, true) => 0,
                    (true, false) => 1,
                    _ => 2,
                },
            })
            .collect();
        Some((flow, side))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn is_permutation(order: &[u32]) -> bool {
        let mut seen = vec![false; order.len()];
        order.iter().all(|&v| (v as usize) < order.len() && !std::mem::replace(&mut seen[v as usize], true))
    }

    /// Whether some source reaches some sink without entering `removed` (a bit
    /// mask of nodes).
    fn connected(graph: &LocalGraph, role: &[u8], removed: u32) -> bool {
        let mut reached: Vec<u32> =
            (0..role.len() as u32).filter(|&v| role[v as usize] == SOURCE && removed & 1 << v == 0).collect();
        let mut seen = reached.iter().fold(0u32, |mask, &v| mask | 1 << v);
        while let Some(v) = reached.pop() {
            if role[v as usize] == SINK {
                return true;
            }
            for &u in &graph.adj[graph.slots(v)] {
                if (seen | removed) & 1 << u == 0 {
                    seen |= 1 << u;
                    reached.push(u);
                }
            }
        }
        false
    }

    #[test]
    fn vertex_cuts_are_minimum_separators() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..400 {
            let n = rng.random_range(2..12usize);
            let count = rng.random_range(0..3 * n);
            let arcs = crate::tests::random_arcs(&mut rng, n, count);
            let undirected = Undirected::new(n, &arcs);
            let graph = LocalGraph::new(undirected.first.clone(), undirected.adj.clone());
            let mut nodes: Vec<u32> = (0..n as u32).collect();
            nodes.shuffle(&mut rng);
            let terminals = rng.random_range(1..=n / 2);
            let (sources, sinks) = (&nodes[..terminals], &nodes[n - terminals..]);
            let cut = VertexCut::new(&graph, sources, sinks);
            let role = cut.role.clone();
            let (size, side) = cut.min_cut(usize::MAX).unwrap();

            // The separator is made of inner nodes, has the stated size and
            // separates the sides; sources and (remaining) sinks keep theirs.
            let separator = (0..n).filter(|&v| side[v] == 1).fold(0u32, |mask, v| mask | 1 << v);
            assert_eq!(separator.count_ones() as usize, size);
            assert!((0..n).all(|v| side[v] != 1 || role[v] == INNER));
            assert!(sources.iter().all(|&s| side[s as usize] == 0));
            assert!((0..n).all(|v| role[v] != SINK || side[v] == 2));
            for v in 0..n as u32 {
                for &u in &graph.adj[graph.slots(v)] {
                    assert!(!(side[v as usize] == 0 && side[u as usize] == 2), "edge across the cut");
                }
            }
            // No smaller set of inner nodes separates sources from sinks.
            let inner = (0..n).filter(|&v| role[v] == INNER).fold(0u32, |mask, v| mask | 1 << v);
            let minimum = (0u32..1 << n)
                .filter(|&mask| mask & !inner == 0 && !connected(&graph, &role, mask))
                .map(u32::count_ones)
                .min()
                .unwrap();
            assert_eq!(size, minimum as usize, "arcs {arcs:?}, sources {sources:?}, sinks {sinks:?}");
            // A bound at the size gives up; one above does not.
            assert!(VertexCut::new(&graph, sources, sinks).min_cut(size).is_none() || size == 0);
            assert!(VertexCut::new(&graph, sources, sinks).min_cut(size + 1).is_some());
        }
    }

    #[test]
    fn grid_order_is_a_permutation_with_a_small_top_separator() {
        let side = 40u32;
        let id = |x: u32, y: u32| y * side + x;
        let mut arcs = Vec::new();
        for y in 0..side {
            for x in 0..side {
                if x + 1 < side {
                    arcs.push((id(x, y), id(x + 1, y)));
                }
                if y + 1 < side {
                    arcs.push((id(x, y + 1), id(x, y)));
                }
            }
        }
        let coords: Vec<(f64, f64)> =
            (0..side * side).map(|v| (f64::from(v % side), f64::from(v / side))).collect();
        let graph = Undirected::new(coords.len(), &arcs);
        let order = nested_dissection(&graph, &coords, LEAF_SIZE, PARALLEL_SIZE);
        assert!(is_permutation(&order));
        // The top separator of a 40×40 grid is one line of 40 nodes: removing the
        // 40 highest-ranked nodes must disconnect the grid.
        let top: Vec<bool> = {
            let mut top = vec![false; order.len()];
            for &v in &order[order.len() - 40..] {
                top[v as usize] = true;
            }
            top
        };
        let start = order[0];
        let mut reached = vec![false; order.len()];
        reached[start as usize] = true;
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for &u in graph.neighbors(v) {
                if !top[u as usize] && !reached[u as usize] {
                    reached[u as usize] = true;
                    stack.push(u);
                }
            }
        }
        let count = reached.iter().filter(|&&r| r).count();
        assert!(count < order.len() - 40, "top 40 nodes do not separate the grid");
    }

    #[test]
    fn degenerate_inputs_give_permutations() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for &n in &[0usize, 1, 2, 65, 200, 500] {
            let arcs = crate::tests::random_arcs(&mut rng, n, n * 2);
            let graph = Undirected::new(n, &arcs);
            for coords in [vec![(0.0, 0.0); n], vec![(f64::NAN, 1.0); n]] {
                for leaf in [1, 3, LEAF_SIZE] {
                    assert!(is_permutation(&nested_dissection(&graph, &coords, leaf, PARALLEL_SIZE)));
                }
            }
        }
    }

    #[test]
    fn dense_graphs_fall_back_to_neighbourhood_cuts() {
        // In a clique every sink touches every source.
        let n = 70u32;
        let arcs: Vec<(u32, u32)> = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect();
        let graph = Undirected::new(n as usize, &arcs);
        let coords: Vec<(f64, f64)> = (0..n).map(|v| (f64::from(v), 0.0)).collect();
        let local = LocalGraph::new(graph.first.clone(), graph.adj.clone());
        assert!((0..DIRECTIONS).all(|d| directional_cut(&local, &coords, d, usize::MAX).is_none()));
        assert!(is_permutation(&nested_dissection(&graph, &coords, LEAF_SIZE, PARALLEL_SIZE)));
    }

    #[test]
    fn parallel_cuts_give_the_same_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let side = 36u32;
        let mut arcs = Vec::new();
        for v in 0..side * side {
            if v % side + 1 < side && rng.random_bool(0.8) {
                arcs.push((v, v + 1));
            }
            if v / side + 1 < side && rng.random_bool(0.8) {
                arcs.push((v, v + side));
            }
        }
        let coords: Vec<(f64, f64)> = (0..side * side)
            .map(|v| (f64::from(v % side) + rng.random::<f64>(), f64::from(v / side) + rng.random::<f64>()))
            .collect();
        let graph = Undirected::new(coords.len(), &arcs);
        let sequential = nested_dissection(&graph, &coords, LEAF_SIZE, usize::MAX);
        assert!(is_permutation(&sequential));
        assert_eq!(nested_dissection(&graph, &coords, LEAF_SIZE, 100), sequential);
    }
}
