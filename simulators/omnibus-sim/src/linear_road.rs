//! A Linear Road workload generator: L expressways of 100 one-mile segments in
//! both directions; cars enter, drive a trip at speeds that fall with the
//! density of their segment, report every 30 s and leave by the exit lane;
//! the arrival rate ramps up over the run as in the benchmark; seeded
//! accidents stop two cars at the same spot for a while; cars ask for their
//! balance, past daily expenditures and travel-time estimates now and then.
//! Deterministic for a seed.
//!
//! [`Generator`] produces the workload one second at a time, so a benchmark
//! can generate while it replays; [`generate`] collects a whole run.

use omnibus_linear_road::{PositionReport, SegmentHistory, Tuple};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Feet per segment (one mile).
pub const SEGMENT_FEET: u32 = 5_280;
/// Segments per expressway and direction.
pub const SEGMENTS: u32 = 100;
/// Seconds between a car's position reports.
const REPORT_EVERY: u32 = 30;

/// Generator settings.
#[derive(Clone, Debug)]
pub struct LrConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Expressways (L).
    pub xways: u32,
    /// Seconds simulated (the benchmark: 10,800).
    pub duration_s: u32,
    /// Seconds at the start of the run that are simulated but not reported:
    /// a benchmark run can replay only its last, busiest stretch.
    pub report_from_s: u32,
    /// Cars entering each expressway per minute at the end of the ramp (both
    /// directions together).
    pub peak_arrivals_per_minute: u32,
    /// The arrival rate at the start, as a fraction of the peak; it ramps
    /// linearly to the peak at the end.
    pub ramp_from: f64,
    /// Cars on one segment (one direction, three travel lanes) at which
    /// traffic crawls; speeds fall linearly with density toward it.
    pub jam_cars: u32,
    /// Mean seconds between accidents on each expressway.
    pub accident_every_s: u32,
    /// Chance that a report comes with a balance query (type 2).
    pub balance_query_rate: f64,
    /// Chance that a report comes with a daily-expenditure query (type 3).
    pub daily_query_rate: f64,
    /// Chance that a report comes with a travel-time query (type 4).
    pub travel_query_rate: f64,
}

impl Default for LrConfig {
    /// The benchmark's shape: a three-hour ramp from an empty city to about
    /// 1,700 position reports a second per expressway.
    fn default() -> Self {
        LrConfig {
            seed: 1,
            xways: 1,
            duration_s: 10_800,
            peak_arrivals_per_minute: 2_550,
            report_from_s: 0,
            ramp_from: 0.01,
            jam_cars: 800,
            accident_every_s: 1_200,
            balance_query_rate: 0.01,
            daily_query_rate: 0.001,
            travel_query_rate: 0.001,
        }
    }
}

impl LrConfig {
    /// The last `window_s` seconds of the benchmark's three-hour ramp: the
    /// whole run is simulated, only its busiest end is reported. This is the
    /// hardest stretch for the 5 s latency bound, which the L-rating measures.
    pub fn peak(seed: u64, xways: u32, window_s: u32) -> LrConfig {
        let duration_s = LrConfig::default().duration_s;
        LrConfig { seed, xways, report_from_s: duration_s - window_s.min(duration_s), ..LrConfig::default() }
    }
}

#[derive(Clone, Debug)]
struct Car {
    vid: u32,
    dir: u8,
    /// Feet from the western end.
    pos: u32,
    /// Where it leaves (feet), always downstream.
    exit_pos: u32,
    lane: u8,
    /// Stopped by an accident until this second.
    stopped_until: u32,
}

/// One expressway: its cars by the second of the half-minute they report on,
/// and the cars on each segment and direction.
#[derive(Clone, Debug)]
struct Xway {
    by_phase: Vec<Vec<Car>>,
    density: Vec<u32>,
}

fn seg_index(dir: u8, pos: u32) -> usize {
    (u32::from(dir) * SEGMENTS + (pos / SEGMENT_FEET).min(SEGMENTS - 1)) as usize
}

/// Produces a Linear Road workload second by second.
#[derive(Debug)]
pub struct Generator {
    config: LrConfig,
    /// Simulated second.
    clock: u32,
    queries: ChaCha8Rng,
    arrivals: ChaCha8Rng,
    accidents: ChaCha8Rng,
    xways: Vec<Xway>,
    next_vid: u32,
    next_qid: u32,
}

impl Generator {
    /// A generator at second 0 of `config` (the unreported start is simulated
    /// on the first call).
    pub fn new(config: LrConfig) -> Generator {
        let xway = Xway {
            by_phase: vec![Vec::new(); REPORT_EVERY as usize],
            density: vec![0; 2 * SEGMENTS as usize],
        };
        Generator {
            queries: ChaCha8Rng::seed_from_u64(config.seed),
            arrivals: ChaCha8Rng::seed_from_u64(config.seed ^ 0xa5a5_a5a5),
            accidents: ChaCha8Rng::seed_from_u64(config.seed ^ 0x5a5a_5a5a),
            xways: vec![xway; config.xways as usize],
            clock: 0,
            next_vid: 0,
            next_qid: 0,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &LrConfig {
        &self.config
    }

    /// Cars on the expressways now.
    pub fn cars(&self) -> usize {
        self.xways.iter().flat_map(|x| &x.by_phase).map(Vec::len).sum()
    }

    /// Appends the tuples of the next reported second to `out`, in time
    /// order, and returns that second; `None` once the run is over.
    pub fn next_second(&mut self, out: &mut Vec<Tuple>) -> Option<u32> {
        while self.clock < self.config.report_from_s.min(self.config.duration_s) {
            self.step(None);
        }
        let second = self.clock;
        if second >= self.config.duration_s {
            return None;
        }
        self.step(Some(out));
        Some(second)
    }

    /// Arrivals per expressway per minute at simulated second `clock`.
    fn arrival_rate(&self) -> f64 {
        let c = &self.config;
        let progress = f64::from(self.clock) / f64::from(c.duration_s.max(1));
        f64::from(c.peak_arrivals_per_minute) * (c.ramp_from + (1.0 - c.ramp_from) * progress)
    }

    fn step(&mut self, mut out: Option<&mut Vec<Tuple>>) {
        let t = self.clock;
        let time = t;
        if t.is_multiple_of(60) {
            self.arrive();
        }
        if out.is_some() && t % 60 == 30 {
            self.crash(t);
        }
        let phase = (t % REPORT_EVERY) as usize;
        let xways = self.config.xways;
        for xway in 0..xways {
            let x = &mut self.xways[xway as usize];
            let cars = std::mem::take(&mut x.by_phase[phase]);
            let mut kept = Vec::with_capacity(cars.len());
            for mut car in cars {
                let here = seg_index(car.dir, car.pos);
                let speed = if car.stopped_until > t {
                    0
                } else {
                    // Speed falls with the cars on the segment.
                    let load = f64::from(x.density[here]) / f64::from(self.config.jam_cars.max(1));
                    (100.0 * (1.0 - load).max(0.15)) as u32
                };
                let moved = speed * 44; // mph × 30 s in feet
                let next = if car.dir == 0 { car.pos + moved } else { car.pos.saturating_sub(moved) };
                let arrived = if car.dir == 0 { next >= car.exit_pos } else { next <= car.exit_pos };
                let new_pos = if arrived { car.exit_pos } else { next }.min(SEGMENTS * SEGMENT_FEET - 1);
                if car.lane == 0 && car.stopped_until <= t {
                    car.lane = 1 + (car.vid % 3) as u8;
                }
                if arrived {
                    car.lane = omnibus_linear_road::tuple::EXIT_LANE;
                }
                x.density[here] -= 1;
                car.pos = new_pos;
                if let Some(out) = out.as_deref_mut() {
                    out.push(Tuple::Position(PositionReport {
                        time,
                        vid: car.vid,
                        speed,
                        xway,
                        lane: car.lane,
                        dir: car.dir,
                        seg: car.pos / SEGMENT_FEET,
                        pos: car.pos,
                    }));
                    let c = &self.config;
                    let rng = &mut self.queries;
                    if rng.random_bool(c.balance_query_rate) {
                        self.next_qid += 1;
                        out.push(Tuple::Balance { time, vid: car.vid, qid: self.next_qid });
                    }
                    if rng.random_bool(c.daily_query_rate) {
                        self.next_qid += 1;
                        out.push(Tuple::DailyExpenditure {
                            time,
                            vid: car.vid,
                            xway,
                            qid: self.next_qid,
                            day: rng.random_range(1..=69),
                        });
                    }
                    if rng.random_bool(c.travel_query_rate) {
                        self.next_qid += 1;
                        out.push(Tuple::TravelTime {
                            time,
                            vid: car.vid,
                            xway,
                            qid: self.next_qid,
                            s_init: rng.random_range(0..SEGMENTS),
                            s_end: rng.random_range(0..SEGMENTS),
                            dow: rng.random_range(1..=7),
                            tod: rng.random_range(0..1_440),
                        });
                    }
                }
                if !arrived {
                    x.density[seg_index(car.dir, car.pos)] += 1;
                    kept.push(car);
                }
            }
            x.by_phase[phase] = kept;
        }
        self.clock += 1;
    }

    /// New cars at the top of each minute.
    fn arrive(&mut self) {
        let rate = self.arrival_rate();
        let t = self.clock;
        for x in &mut self.xways {
            let rng = &mut self.arrivals;
            let n = rate.floor() as u32 + u32::from(rng.random_bool(rate.fract()));
            for _ in 0..n {
                let dir: u8 = rng.random_range(0..2);
                let entry_seg = rng.random_range(0..SEGMENTS - 1);
                let trip = rng.random_range(1..=(SEGMENTS - entry_seg).min(40));
                let (pos, exit_pos) = if dir == 0 {
                    (
                        entry_seg * SEGMENT_FEET,
                        ((entry_seg + trip) * SEGMENT_FEET).min(SEGMENTS * SEGMENT_FEET - 1),
                    )
                } else {
                    let start = (SEGMENTS - 1 - entry_seg) * SEGMENT_FEET + SEGMENT_FEET - 1;
                    (start, start.saturating_sub(trip * SEGMENT_FEET))
                };
                let phase = ((t + rng.random_range(0..REPORT_EVERY)) % REPORT_EVERY) as usize;
                x.density[seg_index(dir, pos)] += 1;
                x.by_phase[phase].push(Car {
                    vid: self.next_vid,
                    dir,
                    pos,
                    exit_pos,
                    lane: 0,
                    stopped_until: 0,
                });
                self.next_vid += 1;
            }
        }
    }

    /// Now and then two cars of one expressway stop side by side.
    fn crash(&mut self, t: u32) {
        let odds = self.config.accident_every_s.max(60) / 60;
        for x in &mut self.xways {
            let rng = &mut self.accidents;
            if rng.random_range(0..odds) != 0 {
                continue;
            }
            let pick = |rng: &mut ChaCha8Rng, x: &Xway| {
                let phase = rng.random_range(0..REPORT_EVERY as usize);
                let cars = &x.by_phase[phase];
                (!cars.is_empty()).then(|| (phase, rng.random_range(0..cars.len())))
            };
            let (Some(a), Some(b)) = (pick(rng, x), pick(rng, x)) else { continue };
            let (ca, cb) = (&x.by_phase[a.0][a.1], &x.by_phase[b.0][b.1]);
            let fit = |c: &Car| {
                c.lane != 0 && c.lane != omnibus_linear_road::tuple::EXIT_LANE && c.stopped_until <= t
            };
            if a == b || ca.dir != cb.dir || !fit(ca) || !fit(cb) {
                continue;
            }
            let until = t + rng.random_range(180..900);
            let (pos, exit_pos, lane, dir, old) = (ca.pos, ca.exit_pos, ca.lane, ca.dir, cb.pos);
            x.density[seg_index(dir, old)] -= 1;
            x.density[seg_index(dir, pos)] += 1;
            // The second car is now beside the first, on the first one's trip.
            let cb = &mut x.by_phase[b.0][b.1];
            cb.pos = pos;
            cb.exit_pos = exit_pos;
            cb.lane = lane;
            cb.stopped_until = until;
            x.by_phase[a.0][a.1].stopped_until = until;
        }
    }
}

/// Generates the whole workload, in time order.
pub fn generate(config: &LrConfig) -> Vec<Tuple> {
    let mut generator = Generator::new(config.clone());
    let mut out = Vec::new();
    while generator.next_second(&mut out).is_some() {}
    out
}

/// Ten weeks of segment statistics for travel-time queries (type 4), made up
/// for the generated expressways: free-flowing at night, slow and tolled in
/// the morning and evening peaks of weekdays, with seeded noise.
pub fn segment_history(seed: u64, xways: u32) -> SegmentHistory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e57_0001);
    let mut history = SegmentHistory::new(xways);
    for xway in 0..xways {
        for dir in 0..2u8 {
            for seg in 0..SEGMENTS {
                for dow in 1..=7u32 {
                    for quarter in 0..SegmentHistory::QUARTERS {
                        let hour = f64::from(quarter) / 4.0;
                        let weekday = dow <= 5;
                        let rush = if weekday {
                            (-((hour - 8.0) / 1.2).powi(2)).exp() + (-((hour - 17.5) / 1.5).powi(2)).exp()
                        } else {
                            0.4 * (-((hour - 13.0) / 3.0).powi(2)).exp()
                        };
                        let noise: f64 = rng.random_range(0.8..1.2);
                        let lav = (70.0 * (1.0 - 0.75 * rush * noise)).clamp(5.0, 99.0) as u32;
                        let cars = (30.0 + 90.0 * rush * noise) as u32;
                        let toll = omnibus_linear_road::reference::toll(lav, cars, false);
                        history.set(xway, dir, seg, dow, quarter, lav, toll);
                    }
                }
            }
        }
    }
    history
}
#[cfg(test)]
mod tests {
    use super::*;
    use omnibus_linear_road::{Output, format_tuple, parse, run};

    fn small() -> LrConfig {
        LrConfig {
            xways: 2,
            duration_s: 1_800,
            peak_arrivals_per_minute: 1_200,
            ramp_from: 0.1,
            jam_cars: 120,
            accident_every_s: 300,
            ..LrConfig::default()
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_workload() {
        let a = generate(&small());
        assert_eq!(a, generate(&small()));
        assert_ne!(a, generate(&LrConfig { seed: 2, ..small() }));
    }

    #[test]
    fn the_workload_is_valid_ramps_up_and_exercises_the_rules() {
        let tuples = generate(&small());
        // Valid in the benchmark's own format, and in time order.
        let text: String = tuples.iter().map(|t| format_tuple(t) + "\n").collect();
        assert_eq!(parse(&text, "generated").unwrap(), tuples);
        assert!(tuples.windows(2).all(|w| w[0].time() <= w[1].time()));
        // Load ramps up.
        let first = tuples.iter().filter(|t| t.time() < 600).count();
        let last = tuples.iter().filter(|t| t.time() >= 1_200).count();
        assert!(last > 2 * first, "{first} then {last}");
        // Congestion tolls, accidents and queries all occur.
        let out = run(&tuples, &omnibus_linear_road::History::new(&[], segment_history(1, 2)));
        assert!(out.iter().any(|o| matches!(o, Output::Toll { toll, .. } if *toll > 0)), "no toll");
        assert!(out.iter().any(|o| matches!(o, Output::Accident { .. })), "no accident alert");
        assert!(
            out.iter().any(|o| matches!(o, Output::Balance { balance, .. } if *balance > 0)),
            "no balance"
        );
        assert!(out.iter().any(|o| matches!(o, Output::TravelTime { .. })), "no travel-time estimate");
    }

    #[test]
    fn the_peak_load_is_the_benchmarks_and_one_second_at_a_time_equals_the_whole() {
        // The end of the benchmark's ramp: about 1,700 reports a second per expressway.
        let mut g = Generator::new(LrConfig::peak(3, 1, 120));
        let mut tuples = Vec::new();
        let mut seconds = Vec::new();
        while let Some(s) = g.next_second(&mut tuples) {
            seconds.push(s);
        }
        assert_eq!(seconds, (10_680..10_800).collect::<Vec<_>>());
        let reports = tuples.iter().filter(|t| matches!(t, Tuple::Position(_))).count() as f64 / 120.0;
        assert!((1_500.0..1_900.0).contains(&reports), "{reports} reports/s");
        assert_eq!(tuples, generate(&LrConfig::peak(3, 1, 120)));
        let out = run(&tuples, &omnibus_linear_road::History::default());
        let tolled = out.iter().filter(|o| matches!(o, Output::Toll { toll, .. } if *toll > 0)).count();
        assert!(tolled > 0, "no toll at the peak");
    }
}
