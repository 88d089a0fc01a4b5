//! Change over time (METHOD.md §6): percentile change, decile transitions, persistence of the
//! most deprived decile, and the (weighted) least-squares line of β-convergence.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Percentile change Δq = 100·(r0/n0 − r1/n1); positive = moved toward rank 1 (relatively
/// more deprived). NaN when n0 or n1 is 0.
pub fn percentile_change(r0: u32, n0: u32, r1: u32, n1: u32) -> f64 {
    100.0 * (f64::from(r0) / f64::from(n0) - f64::from(r1) / f64::from(n1))
}

/// The decile transition matrix: `from[a − 1][b − 1]` areas went from decile a to decile b.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transitions {
    /// Counts, row = decile at t0, column = decile at t1.
    pub from: [[u32; 10]; 10],
    /// Row shares M_ab = count_ab / Σ_b count_ab (0 where a row is empty).
    pub shares: [[f64; 10]; 10],
}

/// The transition matrix of (decile t0, decile t1) pairs; pairs outside 1–10 are ignored.
pub fn transitions(pairs: &[(u8, u8)]) -> Transitions {
    let mut from = [[0u32; 10]; 10];
    for &(a, b) in pairs {
        if (1..=10).contains(&a) && (1..=10).contains(&b) {
            from[usize::from(a - 1)][usize::from(b - 1)] += 1;
        }
    }
    let mut shares = [[0.0; 10]; 10];
    for (row, counts) in shares.iter_mut().zip(&from) {
        let total: u32 = counts.iter().sum();
        if total > 0 {
            for (s, c) in row.iter_mut().zip(counts) {
                *s = f64::from(*c) / f64::from(total);
            }
        }
    }
    Transitions { from, shares }
}

/// Persistence of the most deprived decile between two years.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Persistence {
    /// #D_t1: areas in decile 1 at the end.
    pub worst_at_end: usize,
    /// #(D_t1 ∩ D_t0): of those, the ones also in decile 1 at the start.
    pub also_worst_at_start: usize,
    /// P = #(D_t1 ∩ D_t0) / #D_t1; `None` when D_t1 is empty.
    pub share: Option<f64>,
}

/// Persistence P = #(D_t1 ∩ D_t0) / #D_t1 of (decile t0, decile t1) pairs.
pub fn persistence(pairs: &[(u8, u8)]) -> Persistence {
    let worst_at_end = pairs.iter().filter(|p| p.1 == 1).count();
    let also_worst_at_start = pairs.iter().filter(|p| p.0 == 1 && p.1 == 1).count();
    let share = (worst_at_end > 0).then(|| also_worst_at_start as f64 / worst_at_end as f64);
    Persistence {
        worst_at_end,
        also_worst_at_start,
        share,
    }
}

/// A least-squares line y = α + β x with statsmodels' OLS/WLS inference for β.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// Observations (zero weights included, as statsmodels' `nobs`).
    pub n: usize,
    /// Intercept.
    pub alpha: f64,
    /// Slope.
    pub beta: f64,
    /// Standard error of β: sqrt(σ̂² / Σ w (x − x̄_w)²), σ̂² = Σ w e² / (n − 2).
    pub se_beta: f64,
    /// Lower bound of the 95 % interval β − t_{0.975, n−2} se.
    pub ci_low: f64,
    /// Upper bound of the 95 % interval.
    pub ci_high: f64,
    /// Two-sided p-value of β = 0 (Student t, df n − 2).
    pub p_value: f64,
    /// R² = 1 − Σ w e² / Σ w (y − ȳ_w)² (statsmodels' `rsquared`).
    pub r2: f64,
}

/// Ordinary (w `None`) or weighted least squares of y on x, as statsmodels `OLS`/`WLS` with a
/// constant. `None` when lengths differ, n < 3, a value or weight is not finite, a weight is
/// negative, Σw is 0, or x has no (weighted) variance.
pub fn ols(x: &[f64], y: &[f64], w: Option<&[f64]>) -> Option<Regression> {
    let n = x.len();
    let ones = vec![1.0; n];
    let w = w.unwrap_or(&ones);
    if y.len() != n || w.len() != n || n < 3 {
        return None;
    }
    let finite = x.iter().chain(y).chain(w).all(|v| v.is_finite());
    if !finite || w.iter().any(|&v| v < 0.0) {
        return None;
    }
    let x_mean = weighted_mean(x, w)?;
    let y_mean = weighted_mean(y, w)?;
    let sxx: f64 = x
        .iter()
        .zip(w)
        .map(|(a, wi)| wi * (a - x_mean).powi(2))
        .sum();
    let sxy: f64 = (0..n)
        .map(|i| w[i] * (x[i] - x_mean) * (y[i] - y_mean))
        .sum();
    let syy: f64 = y
        .iter()
        .zip(w)
        .map(|(b, wi)| wi * (b - y_mean).powi(2))
        .sum();
    if sxx <= 0.0 {
        return None;
    }
    let beta = sxy / sxx;
    let alpha = y_mean - beta * x_mean;
    let ssr: f64 = (0..n)
        .map(|i| w[i] * (y[i] - alpha - beta * x[i]).powi(2))
        .sum();
    let df = n as f64 - 2.0;
    let se_beta = (ssr / df / sxx).sqrt();
    let t_dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let crit = t_dist.inverse_cdf(0.975);
    let p_value = if se_beta > 0.0 {
        2.0 * t_dist.cdf(-(beta / se_beta).abs())
    } else if beta == 0.0 {
        1.0
    } else {
        0.0
    };
    let r2 = if syy > 0.0 { 1.0 - ssr / syy } else { f64::NAN };
    Some(Regression {
        n,
        alpha,
        beta,
        se_beta,
        ci_low: beta - crit * se_beta,
        ci_high: beta + crit * se_beta,
        p_value,
        r2,
    })
}

/// Σ w x / Σ w; `None` when the lengths differ, x is empty or Σ w is not positive.
pub fn weighted_mean(x: &[f64], w: &[f64]) -> Option<f64> {
    if x.len() != w.len() || x.is_empty() {
        return None;
    }
    let sw: f64 = w.iter().sum();
    (sw > 0.0).then(|| x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn percentile_change_sign() {
        // Rank 50 of 100 (50th percentile) to rank 20 of 200 (10th): +40, more deprived.
        assert!(close(percentile_change(50, 100, 20, 200), 40.0, 1e-12));
    }

    #[test]
    fn transitions_and_persistence() {
        let pairs = [(1, 1), (1, 2), (2, 1), (1, 1), (10, 10), (0, 3)];
        let t = transitions(&pairs);
        assert_eq!(t.from[0][0], 2);
        assert_eq!(t.from[0][1], 1);
        assert_eq!(t.from[1][0], 1);
        assert!(close(t.shares[0][0], 2.0 / 3.0, 1e-12));
        assert_eq!(t.shares[4], [0.0; 10]);
        let p = persistence(&pairs);
        assert_eq!((p.worst_at_end, p.also_worst_at_start), (3, 2));
        assert!(close(p.share.unwrap(), 2.0 / 3.0, 1e-12));
        assert_eq!(persistence(&[(1, 2)]).share, None);
    }

    #[test]
    fn ols_hand_computed() {
        // x = 1..5, y = 2, 4, 5, 4, 5: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6 → β = 0.6, α = 2.2.
        // Residuals −0.8, 0.6, 1.0, −0.6, −0.2: SSR = 2.4, σ̂² = 0.8, se = sqrt(0.08).
        // Syy = 6 → R² = 0.6. t_{0.975,3} = 3.182446305284263 (tables: 3.182).
        let r = ols(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 5.0, 4.0, 5.0], None).unwrap();
        assert!(close(r.beta, 0.6, 1e-12) && close(r.alpha, 2.2, 1e-12));
        assert!(close(r.se_beta, 0.08f64.sqrt(), 1e-12));
        assert!(close(r.r2, 0.6, 1e-12));
        assert!(close(
            r.ci_high,
            0.6 + 3.182446305284263 * 0.08f64.sqrt(),
            1e-9
        ));
        // t = 0.6/0.2828 = 2.1213, df 3: two-sided p = 0.1240 (tables).
        assert!((r.p_value - 0.124).abs() < 1e-3, "{}", r.p_value);
        // Doubling every weight changes nothing; a zero weight removes a point's influence.
        let w2 = ols(
            &[1.0, 2.0, 3.0, 4.0, 5.0],
            &[2.0, 4.0, 5.0, 4.0, 5.0],
            Some(&[2.0; 5]),
        )
        .unwrap();
        assert!(close(w2.beta, 0.6, 1e-12) && close(w2.se_beta, r.se_beta, 1e-12));
        assert!(ols(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], None).is_none());
    }

    #[test]
    fn weighted_mean_basic() {
        assert_eq!(weighted_mean(&[1.0, 3.0], &[1.0, 3.0]), Some(2.5));
        assert_eq!(weighted_mean(&[1.0], &[0.0]), None);
    }
}
