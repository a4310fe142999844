//! The bundled city imports into a usable network.

use omnibus_core::routing::shortest_path;
use omnibus_core::units::NodeId;
use omnibus_core::{City, Meters, SegmentId};

#[test]
fn porto_alegre_imports_into_a_strongly_connected_network() {
    let city = City::porto_alegre();
    let net = &city.network;
    assert!(net.segments().len() > 5_000, "{} segments", net.segments().len());
    for s in net.segments() {
        assert!(s.length.0 > 0.0 && s.free_flow.0 > 0.0 && s.capacity_vph > 0.0);
        assert!(s.geometry.len() >= 2);
        assert_eq!(s.geometry[0], net.node(s.from).pos);
    }
    // Strongly connected: the first node reaches the last and back.
    let last = NodeId(net.nodes().len() as u32 - 1);
    let time = |s: SegmentId| net.segments()[s.index()].free_flow_time().0;
    assert!(shortest_path(net, NodeId(0), last, time).is_some());
    assert!(shortest_path(net, last, NodeId(0), time).is_some());
    // A probe at a segment's midpoint, heading along it, matches that segment
    // (or one lying on top of it in the same direction).
    let mut exact = 0;
    let mut total = 0;
    for s in net.segments().iter().step_by(37) {
        let (p, bearing) = s.point_at(Meters(s.length.0 / 2.0));
        let m = city.matcher.match_probe(p, bearing).expect("midpoint matches");
        assert!(m.distance.0 < 1.0, "{} matched {} at {} m", s.id, m.segment, m.distance.0);
        total += 1;
        if m.segment == s.id {
            exact += 1;
        }
    }
    assert!(exact * 100 >= total * 95, "{exact} of {total} matched exactly");
    assert!(!city.registry.detectors.is_empty());
}

#[test]
fn porto_alegre_streets_walk_and_cycle() {
    use omnibus_core::LatLon;
    use omnibus_core::streets::{StreetMode, StreetSearch};
    let city = City::porto_alegre();
    let g = &city.streets;
    assert!(g.node_count() > 20_000, "{} street nodes", g.node_count());
    // Mercado Público to Usina do Gasômetro, about 1.6 km apart in a straight line.
    let market = LatLon::new(-30.027565, -51.227811);
    let gasometro = LatLon::new(-30.034, -51.2418);
    let (a, da) = g.nearest(market, StreetMode::Walk, 200.0).unwrap();
    let (b, db) = g.nearest(gasometro, StreetMode::Walk, 200.0).unwrap();
    assert!(da < 100.0 && db < 100.0, "{da} {db}");
    let mut s = StreetSearch::default();
    s.run(g, &[(a, 0.0)], StreetMode::Walk, 3_600.0);
    let walk = s.secs(b).unwrap();
    let straight = market.distance_m(gasometro);
    // On foot: at least the straight line at walking speed, at most 1.6 times it.
    assert!(walk * 1.3 >= straight - da - db && walk * 1.3 <= straight * 1.6, "{walk} s for {straight} m");
    let path = s.path(b);
    assert_eq!((path[0], *path.last().unwrap()), (a, b));
    let a_bike = g.nearest(market, StreetMode::Bike, 200.0).unwrap().0;
    s.run(g, &[(a_bike, 0.0)], StreetMode::Bike, 3_600.0);
    let ride = s.secs(g.nearest(gasometro, StreetMode::Bike, 200.0).unwrap().0).unwrap();
    // One-way streets make the cyclist detour, but cycling still wins.
    assert!(ride < walk * 0.75, "bike {ride} s, walk {walk} s");
}
