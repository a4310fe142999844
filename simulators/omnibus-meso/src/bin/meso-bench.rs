//! Runs one generated SUMO grid scenario through the Omnibus queue model and through SUMO's
//! mesoscopic model (with and without junction control), and writes a JSON report plus a short
//! summary on stdout.
//!
//! The scenario is made exactly as `shared/bench/sumo/run_bench.sh` makes it (netgenerate grid,
//! randomTrips with duarouter routes, seed 42); existing files in the work directory are reused
//! when they were made with the same grid size and period.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use omnibus_meso::sumo::{self, SumoImport, YellowRule};
use omnibus_meso::{MesoConfig, MesoOutcome, simulate};
use serde_json::{Value, json};

const SEED: u32 = 42;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Yellow {
    /// Yellow stops traffic (effective green = green time).
    Red,
    /// Yellow lets traffic go (what SUMO's mesoscopic junction control does).
    Green,
}

#[derive(Debug, Parser)]
#[command(about = "Omnibus queue model vs SUMO meso on a generated grid (JSON report + summary)")]
struct Args {
    /// Junctions per side of the grid (netgenerate --grid.number).
    #[arg(long, default_value_t = 30)]
    grid: u32,
    /// Seconds between trip departures (randomTrips -p); 3600 / period trips.
    #[arg(long, default_value_t = 0.1)]
    period: f64,
    /// Omnibus runs; the best wall time counts.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/meso-bench.json")]
    out: PathBuf,
    /// Scenario and SUMO output folder (default target/meso-bench/grid{N}).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Do not run SUMO (the report says so).
    #[arg(long)]
    skip_sumo: bool,
    /// SUMO installation (SUMO_HOME of the child processes).
    #[arg(long, default_value = "/usr/share/sumo")]
    sumo_home: PathBuf,
    /// Treatment of yellow signal states in the Omnibus model.
    #[arg(long, value_enum, default_value_t = Yellow::Red)]
    yellow: Yellow,
    /// Outflow capacity per lane, vehicles per hour.
    #[arg(long, default_value_t = 1800.0)]
    lane_capacity_vph: f64,
    /// Road length per queued vehicle, metres.
    #[arg(long, default_value_t = 7.5)]
    vehicle_length_m: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.grid < 2 {
        bail!("--grid must be at least 2");
    }
    if !(args.period.is_finite() && args.period > 0.0) {
        bail!("--period must be a positive number of seconds");
    }
    let repeat = args.repeat.max(1);
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("target/meso-bench/grid{}", args.grid)));
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let (netgenerate_cmd, random_trips_cmd, generated) = ensure_scenario(&args, &work)?;

    // Omnibus: import, then simulate `repeat` times.
    let import = SumoImport {
        lane_capacity_vph: args.lane_capacity_vph,
        yellow: match args.yellow {
            Yellow::Red => YellowRule::Red,
            Yellow::Green => YellowRule::Green,
        },
    };
    let t0 = Instant::now();
    let net_xml = fs::read_to_string(work.join("net.net.xml")).context("reading net.net.xml")?;
    let net = sumo::parse_net(&net_xml, &import).context("importing net.net.xml")?;
    drop(net_xml);
    let rou_xml = fs::read_to_string(work.join("routes.rou.xml")).context("reading routes.rou.xml")?;
    let routes = sumo::parse_routes(&rou_xml, &net).context("importing routes.rou.xml")?;
    drop(rou_xml);
    let import_s = t0.elapsed().as_secs_f64();
    let config = MesoConfig { vehicle_length_m: args.vehicle_length_m, stuck_ms: 300_000, end_ms: None };
    let mut best_wall = f64::INFINITY;
    let mut walls = Vec::new();
    let mut outcome: Option<MesoOutcome> = None;
    let mut deterministic = true;
    for _ in 0..repeat {
        let t = Instant::now();
        let out = simulate(&net.network, &routes.plans, &config, &mut ()).context("simulating")?;
        let wall = t.elapsed().as_secs_f64();
        walls.push(wall);
        best_wall = best_wall.min(wall);
        if let Some(prev) = &outcome {
            deterministic &= *prev == out;
        }
        outcome = Some(out);
    }
    let Some(out) = outcome else { bail!("no run") };
    let omnibus = omnibus_summary(&net, &routes.plans, &out, best_wall, &walls, import_s, deterministic);

    // SUMO.
    let mut sumo_runs = serde_json::Map::new();
    let mut sumo_cmds = serde_json::Map::new();
    if !args.skip_sumo {
        for (key, mode, extra) in [
            ("sumo_meso_jc", "meso-jc", &["--mesosim", "true", "--meso-junction-control", "true"][..]),
            ("sumo_meso", "meso", &["--mesosim", "true"][..]),
        ] {
            let (summary, cmd) = run_sumo(&args, &work, mode, extra)?;
            sumo_runs.insert(key.to_owned(), summary);
            sumo_cmds.insert(key.to_owned(), Value::String(cmd));
        }
    }
    let jc = sumo_runs.get("sumo_meso_jc");
    let omni_rate = omnibus["veh_s_per_s"].as_f64().unwrap_or(f64::NAN);
    let omni_trip = omnibus["mean_trip_s"].as_f64().unwrap_or(f64::NAN);
    let ratio = jc.and_then(|s| s["veh_s_per_s"].as_f64()).map(|r| omni_rate / r);
    let ratio_internal = jc.and_then(|s| s["veh_s_per_s_sumo_duration"].as_f64()).map(|r| omni_rate / r);
    let trip_diff = jc.and_then(|s| s["mean_trip_s"].as_f64()).map(|m| (omni_trip - m) / m);
    let report = json!({
        "grid": args.grid,
        "period_s": args.period,
        "seed": SEED,
        "vehicles": routes.plans.len(),
        "links": net.network.links().len(),
        "nodes": net.network.node_count(),
        "signalized_nodes": net.signalized_nodes,
        "scenario_generated_now": generated,
        "model": {
            "lane_capacity_vph": args.lane_capacity_vph,
            "yellow": format!("{:?}", args.yellow).to_lowercase(),
            "vehicle_length_m": args.vehicle_length_m,
            "stuck_ms": config.stuck_ms,
        },
        "omnibus": omnibus,
        "sumo_skipped": args.skip_sumo,
        "sumo_meso_jc": sumo_runs.get("sumo_meso_jc").cloned().unwrap_or(Value::Null),
        "sumo_meso": sumo_runs.get("sumo_meso").cloned().unwrap_or(Value::Null),
        "ratio_vs_meso_jc": ratio,
        "ratio_vs_meso_jc_sumo_reported_duration": ratio_internal,
        "mean_trip_diff_vs_meso_jc": trip_diff,
        "targets": {
            "ratio_min": 5.0,
            "mean_trip_diff_max": 0.15,
            "met": ratio.zip(trip_diff).map(|(r, d)| r >= 5.0 && d.abs() <= 0.15),
        },
        "commands": {
            "work_dir": work.display().to_string(),
            "netgenerate": netgenerate_cmd,
            "random_trips": random_trips_cmd,
            "sumo": sumo_cmds,
            "omnibus": format!(
                "meso-bench --grid {} --period {} --repeat {} --yellow {} --lane-capacity-vph {} --vehicle-length-m {}",
                args.grid,
                args.period,
                repeat,
                format!("{:?}", args.yellow).to_lowercase(),
                args.lane_capacity_vph,
                args.vehicle_length_m
            ),
        },
    });
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;

    let mut so = std::io::stdout().lock();
    writeln!(
        so,
        "grid {}x{}: {} vehicles, {} links, {} signalized nodes",
        args.grid,
        args.grid,
        routes.plans.len(),
        net.network.links().len(),
        net.signalized_nodes
    )?;
    let line = |name: &str, s: &Value| {
        format!(
            "{name:<14} wall {:>7.3} s  {:>12.0} veh-s/s  mean trip {:>6.1} s  arrived {:>6}  teleports {}",
            s["wall_s"].as_f64().unwrap_or(f64::NAN),
            s["veh_s_per_s"].as_f64().unwrap_or(f64::NAN),
            s["mean_trip_s"].as_f64().unwrap_or(f64::NAN),
            s["arrived"].as_u64().unwrap_or(0),
            s["teleports"].as_u64().unwrap_or(0)
        )
    };
    writeln!(so, "{}", line("omnibus", &report["omnibus"]))?;
    for key in ["sumo_meso_jc", "sumo_meso"] {
        if let Some(s) = sumo_runs.get(key) {
            writeln!(so, "{}", line(key, s))?;
        }
    }
    match (ratio, trip_diff) {
        (Some(r), Some(d)) => writeln!(
            so,
            "speed ratio vs SUMO meso+JC {r:.1}x (target >= 5x), mean trip diff {:+.1} % (target within 15 %)",
            d * 100.0
        )?,
        _ => writeln!(so, "SUMO skipped: no comparison")?,
    }
    writeln!(so, "report: {}", args.out.display())?;
    Ok(())
}

fn shell_words(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_owned()).chain(args.iter().cloned()).collect::<Vec<_>>().join(" ")
}

/// Makes `net.net.xml` and `routes.rou.xml` in `work` unless they are there for the same
/// parameters. Returns both commands and whether anything was generated.
fn ensure_scenario(args: &Args, work: &Path) -> Result<(String, String, bool)> {
    let stamp = format!("grid={} period={} seed={SEED}\n", args.grid, args.period);
    let stamp_path = work.join("scenario.txt");
    let fresh = fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str());
    let net_args: Vec<String> = [
        "--grid",
        &format!("--grid.number={}", args.grid),
        "--grid.length=200",
        "--default.lanenumber=2",
        "--default.speed=13.89",
        "--tls.guess=true",
        "--seed",
        &SEED.to_string(),
        "-o",
        "net.net.xml",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let random_trips = args.sumo_home.join("tools/randomTrips.py");
    let trip_args: Vec<String> = [
        random_trips.to_string_lossy().as_ref(),
        "-n",
        "net.net.xml",
        "-b",
        "0",
        "-e",
        "3600",
        "-p",
        &args.period.to_string(),
        "--seed",
        &SEED.to_string(),
        "--min-distance",
        "1000",
        "--fringe-factor",
        "1",
        "-o",
        "trips.trips.xml",
        "-r",
        "routes.rou.xml",
        "--validate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let net_cmd = shell_words("netgenerate", &net_args);
    let trips_cmd = shell_words("python3", &trip_args);
    let have = work.join("net.net.xml").exists() && work.join("routes.rou.xml").exists();
    if fresh && have {
        return Ok((net_cmd, trips_cmd, false));
    }
    let _ = fs::remove_file(&stamp_path);
    run_logged(args, work, "netgenerate", &net_args, "netgenerate.log")?;
    run_logged(args, work, "python3", &trip_args, "randomTrips.log")?;
    fs::write(&stamp_path, stamp)?;
    Ok((net_cmd, trips_cmd, true))
}

/// Runs `program` in `work` with SUMO_HOME set, output to `log`; returns the wall time.
fn run_logged(args: &Args, work: &Path, program: &str, argv: &[String], log: &str) -> Result<f64> {
    let log_path = work.join(log);
    let log_file = fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let err_file = log_file.try_clone()?;
    let t = Instant::now();
    let status = Command::new(program)
        .args(argv)
        .current_dir(work)
        .env("SUMO_HOME", &args.sumo_home)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(err_file)
        .status()
        .with_context(|| format!("starting {program}"))?;
    let wall = t.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{} failed ({status}); see {}", shell_words(program, argv), log_path.display());
    }
    Ok(wall)
}

fn omnibus_summary(
    net: &sumo::SumoNet,
    plans: &omnibus_meso::Plans,
    out: &MesoOutcome,
    best_wall: f64,
    walls: &[f64],
    import_s: f64,
    deterministic: bool,
) -> Value {
    let (mut arrived, mut trip_ms, mut from_depart_ms) = (0u64, 0i128, 0i128);
    let (mut inserted, mut delay_ms) = (0u64, 0i128);
    let mut route_m = 0.0;
    let mut free_flow_ms = 0i128;
    for trip in plans.trips() {
        let depart = plans.depart_ms(trip);
        if let Some(ins) = out.inserted_ms[trip.index()] {
            inserted += 1;
            delay_ms += i128::from(ins - depart);
            if let Some(arr) = out.arrived_ms[trip.index()] {
                arrived += 1;
                trip_ms += i128::from(arr - ins);
                from_depart_ms += i128::from(arr - depart);
                for &l in plans.route(trip) {
                    route_m += net.network.links()[l.index()].length_m;
                    free_flow_ms += i128::from(net.network.free_flow_ms(l));
                }
            }
        }
    }
    let per = |total: i128, n: u64| if n == 0 { f64::NAN } else { total as f64 / 1000.0 / n as f64 };
    json!({
        "wall_s": best_wall,
        "walls_s": walls,
        "import_s": import_s,
        "vehicle_seconds": out.vehicle_seconds,
        "veh_s_per_s": out.vehicle_seconds / best_wall,
        "mean_trip_s": per(trip_ms, arrived),
        "mean_trip_from_planned_depart_s": per(from_depart_ms, arrived),
        "mean_insertion_delay_s": per(delay_ms, inserted),
        "mean_free_flow_trip_s": per(free_flow_ms, arrived),
        "mean_route_length_m": if arrived == 0 { f64::NAN } else { route_m / arrived as f64 },
        "inserted": inserted,
        "arrived": arrived,
        "teleports": out.teleports,
        "events": out.events,
        "sim_end_s": out.end_ms as f64 / 1000.0,
        "deterministic_across_repeats": deterministic,
    })
}

/// Runs SUMO in `mode` and summarises its statistic output and log.
fn run_sumo(args: &Args, work: &Path, mode: &str, extra: &[&str]) -> Result<(Value, String)> {
    let stats = format!("stats.{mode}.xml");
    let mut argv: Vec<String> = [
        "-n",
        "net.net.xml",
        "-r",
        "routes.rou.xml",
        "--begin",
        "0",
        "--no-step-log",
        "true",
        "--duration-log.statistics",
        "true",
        "--statistic-output",
        &stats,
        "--time-to-teleport",
        "300",
        "--seed",
        &SEED.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cmd = shell_words("sumo", &argv);
    let log = format!("sumo.{mode}.log");
    let wall = run_logged(args, work, "sumo", &argv, &log)?;
    let log_text = fs::read_to_string(work.join(&log)).unwrap_or_default();
    let stats_text = fs::read_to_string(work.join(&stats)).with_context(|| format!("reading {stats}"))?;
    let doc = roxmltree::Document::parse(&stats_text).with_context(|| format!("parsing {stats}"))?;
    let find = |tag: &str| doc.descendants().find(|n| n.has_tag_name(tag));
    let num = |tag: &str, attr: &str| -> Option<f64> { find(tag)?.attribute(attr)?.parse().ok() };
    let count =
        num("vehicleTripStatistics", "count").context("statistic output lacks vehicleTripStatistics")?;
    let duration = num("vehicleTripStatistics", "duration").context("statistic output lacks duration")?;
    let total = num("vehicleTripStatistics", "totalTravelTime").unwrap_or(count * duration);
    let grab = |key: &str| -> Option<f64> {
        let line = log_text.lines().find(|l| l.trim_start().starts_with(key))?;
        line.trim_start()[key.len()..].trim().trim_end_matches('s').trim().parse().ok()
    };
    let sumo_duration = grab("Duration:");
    let summary = json!({
        "wall_s": wall,
        "vehicle_seconds": total,
        "veh_s_per_s": total / wall,
        "veh_s_per_s_sumo_duration": sumo_duration.map(|d| total / d),
        "sumo_reported_duration_s": sumo_duration,
        "sumo_reported_ups": grab("UPS:"),
        "mean_trip_s": duration,
        "mean_depart_delay_s": num("vehicleTripStatistics", "departDelay"),
        "mean_waiting_s": num("vehicleTripStatistics", "waitingTime"),
        "mean_route_length_m": num("vehicleTripStatistics", "routeLength"),
        "loaded": num("vehicles", "loaded").map(|x| x as u64),
        "inserted": num("vehicles", "inserted").map(|x| x as u64),
        "arrived": count as u64,
        "teleports": num("teleports", "total").map(|x| x as u64),
        "sim_end_s": grab("Simulation ended at time:"),
    });
    Ok((summary, cmd))
}
