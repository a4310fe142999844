//! The Linear Road rules as a plain sequential program over time-ordered
//! tuples: segment statistics, tolls, accidents, notifications, and the
//! account-balance, daily-expenditure and travel-time queries.

use crate::history::History;
use crate::tuple::{EXIT_LANE, PositionReport, Tuple};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Reports at one position in a row that make a car stopped.
pub const STOPPED_AFTER: u32 = 4;
/// Segments downstream of an accident's segment that are warned and untolled.
pub const ACCIDENT_REACH: u32 = 4;

/// What the rules emit (the emit time, a wall-clock reading, is added by
/// whoever runs them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Output {
    /// `(0, VID, Time, Emit, LAV, Toll)`: the toll for the segment a car entered.
    Toll {
        /// The car.
        vid: u32,
        /// Time of the report that entered the segment.
        time: u32,
        /// Latest average velocity of the segment, mph.
        lav: u32,
        /// The toll.
        toll: u32,
    },
    /// `(1, Time, Emit, Seg)`: an accident ahead, sent to the car that entered.
    Accident {
        /// The car told.
        vid: u32,
        /// Time of its report.
        time: u32,
        /// The accident's segment.
        seg: u32,
    },
    /// `(2, Time, Emit, ResultTime, QID, Bal)`.
    Balance {
        /// Query time.
        time: u32,
        /// Query id.
        qid: u32,
        /// Time of the last charge the balance includes.
        result_time: u32,
        /// Tolls charged so far.
        balance: u64,
    },
    /// `(3, Time, Emit, QID, Bal)`.
    DailyExpenditure {
        /// Query time.
        time: u32,
        /// Query id.
        qid: u32,
        /// Tolls of that day on that expressway.
        balance: u64,
    },
    /// `(4, Time, Emit, QID, TravelTime, Toll)`: a travel-time estimate.
    TravelTime {
        /// Query time.
        time: u32,
        /// Query id.
        qid: u32,
        /// Estimated seconds for the trip.
        travel_time: u32,
        /// Estimated tolls for the trip.
        toll: u32,
    },
}

impl Output {
    /// The time of the input tuple this output answers.
    pub fn time(&self) -> u32 {
        match self {
            Output::Toll { time, .. }
            | Output::Accident { time, .. }
            | Output::Balance { time, .. }
            | Output::DailyExpenditure { time, .. }
            | Output::TravelTime { time, .. } => *time,
        }
    }
}

/// Mean over cars of each car's mean speed in one segment and minute, summed
/// in car order so that every implementation gets the same float.
pub fn minute_average(cars: &BTreeMap<u32, (u64, u64)>) -> Option<f64> {
    if cars.is_empty() {
        return None;
    }
    let sum: f64 = cars.values().map(|(s, n)| *s as f64 / *n as f64).sum();
    Some(sum / cars.len() as f64)
}

/// The toll rule: 0 when LAV ≥ 40, or at most 50 cars, or an accident nearby;
/// else 2·(cars − 50)².
pub fn toll(lav: u32, cars: u32, accident: bool) -> u32 {
    if lav >= 40 || cars <= 50 || accident {
        0
    } else {
        let over = u64::from(cars - 50);
        u32::try_from(2 * over * over).unwrap_or(u32::MAX)
    }
}

type PosKey = (u32, u8, u8, u32); // xway, dir, lane, pos

#[derive(Default)]
struct Car {
    last: Option<PositionReport>,
    same_position: u32,
    pending_toll: Option<u32>,
}

struct Accident {
    seg: u32,
    detected_minute: u32,
    cleared_minute: Option<u32>,
}

impl Accident {
    /// In force from the minute after detection through the minute it clears.
    fn active(&self, minute: u32) -> bool {
        self.detected_minute < minute && self.cleared_minute.is_none_or(|c| minute <= c)
    }
}

/// The state of one expressway and direction: its segment statistics, stopped
/// cars, accidents, and the cars on it. Everything a position report needs
/// lives here, so expressway-directions can be processed independently.
#[derive(Default)]
pub struct XwayDir {
    stats: HashMap<(u32, u32), BTreeMap<u32, (u64, u64)>>,
    /// `(LAV, cars in the minute before)` per segment and minute, computed
    /// once: the minutes they read are complete by then.
    figures: HashMap<(u32, u32), (u32, u32)>,
    /// Each complete minute's average speed per segment, computed once.
    averages: HashMap<(u32, u32), Option<f64>>,
    cars: HashMap<u32, Car>,
    stopped: HashMap<PosKey, BTreeSet<u32>>,
    accidents: Vec<(PosKey, Accident)>,
}

impl std::fmt::Debug for XwayDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XwayDir")
            .field("cars", &self.cars.len())
            .field("accidents", &self.accidents.len())
            .finish()
    }
}

/// A toll charged to a car's account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Charge {
    /// The car.
    pub vid: u32,
    /// When (the report that entered the next segment).
    pub time: u32,
    /// How much.
    pub amount: u32,
}

impl XwayDir {
    /// Reads one position report of this expressway-direction. Reports of one
    /// second may come in any order; earlier seconds must all have been read.
    pub fn report(&mut self, p: PositionReport, out: &mut Vec<Output>, charges: &mut Vec<Charge>) {
        let m = p.minute();
        let e = self.stats.entry((p.seg, m)).or_default().entry(p.vid).or_default();
        e.0 += u64::from(p.speed);
        e.1 += 1;
        let car = self.cars.entry(p.vid).or_default();
        let here: PosKey = (p.xway, p.dir, p.lane, p.pos);
        let previous = car.last.map(|l| (l.xway, l.dir, l.lane, l.pos));
        if previous == Some(here) {
            car.same_position += 1;
        } else {
            if let Some(old) = previous
                && let Some(set) = self.stopped.get_mut(&old)
                && set.remove(&p.vid)
            {
                // A stopped car moved: an accident there clears.
                for (key, acc) in &mut self.accidents {
                    if *key == old && acc.cleared_minute.is_none() {
                        acc.cleared_minute = Some(m);
                    }
                }
            }
            car.same_position = 1;
        }
        if car.same_position == STOPPED_AFTER {
            let set = self.stopped.entry(here).or_default();
            set.insert(p.vid);
            let open = self.accidents.iter().any(|(key, acc)| *key == here && acc.cleared_minute.is_none());
            if set.len() >= 2 && !open {
                self.accidents
                    .push((here, Accident { seg: p.seg, detected_minute: m, cleared_minute: None }));
            }
        }
        let entered = car.last.is_none_or(|l| l.seg != p.seg);
        car.last = Some(p);
        if entered && let Some(amount) = car.pending_toll.take() {
            charges.push(Charge { vid: p.vid, time: p.time, amount });
        }
        if p.lane == EXIT_LANE {
            // The trip is over: a toll owed for the segment it leaves from is not charged.
            self.cars.remove(&p.vid);
            return;
        }
        if !entered {
            return;
        }
        let nearby = self.accident_ahead(p.dir, p.seg, m);
        let (stats, averages) = (&self.stats, &mut self.averages);
        let (lav, cars_before) = *self.figures.entry((p.seg, m)).or_insert_with(|| {
            let cars_before = stats.get(&(p.seg, m - 1)).map_or(0, |c| c.len() as u32);
            let minutes: Vec<f64> = (m.saturating_sub(5)..m)
                .filter(|w| *w >= 1)
                .filter_map(|w| {
                    *averages
                        .entry((p.seg, w))
                        .or_insert_with(|| stats.get(&(p.seg, w)).and_then(minute_average))
                })
                .collect();
            let lav = if minutes.is_empty() {
                0
            } else {
                (minutes.iter().sum::<f64>() / minutes.len() as f64) as u32
            };
            (lav, cars_before)
        });
        let t = toll(lav, cars_before, nearby.is_some());
        if let Some(car) = self.cars.get_mut(&p.vid) {
            car.pending_toll = Some(t);
        }
        out.push(Output::Toll { vid: p.vid, time: p.time, lav, toll: t });
        if let Some(seg) = nearby {
            out.push(Output::Accident { vid: p.vid, time: p.time, seg });
        }
    }

    /// Drops statistics older than any toll can read (call once a minute).
    pub fn forget_before(&mut self, minute: u32) {
        self.stats.retain(|(_, m), _| *m + 6 >= minute);
        self.figures.retain(|(_, m), _| *m + 1 >= minute);
        self.averages.retain(|(_, m), _| *m + 6 >= minute);
    }

    /// The nearest active accident's segment within reach downstream of `seg`.
    fn accident_ahead(&self, dir: u8, seg: u32, minute: u32) -> Option<u32> {
        let reach = |s: u32| {
            if dir == 0 {
                (seg..=seg + ACCIDENT_REACH).contains(&s)
            } else {
                (seg.saturating_sub(ACCIDENT_REACH)..=seg).contains(&s)
            }
        };
        self.accidents
            .iter()
            .filter(|(_, a)| a.active(minute) && reach(a.seg))
            .map(|(_, a)| a.seg)
            .min_by_key(|s| s.abs_diff(seg))
    }
}

/// Car accounts and the history: answers type-2, type-3 and type-4 queries.
#[derive(Debug, Default)]
pub struct Accounts {
    balances: HashMap<u32, (u64, u32)>,
    history: Arc<History>,
}

impl Accounts {
    /// Empty accounts over `history`.
    pub fn new(history: Arc<History>) -> Accounts {
        Accounts { balances: HashMap::new(), history }
    }

    /// Books a charge.
    pub fn charge(&mut self, c: Charge) {
        let e = self.balances.entry(c.vid).or_default();
        e.0 += u64::from(c.amount);
        e.1 = e.1.max(c.time);
    }

    /// Answers a query tuple (position reports are ignored); charges of the
    /// query's second must have been booked first.
    pub fn answer(&self, t: &Tuple) -> Option<Output> {
        match *t {
            Tuple::Balance { time, vid, qid } => {
                let (balance, result_time) = self.balances.get(&vid).copied().unwrap_or((0, time));
                Some(Output::Balance { time, qid, result_time, balance })
            }
            Tuple::DailyExpenditure { time, vid, xway, qid, day } => {
                Some(Output::DailyExpenditure { time, qid, balance: self.history.daily(vid, day, xway) })
            }
            Tuple::TravelTime { time, xway, qid, s_init, s_end, dow, tod, .. } => {
                let (travel_time, toll) = self.history.segments().estimate(xway, s_init, s_end, dow, tod);
                Some(Output::TravelTime { time, qid, travel_time, toll })
            }
            Tuple::Position(_) => None,
        }
    }
}

/// Runs the rules over `tuples` with `history` for the historical queries,
/// one tuple at a time in time order. Within one
/// second, position reports are read before queries, so an answer never
/// depends on how tuples of the same second were ordered or distributed.
pub fn run(tuples: &[Tuple], history: &History) -> Vec<Output> {
    let mut ordered: Vec<&Tuple> = tuples.iter().collect();
    ordered.sort_by_key(|t| (t.time(), !matches!(t, Tuple::Position(_))));
    let mut roads: HashMap<(u32, u8), XwayDir> = HashMap::new();
    let mut accounts = Accounts::new(Arc::new(history.clone()));
    let mut out = Vec::new();
    let mut charges = Vec::new();
    for tuple in ordered {
        match *tuple {
            Tuple::Position(p) => {
                roads.entry((p.xway, p.dir)).or_default().report(p, &mut out, &mut charges);
                for c in charges.drain(..) {
                    accounts.charge(c);
                }
            }
            ref query => out.extend(accounts.answer(query)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(time: u32, vid: u32, speed: u32, lane: u8, seg: u32, pos: u32) -> Tuple {
        Tuple::Position(PositionReport { time, vid, speed, xway: 0, lane, dir: 0, seg, pos })
    }

    #[test]
    fn toll_rule_by_hand() {
        assert_eq!(toll(30, 52, false), 8);
        assert_eq!(toll(39, 60, false), 200);
        assert_eq!(toll(40, 60, false), 0);
        assert_eq!(toll(30, 50, false), 0);
        assert_eq!(toll(30, 60, true), 0);
        // Absurd counts saturate rather than wrap.
        assert_eq!(toll(0, 100_000, false), u32::MAX);
    }

    #[test]
    fn a_car_entering_a_busy_slow_segment_is_tolled_and_charged_when_it_moves_on() {
        // 52 cars at 30 mph in segment 10 during minute 1.
        let mut input: Vec<Tuple> = (0..52).map(|v| report(v, 1_000 + v, 30, 1, 10, 52_800 + v)).collect();
        // Car 7 enters segment 10 in minute 2, then segment 11, then asks its balance.
        input.push(report(65, 7, 30, 1, 10, 53_000));
        input.push(report(95, 7, 30, 1, 11, 58_100));
        input.push(Tuple::Balance { time: 100, vid: 7, qid: 1 });
        let out = run(&input, &History::default());
        assert!(out.contains(&Output::Toll { vid: 7, time: 65, lav: 30, toll: 8 }));
        // Segment 11 saw nobody in minute 1: no toll there.
        assert!(out.contains(&Output::Toll { vid: 7, time: 95, lav: 0, toll: 0 }));
        assert!(out.contains(&Output::Balance { time: 100, qid: 1, result_time: 95, balance: 8 }));
    }

    #[test]
    fn exit_lane_reports_are_not_notified() {
        let out = run(&[report(0, 1, 50, EXIT_LANE, 3, 16_000)], &History::default());
        assert!(out.is_empty());
    }

    #[test]
    fn two_stopped_cars_make_an_accident_that_warns_upstream_and_clears() {
        let mut input = Vec::new();
        // Cars 1 and 2 stop at the same spot in segment 20 (4 reports each, 30 s apart).
        for k in 0..4 {
            input.push(report(k * 30, 1, 0, 2, 20, 105_600));
            input.push(report(k * 30, 2, 0, 2, 20, 105_600));
        }
        // Minute 3 (time 120+): car 9 enters segment 17, 3 upstream of 20.
        input.push(report(125, 9, 55, 1, 17, 90_000));
        // Car 1 moves on in minute 4; the accident is in force through minute 4.
        input.push(report(185, 1, 10, 2, 20, 105_700));
        input.push(report(245, 10, 55, 1, 18, 95_100));
        // Minute 6: cleared.
        input.push(report(305, 11, 55, 1, 19, 100_400));
        let out = run(&input, &History::default());
        assert!(out.contains(&Output::Accident { vid: 9, time: 125, seg: 20 }), "{out:?}");
        assert!(out.contains(&Output::Toll { vid: 9, time: 125, lav: 0, toll: 0 }));
        assert!(out.iter().all(|o| !matches!(o, Output::Accident { vid: 10 | 11, .. })), "{out:?}");
    }

    #[test]
    fn a_balance_asked_in_the_same_second_as_a_charge_includes_it() {
        let input = [
            report(0, 7, 30, 1, 10, 53_000),
            Tuple::Balance { time: 30, vid: 7, qid: 1 },
            report(30, 7, 30, 1, 11, 58_100),
        ];
        let out = run(&input, &History::default());
        assert!(out.contains(&Output::Balance { time: 30, qid: 1, result_time: 30, balance: 0 }), "{out:?}");
    }

    #[test]
    fn daily_expenditure_comes_from_the_history() {
        let history = [(5, 3, 0, 10), (5, 3, 0, 7), (5, 4, 0, 100), (6, 3, 0, 1)];
        let history = History::from_tolls(&history);
        let out = run(&[Tuple::DailyExpenditure { time: 10, vid: 5, xway: 0, qid: 9, day: 3 }], &history);
        assert_eq!(out, vec![Output::DailyExpenditure { time: 10, qid: 9, balance: 17 }]);
    }
}
