//! Phase three: point-to-point queries on a customized hierarchy.

use std::fmt;

use crate::NO_NODE;
use crate::cch::Cch;
use crate::metric::{MIDDLE, Metric, UNREACHABLE};

/// Query state for one customized hierarchy: allocate once, run many queries.
/// A thin pairing of a [`Cch`], a [`Metric`] and a [`Searcher`].
pub struct Query<'a> {
    cch: &'a Cch,
    metric: &'a Metric,
    searcher: Searcher,
}

impl fmt::Debug for Query<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query").field("cch", self.cch).field("metric", self.metric).finish_non_exhaustive()
    }
}

impl<'a> Query<'a> {
    /// Query state for `cch` customized as `metric`.
    ///
    /// # Panics
    /// If `metric` was customized for a hierarchy with a different number of edges.
    pub fn new(cch: &'a Cch, metric: &'a Metric) -> Query<'a> {
        assert_eq!(metric.num_edges(), cch.num_shortcut_edges(), "metric of another hierarchy");
        Query { cch, metric, searcher: Searcher::new(cch.num_nodes()) }
    }

    /// Shortest distance from `source` to `target` (`None` if unreachable), and
    /// the input arcs of one shortest path, in order (empty when `source == target`).
    ///
    /// # Panics
    /// If `source` or `target` is not a node.
    pub fn run(&mut self, source: u32, target: u32) -> Option<(u64, Vec<u32>)> {
        self.searcher.run(self.cch, self.metric, source, target)
    }

    /// Shortest distance from `source` to `target` (`None` if unreachable),
    /// without building the path.
    ///
    /// # Panics
    /// If `source` or `target` is not a node.
    pub fn distance(&mut self, source: u32, target: u32) -> Option<u64> {
        self.searcher.distance(self.cch, self.metric, source, target)
    }
}

/// Reusable search buffers, owned apart from any hierarchy or metric so that a
/// thread can keep one across re-customizations (the metric changes, the
/// hierarchy's size does not).
///
/// A query is an elimination-tree search: every upward neighbour of a node is one
/// of its ancestors in the elimination tree, so the forward search from the
/// source only has to scan the source's path to the root, relaxing upward arcs,
/// and the backward search scans the target's root path, relaxing downward arcs
/// in reverse. The shortest path runs up to the best node the two paths share and
/// down again; its shortcuts are then unpacked into input arcs. No priority queue
/// is needed, the shared part of the paths prunes nodes reached no faster than
/// the best path so far, and resetting walks the same two paths.
#[derive(Clone, Debug)]
pub struct Searcher {
    /// Forward distances from the source, per rank.
    forward: Vec<u64>,
    /// Backward distances to the target, per rank.
    backward: Vec<u64>,
    /// Edge by which each forward distance was last improved.
    forward_edge: Vec<u32>,
    /// Edge by which each backward distance was last improved.
    backward_edge: Vec<u32>,
    /// Unpacking stack of `(edge, upward)` arcs.
    stack: Vec<(u32, bool)>,
}

impl Searcher {
    /// Buffers for hierarchies of `num_nodes` nodes.
    pub fn new(num_nodes: usize) -> Searcher {
        Searcher {
            forward: vec![UNREACHABLE; num_nodes],
            backward: vec![UNREACHABLE; num_nodes],
            forward_edge: vec![NO_NODE; num_nodes],
            backward_edge: vec![NO_NODE; num_nodes],
            stack: Vec::new(),
        }
    }

    /// Number of nodes these buffers serve.
    pub fn num_nodes(&self) -> usize {
        self.forward.len()
    }

    /// Shortest distance from `source` to `target` on `cch` customized as
    /// `metric` (`None` if unreachable), and the input arcs of one shortest path,
    /// in order (empty when `source == target`).
    ///
    /// # Panics
    /// If `source` or `target` is not a node, `metric` belongs to another
    /// hierarchy, or the buffers were made for another number of nodes.
    pub fn run(&mut self, cch: &Cch, metric: &Metric, source: u32, target: u32) -> Option<(u64, Vec<u32>)> {
        self.check(cch, metric);
        let found = self.search(cch, metric, source, target);
        let result =
            found.map(|(distance, meeting)| (distance, self.unpack(cch, metric, source, target, meeting)));
        self.reset(cch, source, target);
        result
    }

    /// Shortest distance from `source` to `target` (`None` if unreachable),
    /// without building the path.
    ///
    /// # Panics
    /// As [`Searcher::run`].
    pub fn distance(&mut self, cch: &Cch, metric: &Metric, source: u32, target: u32) -> Option<u64> {
        self.check(cch, metric);
        let found = self.search(cch, metric, source, target);
        self.reset(cch, source, target);
        found.map(|(distance, _)| distance)
    }

    fn check(&self, cch: &Cch, metric: &Metric) {
        assert_eq!(metric.num_edges(), cch.num_shortcut_edges(), "metric of another hierarchy");
        assert_eq!(self.num_nodes(), cch.num_nodes(), "buffers of another size");
    }

    /// Runs both elimination-tree searches and returns the distance and the rank
    /// where the shortest path turns from upward to downward. Leaves the search
    /// state set (see [`Searcher::reset`]).
    fn search(&mut self, cch: &Cch, metric: &Metric, source: u32, target: u32) -> Option<(u64, u32)> {
        let (s, t) = (cch.rank(source), cch.rank(target));
        self.forward[s as usize] = 0;
        self.backward[t as usize] = 0;
        // Walk both root paths in rank order (`NO_NODE` ranks above all), so each
        // node is scanned once its distance is final: arcs into it come from its
        // own path below it. Above the lowest common ancestor the paths coincide;
        // there a direction stops relaxing from nodes it reaches no faster than
        // the best path found so far.
        let mut best = (UNREACHABLE, NO_NODE);
        let (mut a, mut b) = (s, t);
        while a != NO_NODE || b != NO_NODE {
            if a < b {
                self.relax_forward(cch, metric, a, UNREACHABLE);
                a = cch.parent[a as usize];
            } else if b < a {
                self.relax_backward(cch, metric, b, UNREACHABLE);
                b = cch.parent[b as usize];
            } else {
                let total = self.forward[a as usize].saturating_add(self.backward[a as usize]);
                if total < best.0 {
                    best = (total, a);
                }
                self.relax_forward(cch, metric, a, best.0);
                self.relax_backward(cch, metric, a, best.0);
                a = cch.parent[a as usize];
                b = a;
            }
        }
        (best.0 != UNREACHABLE).then_some(best)
    }

    /// Relaxes the upward arcs of rank `x` in the forward search, unless its
    /// distance is not below `limit`.
    fn relax_forward(&mut self, cch: &Cch, metric: &Metric, x: u32, limit: u64) {
        let d = self.forward[x as usize];
        if d >= limit {
            return;
        }
        for e in cch.up_edges(x) {
            let y = cch.head[e] as usize;
            let through = d.saturating_add(metric.up[e]);
            if through < self.forward[y] {
                self.forward[y] = through;
                self.forward_edge[y] = e as u32;
            }
        }
    }

    /// Relaxes the downward arcs into rank `x`, reversed, in the backward search,
    /// unless its distance is not below `limit`.
    fn relax_backward(&mut self, cch: &Cch, metric: &Metric, x: u32, limit: u64) {
        let d = self.backward[x as usize];
        if d >= limit {
            return;
        }
        for e in cch.up_edges(x) {
            let y = cch.head[e] as usize;
            let through = d.saturating_add(metric.down[e]);
            if through < self.backward[y] {
                self.backward[y] = through;
                self.backward_edge[y] = e as u32;
            }
        }
    }

    /// Clears the distances set by a search between `source` and `target`: only
    /// nodes on their root paths can have been touched.
    fn reset(&mut self, cch: &Cch, source: u32, target: u32) {
        for (start, distances) in [(source, &mut self.forward), (target, &mut self.backward)] {
            let mut x = cch.rank(start);
            while x != NO_NODE {
                distances[x as usize] = UNREACHABLE;
                x = cch.parent[x as usize];
            }
        }
    }

    /// The input arcs of the path found by [`Searcher::search`], turning at `meeting`.
    fn unpack(&mut self, cch: &Cch, metric: &Metric, source: u32, target: u32, meeting: u32) -> Vec<u32> {
        let (s, t) = (cch.rank(source), cch.rank(target));
        // The CCH arcs in path order are the upward ones from s to the meeting
        // rank, then the downward ones to t. The stack pops from its end, so it
        // takes the downward part last arc first, then the upward part likewise.
        self.stack.clear();
        let mut x = meeting;
        while x != t {
            let e = self.backward_edge[x as usize];
            self.stack.push((e, false));
            x = cch.tail[e as usize];
        }
        self.stack.reverse();
        let mut x = meeting;
        while x != s {
            let e = self.forward_edge[x as usize];
            self.stack.push((e, true));
            x = cch.tail[e as usize];
        }

        let mut path = Vec::new();
        while let Some((e, upward)) = self.stack.pop() {
            let via = if upward { metric.up_via[e as usize] } else { metric.down_via[e as usize] };
            debug_assert_ne!(via, NO_NODE, "unpacking an unreachable arc");
            if via & MIDDLE == 0 {
                path.push(via);
                continue;
            }
            // Edge {low, high} through middle rank m < low: low–m and m–high.
            let m = via & !MIDDLE;
            let (low, high) = (cch.tail[e as usize], cch.head[e as usize]);
            let to_low = cch.find_edge(m, low).expect("lower triangle edge");
            let to_high = cch.find_edge(m, high).expect("lower triangle edge");
            if upward {
                // low → m (down along m–low), then m → high (up along m–high).
                self.stack.push((to_high, true));
                self.stack.push((to_low, false));
            } else {
                // high → m (down along m–high), then m → low (up along m–low).
                self.stack.push((to_low, true));
                self.stack.push((to_high, false));
            }
        }
        path
    }
}
