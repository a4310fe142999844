//! Geographic helpers: a local metric projection, distances, bearings and the
//! encoded-polyline format.

use geo::{Bearing, Distance, Haversine, Point};

/// A WGS84 position in decimal degrees.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

impl LatLon {
    /// A new position.
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }
    fn point(self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }
    /// Great-circle distance in metres.
    pub fn distance_m(self, other: LatLon) -> f64 {
        Haversine.distance(self.point(), other.point())
    }
    /// Initial bearing towards `other`, degrees clockwise from north in [0, 360).
    pub fn bearing_deg(self, other: LatLon) -> f64 {
        Haversine.bearing(self.point(), other.point()).rem_euclid(360.0)
    }
}

/// An equirectangular projection around a city's centre: metres east and north.
/// Accurate to well under a metre over a city-sized area, and cheap.
#[derive(Clone, Copy, Debug)]
pub struct LocalProjection {
    lat0: f64,
    lon0: f64,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl LocalProjection {
    /// A projection centred on `origin`.
    pub fn new(origin: LatLon) -> Self {
        let m_per_deg_lat = 111_132.954 - 559.822 * (2.0 * origin.lat.to_radians()).cos();
        let m_per_deg_lon = 111_412.84 * origin.lat.to_radians().cos();
        Self { lat0: origin.lat, lon0: origin.lon, m_per_deg_lat, m_per_deg_lon }
    }
    /// Metres east and north of the origin.
    pub fn project(&self, p: LatLon) -> [f64; 2] {
        [(p.lon - self.lon0) * self.m_per_deg_lon, (p.lat - self.lat0) * self.m_per_deg_lat]
    }
    /// The position `xy` metres east and north of the origin.
    pub fn unproject(&self, xy: [f64; 2]) -> LatLon {
        LatLon { lat: self.lat0 + xy[1] / self.m_per_deg_lat, lon: self.lon0 + xy[0] / self.m_per_deg_lon }
    }
}

/// Smallest absolute difference between two bearings, degrees in [0, 180].
pub fn bearing_difference(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { 360.0 - d } else { d }
}

/// Bearing of the planar vector from `a` to `b` (x east, y north), degrees in [0, 360).
pub fn planar_bearing(a: [f64; 2], b: [f64; 2]) -> f64 {
    (b[0] - a[0]).atan2(b[1] - a[1]).to_degrees().rem_euclid(360.0)
}

/// Encodes positions in the encoded-polyline format with 5 decimal digits.
pub fn encode_polyline(points: &[LatLon]) -> String {
    fn push_value(out: &mut String, value: i64) {
        let mut v = if value < 0 { !(value << 1) } else { value << 1 };
        while v >= 0x20 {
            out.push(char::from(((0x20 | (v & 0x1f)) + 63) as u8));
            v >>= 5;
        }
        out.push(char::from((v + 63) as u8));
    }
    let mut out = String::new();
    let (mut last_lat, mut last_lon) = (0i64, 0i64);
    for p in points {
        let lat = (p.lat * 1e5).round() as i64;
        let lon = (p.lon * 1e5).round() as i64;
        push_value(&mut out, lat - last_lat);
        push_value(&mut out, lon - last_lon);
        last_lat = lat;
        last_lon = lon;
    }
    out
}

/// Decodes an encoded polyline with 5 decimal digits; `None` if it is malformed.
pub fn decode_polyline(text: &str) -> Option<Vec<LatLon>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut next = || -> Option<i64> {
        let (mut result, mut shift) = (0i64, 0u32);
        loop {
            let b = i64::from(*bytes.get(i)?) - 63;
            i += 1;
            if !(0..64).contains(&b) || shift > 60 {
                return None;
            }
            result |= (b & 0x1f) << shift;
            shift += 5;
            if b < 0x20 {
                break;
            }
        }
        Some(if result & 1 == 1 { !(result >> 1) } else { result >> 1 })
    };
    let mut out = Vec::new();
    let (mut lat, mut lon) = (0i64, 0i64);
    while let Some(dlat) = next() {
        let dlon = next()?;
        lat += dlat;
        lon += dlon;
        out.push(LatLon::new(lat as f64 / 1e5, lon as f64 / 1e5));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyline_matches_the_published_example() {
        // The example from the format's public description.
        let pts = [LatLon::new(38.5, -120.2), LatLon::new(40.7, -120.95), LatLon::new(43.252, -126.453)];
        assert_eq!(encode_polyline(&pts), "_p~iF~ps|U_ulLnnqC_mqNvxq`@");
        let back = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@").unwrap();
        assert_eq!(back, pts);
    }

    #[test]
    fn projection_round_trips_and_agrees_with_haversine() {
        let o = LatLon::new(-30.05, -51.2);
        let p = LatLon::new(-30.04, -51.19);
        let proj = LocalProjection::new(o);
        let xy = proj.project(p);
        let d = (xy[0].powi(2) + xy[1].powi(2)).sqrt();
        assert!((d - o.distance_m(p)).abs() < 2.0, "{d} vs {}", o.distance_m(p));
        let back = proj.unproject(xy);
        assert!((back.lat - p.lat).abs() < 1e-9 && (back.lon - p.lon).abs() < 1e-9);
    }

    #[test]
    fn bearings() {
        assert_eq!(bearing_difference(350.0, 10.0), 20.0);
        assert_eq!(bearing_difference(90.0, 270.0), 180.0);
        assert!((planar_bearing([0.0, 0.0], [1.0, 0.0]) - 90.0).abs() < 1e-9);
        assert!((planar_bearing([0.0, 0.0], [0.0, -1.0]) - 180.0).abs() < 1e-9);
    }
}
