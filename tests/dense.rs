//! End-to-end tests of dense inputs: the one-level dense region (`--demo-side-km`, `--levels`)
//! and the independent check `tests/gis/dense_check.py` that every area is on the map at every
//! zoom (present, coalesced into a same-class neighbour, or carried by its parent) as the build
//! report says, with no tile over 500 KB.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use common::{python_json, repo, run, skip, stderr};

/// Run dense_check.py on an atlas (see `common::python_json`).
fn dense_check(atlas: &Path, extra: &[&str]) -> Option<serde_json::Value> {
    let mut args: Vec<&OsStr> = vec![atlas.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    python_json("dense_check.py", &args)
}

/// Build the demo atlas of one year (2024) with `extra` arguments into `atlas`; its metadata.
fn build_demo(atlas: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["build", "--demo", "--demo-years", "2024", "2024"];
    args.extend(extra);
    args.extend(["--out", atlas.to_str().unwrap()]);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(atlas.join("metadata.json")).unwrap()).unwrap()
}

/// The counts of one zoom of dense_check.py's output.
fn counts(z: &serde_json::Value) -> [u64; 4] {
    ["present", "coalesced", "carried", "missing"].map(|k| z[k].as_u64().unwrap())
}

#[test]
fn dense_check_passes_the_demo_and_fails_a_tampered_report() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let o = run(&["build", "--demo", "--out", atlas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let Some(r) = dense_check(&atlas, &[]) else {
        return;
    };
    assert_eq!(r["ok"], true, "{r}");
    // 600 buurten, 40 wijken and 4 gemeenten, each drawn at each of z5-z14.
    assert_eq!(r["areas"], 644);
    let zooms = r["zooms"].as_array().unwrap();
    assert_eq!(zooms.len(), 10);
    for (z, zoom) in (5..=14).zip(zooms) {
        assert_eq!(zoom["z"], z);
        assert_eq!(counts(zoom), [644, 0, 0, 0], "{zoom}");
    }

    // The report says what the tiles contradict: a group of buurten that are drawn on their own
    // (with other values, one of them far away), and layers left out that are in the tiles.
    let path = atlas.join("build-report.json");
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for z in report["tiles"]["zooms"].as_array_mut().unwrap() {
        match z["z"].as_u64().unwrap() {
            14 => {
                z["coalesced"] = serde_json::json!([{"layer": "buurten", "into": "BU99010101",
                    "members": ["BU99010102", "BU99040313"]}]);
            }
            6 => z["omitted"] = serde_json::json!(["buurten"]),
            _ => {}
        }
    }
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    let o = Command::new("python3")
        .arg(repo().join("tests/gis/dense_check.py"))
        .arg(&atlas)
        .args(["--max-tile-bytes", "250000"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ok"], false);
    let errors = r["errors"].to_string();
    for says in [
        "coalesced area with other values: 2",
        "coalesced member drawn on its own: 2",
        "coalesced group not connected: 1",
        "omitted layer with features: 1; e.g. z6 buurten: 600 features",
        // z5-z8 hold the region in one or two tiles of 260-280 KB.
        "tile over the cap: 4",
    ] {
        assert!(errors.contains(says), "{says}: {errors}");
    }
    assert!(err.contains("FAILED"), "{err}");
}

/// Run a Python script of tests/gis; `None` (with a printed reason) when it exits 3 for want
/// of a package outside CI.
fn python(script: &str, args: &[&OsStr]) -> Option<std::process::Output> {
    let o = Command::new("python3")
        .arg(repo().join("tests/gis").join(script))
        .args(args)
        .output()
        .unwrap();
    if o.status.code() == Some(3) && std::env::var_os("CI").is_none() {
        skip(&format!("{script} needs Python packages"));
        return None;
    }
    Some(o)
}

/// A tiler that leaves layers out and coalesces neighbours (tests/gis/dense_fixture.py makes
/// one by hand from the demo): dense_check.py accepts the areas carried by their parents and the
/// coalesced groups, and fails when the report and the tiles disagree.
#[test]
fn dense_check_accepts_omitted_layers_and_coalesced_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (atlas, degraded) = (dir.path().join("atlas"), dir.path().join("degraded"));
    build_demo(&atlas, &[]);
    let Some(o) = python(
        "dense_fixture.py",
        &[atlas.as_os_str(), degraded.as_os_str()],
    ) else {
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let made: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let members = made["members"].as_u64().unwrap();
    assert!(made["groups"].as_u64().unwrap() >= 10, "{made}");
    let Some(r) = dense_check(&degraded, &[]) else {
        return;
    };
    assert_eq!(r["ok"], true, "{r}");
    let zooms = r["zooms"].as_array().unwrap();
    // z5: the 4 gemeenten carry the wijken and buurten; z6: the 40 wijken carry the buurten;
    // z7: the members are coalesced into their group's feature.
    assert_eq!(counts(&zooms[0]), [4, 0, 640, 0]);
    assert_eq!(counts(&zooms[1]), [44, 0, 600, 0]);
    assert_eq!(counts(&zooms[2]), [644 - members, members, 0, 0]);
    for zoom in &zooms[3..] {
        assert_eq!(counts(zoom), [644, 0, 0, 0]);
    }

    // The report loses its last group: its members are then nowhere.
    let path = degraded.join("build-report.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let groups = report["tiles"]["zooms"][2]["coalesced"]
        .as_array_mut()
        .unwrap();
    let lost = groups.pop().unwrap()["members"].as_array().unwrap().len();
    let errors = failing_check(&degraded, &report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("area not on the map: {lost};")),
        "{errors:?}"
    );

    // The report names a neighbour that is drawn on its own as a member of the first group.
    let mut report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let groups = report["tiles"]["zooms"][2]["coalesced"]
        .as_array_mut()
        .unwrap();
    let mut taken = BTreeSet::new();
    for g in groups.iter() {
        taken.insert(g["into"].as_str().unwrap().to_string());
        for m in g["members"].as_array().unwrap() {
            taken.insert(m.as_str().unwrap().to_string());
        }
    }
    let gal = std::fs::read_to_string(atlas.join("contiguity.gal")).unwrap();
    let lines: Vec<&str> = gal.lines().collect();
    // The first group whose `into` has a neighbour in no group.
    let (k, into, free) = groups
        .iter()
        .enumerate()
        .find_map(|(k, g)| {
            let into = g["into"].as_str().unwrap();
            let at = lines
                .iter()
                .position(|l| l.split(' ').next() == Some(into))?;
            let free = lines[at + 1].split(' ').find(|c| !taken.contains(*c))?;
            Some((k, into.to_string(), free.to_string()))
        })
        .unwrap();
    groups[k]["members"]
        .as_array_mut()
        .unwrap()
        .push(free.clone().into());
    let errors = failing_check(&degraded, &report).join("\n");
    assert!(
        errors.contains(&format!(
            "coalesced member drawn on its own: 1; e.g. z7 buurten {free} into {into}"
        )),
        "{errors}"
    );
}

/// Write `report` as the atlas's build-report.json and run dense_check.py, which must fail;
/// its errors.
fn failing_check(atlas: &Path, report: &serde_json::Value) -> Vec<String> {
    let path = atlas.join("build-report.json");
    std::fs::write(&path, serde_json::to_string(report).unwrap()).unwrap();
    let o = python("dense_check.py", &[atlas.as_os_str()]).unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ok"], false);
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn levels_keep_the_index_unit_and_its_parents() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let meta = build_demo(&atlas, &["--levels", "buurt,wijk"]);
    let levels = meta["levels"].as_array().unwrap();
    let ids: Vec<&str> = levels.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["buurt", "wijk"]);
    assert_eq!(levels[0]["parent"], "wijk");
    assert!(levels[1]["parent"].is_null(), "{}", levels[1]);
    assert_eq!(levels[0]["areas"], 600);
    assert_eq!(levels[1]["areas"], 40);

    // --level-zooms: known levels within the tile zooms only.
    let a = atlas.to_str().unwrap();
    let o = run(&["tiles", a, "--level-zooms", "gemeente=5-6"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(
            "--level-zooms gemeente=5-6: no level `gemeente`; the levels are buurt, wijk"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(&["tiles", a, "--level-zooms", "wijk=5-9", "--max-zoom", "8"]);
    assert!(
        stderr(&o).contains("outside the tile zooms 5-8"),
        "{}",
        stderr(&o)
    );
    let o = run(&["tiles", a, "--level-zooms", "buurt=14"]);
    assert!(
        stderr(&o).contains("expected LEVEL=MIN-MAX"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "tiles",
        a,
        "--level-zooms",
        "wijk=5-8",
        "--level-zooms",
        "buurt=9-14",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // A level that is not the start of the chain, naming the profile and its levels.
    let o = run(&["build", "--demo", "--levels", "buurt,gemeente", "--out", a]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("profile nl-cbs (geodata/profiles/nl-cbs.toml) has the levels buurt, wijk, gemeente, corop, provincie"),
        "{}",
        stderr(&o)
    );
}

/// The acceptance case of issue 15: one level, 40,000 buurten over about 130,000 km² (the size
/// of England), the default zooms z5-z14, one year. Every area must be on the map at every
/// zoom, and no tile over 500 KB (before the dense tiling of issue 15 the tiler stopped at z5:
/// `tile 5/16/10 is 560290 bytes gzipped …, over the cap`). About 40 s in a debug build on 2
/// cores, the check included.
#[test]
fn the_one_level_dense_region_keeps_every_area_on_the_map() {
    if std::env::var_os("CI").is_none() && Command::new("python3").arg("-V").output().is_err() {
        skip("python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let meta = build_demo(
        &atlas,
        &[
            "--demo-areas",
            "40000",
            "--demo-side-km",
            "360",
            "--levels",
            "buurt",
        ],
    );
    let levels = meta["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1, "{levels:?}");
    assert_eq!(levels[0]["id"], "buurt");
    assert_eq!(levels[0]["areas"], 40_000);
    // The extent: about 360 km on the largest side, about 130,000 km².
    let b = meta["bounds"].as_array().unwrap();
    let b: Vec<f64> = b.iter().map(|v| v.as_f64().unwrap()).collect();
    let lat = (b[1] + b[3]) / 2.0;
    let km_x = (b[2] - b[0]) * 111.32 * lat.to_radians().cos();
    let km_y = (b[3] - b[1]) * 110.57;
    assert!((340.0..380.0).contains(&km_x.max(km_y)), "{b:?}");
    assert!((115_000.0..145_000.0).contains(&(km_x * km_y)), "{b:?}");
    let Some(r) = dense_check(&atlas, &[]) else {
        return;
    };
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["areas"], 40_000);
    let zooms = r["zooms"].as_array().unwrap();
    assert_eq!(zooms.len(), 10);
    for zoom in zooms {
        let [present, coalesced, carried, missing] = counts(zoom);
        assert_eq!(missing, 0, "{zoom}");
        // One level: nothing can be carried by a parent.
        assert_eq!(carried, 0, "{zoom}");
        assert_eq!(present + coalesced, 40_000, "{zoom}");
    }
}
