//! Whole-pipeline checks that need crate internals: tiny dissection leaves, so
//! that small random graphs go through the cut and vertex-cover code.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::{Cch, INFINITY, Query, dijkstra};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `count` random arcs between `n` nodes (self-loops and parallel arcs included).
pub(crate) fn random_arcs(rng: &mut ChaCha8Rng, n: usize, count: usize) -> Vec<(u32, u32)> {
    (0..count).map(|_| (rng.random_range(0..n as u32), rng.random_range(0..n as u32))).collect()
}

/// Checks every pair against [`dijkstra`], and every path for being a real path
/// of the stated length.
fn assert_matches_dijkstra(cch: &Cch, num_nodes: usize, arcs: &[(u32, u32)], weights: &[u32]) {
    let metric = cch.customize(weights);
    let mut query = Query::new(cch, &metric);
    for s in 0..num_nodes as u32 {
        for t in 0..num_nodes as u32 {
            let expected = dijkstra(num_nodes, arcs, weights, s, t);
            let found = query.run(s, t);
            assert_eq!(found.as_ref().map(|(d, _)| *d), expected, "distance {s} -> {t}");
            assert_eq!(query.distance(s, t), expected, "distance only {s} -> {t}");
            if let Some((distance, path)) = found {
                let mut at = s;
                let mut length = 0u64;
                for &arc in &path {
                    let (tail, head) = arcs[arc as usize];
                    assert_eq!(tail, at, "path {s} -> {t} is broken: {path:?}");
                    assert_ne!(weights[arc as usize], INFINITY);
                    length += u64::from(weights[arc as usize]);
                    at = head;
                }
                assert_eq!(at, t);
                assert_eq!(length, distance);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn small_leaves_agree_with_dijkstra(
        (n, arcs, coords) in (1usize..=45).prop_flat_map(|n| (
            Just(n),
            vec((0..n as u32, 0..n as u32, prop_oneof![8 => 0u32..50, 1 => Just(INFINITY)]), 0..=3 * n),
            vec(prop_oneof![3 => (0.0..100.0f64, 0.0..100.0f64), 1 => Just((1.0, 1.0))], n),
        )),
        leaf_size in 1usize..=5,
    ) {
        let (arcs, weights): (Vec<(u32, u32)>, Vec<u32>) =
            arcs.into_iter().map(|(a, b, w)| ((a, b), w)).unzip();
        let cch = Cch::with_leaf_size(n, &arcs, &coords, leaf_size);
        assert_matches_dijkstra(&cch, n, &arcs, &weights);
    }
}
