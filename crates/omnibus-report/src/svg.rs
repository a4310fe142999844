//! Pieces shared by the charts: the palette, figure frames, axes and legends.

use std::fmt::Write as _;

use crate::axis::Axis;
use crate::escape;
use crate::fmt::{px, text_width};

/// Series and group colours, in order: the Okabe–Ito colours that read well
/// on white (distinguishable with the common colour-vision deficiencies),
/// then three more. Series past the end reuse colours from the start.
pub(crate) const PALETTE: [&str; 10] = [
    "#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#1a1a1a", "#8c564b", "#7f7f7f",
    "#bcbd22",
];

/// The colour of the `i`-th series.
pub(crate) fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The dash pattern of dashed series.
pub(crate) const DASH: &str = "6 4";

/// The dash pattern of the `i`-th series, if any: dashed series are dashed,
/// and solid series that reuse a colour (every other round through the
/// palette) are dotted so that they stay distinguishable.
pub(crate) fn dash(i: usize, dashed: bool) -> Option<&'static str> {
    if dashed {
        Some(DASH)
    } else if (i / PALETTE.len()) % 2 == 1 {
        Some("1 3")
    } else {
        None
    }
}

/// The width of every chart, in pixels (charts scale down on narrow screens).
pub(crate) const WIDTH: f64 = 720.0;

/// Opens a `<figure>` with the chart title as its caption.
pub(crate) fn open_figure(out: &mut String, class: &str, title: &str) {
    writeln!(out, "<figure class=\"{class}\">").unwrap();
    if !title.is_empty() {
        writeln!(out, "<figcaption>{}</figcaption>", escape(title)).unwrap();
    }
}

/// A figure that says there is nothing to plot.
pub(crate) fn no_data(out: &mut String, class: &str, title: &str) {
    open_figure(out, class, title);
    out.push_str("<p class=\"nodata\">No data to plot.</p>\n</figure>\n");
}

/// Wraps an SVG body of the given size in an `<svg>` element inside the
/// figure, and closes the figure.
pub(crate) fn finish_figure(out: &mut String, width: f64, height: f64, label: &str, body: &str) {
    let (w, h) = (px(width), px(height));
    write!(out, "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\"").unwrap();
    if !label.is_empty() {
        write!(out, " aria-label=\"{}\"", escape(label)).unwrap();
    }
    out.push_str(">\n");
    out.push_str(body);
    out.push_str("</svg>\n</figure>\n");
}

/// The rectangle of a chart that data are drawn in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plot {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Plot {
    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    /// The horizontal pixel position of `v` on `axis`.
    pub fn x(&self, axis: &Axis, v: f64) -> f64 {
        self.left + axis.frac(v).clamp(0.0, 1.0) * self.width
    }

    /// The vertical pixel position of `v` on `axis` (values grow upwards).
    pub fn y(&self, axis: &Axis, v: f64) -> f64 {
        self.top + (1.0 - axis.frac(v).clamp(0.0, 1.0)) * self.height
    }
}

/// The width of the widest tick label of an axis.
pub(crate) fn widest_label(axis: &Axis) -> f64 {
    axis.ticks.iter().map(|(_, l)| text_width(l)).fold(0.0, f64::max)
}

/// Horizontal grid lines and labels for the ticks of a vertical axis, and
/// the axis title rotated along the left edge.
pub(crate) fn y_axis(out: &mut String, plot: &Plot, axis: &Axis, title: &str) {
    out.push_str("<g stroke=\"#e4e4e4\">\n");
    for (v, _) in &axis.ticks {
        let y = px(plot.y(axis, *v));
        writeln!(out, "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>", px(plot.left), px(plot.right()))
            .unwrap();
    }
    out.push_str("</g>\n<g font-size=\"12\" fill=\"#333\" text-anchor=\"end\">\n");
    for (v, label) in &axis.ticks {
        let y = px(plot.y(axis, *v) + 4.0);
        writeln!(out, "<text x=\"{}\" y=\"{y}\">{}</text>", px(plot.left - 6.0), escape(label)).unwrap();
    }
    out.push_str("</g>\n");
    if !title.is_empty() {
        writeln!(
            out,
            "<text transform=\"rotate(-90)\" x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#333\" \
             text-anchor=\"middle\">{}</text>",
            px(-(plot.top + plot.height / 2.0)),
            px((plot.left - widest_label(axis) - 12.0).max(14.0)),
            escape(title)
        )
        .unwrap();
    }
}

/// The left and bottom axis lines of a plot.
pub(crate) fn frame(out: &mut String, plot: &Plot) {
    let (l, r, t, b) = (px(plot.left), px(plot.right()), px(plot.top), px(plot.bottom()));
    writeln!(out, "<path d=\"M{l} {t}V{b}H{r}\" fill=\"none\" stroke=\"#777\"/>").unwrap();
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A line sample, optionally dashed and over a translucent band.
    Line { colour: &'static str, dash: Option<&'static str>, band: bool },
    /// A filled square.
    Box { colour: &'static str },
}

/// Height of one legend row.
const ROW: f64 = 18.0;

/// Lays out legend entries in rows between `left` and `right`, starting at
/// `top`; returns the height used (0 without entries).
pub(crate) fn legend(out: &mut String, entries: &[(String, Swatch)], left: f64, right: f64, top: f64) -> f64 {
    if entries.is_empty() {
        return 0.0;
    }
    let mut x = left;
    let mut y = top;
    out.push_str("<g font-size=\"12\" fill=\"#333\">\n");
    for (label, swatch) in entries {
        let width = 28.0 + text_width(label) + 16.0;
        if x > left && x + width > right {
            x = left;
            y += ROW;
        }
        let mid = y + ROW / 2.0;
        match *swatch {
            Swatch::Line { colour, dash, band } => {
                if band {
                    writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"22\" height=\"10\" fill=\"{colour}\" fill-opacity=\"0.2\"/>",
                        px(x),
                        px(mid - 5.0)
                    )
                    .unwrap();
                }
                let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
                writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
                    px(x),
                    px(mid),
                    px(x + 22.0),
                    px(mid)
                )
                .unwrap();
            }
            Swatch::Box { colour } => {
                writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>",
                    px(x + 5.0),
                    px(mid - 6.0)
                )
                .unwrap();
            }
        }
        writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", px(x + 28.0), px(mid + 4.0), escape(label))
            .unwrap();
        x += width;
    }
    out.push_str("</g>\n");
    y + ROW - top
}
