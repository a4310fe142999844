//! Grouped bar charts with optional error bars.

use std::fmt::Write as _;

use crate::BarChart;
use crate::axis::Axis;
use crate::escape;
use crate::fmt::{px, text_width, usable, value};
use crate::line::Extent;
use crate::svg::{self, Plot, Swatch, WIDTH};

/// Height of the plot area.
const PLOT_HEIGHT: f64 = 240.0;

/// The angle of category labels that do not fit horizontally, in degrees.
const ANGLE: f64 = 35.0;

/// Category labels longer than this are shortened (the full text stays in
/// the bars' tooltips).
const MAX_LABEL: usize = 32;

pub(crate) fn render(chart: &BarChart, out: &mut String) {
    let n = chart.groups.iter().map(|g| g.values.len()).max().unwrap_or(0).max(chart.categories.len());
    let mut ys = Extent::default();
    for group in &chart.groups {
        for (i, &v) in group.values.iter().enumerate() {
            if usable(v) {
                ys.add(v);
                if let Some((lo, hi)) = error(group.errors.get(i)) {
                    ys.add(lo);
                    ys.add(hi);
                }
            }
        }
    }
    let Extent(Some((y_min, y_max))) = ys else {
        svg::no_data(out, "chart", &chart.title);
        return;
    };
    let y_axis = Axis::linear(y_min.min(0.0), y_max.max(0.0), 5);

    let labels: Vec<String> =
        (0..n).map(|i| short(chart.categories.get(i).map_or("", String::as_str))).collect();
    let left = (if chart.y_label.is_empty() { 0.0 } else { 22.0 }) + svg::widest_label(&y_axis) + 12.0;
    let mut left = left.max(36.0);
    let widest = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    let mut slot = (WIDTH - left - 12.0) / n as f64;
    let rotate = widest > slot - 6.0;
    if rotate {
        // Rotated labels end under their bars and reach left: make room for
        // the first one.
        let reach = widest * ANGLE.to_radians().cos() - slot / 2.0 + 4.0;
        if reach > left {
            left = reach;
            slot = (WIDTH - left - 12.0) / n as f64;
        }
    }
    let plot_width = WIDTH - left - 12.0;
    let label_depth = if rotate { widest * ANGLE.to_radians().sin() + 12.0 } else { 18.0 };
    let plot = Plot { left, top: 12.0, width: plot_width, height: PLOT_HEIGHT };

    let mut body = String::new();
    svg::y_axis(&mut body, &plot, &y_axis, &chart.y_label);
    let zero = plot.y(&y_axis, 0.0);
    let groups = chart.groups.len().max(1) as f64;
    let inner = slot * if chart.groups.len() > 1 { 0.84 } else { 0.7 };
    let bar = inner / groups;
    let gap = if bar > 6.0 { 1.0 } else { 0.0 };
    let mut whiskers = String::new();
    for (j, group) in chart.groups.iter().enumerate() {
        writeln!(body, "<g fill=\"{}\">", svg::colour(j)).unwrap();
        for (i, &v) in group.values.iter().enumerate() {
            if !usable(v) {
                continue;
            }
            let x = plot.left + slot * i as f64 + (slot - inner) / 2.0 + bar * j as f64;
            let y = plot.y(&y_axis, v);
            let category = chart.categories.get(i).map_or("", String::as_str);
            let mut tip = match (group.name.is_empty(), category.is_empty()) {
                (false, false) => format!("{} — {category}: {}", group.name, value(v)),
                (false, true) => format!("{}: {}", group.name, value(v)),
                (true, false) => format!("{category}: {}", value(v)),
                (true, true) => value(v),
            };
            if let Some((lo, hi)) = error(group.errors.get(i)) {
                write!(tip, " ({} to {})", value(lo), value(hi)).unwrap();
                let cx = x + bar / 2.0;
                let cap = (bar / 4.0).min(6.0);
                let (y_lo, y_hi) = (px(plot.y(&y_axis, lo)), px(plot.y(&y_axis, hi)));
                writeln!(
                    whiskers,
                    "<path d=\"M{} {y_lo}V{y_hi}M{} {y_lo}H{}M{} {y_hi}H{}\"/>",
                    px(cx),
                    px(cx - cap),
                    px(cx + cap),
                    px(cx - cap),
                    px(cx + cap)
                )
                .unwrap();
            }
            writeln!(
                body,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                px(x + gap / 2.0),
                px(y.min(zero)),
                px((bar - gap).max(0.5)),
                px((y - zero).abs()),
                escape(&tip)
            )
            .unwrap();
        }
        body.push_str("</g>\n");
    }
    if !whiskers.is_empty() {
        writeln!(body, "<g fill=\"none\" stroke=\"#222\" stroke-width=\"1.2\">\n{whiskers}</g>").unwrap();
    }
    svg::frame(&mut body, &plot);
    if y_axis.lo < 0.0 {
        let y = px(zero);
        writeln!(
            body,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#777\"/>",
            px(plot.left),
            px(plot.right())
        )
        .unwrap();
    }

    // Category labels, rotated when they do not fit under their bars.
    let anchor = if rotate { "end" } else { "middle" };
    writeln!(body, "<g font-size=\"12\" fill=\"#333\" text-anchor=\"{anchor}\">").unwrap();
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            continue;
        }
        let cx = plot.left + slot * (i as f64 + 0.5);
        if rotate {
            writeln!(
                body,
                "<text transform=\"translate({} {}) rotate(-{ANGLE})\">{}</text>",
                px(cx + 4.0),
                px(plot.bottom() + 14.0),
                escape(label)
            )
            .unwrap();
        } else {
            writeln!(
                body,
                "<text x=\"{}\" y=\"{}\">{}</text>",
                px(cx),
                px(plot.bottom() + 17.0),
                escape(label)
            )
            .unwrap();
        }
    }
    body.push_str("</g>\n");

    let next = plot.bottom() + label_depth + 10.0;
    let entries: Vec<(String, Swatch)> =
        if chart.groups.len() > 1 || chart.groups.iter().any(|g| !g.name.is_empty()) {
            chart
                .groups
                .iter()
                .enumerate()
                .filter(|(_, g)| !g.name.is_empty())
                .map(|(j, g)| (g.name.clone(), Swatch::Box { colour: svg::colour(j) }))
                .collect()
        } else {
            Vec::new()
        };
    let used = svg::legend(&mut body, &entries, plot.left, WIDTH - 8.0, next);
    let height = next + used + 4.0;
    svg::open_figure(out, "chart", &chart.title);
    svg::finish_figure(out, WIDTH, height, &chart.title, &body);
}

/// A usable error interval, low end first.
fn error(e: Option<&(f64, f64)>) -> Option<(f64, f64)> {
    let &(a, b) = e?;
    (usable(a) && usable(b)).then(|| (a.min(b), a.max(b)))
}

/// A category label cut to [`MAX_LABEL`] characters.
fn short(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(MAX_LABEL - 1).collect();
        s.push('…');
        s
    }
}
