//! The numerical building blocks of the index (METHOD.md §1.5–§1.7): average-tie ranks,
//! rank-based normal scores, ordinal ranks with a deterministic tie-break, the exponential
//! transform, deciles, weight re-spreading and one-factor weights.

use statrs::distribution::{ContinuousCDF, Normal};

/// `1 − e^(−100/23)`, the constant of the exponential transform.
const EXP_K: f64 = 0.987_065_098_6;

/// The exponential transform of a rank (METHOD.md §1.6):
/// `X = −23·ln(1 − R·(1 − e^(−100/23)))` with `R = (N − rank + 1)/N`.
///
/// Rank 1 (most deprived) gives 100; rank N gives nearly 0.
///
/// ```
/// use mdi_core::stats::exp_transform;
/// assert!((exp_transform(1, 5) - 100.0).abs() < 1e-9);
/// assert!((exp_transform(2, 5) - 35.8568).abs() < 1e-4);
/// ```
pub fn exp_transform(rank: usize, n: usize) -> f64 {
    let r = (n - rank + 1) as f64 / n as f64;
    let k = 1.0 - (-100.0_f64 / 23.0).exp();
    debug_assert!((k - EXP_K).abs() < 1e-9);
    -23.0 * (1.0 - r * k).ln()
}

/// The decile of a rank: `ceil(10·rank/N)`, 1 = most deprived 10%.
///
/// ```
/// assert_eq!(mdi_core::stats::decile(1, 32844), 1);
/// assert_eq!(mdi_core::stats::decile(3285, 32844), 2);
/// ```
pub fn decile(rank: usize, n: usize) -> u8 {
    // Integer ceiling: exact, no floating-point edge at the boundaries.
    u8::try_from((10 * rank).div_ceil(n)).unwrap_or(u8::MAX)
}

/// Positions of `keys` sorted by key, ties in position order. The (key, position) pairs are
/// sorted as plain integers, which is faster than a comparator reaching back into the values.
pub fn sorted_positions(keys: &[u64]) -> Vec<usize> {
    let mut pairs: Vec<u128> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (u128::from(*k) << 64) | i as u128)
        .collect();
    pairs.sort_unstable();
    pairs
        .into_iter()
        .map(|p| (p & u128::from(u64::MAX)) as usize)
        .collect()
}

/// A `u64` whose unsigned order is the total order of `x` (as [`f64::total_cmp`]).
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Ascending ranks 1..n with ties given their average rank.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let keys: Vec<u64> = values.iter().map(|v| order_key(*v)).collect();
    let order = sorted_positions(&keys);
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && keys[order[j + 1]] == keys[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) share the ranks i+1..=j+1.
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = avg;
        }
        i = j + 1;
    }
    ranks
}

/// The inverse of the standard normal distribution function, Φ⁻¹(p), for 0 < p < 1.
pub fn inverse_normal(p: f64) -> f64 {
    // Normal::new(0, 1) cannot fail; the fallback keeps the function total.
    Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.inverse_cdf(p))
}

/// Rank-based normal scores `Φ⁻¹(r/(n+1))` over the values present, `r` the average-tie rank,
/// `n` the number of values present (METHOD.md §1.5). Higher values get higher scores.
pub fn normal_scores(values: &[Option<f64>]) -> Vec<Option<f64>> {
    NormalScorer::default().scores(values)
}

/// Computes normal scores, caching `Φ⁻¹(r/(n+1))` for every (half-)rank of each `n` seen, so
/// that the indicators of one ranking group, which mostly share `n`, evaluate Φ⁻¹ only once
/// per rank.
#[derive(Debug, Default)]
pub struct NormalScorer {
    /// For each n: Φ⁻¹((k/2)/(n+1)) at index k, for k = 2..=2n (average ranks are multiples
    /// of ½), filled on demand (NaN = not yet computed).
    cache: std::collections::HashMap<usize, Vec<f64>>,
}

impl NormalScorer {
    /// Normal scores of `values`; see [`normal_scores`].
    pub fn scores(&mut self, values: &[Option<f64>]) -> Vec<Option<f64>> {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let ranks = average_ranks(&present);
        let n = present.len();
        let table = self
            .cache
            .entry(n)
            .or_insert_with(|| vec![f64::NAN; 2 * n + 1]);
        let mut it = ranks.into_iter();
        values
            .iter()
            .map(|v| {
                let r = v.and_then(|_| it.next())?;
                // r is a whole or half number in 1..=n, so 2r is exact.
                let k = (2.0 * r) as usize;
                if table[k].is_nan() {
                    table[k] = inverse_normal(r / (n as f64 + 1.0));
                }
                Some(table[k])
            })
            .collect()
    }
}

/// Ordinal ranks, 1 = highest value, over the values present. Ties are broken by position
/// (earlier first), so callers that order their rows by code get the deterministic tie-break
/// of METHOD.md §9. Returns the ranks and the number of values ranked.
pub fn rank_descending(values: &[Option<f64>]) -> (Vec<Option<usize>>, usize) {
    // Descending value: sort by the complement of the order key; the stable sort keeps ties
    // in position order.
    let present: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
    let keys: Vec<u64> = present
        .iter()
        .map(|&i| !order_key(values[i].unwrap_or(0.0)))
        .collect();
    let mut ranks = vec![None; values.len()];
    for (r, p) in sorted_positions(&keys).into_iter().enumerate() {
        ranks[present[p]] = Some(r + 1);
    }
    (ranks, present.len())
}

/// Weighted combination with weights re-spread over the parts present (METHOD.md §4.3):
/// `Σ_present w·x · (Σ_all w / Σ_present w)`. `None` when no part is present or the present
/// weights sum to zero.
///
/// ```
/// use mdi_core::stats::respread;
/// // Two of three parts present: 0.5·10 + 0.25·20 = 10, scaled by 1.0/0.75.
/// let v = respread(&[(0.5, Some(10.0)), (0.25, None), (0.25, Some(20.0))]).unwrap();
/// assert!((v - 40.0 / 3.0).abs() < 1e-12);
/// ```
pub fn respread(parts: &[(f64, Option<f64>)]) -> Option<f64> {
    let total: f64 = parts.iter().map(|p| p.0).sum();
    let (sum, present) = parts
        .iter()
        .filter_map(|(w, x)| x.map(|x| (w * x, *w)))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    (present > 0.0).then(|| sum * total / present)
}

/// [`respread`] row by row over equally long columns, without a per-row allocation:
/// `out[i] = respread(zip(weights, columns[·][i]))`.
pub fn respread_columns(weights: &[f64], columns: &[&[Option<f64>]]) -> Vec<Option<f64>> {
    let n = columns.first().map_or(0, |c| c.len());
    let total: f64 = weights.iter().sum();
    (0..n)
        .map(|i| {
            let (mut sum, mut present) = (0.0, 0.0);
            for (w, c) in weights.iter().zip(columns) {
                if let Some(x) = c[i] {
                    sum += w * x;
                    present += w;
                }
            }
            (present > 0.0).then(|| sum * total / present)
        })
        .collect()
}

/// Pearson correlation of two equally long series.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// One-factor weights on the columns of `y` (complete cases), by principal-axis factoring
/// (METHOD.md §9): communalities start at `1 − 1/(R⁻¹)_jj`, the loadings are
/// `λ = sqrt(μ₁)·v₁` of the reduced correlation matrix, iterated; the weights are the
/// factor-score coefficients `b = R⁻¹λ`, normalised to sum 1.
///
/// Returns `None` (the caller falls back to equal weights) with fewer than 3 columns, too few
/// complete rows, a singular matrix, no convergence, a Heywood case (a communality ≥ 1) or a
/// loading below 0.3.
pub fn one_factor_weights(columns: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = columns.len();
    let n = columns.first()?.len();
    if k < 3 || n < k + 2 {
        return None;
    }
    one_factor_weights_from_correlations(&correlation_matrix(columns))
}

/// Weights proportional to the one-factor loadings on the columns of `y` (complete cases):
/// the loadings `λ` found as in [`one_factor_weights`], normalised to sum 1, without the
/// factor-score step `R⁻¹λ`. On the English Health domain these weights reproduce the published
/// domain ranks (Spearman 0.99997 against File 2), where `b = R⁻¹λ` gives 0.974: see
/// `docs/VALIDATION.md`.
///
/// Returns `None` (the caller falls back to equal weights) in the same cases as
/// [`one_factor_weights`].
pub fn one_factor_loading_weights(columns: &[Vec<f64>]) -> Option<Vec<f64>> {
    let k = columns.len();
    let n = columns.first()?.len();
    if k < 3 || n < k + 2 {
        return None;
    }
    loading_weights_from_correlations(&correlation_matrix(columns))
}

/// [`one_factor_loading_weights`] on a given correlation matrix.
fn loading_weights_from_correlations(r: &[Vec<f64>]) -> Option<Vec<f64>> {
    let (lambda, _) = one_factor_loadings(r)?;
    let s: f64 = lambda.iter().sum();
    Some(lambda.iter().map(|l| l / s).collect())
}

/// [`one_factor_weights`] on a given correlation matrix.
fn one_factor_weights_from_correlations(r: &[Vec<f64>]) -> Option<Vec<f64>> {
    let (lambda, rinv) = one_factor_loadings(r)?;
    let k = lambda.len();
    let b: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| rinv[i][j] * lambda[j]).sum())
        .collect();
    let s: f64 = b.iter().sum();
    (s > 0.0 && b.iter().all(|&x| x > 0.0)).then(|| b.iter().map(|x| x / s).collect())
}

/// The one-factor loadings `λ` of correlation matrix `r` by principal-axis factoring, and
/// `R⁻¹`; `None` for a singular matrix, no convergence, a Heywood case or a loading below 0.3.
fn one_factor_loadings(r: &[Vec<f64>]) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let k = r.len();
    let r = r.to_vec();
    let rinv = invert(&r)?;
    let mut h: Vec<f64> = (0..k).map(|j| 1.0 - 1.0 / rinv[j][j]).collect();
    let mut lambda = vec![0.0; k];
    let mut converged = false;
    for _ in 0..500 {
        let mut reduced = r.clone();
        for j in 0..k {
            reduced[j][j] = h[j];
        }
        let (mu, v) = top_eigen(&reduced)?;
        if mu <= 0.0 {
            return None;
        }
        let sign = if v.iter().sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        lambda = v.iter().map(|x| sign * x * mu.sqrt()).collect();
        let new_h: Vec<f64> = lambda.iter().map(|l| l * l).collect();
        let delta = new_h
            .iter()
            .zip(&h)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        h = new_h;
        if h.iter().any(|&x| x >= 1.0) {
            return None;
        }
        if delta < 1e-9 {
            converged = true;
            break;
        }
    }
    if !converged || lambda.iter().any(|&l| l < 0.3) {
        return None;
    }
    Some((lambda, rinv))
}

fn correlation_matrix(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = columns.len();
    let mut r = vec![vec![1.0; k]; k];
    for i in 0..k {
        for j in (i + 1)..k {
            let c = pearson(&columns[i], &columns[j]);
            r[i][j] = c;
            r[j][i] = c;
        }
    }
    r
}

/// Gauss-Jordan inverse with partial pivoting; `None` when (nearly) singular.
fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..k).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let p = a[col][col];
        for v in &mut a[col] {
            *v /= p;
        }
        for row in 0..k {
            if row != col {
                let f = a[row][col];
                if f != 0.0 {
                    let pivot_row = a[col].clone();
                    for (v, pv) in a[row].iter_mut().zip(pivot_row) {
                        *v -= f * pv;
                    }
                }
            }
        }
    }
    Some(a.into_iter().map(|r| r[k..].to_vec()).collect())
}

/// Largest eigenvalue and its unit eigenvector of a symmetric matrix, by shifted power
/// iteration (the shift makes every eigenvalue positive, so the largest one dominates).
fn top_eigen(m: &[Vec<f64>]) -> Option<(f64, Vec<f64>)> {
    let k = m.len();
    let shift: f64 = m
        .iter()
        .map(|r| r.iter().map(|x| x.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let mut v = vec![1.0 / (k as f64).sqrt(); k];
    let mut mu = 0.0;
    for _ in 0..10_000 {
        let w: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| m[i][j] * v[j]).sum::<f64>() + shift * v[i])
            .collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return None;
        }
        let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
        let diff = next
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        v = next;
        mu = norm - shift;
        if diff < 1e-13 {
            return Some((mu, v));
        }
    }
    Some((mu, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn transform_test_vectors_from_method() {
        // METHOD.md §1.6, X(R): R=1 → 100, 0.9 → 50.426654, 0.5 → 15.646790, 0.25 → 6.517733,
        // 0.1 → 2.390260. With N = 10 and 100 these R values are exact ranks.
        assert!(close(exp_transform(1, 10), 100.0, 1e-9));
        assert!(close(exp_transform(2, 10), 50.426654, 1e-6));
        assert!(close(exp_transform(6, 10), 15.646790, 1e-6));
        assert!(close(exp_transform(76, 100), 6.517733, 1e-6));
        assert!(close(exp_transform(10, 10), 2.390260, 1e-6));
        // The other end: rank N of 32,844 gives R = 1/N → 0.000691.
        assert!(close(exp_transform(32_844, 32_844), 0.000691, 1e-6));
        // N = 5: 100, 35.8568, 20.6327, 11.5515, 5.0580.
        let want = [100.0, 35.8568, 20.6327, 11.5515, 5.0580];
        for (rank, w) in (1..=5).zip(want) {
            assert!(close(exp_transform(rank, 5), w, 1e-4), "rank {rank}");
        }
    }

    #[test]
    fn deciles_sum_to_n_and_match_the_rule() {
        for n in [1usize, 7, 10, 11, 99, 32_844] {
            let mut counts = [0usize; 11];
            for rank in 1..=n {
                let d = decile(rank, n);
                assert!((1..=10).contains(&d));
                counts[d as usize] += 1;
            }
            assert_eq!(counts.iter().sum::<usize>(), n);
            if n >= 10 {
                // Equal-count classes: every decile holds N/10 rounded down or up.
                for c in &counts[1..] {
                    assert!(c.abs_diff(n / 10) <= 1, "n={n}: {counts:?}");
                }
            }
        }
        // By hand: N = 11 → ranks 1 and 2 are decile 1 (10/11 < 1, 20/11 = 1.8 → 2? no: ceil).
        assert_eq!(decile(1, 11), 1);
        assert_eq!(decile(2, 11), 2);
        assert_eq!(decile(11, 11), 10);
        assert_eq!(decile(3284, 32_844), 1);
        assert_eq!(decile(3285, 32_844), 2);
    }

    #[test]
    fn sorted_positions_orders_ties_by_position() {
        let keys = [5u64, 1 << 40, 3, 5, u64::MAX, 0, 3, 1 << 40];
        let order = sorted_positions(&keys);
        assert_eq!(order, vec![5, 2, 6, 0, 3, 1, 7, 4]);
        // Keys of floats keep their order, negative ones included.
        let v = [-2.5, 0.0, 1e-300, -1e300, 7.0, -0.5];
        let k: Vec<u64> = v.iter().map(|x| order_key(*x)).collect();
        let by_key: Vec<f64> = sorted_positions(&k).into_iter().map(|i| v[i]).collect();
        assert_eq!(by_key, vec![-1e300, -2.5, -0.5, 0.0, 1e-300, 7.0]);
        assert!(sorted_positions(&[]).is_empty());
    }

    #[test]
    fn ties_get_average_ranks() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0]),
            vec![2.0, 3.5, 3.5, 1.0]
        );
        assert_eq!(average_ranks(&[1.0, 1.0, 1.0]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn normal_scores_by_hand() {
        // n = 3 → r/(n+1) = 0.25, 0.5, 0.75 → Φ⁻¹ = −0.6744897502, 0, +0.6744897502.
        let s = normal_scores(&[Some(3.0), None, Some(1.0), Some(2.0)]);
        assert!(close(s[0].unwrap(), 0.674_489_750_196_081_7, 1e-12));
        assert_eq!(s[1], None);
        assert!(close(s[2].unwrap(), -0.674_489_750_196_081_7, 1e-12));
        assert!(close(s[3].unwrap(), 0.0, 1e-15));
        // Ties share a score: ranks 1, 2.5, 2.5, 4 of n = 4 → p = 0.2, 0.5, 0.5, 0.8.
        let t = normal_scores(&[Some(1.0), Some(2.0), Some(2.0), Some(3.0)]);
        assert!(close(t[0].unwrap(), -0.841_621_233_572_914_3, 1e-12));
        assert_eq!(t[1], t[2]);
        assert!(close(t[1].unwrap(), 0.0, 1e-15));
        // Published values of Φ⁻¹.
        assert!(close(inverse_normal(0.975), 1.959_963_984_540_054, 1e-12));
        assert!(close(
            inverse_normal(0.001),
            -3.090_232_306_167_813_5,
            1e-11
        ));
    }

    #[test]
    fn descending_ranks_break_ties_by_position() {
        let (r, n) = rank_descending(&[Some(5.0), None, Some(9.0), Some(5.0)]);
        assert_eq!(n, 3);
        assert_eq!(r, vec![Some(2), None, Some(1), Some(3)]);
    }

    #[test]
    fn respread_weights_by_hand() {
        // All present: a plain weighted sum.
        assert!(close(
            respread(&[(0.6, Some(10.0)), (0.4, Some(50.0))]).unwrap(),
            26.0,
            1e-12
        ));
        // One of two missing: the other carries the full weight.
        assert!(close(
            respread(&[(0.6, None), (0.4, Some(50.0))]).unwrap(),
            50.0,
            1e-12
        ));
        assert_eq!(respread(&[(0.6, None), (0.4, None)]), None);
        // IoD weights, crime and living environment missing: scale = 0.999 / 0.813.
        let w = [0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093];
        let x = [
            Some(10.0),
            Some(20.0),
            Some(30.0),
            Some(40.0),
            None,
            Some(60.0),
            None,
        ];
        let parts: Vec<_> = w.iter().copied().zip(x).collect();
        let want = (0.225 * 10.0 + 0.225 * 20.0 + 0.135 * 30.0 + 0.135 * 40.0 + 0.093 * 60.0)
            * 0.999
            / 0.813;
        assert!(close(respread(&parts).unwrap(), want, 1e-12));
    }

    #[test]
    fn one_factor_weights_on_a_known_structure() {
        // Three indicators with equal loadings: equal correlations → equal weights.
        let n = 400;
        let f: Vec<f64> = (0..n)
            .map(|i| ((i * 37) % 101) as f64 / 101.0 - 0.5)
            .collect();
        let e = |s: usize| -> Vec<f64> {
            (0..n)
                .map(|i| (((i * s) % 89) as f64 / 89.0 - 0.5) * 0.3)
                .collect()
        };
        let cols: Vec<Vec<f64>> = [13usize, 29, 53]
            .iter()
            .map(|&s| f.iter().zip(e(s)).map(|(a, b)| a + b).collect())
            .collect();
        let w = one_factor_weights(&cols).expect("a clear one-factor structure");
        assert!(close(w.iter().sum::<f64>(), 1.0, 1e-12));
        for x in &w {
            assert!(close(*x, 1.0 / 3.0, 0.05), "{w:?}");
        }
        // A noisier third indicator gets the smallest weight.
        let mut cols2 = cols.clone();
        cols2[2] = f.iter().zip(e(53)).map(|(a, b)| a + 3.0 * b).collect();
        let w2 = one_factor_weights(&cols2).expect("still one factor");
        assert!(w2[2] < w2[0] && w2[2] < w2[1], "{w2:?}");
        // Exact one-factor correlations r_ij = λ_i·λ_j: the loadings are recovered, and the
        // factor-score weights are proportional to λ_j / (1 − λ_j²) (Thomson's formula).
        let lambda = [0.9, 0.8, 0.7, 0.6];
        let r: Vec<Vec<f64>> = (0..4)
            .map(|i| {
                (0..4)
                    .map(|j| if i == j { 1.0 } else { lambda[i] * lambda[j] })
                    .collect()
            })
            .collect();
        let w3 = one_factor_weights_from_correlations(&r).expect("exact fit");
        let raw: Vec<f64> = lambda.iter().map(|l| l / (1.0 - l * l)).collect();
        let s: f64 = raw.iter().sum();
        for (got, want) in w3.iter().zip(raw.iter().map(|x| x / s)) {
            assert!(close(*got, want, 1e-6), "{w3:?}");
        }
        // Two indicators: not enough for a factor model.
        assert_eq!(one_factor_weights(&cols[..2]), None);
    }

    #[test]
    fn loading_weights_are_proportional_to_the_loadings() {
        // Exact one-factor correlations r_ij = λ_i·λ_j: the weights are λ / Σλ, by hand
        // 0.9/3.0 = 0.3, 0.8/3.0, 0.7/3.0, 0.6/3.0 = 0.2 (not Thomson's λ/(1 − λ²)).
        let lambda = [0.9, 0.8, 0.7, 0.6];
        let r: Vec<Vec<f64>> = (0..4)
            .map(|i| {
                (0..4)
                    .map(|j| if i == j { 1.0 } else { lambda[i] * lambda[j] })
                    .collect()
            })
            .collect();
        let w = loading_weights_from_correlations(&r).expect("exact fit");
        for (got, want) in w.iter().zip([0.3, 0.8 / 3.0, 0.7 / 3.0, 0.2]) {
            assert!(close(*got, want, 1e-6), "{w:?}");
        }
        // A loading below 0.3 fails the model, as for the factor-score weights.
        let weak = [0.9, 0.8, 0.2];
        let r: Vec<Vec<f64>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| if i == j { 1.0 } else { weak[i] * weak[j] })
                    .collect()
            })
            .collect();
        assert_eq!(loading_weights_from_correlations(&r), None);
        // Fewer than 3 columns: no factor model.
        let cols = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![2.0, 1.0, 4.0, 3.0, 5.0]];
        assert_eq!(one_factor_loading_weights(&cols), None);
    }
}
