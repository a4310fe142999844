//! Road pricing policies set by the transport authority, their validation, and
//! the versioned store (with its audit log) that the stream job reads.

use crate::units::{Cents, Minute};
use serde::{Deserialize, Serialize};

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
        if self.step.0 <= 0 {
            return Err(bad("speed_band.step_cents", format!("must be positive, got {}", self.step.0)));
        }
        if self.floor.0 < 0 {
            return Err(bad("speed_band.floor_cents", format!("must not be negative, got {}", self.floor.0)));
        }
        if self.cap.0 < 0 {
            return Err(bad("speed_band.cap_cents", format!("must not be negative, got {}", self.cap.0)));
        }
        if self.cap < self.floor {
            return Err(bad(
                "speed_band.cap_cents",
                format!("cap {} is below floor {}", self.cap.0, self.floor.0),
            ));
        }
        if !(1..=60).contains(&self.window_minutes) {
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

/// Any pricing rule the platform runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PricingRule {
    /// Speed-band feedback per segment.
    SpeedBand(SpeedBandPolicy),
}

/// A policy: a rule and the currency its amounts are in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The rule.
    pub rule: PricingRule,
    /// ISO 4217 code.
    pub currency: String,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { rule: PricingRule::SpeedBand(SpeedBandPolicy::default()), currency: "BRL".to_owned() }
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
        match &self.rule {
            PricingRule::SpeedBand(p) => p.validate(),
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
            .set(
                Policy { rule: PricingRule::SpeedBand(p), currency: "BRL".into() },
                "a",
                Minute(5),
                Minute(5),
            )
            .unwrap_err();
        assert_eq!(err.field, "speed_band.cap_cents");
        let err = store
            .set(
                Policy { rule: PricingRule::SpeedBand(band()), currency: "BRL".into() },
                "a",
                Minute(4),
                Minute(5),
            )
            .unwrap_err();
        assert_eq!(err.field, "effective_from_ms");
        assert_eq!(store.history().len(), 1);
        store
            .set(
                Policy { rule: PricingRule::SpeedBand(band()), currency: "BRL".into() },
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
