//! Express-lane pricing (MnPASS) in the job: each closed segment-minute that
//! lies in an express-lane zone becomes a density observation for that zone
//! ([`fan_out`]); a [`ZoneBook`] keeps each zone's recent densities and, at
//! each review, prices the zone from its highest downstream density.

use crate::model::{JobOutput, SegmentMinute};
use omnibus_core::express::density;
use omnibus_core::network::RoadNetwork;
use omnibus_core::policy::{MAX_WINDOW_MINUTES, PolicyStore};
use omnibus_core::{Minute, SegmentId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What flows into the express-lane operator: observations, and the minutes
/// the segment operator has closed (so that reviews run to the same end).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ZoneMsg {
    /// A zone segment's density.
    Obs(ZoneObs),
    /// A minute with segment output.
    Tick(Minute),
}

/// A segment's density in one minute, for one zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneObs {
    /// The zone.
    pub zone: String,
    /// The minute.
    pub minute: Minute,
    /// The segment.
    pub segment: SegmentId,
    /// Vehicles per lane-mile.
    pub density: f64,
}

/// The density observations a closed segment-minute gives the zones of the
/// policy in force that minute.
pub fn fan_out(s: &SegmentMinute, policies: &PolicyStore, network: &RoadNetwork, out: &mut Vec<ZoneObs>) {
    let version = policies.active_at(s.minute);
    let Some(express) = &version.policy.express_lanes else { return };
    let segment = &network.segments()[s.segment.index()];
    let speed = s.minute_speed.map(|v| v.mps().0);
    let Some(k) = density(s.vehicles.max(s.loop_count), speed, segment) else { return };
    for zone in express.zones.iter().filter(|z| z.segments.contains(&s.segment)) {
        out.push(ZoneObs { zone: zone.name.clone(), minute: s.minute, segment: s.segment, density: k });
    }
}

/// Recent densities per zone and segment, and the zones priced above the
/// minimum.
#[derive(Debug, Default)]
pub struct ZoneBook {
    zones: BTreeMap<String, BTreeMap<SegmentId, BTreeMap<Minute, f64>>>,
    raised: std::collections::BTreeSet<String>,
}

impl ZoneBook {
    /// Files an observation.
    pub fn add(&mut self, o: ZoneObs) {
        self.zones.entry(o.zone).or_default().entry(o.segment).or_default().insert(o.minute, o.density);
    }

    /// Whether nothing is filed.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Closes `minute` (every observation up to it filed): at a review of the
    /// policy in force, reprices each zone seen in the window.
    pub fn close(&mut self, minute: Minute, policies: &PolicyStore, out: &mut Vec<JobOutput>) {
        let version = policies.active_at(minute);
        if let Some(express) = &version.policy.express_lanes
            && express.is_review(minute)
        {
            for zone in &express.zones {
                let k = self.zones.get(&zone.name).and_then(|seen| express.zone_density(zone, minute, seen));
                // A zone nobody was seen in for a whole window falls back to the minimum, once.
                let k = match k {
                    Some(k) => k,
                    None if self.raised.contains(&zone.name) => 0.0,
                    None => continue,
                };
                let price = express.price(k);
                if price > express.min {
                    self.raised.insert(zone.name.clone());
                } else {
                    self.raised.remove(&zone.name);
                }
                out.push(JobOutput::Express {
                    zone: zone.name.clone(),
                    minute,
                    density_milli: (k * 1_000.0).round() as u64,
                    price,
                    policy_version: version.version,
                });
            }
        }
        // Forget what no window can read any more.
        let oldest = Minute(minute.0 - i64::from(MAX_WINDOW_MINUTES));
        for segments in self.zones.values_mut() {
            for minutes in segments.values_mut() {
                while minutes.first_key_value().is_some_and(|(m, _)| *m <= oldest) {
                    minutes.pop_first();
                }
            }
            segments.retain(|_, m| !m.is_empty());
        }
        self.zones.retain(|_, s| !s.is_empty());
    }
}
