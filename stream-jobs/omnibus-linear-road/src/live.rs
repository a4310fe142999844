//! The Linear Road dataflow as a long-running job: tuples arrive while it
//! runs, second by second, and outputs leave as soon as their second is done.
//! [`LiveRun`] is the feeder: it hands tuple batches to the workers' bounded
//! inboxes and tells them when a second is complete.

use crate::dataflow::build;
use crate::history::History;
use crate::reference::Output;
use crate::tuple::Tuple;
use std::sync::Arc;
use std::time::Duration;
use timely::dataflow::InputHandleVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::Operator;
use tokio::sync::mpsc;

/// Messages a worker's inbox holds before the feeder waits.
pub const WORKER_INBOX: usize = 64;

/// Failure of a live run.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// Tuples of a second that is already complete.
    #[error("second {second} is already complete (the next open second is {open})")]
    Late {
        /// The tuples' second.
        second: u64,
        /// The first second still open.
        open: u64,
    },
    /// Tuples of a second before one already sent: seconds never go back.
    #[error("second {second} comes after second {latest}; seconds never go back")]
    Backwards {
        /// The tuples' second.
        second: u64,
        /// The latest second sent.
        latest: u64,
    },
    /// The workers have stopped.
    #[error("the Linear Road job has stopped")]
    Stopped,
    /// A worker failed.
    #[error("Linear Road worker failed: {0}")]
    Worker(String),
}

enum WorkerMsg {
    Tuples(Vec<Tuple>),
    Advance(u64),
}

/// A running Linear Road job.
#[derive(Debug)]
pub struct LiveRun {
    inboxes: Vec<mpsc::Sender<WorkerMsg>>,
    next: usize,
    open: u64,
    latest: u64,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl std::fmt::Debug for WorkerMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerMsg::Tuples(t) => write!(f, "Tuples({})", t.len()),
            WorkerMsg::Advance(s) => write!(f, "Advance({s})"),
        }
    }
}

impl LiveRun {
    /// Starts `workers` worker threads; each completed second's outputs go to
    /// `outputs` (the workers wait while it is full).
    pub fn start(workers: usize, history: Arc<History>, outputs: mpsc::Sender<Vec<Output>>) -> LiveRun {
        let workers = workers.max(1);
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..workers).map(|_| mpsc::channel(WORKER_INBOX)).unzip();
        let thread = std::thread::Builder::new()
            .name("linear-road".into())
            .spawn(move || run_workers(workers, history, receivers, outputs))
            .expect("spawn the Linear Road job thread");
        LiveRun { inboxes: senders, next: 0, open: 0, latest: 0, thread: Some(thread) }
    }

    /// The first second that is not complete yet.
    pub fn open_second(&self) -> u64 {
        self.open
    }

    /// The latest second tuples were sent for.
    pub fn latest_second(&self) -> u64 {
        self.latest
    }

    /// Hands tuples of open seconds, none before the latest second already
    /// sent, to a worker (waits while its inbox is full).
    pub async fn send(&mut self, mut tuples: Vec<Tuple>) -> Result<(), LiveError> {
        if !tuples.is_sorted_by_key(Tuple::time) {
            tuples.sort_by_key(Tuple::time);
        }
        if let Some(t) = tuples.iter().map(|t| u64::from(t.time())).find(|t| *t < self.open) {
            return Err(LiveError::Late { second: t, open: self.open });
        }
        let (Some(first), Some(last)) = (tuples.first(), tuples.last()) else { return Ok(()) };
        let (first, last) = (u64::from(first.time()), u64::from(last.time()));
        if first < self.latest {
            return Err(LiveError::Backwards { second: first, latest: self.latest });
        }
        self.latest = last;
        let inbox = &self.inboxes[self.next % self.inboxes.len()];
        self.next += 1;
        inbox.send(WorkerMsg::Tuples(tuples)).await.map_err(|_| LiveError::Stopped)
    }

    /// Declares every second before `to` complete; the workers compute them.
    pub async fn complete_before(&mut self, to: u64) -> Result<(), LiveError> {
        if to <= self.open {
            return Ok(());
        }
        self.open = to;
        for inbox in &self.inboxes {
            inbox.send(WorkerMsg::Advance(to)).await.map_err(|_| LiveError::Stopped)?;
        }
        Ok(())
    }

    /// Completes every second, stops the workers and waits for them; every
    /// output has been handed over when this returns.
    pub async fn finish(mut self) -> Result<(), LiveError> {
        self.inboxes.clear();
        let thread = self.thread.take().expect("joined once");
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|e| LiveError::Worker(e.to_string()))?
            .map_err(|_| LiveError::Worker("a worker panicked".into()))?
            .map_err(LiveError::Worker)
    }
}

fn run_workers(
    workers: usize,
    history: Arc<History>,
    inboxes: Vec<mpsc::Receiver<WorkerMsg>>,
    outputs: mpsc::Sender<Vec<Output>>,
) -> Result<(), String> {
    let inboxes = std::sync::Mutex::new(inboxes.into_iter().map(Some).collect::<Vec<_>>());
    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let mut inbox = inboxes.lock().unwrap_or_else(|e| e.into_inner())[worker.index()]
            .take()
            .expect("one inbox per worker");
        let mut input: InputHandleVec<u64, Tuple> = InputHandleVec::new();
        let outputs = outputs.clone();
        let history = history.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            build(input.to_stream(scope), history).sink(Pipeline, "Emit", move |(input, _frontier)| {
                input.for_each_stamp(|_cap, data| {
                    for batch in data {
                        // A closed receiver means nobody listens any more: drop quietly.
                        let _ = outputs.blocking_send(std::mem::take(batch));
                    }
                });
            });
        });
        let mut open = true;
        while open {
            let mut busy = false;
            for _ in 0..WORKER_INBOX {
                match inbox.try_recv() {
                    Ok(WorkerMsg::Tuples(tuples)) => {
                        busy = true;
                        // Each tuple enters at its own second, as in the batch run.
                        for t in tuples {
                            let second = u64::from(t.time());
                            if second > *input.time() {
                                input.advance_to(second);
                            }
                            input.send(t);
                        }
                    }
                    Ok(WorkerMsg::Advance(to)) => {
                        busy = true;
                        if to > *input.time() {
                            input.advance_to(to);
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            worker.step_or_park(if busy { Some(Duration::ZERO) } else { Some(Duration::from_millis(1)) });
        }
        drop(input);
        while worker.step_or_park(Some(Duration::from_millis(1))) {}
    })?;
    for result in guards.join() {
        result?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuple::PositionReport;

    fn report(time: u32, vid: u32, seg: u32) -> Tuple {
        Tuple::Position(PositionReport {
            time,
            vid,
            speed: 30,
            xway: 0,
            lane: 1,
            dir: 0,
            seg,
            pos: seg * 5_280,
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_completed_second_is_answered_before_the_next_arrives() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut run = LiveRun::start(2, Arc::new(History::default()), tx);
        run.send(vec![report(0, 1, 3), report(0, 2, 4)]).await.unwrap();
        run.complete_before(1).await.unwrap();
        let mut got = Vec::new();
        while got.len() < 2 {
            got.extend(rx.recv().await.unwrap());
        }
        got.sort();
        assert_eq!(got[0], Output::Toll { vid: 1, time: 0, lav: 0, toll: 0 });
        // Late tuples are refused, naming the open second.
        let e = run.send(vec![report(0, 3, 5)]).await.unwrap_err();
        assert_eq!(e.to_string(), "second 0 is already complete (the next open second is 1)");
        // Seconds never go back, even before they are complete.
        run.send(vec![report(3, 4, 6)]).await.unwrap();
        let e = run.send(vec![report(2, 4, 6)]).await.unwrap_err();
        assert_eq!(e.to_string(), "second 2 comes after second 3; seconds never go back");
        run.finish().await.unwrap();
        let mut rest = Vec::new();
        while let Some(batch) = rx.recv().await {
            rest.extend(batch);
        }
        rest.sort();
        assert_eq!(rest, vec![Output::Toll { vid: 4, time: 3, lav: 0, toll: 0 }]);
    }
}
