//! Marginal-cost (Pigouvian) tolls: charging each link its congestion externality `x t'(x)` at
//! the system-optimum flows makes the tolled user equilibrium reproduce the system optimum.

use crate::network::{CostWeights, LinkId, Network, NetworkError};

/// Why tolls could not be computed or applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TollError {
    #[error("{got} link flows given for a network of {expected} links")]
    FlowCount { got: usize, expected: usize },
    #[error("{link}: flow {flow} must be finite and non-negative")]
    BadFlow { link: LinkId, flow: f64 },
    #[error("value of time {0} must be a positive finite number of cents per time unit")]
    BadValueOfTime(f64),
    #[error("{link}: toll of {value} cents does not fit in 64 bits")]
    Overflow { link: LinkId, value: f64 },
    #[error(
        "the network already has tolls valued at {existing} time units per cent; the value of time {vot} \
         cents per time unit would change their meaning"
    )]
    ConflictingValueOfTime { existing: f64, vot: f64 },
    #[error(transparent)]
    Network(#[from] NetworkError),
}

/// The externality `x t'(x)` of every link at `flows`, in time units (travel time only: tolls
/// and distance terms do not depend on the flow).
pub fn marginal_cost_tolls(net: &Network, flows: &[f64]) -> Result<Vec<f64>, TollError> {
    if flows.len() != net.num_links() {
        return Err(TollError::FlowCount { got: flows.len(), expected: net.num_links() });
    }
    flows
        .iter()
        .enumerate()
        .map(|(a, &x)| {
            let link = LinkId(a as u32);
            if !(x.is_finite() && x >= 0.0) {
                return Err(TollError::BadFlow { link, flow: x });
            }
            Ok(x * net.travel_time_derivative(link, x))
        })
        .collect()
}

/// [`marginal_cost_tolls`] in money: cents, rounded to the nearest cent, for a value of time in
/// cents per time unit.
pub fn marginal_cost_tolls_cents(
    net: &Network,
    flows: &[f64],
    cents_per_time_unit: f64,
) -> Result<Vec<i64>, TollError> {
    if !(cents_per_time_unit.is_finite() && cents_per_time_unit > 0.0) {
        return Err(TollError::BadValueOfTime(cents_per_time_unit));
    }
    marginal_cost_tolls(net, flows)?
        .into_iter()
        .enumerate()
        .map(|(a, t)| {
            let value = (t * cents_per_time_unit).round();
            // i64::MAX as f64 rounds up to 2^63, which is itself out of range.
            if value.is_finite() && value.abs() < 9.2e18 {
                Ok(value as i64)
            } else {
                Err(TollError::Overflow { link: LinkId(a as u32), value })
            }
        })
        .collect()
}

/// Adds the marginal-cost tolls at `flows` (in cents, for the given value of time) to the
/// network's tolls, and sets its toll factor to `1 / value of time`. Existing non-zero tolls
/// are kept only if the network already values tolls at that value of time.
pub fn apply_marginal_cost_tolls(
    net: &mut Network,
    flows: &[f64],
    cents_per_time_unit: f64,
) -> Result<Vec<i64>, TollError> {
    let extra = marginal_cost_tolls_cents(net, flows, cents_per_time_unit)?;
    let weights = net.weights();
    let factor = 1.0 / cents_per_time_unit;
    let has_tolls = net.links().iter().any(|l| l.toll != 0);
    if has_tolls && (weights.toll_factor * cents_per_time_unit - 1.0).abs() > 1e-12 {
        return Err(TollError::ConflictingValueOfTime {
            existing: weights.toll_factor,
            vot: cents_per_time_unit,
        });
    }
    let tolls: Vec<i64> = net.links().iter().zip(&extra).map(|(l, &e)| l.toll.saturating_add(e)).collect();
    net.set_weights(CostWeights { toll_factor: factor, ..weights })?;
    net.set_tolls(&tolls)?;
    Ok(tolls)
}
