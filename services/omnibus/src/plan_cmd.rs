//! `omnibus plan`: a journey on the bundled city (or through a running
//! planner with `--server`), printed as a table.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use omnibus_core::clock::system_clock;
use omnibus_core::gbfs;
use omnibus_core::live::{BikeLive, LiveCity};
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{City, EventTime};
use omnibus_planner::journey::JourneyPlanner;
use omnibus_planner::transit::{PORTO_ALEGRE_UTC_OFFSET_S, TransitNetwork};
use omnibus_planner::{CarPlanner, PlannerService};
use omnibus_proto::v1::planner_client::PlannerClient;
use omnibus_proto::v1::{LatLon as PbLatLon, Mode, PlanRequest, PlanResponse, Preferences};
use omnibus_transit::gtfs;
use std::io::Write;
use std::sync::Arc;

/// A way of travelling, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CliMode {
    /// Walking all the way.
    Walk,
    /// One's own bike all the way.
    Bike,
    /// A shared bike between stations.
    BikeShare,
    /// Public transport, walking to and from stops.
    Transit,
    /// Driving, with live tolls and parking.
    Car,
    /// Driving to a car park, then public transport.
    ParkAndRide,
    /// Cycling to a stop, then public transport.
    BikeAndRide,
}

impl CliMode {
    fn wire(self) -> Mode {
        match self {
            CliMode::Walk => Mode::Walk,
            CliMode::Bike => Mode::Bike,
            CliMode::BikeShare => Mode::BikeShare,
            CliMode::Transit => Mode::Transit,
            CliMode::Car => Mode::Car,
            CliMode::ParkAndRide => Mode::ParkAndRide,
            CliMode::BikeAndRide => Mode::BikeAndRide,
        }
    }
}

/// Plan a journey and print its itineraries: per way of travelling, those no
/// other beats on arrival, money and transfers ("*" marks the overall front).
/// Without `--server` it plans in this process on the bundled Porto Alegre
/// (its bus feed runs 11:00–16:00 on weekdays of April–July 2019; other dates
/// use the same weekday's timetable), or on another city given by `--city`
/// with its `--gtfs` feeds and `--gbfs` bike-share stations.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Start, `LAT,LON`.
    #[arg(long, value_parser = parse_lat_lon, allow_hyphen_values = true)]
    from: (f64, f64),
    /// End, `LAT,LON`.
    #[arg(long, value_parser = parse_lat_lon, allow_hyphen_values = true)]
    to: (f64, f64),
    /// Departure in the city's local time, `YYYY-MM-DDTHH:MM`, or `now`.
    #[arg(long, default_value = "now")]
    at: String,
    /// Ways of travelling to consider (all when omitted).
    #[arg(long, value_enum, value_delimiter = ',')]
    modes: Vec<CliMode>,
    /// Longest walk to, from or between stops, metres.
    #[arg(long, default_value_t = 1_000.0)]
    max_walk_m: f64,
    /// Most transfers.
    #[arg(long, default_value_t = 3)]
    max_transfers: u32,
    /// Step-free journeys only (no bikes; stops and trips marked inaccessible avoided).
    #[arg(long)]
    wheelchair: bool,
    /// Value of your time, cents per hour (weighs tolls against time when driving).
    #[arg(long, default_value_t = 0)]
    value_of_time: i64,
    /// Plan on a running planner instead (`http://127.0.0.1:50053`).
    #[arg(long)]
    server: Option<String>,
    /// Print the response as JSON-like debug output instead of a table.
    #[arg(long)]
    raw: bool,
    /// Plan on this city instead of the bundled one: an OpenStreetMap `.osm.pbf`
    /// extract (its car parks and `amenity=bicycle_rental` stations come along).
    #[arg(long, value_name = "OSM_PBF", conflicts_with = "server")]
    city: Option<std::path::PathBuf>,
    /// The `--city`'s GTFS feeds (zip files or directories); repeat for several.
    #[arg(long, value_name = "GTFS", requires = "city")]
    gtfs: Vec<std::path::PathBuf>,
    /// The `--city`'s offset from UTC, hours (its local time for `--at` and the feeds).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, requires = "city")]
    utc_offset: f64,
    /// A GBFS feed directory: its `station_information.json` adds bike-share
    /// stations, its `station_status.json` (if there) their bikes and docks.
    #[arg(long, value_name = "DIR", conflicts_with = "server")]
    gbfs: Option<std::path::PathBuf>,
    /// The `--city`'s currency (ISO 4217), for its parking prices and tolls.
    #[arg(long, default_value = "BRL", requires = "city")]
    currency: String,
}

/// The city, its transit and live state for planning in this process.
fn local_planner(args: &PlanArgs) -> anyhow::Result<(JourneyPlanner, i32)> {
    let (mut city, utc_offset_s) = match &args.city {
        Some(path) => {
            let name = path.file_stem().map_or("city".into(), |s| s.to_string_lossy().into_owned());
            let city = City::load(&name, path).with_context(|| format!("--city {}", path.display()))?;
            if !(-14.0..=14.0).contains(&args.utc_offset) {
                bail!("--utc-offset {}: must be between -14 and 14 hours", args.utc_offset);
            }
            (city, (args.utc_offset * 3_600.0).round() as i32)
        }
        None => (City::porto_alegre(), PORTO_ALEGRE_UTC_OFFSET_S),
    };
    let policy = Policy { currency: args.currency.clone(), ..Policy::default() };
    let live = LiveCity::new(PolicyStore::new(policy, "cli").context("--currency")?);
    if let Some(dir) = &args.gbfs {
        let feed = gbfs::Feed::load(dir).with_context(|| format!("--gbfs {}", dir.display()))?;
        for skipped in feed.information.skipped.iter().chain(feed.status.iter().flat_map(|s| &s.skipped)) {
            eprintln!("--gbfs {}: skipped {skipped}", dir.display());
        }
        let outside = city.add_gbfs_stations(&feed);
        if !outside.is_empty() {
            eprintln!(
                "--gbfs {}: {} stations lie outside {} and are left out",
                dir.display(),
                outside.len(),
                city.name
            );
        }
        let now = system_clock()();
        live.write(|state| {
            for s in feed.status.iter().flat_map(|s| &s.records) {
                let bikes = if s.in_service { s.bikes_available } else { 0 };
                let docks = if s.in_service { s.docks_available } else { 0 };
                let time = s.last_reported.unwrap_or(now);
                state.bikes.insert(format!("gbfs-{}", s.id), BikeLive { time, bikes, docks });
            }
        });
    }
    let city = Arc::new(city);
    let transit = if args.city.is_some() {
        let mut feeds = Vec::new();
        for (i, path) in args.gtfs.iter().enumerate() {
            let name = format!("feed{i}");
            let feed = gtfs::Feed::load(path, &name).with_context(|| format!("--gtfs {}", path.display()))?;
            feeds.push(feed);
        }
        (!feeds.is_empty()).then(|| Arc::new(TransitNetwork::new(feeds, &city, utc_offset_s)))
    } else {
        Some(Arc::new(TransitNetwork::porto_alegre(&city).context("bundled feeds")?))
    };
    Ok((JourneyPlanner::new(CarPlanner::new(city, live), transit), utc_offset_s))
}

fn parse_lat_lon(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s.split_once(',').ok_or_else(|| format!("{s:?} is not LAT,LON"))?;
    let lat: f64 = a.trim().parse().map_err(|_| format!("{a:?} is not a latitude"))?;
    let lon: f64 = b.trim().parse().map_err(|_| format!("{b:?} is not a longitude"))?;
    Ok((lat, lon))
}

/// `YYYY-MM-DDTHH:MM` local time to an instant.
fn parse_at(s: &str, utc_offset_s: i32) -> anyhow::Result<EventTime> {
    if s == "now" {
        return Ok(system_clock()());
    }
    let bad = || format!("--at {s:?}: expected YYYY-MM-DDTHH:MM or now");
    let (date, time) = s.split_once('T').with_context(bad)?;
    let date = gtfs::parse_date(&date.replace('-', "")).with_context(bad)?;
    let secs = gtfs::parse_time(&format!("{time}:00")).with_context(bad)?;
    if secs >= 86_400 {
        bail!(bad());
    }
    let utc = gtfs::day_number(date) * 86_400 + i64::from(secs) - i64::from(utc_offset_s);
    Ok(EventTime(utc * 1_000))
}

fn request(args: &PlanArgs, utc_offset_s: i32) -> anyhow::Result<PlanRequest> {
    let modes: Vec<CliMode> =
        if args.modes.is_empty() { CliMode::value_variants().to_vec() } else { args.modes.clone() };
    Ok(PlanRequest {
        origin: Some(PbLatLon { lat: args.from.0, lon: args.from.1 }),
        destination: Some(PbLatLon { lat: args.to.0, lon: args.to.1 }),
        depart_at_ms: parse_at(&args.at, utc_offset_s)?.0,
        modes: modes.iter().map(|m| m.wire() as i32).collect(),
        value_of_time_cents_per_hour: args.value_of_time,
        preferences: Some(Preferences {
            max_walk_m: args.max_walk_m,
            wheelchair: args.wheelchair,
            max_transfers: args.max_transfers,
            ..Preferences::default()
        }),
    })
}

/// Runs the command.
pub async fn run(args: PlanArgs) -> anyhow::Result<()> {
    let response;
    let mut utc_offset_s = PORTO_ALEGRE_UTC_OFFSET_S;
    match &args.server {
        Some(url) => {
            let req = request(&args, utc_offset_s)?;
            let mut client =
                PlannerClient::connect(url.clone()).await.with_context(|| format!("connect to {url}"))?;
            response = client
                .plan(req)
                .await
                .map_err(|s| anyhow::anyhow!("{}: {}", s.code(), s.message()))?
                .into_inner();
        }
        None => {
            let (journeys, offset) = local_planner(&args)?;
            utc_offset_s = offset;
            let req = request(&args, utc_offset_s)?;
            let service = PlannerService::with_journeys(journeys.clone(), system_clock());
            let query = service.journey_query(&req).map_err(|e| anyhow::anyhow!("{e}"))?;
            let plan = journeys.plan(&query).map_err(|e| anyhow::anyhow!("{e}"))?;
            response = service.plan_response(&plan);
        }
    }
    let mut out = std::io::stdout().lock();
    if args.raw {
        writeln!(out, "{response:#?}")?;
    } else {
        print_table(&mut out, &response, utc_offset_s)?;
    }
    Ok(())
}

fn clock(ms: i64, utc_offset_s: i32) -> String {
    let s = (ms.div_euclid(1_000) + i64::from(utc_offset_s)).rem_euclid(86_400);
    format!("{:02}:{:02}", s / 3_600, s / 60 % 60)
}

fn money(m: &Option<omnibus_proto::v1::Money>) -> String {
    m.as_ref().map_or_else(String::new, |m| format!("{}.{:02}", m.cents / 100, m.cents.rem_euclid(100)))
}

/// The itineraries as a table, then each one's legs.
pub fn print_table(out: &mut impl Write, r: &PlanResponse, utc_offset_s: i32) -> std::io::Result<()> {
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    if r.itineraries.is_empty() {
        writeln!(out, "No itinerary found.")?;
        return Ok(());
    }
    let currency = r.itineraries[0].total.as_ref().map_or("", |m| m.currency.as_str());
    writeln!(
        out,
        "  # {:<14} {:>5} {:>5} {:>6} {:>9} {:>4} {:>7} {:>7}  via",
        "way",
        "dep",
        "arr",
        "min",
        format!("cost {currency}"),
        "xfer",
        "CO2 g",
        "walk m"
    )?;
    for (k, i) in r.itineraries.iter().enumerate() {
        let via: Vec<String> = i
            .legs
            .iter()
            .filter(|l| !l.route.is_empty())
            .map(|l| format!("{} ({} → {})", l.route, l.from_name, l.to_name))
            .collect();
        writeln!(
            out,
            "{}{:>2} {:<14} {:>5} {:>5} {:>6.0} {:>9} {:>4} {:>7} {:>7.0}  {}",
            if i.pareto_optimal { "*" } else { " " },
            k + 1,
            i.family,
            clock(i.depart_ms, utc_offset_s),
            clock(i.arrive_ms, utc_offset_s),
            i.duration_s / 60.0,
            money(&i.total),
            i.transfers,
            i.co2_grams,
            i.walk_m.max(0.0),
            via.join(", ")
        )?;
    }
    writeln!(out)?;
    for (k, i) in r.itineraries.iter().enumerate() {
        writeln!(out, "{:>2}. {}", k + 1, i.family)?;
        for l in &i.legs {
            let mode = Mode::try_from(l.mode).map_or("?", |m| m.as_str_name()).trim_start_matches("MODE_");
            let paid = if l.charge.is_empty() {
                String::new()
            } else {
                format!("  {} {}", l.charge, money(&l.money))
            };
            writeln!(
                out,
                "    {} {} {:<10} {:>6.0} m  {} → {}{}{}",
                clock(l.depart_ms, utc_offset_s),
                clock(l.arrive_ms, utc_offset_s),
                mode.to_lowercase(),
                l.distance_m,
                l.from_name,
                l.to_name,
                if l.route.is_empty() { String::new() } else { format!("  [{}]", l.route) },
                paid
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_places_parse() {
        assert_eq!(parse_lat_lon("-30.0277,-51.2287"), Ok((-30.0277, -51.2287)));
        assert!(parse_lat_lon("-30.0277").is_err());
        // 13:00 in Porto Alegre on 7 May 2019 is 16:00 UTC.
        assert_eq!(parse_at("2019-05-07T13:00", -3 * 3_600).unwrap(), EventTime(1_557_244_800_000));
        assert!(parse_at("2019-05-07 13:00", 0).is_err());
        assert!(parse_at("2019-05-07T25:00", 0).is_err());
    }

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: PlanArgs,
    }

    fn shared(rel: &str) -> String {
        omnibus_core::shared_data::path(rel).display().to_string()
    }

    fn parse(args: &[&str]) -> PlanArgs {
        <Cli as clap::Parser>::try_parse_from(std::iter::once("plan").chain(args.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn another_city_plans_bike_share_and_the_streetcar_from_the_command_line() {
        let (pbf, gtfs) = (
            shared("portland/portland-central-filtered.osm.pbf"),
            shared("portland/trimet_streetcar_2routes_gtfs.zip"),
        );
        let args = parse(&[
            "--city",
            &pbf,
            "--gtfs",
            &gtfs,
            "--utc-offset",
            "-8",
            "--currency",
            "USD",
            "--from",
            "45.5264,-122.7004",
            "--to",
            "45.5265,-122.6940",
            "--at",
            "2021-11-16T08:30",
        ]);
        let (journeys, offset) = local_planner(&args).unwrap();
        assert_eq!(offset, -8 * 3_600);
        let req = request(&args, offset).unwrap();
        let service = PlannerService::with_journeys(journeys.clone(), system_clock());
        let plan = journeys.plan(&service.journey_query(&req).unwrap()).unwrap();
        let mut table = Vec::new();
        print_table(&mut table, &service.plan_response(&plan), offset).unwrap();
        let table = String::from_utf8(table).unwrap();
        for needle in ["cost USD", "bike-share", "bike_share 5.00", "transit", "Portland Streetcar", "08:30"]
        {
            assert!(table.contains(needle), "{needle:?} missing from\n{table}");
        }
    }

    #[test]
    fn bad_city_files_are_named() {
        let args = parse(&["--city", "/nonexistent/x.osm.pbf", "--from", "1,1", "--to", "1,1"]);
        let err = local_planner(&args).unwrap_err();
        assert!(err.to_string().starts_with("--city /nonexistent/x.osm.pbf"), "{err:#}");
        let args = parse(&["--gbfs", "/nonexistent", "--from", "1,1", "--to", "1,1"]);
        let err = local_planner(&args).unwrap_err();
        assert!(format!("{err:#}").contains("station_information.json"), "{err:#}");
        // --gtfs belongs to --city.
        assert!(
            <Cli as clap::Parser>::try_parse_from([
                "plan", "--gtfs", "x.zip", "--from", "1,1", "--to", "1,1"
            ])
            .is_err()
        );
    }
}
