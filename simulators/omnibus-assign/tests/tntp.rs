//! Validation against the Transportation Networks for Research test problems (Sioux Falls,
//! Chicago Sketch) read from `../shared/data/tntp` next to the workspace, plus small networks whose
//! equilibria are known in closed form and property tests on random networks.

use std::path::PathBuf;
use std::time::Instant;

use omnibus_assign::shortest::ShortestPathTree;
use omnibus_assign::tntp::{self, CHICAGO_SKETCH, LoadedProblem, SIOUX_FALLS, TestProblem};
use omnibus_assign::*;
use proptest::prelude::*;

/// Sioux Falls README: "Optimal objective function value: 42.31335287107440" (units of 1e5).
const SIOUX_FALLS_OBJECTIVE: f64 = 42.313_352_871_074_4 * 1e5;
/// Chicago Sketch README: "Optimal objective function value: 17313018.7387477".
const CHICAGO_SKETCH_OBJECTIVE: f64 = 17_313_018.738_747_7;

/// `<workspace>/../shared/data/tntp` (or `$OMNIBUS_SHARED_DATA/tntp`). Missing data is a failure,
/// not a skip.
fn data_dir() -> PathBuf {
    let root = std::env::var_os("OMNIBUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = root.join("tntp");
    assert!(
        dir.is_dir(),
        "TNTP data not found at {}: these tests need the TransportationNetworks files \
         (SiouxFalls/, Chicago-Sketch/) in ../shared/data/tntp next to the workspace",
        dir.display()
    );
    dir
}

fn load(problem: &TestProblem) -> LoadedProblem {
    problem.load(&data_dir()).unwrap_or_else(|e| panic!("loading {}: {e}", problem.name))
}

/// Largest `|x - best| / max(best, floor)` and the link where it occurs.
fn max_relative_error(flows: &[f64], best: &[f64], floor: f64) -> (f64, usize) {
    flows
        .iter()
        .zip(best)
        .map(|(x, b)| (x - b).abs() / b.max(floor))
        .enumerate()
        .fold((0.0, 0), |acc, (i, e)| if e > acc.0 { (e, i) } else { acc })
}

fn ue(target_gap: f64) -> AssignOptions {
    AssignOptions { target_gap, max_iterations: 1000, ..AssignOptions::default() }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn sioux_falls_matches_best_known_flows() {
    let p = load(&SIOUX_FALLS);
    let net = &p.net.network;
    assert_eq!((net.num_nodes(), net.num_links()), (24, 76));
    assert_eq!(p.net.metadata.first_thru_node, 1);
    assert_eq!(p.trips.demand.num_pairs(), 528);
    assert_eq!(p.trips.demand.total(), 360_600.0);
    assert_eq!(p.trips.declared_total, Some(360_600.0));
    let best = p.best_known_link_flows.as_ref().unwrap();

    // Our cost function and gap reproduce the published solution: README "Optimal objective
    // function value: 42.31335287107440" (in units of 1e5), total travel time 7,480,225.
    let best_gap = relative_gap(net, &p.trips.demand, best, CostMode::UserEquilibrium).unwrap();
    assert!(best_gap < 1e-10, "best-known flows have gap {best_gap}");
    assert!(rel(net.objective(best, CostMode::UserEquilibrium), SIOUX_FALLS_OBJECTIVE) < 1e-12);
    assert!(rel(net.total_travel_time(best), 7_480_225.0) < 1e-7);
    // The published link costs agree with ours at the published flows.
    for (a, row) in p.best_known.as_ref().unwrap().iter().enumerate() {
        let ours = net.cost(LinkId(a as u32), row.volume, CostMode::UserEquilibrium);
        assert!((ours - row.cost.unwrap()).abs() < 1e-9 * ours.max(1.0), "link {a}");
    }

    let t = Instant::now();
    let gp = gradient_projection(net, &p.trips.demand, &ue(1e-4)).unwrap();
    let loose = gp.assignment;
    assert!(loose.converged && loose.relative_gap <= 1e-4, "gap {}", loose.relative_gap);
    // At gap 1e-4 the flows are already within 1% (all published flows are above 4,400).
    assert!(best.iter().all(|&f| f > 4000.0));
    let (err, link) = max_relative_error(&loose.link_flows, best, 0.0);
    assert!(err < 0.01, "gap 1e-4: link {link} off by {:.3}%", err * 100.0);

    // Tighter: flows agree to 1e-5.
    let tight = gradient_projection(net, &p.trips.demand, &ue(1e-10)).unwrap().assignment;
    assert!(tight.relative_gap <= 1e-10);
    let (err, link) = max_relative_error(&tight.link_flows, best, 0.0);
    assert!(err < 1e-5, "gap 1e-10: link {link} off by {err:e}");
    assert!(rel(net.objective(&tight.link_flows, CostMode::UserEquilibrium), SIOUX_FALLS_OBJECTIVE) < 1e-10);
    eprintln!("Sioux Falls: {} + {} iterations, {:?}", loose.iterations, tight.iterations, t.elapsed());
}

#[test]
fn chicago_sketch_matches_best_known_flows() {
    let p = load(&CHICAGO_SKETCH);
    let net = &p.net.network;
    assert_eq!((net.num_nodes(), net.num_links()), (933, 2950));
    assert_eq!(p.net.metadata.zones, Some(387));
    assert_eq!(net.first_thru_node(), NodeId::from_tntp(388).unwrap());
    // The declared total includes intrazonal trips, which are not assigned.
    let declared = p.trips.declared_total.unwrap();
    assert!(rel(p.trips.demand.total() + p.trips.intrazonal_total, declared) < 1e-12);
    assert!(rel(declared, 1_260_907.44) < 1e-12);
    let best = p.best_known_link_flows.as_ref().unwrap();

    // README: generalized cost t + 0.02 toll + 0.04 length; "Optimal objective function value:
    // 17313018.7387477". The published link costs include the distance term.
    let best_gap = relative_gap(net, &p.trips.demand, best, CostMode::UserEquilibrium).unwrap();
    assert!(best_gap < 1e-10, "best-known flows have gap {best_gap}");
    assert!(rel(net.objective(best, CostMode::UserEquilibrium), CHICAGO_SKETCH_OBJECTIVE) < 1e-12);
    for (a, row) in p.best_known.as_ref().unwrap().iter().enumerate() {
        let ours = net.cost(LinkId(a as u32), row.volume, CostMode::UserEquilibrium);
        assert!((ours - row.cost.unwrap()).abs() < 1e-9 * ours.max(1.0), "link {a}");
    }

    let t = Instant::now();
    let gp = gradient_projection(net, &p.trips.demand, &ue(1e-4)).unwrap().assignment;
    assert!(gp.converged && gp.relative_gap <= 1e-4, "gap {}", gp.relative_gap);
    let to_1e4 = t.elapsed();

    // Link flows are unique at equilibrium (every non-connector cost is strictly increasing;
    // each zone has a single connector each way), but at gap 1e-4 lightly used links are still
    // far off, so the comparison is made at gap 1e-8. 28 published flows are exactly 0 and the
    // smallest non-zero one is 2.64 vehicles: the error is relative to max(published, 1 vehicle).
    let t = Instant::now();
    let tight = gradient_projection(net, &p.trips.demand, &ue(1e-8)).unwrap().assignment;
    assert!(tight.relative_gap <= 1e-8);
    let (err, link) = max_relative_error(&tight.link_flows, best, 1.0);
    assert!(err < 0.01, "link {link}: {} vs published {}", tight.link_flows[link], best[link]);
    assert!(
        rel(net.objective(&tight.link_flows, CostMode::UserEquilibrium), CHICAGO_SKETCH_OBJECTIVE) < 1e-9
    );
    eprintln!(
        "Chicago Sketch: gap 1e-4 after {} iterations in {to_1e4:?}; gap 1e-8 after {} in {:?}; \
         max flow error {err:.2e}",
        gp.iterations,
        tight.iterations,
        t.elapsed()
    );
}

#[test]
fn frank_wolfe_converges_on_sioux_falls() {
    let p = load(&SIOUX_FALLS);
    let net = &p.net.network;
    let opts = AssignOptions { target_gap: 1e-4, max_iterations: 3000, ..AssignOptions::default() };
    let fw = frank_wolfe(net, &p.trips.demand, &opts).unwrap();
    let h = &fw.history;
    // Exact line search: the Beckmann objective never increases.
    for w in h.windows(2) {
        assert!(w[1].objective <= w[0].objective * (1.0 + 1e-13), "objective rose at {}", w[1].iteration);
    }
    // The gap is not monotone, but its running minimum falls by orders of magnitude.
    let best_until = |n: usize| h.iter().take(n + 1).map(|r| r.relative_gap).fold(f64::INFINITY, f64::min);
    assert!(h[0].relative_gap > 0.1, "all-or-nothing gap {}", h[0].relative_gap);
    assert!(best_until(10) < h[0].relative_gap / 5.0);
    let reach_1e3 = h.iter().position(|r| r.relative_gap <= 1e-3).expect("FW never reached gap 1e-3");
    assert!(reach_1e3 <= 500, "FW needed {reach_1e3} iterations for gap 1e-3");
    assert!(fw.converged, "FW stopped at gap {} after {} iterations", fw.relative_gap, fw.iterations);
    // Same link flows as the published solution to within 1%.
    let (err, link) = max_relative_error(&fw.link_flows, p.best_known_link_flows.as_ref().unwrap(), 0.0);
    assert!(err < 0.01, "link {link} off by {:.3}%", err * 100.0);
    eprintln!("Frank-Wolfe: gap 1e-3 after {reach_1e3} iterations, 1e-4 after {}", fw.iterations);
}

#[test]
fn marginal_cost_tolls_give_the_system_optimum_on_sioux_falls() {
    let p = load(&SIOUX_FALLS);
    let demand = &p.trips.demand;
    let mut net = p.net.network.clone();
    let ue_flows = gradient_projection(&net, demand, &ue(1e-10)).unwrap().assignment.link_flows;
    let so_opts = AssignOptions { mode: CostMode::SystemOptimum, ..ue(1e-10) };
    let so = gradient_projection(&net, demand, &so_opts).unwrap().assignment;
    assert!(so.converged);
    let (tstt_ue, tstt_so) = (net.total_travel_time(&ue_flows), net.total_travel_time(&so.link_flows));
    assert!(tstt_so < tstt_ue * 0.99, "SO {tstt_so} vs UE {tstt_ue}");

    // Time units are 0.01 h; a value of time of $15/h is 15 cents per time unit. Tolls are
    // rounded to whole cents, i.e. to within 1/30 of a time unit, which perturbs the tolled
    // equilibrium slightly: total time then matches the SO to within 1e-5. With a (fictitious)
    // value of time 1000 times larger the rounding all but vanishes and the match is 1e-9.
    let soft = so.link_flows.clone();
    let check = |net: &mut Network, vot: f64, tolerance: f64| -> f64 {
        let tolls = apply_marginal_cost_tolls(net, &soft, vot).unwrap();
        let exact = marginal_cost_tolls(net, &soft).unwrap();
        for (&cents, &time) in tolls.iter().zip(&exact) {
            assert!((cents as f64 / vot - time).abs() <= 0.5 / vot + 1e-9);
        }
        assert!(tolls.iter().all(|&t| t >= 0) && tolls.iter().any(|&t| t as f64 > 10.0 * vot));
        let tolled = gradient_projection(net, demand, &ue(1e-10)).unwrap().assignment;
        assert!(tolled.converged);
        let tstt_tolled = net.total_travel_time(&tolled.link_flows);
        assert!(rel(tstt_tolled, tstt_so) < tolerance, "vot {vot}: tolled UE {tstt_tolled} vs SO {tstt_so}");
        assert!(tstt_tolled < tstt_ue * 0.99);
        let (err, link) = max_relative_error(&tolled.link_flows, &soft, 1.0);
        assert!(err < 0.01, "vot {vot}: link {link} off by {:.3}% from SO", err * 100.0);
        tstt_tolled
    };
    let tstt_tolled = check(&mut net, 15.0, 1e-5);
    check(&mut p.net.network.clone(), 15_000.0, 1e-9);
    eprintln!("Sioux Falls TSTT: UE {tstt_ue:.1}, SO {tstt_so:.1}, tolled UE {tstt_tolled:.1}");
}

#[test]
fn malformed_files_name_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 2\n<FIRST THRU NODE> 1\n<NUMBER OF LINKS> 2\n\
                <END OF METADATA>\n\n\n~\tinit_node\tterm_node\tcapacity\tlength\tfree_flow_time\tb\tpower\
                \tspeed\ttoll\tlink_type\t;\n\t1\t2\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n\
                \t2\t1\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n";
    let path = dir.path().join("Broken_net.tntp");
    std::fs::write(&path, good).unwrap();
    assert_eq!(tntp::read_net(&path).unwrap().network.num_links(), 2);

    std::fs::write(&path, good.replace("\t2\t1\t100", "\t2\t1\tabc")).unwrap();
    let e = tntp::read_net(&path).unwrap_err();
    assert_eq!(e.to_string(), "Broken_net.tntp line 10: field capacity: \"abc\" is not a number");
    assert!(matches!(&e, TntpError::Field { line: 10, field, .. } if field == "capacity"));

    std::fs::write(&path, good.replace("\t0.15\t4\t0\t0\t1\t;\n\t2", "\t-0.15\t4\t0\t0\t1\t;\n\t2")).unwrap();
    let e = tntp::read_net(&path).unwrap_err().to_string();
    assert_eq!(e, "Broken_net.tntp line 9: field b: \"-0.15\" is negative");

    std::fs::write(&path, good.replace("<FIRST THRU NODE> 1", "<FIRST THRU NODE> x")).unwrap();
    let e = tntp::read_net(&path).unwrap_err().to_string();
    assert_eq!(e, "Broken_net.tntp line 3: field <FIRST THRU NODE>: \"x\" is not a number");

    let trips = dir.path().join("Broken_trips.tntp");
    std::fs::write(&trips, "<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 1\n  2 : 5.0;  1 ; \n").unwrap();
    let e = tntp::read_trips(&trips).unwrap_err().to_string();
    assert_eq!(e, "Broken_trips.tntp line 4: expected `destination : flow;`, found \"1\"");

    let missing = dir.path().join("Missing_net.tntp");
    let e = tntp::read_net(&missing).unwrap_err().to_string();
    assert!(e.contains("Missing_net.tntp"), "{e}");
}

/// Two parallel links: t1 = 10 + x1, t2 = 20 + 0.5 x2 (BPR with power 1), demand 100.
fn two_links() -> (Network, Demand) {
    let (o, d) = (NodeId(0), NodeId(1));
    let links = vec![Link::bpr(o, d, 10.0, 1.0, 0.1, 1.0), Link::bpr(o, d, 20.0, 1.0, 0.025, 1.0)];
    (Network::new(2, NodeId(0), links).unwrap(), Demand::new([(o, d, 100.0)]).unwrap())
}

#[test]
fn two_parallel_links_match_the_closed_form() {
    let (mut net, demand) = two_links();
    let opts = ue(1e-12);
    // UE: 10 + x1 = 20 + 0.5 (100 - x1)  =>  x1 = 40, x2 = 60, both cost 50.
    for flows in [
        gradient_projection(&net, &demand, &opts).unwrap().assignment.link_flows,
        frank_wolfe(&net, &demand, &opts).unwrap().link_flows,
    ] {
        assert!((flows[0] - 40.0).abs() < 1e-6 && (flows[1] - 60.0).abs() < 1e-6, "{flows:?}");
    }
    assert!((net.total_travel_time(&[40.0, 60.0]) - 5000.0).abs() < 1e-9);
    // SO: 10 + 2 x1 = 20 + (100 - x1)  =>  x1 = 110/3; total time 4983.33 < 5000.
    let so_opts = AssignOptions { mode: CostMode::SystemOptimum, ..opts };
    let so = gradient_projection(&net, &demand, &so_opts).unwrap().assignment.link_flows;
    assert!((so[0] - 110.0 / 3.0).abs() < 1e-6, "{so:?}");
    let tstt_so = net.total_travel_time(&so);
    assert!((tstt_so - 14_950.0 / 3.0).abs() < 1e-6, "{tstt_so}");
    // Marginal-cost tolls x t'(x): 110/3 and 0.5 * 190/3 time units.
    let tolls = marginal_cost_tolls(&net, &so).unwrap();
    assert!((tolls[0] - 110.0 / 3.0).abs() < 1e-6 && (tolls[1] - 95.0 / 3.0).abs() < 1e-6);
    // At 3 cents per time unit the tolls are whole cents: 110 and 95.
    assert_eq!(apply_marginal_cost_tolls(&mut net, &so, 3.0).unwrap(), vec![110, 95]);
    let tolled = gradient_projection(&net, &demand, &opts).unwrap().assignment.link_flows;
    assert!((tolled[0] - 110.0 / 3.0).abs() < 1e-6, "{tolled:?}");
    assert!((net.total_travel_time(&tolled) - tstt_so).abs() < 1e-6);
}

/// Braess network s=0, a=1, b=2, t=3: s→a 1+10x, a→t 50+x, s→b 50+x, b→t 1+10x, optional a→b
/// 10+x; demand 6.
fn braess(with_bridge: bool) -> (Network, Demand) {
    let (s, a, b, t) = (NodeId(0), NodeId(1), NodeId(2), NodeId(3));
    let mut links = vec![
        Link::bpr(s, a, 1.0, 1.0, 10.0, 1.0),
        Link::bpr(a, t, 50.0, 50.0, 1.0, 1.0),
        Link::bpr(s, b, 50.0, 50.0, 1.0, 1.0),
        Link::bpr(b, t, 1.0, 1.0, 10.0, 1.0),
    ];
    if with_bridge {
        links.push(Link::bpr(a, b, 10.0, 10.0, 1.0, 1.0));
    }
    (Network::new(4, NodeId(0), links).unwrap(), Demand::new([(s, t, 6.0)]).unwrap())
}

#[test]
fn braess_paradox_matches_the_closed_form() {
    // Without the bridge: 3 on each route, cost 1 + 30 + 50 + 3 = 84.
    let (net, demand) = braess(false);
    let r = gradient_projection(&net, &demand, &ue(1e-12)).unwrap();
    let f = &r.assignment.link_flows;
    assert!(f.iter().all(|x| (x - 3.0).abs() < 1e-6), "{f:?}");
    let costs = assign::link_costs(&net, f, CostMode::UserEquilibrium).unwrap();
    for p in &r.od_paths[0].paths {
        assert!((assign::path_cost(&costs, &p.links) - 84.0).abs() < 1e-6);
    }
    // With it: outer routes carry f = 27/13 each and the bridge route 24/13; everyone pays
    // 111 - 9 f = 1200/13 > 84.
    let (net, demand) = braess(true);
    for (flows, paths) in [
        {
            let r = gradient_projection(&net, &demand, &ue(1e-12)).unwrap();
            (r.assignment.link_flows, Some(r.od_paths))
        },
        (
            frank_wolfe(&net, &demand, &AssignOptions { max_iterations: 20_000, ..ue(1e-9) })
                .unwrap()
                .link_flows,
            None,
        ),
    ] {
        let f = 27.0 / 13.0;
        let expect = [6.0 - f, f, f, 6.0 - f, 6.0 - 2.0 * f];
        for (x, e) in flows.iter().zip(expect) {
            assert!((x - e).abs() < 1e-4, "{flows:?} vs {expect:?}");
        }
        if let Some(paths) = paths {
            let costs = assign::link_costs(&net, &flows, CostMode::UserEquilibrium).unwrap();
            assert_eq!(paths[0].paths.len(), 3);
            for p in &paths[0].paths {
                assert!((assign::path_cost(&costs, &p.links) - 1200.0 / 13.0).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn zones_are_not_passed_through() {
    // Zones 1 and 2 (TNTP numbering); 1 → 2 → 4 would be cheap but passes through zone 2.
    let n = |k| NodeId::from_tntp(k).unwrap();
    let links = vec![
        Link::bpr(n(1), n(2), 1.0, 10.0, 0.15, 4.0),
        Link::bpr(n(2), n(4), 1.0, 10.0, 0.15, 4.0),
        Link::bpr(n(1), n(3), 5.0, 10.0, 0.15, 4.0),
        Link::bpr(n(3), n(4), 5.0, 10.0, 0.15, 4.0),
        Link::bpr(n(4), n(2), 1.0, 10.0, 0.15, 4.0),
    ];
    let mut net = Network::new(4, n(1), links).unwrap();
    let demand = Demand::new([(n(1), n(4), 10.0), (n(1), n(2), 5.0)]).unwrap();
    let free = gradient_projection(&net, &demand, &ue(1e-10)).unwrap().assignment.link_flows;
    assert!(free[2] < 1e-9 && (free[0] - 15.0).abs() < 1e-9, "{free:?}");
    net.set_first_thru_node(n(3)).unwrap();
    for flows in [
        gradient_projection(&net, &demand, &ue(1e-10)).unwrap().assignment.link_flows,
        frank_wolfe(&net, &demand, &ue(1e-10)).unwrap().link_flows,
    ] {
        assert!((flows[0] - 5.0).abs() < 1e-9 && flows[1] == 0.0, "{flows:?}");
        assert!((flows[2] - 10.0).abs() < 1e-9 && (flows[3] - 10.0).abs() < 1e-9, "{flows:?}");
    }
    // A destination only reachable through a zone is an error, not a silent loss of demand.
    net.set_first_thru_node(n(4)).unwrap();
    let demand = Demand::new([(n(1), n(4), 1.0)]).unwrap();
    let e = gradient_projection(&net, &demand, &ue(1e-4)).unwrap_err();
    assert!(matches!(e, AssignError::Unreachable { .. }), "{e}");
}

/// Regression (found by the property test): two pairs both get a new column over an empty link;
/// the first pair's Newton step overshoots onto it, so in the next pass the second pair's new column
/// looks costly. Dropping it there made the solver cycle between two states at gap ~0.9; columns
/// are now kept until the end of the round.
#[test]
fn gradient_projection_keeps_fresh_columns() {
    let l = |a, b, fft, cap, bb, p| Link::bpr(NodeId(a), NodeId(b), fft, cap, bb, p);
    let links = vec![
        l(0, 1, 1.0, 56.687, 0.583, 4.0),
        l(1, 0, 1.0, 1.0, 0.1, 1.0),
        l(1, 2, 1.0, 1.0, 0.1, 1.0),
        l(2, 1, 1.0, 4.686, 1.810, 4.0),
        l(2, 3, 1.0, 61.224, 0.1, 1.0),
        l(3, 2, 9.519, 1.0, 0.1, 4.0),
        l(3, 0, 1.0, 1.0, 0.1, 1.0),
        l(0, 3, 1.0, 1.0, 0.1, 1.0),
        l(3, 2, 1.0, 1.0, 0.1, 4.0),
    ];
    let net = Network::new(4, NodeId(0), links).unwrap();
    let demand = Demand::new([(NodeId(0), NodeId(1), 92.21), (NodeId(3), NodeId(1), 122.73)]).unwrap();
    let r = gradient_projection(&net, &demand, &AssignOptions { max_iterations: 50, ..ue(1e-10) }).unwrap();
    assert!(r.assignment.converged, "gap {} after 50 iterations", r.assignment.relative_gap);
}

/// A random strongly connected network (a bidirectional ring plus chords) and random demand.
/// Capacities are of the order of the demand, so volume/capacity stays at realistic levels (up to
/// a few units, not the hundreds a capacity of 1 vehicle would give: with power 4 such links cost
/// millions of times their free-flow time, and per-OD gradient projection then crawls).
fn random_problem() -> impl Strategy<Value = (Network, Demand)> {
    let bpr = (1.0..10.0f64, 20.0..200.0f64, 0.15..1.0f64, prop::sample::select(vec![1.0, 2.0, 4.0]));
    (3usize..9)
        .prop_flat_map(move |n| {
            let chords = prop::collection::vec((0..n, 0..n, bpr.clone()), 0..12);
            let ring = prop::collection::vec((bpr.clone(), bpr.clone()), n);
            let demand = prop::collection::vec((0..n, 0..n, 1.0..60.0f64), 1..8);
            (Just(n), ring, chords, demand)
        })
        .prop_map(|(n, ring, chords, demand)| {
            let mut links = Vec::new();
            for (i, (fwd, back)) in ring.into_iter().enumerate() {
                let (a, b) = (NodeId(i as u32), NodeId(((i + 1) % n) as u32));
                links.push(Link::bpr(a, b, fwd.0, fwd.1, fwd.2, fwd.3));
                links.push(Link::bpr(b, a, back.0, back.1, back.2, back.3));
            }
            for (a, b, p) in chords {
                if a != b {
                    links.push(Link::bpr(NodeId(a as u32), NodeId(b as u32), p.0, p.1, p.2, p.3));
                }
            }
            let net = Network::new(n, NodeId(0), links).unwrap();
            let demand =
                Demand::new(demand.into_iter().map(|(o, d, f)| (NodeId(o as u32), NodeId(d as u32), f)))
                    .unwrap();
            (net, demand)
        })
}

/// Inflow minus outflow at every node equals arrivals minus departures.
fn assert_conservation(net: &Network, demand: &Demand, flows: &[f64]) {
    let mut balance = vec![0.0; net.num_nodes()];
    for (link, &x) in net.links().iter().zip(flows) {
        assert!(x >= -1e-9, "negative flow {x}");
        balance[link.to.index()] += x;
        balance[link.from.index()] -= x;
    }
    for o in demand.origins() {
        for &(d, f) in &o.destinations {
            balance[o.origin.index()] += f;
            balance[d.index()] -= f;
        }
    }
    let scale = demand.total().max(1.0);
    for (v, b) in balance.iter().enumerate() {
        assert!(b.abs() <= 1e-9 * scale, "node {v} unbalanced by {b}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn gradient_projection_satisfies_wardrop((net, demand) in random_problem()) {
        let r = gradient_projection(&net, &demand, &AssignOptions { max_iterations: 2000, ..ue(1e-10) }).unwrap();
        prop_assert!(r.assignment.converged, "gap {}", r.assignment.relative_gap);
        let flows = &r.assignment.link_flows;
        assert_conservation(&net, &demand, flows);
        let costs = assign::link_costs(&net, flows, CostMode::UserEquilibrium).unwrap();
        let mut from_paths = vec![0.0; net.num_links()];
        let mut tree = ShortestPathTree::new(net.num_nodes());
        prop_assert_eq!(r.od_paths.len(), demand.num_pairs());
        for od in &r.od_paths {
            tree.run(&net, &costs, od.origin);
            let shortest = tree.dist(od.destination);
            let total: f64 = od.paths.iter().map(|p| p.flow).sum();
            prop_assert!((total - od.demand).abs() <= 1e-9 * od.demand);
            for p in &od.paths {
                // A chain of links from the origin to the destination.
                prop_assert_eq!(net.link(p.links[0]).from, od.origin);
                prop_assert_eq!(net.link(*p.links.last().unwrap()).to, od.destination);
                for w in p.links.windows(2) {
                    prop_assert_eq!(net.link(w[0]).to, net.link(w[1]).from);
                }
                for a in &p.links {
                    from_paths[a.index()] += p.flow;
                }
                // Wardrop: a used path costs no more than the shortest (paths carrying a
                // negligible share may lag by more, as the gap weights excess cost by flow).
                let c = assign::path_cost(&costs, &p.links);
                if p.flow > 1e-6 * od.demand {
                    prop_assert!(c <= shortest * (1.0 + 1e-6) + 1e-9, "path cost {} vs shortest {}", c, shortest);
                }
            }
        }
        for (x, y) in flows.iter().zip(&from_paths) {
            prop_assert!((x - y).abs() <= 1e-9 * x.max(1.0));
        }
    }

    #[test]
    fn frank_wolfe_conserves_flow_and_agrees((net, demand) in random_problem()) {
        let fw = frank_wolfe(&net, &demand, &AssignOptions { max_iterations: 300, ..ue(1e-6) }).unwrap();
        assert_conservation(&net, &demand, &fw.link_flows);
        let gp = gradient_projection(&net, &demand, &ue(1e-10)).unwrap().assignment;
        prop_assert!(gp.converged, "GP gap {}", gp.relative_gap);
        // Both minimise the same convex objective f. FW's value is never below GP's (up to GP's
        // own residual gap), and convexity bounds how far above it is: f(x) - f* <= gap(x) * sum x c(x).
        let (f_fw, f_gp) = (net.objective(&fw.link_flows, CostMode::UserEquilibrium),
                            net.objective(&gp.link_flows, CostMode::UserEquilibrium));
        prop_assert!(f_fw >= f_gp * (1.0 - 1e-9), "FW {} below GP {}", f_fw, f_gp);
        let bound = fw.relative_gap * net.total_generalized_cost(&fw.link_flows);
        prop_assert!(f_fw - f_gp <= bound * (1.0 + 1e-6) + 1e-9 * f_gp, "FW {} vs GP {} bound {}", f_fw, f_gp, bound);
    }
}
