//! The public Linear Road sample inputs parse and run through the rules.

use omnibus_linear_road::tuple::EXIT_LANE;
use omnibus_linear_road::{History, Output, Tuple, parse, run};
use std::collections::HashMap;

#[test]
fn the_first_twenty_seconds_of_a_generator_run() {
    let text = include_str!("data/datafile20seconds.dat");
    let tuples = parse(text, "datafile20seconds.dat").unwrap();
    assert_eq!(tuples.len(), 280);
    let out = run(&tuples, &History::default());
    // In minute 1 no segment has statistics yet: every car entering a segment
    // (outside the exit lane) is told a toll of 0, and nothing else happens but
    // the one daily-expenditure answer.
    let mut last_seg: HashMap<u32, (u32, u8, u32)> = HashMap::new();
    let mut entering = 0;
    for t in &tuples {
        if let Tuple::Position(p) = t {
            let key = (p.xway, p.dir, p.seg);
            if last_seg.insert(p.vid, key) != Some(key) && p.lane != EXIT_LANE {
                entering += 1;
            }
        }
    }
    let tolls: Vec<_> = out.iter().filter(|o| matches!(o, Output::Toll { .. })).collect();
    assert_eq!(tolls.len(), entering);
    assert!(tolls.iter().all(|o| matches!(o, Output::Toll { toll: 0, lav: 0, .. })));
    assert_eq!(out.iter().filter(|o| matches!(o, Output::DailyExpenditure { .. })).count(), 1);
    assert_eq!(out.len(), entering + 1);
}

#[test]
fn hand_made_inputs_parse() {
    for (name, text, n) in [
        ("testNov1.dat", include_str!("data/testNov1.dat"), 16),
        ("testLav1.dat", include_str!("data/testLav1.dat"), 8),
    ] {
        assert_eq!(parse(text, name).unwrap().len(), n, "{name}");
    }
    // testLav1: car 100 in segment 10 at 30, 40, 50 mph in minutes 1–3; then
    // segment 20. Entering 20 at minute 3 (time 120) car 200 sees no traffic
    // there in minute 2: toll 0.
    let out = run(&parse(include_str!("data/testLav1.dat"), "testLav1.dat").unwrap(), &History::default());
    assert!(out.contains(&Output::Toll { vid: 200, time: 120, lav: 0, toll: 0 }));
}
