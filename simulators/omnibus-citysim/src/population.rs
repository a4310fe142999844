//! Who travels: a synthetic population over the city's districts (homes where
//! the streets are, jobs drawn towards the centre, income groups mixed per
//! district), or the trips of an origin–destination table.

use crate::CitySimError;
use crate::rng::{Stream, rng};
use crate::scenario::Resolved;
use crate::world::World;
use omnibus_core::{EventTime, LatLon, NodeId};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Income groups, low to high.
pub const INCOME_GROUPS: [&str; 3] = ["low", "middle", "high"];

/// Why someone travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// To work: stays about nine hours.
    Work,
    /// Shopping, errands, education: stays about two hours.
    Other,
    /// A trip of an origin–destination table.
    Listed,
}

impl Purpose {
    /// Hours parked at the destination.
    pub fn parking_hours(self) -> i64 {
        match self {
            Purpose::Work => 9,
            Purpose::Other | Purpose::Listed => 2,
        }
    }
}

/// One traveller and the morning trip they make.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Home junction.
    pub home: NodeId,
    /// Destination junction.
    pub dest: NodeId,
    /// District of home.
    pub home_district: u32,
    /// District of the destination.
    pub dest_district: u32,
    /// Income group (index into [`INCOME_GROUPS`]).
    pub income: u8,
    /// Whether a car is at hand.
    pub has_car: bool,
    /// Trip purpose.
    pub purpose: Purpose,
    /// When they want to arrive (synthetic) or leave (listed trips).
    pub preferred: EventTime,
}

/// Draws the population of `scenario` (synthetic, or from its OD table).
pub fn generate(world: &World, scenario: &Resolved, seed: u64) -> Result<Vec<Person>, CitySimError> {
    match scenario.od_file() {
        Some(path) => from_od_file(world, scenario, seed, &path),
        None => Ok(synthetic(world, scenario, seed)),
    }
}

fn pick(weights: &[f64], total: f64, rng: &mut ChaCha8Rng) -> usize {
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The synthetic population: homes in proportion to each district's
/// junctions; three in four go to work (districts weighted by junctions and
/// closeness to the centre, and a gravity term on distance), one in four to a
/// nearer "other" activity; income mix and car ownership by district.
pub fn synthetic(world: &World, scenario: &Resolved, seed: u64) -> Vec<Person> {
    let d = &scenario.scenario.demand;
    let persons = (f64::from(*d.persons.get_ref()) * d.scale.get_ref()).round() as usize;
    let mut r = rng(seed, Stream::Population);
    let districts = &world.districts;
    let homes: Vec<f64> = districts.iter().map(|z| z.nodes.len() as f64).collect();
    let jobs: Vec<f64> = districts
        .iter()
        .map(|z| z.nodes.len() as f64 * (1.0 + 6.0 * (-z.from_centre_m / 2_500.0).exp()))
        .collect();
    // Each district's affluence in [0, 1].
    let affluence: Vec<f64> = districts.iter().map(|_| r.random::<f64>()).collect();
    let home_total: f64 = homes.iter().sum();
    let spread_ms = d.work_start_spread_minutes.get_ref() * 60_000.0;
    let ownership = *d.car_ownership.get_ref();
    let mut people = Vec::with_capacity(persons);
    let mut gravity = vec![0.0; districts.len()];
    for _ in 0..persons {
        let h = pick(&homes, home_total, &mut r);
        let purpose = if r.random::<f64>() < 0.75 { Purpose::Work } else { Purpose::Other };
        let (reach_m, base) = match purpose {
            Purpose::Work => (8_000.0, &jobs),
            _ => (3_000.0, &homes),
        };
        for (j, g) in gravity.iter_mut().enumerate() {
            *g = base[j] * (-districts[h].centre.distance_m(districts[j].centre) / reach_m).exp();
        }
        let total: f64 = gravity.iter().sum();
        let w = pick(&gravity, total, &mut r);
        let a = affluence[h];
        let high = 0.1 + 0.4 * a;
        let low = 0.5 - 0.35 * a;
        let u: f64 = r.random();
        let income: u8 = if u < low {
            0
        } else if u < 1.0 - high {
            1
        } else {
            2
        };
        let has_car = r.random::<f64>() < ownership[usize::from(income)];
        let home = districts[h].nodes[r.random_range(0..districts[h].nodes.len())];
        let mut dest = districts[w].nodes[r.random_range(0..districts[w].nodes.len())];
        if dest == home {
            dest = districts[w].nodes[(districts[w].nodes.iter().position(|n| *n == home).unwrap_or(0) + 1)
                % districts[w].nodes.len()];
        }
        let mean = match purpose {
            Purpose::Work => scenario.work_start,
            _ => scenario.work_start.plus_ms(90 * 60_000),
        };
        let mut preferred = mean.plus_ms((normal(&mut r) * spread_ms) as i64);
        // Keep arrivals inside the horizon, with room for the trip.
        let earliest = scenario.start.plus_ms(45 * 60_000);
        preferred = EventTime(preferred.0.clamp(earliest.0, scenario.end.0.max(earliest.0)));
        people.push(Person {
            home,
            dest,
            home_district: h as u32,
            dest_district: w as u32,
            income,
            has_car,
            purpose,
            preferred,
        });
    }
    people
}

/// The junction of a district nearest to `p` (linear scan).
fn nearest_junction(world: &World, p: LatLon) -> Option<NodeId> {
    world
        .city
        .network
        .nodes()
        .iter()
        .enumerate()
        .filter(|(i, _)| world.district_of[*i] != u32::MAX)
        .map(|(i, n)| (n.pos.distance_m(p), i))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, i)| NodeId(i as u32))
}

/// Reads an OD table: `origin_lat,origin_lon,destination_lat,destination_lon,trips,depart`;
/// `trips × scale` people per row (the fraction drawn at random), leaving at
/// `depart` (local `HH:MM`). Errors name the file, line and column.
pub fn from_od_file(
    world: &World,
    scenario: &Resolved,
    seed: u64,
    path: &std::path::Path,
) -> Result<Vec<Person>, CitySimError> {
    let file = path.display().to_string();
    let bad = |line: u64, field: &str, reason: String| CitySimError::Input {
        file: file.clone(),
        line,
        field: field.to_owned(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| bad(0, "(file)", e.to_string()))?;
    let header = reader.headers().map_err(|e| bad(1, "(header)", e.to_string()))?.clone();
    let columns = ["origin_lat", "origin_lon", "destination_lat", "destination_lon", "trips", "depart"];
    let mut index = [0usize; 6];
    for (k, name) in columns.iter().enumerate() {
        index[k] = header.iter().position(|h| h == *name).ok_or_else(|| {
            bad(1, name, format!("missing column (the header needs {})", columns.join(",")))
        })?;
    }
    let scale = *scenario.scenario.demand.scale.get_ref();
    let mut r = rng(seed, Stream::Population);
    let mut people = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), "(row)", e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let num = |k: usize| -> Result<f64, CitySimError> {
            let text = record.get(index[k]).unwrap_or("");
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(line, columns[k], format!("{text:?} is not a number")))
        };
        let (olat, olon, dlat, dlon, trips) = (num(0)?, num(1)?, num(2)?, num(3)?, num(4)?);
        for (k, lat, lon) in [(0, olat, olon), (2, dlat, dlon)] {
            let p = LatLon::new(lat, lon);
            if !(-90.0..=90.0).contains(&lat) || !world.city.area.contains(p) {
                return Err(bad(line, columns[k], format!("({lat}, {lon}) lies outside the city")));
            }
        }
        if trips < 0.0 {
            return Err(bad(line, "trips", format!("{trips} is negative")));
        }
        let depart_text = record.get(index[5]).unwrap_or("");
        let depart = crate::scenario::parse_hhmm(depart_text)
            .ok_or_else(|| bad(line, "depart", format!("{depart_text:?} is not a local time HH:MM")))?;
        let depart = scenario.midnight.plus_ms(i64::from(depart) * 60_000);
        if depart < scenario.start || depart >= scenario.end {
            return Err(bad(line, "depart", format!("{depart_text} lies outside the horizon")));
        }
        let (Some(home), Some(dest)) = (
            nearest_junction(world, LatLon::new(olat, olon)),
            nearest_junction(world, LatLon::new(dlat, dlon)),
        ) else {
            return Err(bad(line, "origin_lat", "no road junction near this trip".into()));
        };
        let expected = trips * scale;
        let mut n = expected.floor() as u64;
        if r.random::<f64>() < expected - expected.floor() {
            n += 1;
        }
        for _ in 0..n {
            people.push(Person {
                home,
                dest,
                home_district: world.district_of[home.index()],
                dest_district: world.district_of[dest.index()],
                income: 1,
                has_car: true,
                purpose: Purpose::Listed,
                preferred: depart,
            });
        }
    }
    if people.is_empty() {
        return Err(bad(0, "trips", "the table has no trips".into()));
    }
    Ok(people)
}
