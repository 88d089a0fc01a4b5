//! Deterministic pseudo-randomness: splitmix64 hashes of integers, one stream per purpose.

/// Hash streams, one per purpose.
pub(super) mod stream {
    pub const JITTER_X: u64 = 1;
    pub const JITTER_Y: u64 = 2;
    pub const EDGE: u64 = 3;
    pub const HOT: u64 = 4;
    pub const FIELD: u64 = 5;
    pub const WHITE: u64 = 6;
    pub const LAKE: u64 = 7;
    pub const SMALL: u64 = 8;
    pub const POP: u64 = 9;
    pub const ETA: u64 = 10;
    pub const IND_PERSIST: u64 = 11;
    pub const IND_YEAR: u64 = 12;
    pub const CMP_PERSIST: u64 = 13;
    pub const CMP_YEAR: u64 = 14;
    pub const WIJK_SIZE: u64 = 15;
    pub const NAME: u64 = 16;
}

/// The splitmix64 finaliser.
fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of a stream, two integers and a sub-key.
pub(super) fn hash(stream: u64, a: u64, b: u64, k: u64) -> u64 {
    mix(mix(mix(mix(stream) ^ a) ^ b) ^ k)
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// A uniform number in [0, 1).
pub(super) fn uniform(stream: u64, a: u64, b: u64, k: u64) -> f64 {
    unit(hash(stream, a, b, k))
}

/// A standard normal number (Box–Muller).
pub(super) fn normal(stream: u64, a: u64, b: u64, k: u64) -> f64 {
    let h = hash(stream, a, b, k);
    let u1 = 1.0 - unit(h);
    let u2 = unit(mix(h ^ 0x5851_F42D_4C95_7F2D));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An integer coordinate as a hash input (negative values wrap).
pub(super) fn key(i: i64) -> u64 {
    i as u64
}
