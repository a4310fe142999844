//! Checks shared by the transit tests.

use omnibus_transit::mcraptor::Step;
use omnibus_transit::{Access, Egress, Journey, Timetable};

/// A journey's steps are real: it starts at its access, each ride boards
/// where the traveller is after the access time, the fares add up to its
/// money and it ends at its egress stop.
pub fn check_journey(tt: &Timetable, j: &Journey, access: &[Access], egress: &[Egress]) {
    let a = access[j.access as usize];
    let (mut at, mut time, mut money, mut trips) = (a.stop, a.arrival, a.money, 0);
    for (step, stop, arrival) in &j.steps {
        match *step {
            Step::Ride { pattern, trip, board, alight } => {
                let p = &tt.patterns[pattern as usize];
                assert_eq!(p.stops[board as usize], at);
                assert!(p.at(trip as usize, board as usize).1 >= time, "boards a trip already gone");
                assert!(alight > board);
                assert_eq!(p.stops[alight as usize], *stop);
                assert_eq!(p.at(trip as usize, alight as usize).0, *arrival);
                money += p.fare.unwrap_or(0);
                trips += 1;
            }
            Step::Walk { from, secs } => {
                assert_eq!(from, at);
                assert_eq!(time + secs, *arrival);
            }
            Step::Access(_) => unreachable!("access is not a step"),
        }
        (at, time) = (*stop, *arrival);
    }
    let e = egress[j.egress as usize];
    assert_eq!(e.stop, at);
    assert_eq!((time + e.secs, trips, money + e.money), j.criteria());
}
