//! Number formatting with fixed precision, so that the same report always
//! renders to the same bytes.

use std::fmt;

/// The largest magnitude a plotted value may have: beyond it, spans and
/// positions could overflow to infinity.
pub(crate) const LIMIT: f64 = 1e300;

/// Whether a value can be plotted on a linear axis.
pub(crate) fn usable(v: f64) -> bool {
    v.is_finite() && v.abs() <= LIMIT
}

/// A pixel coordinate rounded to a tenth, written without a trailing `.0`
/// and never as `-0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Tenths(pub i64);

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.unsigned_abs();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{}", a / 10)?;
        if a % 10 != 0 {
            write!(f, ".{}", a % 10)?;
        }
        Ok(())
    }
}

/// Rounds a pixel coordinate to a tenth; non-finite input becomes 0 (callers
/// filter it out before, this only keeps the output well-formed).
pub(crate) fn px(v: f64) -> Tenths {
    if v.is_finite() { Tenths((v * 10.0).round().clamp(-1e15, 1e15) as i64) } else { Tenths(0) }
}

/// `10^e` as close as `f64` allows: exact for `0 <= e <= 22`, and a single
/// correctly rounded division below.
pub(crate) fn pow10(e: i32) -> f64 {
    if e >= 0 { 10f64.powi(e) } else { 1.0 / 10f64.powi(-e) }
}

/// The integer `d` with `10^d <= v < 10^(d+1)`, for `v > 0`.
pub(crate) fn floor_log10(v: f64) -> i32 {
    let mut d = v.log10().floor() as i32;
    while pow10(d) > v {
        d -= 1;
    }
    while pow10(d + 1) <= v {
        d += 1;
    }
    d
}

/// Groups the digits of an unsigned integer written in decimal: `7480225`
/// becomes `7,480,225`.
pub fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The minus sign used in labels (U+2212, wider than a hyphen).
pub(crate) const MINUS: &str = "\u{2212}";

/// `k * 10^e` written exactly in decimal with `max(0, -e)` decimals and
/// grouped thousands: `(15, -1)` is `1.5`, `(2, 6)` is `2,000,000`.
pub(crate) fn decimal_label(k: i64, e: i32) -> String {
    let a = k.unsigned_abs();
    let sign = if k < 0 { MINUS } else { "" };
    if e >= 0 {
        let mut digits = a.to_string();
        if a != 0 {
            digits.extend(std::iter::repeat_n('0', e as usize));
        }
        return format!("{sign}{}", group(&digits));
    }
    let d = (-e) as usize;
    let mut digits = a.to_string();
    if digits.len() < d + 1 {
        digits = format!("{}{digits}", "0".repeat(d + 1 - digits.len()));
    }
    let (int, frac) = digits.split_at(digits.len() - d);
    format!("{sign}{}.{frac}", group(int))
}

/// An exponent in Unicode superscript digits.
pub(crate) fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if n < 0 {
        out.push('⁻');
    }
    for c in n.unsigned_abs().to_string().bytes() {
        out.push(DIGITS[usize::from(c - b'0')]);
    }
    out
}

/// `k * 10^e` in scientific notation, exactly: `(1, -8)` is `10⁻⁸`, `(25, -10)`
/// is `2.5×10⁻⁹`.
pub(crate) fn sci_label(k: i64, e: i32) -> String {
    if k == 0 {
        return "0".to_owned();
    }
    let sign = if k < 0 { MINUS } else { "" };
    let mut a = k.unsigned_abs();
    let mut e = e;
    while a % 10 == 0 {
        a /= 10;
        e += 1;
    }
    let digits = a.to_string();
    let exp = e + digits.len() as i32 - 1;
    let mantissa =
        if digits.len() == 1 { digits.clone() } else { format!("{}.{}", &digits[..1], &digits[1..]) };
    if mantissa == "1" {
        format!("{sign}10{}", superscript(exp))
    } else {
        format!("{sign}{mantissa}×10{}", superscript(exp))
    }
}

/// A value for people to read: about four significant digits, grouped
/// thousands, trailing zeros trimmed, scientific notation for very large or
/// very small magnitudes. Non-finite values read `n/a`.
pub(crate) fn value(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let sign = if v < 0.0 { MINUS } else { "" };
    let a = v.abs();
    if !(1e-4..1e10).contains(&a) {
        // Rust writes `1.23e-5`; turn it into `1.23×10⁻⁵`.
        let s = format!("{a:.2e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = trim_zeros(mantissa);
        let exp: i32 = exp.parse().unwrap_or(0);
        return if mantissa == "1" {
            format!("{sign}10{}", superscript(exp))
        } else {
            format!("{sign}{mantissa}×10{}", superscript(exp))
        };
    }
    let decimals = (3 - floor_log10(a)).clamp(0, 6) as usize;
    let s = format!("{a:.decimals$}");
    let s = trim_zeros(&s);
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    match frac {
        Some(frac) => format!("{sign}{}.{frac}", group(int)),
        None if int == "0" => "0".to_owned(),
        None => format!("{sign}{}", group(int)),
    }
}

/// A value with an explicit `+` for positive numbers (for changes).
pub(crate) fn signed_value(v: f64) -> String {
    if v > 0.0 { format!("+{}", value(v)) } else { value(v) }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// Seconds since midnight as `HH:MM` (hours keep counting past 24, as in
/// timetables; seconds are truncated).
pub(crate) fn hhmm(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

/// An estimate of the width of `text` at 12 px in a sans-serif font, used to
/// lay out legends and margins (the renderer cannot measure text).
pub(crate) fn text_width(text: &str) -> f64 {
    text.chars().map(|c| if c.is_ascii_uppercase() || !c.is_ascii() { 8.0 } else { 6.6 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_compact_and_never_negative_zero() {
        assert_eq!(px(12.34).to_string(), "12.3");
        assert_eq!(px(12.0).to_string(), "12");
        assert_eq!(px(-0.04).to_string(), "0");
        assert_eq!(px(-3.25).to_string(), "-3.3");
        assert_eq!(px(f64::NAN).to_string(), "0");
    }

    #[test]
    fn decimal_labels_are_exact() {
        assert_eq!(decimal_label(0, -1), "0.0");
        assert_eq!(decimal_label(3, -1), "0.3");
        assert_eq!(decimal_label(15, -1), "1.5");
        assert_eq!(decimal_label(2, 6), "2,000,000");
        assert_eq!(decimal_label(0, 6), "0");
        assert_eq!(decimal_label(-5, -3), "\u{2212}0.005");
        assert_eq!(decimal_label(1234, 0), "1,234");
    }

    #[test]
    fn scientific_labels() {
        assert_eq!(sci_label(1, -8), "10⁻⁸");
        assert_eq!(sci_label(25, -10), "2.5×10⁻⁹");
        assert_eq!(sci_label(100, 10), "10¹²");
        assert_eq!(sci_label(0, -8), "0");
    }

    #[test]
    fn values() {
        assert_eq!(value(7_480_225.0), "7,480,225");
        assert_eq!(value(12.345), "12.35");
        assert_eq!(value(0.5), "0.5");
        assert_eq!(value(-0.012345), "\u{2212}0.01235");
        assert_eq!(value(2.5e-7), "2.5×10⁻⁷");
        assert_eq!(value(1e12), "10¹²");
        assert_eq!(value(f64::NAN), "n/a");
        assert_eq!(signed_value(3.0), "+3");
    }

    #[test]
    fn clock() {
        assert_eq!(hhmm(0), "00:00");
        assert_eq!(hhmm(8 * 3600 + 30 * 60 + 59), "08:30");
        assert_eq!(hhmm(25 * 3600), "25:00");
    }

    #[test]
    fn logs() {
        assert_eq!(floor_log10(1000.0), 3);
        assert_eq!(floor_log10(999.999), 2);
        assert_eq!(floor_log10(1e-8), -8);
        assert_eq!(floor_log10(0.3), -1);
    }
}
