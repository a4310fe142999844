//! The Linear Road service over real gRPC on loopback: a generated workload
//! replayed second by second gets exactly the sequential rules' outputs, with
//! one worker and with several; bad tuples are refused one by one, naming the
//! field, while the good ones of the same message count; a second that goes
//! back ends the run with INVALID_ARGUMENT naming `second`.

use omnibus_linear_road::{History, Output, run};
use omnibus_lr::LinearRoadService;
use omnibus_proto::v1::linear_road_client::LinearRoadClient;
use omnibus_proto::v1::linear_road_output::Kind;
use omnibus_proto::v1::{LinearRoadInput, LinearRoadResult, LinearRoadTuple};
use omnibus_sim::linear_road::{LrConfig, generate, segment_history};
use omnibus_sim::lr_rating::replay;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

async fn serve(history: Arc<History>, workers: usize) -> (LinearRoadClient<Channel>, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let service = LinearRoadService::new(history, workers, omnibus_core::clock::system_clock());
    tokio::spawn(omnibus_lr::run(
        listener,
        async {
            let _ = stopped.await;
        },
        service,
    ));
    (LinearRoadClient::connect(format!("http://{addr}")).await.unwrap(), stop)
}

fn from_wire(r: &LinearRoadResult) -> Output {
    match r.r#type {
        0 => Output::Toll { vid: r.vid, time: r.time, lav: r.lav, toll: r.toll },
        1 => Output::Accident { vid: r.vid, time: r.time, seg: r.seg },
        2 => Output::Balance { time: r.time, qid: r.qid, result_time: r.result_time, balance: r.balance },
        3 => Output::DailyExpenditure { time: r.time, qid: r.qid, balance: r.balance },
        4 => Output::TravelTime { time: r.time, qid: r.qid, travel_time: r.travel_time, toll: r.toll },
        t => panic!("unknown output type {t}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_over_grpc_equals_the_sequential_rules_with_one_and_three_workers() {
    let config = LrConfig {
        seed: 11,
        xways: 2,
        duration_s: 1_200,
        peak_arrivals_per_minute: 1_200,
        ramp_from: 0.6,
        jam_cars: 120,
        accident_every_s: 300,
        balance_query_rate: 0.02,
        daily_query_rate: 0.01,
        travel_query_rate: 0.01,
        ..LrConfig::default()
    };
    let tolls: Vec<_> = (0..3_000u32).map(|v| (v, 1 + v % 69, v % 2, (v * 3) % 50)).collect();
    let history = Arc::new(History::new(&tolls, segment_history(11, 2)));
    let tuples = generate(&config);
    let mut want = run(&tuples, &history);
    want.sort();
    assert!(want.iter().any(|o| matches!(o, Output::Toll { toll, .. } if *toll > 0)));
    assert!(want.iter().any(|o| matches!(o, Output::Accident { .. })));
    for workers in [1, 3] {
        let (mut client, stop) = serve(history.clone(), workers).await;
        // 1,000 times real time: as fast as the service takes it.
        let r = replay(&mut client, config.clone(), 1_000.0, true, |_| {}).await.unwrap();
        assert_eq!((r.tuples, r.accepted, r.refused), (tuples.len() as u64, tuples.len() as u64, 0));
        assert_eq!(r.seconds, 1_200);
        assert!(r.results.iter().all(|x| x.emit_ms / 1_000 == u64::from(x.emit)));
        let mut got: Vec<Output> = r.results.iter().map(from_wire).collect();
        got.sort();
        assert_eq!(got.len(), want.len(), "{workers} workers");
        assert!(got == want, "{workers} workers: outputs differ");
        assert_eq!(r.latencies.count(), want.len() as u64);
        let _ = stop.send(());
    }
}

/// Reads a run's responses until the error that ends it.
async fn run_error(responses: &mut tonic::Streaming<omnibus_proto::v1::LinearRoadOutput>) -> tonic::Status {
    loop {
        match responses.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the run ended without an error"),
            Err(status) => return status,
        }
    }
}

fn report(time: i64, vid: i64, speed: i64) -> LinearRoadTuple {
    LinearRoadTuple {
        r#type: 0,
        time,
        vid,
        speed,
        xway: 0,
        lane: 1,
        dir: 0,
        seg: 3,
        pos: 3 * 5_280,
        ..LinearRoadTuple::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tuples_are_refused_by_field_and_a_second_that_goes_back_ends_the_run() {
    let (mut client, _stop) = serve(Arc::new(History::default()), 2).await;
    let (tx, rx) = mpsc::channel(8);
    let mut responses = client.run(ReceiverStream::new(rx)).await.unwrap().into_inner();
    let first = LinearRoadInput {
        second: 0,
        tuples: vec![
            report(0, 1, 30),
            report(0, 2, 300),
            report(5, 3, 30),
            LinearRoadTuple { r#type: 7, ..LinearRoadTuple::default() },
            LinearRoadTuple { r#type: 0, time: 0, vid: -4, ..LinearRoadTuple::default() },
        ],
        second_complete: true,
    };
    tx.send(first).await.unwrap();
    let mut ack = None;
    let mut outputs = Vec::new();
    while ack.is_none() || outputs.is_empty() {
        match responses.message().await.unwrap().unwrap().kind {
            Some(Kind::Ack(a)) => ack = Some(a),
            Some(Kind::Results(r)) => outputs.extend(r.results.iter().map(from_wire)),
            None => {}
        }
    }
    let ack = ack.unwrap();
    assert_eq!(ack.accepted, 1);
    let refused: Vec<(u32, &str)> = ack.rejected.iter().map(|r| (r.index, r.field.as_str())).collect();
    assert_eq!(refused, vec![(1, "tuples.Spd"), (2, "tuples.Time"), (3, "tuples.Type"), (4, "tuples.VID")]);
    assert!(ack.rejected[0].reason.contains("300"), "{:?}", ack.rejected[0]);
    // The good tuple of the same message was processed.
    assert_eq!(outputs, vec![Output::Toll { vid: 1, time: 0, lav: 0, toll: 0 }]);

    // Second 0 is complete: sending it again ends the run.
    tx.send(LinearRoadInput { second: 0, tuples: vec![report(0, 9, 30)], second_complete: true })
        .await
        .unwrap();
    let status = run_error(&mut responses).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().starts_with("second: 0 is already complete"), "{}", status.message());

    // Seconds never go back, even before they are complete.
    let (tx, rx) = mpsc::channel(8);
    let mut responses = client.run(ReceiverStream::new(rx)).await.unwrap().into_inner();
    tx.send(LinearRoadInput { second: 5, tuples: vec![report(5, 1, 30)], second_complete: false })
        .await
        .unwrap();
    tx.send(LinearRoadInput { second: 3, tuples: vec![report(3, 2, 30)], second_complete: false })
        .await
        .unwrap();
    let status = run_error(&mut responses).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().starts_with("second: 3 comes after second 5"), "{}", status.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_serves_linear_road_with_the_history_files_it_is_given() {
    use omnibus::config::{Config, ServerConfig, Service};
    let dir = tempfile::tempdir().unwrap();
    let tolls = dir.path().join("tolls.dat");
    let segments = dir.path().join("segments.dat");
    std::fs::write(&tolls, "5,3,0,10\n5,3,0,7\n").unwrap();
    // Tuesday 08:00–08:15, eastbound: segment 10 at 30 mph (toll 8), segment 11 at 20 mph (toll 50).
    std::fs::write(&segments, "0,0,10,2,32,30,8\n0,0,11,2,32,20,50\n").unwrap();
    let mut config = Config {
        server: ServerConfig::ephemeral(),
        services: vec![Service::LinearRoad],
        ..Config::default()
    };
    config.linear_road.toll_history = Some(tolls.clone());
    config.linear_road.segment_history = Some(segments.clone());
    let platform =
        omnibus::Platform::start(omnibus_tests::city(), omnibus_core::clock::system_clock(), &config, None)
            .await
            .unwrap();
    let mut client = LinearRoadClient::connect(platform.endpoint(Service::LinearRoad)).await.unwrap();
    let (tx, rx) = mpsc::channel(4);
    let mut responses = client.run(ReceiverStream::new(rx)).await.unwrap().into_inner();
    let query = |r#type: i64, qid: i64| LinearRoadTuple {
        r#type,
        time: 7,
        vid: 5,
        qid,
        xway: 0,
        day: 3,
        s_init: 10,
        s_end: 11,
        dow: 2,
        tod: 480,
        ..LinearRoadTuple::default()
    };
    tx.send(LinearRoadInput { second: 7, tuples: vec![query(3, 1), query(4, 2)], second_complete: true })
        .await
        .unwrap();
    drop(tx);
    let mut got = Vec::new();
    while let Some(msg) = responses.message().await.unwrap() {
        if let Some(Kind::Results(r)) = msg.kind {
            got.extend(r.results.iter().map(from_wire));
        }
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            Output::DailyExpenditure { time: 7, qid: 1, balance: 17 },
            Output::TravelTime { time: 7, qid: 2, travel_time: 300, toll: 58 }
        ]
    );
    platform.stop().await.unwrap();

    // A bad history file stops the start, naming the file, line and field.
    std::fs::write(&segments, "0,0,10,2,32,30,8\n0,0,11,9,32,20,50\n").unwrap();
    let err =
        omnibus::Platform::start(omnibus_tests::city(), omnibus_core::clock::system_clock(), &config, None)
            .await
            .err()
            .unwrap();
    let text = format!("{err:#}");
    assert!(text.contains("segments.dat:2: DOW"), "{text}");
}
