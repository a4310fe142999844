//! Origin–destination demand, grouped by origin in node order (deterministic iteration).

use std::collections::BTreeMap;

use crate::network::NodeId;

/// Demand leaving one origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OriginDemand {
    pub origin: NodeId,
    /// Destinations in increasing node order with positive flows; never the origin itself.
    pub destinations: Vec<(NodeId, f64)>,
}

/// Why demand was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DemandError {
    #[error("demand from {origin} to {destination} is {flow}; it must be finite and non-negative")]
    BadFlow { origin: NodeId, destination: NodeId, flow: f64 },
}

/// An origin–destination matrix. Zero flows and intrazonal trips are dropped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Demand {
    origins: Vec<OriginDemand>,
}

impl Demand {
    /// Builds demand from `(origin, destination, flow)` triples; repeated pairs are summed.
    pub fn new(entries: impl IntoIterator<Item = (NodeId, NodeId, f64)>) -> Result<Self, DemandError> {
        let mut map: BTreeMap<NodeId, BTreeMap<NodeId, f64>> = BTreeMap::new();
        for (origin, destination, flow) in entries {
            if !(flow.is_finite() && flow >= 0.0) {
                return Err(DemandError::BadFlow { origin, destination, flow });
            }
            if origin == destination || flow == 0.0 {
                continue;
            }
            *map.entry(origin).or_default().entry(destination).or_insert(0.0) += flow;
        }
        let origins = map
            .into_iter()
            .map(|(origin, dests)| OriginDemand { origin, destinations: dests.into_iter().collect() })
            .collect();
        Ok(Demand { origins })
    }

    /// Origins in increasing node order.
    pub fn origins(&self) -> &[OriginDemand] {
        &self.origins
    }

    /// Number of OD pairs with positive demand.
    pub fn num_pairs(&self) -> usize {
        self.origins.iter().map(|o| o.destinations.len()).sum()
    }

    /// Sum of all OD flows.
    pub fn total(&self) -> f64 {
        self.origins.iter().flat_map(|o| o.destinations.iter().map(|&(_, f)| f)).sum()
    }

    /// The same demand with every flow multiplied by `factor` (must be finite and non-negative).
    pub fn scaled(&self, factor: f64) -> Result<Self, DemandError> {
        Demand::new(
            self.origins
                .iter()
                .flat_map(|o| o.destinations.iter().map(move |&(d, f)| (o.origin, d, f * factor))),
        )
    }

    /// The largest node id mentioned, if any.
    pub fn max_node(&self) -> Option<NodeId> {
        self.origins
            .iter()
            .flat_map(|o| std::iter::once(o.origin).chain(o.destinations.iter().map(|&(d, _)| d)))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_sums_and_drops() {
        let d = Demand::new([
            (NodeId(2), NodeId(0), 1.0),
            (NodeId(0), NodeId(1), 2.0),
            (NodeId(0), NodeId(1), 3.0),
            (NodeId(0), NodeId(0), 7.0),
            (NodeId(1), NodeId(0), 0.0),
        ])
        .unwrap();
        assert_eq!(d.origins().len(), 2);
        assert_eq!(d.origins()[0].destinations, vec![(NodeId(1), 5.0)]);
        assert_eq!(d.num_pairs(), 2);
        assert_eq!(d.total(), 6.0);
        assert!(Demand::new([(NodeId(0), NodeId(1), -1.0)]).is_err());
        assert!(Demand::new([(NodeId(0), NodeId(1), f64::NAN)]).is_err());
    }
}
