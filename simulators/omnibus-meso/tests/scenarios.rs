//! Whole-scenario tests: a signalized grid (determinism, storage, signals), a merge bottleneck
//! (spillback), route validation, and a SUMO network imported and simulated.

use omnibus_meso::sumo::{SumoImport, parse_net, parse_routes};
use omnibus_meso::{
    LinkId, LinkSpec, MesoConfig, MesoError, MesoOutcome, Movement, Network, Observer, Plans, SignalPlan,
    TripId, simulate,
};

#[derive(Debug, Default)]
struct Recorder {
    calls: Vec<(char, u32, u32, i64)>,
    occupancy: Vec<u32>,
    max_occupancy: Vec<u32>,
}

impl Recorder {
    fn new(links: usize) -> Self {
        Recorder { calls: Vec::new(), occupancy: vec![0; links], max_occupancy: vec![0; links] }
    }
}

impl Observer for Recorder {
    fn entered(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        self.calls.push(('e', trip.0, link.0, t_ms));
        let o = &mut self.occupancy[link.index()];
        *o += 1;
        let m = &mut self.max_occupancy[link.index()];
        *m = (*m).max(*o);
    }
    fn left(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        self.calls.push(('l', trip.0, link.0, t_ms));
        self.occupancy[link.index()] -= 1;
    }
    fn arrived(&mut self, trip: TripId, t_ms: i64) {
        self.calls.push(('a', trip.0, u32::MAX, t_ms));
    }
}

/// An `n x n` grid of 200 m two-lane streets with two-phase signals (42 s + 3 s yellow each way)
/// at every node, and `trips` trips on random L-shaped routes departing over `spread_ms`.
fn grid(n: u32, trips: usize, spread_ms: i64, capacity_vph: f64) -> (Network, Plans) {
    let node = |x: u32, y: u32| y * n + x;
    let mut specs = Vec::new();
    let mut id = std::collections::BTreeMap::new();
    for y in 0..n {
        for x in 0..n {
            let mut add = |a: u32, b: u32| {
                id.insert((a, b), LinkId(specs.len() as u32));
                specs.push(LinkSpec {
                    from: a,
                    to: b,
                    length_m: 200.0,
                    free_speed_mps: 13.89,
                    lanes: 2,
                    capacity_vph,
                });
            };
            if x + 1 < n {
                add(node(x, y), node(x + 1, y));
                add(node(x + 1, y), node(x, y));
            }
            if y + 1 < n {
                add(node(x, y), node(x, y + 1));
                add(node(x, y + 1), node(x, y));
            }
        }
    }
    let mut net = Network::new((n * n) as usize, specs.clone()).unwrap();
    for v in 0..n * n {
        let mut movements = Vec::new();
        for (i, a) in specs.iter().enumerate().filter(|(_, a)| a.to == v) {
            for (j, _) in specs.iter().enumerate().filter(|(_, b)| b.from == v) {
                // Phase 0 (and its yellow, phase 1): east-west approaches; phase 2: north-south.
                let east_west = a.from / n == v / n;
                let green = if east_west { 0b0001 } else { 0b0100 };
                movements.push(Movement { from: LinkId(i as u32), to: LinkId(j as u32), green });
            }
        }
        let plan = SignalPlan { offset_ms: 0, phases_ms: vec![42_000, 3_000, 42_000, 3_000], movements };
        net.add_signal(v, plan).unwrap();
    }
    let mut seed: u64 = 12345;
    let mut rnd = |m: u32| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % u64::from(m)) as u32
    };
    let mut plans = Plans::new();
    let mut t = 0;
    while plans.len() < trips {
        let (x0, y0, x1, y1) = (rnd(n), rnd(n), rnd(n), rnd(n));
        if (x0, y0) == (x1, y1) {
            continue;
        }
        let mut route = Vec::new();
        let (mut x, mut y) = (x0, y0);
        while x != x1 {
            let nx = if x1 > x { x + 1 } else { x - 1 };
            route.push(id[&(node(x, y), node(nx, y))]);
            x = nx;
        }
        while y != y1 {
            let ny = if y1 > y { y + 1 } else { y - 1 };
            route.push(id[&(node(x, y), node(x, ny))]);
            y = ny;
        }
        plans.push(&net, t, &route).unwrap();
        t += spread_ms / trips as i64;
    }
    (net, plans)
}

fn run(net: &Network, plans: &Plans, config: &MesoConfig) -> (MesoOutcome, Recorder) {
    let mut rec = Recorder::new(net.links().len());
    let out = simulate(net, plans, config, &mut rec).unwrap();
    (out, rec)
}

#[test]
fn grid_runs_are_deterministic() {
    let (net, plans) = grid(6, 3000, 600_000, 3600.0);
    let config = MesoConfig::default();
    let (a, ra) = run(&net, &plans, &config);
    let (b, rb) = run(&net, &plans, &config);
    assert_eq!(a, b);
    assert_eq!(ra.calls, rb.calls);
    assert!(a.arrived_ms.iter().all(Option::is_some));
    // The observer is optional and does not change the outcome.
    assert_eq!(simulate(&net, &plans, &config, &mut ()).unwrap(), a);
}

#[test]
fn grid_respects_storage_signals_and_free_flow() {
    // Heavy demand on reduced capacity: queues spill back across nodes.
    let (net, plans) = grid(5, 4000, 300_000, 1200.0);
    let config = MesoConfig::default();
    let (out, rec) = run(&net, &plans, &config);
    assert!(out.arrived_ms.iter().all(Option::is_some));
    let full =
        (0..net.links().len()).filter(|&l| rec.max_occupancy[l] == net.storage(LinkId(l as u32))).count();
    assert!(full > 0, "the demand should fill some links");
    if out.teleports == 0 {
        for l in 0..net.links().len() {
            assert!(rec.max_occupancy[l] <= net.storage(LinkId(l as u32)), "link {l} over storage");
        }
    }
    // Every move between links happens in a green phase of its movement.
    let mut last_link = vec![None; plans.len()];
    for &(kind, trip, link, t) in &rec.calls {
        if kind == 'e' {
            if let Some(prev) = last_link[trip as usize] {
                if out.teleports == 0 {
                    assert_eq!(
                        net.next_green_ms(LinkId(prev), LinkId(link), t),
                        Some(t),
                        "moved on red at {t}"
                    );
                }
            }
            last_link[trip as usize] = Some(link);
        }
    }
    for trip in plans.trips() {
        let ff: i64 = plans.route(trip).iter().map(|&l| net.free_flow_ms(l)).sum();
        assert!(out.arrived_ms[trip.index()].unwrap() >= plans.depart_ms(trip) + ff);
    }
}

#[test]
fn merge_bottleneck_spills_back() {
    // Two 500 m feeders (links 0, 1) merge into a 30 m link 2 (storage 4) that discharges 720
    // veh/h (one every 5 s) into an exit link 3.
    let spec = |from, to, length_m, capacity_vph| LinkSpec {
        from,
        to,
        length_m,
        free_speed_mps: 10.0,
        lanes: 1,
        capacity_vph,
    };
    let net = Network::new(
        5,
        vec![
            spec(0, 2, 500.0, 3600.0),
            spec(1, 2, 500.0, 3600.0),
            spec(2, 3, 30.0, 720.0),
            spec(3, 4, 100.0, 3600.0),
        ],
    )
    .unwrap();
    let mut plans = Plans::new();
    for k in 0..40 {
        let feeder = LinkId(k % 2);
        plans.push(&net, i64::from(k) * 1000, &[feeder, LinkId(2), LinkId(3)]).unwrap();
    }
    let (out, rec) = run(&net, &plans, &MesoConfig::default());
    assert_eq!(out.teleports, 0);
    assert_eq!(net.storage(LinkId(2)), 4);
    assert_eq!(rec.max_occupancy[2], 4);
    // Throughput is set by the bottleneck: the 40 exits from link 2 are 5 s apart.
    let exits: Vec<i64> = rec.calls.iter().filter(|c| c.0 == 'l' && c.2 == 2).map(|c| c.3).collect();
    assert_eq!(exits.len(), 40);
    assert!(exits.windows(2).all(|w| w[1] - w[0] >= 5000));
    assert_eq!(exits[39] - exits[0], 39 * 5000);
    // Vehicles queue on the feeders: they leave them well after their free-flow time.
    let feeder_exits: Vec<(u32, i64)> =
        rec.calls.iter().filter(|c| c.0 == 'l' && c.2 < 2).map(|c| (c.1, c.3)).collect();
    let late = feeder_exits.iter().filter(|&&(v, t)| t > i64::from(v) * 1000 + 50_000).count();
    assert!(late > 20, "{late}");
}

#[test]
fn route_validation_names_trip_and_position() {
    let (net, _) = grid(3, 1, 1, 3600.0);
    let mut plans = Plans::new();
    let err = plans.push(&net, 0, &[LinkId(0), LinkId(0)]).unwrap_err();
    assert!(matches!(err, MesoError::Disconnected { trip: 0, position: 1, .. }), "{err}");
    let err = plans.push(&net, 0, &[LinkId(99_999)]).unwrap_err();
    assert!(matches!(err, MesoError::UnknownLink { trip: 0, position: 0, link: 99_999, .. }), "{err}");
    assert!(err.to_string().starts_with("trip 0: route position 0:"), "{err}");
    assert!(matches!(plans.push(&net, 0, &[]).unwrap_err(), MesoError::EmptyRoute { trip: 0 }));
}

#[test]
fn sumo_import_runs() {
    // A 3-junction corridor with one signal in the middle.
    let net_xml = r#"<net>
        <edge id="ab" from="a" to="b"><lane id="ab_0" index="0" speed="10" length="100"/></edge>
        <edge id="bc" from="b" to="c"><lane id="bc_0" index="0" speed="10" length="50"/></edge>
        <edge id="cb" from="c" to="b"><lane id="cb_0" index="0" speed="10" length="50"/></edge>
        <edge id="ba" from="b" to="a"><lane id="ba_0" index="0" speed="10" length="100"/></edge>
        <tlLogic id="b" type="static" programID="0" offset="0">
            <phase duration="20" state="Gr"/><phase duration="5" state="yr"/><phase duration="25" state="rG"/>
        </tlLogic>
        <connection from="ab" to="bc" fromLane="0" toLane="0" tl="b" linkIndex="0"/>
        <connection from="cb" to="ba" fromLane="0" toLane="0" tl="b" linkIndex="1"/>
    </net>"#;
    let routes_xml = r#"<routes>
        <vehicle id="east" depart="15"><route edges="ab bc"/></vehicle>
        <vehicle id="west" depart="0"><route edges="cb ba"/></vehicle>
    </routes>"#;
    let net = parse_net(net_xml, &SumoImport::default()).unwrap();
    let routes = parse_routes(routes_xml, &net).unwrap();
    let out = simulate(&net.network, &routes.plans, &MesoConfig::default(), &mut ()).unwrap();
    // east reaches b at 25 s (yellow, treated as red) and goes at the next green, 50 s; west
    // reaches b at 5 s (red) and goes at 25 s.
    assert_eq!(out.arrived_ms, vec![Some(55_000), Some(35_000)]);
}
