//! Car routes on the live city: snapping the trip's ends to the road network,
//! live travel times, and the cheapest route under a generalized cost that
//! weighs tolls against time with the traveller's value of time.
//!
//! Searches run on the road network's customizable contraction hierarchy
//! ([`crate::hierarchy`]) once it is built and on Dijkstra before; both search
//! the same integer weights, so they agree on every route's cost.

use crate::error::PlanError;
use crate::hierarchy::{CarMetric, LazyHierarchy, SegmentCost, weight};
use omnibus_core::live::LiveCity;
use omnibus_core::network::Segment;
use omnibus_core::routing::Dijkstra;
use omnibus_core::units::NodeId;
use omnibus_core::{Cents, City, EventTime, LatLon, Meters, MetersPerSecond, Seconds, SegmentId, geo_util};
use std::cell::RefCell;
use std::sync::Arc;
use tracing::debug;

/// Farthest a trip's origin or destination may be from the nearest road.
pub const MAX_SNAP_DISTANCE_M: f64 = 1_000.0;

/// Value of time used when a request gives none, cents per hour.
pub const DEFAULT_VALUE_OF_TIME_CENTS_PER_HOUR: i64 = 2_000;

/// Slowest speed a segment is assumed to flow at, however congested.
pub const MIN_SPEED_MPS: f64 = 0.5;

/// A planned car trip between two junctions of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct CarItinerary {
    /// The junction the origin snapped to.
    pub origin_node: NodeId,
    /// The junction the destination snapped to.
    pub destination_node: NodeId,
    /// Segments driven, in order (empty when both ends snap to one junction).
    pub segments: Vec<SegmentId>,
    /// Sum of the segment lengths.
    pub distance: Meters,
    /// Sum of the segments' live travel times.
    pub duration: Seconds,
    /// Sum of the segments' free-flow travel times.
    pub free_flow_duration: Seconds,
    /// Sum of the segments' current prices.
    pub toll: Cents,
    /// The route's geometry as an encoded polyline (precision 5).
    pub polyline: String,
    /// Departure time.
    pub depart: EventTime,
    /// Arrival time: departure plus the duration, rounded to the millisecond.
    pub arrive: EventTime,
}

/// Plans car trips on a city's network under its live speeds and prices.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct CarPlanner {
    /// The city whose roads are driven.
    pub city: Arc<City>,
    /// Its live speeds and prices.
    pub live: LiveCity,
    /// The network's hierarchy, once built.
    pub hierarchy: LazyHierarchy,
}

thread_local! {
    /// Search state reused by every query planned on this thread.
    static SEARCH: RefCell<Dijkstra> = RefCell::new(Dijkstra::default());
}

/// Time to drive `segment` when traffic on it moves at `window_speed` (its
/// free-flow speed when `None`). The speed used is never above free flow and
/// never below [`MIN_SPEED_MPS`].
pub fn live_travel_time(segment: &Segment, window_speed: Option<MetersPerSecond>) -> Seconds {
    let free_flow = segment.free_flow.0;
    // `f64::min` ignores a NaN operand, so a NaN live speed counts as free flow.
    let speed = window_speed.map_or(free_flow, |v| v.0.min(free_flow)).max(MIN_SPEED_MPS);
    Seconds(segment.length.0 / speed)
}

/// The value of time a request asks for: `0` means the default; negative is refused.
pub fn value_of_time(cents_per_hour: i64) -> Result<i64, PlanError> {
    match cents_per_hour {
        0 => Ok(DEFAULT_VALUE_OF_TIME_CENTS_PER_HOUR),
        v if v < 0 => Err(PlanError::invalid(
            "value_of_time_cents_per_hour",
            format!("must not be negative, got {v} (0 uses the default)"),
        )),
        v => Ok(v),
    }
}

impl CarPlanner {
    /// A planner over `city` reading live figures from `live`, searching with
    /// Dijkstra.
    pub fn new(city: Arc<City>, live: LiveCity) -> CarPlanner {
        CarPlanner { city, live, hierarchy: LazyHierarchy::none() }
    }

    /// This planner searching with `hierarchy` (once it is built).
    pub fn with_hierarchy(self, hierarchy: LazyHierarchy) -> CarPlanner {
        CarPlanner { hierarchy, ..self }
    }

    /// This planner with the hierarchy built now (about a second for a city).
    pub fn with_hierarchy_now(self) -> CarPlanner {
        let hierarchy = LazyHierarchy::build_now(&self.city);
        self.with_hierarchy(hierarchy)
    }

    /// This planner with the hierarchy built on a background thread; queries run
    /// on Dijkstra until it is ready.
    pub fn with_hierarchy_in_background(self) -> CarPlanner {
        let hierarchy = LazyHierarchy::build_in_background(self.city.clone());
        self.with_hierarchy(hierarchy)
    }

    /// Whether queries now run on the hierarchy.
    pub fn uses_hierarchy(&self) -> bool {
        self.hierarchy.get().is_some()
    }

    /// The cheapest path from `from` to `to` under the live costs at value of
    /// time `vot`: the segments and the costs they were planned with.
    fn route(&self, from: NodeId, to: NodeId, vot: i64) -> Result<(Vec<SegmentId>, Costs), PlanError> {
        if let Some(hierarchy) = self.hierarchy.get() {
            let generation = self.live.generation();
            let metric = hierarchy.metric(vot, generation, || self.segment_costs());
            let path = if from == to {
                Vec::new()
            } else {
                hierarchy.route(&metric, from.0, to.0).ok_or(PlanError::NoRoute { from, to })?.1
            };
            let segments = path.into_iter().map(SegmentId).collect();
            return Ok((segments, Costs::Metric(metric)));
        }
        let costs = self.segment_costs();
        if from == to {
            return Ok((Vec::new(), Costs::Read(costs)));
        }
        let network = &self.city.network;
        let path = SEARCH.with_borrow_mut(|search| {
            search.run(network, from, to, |s| f64::from(weight(costs[s.index()], vot)))
        });
        Ok((path.ok_or(PlanError::NoRoute { from, to })?.segments, Costs::Read(costs)))
    }

    /// The junction a trip starting or ending at `pos` uses: the endpoint of the
    /// nearest segment closer to `pos`. `field` (`origin` or `destination`)
    /// names the position in errors.
    pub fn snap(&self, field: &'static str, pos: LatLon) -> Result<NodeId, PlanError> {
        check_coordinates(field, pos)?;
        let network = &self.city.network;
        let Some(nearest) = self.city.matcher.nearest_segment(pos) else {
            return Err(PlanError::invalid(field, format!("{} has no roads to plan on", self.city.name)));
        };
        let segment = network.segment(nearest.segment).ok_or_else(|| {
            PlanError::invalid(field, format!("the nearest road {} is not in the network", nearest.segment))
        })?;
        let distance_m = segment.point_at(nearest.offset).0.distance_m(pos);
        if !self.city.area.contains(pos) {
            return Err(PlanError::OutsideArea {
                field,
                lat: pos.lat,
                lon: pos.lon,
                city: self.city.name.clone(),
                distance_m,
            });
        }
        if distance_m > MAX_SNAP_DISTANCE_M {
            return Err(PlanError::TooFarFromRoad { field, distance_m, max_m: MAX_SNAP_DISTANCE_M });
        }
        let from = network.node(segment.from).pos.distance_m(pos);
        let to = network.node(segment.to).pos.distance_m(pos);
        Ok(if to < from { segment.to } else { segment.from })
    }

    /// The cheapest car route from `origin` to `destination` leaving at `depart`,
    /// where a route's cost is its live travel time plus its tolls converted to
    /// time at `value_of_time_cents_per_hour` (0: the default, 2,000 cents an
    /// hour). Reads the live state once.
    pub fn plan_car(
        &self,
        origin: LatLon,
        destination: LatLon,
        depart: EventTime,
        value_of_time_cents_per_hour: i64,
    ) -> Result<CarItinerary, PlanError> {
        let vot = value_of_time(value_of_time_cents_per_hour)?;
        let from = self.snap("origin", origin)?;
        let to = self.snap("destination", destination)?;
        let network = &self.city.network;
        let (segments, costs) = self.route(from, to, vot)?;
        let mut distance = 0.0;
        let mut duration = 0.0;
        let mut free_flow_duration = 0.0;
        let mut geometry: Vec<LatLon> = Vec::new();
        for &id in &segments {
            let segment = &network.segments()[id.index()];
            distance += segment.length.0;
            duration += costs[id.index()].time;
            free_flow_duration += segment.free_flow_time().0;
            let skip = usize::from(geometry.last() == segment.geometry.first());
            geometry.extend_from_slice(&segment.geometry[skip..]);
        }
        if geometry.is_empty() {
            geometry.push(network.node(from).pos);
        }
        let toll = Cents(segments.iter().map(|s| costs[s.index()].toll).sum());
        let arrive = depart.plus_ms((duration * 1000.0).round() as i64);
        debug!(
            %from, %to, segments = segments.len(), distance_m = distance, duration_s = duration, %toll,
            "Car route planned."
        );
        Ok(CarItinerary {
            origin_node: from,
            destination_node: to,
            segments,
            distance: Meters(distance),
            duration: Seconds(duration),
            free_flow_duration: Seconds(free_flow_duration),
            toll,
            polyline: geo_util::encode_polyline(&geometry),
            depart,
            arrive,
        })
    }

    /// Every segment's live travel time and price, from one read of the live
    /// state (the lock is held only while copying the observed segments).
    fn segment_costs(&self) -> Vec<SegmentCost> {
        let network = &self.city.network;
        let mut costs: Vec<SegmentCost> = network
            .segments()
            .iter()
            .map(|s| SegmentCost { time: live_travel_time(s, None).0, toll: 0 })
            .collect();
        self.live.read(|state| {
            for (id, live) in &state.segments {
                if let Some(segment) = network.segment(*id) {
                    costs[id.index()] = SegmentCost {
                        time: live_travel_time(segment, live.window_speed).0,
                        toll: live.price.0,
                    };
                }
            }
        });
        costs
    }
}

/// The segment costs a route was planned with.
enum Costs {
    /// Those of the hierarchy's metric.
    Metric(Arc<CarMetric>),
    /// Read for this query.
    Read(Vec<SegmentCost>),
}

impl std::ops::Deref for Costs {
    type Target = [SegmentCost];

    fn deref(&self) -> &[SegmentCost] {
        match self {
            Costs::Metric(m) => &m.costs,
            Costs::Read(c) => c,
        }
    }
}

/// Refuses a non-finite or out-of-range position, naming `field.lat` or `field.lon`.
fn check_coordinates(field: &'static str, pos: LatLon) -> Result<(), PlanError> {
    let (lat_field, lon_field) = match field {
        "origin" => ("origin.lat", "origin.lon"),
        "destination" => ("destination.lat", "destination.lon"),
        _ => (field, field),
    };
    for (name, value, limit) in [(lat_field, pos.lat, 90.0), (lon_field, pos.lon, 180.0)] {
        if !value.is_finite() {
            return Err(PlanError::invalid(name, format!("must be a finite number, got {value}")));
        }
        if value.abs() > limit {
            return Err(PlanError::invalid(
                name,
                format!("must be between -{limit} and {limit} degrees, got {value}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnibus_core::live::SegmentLive;
    use omnibus_core::matcher::{MapMatcher, MatcherConfig};
    use omnibus_core::network::{Node, RoadClass, RoadNetwork};
    use omnibus_core::policy::{Policy, PolicyStore};
    use omnibus_core::registry::Registry;
    use omnibus_core::{Minute, geo_util::decode_polyline};
    use std::sync::OnceLock;

    fn porto_alegre() -> Arc<City> {
        static CITY: OnceLock<Arc<City>> = OnceLock::new();
        CITY.get_or_init(|| Arc::new(City::porto_alegre())).clone()
    }

    fn live() -> LiveCity {
        LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap())
    }

    fn segment(from: u32, to: u32, nodes: &[Node], free_flow_kmh: f64) -> Segment {
        let (a, b) = (nodes[from as usize].pos, nodes[to as usize].pos);
        Segment {
            id: SegmentId(0),
            from: NodeId(from),
            to: NodeId(to),
            geometry: vec![a, b],
            length: Meters(a.distance_m(b)),
            class: RoadClass::Residential,
            free_flow: MetersPerSecond::from_kmh(free_flow_kmh),
            lanes: 1,
            capacity_vph: 900.0,
            osm_way: 1,
            name: None,
        }
    }

    /// A square of four junctions about 1.1 km a side with two ways from the
    /// south-west corner (0) to the north-east one (2): via 1 (south-east) or
    /// via 3 (north-west), both two-way.
    fn square() -> Arc<City> {
        let nodes: Vec<Node> = [(-30.03, -51.23), (-30.03, -51.2185), (-30.02, -51.2185), (-30.02, -51.23)]
            .into_iter()
            .enumerate()
            .map(|(i, (lat, lon))| Node { osm_id: i as i64, pos: LatLon::new(lat, lon) })
            .collect();
        let mut segments = Vec::new();
        for (a, b) in [(0, 1), (1, 2), (0, 3), (3, 2)] {
            segments.push(segment(a, b, &nodes, 36.0));
            segments.push(segment(b, a, &nodes, 36.0));
        }
        let network = RoadNetwork::new(nodes, segments);
        let matcher = MapMatcher::new(&network, MatcherConfig::default());
        let area = network.bounds().expanded(500.0);
        Arc::new(City {
            name: "Square".into(),
            network,
            matcher,
            registry: Registry::default(),
            area,
            streets: Default::default(),
        })
    }

    fn set(live: &LiveCity, seg: SegmentId, speed: Option<f64>, price: i64) {
        live.write(|s| {
            s.segments.insert(
                seg,
                SegmentLive {
                    minute: Minute(0),
                    vehicles: 1,
                    loop_count: 0,
                    window_speed: speed.map(MetersPerSecond),
                    price: Cents(price),
                    policy_version: 1,
                },
            )
        });
    }

    /// Makes the route via junction 1 slow (5 m/s) and the route via 3 free
    /// flowing but tolled (100 cents a segment); returns its segments
    /// `[0→1, 1→2, 0→3, 3→2]`.
    fn slow_via_1_tolled_via_3(city: &City, live: &LiveCity) -> [SegmentId; 4] {
        let (a, b) = (seg_between(city, 0, 1), seg_between(city, 1, 2));
        let (c, d) = (seg_between(city, 0, 3), seg_between(city, 3, 2));
        for s in [a, b] {
            set(live, s, Some(5.0), 0);
        }
        for s in [c, d] {
            set(live, s, None, 100);
        }
        [a, b, c, d]
    }

    fn seg_between(city: &City, from: u32, to: u32) -> SegmentId {
        city.network.segments().iter().find(|s| s.from == NodeId(from) && s.to == NodeId(to)).unwrap().id
    }

    const SW: LatLon = LatLon { lat: -30.03, lon: -51.23 };
    const NE: LatLon = LatLon { lat: -30.02, lon: -51.2185 };

    #[test]
    fn live_speed_is_clamped_between_half_a_metre_and_free_flow() {
        let city = square();
        let s = &city.network.segments()[0];
        let ff = s.free_flow_time().0;
        assert_eq!(live_travel_time(s, None).0, ff);
        assert_eq!(live_travel_time(s, Some(MetersPerSecond(1000.0))).0, ff);
        assert_eq!(live_travel_time(s, Some(MetersPerSecond(f64::NAN))).0, ff);
        assert_eq!(live_travel_time(s, Some(MetersPerSecond(0.0))).0, s.length.0 / MIN_SPEED_MPS);
        assert_eq!(live_travel_time(s, Some(MetersPerSecond(-3.0))).0, s.length.0 / MIN_SPEED_MPS);
        assert_eq!(live_travel_time(s, Some(MetersPerSecond(5.0))).0, s.length.0 / 5.0);
    }

    #[test]
    fn value_of_time_defaults_and_refuses_negative() {
        assert_eq!(value_of_time(0), Ok(DEFAULT_VALUE_OF_TIME_CENTS_PER_HOUR));
        assert_eq!(value_of_time(5), Ok(5));
        assert_eq!(value_of_time(-1).unwrap_err().field(), Some("value_of_time_cents_per_hour"));
    }

    #[test]
    fn free_network_route_sums_lengths_times_and_geometry() {
        let city = square();
        let planner = CarPlanner::new(city.clone(), live());
        let it = planner.plan_car(SW, NE, EventTime(1_000), 0).unwrap();
        assert_eq!((it.origin_node, it.destination_node), (NodeId(0), NodeId(2)));
        assert_eq!(it.segments.len(), 2);
        let sum: f64 = it.segments.iter().map(|s| city.network.segments()[s.index()].length.0).sum();
        assert!((it.distance.0 - sum).abs() < 1e-9);
        assert!((it.duration.0 - it.free_flow_duration.0).abs() < 1e-9);
        assert_eq!(it.toll, Cents::ZERO);
        assert_eq!(it.arrive, EventTime(1_000 + (it.duration.0 * 1000.0).round() as i64));
        // Three points: the shared joint appears once.
        let points = decode_polyline(&it.polyline).unwrap();
        assert_eq!(points.len(), 3);
        assert!(points[0].distance_m(SW) < 2.0 && points[2].distance_m(NE) < 2.0);
    }

    #[test]
    fn congestion_and_tolls_are_weighed_with_the_value_of_time() {
        let city = square();
        let live = live();
        let planner = CarPlanner::new(city.clone(), live.clone());
        let [a, b, c, d] = slow_via_1_tolled_via_3(&city, &live);
        // At 2,000 cents an hour, 200 cents is worth 360 s: more than the delay
        // (about 2 * 1100 m * (1/5 - 1/10) = 220 s), so the slow free route wins.
        let it = planner.plan_car(SW, NE, EventTime(0), 0).unwrap();
        assert_eq!(it.segments, vec![a, b]);
        assert_eq!(it.toll, Cents::ZERO);
        assert!(it.duration.0 > it.free_flow_duration.0 * 1.9);
        // At 20,000 cents an hour, the toll is worth 36 s: pay and go fast.
        let it = planner.plan_car(SW, NE, EventTime(0), 20_000).unwrap();
        assert_eq!(it.segments, vec![c, d]);
        assert_eq!(it.toll, Cents(200));
        assert!((it.duration.0 - it.free_flow_duration.0).abs() < 1e-9);
    }

    #[test]
    fn same_junction_is_a_zero_length_trip() {
        let planner = CarPlanner::new(square(), live());
        let near_sw = LatLon::new(-30.0301, -51.2301);
        let it = planner.plan_car(SW, near_sw, EventTime(7), 0).unwrap();
        assert!(it.segments.is_empty());
        assert_eq!((it.distance.0, it.duration.0, it.toll), (0.0, 0.0, Cents::ZERO));
        assert_eq!((it.depart, it.arrive), (EventTime(7), EventTime(7)));
        assert_eq!(decode_polyline(&it.polyline).unwrap().len(), 1);
    }

    #[test]
    fn bad_points_name_their_field() {
        let planner = CarPlanner::new(square(), live());
        let err = planner.plan_car(LatLon::new(f64::NAN, 0.0), NE, EventTime(0), 0).unwrap_err();
        assert_eq!(err.field(), Some("origin.lat"));
        let err = planner.plan_car(SW, LatLon::new(-30.02, f64::INFINITY), EventTime(0), 0).unwrap_err();
        assert_eq!(err.field(), Some("destination.lon"));
        let err = planner.plan_car(SW, LatLon::new(95.0, 0.0), EventTime(0), 0).unwrap_err();
        assert_eq!(err.field(), Some("destination.lat"));
        // Half a degree north: outside the area.
        let err = planner.plan_car(LatLon::new(-29.5, -51.22), NE, EventTime(0), 0).unwrap_err();
        assert!(matches!(err, PlanError::OutsideArea { field: "origin", .. }), "{err}");
        assert!(err.to_string().starts_with("origin: "), "{err}");
        assert_eq!(
            planner.plan_car(SW, NE, EventTime(0), -5).unwrap_err().field(),
            Some("value_of_time_cents_per_hour")
        );
    }

    #[test]
    fn a_point_inside_the_area_but_far_from_roads_is_refused() {
        // A network whose roads lie at two far corners of its box, so the middle
        // is inside the area yet more than a kilometre from any road.
        let nodes: Vec<Node> = [(-30.10, -51.30), (-30.10, -51.299), (-30.00, -51.10), (-30.00, -51.101)]
            .into_iter()
            .enumerate()
            .map(|(i, (lat, lon))| Node { osm_id: i as i64, pos: LatLon::new(lat, lon) })
            .collect();
        let segments = vec![segment(0, 1, &nodes, 30.0), segment(2, 3, &nodes, 30.0)];
        let network = RoadNetwork::new(nodes, segments);
        let matcher = MapMatcher::new(&network, MatcherConfig::default());
        let area = network.bounds();
        let city = Arc::new(City {
            name: "Corners".into(),
            network,
            matcher,
            registry: Registry::default(),
            area,
            streets: Default::default(),
        });
        let planner = CarPlanner::new(city, live());
        let middle = LatLon::new(-30.05, -51.2);
        let err = planner.plan_car(LatLon::new(-30.10, -51.30), middle, EventTime(0), 0).unwrap_err();
        match err {
            PlanError::TooFarFromRoad { field, distance_m, .. } => {
                assert_eq!(field, "destination");
                assert!(distance_m > 5_000.0, "{distance_m}");
            }
            other => panic!("unexpected {other}"),
        }
        // And the two corners are not connected.
        let err = planner.plan_car(LatLon::new(-30.10, -51.30), LatLon::new(-30.0, -51.10), EventTime(0), 0);
        assert!(matches!(err, Err(PlanError::NoRoute { .. })), "{err:?}");
    }

    #[test]
    fn porto_alegre_route_starts_near_the_origin() {
        let city = porto_alegre();
        let planner = CarPlanner::new(city.clone(), live());
        let b = city.network.bounds();
        let origin =
            LatLon::new(b.min_lat + (b.max_lat - b.min_lat) * 0.3, b.min_lon + (b.max_lon - b.min_lon) * 0.3);
        let destination =
            LatLon::new(b.min_lat + (b.max_lat - b.min_lat) * 0.7, b.min_lon + (b.max_lon - b.min_lon) * 0.7);
        let it = planner.plan_car(origin, destination, EventTime(0), 0).unwrap();
        assert!(it.distance.0 > 1_000.0 && it.duration.0 > 0.0);
        let points = decode_polyline(&it.polyline).unwrap();
        assert!(points[0].distance_m(origin) < MAX_SNAP_DISTANCE_M);
        // Consecutive segments join up.
        for w in it.segments.windows(2) {
            assert_eq!(city.network.segments()[w[0].index()].to, city.network.segments()[w[1].index()].from);
        }
    }

    /// The route's weight at `vot` under the live state now.
    fn weight_of(planner: &CarPlanner, segments: &[SegmentId], vot: i64) -> u64 {
        let costs = planner.segment_costs();
        segments.iter().map(|s| u64::from(weight(costs[s.index()], vot))).sum()
    }

    #[test]
    fn the_hierarchy_weighs_congestion_and_tolls_like_dijkstra() {
        let city = square();
        let live = live();
        let planner = CarPlanner::new(city.clone(), live.clone()).with_hierarchy_now();
        assert!(planner.uses_hierarchy());
        // Free network first, then the same changes as the Dijkstra test: each
        // live write must be seen by the next query.
        let free = planner.plan_car(SW, NE, EventTime(0), 0).unwrap();
        assert_eq!(free.segments.len(), 2);
        let [a, b, c, d] = slow_via_1_tolled_via_3(&city, &live);
        let it = planner.plan_car(SW, NE, EventTime(0), 0).unwrap();
        assert_eq!(it.segments, vec![a, b]);
        let it = planner.plan_car(SW, NE, EventTime(0), 20_000).unwrap();
        assert_eq!((it.segments.clone(), it.toll), (vec![c, d], Cents(200)));
        // The tolls lift: back to the free fast route.
        for s in [c, d] {
            set(&live, s, None, 0);
        }
        let it = planner.plan_car(SW, NE, EventTime(0), 0).unwrap();
        assert_eq!((it.segments.clone(), it.toll), (vec![c, d], Cents::ZERO));
    }

    #[test]
    fn porto_alegre_hierarchy_routes_cost_what_dijkstra_routes_cost() {
        use rand::{Rng, SeedableRng};
        let city = porto_alegre();
        let live = live();
        let dijkstra = CarPlanner::new(city.clone(), live.clone());
        let cch = dijkstra.clone().with_hierarchy_now();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let b = city.network.bounds();
        let point = |rng: &mut rand_chacha::ChaCha8Rng| {
            LatLon::new(rng.random_range(b.min_lat..b.max_lat), rng.random_range(b.min_lon..b.max_lon))
        };
        let n = city.network.segments().len();
        let mut compared = 0;
        for round in 0..3 {
            // Congest and toll a random tenth of the network.
            let updates: Vec<(SegmentId, Option<f64>, i64)> = (0..n / 10)
                .map(|_| {
                    let s = SegmentId(rng.random_range(0..n as u32));
                    (s, Some(rng.random_range(1.0..15.0)), rng.random_range(0..300))
                })
                .collect();
            for (s, speed, price) in updates {
                set(&live, s, speed, price);
            }
            for _ in 0..40 {
                let (o, d) = (point(&mut rng), point(&mut rng));
                let vot = [0, 800, 6_000][round];
                let (x, y) =
                    (dijkstra.plan_car(o, d, EventTime(0), vot), cch.plan_car(o, d, EventTime(0), vot));
                match (x, y) {
                    (Ok(x), Ok(y)) => {
                        let vot = value_of_time(vot).unwrap();
                        assert_eq!(weight_of(&dijkstra, &x.segments, vot), weight_of(&cch, &y.segments, vot));
                        assert_eq!((x.origin_node, x.destination_node), (y.origin_node, y.destination_node));
                        for w in y.segments.windows(2) {
                            let net = &city.network;
                            assert_eq!(net.segments()[w[0].index()].to, net.segments()[w[1].index()].from);
                        }
                        compared += 1;
                    }
                    (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string()),
                    (x, y) => panic!("Dijkstra {x:?} but hierarchy {y:?}"),
                }
            }
        }
        assert!(compared >= 60, "{compared}");
    }
}
