//! Phase two: customization, the metric on the chordal upward graph.

use std::fmt;

use crate::cch::Cch;
use crate::{INFINITY, NO_NODE};

/// Internal weight of a closed or unreachable edge direction.
pub(crate) const UNREACHABLE: u64 = u64::MAX;
/// Tag bit of [`Metric`]'s unpacking codes: set for a middle node (a rank), clear
/// for an input arc id. [`NO_NODE`] (all bits set) means "no arc".
pub(crate) const MIDDLE: u32 = 1 << 31;

/// Customized weights of a [`Cch`]: for every CCH edge `{low, high}` (ranks,
/// `low < high`) the length of the shortest `low → high` ("up") and
/// `high → low` ("down") path whose inner nodes all rank below `low`, together
/// with how that length is realized (an input arc, or a middle node through which
/// the shortcut unpacks into two lower edges).
///
/// Lengths are kept in `u64`, so sums of `u32` input weights never overflow;
/// closed directions stay unreachable.
#[derive(Clone)]
pub struct Metric {
    /// Weight of the upward direction of each edge.
    pub(crate) up: Vec<u64>,
    /// Weight of the downward direction of each edge.
    pub(crate) down: Vec<u64>,
    /// Unpacking code of the upward direction (see [`MIDDLE`]).
    pub(crate) up_via: Vec<u32>,
    /// Unpacking code of the downward direction.
    pub(crate) down_via: Vec<u32>,
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metric").field("num_edges", &self.up.len()).finish_non_exhaustive()
    }
}

impl Metric {
    /// Number of CCH edges this metric covers.
    pub fn num_edges(&self) -> usize {
        self.up.len()
    }
}

impl Cch {
    /// Customization: computes the metric for travel times `weights[arc]` (same
    /// indexing as the arcs given to [`Cch::new`]; [`INFINITY`] closes an arc).
    ///
    /// # Panics
    /// If `weights.len()` differs from the number of input arcs.
    pub fn customize(&self, weights: &[u32]) -> Metric {
        let edges = self.num_shortcut_edges();
        let mut metric = Metric {
            up: vec![UNREACHABLE; edges],
            down: vec![UNREACHABLE; edges],
            up_via: vec![NO_NODE; edges],
            down_via: vec![NO_NODE; edges],
        };
        self.customize_into(weights, &mut metric);
        metric
    }

    /// [`Cch::customize`] into an existing metric of this hierarchy, reusing its
    /// memory (for re-customizing every few seconds).
    ///
    /// # Panics
    /// If `weights.len()` differs from the number of input arcs, or `metric`
    /// belongs to a hierarchy with a different number of edges.
    pub fn customize_into(&self, weights: &[u32], metric: &mut Metric) {
        assert_eq!(weights.len(), self.num_arcs(), "one weight per input arc");
        let edges = self.num_shortcut_edges();
        assert_eq!(metric.num_edges(), edges, "metric of another hierarchy");
        let Metric { up, down, up_via, down_via } = metric;
        up.fill(UNREACHABLE);
        down.fill(UNREACHABLE);
        up_via.fill(NO_NODE);
        down_via.fill(NO_NODE);

        // Input arcs; parallel arcs keep the cheapest.
        for (arc, (&slot, &weight)) in self.arc_slot.iter().zip(weights).enumerate() {
            if slot == NO_NODE || weight == INFINITY {
                continue;
            }
            let (edge, weight) = ((slot / 2) as usize, u64::from(weight));
            let (length, via) = if slot % 2 == 0 {
                (&mut up[edge], &mut up_via[edge])
            } else {
                (&mut down[edge], &mut down_via[edge])
            };
            if weight < *length {
                *length = weight;
                *via = arc as u32;
            }
        }

        // Lower triangles, bottom-up. Every triangle {u, v, w} with u < v < w is
        // met at its lowest node u, as two upward edges u–v and u–w, whose lengths
        // are final by then (their own lower triangles bottom out below u). It
        // offers v → u → w for the upward direction of v–w and w → u → v for its
        // downward direction. Chordality puts w among the upward neighbours of v,
        // so a merge along the sorted row of v finds the edge v–w.
        let head = &self.head;
        for u in 0..self.num_nodes() as u32 {
            let row = self.up_edges(u);
            for i in row.clone() {
                let (u_to_v, v_to_u) = (up[i], down[i]);
                if u_to_v == UNREACHABLE && v_to_u == UNREACHABLE {
                    continue;
                }
                let mut f = self.first_up[head[i] as usize] as usize;
                for j in i + 1..row.end {
                    let w = head[j];
                    while head[f] < w {
                        f += 1;
                    }
                    debug_assert_eq!(head[f], w, "upward graph not chordal");
                    let through = v_to_u.saturating_add(up[j]);
                    if through < up[f] {
                        up[f] = through;
                        up_via[f] = MIDDLE | u;
                    }
                    let through = down[j].saturating_add(u_to_v);
                    if through < down[f] {
                        down[f] = through;
                        down_via[f] = MIDDLE | u;
                    }
                }
            }
        }
    }
}
