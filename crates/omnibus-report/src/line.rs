//! Line charts: series of points, optional spread bands, linear or
//! logarithmic values, numbers or clock times along x.

use std::fmt::Write as _;

use crate::LineChart;
use crate::axis::Axis;
use crate::fmt::{px, text_width, usable};
use crate::svg::{self, Plot, Swatch, WIDTH};

/// The smallest value a logarithmic axis shows.
const MIN_LOG: f64 = 1e-300;

/// Height of the plot area.
const PLOT_HEIGHT: f64 = 260.0;

/// A band sample: x, the low edge (`None`: below a logarithmic axis) and the
/// high edge.
type BandPoint = (f64, Option<f64>, f64);

/// The drawable parts of one series.
struct Prepared {
    /// Runs of consecutive usable points; unusable points break the line.
    runs: Vec<Vec<(f64, f64)>>,
    /// Runs of consecutive usable band samples.
    band: Vec<Vec<BandPoint>>,
}

/// The smallest and largest of some values.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Extent(pub Option<(f64, f64)>);

impl Extent {
    pub fn add(&mut self, v: f64) {
        self.0 = Some(match self.0 {
            None => (v, v),
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
        });
    }
}

/// Splits `items` into runs of consecutive `Some`s.
fn runs<T>(items: impl Iterator<Item = Option<T>>) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = vec![Vec::new()];
    for item in items {
        match item {
            Some(item) => out.last_mut().unwrap().push(item),
            None if out.last().is_some_and(|run| !run.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|run| !run.is_empty());
    out
}

pub(crate) fn render(chart: &LineChart, out: &mut String) {
    let log = chart.log_y;
    let y_ok = |y: f64| usable(y) && (!log || y >= MIN_LOG);
    let (mut xs, mut ys) = (Extent::default(), Extent::default());
    let prepared: Vec<Prepared> = chart
        .series
        .iter()
        .map(|s| {
            let runs = runs(s.points.iter().map(|&(x, y)| (usable(x) && y_ok(y)).then_some((x, y))));
            let band = runs_of_band(&s.band, log);
            for &(x, y) in runs.iter().flatten() {
                xs.add(x);
                ys.add(y);
            }
            for &(x, low, high) in band.iter().flatten() {
                xs.add(x);
                ys.add(high);
                if let Some(low) = low {
                    ys.add(low);
                }
            }
            Prepared { runs, band }
        })
        .collect();
    let (Extent(Some((x_min, x_max))), Extent(Some((mut y_min, mut y_max)))) = (xs, ys) else {
        svg::no_data(out, "chart", &chart.title);
        return;
    };

    let x_axis = if chart.x_is_time_of_day {
        Axis::time_of_day(x_min, x_max, 8)
    } else {
        Axis::linear(x_min, x_max, 6)
    };
    let y_axis = if log {
        Axis::log(y_min, y_max)
    } else {
        // Start at zero when the data come close to it anyway.
        if y_min > 0.0 && y_min <= y_max * 0.3 {
            y_min = 0.0;
        } else if y_max < 0.0 && y_max >= y_min * 0.3 {
            y_max = 0.0;
        }
        Axis::linear(y_min, y_max, 5)
    };

    let label_w = x_axis.ticks.iter().map(|(_, l)| text_width(l)).fold(0.0, f64::max);
    let left = (if chart.y_label.is_empty() { 0.0 } else { 22.0 }) + svg::widest_label(&y_axis) + 12.0;
    let left = left.max(36.0);
    let right = (label_w / 2.0 + 6.0).max(16.0);
    let plot = Plot { left, top: 12.0, width: WIDTH - left - right, height: PLOT_HEIGHT };

    let mut body = String::new();
    // Vertical grid lines and x labels, thinned so labels do not overlap.
    let n = x_axis.ticks.len();
    let spacing = plot.width / (n.max(2) - 1) as f64;
    let every = ((label_w + 10.0) / spacing).ceil().max(1.0) as usize;
    body.push_str("<g stroke=\"#e4e4e4\">\n");
    for (v, _) in &x_axis.ticks {
        let x = px(plot.x(&x_axis, *v));
        writeln!(body, "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>", px(plot.top), px(plot.bottom()))
            .unwrap();
    }
    body.push_str("</g>\n<g font-size=\"12\" fill=\"#333\" text-anchor=\"middle\">\n");
    for (i, (v, label)) in x_axis.ticks.iter().enumerate() {
        if i % every == 0 {
            let (x, y) = (px(plot.x(&x_axis, *v)), px(plot.bottom() + 17.0));
            writeln!(body, "<text x=\"{x}\" y=\"{y}\">{}</text>", crate::escape(label)).unwrap();
        }
    }
    body.push_str("</g>\n");
    svg::y_axis(&mut body, &plot, &y_axis, &chart.y_label);
    svg::frame(&mut body, &plot);
    let mut next = plot.bottom() + 28.0;
    if !chart.x_label.is_empty() {
        writeln!(
            body,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
            px(plot.left + plot.width / 2.0),
            px(next + 8.0),
            crate::escape(&chart.x_label)
        )
        .unwrap();
        next += 18.0;
    }

    // Bands first, so that every line draws over every band.
    for (i, p) in prepared.iter().enumerate() {
        for run in &p.band {
            let mut d = String::new();
            for (j, &(x, _, high)) in run.iter().enumerate() {
                let cmd = if j == 0 { 'M' } else { 'L' };
                write!(d, "{cmd}{} {}", px(plot.x(&x_axis, x)), px(plot.y(&y_axis, high))).unwrap();
            }
            for &(x, low, _) in run.iter().rev() {
                let y = low.map_or(plot.bottom(), |low| plot.y(&y_axis, low));
                write!(d, "L{} {}", px(plot.x(&x_axis, x)), px(y)).unwrap();
            }
            writeln!(body, "<path d=\"{d}Z\" fill=\"{}\" fill-opacity=\"0.2\"/>", svg::colour(i)).unwrap();
        }
    }
    for (i, (p, s)) in prepared.iter().zip(&chart.series).enumerate() {
        let colour = svg::colour(i);
        let mut d = String::new();
        let mut dots = Vec::new();
        for run in &p.runs {
            if let [(x, y)] = run[..] {
                dots.push((plot.x(&x_axis, x), plot.y(&y_axis, y)));
                continue;
            }
            // Points that round to the previous position add nothing (dense
            // series, such as one point a second over a day, shrink a lot).
            let (start, mut last, mut steps) = (d.len(), None, 0);
            for &(x, y) in run {
                let at = (px(plot.x(&x_axis, x)), px(plot.y(&y_axis, y)));
                if last == Some(at) {
                    continue;
                }
                let cmd = if last.is_none() { 'M' } else { 'L' };
                write!(d, "{cmd}{} {}", at.0, at.1).unwrap();
                steps += usize::from(last.is_some());
                last = Some(at);
            }
            if steps == 0 {
                // Everything fell on one pixel: a dot instead.
                d.truncate(start);
                let (x, y) = run[0];
                dots.push((plot.x(&x_axis, x), plot.y(&y_axis, y)));
            }
        }
        let title = if s.name.is_empty() {
            String::new()
        } else {
            format!("<title>{}</title>", crate::escape(&s.name))
        };
        if !d.is_empty() {
            let dash = svg::dash(i, s.dashed).map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
            writeln!(
                body,
                "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\" \
                 stroke-linecap=\"round\"{dash}>{title}</path>"
            )
            .unwrap();
        }
        for (x, y) in dots {
            writeln!(
                body,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\">{title}</circle>",
                px(x),
                px(y)
            )
            .unwrap();
        }
    }

    let entries: Vec<(String, Swatch)> = chart
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.is_empty())
        .map(|(i, s)| {
            let band = prepared[i].band.iter().any(|run| !run.is_empty());
            (s.name.clone(), Swatch::Line { colour: svg::colour(i), dash: svg::dash(i, s.dashed), band })
        })
        .collect();
    let used = svg::legend(&mut body, &entries, plot.left, WIDTH - 8.0, next);
    let height = next + used + 6.0;
    svg::open_figure(out, "chart", &chart.title);
    svg::finish_figure(out, WIDTH, height, &chart.title, &body);
}

/// The usable samples of a band, in runs, with edges in order. On a
/// logarithmic axis a low edge at or below zero reads as "below the axis".
fn runs_of_band(band: &[(f64, f64, f64)], log: bool) -> Vec<Vec<BandPoint>> {
    runs(band.iter().map(|&(x, a, b)| {
        if !(usable(x) && usable(a) && usable(b)) {
            return None;
        }
        let (low, high) = (a.min(b), a.max(b));
        if log && high < MIN_LOG {
            return None;
        }
        Some((x, (!log || low >= MIN_LOG).then_some(low), high))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_gaps() {
        let items = [Some(1), Some(2), None, None, Some(3), None];
        assert_eq!(runs(items.into_iter()), vec![vec![1, 2], vec![3]]);
        assert!(runs(std::iter::empty::<Option<i32>>()).is_empty());
    }

    #[test]
    fn log_bands_clamp_low_edges() {
        let band = [(0.0, -1.0, 10.0), (1.0, 2.0, 1.0), (2.0, -5.0, -1.0), (3.0, f64::NAN, 1.0)];
        assert_eq!(runs_of_band(&band, true), vec![vec![(0.0, None, 10.0), (1.0, Some(1.0), 2.0)]]);
        assert_eq!(runs_of_band(&band, false).len(), 1);
        assert_eq!(runs_of_band(&band, false)[0].len(), 3);
    }
}
