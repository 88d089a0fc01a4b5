//! The statistics the report uses: re-exported from [`mdi_core::analysis`] where it has them.
//!
//! TEMPORARY: `mdi_core::analysis::{district, change, correlation}` (helper "stats") have not
//! landed yet; until they do, this module holds stand-ins with the contract's signatures
//! (normal rather than Student t quantiles). Replace the bodies by `pub use` when they land.

/// District measures (METHOD §1.8).
pub mod district {
    /// A ranked area of a district.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Member {
        /// National rank, 1 = most deprived.
        pub rank: u32,
        /// Score.
        pub score: f64,
        /// Population.
        pub population: f64,
    }

    /// The measures of a district.
    #[derive(Debug, Clone, PartialEq)]
    pub struct DistrictMeasures {
        /// Areas.
        pub areas: usize,
        /// Population.
        pub population: f64,
        /// Average score.
        pub average_score: f64,
        /// Average rank.
        pub average_rank: f64,
        /// Extent.
        pub extent: f64,
        /// Local concentration.
        pub local_concentration: f64,
        /// Proportion of areas in the worst decile.
        pub proportion_worst_decile: f64,
        /// Population share in the worst decile.
        pub share_worst_decile: f64,
        /// Population share per decile.
        pub decile_shares: [f64; 10],
    }

    /// e(q).
    pub fn extent_weight(q: u32) -> f64 {
        match q {
            0..=10 => 1.0,
            11..=30 => 0.95 - (0.90 / 19.0) * f64::from(q - 11),
            _ => 0.0,
        }
    }

    /// The measures; `None` without members or population.
    pub fn district_measures(members: &[Member], n: u32) -> Option<DistrictMeasures> {
        let total: f64 = members.iter().map(|m| m.population).sum();
        if members.is_empty() || total <= 0.0 || n == 0 {
            return None;
        }
        let nf = f64::from(n);
        let wsum = |f: &dyn Fn(&Member) -> f64| {
            members.iter().map(|m| m.population * f(m)).sum::<f64>() / total
        };
        let worst = |m: &Member| f64::from(m.rank) <= nf / 10.0;
        let mut decile_shares = [0.0; 10];
        for m in members {
            let d = (10.0 * f64::from(m.rank) / nf).ceil().clamp(1.0, 10.0) as usize;
            decile_shares[d - 1] += m.population / total;
        }
        let mut sorted: Vec<&Member> = members.iter().collect();
        sorted.sort_by_key(|m| m.rank);
        let (target, mut taken, mut lc) = (0.1 * total, 0.0, 0.0);
        for m in sorted {
            let part = m.population.min(target - taken);
            if part <= 0.0 {
                break;
            }
            lc += part * (nf + 1.0 - f64::from(m.rank));
            taken += part;
        }
        Some(DistrictMeasures {
            areas: members.len(),
            population: total,
            average_score: wsum(&|m| m.score),
            average_rank: wsum(&|m| nf + 1.0 - f64::from(m.rank)),
            extent: wsum(&|m| extent_weight((100.0 * f64::from(m.rank) / nf).ceil() as u32)),
            local_concentration: lc / target,
            proportion_worst_decile: members.iter().filter(|m| worst(m)).count() as f64
                / members.len() as f64,
            share_worst_decile: wsum(&|m| if worst(m) { 1.0 } else { 0.0 }),
            decile_shares,
        })
    }

    /// Ranks, 1 = highest value; ties by index.
    pub fn rank_desc(values: &[Option<f64>]) -> Vec<Option<u32>> {
        let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
        order.sort_by(|&a, &b| {
            values[b]
                .partial_cmp(&values[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        let mut out = vec![None; values.len()];
        for (r, i) in order.into_iter().enumerate() {
            out[i] = Some(r as u32 + 1);
        }
        out
    }
}

/// Change over time (METHOD §6).
pub mod change {
    /// Decile transitions.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Transitions {
        /// Counts.
        pub from: [[u32; 10]; 10],
        /// Row shares.
        pub shares: [[f64; 10]; 10],
    }

    /// Transitions of (decile t0, decile t1) pairs.
    pub fn transitions(pairs: &[(u8, u8)]) -> Transitions {
        let mut from = [[0u32; 10]; 10];
        for &(a, b) in pairs {
            if (1..=10).contains(&a) && (1..=10).contains(&b) {
                from[usize::from(a) - 1][usize::from(b) - 1] += 1;
            }
        }
        let mut shares = [[0.0; 10]; 10];
        for (row, out) in from.iter().zip(shares.iter_mut()) {
            let total: u32 = row.iter().sum();
            if total > 0 {
                for (c, o) in row.iter().zip(out.iter_mut()) {
                    *o = f64::from(*c) / f64::from(total);
                }
            }
        }
        Transitions { from, shares }
    }

    /// Persistence of the worst decile.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Persistence {
        /// In decile 1 at t1.
        pub worst_at_end: usize,
        /// Of those, in decile 1 at t0.
        pub also_worst_at_start: usize,
        /// The share.
        pub share: Option<f64>,
    }

    /// P = #(D_t1 ∩ D_t0) / #D_t1.
    pub fn persistence(pairs: &[(u8, u8)]) -> Persistence {
        let end = pairs.iter().filter(|p| p.1 == 1).count();
        let both = pairs.iter().filter(|p| p.1 == 1 && p.0 == 1).count();
        Persistence {
            worst_at_end: end,
            also_worst_at_start: both,
            share: (end > 0).then(|| both as f64 / end as f64),
        }
    }

    /// An OLS fit.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Regression {
        /// n.
        pub n: usize,
        /// Intercept.
        pub alpha: f64,
        /// Slope.
        pub beta: f64,
        /// SE of the slope.
        pub se_beta: f64,
        /// CI low.
        pub ci_low: f64,
        /// CI high.
        pub ci_high: f64,
        /// p.
        pub p_value: f64,
        /// R².
        pub r2: f64,
    }

    /// Unweighted OLS (stand-in: the weights are ignored; normal quantiles).
    pub fn ols(x: &[f64], y: &[f64], _w: Option<&[f64]>) -> Option<Regression> {
        let n = x.len();
        if n < 3 || y.len() != n {
            return None;
        }
        let nf = n as f64;
        let (mx, my) = (x.iter().sum::<f64>() / nf, y.iter().sum::<f64>() / nf);
        let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let syy: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let beta = sxy / sxx;
        let alpha = my - beta * mx;
        let sse: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| (b - alpha - beta * a).powi(2))
            .sum();
        let se = (sse / (nf - 2.0) / sxx).sqrt();
        let z = if se > 0.0 { beta / se } else { f64::INFINITY };
        Some(Regression {
            n,
            alpha,
            beta,
            se_beta: se,
            ci_low: beta - 1.96 * se,
            ci_high: beta + 1.96 * se,
            p_value: super::normal_two_sided(z),
            r2: if syy > 0.0 { 1.0 - sse / syy } else { 0.0 },
        })
    }
}

/// Correlation (METHOD §7).
pub mod correlation {
    /// A method.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Method {
        /// Pearson.
        Pearson,
        /// Population-weighted Pearson.
        WeightedPearson,
        /// Spearman.
        Spearman,
    }

    /// A coefficient.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Correlation {
        /// Method.
        pub method: Method,
        /// r.
        pub r: f64,
        /// n.
        pub n: usize,
        /// CI low.
        pub ci_low: f64,
        /// CI high.
        pub ci_high: f64,
        /// p.
        pub p_value: f64,
    }

    /// Average ranks (1-based).
    pub fn average_ranks(x: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| x[a].partial_cmp(&x[b]).unwrap_or(std::cmp::Ordering::Equal));
        let mut out = vec![0.0; x.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
                j += 1;
            }
            let r = (i + j) as f64 / 2.0 + 1.0;
            for &k in &order[i..=j] {
                out[k] = r;
            }
            i = j + 1;
        }
        out
    }

    /// Weighted Pearson (unit weights: Pearson).
    pub fn weighted_pearson(x: &[f64], y: &[f64], w: &[f64]) -> Option<f64> {
        let sw: f64 = w.iter().sum();
        if x.len() < 2 || sw <= 0.0 {
            return None;
        }
        let mx = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
        let my = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
        let (mut c, mut vx, mut vy) = (0.0, 0.0, 0.0);
        for ((a, b), v) in x.iter().zip(y).zip(w) {
            c += v * (a - mx) * (b - my);
            vx += v * (a - mx).powi(2);
            vy += v * (b - my).powi(2);
        }
        (vx > 0.0 && vy > 0.0).then(|| c / (vx * vy).sqrt())
    }

    /// Pearson.
    pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
        weighted_pearson(x, y, &vec![1.0; x.len()])
    }

    /// Spearman.
    pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
        pearson(&average_ranks(x), &average_ranks(y))
    }

    /// The 95 % Fisher interval.
    pub fn fisher_interval(r: f64, n: usize) -> Option<(f64, f64)> {
        if n <= 3 {
            return None;
        }
        let z = r.clamp(-0.999_999_999, 0.999_999_999).atanh();
        let se = 1.0 / ((n - 3) as f64).sqrt();
        Some(((z - 1.96 * se).tanh(), (z + 1.96 * se).tanh()))
    }

    /// A coefficient with its interval and p-value (stand-in: normal p).
    pub fn correlate(
        x: &[f64],
        y: &[f64],
        w: Option<&[f64]>,
        method: Method,
    ) -> Option<Correlation> {
        let n = x.len();
        let r = match method {
            Method::Pearson => pearson(x, y),
            Method::WeightedPearson => weighted_pearson(x, y, w?),
            Method::Spearman => spearman(x, y),
        }?;
        let (ci_low, ci_high) = fisher_interval(r, n)?;
        let t = r * ((n as f64 - 2.0) / (1.0 - r * r).max(1e-300)).sqrt();
        Some(Correlation {
            method,
            r,
            n,
            ci_low,
            ci_high,
            p_value: super::normal_two_sided(t),
        })
    }
}

/// Two-sided normal tail probability of `z` (Abramowitz–Stegun 7.1.26 erfc).
fn normal_two_sided(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    (poly * (-x * x).exp()).clamp(0.0, 1.0)
}
