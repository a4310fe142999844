//! The traffic stream job, a timely dataflow that turns validated telemetry into
//! the city's live state: probes are map-matched to road segments; per segment
//! and event-time minute it counts distinct vehicles and averages their speeds;
//! each closed minute it reprices every segment under the active policy (the
//! speed-band feedback rule); parking and bike-share reports keep the latest
//! occupancy per facility. Outputs go to [`omnibus_core::live::LiveCity`].
//!
//! Minutes close on a watermark that the feeder ([`TrafficJob`]) advances; a
//! record older than the watermark is refused before it enters the job, so the
//! job never drops data silently. [`reference::run`] is the same computation
//! written plainly, which tests compare the dataflow against.

pub mod book;
pub mod cordon;
pub mod dataflow;
pub mod express;
pub mod model;
pub mod reference;

pub use dataflow::Recorder;
pub use model::{JobOutput, SegmentMinute, Telemetry};

use dataflow::{WORKER_INBOX, WorkerMsg};
use omnibus_core::live::LiveCity;
use omnibus_core::{City, Minute};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Failure of the traffic job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A record belongs to a minute that is already closed.
    #[error("record at minute {minute} is behind the watermark (minute {watermark} is the first open one)")]
    Late {
        /// The record's minute.
        minute: i64,
        /// The first open minute.
        watermark: i64,
    },
    /// The workers have stopped.
    #[error("the traffic job has stopped")]
    Stopped,
    /// A worker failed.
    #[error("traffic job worker failed: {0}")]
    Worker(String),
}

/// A running traffic job: its workers' inboxes and the watermark.
#[derive(Debug)]
pub struct TrafficJob {
    inboxes: Vec<mpsc::Sender<WorkerMsg>>,
    watermark: Minute,
    max_minute: Option<Minute>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl TrafficJob {
    /// Starts `workers` worker threads publishing into `live`.
    pub fn start(city: Arc<City>, live: LiveCity, workers: usize, recorder: Option<Recorder>) -> TrafficJob {
        let workers = workers.max(1);
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..workers).map(|_| mpsc::channel(WORKER_INBOX)).unzip();
        let thread = std::thread::Builder::new()
            .name("traffic-job".into())
            .spawn(move || dataflow::run_workers(workers, city, live, receivers, recorder))
            .expect("spawn the traffic job thread");
        TrafficJob { inboxes: senders, watermark: Minute(0), max_minute: None, thread: Some(thread) }
    }

    /// The first minute still open: records of earlier minutes are late.
    pub fn watermark(&self) -> Minute {
        self.watermark
    }

    /// Hands records to the workers (waits while their inboxes are full).
    pub async fn send(&mut self, records: Vec<Telemetry>) -> Result<(), JobError> {
        if let Some(late) = records.iter().map(|r| r.time().minute()).find(|m| *m < self.watermark) {
            return Err(JobError::Late { minute: late.0, watermark: self.watermark.0 });
        }
        let n = self.inboxes.len();
        let mut shards: Vec<Vec<Telemetry>> = vec![Vec::new(); n];
        for r in records {
            let m = r.time().minute();
            self.max_minute = Some(self.max_minute.map_or(m, |x| x.max(m)));
            shards[(r.shard_key() % n as u64) as usize].push(r);
        }
        for (inbox, shard) in self.inboxes.iter().zip(shards) {
            if !shard.is_empty() {
                inbox.send(WorkerMsg::Records(shard)).await.map_err(|_| JobError::Stopped)?;
            }
        }
        Ok(())
    }

    /// Declares every minute before `to` complete; the workers close them.
    pub async fn advance(&mut self, to: Minute) -> Result<(), JobError> {
        if to <= self.watermark {
            return Ok(());
        }
        self.watermark = to;
        for inbox in &self.inboxes {
            inbox.send(WorkerMsg::Advance(to)).await.map_err(|_| JobError::Stopped)?;
        }
        Ok(())
    }

    /// Closes every minute that holds data, stops the workers and waits for them.
    pub async fn finish(mut self) -> Result<(), JobError> {
        if let Some(m) = self.max_minute {
            self.advance(Minute(m.0 + 1)).await?;
        }
        self.inboxes.clear();
        let thread = self.thread.take().expect("joined once");
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|e| JobError::Worker(e.to_string()))?
            .map_err(|_| JobError::Worker("a worker panicked".into()))?
            .map_err(JobError::Worker)
    }
}
