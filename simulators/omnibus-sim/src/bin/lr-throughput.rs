//! Linear Road throughput: generates an L-expressway workload, runs it through
//! the sequential rules (the baseline) and through the timely dataflow with the
//! given worker counts, all in one run, and writes the figures as JSON.
//!
//! Time is compressed (the whole input is replayed as fast as it can be read),
//! so this measures tuples per second, not the benchmark's real-time 5 s
//! latency bound; `L` is the number of expressways the input carries.
//!
//! Usage: `lr-throughput [L] [minutes] [workers,...] [out.json]`

use omnibus_linear_road::History;
use omnibus_linear_road::{dataflow, run};
use omnibus_sim::linear_road::{LrConfig, generate, segment_history};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let xways: u32 = args.first().map_or(Ok(1), |s| s.parse())?;
    let minutes: u32 = args.get(1).map_or(Ok(30), |s| s.parse())?;
    let workers: Vec<usize> = args
        .get(2)
        .map_or("1,2".to_owned(), Clone::clone)
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let out_path = args.get(3).cloned().unwrap_or_else(|| "lr-throughput.json".to_owned());

    let config = LrConfig { xways, duration_s: minutes * 60, ..LrConfig::default() };
    let started = Instant::now();
    let tuples = generate(&config);
    let generate_s = started.elapsed().as_secs_f64();
    let history = Arc::new(History::new(&[], segment_history(config.seed, xways)));

    let started = Instant::now();
    let mut want = run(&tuples, &history);
    let sequential_s = started.elapsed().as_secs_f64();
    want.sort();

    let mut runs = Vec::new();
    for w in &workers {
        let started = Instant::now();
        let got = dataflow::run(*w, tuples.clone(), history.clone())?;
        let seconds = started.elapsed().as_secs_f64();
        runs.push(format!(
            "{{\"workers\": {w}, \"seconds\": {seconds:.3}, \"tuples_per_s\": {:.0}, \"equal_to_reference\": {}}}",
            tuples.len() as f64 / seconds,
            got == want
        ));
    }
    let json = format!(
        "{{\n  \"xways\": {xways},\n  \"simulated_minutes\": {minutes},\n  \"tuples\": {},\n  \"outputs\": {},\n  \"generate_s\": {generate_s:.3},\n  \"sequential\": {{\"seconds\": {sequential_s:.3}, \"tuples_per_s\": {:.0}}},\n  \"dataflow\": [{}]\n}}\n",
        tuples.len(),
        want.len(),
        tuples.len() as f64 / sequential_s,
        runs.join(", ")
    );
    std::fs::write(&out_path, &json)?;
    std::io::stdout().write_all(json.as_bytes())?;
    Ok(())
}
