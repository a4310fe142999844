//! Reads SUMO networks (`.net.xml`) and routes (`.rou.xml`) into the queue model, so that the same
//! scenario can be run through Omnibus and through SUMO.
//!
//! - Edges: every edge without a `function` other than `normal` (internal junction edges,
//!   crossings and walking areas are skipped) becomes a link from its `from` to its `to`
//!   junction. Lanes that do not allow passenger cars are not counted; an edge with no such lane is
//!   skipped. Length and speed are those of the edge's first counted lane (SUMO's mesoscopic model
//!   also uses the first lane's length). Outflow capacity is
//!   `lanes x` [`SumoImport::lane_capacity_vph`].
//! - Junctions are numbered in the order the edges first name them.
//! - Signals: each `tlLogic` (its `phases` are used as a fixed-time plan whatever its `type`)
//!   gives one [`SignalPlan`] per junction its `connection`s end at. A turn `from -> to` has green
//!   in phase `i` when the state character at any of its connections' `linkIndex` is `G` or `g`
//!   (and `y`/`Y` with [`YellowRule::Green`]); `O`/`o` (signal off) and `s` (stop, then go) count
//!   as green, `r` and `u` (red-yellow) as red. The offset is taken as the time phase 0 starts.
//! - Routes: `vehicle` elements with a numeric `depart` (seconds) and either a nested
//!   `<route edges="..."/>` or a `route` attribute naming a top-level `route`; `vType` and other
//!   elements without routes are ignored, `trip`, `flow` and `person` are rejected.

use std::collections::BTreeMap;

use crate::error::MesoError;
use crate::network::{LinkId, LinkSpec, Movement, Network, SignalPlan};
use crate::plans::{Plans, TripId};

/// How a yellow (`y`/`Y`) signal state is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum YellowRule {
    /// Yellow stops traffic like red: the effective green is the green time alone, which is the
    /// usual effective green `G + Y - lost time` when the start-up and clearance lost times (2 to
    /// 4 s in all) roughly equal the yellow interval and are not modelled otherwise.
    #[default]
    Red,
    /// Yellow lets traffic go like green. SUMO's mesoscopic junction control does this: it only
    /// stops at `r`/`u`, and a yellow link is passable whenever no prioritized foe approaches.
    Green,
}

/// Options of the import.
#[derive(Clone, Debug, PartialEq)]
pub struct SumoImport {
    /// Outflow capacity per lane in vehicles per hour. Default 1800 (a saturation headway of 2 s,
    /// between the 1.67 s free-flow and 2.27 s jam-discharge headways per lane of SUMO's
    /// mesoscopic model with its defaults `tau_ff = 1.13 s`, `tau_jf = 1.73 s` plus 7.5 m at
    /// 13.89 m/s).
    pub lane_capacity_vph: f64,
    /// Treatment of yellow signal states.
    pub yellow: YellowRule,
}

impl Default for SumoImport {
    fn default() -> Self {
        SumoImport { lane_capacity_vph: 1800.0, yellow: YellowRule::default() }
    }
}

/// Why a SUMO file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SumoError {
    /// Not well-formed XML.
    #[error("XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// An element lacks an attribute or has an unusable value.
    #[error("{element} `{id}`: attribute `{attribute}`: {reason}")]
    Attribute { element: String, id: String, attribute: &'static str, reason: String },
    /// An element the import does not support.
    #[error("{element} `{id}` is not supported: {reason}")]
    Unsupported { element: String, id: String, reason: &'static str },
    /// The model rejected the network or a signal plan built from the file.
    #[error("{0}")]
    Model(#[from] MesoError),
    /// The model rejected a vehicle's route.
    #[error("vehicle `{id}`: {source}")]
    Route { id: String, source: MesoError },
}

/// A SUMO network converted to a [`Network`], with the SUMO ids of its links and nodes.
#[derive(Clone, Debug)]
pub struct SumoNet {
    /// The converted network.
    pub network: Network,
    /// SUMO edge id of each link, indexed by [`LinkId`].
    pub edge_ids: Vec<String>,
    /// SUMO junction id of each node.
    pub junction_ids: Vec<String>,
    /// Number of nodes that received a signal plan.
    pub signalized_nodes: usize,
    edge_index: BTreeMap<String, LinkId>,
}

impl SumoNet {
    /// The link of the SUMO edge `edge_id`.
    pub fn link(&self, edge_id: &str) -> Option<LinkId> {
        self.edge_index.get(edge_id).copied()
    }
}

/// SUMO vehicles converted to [`Plans`], with their SUMO ids.
#[derive(Clone, Debug)]
pub struct SumoRoutes {
    /// The trips in file order.
    pub plans: Plans,
    /// SUMO vehicle id of each trip, indexed by [`TripId`].
    pub vehicle_ids: Vec<String>,
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &'static str, id: &str) -> Result<&'a str, SumoError> {
    node.attribute(name).ok_or_else(|| SumoError::Attribute {
        element: node.tag_name().name().to_owned(),
        id: id.to_owned(),
        attribute: name,
        reason: "missing".to_owned(),
    })
}

fn number(node: roxmltree::Node<'_, '_>, name: &'static str, id: &str) -> Result<f64, SumoError> {
    let text = attr(node, name, id)?;
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| SumoError::Attribute {
        element: node.tag_name().name().to_owned(),
        id: id.to_owned(),
        attribute: name,
        reason: format!("`{text}` is not a finite number"),
    })
}

fn seconds_to_ms(s: f64) -> i64 {
    (s * 1000.0).round() as i64
}

fn lane_allows_passenger(lane: roxmltree::Node<'_, '_>) -> bool {
    let names = |list: &str| list.split_whitespace().any(|c| c == "passenger" || c == "all");
    if let Some(allow) = lane.attribute("allow") {
        return names(allow);
    }
    if let Some(disallow) = lane.attribute("disallow") {
        return !names(disallow);
    }
    true
}

struct TlProgram {
    id: String,
    offset_ms: i64,
    phases_ms: Vec<i64>,
    states: Vec<Vec<u8>>,
}

/// Converts a SUMO `.net.xml` document.
pub fn parse_net(xml: &str, options: &SumoImport) -> Result<SumoNet, SumoError> {
    let doc = roxmltree::Document::parse(xml)?;
    let mut links = Vec::new();
    let mut edge_ids = Vec::new();
    let mut edge_index = BTreeMap::new();
    let mut junction_ids: Vec<String> = Vec::new();
    let mut junction_index: BTreeMap<String, u32> = BTreeMap::new();
    let mut programs: Vec<TlProgram> = Vec::new();
    let mut program_index: BTreeMap<String, usize> = BTreeMap::new();
    // (tl, from link, to link, linkIndex)
    let mut connections: Vec<(String, LinkId, LinkId, usize)> = Vec::new();
    let mut node_of = |name: &str, junction_ids: &mut Vec<String>| -> u32 {
        if let Some(&n) = junction_index.get(name) {
            return n;
        }
        let n = junction_ids.len() as u32;
        junction_ids.push(name.to_owned());
        junction_index.insert(name.to_owned(), n);
        n
    };
    for el in doc.root_element().children().filter(|n| n.is_element()) {
        match el.tag_name().name() {
            "edge" => {
                let id = attr(el, "id", "?")?;
                if el.attribute("function").is_some_and(|f| f != "normal") {
                    continue;
                }
                let mut usable =
                    el.children().filter(|n| n.has_tag_name("lane") && lane_allows_passenger(*n));
                let Some(first) = usable.next() else { continue };
                let lanes = 1 + usable.count() as u32;
                let length_m = number(first, "length", id)?;
                let free_speed_mps = number(first, "speed", id)?;
                let from = node_of(attr(el, "from", id)?, &mut junction_ids);
                let to = node_of(attr(el, "to", id)?, &mut junction_ids);
                let link = LinkId(links.len() as u32);
                if edge_index.insert(id.to_owned(), link).is_some() {
                    return Err(SumoError::Attribute {
                        element: "edge".to_owned(),
                        id: id.to_owned(),
                        attribute: "id",
                        reason: "duplicate edge id".to_owned(),
                    });
                }
                edge_ids.push(id.to_owned());
                links.push(LinkSpec {
                    from,
                    to,
                    length_m,
                    free_speed_mps,
                    lanes,
                    capacity_vph: options.lane_capacity_vph * f64::from(lanes),
                });
            }
            "tlLogic" => {
                let id = attr(el, "id", "?")?;
                if program_index.contains_key(id) {
                    // Only the first program of a traffic light is used.
                    continue;
                }
                let offset_ms =
                    el.attribute("offset").map(|_| number(el, "offset", id)).transpose()?.unwrap_or(0.0);
                let mut phases_ms = Vec::new();
                let mut states = Vec::new();
                for phase in el.children().filter(|n| n.has_tag_name("phase")) {
                    phases_ms.push(seconds_to_ms(number(phase, "duration", id)?));
                    states.push(attr(phase, "state", id)?.as_bytes().to_vec());
                }
                program_index.insert(id.to_owned(), programs.len());
                programs.push(TlProgram {
                    id: id.to_owned(),
                    offset_ms: seconds_to_ms(offset_ms),
                    phases_ms,
                    states,
                });
            }
            "connection" => {
                let Some(tl) = el.attribute("tl") else { continue };
                let from_id = attr(el, "from", "?")?;
                let (Some(&from), Some(&to)) =
                    (edge_index.get(from_id), el.attribute("to").and_then(|t| edge_index.get(t)))
                else {
                    continue;
                };
                let index = attr(el, "linkIndex", from_id)?;
                let index = index.parse::<usize>().map_err(|_| SumoError::Attribute {
                    element: "connection".to_owned(),
                    id: from_id.to_owned(),
                    attribute: "linkIndex",
                    reason: format!("`{index}` is not a non-negative integer"),
                })?;
                connections.push((tl.to_owned(), from, to, index));
            }
            _ => {}
        }
    }
    let mut network = Network::new(junction_ids.len(), links)?;
    // Movements per (program, node), turns merged over lanes.
    let mut plans: BTreeMap<(usize, u32), BTreeMap<(LinkId, LinkId), u64>> = BTreeMap::new();
    for (tl, from, to, index) in &connections {
        let Some(&p) = program_index.get(tl) else {
            return Err(SumoError::Attribute {
                element: "connection".to_owned(),
                id: network_edge(&edge_ids, *from),
                attribute: "tl",
                reason: format!("traffic light `{tl}` has no tlLogic"),
            });
        };
        let program = &programs[p];
        let mut green = 0u64;
        for (i, state) in program.states.iter().enumerate() {
            let Some(&c) = state.get(*index) else {
                return Err(SumoError::Attribute {
                    element: "connection".to_owned(),
                    id: network_edge(&edge_ids, *from),
                    attribute: "linkIndex",
                    reason: format!("{index} is beyond the {} states of tlLogic `{tl}`", state.len()),
                });
            };
            let go = match c {
                b'G' | b'g' | b'O' | b'o' | b's' => true,
                b'y' | b'Y' => options.yellow == YellowRule::Green,
                _ => false,
            };
            if go && i < 64 {
                green |= 1 << i;
            }
        }
        let node = network.links()[from.index()].to;
        *plans.entry((p, node)).or_default().entry((*from, *to)).or_insert(0) |= green;
    }
    let mut signalized_nodes = 0;
    for ((p, node), movements) in plans {
        let program = &programs[p];
        let plan = SignalPlan {
            offset_ms: program.offset_ms,
            phases_ms: program.phases_ms.clone(),
            movements: movements
                .into_iter()
                .map(|((from, to), green)| Movement { from, to, green })
                .collect(),
        };
        network.add_signal(node, plan).map_err(|e| SumoError::Attribute {
            element: "tlLogic".to_owned(),
            id: program.id.clone(),
            attribute: "phases",
            reason: e.to_string(),
        })?;
        signalized_nodes += 1;
    }
    Ok(SumoNet { network, edge_ids, junction_ids, signalized_nodes, edge_index })
}

fn network_edge(edge_ids: &[String], link: LinkId) -> String {
    edge_ids[link.index()].clone()
}

/// Converts a SUMO `.rou.xml` document for `net`.
pub fn parse_routes(xml: &str, net: &SumoNet) -> Result<SumoRoutes, SumoError> {
    let doc = roxmltree::Document::parse(xml)?;
    let root = doc.root_element();
    let mut named: BTreeMap<&str, &str> = BTreeMap::new();
    for el in root.children().filter(|n| n.has_tag_name("route")) {
        let id = attr(el, "id", "?")?;
        named.insert(id, attr(el, "edges", id)?);
    }
    let mut plans = Plans::new();
    let mut vehicle_ids = Vec::new();
    let mut route = Vec::new();
    for el in root.children().filter(|n| n.is_element()) {
        let tag = el.tag_name().name();
        match tag {
            "vehicle" => {}
            "trip" | "flow" | "person" | "personFlow" | "container" => {
                return Err(SumoError::Unsupported {
                    element: tag.to_owned(),
                    id: el.attribute("id").unwrap_or("?").to_owned(),
                    reason: "only vehicles with routes are read",
                });
            }
            _ => continue,
        }
        let id = attr(el, "id", "?")?;
        let depart_s = number(el, "depart", id)?;
        let edges = match el.children().find(|n| n.has_tag_name("route")) {
            Some(r) => attr(r, "edges", id)?,
            None => {
                let name = attr(el, "route", id)?;
                named.get(name).copied().ok_or_else(|| SumoError::Attribute {
                    element: "vehicle".to_owned(),
                    id: id.to_owned(),
                    attribute: "route",
                    reason: format!("no route `{name}`"),
                })?
            }
        };
        route.clear();
        for edge in edges.split_whitespace() {
            let link = net.link(edge).ok_or_else(|| SumoError::Attribute {
                element: "vehicle".to_owned(),
                id: id.to_owned(),
                attribute: "edges",
                reason: format!("unknown edge `{edge}`"),
            })?;
            route.push(link);
        }
        let trip: TripId = plans
            .push(&net.network, seconds_to_ms(depart_s), &route)
            .map_err(|source| SumoError::Route { id: id.to_owned(), source })?;
        debug_assert_eq!(trip.index(), vehicle_ids.len());
        vehicle_ids.push(id.to_owned());
    }
    Ok(SumoRoutes { plans, vehicle_ids })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = r#"<net version="1.9">
    <edge id=":B_0" function="internal"><lane id=":B_0_0" index="0" speed="5" length="9"/></edge>
    <edge id="AB" from="A" to="B"><lane id="AB_0" index="0" speed="10.00" length="100.00"/>
        <lane id="AB_1" index="1" speed="10.00" length="100.00"/>
        <lane id="AB_2" index="2" allow="pedestrian" speed="2" length="100.00"/></edge>
    <edge id="BC" from="B" to="C"><lane id="BC_0" index="0" speed="20" length="50"/></edge>
    <edge id="BD" from="B" to="D"><lane id="BD_0" index="0" speed="20" length="50"/></edge>
    <edge id="walk" from="B" to="C"><lane id="walk_0" index="0" allow="pedestrian" speed="1" length="50"/></edge>
    <tlLogic id="B" type="static" programID="0" offset="5">
        <phase duration="30" state="GrG"/>
        <phase duration="3" state="yry"/>
        <phase duration="27" state="rGr"/>
    </tlLogic>
    <tlLogic id="B" type="static" programID="1" offset="0"><phase duration="1" state="rrr"/></tlLogic>
    <junction id="A" type="priority"/>
    <connection from="AB" to="BC" fromLane="0" toLane="0" via=":B_0_0" tl="B" linkIndex="0" dir="s"/>
    <connection from="AB" to="BC" fromLane="1" toLane="0" tl="B" linkIndex="2" dir="s"/>
    <connection from="AB" to="BD" fromLane="1" toLane="0" tl="B" linkIndex="1" dir="l"/>
    <connection from=":B_0" to="BC" fromLane="0" toLane="0"/>
</net>"#;

    #[test]
    fn net_import() {
        let net = parse_net(NET, &SumoImport::default()).unwrap();
        assert_eq!(net.edge_ids, vec!["AB", "BC", "BD"]);
        assert_eq!(net.junction_ids, vec!["A", "B", "C", "D"]);
        let ab = net.link("AB").unwrap();
        let spec = &net.network.links()[ab.index()];
        assert_eq!((spec.from, spec.to, spec.lanes), (0, 1, 2));
        assert_eq!((spec.length_m, spec.free_speed_mps, spec.capacity_vph), (100.0, 10.0, 3600.0));
        assert_eq!(net.signalized_nodes, 1);
        let plan = net.network.signal(1).unwrap();
        assert_eq!(plan.offset_ms, 5000);
        assert_eq!(plan.phases_ms, vec![30_000, 3000, 27_000]);
        let bc = net.link("BC").unwrap();
        let bd = net.link("BD").unwrap();
        assert_eq!(
            plan.movements,
            vec![Movement { from: ab, to: bc, green: 0b001 }, Movement { from: ab, to: bd, green: 0b100 }]
        );
        let yellow_green = parse_net(NET, &SumoImport { yellow: YellowRule::Green, ..SumoImport::default() });
        let plan = yellow_green.unwrap().network.signal(1).unwrap().clone();
        assert_eq!(plan.movements[0].green, 0b011);
    }

    #[test]
    fn routes_import() {
        let net = parse_net(NET, &SumoImport::default()).unwrap();
        let xml = r#"<routes><vType id="car"/><route id="r1" edges="AB BD"/>
            <vehicle id="v0" depart="1.50"><route edges="AB BC"/></vehicle>
            <vehicle id="v1" depart="0" route="r1"/></routes>"#;
        let routes = parse_routes(xml, &net).unwrap();
        assert_eq!(routes.vehicle_ids, vec!["v0", "v1"]);
        assert_eq!(routes.plans.depart_ms(TripId(0)), 1500);
        assert_eq!(routes.plans.route(TripId(1)), &[net.link("AB").unwrap(), net.link("BD").unwrap()]);
        let bad = r#"<routes><vehicle id="x" depart="0"><route edges="AB nope"/></vehicle></routes>"#;
        let err = parse_routes(bad, &net).unwrap_err().to_string();
        assert!(err.contains("vehicle `x`") && err.contains("unknown edge `nope`"), "{err}");
        let bad = r#"<routes><vehicle id="y" depart="0"><route edges="BC AB"/></vehicle></routes>"#;
        let err = parse_routes(bad, &net).unwrap_err().to_string();
        assert!(err.contains("vehicle `y`") && err.contains("route position 1"), "{err}");
        let bad = r#"<routes><vehicle id="z" depart="triggered"><route edges="AB"/></vehicle></routes>"#;
        assert!(parse_routes(bad, &net).unwrap_err().to_string().contains("depart"));
        let bad = r#"<routes><trip id="t" depart="0" from="AB" to="BC"/></routes>"#;
        assert!(parse_routes(bad, &net).unwrap_err().to_string().contains("not supported"));
    }
}
