//! Cordon charging per vehicle: which probes cross into the zone, and what each
//! passage owes under the active cordon policy.

use crate::model::JobOutput;
use omnibus_core::cordon::VehicleAccount;
use omnibus_core::policy::PolicyStore;
use omnibus_core::{EventTime, LatLon, Minute};
use std::collections::BTreeMap;

/// A vehicle's cordon state: inside the zone at its last probe (`None`: unknown
/// or no cordon in force), and its account.
#[derive(Clone, Copy, Debug, Default)]
pub struct VehicleState {
    inside: Option<bool>,
    account: VehicleAccount,
}

impl VehicleState {
    /// Reads one probe (in time order); returns the passage output if the
    /// vehicle crossed into the zone.
    pub fn probe(
        &mut self,
        vehicle: u64,
        time: EventTime,
        pos: LatLon,
        policies: &PolicyStore,
    ) -> Option<JobOutput> {
        let version = policies.active_at(time.minute());
        let Some(cordon) = &version.policy.cordon else {
            self.inside = None;
            return None;
        };
        let inside = cordon.contains(pos);
        let entered = self.inside == Some(false) && inside;
        self.inside = Some(inside);
        entered.then(|| {
            let charge = cordon.charge_at(time);
            let owed = self.account.pass(cordon, time);
            JobOutput::Cordon {
                vehicle,
                minute: time.minute(),
                time,
                charge,
                owed,
                policy_version: version.version,
            }
        })
    }
}

/// The per-worker book of the `Cordon` operator.
#[derive(Debug, Default)]
pub struct CordonBook {
    pending: BTreeMap<Minute, BTreeMap<u64, Vec<(EventTime, LatLon)>>>,
    vehicles: BTreeMap<u64, VehicleState>,
}

/// The order probes of one vehicle are read in: time, then position bits.
pub fn probe_order(a: &(EventTime, LatLon), b: &(EventTime, LatLon)) -> std::cmp::Ordering {
    (a.0, a.1.lat.to_bits(), a.1.lon.to_bits()).cmp(&(b.0, b.1.lat.to_bits(), b.1.lon.to_bits()))
}

impl CordonBook {
    /// Files a probe under its minute.
    pub fn add(&mut self, vehicle: u64, time: EventTime, pos: LatLon) {
        self.pending.entry(time.minute()).or_default().entry(vehicle).or_default().push((time, pos));
    }

    /// Minutes with probes not yet read, in order.
    pub fn pending_minutes(&self) -> impl Iterator<Item = Minute> + '_ {
        self.pending.keys().copied()
    }

    /// Reads every probe of `minute`, vehicle by vehicle in time order.
    pub fn close(&mut self, minute: Minute, policies: &PolicyStore, out: &mut Vec<JobOutput>) {
        for (vehicle, mut probes) in self.pending.remove(&minute).unwrap_or_default() {
            probes.sort_by(probe_order);
            let state = self.vehicles.entry(vehicle).or_default();
            for (time, pos) in probes {
                out.extend(state.probe(vehicle, time, pos, policies));
            }
        }
    }
}
