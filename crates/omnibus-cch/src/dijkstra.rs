//! The plain reference algorithm.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::INFINITY;

/// Shortest distance from `source` to `target` by Dijkstra's algorithm on the
/// input arcs `arcs[i] = (tail, head)` with `weights[i]` ([`INFINITY`] = closed),
/// or `None` if `target` is unreachable.
///
/// This is the reference the tests hold the hierarchy to: no preprocessing,
/// obviously correct, slow.
///
/// # Panics
/// If `weights.len() != arcs.len()` or a node id is `>= num_nodes`.
pub fn dijkstra(
    num_nodes: usize,
    arcs: &[(u32, u32)],
    weights: &[u32],
    source: u32,
    target: u32,
) -> Option<u64> {
    assert_eq!(arcs.len(), weights.len(), "one weight per arc");
    let mut first = vec![0usize; num_nodes + 1];
    for &(tail, _) in arcs {
        first[tail as usize + 1] += 1;
    }
    for v in 0..num_nodes {
        first[v + 1] += first[v];
    }
    let mut fill = first.clone();
    let mut out = vec![(0u32, 0u32); arcs.len()];
    for (&(tail, head), &weight) in arcs.iter().zip(weights) {
        out[fill[tail as usize]] = (head, weight);
        fill[tail as usize] += 1;
    }

    let mut distance = vec![u64::MAX; num_nodes];
    let mut heap = BinaryHeap::new();
    distance[source as usize] = 0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((d, v))) = heap.pop() {
        if v == target {
            return Some(d);
        }
        if d > distance[v as usize] {
            continue;
        }
        for &(head, weight) in &out[first[v as usize]..first[v as usize + 1]] {
            if weight == INFINITY {
                continue;
            }
            let through = d + u64::from(weight);
            if through < distance[head as usize] {
                distance[head as usize] = through;
                heap.push(Reverse((through, head)));
            }
        }
    }
    assert!((target as usize) < num_nodes, "target {target} is not a node");
    None
}
