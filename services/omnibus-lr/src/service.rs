//! The `omnibus.v1.LinearRoad` service.

use crate::error::RunError;
use omnibus_core::clock::Clock;
use omnibus_linear_road::History;
use omnibus_linear_road::live::LiveRun;
use omnibus_linear_road::reference::Output;
use omnibus_linear_road::tuple::from_fields;
use omnibus_proto::v1::linear_road_output::Kind;
use omnibus_proto::v1::linear_road_server::LinearRoad;
use omnibus_proto::v1::{
    LinearRoadAck, LinearRoadInput, LinearRoadOutput, LinearRoadResult, LinearRoadResults, Rejection,
};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, warn};

/// Tuples one input message may carry.
pub const MAX_TUPLES_PER_MESSAGE: usize = 50_000;
/// Results one output message carries at most.
pub const MAX_RESULTS_PER_MESSAGE: usize = 20_000;
/// Runs open at once.
pub const MAX_CONCURRENT_RUNS: usize = 2;
/// Output messages buffered toward a client before the job waits for it.
const RESPONSE_BUFFER: usize = 256;
/// Output batches buffered between the job and the response stream.
const OUTPUT_BUFFER: usize = 256;
/// How long a client may leave its response stream full before the run
/// stops sending to it.
const CLIENT_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// The service: every run reads the same history and gets `workers` threads.
#[derive(Clone)]
pub struct LinearRoadService {
    history: Arc<History>,
    workers: usize,
    clock: Clock,
    runs: Arc<Semaphore>,
}

impl std::fmt::Debug for LinearRoadService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearRoadService").field("workers", &self.workers).finish()
    }
}

impl LinearRoadService {
    /// A service whose runs use `workers` timely workers, answer historical
    /// queries from `history`, and stamp emit times with `clock`.
    pub fn new(history: Arc<History>, workers: usize, clock: Clock) -> LinearRoadService {
        LinearRoadService {
            history,
            workers: workers.max(1),
            clock,
            runs: Arc::new(Semaphore::new(MAX_CONCURRENT_RUNS)),
        }
    }
}

/// One output in the wire's shape.
pub(crate) fn to_proto(o: &Output, emit_ms: u64) -> LinearRoadResult {
    let emit = (emit_ms / 1_000) as u32;
    let base = LinearRoadResult { time: o.time(), emit, emit_ms, ..LinearRoadResult::default() };
    match *o {
        Output::Toll { vid, lav, toll, .. } => LinearRoadResult { r#type: 0, vid, lav, toll, ..base },
        Output::Accident { vid, seg, .. } => LinearRoadResult { r#type: 1, vid, seg, ..base },
        Output::Balance { qid, result_time, balance, .. } => {
            LinearRoadResult { r#type: 2, qid, result_time, balance, ..base }
        }
        Output::DailyExpenditure { qid, balance, .. } => LinearRoadResult { r#type: 3, qid, balance, ..base },
        Output::TravelTime { qid, travel_time, toll, .. } => {
            LinearRoadResult { r#type: 4, qid, travel_time, toll, ..base }
        }
    }
}

/// Validates one message and hands its good tuples to the job.
async fn feed_one(job: &mut LiveRun, msg: LinearRoadInput) -> Result<LinearRoadAck, RunError> {
    let second = u64::from(msg.second);
    if second > 86_400 {
        return Err(RunError::InvalidArgument {
            field: "second",
            reason: format!("{second} is past 86,400"),
        });
    }
    if second < job.open_second() {
        return Err(RunError::InvalidArgument {
            field: "second",
            reason: format!("{second} is already complete; the next open second is {}", job.open_second()),
        });
    }
    if second < job.latest_second() {
        return Err(RunError::InvalidArgument {
            field: "second",
            reason: format!("{second} comes after second {}; seconds never go back", job.latest_second()),
        });
    }
    if msg.tuples.len() > MAX_TUPLES_PER_MESSAGE {
        return Err(RunError::InvalidArgument {
            field: "tuples",
            reason: format!("{} tuples; at most {MAX_TUPLES_PER_MESSAGE} per message", msg.tuples.len()),
        });
    }
    let mut accepted = Vec::with_capacity(msg.tuples.len());
    let mut rejected = Vec::new();
    for (index, t) in msg.tuples.iter().enumerate() {
        let fields = [
            t.r#type, t.time, t.vid, t.speed, t.xway, t.lane, t.dir, t.seg, t.pos, t.qid, t.s_init, t.s_end,
            t.dow, t.tod, t.day,
        ];
        let refuse = |field: &str, reason: String| Rejection {
            index: index as u32,
            field: format!("tuples.{field}"),
            reason,
        };
        match from_fields(&fields) {
            Ok(tuple) if u64::from(tuple.time()) == second => accepted.push(tuple),
            Ok(tuple) => rejected
                .push(refuse("Time", format!("{} is not the message's second ({second})", tuple.time()))),
            Err((field, reason)) => rejected.push(refuse(field, reason)),
        }
    }
    if !rejected.is_empty() {
        warn!(second, refused = rejected.len(), first = %rejected[0].reason, "Linear Road tuples refused.");
    }
    let ack = LinearRoadAck { second: msg.second, accepted: accepted.len() as u32, rejected };
    job.send(accepted).await?;
    if msg.second_complete {
        job.complete_before(second + 1).await?;
    }
    Ok(ack)
}

type RunStream = Pin<Box<dyn Stream<Item = Result<LinearRoadOutput, Status>> + Send>>;

#[tonic::async_trait]
impl LinearRoad for LinearRoadService {
    type RunStream = RunStream;

    async fn run(&self, request: Request<Streaming<LinearRoadInput>>) -> Result<Response<RunStream>, Status> {
        let permit =
            self.runs.clone().try_acquire_owned().map_err(|_| RunError::Busy(MAX_CONCURRENT_RUNS))?;
        let mut inputs = request.into_inner();
        let (tx, rx) = mpsc::channel::<Result<LinearRoadOutput, Status>>(RESPONSE_BUFFER);
        let (out_tx, mut out_rx) = mpsc::channel::<Vec<Output>>(OUTPUT_BUFFER);
        let mut job = LiveRun::start(self.workers, self.history.clone(), out_tx);
        let clock = self.clock.clone();
        let opened = clock();
        let results_tx = tx.clone();
        let forward = tokio::spawn(async move {
            let mut listening = true;
            while let Some(batch) = out_rx.recv().await {
                if !listening {
                    continue; // keep draining so the workers never wait on a gone client
                }
                let emit_ms = u64::try_from(clock().0 - opened.0).unwrap_or(0);
                for chunk in batch.chunks(MAX_RESULTS_PER_MESSAGE) {
                    let results = chunk.iter().map(|o| to_proto(o, emit_ms)).collect();
                    let msg = LinearRoadOutput { kind: Some(Kind::Results(LinearRoadResults { results })) };
                    // A client gone, or one that stopped reading, gets nothing more.
                    if !matches!(
                        tokio::time::timeout(CLIENT_STALL, results_tx.send(Ok(msg))).await,
                        Ok(Ok(()))
                    ) {
                        warn!("Linear Road client stopped reading; its outputs are no longer sent.");
                        listening = false;
                        break;
                    }
                }
            }
        });
        tokio::spawn(async move {
            let _permit = permit;
            let mut failure: Option<Status> = None;
            loop {
                let msg = match inputs.message().await {
                    Ok(Some(msg)) => msg,
                    Ok(None) => break,
                    Err(status) => {
                        debug!(%status, "Linear Road input ended with an error.");
                        break;
                    }
                };
                match feed_one(&mut job, msg).await {
                    Ok(ack) => {
                        let _ = tx.send(Ok(LinearRoadOutput { kind: Some(Kind::Ack(ack)) })).await;
                    }
                    Err(error) => {
                        warn!(%error, "Linear Road run stopped.");
                        failure = Some(error.into());
                        break;
                    }
                }
            }
            // Complete what was accepted, hand over every output, then end the stream.
            if let Err(error) = job.finish().await {
                failure.get_or_insert_with(|| RunError::from(error).into());
            }
            let _ = forward.await;
            if let Some(status) = failure {
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
