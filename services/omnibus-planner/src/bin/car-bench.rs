//! Car routing benchmark on the bundled city: the customizable contraction
//! hierarchy against Dijkstra (the baseline, in the same run) on random
//! origin–destination pairs, under live congestion and tolls. Reports the
//! hierarchy's preprocessing time, its customization time, how long a query
//! takes to see a live update (the write, then the first query, which
//! re-customizes), and query percentiles for both engines, as JSON.
//!
//! Usage: `car-bench [--queries N] [--seed S] [--out FILE]`

use omnibus_core::live::{LiveCity, SegmentLive};
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{Cents, City, EventTime, LatLon, MetersPerSecond, Minute, SegmentId};
use omnibus_planner::CarPlanner;
use omnibus_transit::bench::{QueryArgs, peak_rss_mib, percentile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

/// Congests and tolls a random tenth of the segments.
fn congest(live: &LiveCity, segments: usize, rng: &mut ChaCha8Rng, minute: i64) {
    let updates: Vec<(SegmentId, SegmentLive)> = (0..segments / 10)
        .map(|_| {
            let s = SegmentId(rng.random_range(0..segments as u32));
            let live = SegmentLive {
                minute: Minute(minute),
                vehicles: 5,
                loop_count: 0,
                window_speed: Some(MetersPerSecond(rng.random_range(1.0..15.0))),
                price: Cents(rng.random_range(0..300)),
                policy_version: 1,
            };
            (s, live)
        })
        .collect();
    live.update_segments(updates);
}

fn stats(ms: &mut [f64]) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    (percentile(ms, 0.5), percentile(ms, 0.99), ms[ms.len() - 1])
}

fn main() -> std::io::Result<()> {
    const USAGE: &str = "usage: car-bench [--queries N] [--seed S] [--out FILE]";
    let parsed = QueryArgs::parse(std::env::args().skip(1), 1_000, 42, "target/car-bench.json")
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
    let city = Arc::new(City::porto_alegre());
    let live = LiveCity::new(PolicyStore::new(Policy::default(), "bench").expect("default policy"));
    let dijkstra = CarPlanner::new(city.clone(), live.clone());
    let t = Instant::now();
    let cch = dijkstra.clone().with_hierarchy_now();
    let preprocess_s = t.elapsed().as_secs_f64();
    let hierarchy = cch.hierarchy.get().expect("built now");
    let segments = city.network.segments().len();

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let b = city.network.bounds();
    let mut cases = Vec::with_capacity(queries);
    while cases.len() < queries {
        let mut p =
            || LatLon::new(rng.random_range(b.min_lat..b.max_lat), rng.random_range(b.min_lon..b.max_lon));
        let (o, d) = (p(), p());
        if dijkstra.plan_car(o, d, EventTime(0), 0).is_ok() {
            cases.push((o, d));
        }
    }

    // A live update, then the first query: it re-customizes before answering.
    let mut update_ms = Vec::new();
    for minute in 0..20 {
        congest(&live, segments, &mut rng, minute);
        let (o, d) = cases[minute as usize % cases.len()];
        let t = Instant::now();
        cch.plan_car(o, d, EventTime(0), 0).expect("planned before");
        update_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (update_p50, update_p99, update_max) = stats(&mut update_ms);

    let mut runs = Vec::new();
    let mut mismatches = 0usize;
    let mut durations = Vec::new();
    for (name, planner) in [("dijkstra", &dijkstra), ("cch", &cch)] {
        let mut ms = Vec::with_capacity(queries);
        for (k, (o, d)) in cases.iter().enumerate() {
            let t = Instant::now();
            let it = planner.plan_car(*o, *d, EventTime(0), 0).expect("planned before");
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            if name == "dijkstra" {
                durations.push((it.duration.0, it.toll));
            } else {
                let (d0, t0) = durations[k];
                // Equal-cost routes may differ; their costs may not.
                let cost = |d: f64, t: Cents| d + t.0 as f64 * 1.8;
                if (cost(d0, t0) - cost(it.duration.0, it.toll)).abs() > 0.01 * cost(d0, t0).max(1.0) {
                    mismatches += 1;
                }
            }
        }
        let (p50, p99, max) = stats(&mut ms);
        eprintln!("{name}: p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms");
        runs.push(format!(
            "{{\"engine\":\"{name}\",\"queries\":{queries},\"p50_ms\":{p50:.4},\"p99_ms\":{p99:.4},\"max_ms\":{max:.4}}}"
        ));
    }
    eprintln!(
        "hierarchy: {} nodes, {} arcs, {} edges; preprocessing {preprocess_s:.2} s; \
         live update to answer p50 {update_p50:.1} ms, max {update_max:.1} ms; {mismatches} cost mismatches",
        hierarchy.cch().num_nodes(),
        hierarchy.cch().num_arcs(),
        hierarchy.cch().num_shortcut_edges(),
    );
    let json = format!(
        "{{\"city\":\"{}\",\"nodes\":{},\"arcs\":{},\"shortcut_edges\":{},\"preprocess_s\":{preprocess_s:.3},\
         \"update_to_answer_ms\":{{\"p50\":{update_p50:.2},\"p99\":{update_p99:.2},\"max\":{update_max:.2}}},\
         \"cost_mismatches\":{mismatches},\"peak_rss_mib\":{:.1},\"seed\":{seed},\"runs\":[{}]}}\n",
        city.name,
        hierarchy.cch().num_nodes(),
        hierarchy.cch().num_arcs(),
        hierarchy.cch().num_shortcut_edges(),
        peak_rss_mib(),
        runs.join(",")
    );
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(&out)?.write_all(json.as_bytes())?;
    eprintln!("wrote {out}");
    Ok(())
}
