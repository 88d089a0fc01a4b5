//! End-to-end tests of the vector tiles: every tile of the demo archive and of the national 2014
//! buurten archive read back by independent decoders (Python `pmtiles` + `mapbox_vector_tile`,
//! shapely for validity and topology, GDAL through pyogrio) in `tests/gis/tiles_check.py`;
//! determinism across thread counts; atomic replacement; errors.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{build_nl_2014, nl_2014, python_json, run, stderr, stdout};

/// Run the independent checker on an atlas (see `common::python_json`).
fn check(atlas: &Path, extra: &[&str]) -> Option<serde_json::Value> {
    let mut args: Vec<&OsStr> = vec![atlas.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    python_json("tiles_check.py", &args)
}

#[test]
fn the_demo_archives_pass_the_independent_checks() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let o = run(&[
        "build",
        "--demo",
        "--mbtiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("tiles: atlas.pmtiles"), "{s}");
    assert!(s.contains("tiles: atlas.mbtiles"), "{s}");
    for z in 5..=14 {
        assert!(
            s.contains(&format!("  z{z:<2}")),
            "zoom {z} is reported: {s}"
        );
    }
    let Some(summary) = check(&atlas, &["--sample", "200"]) else {
        return;
    };
    println!("demo: {summary}");
    // The MBTiles archive holds exactly the same tiles (read with Python's sqlite3).
    if let Some(mb) = python_json("mbtiles_vs_pmtiles.py", &[atlas.as_os_str()]) {
        assert_eq!(mb["tiles"], summary["checks"]["archive"]["tiles"], "{mb}");
        println!("demo (MBTiles): {mb}");
    }

    // The build report says what the tiling did, zoom by zoom.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("build-report.json")).unwrap()).unwrap();
    let zooms = report["tiles"]["zooms"].as_array().unwrap();
    assert_eq!(zooms.len(), 10);
    for z in zooms {
        let areas = z["areas"].as_array().unwrap();
        assert_eq!(areas[0], serde_json::json!(["buurten", 600]), "{z}");
        assert_eq!(areas[1], serde_json::json!(["wijken", 40]), "{z}");
        assert_eq!(areas[2], serde_json::json!(["gemeenten", 4]), "{z}");
    }
}

#[test]
fn one_thread_and_two_give_byte_identical_archives() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let o = run(&[
        "build",
        "--demo",
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut archives = Vec::new();
    for threads in ["1", "2", "3"] {
        let o = run(&[
            "--threads",
            threads,
            "tiles",
            atlas.to_str().unwrap(),
            "--mbtiles",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        archives.push((
            std::fs::read(atlas.join("atlas.pmtiles")).unwrap(),
            std::fs::read(atlas.join("atlas.mbtiles")).unwrap(),
        ));
    }
    assert!(archives[0].0.len() > 10_000);
    assert!(
        archives.iter().all(|a| a == &archives[0]),
        "archives differ between thread counts"
    );
    // Re-tiling without --mbtiles removes the now stale MBTiles archive.
    let o = run(&["tiles", atlas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("removed the stale"), "{}", stdout(&o));
    assert!(!atlas.join("atlas.mbtiles").exists());
}

#[test]
fn a_failed_tiling_leaves_the_previous_atlas_and_archive_intact() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let o = run(&["build", "--demo", "--out", atlas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read(atlas.join("atlas.pmtiles")).unwrap();
    let report_before = std::fs::read(atlas.join("build-report.json")).unwrap();

    // A cap no tile can meet: the error names the tile and the cap.
    let o = run(&["tiles", atlas.to_str().unwrap(), "--max-tile-bytes", "200"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("tile 14/") && e.contains("over the cap of 200 bytes"),
        "{e}"
    );
    assert_eq!(std::fs::read(atlas.join("atlas.pmtiles")).unwrap(), before);
    assert_eq!(
        std::fs::read(atlas.join("build-report.json")).unwrap(),
        report_before
    );

    // The same in a build: the whole previous atlas stays.
    let o = run(&[
        "build",
        "--demo",
        "--demo-areas",
        "700",
        "--max-tile-bytes",
        "200",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(atlas.join("atlas.pmtiles")).unwrap(), before);
    // The atlas is a link to its generation folder (docs/ATLAS.md): nothing else is left.
    let current = std::fs::read_link(&atlas).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "atlas" && Path::new(n) != current)
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn tiling_errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["tiles", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not an atlas directory"),
        "{}",
        stderr(&o)
    );

    let o = run(&[
        "tiles",
        dir.path().to_str().unwrap(),
        "--min-zoom",
        "9",
        "--max-zoom",
        "4",
    ]);
    assert!(!o.status.success());

    let atlas = dir.path().join("atlas");
    let o = run(&[
        "build",
        "--demo",
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!atlas.join("atlas.pmtiles").exists());
    let o = run(&[
        "tiles",
        atlas.to_str().unwrap(),
        "--min-zoom",
        "9",
        "--max-zoom",
        "4",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("zoom range 9–4 is not valid"),
        "{}",
        stderr(&o)
    );
    let o = run(&["tiles", atlas.to_str().unwrap(), "--max-zoom", "19"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("max ≤ 18"), "{}", stderr(&o));

    // A broken metadata.json is named.
    std::fs::write(atlas.join("metadata.json"), "{\"years\": [2024]}").unwrap();
    let o = run(&["tiles", atlas.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("metadata.json") && e.contains("expected `levels`"),
        "{e}"
    );
}

#[test]
fn the_national_2014_archive_passes_the_independent_checks() {
    let Some(nl) = nl_2014() else { return };
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("nl");
    let o = build_nl_2014(&nl, &atlas, &["--mbtiles"]);
    println!("{}", stdout(&o));
    let Some(summary) = check(
        &atlas,
        &[
            "--sample",
            "200",
            "--region",
            "GM0363,GM0599",
            "--topology-zooms",
            "6,10,14",
        ],
    ) else {
        return;
    };
    println!("national 2014: {summary}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("build-report.json")).unwrap()).unwrap();
    let collapsed_buurten = report["collapsed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] == "buurt")
        .count();
    // About 1,278 buurten of the coarse 2014 file have no extent: they keep only their label.
    assert!(
        (1_200..1_350).contains(&collapsed_buurten),
        "{collapsed_buurten}"
    );
    for z in report["tiles"]["zooms"].as_array().unwrap() {
        assert_eq!(
            z["areas"][0],
            serde_json::json!(["buurten", 11_691 - collapsed_buurten]),
            "{z}"
        );
        assert!(z["max_bytes"].as_u64().unwrap() <= 500_000, "{z}");
    }
}
