//! Benchmarks Frank–Wolfe against gradient projection on the TNTP test problems and prints a
//! JSON report: iterations and wall time to the target relative gap, and the largest link-flow
//! error against the published best-known flows.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use omnibus_assign::tntp::{CHICAGO_SKETCH, SIOUX_FALLS, TestProblem};
use omnibus_assign::{AssignOptions, Assignment, CostMode, Network, frank_wolfe, gradient_projection};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(about = "Static traffic assignment benchmark on TNTP test problems (JSON to stdout)")]
struct Args {
    /// Root of the TransportationNetworks data (holds SiouxFalls/ and Chicago-Sketch/).
    #[arg(long, default_value = "../shared/data/tntp")]
    data: PathBuf,
    /// Problems to run: sioux-falls, chicago-sketch (repeatable; default both).
    #[arg(long = "network")]
    networks: Vec<String>,
    /// Relative gap both algorithms aim for.
    #[arg(long, default_value_t = 1e-4)]
    target_gap: f64,
    /// Gradient projection is also run to this tighter gap for the flow comparison (0: skip).
    #[arg(long, default_value_t = 1e-8)]
    tight_gap: f64,
    /// Frank–Wolfe stops after this many iterations...
    #[arg(long, default_value_t = 5000)]
    fw_max_iterations: usize,
    /// ...or this many seconds, whichever comes first.
    #[arg(long, default_value_t = 60.0)]
    fw_time_limit_s: f64,
    /// Gradient projection stops after this many rounds of shortest-path trees.
    #[arg(long, default_value_t = 2000)]
    gp_max_iterations: usize,
    /// Gradient projection: passes over the path sets per round of shortest-path trees.
    #[arg(long, default_value_t = AssignOptions::default().inner_passes)]
    inner_passes: usize,
    /// Multiplies every OD flow (the Chicago Sketch README suggests 2 for more congestion);
    /// flow errors are only reported at 1.
    #[arg(long, default_value_t = 1.0)]
    od_scale: f64,
    /// Flow errors are relative to max(best-known flow, this floor), in vehicles (Chicago Sketch
    /// has 28 links whose published flow is 0).
    #[arg(long, default_value_t = 1.0)]
    flow_floor: f64,
}

fn flow_errors(flows: &[f64], best: Option<&Vec<f64>>, floor: f64) -> Value {
    let Some(best) = best else { return Value::Null };
    let (mut max_rel, mut max_abs, mut worst) = (0.0f64, 0.0f64, 0usize);
    for (i, (&x, &b)) in flows.iter().zip(best).enumerate() {
        let abs = (x - b).abs();
        max_abs = max_abs.max(abs);
        let denom = b.abs().max(floor);
        let rel = if denom > 0.0 {
            abs / denom
        } else if abs > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        if rel > max_rel {
            max_rel = rel;
            worst = i;
        }
    }
    json!({
        "max_relative_error": if max_rel.is_finite() { json!(max_rel) } else { json!("infinite") },
        "max_absolute_error": max_abs,
        "worst_link_index": worst,
        "worst_link_best_known_flow": best[worst],
        "floor": floor,
    })
}

fn gap_at(a: &Assignment, seconds: f64) -> Option<f64> {
    a.history.iter().take_while(|r| r.seconds <= seconds).last().map(|r| r.relative_gap)
}

fn summary(net: &Network, a: &Assignment, seconds: f64, best: Option<&Vec<f64>>, floor: f64) -> Value {
    json!({
        "iterations": a.iterations,
        "seconds": seconds,
        "relative_gap": a.relative_gap,
        "converged": a.converged,
        "total_travel_time": net.total_travel_time(&a.link_flows),
        "objective": net.objective(&a.link_flows, CostMode::UserEquilibrium),
        "flow_error": flow_errors(&a.link_flows, best, floor),
    })
}

fn run(problem: &TestProblem, args: &Args) -> Result<Value, String> {
    let t = Instant::now();
    let loaded = problem.load(&args.data).map_err(|e| e.to_string())?;
    let load_seconds = t.elapsed().as_secs_f64();
    let net = &loaded.net.network;
    let demand = loaded.trips.demand.scaled(args.od_scale).map_err(|e| e.to_string())?;
    let best = if args.od_scale == 1.0 { loaded.best_known_link_flows.as_ref() } else { None };
    let floor = args.flow_floor;

    let opts = AssignOptions {
        target_gap: args.target_gap,
        max_iterations: args.gp_max_iterations,
        inner_passes: args.inner_passes,
        ..AssignOptions::default()
    };
    let t = Instant::now();
    let gp = gradient_projection(net, &demand, &opts).map_err(|e| e.to_string())?;
    let gp_seconds = t.elapsed().as_secs_f64();
    let paths: usize = gp.od_paths.iter().map(|od| od.paths.len()).sum();

    let tight = if args.tight_gap > 0.0 {
        let opts = AssignOptions { target_gap: args.tight_gap, ..opts };
        let t = Instant::now();
        let gp = gradient_projection(net, &demand, &opts).map_err(|e| e.to_string())?;
        summary(net, &gp.assignment, t.elapsed().as_secs_f64(), best, floor)
    } else {
        Value::Null
    };

    let fw_opts = AssignOptions {
        target_gap: args.target_gap,
        max_iterations: args.fw_max_iterations,
        time_limit: Some(Duration::from_secs_f64(args.fw_time_limit_s)),
        ..AssignOptions::default()
    };
    let t = Instant::now();
    let fw = frank_wolfe(net, &demand, &fw_opts).map_err(|e| e.to_string())?;
    let fw_seconds = t.elapsed().as_secs_f64();
    let mut fw_json = summary(net, &fw, fw_seconds, best, floor);
    fw_json["gap_after_gradient_projection_time"] = json!(gap_at(&fw, gp_seconds));
    fw_json["gap_after_1e-3_reached_at_seconds"] =
        json!(fw.history.iter().find(|r| r.relative_gap <= 1e-3).map(|r| r.seconds));

    let best_json = match best {
        Some(b) => json!({
            "total_travel_time": net.total_travel_time(b),
            "objective": net.objective(b, CostMode::UserEquilibrium),
            "relative_gap": omnibus_assign::relative_gap(net, &demand, b, CostMode::UserEquilibrium)
                .map_err(|e| e.to_string())?,
        }),
        None => Value::Null,
    };
    let mut gp_json = summary(net, &gp.assignment, gp_seconds, best, floor);
    gp_json["paths"] = json!(paths);
    Ok(json!({
        "network": problem.name,
        "nodes": net.num_nodes(),
        "links": net.num_links(),
        "zones": loaded.net.metadata.zones,
        "first_thru_node": net.first_thru_node().tntp(),
        "od_pairs": demand.num_pairs(),
        "total_demand": demand.total(),
        "od_scale": args.od_scale,
        "load_seconds": load_seconds,
        "target_gap": args.target_gap,
        "inner_passes": args.inner_passes,
        "gradient_projection": gp_json,
        "gradient_projection_tight": tight,
        "tight_gap": args.tight_gap,
        "frank_wolfe": fw_json,
        "best_known": best_json,
    }))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let names = if args.networks.is_empty() {
        vec!["sioux-falls".to_owned(), "chicago-sketch".to_owned()]
    } else {
        args.networks.clone()
    };
    let mut results = Vec::new();
    for name in &names {
        let problem = match name.as_str() {
            "sioux-falls" => &SIOUX_FALLS,
            "chicago-sketch" => &CHICAGO_SKETCH,
            other => {
                eprintln!("unknown network {other:?}; expected sioux-falls or chicago-sketch");
                return std::process::ExitCode::FAILURE;
            }
        };
        match run(problem, &args) {
            Ok(v) => results.push(v),
            Err(e) => {
                eprintln!("{name}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let text = serde_json::to_string_pretty(&json!({ "results": results })).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
