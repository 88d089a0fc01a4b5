//! End-to-end tests of the atlas' analysis files (format 1.3) on the demo: `pooled.csv` (the
//! index ranked over all years pooled), `comparison.csv` (the profile's comparison variables),
//! `contiguity.gal` (queen contiguity, checked against libpysal on `areas.fgb`) and the
//! `cluster_<year>` columns; and the contiguity of the real national atlas where
//! `../shared/data` is present.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{data_dir, python_json, read_csv, read_scores, repo, run, skip, stderr};

/// The demo atlas (tiles included), built once for every test of this file.
fn demo() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let atlas = dir.path().join("atlas");
        let o = run(&["build", "--demo", "--out", atlas.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        (dir, atlas)
    })
    .1
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn num(row: &HashMap<String, String>, column: &str) -> Option<f64> {
    row.get(column)
        .filter(|c| !c.is_empty())
        .map(|c| c.parse().unwrap())
}

#[test]
fn pooled_ranks_every_year_together_and_shows_the_planted_improvement() {
    let atlas = demo();
    let meta = json(&atlas.join("metadata.json"));
    assert_eq!(meta["format_version"], "1.5");
    assert_eq!(meta["files"]["pooled"], "pooled.csv");
    let years: Vec<i64> = meta["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect();
    assert_eq!(years, (2015..=2024).collect::<Vec<_>>());

    let pooled = read_scores(&atlas.join("pooled.csv"));
    let scores = read_scores(&atlas.join("scores.csv"));
    assert_eq!(
        read_csv(&atlas.join("pooled.csv")).0,
        read_csv(&atlas.join("scores.csv")).0
    );
    assert_eq!(pooled.len(), scores.len());

    // One ranking over all area-years: ranks 1..N once each, N the eligible area-years,
    // rank 1 the highest score (the most deprived).
    let mut ranked: Vec<(f64, usize)> = pooled
        .iter()
        .filter(|r| r["eligible"] == "true")
        .map(|r| {
            (
                num(r, "mdi_score").unwrap(),
                num(r, "mdi_rank").unwrap() as usize,
            )
        })
        .collect();
    let n = ranked.len();
    assert!(n > 5000, "{n} eligible area-years");
    let ranks: BTreeSet<usize> = ranked.iter().map(|r| r.1).collect();
    assert_eq!(ranks, (1..=n).collect::<BTreeSet<_>>());
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert!(
        ranked
            .windows(2)
            .all(|w| w[0].1 < w[1].1 || w[0].0 == w[1].0)
    );
    // Pooled deciles are deciles of the pooled rank: ceil(10 r / N) over all area-years.
    for r in pooled.iter().filter(|r| r["eligible"] == "true") {
        let rank = num(r, "mdi_rank").unwrap() as usize;
        let decile = num(r, "mdi_decile").unwrap() as usize;
        assert_eq!(decile, (10 * rank).div_ceil(n), "{r:?}");
    }

    // The population-weighted mean pooled MDI of each year falls: the demo plants an
    // improvement over the years.
    let mut sums: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for r in &pooled {
        if let (Some(s), Some(p), true) = (
            num(r, "mdi_score"),
            num(r, "population"),
            r["eligible"] == "true",
        ) {
            let e = sums.entry(r["year"].parse().unwrap()).or_default();
            e.0 += s * p;
            e.1 += p;
        }
    }
    assert_eq!(sums.keys().copied().collect::<Vec<_>>(), years);
    let means: Vec<f64> = sums.values().map(|(s, p)| s / p).collect();
    assert!(
        means.windows(2).all(|w| w[1] < w[0]),
        "population-weighted mean pooled MDI per year: {means:?}"
    );
}

#[test]
fn comparison_csv_holds_the_demo_tables_three_comparators() {
    let atlas = demo();
    let meta = json(&atlas.join("metadata.json"));
    assert_eq!(meta["files"]["comparison"], "comparison.csv");
    let ids: Vec<&str> = meta["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["opkomst", "energiearmoede", "ongezonde_leefstijl"]);
    let (header, rows) = read_csv(&atlas.join("comparison.csv"));
    assert_eq!(
        header,
        [
            "code",
            "year",
            "opkomst",
            "energiearmoede",
            "ongezonde_leefstijl"
        ]
    );

    // The same values as the demo's own indicator table.
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["demo", "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = read_scores(&dir.path().join("synthetisch-indicatoren.csv"));
    let mut expected: BTreeMap<(String, String), Vec<Option<f64>>> = BTreeMap::new();
    for r in &table {
        let values: Vec<Option<f64>> = ids.iter().map(|c| num(r, c)).collect();
        if values.iter().any(Option::is_some) {
            expected.insert((r["buurtcode"].clone(), r["jaar"].clone()), values);
        }
    }
    let got: BTreeMap<(String, String), Vec<Option<f64>>> = rows
        .iter()
        .map(|r| {
            let values = r[2..]
                .iter()
                .map(|c| (!c.is_empty()).then(|| c.parse().unwrap()))
                .collect();
            ((r[0].clone(), r[1].clone()), values)
        })
        .collect();
    assert_eq!(got.len(), rows.len(), "one row per (code, year)");
    assert_eq!(got, expected);
    assert!(got.len() > 5000);
}

/// `contiguity.gal` parsed here (not by mdi-format): code → neighbour codes.
fn read_gal(path: &Path) -> (String, BTreeMap<String, BTreeSet<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!((head[0], head[3]), ("0", "code"), "GAL header {head:?}");
    let n: usize = head[1].parse().unwrap();
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let area: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let k: usize = area[1].parse().unwrap();
        let ns: BTreeSet<String> = lines
            .next()
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        assert_eq!(ns.len(), k, "{}", area[0]);
        out.insert(area[0].to_string(), ns);
    }
    assert!(lines.all(str::is_empty));
    (head[2].to_string(), out)
}

/// Checks `contiguity.gal` of `atlas` against the build report, and against libpysal's queen
/// contiguity of `areas.fgb` when the Python packages are there.
fn check_contiguity(atlas: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let (layer, gal) = read_gal(&atlas.join("contiguity.gal"));
    let meta = json(&atlas.join("metadata.json"));
    assert_eq!(meta["files"]["contiguity"], "contiguity.gal");
    assert_eq!(layer, meta["levels"][0]["layer"].as_str().unwrap());
    for (code, ns) in &gal {
        assert!(!ns.contains(code), "{code} is its own neighbour");
        for n in ns {
            assert!(gal[n].contains(code), "{code} → {n} but not back");
        }
    }
    let report = json(&atlas.join("build-report.json"));
    let islands: BTreeSet<String> = report["contiguity"]["islands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let without: BTreeSet<String> = gal
        .iter()
        .filter(|(_, ns)| ns.is_empty())
        .map(|(c, _)| c.clone())
        .collect();
    assert_eq!(islands, without);
    assert_eq!(
        report["contiguity"]["areas"].as_u64().unwrap() as usize,
        gal.len()
    );
    if let Some(check) = python_json("contiguity_check.py", &[atlas.as_os_str()]) {
        assert_eq!(check["different"], 0, "{check}");
        assert_eq!(
            check["areas"].as_u64().unwrap() as usize,
            gal.len(),
            "{check}"
        );
        let theirs: BTreeSet<String> = check["islands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert_eq!(theirs, islands);
    }
    gal
}

#[test]
fn contiguity_is_symmetric_every_demo_buurt_has_a_neighbour_and_libpysal_agrees() {
    let gal = check_contiguity(demo());
    // The demo region tiles a rectangle: 600 buurten, none alone.
    assert_eq!(gal.len(), 600);
    let alone: Vec<&String> = gal
        .iter()
        .filter(|(_, n)| n.is_empty())
        .map(|(c, _)| c)
        .collect();
    assert!(alone.is_empty(), "{alone:?}");
    let mean = gal.values().map(BTreeSet::len).sum::<usize>() as f64 / 600.0;
    assert!(
        (3.0..=8.0).contains(&mean),
        "mean number of neighbours {mean}"
    );
}

#[test]
fn the_real_atlas_contiguity_matches_libpysal() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found: the real atlas (scripts/build-nl-real.sh) needs it");
        return;
    };
    if !data.join("nl/cbs_buurt_2020.topojson.gz").exists() {
        skip("nl/cbs_buurt_2020.topojson.gz is absent from ../shared/data");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("nl-real");
    let o = std::process::Command::new("bash")
        .arg(repo().join("scripts/build-nl-real.sh"))
        .arg(&atlas)
        .env("MDI_ATLAS_BIN", env!("CARGO_BIN_EXE_mdi-atlas"))
        .env("MDI_DATA_DIR", &data)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let gal = check_contiguity(&atlas);
    assert!(gal.len() > 13_000, "{} buurten", gal.len());
}

#[test]
fn cluster_columns_are_cluster_codes_consistent_with_the_scores_and_the_weights() {
    let atlas = demo();
    let meta = json(&atlas.join("metadata.json"));
    assert_eq!(meta["clusters"]["method"], "local-moran");
    assert_eq!(meta["clusters"]["permutations"], 999);
    assert_eq!(meta["clusters"]["seed"], 20191);
    assert_eq!(meta["clusters"]["fdr"], false);
    let layer = meta["levels"][0]["layer"].as_str().unwrap();
    let (_, gal) = read_gal(&atlas.join("contiguity.gal"));
    let codes = [
        "high-high",
        "low-low",
        "high-low",
        "low-high",
        "not-significant",
        "island",
    ];
    for year in ["2015", "2024"] {
        let cluster = format!("cluster_{year}");
        let score = format!("mdi_score_{year}");
        let eligible = format!("eligible_{year}");
        let columns = [
            "code",
            "level",
            cluster.as_str(),
            score.as_str(),
            eligible.as_str(),
        ];
        let fgb = atlas.join("areas.fgb");
        let mut args: Vec<&std::ffi::OsStr> = vec![fgb.as_os_str()];
        args.extend(columns.iter().map(std::ffi::OsStr::new));
        let Some(dump) = python_json("fgb_dump.py", &args) else {
            return;
        };
        let rows = dump["rows"].as_array().unwrap();
        // The ranked buurten and their scores.
        let ranked: BTreeMap<&str, f64> = rows
            .iter()
            // GDAL reads the boolean column as 0/1.
            .filter(|r| r["level"] == layer && (r[&eligible] == true || r[&eligible] == 1.0))
            .map(|r| (r["code"].as_str().unwrap(), r[&score].as_f64().unwrap()))
            .collect();
        let mean = ranked.values().sum::<f64>() / ranked.len() as f64;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in rows {
            let code = r["code"].as_str().unwrap();
            let class = r[&cluster].as_str();
            if r["level"] != layer || !ranked.contains_key(code) {
                assert!(class.is_none_or(str::is_empty), "{code} {year}: {class:?}");
                continue;
            }
            let class = class.unwrap();
            assert!(codes.contains(&class), "{code} {year}: {class}");
            *counts.entry(class).or_default() += 1;
            // The quadrant: the area's deviation from the mean and its neighbours' mean
            // deviation (row-standardised lag over the ranked neighbours).
            let ns: Vec<f64> = gal[code]
                .iter()
                .filter_map(|n| ranked.get(n.as_str()))
                .map(|v| v - mean)
                .collect();
            if ns.is_empty() {
                assert_eq!(class, "island", "{code} {year}");
                continue;
            }
            let (z, lag) = (
                ranked[code] - mean,
                ns.iter().sum::<f64>() / ns.len() as f64,
            );
            let quadrant = match (z > 0.0, lag > 0.0) {
                (true, true) => "high-high",
                (false, false) => "low-low",
                (true, false) => "high-low",
                (false, true) => "low-high",
            };
            assert!(
                class == "not-significant" || class == quadrant,
                "{code} {year}: {class}, but z = {z}, lag = {lag}"
            );
        }
        // The demo's deprivation is spatially clustered: hot and cold spots both appear.
        assert!(
            counts.get("high-high").copied().unwrap_or(0) > 20,
            "{counts:?}"
        );
        assert!(
            counts.get("low-low").copied().unwrap_or(0) > 20,
            "{counts:?}"
        );
    }
}
