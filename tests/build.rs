//! End-to-end tests of `mdi-atlas build`: the demo atlas read back by GDAL (through pyogrio, an
//! independent reader), determinism, real CBS geometry (the national 2014 buurten, the Ermelo
//! GeoPackage), and every malformed-input case with its error.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

use common::{
    build_nl_2014, data_dir, nl_2014, python_json, read_scores, run, skip, stderr, stdout,
};

/// What GDAL (pyogrio) reads from a FlatGeobuf file; `None` (with a printed reason) when
/// pyogrio is not installed and we are not in CI.
fn gdal_dump(fgb: &Path, columns: &[&str]) -> Option<serde_json::Value> {
    let mut args: Vec<&std::ffi::OsStr> = vec![fgb.as_os_str()];
    args.extend(columns.iter().map(std::ffi::OsStr::new));
    python_json("fgb_dump.py", &args)
}

fn build_demo(out: &Path) -> String {
    let o = run(&["build", "--demo", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn the_demo_atlas_is_complete_and_gdal_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let s = build_demo(&atlas);
    assert!(s.contains("areas: 600 buurt, 40 wijk, 4 gemeente"), "{s}");
    assert!(s.contains("SYNTHETIC"), "{s}");
    check_demo_metadata_and_report(&atlas);

    let cols = [
        "code",
        "level",
        "parent",
        "wijk_code",
        "gemeente_code",
        "population_2024",
        "mdi_score_2024",
        "mdi_rank_2024",
        "mdi_decile_2024",
        "inkomen_decile_2024",
        "share_worst_decile_2024",
        "nodata",
    ];
    let Some(gdal) = gdal_dump(&atlas.join("areas.fgb"), &cols) else {
        return;
    };
    check_demo_fgb_layout(&gdal);
    let rows = gdal["rows"].as_array().unwrap();
    let scores = read_scores(&atlas.join("scores.csv"));
    check_demo_buurten_equal_scores(rows, &scores);
    check_demo_gemeente_summaries(rows, &scores);
}

/// The 2024 rows of a scores table by area code.
fn scores_2024(scores: &[HashMap<String, String>]) -> HashMap<&str, &HashMap<String, String>> {
    scores
        .iter()
        .filter(|r| r["year"] == "2024")
        .map(|r| (r["code"].as_str(), r))
        .collect()
}

/// A cell of a scores row as a number (`None` when empty).
fn cell(r: &HashMap<String, String>, k: &str) -> Option<f64> {
    r[k].parse::<f64>().ok()
}

/// The demo's metadata.json (synthetic, years, areas per level, domains) and build-report.json.
fn check_demo_metadata_and_report(atlas: &Path) {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["synthetic"], true);
    assert!(
        meta["title"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("synthet")
    );
    assert_eq!(
        meta["years"],
        serde_json::json!((2015..=2024).collect::<Vec<_>>())
    );
    assert_eq!(meta["levels"][0]["areas"], 600);
    assert_eq!(meta["levels"][1]["areas"], 40);
    assert_eq!(meta["levels"][2]["areas"], 4);
    assert_eq!(meta["domains"].as_array().unwrap().len(), 7);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("build-report.json")).unwrap()).unwrap();
    assert_eq!(report["join"]["matched"], 600);
    assert_eq!(report["synthetic"], true);
}

/// GDAL's view of the demo areas.fgb: CRS, geometry type, count, every domain score column,
/// features per level, and every bounding box in WGS84 inside the Netherlands.
fn check_demo_fgb_layout(gdal: &serde_json::Value) {
    assert_eq!(gdal["crs"], "EPSG:4326");
    assert_eq!(gdal["geometry_type"], "MultiPolygon");
    assert_eq!(gdal["count"], 644);
    let fields: Vec<&str> = gdal["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for y in 2015..=2024 {
        for d in [
            "inkomen",
            "werk",
            "opleiding",
            "gezondheid",
            "veiligheid",
            "huisvesting",
            "woonomgeving",
        ] {
            assert!(
                fields.contains(&format!("{d}_score_{y}").as_str()),
                "{d}_score_{y} missing"
            );
        }
    }
    let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
    for r in gdal["rows"].as_array().unwrap() {
        *levels.entry(r["level"].as_str().unwrap()).or_default() += 1;
        // WGS84, inside the Netherlands.
        let b: Vec<f64> = r["_bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            b[0] > 3.0 && b[2] < 7.5 && b[1] > 50.5 && b[3] < 53.8,
            "{b:?}"
        );
    }
    assert_eq!(
        levels,
        BTreeMap::from([("buurten", 600), ("gemeenten", 4), ("wijken", 40)])
    );
}

/// The attributes of every buurt in areas.fgb equal scores.csv, read independently, for 2024.
fn check_demo_buurten_equal_scores(rows: &[serde_json::Value], scores: &[HashMap<String, String>]) {
    let s2024 = scores_2024(scores);
    let num = |v: &serde_json::Value| v.as_f64();
    let mut checked = 0;
    for r in rows.iter().filter(|r| r["level"] == "buurten") {
        let code = r["code"].as_str().unwrap();
        let s = s2024[code];
        assert_eq!(
            r["wijk_code"].as_str().unwrap(),
            format!("WK{}", &code[2..8])
        );
        assert_eq!(
            r["gemeente_code"].as_str().unwrap(),
            format!("GM{}", &code[2..6])
        );
        assert_eq!(r["parent"], r["wijk_code"]);
        for (fgb, csv) in [
            ("mdi_rank_2024", "mdi_rank"),
            ("mdi_decile_2024", "mdi_decile"),
            ("inkomen_decile_2024", "inkomen_decile"),
            ("population_2024", "population"),
        ] {
            assert_eq!(num(&r[fgb]), cell(s, csv), "{code} {fgb}");
        }
        match (num(&r["mdi_score_2024"]), cell(s, "mdi_score")) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-5, "{code}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "{code}"),
        }
        assert_eq!(
            r["nodata"].as_bool().unwrap(),
            scores
                .iter()
                .filter(|x| x["code"] == code)
                .all(|x| x["eligible"] == "false")
        );
        checked += 1;
    }
    assert_eq!(checked, 600);
}

/// Gemeente summaries: the population share in decile-1 buurten and the population, recomputed
/// here from scores.csv and the buurten's gemeente codes.
fn check_demo_gemeente_summaries(rows: &[serde_json::Value], scores: &[HashMap<String, String>]) {
    let s2024 = scores_2024(scores);
    let mut by_gm: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["level"] == "buurten") {
        let s = s2024[r["code"].as_str().unwrap()];
        if s["eligible"] == "true" {
            let p: f64 = s["population"].parse().unwrap();
            let e = by_gm
                .entry(r["gemeente_code"].as_str().unwrap().to_string())
                .or_default();
            e.0 += p;
            if s["mdi_decile"] == "1" {
                e.1 += p;
            }
        }
    }
    for r in rows.iter().filter(|r| r["level"] == "gemeenten") {
        let (p, p1) = by_gm[r["code"].as_str().unwrap()];
        assert!((r["share_worst_decile_2024"].as_f64().unwrap() - p1 / p).abs() < 1e-9);
        assert_eq!(r["population_2024"].as_f64(), Some(p));
    }
}

#[test]
fn two_demo_builds_are_byte_identical_but_for_the_build_time() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build_demo(&a);
    build_demo(&b);
    for f in ["scores.csv", "areas.fgb", "build-report.json"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let strip = |p: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(p.join("metadata.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("built_at");
        v
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn a_failed_build_leaves_the_previous_atlas_intact() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    build_demo(&atlas);
    let before = std::fs::read(atlas.join("areas.fgb")).unwrap();
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&bad, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"buurtcode":"BU99010101"},"geometry":{"type":"LineString","coordinates":[[5,52],[5.1,52.1]]}}]}"#).unwrap();
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        "geodata/examples/voorbeeld-buurten.csv",
        "--areas",
        bad.to_str().unwrap(),
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(atlas.join("areas.fgb")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
}

/// Build with the example table and one GeoJSON area file; returns standard error.
fn build_fails(dir: &Path, geojson: &str) -> String {
    let f = dir.join("areas.geojson");
    std::fs::write(&f, geojson).unwrap();
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        "geodata/examples/voorbeeld-buurten.csv",
        "--areas",
        f.to_str().unwrap(),
        "--out",
        dir.join("atlas").to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "should fail: {}", stdout(&o));
    assert!(!dir.join("atlas").exists());
    stderr(&o)
}

fn square(code: &str, x: f64) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"buurtcode":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},52.0],[{x1},52.0],[{x1},52.1],[{x},52.1],[{x},52.0]]]}}}}"#,
        x1 = x + 0.1
    )
}

#[test]
fn malformed_area_files_give_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    // A feature that is not a polygon.
    let line = r#"{"type":"Feature","properties":{"buurtcode":"BU99010001"},"geometry":{"type":"LineString","coordinates":[[5,52],[5.1,52.1]]}}"#;
    let e = build_fails(
        d,
        &format!(
            r#"{{"type":"FeatureCollection","features":[{},{line}]}}"#,
            square("BU99010000", 5.0)
        ),
    );
    assert!(
        e.contains("areas.geojson") && e.contains("feature 1") && e.contains("LineString"),
        "{e}"
    );
    // An unknown CRS.
    let e = build_fails(
        d,
        &format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::2154"}}}},"features":[{}]}}"#,
            square("BU99010000", 5.0)
        ),
    );
    assert!(
        e.contains("areas.geojson") && e.contains("unknown CRS") && e.contains("2154"),
        "{e}"
    );
    // A duplicate code (the second written differently, but the same after normalising).
    let e = build_fails(
        d,
        &format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            square("BU99010000", 5.0),
            square(" bu99010000", 5.1)
        ),
    );
    assert!(
        e.contains("duplicate area code BU99010000") && e.contains("features 0 and 1"),
        "{e}"
    );
    // A truncated GeoPackage.
    let gpkg = d.join("cut.gpkg");
    let full = match data_dir() {
        Some(data) => std::fs::read(data.join("nl/cbs_buurten_2021_ermelo_rd.gpkg")).unwrap(),
        None => {
            skip(
                "../shared/data not found: the truncated-GeoPackage case needs the Ermelo GeoPackage",
            );
            return;
        }
    };
    std::fs::write(&gpkg, &full[..full.len() / 3]).unwrap();
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        "geodata/examples/voorbeeld-buurten.csv",
        "--areas",
        gpkg.to_str().unwrap(),
        "--out",
        d.join("atlas").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("cut.gpkg") && e.to_lowercase().contains("geopackage"),
        "{e}"
    );
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

#[test]
fn the_national_2014_buurten_build_with_the_2024_kwb_joined() {
    let Some(nl) = nl_2014() else { return };
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("nl");
    build_nl_2014(&nl, &atlas, &[]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("build-report.json")).unwrap()).unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas.join("metadata.json")).unwrap()).unwrap();
    check_national_join(&nl, &report);
    check_national_metadata(&meta);
    check_national_fgb_has_every_area(&atlas, &meta, &report);
    check_national_levels_from_the_gemeente_file(&nl, &dir.path().join("nl5"));
}

/// The build report's join equals the join computed here from the raw files: 2014 statcodes
/// against 2024 KWB codes.
fn check_national_join(nl: &common::Nl2014, report: &serde_json::Value) {
    let topo_json: serde_json::Value = serde_json::from_str(&gunzip(&nl.topo)).unwrap();
    let polys: BTreeSet<String> = topo_json["objects"]["layer"]["geometries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g["properties"]["statcode"]
                .as_str()
                .unwrap()
                .trim()
                .to_uppercase()
        })
        .collect();
    let kwb_text = gunzip(&nl.kwb);
    let mut rdr = csv::Reader::from_reader(kwb_text.as_bytes());
    let codes: BTreeSet<String> = rdr
        .records()
        .map(|r| r.unwrap()[0].trim().to_uppercase())
        .collect();
    let matched = polys.intersection(&codes).count();
    let j = &report["join"];
    eprintln!(
        "2014 buurten × KWB 2024: {} polygons, {} score codes, {matched} matched",
        polys.len(),
        codes.len()
    );
    assert_eq!(polys.len(), 11_691);
    assert_eq!(j["polygons"], 11_691);
    assert_eq!(j["matched"], matched);
    assert_eq!(
        j["scores_without_polygon"].as_array().unwrap().len(),
        codes.len() - matched
    );
    assert_eq!(
        j["polygons_without_scores"].as_array().unwrap().len(),
        polys.len() - matched
    );
    assert!(
        matched < codes.len(),
        "many 2024 codes differ from 2014 codes"
    );
}

/// The national metadata.json: areas per level, bounds around the Netherlands, and only the
/// three levels without a gemeente file.
fn check_national_metadata(meta: &serde_json::Value) {
    assert_eq!(meta["levels"][0]["areas"], 11_691);
    assert!(
        meta["levels"][2]["areas"].as_u64().unwrap() > 390,
        "{}",
        meta["levels"][2]
    );
    let b: Vec<f64> = meta["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        b[0] > 3.0 && b[0] < 3.6 && b[2] > 7.0 && b[2] < 7.3 && b[1] > 50.7 && b[3] < 53.6,
        "{b:?}"
    );
    // Without a gemeente file, the optional COROP and provincie levels are left out, with a note.
    assert_eq!(meta["levels"].as_array().unwrap().len(), 3);
}

/// GDAL reads every feature of the national areas.fgb, the collapsed ones and their dissolved
/// parents included, and as many collapsed ones as the build report lists.
fn check_national_fgb_has_every_area(
    atlas: &Path,
    meta: &serde_json::Value,
    report: &serde_json::Value,
) {
    let n_areas: u64 = meta["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["areas"].as_u64().unwrap())
        .sum();
    if let Some(gdal) = gdal_dump(&atlas.join("areas.fgb"), &["code", "collapsed"]) {
        assert_eq!(gdal["count"], n_areas);
        assert_eq!(gdal["rows"].as_array().unwrap().len() as u64, n_areas);
        let collapsed = gdal["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["collapsed"] == true)
            .count();
        assert_eq!(collapsed, report["collapsed"].as_array().unwrap().len());
    }
}

/// With the 2015 gemeente file (built into `atlas5`): gemeenten from the file, and COROP
/// regions and provincies from its columns (40 COROP regions and 12 provincies in 2015).
fn check_national_levels_from_the_gemeente_file(nl: &common::Nl2014, atlas5: &Path) {
    let gm = nl.topo.with_file_name("cbs_gemeente_2015.topojson.gz");
    build_nl_2014(nl, atlas5, &["--areas", gm.to_str().unwrap(), "--no-tiles"]);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(atlas5.join("metadata.json")).unwrap()).unwrap();
    let levels: Vec<(String, u64)> = meta["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["areas"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(levels[3], ("corop".to_string(), 40));
    assert_eq!(levels[4], ("provincie".to_string(), 12));
    assert!(levels[2].1 >= 393, "{levels:?}");
    assert_eq!(meta["sources"][1]["level"], "gemeente");
}

#[test]
fn the_ermelo_geopackage_lands_in_ermelo() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found: the Ermelo test needs the CBS GeoPackage");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("ermelo");
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        data.join("nl/kwb_2024_buurt_subset.csv.gz")
            .to_str()
            .unwrap(),
        "--year",
        "2024",
        "--min-domains",
        "3",
        "--areas",
        data.join("nl/cbs_buurten_2021_ermelo_rd.gpkg")
            .to_str()
            .unwrap(),
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let Some(gdal) = gdal_dump(&atlas.join("areas.fgb"), &["code", "level"]) else {
        return;
    };
    let buurten: Vec<&serde_json::Value> = gdal["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "buurten")
        .collect();
    assert_eq!(buurten.len(), 17);
    for r in &buurten {
        let b: Vec<f64> = r["_bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (lon, lat) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        // Ermelo lies around 52.30 N, 5.62 E; its buurten within about 10 km of it.
        assert!(
            (lat - 52.30).abs() < 0.1 && (lon - 5.62).abs() < 0.15,
            "{} at {lat}, {lon}",
            r["code"]
        );
        assert!(r["code"].as_str().unwrap().starts_with("BU0233"));
    }
    assert_eq!(
        gdal["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["level"] == "gemeenten")
            .count(),
        1
    );
}

#[test]
fn the_demo_files_build_the_same_index_as_build_demo() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("demo");
    let o = run(&["demo", "--out", files.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("SYNTHETIC"), "{}", stdout(&o));
    let fgb = files.join("synthetisch-buurten.fgb");
    let csv = files.join("synthetisch-indicatoren.csv");
    // The comparison indicators are in the table, next to the profile's columns.
    let header = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    for c in [
        "buurtcode",
        "jaar",
        "a_inw",
        "p_hh_li",
        "lbm_fys",
        "opkomst",
        "energiearmoede",
        "ongezonde_leefstijl",
    ] {
        assert!(header.split(',').any(|h| h == c), "{c} missing in {header}");
    }
    let from_files = dir.path().join("a");
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        csv.to_str().unwrap(),
        "--areas",
        fgb.to_str().unwrap(),
        "--out",
        from_files.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let direct = dir.path().join("b");
    build_demo(&direct);
    assert!(
        std::fs::read(from_files.join("scores.csv")).unwrap()
            == std::fs::read(direct.join("scores.csv")).unwrap()
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from_files.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(
        meta["sources"][0]["epsg"], 28992,
        "the demo buurten are in RD New"
    );
    assert_eq!(meta["levels"][0]["areas"], 600);
    assert_eq!(meta["levels"][2]["areas"], 4);
    // GDAL reads the RD New file too.
    let Some(gdal) = gdal_dump(&fgb, &["buurtcode"]) else {
        return;
    };
    assert_eq!(gdal["crs"], "EPSG:28992");
    assert_eq!(gdal["count"], 600);
}

#[test]
fn build_refuses_to_replace_a_folder_that_is_not_an_atlas() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("mydata");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "precious").unwrap();
    let o = run(&[
        "build",
        "--demo",
        "--demo-areas",
        "50",
        "--out",
        folder.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not an mdi-atlas atlas"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("notes.txt")).unwrap(),
        "precious"
    );
    // An empty folder, and then the atlas written there, may be replaced.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for _ in 0..2 {
        let o = run(&[
            "build",
            "--demo",
            "--demo-areas",
            "50",
            "--out",
            empty.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

/// `build --from DIR` reads the tables (each with its year) and the area file that
/// `sources.json` lists, as `fetch` writes it or as a user writes it by hand (role, year and
/// path only): the same atlas as naming the files with --indicators and --areas.
#[test]
fn build_from_a_sources_folder_equals_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = run(&["demo", "--out", data.to_str().unwrap(), "--areas", "120"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        data.join("sources.json"),
        r#"{"files": [
            {"role": "table", "year": 2024, "path": "synthetisch-indicatoren.csv"},
            {"role": "areas", "year": 2015, "path": "/nonexistent/older-edition.fgb"},
            {"role": "areas", "year": 2024, "path": "synthetisch-buurten.fgb"}
        ]}"#,
    )
    .unwrap();
    let profile = "geodata/profiles/nl-cbs.toml";
    let from = dir.path().join("from");
    let o = run(&[
        "build",
        "--profile",
        profile,
        "--from",
        data.to_str().unwrap(),
        "--out",
        from.to_str().unwrap(),
        "--no-tiles",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let named = dir.path().join("named");
    let table = data.join("synthetisch-indicatoren.csv");
    let areas = data.join("synthetisch-buurten.fgb");
    let o = run(&[
        "build",
        "--profile",
        profile,
        "--indicators",
        &format!("2024={}", table.display()),
        "--areas",
        areas.to_str().unwrap(),
        "--out",
        named.to_str().unwrap(),
        "--no-tiles",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = std::fs::read(from.join("scores.csv")).unwrap();
    let b = std::fs::read(named.join("scores.csv")).unwrap();
    assert!(!a.is_empty());
    assert_eq!(
        a, b,
        "scores.csv differs between --from and the named files"
    );
    // Without a table the folder cannot make an atlas: the error names sources.json.
    std::fs::write(
        data.join("sources.json"),
        r#"{"files": [{"role": "areas", "year": 2024, "path": "synthetisch-buurten.fgb"}]}"#,
    )
    .unwrap();
    let o = run(&[
        "build",
        "--profile",
        profile,
        "--from",
        data.to_str().unwrap(),
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("sources.json") && err.contains("0 table(s)"),
        "{err}"
    );
}
