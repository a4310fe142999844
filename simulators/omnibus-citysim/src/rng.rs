//! Seeded random streams: every subsystem draws from its own ChaCha8 stream
//! of the run's seed, and per-person draws are keyed by person and iteration,
//! so that a run is reproducible bit for bit and subsystems do not disturb
//! each other.

pub use omnibus_core::seed::mix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random streams of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Drawing the population.
    Population = 1,
    /// Choices of person `p` in iteration `k` (see [`choice_rng`]).
    Choice = 2,
    /// Which cars report probes, and their report phase.
    Probes = 3,
}

/// The stream `stream` of `seed`.
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}

/// A uniform number in [0, 1) for person `person`'s draw `draw` in
/// iteration `iteration` of the run seeded `seed`.
pub fn uniform(seed: u64, stream: Stream, person: u32, iteration: u32, draw: u32) -> f64 {
    let key = (u64::from(person) << 24) ^ (u64::from(iteration) << 8) ^ u64::from(draw);
    let h = mix(mix(seed, stream as u64), key);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: u64 = rng(1, Stream::Population).random();
        assert_eq!(a, rng(1, Stream::Population).random::<u64>());
        assert_ne!(a, rng(1, Stream::Choice).random::<u64>());
        assert_ne!(a, rng(2, Stream::Population).random::<u64>());
        let u = uniform(7, Stream::Choice, 3, 2, 0);
        assert_eq!(u, uniform(7, Stream::Choice, 3, 2, 0));
        assert_ne!(u, uniform(7, Stream::Choice, 3, 3, 0));
        assert!((0.0..1.0).contains(&u));
        let mean: f64 = (0..10_000).map(|p| uniform(1, Stream::Choice, p, 1, 0)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
