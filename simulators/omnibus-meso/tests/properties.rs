//! Property tests on random small networks: conservation of vehicles, storage never exceeded except
//! through teleports, arrivals no earlier than the free-flow time, and no lost wake-ups.

use omnibus_meso::{
    LinkId, LinkSpec, MesoConfig, MesoOutcome, Movement, Network, Observer, Plans, SignalPlan, TripId,
    simulate,
};
use proptest::prelude::*;

/// Checks the observer calls as they come and keeps each vehicle's position.
#[derive(Debug)]
struct Checker {
    storage: Vec<u32>,
    occupancy: Vec<u32>,
    /// Largest `occupancy - storage` seen on any link (0 when storage was always respected).
    max_excess: u32,
    /// Link each vehicle is on (`None`: not on the road).
    on: Vec<Option<LinkId>>,
    /// Links each vehicle entered, in order.
    entered: Vec<Vec<LinkId>>,
    arrived: Vec<bool>,
    last_t: i64,
    calls: Vec<(u8, u32, u32, i64)>,
}

impl Checker {
    fn new(net: &Network, config: &MesoConfig, trips: usize) -> Self {
        let links = net.links().len();
        Checker {
            storage: (0..links as u32).map(|l| net.storage_for(LinkId(l), config.vehicle_length_m)).collect(),
            occupancy: vec![0; links],
            max_excess: 0,
            on: vec![None; trips],
            entered: vec![Vec::new(); trips],
            arrived: vec![false; trips],
            last_t: i64::MIN,
            calls: Vec::new(),
        }
    }

    fn time(&mut self, t: i64) {
        assert!(t >= self.last_t, "observer time went back from {} to {t}", self.last_t);
        self.last_t = t;
    }
}

impl Observer for Checker {
    fn entered(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        self.time(t_ms);
        self.calls.push((0, trip.0, link.0, t_ms));
        let v = trip.index();
        assert_eq!(self.on[v], None, "{trip} entered {link} while still on a link");
        assert!(!self.arrived[v]);
        self.on[v] = Some(link);
        self.entered[v].push(link);
        let occ = &mut self.occupancy[link.index()];
        *occ += 1;
        self.max_excess = self.max_excess.max(occ.saturating_sub(self.storage[link.index()]));
    }

    fn left(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        self.time(t_ms);
        self.calls.push((1, trip.0, link.0, t_ms));
        assert_eq!(self.on[trip.index()], Some(link), "{trip} left {link} without being on it");
        self.on[trip.index()] = None;
        self.occupancy[link.index()] -= 1;
    }

    fn arrived(&mut self, trip: TripId, t_ms: i64) {
        self.time(t_ms);
        self.calls.push((2, trip.0, u32::MAX, t_ms));
        assert_eq!(self.on[trip.index()], None, "{trip} arrived while on a link");
        self.arrived[trip.index()] = true;
    }
}

#[derive(Clone, Debug)]
struct Scenario {
    nodes: usize,
    links: Vec<(u32, u32, f64, f64, u32, f64)>,
    /// (node, phase durations, offset, seed for the green masks)
    signals: Vec<(u32, Vec<i64>, i64, u64)>,
    /// (departure, seed for the route)
    trips: Vec<(i64, u64)>,
    stuck_ms: i64,
    end_ms: Option<i64>,
    vehicle_length_m: f64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (2usize..7).prop_flat_map(|nodes| {
        let n = nodes as u32;
        (
            Just(nodes),
            prop::collection::vec(
                (0..n, 0..n, 1.0f64..120.0, 2.0f64..20.0, 1u32..4, 200.0f64..4000.0),
                1..14,
            ),
            prop::collection::vec(
                (0..n, prop::collection::vec(500i64..40_000, 1..5), -60_000i64..60_000, any::<u64>()),
                0..4,
            ),
            prop::collection::vec((-10_000i64..150_000, any::<u64>()), 0..50),
            prop_oneof![Just(0i64), Just(15_000), Just(300_000)],
            prop::option::of(0i64..400_000),
            prop_oneof![Just(7.5f64), Just(5.0), Just(20.0)],
        )
            .prop_map(|(nodes, links, signals, trips, stuck_ms, end_ms, vehicle_length_m)| {
                Scenario { nodes, links, signals, trips, stuck_ms, end_ms, vehicle_length_m }
            })
    })
}

fn next(seed: &mut u64) -> u64 {
    // SplitMix64: a fixed sequence from the generated seed.
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Builds the network, signals and plans. `dag`: links only go from lower to higher node numbers
/// (no cycles, so no gridlock) and every signalized turn has green in some phase.
fn build(s: &Scenario, dag: bool) -> (Network, Plans) {
    let specs: Vec<LinkSpec> = s
        .links
        .iter()
        .map(|&(a, b, length_m, free_speed_mps, lanes, capacity_vph)| {
            let (from, to) = if dag {
                let lo = a.min(b).min(s.nodes as u32 - 2);
                (lo, a.max(b).max(lo + 1))
            } else {
                (a, b)
            };
            LinkSpec { from, to, length_m, free_speed_mps, lanes, capacity_vph }
        })
        .collect();
    let mut net = Network::new(s.nodes, specs.clone()).unwrap();
    for (node, phases, offset, seed) in &s.signals {
        let mut seed = *seed;
        let mut movements = Vec::new();
        for (i, a) in specs.iter().enumerate() {
            for (j, b) in specs.iter().enumerate() {
                if a.to == *node && b.from == *node && next(&mut seed) % 3 != 0 {
                    let mut green = next(&mut seed) & ((1u64 << phases.len()) - 1);
                    if dag {
                        green |= 1 << (next(&mut seed) % phases.len() as u64);
                    }
                    movements.push(Movement { from: LinkId(i as u32), to: LinkId(j as u32), green });
                }
            }
        }
        net.add_signal(*node, SignalPlan { offset_ms: *offset, phases_ms: phases.clone(), movements })
            .unwrap();
    }
    let mut plans = Plans::new();
    for &(depart, seed) in &s.trips {
        let mut seed = seed;
        let mut route = vec![LinkId((next(&mut seed) % specs.len() as u64) as u32)];
        let len = 1 + next(&mut seed) % 8;
        while (route.len() as u64) < len {
            let at = specs[route.last().unwrap().index()].to;
            let out: Vec<u32> = (0..specs.len() as u32).filter(|&l| specs[l as usize].from == at).collect();
            if out.is_empty() {
                break;
            }
            route.push(LinkId(out[(next(&mut seed) % out.len() as u64) as usize]));
        }
        plans.push(&net, depart, &route).unwrap();
    }
    (net, plans)
}

fn check(net: &Network, plans: &Plans, config: &MesoConfig) -> (MesoOutcome, Checker) {
    let mut checker = Checker::new(net, config, plans.len());
    let out = simulate(net, plans, config, &mut checker).unwrap();
    let mut total_ms: i128 = 0;
    for trip in plans.trips() {
        let v = trip.index();
        let depart = plans.depart_ms(trip);
        let route = plans.route(trip);
        match (out.inserted_ms[v], out.arrived_ms[v]) {
            (None, arrived) => {
                assert_eq!(arrived, None, "{trip} arrived without being inserted");
                assert!(checker.entered[v].is_empty());
            }
            (Some(ins), arrived) => {
                assert!(ins >= depart, "{trip} inserted before departing");
                assert_eq!(checker.entered[v].first(), Some(&route[0]));
                // Conservation: arrived, or still on the road at the end.
                assert_eq!(arrived.is_some(), checker.arrived[v]);
                assert_eq!(arrived.is_none(), checker.on[v].is_some(), "{trip} vanished");
                assert!(route.starts_with(&checker.entered[v]), "{trip} left its route");
                if let Some(arr) = arrived {
                    let free_flow: i64 = route.iter().map(|&l| net.free_flow_ms(l)).sum();
                    assert!(
                        arr >= depart + free_flow,
                        "{trip} arrived at {arr} before {depart} + {free_flow}"
                    );
                    assert!(arr <= out.end_ms);
                    assert_eq!(checker.entered[v].len(), route.len());
                }
            }
        }
        if depart <= out.end_ms {
            total_ms += i128::from(out.arrived_ms[v].unwrap_or(out.end_ms) - depart);
        }
    }
    assert!((out.vehicle_seconds - total_ms as f64 / 1000.0).abs() < 1e-6);
    // Storage is exceeded only through teleports.
    assert!(
        u64::from(checker.max_excess) <= out.teleports,
        "excess {} > teleports {}",
        checker.max_excess,
        out.teleports
    );
    (out, checker)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn conservation_on_random_networks(s in scenario()) {
        let (net, plans) = build(&s, false);
        let config = MesoConfig { vehicle_length_m: s.vehicle_length_m, stuck_ms: s.stuck_ms, end_ms: s.end_ms };
        let (out, _) = check(&net, &plans, &config);
        if s.end_ms.is_none() && s.stuck_ms > 0 {
            // Teleports resolve every gridlock and never-green turn: everyone arrives.
            prop_assert!(out.arrived_ms.iter().all(Option::is_some));
        }
        if s.stuck_ms <= 0 {
            prop_assert_eq!(out.teleports, 0);
        }
    }

    #[test]
    fn acyclic_networks_never_need_teleports(s in scenario()) {
        prop_assume!(s.nodes >= 2);
        let (net, plans) = build(&s, true);
        // No timeout: a lost wake-up would leave a vehicle stranded.
        let config = MesoConfig { vehicle_length_m: s.vehicle_length_m, stuck_ms: 0, end_ms: None };
        let (out, checker) = check(&net, &plans, &config);
        prop_assert_eq!(out.teleports, 0);
        prop_assert_eq!(checker.max_excess, 0);
        prop_assert!(out.arrived_ms.iter().all(Option::is_some), "stranded vehicles: {:?}", out);
    }

    #[test]
    fn same_inputs_same_run(s in scenario()) {
        let (net, plans) = build(&s, false);
        let config = MesoConfig { vehicle_length_m: s.vehicle_length_m, stuck_ms: s.stuck_ms, end_ms: s.end_ms };
        let (a, ca) = check(&net, &plans, &config);
        let (b, cb) = check(&net, &plans, &config);
        prop_assert_eq!(a, b);
        prop_assert_eq!(ca.calls, cb.calls);
    }
}
