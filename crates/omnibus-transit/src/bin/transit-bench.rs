//! Transit query benchmark: imports GTFS feeds, builds the busiest weekday's
//! timetable, and answers random origin–destination–time queries on one core
//! with RAPTOR (earliest arrival, pruned by the target) and, as the baseline
//! in the same run, with the plain connection scan; checks they agree and
//! writes import time, memory and query percentiles as JSON.
//!
//! Usage: `transit-bench [--queries N] [--seed S] [--out FILE] FEED.zip...`

use omnibus_transit::bench::{QueryArgs, peak_rss_mib, percentile};
use omnibus_transit::{Feed, Raptor, Timetable, UNREACHED, csa};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// The weekday on which the most trips run, over the feeds' calendars.
fn busiest_day(feeds: &[Feed]) -> u32 {
    let mut candidates = BTreeSet::new();
    for f in feeds {
        for c in f.calendars.values() {
            for d in 0..14 {
                candidates.insert(omnibus_transit::gtfs::add_days(c.start, d));
            }
        }
        for (_, d, _) in &f.calendar_dates {
            candidates.insert(*d);
        }
    }
    let count = |date: u32| -> usize {
        feeds
            .iter()
            .map(|f| {
                let mut by_service: HashMap<&str, bool> = HashMap::new();
                f.trips
                    .iter()
                    .filter(|t| *by_service.entry(&t.service).or_insert_with(|| f.runs(&t.service, date)))
                    .count()
            })
            .sum()
    };
    candidates
        .into_iter()
        .filter(|d| omnibus_transit::gtfs::weekday(*d) < 5)
        .max_by_key(|d| (count(*d), std::cmp::Reverse(*d)))
        .unwrap_or(20_250_101)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = QueryArgs::parse(std::env::args().skip(1), 1_000, 1, "transit-bench.json")?;
    if args.help {
        std::io::stdout().write_all(
            b"transit-bench [--queries N] [--seed S] [--out FILE] FEED.zip...\n\nImports the feeds, builds the busiest weekday's timetable and times N random\nstop-to-stop earliest-arrival queries with RAPTOR and with the connection scan.\n",
        )?;
        return Ok(());
    }
    let (queries, seed, out) = (args.queries, args.seed, args.out);
    let paths: Vec<PathBuf> = args.rest.iter().map(PathBuf::from).collect();
    if paths.is_empty() {
        return Err("name one or more GTFS feeds (.zip or directory); see --help".into());
    }
    let started = Instant::now();
    let mut feeds = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let feed = Feed::load(p, &format!("f{i}"))?;
        eprintln!(
            "{}: {} stops, {} trips, {} stop times, {} rows skipped",
            p.display(),
            feed.stops.len(),
            feed.trips.len(),
            feed.stop_times.len(),
            feed.report.skipped
        );
        feeds.push(feed);
    }
    let import_s = started.elapsed().as_secs_f64();
    let date = busiest_day(&feeds);
    let started = Instant::now();
    let tt = Timetable::build(&feeds, date);
    let build_s = started.elapsed().as_secs_f64();
    drop(feeds);
    let footpaths: usize = tt.footpaths.iter().map(Vec::len).sum();
    eprintln!(
        "{date}: {} stops, {} patterns, {} trips, {footpaths} footpaths",
        tt.stops.len(),
        tt.patterns.len(),
        tt.trip_count
    );

    // Queries between stops that some pattern serves, departing 06:00–22:00.
    let served: Vec<u32> =
        (0..tt.stops.len() as u32).filter(|s| !tt.stop_patterns[*s as usize].is_empty()).collect();
    if served.is_empty() {
        return Err(format!("no trip runs on {date}: nothing to query").into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let qs: Vec<(u32, u32, u32)> = (0..queries)
        .map(|_| {
            (
                served[rng.random_range(0..served.len())],
                served[rng.random_range(0..served.len())],
                rng.random_range(6 * 3_600..22 * 3_600),
            )
        })
        .collect();
    let mut raptor = Raptor::new(&tt);
    let (mut rt, mut arrivals) = (Vec::new(), Vec::new());
    for &(o, d, t) in &qs {
        let s = Instant::now();
        let a = raptor.run(&tt, o, t, Some(d), usize::MAX)[d as usize];
        rt.push(s.elapsed().as_secs_f64() * 1e3);
        arrivals.push(a);
    }
    let connections = tt.connections();
    let (mut ct, mut agree) = (Vec::new(), 0usize);
    for (k, &(o, d, t)) in qs.iter().enumerate() {
        let s = Instant::now();
        let a = csa::earliest_arrivals(&tt, &connections, o, t)[d as usize];
        ct.push(s.elapsed().as_secs_f64() * 1e3);
        agree += usize::from(a == arrivals[k]);
    }
    rt.sort_by(f64::total_cmp);
    ct.sort_by(f64::total_cmp);
    let reached = arrivals.iter().filter(|a| **a != UNREACHED).count();
    let json = format!(
        "{{\n  \"feeds\": [{}],\n  \"date\": {date},\n  \"stops\": {},\n  \"patterns\": {},\n  \"trips\": {},\n  \"connections\": {},\n  \"footpaths\": {footpaths},\n  \"import_s\": {import_s:.2},\n  \"timetable_build_s\": {build_s:.2},\n  \"peak_rss_mib\": {:.0},\n  \"queries\": {queries},\n  \"reached\": {reached},\n  \"raptor_ms\": {{\"p50\": {:.3}, \"p99\": {:.3}, \"max\": {:.3}}},\n  \"csa_baseline_ms\": {{\"p50\": {:.3}, \"p99\": {:.3}, \"max\": {:.3}}},\n  \"agree_with_baseline\": {agree}\n}}\n",
        paths
            .iter()
            .map(|p| format!(
                "{:?}",
                p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
            ))
            .collect::<Vec<_>>()
            .join(", "),
        tt.stops.len(),
        tt.patterns.len(),
        tt.trip_count,
        connections.len(),
        peak_rss_mib(),
        percentile(&rt, 0.5),
        percentile(&rt, 0.99),
        rt.last().copied().unwrap_or(0.0),
        percentile(&ct, 0.5),
        percentile(&ct, 0.99),
        ct.last().copied().unwrap_or(0.0),
    );
    std::fs::write(&out, &json)?;
    std::io::stdout().write_all(json.as_bytes())?;
    Ok(())
}
