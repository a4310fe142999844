//! The hierarchy against plain Dijkstra: random graphs (any order, nested
//! dissection or a random permutation), re-customization, grids.

use omnibus_cch::{Cch, INFINITY, Query, dijkstra};
use proptest::collection::vec;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A directed test graph with coordinates and two weight vectors.
#[derive(Debug, Clone)]
struct Graph {
    num_nodes: usize,
    arcs: Vec<(u32, u32)>,
    coords: Vec<(f64, f64)>,
    weights: Vec<u32>,
    other_weights: Vec<u32>,
}

/// Mostly small weights, some zero, some closed, some huge (overflow in `u32`).
fn weight() -> impl Strategy<Value = u32> {
    prop_oneof![
        12 => 1u32..100,
        2 => Just(0u32),
        2 => Just(INFINITY),
        1 => (u32::MAX - 1000)..u32::MAX,
    ]
}

/// 1–60 nodes, up to three arcs per node (parallel arcs, self-loops, one-way
/// arcs and disconnected parts all occur), coordinates with duplicates.
fn graph() -> impl Strategy<Value = Graph> {
    (1usize..=60)
        .prop_flat_map(|n| {
            let arc = (0..n as u32, 0..n as u32, weight(), weight());
            let coord = prop_oneof![4 => (-500.0..500.0f64, -500.0..500.0f64), 1 => Just((3.0, 3.0))];
            (Just(n), vec(arc, 0..=3 * n), vec(coord, n))
        })
        .prop_map(|(num_nodes, arcs, coords)| Graph {
            num_nodes,
            arcs: arcs.iter().map(|&(a, b, _, _)| (a, b)).collect(),
            weights: arcs.iter().map(|&(_, _, w, _)| w).collect(),
            other_weights: arcs.iter().map(|&(_, _, _, w)| w).collect(),
            coords,
        })
}

/// Runs `query` on `(s, t)` and checks it against [`dijkstra`]: same distance,
/// and the path is a chain of open input arcs from `s` to `t` whose weights sum
/// to the distance (empty for `s == t`).
fn check_pair(query: &mut Query<'_>, graph: &Graph, weights: &[u32], s: u32, t: u32) {
    let expected = dijkstra(graph.num_nodes, &graph.arcs, weights, s, t);
    let found = query.run(s, t);
    assert_eq!(found.as_ref().map(|(d, _)| *d), expected, "distance {s} -> {t}");
    let Some((distance, path)) = found else { return };
    if s == t {
        assert_eq!((distance, path.as_slice()), (0, &[][..]));
        return;
    }
    let mut at = s;
    let mut length = 0u64;
    for &arc in &path {
        let (tail, head) = graph.arcs[arc as usize];
        assert_eq!(tail, at, "path {s} -> {t} does not connect: {path:?}");
        assert_ne!(weights[arc as usize], INFINITY, "path {s} -> {t} uses a closed arc");
        length += u64::from(weights[arc as usize]);
        at = head;
    }
    assert_eq!(at, t, "path {s} -> {t} ends elsewhere: {path:?}");
    assert_eq!(length, distance, "path {s} -> {t} has another length: {path:?}");
}

/// Checks all pairs of a small graph, or a deterministic sample of them.
fn check_pairs(cch: &Cch, graph: &Graph, weights: &[u32]) {
    let metric = cch.customize(weights);
    let mut query = Query::new(cch, &metric);
    let n = graph.num_nodes as u32;
    // About 400 pairs at most; sources spread over all nodes.
    let stride = (n * n / 400).max(1);
    for i in (0..n * n).step_by(stride as usize) {
        check_pair(&mut query, graph, weights, i / n, i % n);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn nested_dissection_hierarchy_agrees_with_dijkstra(graph in graph()) {
        let cch = Cch::new(graph.num_nodes, &graph.arcs, &graph.coords);
        prop_assert_eq!(cch.num_nodes(), graph.num_nodes);
        check_pairs(&cch, &graph, &graph.weights);
    }

    #[test]
    fn any_order_agrees_with_dijkstra(
        (graph, order) in graph().prop_flat_map(|graph| {
            let order = Just((0..graph.num_nodes as u32).collect::<Vec<u32>>()).prop_shuffle();
            (Just(graph), order)
        })
    ) {
        let cch = Cch::from_order(graph.num_nodes, &graph.arcs, &order);
        check_pairs(&cch, &graph, &graph.weights);
    }

    #[test]
    fn recustomization_agrees_with_dijkstra(graph in graph()) {
        let cch = Cch::new(graph.num_nodes, &graph.arcs, &graph.coords);
        check_pairs(&cch, &graph, &graph.weights);
        check_pairs(&cch, &graph, &graph.other_weights);
        // Re-customizing into the first metric's memory gives the fresh result.
        let mut metric = cch.customize(&graph.weights);
        cch.customize_into(&graph.other_weights, &mut metric);
        let fresh = cch.customize(&graph.other_weights);
        let (mut reused, mut fresh) = (Query::new(&cch, &metric), Query::new(&cch, &fresh));
        for s in 0..graph.num_nodes as u32 {
            for t in 0..graph.num_nodes as u32 {
                prop_assert_eq!(reused.run(s, t), fresh.run(s, t));
            }
        }
    }
}

/// A `side × side` grid, arcs both ways between neighbours (one direction closed
/// now and then), random weights.
fn grid(side: u32, rng: &mut ChaCha8Rng) -> Graph {
    let mut arcs = Vec::new();
    for y in 0..side {
        for x in 0..side {
            let v = y * side + x;
            if x + 1 < side {
                arcs.extend([(v, v + 1), (v + 1, v)]);
            }
            if y + 1 < side {
                arcs.extend([(v, v + side), (v + side, v)]);
            }
        }
    }
    let mut weights = || {
        arcs.iter()
            .map(|_| if rng.random_bool(0.05) { INFINITY } else { rng.random_range(1..1000) })
            .collect()
    };
    let (weights, other_weights) = (weights(), weights());
    let coords =
        (0..side * side).map(|v| (f64::from(v % side) * 100.0, f64::from(v / side) * 100.0)).collect();
    Graph { num_nodes: (side * side) as usize, arcs, coords, weights, other_weights }
}

#[test]
fn grid_agrees_with_dijkstra_before_and_after_recustomization() {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let graph = grid(30, &mut rng);
    let cch = Cch::new(graph.num_nodes, &graph.arcs, &graph.coords);
    // Nested dissection keeps a 900-node grid hierarchy small and shallow.
    assert!(cch.num_shortcut_edges() < 16 * graph.num_nodes, "{cch:?}");
    assert!(cch.elimination_tree_height() < 120, "height {}", cch.elimination_tree_height());
    let mut metric = cch.customize(&graph.weights);
    for weights in [&graph.weights, &graph.other_weights] {
        cch.customize_into(weights, &mut metric);
        let mut query = Query::new(&cch, &metric);
        for _ in 0..150 {
            let (s, t) = (rng.random_range(0..900), rng.random_range(0..900));
            check_pair(&mut query, &graph, weights, s, t);
        }
    }
}

#[test]
fn disconnected_grids_do_not_reach_each_other() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let first = grid(8, &mut rng);
    let second = grid(8, &mut rng);
    let offset = first.num_nodes as u32;
    let mut graph = first.clone();
    graph.num_nodes += second.num_nodes;
    graph.arcs.extend(second.arcs.iter().map(|&(a, b)| (a + offset, b + offset)));
    graph.coords.extend(second.coords.iter().map(|&(x, y)| (x + 350.0, y + 350.0)));
    graph.weights.extend(&second.weights);
    graph.other_weights.extend(&second.other_weights);
    let cch = Cch::new(graph.num_nodes, &graph.arcs, &graph.coords);
    let metric = cch.customize(&graph.weights);
    let mut query = Query::new(&cch, &metric);
    assert_eq!(query.run(0, offset), None);
    assert_eq!(query.run(offset + 3, 7), None);
    check_pairs(&cch, &graph, &graph.weights);
}

#[test]
fn shortcuts_parallel_arcs_and_self_loops() {
    // 0 → 1 → 2 → 3 with a parallel, cheaper 1 → 2, a self-loop, a closed
    // 0 → 3, and an expensive direct 0 → 2.
    let arcs = [(0, 1), (1, 2), (1, 2), (2, 3), (2, 2), (0, 3), (0, 2)];
    let weights = [5, 9, 4, 6, 0, INFINITY, 10];
    let coords = [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)];
    for order in [[0, 1, 2, 3], [1, 2, 0, 3], [3, 2, 1, 0], [2, 1, 3, 0]] {
        let cch = Cch::from_order(4, &arcs, &order);
        let metric = cch.customize(&weights);
        let mut query = Query::new(&cch, &metric);
        assert_eq!(query.run(0, 3), Some((15, vec![0, 2, 3])));
        assert_eq!(query.run(0, 2), Some((9, vec![0, 2])));
        assert_eq!(query.run(2, 2), Some((0, vec![])));
        assert_eq!(query.run(3, 0), None);
        assert_eq!(query.distance(1, 3), Some(10));
    }
    let cch = Cch::new(4, &arcs, &coords);
    assert_eq!(cch.num_arcs(), arcs.len());
    let metric = cch.customize(&weights);
    assert_eq!(Query::new(&cch, &metric).run(0, 3), Some((15, vec![0, 2, 3])));
    // Closing the cheap parallel arc switches to its twin.
    let metric = cch.customize(&[5, 9, INFINITY, 6, 0, INFINITY, 10]);
    assert_eq!(Query::new(&cch, &metric).run(0, 3), Some((16, vec![6, 3])));
}

#[test]
fn empty_and_single_node_graphs() {
    let cch = Cch::new(0, &[], &[]);
    assert_eq!((cch.num_nodes(), cch.num_shortcut_edges()), (0, 0));
    let _ = cch.customize(&[]);
    let cch = Cch::new(1, &[(0, 0)], &[(0.0, 0.0)]);
    let metric = cch.customize(&[7]);
    assert_eq!(Query::new(&cch, &metric).run(0, 0), Some((0, vec![])));
    assert!(format!("{:?}", Query::new(&cch, &metric)).contains("num_shortcut_edges"));
}
