//! Runs the Linear Road dataflow on a generated workload as one process of a
//! timely cluster (or alone), and writes this process's outputs, one per line.
//!
//! Usage: `lr-cluster SEED XWAYS MINUTES OUT [timely options]`, where the timely
//! options are `-w THREADS`, and for a cluster `-n PROCESSES -p INDEX -h HOSTFILE`
//! (one `host:port` line per process). Every process generates the same
//! workload from the seed and feeds its workers' share.

use omnibus_linear_road::History;
use omnibus_linear_road::dataflow;
use omnibus_sim::linear_road::{LrConfig, generate, segment_history};
use std::io::Write;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        return Err(
            "usage: lr-cluster SEED XWAYS MINUTES OUT [-w THREADS] [-n PROCESSES -p INDEX -h HOSTFILE]"
                .into(),
        );
    }
    let seed: u64 = args[1].parse().map_err(|e| format!("SEED {:?}: {e}", args[1]))?;
    let xways: u32 = args[2].parse().map_err(|e| format!("XWAYS {:?}: {e}", args[2]))?;
    let minutes: u32 = args[3].parse().map_err(|e| format!("MINUTES {:?}: {e}", args[3]))?;
    let config = timely::Config::from_args(args[5..].iter().cloned())?;
    let tuples = generate(&LrConfig { seed, xways, duration_s: minutes * 60, ..LrConfig::default() });
    let history = Arc::new(History::new(&[], segment_history(seed, xways)));
    let outputs = dataflow::run_with(config, tuples, history)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&args[4])?);
    for o in outputs {
        writeln!(file, "{o:?}")?;
    }
    file.flush()?;
    Ok(())
}
