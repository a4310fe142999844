//! Simulated congestion → ingest → stream job → a toll on the pricing service
//! → the planner's car route pays that toll and takes longer. All over real
//! gRPC on loopback.

use omnibus::config::Service;
use omnibus_core::clock::ManualClock;
use omnibus_core::{EventTime, LatLon};
use omnibus_proto::v1::{
    GetPriceRequest, LatLon as PbLatLon, Mode, PlanRequest, QuoteRouteRequest, TelemetryBatch,
    TelemetryRecord, WatchPricesRequest, get_price_request::Target, ingest_client::IngestClient,
    planner_client::PlannerClient, pricing_client::PricingClient, telemetry_record::Kind,
};
use omnibus_tests::{T0, city, probe_on, start};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_stream::StreamExt;

fn plan_request(from: LatLon, to: LatLon, at: EventTime) -> PlanRequest {
    PlanRequest {
        origin: Some(PbLatLon { lat: from.lat, lon: from.lon }),
        destination: Some(PbLatLon { lat: to.lat, lon: to.lon }),
        depart_at_ms: at.0,
        modes: vec![Mode::Car as i32],
        value_of_time_cents_per_hour: 0,
        ..PlanRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn congestion_raises_a_toll_that_the_planner_charges() {
    let city = city();
    let net = &city.network;
    let clock = ManualClock::new(T0);
    let platform = start(&clock, None).await;
    let mut ingest = IngestClient::connect(platform.endpoint(Service::Ingest)).await.unwrap();
    let mut pricing = PricingClient::connect(platform.endpoint(Service::Pricing)).await.unwrap();
    let mut planner = PlannerClient::connect(platform.endpoint(Service::Planner)).await.unwrap();

    // A trip of a couple of kilometres across the centre.
    let c = net.bounds().center();
    let from = LatLon::new(c.lat - 0.008, c.lon - 0.008);
    let to = LatLon::new(c.lat + 0.008, c.lon + 0.008);
    let before = planner.plan(plan_request(from, to, T0)).await.unwrap().into_inner().itineraries.remove(0);
    assert_eq!(before.toll.as_ref().unwrap().cents, 0);
    let leg = &before.legs[0];
    assert!(leg.segment_ids.len() > 3 && before.distance_m > 1000.0, "{before:?}");

    // Congest the route and every road leaving the trip's first junction area,
    // so that any route out of the origin meets congestion.
    let first = net.segments()[leg.segment_ids[0] as usize].from;
    let origin = net.node(first).pos;
    let mut jammed: BTreeSet<u32> = leg.segment_ids.iter().map(|s| *s as u32).collect();
    for s in net.segments() {
        if net.node(s.from).pos.distance_m(origin) < 400.0 || net.node(s.to).pos.distance_m(origin) < 400.0 {
            jammed.insert(s.id.0);
        }
    }
    let mut watch = pricing
        .watch_prices(WatchPricesRequest { segment_ids: leg.segment_ids.clone() })
        .await
        .unwrap()
        .into_inner();

    // Twelve minutes of slow probes: three vehicles per jammed segment, every 30 s.
    let mut accepted = 0;
    for half_minute in 0..24i64 {
        let now = EventTime(T0.0 + half_minute * 30_000);
        clock.set(now);
        let mut records = Vec::new();
        for s in &jammed {
            let seg = &net.segments()[*s as usize];
            for v in 0..3 {
                let along = 0.25 + 0.25 * f64::from(v);
                records.push(probe_on(seg, format!("jam-{s}-{v}"), along, 0.15, now));
            }
        }
        let batches: Vec<TelemetryBatch> =
            records.chunks(1000).map(|c| TelemetryBatch { records: c.to_vec() }).collect();
        let summary = ingest.ingest(tokio_stream::iter(batches)).await.unwrap().into_inner();
        assert_eq!(
            summary.rejected_total,
            0,
            "{:?}",
            summary.batches.iter().flat_map(|b| &b.rejected).next()
        );
        accepted += summary.accepted_total;
    }
    assert_eq!(accepted, jammed.len() as u64 * 3 * 24);

    // The stream job closes minutes up to the watermark and raises the price;
    // the watch stream sees it.
    let change = tokio::time::timeout(Duration::from_secs(30), watch.next())
        .await
        .expect("a price change within 30 s")
        .unwrap()
        .unwrap();
    assert!(change.new_price.unwrap().cents > change.old_price.unwrap().cents);
    let seg0 = leg.segment_ids[0];
    let mut price = 0;
    for _ in 0..300 {
        price = pricing
            .get_price(GetPriceRequest { target: Some(Target::SegmentId(seg0)) })
            .await
            .unwrap()
            .into_inner()
            .price
            .unwrap()
            .cents;
        if price >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(price >= 100, "toll on the first segment is {price}");

    // Close every open minute so that prices stop moving under the comparisons below.
    platform.ingest.as_ref().unwrap().finish().await.unwrap();
    let after =
        planner.plan(plan_request(from, to, clock.now())).await.unwrap().into_inner().itineraries.remove(0);
    let toll = after.toll.as_ref().unwrap().cents;
    assert!(toll > 0, "{after:?}");
    assert!(after.duration_s > before.duration_s * 1.1, "{} vs {}", after.duration_s, before.duration_s);
    // The toll is what the pricing service quotes for the same segments.
    let quote = pricing
        .quote_route(QuoteRouteRequest { segment_ids: after.legs[0].segment_ids.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(quote.total.unwrap().cents, toll);
    assert!(after.legs[0].segment_ids.iter().any(|s| jammed.contains(&(*s as u32))));
    platform.stop().await.unwrap();
}

/// Every service with its gRPC name.
const SERVICES: [(Service, &str); 3] = [
    (Service::Ingest, "omnibus.v1.Ingest"),
    (Service::Pricing, "omnibus.v1.Pricing"),
    (Service::Planner, "omnibus.v1.Planner"),
];

async fn channel(platform: &omnibus::Platform, service: Service) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(platform.endpoint(service)).unwrap().connect().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_answers_health_checks() {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let clock = ManualClock::new(T0);
    let platform = start(&clock, None).await;
    for (service, name) in SERVICES {
        let channel = channel(&platform, service).await;
        let mut health = HealthClient::new(channel);
        let status =
            health.check(HealthCheckRequest { service: name.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{name}");
    }
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_every_service_as_grpcurl_would_see_it() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let clock = ManualClock::new(T0);
    let platform = start(&clock, None).await;
    for (service, name) in SERVICES {
        let channel = channel(&platform, service).await;
        let mut client = ServerReflectionClient::new(channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses =
            client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let response = responses.next().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("not a service list: {response:?}")
        };
        let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&name), "{names:?}");
        assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
        // The file describing the service is served too, so requests can be built from it.
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(name.into())),
        };
        let mut responses =
            client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let response = responses.next().await.unwrap().unwrap();
        assert!(
            matches!(response.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()),
            "{response:?}"
        );
    }
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parking_occupancy_reaches_the_pricing_service() {
    use omnibus_proto::v1::{GetParkingRequest, ParkingOccupancy};
    let city = city();
    let Some((facility, site)) = city.registry.parking.iter().next() else { return };
    let clock = ManualClock::new(T0);
    let platform = start(&clock, None).await;
    let mut ingest = IngestClient::connect(platform.endpoint(Service::Ingest)).await.unwrap();
    let mut pricing = PricingClient::connect(platform.endpoint(Service::Pricing)).await.unwrap();
    let occupied = site.capacity * 9 / 10;
    let report = TelemetryRecord {
        kind: Some(Kind::Parking(ParkingOccupancy {
            facility_id: facility.clone(),
            time_ms: T0.0,
            occupied,
            capacity: site.capacity,
        })),
    };
    let ack = ingest.ingest_batch(TelemetryBatch { records: vec![report] }).await.unwrap().into_inner();
    assert_eq!(ack.accepted, 1);
    platform.ingest.as_ref().unwrap().finish().await.unwrap();
    let state =
        pricing.get_parking(GetParkingRequest { facility_id: facility.clone() }).await.unwrap().into_inner();
    assert_eq!((state.occupied, state.capacity, state.reported_at_ms), (occupied, site.capacity, T0.0));
    // No review period has ended yet: the initial SFpark price.
    assert_eq!(state.price_per_hour.unwrap().cents, 200);
    let err = pricing.get_parking(GetParkingRequest { facility_id: "garage-x".into() }).await.unwrap_err();
    assert!(err.message().starts_with("facility_id"), "{}", err.message());
    platform.stop().await.unwrap();
}
