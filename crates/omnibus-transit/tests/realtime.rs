//! GTFS-Realtime trip updates on Caltrain's own feeds: every update matches
//! its static trip, absolute times become delays, and the rebuilt timetable
//! carries the new times to RAPTOR.

use omnibus_transit::realtime::{self, FeedMessage};
use omnibus_transit::timetable::Delays;
use omnibus_transit::{Feed, Raptor, Timetable};
use std::path::Path;

fn data(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file)
}

/// 7 November 2023, Pacific Standard Time.
const DATE: u32 = 20_231_107;
const PST: i32 = -8 * 3_600;

fn trip_times(tt: &Timetable, trip: &str) -> Vec<(String, u32, u32)> {
    for p in &tt.patterns {
        if let Some(t) = p.trips.iter().position(|id| id == trip) {
            return (0..p.stops.len())
                .map(|i| (tt.stops[p.stops[i] as usize].id.clone(), p.at(t, i).0, p.at(t, i).1))
                .collect();
        }
    }
    panic!("trip {trip} is not in the timetable");
}

#[test]
fn caltrain_trip_updates_move_the_timetable() {
    let feed = Feed::load(&data("caltrain_2023.zip"), "ct").unwrap();
    let message: FeedMessage = realtime::decode(&std::fs::read(data("ct-trip-updates.pb")).unwrap()).unwrap();
    let mut delays = Delays::default();
    let report = realtime::apply(&mut delays, &message, &feed, DATE, PST);
    assert_eq!(report.trip_updates, 19);
    assert_eq!(report.matched, 19, "{:?}", report.unmatched);
    assert!(report.stop_updates >= 19 * 2);

    let scheduled = Timetable::build(std::slice::from_ref(&feed), DATE);
    let live = Timetable::build_with(std::slice::from_ref(&feed), DATE, &delays);
    assert_eq!(scheduled.trip_count, live.trip_count);
    // Trip 124 leaves stop 70232 (sequence 20) at 1699405504 UTC = 17:05:04 PST.
    let times = trip_times(&live, "ct:124");
    let (_, _, dep) = times.iter().find(|(stop, _, _)| stop == "ct:70232").unwrap();
    assert_eq!(*dep, 17 * 3_600 + 5 * 60 + 4);
    // Its last update (sequence 23, 70272) arrives at 1699406518 = 17:21:58.
    let (_, arr, _) = times.iter().find(|(stop, _, _)| stop == "ct:70272").unwrap();
    assert_eq!(*arr, 17 * 3_600 + 21 * 60 + 58);
    // Times never go backwards along the trip.
    assert!(times.windows(2).all(|w| w[0].2 <= w[1].1 && w[1].1 <= w[1].2));
    // Stops before the first update keep their schedule.
    let before = trip_times(&scheduled, "ct:124");
    assert_eq!(times[0], before[0]);

    // RAPTOR sees the delayed train: from 70232 at its scheduled departure the
    // arrival at 70272 moves with the update.
    let id = |tt: &Timetable, s: &str| tt.stops.iter().position(|x| x.id == s).unwrap() as u32;
    let (_, _, sched_dep) = before.iter().find(|(stop, _, _)| stop == "ct:70232").unwrap().clone();
    let mut r = Raptor::new(&scheduled);
    let on_time = r.run(&scheduled, id(&scheduled, "ct:70232"), sched_dep, None, 4)
        [id(&scheduled, "ct:70272") as usize];
    let mut r = Raptor::new(&live);
    let delayed = r.run(&live, id(&live, "ct:70232"), sched_dep, None, 4)[id(&live, "ct:70272") as usize];
    assert_ne!(on_time, delayed, "the update changes the answer");
}

#[test]
fn cancellations_and_bad_bytes() {
    let feed = Feed::load(&data("caltrain_2023.zip"), "ct").unwrap();
    let mut message: FeedMessage =
        realtime::decode(&std::fs::read(data("ct-trip-updates.pb")).unwrap()).unwrap();
    message.entity.truncate(1);
    let update = message.entity[0].trip_update.as_mut().unwrap();
    update.trip.as_mut().unwrap().schedule_relationship = Some(3);
    let mut delays = Delays::default();
    let report = realtime::apply(&mut delays, &message, &feed, DATE, PST);
    assert_eq!(report.cancelled, 1);
    let live = Timetable::build_with(std::slice::from_ref(&feed), DATE, &delays);
    assert!(!live.patterns.iter().any(|p| p.trips.iter().any(|t| t == "ct:124")));
    // Another day's update does not apply.
    let report = realtime::apply(&mut Delays::default(), &message, &feed, 20_231_108, PST);
    assert_eq!((report.matched, report.unmatched_count), (0, 1), "{:?}", report.unmatched);
    // Bytes that are not a feed message are refused, not half-read.
    assert!(realtime::decode(b"\xff\xff\xff not protobuf").is_err());
}
