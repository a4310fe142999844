//! Trips with fixed routes, stored flat: one departure time per trip and all routes concatenated.

use std::fmt;

use crate::error::MesoError;
use crate::network::{LinkId, MAX_TIME_MS, Network};

/// Index of a trip in [`Plans`], in the order the trips were pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TripId(pub u32);

impl TripId {
    /// The trip as a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for TripId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "trip {}", self.0)
    }
}

/// Trips with their fixed routes, stored flat.
#[derive(Clone, Debug, Default)]
pub struct Plans {
    depart_ms: Vec<i64>,
    /// Start of each trip's route in `links`; the route ends where the next one starts.
    starts: Vec<usize>,
    links: Vec<LinkId>,
}

impl Plans {
    /// No trips.
    pub fn new() -> Plans {
        Plans::default()
    }

    /// No trips, with room for `trips` trips whose routes total `links` links.
    pub fn with_capacity(trips: usize, links: usize) -> Plans {
        Plans {
            depart_ms: Vec::with_capacity(trips),
            starts: Vec::with_capacity(trips),
            links: Vec::with_capacity(links),
        }
    }

    /// Adds a trip departing at `depart_ms` along `route`: the route must be non-empty, its links
    /// must exist in `network`, and each link must start where the previous one ends; `|depart_ms|`
    /// at most [`MAX_TIME_MS`].
    pub fn push(&mut self, network: &Network, depart_ms: i64, route: &[LinkId]) -> Result<TripId, MesoError> {
        let trip = u32::try_from(self.depart_ms.len())
            .ok()
            .filter(|&t| t != u32::MAX)
            .ok_or(MesoError::TooManyTrips { max: u64::from(u32::MAX) })?;
        if depart_ms.unsigned_abs() > MAX_TIME_MS as u64 {
            return Err(MesoError::InvalidDepart { trip, depart_ms });
        }
        check_route(network, trip, route)?;
        self.depart_ms.push(depart_ms);
        self.starts.push(self.links.len());
        self.links.extend_from_slice(route);
        Ok(TripId(trip))
    }

    /// Number of trips.
    pub fn len(&self) -> usize {
        self.depart_ms.len()
    }

    /// Whether there are no trips.
    pub fn is_empty(&self) -> bool {
        self.depart_ms.is_empty()
    }

    /// Planned departure time of `trip` in milliseconds.
    pub fn depart_ms(&self, trip: TripId) -> i64 {
        self.depart_ms[trip.index()]
    }

    /// The links `trip` drives, in order.
    pub fn route(&self, trip: TripId) -> &[LinkId] {
        let i = trip.index();
        let end = self.starts.get(i + 1).copied().unwrap_or(self.links.len());
        &self.links[self.starts[i]..end]
    }

    /// Iterates over the trips in id order.
    pub fn trips(&self) -> impl ExactSizeIterator<Item = TripId> + '_ {
        (0..self.depart_ms.len() as u32).map(TripId)
    }

    /// Total number of links over all routes.
    pub fn total_route_links(&self) -> usize {
        self.links.len()
    }

    pub(crate) fn departures(&self) -> &[i64] {
        &self.depart_ms
    }

    pub(crate) fn route_start(&self, trip: u32) -> usize {
        self.starts[trip as usize]
    }

    pub(crate) fn flat_links(&self) -> &[LinkId] {
        &self.links
    }
}

/// Checks one route against `network`; errors name `trip` and the position in the route.
pub(crate) fn check_route(network: &Network, trip: u32, route: &[LinkId]) -> Result<(), MesoError> {
    if route.is_empty() {
        return Err(MesoError::EmptyRoute { trip });
    }
    let links = network.links();
    let mut previous: Option<LinkId> = None;
    for (position, &link) in route.iter().enumerate() {
        let Some(spec) = links.get(link.index()) else {
            return Err(MesoError::UnknownLink { trip, position, link: link.0, link_count: links.len() });
        };
        if let Some(prev) = previous {
            let prev_to = links[prev.index()].to;
            if prev_to != spec.from {
                return Err(MesoError::Disconnected {
                    trip,
                    position,
                    link: link.0,
                    from_node: spec.from,
                    previous: prev.0,
                    previous_to_node: prev_to,
                });
            }
        }
        previous = Some(link);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::LinkSpec;

    fn net() -> Network {
        let l = |from, to| LinkSpec {
            from,
            to,
            length_m: 100.0,
            free_speed_mps: 10.0,
            lanes: 1,
            capacity_vph: 1800.0,
        };
        Network::new(3, vec![l(0, 1), l(1, 2), l(2, 0)]).unwrap()
    }

    #[test]
    fn push_and_read_back() {
        let net = net();
        let mut plans = Plans::with_capacity(2, 4);
        assert!(plans.is_empty());
        let a = plans.push(&net, 5, &[LinkId(0), LinkId(1)]).unwrap();
        let b = plans.push(&net, -3, &[LinkId(2), LinkId(0), LinkId(1), LinkId(2)]).unwrap();
        assert_eq!((a, b), (TripId(0), TripId(1)));
        assert_eq!(plans.len(), 2);
        assert_eq!(plans.depart_ms(b), -3);
        assert_eq!(plans.route(a), &[LinkId(0), LinkId(1)]);
        assert_eq!(plans.route(b), &[LinkId(2), LinkId(0), LinkId(1), LinkId(2)]);
        assert_eq!(plans.total_route_links(), 6);
        assert_eq!(plans.trips().collect::<Vec<_>>(), vec![a, b]);
    }

    #[test]
    fn route_errors_name_trip_and_position() {
        let net = net();
        let mut plans = Plans::new();
        plans.push(&net, 0, &[LinkId(0)]).unwrap();
        let err = plans.push(&net, 0, &[]).unwrap_err().to_string();
        assert_eq!(err, "trip 1: field `route` is empty");
        let err = plans.push(&net, 0, &[LinkId(0), LinkId(7)]).unwrap_err().to_string();
        assert!(err.starts_with("trip 1: route position 1: link 7 does not exist"), "{err}");
        let err = plans.push(&net, 0, &[LinkId(0), LinkId(1), LinkId(1)]).unwrap_err().to_string();
        assert!(err.starts_with("trip 1: route position 2: link 1 starts at node 1"), "{err}");
        assert!(err.contains("previous link 1 ends at node 2"), "{err}");
        assert_eq!(plans.len(), 1, "rejected trips are not stored");
    }
}
