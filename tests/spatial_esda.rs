//! The spatial statistics of a built atlas against PySAL: `contiguity.gal` read by libpysal,
//! one year's MDI from `scores.csv`, and esda's Moran, Moran_Local and G_Local (star) computed
//! by `tests/analysis/atlas_esda.py`, compared with mdi-core's on the same weights, and with
//! the whole-atlas `report`. Statistics and analytic z-values must agree to 1e-9; permutation
//! p-values, which come from different random draws, statistically. On the demo atlas and, where
//! `../shared/data` exists, on the real national atlas (13,594 buurten, 2024).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{data_dir, python_json, read_scores, repo, run, skip, stderr, stdout};
use mdi_core::analysis::spatial::{
    DEFAULT_PERMUTATIONS, DEFAULT_SEED, Quadrant, Weights, getis_ord_star, local_moran, moran,
};
use serde_json::Value;

fn close(ours: f64, theirs: f64, what: &str) {
    let d = (ours - theirs).abs() / theirs.abs().max(1.0);
    assert!(d < 1e-9, "{what}: ours {ours}, esda {theirs}");
}

fn floats(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

/// Compare one atlas in one year; returns a summary line.
fn check(atlas: &Path, year: i32) -> Option<String> {
    let py = python_json(
        "analysis/atlas_esda.py",
        &[atlas.as_os_str(), year.to_string().as_ref()],
    )?;
    // Our side: the GAL through mdi-format, the ranked areas of the year, in GAL order.
    let gal = mdi_format::contiguity::Contiguity::read(atlas).unwrap();
    let scores = read_scores(&atlas.join("scores.csv"));
    let score: std::collections::HashMap<&str, f64> = scores
        .iter()
        .filter(|r| r["year"] == year.to_string() && !r["mdi_rank"].is_empty())
        .map(|r| (r["code"].as_str(), r["mdi_score"].parse().unwrap()))
        .collect();
    let keep: Vec<bool> = gal
        .codes
        .iter()
        .map(|c| score.contains_key(c.as_str()))
        .collect();
    let (w, old) = Weights::new(gal.neighbours.clone()).unwrap().subset(&keep);
    let codes: Vec<&str> = old.iter().map(|&k| gal.codes[k].as_str()).collect();
    let theirs: Vec<&str> = py["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes, theirs, "the same areas in the same order");
    let y: Vec<f64> = codes.iter().map(|c| score[c]).collect();
    let islands: BTreeSet<usize> = w.islands().into_iter().collect();
    let py_islands = py["islands"].as_array().unwrap().len();
    assert_eq!(islands.len(), py_islands, "islands");

    let g = moran(&y, &w, DEFAULT_PERMUTATIONS, DEFAULT_SEED).unwrap();
    let m = &py["moran"];
    close(g.i, m["i"].as_f64().unwrap(), "Moran's I");
    close(g.expected, m["ei"].as_f64().unwrap(), "E[I]");
    close(g.z_norm, m["z_norm"].as_f64().unwrap(), "z_norm");
    close(g.p_norm, m["p_norm"].as_f64().unwrap(), "p_norm");
    let (ps, pe) = (g.p_sim, m["p_sim"].as_f64().unwrap());
    assert!(
        (ps - pe).abs() < 0.05 || (ps <= 0.01 && pe <= 0.01),
        "Moran p_sim {ps} vs {pe}"
    );

    let local = local_moran(&y, &w, DEFAULT_PERMUTATIONS, DEFAULT_SEED);
    let (li, lq, lp) = (
        floats(&py["local_i"]),
        &py["local_q"],
        floats(&py["local_p"]),
    );
    let gi = getis_ord_star(&y, &w, DEFAULT_PERMUTATIONS, DEFAULT_SEED);
    let (gg, gz, gp) = (floats(&py["gi"]), floats(&py["gi_z"]), floats(&py["gi_p"]));
    let (mut dp, mut agree, mut n) = (0.0, 0, 0);
    for k in 0..y.len() {
        if islands.contains(&k) {
            continue;
        }
        close(
            local.i[k],
            li[k].unwrap(),
            &format!("local I of {}", codes[k]),
        );
        let q = match local.quadrant[k] {
            Quadrant::HighHigh => 1,
            Quadrant::LowHigh => 2,
            Quadrant::LowLow => 3,
            Quadrant::HighLow => 4,
        };
        assert_eq!(q, lq[k].as_i64().unwrap(), "quadrant of {}", codes[k]);
        close(gi.g[k], gg[k].unwrap(), &format!("Gi* of {}", codes[k]));
        close(gi.z[k], gz[k].unwrap(), &format!("Gi* z of {}", codes[k]));
        for (ours, theirs) in [
            (local.p_sim[k], lp[k].unwrap()),
            (gi.p_sim[k], gp[k].unwrap()),
        ] {
            dp += (ours - theirs).abs();
            agree += usize::from((ours < 0.05) == (theirs < 0.05));
            n += 1;
        }
    }
    let (mean_dp, share) = (dp / n as f64, agree as f64 / n as f64);
    assert!(mean_dp < 0.03, "mean |Δp| {mean_dp}");
    assert!(share > 0.9, "significance agrees for {share}");

    check_report(atlas, year, m["i"].as_f64().unwrap());
    Some(format!(
        "{}: {} areas ({} islands), I = {:.4} (esda {:.4}), local p mean |Δp| {mean_dp:.4}, significance agrees {:.1} %",
        atlas.display(),
        y.len(),
        islands.len(),
        g.i,
        m["i"].as_f64().unwrap(),
        100.0 * share
    ))
}

/// The report's global Moran's I is the same statistic as esda's `i`.
fn check_report(atlas: &Path, year: i32, i: f64) {
    let y = year.to_string();
    let o = run(&[
        "report",
        "--atlas",
        atlas.to_str().unwrap(),
        "--format",
        "json",
        "--year",
        &y,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    close(
        report["clusters"]["moran_i"].as_f64().unwrap(),
        i,
        "report Moran's I",
    );
}

#[test]
fn demo_atlas_statistics_equal_esda() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("demo");
    let o = run(&[
        "build",
        "--demo",
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    if let Some(line) = check(&atlas, 2024) {
        eprintln!("{line}");
    }
}

#[test]
fn national_atlas_statistics_equal_esda() {
    if data_dir().is_none() {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the national esda comparison needs the real atlas",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("nl-real");
    let o = std::process::Command::new(repo().join("scripts/build-nl-real.sh"))
        .arg(&atlas)
        .arg("--no-tiles")
        .env("MDI_ATLAS_BIN", env!("CARGO_BIN_EXE_mdi-atlas"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    if let Some(line) = check(&atlas, 2024) {
        eprintln!("{line}");
    }
}
