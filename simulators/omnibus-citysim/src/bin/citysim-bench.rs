//! Times equilibrium iterations of the city simulator on the bundled city at
//! growing population sizes (the smaller ones are the baseline of the same
//! run), and writes JSON.
//!
//! `cargo run --release -p omnibus-citysim --bin citysim-bench -- --persons 100000,1000000`

use anyhow::Context;
use clap::Parser;
use omnibus_citysim::feed::OfflineFeed;
use omnibus_citysim::run::{Inputs, Progress, run_policy};
use omnibus_citysim::scenario::Scenario;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    about = "Time city-simulator iterations (choice, traffic, telemetry through the stream job) on the bundled city"
)]
struct Args {
    /// Population sizes, comma-separated, smallest first.
    #[arg(long, value_delimiter = ',', default_values_t = vec![100_000u32, 1_000_000])]
    persons: Vec<u32>,
    /// Iterations per size (the first has everyone choose; later ones a share 1/k).
    #[arg(long, default_value_t = 2)]
    iterations: u32,
    /// Share of cars sending probes to the stream job.
    #[arg(long, default_value_t = 0.05)]
    probe_share: f64,
    /// Seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the JSON goes.
    #[arg(long, default_value = "target/citysim-bench.json")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut results = Vec::new();
    for &persons in &args.persons {
        let text = format!(
            "name = \"bench\"\nseed = {}\n[demand]\npersons = {persons}\n[choice]\niterations = {}\n[telemetry]\nmode = \"offline\"\nprobe_share = {}\n[policy]\n",
            args.seed, args.iterations, args.probe_share
        );
        let scenario = Scenario::parse(&text, "bench", Path::new("."))?;
        let t = Instant::now();
        let prepared = omnibus_citysim::prepare(&scenario, &|_| {}).context("prepare")?;
        let prepare_s = t.elapsed().as_secs_f64();
        let inputs = Inputs { world: &prepared.world, scenario: &scenario, skims: &prepared.skims };
        let mut feed = OfflineFeed::new(prepared.world.city.clone(), 2);
        let mut marks: Vec<(String, Instant)> = Vec::new();
        let t = Instant::now();
        let result = run_policy(&inputs, &scenario.baseline, args.seed, &mut feed, &mut |p| match p {
            Progress::Iteration { k, .. } => marks.push((format!("iteration {k} start"), Instant::now())),
            Progress::Telemetry { records } => {
                marks.push((format!("telemetry {records} records"), Instant::now()))
            }
        })
        .await?;
        let total_s = t.elapsed().as_secs_f64();
        let mut iteration_s = Vec::new();
        let starts: Vec<Instant> = marks
            .iter()
            .filter(|(m, _)| m.starts_with("iteration"))
            .map(|(_, i)| *i)
            .chain([Instant::now()])
            .collect();
        for w in starts.windows(2) {
            iteration_s.push((w[1] - w[0]).as_secs_f64());
        }
        let records: Vec<u64> = marks
            .iter()
            .filter_map(|(m, _)| m.strip_prefix("telemetry ")?.split(' ').next()?.parse().ok())
            .collect();
        let line = serde_json::json!({
            "persons": persons,
            "districts": prepared.world.districts.len(),
            "district_pairs_planned": prepared.skims.pairs.len(),
            "prepare_s": prepare_s,
            "iterations": args.iterations,
            "iteration_s": iteration_s,
            "total_s": total_s,
            "telemetry_records": records,
            "car_trips": result.car_trips,
            "vehicle_hours": result.vehicle_hours,
            "mean_car_minutes": result.mean_car_minutes,
            "stranded": result.stranded,
        });
        eprintln!("{line}");
        results.push(line);
    }
    let json = serde_json::json!({
        "bench": "citysim iterations on the bundled city (offline feed; 2 stream-job workers)",
        "probe_share": args.probe_share,
        "runs": results,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&json)?)?;
    writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&json)?)?;
    Ok(())
}
