//! Behaviour of the spatial statistics on synthetic maps: a planted cluster is found, and
//! spatially shuffled data shows none.

#![allow(clippy::unwrap_used)]

use mdi_core::analysis::rng::Rng;
use mdi_core::analysis::{Cluster, Weights, classify, local_moran, moran};

const SIDE: usize = 30;

/// Queen contiguity on a SIDE × SIDE lattice, row-major.
fn queen() -> Weights {
    let mut nb = vec![Vec::new(); SIDE * SIDE];
    for r in 0..SIDE {
        for c in 0..SIDE {
            for (dr, dc) in [(0i64, 1i64), (1, 0), (1, 1), (1, -1)] {
                let (r2, c2) = (r as i64 + dr, c as i64 + dc);
                if r2 < SIDE as i64 && c2 >= 0 && c2 < SIDE as i64 {
                    let (a, b) = (r * SIDE + c, r2 as usize * SIDE + c2 as usize);
                    nb[a].push(b as u32);
                    nb[b].push(a as u32);
                }
            }
        }
    }
    Weights::new(nb).unwrap()
}

/// Standard normal noise (Box–Muller).
fn noise(rng: &mut Rng) -> f64 {
    let u = 1.0 - rng.unit();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos()
}

fn in_block(i: usize) -> bool {
    let (r, c) = (i / SIDE, i % SIDE);
    (10..18).contains(&r) && (12..20).contains(&c)
}

#[test]
fn planted_cluster_is_recovered() {
    let w = queen();
    let mut rng = Rng::new(7);
    let y: Vec<f64> = (0..SIDE * SIDE)
        .map(|i| noise(&mut rng) + if in_block(i) { 2.5 } else { 0.0 })
        .collect();
    let l = local_moran(&y, &w, 999, 11);
    let classes = classify(&l, &w, 0.05, false);
    let block: Vec<usize> = (0..SIDE * SIDE).filter(|&i| in_block(i)).collect();
    let hh_in = block
        .iter()
        .filter(|&&i| classes[i] == Cluster::HighHigh)
        .count();
    let hh_out = (0..SIDE * SIDE)
        .filter(|&i| !in_block(i) && classes[i] == Cluster::HighHigh)
        .count();
    println!(
        "high-high: {hh_in} of {} in the block, {hh_out} of {} outside",
        block.len(),
        SIDE * SIDE - block.len()
    );
    // The 8×8 block: most of it high-high; outside, about α/2 of 836 by chance plus the ring
    // of neighbours touching the block.
    assert!(hh_in as f64 >= 0.75 * block.len() as f64, "{hh_in}");
    assert!(hh_out <= 60, "{hh_out}");
    let m = moran(&y, &w, 999, 11).unwrap();
    assert!(m.p_sim <= 0.001 && m.p_norm < 1e-6, "{m:?}");
}

#[test]
fn shuffled_data_shows_no_cluster() {
    let w = queen();
    let seeds = 20;
    let mut global_significant = 0;
    let mut fdr_share = 0.0;
    for seed in 0..seeds {
        let mut rng = Rng::new(1000 + seed);
        // A strongly clustered map, then shuffled over the lattice: no spatial structure left.
        let mut y: Vec<f64> = (0..SIDE * SIDE)
            .map(|i| (i / SIDE) as f64 + noise(&mut rng))
            .collect();
        rng.shuffle(&mut y);
        let m = moran(&y, &w, 199, seed).unwrap();
        global_significant += usize::from(m.p_sim <= 0.05);
        let l = local_moran(&y, &w, 199, seed);
        let classes = classify(&l, &w, 0.05, true);
        let sig = classes
            .iter()
            .filter(|c| !matches!(c, Cluster::NotSignificant | Cluster::Island))
            .count();
        fdr_share += sig as f64 / (SIDE * SIDE) as f64;
    }
    let mean_fdr = fdr_share / seeds as f64;
    println!(
        "global p_sim ≤ 0.05 in {global_significant} of {seeds}; mean FDR-significant share {mean_fdr:.4}"
    );
    // Under the null, #significant ~ Binomial(20, 0.05): P(≥ 4) ≈ 1.6 %.
    assert!(global_significant <= 3, "{global_significant}");
    assert!(mean_fdr < 0.01, "{mean_fdr}");
}
