//! RAPTOR against the plain connection scan on generated timetables
//! (property test) and on a real sample feed; GTFS import errors and
//! skipped rows.

use omnibus_core::LatLon;
use omnibus_transit::csa;
use omnibus_transit::gtfs::{Calendar, Feed, Route, Stop, StopTime, Trip};
use omnibus_transit::mcraptor::Options;
use omnibus_transit::{Access, Egress, Journey, McRaptor, Raptor, Timetable, UNREACHED};
use proptest::prelude::*;

mod common;
use common::check_journey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// A random feed: stops in a 2 km square (so some are within walking
/// distance), routes over random stop sequences, trips every few minutes with
/// random running and dwell times. Some routes share stops, so transfers matter.
fn random_feed(seed: u64) -> Feed {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_stops = rng.random_range(5..40);
    let mut feed = Feed { name: "g".into(), ..Feed::default() };
    for i in 0..n_stops {
        feed.stops.push(Stop {
            id: format!("s{i}"),
            name: format!("Stop {i}"),
            pos: LatLon::new(-30.0 + rng.random_range(0.0..0.018), -51.2 + rng.random_range(0.0..0.02)),
            location_type: 0,
            parent: None,
            wheelchair: 0,
        });
    }
    feed.calendars.insert("all".into(), Calendar { days: [true; 7], start: 20_200_101, end: 20_301_231 });
    for r in 0..rng.random_range(1..10) {
        // Fares of a few sizes, some routes free: money trades against time.
        let fare = [None, Some(0), Some(250), Some(470), Some(900)][rng.random_range(0..5)];
        feed.routes.push(Route {
            id: format!("r{r}"),
            name: format!("R{r}"),
            route_type: 3,
            agency: String::new(),
            fare,
        });
        let len = rng.random_range(2..n_stops.min(12) + 1);
        let mut stops: Vec<u32> = (0..n_stops).collect();
        for i in 0..len as usize {
            let j = rng.random_range(i..stops.len());
            stops.swap(i, j);
        }
        stops.truncate(len as usize);
        let first = rng.random_range(6 * 3_600..8 * 3_600);
        for k in 0..rng.random_range(1..8) {
            let trip = feed.trips.len() as u32;
            feed.trips.push(Trip {
                id: format!("r{r}t{k}"),
                route: r,
                service: "all".into(),
                wheelchair: 0,
                bikes: 0,
            });
            // Later trips may be faster: overtaking splits patterns.
            let mut t = first + k * rng.random_range(120..900);
            for (seq, stop) in stops.iter().enumerate() {
                let dwell = rng.random_range(0..60);
                feed.stop_times.push(StopTime {
                    trip,
                    stop: *stop,
                    sequence: seq as u32,
                    arrival: Some(t),
                    departure: Some(t + dwell),
                });
                t += dwell + rng.random_range(0..400);
            }
        }
    }
    // A few transfers from the file, with a minimum time.
    for _ in 0..rng.random_range(0..4) {
        let (a, b) = (rng.random_range(0..n_stops), rng.random_range(0..n_stops));
        feed.transfers.push((a, b, rng.random_range(0..300)));
    }
    feed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn raptor_equals_the_connection_scan_on_generated_timetables(seed in 0u64..1_000_000, at in 6 * 3_600u32..9 * 3_600) {
        let tt = Timetable::build(&[random_feed(seed)], 20_250_101);
        let connections = tt.connections();
        let mut raptor = Raptor::new(&tt);
        for origin in 0..tt.stops.len() as u32 {
            let want = csa::earliest_arrivals(&tt, &connections, origin, at);
            let got = raptor.run(&tt, origin, at, None, usize::MAX).to_vec();
            prop_assert_eq!(&got, &want, "origin {}", origin);
            // With a target, the target's arrival is the same.
            for target in 0..tt.stops.len() as u32 {
                let pruned = raptor.run(&tt, origin, at, Some(target), usize::MAX)[target as usize];
                prop_assert_eq!(pruned, want[target as usize]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn raptor_rounds_equal_a_scan_per_trip_count(seed in 0u64..1_000_000, at in 6 * 3_600u32..9 * 3_600) {
        let tt = Timetable::build(&[random_feed(seed)], 20_250_101);
        let connections = tt.connections();
        let mut raptor = Raptor::new(&tt);
        let k_max = 6;
        for origin in 0..tt.stops.len().min(6) as u32 {
            let layers = csa::earliest_arrivals_by_trips(&tt, &connections, origin, at, k_max);
            for target in 0..tt.stops.len() as u32 {
                raptor.run(&tt, origin, at, Some(target), k_max);
                for (k, got) in raptor.target_by_round.iter().enumerate() {
                    prop_assert_eq!(*got, layers[k + 1][target as usize], "origin {} target {} trips {}", origin, target, k + 1);
                }
                // The Pareto set: fewer trips first, each strictly earlier, ending at the earliest arrival.
                let front = raptor.pareto(&tt, origin, at, target, k_max);
                prop_assert!(front.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1));
                let earliest = layers[k_max][target as usize];
                prop_assert_eq!(front.last().map(|(_, a)| *a), (earliest != UNREACHED).then_some(earliest));
                for (k, a) in &front {
                    prop_assert_eq!(*a, layers[*k][target as usize]);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    #[test]
    fn mcraptor_pareto_sets_equal_a_multi_criteria_connection_scan(
        seed in 0u64..1_000_000,
        at in 6 * 3_600u32..9 * 3_600,
        paid_access in 0u32..300,
    ) {
        let tt = Timetable::build(&[random_feed(seed)], 20_250_101);
        let connections = tt.connections();
        let fares = tt.trip_fares();
        let mut mc = McRaptor::new(&tt);
        let n = tt.stops.len() as u32;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        for _ in 0..6 {
            // A few ways in (one of them dearer and later, like parking) and a few ways out.
            let access: Vec<Access> = (0..rng.random_range(1..4u32))
                .map(|tag| Access {
                    stop: rng.random_range(0..n),
                    arrival: at + rng.random_range(0..600),
                    money: if tag == 2 { paid_access } else { 0 },
                    tag,
                })
                .collect();
            let egress: Vec<Egress> = (0..rng.random_range(1..4u32))
                .map(|tag| Egress { stop: rng.random_range(0..n), secs: rng.random_range(0..500), money: 0, tag })
                .collect();
            for max_trips in [1, 3, 6] {
                let want = csa::pareto_journeys(&tt, &connections, &fares, &access, &egress, max_trips);
                let options = Options { max_trips, ..Options::default() };
                let got = mc.run(&tt, &access, &egress, &options);
                let criteria: Vec<(u32, u8, u32)> = got.iter().map(Journey::criteria).collect();
                prop_assert_eq!(&criteria, &want, "access {:?} egress {:?} max {}", access, egress, max_trips);
                for j in &got {
                    check_journey(&tt, j, &access, &egress);
                }
            }
        }
    }
}

fn sample() -> Feed {
    Feed::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/google_sample_feed_1.zip")), "g")
        .unwrap()
}

#[test]
fn the_google_sample_feed_imports_and_plans_by_hand() {
    let feed = sample();
    assert_eq!(feed.stops.len(), 9);
    assert_eq!(feed.trips.len(), 11);
    // Tuesday 5 June 2007: frequencies expand STBA every 30 minutes 06:00–22:00.
    let tt = Timetable::build(std::slice::from_ref(&feed), 20_070_605);
    let id = |s: &str| tt.stops.iter().position(|x| x.id == format!("g:{s}")).unwrap() as u32;
    let mut raptor = Raptor::new(&tt);
    let arr = raptor.run(&tt, id("STAGECOACH"), 6 * 3_600, None, usize::MAX);
    assert_eq!(arr[id("BEATTY_AIRPORT") as usize], 6 * 3_600 + 20 * 60);
    // At 06:01 the next STBA leaves at 06:30.
    let arr = raptor.run(&tt, id("STAGECOACH"), 6 * 3_600 + 60, None, usize::MAX);
    assert_eq!(arr[id("BEATTY_AIRPORT") as usize], 6 * 3_600 + 50 * 60);
    // 4 June 2007 is removed from FULLW by calendar_dates: only weekend service would run, and it is a Monday.
    let monday = Timetable::build(std::slice::from_ref(&feed), 20_070_604);
    assert!(monday.trip_count < tt.trip_count);
    // Every stop from every stop at several times: RAPTOR equals the scan.
    let connections = tt.connections();
    for origin in 0..tt.stops.len() as u32 {
        for at in [5 * 3_600, 7 * 3_600 + 13 * 60, 12 * 3_600, 21 * 3_600 + 59 * 60] {
            let want = csa::earliest_arrivals(&tt, &connections, origin, at);
            assert_eq!(raptor.run(&tt, origin, at, None, usize::MAX), &want[..]);
        }
    }
    assert!(arr_reached(&mut raptor, &tt, id("STAGECOACH")) > 3);
}

fn arr_reached(raptor: &mut Raptor, tt: &Timetable, origin: u32) -> usize {
    raptor.run(tt, origin, 6 * 3_600, None, usize::MAX).iter().filter(|a| **a != UNREACHED).count()
}

#[test]
fn bad_rows_are_skipped_and_reported_and_missing_columns_fail_by_name() {
    let dir = tempfile_dir();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "stops.txt",
        "stop_id,stop_name,stop_lat,stop_lon\na,A,-30.0,-51.2\nb,B,north,-51.2\nc,C,-30.001,-51.2\n",
    );
    write("routes.txt", "route_id,route_short_name,route_type,route_text_color\nr,R,3,0\n");
    write("trips.txt", "route_id,service_id,trip_id\nr,all,t1\nx,all,t2\n");
    write(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nt1,07:00:00,07:00:00,a,1\nt1,07:0x:00,07:05:00,c,2\nt1,07:10:00,07:10:00,c,3\n",
    );
    write(
        "calendar.txt",
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nall,1,1,1,1,1,1,1,20200101,20301231\n",
    );
    let feed = Feed::load(&dir, "f").unwrap();
    assert_eq!(feed.stops.len(), 2);
    assert_eq!(feed.trips.len(), 1);
    assert_eq!(feed.stop_times.len(), 2);
    let skipped: Vec<String> = feed.report.sample.iter().map(ToString::to_string).collect();
    assert_eq!(
        skipped,
        vec![
            "stops.txt:3: stop_lat: \"north\" is not a number",
            "trips.txt:3: route_id: \"x\" is not in routes.txt",
            "stop_times.txt:3: arrival_time: \"07:0x:00\" is not HH:MM:SS",
        ]
    );
    // A required column missing fails the import, naming file and column.
    write("stop_times.txt", "trip_id,arrival_time,departure_time,stop_sequence\n");
    let e = Feed::load(&dir, "f").unwrap_err();
    assert_eq!(e.to_string(), "stop_times.txt:1: stop_id: required column is missing");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("omnibus-transit-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
