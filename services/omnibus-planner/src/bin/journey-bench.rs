//! Multimodal planner benchmark on the bundled city: imports the street
//! graph and the bus and metro feeds, then answers random origin–destination–
//! time queries on one core, once with every way of travelling (walk, bike,
//! car with parking, transit reached on foot, by bike and by car) and, as the
//! baseline in the same run, with walking and transit only. Writes import
//! time, memory and query percentiles as JSON.
//!
//! Usage: `journey-bench [--queries N] [--seed S] [--out FILE]`

use omnibus_core::live::LiveCity;
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{City, EventTime, LatLon};
use omnibus_planner::CarPlanner;
use omnibus_planner::journey::{JourneyPlanner, JourneyRequest, Modes, Preferences};
use omnibus_planner::transit::TransitNetwork;
use omnibus_transit::bench::{QueryArgs, peak_rss_mib, percentile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

/// 00:00 on Tuesday 7 May 2019 in Porto Alegre (UTC−3), in ms.
const MIDNIGHT_MS: i64 = 1_557_198_000_000;

fn main() -> std::io::Result<()> {
    const USAGE: &str = "usage: journey-bench [--queries N] [--seed S] [--out FILE]";
    let parsed = QueryArgs::parse(std::env::args().skip(1), 1_000, 42, "target/journey-bench.json")
        .and_then(QueryArgs::without_rest)
        .map_err(|e| {
            eprintln!("{USAGE}");
            std::io::Error::other(e)
        })?;
    let Some(args) = parsed else {
        eprintln!("{USAGE}");
        return Ok(());
    };
    let (queries, seed, out) = (args.queries, args.seed, args.out);
    let t = Instant::now();
    let city = Arc::new(City::porto_alegre());
    let city_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let transit = Arc::new(TransitNetwork::porto_alegre(&city).expect("bundled feeds import"));
    let live = LiveCity::new(PolicyStore::new(Policy::default(), "bench").expect("default policy"));
    let day = transit.day(20_190_507);
    let transit_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let car = CarPlanner::new(city.clone(), live).with_hierarchy_now();
    let hierarchy_s = t.elapsed().as_secs_f64();
    let planner = JourneyPlanner::new(car, Some(transit.clone()));
    let rss = peak_rss_mib();
    eprintln!(
        "city {city_s:.2} s, transit {transit_s:.2} s ({} trips), car hierarchy {hierarchy_s:.2} s, \
         peak RSS {rss:.0} MiB",
        day.timetable.trip_count
    );

    // Random ends at street nodes, departures 11:30–15:00 (the bus feed runs 11:00–16:00).
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let b = city.network.bounds();
    let mut pick = || loop {
        let p = LatLon::new(rng.random_range(b.min_lat..b.max_lat), rng.random_range(b.min_lon..b.max_lon));
        if planner.car.snap("origin", p).is_ok()
            && city.streets.nearest(p, omnibus_core::streets::StreetMode::Walk, 300.0).is_some()
        {
            return p;
        }
    };
    let mut cases = Vec::with_capacity(queries);
    for _ in 0..queries {
        cases.push((pick(), pick()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 1);
    let times: Vec<i64> =
        (0..queries).map(|_| MIDNIGHT_MS + rng.random_range(41_400..54_000) * 1_000).collect();

    let mut report = Vec::new();
    for (name, modes) in [
        ("walk_transit", Modes { walk: true, transit: true, ..Modes::default() }),
        ("multimodal", Modes { bike_share: false, ..Modes::all() }),
    ] {
        let mut ms = Vec::with_capacity(queries);
        let (mut itineraries, mut with_transit, mut failed) = (0usize, 0usize, 0usize);
        for (k, (o, d)) in cases.iter().enumerate() {
            let req = JourneyRequest {
                origin: *o,
                destination: *d,
                depart: EventTime(times[k]),
                modes,
                preferences: Preferences::default(),
            };
            let t = Instant::now();
            let plan = planner.plan(&req);
            ms.push(t.elapsed().as_secs_f64() * 1_000.0);
            match plan {
                Ok(p) => {
                    itineraries += p.itineraries.len();
                    with_transit +=
                        usize::from(p.itineraries.iter().any(|i| i.transfers > 0 || i.fare.0 > 0));
                }
                Err(_) => failed += 1,
            }
        }
        ms.sort_by(f64::total_cmp);
        let (p50, p99, max) = (percentile(&ms, 0.5), percentile(&ms, 0.99), ms[ms.len() - 1]);
        eprintln!(
            "{name}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; {itineraries} itineraries, \
             {with_transit} queries with transit, {failed} failed"
        );
        report.push(format!(
            "{{\"modes\":\"{name}\",\"queries\":{queries},\"p50_ms\":{p50:.3},\"p99_ms\":{p99:.3},\"max_ms\":{max:.3},\
             \"itineraries\":{itineraries},\"queries_with_transit\":{with_transit},\"failed\":{failed}}}"
        ));
    }
    let json = format!(
        "{{\"city\":\"{}\",\"street_nodes\":{},\"trips\":{},\"stops\":{},\"import_city_s\":{city_s:.3},\
         \"import_transit_s\":{transit_s:.3},\"car_hierarchy_s\":{hierarchy_s:.3},\"peak_rss_mib\":{rss:.1},\"seed\":{seed},\"runs\":[{}]}}\n",
        city.name,
        city.streets.node_count(),
        day.timetable.trip_count,
        day.timetable.stops.len(),
        report.join(",")
    );
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(&out)?.write_all(json.as_bytes())?;
    eprintln!("wrote {out}");
    Ok(())
}
