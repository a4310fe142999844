//! Readers for the Transportation Networks for Research (TNTP) formats: network files
//! (`*_net.tntp`), trip tables (`*_trips.tntp`) and best-known link flows (`*_flow.tntp`).
//!
//! Metadata lines look like `<FIRST THRU NODE> 1` and end at `<END OF METADATA>`; lines starting
//! with `~` are comments; data lines end with `;`. Errors name the file, the 1-based line and the
//! field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::demand::Demand;
use crate::network::{CostWeights, Link, LinkId, Network, NetworkError, NodeId, validate_link};

/// A TNTP file could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum TntpError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} line {line}: field {field}: {value:?} {problem}")]
    Field { file: String, line: usize, field: String, value: String, problem: String },
    #[error("{file} line {line}: field {field} is missing")]
    MissingField { file: String, line: usize, field: String },
    #[error("{file} line {line}: {message}")]
    Line { file: String, line: usize, message: String },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

/// Column names of a network file, in order.
pub const NET_FIELDS: [&str; 10] = [
    "init_node",
    "term_node",
    "capacity",
    "length",
    "free_flow_time",
    "b",
    "power",
    "speed",
    "toll",
    "link_type",
];

/// The metadata header of a network file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NetMetadata {
    pub zones: Option<u32>,
    pub nodes: u32,
    /// 1-based; nodes numbered below it are zones that paths may not pass through.
    pub first_thru_node: u32,
    pub links: usize,
    /// `<TOLL FACTOR>`, time units per toll unit, if the header has one.
    pub toll_factor: Option<f64>,
    /// `<DISTANCE FACTOR>`, time units per length unit, if the header has one.
    pub distance_factor: Option<f64>,
}

/// A parsed network file.
#[derive(Debug, Clone)]
pub struct TntpNet {
    pub metadata: NetMetadata,
    /// The network, with the first thru node and any toll/distance factors of the header applied.
    pub network: Network,
    /// The line of the file each link came from.
    pub link_lines: Vec<usize>,
}

/// A parsed trip table.
#[derive(Debug, Clone)]
pub struct TntpTrips {
    pub zones: Option<u32>,
    /// `<TOTAL OD FLOW>` as declared in the header (intrazonal trips included).
    pub declared_total: Option<f64>,
    /// Intrazonal trips (origin = destination): read, counted here, and left out of `demand`.
    pub intrazonal_total: f64,
    pub demand: Demand,
}

/// One row of a best-known flow file.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BestKnownFlow {
    pub from: NodeId,
    pub to: NodeId,
    pub volume: f64,
    /// Link cost at that flow, as published (absent in some files).
    pub cost: Option<f64>,
    pub line: usize,
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn read(path: &Path) -> Result<String, TntpError> {
    std::fs::read_to_string(path).map_err(|source| TntpError::Io { path: path.to_path_buf(), source })
}

/// Reads a network file.
pub fn read_net(path: impl AsRef<Path>) -> Result<TntpNet, TntpError> {
    let path = path.as_ref();
    parse_net(&file_label(path), &read(path)?)
}

/// Reads a trip table.
pub fn read_trips(path: impl AsRef<Path>) -> Result<TntpTrips, TntpError> {
    let path = path.as_ref();
    parse_trips(&file_label(path), &read(path)?)
}

/// Reads a best-known flow file.
pub fn read_flows(path: impl AsRef<Path>) -> Result<Vec<BestKnownFlow>, TntpError> {
    let path = path.as_ref();
    parse_flows(&file_label(path), &read(path)?)
}

/// Parsing context: the file name and current line, for error messages.
struct Ctx<'a> {
    file: &'a str,
    line: usize,
}

impl Ctx<'_> {
    fn field(&self, field: &str, value: &str, problem: impl Into<String>) -> TntpError {
        TntpError::Field {
            file: self.file.to_owned(),
            line: self.line,
            field: field.to_owned(),
            value: value.to_owned(),
            problem: problem.into(),
        }
    }

    fn missing(&self, field: &str) -> TntpError {
        TntpError::MissingField { file: self.file.to_owned(), line: self.line, field: field.to_owned() }
    }

    fn line_error(&self, message: impl Into<String>) -> TntpError {
        TntpError::Line { file: self.file.to_owned(), line: self.line, message: message.into() }
    }

    fn number(&self, field: &str, value: &str) -> Result<f64, TntpError> {
        let v: f64 = value.parse().map_err(|_| self.field(field, value, "is not a number"))?;
        if v.is_finite() { Ok(v) } else { Err(self.field(field, value, "is not a finite number")) }
    }

    fn non_negative(&self, field: &str, value: &str) -> Result<f64, TntpError> {
        let v = self.number(field, value)?;
        if v >= 0.0 { Ok(v) } else { Err(self.field(field, value, "is negative")) }
    }

    fn integer(&self, field: &str, value: &str) -> Result<i64, TntpError> {
        if let Ok(v) = value.parse::<i64>() {
            return Ok(v);
        }
        let v = self.number(field, value)?;
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(v as i64)
        } else {
            Err(self.field(field, value, "is not a whole number"))
        }
    }

    /// A 1-based node number, at most `max` when given.
    fn node(&self, field: &str, value: &str, max: Option<u32>, what: &str) -> Result<u32, TntpError> {
        let v = self.integer(field, value)?;
        let ok = v >= 1 && v <= i64::from(max.unwrap_or(u32::MAX - 1));
        match (ok, max) {
            (true, _) => Ok(v as u32),
            (false, Some(max)) => Err(self.field(field, value, format!("is not a {what} in 1..={max}"))),
            (false, None) => Err(self.field(field, value, format!("is not a {what} number (1 or more)"))),
        }
    }
}

/// Splits off the metadata header. Returns the `(key, value, line)` items and the index of the
/// first line after the header. The header ends at `<END OF METADATA>` or at the first line that
/// is neither a metadata item, a comment nor blank.
fn metadata(text: &str) -> (Vec<(String, String, usize)>, usize) {
    let mut items = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('~') {
            continue;
        }
        let Some(rest) = line.strip_prefix('<') else {
            return (items, i);
        };
        let Some((key, value)) = rest.split_once('>') else {
            return (items, i);
        };
        let key = key.trim().to_ascii_uppercase();
        if key == "END OF METADATA" {
            return (items, i + 1);
        }
        items.push((key, value.trim().to_owned(), i + 1));
    }
    (items, usize::MAX)
}

/// The data part of a line: comments dropped, a trailing `;` removed; `None` for blank lines.
fn data(raw: &str) -> Option<&str> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('~') || line.starts_with('<') {
        return None;
    }
    let line = line.strip_suffix(';').unwrap_or(line).trim_end();
    (!line.is_empty()).then_some(line)
}

fn meta_number(file: &str, items: &[(String, String, usize)], key: &str) -> Result<Option<f64>, TntpError> {
    match items.iter().rev().find(|(k, _, _)| k == key) {
        None => Ok(None),
        Some((_, value, line)) => {
            Ctx { file, line: *line }.non_negative(&format!("<{key}>"), value.trim_end_matches(';')).map(Some)
        }
    }
}

fn meta_count(file: &str, items: &[(String, String, usize)], key: &str) -> Result<Option<u64>, TntpError> {
    match items.iter().rev().find(|(k, _, _)| k == key) {
        None => Ok(None),
        Some((_, value, line)) => {
            let ctx = Ctx { file, line: *line };
            let field = format!("<{key}>");
            let value = value.trim_end_matches(';').trim();
            let v = ctx.integer(&field, value)?;
            u64::try_from(v)
                .ok()
                .filter(|&v| v < u64::from(u32::MAX))
                .map(Some)
                .ok_or_else(|| ctx.field(&field, value, "is not a count that fits in 32 bits"))
        }
    }
}

/// Parses the text of a network file; `file` names it in errors.
pub fn parse_net(file: &str, text: &str) -> Result<TntpNet, TntpError> {
    let (items, body) = metadata(text);
    let zones = meta_count(file, &items, "NUMBER OF ZONES")?.map(|v| v as u32);
    let declared_nodes = meta_count(file, &items, "NUMBER OF NODES")?.map(|v| v as u32);
    let first_thru = meta_count(file, &items, "FIRST THRU NODE")?.map(|v| v as u32);
    let declared_links = meta_count(file, &items, "NUMBER OF LINKS")?;
    let toll_factor = meta_number(file, &items, "TOLL FACTOR")?;
    let distance_factor = meta_number(file, &items, "DISTANCE FACTOR")?;

    let mut links = Vec::new();
    let mut link_lines = Vec::new();
    for (i, raw) in text.lines().enumerate().skip(body) {
        let Some(line) = data(raw) else { continue };
        let ctx = Ctx { file, line: i + 1 };
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() > NET_FIELDS.len() {
            return Err(ctx.line_error(format!(
                "{} fields, expected {} ({})",
                tokens.len(),
                NET_FIELDS.len(),
                NET_FIELDS.join(" ")
            )));
        }
        let get = |k: usize| tokens.get(k).copied().ok_or_else(|| ctx.missing(NET_FIELDS[k]));
        let from = ctx.node(NET_FIELDS[0], get(0)?, declared_nodes, "node")?;
        let to = ctx.node(NET_FIELDS[1], get(1)?, declared_nodes, "node")?;
        let capacity = ctx.non_negative(NET_FIELDS[2], get(2)?)?;
        let length = ctx.non_negative(NET_FIELDS[3], get(3)?)?;
        let free_flow_time = ctx.non_negative(NET_FIELDS[4], get(4)?)?;
        let b = ctx.non_negative(NET_FIELDS[5], get(5)?)?;
        let power = ctx.non_negative(NET_FIELDS[6], get(6)?)?;
        ctx.number(NET_FIELDS[7], get(7)?)?;
        let toll_text = get(8)?;
        let toll = ctx.number(NET_FIELDS[8], toll_text)?;
        if toll.fract() != 0.0 || toll.abs() >= 9.0e15 {
            return Err(ctx.field(NET_FIELDS[8], toll_text, "is not a whole number of minor money units"));
        }
        let link_type = ctx.integer(NET_FIELDS[9], get(9)?)?;
        let link_type = i32::try_from(link_type)
            .map_err(|_| ctx.field(NET_FIELDS[9], tokens[9], "does not fit in 32 bits"))?;
        let link = Link {
            from: NodeId(from - 1),
            to: NodeId(to - 1),
            capacity,
            length,
            free_flow_time,
            b,
            power,
            toll: toll as i64,
            link_type,
        };
        // Node numbers were checked above; this checks the cost parameters together.
        if let Err(e) = validate_link(LinkId(links.len() as u32), &link, usize::MAX) {
            return Err(match e {
                NetworkError::BadLinkField { field, requirement, .. } => {
                    let k = NET_FIELDS.iter().position(|f| *f == field).unwrap_or(0);
                    ctx.field(field, tokens[k], format!("is invalid: {requirement}"))
                }
                other => ctx.line_error(other.to_string()),
            });
        }
        links.push(link);
        link_lines.push(i + 1);
    }

    let whole = |message: String| TntpError::File { file: file.to_owned(), message };
    if let Some(declared) = declared_links
        && declared != links.len() as u64
    {
        return Err(whole(format!("<NUMBER OF LINKS> is {declared} but the file has {} links", links.len())));
    }
    let max_node = links.iter().map(|l| l.from.tntp().max(l.to.tntp())).max().unwrap_or(0);
    let nodes = declared_nodes.unwrap_or(max_node.max(zones.unwrap_or(0)));
    let first_thru_node = first_thru.unwrap_or(1);
    if first_thru_node == 0 || first_thru_node > nodes.saturating_add(1) {
        let line = items.iter().find(|(k, _, _)| k == "FIRST THRU NODE").map_or(0, |(_, _, l)| *l);
        return Err(Ctx { file, line }.field(
            "<FIRST THRU NODE>",
            &first_thru_node.to_string(),
            format!("is not in 1..={}", nodes.saturating_add(1)),
        ));
    }
    let mut network =
        Network::new(nodes as usize, NodeId(first_thru_node - 1), links).map_err(|e| whole(e.to_string()))?;
    if toll_factor.is_some() || distance_factor.is_some() {
        network
            .set_weights(CostWeights {
                toll_factor: toll_factor.unwrap_or(0.0),
                distance_factor: distance_factor.unwrap_or(0.0),
            })
            .map_err(|e| whole(e.to_string()))?;
    }
    let metadata = NetMetadata {
        zones,
        nodes,
        first_thru_node,
        links: network.num_links(),
        toll_factor,
        distance_factor,
    };
    Ok(TntpNet { metadata, network, link_lines })
}

/// Parses the text of a trip table; `file` names it in errors. Repeated destinations within an
/// origin are an error; zero flows and intrazonal trips are dropped.
pub fn parse_trips(file: &str, text: &str) -> Result<TntpTrips, TntpError> {
    let (items, body) = metadata(text);
    let zones = meta_count(file, &items, "NUMBER OF ZONES")?.map(|v| v as u32);
    let declared_total = meta_number(file, &items, "TOTAL OD FLOW")?;
    let mut origin: Option<u32> = None;
    let mut seen: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut entries = Vec::new();
    let mut intrazonal_total = 0.0;
    for (i, raw) in text.lines().enumerate().skip(body) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('~') {
            continue;
        }
        let ctx = Ctx { file, line: i + 1 };
        if let Some(rest) = line.strip_prefix("Origin") {
            let value = rest.trim().trim_end_matches(';').trim();
            if value.is_empty() {
                return Err(ctx.missing("origin"));
            }
            origin = Some(ctx.node("origin", value, zones, "zone")?);
            continue;
        }
        for pair in line.split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let Some(o) = origin else {
                return Err(ctx.line_error("destination flows before the first `Origin` line"));
            };
            let Some((dest, flow)) = pair.split_once(':') else {
                return Err(ctx.line_error(format!("expected `destination : flow;`, found {pair:?}")));
            };
            let (dest, flow) = (dest.trim(), flow.trim());
            if dest.is_empty() {
                return Err(ctx.missing("destination"));
            }
            if flow.is_empty() {
                return Err(ctx.missing("flow"));
            }
            let d = ctx.node("destination", dest, zones, "zone")?;
            let f = ctx.non_negative("flow", flow)?;
            if let Some(first) = seen.insert((o, d), i + 1) {
                return Err(ctx.field(
                    "destination",
                    dest,
                    format!("repeats origin {o}'s destination already given on line {first}"),
                ));
            }
            if o == d {
                intrazonal_total += f;
            }
            entries.push((NodeId(o - 1), NodeId(d - 1), f));
        }
    }
    let demand = Demand::new(entries)
        .map_err(|e| TntpError::File { file: file.to_owned(), message: e.to_string() })?;
    Ok(TntpTrips { zones, declared_total, intrazonal_total, demand })
}

/// Parses a best-known flow file: an optional header line (`From To Volume Cost`), then one row
/// per link, tab or space separated.
pub fn parse_flows(file: &str, text: &str) -> Result<Vec<BestKnownFlow>, TntpError> {
    const FIELDS: [&str; 4] = ["From", "To", "Volume", "Cost"];
    let mut rows = Vec::new();
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let Some(line) = data(raw) else { continue };
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if std::mem::take(&mut first) && tokens.first().is_some_and(|t| t.parse::<f64>().is_err()) {
            continue; // header
        }
        let ctx = Ctx { file, line: i + 1 };
        if tokens.len() > FIELDS.len() {
            return Err(
                ctx.line_error(format!("{} fields, expected at most 4 (From To Volume Cost)", tokens.len()))
            );
        }
        let get = |k: usize| tokens.get(k).copied().ok_or_else(|| ctx.missing(FIELDS[k]));
        let from = ctx.node(FIELDS[0], get(0)?, None, "node")?;
        let to = ctx.node(FIELDS[1], get(1)?, None, "node")?;
        let volume = ctx.non_negative(FIELDS[2], get(2)?)?;
        let cost = tokens.get(3).map(|c| ctx.number(FIELDS[3], c)).transpose()?;
        rows.push(BestKnownFlow { from: NodeId(from - 1), to: NodeId(to - 1), volume, cost, line: i + 1 });
    }
    Ok(rows)
}

/// Matches best-known flows to the network's links by (from, to); parallel links are matched in
/// file order. Every link must get exactly one flow. `file` names the flow file in errors.
pub fn link_flows(net: &Network, file: &str, rows: &[BestKnownFlow]) -> Result<Vec<f64>, TntpError> {
    let mut by_pair: BTreeMap<(NodeId, NodeId), Vec<usize>> = BTreeMap::new();
    for (i, link) in net.links().iter().enumerate().rev() {
        by_pair.entry((link.from, link.to)).or_default().push(i);
    }
    let mut flows = vec![f64::NAN; net.num_links()];
    for row in rows {
        let Some(i) = by_pair.get_mut(&(row.from, row.to)).and_then(Vec::pop) else {
            return Err(TntpError::Line {
                file: file.to_owned(),
                line: row.line,
                message: format!(
                    "no (further) link from node {} to node {} in the network",
                    row.from.tntp(),
                    row.to.tntp()
                ),
            });
        };
        flows[i] = row.volume;
    }
    if let Some(i) = flows.iter().position(|f| f.is_nan()) {
        let l = &net.links()[i];
        return Err(TntpError::File {
            file: file.to_owned(),
            message: format!("no flow for the link from node {} to node {}", l.from.tntp(), l.to.tntp()),
        });
    }
    Ok(flows)
}

/// A TNTP test problem as laid out in the Transportation Networks repository, with the settings
/// its README gives that the file headers do not carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestProblem {
    pub name: &'static str,
    /// Folder under the repository root.
    pub dir: &'static str,
    /// File prefix: `{stem}_net.tntp`, `{stem}_trips.tntp`, `{stem}_flow.tntp`.
    pub stem: &'static str,
    /// Generalized-cost weights from the README, used when the header has none.
    pub weights: Option<CostWeights>,
    /// First thru node to use instead of the header's.
    pub first_thru_node: Option<u32>,
}

/// Sioux Falls: 24 nodes, 76 links, 24 zones (all nodes may be passed through); no toll or
/// distance term.
pub const SIOUX_FALLS: TestProblem = TestProblem {
    name: "SiouxFalls",
    dir: "SiouxFalls",
    stem: "SiouxFalls",
    weights: None,
    first_thru_node: None,
};

/// Chicago Sketch: 933 nodes, 2950 links, 387 zones. The README's generalized cost is
/// `t + 0.02 min/cent * toll + 0.04 min/mile * length` (the header does not say so; the published
/// link costs in the flow file include the distance term). Zones 1..=387 are centroids, so the
/// first thru node is 388 (the header here says 1; every zone has a single connector each way, so
/// either gives the same shortest paths).
pub const CHICAGO_SKETCH: TestProblem = TestProblem {
    name: "ChicagoSketch",
    dir: "Chicago-Sketch",
    stem: "ChicagoSketch",
    weights: Some(CostWeights { toll_factor: 0.02, distance_factor: 0.04 }),
    first_thru_node: Some(388),
};

/// A loaded test problem.
#[derive(Debug, Clone)]
pub struct LoadedProblem {
    pub net: TntpNet,
    pub trips: TntpTrips,
    /// Best-known flow rows, if the flow file exists.
    pub best_known: Option<Vec<BestKnownFlow>>,
    /// Best-known flows matched to the network's links.
    pub best_known_link_flows: Option<Vec<f64>>,
}

impl TestProblem {
    /// Reads the problem from `data_dir/{dir}` (`data_dir` being the repository root).
    pub fn load(&self, data_dir: &Path) -> Result<LoadedProblem, TntpError> {
        let dir = data_dir.join(self.dir);
        let mut net = read_net(dir.join(format!("{}_net.tntp", self.stem)))?;
        let file = format!("{}_net.tntp", self.stem);
        let whole = |e: NetworkError| TntpError::File { file: file.clone(), message: e.to_string() };
        if let Some(w) = self.weights
            && net.metadata.toll_factor.is_none()
            && net.metadata.distance_factor.is_none()
        {
            net.network.set_weights(w).map_err(whole)?;
        }
        if let Some(first) = self.first_thru_node {
            let node = NodeId::from_tntp(first).ok_or_else(|| whole(NetworkError::BadFirstThruNode(0, 0)))?;
            net.network.set_first_thru_node(node).map_err(whole)?;
        }
        let trips = read_trips(dir.join(format!("{}_trips.tntp", self.stem)))?;
        let flow_file = format!("{}_flow.tntp", self.stem);
        let flow_path = dir.join(&flow_file);
        let (best_known, best_known_link_flows) = if flow_path.exists() {
            let rows = read_flows(&flow_path)?;
            let flows = link_flows(&net.network, &flow_file, &rows)?;
            (Some(rows), Some(flows))
        } else {
            (None, None)
        };
        Ok(LoadedProblem { net, trips, best_known, best_known_link_flows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 3\n<NUMBER OF LINKS> 2\n\
                       <END OF METADATA>\n\n~ init term cap len fft b p speed toll type ;\n\
                       \t1\t3\t100\t1\t2\t0.15\t4\t0\t0\t1\t;\n\t3\t2\t100\t1\t2\t0.15\t4\t0\t25\t1\t;\n";

    #[test]
    fn parses_a_net_file() {
        let net = parse_net("x_net.tntp", NET).unwrap();
        assert_eq!(net.metadata.zones, Some(2));
        assert_eq!(net.metadata.first_thru_node, 3);
        assert_eq!(net.network.num_nodes(), 3);
        assert_eq!(net.network.first_thru_node(), NodeId(2));
        assert_eq!(net.network.links()[1].toll, 25);
        assert_eq!(net.link_lines, vec![8, 9]);
    }

    #[test]
    fn net_errors_name_file_line_and_field() {
        let bad = NET.replace("\t3\t2\t100", "\t3\t2\tabc");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert_eq!(e, "x_net.tntp line 9: field capacity: \"abc\" is not a number");
        let bad = NET.replace("\t3\t2\t100", "\t3\t7\t100");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert_eq!(e, "x_net.tntp line 9: field term_node: \"7\" is not a node in 1..=3");
        let bad = NET.replace("\t0\t25\t1\t;", "\t0\t25\t;");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert_eq!(e, "x_net.tntp line 9: field link_type is missing");
        let bad = NET.replace("\t1\t3\t100\t1\t2\t0.15\t4", "\t1\t3\t0\t1\t2\t0.15\t4");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert!(e.starts_with("x_net.tntp line 8: field capacity: \"0\" is invalid"), "{e}");
        let bad = NET.replace("<NUMBER OF LINKS> 2", "<NUMBER OF LINKS> 3");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert_eq!(e, "x_net.tntp: <NUMBER OF LINKS> is 3 but the file has 2 links");
        let bad = NET.replace("\t0\t25\t1\t;", "\t0\t2.5\t1\t;");
        let e = parse_net("x_net.tntp", &bad).unwrap_err().to_string();
        assert!(e.contains("line 9: field toll: \"2.5\""), "{e}");
    }

    #[test]
    fn parses_trips() {
        let text = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 30.0\n<END OF METADATA>\n\nOrigin \t1 \n    \
                    1 :      0.0;     2 :    10.0; \n\nOrigin 2\n 1 : 20.0;\n";
        let t = parse_trips("x_trips.tntp", text).unwrap();
        assert_eq!(t.declared_total, Some(30.0));
        assert_eq!(t.demand.total(), 30.0);
        assert_eq!(t.demand.num_pairs(), 2);
        let e = parse_trips("x_trips.tntp", &text.replace("20.0", "x")).unwrap_err().to_string();
        assert_eq!(e, "x_trips.tntp line 9: field flow: \"x\" is not a number");
        let e = parse_trips("x_trips.tntp", &text.replace(" 1 : 20.0", " 3 : 20.0")).unwrap_err().to_string();
        assert_eq!(e, "x_trips.tntp line 9: field destination: \"3\" is not a zone in 1..=2");
    }

    #[test]
    fn parses_and_matches_flows() {
        let net = parse_net("x_net.tntp", NET).unwrap().network;
        let text = "From \tTo \tVolume \tCost \n3 \t2 \t5.5 \t2.0 \n1 \t3 \t4 \t2.0 \n";
        let rows = parse_flows("x_flow.tntp", text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(link_flows(&net, "x_flow.tntp", &rows).unwrap(), vec![4.0, 5.5]);
        let e = link_flows(&net, "x_flow.tntp", &rows[..1]).unwrap_err().to_string();
        assert_eq!(e, "x_flow.tntp: no flow for the link from node 1 to node 3");
    }
}
