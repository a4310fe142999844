//! The HTML report of a scenario: headline figures with their spread across
//! seeds, the cordon and the emissions trade-off, mode shares, time-of-day
//! series, convergence, who pays, and maps of volume and speed changes.

use crate::kpi::{Pair, RunResult};
use crate::scenario::{Resolved, TravelMode};
use crate::telemetry::SERIES_MS;
use crate::world::World;
use omnibus_core::policy::{Policy, PricingRule};
use omnibus_report::{
    BarChart, BarGroup, Block, LineChart, MapChart, MapLine, Report, Section, Series, Table,
};

/// Mean, min and max of `values`.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}

/// Relative changes policy vs baseline of `f` per seed.
fn changes(pairs: &[Pair], f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
    pairs
        .iter()
        .map(|p| {
            let (b, q) = (f(&p.baseline), f(&p.policy));
            if b != 0.0 { (q - b) / b } else { f64::NAN }
        })
        .collect()
}

fn pct(x: f64) -> String {
    if x.is_finite() { format!("{:+.1} %", x * 100.0) } else { "–".into() }
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() >= 100.0 {
        let out = omnibus_report::group_digits(&format!("{:.0}", x.abs()));
        if x < 0.0 { format!("-{out}") } else { out }
    } else {
        format!("{x:.2}")
    }
}

/// A sentence describing a policy.
pub fn describe(policy: &Policy) -> String {
    let mut parts = Vec::new();
    match &policy.rule {
        PricingRule::SpeedBand(b) if b.cap.0 == 0 => parts.push("no road tolls".to_owned()),
        PricingRule::SpeedBand(b) => parts.push(format!(
            "speed-band tolls per segment (±{} per minute around {:.0} % of free-flow speed, up to {})",
            b.step,
            b.target_speed_fraction * 100.0,
            b.cap
        )),
        PricingRule::ClassBands(b) => {
            parts.push(format!("ERP speed bands per road class, reviewed every {} minutes", b.review_minutes))
        }
        PricingRule::MarginalCost(m) => parts
            .push(format!("marginal-cost tolls at a value of time of {}/h", m.value_of_time_cents_per_hour)),
    }
    if let Some(c) = &policy.cordon {
        let max = c.schedule.iter().map(|p| p.charge).max().unwrap_or_default();
        parts.push(format!(
            "cordon \"{}\" charged by time of day (up to {} per entry, once per {} minutes, at most {} a day)",
            c.name, max, c.single_charge_minutes, c.daily_cap
        ));
    }
    if let Some(e) = &policy.express_lanes {
        parts.push(format!("express lanes on {} zones", e.zones.len()));
    }
    format!("{} ({})", parts.join("; "), policy.currency)
}

/// Builds the report.
pub fn build(world: &World, scenario: &Resolved, pairs: &[Pair], notes: &[String]) -> Report {
    let sc = &scenario.scenario;
    let seeds: Vec<String> = pairs.iter().map(|p| p.policy.seed.to_string()).collect();
    let currency = pairs.first().map_or(String::new(), |p| p.policy.currency.clone());
    let mut sections = Vec::new();

    // Headline.
    let mut rows = Vec::new();
    if let Some(first) = pairs.first() {
        for (i, (name, unit, _)) in first.baseline.headline().iter().enumerate() {
            let b: Vec<f64> = pairs.iter().map(|p| p.baseline.headline()[i].2).collect();
            let q: Vec<f64> = pairs.iter().map(|p| p.policy.headline()[i].2).collect();
            let rel: Vec<f64> =
                b.iter().zip(&q).map(|(b, q)| if *b != 0.0 { (q - b) / b } else { f64::NAN }).collect();
            let (mb, mq, (mr, lo, hi)) = (spread(&b).0, spread(&q).0, spread(&rel));
            let unit = if *unit == "currency" { currency.as_str() } else { unit };
            rows.push(vec![
                (*name).replace('_', " "),
                unit.to_owned(),
                num(mb),
                num(mq),
                pct(mr),
                if pairs.len() > 1 { format!("{} … {}", pct(lo), pct(hi)) } else { "–".into() },
            ]);
        }
    }
    let district_count = world.districts.len();
    sections.push(Section {
        heading: "Summary".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "{}: {} on {} ({} road links, {} signalized junctions, {} districts), {} people, {} seed(s) ({}), {} iterations each, {}–{} local time.",
                sc.name,
                scenario.scenario.city.date.get_ref(),
                world.city.name,
                world.network.links().len(),
                world.signals,
                district_count,
                pairs.first().map_or(0, |p| p.policy.persons),
                pairs.len(),
                seeds.join(", "),
                sc.choice.iterations.get_ref(),
                sc.horizon.start.get_ref(),
                sc.horizon.end.get_ref()
            )),
            Block::Paragraph(format!("Baseline: {}.", describe(&scenario.baseline))),
            Block::Paragraph(format!("Policy: {}.", describe(sc.policy.get_ref()))),
            Block::Table(Table {
                caption: "Key figures of the final day: mean over seeds, and the spread of the relative change across seeds".into(),
                header: ["figure", "unit", "baseline", "policy", "change", "spread across seeds"].map(String::from).to_vec(),
                rows,
            }),
        ],
    });

    // Cordon and emissions.
    let crossings = changes(pairs, |r| r.cordon_crossings as f64);
    let vkm = changes(pairs, |r| r.vehicle_km);
    let co2 = changes(pairs, |r| r.co2_kg());
    let car_co2 = changes(pairs, |r| r.car_co2_kg);
    let nox = changes(pairs, |r| r.nox_kg);
    let mut blocks = Vec::new();
    if sc.policy.get_ref().cordon.is_some() {
        let (m, lo, hi) = spread(&crossings);
        blocks.push(Block::Paragraph(format!(
            "Vehicles crossing into the cordon: {} on average ({} to {} across {} seeds). Published after-and-before figures: Stockholm −22 %, Gothenburg −12 % of traffic across the cordon.",
            pct(m),
            pct(lo),
            pct(hi),
            pairs.len()
        )));
        let per_seed: Vec<Vec<String>> = pairs
            .iter()
            .zip(&crossings)
            .map(|(p, c)| {
                vec![
                    p.policy.seed.to_string(),
                    num(p.baseline.cordon_crossings as f64),
                    num(p.policy.cordon_crossings as f64),
                    pct(*c),
                    num(p.policy.stream_cordon_passages as f64),
                    format!("{:.2}", p.policy.cordon_revenue.0 as f64 / 100.0),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            caption: "Cordon crossings per seed (inbound link entries in the simulation; passages the stream job counted from probes; charges paid)".into(),
            header: ["seed", "baseline", "policy", "change", "stream job passages", &format!("revenue ({currency})")]
                .map(String::from)
                .to_vec(),
            rows: per_seed,
        }));
    }
    let figures = [
        ("cordon crossings", &crossings),
        ("vehicle-km", &vkm),
        ("car CO2", &car_co2),
        ("total CO2", &co2),
        ("car NOx", &nox),
    ];
    let (values, errors): (Vec<f64>, Vec<(f64, f64)>) = figures
        .iter()
        .map(|(_, v)| {
            let (m, lo, hi) = spread(v);
            (m * 100.0, (lo * 100.0, hi * 100.0))
        })
        .unzip();
    blocks.push(Block::Bars(BarChart {
        title: "Change with the policy (mean over seeds, bars from the lowest to the highest seed)".into(),
        y_label: "change, %".into(),
        categories: figures.iter().map(|(n, _)| (*n).to_owned()).collect(),
        groups: vec![BarGroup { name: "policy vs baseline".into(), values, errors }],
    }));
    let (mc, _, _) = spread(&car_co2);
    let (mk, _, _) = spread(&vkm);
    let (mx, _, _) = spread(&crossings);
    let tradeoff = tradeoff(mc, mk, mx);
    blocks.push(Block::Paragraph(tradeoff));
    sections.push(Section { heading: "Cordon and emissions".into(), blocks });

    // Mode shares.
    let shares = |f: &dyn Fn(&Pair) -> &RunResult| -> (Vec<f64>, Vec<(f64, f64)>) {
        TravelMode::ALL
            .iter()
            .map(|m| {
                let v: Vec<f64> = pairs.iter().map(|p| f(p).mode_shares()[m.index()] * 100.0).collect();
                let (mean, lo, hi) = spread(&v);
                (mean, (lo, hi))
            })
            .unzip()
    };
    let (bv, be) = shares(&|p| &p.baseline);
    let (pv, pe) = shares(&|p| &p.policy);
    sections.push(Section {
        heading: "Mode shares".into(),
        blocks: vec![Block::Bars(BarChart {
            title: "Share of trips by mode (mean over seeds)".into(),
            y_label: "%".into(),
            categories: TravelMode::ALL.iter().map(|m| m.as_str().replace('_', "-")).collect(),
            groups: vec![
                BarGroup { name: "baseline".into(), values: bv, errors: be },
                BarGroup { name: "policy".into(), values: pv, errors: pe },
            ],
        })],
    });

    // Time of day.
    let start_s = scenario.local_minute(scenario.start) as f64 * 60.0;
    let series = |name: &str,
                  dashed: bool,
                  pick: &dyn Fn(&RunResult) -> Vec<f64>,
                  run: &dyn Fn(&Pair) -> &RunResult| {
        let all: Vec<Vec<f64>> = pairs.iter().map(|p| pick(run(p))).collect();
        let len = all.iter().map(Vec::len).min().unwrap_or(0);
        let mut points = Vec::new();
        let mut band = Vec::new();
        for s in 0..len {
            let x = start_s + (s as i64 * SERIES_MS) as f64 / 1_000.0;
            let v: Vec<f64> = all.iter().map(|a| a[s]).collect();
            let (m, lo, hi) = spread(&v);
            points.push((x, m));
            if pairs.len() > 1 {
                band.push((x, lo, hi));
            }
        }
        Series { name: name.to_owned(), points, band, dashed }
    };
    let horizon_steps = ((scenario.end.0 - scenario.start.0) / SERIES_MS) as usize + 24;
    let cut = |v: Vec<f64>| v.into_iter().take(horizon_steps).collect::<Vec<f64>>();
    let veh = |r: &RunResult| cut(r.series_vehicles.clone());
    let speed = |r: &RunResult| cut(r.series_speed_kmh.clone());
    let cross = |r: &RunResult| cut(r.series_crossings.iter().map(|c| f64::from(*c)).collect());
    fn base(p: &Pair) -> &RunResult {
        &p.baseline
    }
    fn pol(p: &Pair) -> &RunResult {
        &p.policy
    }
    let chart = |title: &str, y: &str, pick: &dyn Fn(&RunResult) -> Vec<f64>| {
        Block::Line(LineChart {
            title: title.into(),
            x_label: "local time".into(),
            y_label: y.into(),
            series: vec![series("baseline", true, pick, &base), series("policy", false, pick, &pol)],
            log_y: false,
            x_is_time_of_day: true,
        })
    };
    sections.push(Section {
        heading: "Time of day".into(),
        blocks: vec![
            chart("Vehicles on the road (5-minute means; band: lowest to highest seed)", "vehicles", &veh),
            chart("Mean speed of moving traffic", "km/h", &speed),
            chart("Vehicles crossing into the cordon per 5 minutes", "vehicles", &cross),
        ],
    });

    // Convergence.
    let mut conv = Vec::new();
    if let Some(p) = pairs.first() {
        for (run, r) in [("baseline", &p.baseline), ("policy", &p.policy)] {
            conv.push(Series {
                name: format!("{run}: relative gap"),
                points: r.iterations.iter().map(|i| (f64::from(i.k), i.relative_gap)).collect(),
                band: Vec::new(),
                dashed: run == "baseline",
            });
            conv.push(Series {
                name: format!("{run}: link flow change"),
                points: r
                    .iterations
                    .iter()
                    .filter_map(|i| i.flow_change.map(|f| (f64::from(i.k), f)))
                    .collect(),
                band: Vec::new(),
                dashed: run == "baseline",
            });
        }
    }
    let conv_rows: Vec<Vec<String>> = pairs
        .first()
        .map(|p| {
            [("baseline", &p.baseline), ("policy", &p.policy)]
                .iter()
                .flat_map(|(run, r)| {
                    r.iterations.iter().map(move |i| {
                        vec![
                            (*run).to_owned(),
                            i.k.to_string(),
                            if i.relative_gap.is_finite() {
                                format!("{:.4}", i.relative_gap)
                            } else {
                                "–".into()
                            },
                            num(i.replanned as f64),
                            num(i.switched as f64),
                            i.flow_change.map_or("–".into(), |f| format!("{f:.4}")),
                            num(i.car_trips as f64),
                            format!("{:.1}", i.mean_car_minutes),
                            num(i.priced_segments as f64),
                        ]
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    sections.push(Section {
        heading: "Convergence".into(),
        blocks: vec![
            Block::Paragraph("Method of successive averages: in iteration k a share 1/k of the people choose again. The relative gap compares what people's plans cost them with their best option under the same day's costs; the link flow change compares each link's daily volume with the previous iteration's.".into()),
            Block::Line(LineChart {
                title: format!("Convergence, seed {}", pairs.first().map_or(0, |p| p.policy.seed)),
                x_label: "iteration".into(),
                y_label: "relative gap / flow change".into(),
                series: conv,
                log_y: true,
                x_is_time_of_day: false,
            }),
            Block::Table(Table {
                caption: "Iterations of the first seed".into(),
                header: ["run", "iteration", "relative gap", "chose again", "switched", "flow change", "car trips", "mean car trip (min)", "priced segments"]
                    .map(String::from)
                    .to_vec(),
                rows: conv_rows,
            }),
        ],
    });

    // Who pays.
    let groups = |pick: &dyn Fn(&RunResult) -> &Vec<crate::kpi::Payers>| -> Vec<Vec<String>> {
        let Some(first) = pairs.first() else { return Vec::new() };
        let mut rows: Vec<(f64, Vec<String>)> = pick(&first.policy)
            .iter()
            .enumerate()
            .filter(|(_, g)| g.persons > 0)
            .map(|(i, g)| {
                let persons: f64 = pairs.iter().map(|p| pick(&p.policy)[i].persons as f64).sum();
                let payers: f64 = pairs.iter().map(|p| pick(&p.policy)[i].payers as f64).sum();
                let charges: f64 = pairs.iter().map(|p| pick(&p.policy)[i].charges.0 as f64 / 100.0).sum();
                let car_b: f64 = pairs.iter().map(|p| pick(&p.baseline)[i].modes[0] as f64).sum();
                let car_p: f64 = pairs.iter().map(|p| pick(&p.policy)[i].modes[0] as f64).sum();
                let n = pairs.len() as f64;
                (
                    charges,
                    vec![
                        g.group.clone(),
                        num(persons / n),
                        format!("{:.1} %", payers / persons.max(1.0) * 100.0),
                        format!("{:.2}", charges / n),
                        format!("{:.2}", charges / persons.max(1.0)),
                        format!(
                            "{:.1} % → {:.1} %",
                            car_b / persons.max(1.0) * 100.0,
                            car_p / persons.max(1.0) * 100.0
                        ),
                    ],
                )
            })
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        rows.into_iter().take(20).map(|(_, r)| r).collect()
    };
    let header = |g: &str| {
        vec![
            g.to_owned(),
            "people".into(),
            "paying".into(),
            format!("charges ({currency})"),
            format!("per person ({currency})"),
            "car share".into(),
        ]
    };
    sections.push(Section {
        heading: "Who pays".into(),
        blocks: vec![
            Block::Table(Table {
                caption: "Tolls and cordon charges by income group (policy run, mean over seeds)".into(),
                header: header("income group"),
                rows: groups(&|r| &r.by_income),
            }),
            Block::Table(Table {
                caption: "By home district, the 20 that pay most".into(),
                header: header("district"),
                rows: groups(&|r| &r.by_district),
            }),
        ],
    });

    // Maps.
    let net = &world.city.network;
    let n = pairs.len().max(1) as f64;
    let outline: Vec<Vec<(f64, f64)>> =
        sc.policy.get_ref().cordon.iter().map(|c| c.zone.iter().map(|p| (p.lon, p.lat)).collect()).collect();
    let mut volume_lines = Vec::new();
    let mut speed_lines = Vec::new();
    for (l, seg) in net.segments().iter().enumerate() {
        let points: Vec<(f64, f64)> = seg.geometry.iter().map(|p| (p.lon, p.lat)).collect();
        let b: f64 = pairs.iter().map(|p| f64::from(p.baseline.link_volume[l])).sum::<f64>() / n;
        let q: f64 = pairs.iter().map(|p| f64::from(p.policy.link_volume[l])).sum::<f64>() / n;
        let width = 1.0 + (b.max(q) / 200.0).min(4.0);
        volume_lines.push(MapLine { points: points.clone(), value: q - b, width });
        let sb: Vec<f64> = pairs.iter().map(|p| p.baseline.link_speed_kmh[l]).collect();
        let sq: Vec<f64> = pairs.iter().map(|p| p.policy.link_speed_kmh[l]).collect();
        let (mb, mq) = (spread(&sb).0, spread(&sq).0);
        let dv = if mb.is_finite() && mq.is_finite() { mq - mb } else { 0.0 };
        speed_lines.push(MapLine { points, value: dv, width });
    }
    sections.push(Section {
        heading: "Maps".into(),
        blocks: vec![
            Block::Map(MapChart {
                title: "Change of daily vehicles per link (policy − baseline, mean over seeds); the cordon outlined".into(),
                legend: "vehicles per day".into(),
                lines: volume_lines,
                outlines: outline.clone(),
                diverging: true,
            }),
            Block::Map(MapChart {
                title: "Change of mean speed per link".into(),
                legend: "km/h".into(),
                lines: speed_lines,
                outlines: outline,
                diverging: true,
            }),
        ],
    });

    // Platform and method.
    let tel: Vec<Vec<String>> = pairs
        .iter()
        .flat_map(|p| {
            [("baseline", &p.baseline), ("policy", &p.policy)].map(|(run, r)| {
                vec![
                    r.seed.to_string(),
                    run.to_owned(),
                    num(r.telemetry_accepted as f64),
                    num(r.telemetry_rejected as f64),
                    num(r.teleports as f64),
                    num(r.stranded as f64),
                ]
            })
        })
        .collect();
    sections.push(Section {
        heading: "Live platform and method".into(),
        blocks: vec![
            Block::Paragraph(format!(
                "Each simulated day's telemetry (probes every {} s from {:.0} % of cars, loop-detector counts per minute, parking occupancy and bike-station status every 5 minutes) went to the ingest service {}; the policy ran in the traffic stream job, and the prices it set were the next day's prices.",
                sc.telemetry.probe_interval_s.get_ref(),
                sc.telemetry.probe_share.get_ref() * 100.0,
                match sc.telemetry.mode {
                    crate::scenario::TelemetryMode::Grpc => "over gRPC, and the drivers read them back from the pricing service",
                    crate::scenario::TelemetryMode::Offline => "in-process (offline mode, tested to give identical results to gRPC)",
                }
            )),
            Block::Table(Table {
                caption: "Final-day telemetry and model checks".into(),
                header: ["seed", "run", "records accepted", "records rejected", "vehicles moved past gridlock", "people without an option"].map(String::from).to_vec(),
                rows: tel,
            }),
            Block::Paragraph(format!("Traffic: mesoscopic link queues (free-flow time, flow capacity, storage with spillback, fixed-time two-phase signals where major roads cross). Choice: multinomial logit over car at each departure shift (time × value of time by income group, tolls, cordon charge, parking, Vickrey early/late penalties) and the journey planner's transit, bike, bike-share and walk itineraries. Emissions: speed-dependent factors per vehicle-km normalised to the DESNZ 2023 average car; transit per passenger-km as the planner reports it. Transit levels of service average four departures a quarter of an hour apart, so they include the usual wait. {}", notes.join(" "))),
        ],
    });
    Report {
        title: format!("Omnibus policy simulation: {}", sc.name),
        subtitle: format!(
            "{} · {} · seeds {}",
            world.city.name,
            describe(sc.policy.get_ref()),
            seeds.join(", ")
        ),
        sections,
    }
}

/// The sentence on emissions against crossings, from the mean relative changes
/// of car CO2, vehicle-km and cordon crossings: a trade-off whenever car
/// CO2 rises.
pub fn tradeoff(car_co2: f64, vehicle_km: f64, crossings: f64) -> String {
    if car_co2 > 0.0 {
        format!(
            "Trade-off: the policy raises car CO2 network-wide by {} while crossings change by {}: drivers detour around the charged area (vehicle-km {}), and the longer routes emit more than the avoided centre traffic saved.",
            pct(car_co2),
            pct(crossings),
            pct(vehicle_km)
        )
    } else {
        format!(
            "No emissions trade-off in this scenario: car CO2 changes by {} network-wide (vehicle-km {}), as crossings change by {}.",
            pct(car_co2),
            pct(vehicle_km),
            pct(crossings)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rising_car_emissions_are_reported_as_a_trade_off() {
        let up = tradeoff(0.018, 0.016, -0.417);
        assert!(up.starts_with("Trade-off: the policy raises car CO2 network-wide by +1.8 %"), "{up}");
        assert!(up.contains("crossings change by -41.7 %") && up.contains("vehicle-km +1.6 %"), "{up}");
        let down = tradeoff(-0.052, -0.053, -0.52);
        assert!(down.starts_with("No emissions trade-off"), "{down}");
    }
}
