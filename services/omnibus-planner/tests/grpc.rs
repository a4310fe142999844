//! The planner over real gRPC on loopback, on the bundled Porto Alegre network.

use omnibus_core::geo_util::decode_polyline;
use omnibus_core::live::{LiveCity, SegmentLive};
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{Cents, City, EventTime, LatLon, MetersPerSecond, Minute, SegmentId};
use omnibus_planner::{CarPlanner, PlannerService};
use omnibus_proto::v1::planner_client::PlannerClient;
use omnibus_proto::v1::planner_server::PlannerServer;
use omnibus_proto::v1::{self as pb, Mode, PlanRequest, PlanResponse};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::server::NamedService;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const NOW_MS: i64 = 1_760_000_000_000;

fn city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    CITY.get_or_init(|| Arc::new(City::porto_alegre())).clone()
}

/// A planner server on an ephemeral loopback port.
struct Server {
    live: LiveCity,
    channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Server {
    async fn start() -> Server {
        let live = LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap());
        let service = PlannerService::new(
            CarPlanner::new(city(), live.clone()).with_hierarchy_now(),
            Arc::new(|| EventTime(NOW_MS)),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(omnibus_planner::run(
            listener,
            async move {
                let _ = stopped.await;
            },
            service,
        ));
        let channel = Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        Server { live, channel, stop: Some(stop), task }
    }

    fn client(&self) -> PlannerClient<Channel> {
        PlannerClient::new(self.channel.clone())
    }

    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, tonic::Status> {
        self.client().plan(request).await.map(tonic::Response::into_inner)
    }

    async fn stop(mut self) {
        drop(self.channel);
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

/// A position about 20 m north of the junction nearest to the point a fraction
/// `f` of the way across the network's box, so it is always near a road.
fn near_junction(f: f64) -> LatLon {
    let city = city();
    let b = city.network.bounds();
    let target =
        LatLon::new(b.min_lat + (b.max_lat - b.min_lat) * f, b.min_lon + (b.max_lon - b.min_lon) * f);
    let node = city
        .network
        .nodes()
        .iter()
        .min_by(|a, b| a.pos.distance_m(target).total_cmp(&b.pos.distance_m(target)))
        .unwrap();
    LatLon::new(node.pos.lat + 0.000_18, node.pos.lon)
}

fn wire(p: LatLon) -> pb::LatLon {
    pb::LatLon { lat: p.lat, lon: p.lon }
}

fn request(origin: LatLon, destination: LatLon) -> PlanRequest {
    PlanRequest {
        origin: Some(wire(origin)),
        destination: Some(wire(destination)),
        depart_at_ms: 0,
        modes: vec![],
        value_of_time_cents_per_hour: 0,
        ..PlanRequest::default()
    }
}

#[tokio::test]
async fn a_car_route_gets_slower_and_tolled_when_its_segments_congest() {
    let server = Server::start().await;
    let (origin, destination) = (near_junction(0.35), near_junction(0.65));
    let first = server.plan(request(origin, destination)).await.unwrap();
    assert_eq!(first.itineraries.len(), 1);
    let it = &first.itineraries[0];
    assert!(it.distance_m > 500.0 && it.duration_s > 0.0, "{it:?}");
    assert_eq!((it.depart_ms, it.arrive_ms), (NOW_MS, NOW_MS + (it.duration_s * 1000.0).round() as i64));
    assert_eq!(it.toll.as_ref().unwrap().cents, 0);
    assert_eq!(it.legs.len(), 1);
    let leg = &it.legs[0];
    assert_eq!(leg.mode, i32::from(Mode::Car));
    assert!((leg.free_flow_duration_s - it.duration_s).abs() < 1e-6, "an empty live state is free flow");
    let points = decode_polyline(&leg.polyline).expect("a decodable polyline");
    assert!(points.len() >= 2);
    assert!(points[0].distance_m(origin) < 200.0, "starts {} m away", points[0].distance_m(origin));
    assert!(points.last().unwrap().distance_m(destination) < 200.0);

    // Congest and price every segment of that route.
    let route: Vec<SegmentId> =
        leg.segment_ids.iter().map(|&s| SegmentId(u32::try_from(s).unwrap())).collect();
    server.live.write(|s| {
        for (i, &seg) in route.iter().enumerate() {
            s.segments.insert(
                seg,
                SegmentLive {
                    minute: Minute(NOW_MS / 60_000),
                    vehicles: 3,
                    loop_count: 0,
                    window_speed: Some(MetersPerSecond(2.0)),
                    price: Cents(100 + 5 * i as i64),
                    policy_version: 1,
                },
            );
        }
    });

    let second = server.plan(request(origin, destination)).await.unwrap();
    let it2 = &second.itineraries[0];
    let leg2 = &it2.legs[0];
    assert!(it2.duration_s > it.duration_s, "{} s then {} s", it.duration_s, it2.duration_s);
    let toll = it2.toll.as_ref().unwrap();
    assert_eq!(toll.currency, "BRL");
    assert_eq!(leg2.toll, it2.toll);
    let expected: i64 =
        leg2.segment_ids.iter().map(|&s| server.live.price(SegmentId(u32::try_from(s).unwrap())).0).sum();
    assert_eq!(toll.cents, expected);
    if leg2.segment_ids == leg.segment_ids {
        assert!(toll.cents > 0);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_traveller_who_values_time_highly_pays_the_toll_on_the_fastest_route() {
    let server = Server::start().await;
    let (origin, destination) = (near_junction(0.3), near_junction(0.7));
    let first = server.plan(request(origin, destination)).await.unwrap();
    let route = first.itineraries[0].legs[0].segment_ids.clone();
    // Price every segment of the fastest route, leaving speeds alone.
    server.live.write(|s| {
        for &seg in &route {
            s.segments.insert(
                SegmentId(u32::try_from(seg).unwrap()),
                SegmentLive {
                    minute: Minute(NOW_MS / 60_000),
                    vehicles: 0,
                    loop_count: 0,
                    window_speed: None,
                    price: Cents(40),
                    policy_version: 1,
                },
            );
        }
    });
    // At a billion cents an hour, 40 cents is worth 0.14 ms: not worth a detour.
    let mut r = request(origin, destination);
    r.value_of_time_cents_per_hour = 1_000_000_000;
    let rich = server.plan(r).await.unwrap();
    let it = &rich.itineraries[0];
    assert_eq!(it.legs[0].segment_ids, route);
    assert_eq!(it.toll.as_ref().unwrap().cents, 40 * route.len() as i64);
    assert_eq!(it.duration_s, first.itineraries[0].duration_s);
    // At the default 2,000 cents an hour, 40 cents is worth 72 s a segment:
    // the route found costs no more, counting its tolls as time, than the priced one.
    let thrifty = server.plan(request(origin, destination)).await.unwrap();
    let it = &thrifty.itineraries[0];
    let cost = |i: &pb::Itinerary| i.duration_s + i.toll.as_ref().unwrap().cents as f64 * 3600.0 / 2000.0;
    assert!(cost(it) <= cost(&rich.itineraries[0]) + 1e-6);
    assert!(it.toll.as_ref().unwrap().cents < 40 * route.len() as i64);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_are_invalid_arguments_naming_the_field() {
    let server = Server::start().await;
    let (origin, destination) = (near_junction(0.4), near_junction(0.6));

    let mut r = request(origin, destination);
    r.origin = Some(pb::LatLon { lat: f64::NAN, lon: origin.lon });
    let status = server.plan(r).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("origin.lat"), "{}", status.message());

    // About 50 km north of the city.
    let far = LatLon::new(origin.lat + 0.45, origin.lon);
    let status = server.plan(request(far, destination)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("origin: "), "{}", status.message());

    let mut r = request(origin, destination);
    r.modes = vec![Mode::Transit.into()];
    let status = server.plan(r).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("modes") && status.message().contains("MODE_TRANSIT"));

    let mut r = request(origin, destination);
    r.destination = None;
    let status = server.plan(r).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("destination: "), "{}", status.message());

    let mut r = request(origin, destination);
    r.value_of_time_cents_per_hour = -100;
    let status = server.plan(r).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("value_of_time_cents_per_hour: "), "{}", status.message());

    // Car explicitly asked for, with a departure time, is fine.
    let mut r = request(origin, destination);
    r.modes = vec![Mode::Car.into()];
    r.depart_at_ms = 1_000;
    let it = &server.plan(r).await.unwrap().itineraries[0];
    assert_eq!(it.depart_ms, 1_000);
    server.stop().await;
}

#[tokio::test]
async fn the_same_junction_twice_is_a_zero_length_trip() {
    let server = Server::start().await;
    let p = near_junction(0.5);
    let it = &server.plan(request(p, p)).await.unwrap().itineraries[0];
    assert_eq!((it.distance_m, it.duration_s), (0.0, 0.0));
    assert_eq!((it.depart_ms, it.arrive_ms), (NOW_MS, NOW_MS));
    assert!(it.legs[0].segment_ids.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn health_reports_the_planner_serving() {
    let server = Server::start().await;
    let mut health = HealthClient::new(server.channel.clone());
    for service in [<PlannerServer<PlannerService> as NamedService>::NAME, ""] {
        let response =
            health.check(HealthCheckRequest { service: service.to_owned() }).await.unwrap().into_inner();
        assert_eq!(response.status, i32::from(ServingStatus::Serving), "{service:?}");
    }
    drop(health);
    server.stop().await;
}
