//! Omnibus policy-testing city simulator.
//!
//! A synthetic population ([`population`]) over the city's districts chooses
//! its mode, departure time and route ([`run`]) by multinomial logit on
//! generalized cost (time × value of time + tolls + cordon charges + parking +
//! fares), with the journey planner's own itineraries for walking, cycling,
//! bike-share and transit ([`skims`]). The drivers' day runs through the
//! mesoscopic model (`omnibus-meso`) on the OpenStreetMap road network with
//! signalized junctions ([`world`]); the day's telemetry goes to the live
//! platform ([`feed`]), whose stream job prices it under the policy under
//! test; those prices are the next day's. Iterations follow the method of
//! successive averages. [`simulate`] runs a baseline and the policy for each
//! seed of a [`scenario`]; [`kpi`] and [`report`] turn the runs into CSV files
//! and a self-contained HTML report.
//!
//! A run is reproducible bit for bit from its seed: every random draw comes
//! from a seeded stream ([`rng`]) keyed by subsystem, person and iteration;
//! no wall-clock time is read; iteration orders are fixed.

pub mod feed;
pub mod kpi;
pub mod population;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod skims;
pub mod telemetry;
pub mod world;

use feed::PriceFeed;
use kpi::Pair;
use omnibus_core::City;
use scenario::Resolved;
use skims::ActiveSkims;
use std::sync::Arc;
use world::World;

/// Why a simulation failed.
#[derive(Debug, thiserror::Error)]
pub enum CitySimError {
    /// The scenario file.
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    /// A line of an input file.
    #[error("{file} line {line}: {field}: {reason}")]
    Input {
        /// The file.
        file: String,
        /// 1-based line (0: the file as a whole).
        line: u64,
        /// Column or field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The city cannot be loaded.
    #[error("city: {0}")]
    City(String),
    /// The demand cannot be drawn.
    #[error("demand: {0}")]
    Demand(String),
    /// The traffic model refused the network or the plans.
    #[error("traffic model: {0}")]
    Meso(#[from] omnibus_meso::MesoError),
    /// The live platform failed.
    #[error("platform: {0}")]
    Platform(String),
    /// Writing results.
    #[error("output {path}: {source}")]
    Output {
        /// The file or directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A city made ready for a scenario, shared by all its runs.
#[derive(Debug)]
pub struct Prepared {
    /// The city.
    pub world: World,
    /// Walk, bike, bike-share and transit levels of service.
    pub skims: ActiveSkims,
}

/// What the preparation is doing, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preparing {
    /// Loading the city.
    City,
    /// `done` of `total` district pairs planned.
    Skims {
        /// Done.
        done: u64,
        /// Total.
        total: u64,
    },
}

/// Loads the scenario's city and plans the non-car options between the
/// districts its populations use (all seeds).
pub fn prepare(scenario: &Resolved, progress: &(dyn Fn(Preparing) + Sync)) -> Result<Prepared, CitySimError> {
    progress(Preparing::City);
    let (city, bundled) = match &scenario.scenario.city.osm_pbf {
        Some(path) => {
            let path = scenario.base.join(path);
            let city = City::load("city", &path)
                .map_err(|e| CitySimError::City(format!("{}: {e}", path.display())))?;
            (city, false)
        }
        None => (City::porto_alegre(), true),
    };
    let size = *scenario.scenario.city.district_size_m.get_ref();
    let world = World::new(Arc::new(city), size)?;
    let mut pairs = std::collections::BTreeSet::new();
    for i in 0..*scenario.scenario.seeds.get_ref() {
        for p in population::generate(&world, scenario, scenario.scenario.seed + u64::from(i))? {
            pairs.insert((p.home_district, p.dest_district));
        }
    }
    let pairs: Vec<(u32, u32)> = pairs.into_iter().collect();
    let (planner, transit) = skims::journey_planner(&world, bundled);
    let total = pairs.len() as u64;
    let vot = scenario.scenario.choice.value_of_time_cents_per_hour.get_ref()[1];
    let depart = scenario.work_start.plus_ms(-30 * 60_000);
    let window = match &transit {
        Some(network) => {
            let per_hour = skims::departures_per_hour(network, scenario.yyyymmdd);
            skims::transit_window(&per_hour, scenario.midnight, depart)
        }
        None => skims::TransitWindow { start: depart, note: None },
    };
    if let Some(note) = &window.note {
        tracing::warn!(note, "Transit levels of service are taken outside the morning.");
    }
    let mut skims = skims::active_skims(&world, &planner, &pairs, depart, window.start, size, vot, &|done| {
        progress(Preparing::Skims { done, total })
    });
    skims.notes.extend(window.note);
    let with = |m: scenario::TravelMode| skims.pairs.values().filter(|l| l[m.index()].is_some()).count();
    tracing::info!(
        pairs = total,
        failures = skims.failures,
        transit = with(scenario::TravelMode::Transit),
        bike = with(scenario::TravelMode::Bike),
        bike_share = with(scenario::TravelMode::BikeShare),
        walk = with(scenario::TravelMode::Walk),
        "District pairs planned."
    );
    Ok(Prepared { world, skims })
}

/// Which run a progress report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLabel {
    /// Seed.
    pub seed: u64,
    /// Baseline (false) or policy (true).
    pub policy: bool,
}

/// Runs the baseline and the policy for every seed of the scenario.
pub async fn simulate<F: PriceFeed>(
    prepared: &Prepared,
    scenario: &Resolved,
    feed: &mut F,
    progress: &mut dyn FnMut(RunLabel, run::Progress),
) -> Result<Vec<Pair>, CitySimError> {
    let inputs = run::Inputs { world: &prepared.world, scenario, skims: &prepared.skims };
    let mut pairs = Vec::new();
    for i in 0..*scenario.scenario.seeds.get_ref() {
        let seed = scenario.scenario.seed + u64::from(i);
        let baseline = run::run_policy(&inputs, &scenario.baseline, seed, feed, &mut |p| {
            progress(RunLabel { seed, policy: false }, p)
        })
        .await?;
        let policy = run::run_policy(&inputs, scenario.scenario.policy.get_ref(), seed, feed, &mut |p| {
            progress(RunLabel { seed, policy: true }, p)
        })
        .await?;
        pairs.push(Pair { baseline, policy });
    }
    Ok(pairs)
}

/// Writes the CSV files and `report.html` into the scenario's output directory.
pub fn write_outputs(
    prepared: &Prepared,
    scenario: &Resolved,
    pairs: &[Pair],
) -> Result<std::path::PathBuf, CitySimError> {
    let dir = scenario.output_dir();
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| CitySimError::Output { path, source }
    };
    kpi::write_csv(&dir, pairs, scenario.local_minute(scenario.start)).map_err(io(&dir))?;
    let html =
        omnibus_report::render_html(&report::build(&prepared.world, scenario, pairs, &prepared.skims.notes));
    let path = dir.join("report.html");
    std::fs::write(&path, html).map_err(io(&path))?;
    Ok(dir)
}
