//! One-to-all shortest paths: Dijkstra with a binary heap over the network's forward star,
//! honouring the first-thru-node rule (zones are never passed through).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::network::{LinkId, Network, NodeId};

const NONE: u32 = u32::MAX;

/// Reusable Dijkstra state (distances, predecessor links, settle order) for one network size.
#[derive(Debug, Clone)]
pub struct ShortestPathTree {
    dist: Vec<f64>,
    pred: Vec<u32>,
    order: Vec<u32>,
    /// Min-heap of (distance bits, node) with lazy deletion. Non-negative `f64`s order like
    /// their bit patterns, so the key is an integer and ties break by node id (deterministic).
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    origin: u32,
}

impl ShortestPathTree {
    pub fn new(num_nodes: usize) -> Self {
        ShortestPathTree {
            dist: vec![f64::INFINITY; num_nodes],
            pred: vec![NONE; num_nodes],
            order: Vec::with_capacity(num_nodes),
            heap: BinaryHeap::new(),
            origin: NONE,
        }
    }

    /// Computes shortest paths from `origin` with the given non-negative finite link costs (one per
    /// link). Nodes below the network's first thru node are reached but not expanded (unless they
    /// are the origin). An origin outside the network reaches nothing.
    pub fn run(&mut self, net: &Network, costs: &[f64], origin: NodeId) {
        let n = net.num_nodes();
        if self.dist.len() != n {
            *self = ShortestPathTree::new(n);
        }
        self.dist.fill(f64::INFINITY);
        self.pred.fill(NONE);
        self.order.clear();
        self.heap.clear();
        self.origin = origin.0;
        if origin.index() >= n {
            return;
        }
        self.dist[origin.index()] = 0.0;
        self.heap.push(Reverse((0.0f64.to_bits(), origin.0)));
        while let Some(Reverse((bits, node))) = self.heap.pop() {
            let dist = f64::from_bits(bits);
            // Keys only ever decrease strictly, so a stale entry is larger than the settled one.
            if dist > self.dist[node as usize] {
                continue;
            }
            self.order.push(node);
            if node != origin.0 && !net.is_thru(NodeId(node)) {
                continue;
            }
            let (links, heads) = net.out_range(node);
            for (&link, &w) in links.iter().zip(heads) {
                let w = w as usize;
                let nd = dist + costs[link as usize];
                if nd < self.dist[w] {
                    self.dist[w] = nd;
                    self.pred[w] = link;
                    self.heap.push(Reverse((nd.to_bits(), w as u32)));
                }
            }
        }
    }

    /// Distance from the last origin to `node` (infinite if unreachable).
    #[inline]
    pub fn dist(&self, node: NodeId) -> f64 {
        self.dist.get(node.index()).copied().unwrap_or(f64::INFINITY)
    }

    /// The last link of the shortest path to `node`.
    #[inline]
    pub fn pred_link(&self, node: NodeId) -> Option<LinkId> {
        let p = self.pred.get(node.index()).copied().unwrap_or(NONE);
        (p != NONE).then_some(LinkId(p))
    }

    /// Nodes in the order they were settled (increasing distance), starting with the origin.
    pub fn settle_order(&self) -> &[u32] {
        &self.order
    }

    #[inline]
    pub(crate) fn pred_raw(&self, node: u32) -> u32 {
        self.pred[node as usize]
    }

    /// The links of the shortest path to `dest`, origin first; `None` if `dest` is unreachable.
    pub fn path(&self, net: &Network, dest: NodeId) -> Option<Vec<LinkId>> {
        let mut raw = Vec::new();
        self.path_to(net, dest, &mut raw).then(|| raw.into_iter().map(LinkId).collect())
    }

    /// Writes the link indices of the shortest path to `dest` (origin first) into `path`;
    /// returns `false` if `dest` is unreachable.
    pub(crate) fn path_to(&self, net: &Network, dest: NodeId, path: &mut Vec<u32>) -> bool {
        path.clear();
        if !self.dist(dest).is_finite() {
            return false;
        }
        let mut v = dest.0;
        while v != self.origin {
            let link = self.pred[v as usize];
            if link == NONE {
                return false;
            }
            path.push(link);
            v = net.tail(link);
        }
        path.reverse();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Link;

    fn line(n: u32) -> Network {
        // 0 -> 1 -> 2 -> ... cheap, plus a direct expensive 0 -> n-1.
        let mut links: Vec<Link> =
            (0..n - 1).map(|i| Link::bpr(NodeId(i), NodeId(i + 1), 1.0, 1.0, 0.0, 1.0)).collect();
        links.push(Link::bpr(NodeId(0), NodeId(n - 1), 100.0, 1.0, 0.0, 1.0));
        Network::new(n as usize, NodeId(0), links).unwrap()
    }

    #[test]
    fn dijkstra_and_first_thru_node() {
        let net = line(5);
        let costs: Vec<f64> = net.links().iter().map(|l| l.free_flow_time).collect();
        let mut t = ShortestPathTree::new(5);
        t.run(&net, &costs, NodeId(0));
        assert_eq!(t.dist(NodeId(4)), 4.0);
        assert_eq!(t.path(&net, NodeId(4)), Some(vec![LinkId(0), LinkId(1), LinkId(2), LinkId(3)]));
        assert_eq!(t.settle_order()[0], 0);

        // Nodes 0 and 1 are zones: they may start or end paths but not be passed through.
        let links = vec![
            Link::bpr(NodeId(0), NodeId(1), 1.0, 1.0, 0.0, 1.0),
            Link::bpr(NodeId(1), NodeId(2), 1.0, 1.0, 0.0, 1.0),
            Link::bpr(NodeId(0), NodeId(2), 10.0, 1.0, 0.0, 1.0),
            Link::bpr(NodeId(2), NodeId(3), 1.0, 1.0, 0.0, 1.0),
        ];
        let net = Network::new(4, NodeId(2), links).unwrap();
        let costs: Vec<f64> = net.links().iter().map(|l| l.free_flow_time).collect();
        t.run(&net, &costs, NodeId(0));
        assert_eq!(t.dist(NodeId(1)), 1.0);
        assert_eq!(t.dist(NodeId(2)), 10.0);
        assert_eq!(t.dist(NodeId(3)), 11.0);
        assert_eq!(t.path(&net, NodeId(3)), Some(vec![LinkId(2), LinkId(3)]));
        // A zone may be the origin.
        t.run(&net, &costs, NodeId(1));
        assert_eq!(t.dist(NodeId(3)), 2.0);
        assert_eq!(t.path(&net, NodeId(0)), None);
        assert_eq!(t.dist(NodeId(99)), f64::INFINITY);
    }
}
