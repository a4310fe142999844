//! The bundled Porto Alegre feeds (EPTC buses, Trensurb metro-rail at its flat
//! fare) on Tuesday 7 May 2019: RAPTOR and McRAPTOR against the plain
//! connection scans on a real timetable, and golden journeys.
//!
//! The golden file is regenerated with `UPDATE_GOLDEN=1`; a difference
//! otherwise fails the test with both texts.

mod common;

use common::check_journey;
use omnibus_transit::gtfs::Feed;
use omnibus_transit::mcraptor::{Options, Step};
use omnibus_transit::{Access, Egress, Journey, McRaptor, Raptor, Timetable, csa};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;
use std::path::Path;
use std::sync::OnceLock;

const DATE: u32 = 20_190_507;

fn timetable() -> &'static Timetable {
    static TT: OnceLock<Timetable> = OnceLock::new();
    TT.get_or_init(|| {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/porto-alegre");
        let bus = Feed::load(&data.join("poa_eptc_gtfs.zip"), "eptc").unwrap();
        let mut rail = Feed::load(&data.join("poa_trensurb_gtfs.zip"), "trensurb").unwrap();
        rail.default_fare = Some(450);
        Timetable::build(&[bus, rail], DATE)
    })
}

/// `k` stops with at least one departure, drawn by `rng`.
fn served_stops(tt: &Timetable, rng: &mut ChaCha8Rng, k: usize) -> Vec<u32> {
    let served: Vec<u32> =
        (0..tt.stops.len() as u32).filter(|&s| !tt.stop_patterns[s as usize].is_empty()).collect();
    (0..k).map(|_| served[rng.random_range(0..served.len())]).collect()
}

#[test]
fn raptor_equals_the_connection_scan_on_the_real_timetable() {
    let tt = timetable();
    assert!(tt.trip_count > 2_500, "{} trips", tt.trip_count);
    let connections = tt.connections();
    let mut raptor = Raptor::new(tt);
    let mut rng = ChaCha8Rng::seed_from_u64(2019);
    let origins = served_stops(tt, &mut rng, 25);
    let mut reached = 0;
    for origin in origins {
        let at = rng.random_range(11 * 3_600..15 * 3_600);
        let want = csa::earliest_arrivals(tt, &connections, origin, at);
        let got = raptor.run(tt, origin, at, None, usize::MAX);
        assert_eq!(got, &want[..], "from {} at {at}", tt.stops[origin as usize].id);
        reached += want.iter().filter(|&&a| a != omnibus_transit::UNREACHED).count();
    }
    // The searches reach most of the city, so the comparison is not vacuous.
    assert!(reached > 25 * tt.stops.len() / 2, "{reached}");
}

/// Access and egress like the planner's: a few stops, walked to in a few
/// minutes, one of them a car park's stop with a parking price.
fn ends(tt: &Timetable, rng: &mut ChaCha8Rng, at: u32) -> (Vec<Access>, Vec<Egress>) {
    let access = served_stops(tt, rng, 3)
        .into_iter()
        .enumerate()
        .map(|(tag, stop)| Access {
            stop,
            arrival: at + rng.random_range(0..600),
            money: if tag == 2 { 500 } else { 0 },
            tag: tag as u32,
        })
        .collect();
    let egress = served_stops(tt, rng, 3)
        .into_iter()
        .enumerate()
        .map(|(tag, stop)| Egress { stop, secs: rng.random_range(0..600), money: 0, tag: tag as u32 })
        .collect();
    (access, egress)
}

#[test]
fn mcraptor_pareto_sets_equal_the_multi_criteria_scan_on_the_real_timetable() {
    let tt = timetable();
    let connections = tt.connections();
    let fares = tt.trip_fares();
    let mut mc = McRaptor::new(tt);
    let mut rng = ChaCha8Rng::seed_from_u64(507);
    let mut journeys = 0;
    for _ in 0..12 {
        let at = rng.random_range(11 * 3_600..14 * 3_600);
        let (access, egress) = ends(tt, &mut rng, at);
        for max_trips in [2, 4] {
            let want = csa::pareto_journeys(tt, &connections, &fares, &access, &egress, max_trips);
            let got = mc.run(tt, &access, &egress, &Options { max_trips, ..Options::default() });
            let criteria: Vec<(u32, u8, u32)> = got.iter().map(Journey::criteria).collect();
            assert_eq!(criteria, want, "access {access:?} egress {egress:?} max {max_trips}");
            for j in &got {
                check_journey(tt, j, &access, &egress);
            }
            journeys += got.len();
        }
    }
    assert!(journeys > 20, "{journeys} journeys");
}

fn clock(secs: u32) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3_600, secs / 60 % 60, secs % 60)
}

/// The Pareto journeys of a few fixed queries, as readable text.
fn golden_text() -> String {
    let tt = timetable();
    let mut mc = McRaptor::new(tt);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut out = String::new();
    writeln!(
        out,
        "# McRAPTOR Pareto sets (arrival, trips, money) on the bundled Porto Alegre feeds, {DATE}."
    )
    .unwrap();
    writeln!(out, "# Regenerate with UPDATE_GOLDEN=1 cargo test -p omnibus-transit --test porto_alegre.")
        .unwrap();
    for q in 0..10 {
        let at = 11 * 3_600 + q * 17 * 60;
        let (access, egress) = ends(tt, &mut rng, at);
        let name = |s: u32| format!("{} ({})", tt.stops[s as usize].name, tt.stops[s as usize].id);
        writeln!(out, "\nquery {q}: leave {}", clock(at)).unwrap();
        for a in &access {
            writeln!(out, "  in  #{} {} at {} paying {}", a.tag, name(a.stop), clock(a.arrival), a.money)
                .unwrap();
        }
        for e in &egress {
            writeln!(out, "  out #{} {} + {} s", e.tag, name(e.stop), e.secs).unwrap();
        }
        for j in mc.run(tt, &access, &egress, &Options::default()) {
            let (arrival, trips, money) = j.criteria();
            writeln!(
                out,
                "  journey: arrive {} trips {trips} money {money} via in #{} out #{}",
                clock(arrival),
                j.access,
                j.egress
            )
            .unwrap();
            for (step, stop, time) in &j.steps {
                match *step {
                    Step::Ride { pattern, trip, board, .. } => {
                        let p = &tt.patterns[pattern as usize];
                        let dep = p.at(trip as usize, board as usize).1;
                        writeln!(
                            out,
                            "    ride {} from {} at {} to {} at {}",
                            p.route,
                            name(p.stops[board as usize]),
                            clock(dep),
                            name(*stop),
                            clock(*time)
                        )
                        .unwrap();
                    }
                    Step::Walk { from, secs } => {
                        writeln!(out, "    walk {secs} s from {} to {}", name(from), name(*stop)).unwrap();
                    }
                    Step::Access(_) => {}
                }
            }
        }
    }
    out
}

#[test]
fn golden_journeys() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/porto_alegre_journeys.txt");
    omnibus_core::golden::check(&path, &golden_text(), "journeys");
}
