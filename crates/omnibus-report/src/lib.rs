//! Omnibus reports: one self-contained HTML file (inline CSS and SVG, no
//! JavaScript, no external URLs) that a transport authority reads after a
//! policy simulation.
//!
//! A [`Report`] holds [`Section`]s of [`Block`]s: paragraphs, [`Table`]s,
//! [`LineChart`]s (time-of-day series, convergence of iterations, spread
//! bands across seeds), grouped [`BarChart`]s (with error bars) and
//! [`MapChart`]s of road links coloured by a value (for example the change of
//! volume between a baseline and a policy run) with polygon outlines (for
//! example a toll cordon). [`render_html`] turns it into a string.
//!
//! Rendering is deterministic (the same report gives byte-identical HTML),
//! numbers are written with fixed precision, non-finite values are skipped,
//! and all text is escaped. Maps of tens of thousands of links stay a few
//! megabytes: coordinates are rounded to a tenth of a pixel and links of the
//! same colour share a path.
//!
//! ```
//! use omnibus_report::{Block, LineChart, Report, Section, Series, render_html};
//!
//! let report = Report {
//!     title: "Congestion charge".into(),
//!     subtitle: "Baseline vs. policy".into(),
//!     sections: vec![Section {
//!         heading: "Traffic".into(),
//!         blocks: vec![
//!             Block::Paragraph("Volumes on the cordon fell by 12%.".into()),
//!             Block::Line(LineChart {
//!                 title: "Vehicles in the network".into(),
//!                 y_label: "vehicles".into(),
//!                 x_is_time_of_day: true,
//!                 series: vec![Series {
//!                     name: "baseline".into(),
//!                     points: vec![(6.0 * 3600.0, 1200.0), (8.0 * 3600.0, 5400.0), (10.0 * 3600.0, 2100.0)],
//!                     ..Series::default()
//!                 }],
//!                 ..LineChart::default()
//!             }),
//!         ],
//!     }],
//! };
//! let html = render_html(&report);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("08:00"));
//! ```

mod axis;
mod bars;
mod fmt;
mod line;
mod map;
mod svg;

pub use fmt::group as group_digits;

use std::collections::HashSet;
use std::fmt::Write as _;

/// A whole report: a title, a subtitle and sections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The main heading, also the document title.
    pub title: String,
    /// A line under the title (may be empty).
    pub subtitle: String,
    /// The sections, listed in a table of contents.
    pub sections: Vec<Section>,
}

/// A section of a report, with a heading that the table of contents links to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    /// The heading; its anchor is derived from it (made unique in the report).
    pub heading: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

/// One piece of content.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Plain text; blank lines separate paragraphs.
    Paragraph(String),
    /// A table.
    Table(Table),
    /// A line chart.
    Line(LineChart),
    /// A grouped bar chart.
    Bars(BarChart),
    /// A map of road links.
    Map(MapChart),
}

/// A table of text cells; numeric-looking cells (such as `1,234`, `−5.2%`,
/// `3e-4`, `12 km/h`, `07:30`) are right-aligned, and so are the headers of
/// columns whose cells all are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Shown above the table (may be empty).
    pub caption: String,
    /// Column headers (may be empty).
    pub header: Vec<String>,
    /// Rows of cells; short rows are padded with empty cells.
    pub rows: Vec<Vec<String>>,
}

/// A line chart of one or more series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    /// Shown above the chart.
    pub title: String,
    /// Under the horizontal axis.
    pub x_label: String,
    /// Along the vertical axis.
    pub y_label: String,
    /// The series, coloured from a fixed palette in order.
    pub series: Vec<Series>,
    /// A logarithmic vertical axis; values at or below 0 are skipped.
    pub log_y: bool,
    /// x is in seconds since midnight: ticks read `HH:MM` (past 24:00 for
    /// simulations that run over midnight).
    pub x_is_time_of_day: bool,
}

/// One line of a [`LineChart`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Shown in the legend (series without a name are left out of it).
    pub name: String,
    /// (x, y) in drawing order; non-finite points break the line.
    pub points: Vec<(f64, f64)>,
    /// (x, low, high): a translucent band, for example the spread across
    /// seeds; may be empty.
    pub band: Vec<(f64, f64, f64)>,
    /// Draw the line dashed.
    pub dashed: bool,
}

/// A bar chart: one bar per group in each category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarChart {
    /// Shown above the chart.
    pub title: String,
    /// Along the vertical axis.
    pub y_label: String,
    /// Category names along the horizontal axis.
    pub categories: Vec<String>,
    /// The groups (bars of one colour), in legend order.
    pub groups: Vec<BarGroup>,
}

/// The bars of one colour in a [`BarChart`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarGroup {
    /// Shown in the legend.
    pub name: String,
    /// One value per category; non-finite values leave the bar out.
    pub values: Vec<f64>,
    /// Per category, the (low, high) ends of an error bar, in the units of
    /// the values (absolute ends, not offsets); empty for none.
    pub errors: Vec<(f64, f64)>,
}

/// A map of road links coloured by a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapChart {
    /// Shown above the map.
    pub title: String,
    /// Describes the value, next to the colour scale.
    pub legend: String,
    /// The links.
    pub lines: Vec<MapLine>,
    /// (lon, lat) polygons drawn as dashed outlines over the links, for
    /// example a toll cordon.
    pub outlines: Vec<Vec<(f64, f64)>>,
    /// true: blue below 0, grey at 0, red above, symmetric around 0 (for
    /// changes); false: light to dark from the smallest to the largest value.
    pub diverging: bool,
}

/// A link on a [`MapChart`].
///
/// Links whose value is 0 (or not finite) are drawn thin and grey, or left
/// out on maps of more than 5,000 links. Stronger values draw on top.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapLine {
    /// (lon, lat) in degrees.
    pub points: Vec<(f64, f64)>,
    /// The value that sets the colour.
    pub value: f64,
    /// Stroke width relative to the map's default (0: the default).
    pub width: f64,
}

impl From<Table> for Block {
    fn from(table: Table) -> Block {
        Block::Table(table)
    }
}

impl From<LineChart> for Block {
    fn from(chart: LineChart) -> Block {
        Block::Line(chart)
    }
}

impl From<BarChart> for Block {
    fn from(chart: BarChart) -> Block {
        Block::Bars(chart)
    }
}

impl From<MapChart> for Block {
    fn from(chart: MapChart) -> Block {
        Block::Map(chart)
    }
}

/// Escapes text for HTML content and attribute values: `&`, `<`, `>`, `"`
/// and `'`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style sheet: readable on screens, compact and colour-faithful on paper.
const CSS: &str = "\
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;line-height:1.45;\
color:#1a1a1a;background:#fff;max-width:60rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.8rem;margin:.6rem 0 .2rem}
h2{font-size:1.35rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:1px solid #ddd}
.subtitle{color:#555;margin:0 0 1rem;font-size:1.05rem}
nav.toc{background:#f6f6f6;padding:.6rem 1rem;margin:1rem 0 1.5rem}
nav.toc h2{font-size:1rem;margin:0;border:0}
nav.toc ol{margin:.3rem 0 0;padding-left:1.4rem}
a{color:#0b5cad}
.table-wrap{overflow-x:auto;margin:1rem 0}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.35rem}
th,td{padding:.25rem .65rem;border-bottom:1px solid #e2e2e2;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #999}
tbody tr:nth-child(even){background:#f8f8f8}
.num{text-align:right;white-space:nowrap}
figure{margin:1.4rem 0}
figcaption{font-weight:600;margin-bottom:.35rem}
svg{display:block;max-width:100%;height:auto;font-family:inherit}
.nodata{color:#777;font-style:italic}
footer{margin-top:3rem;color:#888;font-size:.8rem}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}\
a{color:inherit;text-decoration:none}nav.toc{background:none;padding:0}\
h2{break-after:avoid}figure,.table-wrap,tr{break-inside:avoid}.table-wrap{overflow:visible}\
tbody tr:nth-child(even){background:none}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\
footer{display:none}}
";

/// Renders a report as one self-contained HTML document.
pub fn render_html(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let title = if report.title.is_empty() { "Report" } else { &report.title };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    writeln!(out, "<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<header>", escape(title))
        .unwrap();
    if !report.title.is_empty() {
        writeln!(out, "<h1>{}</h1>", escape(&report.title)).unwrap();
    }
    if !report.subtitle.is_empty() {
        writeln!(out, "<p class=\"subtitle\">{}</p>", escape(&report.subtitle)).unwrap();
    }
    out.push_str("</header>\n");

    let ids = section_ids(&report.sections);
    if !report.sections.is_empty() {
        out.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
        for (n, (section, id)) in report.sections.iter().zip(&ids).enumerate() {
            let label = heading_or_number(section, n);
            writeln!(out, "<li><a href=\"#{}\">{}</a></li>", escape(id), escape(&label)).unwrap();
        }
        out.push_str("</ol>\n</nav>\n");
    }

    out.push_str("<main>\n");
    for (n, (section, id)) in report.sections.iter().zip(&ids).enumerate() {
        writeln!(out, "<section id=\"{}\">", escape(id)).unwrap();
        writeln!(out, "<h2>{}</h2>", escape(&heading_or_number(section, n))).unwrap();
        for block in &section.blocks {
            render_block(block, &mut out);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n<footer>Generated by Omnibus.</footer>\n</body>\n</html>\n");
    out
}

fn heading_or_number(section: &Section, n: usize) -> String {
    if section.heading.is_empty() { format!("Section {}", n + 1) } else { section.heading.clone() }
}

fn render_block(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph(text) => {
            let text = text.replace("\r\n", "\n");
            for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
                writeln!(out, "<p>{}</p>", escape(para)).unwrap();
            }
        }
        Block::Table(table) => render_table(table, out),
        Block::Line(chart) => line::render(chart, out),
        Block::Bars(chart) => bars::render(chart, out),
        Block::Map(chart) => map::render(chart, out),
    }
}

/// Anchors for the sections: lower-case letters and digits of the heading
/// joined by `-`, with `-2`, `-3`, … appended to repeats.
fn section_ids(sections: &[Section]) -> Vec<String> {
    let mut seen = HashSet::new();
    sections
        .iter()
        .map(|s| {
            let base = slug(&s.heading);
            let mut id = base.clone();
            let mut k = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{k}");
                k += 1;
            }
            id
        })
        .collect()
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "section".to_owned() } else { out }
}

/// Whether a cell reads as a number: an optional sign, digits with optional
/// `,`/`_`/thin-space grouping, a decimal point and an exponent, then an
/// optional `%`/`‰` or a short unit (`km/h`, `s`); or a clock time `HH:MM`.
fn is_numeric(cell: &str) -> bool {
    let s = cell.trim();
    let s = s.strip_prefix(['+', '-', '\u{2212}', '±']).unwrap_or(s).trim_start();
    // A clock time.
    let parts: Vec<&str> = s.split(':').collect();
    if (2..=3).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    // The number itself.
    let mut chars = s.char_indices().peekable();
    let (mut digits, mut dot, mut end) = (0, false, 0);
    while let Some(&(i, c)) = chars.peek() {
        match c {
            '0'..='9' => digits += 1,
            '.' if !dot => dot = true,
            ',' | '_' | '\u{2009}' | '\u{202f}' if digits > 0 => {}
            _ => break,
        }
        end = i + c.len_utf8();
        chars.next();
    }
    if digits == 0 {
        return false;
    }
    let mut rest = &s[end..];
    if let Some(exp) = rest.strip_prefix(['e', 'E']) {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        let n = exp.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            rest = &exp[n..];
        }
    }
    let unit = rest.trim_start();
    unit.is_empty()
        || unit == "%"
        || unit == "‰"
        || (rest.starts_with(' ')
            && unit.chars().count() <= 6
            && unit.chars().all(|c| c.is_alphabetic() || matches!(c, '/' | '²' | '³' | '%')))
}

fn render_table(table: &Table, out: &mut String) {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0).max(table.header.len());
    if columns == 0 {
        let what = if table.caption.is_empty() { "Empty table." } else { &table.caption };
        writeln!(out, "<p class=\"nodata\">{}</p>", escape(what)).unwrap();
        return;
    }
    let numeric_column: Vec<bool> = (0..columns)
        .map(|c| {
            let mut cells =
                table.rows.iter().filter_map(|r| r.get(c)).filter(|s| !s.trim().is_empty()).peekable();
            cells.peek().is_some() && cells.all(|s| is_numeric(s))
        })
        .collect();
    out.push_str("<div class=\"table-wrap\"><table>\n");
    if !table.caption.is_empty() {
        writeln!(out, "<caption>{}</caption>", escape(&table.caption)).unwrap();
    }
    if !table.header.is_empty() {
        out.push_str("<thead><tr>");
        for (c, &numeric) in numeric_column.iter().enumerate() {
            let text = table.header.get(c).map_or("", String::as_str);
            let class = if numeric { " class=\"num\"" } else { "" };
            write!(out, "<th scope=\"col\"{class}>{}</th>", escape(text)).unwrap();
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for c in 0..columns {
            let text = row.get(c).map_or("", String::as_str);
            let class = if is_numeric(text) { " class=\"num\"" } else { "" };
            write!(out, "<td{class}>{}</td>", escape(text)).unwrap();
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_cells() {
        for s in
            ["0", "1,234", "-5.2", "−5.2%", "+12 %", "3e-4", "1.5E+10", ".5", "12 km/h", "07:30", "4 s", "±3"]
        {
            assert!(is_numeric(s), "{s}");
        }
        for s in [
            "",
            "abc",
            "Line 4",
            "km",
            "-",
            "1.2.3",
            "12km/h",
            "n/a",
            "2024-05-01",
            "v1.2",
            "3 very long words",
        ] {
            assert!(!is_numeric(s), "{s}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Traffic & Speeds (AM peak)"), "traffic-speeds-am-peak");
        assert_eq!(slug("  Preço médio  "), "preço-médio");
        assert_eq!(slug("***"), "section");
    }

    #[test]
    fn unique_ids() {
        let s = |h: &str| Section { heading: h.into(), blocks: vec![] };
        let ids = section_ids(&[s("Results"), s("Results"), s("results-2"), s(""), s("")]);
        assert_eq!(ids, ["results", "results-2", "results-2-2", "section", "section-2"]);
    }
}
