//! Map matching: snaps a probe position and heading to the road segment the
//! vehicle is most likely on, with an R-tree over every piece of geometry.

use crate::geo_util::{LatLon, bearing_difference, planar_bearing};
use crate::network::RoadNetwork;
use crate::units::{Meters, SegmentId};
use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// One straight piece of a segment's geometry, in local metres.
#[derive(Clone)]
struct Piece {
    a: [f64; 2],
    b: [f64; 2],
    segment: SegmentId,
    /// Distance along the segment where this piece starts.
    offset: f64,
}

impl RTreeObject for Piece {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl Piece {
    /// Parameter of the closest point on the piece, in [0, 1].
    fn project(&self, p: &[f64; 2]) -> f64 {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len2 = dx * dx + dy * dy;
        if len2 == 0.0 {
            return 0.0;
        }
        (((p[0] - self.a[0]) * dx + (p[1] - self.a[1]) * dy) / len2).clamp(0.0, 1.0)
    }
    fn len(&self) -> f64 {
        ((self.b[0] - self.a[0]).powi(2) + (self.b[1] - self.a[1]).powi(2)).sqrt()
    }
}

impl PointDistance for Piece {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let t = self.project(p);
        let q = [self.a[0] + t * (self.b[0] - self.a[0]), self.a[1] + t * (self.b[1] - self.a[1])];
        (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)
    }
}

/// A probe matched to a segment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchedPosition {
    /// The segment.
    pub segment: SegmentId,
    /// Distance from the segment's start to the matched point.
    pub offset: Meters,
    /// Distance from the probe to the road.
    pub distance: Meters,
}

/// Matching thresholds.
#[derive(Clone, Copy, Debug)]
pub struct MatcherConfig {
    /// Farthest a probe may be from the road centre line.
    pub max_distance_m: f64,
    /// Largest difference between heading and road direction.
    pub max_heading_diff_deg: f64,
    /// Metres of distance one degree of heading difference is worth when ranking.
    pub heading_weight_m_per_deg: f64,
}

impl Default for MatcherConfig {
    fn default() -> Self {
        Self { max_distance_m: 35.0, max_heading_diff_deg: 60.0, heading_weight_m_per_deg: 0.25 }
    }
}

/// An R-tree over the network's geometry.
#[derive(Debug)]
pub struct MapMatcher {
    tree: RTree<Piece>,
    config: MatcherConfig,
    projection: crate::geo_util::LocalProjection,
}

impl std::fmt::Debug for Piece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Piece({}, {})", self.segment, self.offset)
    }
}

impl MapMatcher {
    /// Indexes every piece of every segment of `network`.
    pub fn new(network: &RoadNetwork, config: MatcherConfig) -> MapMatcher {
        let projection = *network.projection();
        let mut pieces = Vec::new();
        for s in network.segments() {
            let mut offset = 0.0;
            for w in s.geometry.windows(2) {
                let piece =
                    Piece { a: projection.project(w[0]), b: projection.project(w[1]), segment: s.id, offset };
                offset += w[0].distance_m(w[1]);
                pieces.push(piece);
            }
        }
        MapMatcher { tree: RTree::bulk_load(pieces), config, projection }
    }

    /// The best segment for a probe at `pos` travelling towards `heading_deg`, or
    /// `None` when no road lies close enough in a compatible direction. Ties go
    /// to the lower segment id, so the answer never depends on insertion order.
    pub fn match_probe(&self, pos: LatLon, heading_deg: f64) -> Option<MatchedPosition> {
        let p = self.projection.project(pos);
        let max = self.config.max_distance_m;
        let mut best: Option<(f64, MatchedPosition)> = None;
        for piece in self.tree.locate_within_distance(p, max * max) {
            let diff = bearing_difference(planar_bearing(piece.a, piece.b), heading_deg);
            if diff > self.config.max_heading_diff_deg {
                continue;
            }
            let distance = piece.distance_2(&p).sqrt();
            let score = distance + diff * self.config.heading_weight_m_per_deg;
            let m = MatchedPosition {
                segment: piece.segment,
                offset: Meters(piece.offset + piece.project(&p) * piece.len()),
                distance: Meters(distance),
            };
            let better = match &best {
                None => true,
                Some((s, b)) => score < *s || (score == *s && m.segment < b.segment),
            };
            if better {
                best = Some((score, m));
            }
        }
        best.map(|(_, m)| m)
    }

    /// The segment nearest to `pos` whatever its direction, with its distance.
    pub fn nearest_segment(&self, pos: LatLon) -> Option<MatchedPosition> {
        let p = self.projection.project(pos);
        let piece = self.tree.nearest_neighbor(&p)?;
        Some(MatchedPosition {
            segment: piece.segment,
            offset: Meters(piece.offset + piece.project(&p) * piece.len()),
            distance: Meters(piece.distance_2(&p).sqrt()),
        })
    }
}
