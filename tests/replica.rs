//! Services in separate platforms (as separate processes would run them): a
//! stream node runs ingest + pricing; a replica runs pricing + planner, mirrors
//! the node's live state over gRPC and forwards policy changes to it.

use omnibus::Platform;
use omnibus::config::{Config, ServerConfig, Service};
use omnibus_core::EventTime;
use omnibus_core::clock::ManualClock;
use omnibus_proto::v1::{
    GetPolicyRequest, GetPriceRequest, LatLon as PbLatLon, Mode, PlanRequest, Policy, SetPolicyRequest,
    SpeedBandPolicy, TelemetryBatch, get_price_request::Target, ingest_client::IngestClient,
    planner_client::PlannerClient, policy::Rule, pricing_client::PricingClient,
};
use omnibus_tests::{T0, city, probe_on};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_mirrors_prices_and_forwards_policy_changes() {
    let city = city();
    let clock = ManualClock::new(T0);
    let node_config = Config {
        services: vec![Service::Ingest, Service::Pricing],
        server: ServerConfig::ephemeral(),
        ..Config::default()
    };
    let node = Platform::start(city.clone(), clock.clock(), &node_config, None).await.unwrap();
    let mut replica_config = Config {
        services: vec![Service::Pricing, Service::Planner],
        server: ServerConfig::ephemeral(),
        ..Config::default()
    };
    replica_config.upstream.pricing = Some(node.endpoint(Service::Pricing));
    let replica = Platform::start(city.clone(), clock.clock(), &replica_config, None).await.unwrap();
    assert!(replica.ingest.is_none());

    // A free-flow plan on the replica.
    let seg = &city.network.segments()[1234];
    let (start, end) = (city.network.node(seg.from).pos, city.network.node(seg.to).pos);
    let mut planner = PlannerClient::connect(replica.endpoint(Service::Planner)).await.unwrap();
    let request = |at: EventTime| PlanRequest {
        origin: Some(PbLatLon { lat: start.lat, lon: start.lon }),
        destination: Some(PbLatLon { lat: end.lat, lon: end.lon }),
        depart_at_ms: at.0,
        modes: vec![Mode::Car as i32],
        value_of_time_cents_per_hour: 1_000_000,
        ..PlanRequest::default()
    };
    let before = planner.plan(request(T0)).await.unwrap().into_inner().itineraries.remove(0);

    // Jam every segment leaving the trip's first junction, on the node.
    let jammed: Vec<_> = city.network.outgoing(seg.from).to_vec();
    let mut ingest = IngestClient::connect(node.endpoint(Service::Ingest)).await.unwrap();
    for half_minute in 0..20i64 {
        let now = EventTime(T0.0 + half_minute * 30_000);
        clock.set(now);
        let records = jammed
            .iter()
            .flat_map(|s| {
                let seg = &city.network.segments()[s.index()];
                (0..3).map(move |v| probe_on(seg, format!("r-{s}-{v}"), 0.5, 0.1, now))
            })
            .collect();
        let ack = ingest.ingest_batch(TelemetryBatch { records }).await.unwrap().into_inner();
        assert!(ack.rejected.is_empty(), "{:?}", ack.rejected);
    }

    // The replica's pricing service sees the node's tolls, on every jammed
    // segment (they are mirrored one by one, so wait for all of them).
    let mut replica_pricing = PricingClient::connect(replica.endpoint(Service::Pricing)).await.unwrap();
    let mut price = 0;
    for _ in 0..300 {
        let mut lowest = i64::MAX;
        for s in &jammed {
            let p = replica_pricing
                .get_price(GetPriceRequest { target: Some(Target::SegmentId(u64::from(s.0))) })
                .await
                .unwrap()
                .into_inner();
            lowest = lowest.min(p.price.unwrap().cents);
        }
        price = lowest;
        if price > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(price > 0, "the replica never saw a toll");
    let after = planner.plan(request(clock.now())).await.unwrap().into_inner().itineraries.remove(0);
    assert!(after.toll.unwrap().cents > 0);
    assert!(after.duration_s > before.duration_s);

    // A policy set on the replica lands in the node's store.
    let policy = Policy {
        rule: Some(Rule::SpeedBand(SpeedBandPolicy {
            target_speed_fraction: 0.4,
            step_cents: 10,
            floor_cents: 0,
            cap_cents: 300,
            window_minutes: 3,
        })),
        parking: None,
        express_lanes: None,
        cordon: None,
        currency: "BRL".into(),
    };
    let set = replica_pricing
        .set_policy(SetPolicyRequest {
            policy: Some(policy),
            author: "replica-user".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.version, 2);
    assert_eq!(node.live.policies(|p| p.latest().author.clone()), "replica-user");
    let mut node_pricing = PricingClient::connect(node.endpoint(Service::Pricing)).await.unwrap();
    assert_eq!(node_pricing.get_policy(GetPolicyRequest {}).await.unwrap().into_inner(), set);

    replica.stop().await.unwrap();
    node.stop().await.unwrap();
}
