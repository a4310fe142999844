//! Replays a generated Linear Road workload through the gRPC service and
//! measures how long each output took: from the moment its input second was
//! due (the run's start plus the second, divided by the time compression) to
//! the moment the output reached this client. Generation happens in the same
//! process while the replay runs, so it takes its share of the machine.

use crate::linear_road::{Generator, LrConfig};
use omnibus_linear_road::Tuple;
use omnibus_proto::v1::linear_road_client::LinearRoadClient;
use omnibus_proto::v1::linear_road_output::Kind;
use omnibus_proto::v1::{LinearRoadInput, LinearRoadResult, LinearRoadTuple};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

/// The benchmark's bound on every notification's latency.
pub const LATENCY_BOUND: Duration = Duration::from_secs(5);
/// Tuples per input message.
const CHUNK: usize = 20_000;
/// Seconds the generator may run ahead of the replay.
const AHEAD: usize = 3;

/// Latencies in whole milliseconds, up to two minutes, and a count beyond.
#[derive(Clone, Debug)]
pub struct Latencies {
    buckets: Vec<u64>,
    beyond: u64,
    max_ms: u64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies { buckets: vec![0; 120_000], beyond: 0, max_ms: 0 }
    }
}

impl Latencies {
    /// Records one latency.
    pub fn add(&mut self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.max_ms = self.max_ms.max(ms);
        match self.buckets.get_mut(ms as usize) {
            Some(b) => *b += 1,
            None => self.beyond += 1,
        }
    }

    /// Latencies recorded.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum::<u64>() + self.beyond
    }

    /// The `q`-quantile (0–1), milliseconds (rounded up to the bucket).
    pub fn quantile_ms(&self, q: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for (ms, c) in self.buckets.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return ms as u64;
            }
        }
        self.max_ms
    }

    /// The largest latency, milliseconds.
    pub fn max_ms(&self) -> u64 {
        self.max_ms
    }

    /// Latencies over `bound`.
    pub fn over(&self, bound: Duration) -> u64 {
        let b = bound.as_millis() as usize;
        self.buckets.iter().skip(b + 1).sum::<u64>() + self.beyond
    }
}

/// What one replay measured.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// Expressways.
    pub xways: u32,
    /// Benchmark seconds replayed.
    pub seconds: u32,
    /// Tuples sent.
    pub tuples: u64,
    /// Tuples the service accepted.
    pub accepted: u64,
    /// Tuples it refused.
    pub refused: u64,
    /// Tuples in the busiest second.
    pub peak_tuples_per_second: u64,
    /// Outputs received.
    pub outputs: u64,
    /// Latency of every output.
    pub latencies: Latencies,
    /// Wall seconds of the replay (after the generator's unreported start).
    pub wall_s: f64,
    /// Wall seconds the generator took to simulate the unreported start.
    pub warmup_s: f64,
    /// Every output, when asked for.
    pub results: Vec<LinearRoadResult>,
}

impl Replay {
    /// Whether every tuple was taken and every output met the benchmark's 5 s bound.
    pub fn met_bound(&self) -> bool {
        self.latencies.over(LATENCY_BOUND) == 0 && self.refused == 0 && self.accepted == self.tuples
    }
}

fn to_wire(t: &Tuple) -> LinearRoadTuple {
    let f = t.to_fields();
    LinearRoadTuple {
        r#type: f[0],
        time: f[1],
        vid: f[2],
        speed: f[3],
        xway: f[4],
        lane: f[5],
        dir: f[6],
        seg: f[7],
        pos: f[8],
        qid: f[9],
        s_init: f[10],
        s_end: f[11],
        dow: f[12],
        tod: f[13],
        day: f[14],
    }
}

/// Failure of a replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The service answered with an error.
    #[error("the Linear Road service failed: {0}")]
    Status(#[from] tonic::Status),
    /// The generator thread failed.
    #[error("the generator stopped: {0}")]
    Generator(String),
}

/// Replays `config`'s reported seconds through `client`, second `s` due at
/// `start + (s − first) / speed` (speed 1 is real time), and measures every
/// output's latency. `on_second` is called after each second is sent.
pub async fn replay(
    client: &mut LinearRoadClient<Channel>,
    config: LrConfig,
    speed: f64,
    keep_results: bool,
    mut on_second: impl FnMut(u32) + Send + 'static,
) -> Result<Replay, ReplayError> {
    let xways = config.xways;
    let (gen_tx, mut gen_rx) = mpsc::channel::<(u32, Vec<Tuple>)>(AHEAD);
    let warmup_started = Instant::now();
    let generator = std::thread::Builder::new()
        .name("lr-generator".into())
        .spawn(move || {
            let mut g = Generator::new(config);
            loop {
                let mut tuples = Vec::new();
                let Some(second) = g.next_second(&mut tuples) else { break };
                if gen_tx.blocking_send((second, tuples)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| ReplayError::Generator(e.to_string()))?;
    // The first second marks the start (the unreported part of the run is simulated before it).
    let Some(first) = gen_rx.recv().await else {
        return Ok(Replay { xways, ..Replay::default() });
    };
    let warmup_s = warmup_started.elapsed().as_secs_f64();
    let first_second = first.0;
    let start = Instant::now();
    let due = move |second: u32| {
        start + Duration::from_secs_f64(f64::from(second.saturating_sub(first_second)) / speed)
    };

    let (req_tx, req_rx) = mpsc::channel::<LinearRoadInput>(8);
    let mut responses = client.run(ReceiverStream::new(req_rx)).await?.into_inner();
    let stats = Arc::new(Mutex::new((0u64, 0u64, 0u32))); // tuples, peak, seconds
    let sender_stats = stats.clone();
    let sender = tokio::spawn(async move {
        let mut next = Some(first);
        while let Some((second, tuples)) = next.take() {
            tokio::time::sleep_until(due(second).into()).await;
            let n = tuples.len();
            let chunks: Vec<&[Tuple]> = if n == 0 { vec![&[][..]] } else { tuples.chunks(CHUNK).collect() };
            let last = chunks.len() - 1;
            for (i, chunk) in chunks.into_iter().enumerate() {
                let msg = LinearRoadInput {
                    second,
                    tuples: chunk.iter().map(to_wire).collect(),
                    second_complete: i == last,
                };
                if req_tx.send(msg).await.is_err() {
                    return;
                }
            }
            {
                let mut s = sender_stats.lock().unwrap_or_else(|e| e.into_inner());
                s.0 += n as u64;
                s.1 = s.1.max(n as u64);
                s.2 += 1;
            }
            on_second(second);
            next = gen_rx.recv().await;
        }
    });

    let mut out = Replay { xways, warmup_s, ..Replay::default() };
    while let Some(msg) = responses.message().await? {
        match msg.kind {
            Some(Kind::Ack(ack)) => {
                out.accepted += u64::from(ack.accepted);
                out.refused += ack.rejected.len() as u64;
            }
            Some(Kind::Results(r)) => {
                let now = Instant::now();
                for result in r.results {
                    out.latencies.add(now.saturating_duration_since(due(result.time)));
                    out.outputs += 1;
                    if keep_results {
                        out.results.push(result);
                    }
                }
            }
            None => {}
        }
    }
    out.wall_s = start.elapsed().as_secs_f64();
    let _ = sender.await;
    generator.join().map_err(|_| ReplayError::Generator("panicked".into()))?;
    let s = stats.lock().unwrap_or_else(|e| e.into_inner());
    (out.tuples, out.peak_tuples_per_second, out.seconds) = (s.0, s.1, s.2);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_hand() {
        let mut l = Latencies::default();
        for ms in [5, 10, 10, 20, 6_000] {
            l.add(Duration::from_millis(ms));
        }
        assert_eq!(l.count(), 5);
        assert_eq!(l.quantile_ms(0.5), 10);
        assert_eq!(l.quantile_ms(0.8), 20);
        assert_eq!(l.quantile_ms(1.0), 6_000);
        assert_eq!(l.max_ms(), 6_000);
        assert_eq!(l.over(LATENCY_BOUND), 1);
        l.add(Duration::from_secs(500));
        assert_eq!((l.over(LATENCY_BOUND), l.max_ms()), (2, 500_000));
    }
}
