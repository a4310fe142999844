//! Driving a simulation against the ingest service over gRPC.

use crate::sim::{SimStats, Simulation};
use omnibus_core::EventTime;
use omnibus_proto::v1::ingest_client::IngestClient;
use omnibus_proto::v1::{TelemetryBatch, TelemetryRecord};
use std::fmt;
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// Rejection reasons kept in a [`SimReport`].
pub const REJECTION_SAMPLES: usize = 5;

/// Why a drive stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The ingest service answered an RPC with an error status.
    #[error("ingest RPC failed: {0}")]
    Status(Box<tonic::Status>),
    /// The connection to the ingest service failed.
    #[error("cannot reach the ingest service: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl From<tonic::Status> for SimError {
    fn from(status: tonic::Status) -> Self {
        SimError::Status(Box::new(status))
    }
}

/// The outcome of [`drive`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimReport {
    /// Records sent to the ingest service.
    pub records_sent: u64,
    /// `IngestBatch` requests sent.
    pub batches: u64,
    /// Records the service accepted.
    pub accepted: u64,
    /// Records the service rejected.
    pub rejected: u64,
    /// The first few rejections, as `field: reason`.
    pub rejection_samples: Vec<String>,
    /// Simulated seconds covered.
    pub simulated_s: f64,
    /// Vehicles that entered the network.
    pub departed: u64,
    /// Vehicles that reached their destination.
    pub arrived: u64,
    /// Wall-clock time of the drive.
    pub wall: Duration,
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} s simulated in {:.1} s: {} vehicles departed, {} arrived; {} records in {} batches, {} accepted, {} rejected",
            self.simulated_s,
            self.wall.as_secs_f64(),
            self.departed,
            self.arrived,
            self.records_sent,
            self.batches,
            self.accepted,
            self.rejected
        )
    }
}

/// Connects to the ingest service at `endpoint` (e.g. `http://127.0.0.1:50051`).
pub async fn connect(endpoint: String) -> Result<IngestClient<Channel>, SimError> {
    Ok(IngestClient::connect(endpoint).await?)
}

/// Runs `sim` to the end of its horizon, sending its records to the ingest
/// service with the unary `IngestBatch` RPC in batches of at most
/// `config.batch_size` records, flushing at least once per simulated minute,
/// and calling `on_minute` with the totals after each simulated minute (and
/// once at the end of a final partial minute).
pub async fn drive(
    sim: &mut Simulation,
    client: &mut IngestClient<Channel>,
    mut on_minute: impl FnMut(&SimStats, EventTime),
) -> Result<SimReport, SimError> {
    let started = Instant::now();
    let batch_size = sim.config().batch_size.max(1);
    let first_ms = sim.elapsed_ms();
    let mut report = SimReport::default();
    let mut pending: Vec<TelemetryRecord> = Vec::with_capacity(batch_size);
    let mut minute = first_ms.div_euclid(60_000);
    while !sim.is_done() {
        pending.extend(sim.step());
        while pending.len() >= batch_size {
            let batch: Vec<TelemetryRecord> = pending.drain(..batch_size).collect();
            send(client, batch, &mut report).await?;
        }
        let now_minute = sim.elapsed_ms().div_euclid(60_000);
        if now_minute != minute || sim.is_done() {
            minute = now_minute;
            if !pending.is_empty() {
                let batch = std::mem::replace(&mut pending, Vec::with_capacity(batch_size));
                send(client, batch, &mut report).await?;
            }
            on_minute(sim.stats(), sim.now());
        }
    }
    let stats = sim.stats();
    report.simulated_s = (sim.elapsed_ms() - first_ms) as f64 / 1000.0;
    report.departed = stats.departed;
    report.arrived = stats.arrived;
    report.wall = started.elapsed();
    tracing::info!(
        records = report.records_sent,
        accepted = report.accepted,
        rejected = report.rejected,
        departed = report.departed,
        arrived = report.arrived,
        wall_s = report.wall.as_secs_f64(),
        "Simulation drive finished."
    );
    Ok(report)
}

/// Attempts per batch when the ingest service asks the client to slow down.
const MAX_RETRIES: u32 = 10;

async fn send(
    client: &mut IngestClient<Channel>,
    records: Vec<TelemetryRecord>,
    report: &mut SimReport,
) -> Result<(), SimError> {
    let sent = records.len() as u64;
    let batch = TelemetryBatch { records };
    // Over the per-client rate the service refuses the whole batch: wait, send again.
    let mut attempt = 0u32;
    let ack = loop {
        match client.ingest_batch(batch.clone()).await {
            Ok(ack) => break ack.into_inner(),
            Err(status) if status.code() == tonic::Code::ResourceExhausted && attempt < MAX_RETRIES => {
                attempt += 1;
                tracing::warn!(attempt, message = %status.message(), "Ingest asked us to slow down.");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(status) => return Err(status.into()),
        }
    };
    report.records_sent += sent;
    report.batches += 1;
    report.accepted += u64::from(ack.accepted);
    report.rejected += ack.rejected.len() as u64;
    if !ack.rejected.is_empty() {
        tracing::warn!(
            rejected = ack.rejected.len(),
            first_field = %ack.rejected[0].field,
            first_reason = %ack.rejected[0].reason,
            "Ingest rejected records."
        );
    }
    for r in ack.rejected.iter().take(REJECTION_SAMPLES.saturating_sub(report.rejection_samples.len())) {
        report.rejection_samples.push(format!("{}: {}", r.field, r.reason));
    }
    tracing::debug!(
        records = sent,
        accepted = ack.accepted,
        log_sequence = ack.log_sequence,
        "Batch acknowledged."
    );
    Ok(())
}
