//! Rendering whole reports: escaping, determinism, robustness to bad
//! numbers, axes, maps, size on city-sized networks, well-formed markup, and
//! a golden file.
//!
//! The golden file is regenerated with `UPDATE_GOLDEN=1`; a difference
//! otherwise fails the test and shows the first differing line.

use std::path::Path;

use omnibus_report::{
    BarChart, BarGroup, Block, LineChart, MapChart, MapLine, Report, Section, Series, Table, escape,
    render_html,
};
use proptest::prelude::*;

/// Elements that have no end tag in HTML.
const VOID: [&str; 2] = ["meta", "br"];

/// Attributes that must hold a finite number.
const NUMERIC: [&str; 13] =
    ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "stroke-width", "fill-opacity"];

/// A small checker for the markup the renderer emits: every element is
/// closed in order (or self-closed, or void), attribute values are quoted
/// and free of `<`, `>` and raw `&`, numeric attributes and path data hold
/// only finite numbers, text holds no raw `<`/`>` and only known entities,
/// and there is no script.
fn check_markup(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    let at = |rest: &str| html.len() - rest.len();
    while let Some(i) = rest.find('<') {
        check_text(&rest[..i]).map_err(|e| format!("{e} at byte {}", offset + i))?;
        rest = &rest[i..];
        offset = at(rest);
        if let Some(r) = rest.strip_prefix("<!DOCTYPE html>") {
            rest = r;
            continue;
        }
        let end = rest.find('>').ok_or(format!("unterminated tag at byte {offset}"))?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> without an open element at byte {offset}"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}> at byte {offset}"));
            }
            continue;
        }
        let (tag, self_closing) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        let name_end = tag.find(' ').unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("bad element name {name:?} at byte {offset}"));
        }
        if name == "script" || name == "img" || name == "link" || name == "iframe" {
            return Err(format!("<{name}> at byte {offset}"));
        }
        check_attributes(&tag[name_end..]).map_err(|e| format!("<{name}>: {e} at byte {offset}"))?;
        if name == "style" {
            let close = rest.find("</style>").ok_or("unclosed <style>")?;
            if rest[..close].contains('<') {
                return Err("markup inside <style>".into());
            }
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        if !self_closing && !VOID.contains(&name) {
            stack.push(name.to_owned());
        }
    }
    check_text(rest)?;
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('>') {
        return Err(format!("raw '>' in text {text:?}"));
    }
    check_entities(text)
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        rest = &rest[i + 1..];
        let ok = ["amp;", "lt;", "gt;", "quot;", "#39;"].iter().any(|e| rest.starts_with(e));
        if !ok {
            return Err(format!("raw '&' before {:?}", &rest[..rest.len().min(10)]));
        }
    }
    Ok(())
}

fn check_attributes(mut attrs: &str) -> Result<(), String> {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return Ok(());
        }
        let eq = attrs.find('=').ok_or(format!("attribute without value in {attrs:?}"))?;
        let name = &attrs[..eq];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("bad attribute name {name:?}"));
        }
        let value = attrs[eq + 1..].strip_prefix('"').ok_or(format!("unquoted value of {name}"))?;
        let close = value.find('"').ok_or(format!("unterminated value of {name}"))?;
        let (value, after) = (&value[..close], &value[close + 1..]);
        if value.contains('<') || value.contains('>') {
            return Err(format!("raw '<' or '>' in {name}={value:?}"));
        }
        check_entities(value)?;
        if NUMERIC.contains(&name) {
            let v: f64 = value.parse().map_err(|_| format!("{name}={value:?} is not a number"))?;
            if !v.is_finite() {
                return Err(format!("{name}={value:?} is not finite"));
            }
        }
        if name == "d" || name == "viewBox" || name == "transform" {
            check_numbers(value).map_err(|e| format!("{name}: {e}"))?;
        }
        attrs = after;
    }
}

/// Every number in path data, a view box or a transform is finite.
fn check_numbers(value: &str) -> Result<(), String> {
    let body = value.replace("translate(", " ").replace("rotate(", " ").replace(')', " ");
    let mut number = String::new();
    for c in body.chars().chain([' ']) {
        if c.is_ascii_digit() || c == '.' || (c == '-' && number.is_empty()) {
            number.push(c);
            continue;
        }
        if !number.is_empty() {
            let v: f64 = number.parse().map_err(|_| format!("bad number {number:?}"))?;
            if !v.is_finite() {
                return Err(format!("{number} is not finite"));
            }
            number.clear();
        }
        if c == '-' {
            number.push(c);
        } else if !(c == ' ' || "MLHVZmlhvz".contains(c)) {
            return Err(format!("unexpected {c:?} in {value:?}"));
        }
    }
    Ok(())
}

fn assert_well_formed(html: &str) {
    if let Err(e) = check_markup(html) {
        panic!("{e}");
    }
}

/// No numbers went wrong anywhere in the output.
fn assert_finite(html: &str) {
    assert!(!html.contains("NaN"), "NaN in output");
    assert!(!html.contains("inf"), "inf in output");
}

fn section(heading: &str, blocks: Vec<Block>) -> Section {
    Section { heading: heading.into(), blocks }
}

fn report(blocks: Vec<Block>) -> Report {
    Report { title: "Test".into(), subtitle: String::new(), sections: vec![section("Results", blocks)] }
}

fn hour(h: f64) -> f64 {
    h * 3600.0
}

/// A small report using every kind of block, in the shape a policy study
/// produces: a cordon toll compared to a baseline over three seeds.
fn example() -> Report {
    let profile = |scale: f64| -> Vec<(f64, f64)> {
        (0..=24)
            .map(|i| {
                let h = i as f64;
                let peaks = (-(h - 8.0).powi(2) / 3.0).exp() + 0.8 * (-(h - 17.5).powi(2) / 4.0).exp();
                (hour(h), (300.0 + 5200.0 * peaks) * scale)
            })
            .collect()
    };
    let base = profile(1.0);
    let policy = profile(0.88);
    let band = policy.iter().map(|&(x, y)| (x, y * 0.96, y * 1.04)).collect();
    let gap = |rate: f64| -> Vec<(f64, f64)> {
        (1..=30).map(|i| (i as f64, 0.5 * (-(i as f64) * rate).exp())).collect()
    };
    // A 6×6 grid of streets around (-51.2, -30.03), changes pushed out of
    // the cordon in the middle.
    let mut lines = Vec::new();
    for i in 0..6 {
        for j in 0..5 {
            let (a, b) = (-51.23 + 0.01 * i as f64, -30.06 + 0.01 * j as f64);
            let inside = (2..=3).contains(&i) && (1..=3).contains(&j);
            let value = if inside { -120.0 + 10.0 * j as f64 } else { 15.0 * (i + j) as f64 - 40.0 };
            lines.push(MapLine { points: vec![(a, b), (a, b + 0.01)], value, width: 0.0 });
            lines.push(MapLine {
                points: vec![
                    (-51.23 + 0.01 * j as f64, -30.06 + 0.01 * i as f64),
                    (-51.22 + 0.01 * j as f64, -30.06 + 0.01 * i as f64),
                ],
                value: if (i + j) % 4 == 0 { 0.0 } else { value * 0.5 },
                width: if i == 3 { 2.0 } else { 0.0 },
            });
        }
    }
    Report {
        title: "Cordon toll: baseline vs. policy".into(),
        subtitle: "Synthetic example · 3 seeds · weekday".into(),
        sections: vec![
            section(
                "Summary",
                vec![
                    Block::Paragraph(
                        "Traffic inside the cordon fell; trips moved to the ring road & to transit.\n\n\
                         Figures are means over three seeds."
                            .into(),
                    ),
                    Block::Table(Table {
                        caption: "Key indicators".into(),
                        header: vec!["Indicator".into(), "Baseline".into(), "Policy".into(), "Change".into()],
                        rows: vec![
                            vec!["Vehicle-km".into(), "7,480,225".into(), "7,102,930".into(), "−5.0%".into()],
                            vec!["Mean speed".into(), "31.2 km/h".into(), "33.8 km/h".into(), "+8.3%".into()],
                            vec!["Toll revenue".into(), "0".into(), "412,500".into(), "n/a".into()],
                        ],
                    }),
                ],
            ),
            section(
                "Traffic over the day",
                vec![Block::Line(LineChart {
                    title: "Vehicles in the network".into(),
                    x_label: "time of day".into(),
                    y_label: "vehicles".into(),
                    series: vec![
                        Series { name: "baseline".into(), points: base, band: Vec::new(), dashed: true },
                        Series { name: "policy (3 seeds)".into(), points: policy, band, dashed: false },
                    ],
                    log_y: false,
                    x_is_time_of_day: true,
                })],
            ),
            section(
                "Convergence",
                vec![Block::Line(LineChart {
                    title: "Relative gap".into(),
                    x_label: "iteration".into(),
                    y_label: "gap".into(),
                    series: vec![
                        Series { name: "baseline".into(), points: gap(0.45), ..Series::default() },
                        Series { name: "policy".into(), points: gap(0.35), ..Series::default() },
                    ],
                    log_y: true,
                    x_is_time_of_day: false,
                })],
            ),
            section(
                "Mode shares",
                vec![Block::Bars(BarChart {
                    title: "Trips by mode".into(),
                    y_label: "share (%)".into(),
                    categories: vec!["car".into(), "bus".into(), "bike".into(), "walk".into()],
                    groups: vec![
                        BarGroup {
                            name: "baseline".into(),
                            values: vec![52.0, 28.0, 6.0, 14.0],
                            errors: vec![(51.2, 52.9), (27.1, 28.8), (5.6, 6.5), (13.5, 14.4)],
                        },
                        BarGroup {
                            name: "policy".into(),
                            values: vec![47.5, 31.5, 6.8, 14.2],
                            errors: vec![(46.6, 48.3), (30.4, 32.7), (6.3, 7.4), (13.8, 14.7)],
                        },
                    ],
                })],
            ),
            section(
                "Where traffic changed",
                vec![Block::Map(MapChart {
                    title: "Change of daily volume".into(),
                    legend: "vehicles/day, policy − baseline".into(),
                    lines,
                    outlines: vec![vec![
                        (-51.215, -30.055),
                        (-51.195, -30.055),
                        (-51.195, -30.025),
                        (-51.215, -30.025),
                    ]],
                    diverging: true,
                })],
            ),
            section("Summary", vec![Block::Paragraph("A second section with a repeated heading.".into())]),
        ],
    }
}

#[test]
fn escaping() {
    assert_eq!(
        escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
    assert_eq!(escape("plain ãé 東京"), "plain ãé 東京");
}

#[test]
fn text_is_escaped_everywhere() {
    let evil = "<script>alert('x')</script> & \"quotes\"";
    let s = |t: &str| format!("{t} {evil}");
    let report = Report {
        title: s("title"),
        subtitle: s("subtitle"),
        sections: vec![section(
            &s("heading"),
            vec![
                Block::Paragraph(s("paragraph")),
                Block::Table(Table {
                    caption: s("caption"),
                    header: vec![s("h")],
                    rows: vec![vec![s("cell")]],
                }),
                Block::Line(LineChart {
                    title: s("line"),
                    x_label: s("x"),
                    y_label: s("y"),
                    series: vec![Series {
                        name: s("series"),
                        points: vec![(0.0, 1.0), (1.0, 2.0)],
                        ..Series::default()
                    }],
                    ..LineChart::default()
                }),
                Block::Bars(BarChart {
                    title: s("bars"),
                    y_label: s("y"),
                    categories: vec![s("category")],
                    groups: vec![BarGroup { name: s("group"), values: vec![1.0], errors: vec![] }],
                }),
                Block::Map(MapChart {
                    title: s("map"),
                    legend: s("legend"),
                    lines: vec![MapLine { points: vec![(0.0, 0.0), (1.0, 1.0)], value: 1.0, width: 0.0 }],
                    ..MapChart::default()
                }),
            ],
        )],
    };
    let html = render_html(&report);
    assert!(!html.contains("<script"), "raw <script> in output");
    assert!(!html.contains("alert('x')"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert_well_formed(&html);
    // Every piece of text made it, escaped.
    for t in [
        "title",
        "subtitle",
        "heading",
        "paragraph",
        "caption",
        "cell",
        "line",
        "series",
        "bars",
        "category",
        "group",
        "map",
        "legend",
    ] {
        assert!(html.contains(&escape(&s(t))), "{t} missing");
    }
}

#[test]
fn rendering_is_deterministic() {
    let a = render_html(&example());
    let b = render_html(&example().clone());
    assert_eq!(a, b);
}

#[test]
fn example_is_well_formed_and_self_contained() {
    let html = render_html(&example());
    assert_well_formed(&html);
    assert_finite(&html);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(!html.contains("http:") && !html.contains("https:") && !html.contains("url("));
    assert!(!html.contains("<script") && !html.contains(" src="));
    assert_eq!(html.matches("<svg ").count(), 4);
    assert!(html.contains("@media print"));
}

#[test]
fn the_checker_catches_broken_markup() {
    assert!(check_markup("<p><b>x</p></b>").is_err());
    assert!(check_markup("<p>x").is_err());
    assert!(check_markup("<p>a < b</p>").is_err());
    assert!(check_markup("<p>a & b</p>").is_err());
    assert!(check_markup("<p x=\"1\" y=\"NaN\"/>").is_err());
    assert!(check_markup("<path d=\"M0 0LNaN 1\"/>").is_err());
    assert!(check_markup("<path d=\"M0 0l1-2 3.5 4\"/><meta charset=\"utf-8\">").is_ok());
}

#[test]
fn table_of_contents_links_unique_anchors() {
    let html = render_html(&example());
    assert!(html.contains("<li><a href=\"#summary\">Summary</a></li>"));
    assert!(html.contains("<li><a href=\"#summary-2\">Summary</a></li>"));
    assert!(html.contains("<section id=\"summary\">"));
    assert!(html.contains("<section id=\"summary-2\">"));
    assert!(html.contains("<a href=\"#traffic-over-the-day\">"));
    // Every link has its target.
    for part in html.split("href=\"#").skip(1) {
        let id = &part[..part.find('"').unwrap()];
        assert_eq!(html.matches(&format!(" id=\"{id}\"")).count(), 1, "{id}");
    }
}

#[test]
fn numeric_cells_are_right_aligned() {
    let html = render_html(&example());
    assert!(html.contains("<td>Vehicle-km</td><td class=\"num\">7,480,225</td>"));
    assert!(html.contains("<td class=\"num\">31.2 km/h</td>"));
    assert!(html.contains("<td class=\"num\">−5.0%</td>"));
    assert!(html.contains("<td>n/a</td>"));
    // Headers of all-numeric columns too, not of the text column or the
    // column with "n/a".
    assert!(html.contains("<th scope=\"col\">Indicator</th><th scope=\"col\" class=\"num\">Baseline</th>"));
    assert!(html.contains("<th scope=\"col\">Change</th>"));
}

#[test]
fn short_rows_are_padded() {
    let html = render_html(&report(vec![Block::Table(Table {
        caption: String::new(),
        header: vec!["a".into(), "b".into(), "c".into()],
        rows: vec![vec!["1".into()], vec![]],
    })]));
    assert!(html.contains("<tr><td class=\"num\">1</td><td></td><td></td></tr>"));
    assert!(html.contains("<tr><td></td><td></td><td></td></tr>"));
    assert_well_formed(&html);
}

#[test]
fn non_finite_values_are_skipped() {
    let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e308, -1e308];
    let mut points =
        vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0), (f64::INFINITY, 5.0), (4.0, 2.0)];
    points.extend(bad.iter().map(|&b| (b, b)));
    let band = vec![
        (0.0, 0.5, 1.5),
        (1.0, f64::NAN, 2.0),
        (2.0, 2.0, f64::INFINITY),
        (3.0, 3.5, 4.5),
        (4.0, 1.0, 3.0),
    ];
    let html = render_html(&report(vec![
        Block::Line(LineChart {
            title: "lines".into(),
            series: vec![
                Series { name: "a".into(), points: points.clone(), band, dashed: false },
                Series {
                    name: "b".into(),
                    points: points.iter().map(|&(x, y)| (x, -y)).collect(),
                    ..Series::default()
                },
            ],
            ..LineChart::default()
        }),
        Block::Line(LineChart {
            title: "log".into(),
            series: vec![Series { name: "a".into(), points, ..Series::default() }],
            log_y: true,
            ..LineChart::default()
        }),
        Block::Bars(BarChart {
            title: "bars".into(),
            categories: vec!["a".into(), "b".into(), "c".into()],
            groups: vec![BarGroup {
                name: "g".into(),
                values: vec![1.0, f64::NAN, f64::INFINITY],
                errors: vec![(f64::NAN, 2.0), (0.0, 1.0)],
            }],
            ..BarChart::default()
        }),
        Block::Map(MapChart {
            title: "map".into(),
            lines: vec![
                MapLine {
                    points: vec![(0.0, 0.0), (f64::NAN, 1.0), (1.0, 1.0), (2.0, 1.5)],
                    value: 2.0,
                    width: f64::NAN,
                },
                MapLine { points: vec![(0.5, 0.5), (1.0, 0.0)], value: f64::NAN, width: 0.0 },
                MapLine { points: vec![(0.5, 0.5), (1.5, 0.0)], value: f64::NEG_INFINITY, width: 1.0 },
            ],
            outlines: vec![vec![(0.0, 0.0), (f64::NAN, f64::NAN), (1.0, 0.0), (1.0, 1.0)]],
            diverging: true,
            ..MapChart::default()
        }),
    ]));
    assert_finite(&html);
    assert_well_formed(&html);
    assert_eq!(html.matches("<svg ").count(), 4);
    assert!(!html.contains("No data"));
}

#[test]
fn charts_without_finite_data_say_so() {
    let nan = f64::NAN;
    let html = render_html(&report(vec![
        Block::Line(LineChart::default()),
        Block::Line(LineChart {
            title: "all missing".into(),
            series: vec![Series {
                name: "a".into(),
                points: vec![(nan, nan), (1.0, nan)],
                band: vec![(nan, 1.0, 2.0)],
                dashed: true,
            }],
            ..LineChart::default()
        }),
        Block::Line(LineChart {
            title: "log of non-positive".into(),
            series: vec![Series { points: vec![(0.0, 0.0), (1.0, -1.0)], ..Series::default() }],
            log_y: true,
            ..LineChart::default()
        }),
        Block::Bars(BarChart {
            title: "bars".into(),
            categories: vec!["a".into()],
            groups: vec![BarGroup { values: vec![nan], ..BarGroup::default() }],
            ..BarChart::default()
        }),
        Block::Bars(BarChart::default()),
        Block::Map(MapChart {
            title: "map".into(),
            lines: vec![MapLine { points: vec![(nan, 1.0)], value: 1.0, width: 0.0 }],
            ..MapChart::default()
        }),
        Block::Map(MapChart::default()),
        Block::Table(Table::default()),
    ]));
    assert!(!html.contains("<svg"));
    assert_eq!(html.matches("No data to plot.").count(), 7);
    assert!(html.contains("<figcaption>all missing</figcaption>"));
    assert_finite(&html);
    assert_well_formed(&html);
}

#[test]
fn time_of_day_axes_read_hh_mm() {
    let html = render_html(&report(vec![Block::Line(LineChart {
        series: vec![Series {
            points: vec![(hour(5.5), 10.0), (hour(23.9), 20.0), (hour(25.2), 5.0)],
            ..Series::default()
        }],
        x_is_time_of_day: true,
        ..LineChart::default()
    })]));
    for t in ["06:00", "12:00", "18:00", "24:00"] {
        assert!(html.contains(&format!(">{t}</text>")), "{t}");
    }
    assert!(!html.contains(">86,400<") && !html.contains(">86400<"));
    assert_well_formed(&html);
}

#[test]
fn numeric_axes_use_nice_steps() {
    let html = render_html(&report(vec![Block::Line(LineChart {
        series: vec![Series { points: vec![(0.0, 0.0), (1.0, 7_480_225.0)], ..Series::default() }],
        ..LineChart::default()
    })]));
    for t in ["0", "2,000,000", "4,000,000", "6,000,000", "8,000,000", "0.2", "1.0"] {
        assert!(html.contains(&format!(">{t}</text>")), "{t}");
    }
}

#[test]
fn log_axes_show_decades_and_skip_non_positive_values() {
    let html = render_html(&report(vec![Block::Line(LineChart {
        series: vec![Series {
            points: vec![(1.0, 1.0), (2.0, 1e-3), (3.0, 0.0), (4.0, -1.0), (5.0, 1e-8)],
            ..Series::default()
        }],
        log_y: true,
        ..LineChart::default()
    })]));
    for t in ["10⁻⁸", "10⁻⁴", "10⁰"] {
        assert!(html.contains(&format!(">{t}</text>")), "{t}");
    }
    // The skipped values break the line: two subpaths would be one move
    // each; here the run (1, 2) is a line and (5) a lone dot.
    assert!(html.contains("<circle "));
    assert_finite(&html);
    assert_well_formed(&html);
}

#[test]
fn series_are_coloured_dashed_banded_and_in_the_legend() {
    let html = render_html(&example());
    assert!(html.contains("stroke=\"#0072b2\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\" stroke-dasharray=\"6 4\">"));
    assert!(html.contains("fill=\"#d55e00\" fill-opacity=\"0.2\""));
    assert!(html.contains(">policy (3 seeds)</text>"));
    assert!(html.contains("<title>policy (3 seeds)</title>"));
}

#[test]
fn bars_have_error_bars_and_tooltips() {
    let html = render_html(&example());
    assert!(html.contains("<title>policy — bus: 31.5 (30.4 to 32.7)</title>"));
    assert!(html.contains("<g fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\">"));
}

/// The stroke colours of a map's link paths, in drawing order.
fn map_strokes(html: &str) -> Vec<[u8; 3]> {
    html.split("<path stroke=\"#")
        .skip(1)
        .map(|s| {
            let c = |i: usize| u8::from_str_radix(&s[i..i + 2], 16).unwrap();
            [c(0), c(2), c(4)]
        })
        .collect()
}

#[test]
fn maps_diverge_around_zero_and_draw_strong_changes_on_top() {
    let line = |value: f64, k: f64| MapLine { points: vec![(k, 0.0), (k + 0.5, 0.1)], value, width: 0.0 };
    let html = render_html(&report(vec![Block::Map(MapChart {
        legend: "change".into(),
        lines: vec![line(-10.0, 0.0), line(5.0, 1.0), line(1.0, 2.0), line(0.0, 3.0)],
        diverging: true,
        ..MapChart::default()
    })]));
    let strokes = map_strokes(&html);
    assert_eq!(strokes.len(), 4, "{strokes:?}");
    // Grey zero first, then by |value|: 1, 5, −10.
    let [r, g, b] = strokes[0];
    assert!(r == g && g == b, "zero is grey");
    let [r, _, b] = strokes[2];
    assert!(r > b + 60, "+5 is red-ish");
    let [r, _, b] = strokes[3];
    assert!(b > r + 60, "−10 is blue-ish");
    // The colour scale is symmetric.
    assert!(
        html.contains(">\u{2212}10</text>") && html.contains(">+10</text>") && html.contains(">0</text>")
    );
    assert!(html.contains(">change</text>"));
    assert_well_formed(&html);
}

#[test]
fn sequential_maps_label_min_and_max() {
    let line = |value: f64, k: f64| MapLine { points: vec![(k, 0.0), (k + 0.5, 0.1)], value, width: 0.0 };
    let html = render_html(&report(vec![Block::Map(MapChart {
        lines: vec![line(250.0, 0.0), line(1200.0, 1.0)],
        outlines: vec![vec![(0.0, 0.0), (2.0, 0.0), (2.0, 0.2)]],
        ..MapChart::default()
    })]));
    assert!(html.contains(">250</text>") && html.contains(">1,200</text>"));
    assert!(html.contains("stroke-dasharray=\"6 3\">\n<path d=\"M"));
    assert_well_formed(&html);
}

/// A grid city of `n` links around Porto Alegre, a third of them unchanged.
fn city(n: usize) -> MapChart {
    let side = (n as f64).sqrt().ceil() as usize;
    let lines = (0..n)
        .map(|k| {
            let (i, j) = ((k % side) as f64, (k / side) as f64);
            let (lon, lat) = (-51.3 + 0.002 * i, -30.2 + 0.0015 * j);
            let value = if k % 3 == 0 { 0.0 } else { ((k * 7919) % 2001) as f64 - 1000.0 };
            let points = vec![
                (lon, lat),
                (lon + 0.0007, lat + 0.0004),
                (lon + 0.0013, lat + 0.0011),
                (lon + 0.002, lat),
            ];
            MapLine { points, value, width: if k % 50 == 0 { 3.0 } else { 0.0 } }
        })
        .collect();
    MapChart {
        title: "City".into(),
        legend: "vehicles/day".into(),
        lines,
        outlines: vec![vec![(-51.25, -30.15), (-51.2, -30.15), (-51.2, -30.1)]],
        diverging: true,
    }
}

#[test]
fn large_maps_stay_small() {
    let html = render_html(&report(vec![Block::Map(city(30_000))]));
    assert!(html.len() < 8_000_000, "{} bytes", html.len());
    // Links of a colour share paths: far fewer paths than links.
    assert!(html.matches("<path ").count() < 200, "{} paths", html.matches("<path ").count());
    // Unchanged links are left out on big maps: no grey links.
    assert!(!html.contains("<path stroke=\"#bdbdbd\""));
    assert_finite(&html);
    assert_well_formed(&html);
}

#[test]
fn small_maps_draw_unchanged_links_thin_and_grey() {
    let html = render_html(&report(vec![Block::Map(city(100))]));
    assert!(html.contains("<path stroke=\"#bdbdbd\" stroke-width=\"1\" d=\"M"));
    let html = render_html(&report(vec![Block::Map(city(5_000))]));
    assert!(html.contains("<path stroke=\"#bdbdbd\""));
    let html = render_html(&report(vec![Block::Map(city(5_001))]));
    assert!(!html.contains("<path stroke=\"#bdbdbd\""));
}

#[test]
fn golden_example() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/example.html");
    omnibus_core::golden::check(&path, &render_html(&example()), "the report");
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e4..1e4f64,
        1 => prop::num::f64::ANY,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => prop_oneof![Just(1e-9), Just(1e12), Just(-1e300), Just(f64::MIN_POSITIVE)],
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    "[a-hj-z<>&\"' é€]{0,12}"
}

fn any_series() -> impl Strategy<Value = Series> {
    (
        any_text(),
        prop::collection::vec((any_number(), any_number()), 0..12),
        prop::collection::vec((any_number(), any_number(), any_number()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(name, points, band, dashed)| Series { name, points, band, dashed })
}

fn any_block() -> impl Strategy<Value = Block> {
    prop_oneof![
        (any_text(), prop::collection::vec(any_series(), 0..4), any::<bool>(), any::<bool>()).prop_map(
            |(title, series, log_y, x_is_time_of_day)| Block::Line(LineChart {
                title,
                x_label: "x".into(),
                y_label: "y".into(),
                series,
                log_y,
                x_is_time_of_day
            })
        ),
        (
            prop::collection::vec(any_text(), 0..5),
            prop::collection::vec(
                (
                    any_text(),
                    prop::collection::vec(any_number(), 0..5),
                    prop::collection::vec((any_number(), any_number()), 0..5)
                ),
                0..3
            )
        )
            .prop_map(|(categories, groups)| Block::Bars(BarChart {
                title: "bars".into(),
                y_label: "y".into(),
                categories,
                groups: groups
                    .into_iter()
                    .map(|(name, values, errors)| BarGroup { name, values, errors })
                    .collect(),
            })),
        (
            prop::collection::vec(
                (prop::collection::vec((any_number(), any_number()), 0..4), any_number(), any_number()),
                0..8
            ),
            any::<bool>()
        )
            .prop_map(|(lines, diverging)| Block::Map(MapChart {
                title: "map".into(),
                legend: "legend".into(),
                lines: lines
                    .into_iter()
                    .map(|(points, value, width)| MapLine { points, value, width })
                    .collect(),
                outlines: Vec::new(),
                diverging,
            })),
        (any_text(), prop::collection::vec(prop::collection::vec(any_text(), 0..4), 0..4))
            .prop_map(|(caption, rows)| Block::Table(Table { caption, header: vec!["h".into()], rows })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_report_renders_to_well_formed_finite_markup(
        heading in any_text(),
        blocks in prop::collection::vec(any_block(), 1..4),
    ) {
        let report = Report { title: "t".into(), subtitle: String::new(), sections: vec![section(&heading, blocks)] };
        let html = render_html(&report);
        prop_assert!(check_markup(&html).is_ok(), "{:?}", check_markup(&html));
        prop_assert!(!html.contains("NaN") && !html.contains("inf"));
        prop_assert_eq!(html.clone(), render_html(&report));
    }
}
