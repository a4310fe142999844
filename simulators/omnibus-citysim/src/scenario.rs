//! The scenario file: what city, demand, choices, policy and horizon a run
//! simulates. Every error names the file, the line and the key.

use omnibus_core::policy::{ParkingPolicy, Policy, PricingRule, SpeedBandPolicy};
use omnibus_core::{Cents, EventTime};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Ways of travelling a person may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// Drive alone.
    Car,
    /// Walk, ride buses and trains, walk.
    Transit,
    /// Own bike.
    Bike,
    /// Rented bike between two stations.
    BikeShare,
    /// Walk all the way.
    Walk,
}

impl TravelMode {
    /// Every mode, in report order.
    pub const ALL: [TravelMode; 5] =
        [TravelMode::Car, TravelMode::Transit, TravelMode::Bike, TravelMode::BikeShare, TravelMode::Walk];

    /// Its name in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Car => "car",
            TravelMode::Transit => "transit",
            TravelMode::Bike => "bike",
            TravelMode::BikeShare => "bike_share",
            TravelMode::Walk => "walk",
        }
    }

    /// Position in [`TravelMode::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TravelMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How telemetry reaches the stream job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelemetryMode {
    /// Over gRPC to the ingest service; prices read back from the pricing service.
    Grpc,
    /// The same ingest service and stream job, called in-process (no sockets).
    Offline,
}

/// A scenario, as read from its TOML file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown in reports.
    pub name: String,
    /// Seed of the first run; run `i` of [`Scenario::seeds`] uses `seed + i`.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How many seeds to run (each a baseline and a policy run).
    #[serde(default = "default_seeds")]
    pub seeds: Spanned<u32>,
    /// The city.
    #[serde(default)]
    pub city: CityTable,
    /// The simulated period of the day.
    #[serde(default)]
    pub horizon: Horizon,
    /// Who travels.
    #[serde(default)]
    pub demand: DemandTable,
    /// How people choose.
    #[serde(default)]
    pub choice: ChoiceTable,
    /// How the simulation talks to the live platform.
    #[serde(default)]
    pub telemetry: TelemetryTable,
    /// The policy of the baseline run (default: no road tolls).
    #[serde(default)]
    pub baseline: Option<Spanned<Policy>>,
    /// The policy under test.
    pub policy: Spanned<Policy>,
    /// Where results go.
    #[serde(default)]
    pub output: OutputTable,
}

fn default_seed() -> u64 {
    42
}

fn default_seeds() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

/// `[city]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CityTable {
    /// An OpenStreetMap extract; the bundled Porto Alegre when absent.
    pub osm_pbf: Option<PathBuf>,
    /// Local time minus UTC, minutes (Porto Alegre: −180).
    pub utc_offset_minutes: i32,
    /// The simulated day, `YYYY-MM-DD` (the transit timetable of that day is used).
    pub date: Spanned<String>,
    /// Side of the square districts the city is divided into, metres.
    pub district_size_m: Spanned<f64>,
}

impl Default for CityTable {
    fn default() -> Self {
        CityTable {
            osm_pbf: None,
            utc_offset_minutes: -180,
            date: Spanned::new(0..0, "2019-05-07".into()),
            district_size_m: Spanned::new(0..0, 2_000.0),
        }
    }
}

/// `[horizon]`: local times `HH:MM`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Horizon {
    /// Start of the simulated period.
    pub start: Spanned<String>,
    /// End of the simulated period.
    pub end: Spanned<String>,
}

impl Default for Horizon {
    fn default() -> Self {
        Horizon { start: Spanned::new(0..0, "06:00".into()), end: Spanned::new(0..0, "12:00".into()) }
    }
}

/// `[demand]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemandTable {
    /// Persons of the synthetic population (each makes a morning trip to work
    /// or another activity).
    pub persons: Spanned<u32>,
    /// An origin–destination table instead of the synthetic population: CSV
    /// with `origin_lat,origin_lon,destination_lat,destination_lon,trips,depart`
    /// (`depart` as local `HH:MM`).
    pub od_file: Option<Spanned<PathBuf>>,
    /// Multiplies the demand (persons or the table's trips).
    pub scale: Spanned<f64>,
    /// Share of persons with a car, by income group (low, middle, high).
    pub car_ownership: Spanned<[f64; 3]>,
    /// Preferred arrival at work: mean local time `HH:MM` and spread (minutes).
    pub work_start: Spanned<String>,
    /// Standard deviation of the preferred arrival, minutes.
    pub work_start_spread_minutes: Spanned<f64>,
}

impl Default for DemandTable {
    fn default() -> Self {
        DemandTable {
            persons: Spanned::new(0..0, 20_000),
            od_file: None,
            scale: Spanned::new(0..0, 1.0),
            car_ownership: Spanned::new(0..0, [0.35, 0.6, 0.85]),
            work_start: Spanned::new(0..0, "08:30".into()),
            work_start_spread_minutes: Spanned::new(0..0, 40.0),
        }
    }
}

/// `[choice]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChoiceTable {
    /// Iterations towards equilibrium (method of successive averages).
    pub iterations: Spanned<u32>,
    /// Modes offered.
    pub modes: Spanned<Vec<TravelMode>>,
    /// Choose the mode (false: people with a car drive and the others choose
    /// among the other modes; routes and departure times still adapt).
    pub mode_choice: bool,
    /// Choose the departure time among these shifts of the preferred one, minutes.
    pub departure_shifts_minutes: Spanned<Vec<i32>>,
    /// Value of time by income group (low, middle, high), cents per hour.
    pub value_of_time_cents_per_hour: Spanned<[i64; 3]>,
    /// Logit scale: how many cents of generalized cost change the odds by e.
    pub logit_scale_cents: Spanned<f64>,
    /// Alternative-specific constants, cents (added to the generalized cost).
    pub mode_constants_cents: ModeConstants,
    /// Vickrey schedule penalties per hour early and late, as multiples of the
    /// value of time (Small 1982: 0.6 and 2.4).
    pub early_factor: f64,
    /// See [`ChoiceTable::early_factor`].
    pub late_factor: f64,
}

impl Default for ChoiceTable {
    fn default() -> Self {
        ChoiceTable {
            iterations: Spanned::new(0..0, 10),
            modes: Spanned::new(0..0, TravelMode::ALL.to_vec()),
            mode_choice: true,
            departure_shifts_minutes: Spanned::new(0..0, vec![-45, -30, -15, 0, 15, 30]),
            value_of_time_cents_per_hour: Spanned::new(0..0, [1_200, 2_400, 4_800]),
            logit_scale_cents: Spanned::new(0..0, 250.0),
            mode_constants_cents: ModeConstants::default(),
            early_factor: 0.6,
            late_factor: 2.4,
        }
    }
}

/// `[choice.mode_constants_cents]`: what a mode costs beyond its time and
/// money, in cents (comfort, reliability, effort, habit). The defaults bring
/// the bundled Porto Alegre morning to about car 47 %, transit 35 %, walking
/// 16 % and cycling 1 %: a plausible split for a large Brazilian city, not
/// fitted to a survey.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModeConstants {
    /// Car.
    pub car: i64,
    /// Transit.
    pub transit: i64,
    /// Bike.
    pub bike: i64,
    /// Bike-share.
    pub bike_share: i64,
    /// Walk.
    pub walk: i64,
}

impl Default for ModeConstants {
    fn default() -> Self {
        ModeConstants { car: 900, transit: -300, bike: 2_500, bike_share: 2_500, walk: -300 }
    }
}

impl ModeConstants {
    /// The constant of `mode`.
    pub fn of(&self, mode: TravelMode) -> Cents {
        Cents(match mode {
            TravelMode::Car => self.car,
            TravelMode::Transit => self.transit,
            TravelMode::Bike => self.bike,
            TravelMode::BikeShare => self.bike_share,
            TravelMode::Walk => self.walk,
        })
    }
}

/// `[telemetry]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryTable {
    /// gRPC (default) or in-process.
    pub mode: TelemetryMode,
    /// Seconds between two probe reports of a vehicle.
    pub probe_interval_s: Spanned<u32>,
    /// Share of cars that report probes (connected vehicles); every car counts at loops.
    pub probe_share: Spanned<f64>,
    /// Stream job worker threads.
    pub workers: usize,
}

impl Default for TelemetryTable {
    fn default() -> Self {
        TelemetryTable {
            mode: TelemetryMode::Grpc,
            probe_interval_s: Spanned::new(0..0, 30),
            probe_share: Spanned::new(0..0, 1.0),
            workers: 2,
        }
    }
}

/// `[output]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputTable {
    /// Directory of the CSV files and the report (relative to the scenario file).
    pub dir: PathBuf,
}

impl Default for OutputTable {
    fn default() -> Self {
        OutputTable { dir: PathBuf::from("simulation-output") }
    }
}

/// A scenario file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {key}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key, dotted (`demand.persons`).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// The policy of a baseline without road tolls: the speed-band rule with a cap of 0.
pub fn no_tolls() -> Policy {
    Policy {
        rule: PricingRule::SpeedBand(SpeedBandPolicy {
            step: Cents(1),
            floor: Cents(0),
            cap: Cents(0),
            ..SpeedBandPolicy::default()
        }),
        parking: ParkingPolicy::default(),
        cordon: None,
        express_lanes: None,
        currency: "BRL".into(),
    }
}

/// Minutes after local midnight of `HH:MM`.
pub fn parse_hhmm(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some()
        || !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
        || text.len() != 10
    {
        return None;
    }
    Some(omnibus_transit::gtfs::day_number((y * 10_000 + m * 100 + d) as u32))
}

/// A scenario checked and resolved: times as event times, paths absolute.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The file as read.
    pub scenario: Scenario,
    /// Directory the relative paths are relative to.
    pub base: PathBuf,
    /// Start of the horizon.
    pub start: EventTime,
    /// End of the horizon.
    pub end: EventTime,
    /// Local midnight of the simulated day.
    pub midnight: EventTime,
    /// The simulated day as `YYYYMMDD`.
    pub yyyymmdd: u32,
    /// Mean preferred arrival at work.
    pub work_start: EventTime,
    /// The baseline's policy.
    pub baseline: Policy,
}

impl Resolved {
    /// Output directory, absolute.
    pub fn output_dir(&self) -> PathBuf {
        self.base.join(&self.scenario.output.dir)
    }

    /// The OD file, absolute.
    pub fn od_file(&self) -> Option<PathBuf> {
        self.scenario.demand.od_file.as_ref().map(|p| self.base.join(p.get_ref()))
    }

    /// Local minutes after midnight of an event time.
    pub fn local_minute(&self, t: EventTime) -> i64 {
        (t.0 - self.midnight.0).div_euclid(60_000)
    }
}

struct Check<'a> {
    file: &'a str,
    text: &'a str,
}

impl Check<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> Option<usize> {
        (span.end > 0).then(|| self.text[..span.start.min(self.text.len())].matches('\n').count() + 1)
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_owned(),
            line: self.line(span),
            key: key.to_owned(),
            message: message.into(),
        })
    }
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Resolved, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: None,
            key: "(file)".into(),
            message: format!("cannot read: {e}"),
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Scenario::parse(&text, &file, &base)
    }

    /// Parses and checks scenario text; `file` names it in errors and `base` is
    /// where its relative paths start.
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Resolved, ScenarioError> {
        let check = Check { file, text };
        let scenario: Scenario = toml::from_str(text).map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            let key = e.span().map(|s| key_at(text, s.start)).unwrap_or_else(|| "(file)".into());
            ScenarioError { file: file.to_owned(), line, key, message: e.message().trim().to_owned() }
        })?;
        scenario.resolve(&check, base)
    }

    fn resolve(self, c: &Check<'_>, base: &Path) -> Result<Resolved, ScenarioError> {
        let s = &self;
        if *s.seeds.get_ref() == 0 || *s.seeds.get_ref() > 100 {
            return c.err(s.seeds.span(), "seeds", format!("must be 1 to 100, got {}", s.seeds.get_ref()));
        }
        let day = parse_date(s.city.date.get_ref()).map_or_else(
            || {
                c.err(
                    s.city.date.span(),
                    "city.date",
                    format!("{:?} is not a YYYY-MM-DD date", s.city.date.get_ref()),
                )
            },
            Ok,
        )?;
        let size = *s.city.district_size_m.get_ref();
        if !size.is_finite() || !(200.0..=20_000.0).contains(&size) {
            return c.err(
                s.city.district_size_m.span(),
                "city.district_size_m",
                format!("must be 200 to 20000 m, got {size}"),
            );
        }
        if !(-14 * 60..=14 * 60).contains(&s.city.utc_offset_minutes) {
            return c.err(0..0, "city.utc_offset_minutes", "must be within ±14 hours");
        }
        let hhmm = |v: &Spanned<String>, key: &str| {
            parse_hhmm(v.get_ref()).map_or_else(
                || c.err(v.span(), key, format!("{:?} is not a local time HH:MM", v.get_ref())),
                Ok,
            )
        };
        let start_min = hhmm(&s.horizon.start, "horizon.start")?;
        let end_min = hhmm(&s.horizon.end, "horizon.end")?;
        if end_min <= start_min {
            return c.err(
                s.horizon.end.span(),
                "horizon.end",
                format!("{} is not after the start {}", s.horizon.end.get_ref(), s.horizon.start.get_ref()),
            );
        }
        let work = hhmm(&s.demand.work_start, "demand.work_start")?;
        let d = &s.demand;
        if *d.persons.get_ref() == 0 && d.od_file.is_none() {
            return c.err(d.persons.span(), "demand.persons", "must be positive (or give demand.od_file)");
        }
        if *d.persons.get_ref() > 5_000_000 {
            return c.err(d.persons.span(), "demand.persons", "at most 5,000,000");
        }
        let scale = *d.scale.get_ref();
        if !scale.is_finite() || scale <= 0.0 || scale > 100.0 {
            return c.err(d.scale.span(), "demand.scale", format!("must be in (0, 100], got {scale}"));
        }
        if d.car_ownership.get_ref().iter().any(|x| !(0.0..=1.0).contains(x)) {
            return c.err(d.car_ownership.span(), "demand.car_ownership", "shares must lie in [0, 1]");
        }
        let spread = *d.work_start_spread_minutes.get_ref();
        if !spread.is_finite() || !(0.0..=240.0).contains(&spread) {
            return c.err(
                d.work_start_spread_minutes.span(),
                "demand.work_start_spread_minutes",
                "must be 0 to 240",
            );
        }
        let ch = &s.choice;
        if !(1..=200).contains(ch.iterations.get_ref()) {
            return c.err(
                ch.iterations.span(),
                "choice.iterations",
                format!("must be 1 to 200, got {}", ch.iterations.get_ref()),
            );
        }
        if ch.modes.get_ref().is_empty() {
            return c.err(ch.modes.span(), "choice.modes", "name at least one mode");
        }
        let shifts = ch.departure_shifts_minutes.get_ref();
        if shifts.is_empty() || shifts.len() > 32 || shifts.iter().any(|m| m.abs() > 240) {
            return c.err(
                ch.departure_shifts_minutes.span(),
                "choice.departure_shifts_minutes",
                "give 1 to 32 shifts within ±240 minutes",
            );
        }
        if ch.value_of_time_cents_per_hour.get_ref().iter().any(|v| *v <= 0) {
            return c.err(
                ch.value_of_time_cents_per_hour.span(),
                "choice.value_of_time_cents_per_hour",
                "must be positive",
            );
        }
        let theta = *ch.logit_scale_cents.get_ref();
        if !theta.is_finite() || theta <= 0.0 {
            return c.err(ch.logit_scale_cents.span(), "choice.logit_scale_cents", "must be positive");
        }
        if !(ch.early_factor.is_finite()
            && ch.late_factor.is_finite()
            && ch.early_factor >= 0.0
            && ch.late_factor >= 0.0)
        {
            return c.err(0..0, "choice.early_factor", "schedule factors must be non-negative numbers");
        }
        let t = &s.telemetry;
        if !(1..=600).contains(t.probe_interval_s.get_ref()) {
            return c.err(t.probe_interval_s.span(), "telemetry.probe_interval_s", "must be 1 to 600");
        }
        let share = *t.probe_share.get_ref();
        if !share.is_finite() || !(0.0..=1.0).contains(&share) {
            return c.err(t.probe_share.span(), "telemetry.probe_share", "must lie in [0, 1]");
        }
        if !(1..=64).contains(&t.workers) {
            return c.err(0..0, "telemetry.workers", "must be 1 to 64");
        }
        if let Err(e) = s.policy.get_ref().validate() {
            return c.err(s.policy.span(), &format!("policy.{}", e.field), e.reason);
        }
        let baseline = match &s.baseline {
            Some(b) => {
                if let Err(e) = b.get_ref().validate() {
                    return c.err(b.span(), &format!("baseline.{}", e.field), e.reason);
                }
                b.get_ref().clone()
            }
            None => Policy { currency: s.policy.get_ref().currency.clone(), ..no_tolls() },
        };
        let offset_ms = i64::from(s.city.utc_offset_minutes) * 60_000;
        let midnight = EventTime(day * 86_400_000 - offset_ms);
        let date = s.city.date.get_ref().replace('-', "");
        Ok(Resolved {
            start: midnight.plus_ms(i64::from(start_min) * 60_000),
            end: midnight.plus_ms(i64::from(end_min) * 60_000),
            work_start: midnight.plus_ms(i64::from(work) * 60_000),
            yyyymmdd: date.parse().unwrap_or(0),
            midnight,
            baseline,
            base: base.to_path_buf(),
            scenario: self,
        })
    }
}

/// The dotted key of the TOML entry that holds byte `at` (its table headers
/// and the key on its line), for errors serde reports by position only.
fn key_at(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let mut table = String::new();
    for line in before.lines() {
        let l = line.trim();
        if l.starts_with('[') && !l.starts_with("[[") {
            table = l.trim_matches(|c| c == '[' || c == ']').trim().to_owned();
        }
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line.split_once('=').map(|(k, _)| k.trim()).filter(|k| !k.starts_with('['));
    match (table.is_empty(), key) {
        (true, Some(k)) => k.to_owned(),
        (false, Some(k)) => format!("{table}.{k}"),
        (false, None) => table,
        (true, None) => "(file)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let mut loaded = 0;
        for entry in std::fs::read_dir(&dir).expect("scenarios/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let resolved = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(*resolved.scenario.seeds.get_ref(), 5, "{}", path.display());
                loaded += 1;
            }
        }
        assert!(loaded >= 2, "{loaded} scenarios");
    }

    fn parse(text: &str) -> Result<Resolved, ScenarioError> {
        Scenario::parse(text, "s.toml", Path::new("/tmp"))
    }

    #[test]
    fn a_minimal_scenario_resolves_its_times() {
        let r = parse("name = \"x\"\n[policy]\n").unwrap();
        assert_eq!(r.scenario.seed, 42);
        assert_eq!(r.yyyymmdd, 20190507);
        // 2019-05-07 06:00 at UTC−3 is 09:00 UTC.
        assert_eq!(r.start.0, 1_557_219_600_000);
        assert_eq!(r.local_minute(r.end), 12 * 60);
        assert!(matches!(&r.baseline.rule, PricingRule::SpeedBand(b) if b.cap == Cents(0)));
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let e = parse("name = \"x\"\n[demand]\npersons = 10\nperson = 3\n[policy]\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().contains("s.toml line 4"), "{e}");
        assert!(e.to_string().contains("person"), "{e}");
        let e = parse("name = \"x\"\n[demand]\npersons = \"many\"\n[policy]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(3), "demand.persons"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key_and_line() {
        let e =
            parse("name = \"x\"\n\n[horizon]\nstart = \"09:00\"\nend = \"08:00\"\n[policy]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(5), "horizon.end"), "{e}");
        let e = parse("name = \"x\"\n[choice]\niterations = 0\n[policy]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(3), "choice.iterations"), "{e}");
        let e = parse("name = \"x\"\n[policy]\ncurrency = \"euro\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(2), "policy.currency"), "{e}");
        let e = parse("name = \"x\"\n[city]\ndate = \"2019-13-01\"\n[policy]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(3), "city.date"), "{e}");
        let e = parse("name = \"x\"\n").unwrap_err();
        assert!(e.message.contains("policy"), "{e}");
    }

    #[test]
    fn dates_and_times_parse() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2019-5-07"), None);
        assert_eq!(parse_hhmm("07:30"), Some(450));
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("7:30"), None);
    }
}
