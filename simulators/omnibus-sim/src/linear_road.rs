//! A Linear Road workload generator: L expressways of 100 one-mile segments in
//! both directions; cars enter, drive a trip at speeds that fall with the
//! density of their segment, report every 30 s and leave by the exit lane;
//! the arrival rate ramps up over the run as in the benchmark; seeded
//! accidents stop two cars at the same spot for a while; cars ask for their
//! balance and past daily expenditures now and then. Deterministic for a seed.

use omnibus_linear_road::{PositionReport, Tuple};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Feet per segment (one mile).
pub const SEGMENT_FEET: u32 = 5_280;
/// Segments per expressway and direction.
pub const SEGMENTS: u32 = 100;
/// Cars on one segment (one direction) at which traffic crawls.
pub const JAM_CARS: u32 = 120;

/// Generator settings.
#[derive(Clone, Debug)]
pub struct LrConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Expressways (L).
    pub xways: u32,
    /// Seconds simulated (the benchmark: 10,800).
    pub duration_s: u32,
    /// Cars entering each expressway per minute at the end of the ramp (both
    /// directions together).
    pub peak_arrivals_per_minute: u32,
    /// Mean seconds between accidents on each expressway.
    pub accident_every_s: u32,
    /// Chance that a report comes with a balance query (type 2).
    pub balance_query_rate: f64,
    /// Chance that a report comes with a daily-expenditure query (type 3).
    pub daily_query_rate: f64,
}

impl Default for LrConfig {
    fn default() -> Self {
        LrConfig {
            seed: 1,
            xways: 1,
            duration_s: 10_800,
            peak_arrivals_per_minute: 600,
            accident_every_s: 1_200,
            balance_query_rate: 0.01,
            daily_query_rate: 0.001,
        }
    }
}

#[derive(Clone, Debug)]
struct Car {
    vid: u32,
    xway: u32,
    dir: u8,
    /// Feet from the western end.
    pos: u32,
    /// Where it leaves (feet), always downstream.
    exit_pos: u32,
    lane: u8,
    /// Second of the minute-half it reports on (0–29).
    phase: u32,
    /// Stopped by an accident until this second.
    stopped_until: u32,
    done: bool,
}

/// Generates the whole workload, in time order.
pub fn generate(config: &LrConfig) -> Vec<Tuple> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut arrivals = ChaCha8Rng::seed_from_u64(config.seed ^ 0xa5a5_a5a5);
    let mut accidents = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5a5a_5a5a);
    let mut cars: Vec<Car> = Vec::new();
    let mut density = vec![0u32; (config.xways * 2 * SEGMENTS) as usize];
    let mut out = Vec::new();
    let mut next_vid = 0u32;
    let mut qid = 0u32;
    let seg_index =
        |xway: u32, dir: u8, pos: u32| ((xway * 2 + u32::from(dir)) * SEGMENTS + pos / SEGMENT_FEET) as usize;
    for t in 0..config.duration_s {
        // Arrivals: a rate ramping linearly to the peak over the run.
        if t % 60 == 0 {
            let rate = f64::from(config.peak_arrivals_per_minute)
                * (0.1 + 0.9 * f64::from(t) / f64::from(config.duration_s));
            for xway in 0..config.xways {
                let n = rate.floor() as u32 + u32::from(arrivals.random_bool(rate.fract()));
                for _ in 0..n {
                    let dir: u8 = arrivals.random_range(0..2);
                    let entry_seg = arrivals.random_range(0..SEGMENTS - 1);
                    let trip = arrivals.random_range(1..=(SEGMENTS - entry_seg).min(40));
                    let (pos, exit_pos) = if dir == 0 {
                        (
                            entry_seg * SEGMENT_FEET,
                            ((entry_seg + trip) * SEGMENT_FEET).min(SEGMENTS * SEGMENT_FEET - 1),
                        )
                    } else {
                        let start = (SEGMENTS - 1 - entry_seg) * SEGMENT_FEET + SEGMENT_FEET - 1;
                        (start, start.saturating_sub(trip * SEGMENT_FEET))
                    };
                    cars.push(Car {
                        vid: next_vid,
                        xway,
                        dir,
                        pos,
                        exit_pos,
                        lane: 0,
                        phase: (t + arrivals.random_range(0..30)) % 30,
                        stopped_until: 0,
                        done: false,
                    });
                    density[seg_index(xway, dir, pos)] += 1;
                    next_vid += 1;
                }
            }
        }
        // Accidents: two cars of one expressway stop side by side.
        if t > 0 && t % 60 == 30 {
            for xway in 0..config.xways {
                if accidents.random_range(0..config.accident_every_s.max(60) / 60) == 0 {
                    let candidates: Vec<usize> = (0..cars.len())
                        .filter(|&i| {
                            !cars[i].done
                                && cars[i].xway == xway
                                && cars[i].lane != 0
                                && cars[i].stopped_until <= t
                        })
                        .collect();
                    if candidates.len() >= 2 {
                        let a = candidates[accidents.random_range(0..candidates.len())];
                        let b = candidates[accidents.random_range(0..candidates.len())];
                        if a != b && cars[a].dir == cars[b].dir {
                            let until = t + accidents.random_range(180..900);
                            let (old, new) = (cars[b].pos, cars[a].pos);
                            density[seg_index(xway, cars[b].dir, old)] -= 1;
                            density[seg_index(xway, cars[b].dir, new)] += 1;
                            cars[b].pos = new;
                            cars[b].lane = cars[a].lane;
                            cars[a].stopped_until = until;
                            cars[b].stopped_until = until;
                        }
                    }
                }
            }
        }
        // Reports due this second.
        for car in cars.iter_mut().filter(|c| !c.done && c.phase == t % 30) {
            let here = seg_index(car.xway, car.dir, car.pos);
            let speed = if car.stopped_until > t {
                0
            } else {
                // Speed falls with the cars on the segment.
                let load = f64::from(density[here]) / f64::from(JAM_CARS);
                ((100.0 * (1.0 - load).max(0.05)) as u32).max(5)
            };
            let moved = speed * 44; // mph × 30 s in feet
            let next = if car.dir == 0 { car.pos + moved } else { car.pos.saturating_sub(moved) };
            let arrived = if car.dir == 0 { next >= car.exit_pos } else { next <= car.exit_pos };
            let new_pos = if arrived { car.exit_pos } else { next };
            if car.lane == 0 && car.stopped_until <= t {
                car.lane = 1 + (car.vid % 3) as u8;
            }
            if arrived {
                car.lane = omnibus_linear_road::tuple::EXIT_LANE;
            }
            density[here] -= 1;
            let there = seg_index(car.xway, car.dir, new_pos.min(SEGMENTS * SEGMENT_FEET - 1));
            density[there] += 1;
            car.pos = new_pos.min(SEGMENTS * SEGMENT_FEET - 1);
            out.push(Tuple::Position(PositionReport {
                time: t,
                vid: car.vid,
                speed,
                xway: car.xway,
                lane: car.lane,
                dir: car.dir,
                seg: car.pos / SEGMENT_FEET,
                pos: car.pos,
            }));
            if car.lane == omnibus_linear_road::tuple::EXIT_LANE {
                car.done = true;
                density[there] -= 1;
            }
            if rng.random_bool(config.balance_query_rate) {
                qid += 1;
                out.push(Tuple::Balance { time: t, vid: car.vid, qid });
            }
            if rng.random_bool(config.daily_query_rate) {
                qid += 1;
                out.push(Tuple::DailyExpenditure {
                    time: t,
                    vid: car.vid,
                    xway: car.xway,
                    qid,
                    day: rng.random_range(1..=69),
                });
            }
        }
        if t % 600 == 599 {
            cars.retain(|c| !c.done);
        }
    }
    out
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
        let out = run(&tuples, &[]);
        assert!(out.iter().any(|o| matches!(o, Output::Toll { toll, .. } if *toll > 0)), "no toll");
        assert!(out.iter().any(|o| matches!(o, Output::Accident { .. })), "no accident alert");
        assert!(
            out.iter().any(|o| matches!(o, Output::Balance { balance, .. } if *balance > 0)),
            "no balance"
        );
    }
}
