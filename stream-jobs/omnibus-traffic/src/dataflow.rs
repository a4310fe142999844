//! The timely dataflow: `MapMatch` (per worker) → exchange by segment or
//! facility → `CloseMinutes` (event-time minutes, segment tolls, parking) →
//! `PublishLive` (into the shared live state); beside it `Cordon` (exchange
//! by vehicle) and `ZoneFanOut` → `ExpressLanes` (one worker: express-lane
//! zones priced from their highest downstream density).

use crate::book::{Book, Observation};
use crate::cordon::CordonBook;
use crate::express::{ZoneBook, ZoneMsg, fan_out};
use crate::model::{JobOutput, Telemetry, publish};
use omnibus_core::live::LiveCity;
use omnibus_core::{City, Minute};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timely::dataflow::InputHandleVec;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::{Capability, Concat, Operator};
use timely::scheduling::Activator;
use tokio::sync::mpsc;

/// Messages to one worker.
#[derive(Debug)]
pub enum WorkerMsg {
    /// Records to read (all in minutes not yet closed).
    Records(Vec<Telemetry>),
    /// Every record of earlier minutes has been sent: close them.
    Advance(Minute),
}

/// Capacity of each worker's inbox, in messages (each a batch of records).
pub const WORKER_INBOX: usize = 64;

/// Turns a record into the observation the minute book files, matching probes
/// to the road network. `None` for a probe no road is close enough to.
pub fn observe(city: &City, record: Telemetry) -> Option<Observation> {
    Some(match record {
        Telemetry::Probe(p) => {
            let m = city.matcher.match_probe(p.pos, p.heading_deg)?;
            Observation::Speed(m.segment, p.time.minute(), p.vehicle, p.speed)
        }
        Telemetry::Loop(l) => Observation::Loop(l.segment, l.time.minute(), l.count),
        Telemetry::Parking(p) => Observation::Parking(p.facility, p.time, p.occupied, p.capacity),
        Telemetry::Bike(b) => Observation::Bike(b.station, b.time, b.bikes, b.docks),
    })
}

/// Keeps a minute-closing operator's capability at the first minute not
/// closed yet, never past the frontier `bound`; drops it once the input is
/// done.
fn hold(cap: &mut Option<Capability<u64>>, done: bool, next: Option<i64>, bound: i64) {
    if done {
        *cap = None;
    } else if let (Some(c), Some(n)) = (cap.as_mut(), next) {
        let t = (n.max(0) as u64).min(bound.max(0) as u64);
        if *c.time() < t {
            c.downgrade(&t);
        }
    }
}

/// Where a run's outputs go besides the live state (tests record them).
pub type Recorder = Arc<Mutex<Vec<JobOutput>>>;

/// Runs the dataflow on `workers` threads of this process until every inbox
/// sender is dropped. Blocks; call it from a dedicated thread.
pub fn run_workers(
    workers: usize,
    city: Arc<City>,
    live: LiveCity,
    inboxes: Vec<mpsc::Receiver<WorkerMsg>>,
    recorder: Option<Recorder>,
) -> Result<(), String> {
    assert_eq!(inboxes.len(), workers, "one inbox per worker");
    let inboxes: Arc<Mutex<Vec<Option<mpsc::Receiver<WorkerMsg>>>>> =
        Arc::new(Mutex::new(inboxes.into_iter().map(Some).collect()));
    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let index = worker.index();
        let mut inbox = inboxes.lock().unwrap_or_else(|e| e.into_inner())[index]
            .take()
            .expect("each inbox is taken once");
        let mut input: InputHandleVec<u64, Telemetry> = InputHandleVec::new();
        let (city, live, recorder) = (city.clone(), live.clone(), recorder.clone());
        // Flushing the input does not wake the first operator; this does.
        let wake_map_match: Rc<RefCell<Option<Activator>>> = Rc::new(RefCell::new(None));
        let wake_slot = wake_map_match.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            let activator_scope = scope;
            let match_city = city.clone();
            let match_live = live.clone();
            let close_live = live.clone();
            let cordon_live = live.clone();
            let (fan_live, fan_city, express_live) = (live.clone(), city.clone(), live.clone());
            let telemetry = input.to_stream(scope);
            // Cordon passages, per vehicle (records are already on their vehicle's worker).
            let passages = telemetry
                .clone()
                .unary_frontier(Exchange::new(Telemetry::shard_key), "Cordon", move |cap, _info| {
                    let mut cap: Option<Capability<u64>> = Some(cap);
                    let mut book = CordonBook::default();
                    let mut outputs = Vec::new();
                    move |(input, frontier), output| {
                        input.for_each_stamp(|_cap, data| {
                            for batch in data {
                                for record in batch.drain(..) {
                                    if let Telemetry::Probe(p) = record {
                                        book.add(p.vehicle, p.time, p.pos);
                                    }
                                }
                            }
                        });
                        let bound = frontier.frontier().first().map(|t| *t as i64);
                        let ready: Vec<Minute> =
                            book.pending_minutes().take_while(|m| bound.is_none_or(|b| m.0 < b)).collect();
                        for m in ready {
                            outputs.clear();
                            cordon_live.policies(|p| book.close(m, p, &mut outputs));
                            if !outputs.is_empty() {
                                let c = cap
                                    .as_ref()
                                    .expect("held while minutes remain")
                                    .delayed(&(m.0.max(0) as u64));
                                output.session(&c).give_iterator(outputs.drain(..));
                            }
                        }
                        match (bound, cap.as_mut()) {
                            (None, _) => cap = None,
                            (Some(b), Some(c)) if (*c.time() as i64) < b => c.downgrade(&(b.max(0) as u64)),
                            _ => {}
                        }
                    }
                })
                .container::<Vec<JobOutput>>();
            let matched = telemetry
                .unary(Pipeline, "MapMatch", move |_cap, info| {
                    *wake_slot.borrow_mut() = Some(activator_scope.activator_for(info.address));
                    move |input, output| {
                        input.for_each_stamp(|cap, data| {
                            let (mut matched, mut unmatched, mut probes) = (0u64, 0u64, 0u64);
                            let mut session = output.session(&cap);
                            for batch in data {
                                for record in batch.drain(..) {
                                    let is_probe = matches!(record, Telemetry::Probe(_));
                                    probes += u64::from(is_probe);
                                    match observe(&match_city, record) {
                                        Some(obs) => {
                                            matched += u64::from(is_probe);
                                            session.give(obs);
                                        }
                                        None => unmatched += 1,
                                    }
                                }
                            }
                            match_live.write(|s| {
                                s.counters.probes += probes;
                                s.counters.matched += matched;
                                s.counters.unmatched += unmatched;
                            });
                        });
                    }
                })
                .container::<Vec<Observation>>();
            let closed = matched
                .unary_frontier(
                    Exchange::new(|o: &Observation| o.key()),
                    "CloseMinutes",
                    move |cap, _info| {
                        let mut cap: Option<Capability<u64>> = Some(cap);
                        let mut book = Book::default();
                        // First minute not closed yet; `None` until anything is seen.
                        let mut next: Option<i64> = None;
                        let mut outputs = Vec::new();
                        move |(input, frontier), output| {
                            input.for_each_stamp(|_cap, data| {
                                for batch in data {
                                    for obs in batch.drain(..) {
                                        book.add(obs);
                                    }
                                }
                            });
                            // Minutes below the frontier are complete. With the input
                            // closed, close whatever is still pending.
                            let bound = match frontier.frontier().first() {
                                Some(t) => *t as i64,
                                None => book
                                    .last_pending()
                                    .map_or(i64::MIN, |m| m.0 + 1)
                                    .max(next.unwrap_or(i64::MIN)),
                            };
                            loop {
                                if !book.has_segments() {
                                    // Nothing to review each minute: skip to the next data.
                                    match book.first_pending() {
                                        Some(m) => next = Some(next.map_or(m.0, |n| n.max(m.0))),
                                        None => break,
                                    }
                                }
                                let Some(m) = next.filter(|m| *m < bound) else { break };
                                let policy = close_live.policies(|p| p.active_at(Minute(m)).clone());
                                outputs.clear();
                                book.close(Minute(m), &policy, &city.network, &mut outputs);
                                if !outputs.is_empty() {
                                    let c = cap
                                        .as_ref()
                                        .expect("held while minutes remain")
                                        .delayed(&(m.max(0) as u64));
                                    output.session(&c).give_iterator(outputs.drain(..));
                                }
                                next = Some(m + 1);
                            }
                            hold(&mut cap, frontier.frontier().is_empty(), next, bound);
                        }
                    },
                )
                .container::<Vec<JobOutput>>();
            let express = closed
                .clone()
                .unary(Pipeline, "ZoneFanOut", move |_cap, _info| {
                    let mut obs = Vec::new();
                    move |input, output| {
                        input.for_each_stamp(|cap, data| {
                            let mut session = output.session(&cap);
                            let mut ticks = std::collections::BTreeSet::new();
                            fan_live.policies(|p| {
                                for out in data.flat_map(|batch| batch.iter()) {
                                    if let JobOutput::Segment(s) = out {
                                        ticks.insert(s.minute);
                                        fan_out(s, p, &fan_city.network, &mut obs);
                                    }
                                }
                            });
                            session.give_iterator(obs.drain(..).map(ZoneMsg::Obs));
                            session.give_iterator(ticks.into_iter().map(ZoneMsg::Tick));
                        });
                    }
                })
                .container::<Vec<ZoneMsg>>()
                .unary_frontier(Exchange::new(|_: &ZoneMsg| 0u64), "ExpressLanes", move |cap, _info| {
                    let mut cap: Option<Capability<u64>> = Some(cap);
                    let mut book = ZoneBook::default();
                    let mut pending: std::collections::BTreeMap<i64, Vec<crate::express::ZoneObs>> =
                        std::collections::BTreeMap::new();
                    let (mut next, mut last_tick): (Option<i64>, Option<i64>) = (None, None);
                    let mut outputs = Vec::new();
                    move |(input, frontier), output| {
                        input.for_each_stamp(|_cap, data| {
                            for batch in data {
                                for msg in batch.drain(..) {
                                    let m = match msg {
                                        ZoneMsg::Obs(o) => {
                                            let m = o.minute.0;
                                            pending.entry(m).or_default().push(o);
                                            m
                                        }
                                        ZoneMsg::Tick(m) => {
                                            last_tick = Some(last_tick.map_or(m.0, |l| l.max(m.0)));
                                            m.0
                                        }
                                    };
                                    next = Some(next.map_or(m, |n| n.min(m)));
                                }
                            }
                        });
                        // Close minutes below the frontier, up to the last minute the
                        // segment operator has closed (so the end does not depend on
                        // how the final frontier updates were batched).
                        let bound = frontier
                            .frontier()
                            .first()
                            .map_or(i64::MAX, |t| *t as i64)
                            .min(last_tick.map_or(i64::MIN, |l| l + 1));
                        while let Some(m) = next.filter(|m| *m < bound) {
                            for o in pending.remove(&m).unwrap_or_default() {
                                book.add(o);
                            }
                            outputs.clear();
                            express_live.policies(|p| book.close(Minute(m), p, &mut outputs));
                            if !outputs.is_empty() {
                                let c = cap
                                    .as_ref()
                                    .expect("held while minutes remain")
                                    .delayed(&(m.max(0) as u64));
                                output.session(&c).give_iterator(outputs.drain(..));
                            }
                            next = Some(m + 1);
                        }
                        hold(&mut cap, frontier.frontier().is_empty(), next, bound);
                    }
                })
                .container::<Vec<JobOutput>>();
            closed.concat(passages).concat(express).sink(
                Pipeline,
                "PublishLive",
                move |(input, _frontier)| {
                    input.for_each_stamp(|_cap, data| {
                        for batch in data {
                            publish(&live, batch);
                            if let Some(r) = &recorder {
                                r.lock().unwrap_or_else(|e| e.into_inner()).extend(batch.iter().cloned());
                            }
                        }
                    });
                },
            );
        });

        let mut open = true;
        while open {
            let mut busy = false;
            for _ in 0..WORKER_INBOX {
                match inbox.try_recv() {
                    Ok(WorkerMsg::Records(records)) => {
                        busy = true;
                        for r in records {
                            input.send(r);
                        }
                    }
                    Ok(WorkerMsg::Advance(m)) => {
                        let t = m.0.max(0) as u64;
                        if t > *input.time() {
                            input.advance_to(t);
                        }
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            if busy {
                // Hand buffered records to the dataflow now, not at the next advance.
                input.flush();
                if let Some(a) = wake_map_match.borrow().as_ref() {
                    a.activate();
                }
            }
            worker.step_or_park(if busy { Some(Duration::ZERO) } else { Some(Duration::from_millis(2)) });
        }
        drop(input);
        while worker.step_or_park(Some(Duration::from_millis(1))) {}
    })?;
    for result in guards.join() {
        result?;
    }
    Ok(())
}
