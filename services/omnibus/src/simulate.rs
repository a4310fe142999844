//! `omnibus simulate SCENARIO.toml`: a baseline and a policy run of the city
//! simulator per seed, through the live services, with a progress bar; then
//! the key figures on the terminal and CSV files plus an HTML report on disk.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use omnibus::sim_feed::GrpcFeed;
use omnibus_citysim::feed::OfflineFeed;
use omnibus_citysim::kpi::Pair;
use omnibus_citysim::scenario::{Scenario, TelemetryMode};
use omnibus_citysim::{Preparing, RunLabel, run::Progress};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `omnibus simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The scenario file (TOML): city, demand, choice, policy, horizon, seeds.
    /// `scenarios/porto-alegre-cordon.toml` is the bundled example.
    scenario: PathBuf,
    /// Write the CSV files and report.html here instead of the scenario's [output] dir.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run this many seeds instead of the scenario's `seeds`.
    #[arg(long)]
    seeds: Option<u32>,
    /// Run this many iterations instead of the scenario's `choice.iterations`.
    #[arg(long)]
    iterations: Option<u32>,
    /// Draw this many people instead of the scenario's `demand.persons`.
    #[arg(long)]
    persons: Option<u32>,
    /// Send telemetry in-process instead of over gRPC (identical results, faster).
    #[arg(long)]
    offline: bool,
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let wall = Instant::now();
    let mut resolved = Scenario::load(&args.scenario)?;
    let sc = &mut resolved.scenario;
    if let Some(s) = args.seeds {
        anyhow::ensure!((1..=100).contains(&s), "--seeds must be 1 to 100");
        *sc.seeds.get_mut() = s;
    }
    if let Some(i) = args.iterations {
        anyhow::ensure!((1..=200).contains(&i), "--iterations must be 1 to 200");
        *sc.choice.iterations.get_mut() = i;
    }
    if let Some(p) = args.persons {
        anyhow::ensure!(p > 0, "--persons must be positive");
        *sc.demand.persons.get_mut() = p;
    }
    if args.offline {
        sc.telemetry.mode = TelemetryMode::Offline;
    }
    if let Some(out) = args.out {
        sc.output.dir = std::env::current_dir()?.join(out);
    }
    let mut out = std::io::stdout();
    writeln!(out, "Omnibus city simulation: {}", resolved.scenario.name)?;
    let prep_bar = ProgressBar::new_spinner();
    prep_bar.set_style(ProgressStyle::with_template("  {spinner} {msg}").expect("valid template"));
    prep_bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let prepared = {
        let bar = prep_bar.clone();
        let resolved = resolved.clone();
        tokio::task::spawn_blocking(move || {
            omnibus_citysim::prepare(&resolved, &|p| match p {
                Preparing::City => bar.set_message("loading the city"),
                Preparing::Skims { done, total } => bar.set_message(format!(
                    "planning walk, bike, bike-share and transit between districts: {done}/{total}"
                )),
            })
        })
        .await??
    };
    prep_bar.finish_and_clear();
    let world = &prepared.world;
    let sc = &resolved.scenario;
    writeln!(
        out,
        "  city        {}: {} links, {} signalized junctions, {} districts (centre {:.5}, {:.5})",
        world.city.name,
        world.network.links().len(),
        world.signals,
        world.districts.len(),
        world.centre.lat,
        world.centre.lon
    )?;
    writeln!(
        out,
        "  demand      {} people{}, {} seed(s) from {}, {} iterations, {}–{}",
        sc.demand.persons.get_ref(),
        if sc.demand.od_file.is_some() { " (OD table)" } else { "" },
        sc.seeds.get_ref(),
        sc.seed,
        sc.choice.iterations.get_ref(),
        sc.horizon.start.get_ref(),
        sc.horizon.end.get_ref()
    )?;
    writeln!(out, "  baseline    {}", omnibus_citysim::report::describe(&resolved.baseline))?;
    writeln!(out, "  policy      {}", omnibus_citysim::report::describe(sc.policy.get_ref()))?;
    writeln!(
        out,
        "  telemetry   {}",
        match sc.telemetry.mode {
            TelemetryMode::Grpc => "over gRPC to a fresh ingest + pricing platform per simulated day",
            TelemetryMode::Offline => "in-process to the same ingest service and stream job (offline)",
        }
    )?;
    for note in &prepared.skims.notes {
        writeln!(out, "  note        {note}")?;
    }
    let iterations = u64::from(*sc.choice.iterations.get_ref());
    let bar = ProgressBar::new(u64::from(*sc.seeds.get_ref()) * 2 * iterations);
    bar.set_style(
        ProgressStyle::with_template("  [{elapsed_precise}] [{bar:30}] {pos}/{len} days  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut on_progress = |label: RunLabel, p: Progress| {
        let run = if label.policy { "policy" } else { "baseline" };
        match p {
            Progress::Iteration { k, of } => {
                if k > 1 || label.policy || label.seed != sc.seed {
                    bar.inc(1);
                }
                bar.set_message(format!("seed {} {run}: iteration {k}/{of}, simulating", label.seed));
            }
            Progress::Telemetry { records } => bar.set_message(format!(
                "seed {} {run}: {records} telemetry records to the stream job",
                label.seed
            )),
        }
    };
    let city = world.city.clone();
    let workers = sc.telemetry.workers;
    let pairs = match sc.telemetry.mode {
        TelemetryMode::Grpc => {
            omnibus_citysim::simulate(
                &prepared,
                &resolved,
                &mut GrpcFeed::new(city, workers),
                &mut on_progress,
            )
            .await?
        }
        TelemetryMode::Offline => {
            omnibus_citysim::simulate(
                &prepared,
                &resolved,
                &mut OfflineFeed::new(city, workers),
                &mut on_progress,
            )
            .await?
        }
    };
    bar.inc(1);
    bar.finish();
    let dir = omnibus_citysim::write_outputs(&prepared, &resolved, &pairs).context("write the results")?;
    summary(&mut out, &pairs)?;
    writeln!(out)?;
    writeln!(out, "Report: {}", dir.join("report.html").display())?;
    writeln!(out, "CSV:    {} (kpis, convergence, time_of_day, who_pays)", dir.display())?;
    writeln!(out, "Done in {:.1} s wall time.", wall.elapsed().as_secs_f64())?;
    Ok(())
}

fn summary(out: &mut impl Write, pairs: &[Pair]) -> std::io::Result<()> {
    let Some(first) = pairs.first() else { return Ok(()) };
    writeln!(out)?;
    writeln!(
        out,
        "  {:<30} {:>14} {:>14} {:>9} {:>21}",
        "figure (mean over seeds)", "baseline", "policy", "change", "spread across seeds"
    )?;
    let n = pairs.len() as f64;
    for (i, (name, unit, _)) in first.baseline.headline().iter().enumerate() {
        let b: Vec<f64> = pairs.iter().map(|p| p.baseline.headline()[i].2).collect();
        let q: Vec<f64> = pairs.iter().map(|p| p.policy.headline()[i].2).collect();
        let rel: Vec<f64> =
            b.iter().zip(&q).filter(|(b, _)| **b != 0.0).map(|(b, q)| (q - b) / b * 100.0).collect();
        let (mb, mq) = (b.iter().sum::<f64>() / n, q.iter().sum::<f64>() / n);
        let unit = if *unit == "currency" { first.policy.currency.as_str() } else { unit };
        let change = if rel.is_empty() {
            "–".to_owned()
        } else {
            format!("{:+.1}%", rel.iter().sum::<f64>() / rel.len() as f64)
        };
        let spread = if rel.len() > 1 {
            let lo = rel.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = rel.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{lo:+.1}% … {hi:+.1}%")
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<30} {:>14.2} {:>14.2} {:>9} {:>21}",
            format!("{} ({unit})", name.replace('_', " ")),
            mb,
            mq,
            change,
            spread
        )?;
    }
    Ok(())
}
