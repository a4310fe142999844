//! Shortest paths over the directed road network (Dijkstra with a binary heap)
//! under any non-negative per-segment cost.

use crate::network::RoadNetwork;
use crate::units::{NodeId, SegmentId};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A path found by [`shortest_path`].
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// Segments in driving order.
    pub segments: Vec<SegmentId>,
    /// Sum of the segment costs.
    pub cost: f64,
}

#[derive(PartialEq)]
struct Entry(f64, u32);
impl Eq for Entry {}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then_with(|| other.1.cmp(&self.1))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reusable search state, so that repeated queries allocate nothing.
#[derive(Debug, Default)]
pub struct Dijkstra {
    dist: Vec<f64>,
    via: Vec<u32>,
    touched: Vec<u32>,
}

impl Dijkstra {
    /// The cheapest path from `from` to `to`, where `cost(segment)` is finite and
    /// non-negative (infinite costs close a segment). `None` when unreachable.
    pub fn run(
        &mut self,
        network: &RoadNetwork,
        from: NodeId,
        to: NodeId,
        mut cost: impl FnMut(SegmentId) -> f64,
    ) -> Option<Path> {
        let n = network.nodes().len();
        if self.dist.len() != n {
            self.dist = vec![f64::INFINITY; n];
            self.via = vec![u32::MAX; n];
        }
        for &t in &self.touched {
            self.dist[t as usize] = f64::INFINITY;
            self.via[t as usize] = u32::MAX;
        }
        self.touched.clear();
        let mut heap = BinaryHeap::new();
        self.dist[from.index()] = 0.0;
        self.touched.push(from.0);
        heap.push(Entry(0.0, from.0));
        while let Some(Entry(d, v)) = heap.pop() {
            if d > self.dist[v as usize] {
                continue;
            }
            if v == to.0 {
                break;
            }
            for &s in network.outgoing(NodeId(v)) {
                let c = cost(s);
                if c.is_nan() || c < 0.0 || c.is_infinite() {
                    continue;
                }
                let seg = &network.segments()[s.index()];
                let u = seg.to.0 as usize;
                let nd = d + c;
                if nd < self.dist[u] {
                    if self.dist[u].is_infinite() {
                        self.touched.push(u as u32);
                    }
                    self.dist[u] = nd;
                    self.via[u] = s.0;
                    heap.push(Entry(nd, u as u32));
                }
            }
        }
        if self.dist[to.index()].is_infinite() {
            return None;
        }
        let mut segments = Vec::new();
        let mut at = to;
        while at != from {
            let s = SegmentId(self.via[at.index()]);
            segments.push(s);
            at = network.segments()[s.index()].from;
        }
        segments.reverse();
        Some(Path { segments, cost: self.dist[to.index()] })
    }
}

/// One-off convenience around [`Dijkstra::run`].
pub fn shortest_path(
    network: &RoadNetwork,
    from: NodeId,
    to: NodeId,
    cost: impl FnMut(SegmentId) -> f64,
) -> Option<Path> {
    Dijkstra::default().run(network, from, to, cost)
}
