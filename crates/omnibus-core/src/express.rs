//! Density-priced express lanes (Minnesota's MnPASS): each express-lane zone's
//! price follows the highest traffic density downstream of its entrance,
//! `p = 0.045 · k^1.10` dollars with `k` in vehicles per lane-mile, recomputed
//! every 3 minutes from the last 6, rounded to $0.25, within a minimum and a
//! maximum.

use crate::network::{RoadNetwork, Segment};
use crate::policy::PolicyError;
use crate::units::{Cents, Minute, SegmentId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Metres in a mile.
const METERS_PER_MILE: f64 = 1_609.344;
/// Jam density: one vehicle per 7 m of lane, in vehicles per lane-mile.
pub const JAM_DENSITY: f64 = METERS_PER_MILE / 7.0;

/// One express-lane zone: the segments from its entrance downstream, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpressZone {
    /// Its name, which `GetPrice` takes as `zone_id`.
    pub name: String,
    /// Segments from the entrance downstream.
    pub segments: Vec<SegmentId>,
}

/// The MnPASS rule and its zones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExpressLanePolicy {
    /// The priced zones.
    pub zones: Vec<ExpressZone>,
    /// `a` in `p = a · k^b`, dollars (MnPASS: 0.045).
    pub coefficient: f64,
    /// `b` in `p = a · k^b` (MnPASS: 1.10).
    pub exponent: f64,
    /// Minutes between price updates (MnPASS: 3).
    pub review_minutes: u32,
    /// Minutes of density averaged at each update (MnPASS: 6).
    pub window_minutes: u32,
    /// Prices are rounded to a multiple of this (MnPASS: 25 cents).
    pub rounding: Cents,
    /// Lowest price (MnPASS: 25 cents).
    pub min: Cents,
    /// Highest price (MnPASS: 800 cents).
    pub max: Cents,
}

impl Default for ExpressLanePolicy {
    fn default() -> Self {
        ExpressLanePolicy::mnpass(Vec::new())
    }
}

/// Traffic density of a segment in one minute, vehicles per lane-mile, from the
/// fundamental relation `k = q / v`: flow `q` is the vehicles seen in the
/// minute (probes or loop counts, whichever is more) per hour, `v` the minute's
/// average speed. In a jam `q / v` overstates: no more vehicles can be on the
/// segment than were seen on it that minute, so `k` is at most that count per
/// lane-mile, and never more than [`JAM_DENSITY`]. An empty minute is 0;
/// vehicles without a speed, unknown.
pub fn density(vehicles: u32, speed_mps: Option<f64>, segment: &Segment) -> Option<f64> {
    if vehicles == 0 {
        return Some(0.0);
    }
    let v_mph = speed_mps? * 3_600.0 / METERS_PER_MILE;
    let lanes = f64::from(segment.lanes.max(1));
    let q = f64::from(vehicles) * 60.0;
    let present = f64::from(vehicles) / (segment.length.0.max(1.0) / METERS_PER_MILE) / lanes;
    Some((q / v_mph.max(0.1) / lanes).min(present).min(JAM_DENSITY))
}

impl ExpressLanePolicy {
    /// MnPASS's published constants over `zones`.
    pub fn mnpass(zones: Vec<ExpressZone>) -> ExpressLanePolicy {
        ExpressLanePolicy {
            zones,
            coefficient: 0.045,
            exponent: 1.10,
            review_minutes: 3,
            window_minutes: 6,
            rounding: Cents(25),
            min: Cents(25),
            max: Cents(800),
        }
    }

    /// Whether prices are updated when `minute` closes.
    pub fn is_review(&self, minute: Minute) -> bool {
        (minute.0 + 1).rem_euclid(i64::from(self.review_minutes.max(1))) == 0
    }

    /// The price for a density (vehicles per lane-mile).
    pub fn price(&self, density: f64) -> Cents {
        let dollars = self.coefficient * density.max(0.0).powf(self.exponent);
        let step = self.rounding.0.max(1) as f64;
        let cents = ((dollars * 100.0 / step).round() * step) as i64;
        Cents(cents.clamp(self.min.0, self.max.0))
    }

    /// The zone's density at a review closing `minute`: per segment, the mean
    /// of its densities in the window's minutes (those observed, in minute
    /// order); then the highest segment. `densities` maps a segment to its
    /// observed minutes. `None` when no segment was observed in the window.
    pub fn zone_density(
        &self,
        zone: &ExpressZone,
        minute: Minute,
        densities: &BTreeMap<SegmentId, BTreeMap<Minute, f64>>,
    ) -> Option<f64> {
        let from = Minute(minute.0 - i64::from(self.window_minutes) + 1);
        zone.segments
            .iter()
            .filter_map(|s| {
                let seen: Vec<f64> = densities.get(s)?.range(from..=minute).map(|(_, k)| *k).collect();
                (!seen.is_empty()).then(|| seen.iter().sum::<f64>() / seen.len() as f64)
            })
            .reduce(f64::max)
    }

    /// Checks every number, and that zones are named once and their segments
    /// exist in `network` (when given) and follow one another.
    pub fn validate(&self, network: Option<&RoadNetwork>) -> Result<(), PolicyError> {
        let bad = |field: String, reason: String| PolicyError { field, reason };
        if !(self.coefficient.is_finite() && self.coefficient > 0.0) {
            return Err(bad(
                "express_lanes.coefficient".into(),
                format!("{} must be positive", self.coefficient),
            ));
        }
        if !(self.exponent.is_finite() && self.exponent > 0.0 && self.exponent <= 4.0) {
            return Err(bad("express_lanes.exponent".into(), format!("{} must be in (0, 4]", self.exponent)));
        }
        if self.review_minutes == 0 || self.review_minutes > 60 {
            return Err(bad("express_lanes.review_minutes".into(), "must be 1..=60".into()));
        }
        if self.window_minutes == 0 || self.window_minutes > crate::policy::MAX_WINDOW_MINUTES {
            return Err(bad("express_lanes.window_minutes".into(), "must be 1..=60".into()));
        }
        if self.rounding.0 <= 0 {
            return Err(bad("express_lanes.rounding_cents".into(), "must be positive".into()));
        }
        if self.min.0 < 0 {
            return Err(bad("express_lanes.min_cents".into(), format!("{} is negative", self.min.0)));
        }
        if self.max < self.min {
            return Err(bad(
                "express_lanes.max_cents".into(),
                format!("{} is below min_cents {}", self.max.0, self.min.0),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, zone) in self.zones.iter().enumerate() {
            if zone.name.trim().is_empty() || !names.insert(zone.name.as_str()) {
                return Err(bad(
                    format!("express_lanes.zones[{i}].name"),
                    format!("{:?} is empty or names another zone too", zone.name),
                ));
            }
            if zone.segments.is_empty() {
                return Err(bad(
                    format!("express_lanes.zones[{i}].segments"),
                    "name at least one segment".into(),
                ));
            }
            let Some(network) = network else { continue };
            for (j, s) in zone.segments.iter().enumerate() {
                let field = format!("express_lanes.zones[{i}].segments[{j}]");
                let Some(seg) = network.segments().get(s.index()) else {
                    return Err(bad(field, format!("{} is not a segment of the city's network", s.0)));
                };
                if j > 0 {
                    let prev = &network.segments()[zone.segments[j - 1].index()];
                    if prev.to != seg.from {
                        return Err(bad(
                            field,
                            format!("{} does not start where segment {} ends", s.0, prev.id.0),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mnpass_prices_by_hand() {
        let p = ExpressLanePolicy::mnpass(Vec::new());
        // 20 veh/lane-mile: 0.045 · 20^1.1 = $1.215 → $1.25.
        assert_eq!(p.price(20.0), Cents(125));
        // 40: $2.603 → $2.50.
        assert_eq!(p.price(40.0), Cents(250));
        // Empty road: the minimum; jammed: the maximum.
        assert_eq!(p.price(0.0), Cents(25));
        assert_eq!(p.price(150.0), Cents(800));
        // Reviews every 3 minutes.
        assert!(p.is_review(Minute(2)) && p.is_review(Minute(5)) && !p.is_review(Minute(3)));
    }

    #[test]
    fn density_by_hand() {
        use crate::network::RoadClass;
        use crate::units::{Meters, MetersPerSecond, NodeId};
        let seg = Segment {
            id: SegmentId(0),
            from: NodeId(0),
            to: NodeId(1),
            geometry: Vec::new(),
            length: Meters(METERS_PER_MILE / 4.0),
            class: RoadClass::Primary,
            free_flow: MetersPerSecond(15.0),
            lanes: 2,
            capacity_vph: 1_800.0,
            osm_way: 0,
            name: None,
        };
        let mph = |v: f64| Some(v * METERS_PER_MILE / 3_600.0);
        // A quarter mile, two lanes. 10 vehicles in a minute at 30 mph: q = 600/h, k = 600 / 30 / 2 = 10.
        assert!((density(10, mph(30.0), &seg).unwrap() - 10.0).abs() < 1e-9);
        // Crawling at 1 mph, q/v would be 300 per lane; but at most the 10 seen are on the
        // quarter mile: 40 per mile, 20 per lane.
        assert!((density(10, mph(1.0), &seg).unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(density(0, None, &seg), Some(0.0));
        // Never beyond jam density (230 per lane-mile).
        assert!((density(1_000, mph(1.0), &seg).unwrap() - JAM_DENSITY).abs() < 1e-9);
        assert_eq!(density(3, None, &seg), None);
    }

    #[test]
    fn the_highest_downstream_segment_over_the_window_sets_the_density() {
        let p = ExpressLanePolicy::mnpass(Vec::new());
        let zone = ExpressZone { name: "z".into(), segments: vec![SegmentId(1), SegmentId(2)] };
        let mut d: BTreeMap<SegmentId, BTreeMap<Minute, f64>> = BTreeMap::new();
        // Segment 1: 10 and 20 within minutes 0–5 (mean 15); 90 at minute -1 is outside the window.
        d.entry(SegmentId(1)).or_default().extend([(Minute(-1), 90.0), (Minute(0), 10.0), (Minute(5), 20.0)]);
        // Segment 2: 12.
        d.entry(SegmentId(2)).or_default().insert(Minute(3), 12.0);
        assert_eq!(p.zone_density(&zone, Minute(5), &d), Some(15.0));
        assert_eq!(p.zone_density(&zone, Minute(20), &d), None);
    }

    proptest! {
        #[test]
        fn prices_stay_within_bounds_on_the_grid_and_rise_with_density(a in 0.0f64..500.0, b in 0.0f64..500.0) {
            let p = ExpressLanePolicy::mnpass(Vec::new());
            let (pa, pb) = (p.price(a), p.price(b));
            prop_assert!(pa >= p.min && pa <= p.max);
            prop_assert_eq!(pa.0 % 25, 0);
            if a <= b {
                prop_assert!(pa <= pb);
            }
        }
    }
}
