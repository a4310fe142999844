//! The ingest service: gRPC `omnibus.v1.Ingest`. Every record of a batch is
//! validated on its own (see [`validate`]); accepted records are appended to the
//! write-ahead log ([`wal`]) and flushed to disk, then handed to the traffic
//! stream job, and only then is the batch acknowledged with the count accepted
//! and, per rejected record, its index, field and reason.
//!
//! One lock orders the whole path (validate against the job's watermark → log →
//! feed the job → advance the watermark), so a record accepted is never late for
//! the job, and the log's order is the job's order.

pub mod rate;
pub mod validate;
pub mod wal;

use omnibus_core::clock::Clock;
use omnibus_core::{City, EventTime};
use omnibus_proto::v1::ingest_server::{Ingest, IngestServer};
use omnibus_proto::v1::{BatchAck, IngestSummary, Rejection, TelemetryBatch};
use omnibus_traffic::{JobError, Telemetry, TrafficJob};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};
use validate::{Checker, Limits};
use wal::{Wal, WalError};

/// Ingest settings (the `[ingest]` table of a service config).
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Record limits.
    pub limits: Limits,
    /// Directory of the write-ahead log; no log (nothing durable) when absent.
    pub wal_dir: Option<PathBuf>,
    /// Flush each appended batch to disk before acknowledging it.
    pub fsync: bool,
    /// How long the stream job waits for stragglers before closing a minute, ms.
    pub allowed_lateness_ms: i64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { limits: Limits::default(), wal_dir: None, fsync: true, allowed_lateness_ms: 60_000 }
    }
}

/// Failures the ingest service reports to clients.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The batch holds no record.
    #[error("records: the batch is empty")]
    EmptyBatch,
    /// The log could not be written: nothing of the batch was accepted.
    #[error("write-ahead log: {0}")]
    Wal(#[from] WalError),
    /// The stream job is gone.
    #[error("stream job: {0}")]
    Job(#[from] JobError),
    /// The client sends faster than its share.
    #[error("records: client {client} is over its limit of {limit} records/s; retry in {retry_ms} ms")]
    RateLimited {
        /// The client address.
        client: std::net::IpAddr,
        /// Records per second allowed.
        limit: u32,
        /// When the batch would fit.
        retry_ms: u64,
    },
}

impl From<IngestError> for Status {
    fn from(e: IngestError) -> Status {
        match e {
            IngestError::EmptyBatch => Status::invalid_argument(e.to_string()),
            IngestError::RateLimited { .. } => Status::resource_exhausted(e.to_string()),
            IngestError::Wal(_) | IngestError::Job(_) => Status::unavailable(e.to_string()),
        }
    }
}

/// Totals since start.
#[derive(Debug, Default)]
pub struct IngestCounters {
    /// Batches acknowledged.
    pub batches: AtomicU64,
    /// Records accepted.
    pub accepted: AtomicU64,
    /// Records rejected.
    pub rejected: AtomicU64,
}

struct Feed {
    job: TrafficJob,
    wal: Option<Wal>,
    newest: Option<EventTime>,
}

/// The ingest service (cheap to clone).
#[derive(Clone)]
pub struct IngestService {
    city: Arc<City>,
    clock: Clock,
    config: Arc<IngestConfig>,
    feed: Arc<Mutex<Option<Feed>>>,
    counters: Arc<IngestCounters>,
    limiter: Arc<rate::RateLimiter>,
}

impl std::fmt::Debug for IngestService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestService")
            .field("city", &self.city.name)
            .field("counters", &self.counters)
            .finish()
    }
}

impl IngestService {
    /// A service feeding `job`. Opens the log, if configured, and replays what it
    /// holds into the job first, so accepted telemetry survives a restart.
    pub async fn start(
        city: Arc<City>,
        clock: Clock,
        config: IngestConfig,
        mut job: TrafficJob,
    ) -> Result<IngestService, IngestError> {
        let mut newest = None;
        let wal = match &config.wal_dir {
            None => None,
            Some(dir) => {
                let (wal, recovered) = Wal::open(dir, config.fsync)?;
                let mut replayed = 0usize;
                let mut late = 0usize;
                for batch in recovered.batches {
                    let records: Vec<Telemetry> =
                        batch.records.iter().filter_map(|r| validate::replay(&city, r)).collect();
                    replayed += records.len();
                    if let Some(t) = records.iter().map(Telemetry::time).max() {
                        newest = newest.max(Some(t));
                    }
                    // Replay in log order; minutes closed on the way are closed for good.
                    // With the lateness setting unchanged nothing is late here; with a
                    // shorter one, records of minutes already closed are counted, not sent.
                    let total = records.len();
                    let records: Vec<Telemetry> =
                        records.into_iter().filter(|r| r.time().minute() >= job.watermark()).collect();
                    late += total - records.len();
                    job.send(records).await?;
                    if let Some(t) = newest {
                        job.advance(t.plus_ms(-config.allowed_lateness_ms).minute()).await?;
                    }
                }
                if late > 0 {
                    warn!(
                        late,
                        "Logged records fell in minutes already closed during replay (allowed_lateness_ms shortened?); they stay in the log but were not counted."
                    );
                }
                info!(replayed, late, truncated_bytes = recovered.truncated_bytes, dir = %dir.display(), "Write-ahead log replayed.");
                Some(wal)
            }
        };
        Ok(IngestService {
            city,
            clock,
            limiter: Arc::new(rate::RateLimiter::new(
                config.limits.max_records_per_second_per_client,
                rate::monotonic(),
            )),
            config: Arc::new(config),
            feed: Arc::new(Mutex::new(Some(Feed { job, wal, newest }))),
            counters: Arc::new(IngestCounters::default()),
        })
    }

    /// Totals since start.
    pub fn counters(&self) -> &IngestCounters {
        &self.counters
    }

    /// Validates, logs and feeds one batch; the acknowledgement it returns is
    /// sent only after the accepted records are durable.
    /// `client` is the sender's address, for its rate limit (none: not limited).
    pub async fn ingest_batch(
        &self,
        client: Option<std::net::IpAddr>,
        batch: TelemetryBatch,
    ) -> Result<BatchAck, IngestError> {
        if batch.records.is_empty() {
            return Err(IngestError::EmptyBatch);
        }
        if let Some(client) = client
            && let Err(wait) = self.limiter.take(client, batch.records.len())
        {
            return Err(IngestError::RateLimited {
                client,
                limit: self.config.limits.max_records_per_second_per_client,
                retry_ms: wait.as_millis().try_into().unwrap_or(u64::MAX),
            });
        }
        let mut guard = self.feed.lock().await;
        let feed = guard.as_mut().ok_or(IngestError::Job(JobError::Stopped))?;
        let checker = Checker {
            city: &self.city,
            limits: &self.config.limits,
            now: (self.clock)(),
            watermark: feed.job.watermark(),
        };
        let max = self.config.limits.max_batch;
        let mut accepted_proto = Vec::new();
        let mut accepted = Vec::new();
        let mut rejected: Vec<Rejection> = Vec::new();
        for (i, record) in batch.records.into_iter().enumerate() {
            if i >= max {
                rejected.push(Rejection {
                    index: i as u32,
                    field: "records".into(),
                    reason: format!(
                        "beyond the limit of {max} records per batch; send it again in another batch"
                    ),
                });
                continue;
            }
            match checker.check(i, &record) {
                Ok(t) => {
                    accepted.push(t);
                    accepted_proto.push(record);
                }
                Err(r) => rejected.push(r),
            }
        }
        let mut log_sequence = 0;
        let accepted_count = accepted.len() as u32;
        if !accepted.is_empty() {
            if let Some(wal) = feed.wal.as_mut() {
                log_sequence = wal.append(&TelemetryBatch { records: accepted_proto })?;
            }
            let newest = accepted.iter().map(Telemetry::time).max();
            feed.newest = feed.newest.max(newest);
            feed.job.send(accepted).await?;
            if let Some(t) = feed.newest {
                feed.job.advance(t.plus_ms(-self.config.allowed_lateness_ms).minute()).await?;
            }
        }
        drop(guard);
        Ok(BatchAck { accepted: accepted_count, rejected, log_sequence })
    }

    /// Closes every open minute and stops the stream job (graceful shutdown).
    pub async fn finish(&self) -> Result<(), IngestError> {
        let feed = self.feed.lock().await.take();
        if let Some(feed) = feed {
            feed.job.finish().await?;
        }
        Ok(())
    }
}

#[tonic::async_trait]
impl Ingest for IngestService {
    async fn ingest(
        &self,
        request: Request<Streaming<TelemetryBatch>>,
    ) -> Result<Response<IngestSummary>, Status> {
        let client = request.remote_addr().map(|a| a.ip());
        let mut stream = request.into_inner();
        let mut summary = IngestSummary::default();
        while let Some(batch) = stream.next().await {
            let ack = self.ingest_batch(client, batch?).await.map_err(|e| {
                let status = Status::from(e);
                Status::new(
                    status.code(),
                    format!(
                        "batch {}: {} ({} earlier batches of this stream were accepted and are durable)",
                        summary.batches.len(),
                        status.message(),
                        summary.batches.len()
                    ),
                )
            })?;
            self.record(&ack);
            summary.accepted_total += u64::from(ack.accepted);
            summary.rejected_total += ack.rejected.len() as u64;
            summary.batches.push(ack);
        }
        Ok(Response::new(summary))
    }

    async fn ingest_batch(&self, request: Request<TelemetryBatch>) -> Result<Response<BatchAck>, Status> {
        let client = request.remote_addr().map(|a| a.ip());
        let ack = IngestService::ingest_batch(self, client, request.into_inner()).await?;
        self.record(&ack);
        Ok(Response::new(ack))
    }
}

impl IngestService {
    fn record(&self, ack: &BatchAck) {
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters.accepted.fetch_add(u64::from(ack.accepted), Ordering::Relaxed);
        self.counters.rejected.fetch_add(ack.rejected.len() as u64, Ordering::Relaxed);
        if let Some(first) = ack.rejected.first() {
            warn!(rejected = ack.rejected.len(), index = first.index, field = %first.field, reason = %first.reason, "Records rejected.");
        }
    }
}

/// Serves `service` on `listener` (with health and reflection) until `shutdown`.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    service: IngestService,
) -> Result<(), tonic::transport::Error> {
    let (reporter, router) = omnibus_proto::serving::router();
    reporter.set_serving::<IngestServer<IngestService>>().await;
    let router = router.add_service(
        IngestServer::new(service).max_decoding_message_size(omnibus_proto::serving::MAX_MESSAGE_BYTES),
    );
    omnibus_proto::serving::serve(router, listener, shutdown).await
}
