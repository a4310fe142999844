//! The Linear Road L-rating: for each expressway count L, generates the last
//! stretch of the benchmark's three-hour workload (its busiest, about 1,700
//! position reports a second per expressway), replays it in real time (or
//! compressed) through the Linear Road gRPC service, and measures how long
//! every toll and accident notification and query answer took. The rating is
//! the highest L whose every output arrived within 5 s. Writes JSON.

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use omnibus_linear_road::History;
use omnibus_lr::LinearRoadService;
use omnibus_proto::v1::linear_road_client::LinearRoadClient;
use omnibus_sim::linear_road::{LrConfig, segment_history};
use omnibus_sim::lr_rating::{LATENCY_BOUND, Replay, replay};
use std::io::Write;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    about = "Linear Road L-rating: replay L expressways through the gRPC service and check the 5 s bound",
    long_about = "Linear Road L-rating. For each L in --xways (ascending), the benchmark's three-hour \
    workload is simulated and its last --window-s seconds are replayed through the Linear Road gRPC \
    service, second by second, at --speed times real time. The generator runs in this process during \
    the replay. Latency runs from the moment a second was due to the moment its output reached this \
    client. The rating is the highest L whose every output met 5 s; the search stops at the first miss. \
    Without --server, the service runs in this process on 127.0.0.1 with --workers timely workers."
)]
struct Args {
    /// Expressway counts to try, ascending.
    #[arg(long, value_delimiter = ',', default_value = "64,128,256")]
    xways: Vec<u32>,
    /// Benchmark seconds replayed (the end of the three-hour run).
    #[arg(long, default_value_t = 600)]
    window_s: u32,
    /// Time compression: 1 is real time, 2 replays two benchmark seconds per second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Timely workers of the in-process service.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Seed of the workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replay against this running service (e.g. http://127.0.0.1:50054, `omnibus serve linear-road`) instead of an in-process one.
    #[arg(long)]
    server: Option<String>,
    /// Try every L even after one misses the bound.
    #[arg(long)]
    all: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "lr-rating.json")]
    out: String,
}

fn json(r: &Replay, speed: f64) -> String {
    let l = &r.latencies;
    format!(
        "{{\"xways\": {}, \"seconds\": {}, \"speed\": {speed}, \"tuples\": {}, \"peak_tuples_per_s\": {}, \"mean_tuples_per_s\": {:.0}, \"accepted\": {}, \"refused\": {}, \"outputs\": {}, \"latency_ms\": {{\"p50\": {}, \"p90\": {}, \"p99\": {}, \"p999\": {}, \"max\": {}}}, \"over_5s\": {}, \"met_5s_bound\": {}, \"wall_s\": {:.1}, \"generator_warmup_s\": {:.1}}}",
        r.xways,
        r.seconds,
        r.tuples,
        r.peak_tuples_per_second,
        r.tuples as f64 / r.wall_s.max(1e-9),
        r.accepted,
        r.refused,
        r.outputs,
        l.quantile_ms(0.5),
        l.quantile_ms(0.9),
        l.quantile_ms(0.99),
        l.quantile_ms(0.999),
        l.max_ms(),
        l.over(LATENCY_BOUND),
        r.met_bound(),
        r.wall_s,
        r.warmup_s,
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.speed > 0.0, "--speed must be positive");
    let mut xways = args.xways.clone();
    xways.sort_unstable();
    let mut runs = Vec::new();
    let mut rating: Option<u32> = None;
    for l in xways {
        let config = LrConfig::peak(args.seed, l, args.window_s);
        let (endpoint, server) = match &args.server {
            Some(s) => (s.clone(), None),
            None => {
                let history = Arc::new(History::new(&[], segment_history(args.seed, l)));
                let service =
                    LinearRoadService::new(history, args.workers, omnibus_core::clock::system_clock());
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?;
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                let task = tokio::spawn(omnibus_lr::run(
                    listener,
                    async {
                        let _ = stopped.await;
                    },
                    service,
                ));
                (format!("http://{addr}"), Some((stop, task)))
            }
        };
        let mut client = LinearRoadClient::connect(endpoint)
            .await?
            .max_decoding_message_size(omnibus_proto::serving::MAX_MESSAGE_BYTES);
        let bar = ProgressBar::new(u64::from(args.window_s));
        bar.set_style(
            ProgressStyle::with_template("L={msg} [{elapsed_precise}] {bar:40} {pos}/{len} s")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(l.to_string());
        let tick = bar.clone();
        let result = replay(&mut client, config, args.speed, false, move |_| tick.inc(1)).await?;
        bar.finish_and_clear();
        if let Some((stop, task)) = server {
            let _ = stop.send(());
            task.await??;
        }
        let met = result.met_bound();
        eprintln!(
            "L={l}: {} tuples (peak {}/s), {} outputs, latency p50 {} ms, p99 {} ms, max {} ms: {}",
            result.tuples,
            result.peak_tuples_per_second,
            result.outputs,
            result.latencies.quantile_ms(0.5),
            result.latencies.quantile_ms(0.99),
            result.latencies.max_ms(),
            if met { "met the 5 s bound" } else { "MISSED the 5 s bound" }
        );
        runs.push(json(&result, args.speed));
        if met {
            rating = Some(rating.map_or(l, |r| r.max(l)));
        } else if !args.all {
            break;
        }
    }
    let report = format!(
        "{{\n  \"window_s\": {},\n  \"speed\": {},\n  \"workers\": {},\n  \"threads_available\": {},\n  \"l_rating\": {},\n  \"runs\": [\n    {}\n  ]\n}}\n",
        args.window_s,
        args.speed,
        args.workers,
        std::thread::available_parallelism().map_or(0, usize::from),
        rating.map_or("null".to_owned(), |r| r.to_string()),
        runs.join(",\n    ")
    );
    std::fs::write(&args.out, &report)?;
    std::io::stdout().write_all(report.as_bytes())?;
    Ok(())
}
