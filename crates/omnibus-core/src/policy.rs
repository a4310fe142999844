//! Road pricing policies set by the transport authority, their validation, and
//! the versioned store (with its audit log) that the stream job reads.

use crate::network::{RoadClass, Segment};
use crate::units::{Cents, MillimetersPerSecond, Minute};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most minutes of history any rule may read.
pub const MAX_WINDOW_MINUTES: u32 = 60;

/// A policy value that failed validation: the field at fault and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyError {
    /// Dotted path of the field, as in the wire contract (`speed_band.cap_cents`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError { field: field.to_owned(), reason: reason.into() }
}

/// Speed-band feedback pricing: each minute a segment's price rises one step while
/// its average speed over the window is below `target_speed_fraction` of its
/// free-flow speed, and falls one step while it is above, within `[floor, cap]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeedBandPolicy {
    /// Target speed as a fraction of free-flow speed, in (0, 1].
    pub target_speed_fraction: f64,
    /// Price change per minute.
    pub step: Cents,
    /// Lowest price.
    pub floor: Cents,
    /// Highest price.
    pub cap: Cents,
    /// Minutes averaged.
    pub window_minutes: u32,
}

impl Default for SpeedBandPolicy {
    fn default() -> Self {
        Self {
            target_speed_fraction: 0.5,
            step: Cents(25),
            floor: Cents(0),
            cap: Cents(500),
            window_minutes: 5,
        }
    }
}

impl SpeedBandPolicy {
    /// Checks every number.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let f = self.target_speed_fraction;
        if !f.is_finite() || f <= 0.0 || f > 1.0 {
            return Err(bad("speed_band.target_speed_fraction", format!("must be in (0, 1], got {f}")));
        }
        check_money("speed_band", self.step, self.floor, self.cap)?;
        if !(1..=MAX_WINDOW_MINUTES).contains(&self.window_minutes) {
            return Err(bad(
                "speed_band.window_minutes",
                format!("must be between 1 and 60, got {}", self.window_minutes),
            ));
        }
        Ok(())
    }

    /// The next price of a segment whose price is `current`, given its average
    /// speed over the window as a fraction of free flow (`None`: no vehicle seen
    /// in the window, which counts as free-flowing).
    pub fn next_price(&self, current: Cents, speed_fraction: Option<f64>) -> Cents {
        let congested = speed_fraction.is_some_and(|f| f < self.target_speed_fraction);
        let next = if congested {
            current.0.saturating_add(self.step.0)
        } else {
            current.0.saturating_sub(self.step.0)
        };
        Cents(next.clamp(self.floor.0, self.cap.0))
    }
}

/// Speed bands per road class, reviewed at fixed intervals, as Singapore's ERP
/// does: after each review interval a segment's price rises one step where the
/// interval's average speed sat below its class's band, falls one step where
/// above, and stays inside it. Classes without a band are not priced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassBandPolicy {
    /// Target band per road class, km/h (lower, upper).
    pub bands: BTreeMap<RoadClass, (f64, f64)>,
    /// Price change per review.
    pub step: Cents,
    /// Lowest price.
    pub floor: Cents,
    /// Highest price.
    pub cap: Cents,
    /// Minutes between reviews; prices change only at review boundaries.
    pub review_minutes: u32,
}

impl Default for ClassBandPolicy {
    fn default() -> Self {
        ClassBandPolicy::erp()
    }
}

impl ClassBandPolicy {
    /// ERP's published bands: 45–65 km/h on expressways (motorway, trunk),
    /// 20–30 km/h on arterials (primary, secondary).
    pub fn erp() -> ClassBandPolicy {
        let mut bands = BTreeMap::new();
        bands.insert(RoadClass::Motorway, (45.0, 65.0));
        bands.insert(RoadClass::Trunk, (45.0, 65.0));
        bands.insert(RoadClass::Primary, (20.0, 30.0));
        bands.insert(RoadClass::Secondary, (20.0, 30.0));
        ClassBandPolicy { bands, step: Cents(50), floor: Cents(0), cap: Cents(600), review_minutes: 15 }
    }

    /// Checks every number.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.bands.is_empty() {
            return Err(bad("class_bands.bands", "name at least one road class"));
        }
        for (class, (lo, hi)) in &self.bands {
            if !lo.is_finite() || !hi.is_finite() || *lo < 0.0 || lo >= hi || *hi > 200.0 {
                return Err(bad(
                    "class_bands.bands",
                    format!("{class}: {lo}..{hi} km/h is not a band with 0 <= lower < upper <= 200"),
                ));
            }
        }
        check_money("class_bands", self.step, self.floor, self.cap)?;
        if !(1..=MAX_WINDOW_MINUTES).contains(&self.review_minutes) {
            return Err(bad(
                "class_bands.review_minutes",
                format!("must be between 1 and {MAX_WINDOW_MINUTES}, got {}", self.review_minutes),
            ));
        }
        Ok(())
    }
}

/// Marginal-cost pricing: the toll is the congestion one more vehicle imposes
/// on the others, from the BPR link cost t = t0·(1 + 0.15·(v/c)⁴). The extra
/// time all v vehicles spend is v·dt/dv = 0.6·t0·(v/c)⁴ seconds, charged at the
/// value of time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarginalCostPolicy {
    /// Value of time, cents per hour.
    pub value_of_time_cents_per_hour: i64,
    /// Highest toll.
    pub cap: Cents,
    /// Minutes the flow is averaged over.
    pub flow_window_minutes: u32,
}

impl Default for MarginalCostPolicy {
    fn default() -> Self {
        MarginalCostPolicy { value_of_time_cents_per_hour: 2_000, cap: Cents(1_000), flow_window_minutes: 5 }
    }
}

impl MarginalCostPolicy {
    /// Checks every number.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let vot = self.value_of_time_cents_per_hour;
        if !(1..=1_000_000).contains(&vot) {
            return Err(bad(
                "marginal_cost.value_of_time_cents_per_hour",
                format!("must be between 1 and 1000000, got {vot}"),
            ));
        }
        if self.cap.0 < 0 {
            return Err(bad("marginal_cost.cap_cents", format!("must not be negative, got {}", self.cap.0)));
        }
        if !(1..=MAX_WINDOW_MINUTES).contains(&self.flow_window_minutes) {
            return Err(bad(
                "marginal_cost.flow_window_minutes",
                format!("must be between 1 and {MAX_WINDOW_MINUTES}, got {}", self.flow_window_minutes),
            ));
        }
        Ok(())
    }

    /// The toll for a flow of `flow_vph` vehicles per hour on a link with free-flow
    /// time `t0_s` seconds and capacity `capacity_vph`.
    pub fn toll(&self, flow_vph: f64, capacity_vph: f64, t0_s: f64) -> Cents {
        if !(flow_vph > 0.0 && capacity_vph > 0.0 && t0_s > 0.0) {
            return Cents::ZERO;
        }
        let external_s = 0.6 * t0_s * (flow_vph / capacity_vph).powi(4);
        let cents = (external_s * self.value_of_time_cents_per_hour as f64 / 3600.0).round();
        Cents((cents.min(self.cap.0 as f64) as i64).max(0))
    }
}

fn check_money(prefix: &str, step: Cents, floor: Cents, cap: Cents) -> Result<(), PolicyError> {
    if step.0 <= 0 {
        return Err(bad(&format!("{prefix}.step_cents"), format!("must be positive, got {}", step.0)));
    }
    if floor.0 < 0 {
        return Err(bad(&format!("{prefix}.floor_cents"), format!("must not be negative, got {}", floor.0)));
    }
    if cap.0 < 0 {
        return Err(bad(&format!("{prefix}.cap_cents"), format!("must not be negative, got {}", cap.0)));
    }
    if cap < floor {
        return Err(bad(&format!("{prefix}.cap_cents"), format!("cap {} is below floor {}", cap.0, floor.0)));
    }
    Ok(())
}

/// What the stream job measured on one segment in one closed minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteFigures {
    /// Mean over vehicles of each vehicle's mean speed (`None` without probes).
    pub speed: Option<MillimetersPerSecond>,
    /// Distinct probe vehicles.
    pub vehicles: u32,
    /// Vehicles counted by loop detectors.
    pub loop_count: u32,
}

/// Mean of the per-minute speeds of the minutes in `(minute - window, minute]`,
/// in whole mm/s; `recent` is ascending by minute.
pub fn window_speed(
    recent: &[(Minute, MinuteFigures)],
    minute: Minute,
    window: u32,
) -> Option<MillimetersPerSecond> {
    let speeds: Vec<u64> = recent
        .iter()
        .filter(|(m, _)| m.0 > minute.0 - i64::from(window) && *m <= minute)
        .filter_map(|(_, f)| f.speed.map(|s| u64::from(s.0)))
        .collect();
    (!speeds.is_empty())
        .then(|| MillimetersPerSecond((speeds.iter().sum::<u64>() / speeds.len() as u64) as u32))
}

/// Any pricing rule for road segments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingRule {
    /// Speed-band feedback per segment, relative to free flow.
    SpeedBand(SpeedBandPolicy),
    /// Speed bands per road class, reviewed at intervals (ERP).
    ClassBands(ClassBandPolicy),
    /// Marginal external congestion cost (BPR).
    MarginalCost(MarginalCostPolicy),
}

impl PricingRule {
    /// The lowest price the rule charges (what an unobserved segment costs).
    pub fn floor(&self) -> Cents {
        match self {
            PricingRule::SpeedBand(b) => b.floor,
            PricingRule::ClassBands(b) => b.floor,
            PricingRule::MarginalCost(_) => Cents::ZERO,
        }
    }

    /// Minutes over which the job reports a segment's average speed.
    pub fn speed_window(&self) -> u32 {
        match self {
            PricingRule::SpeedBand(b) => b.window_minutes,
            PricingRule::ClassBands(b) => b.review_minutes,
            PricingRule::MarginalCost(m) => m.flow_window_minutes,
        }
    }

    /// The price of `segment` after closing `minute`, given its price before and
    /// its figures in recent closed minutes (ascending, the last
    /// [`MAX_WINDOW_MINUTES`] at most, including `minute` when observed).
    pub fn next_segment_price(
        &self,
        minute: Minute,
        current: Cents,
        recent: &[(Minute, MinuteFigures)],
        segment: &Segment,
    ) -> Cents {
        match self {
            PricingRule::SpeedBand(b) => {
                let speed = window_speed(recent, minute, b.window_minutes);
                b.next_price(current, speed.map(|s| s.mps().0 / segment.free_flow.0))
            }
            PricingRule::ClassBands(b) => {
                let Some((lo, hi)) = b.bands.get(&segment.class) else { return b.floor };
                let current = Cents(current.0.clamp(b.floor.0, b.cap.0));
                // A review closes every `review_minutes` minutes of event time.
                if (minute.0 + 1).rem_euclid(i64::from(b.review_minutes)) != 0 {
                    return current;
                }
                let next = match window_speed(recent, minute, b.review_minutes).map(|s| s.mps().kmh()) {
                    Some(kmh) if kmh < *lo => current.0.saturating_add(b.step.0),
                    Some(kmh) if kmh <= *hi => current.0,
                    // Above the band, or nobody seen: free-flowing.
                    _ => current.0.saturating_sub(b.step.0),
                };
                Cents(next.clamp(b.floor.0, b.cap.0))
            }
            PricingRule::MarginalCost(m) => {
                let w = i64::from(m.flow_window_minutes);
                let counted: u64 = recent
                    .iter()
                    .filter(|(r, _)| r.0 > minute.0 - w && *r <= minute)
                    .map(|(_, f)| u64::from(f.vehicles.max(f.loop_count)))
                    .sum();
                let flow_vph = counted as f64 * 60.0 / w as f64;
                m.toll(flow_vph, segment.capacity_vph, segment.free_flow_time().0)
            }
        }
    }
}

/// A policy: a rule and the currency its amounts are in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The rule for road segments.
    pub rule: PricingRule,
    /// The rule for parking.
    pub parking: ParkingPolicy,
    /// A time-of-day cordon, charged per vehicle crossing into its zone.
    pub cordon: Option<crate::cordon::CordonPolicy>,
    /// Density-priced express-lane zones (MnPASS).
    pub express_lanes: Option<crate::express::ExpressLanePolicy>,
    /// ISO 4217 code.
    pub currency: String,
}

/// Demand-responsive parking prices (SFpark): at the end of each review period a
/// facility's hourly price rises one step where its average occupancy was at
/// or above `high`, falls one step where below `low`, within `[min, max]`; at
/// most one change per facility per period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParkingPolicy {
    /// Occupancy at or above which the price rises (SFpark: 0.80).
    pub high_occupancy: f64,
    /// Occupancy below which the price falls (SFpark: 0.60).
    pub low_occupancy: f64,
    /// Change per review, cents per hour (SFpark: 25).
    pub step_per_hour: Cents,
    /// Lowest hourly price (SFpark: 50).
    pub min_per_hour: Cents,
    /// Highest hourly price (SFpark: 1,000).
    pub max_per_hour: Cents,
    /// Hourly price before the first review.
    pub initial_per_hour: Cents,
    /// Minutes in a review period (SFpark: 28 days = 40,320).
    pub review_minutes: u32,
}

impl Default for ParkingPolicy {
    fn default() -> Self {
        ParkingPolicy {
            high_occupancy: 0.8,
            low_occupancy: 0.6,
            step_per_hour: Cents(25),
            min_per_hour: Cents(50),
            max_per_hour: Cents(1_000),
            initial_per_hour: Cents(200),
            review_minutes: 28 * 24 * 60,
        }
    }
}

impl ParkingPolicy {
    /// Checks every number.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let (lo, hi) = (self.low_occupancy, self.high_occupancy);
        if !lo.is_finite() || !hi.is_finite() || lo < 0.0 || hi > 1.0 || lo > hi {
            return Err(bad(
                "parking.high_occupancy",
                format!("need 0 <= low_occupancy ({lo}) <= high_occupancy ({hi}) <= 1"),
            ));
        }
        if self.step_per_hour.0 <= 0 {
            return Err(bad("parking.step_cents_per_hour", "must be positive"));
        }
        if self.min_per_hour.0 < 0 {
            return Err(bad("parking.min_cents_per_hour", "must not be negative"));
        }
        if self.max_per_hour < self.min_per_hour {
            return Err(bad(
                "parking.max_cents_per_hour",
                format!("max {} is below min {}", self.max_per_hour.0, self.min_per_hour.0),
            ));
        }
        if self.initial_per_hour < self.min_per_hour || self.initial_per_hour > self.max_per_hour {
            return Err(bad("parking.initial_cents_per_hour", "must lie within [min, max]"));
        }
        if self.review_minutes == 0 {
            return Err(bad("parking.review_minutes", "must be positive"));
        }
        Ok(())
    }

    /// Whether `minute` ends a review period.
    pub fn is_review(&self, minute: Minute) -> bool {
        (minute.0 + 1).rem_euclid(i64::from(self.review_minutes)) == 0
    }

    /// The next hourly price given the period's mean occupancy in permille
    /// (`None`: no report in the period, no change).
    pub fn next_price(&self, current: Cents, mean_occupancy_permille: Option<u32>) -> Cents {
        let step = self.step_per_hour.0;
        let next = match mean_occupancy_permille.map(|p| f64::from(p) / 1000.0) {
            Some(o) if o >= self.high_occupancy => current.0.saturating_add(step),
            Some(o) if o < self.low_occupancy => current.0.saturating_sub(step),
            _ => current.0,
        };
        Cents(next.clamp(self.min_per_hour.0, self.max_per_hour.0))
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rule: PricingRule::SpeedBand(SpeedBandPolicy::default()),
            parking: ParkingPolicy::default(),
            cordon: None,
            express_lanes: None,
            currency: "BRL".to_owned(),
        }
    }
}

impl Policy {
    /// Checks the rule and the currency.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad(
                "currency",
                format!("must be a three-letter ISO 4217 code, got {:?}", self.currency),
            ));
        }
        self.parking.validate()?;
        if let Some(c) = &self.cordon {
            c.validate()?;
        }
        if let Some(e) = &self.express_lanes {
            e.validate(None)?;
        }
        match &self.rule {
            PricingRule::SpeedBand(p) => p.validate(),
            PricingRule::ClassBands(p) => p.validate(),
            PricingRule::MarginalCost(p) => p.validate(),
        }
    }
}

/// One version of the policy, as kept in the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// 1 for the first policy, then +1 per change.
    pub version: u64,
    /// The policy.
    pub policy: Policy,
    /// Who set it.
    pub author: String,
    /// First minute it applies to.
    pub effective_from: Minute,
}

/// Every policy version ever set, oldest first. The stream job asks which one
/// applies to a minute, so a change takes effect at a minute boundary, the same
/// way on every worker.
#[derive(Clone, Debug)]
pub struct PolicyStore {
    versions: Vec<PolicyVersion>,
}

impl PolicyStore {
    /// A store whose first version applies from the beginning of time.
    pub fn new(initial: Policy, author: &str) -> Result<PolicyStore, PolicyError> {
        initial.validate()?;
        Ok(PolicyStore {
            versions: vec![PolicyVersion {
                version: 1,
                policy: initial,
                author: author.to_owned(),
                effective_from: Minute(i64::MIN),
            }],
        })
    }

    /// The newest version.
    pub fn latest(&self) -> &PolicyVersion {
        self.versions.last().expect("a store always holds its first version")
    }

    /// The version in force during `minute`.
    pub fn active_at(&self, minute: Minute) -> &PolicyVersion {
        self.versions.iter().rev().find(|v| v.effective_from <= minute).unwrap_or(&self.versions[0])
    }

    /// The audit log, oldest first.
    pub fn history(&self) -> &[PolicyVersion] {
        &self.versions
    }

    /// Validates and appends a new version effective from `effective_from`,
    /// which must not be earlier than `earliest` (the first minute still open)
    /// nor earlier than the latest version's start. Changes nothing on error.
    pub fn set(
        &mut self,
        policy: Policy,
        author: &str,
        effective_from: Minute,
        earliest: Minute,
    ) -> Result<&PolicyVersion, PolicyError> {
        policy.validate()?;
        if author.trim().is_empty() {
            return Err(bad("author", "must name who makes the change"));
        }
        if effective_from < earliest {
            return Err(bad(
                "effective_from_ms",
                format!(
                    "minute {} has already been priced; the earliest allowed is {} ({} ms)",
                    effective_from.0,
                    earliest.0,
                    earliest.start().0
                ),
            ));
        }
        if effective_from < self.latest().effective_from {
            return Err(bad("effective_from_ms", "must not precede the start of the latest policy"));
        }
        if policy.currency != self.latest().policy.currency {
            return Err(bad(
                "currency",
                format!(
                    "the city's prices are in {}, got {}",
                    self.latest().policy.currency,
                    policy.currency
                ),
            ));
        }
        let version = self.latest().version + 1;
        self.versions.push(PolicyVersion { version, policy, author: author.to_owned(), effective_from });
        Ok(self.latest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band() -> SpeedBandPolicy {
        SpeedBandPolicy {
            target_speed_fraction: 0.5,
            step: Cents(50),
            floor: Cents(100),
            cap: Cents(300),
            window_minutes: 5,
        }
    }

    #[test]
    fn speed_band_steps_within_floor_and_cap() {
        let p = band();
        assert_eq!(p.next_price(Cents(100), Some(0.2)), Cents(150));
        assert_eq!(p.next_price(Cents(300), Some(0.2)), Cents(300));
        assert_eq!(p.next_price(Cents(150), Some(0.8)), Cents(100));
        assert_eq!(p.next_price(Cents(100), None), Cents(100));
        // Exactly at the target is not congested.
        assert_eq!(p.next_price(Cents(200), Some(0.5)), Cents(150));
        // A price below the floor (after a policy change) is lifted to it.
        assert_eq!(p.next_price(Cents(0), Some(0.9)), Cents(100));
    }

    #[test]
    fn bad_policies_are_refused_and_change_nothing() {
        let mut store = PolicyStore::new(Policy::default(), "test").unwrap();
        let mut p = band();
        p.cap = Cents(-1);
        let err = store
            .set(Policy { rule: PricingRule::SpeedBand(p), ..Policy::default() }, "a", Minute(5), Minute(5))
            .unwrap_err();
        assert_eq!(err.field, "speed_band.cap_cents");
        let err = store
            .set(
                Policy { rule: PricingRule::SpeedBand(band()), ..Policy::default() },
                "a",
                Minute(4),
                Minute(5),
            )
            .unwrap_err();
        assert_eq!(err.field, "effective_from_ms");
        assert_eq!(store.history().len(), 1);
        store
            .set(
                Policy { rule: PricingRule::SpeedBand(band()), ..Policy::default() },
                "a",
                Minute(7),
                Minute(5),
            )
            .unwrap();
        assert_eq!(store.active_at(Minute(6)).version, 1);
        assert_eq!(store.active_at(Minute(7)).version, 2);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_band() -> impl Strategy<Value = SpeedBandPolicy> {
        (0.01f64..=1.0, 1i64..500, 0i64..1_000, 0i64..2_000, 1u32..=60).prop_map(
            |(f, step, floor, extra, w)| SpeedBandPolicy {
                target_speed_fraction: f,
                step: Cents(step),
                floor: Cents(floor),
                cap: Cents(floor + extra),
                window_minutes: w,
            },
        )
    }

    proptest! {
        /// Whatever the traffic, a price stays within [floor, cap] and moves at
        /// most one step per minute once inside the band.
        #[test]
        fn prices_stay_within_floor_and_cap(
            band in any_band(),
            start in -5_000i64..5_000,
            speeds in proptest::collection::vec(proptest::option::of(0.0f64..2.0), 1..100),
        ) {
            prop_assert!(band.validate().is_ok());
            let mut price = band.next_price(Cents(start), None);
            prop_assert!(band.floor <= price && price <= band.cap);
            for s in speeds {
                let next = band.next_price(price, s);
                prop_assert!(band.floor <= next && next <= band.cap);
                prop_assert!((next.0 - price.0).abs() <= band.step.0);
                price = next;
            }
        }
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::geo_util::LatLon;
    use crate::units::{Meters, MetersPerSecond, NodeId, SegmentId};
    use proptest::prelude::*;

    fn segment(class: RoadClass, length_m: f64, free_flow_kmh: f64, capacity_vph: f64) -> Segment {
        Segment {
            id: SegmentId(0),
            from: NodeId(0),
            to: NodeId(1),
            geometry: vec![LatLon::new(0.0, 0.0), LatLon::new(0.0, 0.01)],
            length: Meters(length_m),
            class,
            free_flow: MetersPerSecond::from_kmh(free_flow_kmh),
            lanes: 1,
            capacity_vph,
            osm_way: 1,
            name: None,
        }
    }

    fn at(minute: i64, kmh: f64, vehicles: u32) -> (Minute, MinuteFigures) {
        let speed = MillimetersPerSecond::from_mps(MetersPerSecond::from_kmh(kmh));
        (Minute(minute), MinuteFigures { speed: Some(speed), vehicles, loop_count: 0 })
    }

    #[test]
    fn marginal_cost_by_hand() {
        let m = MarginalCostPolicy {
            value_of_time_cents_per_hour: 3_600,
            cap: Cents(1_000),
            flow_window_minutes: 1,
        };
        // v = c, t0 = 60 s: 0.6 · 60 · 1⁴ = 36 s at 1 cent/s.
        assert_eq!(m.toll(1_200.0, 1_200.0, 60.0), Cents(36));
        // v/c = 0.5: 0.6 · 60 · 0.0625 = 2.25 s → 2 cents.
        assert_eq!(m.toll(600.0, 1_200.0, 60.0), Cents(2));
        assert_eq!(m.toll(0.0, 1_200.0, 60.0), Cents::ZERO);
        // v = 2c: 0.6 · 60 · 16 = 576 s, capped.
        let capped = MarginalCostPolicy { cap: Cents(500), ..m };
        assert_eq!(capped.toll(2_400.0, 1_200.0, 60.0), Cents(500));
        // Through the rule: 20 vehicles a minute for the last 1 minute = 1,200 vph.
        let seg = segment(RoadClass::Primary, 1_000.0, 60.0, 1_200.0); // t0 = 60 s
        let rule = PricingRule::MarginalCost(m);
        assert_eq!(rule.next_segment_price(Minute(5), Cents::ZERO, &[at(5, 30.0, 20)], &seg), Cents(36));
    }

    #[test]
    fn class_bands_review_at_interval_boundaries_only() {
        let mut erp = ClassBandPolicy::erp();
        erp.review_minutes = 15;
        let rule = PricingRule::ClassBands(erp);
        let primary = segment(RoadClass::Primary, 500.0, 50.0, 1_200.0);
        let slow: Vec<_> = (0..15).map(|m| at(m, 10.0, 5)).collect();
        // Minute 14 closes the review 0..=14: 10 km/h is below 20–30, +50.
        assert_eq!(rule.next_segment_price(Minute(14), Cents(100), &slow, &primary), Cents(150));
        // Between reviews nothing moves.
        assert_eq!(rule.next_segment_price(Minute(13), Cents(100), &slow, &primary), Cents(100));
        let inside: Vec<_> = (0..15).map(|m| at(m, 25.0, 5)).collect();
        assert_eq!(rule.next_segment_price(Minute(14), Cents(100), &inside, &primary), Cents(100));
        let fast: Vec<_> = (0..15).map(|m| at(m, 45.0, 5)).collect();
        assert_eq!(rule.next_segment_price(Minute(14), Cents(100), &fast, &primary), Cents(50));
        assert_eq!(rule.next_segment_price(Minute(14), Cents(100), &[], &primary), Cents(50));
        // A class without a band is not priced.
        let street = segment(RoadClass::Residential, 100.0, 30.0, 600.0);
        assert_eq!(rule.next_segment_price(Minute(14), Cents(100), &slow, &street), Cents::ZERO);
    }

    #[test]
    fn bad_class_bands_name_the_field() {
        let mut erp = ClassBandPolicy::erp();
        erp.bands.insert(RoadClass::Primary, (30.0, 20.0));
        assert_eq!(erp.validate().unwrap_err().field, "class_bands.bands");
        let mut erp = ClassBandPolicy::erp();
        erp.review_minutes = 0;
        assert_eq!(erp.validate().unwrap_err().field, "class_bands.review_minutes");
        let m = MarginalCostPolicy { value_of_time_cents_per_hour: 0, ..MarginalCostPolicy::default() };
        assert_eq!(m.validate().unwrap_err().field, "marginal_cost.value_of_time_cents_per_hour");
    }

    proptest! {
        /// ERP prices stay within [floor, cap] and change only when a review closes.
        #[test]
        fn class_band_prices_move_only_at_reviews(
            review in 1u32..=30,
            speeds in proptest::collection::vec(0.0f64..80.0, 1..120),
        ) {
            let erp = ClassBandPolicy { review_minutes: review, ..ClassBandPolicy::erp() };
            let (floor, cap, step) = (erp.floor, erp.cap, erp.step);
            let rule = PricingRule::ClassBands(erp);
            let seg = segment(RoadClass::Secondary, 300.0, 50.0, 1_000.0);
            let mut price = Cents::ZERO;
            let mut recent = Vec::new();
            for (m, kmh) in speeds.into_iter().enumerate() {
                let m = m as i64;
                recent.push(at(m, kmh, 3));
                let next = rule.next_segment_price(Minute(m), price, &recent, &seg);
                prop_assert!(floor <= next && next <= cap);
                if (m + 1) % i64::from(review) != 0 {
                    prop_assert_eq!(next, price);
                } else {
                    prop_assert!((next.0 - price.0).abs() <= step.0);
                }
                price = next;
            }
        }

        /// Marginal-cost tolls never fall as flow rises, and never exceed the cap.
        #[test]
        fn marginal_cost_is_monotone_in_flow(a in 0.0f64..5_000.0, b in 0.0f64..5_000.0, cap in 0i64..2_000) {
            let m = MarginalCostPolicy { value_of_time_cents_per_hour: 2_000, cap: Cents(cap), flow_window_minutes: 5 };
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(m.toll(lo, 1_000.0, 30.0) <= m.toll(hi, 1_000.0, 30.0));
            prop_assert!(m.toll(hi, 1_000.0, 30.0) <= Cents(cap));
        }
    }
}

#[cfg(test)]
mod parking_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sfpark_by_hand() {
        let p = ParkingPolicy { review_minutes: 60, ..ParkingPolicy::default() };
        assert_eq!(p.next_price(Cents(200), Some(850)), Cents(225));
        assert_eq!(p.next_price(Cents(200), Some(800)), Cents(225));
        assert_eq!(p.next_price(Cents(200), Some(700)), Cents(200));
        assert_eq!(p.next_price(Cents(200), Some(599)), Cents(175));
        assert_eq!(p.next_price(Cents(50), Some(100)), Cents(50));
        assert_eq!(p.next_price(Cents(1_000), Some(990)), Cents(1_000));
        assert_eq!(p.next_price(Cents(200), None), Cents(200));
        assert!(p.is_review(Minute(59)) && !p.is_review(Minute(60)));
        let bad = ParkingPolicy { low_occupancy: 0.9, ..ParkingPolicy::default() };
        assert_eq!(bad.validate().unwrap_err().field, "parking.high_occupancy");
        let bad = ParkingPolicy { max_per_hour: Cents(10), ..ParkingPolicy::default() };
        assert_eq!(bad.validate().unwrap_err().field, "parking.max_cents_per_hour");
    }

    proptest! {
        #[test]
        fn parking_prices_stay_within_bounds(occupancies in proptest::collection::vec(proptest::option::of(0u32..=1000), 1..200)) {
            let p = ParkingPolicy::default();
            let mut price = p.initial_per_hour;
            for o in occupancies {
                let next = p.next_price(price, o);
                prop_assert!(p.min_per_hour <= next && next <= p.max_per_hour);
                prop_assert!((next.0 - price.0).abs() <= p.step_per_hour.0);
                price = next;
            }
        }
    }
}
