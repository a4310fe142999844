//! CO2 per leg from published per-mode factors: grams of CO2-equivalent per
//! passenger-kilometre, from the UK government's greenhouse-gas conversion
//! factors for company reporting (DESNZ, 2023), rounded to the gram. Walking
//! and cycling count as zero; a car carries one person.

/// A car driven alone ("average car, unknown fuel"), per vehicle-km.
pub const CAR_G_PER_KM: f64 = 168.0;
/// A local bus, per passenger-km ("average local bus").
pub const BUS_G_PER_KM: f64 = 102.0;
/// Tram and light rail, per passenger-km.
pub const TRAM_G_PER_KM: f64 = 29.0;
/// Metro, per passenger-km ("London Underground").
pub const METRO_G_PER_KM: f64 = 28.0;
/// Rail, per passenger-km ("national rail").
pub const RAIL_G_PER_KM: f64 = 35.0;

/// Grams per passenger-km of a GTFS `route_type`.
pub fn transit_g_per_km(route_type: u16) -> f64 {
    match route_type {
        0 | 5 | 900..=999 => TRAM_G_PER_KM,
        1 | 400..=499 => METRO_G_PER_KM,
        2 | 100..=199 => RAIL_G_PER_KM,
        _ => BUS_G_PER_KM,
    }
}

/// Grams for `distance_m` at `g_per_km`, rounded.
pub fn grams(g_per_km: f64, distance_m: f64) -> i64 {
    (g_per_km * distance_m / 1_000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_by_hand() {
        assert_eq!(grams(CAR_G_PER_KM, 10_000.0), 1_680);
        assert_eq!(grams(transit_g_per_km(3), 10_000.0), 1_020);
        assert_eq!(grams(transit_g_per_km(2), 10_000.0), 350);
        assert_eq!(grams(transit_g_per_km(1), 1_000.0), 28);
        assert_eq!(grams(transit_g_per_km(0), 1_000.0), 29);
    }
}
