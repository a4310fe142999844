//! The car graph's customizable contraction hierarchy and its live metrics.
//!
//! The hierarchy (the node order and the chordal graph) depends only on the road
//! network, so it is built once, in the background, while car queries run on
//! Dijkstra. A *metric* is the hierarchy customized with one snapshot of the live
//! segment costs at one value of time. A query first checks the live state's
//! generation: when the state changed since the metric it would use, the segment
//! costs are read again and, if they differ, the hierarchy is re-customized
//! (tens of milliseconds for a city) before the query runs, so a query never
//! plans on stale speeds or prices. A few recent metrics are kept, one per value
//! of time.

use omnibus_cch::{Cch, Metric, Searcher};
use omnibus_core::City;
use omnibus_core::geo_util::LocalProjection;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tracing::{debug, info};

/// How many customized metrics (distinct values of time) are kept.
pub const METRICS_KEPT: usize = 4;

/// One segment's travel time and price, and its weight in the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SegmentCost {
    /// Live travel time, seconds.
    pub time: f64,
    /// Current price, cents.
    pub toll: i64,
}

/// The search weight of a segment, in milliseconds of generalized cost: its time
/// plus its toll converted at `vot` cents an hour. Both the hierarchy and the
/// Dijkstra fallback search on these integers, so they agree on every cost.
pub(crate) fn weight(cost: SegmentCost, vot: i64) -> u32 {
    let time_ms = (cost.time * 1000.0).round();
    let toll_ms = cost.toll.max(0) as f64 * 3_600_000.0 / vot.max(1) as f64;
    (time_ms + toll_ms.round()).clamp(0.0, f64::from(u32::MAX - 1)) as u32
}

/// A customization of the hierarchy: the costs it was made from and the metric.
#[derive(Debug)]
pub(crate) struct CarMetric {
    /// The live state's generation when the costs were read.
    generation: u64,
    /// Value of time, cents an hour.
    vot: i64,
    /// Every segment's cost, as read.
    pub costs: Vec<SegmentCost>,
    /// The hierarchy customized with `weight(costs, vot)` (shared between
    /// generations whose costs are equal).
    pub metric: Arc<Metric>,
}

/// The hierarchy of one city's road network and its recent metrics.
#[derive(Debug)]
pub struct CarHierarchy {
    cch: Cch,
    /// Most recently used first.
    metrics: Mutex<Vec<Arc<CarMetric>>>,
    /// Held while customizing, so concurrent queries customize once.
    customizing: Mutex<()>,
}

impl CarHierarchy {
    /// Preprocesses `city`'s road network: segments are the arcs, in index order.
    pub fn build(city: &City) -> CarHierarchy {
        let started = Instant::now();
        let network = &city.network;
        let projection = LocalProjection::new(network.bounds().center());
        let coords: Vec<(f64, f64)> = network
            .nodes()
            .iter()
            .map(|n| {
                let [x, y] = projection.project(n.pos);
                (x, y)
            })
            .collect();
        let arcs: Vec<(u32, u32)> = network.segments().iter().map(|s| (s.from.0, s.to.0)).collect();
        let cch = Cch::new(coords.len(), &arcs, &coords);
        info!(
            city = %city.name,
            nodes = cch.num_nodes(),
            arcs = cch.num_arcs(),
            shortcut_edges = cch.num_shortcut_edges(),
            seconds = started.elapsed().as_secs_f64(),
            "Car hierarchy built."
        );
        CarHierarchy { cch, metrics: Mutex::new(Vec::new()), customizing: Mutex::new(()) }
    }

    /// The hierarchy itself.
    pub fn cch(&self) -> &Cch {
        &self.cch
    }

    /// A metric for value of time `vot` no older than the live state's
    /// `generation`: a kept one if its generation matches or its costs equal
    /// `read_costs()`, else a new customization.
    pub(crate) fn metric(
        &self,
        vot: i64,
        generation: u64,
        read_costs: impl FnOnce() -> Vec<SegmentCost>,
    ) -> Arc<CarMetric> {
        if let Some(m) = self.kept(vot, generation) {
            return m;
        }
        let _customizing = self.customizing.lock().unwrap_or_else(|e| e.into_inner());
        // Another query may have customized while this one waited.
        if let Some(m) = self.kept(vot, generation) {
            return m;
        }
        let costs = read_costs();
        let previous =
            self.metrics.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|m| m.vot == vot).cloned();
        let metric = match previous {
            // The state changed, but not the car costs (a parking or bike update).
            Some(p) if p.costs == costs => {
                Arc::new(CarMetric { generation, vot, costs, metric: Arc::clone(&p.metric) })
            }
            _ => {
                let started = Instant::now();
                let weights: Vec<u32> = costs.iter().map(|&c| weight(c, vot)).collect();
                let metric = Arc::new(self.cch.customize(&weights));
                debug!(
                    vot,
                    generation,
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    "Car hierarchy customized."
                );
                Arc::new(CarMetric { generation, vot, costs, metric })
            }
        };
        let mut kept = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|m| m.vot != vot);
        kept.insert(0, metric.clone());
        kept.truncate(METRICS_KEPT);
        metric
    }

    /// The kept metric for `vot` at `generation`, moved to the front.
    fn kept(&self, vot: i64, generation: u64) -> Option<Arc<CarMetric>> {
        let mut kept = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        let i = kept.iter().position(|m| m.vot == vot && m.generation == generation)?;
        let m = kept.remove(i);
        kept.insert(0, m.clone());
        Some(m)
    }

    /// The cheapest path from node `from` to node `to` under `metric`: its
    /// weight and segment indices, or `None` when unreachable.
    pub(crate) fn route(&self, metric: &CarMetric, from: u32, to: u32) -> Option<(u64, Vec<u32>)> {
        thread_local! {
            static SEARCHER: RefCell<Option<Searcher>> = const { RefCell::new(None) };
        }
        SEARCHER.with_borrow_mut(|searcher| {
            let searcher = match searcher {
                Some(s) if s.num_nodes() == self.cch.num_nodes() => s,
                other => other.insert(Searcher::new(self.cch.num_nodes())),
            };
            searcher.run(&self.cch, &metric.metric, from, to)
        })
    }
}

/// A hierarchy that is built once, possibly on a background thread; queries use
/// Dijkstra until it is ready. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct LazyHierarchy(Arc<OnceLock<CarHierarchy>>);

impl LazyHierarchy {
    /// No hierarchy: every query runs Dijkstra.
    pub fn none() -> LazyHierarchy {
        LazyHierarchy::default()
    }

    /// Builds the hierarchy of `city` now.
    pub fn build_now(city: &City) -> LazyHierarchy {
        let lazy = LazyHierarchy::default();
        let _ = lazy.0.set(CarHierarchy::build(city));
        lazy
    }

    /// Starts building the hierarchy of `city` on a thread of its own.
    pub fn build_in_background(city: Arc<City>) -> LazyHierarchy {
        let lazy = LazyHierarchy::default();
        let cell = lazy.0.clone();
        let spawned = std::thread::Builder::new().name("car-hierarchy".into()).spawn(move || {
            let _ = cell.set(CarHierarchy::build(&city));
        });
        if let Err(error) = spawned {
            tracing::warn!(%error, "Car hierarchy thread not started; car queries stay on Dijkstra.");
        }
        lazy
    }

    /// The hierarchy, once built.
    pub fn get(&self) -> Option<&CarHierarchy> {
        self.0.get()
    }
}
