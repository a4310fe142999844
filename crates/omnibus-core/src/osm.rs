//! Import of an OpenStreetMap `.osm.pbf` extract into a [`RoadNetwork`] and the
//! city's points of interest (parking facilities, bike-share stations).
//!
//! Drivable ways are split at every junction into segments, one per direction of
//! travel (honouring `oneway`, roundabouts and motorways); only the largest
//! strongly connected part is kept, so that every segment can reach every other.

use crate::geo_util::LatLon;
use crate::network::{Node, RoadClass, RoadNetwork, Segment};
use crate::units::{Meters, MetersPerSecond, NodeId, SegmentId};
use osmpbf::{Element, ElementReader};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Failure to import an OSM extract.
#[derive(Debug, thiserror::Error)]
pub enum OsmError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid `.osm.pbf`.
    #[error("{path}: not a valid OSM PBF file: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the decoder said.
        message: String,
    },
    /// The extract holds no drivable road.
    #[error("{path}: no drivable road network in the extract")]
    Empty {
        /// The file.
        path: String,
    },
}

/// A point of interest tagged in OSM.
#[derive(Clone, Debug, PartialEq)]
pub struct OsmPoi {
    /// `n<id>` for a node, `w<id>` for a way (its centroid).
    pub osm_ref: String,
    /// Where it is.
    pub pos: LatLon,
    /// The `capacity` tag, if numeric.
    pub capacity: Option<u32>,
    /// The `name` tag.
    pub name: Option<String>,
}

/// What an extract holds for Omnibus.
#[derive(Debug)]
pub struct OsmImport {
    /// The drivable network.
    pub network: RoadNetwork,
    /// `amenity=parking`.
    pub parking: Vec<OsmPoi>,
    /// `amenity=bicycle_rental`.
    pub bike_rental: Vec<OsmPoi>,
    /// The walk and bike graph.
    pub streets: crate::streets::StreetGraph,
}

/// A way tagged as parking (`true`) or bike rental, resolved to its centroid
/// once every node is read: kind, id, node refs, capacity, name.
type PoiWay = (bool, i64, Vec<i64>, Option<u32>, Option<String>);

struct RawWay {
    id: i64,
    refs: Vec<i64>,
    class: RoadClass,
    forward: bool,
    backward: bool,
    maxspeed: Option<MetersPerSecond>,
    lanes_forward: Option<u8>,
    lanes_backward: Option<u8>,
    name: Option<String>,
}

/// Reads an extract from a file.
pub fn import_path(path: &Path) -> Result<OsmImport, OsmError> {
    let label = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| OsmError::Io { path: label.clone(), source })?;
    import_reader(std::io::BufReader::new(file), &label)
}

/// Reads an extract from bytes; `label` names it in errors.
pub fn import_bytes(bytes: &[u8], label: &str) -> Result<OsmImport, OsmError> {
    import_reader(std::io::Cursor::new(bytes), label)
}

fn import_reader<R: Read + Send>(reader: R, label: &str) -> Result<OsmImport, OsmError> {
    let mut coords: HashMap<i64, LatLon> = HashMap::new();
    let mut ways: Vec<RawWay> = Vec::new();
    let mut parking = Vec::new();
    let mut bike_rental = Vec::new();
    // Ways tagged as parking or bike stations: resolved to centroids after the read.
    let mut poi_ways: Vec<PoiWay> = Vec::new();

    let mut on_node = |id: i64, pos: LatLon, tags: &mut dyn Iterator<Item = (&str, &str)>| {
        coords.insert(id, pos);
        let (mut amenity, mut capacity, mut name) = (None, None, None);
        for (k, v) in tags {
            match k {
                "amenity" => amenity = Some(v.to_owned()),
                "capacity" => capacity = v.trim().parse().ok(),
                "name" => name = Some(v.to_owned()),
                _ => {}
            }
        }
        let poi = || OsmPoi { osm_ref: format!("n{id}"), pos, capacity, name: name.clone() };
        match amenity.as_deref() {
            Some("parking") => parking.push(poi()),
            Some("bicycle_rental") => bike_rental.push(poi()),
            _ => {}
        }
    };
    let mut result_ways = Vec::new();
    let mut street_ways = Vec::new();
    ElementReader::new(reader)
        .for_each(|element| match element {
            Element::Node(n) => on_node(n.id(), LatLon::new(n.lat(), n.lon()), &mut n.tags()),
            Element::DenseNode(n) => on_node(n.id(), LatLon::new(n.lat(), n.lon()), &mut n.tags()),
            Element::Way(w) => {
                let tags: HashMap<&str, &str> = w.tags().collect();
                let refs: Vec<i64> = w.refs().collect();
                match tags.get("amenity") {
                    Some(&"parking") | Some(&"bicycle_rental") => poi_ways.push((
                        tags["amenity"] == "parking",
                        w.id(),
                        refs.clone(),
                        tags.get("capacity").and_then(|c| c.trim().parse().ok()),
                        tags.get("name").map(|s| (*s).to_owned()),
                    )),
                    _ => {}
                }
                if let Some(way) = crate::streets::street_way(refs.clone(), &tags) {
                    street_ways.push(way);
                }
                if let Some(way) = drivable_way(w.id(), refs, &tags) {
                    result_ways.push(way);
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| OsmError::Parse { path: label.to_owned(), message: e.to_string() })?;
    ways.extend(result_ways);

    for (is_parking, id, refs, capacity, name) in poi_ways {
        let pts: Vec<LatLon> = refs.iter().filter_map(|r| coords.get(r).copied()).collect();
        if pts.is_empty() {
            continue;
        }
        let n = pts.len() as f64;
        let pos = LatLon::new(
            pts.iter().map(|p| p.lat).sum::<f64>() / n,
            pts.iter().map(|p| p.lon).sum::<f64>() / n,
        );
        let poi = OsmPoi { osm_ref: format!("w{id}"), pos, capacity, name };
        if is_parking { parking.push(poi) } else { bike_rental.push(poi) }
    }
    parking.sort_by(|a, b| a.osm_ref.cmp(&b.osm_ref));
    bike_rental.sort_by(|a, b| a.osm_ref.cmp(&b.osm_ref));
    ways.sort_by_key(|w| w.id);

    let network = build_network(&ways, &coords);
    if network.segments().is_empty() {
        return Err(OsmError::Empty { path: label.to_owned() });
    }
    let streets = crate::streets::StreetGraph::build(&street_ways, &coords);
    Ok(OsmImport { network, parking, bike_rental, streets })
}

fn drivable_way(id: i64, refs: Vec<i64>, tags: &HashMap<&str, &str>) -> Option<RawWay> {
    let class = RoadClass::from_osm(tags.get("highway")?)?;
    if refs.len() < 2 || tags.get("area") == Some(&"yes") {
        return None;
    }
    for key in ["access", "motor_vehicle", "motorcar", "vehicle"] {
        if matches!(tags.get(key), Some(&"no") | Some(&"private")) {
            return None;
        }
    }
    if matches!(tags.get("service"), Some(&"parking_aisle") | Some(&"driveway")) {
        return None;
    }
    let implied_oneway = tags.get("junction").is_some_and(|j| *j == "roundabout" || *j == "circular")
        || tags.get("highway") == Some(&"motorway");
    let (forward, backward) = match tags.get("oneway").copied() {
        Some("yes" | "true" | "1") => (true, false),
        Some("-1" | "reverse") => (false, true),
        Some("no" | "false" | "0") => (true, true),
        _ if implied_oneway => (true, false),
        _ => (true, true),
    };
    let lanes: Option<u8> = tags.get("lanes").and_then(|l| l.trim().parse().ok()).filter(|l| *l > 0);
    let per_dir = |key: &str| tags.get(key).and_then(|l| l.trim().parse().ok()).filter(|l: &u8| *l > 0);
    let split = |l: u8| if forward && backward { l.div_ceil(2) } else { l };
    Some(RawWay {
        id,
        refs,
        class,
        forward,
        backward,
        maxspeed: tags.get("maxspeed").and_then(|s| parse_maxspeed(s)),
        lanes_forward: per_dir("lanes:forward").or(lanes.map(split)),
        lanes_backward: per_dir("lanes:backward").or(lanes.map(split)),
        name: tags.get("name").map(|s| (*s).to_owned()),
    })
}

/// Parses an OSM `maxspeed` value: `50`, `50 km/h`, `30 mph`.
pub fn parse_maxspeed(value: &str) -> Option<MetersPerSecond> {
    let v = value.trim();
    let (number, mph) = match v.strip_suffix("mph") {
        Some(n) => (n.trim(), true),
        None => (v.trim_end_matches("km/h").trim_end_matches("kmh").trim(), false),
    };
    let n: f64 = number.parse().ok().filter(|n: &f64| n.is_finite() && *n > 0.0 && *n < 200.0)?;
    Some(MetersPerSecond::from_kmh(if mph { n * 1.609_344 } else { n }))
}

#[derive(Default)]
struct Builder {
    node_index: HashMap<i64, u32>,
    nodes: Vec<Node>,
    segments: Vec<Segment>,
}

impl Builder {
    fn intern(&mut self, osm: i64, pos: LatLon) -> NodeId {
        let nodes = &mut self.nodes;
        NodeId(*self.node_index.entry(osm).or_insert_with(|| {
            nodes.push(Node { osm_id: osm, pos });
            (nodes.len() - 1) as u32
        }))
    }

    fn emit(&mut self, w: &RawWay, piece: &[(i64, LatLon)]) {
        if piece.len() < 2 {
            return;
        }
        let a = self.intern(piece[0].0, piece[0].1);
        let b = self.intern(piece[piece.len() - 1].0, piece[piece.len() - 1].1);
        let geometry: Vec<LatLon> = piece.iter().map(|p| p.1).collect();
        let length: f64 = geometry.windows(2).map(|g| g[0].distance_m(g[1])).sum();
        if a == b || length <= 0.0 {
            return;
        }
        let speed = w.maxspeed.unwrap_or_else(|| w.class.default_speed());
        let mut push = |from, to, geometry: Vec<LatLon>, lanes: Option<u8>| {
            let lanes = lanes.unwrap_or_else(|| w.class.default_lanes()).max(1);
            self.segments.push(Segment {
                id: SegmentId(0),
                from,
                to,
                geometry,
                length: Meters(length),
                class: w.class,
                free_flow: speed,
                lanes,
                capacity_vph: w.class.lane_capacity_vph() * f64::from(lanes),
                osm_way: w.id,
                name: w.name.clone(),
            });
        };
        if w.forward {
            push(a, b, geometry.clone(), w.lanes_forward);
        }
        if w.backward {
            push(b, a, geometry.into_iter().rev().collect(), w.lanes_backward);
        }
    }
}

fn build_network(ways: &[RawWay], coords: &HashMap<i64, LatLon>) -> RoadNetwork {
    // A node is a junction when two ways share it, or a way ends there.
    let mut uses: HashMap<i64, u32> = HashMap::new();
    for w in ways {
        for (i, r) in w.refs.iter().enumerate() {
            let bump = if i == 0 || i + 1 == w.refs.len() { 2 } else { 1 };
            *uses.entry(*r).or_default() += bump;
        }
    }
    let mut builder = Builder::default();
    for w in ways {
        // Keep only the refs whose coordinates the extract holds, splitting there.
        let mut piece: Vec<(i64, LatLon)> = Vec::new();
        for (i, r) in w.refs.iter().enumerate() {
            let Some(pos) = coords.get(r).copied() else {
                // A node outside the extract: end the piece here, start afresh.
                builder.emit(w, &piece);
                piece.clear();
                continue;
            };
            piece.push((*r, pos));
            let is_junction = uses.get(r).copied().unwrap_or(0) >= 2;
            if piece.len() >= 2 && (is_junction || i + 1 == w.refs.len()) {
                builder.emit(w, &piece);
                piece.drain(..piece.len() - 1);
            }
        }
    }
    let Builder { nodes, segments, .. } = builder;
    keep_largest_strong_component(nodes, segments)
}

/// Keeps the largest strongly connected component (Kosaraju, iterative).
fn keep_largest_strong_component(nodes: Vec<Node>, segments: Vec<Segment>) -> RoadNetwork {
    let n = nodes.len();
    let mut fwd: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut rev: Vec<Vec<u32>> = vec![Vec::new(); n];
    for s in &segments {
        fwd[s.from.index()].push(s.to.0);
        rev[s.to.index()].push(s.from.0);
    }
    let mut visited = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start as u32, 0usize)];
        while let Some((v, i)) = stack.last_mut() {
            if let Some(&next) = fwd[*v as usize].get(*i) {
                *i += 1;
                if !visited[next as usize] {
                    visited[next as usize] = true;
                    stack.push((next, 0));
                }
            } else {
                order.push(*v);
                stack.pop();
            }
        }
    }
    let mut comp = vec![u32::MAX; n];
    let mut sizes: Vec<usize> = Vec::new();
    for &root in order.iter().rev() {
        if comp[root as usize] != u32::MAX {
            continue;
        }
        let c = sizes.len() as u32;
        sizes.push(0);
        let mut stack = vec![root];
        comp[root as usize] = c;
        while let Some(v) = stack.pop() {
            sizes[c as usize] += 1;
            for &u in &rev[v as usize] {
                if comp[u as usize] == u32::MAX {
                    comp[u as usize] = c;
                    stack.push(u);
                }
            }
        }
    }
    let Some(best) = (0..sizes.len()).max_by_key(|&c| (sizes[c], std::cmp::Reverse(c))) else {
        return RoadNetwork::new(Vec::new(), Vec::new());
    };
    let mut remap = vec![u32::MAX; n];
    let mut kept_nodes = Vec::new();
    for (i, node) in nodes.into_iter().enumerate() {
        if comp[i] == best as u32 {
            remap[i] = kept_nodes.len() as u32;
            kept_nodes.push(node);
        }
    }
    let kept_segments = segments
        .into_iter()
        .filter(|s| remap[s.from.index()] != u32::MAX && remap[s.to.index()] != u32::MAX)
        .map(|mut s| {
            s.from = NodeId(remap[s.from.index()]);
            s.to = NodeId(remap[s.to.index()]);
            s
        })
        .collect();
    RoadNetwork::new(kept_nodes, kept_segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxspeed_forms() {
        assert!((parse_maxspeed("50").unwrap().kmh() - 50.0).abs() < 1e-9);
        assert!((parse_maxspeed("60 km/h").unwrap().kmh() - 60.0).abs() < 1e-9);
        assert!((parse_maxspeed("30 mph").unwrap().kmh() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("signals"), None);
        assert_eq!(parse_maxspeed("-5"), None);
    }

    #[test]
    fn garbage_is_a_parse_error_naming_the_input() {
        let err = import_bytes(b"definitely not a pbf file at all", "bad.osm.pbf").unwrap_err();
        assert!(err.to_string().starts_with("bad.osm.pbf"), "{err}");
    }
}
