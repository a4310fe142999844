//! `omnibus`: run the demo, serve the services, or check a configuration.

mod demo;
mod plan_cmd;
mod simulate;

use anyhow::Context;
use clap::{Parser, Subcommand};
use omnibus::config::{Config, Service};
use omnibus_core::City;
use omnibus_core::clock::system_clock;
use std::path::PathBuf;
use std::sync::Arc;
use tracing::{info, warn};

/// Omnibus: live telemetry in over gRPC, a timely stream job that prices
/// congested roads, and a journey planner that sees the live prices.
#[derive(Debug, Parser)]
#[command(name = "omnibus", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start every service in this process on loopback, simulate an hour of
    /// morning traffic on the bundled city at accelerated time, and show what
    /// the platform saw: telemetry rates, congested roads, tolls, and a journey
    /// planned before and after congestion set in. Needs no server.
    Demo(demo::DemoArgs),
    /// Plan a journey (walk, bike, bike-share, transit, car, park-and-ride,
    /// bike-and-ride) and print the itineraries as a table. Example:
    /// `omnibus plan --from=-30.0277,-51.2287 --to=-30.0600,-51.1750 --at 2019-05-07T13:00`
    Plan(plan_cmd::PlanArgs),
    /// Simulate a city's day with and without a policy: people choose mode,
    /// departure time and route; telemetry runs through the live services;
    /// key figures, CSV files and an HTML report come out.
    Simulate(simulate::SimulateArgs),
    /// Run services with a TOML configuration (see config/omnibus.toml).
    /// Services named here run in one process and share one live state.
    Serve {
        /// Which services to run; those in the configuration when omitted.
        #[arg(value_enum)]
        services: Vec<Service>,
        /// Configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Check a configuration file and print it with every default filled in.
    CheckConfig {
        /// Configuration file.
        config: PathBuf,
    },
}

fn load_city(config: &Config) -> anyhow::Result<City> {
    let mut city = match &config.city.osm_pbf {
        None => City::porto_alegre(),
        Some(path) => City::load(&config.city.name, path).context("load the city")?,
    };
    if let Some(dir) = &config.city.gbfs {
        let feed =
            omnibus_core::gbfs::Feed::load(dir).with_context(|| format!("city.gbfs {}", dir.display()))?;
        for skipped in &feed.information.skipped {
            warn!(dir = %dir.display(), %skipped, "GBFS station skipped.");
        }
        let outside = city.add_gbfs_stations(&feed);
        info!(
            dir = %dir.display(),
            stations = feed.information.records.len() - outside.len(),
            outside = outside.len(),
            "GBFS bike-share stations registered."
        );
    }
    Ok(city)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let default = if matches!(cli.command, Command::Demo(_) | Command::Plan(_) | Command::Simulate(_)) {
            "warn"
        } else {
            "info"
        };
        tracing_subscriber::EnvFilter::new(default)
    });
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Plan(args) => plan_cmd::run(args).await,
        Command::Simulate(args) => simulate::run(args).await,
        Command::Serve { services, config } => {
            let mut config = match config {
                Some(path) => Config::load(&path)?,
                None => Config::default(),
            };
            if !services.is_empty() {
                config.services = services;
            }
            let city = Arc::new(load_city(&config)?);
            info!(city = %city.name, segments = city.network.segments().len(), "City loaded.");
            let platform = omnibus::Platform::start(city, system_clock(), &config, None).await?;
            for (service, addr) in &platform.addrs {
                info!(%service, %addr, "Serving; try: grpcurl -plaintext {addr} list");
            }
            tokio::signal::ctrl_c().await?;
            info!("Shutting down.");
            platform.stop().await
        }
        Command::CheckConfig { config } => {
            let parsed = Config::load(&config)?;
            parsed.policy.validate().context("[policy]")?;
            let text = toml::to_string_pretty(&parsed)?;
            use std::io::Write;
            writeln!(std::io::stdout(), "{text}")?;
            Ok(())
        }
    }
}
