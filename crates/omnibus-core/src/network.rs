//! The directed road network: junctions, segments with geometry, length, road
//! class, free-flow speed and capacity, and a compressed adjacency.

use crate::geo_util::{LatLon, LocalProjection};
use crate::units::{Meters, MetersPerSecond, NodeId, Seconds, SegmentId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The OpenStreetMap road class of a segment, which sets its default speed and capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    /// `highway=motorway` and its links.
    Motorway,
    /// `highway=trunk` and its links.
    Trunk,
    /// `highway=primary` and its links.
    Primary,
    /// `highway=secondary` and its links.
    Secondary,
    /// `highway=tertiary` and its links.
    Tertiary,
    /// `highway=unclassified`.
    Unclassified,
    /// `highway=residential`.
    Residential,
    /// `highway=living_street`.
    LivingStreet,
    /// `highway=service`.
    Service,
}

impl RoadClass {
    /// Parses an OSM `highway=*` value; `None` for ways cars do not use.
    pub fn from_osm(value: &str) -> Option<RoadClass> {
        Some(match value {
            "motorway" | "motorway_link" => RoadClass::Motorway,
            "trunk" | "trunk_link" => RoadClass::Trunk,
            "primary" | "primary_link" => RoadClass::Primary,
            "secondary" | "secondary_link" => RoadClass::Secondary,
            "tertiary" | "tertiary_link" => RoadClass::Tertiary,
            "unclassified" | "road" => RoadClass::Unclassified,
            "residential" => RoadClass::Residential,
            "living_street" => RoadClass::LivingStreet,
            "service" => RoadClass::Service,
            _ => return None,
        })
    }

    /// Default free-flow speed where the way has no usable `maxspeed`.
    pub fn default_speed(self) -> MetersPerSecond {
        MetersPerSecond::from_kmh(match self {
            RoadClass::Motorway => 90.0,
            RoadClass::Trunk => 70.0,
            RoadClass::Primary => 50.0,
            RoadClass::Secondary => 45.0,
            RoadClass::Tertiary => 40.0,
            RoadClass::Unclassified => 30.0,
            RoadClass::Residential => 30.0,
            RoadClass::LivingStreet => 10.0,
            RoadClass::Service => 15.0,
        })
    }

    /// Flow capacity of one lane, vehicles per hour (Highway Capacity Manual
    /// orders of magnitude for urban roads).
    pub fn lane_capacity_vph(self) -> f64 {
        match self {
            RoadClass::Motorway => 2000.0,
            RoadClass::Trunk => 1800.0,
            RoadClass::Primary => 1200.0,
            RoadClass::Secondary => 1000.0,
            RoadClass::Tertiary => 900.0,
            RoadClass::Unclassified | RoadClass::Residential => 600.0,
            RoadClass::LivingStreet | RoadClass::Service => 300.0,
        }
    }

    /// Default lanes per direction.
    pub fn default_lanes(self) -> u8 {
        match self {
            RoadClass::Motorway | RoadClass::Trunk => 2,
            _ => 1,
        }
    }

    /// The OSM name of the class.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Motorway => "motorway",
            RoadClass::Trunk => "trunk",
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Tertiary => "tertiary",
            RoadClass::Unclassified => "unclassified",
            RoadClass::Residential => "residential",
            RoadClass::LivingStreet => "living_street",
            RoadClass::Service => "service",
        }
    }
}

impl fmt::Display for RoadClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A junction or dead end.
#[derive(Clone, Debug)]
pub struct Node {
    /// OSM node id.
    pub osm_id: i64,
    /// Position.
    pub pos: LatLon,
}

/// One direction of a street between two junctions.
#[derive(Clone, Debug)]
pub struct Segment {
    /// This segment's id (its index in [`RoadNetwork::segments`]).
    pub id: SegmentId,
    /// Start junction.
    pub from: NodeId,
    /// End junction.
    pub to: NodeId,
    /// Geometry from `from` to `to`, at least two points.
    pub geometry: Vec<LatLon>,
    /// Length along the geometry.
    pub length: Meters,
    /// Road class.
    pub class: RoadClass,
    /// Free-flow speed.
    pub free_flow: MetersPerSecond,
    /// Lanes in this direction.
    pub lanes: u8,
    /// Flow capacity, vehicles per hour.
    pub capacity_vph: f64,
    /// The OSM way this segment came from.
    pub osm_way: i64,
    /// Street name, if any.
    pub name: Option<String>,
}

impl Segment {
    /// Time to drive the segment at free-flow speed.
    pub fn free_flow_time(&self) -> Seconds {
        Seconds(self.length.0 / self.free_flow.0)
    }

    /// The point `offset` metres along the geometry, with the bearing of the
    /// piece it lies on.
    pub fn point_at(&self, offset: Meters) -> (LatLon, f64) {
        let mut left = offset.0.max(0.0);
        for w in self.geometry.windows(2) {
            let len = w[0].distance_m(w[1]);
            if left <= len || std::ptr::eq(w.last().unwrap(), self.geometry.last().unwrap()) {
                let f = if len > 0.0 { (left / len).min(1.0) } else { 0.0 };
                let p =
                    LatLon::new(w[0].lat + (w[1].lat - w[0].lat) * f, w[0].lon + (w[1].lon - w[0].lon) * f);
                return (p, w[0].bearing_deg(w[1]));
            }
            left -= len;
        }
        (self.geometry[0], 0.0)
    }
}

/// A directed road network with compressed adjacency lists.
#[derive(Debug)]
pub struct RoadNetwork {
    nodes: Vec<Node>,
    segments: Vec<Segment>,
    /// `out_index[n]..out_index[n + 1]` indexes `out_segments` for node `n`.
    out_index: Vec<u32>,
    out_segments: Vec<SegmentId>,
    projection: LocalProjection,
    bounds: Bounds,
}

/// A latitude/longitude bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Southernmost latitude.
    pub min_lat: f64,
    /// Westernmost longitude.
    pub min_lon: f64,
    /// Northernmost latitude.
    pub max_lat: f64,
    /// Easternmost longitude.
    pub max_lon: f64,
}

impl Bounds {
    /// Whether `p` lies inside the box.
    pub fn contains(&self, p: LatLon) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat) && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
    /// The box grown by `meters` on every side.
    pub fn expanded(&self, meters: f64) -> Bounds {
        let dlat = meters / 111_000.0;
        let dlon = meters / (111_000.0 * self.min_lat.abs().max(self.max_lat.abs()).to_radians().cos());
        Bounds {
            min_lat: self.min_lat - dlat,
            min_lon: self.min_lon - dlon,
            max_lat: self.max_lat + dlat,
            max_lon: self.max_lon + dlon,
        }
    }
    /// The centre of the box.
    pub fn center(&self) -> LatLon {
        LatLon::new((self.min_lat + self.max_lat) / 2.0, (self.min_lon + self.max_lon) / 2.0)
    }
}

impl RoadNetwork {
    /// Builds a network from nodes and segments. Segment ids must equal their
    /// indexes and every endpoint must exist.
    pub fn new(nodes: Vec<Node>, mut segments: Vec<Segment>) -> RoadNetwork {
        for (i, s) in segments.iter_mut().enumerate() {
            s.id = SegmentId(i as u32);
        }
        let mut out_index = vec![0u32; nodes.len() + 1];
        for s in &segments {
            out_index[s.from.index() + 1] += 1;
        }
        for i in 0..nodes.len() {
            out_index[i + 1] += out_index[i];
        }
        let mut fill = out_index.clone();
        let mut out_segments = vec![SegmentId(0); segments.len()];
        for s in &segments {
            let slot = &mut fill[s.from.index()];
            out_segments[*slot as usize] = s.id;
            *slot += 1;
        }
        let mut bounds =
            Bounds { min_lat: f64::MAX, min_lon: f64::MAX, max_lat: f64::MIN, max_lon: f64::MIN };
        for n in &nodes {
            bounds.min_lat = bounds.min_lat.min(n.pos.lat);
            bounds.max_lat = bounds.max_lat.max(n.pos.lat);
            bounds.min_lon = bounds.min_lon.min(n.pos.lon);
            bounds.max_lon = bounds.max_lon.max(n.pos.lon);
        }
        for s in &segments {
            for p in &s.geometry {
                bounds.min_lat = bounds.min_lat.min(p.lat);
                bounds.max_lat = bounds.max_lat.max(p.lat);
                bounds.min_lon = bounds.min_lon.min(p.lon);
                bounds.max_lon = bounds.max_lon.max(p.lon);
            }
        }
        if nodes.is_empty() {
            bounds = Bounds { min_lat: 0.0, min_lon: 0.0, max_lat: 0.0, max_lon: 0.0 };
        }
        let projection = LocalProjection::new(bounds.center());
        RoadNetwork { nodes, segments, out_index, out_segments, projection, bounds }
    }

    /// All junctions, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// All segments, indexed by [`SegmentId`].
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
    /// One segment, if the id exists.
    pub fn segment(&self, id: SegmentId) -> Option<&Segment> {
        self.segments.get(id.index())
    }
    /// One junction.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }
    /// Segments leaving a junction.
    pub fn outgoing(&self, node: NodeId) -> &[SegmentId] {
        let i = node.index();
        &self.out_segments[self.out_index[i] as usize..self.out_index[i + 1] as usize]
    }
    /// The projection to local metres used by map matching.
    pub fn projection(&self) -> &LocalProjection {
        &self.projection
    }
    /// The bounding box of every node and geometry point.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }
}
