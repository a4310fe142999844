//! Bad telemetry and bad policies get a clear error naming the field; the good
//! records of the same batch are accepted, durable, and survive a restart.

use omnibus::config::Service;
use omnibus_core::clock::ManualClock;
use omnibus_core::{Meters, SegmentId};
use omnibus_proto::v1::{
    BikeStationStatus, ChargePeriod, ClassBand, ClassBandPolicy, CordonPolicy as PbCordon, GetCordonRequest,
    GetPolicyRequest, GetPriceRequest, LoopDetectorCount, MarginalCostPolicy, ParkingOccupancy, Policy,
    SetPolicyRequest, SpeedBandPolicy, TelemetryBatch, TelemetryRecord, VehicleProbe,
    get_price_request::Target, ingest_client::IngestClient, policy::Rule, pricing_client::PricingClient,
    telemetry_record::Kind,
};
use omnibus_tests::{T0, city, start};
use tonic::Code;

fn probe(id: &str, time_ms: i64, lat: f64, lon: f64, speed: f64, heading: f64) -> TelemetryRecord {
    TelemetryRecord {
        kind: Some(Kind::Probe(VehicleProbe {
            vehicle_id: id.into(),
            time_ms,
            lat,
            lon,
            speed_mps: speed,
            heading_deg: heading,
        })),
    }
}

fn good_probe(i: u32) -> TelemetryRecord {
    let city = city();
    let seg = &city.network.segments()[SegmentId(i * 10).index()];
    let (p, h) = seg.point_at(Meters(seg.length.0 / 2.0));
    probe(&format!("good-{i}"), T0.0, p.lat, p.lon, 8.0, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_record_is_named_and_the_good_ones_are_kept() {
    let city = city();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let platform = start(&clock, Some(dir.path().to_path_buf())).await;
    let mut ingest = IngestClient::connect(platform.endpoint(Service::Ingest)).await.unwrap();
    let c = city.network.bounds().center();
    let detector = city.registry.detectors.keys().next().unwrap().clone();
    let parking = city.registry.parking.keys().next().cloned();
    let records = vec![
        good_probe(0),
        probe("nan", T0.0, f64::NAN, c.lon, 5.0, 0.0),
        good_probe(1),
        probe("far", T0.0, 48.85, 2.35, 5.0, 0.0),
        probe("future", T0.0 + 3_600_000, c.lat, c.lon, 5.0, 0.0),
        probe("", T0.0, c.lat, c.lon, 5.0, 0.0),
        probe("fast", T0.0, c.lat, c.lon, 500.0, 0.0),
        probe("turn", T0.0, c.lat, c.lon, 5.0, 400.0),
        TelemetryRecord {
            kind: Some(Kind::LoopCount(LoopDetectorCount {
                detector_id: "loop-nowhere".into(),
                time_ms: T0.0,
                interval_s: 60,
                vehicle_count: 3,
                occupancy: 0.1,
            })),
        },
        TelemetryRecord {
            kind: Some(Kind::LoopCount(LoopDetectorCount {
                detector_id: detector,
                time_ms: T0.0,
                interval_s: 60,
                vehicle_count: 12,
                occupancy: 0.2,
            })),
        },
        TelemetryRecord {
            kind: Some(Kind::Parking(ParkingOccupancy {
                facility_id: "garage-that-is-not-there".into(),
                time_ms: T0.0,
                occupied: 1,
                capacity: 10,
            })),
        },
        TelemetryRecord {
            kind: Some(Kind::BikeStation(BikeStationStatus {
                station_id: "bike-unknown".into(),
                time_ms: T0.0,
                num_bikes_available: 1,
                num_docks_available: 1,
                is_renting: true,
                is_returning: true,
            })),
        },
        TelemetryRecord { kind: None },
        good_probe(2),
    ];
    let ack = ingest.ingest_batch(TelemetryBatch { records }).await.unwrap().into_inner();
    let rejected: Vec<(u32, &str)> = ack.rejected.iter().map(|r| (r.index, r.field.as_str())).collect();
    assert_eq!(
        rejected,
        vec![
            (1, "probe.lat"),
            (3, "probe.lat"),
            (4, "probe.time_ms"),
            (5, "probe.vehicle_id"),
            (6, "probe.speed_mps"),
            (7, "probe.heading_deg"),
            (8, "loop_count.detector_id"),
            (10, "parking.facility_id"),
            (11, "bike_station.station_id"),
            (12, "kind"),
        ]
    );
    assert!(ack.rejected[1].reason.contains("outside Porto Alegre"), "{}", ack.rejected[1].reason);
    assert!(ack.rejected[2].reason.contains("ahead of the service clock"), "{}", ack.rejected[2].reason);
    assert!(ack.rejected[6].reason.contains("not registered"), "{}", ack.rejected[6].reason);
    assert_eq!(ack.accepted, 4);
    assert_eq!(ack.log_sequence, 1);

    // What was acknowledged is on disk: the log holds exactly the 4 good records.
    let (_, recovered) = omnibus_ingest::wal::Wal::open(dir.path(), false).unwrap();
    assert_eq!(recovered.batches.len(), 1);
    assert_eq!(recovered.batches[0].records.len(), 4);

    // A parking report with a registered id but more cars than spaces.
    if let Some(parking) = parking {
        let ack = ingest
            .ingest_batch(TelemetryBatch {
                records: vec![TelemetryRecord {
                    kind: Some(Kind::Parking(ParkingOccupancy {
                        facility_id: parking,
                        time_ms: T0.0,
                        occupied: 11,
                        capacity: 10,
                    })),
                }],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ack.rejected[0].field, "parking.occupied");
    }

    // An empty batch is refused whole.
    let err = ingest.ingest_batch(TelemetryBatch { records: vec![] }).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("records:"), "{}", err.message());

    // An oversized batch: the first 5,000 records are taken, the rest refused by index.
    let records: Vec<_> = (0..5_003).map(|i| good_probe(i % 50)).collect();
    let ack = ingest.ingest_batch(TelemetryBatch { records }).await.unwrap().into_inner();
    assert_eq!(ack.accepted, 5_000);
    assert_eq!(ack.rejected.iter().map(|r| r.index).collect::<Vec<_>>(), vec![5_000, 5_001, 5_002]);
    assert!(ack.rejected.iter().all(|r| r.field == "records"));

    // A message over the size limit is refused by the transport, not half-read.
    let huge = vec![probe(&"x".repeat(1_000_000), T0.0, 0.0, 0.0, 0.0, 0.0); 10];
    let err = ingest.ingest_batch(TelemetryBatch { records: huge }).await.unwrap_err();
    assert!(matches!(err.code(), Code::ResourceExhausted | Code::OutOfRange), "{err:?}");

    // Late records: once the job has closed a minute, a record in it is refused.
    clock.set(omnibus_core::EventTime(T0.0 + 10 * 60_000));
    let ack =
        ingest.ingest_batch(TelemetryBatch { records: vec![probe_at(T0.0 + 9 * 60_000)] }).await.unwrap();
    assert_eq!(ack.into_inner().accepted, 1);
    let ack = ingest
        .ingest_batch(TelemetryBatch { records: vec![probe_at(T0.0 + 9 * 60_000), probe_at(T0.0 + 60_000)] })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ack.accepted, 1);
    assert_eq!(ack.rejected[0].index, 1);
    assert!(ack.rejected[0].reason.contains("already closed"), "{}", ack.rejected[0].reason);

    platform.stop().await.unwrap();

    // A restart replays the log into a fresh stream job.
    let (_, recovered) = omnibus_ingest::wal::Wal::open(dir.path(), false).unwrap();
    assert_eq!(recovered.batches.iter().map(|b| b.records.len()).sum::<usize>(), 4 + 5_000 + 2);
    let clock = ManualClock::new(omnibus_core::EventTime(T0.0 + 10 * 60_000));
    let platform = start(&clock, Some(dir.path().to_path_buf())).await;
    let mut probes = 0;
    for _ in 0..200 {
        probes = platform.live.read(|s| s.counters.probes);
        if probes == 3 + 5_000 + 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Every logged probe (the fourth record of the first batch is a loop count).
    assert_eq!(probes, 3 + 5_000 + 2);
    platform.stop().await.unwrap();
}

fn marginal_rule() -> Option<Rule> {
    Some(Rule::MarginalCost(MarginalCostPolicy {
        value_of_time_cents_per_hour: 2_500,
        cap_cents: 1_000,
        flow_window_minutes: 5,
    }))
}

fn probe_at(time_ms: i64) -> TelemetryRecord {
    let mut r = good_probe(3);
    if let Some(Kind::Probe(p)) = r.kind.as_mut() {
        p.time_ms = time_ms;
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_policies_are_refused_and_change_nothing() {
    let clock = ManualClock::new(T0);
    let platform = start(&clock, None).await;
    let mut pricing = PricingClient::connect(platform.endpoint(Service::Pricing)).await.unwrap();
    let before = pricing.get_policy(GetPolicyRequest {}).await.unwrap().into_inner();
    let band = |cap: i64, floor: i64, fraction: f64| Policy {
        rule: Some(Rule::SpeedBand(SpeedBandPolicy {
            target_speed_fraction: fraction,
            step_cents: 25,
            floor_cents: floor,
            cap_cents: cap,
            window_minutes: 5,
        })),
        parking: None,
        express_lanes: None,
        cordon: None,
        currency: "BRL".into(),
    };
    for (policy, field) in [
        (band(-1, 0, 0.5), "speed_band.cap_cents"),
        (band(100, 200, 0.5), "speed_band.cap_cents"),
        (band(100, 0, f64::NAN), "speed_band.target_speed_fraction"),
        (
            Policy { rule: None, parking: None, cordon: None, currency: "BRL".into(), ..Policy::default() },
            "policy.rule",
        ),
    ] {
        let err = pricing
            .set_policy(SetPolicyRequest {
                policy: Some(policy),
                author: "auditor".into(),
                effective_from_ms: 0,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.message().starts_with(field), "{} should name {field}", err.message());
    }
    assert_eq!(pricing.get_policy(GetPolicyRequest {}).await.unwrap().into_inner(), before);

    let set = pricing
        .set_policy(SetPolicyRequest {
            policy: Some(band(800, 0, 0.6)),
            author: "authority".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.version, before.version + 1);
    assert_eq!(pricing.get_policy(GetPolicyRequest {}).await.unwrap().into_inner(), set);
    assert_eq!(platform.live.policies(|p| p.history().len()), 2);

    // ERP class bands and marginal cost: a bad road class is named by index;
    // good ones round-trip and are versioned.
    let erp = |class: &str| Policy {
        rule: Some(Rule::ClassBands(ClassBandPolicy {
            bands: vec![
                // Returned in road-class order: the larger roads first.
                ClassBand { road_class: class.into(), min_kmh: 45.0, max_kmh: 65.0 },
                ClassBand { road_class: "primary".into(), min_kmh: 20.0, max_kmh: 30.0 },
            ],
            step_cents: 50,
            floor_cents: 0,
            cap_cents: 600,
            review_minutes: 15,
        })),
        parking: None,
        express_lanes: None,
        cordon: None,
        currency: "BRL".into(),
    };
    let err = pricing
        .set_policy(SetPolicyRequest {
            policy: Some(erp("freeway")),
            author: "a".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap_err();
    assert!(err.message().starts_with("class_bands.bands[0].road_class"), "{}", err.message());
    let set = pricing
        .set_policy(SetPolicyRequest {
            policy: Some(erp("motorway")),
            author: "a".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.version, 3);
    assert_eq!(set.policy.unwrap().rule, erp("motorway").rule);
    let marginal = Policy {
        rule: Some(Rule::MarginalCost(MarginalCostPolicy {
            value_of_time_cents_per_hour: 2_500,
            cap_cents: 1_000,
            flow_window_minutes: 5,
        })),
        parking: None,
        express_lanes: None,
        cordon: None,
        currency: "BRL".into(),
    };
    let set = pricing
        .set_policy(SetPolicyRequest {
            policy: Some(marginal.clone()),
            author: "a".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((set.version, set.policy.unwrap().rule), (4, marginal.rule));
    // Cordons: overlapping schedules and zones outside the city are refused;
    // a good one is put in force and reported.
    let c = platform.city.network.bounds().center();
    let cordon = |zone_lat: f64, second_from: u32| Policy {
        rule: marginal_rule(),
        parking: None,
        express_lanes: None,
        cordon: Some(PbCordon {
            name: "centro".into(),
            zone: [(-0.01, -0.01), (-0.01, 0.01), (0.01, 0.01), (0.01, -0.01)]
                .iter()
                .map(|(a, b)| omnibus_proto::v1::LatLon { lat: zone_lat + a, lon: c.lon + b })
                .collect(),
            schedule: vec![
                ChargePeriod { from_minute: 420, to_minute: 540, charge_cents: 600 },
                ChargePeriod { from_minute: second_from, to_minute: 1_000, charge_cents: 300 },
            ],
            daily_cap_cents: 1_500,
            single_charge_minutes: 60,
            utc_offset_minutes: -180,
        }),
        currency: "BRL".into(),
    };
    for (policy, field) in
        [(cordon(c.lat, 500), "cordon.schedule[1]"), (cordon(48.85, 600), "cordon.zone[0]")]
    {
        let err = pricing
            .set_policy(SetPolicyRequest { policy: Some(policy), author: "a".into(), effective_from_ms: 0 })
            .await
            .unwrap_err();
        assert!(err.message().starts_with(field), "{} should name {field}", err.message());
    }
    let err = pricing.get_cordon(GetCordonRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    pricing
        .set_policy(SetPolicyRequest {
            policy: Some(cordon(c.lat, 600)),
            author: "a".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap();
    let state = pricing.get_cordon(GetCordonRequest {}).await.unwrap().into_inner();
    assert_eq!((state.name.as_str(), state.passages), ("centro", 0));

    // Express lanes: unknown or disconnected segments and max below min are
    // refused; a good zone is put in force and priced by name.
    let net = &platform.city.network;
    let s0 = net.segments()[0].clone();
    let s1 = net.segments().iter().find(|s| s.from == s0.to && s.to != s0.from).unwrap().clone();
    let s_far = net.segments().iter().find(|s| s.from != s0.to).unwrap().id;
    let express = |segments: Vec<u64>, max_cents: i64| Policy {
        rule: marginal_rule(),
        express_lanes: Some(omnibus_proto::v1::ExpressLanePolicy {
            zones: vec![omnibus_proto::v1::ExpressZone { name: "corridor".into(), segment_ids: segments }],
            max_cents,
            ..Default::default()
        }),
        currency: "BRL".into(),
        ..Policy::default()
    };
    let (a, b) = (u64::from(s0.id.0), u64::from(s1.id.0));
    for (policy, field) in [
        (express(vec![a, 99_999_999], 0), "express_lanes.zones[0].segments[1]"),
        (express(vec![a, u64::from(s_far.0)], 0), "express_lanes.zones[0].segments[1]"),
        (express(vec![a, b], 10), "express_lanes.max_cents"),
    ] {
        let err = pricing
            .set_policy(SetPolicyRequest { policy: Some(policy), author: "a".into(), effective_from_ms: 0 })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.message().starts_with(field), "{} should name {field}", err.message());
    }
    let zone = |name: &str| GetPriceRequest { target: Some(Target::ZoneId(name.into())) };
    assert_eq!(pricing.get_price(zone("corridor")).await.unwrap_err().code(), Code::NotFound);
    pricing
        .set_policy(SetPolicyRequest {
            policy: Some(express(vec![a, b], 0)),
            author: "a".into(),
            effective_from_ms: 0,
        })
        .await
        .unwrap();
    let price = pricing.get_price(zone("corridor")).await.unwrap().into_inner();
    // MnPASS's minimum until the first review.
    assert_eq!((price.zone_id.as_str(), price.price.unwrap().cents, price.segment_id), ("corridor", 25, a));
    let err = pricing.get_price(zone("elsewhere")).await.unwrap_err();
    assert!(err.message().starts_with("zone_id: \"elsewhere\""), "{}", err.message());

    // The audit log names who changed what, from when, refused attempts excluded.
    let history = pricing.policy_history(GetPolicyRequest {}).await.unwrap().into_inner().versions;
    let authors: Vec<(u64, &str)> = history.iter().map(|v| (v.version, v.author.as_str())).collect();
    assert_eq!(authors, vec![(1, "configuration"), (2, "authority"), (3, "a"), (4, "a"), (5, "a"), (6, "a")]);
    platform.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_is_told_to_wait_and_nothing_of_that_batch_is_taken() {
    let clock = ManualClock::new(T0);
    let mut config = omnibus::config::Config {
        server: omnibus::config::ServerConfig::ephemeral(),
        ..omnibus::config::Config::default()
    };
    // One record a second: a second batch sent right after the first must wait a second.
    config.ingest.limits.max_records_per_second_per_client = 1;
    let platform = omnibus::Platform::start(city(), clock.clock(), &config, None).await.unwrap();
    let mut ingest = IngestClient::connect(platform.endpoint(Service::Ingest)).await.unwrap();
    let batch = || TelemetryBatch { records: vec![good_probe(1)] };
    assert_eq!(ingest.ingest_batch(batch()).await.unwrap().into_inner().accepted, 1);
    let err = ingest.ingest_batch(batch()).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(err.message().starts_with("records: client 127.0.0.1 is over its limit"), "{}", err.message());
    let counters = platform.ingest.as_ref().unwrap().counters();
    assert_eq!(counters.accepted.load(std::sync::atomic::Ordering::Relaxed), 1);
    platform.stop().await.unwrap();
}
