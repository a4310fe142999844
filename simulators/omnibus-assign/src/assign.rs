//! Equilibrium algorithms: Frank–Wolfe (link-based baseline) and path-based gradient projection
//! with column generation (Jayakrishnan et al., 1994), plus the relative gap.
//!
//! Relative gap = (total system cost − Σ_od demand × shortest path cost) / total system cost, where
//! the costs are those the mode equalises (generalized cost for UE, marginal cost for SO).

use std::time::{Duration, Instant};

use crate::demand::Demand;
use crate::network::{CostMode, LinkId, Network, NodeId};
use crate::shortest::ShortestPathTree;

/// Stopping rules and the cost being equalised.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssignOptions {
    pub mode: CostMode,
    /// Stop once the relative gap is at most this.
    pub target_gap: f64,
    /// Stop after this many iterations (Frank–Wolfe steps, or gradient-projection rounds of
    /// shortest-path trees and passes over the path sets).
    pub max_iterations: usize,
    /// Stop once this much wall time has passed (makes the result timing-dependent).
    pub time_limit: Option<Duration>,
    /// Gradient projection only: passes over the path sets per round of shortest-path trees.
    pub inner_passes: usize,
}

impl Default for AssignOptions {
    fn default() -> Self {
        AssignOptions {
            mode: CostMode::UserEquilibrium,
            target_gap: 1e-4,
            max_iterations: 1000,
            time_limit: None,
            inner_passes: 10,
        }
    }
}

/// The relative gap after one iteration.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IterationRecord {
    pub iteration: usize,
    pub relative_gap: f64,
    /// The convex objective the mode minimises ([`Network::objective`]).
    pub objective: f64,
    /// Wall time since the algorithm started.
    pub seconds: f64,
}

/// Link flows found by an algorithm and how far it converged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Assignment {
    pub mode: CostMode,
    /// Flow on each link, indexed like [`Network::links`].
    pub link_flows: Vec<f64>,
    pub relative_gap: f64,
    pub iterations: usize,
    /// Whether the target gap was reached.
    pub converged: bool,
    /// Relative gap after each iteration (iteration 0: the initial loading).
    pub history: Vec<IterationRecord>,
}

/// Flow on one path of an OD pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PathFlow {
    pub links: Vec<LinkId>,
    pub flow: f64,
}

/// The paths used by one OD pair.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OdPaths {
    pub origin: NodeId,
    pub destination: NodeId,
    pub demand: f64,
    pub paths: Vec<PathFlow>,
}

/// A path-based solution: link flows plus the path flows that make them up.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PathAssignment {
    pub assignment: Assignment,
    /// OD pairs grouped by origin, in increasing (origin, destination) order.
    pub od_paths: Vec<OdPaths>,
}

/// Why an assignment could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssignError {
    #[error("demand mentions {node}, but the network has {num_nodes} nodes")]
    NodeOutOfRange { node: NodeId, num_nodes: usize },
    #[error("{destination} cannot be reached from {origin} (demand {demand})")]
    Unreachable { origin: NodeId, destination: NodeId, demand: f64 },
    #[error("{got} link flows given for a network of {expected} links")]
    FlowCount { got: usize, expected: usize },
    #[error("invalid options: {0}")]
    BadOptions(&'static str),
}

fn check_inputs(net: &Network, demand: &Demand, opts: &AssignOptions) -> Result<(), AssignError> {
    if let Some(node) = demand.max_node()
        && node.index() >= net.num_nodes()
    {
        return Err(AssignError::NodeOutOfRange { node, num_nodes: net.num_nodes() });
    }
    if !(opts.target_gap.is_finite() && opts.target_gap >= 0.0) {
        return Err(AssignError::BadOptions("target_gap must be finite and non-negative"));
    }
    Ok(())
}

/// Link costs the mode equalises, at the given flows.
pub fn link_costs(net: &Network, flows: &[f64], mode: CostMode) -> Result<Vec<f64>, AssignError> {
    check_flows(net, flows)?;
    let mut costs = Vec::with_capacity(flows.len());
    net.costs_into(flows, mode, &mut costs);
    Ok(costs)
}

fn check_flows(net: &Network, flows: &[f64]) -> Result<(), AssignError> {
    if flows.len() != net.num_links() {
        return Err(AssignError::FlowCount { got: flows.len(), expected: net.num_links() });
    }
    Ok(())
}

/// Loads every OD pair on its shortest path for `costs`, writing link flows into `aux`;
/// returns `Σ demand × shortest path cost`.
fn all_or_nothing(
    net: &Network,
    demand: &Demand,
    costs: &[f64],
    tree: &mut ShortestPathTree,
    node_load: &mut [f64],
    aux: Option<&mut [f64]>,
) -> Result<f64, AssignError> {
    let mut aux = aux;
    if let Some(aux) = aux.as_deref_mut() {
        aux.fill(0.0);
    }
    let mut shortest_total = 0.0;
    for od in demand.origins() {
        tree.run(net, costs, od.origin);
        for &(dest, flow) in &od.destinations {
            let dist = tree.dist(dest);
            if !dist.is_finite() {
                return Err(AssignError::Unreachable { origin: od.origin, destination: dest, demand: flow });
            }
            shortest_total += flow * dist;
            node_load[dest.index()] += flow;
        }
        // Push loads down the tree, farthest nodes first.
        for &v in tree.settle_order().iter().rev() {
            let load = std::mem::take(&mut node_load[v as usize]);
            if load == 0.0 {
                continue;
            }
            let link = tree.pred_raw(v);
            if link == u32::MAX {
                continue;
            }
            if let Some(aux) = aux.as_deref_mut() {
                aux[link as usize] += load;
            }
            node_load[net.tail(link) as usize] += load;
        }
    }
    Ok(shortest_total)
}

/// The relative gap of `flows` for the mode's costs.
pub fn relative_gap(
    net: &Network,
    demand: &Demand,
    flows: &[f64],
    mode: CostMode,
) -> Result<f64, AssignError> {
    check_flows(net, flows)?;
    let mut costs = Vec::new();
    net.costs_into(flows, mode, &mut costs);
    let mut tree = ShortestPathTree::new(net.num_nodes());
    let mut node_load = vec![0.0; net.num_nodes()];
    let shortest = all_or_nothing(net, demand, &costs, &mut tree, &mut node_load, None)?;
    Ok(gap_from(dot(flows, &costs), shortest))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn gap_from(total: f64, shortest: f64) -> f64 {
    if total > 0.0 { ((total - shortest) / total).max(0.0) } else { 0.0 }
}

fn out_of_time(start: Instant, opts: &AssignOptions) -> bool {
    opts.time_limit.is_some_and(|limit| start.elapsed() >= limit)
}

/// Frank–Wolfe: all-or-nothing directions with an exact (bisection) line search on the
/// convex objective of the mode.
pub fn frank_wolfe(net: &Network, demand: &Demand, opts: &AssignOptions) -> Result<Assignment, AssignError> {
    check_inputs(net, demand, opts)?;
    let start = Instant::now();
    let m = net.num_links();
    let mut tree = ShortestPathTree::new(net.num_nodes());
    let mut node_load = vec![0.0; net.num_nodes()];
    let mut costs = Vec::with_capacity(m);
    let mut x = vec![0.0; m];
    let mut y = vec![0.0; m];
    net.costs_into(&x, opts.mode, &mut costs);
    all_or_nothing(net, demand, &costs, &mut tree, &mut node_load, Some(&mut x))?;

    let mut history = Vec::new();
    let mut iteration = 0;
    loop {
        net.costs_into(&x, opts.mode, &mut costs);
        let shortest = all_or_nothing(net, demand, &costs, &mut tree, &mut node_load, Some(&mut y))?;
        let gap = gap_from(dot(&x, &costs), shortest);
        history.push(IterationRecord {
            iteration,
            relative_gap: gap,
            objective: net.objective(&x, opts.mode),
            seconds: start.elapsed().as_secs_f64(),
        });
        let converged = gap <= opts.target_gap;
        if converged || iteration >= opts.max_iterations || out_of_time(start, opts) {
            return Ok(Assignment {
                mode: opts.mode,
                link_flows: x,
                relative_gap: gap,
                iterations: iteration,
                converged,
                history,
            });
        }
        let alpha = line_search(net, opts.mode, &x, &y);
        for (xa, ya) in x.iter_mut().zip(&y) {
            *xa += alpha * (ya - *xa);
        }
        iteration += 1;
    }
}

/// Step in `[0, 1]` minimising the objective along `x + a (y - x)`: bisection on its derivative.
fn line_search(net: &Network, mode: CostMode, x: &[f64], y: &[f64]) -> f64 {
    let slope = |alpha: f64| -> f64 {
        x.iter()
            .zip(y)
            .enumerate()
            .map(|(a, (&xa, &ya))| {
                let d = ya - xa;
                if d == 0.0 { 0.0 } else { d * net.cost(LinkId(a as u32), xa + alpha * d, mode) }
            })
            .sum()
    };
    if slope(0.0) >= 0.0 {
        return 0.0;
    }
    if slope(1.0) <= 0.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if slope(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[derive(Debug, Clone)]
struct Path {
    links: Vec<u32>,
    flow: f64,
}

#[derive(Debug, Clone)]
struct Od {
    dest: NodeId,
    demand: f64,
    paths: Vec<Path>,
}

/// Mutable link state of the gradient-projection solver.
struct LinkState<'a> {
    net: &'a Network,
    mode: CostMode,
    flow: Vec<f64>,
    cost: Vec<f64>,
    deriv: Vec<f64>,
    mark: Vec<u32>,
    stamp: u32,
}

impl LinkState<'_> {
    #[inline]
    fn refresh(&mut self, a: u32) {
        let (link, x) = (LinkId(a), self.flow[a as usize]);
        self.cost[a as usize] = self.net.cost(link, x, self.mode);
        self.deriv[a as usize] = self.net.cost_derivative(link, x, self.mode);
    }

    fn refresh_all(&mut self) {
        for a in 0..self.flow.len() as u32 {
            self.refresh(a);
        }
    }

    fn path_cost(&self, links: &[u32]) -> f64 {
        links.iter().map(|&a| self.cost[a as usize]).sum()
    }

    fn shift(&mut self, links: &[u32], delta: f64) {
        for &a in links {
            self.flow[a as usize] += delta;
        }
        for &a in links {
            self.refresh(a);
        }
    }

    fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.fill(0);
            self.stamp = 1;
        }
        self.stamp
    }

    /// Moves flow of each costlier path of `od` towards its cheapest path by a projected Newton
    /// step. Paths left without flow stay in the set (see [`gradient_projection`]).
    fn equilibrate(&mut self, od: &mut Od) {
        if od.paths.len() < 2 {
            return;
        }
        let mut best = 0;
        let mut best_cost = f64::INFINITY;
        for (i, p) in od.paths.iter().enumerate() {
            let c = self.path_cost(&p.links);
            if c < best_cost {
                best = i;
                best_cost = c;
            }
        }
        // Nothing to move when the cheapest path already carries all the flow.
        if od.paths.iter().enumerate().all(|(i, p)| i == best || p.flow == 0.0) {
            return;
        }
        let stamp = self.next_stamp();
        for &a in &od.paths[best].links {
            self.mark[a as usize] = stamp;
        }
        let basic = std::mem::take(&mut od.paths[best].links);
        let tiny = od.demand * 1e-13;
        for i in 0..od.paths.len() {
            if i == best {
                continue;
            }
            let (mut cost_p, mut deriv_p, mut deriv_common) = (0.0, 0.0, 0.0);
            for &a in &od.paths[i].links {
                cost_p += self.cost[a as usize];
                deriv_p += self.deriv[a as usize];
                if self.mark[a as usize] == stamp {
                    deriv_common += self.deriv[a as usize];
                }
            }
            let (mut cost_s, mut deriv_s) = (0.0, 0.0);
            for &a in &basic {
                cost_s += self.cost[a as usize];
                deriv_s += self.deriv[a as usize];
            }
            let excess = cost_p - cost_s;
            let flow = od.paths[i].flow;
            if excess <= 0.0 && flow > tiny {
                continue;
            }
            let curvature = deriv_p + deriv_s - 2.0 * deriv_common;
            let delta = if flow <= tiny || curvature <= 0.0 || excess >= flow * curvature {
                flow
            } else {
                excess / curvature
            };
            if delta <= 0.0 {
                continue;
            }
            let links = std::mem::take(&mut od.paths[i].links);
            self.shift(&links, -delta);
            self.shift(&basic, delta);
            od.paths[i].links = links;
            od.paths[i].flow = if delta >= flow { 0.0 } else { flow - delta };
            od.paths[best].flow += delta;
        }
        od.paths[best].links = basic;
    }
}

/// Path-based gradient projection with column generation (Jayakrishnan et al., 1994).
///
/// Each OD pair keeps the set of paths it uses. The first pass loads every pair on its shortest
/// path, origin by origin with costs updated as it goes. Every iteration then
/// 1. rebuilds the link flows from the path flows (no drift) and their costs,
/// 2. runs one shortest-path tree per origin at those costs: this gives the exact relative gap of
///    the current flows and each pair's shortest path, added to its set if new,
/// 3. makes [`AssignOptions::inner_passes`] passes over all pairs, each shifting flow from every
///    costlier path to the pair's cheapest one by a projected Newton step
///    `min(f_p, (c_p - c_s) / sum of dc/dx over the links not shared)`, updating link costs as it
///    goes; paths left without flow are dropped after the last pass.
///
/// A round of shortest-path trees costs more than a pass over the path sets, so several passes
/// per round pay off (10 by default: on Chicago Sketch 5 rounds reach gap 1e-4 and 10 reach
/// 1e-8).
pub fn gradient_projection(
    net: &Network,
    demand: &Demand,
    opts: &AssignOptions,
) -> Result<PathAssignment, AssignError> {
    check_inputs(net, demand, opts)?;
    let start = Instant::now();
    let m = net.num_links();
    let mut tree = ShortestPathTree::new(net.num_nodes());
    let mut state = LinkState {
        net,
        mode: opts.mode,
        flow: vec![0.0; m],
        cost: vec![0.0; m],
        deriv: vec![0.0; m],
        mark: vec![0; m],
        stamp: 0,
    };
    state.refresh_all();
    let mut ods: Vec<Vec<Od>> = demand
        .origins()
        .iter()
        .map(|o| {
            o.destinations.iter().map(|&(dest, demand)| Od { dest, demand, paths: Vec::new() }).collect()
        })
        .collect();
    let mut sp = Vec::new();
    let unreachable = |origin: NodeId, od: &Od| AssignError::Unreachable {
        origin,
        destination: od.dest,
        demand: od.demand,
    };

    // Initial loading: each pair on its shortest path, costs updated after every pair.
    for (origin, origin_ods) in demand.origins().iter().zip(ods.iter_mut()) {
        tree.run(net, &state.cost, origin.origin);
        for od in origin_ods.iter_mut() {
            if !tree.path_to(net, od.dest, &mut sp) {
                return Err(unreachable(origin.origin, od));
            }
            state.shift(&sp, od.demand);
            od.paths.push(Path { links: sp.clone(), flow: od.demand });
        }
    }

    let mut history = Vec::new();
    let mut iteration = 0;
    loop {
        state.flow.fill(0.0);
        for p in ods.iter().flatten().flat_map(|od| &od.paths) {
            for &a in &p.links {
                state.flow[a as usize] += p.flow;
            }
        }
        state.refresh_all();

        let mut shortest = 0.0;
        for (origin, origin_ods) in demand.origins().iter().zip(ods.iter_mut()) {
            tree.run(net, &state.cost, origin.origin);
            for od in origin_ods.iter_mut() {
                if !tree.path_to(net, od.dest, &mut sp) {
                    return Err(unreachable(origin.origin, od));
                }
                shortest += od.demand * tree.dist(od.dest);
                if !od.paths.iter().any(|p| p.links == sp) {
                    od.paths.push(Path { links: sp.clone(), flow: 0.0 });
                }
            }
        }
        let gap = gap_from(dot(&state.flow, &state.cost), shortest);
        history.push(IterationRecord {
            iteration,
            relative_gap: gap,
            objective: net.objective(&state.flow, opts.mode),
            seconds: start.elapsed().as_secs_f64(),
        });
        let converged = gap <= opts.target_gap;
        if converged || iteration >= opts.max_iterations || out_of_time(start, opts) {
            let od_paths = demand
                .origins()
                .iter()
                .zip(ods)
                .flat_map(|(o, ods)| {
                    ods.into_iter().map(move |od| OdPaths {
                        origin: o.origin,
                        destination: od.dest,
                        demand: od.demand,
                        paths: od
                            .paths
                            .into_iter()
                            .filter(|p| p.flow > 0.0)
                            .map(|p| PathFlow {
                                links: p.links.into_iter().map(LinkId).collect(),
                                flow: p.flow,
                            })
                            .collect(),
                    })
                })
                .collect();
            let assignment = Assignment {
                mode: opts.mode,
                link_flows: state.flow,
                relative_gap: gap,
                iterations: iteration,
                converged,
                history,
            };
            return Ok(PathAssignment { assignment, od_paths });
        }
        iteration += 1;
        for _ in 0..opts.inner_passes.max(1) {
            for od in ods.iter_mut().flatten() {
                state.equilibrate(od);
            }
        }
        // Paths without flow are dropped only now: a column generated at this round's costs may
        // look costly in the first pass, while another pair's overshoot is being corrected, and
        // become worth using a few passes later.
        for od in ods.iter_mut().flatten() {
            od.paths.retain(|p| p.flow > 0.0);
        }
    }
}

/// Sum of link costs along a path.
pub fn path_cost(costs: &[f64], links: &[LinkId]) -> f64 {
    links.iter().map(|a| costs[a.index()]).sum()
}
