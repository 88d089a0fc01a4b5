//! Spatial autocorrelation with esda/libpysal semantics: contiguity [`Weights`] (binary,
//! symmetric, row-standardised — libpysal's transform `'r'` — by every statistic here),
//! global Moran's I ([`moran`]), local Moran's I / LISA ([`local_moran`]), Getis–Ord Gi*
//! ([`getis_ord_star`]), the Benjamini–Hochberg cut-off of `esda.fdr` ([`fdr_threshold`]) and
//! the LISA cluster map classes ([`classify`]).
//!
//! The statistics and their analytic moments equal esda 2.9's to rounding (checked by
//! `tests/analysis_python.rs` against esda itself). Permutation p-values follow esda's
//! definitions (the folded count `(min(larger, perms − larger) + 1) / (perms + 1)`, with
//! `larger = #(simulated ≥ observed)`; conditional randomisation for the local statistics: area
//! i keeps its value and its k_i neighbours are drawn without replacement from the other n − 1
//! values) but use this crate's own generator ([`super::rng::Rng`]), one stream per area (per
//! permutation for the global I), so they are reproducible for a seed whatever the thread count
//! but are not numpy's draws.
//!
//! Islands (areas without neighbours) as esda: their spatial lag is 0, so local I = 0 and
//! Gi* = 0; they still count in n. Where esda reports an artefact for them (a permutation
//! p-value of 1/(perms + 1) from the folded count of all-equal simulations, a Gi* z of 0/0) this
//! module reports p_sim = 1 and z = 0, and [`classify`] gives them [`Cluster::Island`].

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::rng::Rng;

/// The default number of permutations of the permutation tests (as esda).
pub const DEFAULT_PERMUTATIONS: u32 = 999;
/// The default seed of the permutation tests.
pub const DEFAULT_SEED: u64 = 20_191;

/// Binary, symmetric spatial weights: for every area the sorted indices of its neighbours.
/// The statistics use them row-standardised (each neighbour of area i weighs 1/k_i).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Weights {
    neighbours: Vec<Vec<u32>>,
}

impl Weights {
    /// Weights from neighbour lists (`neighbours[i]` = the indices of area i's neighbours).
    /// Lists are sorted and duplicates dropped. Errors on an index out of range, an area that is
    /// its own neighbour, or an asymmetric pair (j in i's list but not i in j's).
    pub fn new(mut neighbours: Vec<Vec<u32>>) -> Result<Weights, String> {
        let n = neighbours.len();
        for (i, list) in neighbours.iter_mut().enumerate() {
            list.sort_unstable();
            list.dedup();
            if let Some(&j) = list.iter().find(|&&j| j as usize >= n) {
                return Err(format!(
                    "weights: area {i} has neighbour {j}, expected an index below {n}"
                ));
            }
            if list.iter().any(|&j| j as usize == i) {
                return Err(format!("weights: area {i} is listed as its own neighbour"));
            }
        }
        for (i, list) in neighbours.iter().enumerate() {
            for &j in list {
                let back = &neighbours[j as usize];
                if back.binary_search(&(i as u32)).is_err() {
                    return Err(format!(
                        "weights: area {j} is a neighbour of area {i} but not the other way \
                         round; expected symmetric weights"
                    ));
                }
            }
        }
        Ok(Weights { neighbours })
    }

    /// The number of areas.
    pub fn n(&self) -> usize {
        self.neighbours.len()
    }

    /// The sorted indices of the neighbours of area `i` (empty for an island).
    ///
    /// # Panics
    /// When `i >= self.n()`.
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.neighbours[i]
    }

    /// The number of neighbours of area `i` (0 for an island or an index out of range).
    pub fn cardinality(&self, i: usize) -> usize {
        self.neighbours.get(i).map_or(0, Vec::len)
    }

    /// The indices of the areas without neighbours.
    pub fn islands(&self) -> Vec<usize> {
        (0..self.n())
            .filter(|&i| self.neighbours[i].is_empty())
            .collect()
    }

    /// The weights among the areas with `keep[i]` true (missing entries of `keep` count as
    /// false), renumbered in order, and for each new area its old index.
    pub fn subset(&self, keep: &[bool]) -> (Weights, Vec<usize>) {
        let old: Vec<usize> = (0..self.n())
            .filter(|&i| keep.get(i).copied().unwrap_or(false))
            .collect();
        let mut new_index = vec![u32::MAX; self.n()];
        for (new, &o) in old.iter().enumerate() {
            new_index[o] = new as u32;
        }
        let neighbours = old
            .iter()
            .map(|&o| {
                self.neighbours[o]
                    .iter()
                    .map(|&j| new_index[j as usize])
                    .filter(|&j| j != u32::MAX)
                    .collect()
            })
            .collect();
        (Weights { neighbours }, old)
    }

    /// The row-standardised weight of every neighbour of area i: 1/k_i (0 for an island).
    fn row_weight(&self, i: usize) -> f64 {
        let k = self.neighbours[i].len();
        if k == 0 { 0.0 } else { 1.0 / k as f64 }
    }

    /// The row-standardised spatial lag Σ_j w_ij v_j of every area.
    fn lag(&self, v: &[f64]) -> Vec<f64> {
        (0..self.n())
            .map(|i| {
                self.neighbours[i]
                    .iter()
                    .map(|&j| v[j as usize])
                    .sum::<f64>()
                    * self.row_weight(i)
            })
            .collect()
    }
}

/// Global Moran's I (esda.Moran with transformation 'r', two-tailed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MoranGlobal {
    /// The number of areas (islands included).
    pub n: usize,
    /// Moran's I = n/S0 · Σ z_i (Wz)_i / Σ z_i².
    pub i: f64,
    /// E[I] = −1/(n − 1).
    pub expected: f64,
    /// (I − E[I]) / sd under the normality assumption.
    pub z_norm: f64,
    /// Two-tailed p-value of `z_norm`.
    pub p_norm: f64,
    /// Folded permutation p-value (NaN when `permutations` is 0).
    pub p_sim: f64,
    /// The number of random permutations.
    pub permutations: u32,
}

/// Moran's I with row-standardised weights. `None` when `y.len() != w.n()`, n < 3, y is
/// constant, or every area is an island.
pub fn moran(y: &[f64], w: &Weights, permutations: u32, seed: u64) -> Option<MoranGlobal> {
    let n = y.len();
    if n != w.n() || n < 3 {
        return None;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let z: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let z2ss: f64 = z.iter().map(|v| v * v).sum();
    let (s0, s1, s2) = moments(w);
    if z2ss <= 0.0 || s0 <= 0.0 {
        return None;
    }
    let nf = n as f64;
    let stat = |v: &[f64]| -> f64 {
        let lag = w.lag(v);
        let inum: f64 = v.iter().zip(&lag).map(|(a, b)| a * b).sum();
        nf / s0 * inum / z2ss
    };
    let i = stat(&z);
    let expected = -1.0 / (nf - 1.0);
    let v_num = nf * nf * s1 - nf * s2 + 3.0 * s0 * s0;
    let v_den = (nf - 1.0) * (nf + 1.0) * s0 * s0;
    let var = v_num / v_den - (1.0 / (nf - 1.0)).powi(2);
    let z_norm = (i - expected) / var.sqrt();
    let p_norm = 2.0 * Normal::standard().sf(z_norm.abs());
    let p_sim = if permutations == 0 {
        f64::NAN
    } else {
        let larger = (0..permutations)
            .into_par_iter()
            .filter(|&p| {
                let mut rng = Rng::stream(seed, u64::from(p));
                let mut v = z.clone();
                rng.shuffle(&mut v);
                stat(&v) >= i
            })
            .count();
        folded_p(larger, permutations)
    };
    Some(MoranGlobal {
        n,
        i,
        expected,
        z_norm,
        p_norm,
        p_sim,
        permutations,
    })
}

/// libpysal's S0 = Σ w_ij, S1 = ½ Σ (w_ij + w_ji)², S2 = Σ_i (w_i· + w_·i)² of the
/// row-standardised weights.
fn moments(w: &Weights) -> (f64, f64, f64) {
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for i in 0..w.n() {
        let wi = w.row_weight(i);
        let mut col = 0.0;
        for &j in w.neighbours(i) {
            let wj = w.row_weight(j as usize);
            s0 += wi;
            s1 += 0.5 * (wi + wj) * (wi + wj);
            col += wj;
        }
        let row = wi * w.cardinality(i) as f64;
        s2 += (row + col) * (row + col);
    }
    (s0, s1, s2)
}

/// esda's folded pseudo p-value from the count of simulated values ≥ the observed one.
fn folded_p(larger: usize, permutations: u32) -> f64 {
    let perms = permutations as usize;
    let larger = larger.min(perms - larger.min(perms));
    (larger as f64 + 1.0) / (f64::from(permutations) + 1.0)
}

/// The quadrant of the Moran scatterplot (esda's `q`: 1 HH, 2 LH, 3 LL, 4 HL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Quadrant {
    /// z > 0 and lag > 0 (esda q = 1).
    HighHigh,
    /// z ≤ 0 and lag > 0 (esda q = 2).
    LowHigh,
    /// z ≤ 0 and lag ≤ 0 (esda q = 3).
    LowLow,
    /// z > 0 and lag ≤ 0 (esda q = 4).
    HighLow,
}

impl Quadrant {
    /// esda's quadrant number (1 HH, 2 LH, 3 LL, 4 HL).
    pub fn esda_q(self) -> u8 {
        match self {
            Quadrant::HighHigh => 1,
            Quadrant::LowHigh => 2,
            Quadrant::LowLow => 3,
            Quadrant::HighLow => 4,
        }
    }

    fn of(z: f64, lag: f64) -> Quadrant {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        }
    }
}

/// Local Moran's I (LISA) per area, as esda.Moran_Local with transformation 'r'.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LocalMoran {
    /// I_i = (n − 1) z_i (Wz)_i / Σ z², z = (y − ȳ)/sd(y) (population sd), 0 for islands.
    pub i: Vec<f64>,
    /// The Moran scatterplot quadrant of every area.
    pub quadrant: Vec<Quadrant>,
    /// Folded conditional-permutation p-values (1 for islands and when `permutations` is 0).
    pub p_sim: Vec<f64>,
}

/// Standardised values z = (y − ȳ)/sd (population sd); `None` for fewer than 2 values or a
/// constant y.
fn standardise(y: &[f64]) -> Option<Vec<f64>> {
    let n = y.len() as f64;
    if y.len() < 2 {
        return None;
    }
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    (sd > 0.0).then(|| y.iter().map(|v| (v - mean) / sd).collect())
}

/// Counts, for area i, the conditional permutations whose statistic `stat(Σ drawn values)` is
/// ≥ `observed`: the area's k_i neighbour values are drawn without replacement from the
/// other n − 1 values, from the stream (seed, i).
fn conditional_count(
    values: &[f64],
    i: usize,
    k: usize,
    permutations: u32,
    seed: u64,
    stat: impl Fn(f64) -> f64,
    observed: f64,
) -> usize {
    let mut rng = Rng::stream(seed, i as u64);
    let mut drawn = Vec::with_capacity(k);
    let mut larger = 0;
    for _ in 0..permutations {
        rng.sample_distinct(values.len() - 1, k, &mut drawn);
        let sum: f64 = drawn
            .iter()
            .map(|&d| values[if d >= i { d + 1 } else { d }])
            .sum();
        if stat(sum) >= observed {
            larger += 1;
        }
    }
    larger
}

/// Local Moran's I of `y` with conditional randomisation. With `y.len() != w.n()` the result
/// is empty; with a constant y (or n < 2) every I is 0 and every p_sim 1.
pub fn local_moran(y: &[f64], w: &Weights, permutations: u32, seed: u64) -> LocalMoran {
    let n = y.len();
    if n != w.n() {
        return LocalMoran::default();
    }
    let Some(z) = standardise(y) else {
        let quadrant = vec![Quadrant::LowLow; n];
        return LocalMoran {
            i: vec![0.0; n],
            quadrant,
            p_sim: vec![1.0; n],
        };
    };
    let den: f64 = z.iter().map(|v| v * v).sum();
    let scaling = (n as f64 - 1.0) / den;
    let local = |i: usize, neighbour_sum: f64| scaling * z[i] * (neighbour_sum * w.row_weight(i));
    let sums: Vec<f64> = (0..n)
        .map(|i| w.neighbours(i).iter().map(|&j| z[j as usize]).sum())
        .collect();
    let is: Vec<f64> = (0..n).map(|i| local(i, sums[i])).collect();
    let quadrant = (0..n)
        .map(|i| Quadrant::of(z[i], sums[i] * w.row_weight(i)))
        .collect();
    let p_sim = (0..n)
        .into_par_iter()
        .map(|i| {
            let k = w.cardinality(i);
            if k == 0 || permutations == 0 {
                return 1.0;
            }
            let larger = conditional_count(&z, i, k, permutations, seed, |s| local(i, s), is[i]);
            folded_p(larger, permutations)
        })
        .collect();
    LocalMoran {
        i: is,
        quadrant,
        p_sim,
    }
}

/// Getis–Ord Gi* per area (esda.G_Local with star=True, transform 'R': the area itself is
/// included with the weight of a neighbour, each of the k_i + 1 weighing 1/(k_i + 1)).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetisOrd {
    /// G*_i = Σ_{j ∈ N(i) ∪ {i}} y_j / ((k_i + 1) Σ y); 0 for islands (as esda).
    pub g: Vec<f64>,
    /// esda's analytic z (`Zs`); 0 for islands (esda: NaN).
    pub z: Vec<f64>,
    /// Folded conditional-permutation p-values (1 for islands and when `permutations` is 0).
    pub p_sim: Vec<f64>,
}

/// Getis–Ord Gi* of `y` (meant for non-negative y) with esda's analytic z and conditional
/// randomisation. With `y.len() != w.n()` the result is empty; when Σ y is 0 or y is constant
/// every g and z is 0 and every p_sim 1.
pub fn getis_ord_star(y: &[f64], w: &Weights, permutations: u32, seed: u64) -> GetisOrd {
    let n = y.len();
    if n != w.n() {
        return GetisOrd::default();
    }
    let nf = n as f64;
    let y_sum: f64 = y.iter().sum();
    let mean = y_sum / nf;
    let variance = y.iter().map(|v| v * v).sum::<f64>() / nf - mean * mean;
    if n < 2 || y_sum == 0.0 || variance <= 0.0 {
        return GetisOrd {
            g: vec![0.0; n],
            z: vec![0.0; n],
            p_sim: vec![1.0; n],
        };
    }
    let star_weight = |i: usize| {
        let k = w.cardinality(i);
        if k == 0 { 0.0 } else { 1.0 / (k as f64 + 1.0) }
    };
    let stat = |i: usize, neighbour_sum: f64| (neighbour_sum + y[i]) * star_weight(i) / y_sum;
    let g: Vec<f64> = (0..n)
        .map(|i| stat(i, w.neighbours(i).iter().map(|&j| y[j as usize]).sum()))
        .collect();
    let z = (0..n)
        .map(|i| {
            // esda's cardinality is the row sum of the row-standardised weights.
            let c = (0..=w.cardinality(i)).map(|_| star_weight(i)).sum::<f64>();
            if c == 0.0 {
                return 0.0;
            }
            let var = c * (nf - c) / (nf - 1.0) / (nf * nf) * variance / (mean * mean);
            (g[i] - c / nf) / var.sqrt()
        })
        .collect();
    let p_sim = (0..n)
        .into_par_iter()
        .map(|i| {
            let k = w.cardinality(i);
            if k == 0 || permutations == 0 {
                return 1.0;
            }
            let larger = conditional_count(y, i, k, permutations, seed, |s| stat(i, s), g[i]);
            folded_p(larger, permutations)
        })
        .collect();
    GetisOrd { g, z, p_sim }
}

/// The Benjamini–Hochberg p-value cut-off of `esda.fdr`: with the p-values sorted in
/// descending order p_(n) ≥ … ≥ p_(1), the largest rank i with p_(i) < i·α/n gives the cut-off
/// i·α/n; when there is none, the Bonferroni bound α/n. An area is significant when its
/// p < the cut-off. No p-values give α.
pub fn fdr_threshold(p: &[f64], alpha: f64) -> f64 {
    let n = p.len();
    if n == 0 {
        return alpha;
    }
    let mut sorted = p.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let nf = n as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(pos, &v)| (v, (n - pos) as f64 * alpha / nf))
        .find(|&(v, cut)| v < cut)
        .map_or(alpha / nf, |(_, cut)| cut)
}

/// The LISA cluster map class of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cluster {
    /// Significant, high value among high neighbours (a hot spot).
    HighHigh,
    /// Significant, low value among low neighbours (a cold spot).
    LowLow,
    /// Significant, high value among low neighbours (an outlier).
    HighLow,
    /// Significant, low value among high neighbours (an outlier).
    LowHigh,
    /// Not significant.
    NotSignificant,
    /// No neighbours: no local statistic.
    Island,
}

impl Cluster {
    /// All classes, in display order.
    pub const ALL: [Cluster; 6] = [
        Cluster::HighHigh,
        Cluster::LowLow,
        Cluster::HighLow,
        Cluster::LowHigh,
        Cluster::NotSignificant,
        Cluster::Island,
    ];

    /// The stable text code: "high-high", "low-low", "high-low", "low-high",
    /// "not-significant", "island".
    pub fn code(self) -> &'static str {
        match self {
            Cluster::HighHigh => "high-high",
            Cluster::LowLow => "low-low",
            Cluster::HighLow => "high-low",
            Cluster::LowHigh => "low-high",
            Cluster::NotSignificant => "not-significant",
            Cluster::Island => "island",
        }
    }

    /// The class of a code of [`Cluster::code`].
    pub fn from_code(s: &str) -> Option<Cluster> {
        Cluster::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// The cluster class of every area of `w`: islands are [`Cluster::Island`]; an area is
/// significant when its p_sim < α (esda's `get_cluster_labels`), or, with `fdr`, < the
/// [`fdr_threshold`] of the p-values of the non-island areas; significant areas get their
/// quadrant's class. Areas beyond `local`'s length are not significant.
pub fn classify(local: &LocalMoran, w: &Weights, alpha: f64, fdr: bool) -> Vec<Cluster> {
    let n = w.n();
    let usable =
        |i: usize| w.cardinality(i) > 0 && i < local.p_sim.len() && i < local.quadrant.len();
    let cut = if fdr {
        let p: Vec<f64> = (0..n)
            .filter(|&i| usable(i))
            .map(|i| local.p_sim[i])
            .collect();
        fdr_threshold(&p, alpha)
    } else {
        alpha
    };
    (0..n)
        .map(|i| {
            if w.cardinality(i) == 0 {
                Cluster::Island
            } else if !usable(i) || local.p_sim[i] >= cut || local.p_sim[i].is_nan() {
                Cluster::NotSignificant
            } else {
                match local.quadrant[i] {
                    Quadrant::HighHigh => Cluster::HighHigh,
                    Quadrant::LowLow => Cluster::LowLow,
                    Quadrant::HighLow => Cluster::HighLow,
                    Quadrant::LowHigh => Cluster::LowHigh,
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: usize) -> Weights {
        let nb = (0..n)
            .map(|i| {
                let mut v = Vec::new();
                if i > 0 {
                    v.push(i as u32 - 1);
                }
                if i + 1 < n {
                    v.push(i as u32 + 1);
                }
                v
            })
            .collect();
        Weights::new(nb).unwrap()
    }

    /// Rook contiguity on a rows × cols lattice, row-major.
    fn lattice(rows: usize, cols: usize) -> Weights {
        let mut nb = vec![Vec::new(); rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                let i = r * cols + c;
                if c + 1 < cols {
                    nb[i].push((i + 1) as u32);
                    nb[i + 1].push(i as u32);
                }
                if r + 1 < rows {
                    nb[i].push((i + cols) as u32);
                    nb[i + cols].push(i as u32);
                }
            }
        }
        Weights::new(nb).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn weights_validation_and_islands() {
        assert!(
            Weights::new(vec![vec![1], vec![]])
                .unwrap_err()
                .contains("symmetric")
        );
        assert!(
            Weights::new(vec![vec![0]])
                .unwrap_err()
                .contains("own neighbour")
        );
        assert!(Weights::new(vec![vec![5]]).unwrap_err().contains("below 1"));
        let w = Weights::new(vec![vec![1, 1], vec![0], vec![]]).unwrap();
        assert_eq!(w.neighbours(0), &[1]);
        assert_eq!(w.islands(), vec![2]);
    }

    #[test]
    fn subset_renumbers_and_drops_edges() {
        let w = path(5); // 0-1-2-3-4
        let (s, old) = w.subset(&[true, false, true, true, true]);
        assert_eq!(old, vec![0, 2, 3, 4]);
        assert_eq!(s.neighbours(0), &[] as &[u32]);
        assert_eq!(s.neighbours(1), &[2]);
        assert_eq!(s.neighbours(2), &[1, 3]);
        assert_eq!(s.islands(), vec![0]);
    }

    #[test]
    fn moran_hand_computed_path() {
        // Path 0-1-2-3, y = 1..4: z = (−1.5, −0.5, 0.5, 1.5), Σz² = 5, lags (−0.5, −0.5, 0.5, 0.5),
        // Σ z·lag = 2, S0 = 4 → I = 4/4 · 2/5 = 0.4. E[I] = −1/3.
        // S1 = ½·2·[(1 + ½)²·2 + (½ + ½)²] = 5.5; S2 = (1 + ½)²·2 + (1 + 1.5)²·2 = 17.
        // V = (16·5.5 − 4·17 + 3·16)/(3·5·16) − 1/9 = 68/240 − 1/9.
        let m = moran(&[1.0, 2.0, 3.0, 4.0], &path(4), 99, 1).unwrap();
        assert!(close(m.i, 0.4));
        assert!(close(m.expected, -1.0 / 3.0));
        let sd = (68.0f64 / 240.0 - 1.0 / 9.0).sqrt();
        assert!(close(m.z_norm, (0.4 + 1.0 / 3.0) / sd));
        // 2·(1 − Φ(1.7693…)), from the standard normal table to 1e-4.
        assert!((m.p_norm - 0.0768).abs() < 1e-3, "{}", m.p_norm);
        assert!(moran(&[1.0, 1.0, 1.0], &path(3), 9, 1).is_none());
        assert!(moran(&[1.0, 2.0], &path(3), 9, 1).is_none());
    }

    #[test]
    fn local_moran_hand_computed_path() {
        // sd² = 1.25, Σ(standardised z)² = 4: I_i = 3 z_i lag_i / (4 · 1.25) = 0.6 z_i lag_i.
        let l = local_moran(&[1.0, 2.0, 3.0, 4.0], &path(4), 99, 1);
        for (got, want) in l.i.iter().zip([0.45, 0.15, 0.15, 0.45]) {
            assert!(close(*got, want), "{:?}", l.i);
        }
        use Quadrant::*;
        assert_eq!(l.quadrant, vec![LowLow, LowLow, HighHigh, HighHigh]);
        assert!(l.p_sim.iter().all(|p| (0.01..=1.0).contains(p)));
    }

    #[test]
    fn getis_ord_hand_computed_path() {
        // Σy = 10: G*_0 = 3/2/10, G*_1 = 6/3/10, G*_2 = 9/3/10, G*_3 = 7/2/10.
        // N = 4, mean 2.5, variance 1.25: Var = 1·3/3/16 · 1.25/6.25 = 0.0125.
        let g = getis_ord_star(&[1.0, 2.0, 3.0, 4.0], &path(4), 99, 1);
        for (got, want) in g.g.iter().zip([0.15, 0.2, 0.3, 0.35]) {
            assert!(close(*got, want), "{:?}", g.g);
        }
        let sd = 0.0125f64.sqrt();
        for (got, want) in g.z.iter().zip([0.15, 0.2, 0.3, 0.35]) {
            assert!(close(*got, (want - 0.25) / sd), "{:?}", g.z);
        }
    }

    #[test]
    fn islands_get_zero_and_island_class() {
        let w = Weights::new(vec![vec![1], vec![0, 2], vec![1], vec![]]).unwrap();
        let y = [3.0, 1.0, 2.0, 9.0];
        let l = local_moran(&y, &w, 99, 5);
        assert_eq!(l.i[3], 0.0);
        assert_eq!(l.p_sim[3], 1.0);
        let g = getis_ord_star(&y, &w, 99, 5);
        assert_eq!((g.g[3], g.z[3], g.p_sim[3]), (0.0, 0.0, 1.0));
        let c = classify(&l, &w, 0.05, false);
        assert_eq!(c[3], Cluster::Island);
    }

    #[test]
    fn fdr_as_benjamini_hochberg() {
        // Descending p: 0.6, 0.2, 0.002, 0.001 against 4α/4, 3α/4, 2α/4, α/4: first below is
        // 0.002 < 2·0.05/4 → cut-off 0.025.
        assert!(close(fdr_threshold(&[0.001, 0.6, 0.002, 0.2], 0.05), 0.025));
        // Nothing below: the Bonferroni bound α/n.
        assert!(close(fdr_threshold(&[0.5, 0.9], 0.05), 0.025));
        assert_eq!(fdr_threshold(&[], 0.05), 0.05);
    }

    #[test]
    fn cluster_codes_round_trip() {
        for c in Cluster::ALL {
            assert_eq!(Cluster::from_code(c.code()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.code())
            );
        }
        assert_eq!(Cluster::from_code("hot"), None);
    }

    #[test]
    fn planted_block_is_significant_and_deterministic() {
        // 10×10 lattice, a 4×4 block of high values in the corner, the rest a gentle pattern.
        let w = lattice(10, 10);
        let y: Vec<f64> = (0..100)
            .map(|i| {
                let (r, c) = (i / 10, i % 10);
                if r < 4 && c < 4 {
                    10.0 + (i % 3) as f64
                } else {
                    ((i * 7) % 5) as f64
                }
            })
            .collect();
        let a = local_moran(&y, &w, 999, 42);
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = single.install(|| local_moran(&y, &w, 999, 42));
        assert_eq!(a, b, "results must not depend on the thread count");
        let c = classify(&a, &w, 0.05, false);
        let inner = [11usize, 12, 21, 22];
        assert!(inner.iter().all(|&i| c[i] == Cluster::HighHigh), "{c:?}");
        let m = moran(&y, &w, 999, 42).unwrap();
        assert!(m.p_sim <= 0.002 && m.i > 0.3, "{m:?}");
        let m1 = single.install(|| moran(&y, &w, 999, 42).unwrap());
        assert_eq!(m, m1);
        assert_ne!(local_moran(&y, &w, 999, 43).p_sim, a.p_sim);
    }
}
