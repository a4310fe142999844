//! Road network for static assignment: directed links with BPR volume-delay functions, tolls and a
//! forward-star (CSR) adjacency used by the shortest-path searches.

use std::fmt;

/// Index of a node, 0-based. TNTP files number nodes from 1: see [`NodeId::from_tntp`] and
/// [`NodeId::tntp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The node numbered `number` in a TNTP file (1-based); `None` for 0.
    pub fn from_tntp(number: u32) -> Option<Self> {
        number.checked_sub(1).map(NodeId)
    }

    /// The 1-based TNTP number of this node.
    pub fn tntp(self) -> u32 {
        self.0 + 1
    }

    /// The node as a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.tntp())
    }
}

/// Index of a link in [`Network::links`], 0-based (the order of the network file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct LinkId(pub u32);

impl LinkId {
    /// The link as a vector index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "link #{}", self.0)
    }
}

/// Which cost the assignment equalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum CostMode {
    /// Wardrop user equilibrium: every used path has the least generalized cost `t(x) + fixed`.
    #[default]
    UserEquilibrium,
    /// System optimum: paths are equalised on the marginal cost `t(x) + x t'(x) + fixed`, which
    /// minimises the total travel time `sum x t(x)` (plus the fixed toll and distance terms).
    SystemOptimum,
}

/// Weights turning tolls and lengths into time, added to the travel time of each link:
/// `generalized cost = t(x) + toll_factor * toll + distance_factor * length`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CostWeights {
    /// Time units per minor money unit (cent) of toll: `1 / value of time`.
    pub toll_factor: f64,
    /// Time units per length unit.
    pub distance_factor: f64,
}

impl Default for CostWeights {
    fn default() -> Self {
        CostWeights { toll_factor: 0.0, distance_factor: 0.0 }
    }
}

impl CostWeights {
    /// Weights for a value of time in cents per time unit (tolls only, no distance term).
    pub fn from_value_of_time(cents_per_time_unit: f64) -> Result<Self, NetworkError> {
        if !(cents_per_time_unit.is_finite() && cents_per_time_unit > 0.0) {
            return Err(NetworkError::BadValueOfTime(cents_per_time_unit));
        }
        Ok(CostWeights { toll_factor: 1.0 / cents_per_time_unit, distance_factor: 0.0 })
    }
}

/// A directed link with a BPR volume-delay function
/// `t(x) = free_flow_time * (1 + b * (x / capacity)^power)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub from: NodeId,
    pub to: NodeId,
    pub capacity: f64,
    pub length: f64,
    pub free_flow_time: f64,
    pub b: f64,
    pub power: f64,
    /// Toll in minor money units (cents), converted to time by [`CostWeights::toll_factor`].
    pub toll: i64,
    pub link_type: i32,
}

impl Link {
    /// A BPR link with no toll, zero length and link type 1.
    pub fn bpr(from: NodeId, to: NodeId, free_flow_time: f64, capacity: f64, b: f64, power: f64) -> Self {
        Link { from, to, capacity, length: 0.0, free_flow_time, b, power, toll: 0, link_type: 1 }
    }
}

/// Why a network (or its parameters) was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    #[error("{link}: {field} is {value}, but {requirement}")]
    BadLinkField { link: LinkId, field: &'static str, value: f64, requirement: &'static str },
    #[error("{link}: {end} node {node} is not in 1..={num_nodes}")]
    NodeOutOfRange { link: LinkId, end: &'static str, node: u32, num_nodes: usize },
    #[error("first thru node {0} is not in 1..={1} (one past the last node is allowed)")]
    BadFirstThruNode(u32, usize),
    #[error("value of time {0} must be a positive finite number of cents per time unit")]
    BadValueOfTime(f64),
    #[error("cost weights must be finite and non-negative, got toll factor {0} and distance factor {1}")]
    BadWeights(f64, f64),
    #[error("{0} tolls given for {1} links")]
    TollCount(usize, usize),
    #[error(
        "{link}: fixed cost {cost} (toll and distance terms) is negative; shortest paths need non-negative costs"
    )]
    NegativeFixedCost { link: LinkId, cost: f64 },
    #[error("too many nodes or links ({0}) for 32-bit indices")]
    TooLarge(usize),
}

/// The BPR function of one link in the form `t0 + coef * x^power`, with the fixed cost
/// (toll and distance terms) kept apart.
#[derive(Debug, Clone, Copy)]
struct Bpr {
    t0: f64,
    coef: f64,
    power: f64,
    /// `power` when it is a small non-negative integer, so `powi` can be used.
    int_power: Option<i32>,
    fixed: f64,
}

impl Bpr {
    fn new(link: &Link, weights: CostWeights) -> Self {
        let coef = if link.b == 0.0 || link.free_flow_time == 0.0 {
            0.0
        } else {
            link.free_flow_time * link.b / link.capacity.powf(link.power)
        };
        let int_power =
            (link.power.fract() == 0.0 && (0.0..=32.0).contains(&link.power)).then_some(link.power as i32);
        // Tolls are integers of cents; the conversion to f64 is exact for any realistic toll.
        let fixed = weights.toll_factor * link.toll as f64 + weights.distance_factor * link.length;
        Bpr { t0: link.free_flow_time, coef, power: link.power, int_power, fixed }
    }

    /// `x^power` for `x >= 0` (negative rounding noise is clamped to 0).
    #[inline]
    fn pow(&self, x: f64, exponent_offset: i32) -> f64 {
        let x = x.max(0.0);
        match self.int_power {
            Some(p) => x.powi(p + exponent_offset),
            None => x.powf(self.power + f64::from(exponent_offset)),
        }
    }

    #[inline]
    fn time(&self, x: f64) -> f64 {
        if self.coef == 0.0 { self.t0 } else { self.t0 + self.coef * self.pow(x, 0) }
    }

    #[inline]
    fn time_derivative(&self, x: f64) -> f64 {
        if self.coef == 0.0 || self.power == 0.0 {
            0.0
        } else if self.power == 1.0 {
            self.coef
        } else {
            self.power * self.coef * self.pow(x, -1)
        }
    }

    #[inline]
    fn cost(&self, x: f64, mode: CostMode) -> f64 {
        match mode {
            CostMode::UserEquilibrium => self.time(x) + self.fixed,
            CostMode::SystemOptimum => {
                if self.coef == 0.0 {
                    self.t0 + self.fixed
                } else {
                    self.t0 + (1.0 + self.power) * self.coef * self.pow(x, 0) + self.fixed
                }
            }
        }
    }

    #[inline]
    fn cost_derivative(&self, x: f64, mode: CostMode) -> f64 {
        match mode {
            CostMode::UserEquilibrium => self.time_derivative(x),
            CostMode::SystemOptimum => (1.0 + self.power) * self.time_derivative(x),
        }
    }

    /// `integral_0^x cost(s) ds` for the given mode (the objective's term for this link).
    fn objective(&self, x: f64, mode: CostMode) -> f64 {
        let x = x.max(0.0);
        let variable = match mode {
            CostMode::UserEquilibrium => self.coef * self.pow(x, 1) / (self.power + 1.0),
            CostMode::SystemOptimum => self.coef * self.pow(x, 1),
        };
        (self.t0 + self.fixed) * x + if self.coef == 0.0 { 0.0 } else { variable }
    }
}

/// A directed road network with BPR links, tolls, cost weights and the first-thru-node rule.
///
/// Nodes numbered below the first thru node are zones (centroids) that paths may start or end at
/// but never pass through.
#[derive(Debug, Clone)]
pub struct Network {
    num_nodes: usize,
    first_thru: u32,
    links: Vec<Link>,
    weights: CostWeights,
    bpr: Vec<Bpr>,
    first_out: Vec<u32>,
    out_links: Vec<u32>,
    /// Head node of each entry of `out_links`.
    out_heads: Vec<u32>,
    /// Tail node of each link.
    tails: Vec<u32>,
}

impl Network {
    /// Builds a network of `num_nodes` nodes (ids `0..num_nodes`). `first_thru_node` is the first
    /// node that paths may pass through (`NodeId(0)`: all of them).
    pub fn new(num_nodes: usize, first_thru_node: NodeId, links: Vec<Link>) -> Result<Self, NetworkError> {
        if num_nodes >= u32::MAX as usize {
            return Err(NetworkError::TooLarge(num_nodes));
        }
        if links.len() >= u32::MAX as usize {
            return Err(NetworkError::TooLarge(links.len()));
        }
        for (i, link) in links.iter().enumerate() {
            validate_link(LinkId(i as u32), link, num_nodes)?;
        }
        let mut degree = vec![0u32; num_nodes + 1];
        for link in &links {
            degree[link.from.index() + 1] += 1;
        }
        for i in 0..num_nodes {
            degree[i + 1] += degree[i];
        }
        let first_out = degree;
        let mut next = first_out.clone();
        let mut out_links = vec![0u32; links.len()];
        let mut out_heads = vec![0u32; links.len()];
        for (i, link) in links.iter().enumerate() {
            let slot = &mut next[link.from.index()];
            out_links[*slot as usize] = i as u32;
            out_heads[*slot as usize] = link.to.0;
            *slot += 1;
        }
        let weights = CostWeights::default();
        let bpr = links.iter().map(|l| Bpr::new(l, weights)).collect();
        let tails = links.iter().map(|l| l.from.0).collect();
        let mut net =
            Network { num_nodes, first_thru: 0, links, weights, bpr, first_out, out_links, out_heads, tails };
        net.set_first_thru_node(first_thru_node)?;
        Ok(net)
    }

    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    pub fn num_links(&self) -> usize {
        self.links.len()
    }

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn link(&self, id: LinkId) -> &Link {
        &self.links[id.index()]
    }

    /// The first node paths may pass through.
    pub fn first_thru_node(&self) -> NodeId {
        NodeId(self.first_thru)
    }

    /// Whether paths may pass through `node` (rather than only start or end there).
    #[inline]
    pub fn is_thru(&self, node: NodeId) -> bool {
        node.0 >= self.first_thru
    }

    /// Sets the first node that paths may pass through; `NodeId(num_nodes)` forbids all.
    pub fn set_first_thru_node(&mut self, node: NodeId) -> Result<(), NetworkError> {
        if node.index() > self.num_nodes {
            return Err(NetworkError::BadFirstThruNode(node.tntp(), self.num_nodes));
        }
        self.first_thru = node.0;
        Ok(())
    }

    pub fn weights(&self) -> CostWeights {
        self.weights
    }

    /// Sets the toll and distance weights of the generalized cost.
    pub fn set_weights(&mut self, weights: CostWeights) -> Result<(), NetworkError> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !ok(weights.toll_factor) || !ok(weights.distance_factor) {
            return Err(NetworkError::BadWeights(weights.toll_factor, weights.distance_factor));
        }
        let old = self.weights;
        self.weights = weights;
        if let Err(e) = self.rebuild_costs() {
            self.weights = old;
            self.rebuild_costs()?;
            return Err(e);
        }
        Ok(())
    }

    /// Current tolls (minor money units), one per link.
    pub fn tolls(&self) -> Vec<i64> {
        self.links.iter().map(|l| l.toll).collect()
    }

    /// Replaces every link's toll (minor money units, e.g. cents).
    pub fn set_tolls(&mut self, tolls: &[i64]) -> Result<(), NetworkError> {
        if tolls.len() != self.links.len() {
            return Err(NetworkError::TollCount(tolls.len(), self.links.len()));
        }
        let old = self.tolls();
        for (link, &toll) in self.links.iter_mut().zip(tolls) {
            link.toll = toll;
        }
        if let Err(e) = self.rebuild_costs() {
            for (link, &toll) in self.links.iter_mut().zip(&old) {
                link.toll = toll;
            }
            self.rebuild_costs()?;
            return Err(e);
        }
        Ok(())
    }

    fn rebuild_costs(&mut self) -> Result<(), NetworkError> {
        let bpr: Vec<Bpr> = self.links.iter().map(|l| Bpr::new(l, self.weights)).collect();
        if let Some((i, b)) = bpr.iter().enumerate().find(|(_, b)| b.fixed < 0.0 || !b.fixed.is_finite()) {
            return Err(NetworkError::NegativeFixedCost { link: LinkId(i as u32), cost: b.fixed });
        }
        self.bpr = bpr;
        Ok(())
    }

    /// Links leaving `node`, in file order.
    #[inline]
    pub fn out_links(&self, node: NodeId) -> impl Iterator<Item = LinkId> + '_ {
        let (lo, hi) = (self.first_out[node.index()] as usize, self.first_out[node.index() + 1] as usize);
        self.out_links[lo..hi].iter().map(|&l| LinkId(l))
    }

    /// Links leaving `node` and their head nodes.
    #[inline]
    pub(crate) fn out_range(&self, node: u32) -> (&[u32], &[u32]) {
        let (lo, hi) = (self.first_out[node as usize] as usize, self.first_out[node as usize + 1] as usize);
        (&self.out_links[lo..hi], &self.out_heads[lo..hi])
    }

    /// Tail node of a link.
    #[inline]
    pub(crate) fn tail(&self, link: u32) -> u32 {
        self.tails[link as usize]
    }

    /// BPR travel time `t(x)` of a link (time only: no toll or distance term).
    #[inline]
    pub fn travel_time(&self, link: LinkId, flow: f64) -> f64 {
        self.bpr[link.index()].time(flow)
    }

    /// `dt/dx` of a link at `flow`.
    #[inline]
    pub fn travel_time_derivative(&self, link: LinkId, flow: f64) -> f64 {
        self.bpr[link.index()].time_derivative(flow)
    }

    /// Toll and distance terms of the generalized cost of a link (constant in the flow).
    #[inline]
    pub fn fixed_cost(&self, link: LinkId) -> f64 {
        self.bpr[link.index()].fixed
    }

    /// The cost a mode equalises: generalized cost (UE) or marginal generalized cost (SO).
    #[inline]
    pub fn cost(&self, link: LinkId, flow: f64, mode: CostMode) -> f64 {
        self.bpr[link.index()].cost(flow, mode)
    }

    /// Derivative of [`Network::cost`] with respect to the link flow.
    #[inline]
    pub fn cost_derivative(&self, link: LinkId, flow: f64, mode: CostMode) -> f64 {
        self.bpr[link.index()].cost_derivative(flow, mode)
    }

    /// Fills `costs` with the cost of every link at `flows`.
    pub fn costs_into(&self, flows: &[f64], mode: CostMode, costs: &mut Vec<f64>) {
        costs.clear();
        costs.extend(self.bpr.iter().zip(flows).map(|(b, &x)| b.cost(x, mode)));
    }

    /// Total travel time `sum x t(x)` (time only: tolls and distance excluded).
    pub fn total_travel_time(&self, flows: &[f64]) -> f64 {
        self.bpr.iter().zip(flows).map(|(b, &x)| x * b.time(x)).sum()
    }

    /// Total generalized cost `sum x (t(x) + fixed)`.
    pub fn total_generalized_cost(&self, flows: &[f64]) -> f64 {
        self.bpr.iter().zip(flows).map(|(b, &x)| x * (b.time(x) + b.fixed)).sum()
    }

    /// The convex objective the mode minimises: the Beckmann function
    /// `sum integral_0^x (t + fixed)` for UE, the total generalized cost for SO.
    pub fn objective(&self, flows: &[f64], mode: CostMode) -> f64 {
        self.bpr.iter().zip(flows).map(|(b, &x)| b.objective(x, mode)).sum()
    }
}

pub(crate) fn validate_link(id: LinkId, link: &Link, num_nodes: usize) -> Result<(), NetworkError> {
    for (end, node) in [("from", link.from), ("to", link.to)] {
        if node.index() >= num_nodes {
            return Err(NetworkError::NodeOutOfRange { link: id, end, node: node.tntp(), num_nodes });
        }
    }
    let bad =
        |field, value, requirement| Err(NetworkError::BadLinkField { link: id, field, value, requirement });
    if !(link.free_flow_time.is_finite() && link.free_flow_time >= 0.0) {
        return bad("free_flow_time", link.free_flow_time, "it must be finite and non-negative");
    }
    if !(link.b.is_finite() && link.b >= 0.0) {
        return bad("b", link.b, "it must be finite and non-negative");
    }
    if !(link.length.is_finite() && link.length >= 0.0) {
        return bad("length", link.length, "it must be finite and non-negative");
    }
    let variable = link.b > 0.0 && link.free_flow_time > 0.0;
    if variable {
        if !(link.capacity.is_finite() && link.capacity > 0.0) {
            return bad("capacity", link.capacity, "it must be positive when b and free_flow_time are");
        }
        if !(link.power.is_finite() && link.power >= 1.0 && link.power <= 64.0) {
            return bad("power", link.power, "it must be in 1..=64 when b and free_flow_time are positive");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpr_cost_and_marginal_cost() {
        let link = Link::bpr(NodeId(0), NodeId(1), 10.0, 100.0, 0.15, 4.0);
        let net = Network::new(2, NodeId(0), vec![link]).unwrap();
        let a = LinkId(0);
        assert_eq!(net.travel_time(a, 0.0), 10.0);
        assert!((net.travel_time(a, 100.0) - 11.5).abs() < 1e-12);
        assert!((net.travel_time_derivative(a, 100.0) - 10.0 * 0.15 * 4.0 / 100.0).abs() < 1e-12);
        let so = net.cost(a, 100.0, CostMode::SystemOptimum);
        let expect = net.travel_time(a, 100.0) + 100.0 * net.travel_time_derivative(a, 100.0);
        assert!((so - expect).abs() < 1e-12);
        // Objective derivatives match the costs (finite differences).
        for mode in [CostMode::UserEquilibrium, CostMode::SystemOptimum] {
            let h = 1e-4;
            let fd = (net.objective(&[150.0 + h], mode) - net.objective(&[150.0 - h], mode)) / (2.0 * h);
            assert!((fd - net.cost(a, 150.0, mode)).abs() < 1e-6, "{mode:?}");
            let fd2 = (net.cost(a, 150.0 + h, mode) - net.cost(a, 150.0 - h, mode)) / (2.0 * h);
            assert!((fd2 - net.cost_derivative(a, 150.0, mode)).abs() < 1e-6, "{mode:?}");
        }
    }

    #[test]
    fn tolls_and_weights_enter_the_generalized_cost() {
        let mut link = Link::bpr(NodeId(0), NodeId(1), 10.0, 100.0, 0.15, 4.0);
        link.length = 5.0;
        let mut net = Network::new(2, NodeId(0), vec![link]).unwrap();
        net.set_tolls(&[250]).unwrap();
        net.set_weights(CostWeights { toll_factor: 0.02, distance_factor: 0.04 }).unwrap();
        assert!((net.cost(LinkId(0), 0.0, CostMode::UserEquilibrium) - (10.0 + 5.0 + 0.2)).abs() < 1e-12);
        assert!(net.set_tolls(&[-1000]).is_err());
        assert_eq!(net.tolls(), vec![250]);
        assert!(CostWeights::from_value_of_time(0.0).is_err());
    }

    #[test]
    fn rejects_bad_links() {
        let link = Link::bpr(NodeId(0), NodeId(5), 1.0, 1.0, 0.15, 4.0);
        assert!(matches!(Network::new(2, NodeId(0), vec![link]), Err(NetworkError::NodeOutOfRange { .. })));
        let link = Link::bpr(NodeId(0), NodeId(1), 1.0, 0.0, 0.15, 4.0);
        let err = Network::new(2, NodeId(0), vec![link]).unwrap_err();
        assert!(err.to_string().contains("capacity"), "{err}");
    }
}
