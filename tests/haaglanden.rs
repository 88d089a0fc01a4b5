//! Change over time on real figures: the ELAN wijk panel of Haaglanden (71 wijken, 2009–2022)
//! through its own profile (`geodata/profiles/nl-haaglanden-panel.toml`) and `mdi-atlas
//! report`: the pooled 2013 → 2022 trend per domain, persistence and divergence
//! (docs/VALIDATION.md).
//!
//! Independent expectations: the divergence regression recomputed with statsmodels from the
//! atlas's `pooled.csv` (`tests/analysis/divergence.py`); the trend means recomputed here from
//! `pooled.csv` (population-weighted); persistence recounted from `scores.csv`. Needs
//! `../shared/data`; skips where it is absent.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;

use common::{data_dir, python_json, read_scores, run, skip, stderr, stdout};

fn num(row: &std::collections::HashMap<String, String>, key: &str) -> Option<f64> {
    row.get(key).and_then(|v| v.parse().ok())
}

#[test]
fn the_haaglanden_panel_gives_trends_persistence_and_divergence() {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the Haaglanden panel test needs nl/haaglanden_wijkpanel",
        );
        return;
    };
    let nl = data.join("nl");
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("hgl");
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-haaglanden-panel.toml",
        "--indicators",
        nl.join("haaglanden_wijkpanel/df_count_ver_3.csv.gz")
            .to_str()
            .unwrap(),
        "--areas",
        nl.join("cbs_wijk_2014.topojson.gz").to_str().unwrap(),
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[
        "report",
        "--atlas",
        atlas.to_str().unwrap(),
        "--from-year",
        "2013",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();

    check_trends(&report, &atlas);
    check_persistence(&report, &atlas);

    // Divergence against statsmodels.
    let dv = &report["divergence"];
    assert_eq!(dv["from_year"], 2013);
    assert_eq!(dv["to_year"], 2022);
    eprintln!("divergence: {dv}");
    let Some(sm) = python_json(
        "analysis/divergence.py",
        &[
            atlas.join("pooled.csv").as_os_str(),
            "2013".as_ref(),
            "2022".as_ref(),
        ],
    ) else {
        return;
    };
    assert_eq!(dv["n"], sm["n"]);
    for k in ["beta", "ci_low", "ci_high"] {
        let (a, b) = (dv[k].as_f64().unwrap(), sm[k].as_f64().unwrap());
        assert!(
            (a - b).abs() < 1e-9 * b.abs().max(1.0),
            "{k}: {a} vs statsmodels {b}"
        );
    }
}

/// The trends: the four domains and the MDI, 2013 … 2022 on the pooled scale; the means are
/// the population-weighted means of pooled.csv, recomputed here.
fn check_trends(report: &serde_json::Value, atlas: &std::path::Path) {
    let pooled = read_scores(&atlas.join("pooled.csv"));
    let trends = report["trends"].as_array().unwrap();
    let ids: Vec<&str> = trends
        .iter()
        .map(|t| t["domain"].as_str().unwrap())
        .collect();
    for d in ["mdi", "inkomen", "werk", "opleiding", "gezondheid"] {
        assert!(ids.contains(&d), "no trend for {d}: {ids:?}");
    }
    for t in trends {
        let d = t["domain"].as_str().unwrap();
        let col = if d == "mdi" {
            "mdi_score".to_string()
        } else {
            format!("{d}_score")
        };
        let years: Vec<i64> = t["years"]
            .as_array()
            .unwrap()
            .iter()
            .map(|y| y.as_i64().unwrap())
            .collect();
        for (k, y) in years.iter().enumerate() {
            let (mut sw, mut swx) = (0.0, 0.0);
            for r in pooled.iter().filter(|r| r["year"] == y.to_string()) {
                if let (Some(x), Some(p)) = (num(r, &col), num(r, "population")) {
                    sw += p;
                    swx += p * x;
                }
            }
            let ours = t["mean"][k].as_f64();
            if sw > 0.0 {
                let m = swx / sw;
                let got = ours.unwrap();
                assert!(
                    (got - m).abs() < 1e-6 * m.abs().max(1.0),
                    "{d} {y}: {got} vs {m}"
                );
            } else {
                assert!(ours.is_none(), "{d} {y}: a mean without data");
            }
        }
        eprintln!(
            "trend {d}: {:?} → change {}",
            t["mean"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().map(|x| (x * 100.0).round() / 100.0))
                .collect::<Vec<_>>(),
            t["change"]
        );
    }
}

/// Persistence 2013 → 2022, recounted from scores.csv.
fn check_persistence(report: &serde_json::Value, atlas: &std::path::Path) {
    let scores = read_scores(&atlas.join("scores.csv"));
    let decile = |y: i32| -> BTreeMap<String, i64> {
        scores
            .iter()
            .filter(|r| r["year"] == y.to_string())
            .filter_map(|r| Some((r["code"].clone(), r.get("mdi_decile")?.parse().ok()?)))
            .collect()
    };
    let (d0, d1) = (decile(2013), decile(2022));
    let worst_end: Vec<&String> = d1
        .iter()
        .filter(|(_, d)| **d == 1)
        .map(|(c, _)| c)
        .collect();
    let still = worst_end.iter().filter(|c| d0.get(**c) == Some(&1)).count();
    let p = &report["persistence"];
    assert_eq!(p["from_year"], 2013);
    assert_eq!(p["to_year"], 2022);
    assert_eq!(p["worst_at_end"], worst_end.len());
    assert_eq!(p["also_worst_at_start"], still);
    eprintln!(
        "persistence 2013 → 2022: {still} of {} worst-decile wijken",
        worst_end.len()
    );
}
