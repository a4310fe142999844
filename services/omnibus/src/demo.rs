//! `omnibus demo`: the whole loop on the bundled city, in one process.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use omnibus::Platform;
use omnibus::config::{Config, ServerConfig, Service};
use omnibus_core::clock::Clock;
use omnibus_core::cordon::CordonPolicy;
use omnibus_core::express::{ExpressLanePolicy, ExpressZone};
use omnibus_core::policy::{ClassBandPolicy, MarginalCostPolicy, PricingRule, SpeedBandPolicy};
use omnibus_core::{Cents, City, EventTime, LatLon, SegmentId};
use omnibus_proto::v1::{
    Itinerary, LatLon as PbLatLon, Mode, PlanRequest, WatchPricesRequest, planner_client::PlannerClient,
    pricing_client::PricingClient,
};
use omnibus_sim::{SimConfig, Simulation};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio_stream::StreamExt;

/// Options of the demo.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Vehicles in the simulated morning.
    #[arg(long, default_value_t = 8_000)]
    vehicles: usize,
    /// Simulated minutes.
    #[arg(long, default_value_t = 60)]
    minutes: u32,
    /// Seed of every random choice: the same seed gives the same traffic.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Worker threads of the stream job.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Directory of the ingest write-ahead log (a fresh temporary one by default).
    #[arg(long)]
    wal_dir: Option<std::path::PathBuf>,
    /// The road pricing rule to run.
    #[arg(long, value_enum, default_value_t = DemoPolicy::SpeedBand)]
    policy: DemoPolicy,
    /// Also charge a Stockholm-style time-of-day cordon (60-minute rule, daily
    /// cap) around the 2 km × 2 km centre of the morning's traffic.
    #[arg(long)]
    cordon: bool,
    /// Also price MnPASS express lanes on four approaches to the centre of the
    /// morning's traffic (density-based, every 3 minutes over the last 6).
    #[arg(long)]
    express_lanes: bool,
    /// Minutes per SFpark parking review (28 days in San Francisco; short here so
    /// that an hour shows the rule at work).
    #[arg(long, default_value_t = 15)]
    parking_review_minutes: u32,
}

/// Road pricing rules the demo can run, with their default settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoPolicy {
    /// Speed-band feedback relative to each segment's free-flow speed.
    SpeedBand,
    /// Singapore ERP-style speed bands per road class, reviewed every 15 minutes.
    Erp,
    /// Marginal external congestion cost (BPR curve) at a value of time of 20/h.
    MarginalCost,
}

impl DemoPolicy {
    fn rule(self) -> PricingRule {
        match self {
            DemoPolicy::SpeedBand => PricingRule::SpeedBand(SpeedBandPolicy::default()),
            DemoPolicy::Erp => PricingRule::ClassBands(ClassBandPolicy::erp()),
            DemoPolicy::MarginalCost => PricingRule::MarginalCost(MarginalCostPolicy::default()),
        }
    }
}

/// A square of `half_side` metres around `centre`, as a cordon zone.
fn square_around(city: &City, centre: LatLon, half_side: f64) -> Vec<LatLon> {
    let proj = city.network.projection();
    let c = proj.project(centre);
    [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
        .iter()
        .map(|(x, y)| proj.unproject([c[0] + x * half_side, c[1] + y * half_side]))
        .collect()
}

/// Share of free-flow speed below which the report calls a segment congested.
const CONGESTED_FRACTION: f64 = 0.5;

fn describe(rule: &PricingRule, currency: &str) -> String {
    match rule {
        PricingRule::SpeedBand(b) => format!(
            "speed band: +{} per minute while the {}-minute average speed is below {:.0}% of free flow, −{} above, within {}..{}",
            money(b.step, currency),
            b.window_minutes,
            b.target_speed_fraction * 100.0,
            money(b.step, currency),
            money(b.floor, currency),
            money(b.cap, currency)
        ),
        PricingRule::ClassBands(b) => format!(
            "ERP class bands, reviewed every {} minutes, ±{} within {}..{}: {}",
            b.review_minutes,
            money(b.step, currency),
            money(b.floor, currency),
            money(b.cap, currency),
            b.bands
                .iter()
                .map(|(c, (lo, hi))| format!("{c} {lo:.0}–{hi:.0} km/h"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PricingRule::MarginalCost(m) => format!(
            "marginal cost: 0.6·t0·(v/c)⁴ at {}/h value of time, flow over {} minutes, at most {}",
            money(Cents(m.value_of_time_cents_per_hour), currency),
            m.flow_window_minutes,
            money(m.cap, currency)
        ),
    }
}

fn hhmm(t: EventTime) -> String {
    // Porto Alegre is UTC−3 all year.
    let local = t.0 / 1000 - 3 * 3600;
    format!("{:02}:{:02}", local.rem_euclid(86_400) / 3600, local.rem_euclid(3600) / 60)
}

fn money(c: Cents, currency: &str) -> String {
    format!("{currency} {c}")
}

/// Value of time of a driver in a hurry (cents per hour): tolls weigh little.
const HURRIED_VALUE_OF_TIME: i64 = 50_000;

fn plan_request(from: LatLon, to: LatLon, at: EventTime, value_of_time: i64) -> PlanRequest {
    PlanRequest {
        origin: Some(PbLatLon { lat: from.lat, lon: from.lon }),
        destination: Some(PbLatLon { lat: to.lat, lon: to.lon }),
        depart_at_ms: at.0,
        modes: vec![Mode::Car as i32],
        value_of_time_cents_per_hour: value_of_time,
        ..PlanRequest::default()
    }
}

/// Express-lane zones: the last 2 km of the fastest route into the hotspot
/// from 3 km away, from the west, south, east and north.
fn express_zones(city: &City, hotspot: LatLon) -> Vec<ExpressZone> {
    let net = &city.network;
    let proj = net.projection();
    let c = proj.project(hotspot);
    let Some(end) = city.matcher.nearest_segment(hotspot) else { return Vec::new() };
    let target = net.segments()[end.segment.index()].from;
    let mut zones = Vec::new();
    for (name, (dx, dy)) in [
        ("west", (-3_000.0, 0.0)),
        ("south", (0.0, -3_000.0)),
        ("east", (3_000.0, 0.0)),
        ("north", (0.0, 3_000.0)),
    ] {
        let Some(start) = city.matcher.nearest_segment(proj.unproject([c[0] + dx, c[1] + dy])) else {
            continue;
        };
        let from = net.segments()[start.segment.index()].to;
        let Some(path) = omnibus_core::routing::shortest_path(net, from, target, |s| {
            let seg = &net.segments()[s.index()];
            seg.length.0 / seg.free_flow.0
        }) else {
            continue;
        };
        let mut length = 0.0;
        let mut last: Vec<SegmentId> = Vec::new();
        for s in path.segments.iter().rev() {
            if length >= 2_000.0 {
                break;
            }
            length += net.segments()[s.index()].length.0;
            last.push(*s);
        }
        last.reverse();
        if !last.is_empty() && zones.iter().all(|z: &ExpressZone| z.segments != last) {
            zones.push(ExpressZone { name: format!("express-{name}"), segments: last });
        }
    }
    zones
}

/// Trips straight across the hotspot: 3 and 5 km long, in eight directions.
fn candidate_trips(city: &City, hotspot: LatLon) -> Vec<(LatLon, LatLon)> {
    let proj = city.network.projection();
    let c = proj.project(hotspot);
    [1_500.0, 2_500.0]
        .into_iter()
        .flat_map(|r| {
            (0..8).map(move |i| {
                let a = f64::from(i) * std::f64::consts::PI / 8.0;
                let (dx, dy) = (r * a.cos(), r * a.sin());
                (proj.unproject([c[0] - dx, c[1] - dy]), proj.unproject([c[0] + dx, c[1] + dy]))
            })
        })
        .filter(|(a, b)| city.area.contains(*a) && city.area.contains(*b))
        .collect()
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let wall = Instant::now();
    let mut out = std::io::stdout();
    writeln!(
        out,
        "Omnibus demo: one simulated morning on the bundled city (OpenStreetMap data © OpenStreetMap contributors, ODbL)"
    )?;
    let city = Arc::new(City::porto_alegre());
    writeln!(
        out,
        "  city        {}: {} road segments, {} junctions, {} loop detectors, {} parking facilities, {} bike stations",
        city.name,
        city.network.segments().len(),
        city.network.nodes().len(),
        city.registry.detectors.len(),
        city.registry.parking.len(),
        city.registry.bike_stations.len()
    )?;

    let sim_config = SimConfig {
        seed: args.seed,
        vehicles: args.vehicles,
        duration_s: args.minutes * 60,
        ..SimConfig::default()
    };
    let start = sim_config.start;
    let mut sim = Simulation::new(city.clone(), sim_config);
    let sim_clock = sim.clock();
    let clock: Clock = Arc::new(move || sim_clock.now());

    let wal_dir = match args.wal_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("omnibus-demo-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&wal_dir);
    let mut config = Config { server: ServerConfig::ephemeral(), ..Config::default() };
    config.stream.workers = args.workers;
    config.ingest.wal_dir = Some(wal_dir.clone());
    config.policy.rule = args.policy.rule();
    config.policy.parking.review_minutes = args.parking_review_minutes;
    if args.cordon {
        // Porto Alegre is UTC−3 all year.
        config.policy.cordon =
            Some(CordonPolicy::stockholm(square_around(&city, sim.hotspot(), 1_000.0), -180));
    }
    if args.express_lanes {
        config.policy.express_lanes = Some(ExpressLanePolicy::mnpass(express_zones(&city, sim.hotspot())));
    }
    let platform = Platform::start(city.clone(), clock, &config, None).await?;
    let currency = platform.live.policies(|p| p.latest().policy.currency.clone());
    let rule = platform.live.policies(|p| p.latest().policy.rule.clone());
    writeln!(
        out,
        "  services    ingest {}  pricing {}  planner {}  (gRPC with health and reflection)",
        platform.addr(Service::Ingest).unwrap(),
        platform.addr(Service::Pricing).unwrap(),
        platform.addr(Service::Planner).unwrap()
    )?;
    writeln!(out, "  policy      {}", describe(&rule, &currency))?;
    if let Some(c) = platform.live.policies(|p| p.latest().policy.cordon.clone()) {
        writeln!(
            out,
            "  cordon      {}: {} periods, {} at 07:00–08:30, charged once per {} minutes, at most {} a day",
            c.name,
            c.schedule.len(),
            money(c.charge_at(start), &currency),
            c.single_charge_minutes,
            money(c.daily_cap, &currency)
        )?;
    }
    if let Some(e) = platform.live.policies(|p| p.latest().policy.express_lanes.clone()) {
        writeln!(
            out,
            "  express     MnPASS on {} zones: {:.3}·k^{:.2} per trip (k: vehicles per lane-mile), every {} min over {}, {}–{}",
            e.zones.len(),
            e.coefficient,
            e.exponent,
            e.review_minutes,
            e.window_minutes,
            money(e.min, &currency),
            money(e.max, &currency)
        )?;
    }
    writeln!(
        out,
        "  parking     SFpark: ±{}/h per {}-minute review at ≥80% / <60% occupancy",
        money(Cents(25), &currency),
        args.parking_review_minutes
    )?;
    writeln!(
        out,
        "  traffic     {} vehicles from {} for {} minutes, seed {}",
        args.vehicles,
        hhmm(start),
        args.minutes,
        args.seed
    )?;

    let mut planner = PlannerClient::connect(platform.endpoint(Service::Planner)).await?;
    let mut pricing = PricingClient::connect(platform.endpoint(Service::Pricing)).await?;
    // Plan the candidate trips at free flow; keep those with both ends on the road network.
    let mut trips = Vec::new();
    let mut before = Vec::new();
    for (a, b) in candidate_trips(&city, sim.hotspot()) {
        if let Ok(plan) = planner.plan(plan_request(a, b, start, 0)).await {
            trips.push((a, b));
            before.push(plan.into_inner().itineraries.remove(0));
        }
    }

    // Count price changes as a client of the pricing service sees them.
    let changes = Arc::new(AtomicU64::new(0));
    let mut watch = pricing.watch_prices(WatchPricesRequest { segment_ids: vec![] }).await?.into_inner();
    let counter = changes.clone();
    tokio::spawn(async move {
        while let Some(Ok(_)) = watch.next().await {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });

    let bar = ProgressBar::new(u64::from(args.minutes));
    bar.set_style(
        ProgressStyle::with_template("  {prefix} [{bar:30}] {pos}/{len} min  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut client = omnibus_sim::connect(platform.endpoint(Service::Ingest)).await?;
    let live = platform.live.clone();
    let drive_start = Instant::now();
    // Every 5 simulated minutes, plan the candidate trips again through the
    // planner service; keep the moment congestion cost one of them the most.
    let runtime = tokio::runtime::Handle::current();
    let mut peak_planner = planner.clone();
    let mut peak: Option<Peak> = None;
    let report = omnibus_sim::drive(&mut sim, &mut client, |stats, now| {
        if (now.0 - start.0) % 300_000 == 0 && now > start {
            tokio::task::block_in_place(|| {
                runtime.block_on(async {
                    for (i, (a, b)) in trips.iter().enumerate() {
                        let (Ok(hurried), Ok(usual)) = (
                            peak_planner.plan(plan_request(*a, *b, now, HURRIED_VALUE_OF_TIME)).await,
                            peak_planner.plan(plan_request(*a, *b, now, 0)).await,
                        ) else {
                            continue;
                        };
                        let candidate = Peak {
                            trip: i,
                            at: now,
                            hurried: hurried.into_inner().itineraries.remove(0),
                            usual: usual.into_inner().itineraries.remove(0),
                        };
                        let worse = |p: &Peak| {
                            (cents(&p.hurried), (p.usual.duration_s - before[p.trip].duration_s) as i64)
                        };
                        if peak.as_ref().is_none_or(|p| worse(&candidate) > worse(p)) {
                            peak = Some(candidate);
                        }
                    }
                })
            });
        }
        let (tolled, max) = live.read(|s| {
            let tolled = s.segments.values().filter(|l| l.price > Cents::ZERO).count();
            (tolled, s.segments.values().map(|l| l.price).max().unwrap_or(Cents::ZERO))
        });
        let rate = stats.records as f64 / drive_start.elapsed().as_secs_f64().max(1e-3);
        bar.set_prefix(hhmm(now));
        bar.set_position(((now.0 - start.0) / 60_000) as u64);
        bar.set_message(format!(
            "{:>5} driving  {:>7} records  {:>7.0} rec/s  {:>4} tolled segments  max {}",
            stats.driving,
            stats.records,
            rate,
            tolled,
            money(max, &currency)
        ));
    })
    .await
    .context("drive the simulation through the ingest service")?;
    bar.finish();
    let drive_wall = drive_start.elapsed();

    // Close every open minute so the prices are final, then ask the services.
    if let Some(ingest) = &platform.ingest {
        ingest.finish().await?;
    }
    let end = sim.now();
    let mut after = Vec::new();
    for (a, b) in &trips {
        after.push(planner.plan(plan_request(*a, *b, end, 0)).await?.into_inner().itineraries.remove(0));
    }

    writeln!(out)?;
    writeln!(out, "Telemetry ingested")?;
    writeln!(
        out,
        "  {} records in {} batches over gRPC in {:.1} s: {:.0} records/s ({} accepted, {} rejected); every accepted batch flushed to {}",
        report.records_sent,
        report.batches,
        drive_wall.as_secs_f64(),
        report.records_sent as f64 / drive_wall.as_secs_f64().max(1e-3),
        report.accepted,
        report.rejected,
        wal_dir.join("telemetry.wal").display()
    )?;
    for r in &report.rejection_samples {
        writeln!(out, "  rejected: {r}")?;
    }
    let counters = platform.live.read(|s| s.counters);
    writeln!(
        out,
        "  stream job: {} probes, {} matched to a road segment, {} off the network",
        counters.probes, counters.matched, counters.unmatched
    )?;

    // The most congested segments at the end of the run, as the pricing service reports them.
    let mut congested: Vec<_> = platform.live.read(|s| {
        s.segments
            .iter()
            .filter_map(|(id, l)| {
                let ff = city.network.segments()[id.index()].free_flow.0;
                l.window_speed
                    .map(|v| (*id, v.0 / ff, l.price, l.vehicles))
                    .filter(|c| c.1 < CONGESTED_FRACTION)
            })
            .collect()
    });
    congested.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.total_cmp(&b.1)).then(a.0.cmp(&b.0)));
    let tolled = platform.live.read(|s| s.segments.values().filter(|l| l.price > Cents::ZERO).count());
    writeln!(out)?;
    writeln!(out, "Congestion and tolls at {}", hhmm(end))?;
    writeln!(
        out,
        "  {} segments below half their free-flow speed; {} segments carry a toll; {} price changes streamed to a WatchPrices client",
        congested.len(),
        tolled,
        changes.load(Ordering::Relaxed)
    )?;
    writeln!(
        out,
        "  {:<8} {:<38} {:<12} {:>9} {:>9} {:>12}",
        "segment", "street", "class", "speed", "of free", "toll"
    )?;
    for (id, frac, _, _) in congested.iter().take(8) {
        let seg = &city.network.segments()[id.index()];
        let price = pricing
            .get_price(omnibus_proto::v1::GetPriceRequest {
                target: Some(omnibus_proto::v1::get_price_request::Target::SegmentId(u64::from(id.0))),
            })
            .await?
            .into_inner();
        writeln!(
            out,
            "  {:<8} {:<38} {:<12} {:>5.1} km/h {:>8.0}% {:>12}",
            id.to_string(),
            seg.name.as_deref().unwrap_or("(unnamed)").chars().take(38).collect::<String>(),
            seg.class.as_str(),
            price.avg_speed_mps * 3.6,
            frac * 100.0,
            money(Cents(price.price.map_or(0, |m| m.cents)), &currency)
        )?;
    }

    if platform.live.policies(|p| p.latest().policy.cordon.is_some()) {
        let c = pricing.get_cordon(omnibus_proto::v1::GetCordonRequest {}).await?.into_inner();
        writeln!(out)?;
        writeln!(
            out,
            "Cordon \"{}\": {} vehicles entered, {} of them charged, {} owed",
            c.name,
            c.passages,
            c.charged,
            money(Cents(c.revenue.map_or(0, |m| m.cents)), &currency)
        )?;
    }

    if let Some(e) = platform.live.policies(|p| p.latest().policy.express_lanes.clone()) {
        writeln!(out)?;
        writeln!(out, "Express lanes (MnPASS, from the highest downstream density)")?;
        for zone in &e.zones {
            let request = omnibus_proto::v1::GetPriceRequest {
                target: Some(omnibus_proto::v1::get_price_request::Target::ZoneId(zone.name.clone())),
            };
            let p = pricing.get_price(request).await?.into_inner();
            let length: f64 = zone.segments.iter().map(|s| city.network.segments()[s.index()].length.0).sum();
            writeln!(
                out,
                "  {:<16} {:>2} segments {:>5.1} km  density {:>5.1} veh/lane-mile  {:>12}",
                zone.name,
                zone.segments.len(),
                length / 1_000.0,
                p.density_veh_per_lane_mile,
                money(Cents(p.price.map_or(0, |m| m.cents)), &currency)
            )?;
        }
    }

    if !city.registry.parking.is_empty() {
        writeln!(out)?;
        writeln!(out, "Parking (SFpark prices from reported occupancy)")?;
        for id in city.registry.parking.keys() {
            let p = pricing
                .get_parking(omnibus_proto::v1::GetParkingRequest { facility_id: id.clone() })
                .await?
                .into_inner();
            writeln!(
                out,
                "  {:<24} {:>4}/{:<4} occupied {:>4.0}%  {:>12}/h",
                id,
                p.occupied,
                p.capacity,
                f64::from(p.occupied) * 100.0 / f64::from(p.capacity.max(1)),
                money(Cents(p.price_per_hour.map_or(0, |m| m.cents)), &currency)
            )?;
        }
    }

    // The trip across the hotspot that congestion changed most, as planned at
    // free flow, at its worst moment, and at the end.
    if let Some(p) = peak {
        let i = p.trip;
        writeln!(out)?;
        let (a, b) = trips[i];
        writeln!(
            out,
            "A car journey across the centre, ({:.5}, {:.5}) → ({:.5}, {:.5})",
            a.lat, a.lon, b.lat, b.lon
        )?;
        writeln!(
            out,
            "  {:<44} {:>10} {:>10} {:>12} {:>9}",
            "planned", "time", "distance", "toll", "segments"
        )?;
        let usual = money(Cents(2_000), &currency);
        let hurried = money(Cents(HURRIED_VALUE_OF_TIME), &currency);
        let mut rows = vec![
            (format!("{} free flow", hhmm(start)), &before[i]),
            (format!("{} congested, value of time {usual}/h", hhmm(p.at)), &p.usual),
            (format!("{} congested, value of time {hurried}/h", hhmm(p.at)), &p.hurried),
        ];
        if p.at != end {
            rows.push((format!("{} at the end, value of time {usual}/h", hhmm(end)), &after[i]));
        }
        for (label, it) in rows {
            write_itinerary(&mut out, &label, it, &currency)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Done in {:.1} s wall time.", wall.elapsed().as_secs_f64())?;
    platform.stop().await?;
    let _ = std::fs::remove_dir_all(&wal_dir);
    Ok(())
}

/// A trip planned at the moment congestion cost it the most.
struct Peak {
    trip: usize,
    at: EventTime,
    hurried: Itinerary,
    usual: Itinerary,
}

fn cents(it: &Itinerary) -> i64 {
    it.toll.as_ref().map_or(0, |m| m.cents)
}

fn write_itinerary(out: &mut impl Write, label: &str, it: &Itinerary, currency: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "  {:<44} {:>6.1} min {:>7.2} km {:>12} {:>9}",
        label,
        it.duration_s / 60.0,
        it.distance_m / 1000.0,
        money(Cents(it.toll.as_ref().map_or(0, |m| m.cents)), currency),
        it.legs.first().map_or(0, |l| l.segment_ids.len())
    )
}
