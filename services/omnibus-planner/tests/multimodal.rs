//! Multimodal plans and realtime trip updates over real gRPC on loopback, on
//! the bundled Porto Alegre streets and bus and metro feeds.

use omnibus_core::live::{LiveCity, SegmentLive};
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{Cents, City, EventTime, MetersPerSecond, Minute};
use omnibus_planner::journey::JourneyPlanner;
use omnibus_planner::transit::TransitNetwork;
use omnibus_planner::{CarPlanner, PlannerService};
use omnibus_proto::v1::planner_client::PlannerClient;
use omnibus_proto::v1::{self as pb, Mode, PlanRequest, Preferences, TripUpdatesRequest};
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::Code;

/// 13:00 on Tuesday 7 May 2019 in Porto Alegre.
const T0: i64 = 1_557_244_800_000;

async fn server() -> (PlannerClient<tonic::transport::Channel>, LiveCity) {
    let city = Arc::new(City::porto_alegre());
    let transit = Arc::new(TransitNetwork::porto_alegre(&city).unwrap());
    let live = LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap());
    let journeys = JourneyPlanner::new(CarPlanner::new(city, live.clone()), Some(transit));
    let service = PlannerService::with_journeys(journeys, Arc::new(|| EventTime(T0)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(omnibus_planner::run(listener, std::future::pending(), service));
    (PlannerClient::connect(format!("http://{addr}")).await.unwrap(), live)
}

fn request(modes: &[Mode]) -> PlanRequest {
    PlanRequest {
        origin: Some(pb::LatLon { lat: -30.0277, lon: -51.2287 }),
        destination: Some(pb::LatLon { lat: -30.0600, lon: -51.1750 }),
        depart_at_ms: T0,
        modes: modes.iter().map(|m| *m as i32).collect(),
        ..PlanRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_plans_over_grpc_and_car_tolls_follow_congestion() {
    let (mut client, live) = server().await;
    let all = [Mode::Walk, Mode::Bike, Mode::Transit, Mode::Car, Mode::ParkAndRide, Mode::BikeAndRide];
    let r = client.plan(request(&all)).await.unwrap().into_inner();
    let families: Vec<&str> = r.itineraries.iter().map(|i| i.family.as_str()).collect();
    for f in ["car", "transit", "park-and-ride", "bike-and-ride"] {
        assert!(families.contains(&f), "{f} missing from {families:?}");
    }
    let transit = r.itineraries.iter().find(|i| i.family == "transit").unwrap();
    let ride = transit.legs.iter().find(|l| l.mode == Mode::Transit as i32).unwrap();
    assert!(!ride.route.is_empty() && ride.stops.len() >= 2 && ride.co2_grams > 0);
    assert_eq!(ride.charge, "fare");
    assert_eq!(transit.total.as_ref().unwrap().currency, "BRL");
    assert!(r.itineraries.iter().any(|i| i.pareto_optimal));

    // Congestion with a price on the car's route: the car itinerary's toll follows.
    let car = r.itineraries.iter().find(|i| i.family == "car").unwrap();
    assert_eq!(car.toll.as_ref().unwrap().cents, 0);
    let segments: Vec<u64> = car.legs[0].segment_ids.clone();
    live.update_segments(segments.iter().map(|s| {
        (
            omnibus_core::SegmentId(*s as u32),
            SegmentLive {
                minute: Minute(0),
                vehicles: 30,
                loop_count: 0,
                window_speed: Some(MetersPerSecond(3.0)),
                price: Cents(25),
                policy_version: 1,
            },
        )
    }));
    let r2 = client.plan(request(&[Mode::Car, Mode::Transit])).await.unwrap().into_inner();
    let car2 = r2.itineraries.iter().find(|i| i.family == "car").unwrap();
    assert!(car2.toll.as_ref().unwrap().cents > 0, "no toll after congestion");
    assert!(car2.arrive_ms > car.arrive_ms || car2.legs[0].segment_ids != segments);

    // Bad input names the field.
    let mut bad = request(&[Mode::Transit]);
    bad.preferences = Some(Preferences { max_walk_m: -5.0, ..Preferences::default() });
    let status = client.plan(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("preferences.max_walk_m"), "{}", status.message());
    let status = client.plan(request(&[Mode::Unspecified])).await.unwrap_err();
    assert!(status.message().starts_with("modes"), "{}", status.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trip_updates_are_checked_and_applied() {
    let (mut client, _) = server().await;
    let req = |feed: &str, bytes: Vec<u8>| TripUpdatesRequest {
        feed: feed.to_owned(),
        service_date: 20_190_507,
        feed_message: bytes,
    };
    let status = client.apply_trip_updates(req("eptc", b"\xff\xff not protobuf".to_vec())).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("feed_message"), "{}", status.message());
    let status = client.apply_trip_updates(req("nowhere", Vec::new())).await.unwrap_err();
    assert!(status.message().starts_with("feed"), "{}", status.message());
    // A delay of ten minutes on every trip of route 375 that runs at 13:00.
    use omnibus_transit::realtime::{FeedEntity, FeedMessage, TripDescriptor, TripUpdate};
    let feed = omnibus_transit::Feed::from_zip_bytes(
        omnibus_planner::transit::PORTO_ALEGRE_BUS_GTFS,
        "eptc",
        "bundled",
    )
    .unwrap();
    let route = feed.routes.iter().position(|r| r.name == "375").unwrap() as u32;
    let entity: Vec<FeedEntity> = feed
        .trips
        .iter()
        .filter(|t| t.route == route)
        .map(|t| FeedEntity {
            id: Some(t.id.clone()),
            trip_update: Some(TripUpdate {
                trip: Some(TripDescriptor { trip_id: Some(t.id.clone()), ..TripDescriptor::default() }),
                delay: Some(600),
                ..TripUpdate::default()
            }),
            ..FeedEntity::default()
        })
        .collect();
    let n = entity.len() as u32;
    let message = FeedMessage { header: None, entity };
    let before = client.plan(request(&[Mode::Transit])).await.unwrap().into_inner();
    let r = client
        .apply_trip_updates(req("eptc", prost::Message::encode_to_vec(&message)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.trip_updates, n);
    assert!(r.matched > 0);
    let after = client.plan(request(&[Mode::Transit])).await.unwrap().into_inner();
    assert_ne!(before.itineraries, after.itineraries, "the plan did not see the delays");
}
