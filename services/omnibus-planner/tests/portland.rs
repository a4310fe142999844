//! Every way of travelling, bike-share included, planned over real gRPC on a
//! second real city: central Portland's OpenStreetMap extract (with its
//! `amenity=bicycle_rental` stations and car parks) and TriMet's streetcar feed,
//! both read from the shared city data.

use omnibus_core::live::{BikeLive, LiveCity};
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{City, EventTime, LatLon};
use omnibus_planner::journey::JourneyPlanner;
use omnibus_planner::transit::TransitNetwork;
use omnibus_planner::{CarPlanner, PlannerService};
use omnibus_proto::v1::planner_client::PlannerClient;
use omnibus_proto::v1::{self as pb, Mode, PlanRequest, PlanResponse};
use omnibus_transit::gtfs::Feed;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// 08:30 on Tuesday 16 November 2021 in Portland (UTC−8), a day the feed's
/// calendar dates run the streetcar.
const T0: i64 = 1_637_080_200_000;
const PORTLAND_UTC_OFFSET_S: i32 = -8 * 3_600;

fn shared(rel: &str) -> PathBuf {
    omnibus_core::shared_data::path(rel)
}

/// A point `metres` south of `p`.
fn south(p: LatLon, metres: f64) -> LatLon {
    LatLon::new(p.lat - metres / 111_195.0, p.lon)
}

fn families(r: &PlanResponse) -> Vec<&str> {
    r.itineraries.iter().map(|i| i.family.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portland_plans_every_way_including_bike_share() {
    let city =
        Arc::new(City::load("Portland", &shared("portland/portland-central-filtered.osm.pbf")).unwrap());
    let stations: Vec<(String, LatLon)> =
        city.registry.bike_stations.iter().map(|(id, s)| (id.clone(), s.pos)).collect();
    assert_eq!(stations.len(), 2, "the extract's bicycle_rental stations: {stations:?}");
    let feed = Feed::load(&shared("portland/trimet_streetcar_2routes_gtfs.zip"), "trimet").unwrap();
    let transit = Arc::new(TransitNetwork::new(vec![feed], &city, PORTLAND_UTC_OFFSET_S));

    let live = LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap());
    let car = CarPlanner::new(city.clone(), live.clone()).with_hierarchy_now();
    let service =
        PlannerService::with_journeys(JourneyPlanner::new(car, Some(transit)), Arc::new(|| EventTime(T0)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(omnibus_planner::run(listener, std::future::pending(), service));
    let mut client = PlannerClient::connect(format!("http://{addr}")).await.unwrap();

    // From 150 m off one station to 150 m off the other.
    let (origin, destination) = (south(stations[0].1, 150.0), south(stations[1].1, 150.0));
    let request = |modes: &[Mode]| PlanRequest {
        origin: Some(pb::LatLon { lat: origin.lat, lon: origin.lon }),
        destination: Some(pb::LatLon { lat: destination.lat, lon: destination.lon }),
        depart_at_ms: T0,
        modes: modes.iter().map(|m| *m as i32).collect(),
        ..PlanRequest::default()
    };
    let every = [
        Mode::Walk,
        Mode::Bike,
        Mode::BikeShare,
        Mode::Transit,
        Mode::Car,
        Mode::ParkAndRide,
        Mode::BikeAndRide,
    ];
    let r = client.plan(request(&every)).await.unwrap().into_inner();
    let got = families(&r);
    for f in ["walk", "bike", "bike-share", "car"] {
        assert!(got.contains(&f), "{f} missing from {got:?}");
    }
    let share = r.itineraries.iter().find(|i| i.family == "bike-share").unwrap();
    let modes: Vec<i32> = share.legs.iter().map(|l| l.mode).collect();
    assert_eq!(modes, [Mode::Walk as i32, Mode::BikeShare as i32, Mode::Walk as i32]);
    let ride = &share.legs[1];
    assert_eq!(ride.charge, "bike_share");
    assert!(ride.money.as_ref().unwrap().cents > 0);
    assert_eq!(share.total.as_ref().unwrap().currency, r.itineraries[0].total.as_ref().unwrap().currency);

    // The first station out of order, neither renting nor returning (the
    // stream job's bike-share state): one station is no bike-share.
    live.write(|s| {
        s.bikes.insert(stations[0].0.clone(), BikeLive { time: EventTime(T0), bikes: 0, docks: 0 });
    });
    let r = client.plan(request(&[Mode::Walk, Mode::BikeShare])).await.unwrap().into_inner();
    assert!(!families(&r).contains(&"bike-share"), "{:?}", families(&r));
    live.write(|s| {
        s.bikes.insert(stations[0].0.clone(), BikeLive { time: EventTime(T0), bikes: 3, docks: 9 });
    });
    let r = client.plan(request(&[Mode::Walk, Mode::BikeShare])).await.unwrap().into_inner();
    assert!(families(&r).contains(&"bike-share"), "{:?}", families(&r));

    // The streetcar between two of its stops, reached on foot, by bike and by car.
    let (a, b) = transit_stops(&city);
    let streetcar = PlanRequest {
        origin: Some(pb::LatLon { lat: a.lat, lon: a.lon }),
        destination: Some(pb::LatLon { lat: b.lat, lon: b.lon }),
        ..request(&[Mode::Walk, Mode::Transit, Mode::ParkAndRide, Mode::BikeAndRide])
    };
    let r = client.plan(streetcar).await.unwrap().into_inner();
    let got = families(&r);
    for f in ["transit", "park-and-ride", "bike-and-ride"] {
        assert!(got.contains(&f), "{f} missing from {got:?}; notes {:?}", r.notes);
    }
    let ride = r.itineraries.iter().flat_map(|i| &i.legs).find(|l| l.mode == Mode::Transit as i32).unwrap();
    assert!(!ride.route.is_empty() && ride.stops.len() >= 2 && ride.co2_grams > 0);
    assert_eq!(ride.charge, "fare");
}

/// Two stops of one streetcar trip, both on the map, as far apart as any.
fn transit_stops(city: &City) -> (LatLon, LatLon) {
    let feed = Feed::load(&shared("portland/trimet_streetcar_2routes_gtfs.zip"), "trimet").unwrap();
    let mut best = (0.0, LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.0));
    for trip in feed.stop_times.chunk_by(|x, y| x.trip == y.trip).take(50) {
        let calls: Vec<LatLon> = trip
            .iter()
            .map(|st| feed.stops[st.stop as usize].pos)
            .filter(|&p| city.area.contains(p))
            .collect();
        for (i, &a) in calls.iter().enumerate() {
            for &b in &calls[i + 1..] {
                if a.distance_m(b) > best.0 {
                    best = (a.distance_m(b), a, b);
                }
            }
        }
    }
    assert!(best.0 > 500.0, "stops on the map at most {} m apart", best.0);
    (best.1, best.2)
}
