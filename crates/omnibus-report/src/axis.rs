//! Axis ranges and ticks: 1-2-5 steps on linear axes, decades on
//! logarithmic ones, clock times on time-of-day axes.

use crate::fmt::{decimal_label, floor_log10, hhmm, pow10, sci_label};

/// An axis: the range it spans and its labelled ticks.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Axis {
    /// The value at the start of the axis.
    pub lo: f64,
    /// The value at the end of the axis.
    pub hi: f64,
    /// Whether positions are proportional to `log10` of values.
    pub log: bool,
    /// Tick values and their labels, in increasing order.
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// The position of `v` along the axis: 0 at `lo`, 1 at `hi`.
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            let (a, b) = (self.lo.log10(), self.hi.log10());
            (v.log10() - a) / (b - a)
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// A linear axis covering `min..=max` with about `target` intervals of
    /// 1, 2 or 5 times a power of ten; its ends are ticks.
    pub fn linear(min: f64, max: f64, target: usize) -> Axis {
        let (mut min, mut max) = if min <= max { (min, max) } else { (max, min) };
        let magnitude = min.abs().max(max.abs());
        if max - min <= magnitude * 1e-9 {
            // A single value: span from zero to it (or 0..1 for zero itself).
            if magnitude == 0.0 {
                (min, max) = (0.0, 1.0);
            } else {
                (min, max) = (min.min(0.0), max.max(0.0));
            }
        }
        let raw = (max - min) / target.max(1) as f64;
        let mut e = floor_log10(raw);
        let norm = raw / pow10(e);
        let m: i64 = if norm <= 1.0 + 1e-9 {
            1
        } else if norm <= 2.0 + 1e-9 {
            2
        } else if norm <= 5.0 + 1e-9 {
            5
        } else {
            e += 1;
            1
        };
        let step = m as f64 * pow10(e);
        let first = (min / step + 1e-9).floor() as i64;
        let mut last = (max / step - 1e-9).ceil() as i64;
        if last <= first {
            last = first + 1;
        }
        let at = |i: i64| {
            let k = i * m;
            if e >= 0 { k as f64 * pow10(e) } else { k as f64 / pow10(-e) }
        };
        let scientific = e < -4 || at(first).abs().max(at(last).abs()) >= 1e10;
        let ticks = (first..=last)
            .map(|i| {
                let label = if scientific { sci_label(i * m, e) } else { decimal_label(i * m, e) };
                (at(i), label)
            })
            .collect();
        Axis { lo: at(first), hi: at(last), log: false, ticks }
    }

    /// A logarithmic axis from the decade at or below `min` to the decade at
    /// or above `max` (both positive). Ticks are decades (every few decades
    /// when there are many); spans of at most two decades also get ticks at
    /// 2 and 5 times each power of ten.
    pub fn log(min: f64, max: f64) -> Axis {
        let (min, max) = if min <= max { (min, max) } else { (max, min) };
        let mut lo = floor_log10(min);
        let mut hi = floor_log10(max);
        if pow10(hi) < max {
            hi += 1;
        }
        if hi <= lo {
            hi = lo + 1;
        }
        let mut ticks: Vec<(i64, i32)> = Vec::new();
        if hi - lo <= 2 {
            for d in lo..hi {
                ticks.extend([(1, d), (2, d), (5, d)]);
            }
            ticks.push((1, hi));
        } else {
            let stride = (hi - lo + 7) / 8;
            lo = lo.div_euclid(stride) * stride;
            hi = -((-hi).div_euclid(stride)) * stride;
            ticks.extend((lo..=hi).step_by(stride as usize).map(|d| (1, d)));
        }
        let scientific = lo < -4 || hi >= 10;
        let ticks = ticks
            .into_iter()
            .map(|(k, d)| {
                let label = if scientific { sci_label(k, d) } else { decimal_label(k, d) };
                (k as f64 * pow10(d), label)
            })
            .collect();
        Axis { lo: pow10(lo), hi: pow10(hi), log: true, ticks }
    }

    /// An axis of seconds since midnight, with ticks at whole minutes or hours
    /// labelled `HH:MM` and at most `target` intervals.
    pub fn time_of_day(min: f64, max: f64, target: usize) -> Axis {
        const STEPS: [i64; 13] =
            [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400];
        let (mut min, mut max) = if min <= max { (min, max) } else { (max, min) };
        if min.abs().max(max.abs()) > 1e10 {
            // Centuries are not times of day; plain numbers at least stay legible.
            return Axis::linear(min, max, target);
        }
        if max - min < 60.0 {
            min -= 1800.0;
            max += 1800.0;
        }
        let target = target.max(1) as i64;
        let span = |step: i64| {
            let first = (min / step as f64).floor() as i64;
            let last = (max / step as f64).ceil() as i64;
            (first, last.max(first + 1))
        };
        let step = STEPS.iter().copied().find(|&s| {
            let (first, last) = span(s);
            last - first <= target
        });
        let step = step.unwrap_or_else(|| {
            // Several days: whole days, 1-2-5 of them.
            let days = (max - min) / 86400.0 / target as f64;
            let nice = Axis::linear(0.0, days.max(1.0), 1).hi.max(1.0);
            (nice.ceil() as i64) * 86400
        });
        let (first, last) = span(step);
        let ticks = (first..=last).map(|i| ((i * step) as f64, hhmm(i * step))).collect();
        Axis { lo: (first * step) as f64, hi: (last * step) as f64, log: false, ticks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<&str> {
        axis.ticks.iter().map(|(_, l)| l.as_str()).collect()
    }

    fn values(axis: &Axis) -> Vec<f64> {
        axis.ticks.iter().map(|(v, _)| *v).collect()
    }

    #[test]
    fn unit_range() {
        let axis = Axis::linear(0.0, 1.0, 5);
        assert_eq!(values(&axis), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(labels(&axis), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!((axis.lo, axis.hi), (0.0, 1.0));
        assert!(!axis.log);
    }

    #[test]
    fn large_counts() {
        let axis = Axis::linear(0.0, 7_480_225.0, 5);
        assert_eq!(values(&axis), [0.0, 2e6, 4e6, 6e6, 8e6]);
        assert_eq!(labels(&axis), ["0", "2,000,000", "4,000,000", "6,000,000", "8,000,000"]);
        assert!(axis.frac(7_480_225.0) <= 1.0);
    }

    #[test]
    fn offset_and_negative_ranges() {
        let axis = Axis::linear(-3.7, 12.2, 5);
        assert_eq!(labels(&axis), ["\u{2212}5", "0", "5", "10", "15"]);
        let axis = Axis::linear(0.61, 0.69, 4);
        assert_eq!(labels(&axis), ["0.60", "0.62", "0.64", "0.66", "0.68", "0.70"]);
        assert!(axis.lo <= 0.61 && axis.hi >= 0.69);
    }

    #[test]
    fn degenerate_ranges() {
        let axis = Axis::linear(0.0, 0.0, 5);
        assert_eq!((axis.lo, axis.hi), (0.0, 1.0));
        let axis = Axis::linear(42.0, 42.0, 5);
        assert_eq!(axis.lo, 0.0);
        assert!(axis.hi >= 42.0);
        let axis = Axis::linear(-3.0, -3.0, 5);
        assert!(axis.lo <= -3.0 && axis.hi == 0.0);
    }

    #[test]
    fn tiny_and_huge_ranges_use_scientific_labels() {
        let axis = Axis::linear(0.0, 4e-8, 4);
        assert_eq!(labels(&axis), ["0", "10⁻⁸", "2×10⁻⁸", "3×10⁻⁸", "4×10⁻⁸"]);
        let axis = Axis::linear(0.0, 3e12, 3);
        assert_eq!(labels(&axis), ["0", "10¹²", "2×10¹²", "3×10¹²"]);
    }

    #[test]
    fn log_decades() {
        let axis = Axis::log(1e-8, 1.0);
        assert!(axis.log);
        assert_eq!(labels(&axis), ["10⁻⁸", "10⁻⁷", "10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]);
        assert_eq!(axis.lo, 1e-8);
        assert_eq!(axis.hi, 1.0);
        assert!((axis.frac(1e-4) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn log_short_span_gets_2_and_5() {
        let axis = Axis::log(20.0, 80.0);
        assert_eq!(labels(&axis), ["10", "20", "50", "100"]);
        let axis = Axis::log(0.003, 0.04);
        assert_eq!(labels(&axis), ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"]);
    }

    #[test]
    fn log_many_decades_are_thinned() {
        let axis = Axis::log(1e-30, 1e5);
        assert!(axis.ticks.len() <= 9, "{:?}", labels(&axis));
        assert!(axis.lo <= 1e-30 && axis.hi >= 1e5);
        assert_eq!(axis.ticks.first().unwrap().0, axis.lo);
        assert_eq!(axis.ticks.last().unwrap().0, axis.hi);
    }

    #[test]
    fn log_exact_power() {
        let axis = Axis::log(1000.0, 1000.0);
        assert_eq!((axis.lo, axis.hi), (1000.0, 10000.0));
    }

    #[test]
    fn clock_ticks_for_a_day() {
        let axis = Axis::time_of_day(0.0, 86_399.0, 8);
        assert_eq!(
            labels(&axis),
            ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "24:00"]
        );
    }

    #[test]
    fn clock_ticks_for_a_peak() {
        let axis = Axis::time_of_day(7.0 * 3600.0 + 600.0, 9.0 * 3600.0 + 3000.0, 8);
        assert_eq!(labels(&axis), ["07:00", "07:30", "08:00", "08:30", "09:00", "09:30", "10:00"]);
        let axis = Axis::time_of_day(28_800.0, 28_800.0, 8);
        assert!(axis.lo < 28_800.0 && axis.hi > 28_800.0);
        assert!(labels(&axis).contains(&"08:00"));
    }

    #[test]
    fn clock_ticks_for_several_days() {
        let axis = Axis::time_of_day(0.0, 30.0 * 86400.0, 8);
        assert!(axis.ticks.len() <= 9);
        assert!(axis.hi >= 30.0 * 86400.0);
        let axis = Axis::time_of_day(-1e300, 1e300, 8);
        assert!(axis.lo <= -1e300 && axis.hi >= 1e300);
    }
}
