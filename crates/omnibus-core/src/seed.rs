//! Seed mixing for reproducible simulations: a fixed, well-mixed hash that
//! keys a random draw by seed and by what it is for (a person, a vehicle, a
//! subsystem), so that draws do not depend on the order work is done in.

/// SplitMix64 of a seed and a number: a fixed, well-mixed hash.
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixing_is_fixed_and_spreads_neighbours() {
        assert_eq!(mix(3, 4), mix(3, 4));
        assert_ne!(mix(3, 4), mix(3, 5));
        assert_ne!(mix(3, 4), mix(4, 4));
        // Neighbouring inputs differ in about half their bits.
        let flipped = (mix(7, 100) ^ mix(7, 101)).count_ones();
        assert!((16..=48).contains(&flipped), "{flipped}");
    }
}
