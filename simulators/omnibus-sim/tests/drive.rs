//! `drive` against a stand-in ingest service that rejects parking records.

use omnibus_core::City;
use omnibus_proto::v1::ingest_client::IngestClient;
use omnibus_proto::v1::ingest_server::{Ingest, IngestServer};
use omnibus_proto::v1::telemetry_record::Kind;
use omnibus_proto::v1::{BatchAck, IngestSummary, Rejection, TelemetryBatch};
use omnibus_sim::{SimConfig, Simulation, drive};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tonic::{Request, Response, Status, Streaming};

#[derive(Clone, Debug, Default)]
struct Fake {
    /// (records, parking records) of every batch.
    batches: Arc<Mutex<Vec<(usize, usize)>>>,
}

#[tonic::async_trait]
impl Ingest for Fake {
    async fn ingest(&self, _: Request<Streaming<TelemetryBatch>>) -> Result<Response<IngestSummary>, Status> {
        Err(Status::unimplemented("not in this test"))
    }

    async fn ingest_batch(&self, request: Request<TelemetryBatch>) -> Result<Response<BatchAck>, Status> {
        let batch = request.into_inner();
        let rejected: Vec<Rejection> = batch
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.kind, Some(Kind::Parking(_))))
            .map(|(i, _)| Rejection {
                index: i as u32,
                field: "parking.facility_id".into(),
                reason: "not today".into(),
            })
            .collect();
        self.batches.lock().unwrap().push((batch.records.len(), rejected.len()));
        let accepted = (batch.records.len() - rejected.len()) as u32;
        Ok(Response::new(BatchAck { accepted, rejected, log_sequence: 1 }))
    }
}

#[tokio::test]
async fn drive_sends_every_record_in_bounded_batches_and_counts_the_acks() {
    let fake = Fake::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_health, router) = omnibus_proto::serving::router();
    let router = router.add_service(IngestServer::new(fake.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(omnibus_proto::serving::serve(router, listener, async {
        let _ = stopped.await;
    }));

    let city = Arc::new(City::porto_alegre());
    let config = SimConfig { vehicles: 40, duration_s: 630, batch_size: 7, ..SimConfig::default() };
    let mut sim = Simulation::new(city, config);
    let clock = sim.clock();
    let mut client = IngestClient::connect(format!("http://{addr}")).await.unwrap();
    let mut minutes = Vec::new();
    let report = drive(&mut sim, &mut client, |stats, at| {
        assert_eq!(at, clock.now());
        minutes.push((stats.records, at));
    })
    .await
    .unwrap();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    let batches = fake.batches.lock().unwrap().clone();
    let stats = sim.stats();
    assert_eq!(minutes.len(), 11, "ten whole minutes and a last half minute");
    assert_eq!(minutes.last().unwrap().0, stats.records);
    assert!(batches.iter().all(|&(n, _)| (1..=7).contains(&n)), "{batches:?}");
    assert!(batches.len() >= 10);
    assert_eq!(report.batches, batches.len() as u64);
    assert_eq!(report.records_sent, stats.records);
    let parking: usize = batches.iter().map(|&(_, p)| p).sum();
    assert_eq!(report.rejected, parking as u64);
    assert_eq!(report.accepted + report.rejected, report.records_sent);
    assert!(report.rejected > 0, "two rounds of parking reports");
    assert_eq!(report.rejection_samples.len(), (parking).min(omnibus_sim::REJECTION_SAMPLES));
    assert!(report.rejection_samples[0].starts_with("parking.facility_id: "));
    assert_eq!(report.simulated_s, 630.0);
    assert_eq!((report.departed, report.arrived), (stats.departed, stats.arrived));
    assert!(sim.is_done());
}

/// Compile-time check: a drive can run on a spawned task.
#[allow(dead_code)]
fn the_drive_future_is_send(sim: &mut Simulation, client: &mut IngestClient<tonic::transport::Channel>) {
    fn assert_send<T: Send>(_: T) {}
    assert_send(drive(sim, client, |_, _| {}));
}
