//! The indicator table: one CSV row per buurt and year with the nl-cbs indicators and the three
//! comparison indicators.

use std::fmt::Write as _;

use mdi_core::stats::exp_transform;
use rayon::prelude::*;

use super::fields::{CellData, DOMAINS};
use super::geometry::Layout;
use super::names::buurt_code;
use super::random::{normal, stream};
use super::{COMPARATOR_COLUMNS, COMPARATOR_TARGETS, INDICATOR_COLUMNS};

/// The nl-cbs domain weights (used only to approximate the MDI for the comparators).
const WEIGHTS: [f64; DOMAINS] = [0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093];
/// The yearly step of the random walk of the domain values.
const ETA_STEP: f64 = 0.05;

/// Indicators (other than population and ages), in table order, and their domains.
const INDICATORS: usize = 17;
const INDICATOR_DOMAIN: [usize; INDICATORS] = [0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4, 5, 5, 5, 5, 6];
/// Persistent and yearly noise of each indicator around its domain.
const IND_PERSIST: f64 = 0.45;
const IND_YEAR: f64 = 0.12;

fn indicator_z(
    cell: &CellData,
    i: usize,
    year: i32,
    offset: f64,
    eta: &[f64; DOMAINS],
) -> [f64; INDICATORS] {
    let mut z = [0.0; INDICATORS];
    let i = i as u64;
    for (k, v) in z.iter_mut().enumerate() {
        let d = INDICATOR_DOMAIN[k];
        let dt = cell.domain[d] - cell.trend * offset + eta[d];
        *v = dt
            + IND_PERSIST * normal(stream::IND_PERSIST, i, k as u64, 0)
            + IND_YEAR * normal(stream::IND_YEAR, i, k as u64, year as u64);
    }
    z
}

/// The approximate domain scores of a cell, as the pipeline would combine its indicators.
fn approx_domains(z: &[f64; INDICATORS]) -> [f64; DOMAINS] {
    let mean = |r: std::ops::Range<usize>| {
        let n = r.len() as f64;
        z[r].iter().sum::<f64>() / n
    };
    [
        mean(0..3),
        mean(3..6),
        z[6],
        mean(7..10),
        mean(10..12),
        0.5 * z[12] + 0.5 * mean(13..16),
        z[16],
    ]
}

/// Population of a cell in a year.
fn population(cell: &CellData, small: bool, offset: f64) -> f64 {
    let p = (cell.pop0 * (1.0 + cell.growth).powf(offset)).round();
    if small {
        p.clamp(5.0, 99.0)
    } else {
        p.clamp(100.0, 4000.0)
    }
}

/// Append a number with `decimals` decimals (no "-0").
fn push_fixed(out: &mut String, v: f64, decimals: usize) {
    let scale = 10f64.powi(decimals as i32);
    let r = (v * scale).round();
    let r = if r == 0.0 { 0.0 } else { r };
    let _ = write!(out, "{:.*}", decimals, r / scale);
}

/// Append an integer.
fn push_int(out: &mut String, v: f64) {
    let _ = write!(out, "{}", v.round() as i64);
}

/// The indicator table ([`super::Demo::table_csv`]) of the buurten in the given years.
pub(super) fn build_table(layout: &Layout, cells: &[CellData], years: &[i32]) -> String {
    let mut header = String::from("buurtcode,jaar");
    for c in INDICATOR_COLUMNS.iter().chain(&COMPARATOR_COLUMNS) {
        header.push(',');
        header.push_str(c);
    }
    header.push('\n');
    let n_cells = cells.len();
    let first = years.first().copied().unwrap_or_default();
    let eligible: Vec<u32> = (0..n_cells as u32)
        .filter(|&i| !layout.small[i as usize])
        .collect();
    let codes: Vec<String> = layout
        .buurten
        .par_iter()
        .map(|b| buurt_code(layout, b))
        .collect();
    let mut eta = vec![[0.0; DOMAINS]; n_cells];
    // Rows take about 126 bytes; reserving 160 avoids copying the table as it grows (pages
    // that are never written cost no memory).
    let mut table = String::with_capacity(header.len() + layout.buurten.len() * years.len() * 160);
    table.push_str(&header);
    for &year in years {
        let offset = f64::from(year - first);
        if year > first {
            eta.par_iter_mut().enumerate().for_each(|(i, e)| {
                for (d, v) in e.iter_mut().enumerate() {
                    *v += ETA_STEP * normal(stream::ETA, i as u64, d as u64, year as u64);
                }
            });
        }
        let comparators = comparators(cells, &eta, &eligible, year, offset);
        let chunks: Vec<String> = layout
            .buurten
            .par_chunks(4096)
            .enumerate()
            .map(|(ci, chunk)| {
                let mut out = String::with_capacity(chunk.len() * 200);
                for (j, b) in chunk.iter().enumerate() {
                    let code = &codes[ci * 4096 + j];
                    let c = b.cell as usize;
                    write_row(
                        &mut out,
                        code,
                        year,
                        (!b.water).then(|| (&cells[c], c, layout.small[c])),
                        offset,
                        &eta[c],
                        &comparators[c],
                    );
                }
                out
            })
            .collect();
        for chunk in chunks {
            table.push_str(&chunk);
        }
    }
    table
}

/// The comparison indicators of every cell in a year (NaN for small buurten).
fn comparators(
    cells: &[CellData],
    eta: &[[f64; DOMAINS]],
    eligible: &[u32],
    year: i32,
    offset: f64,
) -> Vec<[f64; 3]> {
    let n = cells.len();
    let scores: Vec<[f64; DOMAINS]> = cells
        .par_iter()
        .enumerate()
        .map(|(i, c)| approx_domains(&indicator_z(c, i, year, offset, &eta[i])))
        .collect();
    let m = eligible.len();
    let x: Vec<Vec<f64>> = (0..DOMAINS)
        .into_par_iter()
        .map(|d| {
            let mut order = eligible.to_vec();
            order.sort_unstable_by(|&a, &b| {
                scores[b as usize][d]
                    .total_cmp(&scores[a as usize][d])
                    .then(a.cmp(&b))
            });
            let mut x = vec![0.0; n];
            for (r, &i) in order.iter().enumerate() {
                x[i as usize] = exp_transform(r + 1, m);
            }
            x
        })
        .collect();
    let mut approx = vec![f64::NAN; n];
    for &i in eligible {
        let i = i as usize;
        approx[i] = (0..DOMAINS).map(|d| WEIGHTS[d] * x[d][i]).sum();
    }
    let mf = m.max(1) as f64;
    let mean = eligible.iter().map(|&i| approx[i as usize]).sum::<f64>() / mf;
    let sd = (eligible
        .iter()
        .map(|&i| (approx[i as usize] - mean).powi(2))
        .sum::<f64>()
        / mf)
        .sqrt()
        .max(1e-12);
    // The noise of each comparator, made exactly uncorrelated with the approximation (and
    // of unit variance) over the ranked cells, so that the comparator's correlation with the
    // approximation is its target; the correlation of the approximation with the real MDI
    // score (about 0.99) then lowers it only a little.
    let z: Vec<f64> = approx.iter().map(|a| (a - mean) / sd).collect();
    let noise: Vec<Vec<f64>> = (0..3u64)
        .map(|k| {
            let mut e: Vec<f64> = (0..n)
                .into_par_iter()
                .map(|i| {
                    0.8 * normal(stream::CMP_PERSIST, i as u64, k, 0)
                        + 0.6 * normal(stream::CMP_YEAR, i as u64, k, year as u64)
                })
                .collect();
            let mean_e = eligible.iter().map(|&i| e[i as usize]).sum::<f64>() / mf;
            let b = eligible
                .iter()
                .map(|&i| (e[i as usize] - mean_e) * z[i as usize])
                .sum::<f64>()
                / mf;
            for (v, zi) in e.iter_mut().zip(&z) {
                *v -= mean_e + b * zi;
            }
            let var = eligible.iter().map(|&i| e[i as usize].powi(2)).sum::<f64>() / mf;
            let s = if var > 0.0 { var.sqrt() } else { 1.0 };
            for v in &mut e {
                *v /= s;
            }
            e
        })
        .collect();
    const SPEC: [(f64, f64, f64, f64); 3] = [
        // (mean, sd, min, max)
        (72.0, 8.5, 25.0, 98.0),
        (7.0, 3.0, 0.2, 40.0),
        (47.0, 7.0, 10.0, 90.0),
    ];
    (0..n)
        .into_par_iter()
        .map(|i| {
            if approx[i].is_nan() {
                return [f64::NAN; 3];
            }
            let mut out = [0.0; 3];
            for (k, o) in out.iter_mut().enumerate() {
                let r = COMPARATOR_TARGETS[k];
                let (mu, s, lo, hi) = SPEC[k];
                *o = (mu + s * (r * z[i] + (1.0 - r * r).sqrt() * noise[k][i])).clamp(lo, hi);
            }
            out
        })
        .collect()
}

/// Append one table row. `cell` is `None` for a lake.
fn write_row(
    out: &mut String,
    code: &str,
    year: i32,
    cell: Option<(&CellData, usize, bool)>,
    offset: f64,
    eta: &[f64; DOMAINS],
    comparators: &[f64; 3],
) {
    out.push_str(code);
    let _ = write!(out, ",{year}");
    let Some((c, i, small)) = cell else {
        // Water: no inhabitants, counts 0, everything else missing.
        out.push_str(",0,0,0,0,0,,,,0,,0,0,,0,,,,,,,,,,,,,\n");
        return;
    };
    let pop = population(c, small, offset);
    let ages: [f64; 4] = c.ages.map(|a| (pop * a).round());
    let working = ages[0] + ages[1] + ages[2];
    let adults = working + ages[3];
    let z = indicator_z(c, i, year, offset, eta);
    let sep = |out: &mut String| out.push(',');
    sep(out);
    push_int(out, pop);
    for a in ages {
        sep(out);
        push_int(out, a);
    }
    let suppressed = small;
    // Inkomen.
    sep(out);
    if !suppressed {
        push_fixed(out, (7.5 * (0.45 * z[0]).exp()).clamp(0.5, 60.0), 1);
    }
    // Households below the social minimum up to 2023 (p_hh_osm), below the poverty line from
    // 2024 (p_ink_ar): the series break of KWB 2024, a different threshold and level.
    let poverty = 0.8 * z[0] + 0.2 * z[2];
    for (v, here) in [
        (5.5 * (0.45 * poverty).exp(), year < 2024),
        (4.0 * (0.5 * poverty).exp(), year >= 2024),
    ] {
        sep(out);
        if here && !suppressed {
            push_fixed(out, v.clamp(0.3, 50.0), 1);
        }
    }
    sep(out);
    push_int(out, (0.03 * (0.65 * z[1]).exp()).min(0.4) * working);
    sep(out);
    if !suppressed {
        push_fixed(out, (31.5 * (-0.16 * z[2]).exp()).clamp(12.0, 90.0), 1);
    }
    // Werk.
    sep(out);
    push_int(out, 0.02 * (0.35 * z[3]).exp() * working);
    sep(out);
    push_int(out, 0.055 * (0.35 * z[4]).exp() * working);
    sep(out);
    push_fixed(out, (68.0 - 4.5 * z[5]).clamp(30.0, 92.0), 1);
    // Opleiding.
    sep(out);
    push_int(out, (0.22 * (0.35 * z[6]).exp()).clamp(0.02, 0.85) * adults);
    // Gezondheid.
    for v in [
        (77.0 - 4.5 * z[7]).clamp(40.0, 97.0),
        (29.0 + 4.0 * z[8]).clamp(8.0, 60.0),
        (6.5 * (0.3 * z[9]).exp()).clamp(1.0, 25.0),
    ] {
        sep(out);
        if !suppressed {
            push_fixed(out, v, 1);
        }
    }
    // Veiligheid.
    sep(out);
    push_fixed(out, (45.0 * (0.45 * z[10]).exp()).clamp(2.0, 600.0), 1);
    sep(out);
    push_fixed(out, 0.02 - 0.08 * z[11], 3);
    // Huisvesting.
    sep(out);
    push_fixed(out, 0.01 - 0.06 * z[12], 3);
    for (base, k) in [(0.9, 13), (0.8, 14), (0.6, 15)] {
        sep(out);
        push_fixed(out, (base * (0.45 * z[k]).exp()).clamp(0.1, 15.0), 1);
    }
    // Woonomgeving.
    sep(out);
    push_fixed(out, -0.05 * z[16], 3);
    // Comparators.
    for v in comparators {
        sep(out);
        if !v.is_nan() {
            push_fixed(out, *v, 1);
        }
    }
    out.push('\n');
}
