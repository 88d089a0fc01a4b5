//! A small deterministic random number generator for the permutation tests.
//!
//! [`Rng`] is xoshiro256++ seeded through splitmix64. Every permutation loop derives one
//! independent stream per work item with [`Rng::stream`]`(seed, item)` (the area index for the
//! conditional permutations of the local statistics, the permutation number for the global
//! Moran's I), so results do not depend on how many threads run the loop or in which order.

/// One splitmix64 step: advances `state` and returns the next output.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256++ (Blackman & Vigna), a fast generator with a 2^256 − 1 period.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four splitmix64 outputs from `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix64(&mut sm);
        }
        Rng { s }
    }

    /// The independent stream number `item` of `seed`: the same (seed, item) always gives the
    /// same sequence, different items give unrelated sequences.
    pub fn stream(seed: u64, item: u64) -> Rng {
        let mut sm = seed ^ 0x5851_F42D_4C95_7F2D;
        let a = splitmix64(&mut sm);
        let mut sm2 = item.wrapping_mul(0xD129_0E7B_5D5F_1A3B) ^ a;
        Rng::new(splitmix64(&mut sm2) ^ item)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[0]
            .wrapping_add(self.s[3])
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..bound` without modulo bias (Lemire's multiply-and-reject);
    /// `bound` 0 gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(bound);
            // The low 64 bits decide rejection; the high 64 bits are the result.
            #[allow(clippy::cast_possible_truncation)]
            let low = m as u64;
            if low >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform index in `0..bound` (see [`Rng::below`]).
    pub fn index(&mut self, bound: usize) -> usize {
        // usize → u64 is lossless on every supported target; the result is < bound.
        usize::try_from(self.below(bound as u64)).unwrap_or(0)
    }

    /// A uniform float in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let v = (self.next_u64() >> 11) as f64;
        v * (1.0 / (1u64 << 53) as f64)
    }

    /// Shuffles `v` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.index(i + 1);
            v.swap(i, j);
        }
    }

    /// Fills `out` with `k` distinct uniform indices from `0..n` (k ≤ n; fewer when k > n),
    /// in random order. Uses rejection for small k, a partial Fisher–Yates otherwise.
    pub fn sample_distinct(&mut self, n: usize, k: usize, out: &mut Vec<usize>) {
        out.clear();
        let k = k.min(n);
        if k.saturating_mul(4) <= n {
            while out.len() < k {
                let c = self.index(n);
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        } else {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + self.index(n - i);
                all.swap(i, j);
            }
            out.extend_from_slice(&all[..k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Published splitmix64 outputs for seed 0 (Vigna's reference implementation).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(Rng::stream(7, 3), |r, _: u64| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(Rng::stream(7, 3), |r, _: u64| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..5)
            .map(|_| 0)
            .scan(Rng::stream(7, 4), |r, _: u64| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn below_is_uniform() {
        let mut r = Rng::new(1);
        let mut counts = [0u32; 7];
        let draws = 70_000;
        for _ in 0..draws {
            counts[r.index(7)] += 1;
        }
        // Each cell ~ Binomial(70000, 1/7): mean 10000, sd ≈ 92.6; allow 5 sd.
        for c in counts {
            assert!((f64::from(c) - 10_000.0).abs() < 463.0, "{counts:?}");
        }
    }

    #[test]
    fn sample_distinct_is_distinct_and_uniform() {
        let mut r = Rng::new(2);
        let mut out = Vec::new();
        for (n, k) in [(10, 2), (10, 9), (5, 5), (100, 3)] {
            let mut counts = vec![0u32; n];
            for _ in 0..20_000 {
                r.sample_distinct(n, k, &mut out);
                let mut s = out.clone();
                s.sort_unstable();
                s.dedup();
                assert_eq!(s.len(), k);
                for &i in &out {
                    counts[i] += 1;
                }
            }
            // Each index is chosen with probability k/n per draw.
            let expected = 20_000.0 * k as f64 / n as f64;
            let sd = (20_000.0 * (k as f64 / n as f64) * (1.0 - k as f64 / n as f64)).sqrt();
            for c in counts {
                assert!(
                    (f64::from(c) - expected).abs() <= 5.0 * sd + 1e-9,
                    "n {n} k {k}"
                );
            }
        }
    }
}
