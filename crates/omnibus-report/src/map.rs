//! Maps of road links coloured by a value, with optional polygon outlines.
//!
//! Links are projected equirectangularly (longitudes shrunk by the cosine of
//! the middle latitude), fitted to the bounding box of everything drawn,
//! and written as compact SVG paths: coordinates rounded to a tenth of a
//! pixel, relative moves, and consecutive links of the same style merged
//! into one path, so that city-sized networks stay a few megabytes.

use std::fmt::Write as _;

use crate::fmt::{Tenths, pow10, px, signed_value, usable, value};
use crate::svg::{self, WIDTH};
use crate::{MapChart, escape};

/// The largest size of the map area (without the legend).
const MAX_HEIGHT: f64 = 540.0;
/// The smallest size of the map area.
const MIN_WIDTH: f64 = 440.0;
const MIN_HEIGHT: f64 = 160.0;
/// Margin around the drawing inside the map area.
const PAD: f64 = 10.0;
/// Height of the legend under the map.
const LEGEND: f64 = 56.0;
/// Maps with more lines than this leave out lines whose value is 0.
pub(crate) const SKIP_ZEROS_ABOVE: usize = 5000;
/// Colour steps on each side of a diverging scale, and on a sequential one.
const DIVERGING_STEPS: i32 = 32;
const SEQUENTIAL_STEPS: i32 = 63;
/// Metres per degree of latitude (on a sphere of the Earth's mean radius).
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;
/// Colour of lines without a value to show (0 or not finite).
const GREY: [u8; 3] = [0xbd, 0xbd, 0xbd];

/// Diverging ramps, from grey at 0 to saturated at ±1.
const BLUES: [(f64, [u8; 3]); 3] = [(0.0, GREY), (0.5, [0x6b, 0xae, 0xd6]), (1.0, [0x08, 0x45, 0x94])];
const REDS: [(f64, [u8; 3]); 3] = [(0.0, GREY), (0.5, [0xfb, 0x6a, 0x4a]), (1.0, [0x99, 0x00, 0x0d])];
/// Sequential ramp, light yellow (low) to dark red (high).
const HEAT: [(f64, [u8; 3]); 4] = [
    (0.0, [0xfe, 0xd9, 0x76]),
    (0.33, [0xfd, 0x8d, 0x3c]),
    (0.66, [0xe3, 0x1a, 0x1c]),
    (1.0, [0x80, 0x00, 0x26]),
];

/// An equirectangular projection fitted to a bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Projection {
    /// Cosine of the middle latitude: the horizontal shrink of longitudes.
    kx: f64,
    /// Pixels per degree of latitude.
    pub scale: f64,
    /// Pixel position of the west and north edges of the bounding box.
    x0: f64,
    y0: f64,
    /// West edge (in shrunk degrees) and north edge of the bounding box.
    west: f64,
    north: f64,
    /// Size of the map area in pixels.
    pub width: f64,
    pub height: f64,
}

impl Projection {
    /// Fits `points` (lon, lat) into at most `max_w` × `max_h` pixels, keeping
    /// their aspect, with a margin; `None` without usable points.
    pub fn fit(points: impl Iterator<Item = (f64, f64)>, max_w: f64, max_h: f64) -> Option<Projection> {
        let (mut west, mut east, mut south, mut north) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for (lon, lat) in points.filter(|&p| point_ok(p)) {
            west = west.min(lon);
            east = east.max(lon);
            south = south.min(lat);
            north = north.max(lat);
        }
        if west > east {
            return None;
        }
        let mid = ((south + north) / 2.0).clamp(-85.0, 85.0);
        let kx = mid.to_radians().cos();
        let (dx, dy) = ((east - west) * kx, north - south);
        let (room_w, room_h) = (max_w - 2.0 * PAD, max_h - 2.0 * PAD);
        let scale = match (dx > 0.0, dy > 0.0) {
            (true, true) => (room_w / dx).min(room_h / dy),
            (true, false) => room_w / dx,
            (false, true) => room_h / dy,
            (false, false) => 1.0,
        };
        let (w, h) = (dx * scale, dy * scale);
        let width = (w + 2.0 * PAD).max(MIN_WIDTH);
        let height = (h + 2.0 * PAD).max(MIN_HEIGHT);
        Some(Projection {
            kx,
            scale,
            x0: (width - w) / 2.0,
            y0: (height - h) / 2.0,
            west: west * kx,
            north,
            width,
            height,
        })
    }

    /// The pixel position of (lon, lat).
    pub fn apply(&self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (self.x0 + (lon * self.kx - self.west) * self.scale, self.y0 + (self.north - lat) * self.scale)
    }

    /// The pixel position of (lon, lat) in tenths of a pixel.
    fn tenths(&self, p: (f64, f64)) -> (i64, i64) {
        let (x, y) = self.apply(p);
        (px(x).0, px(y).0)
    }
}

fn point_ok((lon, lat): (f64, f64)) -> bool {
    usable(lon) && usable(lat)
}

/// How values map to colours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scale {
    /// Symmetric around 0 up to ±`max`: blue below, red above.
    Diverging { max: f64 },
    /// From `min` (light) to `max` (dark).
    Sequential { min: f64, max: f64 },
    /// No value other than 0: everything grey.
    Flat,
}

impl Scale {
    /// The scale for the values of a map; zeros and non-finite values do not
    /// count (they are drawn grey).
    pub fn of(values: impl Iterator<Item = f64>, diverging: bool) -> Scale {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|&v| usable(v) && v != 0.0) {
            min = min.min(v);
            max = max.max(v);
        }
        if min > max {
            Scale::Flat
        } else if diverging {
            Scale::Diverging { max: min.abs().max(max.abs()) }
        } else {
            Scale::Sequential { min, max }
        }
    }

    /// The colour step of a value: −32..=32 on a diverging scale (0 only for
    /// 0 itself), 0..=63 on a sequential one, 0 on a flat one.
    pub fn level(&self, v: f64) -> i32 {
        match *self {
            Scale::Diverging { max } => {
                // Any change, however small, is tinted: only 0 is grey.
                let level = ((v / max).clamp(-1.0, 1.0) * f64::from(DIVERGING_STEPS)).round() as i32;
                if level == 0 && v != 0.0 { if v < 0.0 { -1 } else { 1 } } else { level }
            }
            Scale::Sequential { min, max } => {
                let t = if max > min { (v - min) / (max - min) } else { 1.0 };
                (t.clamp(0.0, 1.0) * f64::from(SEQUENTIAL_STEPS)).round() as i32
            }
            Scale::Flat => 0,
        }
    }

    /// The colour of a step.
    pub fn colour(&self, level: i32) -> [u8; 3] {
        match self {
            Scale::Diverging { .. } => {
                let t = f64::from(level.unsigned_abs()) / f64::from(DIVERGING_STEPS);
                ramp(if level < 0 { &BLUES } else { &REDS }, t)
            }
            Scale::Sequential { .. } => ramp(&HEAT, f64::from(level) / f64::from(SEQUENTIAL_STEPS)),
            Scale::Flat => GREY,
        }
    }

    /// The order lines are drawn in: by strength (|value| on a diverging
    /// scale, value on a sequential one), at the resolution of the steps.
    fn strength(&self, level: i32) -> u32 {
        level.unsigned_abs()
    }
}

/// Linear interpolation along colour stops.
fn ramp(stops: &[(f64, [u8; 3])], t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let i = stops.iter().position(|&(at, _)| at >= t).unwrap_or(stops.len() - 1).max(1);
    let ((a, ca), (b, cb)) = (stops[i - 1], stops[i]);
    let f = if b > a { (t - a) / (b - a) } else { 1.0 };
    let mix =
        |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round().clamp(0.0, 255.0) as u8;
    [mix(ca[0], cb[0]), mix(ca[1], cb[1]), mix(ca[2], cb[2])]
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// How one line is drawn; lines with equal styles that follow each other
/// share a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Style {
    /// 0 for grey lines (drawn first), 1 for coloured ones.
    coloured: u8,
    strength: u32,
    level: i32,
    /// Stroke width in tenths of a pixel.
    width: i64,
}

pub(crate) fn render(chart: &MapChart, out: &mut String) {
    let all =
        chart.lines.iter().flat_map(|l| l.points.iter()).chain(chart.outlines.iter().flatten()).copied();
    let Some(proj) = Projection::fit(all, WIDTH, MAX_HEIGHT) else {
        svg::no_data(out, "chart map", &chart.title);
        return;
    };
    let scale = Scale::of(chart.lines.iter().map(|l| l.value), chart.diverging);
    let many = chart.lines.len() > SKIP_ZEROS_ABOVE;
    let base = if chart.lines.len() > 10_000 {
        0.8
    } else if chart.lines.len() > 1000 {
        1.2
    } else {
        2.0
    };

    let mut styled: Vec<(Style, usize)> = Vec::with_capacity(chart.lines.len());
    for (i, line) in chart.lines.iter().enumerate() {
        let grey = !usable(line.value) || line.value == 0.0;
        if grey && many {
            continue;
        }
        let factor = if line.width.is_finite() && line.width > 0.0 { line.width.min(20.0) } else { 1.0 };
        let width = px(base * factor * if grey { 0.5 } else { 1.0 }).0.max(1);
        let style = if grey {
            Style { coloured: 0, strength: 0, level: 0, width }
        } else {
            let level = scale.level(line.value);
            Style { coloured: 1, strength: scale.strength(level), level, width }
        };
        styled.push((style, i));
    }
    // Stable: equal styles keep the order of the input.
    styled.sort_by_key(|&(style, _)| style);

    let mut body = String::new();
    writeln!(
        body,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ddd\"/>",
        px(proj.width),
        px(proj.height)
    )
    .unwrap();
    body.push_str("<g fill=\"none\" stroke-linecap=\"round\" stroke-linejoin=\"round\">\n");
    let mut k = 0;
    while k < styled.len() {
        let style = styled[k].0;
        let mut d = String::new();
        while k < styled.len() && styled[k].0 == style {
            path_of(&mut d, &proj, &chart.lines[styled[k].1].points);
            k += 1;
        }
        if d.is_empty() {
            continue;
        }
        let colour = if style.coloured == 0 { GREY } else { scale.colour(style.level) };
        writeln!(
            body,
            "<path stroke=\"{}\" stroke-width=\"{}\" d=\"{d}\"/>",
            hex(colour),
            Tenths(style.width)
        )
        .unwrap();
    }
    body.push_str("</g>\n");

    if !chart.outlines.is_empty() {
        body.push_str("<g fill=\"none\" stroke=\"#222\" stroke-width=\"1.6\" stroke-dasharray=\"6 3\">\n");
        for outline in &chart.outlines {
            let mut d = String::new();
            for (j, (x, y)) in
                outline.iter().copied().filter(|&p| point_ok(p)).map(|p| proj.tenths(p)).enumerate()
            {
                let cmd = if j == 0 { 'M' } else { 'L' };
                write!(d, "{cmd}{} {}", Tenths(x), Tenths(y)).unwrap();
            }
            if d.contains('L') {
                writeln!(body, "<path d=\"{d}Z\"/>",).unwrap();
            }
        }
        body.push_str("</g>\n");
    }

    legend(&mut body, chart, &scale, &proj);
    svg::open_figure(out, "chart map", &chart.title);
    svg::finish_figure(out, proj.width, proj.height + LEGEND, &chart.title, &body);
}

/// Appends one line as subpaths (split where points are unusable): an
/// absolute move, then relative steps between rounded positions, so that
/// rounding errors do not add up. Steps that round to nothing are left out,
/// and so are subpaths that shrink to a single point.
fn path_of(d: &mut String, proj: &Projection, points: &[(f64, f64)]) {
    let mut start = d.len();
    let mut steps = 0;
    let mut last: Option<(i64, i64)> = None;
    for &p in points {
        if !point_ok(p) {
            if steps == 0 {
                d.truncate(start);
            }
            start = d.len();
            steps = 0;
            last = None;
            continue;
        }
        let (x, y) = proj.tenths(p);
        match last {
            None => write!(d, "M{} {}", Tenths(x), Tenths(y)).unwrap(),
            Some((lx, ly)) => {
                let (dx, dy) = (x - lx, y - ly);
                if dx == 0 && dy == 0 {
                    continue;
                }
                if steps == 0 {
                    d.push('l');
                } else if dx >= 0 {
                    d.push(' ');
                }
                write!(d, "{}", Tenths(dx)).unwrap();
                if dy >= 0 {
                    d.push(' ');
                }
                write!(d, "{}", Tenths(dy)).unwrap();
                steps += 1;
            }
        }
        last = Some((x, y));
    }
    if steps == 0 {
        d.truncate(start);
    }
}

/// The colour bar with its end values, the legend text, and a scale bar.
fn legend(body: &mut String, chart: &MapChart, scale: &Scale, proj: &Projection) {
    let top = proj.height;
    let (bar_x, bar_w, bar_y) = (10.0, 240.0, top + 22.0);
    body.push_str("<g font-size=\"12\" fill=\"#333\">\n");
    let mut text = chart.legend.clone();
    if *scale == Scale::Flat {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str("(all values 0)");
    }
    if !text.is_empty() {
        writeln!(body, "<text x=\"{}\" y=\"{}\">{}</text>", px(bar_x), px(top + 16.0), escape(&text))
            .unwrap();
    }
    let labels = match *scale {
        Scale::Diverging { max } => Some([signed_value(-max), "0".to_owned(), signed_value(max)]),
        Scale::Sequential { min, max } => Some([value(min), String::new(), value(max)]),
        Scale::Flat => None,
    };
    if let Some([low, mid, high]) = labels {
        const CELLS: usize = 48;
        let cell = bar_w / CELLS as f64;
        for c in 0..CELLS {
            let t = (c as f64 + 0.5) / CELLS as f64;
            let level = match *scale {
                Scale::Diverging { .. } => ((2.0 * t - 1.0) * f64::from(DIVERGING_STEPS)).round() as i32,
                _ => (t * f64::from(SEQUENTIAL_STEPS)).round() as i32,
            };
            writeln!(
                body,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"{}\"/>",
                px(bar_x + cell * c as f64),
                px(bar_y),
                px(cell + 0.3),
                hex(scale.colour(level))
            )
            .unwrap();
        }
        let y = px(bar_y + 24.0);
        writeln!(body, "<text x=\"{}\" y=\"{y}\">{}</text>", px(bar_x), escape(&low)).unwrap();
        if !mid.is_empty() {
            writeln!(
                body,
                "<text x=\"{}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
                px(bar_x + bar_w / 2.0),
                escape(&mid)
            )
            .unwrap();
        }
        writeln!(
            body,
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
            px(bar_x + bar_w),
            escape(&high)
        )
        .unwrap();
    }
    if let Some((metres, length)) = scale_bar(proj.scale) {
        let (x1, x2, y) = (proj.width - 10.0 - length, proj.width - 10.0, bar_y + 10.0);
        writeln!(
            body,
            "<path d=\"M{} {}V{}H{}V{}\" fill=\"none\" stroke=\"#333\"/>",
            px(x1),
            px(y - 5.0),
            px(y),
            px(x2),
            px(y - 5.0)
        )
        .unwrap();
        let label = if metres >= 1000.0 {
            format!("{} km", value(metres / 1000.0))
        } else {
            format!("{} m", value(metres))
        };
        writeln!(
            body,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px((x1 + x2) / 2.0),
            px(y - 8.0),
            escape(&label)
        )
        .unwrap();
    }
    body.push_str("</g>\n");
}

/// A scale bar of a round length (1, 2 or 5 times a power of ten metres)
/// about 100 pixels long: the length in metres and in pixels.
fn scale_bar(px_per_degree: f64) -> Option<(f64, f64)> {
    let metres_per_px = METRES_PER_DEGREE / px_per_degree;
    let target = 100.0 * metres_per_px;
    if !(target.is_finite() && target > 1e-3 && target < 1e8) {
        return None;
    }
    let e = crate::fmt::floor_log10(target);
    let m = [5.0, 2.0, 1.0].into_iter().find(|&m| m * pow10(e) <= target).unwrap_or(1.0);
    let metres = m * pow10(e);
    Some((metres, metres / metres_per_px))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_fits_the_bounding_box() {
        // A box around Porto Alegre, wider than tall even once shrunk by cos(30°).
        let pts = [(-51.5, -30.2), (-50.9, -29.9), (-51.15, -30.05)];
        let p = Projection::fit(pts.into_iter(), 720.0, 540.0).unwrap();
        let (x_w, y_n) = p.apply((-51.5, -29.9));
        let (x_e, y_s) = p.apply((-50.9, -30.2));
        // The box fills the width (the binding side) up to the margin…
        assert!((x_w - PAD).abs() < 1e-9, "{x_w}");
        assert!((x_e - (720.0 - PAD)).abs() < 1e-9, "{x_e}");
        // …is centred vertically and stays inside.
        assert!(y_n >= PAD && y_s <= p.height - PAD);
        assert!(((y_n + y_s) / 2.0 - p.height / 2.0).abs() < 1e-9);
        // North is up.
        assert!(y_n < y_s);
        // Longitudes shrink by cos(mean latitude).
        let kx = (30.05f64).to_radians().cos();
        let ratio = (x_e - x_w) / (y_s - y_n);
        assert!((ratio - 2.0 * kx).abs() < 1e-9, "{ratio} vs {kx}");
        for &q in &pts {
            let (x, y) = p.apply(q);
            assert!((0.0..=p.width).contains(&x) && (0.0..=p.height).contains(&y));
        }
    }

    #[test]
    fn projection_of_tall_boxes_and_degenerate_boxes() {
        let p = Projection::fit([(10.0, 50.0), (10.1, 51.0)].into_iter(), 720.0, 540.0).unwrap();
        assert_eq!(p.height, 540.0);
        let (_, y) = p.apply((10.0, 51.0));
        assert!((y - PAD).abs() < 1e-9);
        let p = Projection::fit([(10.0, 50.0)].into_iter(), 720.0, 540.0).unwrap();
        let (x, y) = p.apply((10.0, 50.0));
        assert_eq!((x, y), (p.width / 2.0, p.height / 2.0));
        assert!(Projection::fit([(f64::NAN, 1.0)].into_iter(), 720.0, 540.0).is_none());
    }

    #[test]
    fn diverging_colours() {
        let scale = Scale::of([-2.0, 0.0, 1.0, f64::NAN].into_iter(), true);
        assert_eq!(scale, Scale::Diverging { max: 2.0 });
        let [r, g, b] = scale.colour(scale.level(-2.0));
        assert!(b > r + 60 && b > g, "negative is blue: {r} {g} {b}");
        let [r, g, b] = scale.colour(scale.level(1.0));
        assert!(r > b + 60 && r > g, "positive is red: {r} {g} {b}");
        let [r, g, b] = scale.colour(scale.level(0.0));
        assert!(r == g && g == b, "zero is grey");
        // Symmetric: equal magnitudes, equal strength.
        assert_eq!(scale.level(-1.0), -scale.level(1.0));
        assert_eq!((scale.level(1e-9), scale.level(-1e-9), scale.level(0.0)), (1, -1, 0));
    }

    #[test]
    fn sequential_colours_darken() {
        let scale = Scale::of([1.0, 5.0, 9.0].into_iter(), false);
        assert_eq!(scale, Scale::Sequential { min: 1.0, max: 9.0 });
        let lum = |c: [u8; 3]| u32::from(c[0]) * 3 + u32::from(c[1]) * 6 + u32::from(c[2]);
        let (a, b, c) = (scale.level(1.0), scale.level(5.0), scale.level(9.0));
        assert!(a < b && b < c);
        assert!(lum(scale.colour(a)) > lum(scale.colour(b)) && lum(scale.colour(b)) > lum(scale.colour(c)));
        assert_eq!(Scale::of([0.0, f64::INFINITY].into_iter(), false), Scale::Flat);
    }

    #[test]
    fn paths_are_relative_and_skip_gaps() {
        let p = Projection {
            kx: 1.0,
            scale: 10.0,
            x0: 0.0,
            y0: 0.0,
            west: 0.0,
            north: 10.0,
            width: 100.0,
            height: 100.0,
        };
        let mut d = String::new();
        path_of(&mut d, &p, &[(0.0, 10.0), (1.0, 9.0), (1.0, 9.0), (0.5, 9.5), (f64::NAN, 0.0), (3.0, 3.0)]);
        assert_eq!(d, "M0 0l10 10-5-5");
        let mut d = String::new();
        path_of(&mut d, &p, &[(1.0, 1.0), (1.0, 1.0)]);
        assert_eq!(d, "");
    }

    #[test]
    fn scale_bars_are_round() {
        let (m, len) = scale_bar(1000.0).unwrap();
        assert_eq!(m, 10_000.0);
        assert!(len > 40.0 && len <= 100.0);
    }
}
