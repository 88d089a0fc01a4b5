//! Correlation of the index with comparison indicators (METHOD.md §7): Pearson, population-
//! weighted Pearson and Spearman, with the Fisher-z 95 % interval and the t-test p-value.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The standard normal 97.5 % quantile (METHOD §7 rounds it to 1.96; scipy uses the exact one).
const Z_975: f64 = 1.959_963_984_540_054;

/// A correlation coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Pearson's r.
    Pearson,
    /// Pearson's r with weighted means, variances and covariance (weights = population).
    WeightedPearson,
    /// Spearman's ρ: Pearson's r of the average ranks.
    Spearman,
}

/// A correlation with its 95 % interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    /// The coefficient used.
    pub method: Method,
    /// The coefficient.
    pub r: f64,
    /// The number of pairs used.
    pub n: usize,
    /// Lower bound of the Fisher-z 95 % interval (NaN when n ≤ 3).
    pub ci_low: f64,
    /// Upper bound of the Fisher-z 95 % interval (NaN when n ≤ 3).
    pub ci_high: f64,
    /// Two-sided p-value of t = r sqrt((n − 2)/(1 − r²)), df n − 2.
    pub p_value: f64,
}

/// Average ranks, 1-based, ascending (ties share the mean of their ranks), as
/// `scipy.stats.rankdata`.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end: their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Pearson's r; `None` for unequal lengths, n < 2 or a constant variable.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    weighted_pearson(x, y, &vec![1.0; x.len()])
}

/// Weighted Pearson r = cov_w / sqrt(var_w(x) var_w(y)) with weighted means; `None` for
/// unequal lengths, n < 2, Σ w ≤ 0 or a (weighted) constant variable.
pub fn weighted_pearson(x: &[f64], y: &[f64], w: &[f64]) -> Option<f64> {
    let n = x.len();
    if y.len() != n || w.len() != n || n < 2 {
        return None;
    }
    let sw: f64 = w.iter().sum();
    if sw <= 0.0 {
        return None;
    }
    let mx = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let my = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += w[i] * dx * dy;
        sxx += w[i] * dx * dx;
        syy += w[i] * dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's ρ (Pearson's r of the average ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

/// The Fisher-z 95 % interval tanh(atanh r ± z_0.975/sqrt(n − 3)); `None` when n ≤ 3.
pub fn fisher_interval(r: f64, n: usize) -> Option<(f64, f64)> {
    if n <= 3 || r.is_nan() {
        return None;
    }
    let z = r.atanh();
    let se = 1.0 / (n as f64 - 3.0).sqrt();
    Some(((z - Z_975 * se).tanh(), (z + Z_975 * se).tanh()))
}

/// Two-sided p-value of r with n pairs from t = r sqrt((n − 2)/(1 − r²)), df n − 2.
fn p_value(r: f64, n: usize) -> f64 {
    if n < 3 {
        return f64::NAN;
    }
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = n as f64 - 2.0;
    let t = r * (df / (1.0 - r * r)).sqrt();
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| 2.0 * d.cdf(-t.abs()))
}

/// The correlation of x and y over the pairs where x, y (and w) are finite (and w ≥ 0).
/// `WeightedPearson` needs `w`; the others ignore it apart from that filter. `None` when
/// lengths differ or the coefficient is undefined.
pub fn correlate(x: &[f64], y: &[f64], w: Option<&[f64]>, method: Method) -> Option<Correlation> {
    if y.len() != x.len() || w.is_some_and(|w| w.len() != x.len()) {
        return None;
    }
    let keep: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].is_finite() && y[i].is_finite())
        .filter(|&i| w.is_none_or(|w| w[i].is_finite() && w[i] >= 0.0))
        .collect();
    let xs: Vec<f64> = keep.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
    let r = match method {
        Method::Pearson => pearson(&xs, &ys)?,
        Method::Spearman => spearman(&xs, &ys)?,
        Method::WeightedPearson => {
            let w = w?;
            let ws: Vec<f64> = keep.iter().map(|&i| w[i]).collect();
            weighted_pearson(&xs, &ys, &ws)?
        }
    };
    let n = keep.len();
    let (ci_low, ci_high) = fisher_interval(r, n).unwrap_or((f64::NAN, f64::NAN));
    Some(Correlation {
        method,
        r,
        n,
        ci_low,
        ci_high,
        p_value: p_value(r, n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn average_ranks_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 5.0]),
            vec![2.5, 4.0, 2.5, 1.0]
        );
    }

    #[test]
    fn pearson_and_spearman_hand_computed() {
        // x = 1..5, y = 2, 4, 5, 4, 5: Sxy = 6, Sxx = 10, Syy = 6 → r = 6/sqrt(60).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 5.0, 4.0, 5.0];
        assert!(close(pearson(&x, &y).unwrap(), 6.0 / 60f64.sqrt(), 1e-12));
        // Ranks of y: 1, 2.5, 4.5, 2.5, 4.5 → Pearson of (1..5, those).
        let ry = [1.0, 2.5, 4.5, 2.5, 4.5];
        assert!(close(
            spearman(&x, &y).unwrap(),
            pearson(&x, &ry).unwrap(),
            1e-12
        ));
        // Without ties ρ = 1 − 6Σd²/(n(n²−1)): y' = 1, 3, 2, 5, 4 → Σd² = 4 → ρ = 0.8.
        assert!(close(
            spearman(&x, &[1.0, 3.0, 2.0, 5.0, 4.0]).unwrap(),
            0.8,
            1e-12
        ));
        assert!(pearson(&x, &[1.0; 5]).is_none());
    }

    #[test]
    fn weighted_pearson_integer_weights_equal_repetition() {
        // Weight 2 on a point = that point listed twice.
        let r_w = weighted_pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0], &[1.0, 2.0, 1.0]).unwrap();
        let r_rep = pearson(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 3.0, 2.0]).unwrap();
        assert!(close(r_w, r_rep, 1e-12));
    }

    #[test]
    fn fisher_and_p_value() {
        // r = 0.5, n = 28: atanh 0.5 = 0.549306, se = 0.2 → tanh(0.157313), tanh(0.941299).
        let (lo, hi) = fisher_interval(0.5, 28).unwrap();
        assert!(
            close(lo, 0.156_029, 1e-5) && close(hi, 0.735_818, 1e-5),
            "{lo} {hi}"
        );
        assert!(fisher_interval(0.5, 3).is_none());
        // r = 0.5, n = 27 → t = 0.5·sqrt(25/0.75) = 2.8868, df 25: p = 0.0079 (tables).
        let c = correlate(
            &(0..27).map(f64::from).collect::<Vec<_>>(),
            &(0..27).map(|i| f64::from((i * 7) % 27)).collect::<Vec<_>>(),
            None,
            Method::Pearson,
        )
        .unwrap();
        assert_eq!(c.n, 27);
        assert!(
            close(p_value(0.5, 27), 0.00795, 1e-3),
            "{}",
            p_value(0.5, 27)
        );
        assert!(correlate(&[1.0, 2.0], &[1.0, 2.0], None, Method::WeightedPearson).is_none());
    }

    #[test]
    fn correlate_skips_missing_pairs() {
        let x = [1.0, 2.0, f64::NAN, 4.0, 5.0];
        let y = [2.0, 1.0, 3.0, 4.0, 6.0];
        let c = correlate(&x, &y, None, Method::Spearman).unwrap();
        assert_eq!(c.n, 4);
        assert!(close(
            c.r,
            spearman(&[1.0, 2.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 6.0]).unwrap(),
            1e-12
        ));
        assert_eq!(
            serde_json::to_string(&Method::WeightedPearson).unwrap(),
            "\"weighted-pearson\""
        );
    }
}
