//! Phase one, part two: the chordal supergraph of the ranked graph (contraction).

use std::fmt;

use crate::NO_NODE;
use crate::order::{self, Undirected};

/// Metric-independent preprocessing: a node order and the chordal "upward" graph
/// it induces.
///
/// Nodes are ranked by nested dissection (or by an order given to
/// [`Cch::from_order`]); eliminating them in rank order, each node's
/// higher-ranked neighbours become a clique. The resulting undirected edges
/// (input edges plus shortcuts) are stored once, from the lower-ranked to the
/// higher-ranked endpoint, in compressed sparse row form over ranks. The
/// structure depends only on the road network, never on travel times: build it
/// once, then [`Cch::customize`] it as often as weights change.
pub struct Cch {
    /// `rank[node]`.
    pub(crate) rank: Vec<u32>,
    /// `order[rank] = node`.
    pub(crate) order: Vec<u32>,
    /// `first_up[r]..first_up[r + 1]` indexes the upward edges of rank `r`.
    pub(crate) first_up: Vec<u32>,
    /// Higher endpoint (a rank) of each edge; sorted within each row.
    pub(crate) head: Vec<u32>,
    /// Lower endpoint (a rank) of each edge.
    pub(crate) tail: Vec<u32>,
    /// Elimination-tree parent of each rank (its lowest upward neighbour), or
    /// [`NO_NODE`] for a root.
    pub(crate) parent: Vec<u32>,
    /// Per input arc: `2 * edge + d` with `d = 0` if the arc runs upward
    /// (lower to higher rank) along `edge`, `d = 1` if downward; [`NO_NODE`]
    /// for self-loops.
    pub(crate) arc_slot: Vec<u32>,
}

impl fmt::Debug for Cch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cch")
            .field("num_nodes", &self.num_nodes())
            .field("num_arcs", &self.num_arcs())
            .field("num_shortcut_edges", &self.num_shortcut_edges())
            .finish_non_exhaustive()
    }
}

impl Cch {
    /// Preprocesses a graph of `num_nodes` nodes with directed input arcs
    /// `arcs[i] = (tail, head)` (parallel arcs and self-loops allowed), ranking
    /// the nodes by nested dissection on the planar coordinates `coords[node] = (x, y)`
    /// (metres in a local projection).
    ///
    /// Cuts of pieces with thousands of nodes try their directions on scoped
    /// threads; the order is the same as with one thread.
    ///
    /// # Panics
    /// If `coords.len() != num_nodes`, an arc names a node `>= num_nodes`, or the
    /// graph is too large for 32-bit ids (2³¹ nodes or arcs).
    pub fn new(num_nodes: usize, arcs: &[(u32, u32)], coords: &[(f64, f64)]) -> Cch {
        Cch::with_leaf_size(num_nodes, arcs, coords, usize::MAX)
    }

    /// [`Cch::new`] with the dissection stopping at subsets of `leaf_size` nodes
    /// (capped at its default, 64); small values let tests reach the cut code
    /// with small graphs.
    pub(crate) fn with_leaf_size(
        num_nodes: usize,
        arcs: &[(u32, u32)],
        coords: &[(f64, f64)],
        leaf_size: usize,
    ) -> Cch {
        assert_eq!(coords.len(), num_nodes, "one coordinate pair per node");
        check_sizes(num_nodes, arcs);
        let graph = Undirected::new(num_nodes, arcs);
        let order = order::nested_dissection(&graph, coords, leaf_size, order::PARALLEL_SIZE);
        Cch::build(num_nodes, arcs, order, &graph)
    }

    /// Preprocesses the graph with a given node order instead of nested
    /// dissection: `order[rank] = node`, lowest rank (contracted first) first.
    /// Any permutation gives correct queries; a good order (small separators
    /// ranked last) keeps the hierarchy small.
    ///
    /// # Panics
    /// If `order` is not a permutation of `0..num_nodes`, an arc names a node
    /// `>= num_nodes`, or the graph is too large for 32-bit ids.
    pub fn from_order(num_nodes: usize, arcs: &[(u32, u32)], order: &[u32]) -> Cch {
        check_sizes(num_nodes, arcs);
        assert_eq!(order.len(), num_nodes, "the order ranks every node once");
        let mut seen = vec![false; num_nodes];
        for &v in order {
            assert!((v as usize) < num_nodes && !seen[v as usize], "the order is not a permutation");
            seen[v as usize] = true;
        }
        let graph = Undirected::new(num_nodes, arcs);
        Cch::build(num_nodes, arcs, order.to_vec(), &graph)
    }

    /// Contraction: the chordal supergraph of `graph` under `order`.
    fn build(num_nodes: usize, arcs: &[(u32, u32)], order: Vec<u32>, graph: &Undirected) -> Cch {
        let mut rank = vec![0u32; num_nodes];
        for (r, &v) in order.iter().enumerate() {
            rank[v as usize] = r as u32;
        }

        // Upward neighbour lists in rank space, then elimination in rank order:
        // the higher neighbours of `r` form a clique, which is recorded by handing
        // them to the lowest of them (the elimination-tree parent); it passes them
        // on when it is eliminated in turn.
        let mut up: Vec<Vec<u32>> = vec![Vec::new(); num_nodes];
        for v in 0..num_nodes as u32 {
            let rv = rank[v as usize];
            for &u in graph.neighbors(v) {
                let ru = rank[u as usize];
                if ru > rv {
                    up[rv as usize].push(ru);
                }
            }
        }
        let mut first_up = Vec::with_capacity(num_nodes + 1);
        first_up.push(0u32);
        let mut head: Vec<u32> = Vec::new();
        let mut parent = vec![NO_NODE; num_nodes];
        for r in 0..num_nodes {
            let mut list = std::mem::take(&mut up[r]);
            list.sort_unstable();
            list.dedup();
            if let Some((&p, rest)) = list.split_first() {
                parent[r] = p;
                up[p as usize].extend_from_slice(rest);
            }
            head.extend_from_slice(&list);
            assert!(head.len() < (u32::MAX / 2) as usize, "too many shortcut edges for 32-bit ids");
            first_up.push(head.len() as u32);
        }
        let tail = (0..num_nodes as u32)
            .flat_map(|r| std::iter::repeat_n(r, (first_up[r as usize + 1] - first_up[r as usize]) as usize))
            .collect();

        let mut cch = Cch { rank, order, first_up, head, tail, parent, arc_slot: Vec::new() };
        cch.arc_slot = arcs
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    return NO_NODE;
                }
                let (ra, rb) = (cch.rank[a as usize], cch.rank[b as usize]);
                let edge = cch.find_edge(ra.min(rb), ra.max(rb)).expect("every input edge is a CCH edge");
                2 * edge + u32::from(ra > rb)
            })
            .collect();
        cch
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.rank.len()
    }

    /// Number of input arcs (the length a weight vector must have).
    pub fn num_arcs(&self) -> usize {
        self.arc_slot.len()
    }

    /// Number of edges of the undirected chordal upward graph (input edges plus
    /// shortcuts, each stored once, parallel input arcs merged).
    pub fn num_shortcut_edges(&self) -> usize {
        self.head.len()
    }

    /// Rank of `node` in the contraction order (0 = contracted first).
    pub fn rank(&self, node: u32) -> u32 {
        self.rank[node as usize]
    }

    /// The contraction order, `order()[rank] = node`; [`Cch::from_order`] with it
    /// rebuilds this hierarchy without redoing the dissection.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Height of the tallest elimination tree (nodes on its longest root path);
    /// queries scan the root paths of both endpoints, so this bounds their work.
    pub fn elimination_tree_height(&self) -> usize {
        // Parents have higher ranks, so one downward pass over ranks suffices.
        let mut depth = vec![0usize; self.num_nodes()];
        let mut height = 0;
        for r in (0..self.num_nodes()).rev() {
            let p = self.parent[r];
            depth[r] = if p == NO_NODE { 1 } else { depth[p as usize] + 1 };
            height = height.max(depth[r]);
        }
        height
    }

    /// The upward edge ids of rank `r`.
    pub(crate) fn up_edges(&self, r: u32) -> std::ops::Range<usize> {
        self.first_up[r as usize] as usize..self.first_up[r as usize + 1] as usize
    }

    /// The id of the edge between ranks `low < high`, if there is one.
    pub(crate) fn find_edge(&self, low: u32, high: u32) -> Option<u32> {
        let range = self.up_edges(low);
        let start = range.start;
        self.head[range].binary_search(&high).ok().map(|i| (start + i) as u32)
    }
}

/// Checks arc endpoints and the 31-bit id space (one bit tags middle nodes).
fn check_sizes(num_nodes: usize, arcs: &[(u32, u32)]) {
    assert!(num_nodes < (1 << 31) - 1 && arcs.len() < 1 << 31, "graph too large for 31-bit ids");
    for &(a, b) in arcs {
        assert!((a as usize) < num_nodes && (b as usize) < num_nodes, "arc ({a}, {b}) names a missing node");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Every node's upward neighbours form a clique, and the parent is the lowest.
    fn assert_chordal(cch: &Cch) {
        for r in 0..cch.num_nodes() as u32 {
            let heads = &cch.head[cch.up_edges(r)];
            assert!(heads.windows(2).all(|w| w[0] < w[1]));
            assert!(heads.iter().all(|&h| h > r));
            for (i, &v) in heads.iter().enumerate() {
                for &w in &heads[i + 1..] {
                    assert!(cch.find_edge(v, w).is_some(), "missing fill edge {v}-{w} below {r}");
                }
            }
            assert_eq!(heads.first().copied().unwrap_or(NO_NODE), cch.parent[r as usize]);
        }
    }

    #[test]
    fn upward_graph_is_chordal_for_random_orders() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..50 {
            let n = rng.random_range(1..80usize);
            let count = rng.random_range(0..4 * n);
            let arcs = crate::tests::random_arcs(&mut rng, n, count);
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.shuffle(&mut rng);
            let cch = Cch::from_order(n, &arcs, &order);
            assert_chordal(&cch);
            for (&(a, b), &slot) in arcs.iter().zip(&cch.arc_slot) {
                if a == b {
                    assert_eq!(slot, NO_NODE);
                    continue;
                }
                let e = (slot / 2) as usize;
                let (low, high) = (cch.tail[e], cch.head[e]);
                let (ra, rb) = (cch.rank(a), cch.rank(b));
                assert_eq!((low, high), (ra.min(rb), ra.max(rb)));
                assert_eq!(slot % 2 == 1, ra > rb);
            }
        }
    }

    #[test]
    fn path_in_order_has_no_shortcuts() {
        // A path contracted from one end adds nothing.
        let arcs: Vec<(u32, u32)> = (0..9).map(|v| (v, v + 1)).collect();
        let order: Vec<u32> = (0..10).collect();
        let cch = Cch::from_order(10, &arcs, &order);
        assert_eq!(cch.num_shortcut_edges(), 9);
        assert_eq!(cch.elimination_tree_height(), 10);
        // Contracting the middle first joins its neighbours.
        let order: Vec<u32> = vec![5, 0, 1, 2, 3, 4, 6, 7, 8, 9];
        let cch = Cch::from_order(10, &arcs, &order);
        assert_eq!(cch.num_shortcut_edges(), 10);
        assert_chordal(&cch);
    }

    #[test]
    fn nested_dissection_keeps_a_grid_hierarchy_small() {
        let side = 30u32;
        let mut arcs = Vec::new();
        for y in 0..side {
            for x in 0..side {
                let v = y * side + x;
                if x + 1 < side {
                    arcs.push((v, v + 1));
                }
                if y + 1 < side {
                    arcs.push((v, v + side));
                }
            }
        }
        let coords: Vec<(f64, f64)> =
            (0..side * side).map(|v| (f64::from(v % side), f64::from(v / side))).collect();
        let cch = Cch::new(coords.len(), &arcs, &coords);
        assert_chordal(&cch);
        assert!(cch.num_shortcut_edges() < 16 * cch.num_nodes(), "{cch:?}");
        assert!(cch.elimination_tree_height() < 120, "{}", cch.elimination_tree_height());
    }
}
