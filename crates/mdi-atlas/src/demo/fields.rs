//! The spatial fields of the region (hotspots, value noise, white noise) and the data of each
//! cell derived from them: domain values, trend, population and ages.

use rayon::prelude::*;

use super::geometry::Layout;
use super::random::{key, normal, stream, uniform};

/// Domains in profile order: inkomen, werk, opleiding, gezondheid, veiligheid, huisvesting,
/// woonomgeving.
pub(super) const DOMAINS: usize = 7;
/// How much of each domain is the shared latent.
const RHO: [f64; DOMAINS] = [0.92, 0.88, 0.82, 0.78, 0.62, 0.35, 0.55];
/// Improvement per year, in latent units, of a buurt at the mean latent…
const TREND_BASE: f64 = 0.045;
/// …less this much per unit of latent deprivation (divergence).
const TREND_SLOPE: f64 = 0.035;
/// Spacing of the hotspot lattice, in cells.
const HOT_SPACING: f64 = 10.0;

/// Per-cell data, fixed over the years.
#[derive(Debug, Clone, Copy)]
pub(super) struct CellData {
    /// Domain values in the first year (about standard normal, higher = more deprived).
    pub(super) domain: [f64; DOMAINS],
    /// Improvement per year in latent units (negative = worsening).
    pub(super) trend: f64,
    /// Population in the first year.
    pub(super) pop0: f64,
    /// Relative population change per year.
    pub(super) growth: f64,
    /// Shares of 15–24, 25–44, 45–64 and 65+.
    pub(super) ages: [f64; 4],
}

/// Smooth value noise with lattice spacing `spacing`, in [−1, 1].
fn value_noise(stream: u64, k: u64, x: f64, y: f64, spacing: f64) -> f64 {
    let (fx, fy) = (x / spacing, y / spacing);
    let (ix, iy) = (fx.floor(), fy.floor());
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (tx, ty) = (smooth(fx - ix), smooth(fy - iy));
    let (ix, iy) = (ix as i64, iy as i64);
    let v = |i: i64, j: i64| uniform(stream, key(i), key(j), k) * 2.0 - 1.0;
    let bottom = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * tx;
    let top = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * tx;
    bottom + (top - bottom) * ty
}

/// The hotspot field: Gaussian bumps at about 60% of the sites of a jittered lattice.
fn hotspots(x: f64, y: f64) -> f64 {
    let gi = (x / HOT_SPACING).floor() as i64;
    let gj = (y / HOT_SPACING).floor() as i64;
    let mut sum = 0.0;
    for i in gi - 1..=gi + 1 {
        for j in gj - 1..=gj + 1 {
            let u = |k: u64| uniform(stream::HOT, key(i), key(j), k);
            if u(0) >= 0.6 {
                continue;
            }
            let px = (i as f64 + 0.15 + 0.7 * u(1)) * HOT_SPACING;
            let py = (j as f64 + 0.15 + 0.7 * u(2)) * HOT_SPACING;
            let r = 1.6 + 2.0 * u(3);
            let a = 0.8 + 1.2 * u(4);
            let d2 = (x - px).powi(2) + (y - py).powi(2);
            sum += a * (-d2 / (2.0 * r * r)).exp();
        }
    }
    sum
}

/// Standardise columns of a row-major array in place (sequential sums: deterministic).
fn standardise<const K: usize>(rows: &mut [[f64; K]]) {
    let n = rows.len().max(1) as f64;
    for k in 0..K {
        let mean = rows.iter().map(|r| r[k]).sum::<f64>() / n;
        let var = rows.iter().map(|r| (r[k] - mean).powi(2)).sum::<f64>() / n;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        for r in rows.iter_mut() {
            r[k] = (r[k] - mean) / sd;
        }
    }
}

/// The data of every cell (in curve order), fixed over the years.
pub(super) fn cell_data(layout: &Layout) -> Vec<CellData> {
    // Fields: hotspots, two scales of value noise, white noise; then per domain a field and
    // white noise.
    const F: usize = 4 + 2 * DOMAINS;
    let mut fields: Vec<[f64; F]> = layout
        .cells
        .par_iter()
        .enumerate()
        .map(|(i, &(cx, cy))| {
            let (x, y) = (f64::from(cx) + 0.5, f64::from(cy) + 0.5);
            let i = i as u64;
            let mut f = [0.0; F];
            f[0] = hotspots(x, y);
            f[1] = value_noise(stream::FIELD, 100, x, y, 16.0);
            f[2] = value_noise(stream::FIELD, 101, x, y, 6.0);
            f[3] = normal(stream::WHITE, i, 100, 0);
            for d in 0..DOMAINS {
                f[4 + 2 * d] = value_noise(stream::FIELD, d as u64, x, y, 9.0);
                f[5 + 2 * d] = normal(stream::WHITE, i, d as u64, 0);
            }
            f
        })
        .collect();
    standardise(&mut fields);
    let mut latent: Vec<[f64; 1]> = fields
        .iter()
        .map(|f| [1.0 * f[0] + 0.55 * f[1] + 0.35 * f[2] + 0.3 * f[3]])
        .collect();
    standardise(&mut latent);
    fields
        .par_iter()
        .zip(latent.par_iter())
        .enumerate()
        .map(|(i, (f, l))| {
            let l = l[0];
            let mut domain = [0.0; DOMAINS];
            for (d, v) in domain.iter_mut().enumerate() {
                let own = (0.75 * f[4 + 2 * d] + 0.66 * f[5 + 2 * d]) / (0.75f64.hypot(0.66));
                *v = RHO[d] * l + (1.0 - RHO[d] * RHO[d]).sqrt() * own;
            }
            let i64 = i as u64;
            let p = |k: u64| normal(stream::POP, i64, k, 0);
            let pop0 = if layout.small[i] {
                (15.0 + 80.0 * uniform(stream::POP, i64, 9, 0)).round()
            } else {
                (1200.0 * (0.5 * p(1)).exp()).clamp(100.0, 4000.0)
            };
            let mut ages = [
                (0.115 + 0.02 * p(2) + 0.012 * l).clamp(0.04, 0.4),
                (0.26 + 0.035 * p(3)).clamp(0.12, 0.45),
                (0.27 + 0.03 * p(4)).clamp(0.15, 0.4),
                (0.19 + 0.05 * p(5)).clamp(0.03, 0.45),
            ];
            let total: f64 = ages.iter().sum();
            if total > 0.95 {
                for a in &mut ages {
                    *a *= 0.95 / total;
                }
            }
            CellData {
                domain,
                trend: TREND_BASE - TREND_SLOPE * l,
                pop0,
                growth: 0.004 + 0.008 * p(6),
                ages,
            }
        })
        .collect()
}
