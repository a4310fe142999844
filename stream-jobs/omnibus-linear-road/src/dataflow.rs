//! The Linear Road rules as a timely dataflow. Timestamps are benchmark
//! seconds. `Roads` (exchange by expressway and direction) reads each second's
//! position reports once the second is complete and emits notifications and
//! charges; `Accounts` (exchange by car) books a second's charges, then answers
//! that second's queries. The result equals [`crate::reference::run`].

use crate::history::History;
use crate::reference::{Accounts, Charge, Output, XwayDir};
use crate::tuple::{PositionReport, Tuple};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::{Capability, Concat, Operator};
use timely::dataflow::{InputHandleVec, StreamVec};

/// What flows between the operators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Event {
    Out(Output),
    Charge(Charge),
    Query(Tuple),
}

impl Event {
    fn car(&self) -> u64 {
        match self {
            // Notifications only pass through: spread them by car too.
            Event::Out(Output::Toll { vid, .. } | Output::Accident { vid, .. }) => u64::from(*vid),
            Event::Out(_) => 0,
            Event::Charge(c) => u64::from(c.vid),
            Event::Query(t) => match t {
                Tuple::Position(p) => u64::from(p.vid),
                Tuple::Balance { vid, .. }
                | Tuple::DailyExpenditure { vid, .. }
                | Tuple::TravelTime { vid, .. } => u64::from(*vid),
            },
        }
    }
}

/// Closes every pending second below the frontier, in order.
fn ready<T>(pending: &mut BTreeMap<u64, T>, bound: Option<u64>) -> Vec<(u64, T)> {
    let mut out = Vec::new();
    while let Some((&t, _)) = pending.first_key_value() {
        if bound.is_some_and(|b| t >= b) {
            break;
        }
        let v = pending.remove(&t).expect("just seen");
        out.push((t, v));
    }
    out
}

/// The operators: `Queries` (queries bypass the roads), `Roads` (exchange
/// by expressway-direction) and `Accounts` (exchange by car). Every output of
/// second `s` carries timestamp `s`.
pub fn build<'scope>(
    tuples: StreamVec<'scope, u64, Tuple>,
    history: Arc<History>,
) -> StreamVec<'scope, u64, Output> {
    let queries = tuples.clone().unary(Pipeline, "Queries", |_cap, _info| {
        |input, output| {
            input.for_each_stamp(|cap, data| {
                let mut session = output.session(&cap);
                for batch in data {
                    for t in batch.drain(..) {
                        if !matches!(t, Tuple::Position(_)) {
                            session.give(Event::Query(t));
                        }
                    }
                }
            });
        }
    });
    let roads = tuples
        .unary_frontier(
            Exchange::new(|t: &Tuple| match t {
                Tuple::Position(p) => u64::from(p.xway) * 2 + u64::from(p.dir),
                _ => 0,
            }),
            "Roads",
            |cap, _info| {
                let mut cap: Option<Capability<u64>> = Some(cap);
                let mut pending: BTreeMap<u64, Vec<PositionReport>> = BTreeMap::new();
                let mut roads: HashMap<(u32, u8), XwayDir> = HashMap::new();
                let (mut outs, mut charges) = (Vec::new(), Vec::new());
                let mut trimmed = 0u32;
                move |(input, frontier), output| {
                    input.for_each_stamp(|_cap, data| {
                        for batch in data {
                            for t in batch.drain(..) {
                                if let Tuple::Position(p) = t {
                                    pending.entry(u64::from(p.time)).or_default().push(p);
                                }
                            }
                        }
                    });
                    let bound = frontier.frontier().first().copied();
                    for (second, mut reports) in ready(&mut pending, bound) {
                        reports.sort_unstable();
                        for p in reports {
                            roads.entry((p.xway, p.dir)).or_default().report(p, &mut outs, &mut charges);
                        }
                        let c = cap.as_ref().expect("held while seconds remain").delayed(&second);
                        let mut session = output.session(&c);
                        session.give_iterator(outs.drain(..).map(Event::Out));
                        session.give_iterator(charges.drain(..).map(Event::Charge));
                        // Once a minute (of the seconds that have reports), forget old statistics.
                        let minute = (second / 60) as u32 + 1;
                        if minute > trimmed {
                            roads.values_mut().for_each(|r| r.forget_before(minute));
                            trimmed = minute;
                        }
                    }
                    match (bound, cap.as_mut()) {
                        (None, _) => cap = None,
                        (Some(b), Some(c)) if *c.time() < b => c.downgrade(&b),
                        _ => {}
                    }
                }
            },
        )
        .container::<Vec<Event>>();
    roads
        .concat(queries)
        .unary_frontier(Exchange::new(Event::car), "Accounts", move |cap, _info| {
            let mut cap: Option<Capability<u64>> = Some(cap);
            let mut pending: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
            let mut accounts = Accounts::new(history);
            move |(input, frontier), output| {
                input.for_each_stamp(|stamp, data| {
                    let t = stamp.least().copied().unwrap_or_default();
                    for batch in data {
                        pending.entry(t).or_default().append(batch);
                    }
                });
                let bound = frontier.frontier().first().copied();
                for (second, events) in ready(&mut pending, bound) {
                    let mut answers = Vec::new();
                    // A second's charges first, then its queries.
                    for e in &events {
                        if let Event::Charge(c) = e {
                            accounts.charge(*c);
                        }
                    }
                    for e in events {
                        match e {
                            Event::Out(o) => answers.push(o),
                            Event::Query(q) => answers.extend(accounts.answer(&q)),
                            Event::Charge(_) => {}
                        }
                    }
                    let c = cap.as_ref().expect("held while seconds remain").delayed(&second);
                    output.session(&c).give_iterator(answers.into_iter());
                }
                match (bound, cap.as_mut()) {
                    (None, _) => cap = None,
                    (Some(b), Some(c)) if *c.time() < b => c.downgrade(&b),
                    _ => {}
                }
            }
        })
        .container::<Vec<Output>>()
}

/// Runs the dataflow on `workers` threads over `tuples` (each worker feeds a
/// share, second by second) and returns every output, sorted.
pub fn run(workers: usize, tuples: Vec<Tuple>, history: Arc<History>) -> Result<Vec<Output>, String> {
    run_with(timely::Config::process(workers.max(1)), tuples, history)
}

/// Runs the dataflow under any timely configuration — threads of this process,
/// or one process of a cluster (`-n` processes, `-p` this one's index, `-h` a
/// hosts file), where every process holds the same `tuples` and feeds its
/// workers' share. Returns the outputs of this process's workers, sorted.
pub fn run_with(
    config: timely::Config,
    tuples: Vec<Tuple>,
    history: Arc<History>,
) -> Result<Vec<Output>, String> {
    let tuples = Arc::new(tuples);
    let collected: Arc<Mutex<Vec<Output>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = collected.clone();
    let guards = timely::execute(config, move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let mut input: InputHandleVec<u64, Tuple> = InputHandleVec::new();
        let history = history.clone();
        let sink = sink.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            build(input.to_stream(scope), history).sink(Pipeline, "Collect", move |(input, _frontier)| {
                input.for_each_stamp(|_cap, data| {
                    let mut all = sink.lock().unwrap_or_else(|e| e.into_inner());
                    for batch in data {
                        all.append(batch);
                    }
                });
            });
        });
        // Feed this worker's share, second by second.
        let mut last = 0u64;
        for (i, t) in tuples.iter().enumerate() {
            let second = u64::from(t.time());
            if second > last {
                input.advance_to(second);
                worker.step();
                last = second;
            }
            if i % peers == index {
                input.send(*t);
            }
        }
        drop(input);
        while worker.step() {}
    })?;
    for result in guards.join() {
        result?;
    }
    let mut out = Arc::try_unwrap(collected).map_or_else(
        |a| a.lock().map(|v| v.clone()).unwrap_or_default(),
        |m| m.into_inner().unwrap_or_default(),
    );
    out.sort();
    Ok(out)
}
