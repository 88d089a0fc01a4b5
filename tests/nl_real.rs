//! The real national atlas from `../shared/data` (issue 13): the 2020 buurt geometry with the
//! 2024 KWB subset and the 2024 StatLine "CSV with titles" export (names, age groups) for 2024,
//! and the 2017 StatLine export for 2017, built with the command of README.md ("Use real CBS
//! data"), then served. Checks the join per year, names at every level (search), and a reason
//! in `/api/areas` for every area that is grey in either year, all of them.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{data_dir, run, skip, stderr};
use http_body_util::BodyExt;
use mdi_geo::{ReadOptions, Value};
use mdi_server::{AppState, ServeConfig};
use tower::ServiceExt;

/// The atlas, built once for the tests of this file; `None` without the shared data.
fn atlas() -> Option<&'static Path> {
    static DIR: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    DIR.get_or_init(|| {
        let Some(data) = data_dir() else {
            skip("../shared/data is absent: the real national atlas is not built");
            return None;
        };
        let nl = data.join("nl");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nl-real");
        let arg = |year: &str, file: &str| format!("{year}={}", nl.join(file).display());
        let o = run(&[
            "build",
            "--profile",
            "geodata/profiles/nl-cbs.toml",
            "--indicators",
            &arg("2024", "kwb_2024_buurt_subset.csv.gz"),
            "--indicators",
            &arg("2024", "kwb_2024_statline_leeftijd.csv.gz"),
            "--indicators",
            &arg("2017", "kwb_2017_statline_export.csv.gz"),
            "--areas",
            nl.join("cbs_buurt_2020.topojson.gz").to_str().unwrap(),
            "--min-domains",
            "1",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        eprintln!("{}", stderr(&o));
        Some((dir, out))
    })
    .as_ref()
    .map(|(_, p)| p.as_path())
}

fn app(dir: &Path) -> Router {
    let mut config = ServeConfig::new(dir.to_path_buf());
    config.watch = None;
    mdi_server::router(AppState::new(config).unwrap())
}

async fn get_json(app: &Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let (status, body) = get_bytes(app, uri).await;
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_join_per_year_reports_matched_new_and_gone_codes() {
    let Some(dir) = atlas() else { return };
    let report = read_json(&dir.join("build-report.json"));
    let by_year = report["join"]["by_year"].as_array().unwrap();
    let year = |y: i64| by_year.iter().find(|j| j["year"] == y).unwrap();
    for j in by_year {
        eprintln!(
            "{}: {} codes, {} matched, {} without polygon, {} polygons without a row, {} new, {} gone",
            j["year"],
            j["score_codes"],
            j["matched"],
            j["scores_without_polygon"].as_array().unwrap().len(),
            j["polygons_without_scores"],
            j["new_codes"].as_array().unwrap().len(),
            j["gone_codes"].as_array().unwrap().len(),
        );
    }
    // 11,851 codes of the 2020 geometry are in the 2024 subset (../shared/data/README.md).
    let m2024 = year(2024)["matched"].as_u64().unwrap();
    assert!(m2024 >= 11_800, "2024: {m2024} buurten matched");
    // The Amsterdam code of the issue is in 2024, without a 2020 polygon.
    assert!(
        year(2024)["scores_without_polygon"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "BU0363KA05")
    );
    // New and gone are the set differences of the two years' codes.
    let n17 = year(2017)["score_codes"].as_u64().unwrap();
    let n24 = year(2024)["score_codes"].as_u64().unwrap();
    let new = year(2024)["new_codes"].as_array().unwrap().len() as u64;
    let gone = year(2024)["gone_codes"].as_array().unwrap().len() as u64;
    assert_eq!(n24 - new, n17 - gone, "codes common to 2017 and 2024");
    let meta = read_json(&dir.join("metadata.json"));
    for y in meta["year_info"].as_array().unwrap() {
        eprintln!(
            "{}: domains with data {}, missing {}, ranked {}, grey {}",
            y["year"], y["domains_with_data"], y["domains_missing"], y["ranked"], y["grey"]
        );
    }
}

#[tokio::test]
async fn gemeenten_and_wijken_are_found_by_their_real_names() {
    let Some(dir) = atlas() else { return };
    let app = app(dir);
    for (q, code, level) in [
        ("Almelo", "GM0141", "gemeenten"),
        ("Amsterdam", "GM0363", "gemeenten"),
    ] {
        let (_, r) = get_json(&app, &format!("/api/search?q={q}")).await;
        let first = &r["results"][0];
        assert_eq!(first["code"], code, "{q}: {r}");
        assert_eq!(first["name"], q);
        assert_eq!(first["level"], level);
    }
    let (_, r) = get_json(&app, "/api/search?q=Wijk%2001").await;
    let hits = r["results"].as_array().unwrap();
    assert!(!hits.is_empty(), "{r}");
    assert!(
        hits.iter()
            .all(|h| h["level"] == "wijken" && h["name"].as_str().unwrap().starts_with("Wijk 01")),
        "{r}"
    );
    // A buurt by name, and its wijk and gemeente named as well.
    let (_, r) = get_json(&app, "/api/areas/BU01411000").await;
    assert_eq!(r["name"], "Binnenstad Noord", "{r}");
    let parents: Vec<&str> = r["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(parents, ["Binnenstad", "Almelo"]);
}

#[tokio::test]
async fn every_grey_area_has_its_reason_in_the_api() {
    let Some(dir) = atlas() else { return };
    let app = app(dir);
    let meta = read_json(&dir.join("metadata.json"));
    let years: Vec<i64> = meta["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect();
    assert_eq!(years, [2017, 2024]);
    // Grey: a buurt of areas.fgb without an MDI decile in a year.
    let mut grey: Vec<(String, usize)> = Vec::new();
    mdi_geo::read::each_fgb_feature(&dir.join("areas.fgb"), &ReadOptions::default(), &mut |f| {
        let p = &f.properties;
        if p.get("level").and_then(Value::as_text).as_deref() == Some("buurten") {
            for (yi, y) in years.iter().enumerate() {
                if p.get(&format!("mdi_decile_{y}"))
                    .and_then(Value::as_f64)
                    .is_none()
                {
                    grey.push((p["code"].as_text().unwrap().to_string(), yi));
                }
            }
        }
        Ok(())
    })
    .unwrap();
    assert!(grey.len() > 1000, "{} grey area-years", grey.len());
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for (code, yi) in &grey {
        let (status, r) = get_json(&app, &format!("/api/areas/{code}")).await;
        assert_eq!(status, StatusCode::OK, "{code}");
        let year = &r["years"][*yi];
        let reason = year["reason"]
            .as_str()
            .unwrap_or_else(|| panic!("{code} is grey in {} without a reason: {year}", years[*yi]));
        *by_reason.entry(reason.to_string()).or_default() += 1;
    }
    eprintln!("grey area-years by reason: {by_reason:?}");
    // The counts agree with the metadata's.
    for (yi, y) in meta["year_info"].as_array().unwrap().iter().enumerate() {
        let in_api = grey.iter().filter(|(_, i)| *i == yi).count() as u64;
        let in_meta: u64 = y["grey"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(in_api, in_meta, "year {}", y["year"]);
    }
    // A code with scores but no polygon is served, marked as such.
    let (status, r) = get_json(&app, "/api/areas/BU0363KA05").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["polygon"], false, "{r}");
}

async fn get_bytes(app: &Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

/// Issue 17: a gemeente's downloads (`/downloads/GM0141_rd.gpkg`, `_wgs84.gpkg`, `.csv`; the
/// same files `mdi-atlas publish` writes) read by GDAL: the declared CRS, a layer per level
/// with as many features as the source geometry has buurten in Almelo (and their distinct wijk
/// codes), the names StatLine gives those codes, coordinates inside the Netherlands in each CRS,
/// and the CSV with one row per feature. Areas that are not gemeenten have no downloads.
#[tokio::test]
async fn a_gemeente_geopackage_opens_in_gdal_with_its_crs_names_and_counts() {
    let Some(dir) = atlas() else { return };
    let nl = data_dir().unwrap().join("nl");
    let app = app(dir);
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = BTreeMap::new();
    for file in ["GM0141_rd.gpkg", "GM0141_wgs84.gpkg", "GM0141.csv"] {
        let (status, body) = get_bytes(&app, &format!("/downloads/{file}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{file}: {}",
            String::from_utf8_lossy(&body)
        );
        let path = tmp.path().join(file);
        std::fs::write(&path, body).unwrap();
        paths.insert(file, path);
    }
    for (file, epsg, x, y) in [
        (
            "GM0141_rd.gpkg",
            28992,
            (0.0, 300_000.0),
            (300_000.0, 625_000.0),
        ),
        ("GM0141_wgs84.gpkg", 4326, (3.0, 7.3), (50.7, 53.7)),
    ] {
        let epsg_text = epsg.to_string();
        let geometry = nl.join("cbs_buurt_2020.topojson.gz");
        let statline = nl.join("kwb_2024_statline_leeftijd.csv.gz");
        let refs: [&std::ffi::OsStr; 6] = [
            paths[file].as_os_str(),
            epsg_text.as_ref(),
            "GM0141".as_ref(),
            geometry.as_os_str(),
            statline.as_os_str(),
            paths["GM0141.csv"].as_os_str(),
        ];
        let Some(r) = common::python_json("gpkg_check.py", &refs) else {
            return;
        };
        let expected = &r["expected"];
        assert!(expected["buurten"].as_u64().unwrap() > 50, "{r}");
        for level in ["buurten", "wijken", "gemeenten"] {
            let l = &r["layers"][level];
            assert_eq!(l["features"], expected[level], "{file} {level}: {r}");
            assert_eq!(l["crs"], format!("EPSG:{epsg}"), "{file} {level}");
            assert_eq!(l["geometry_type"], "MultiPolygon", "{file} {level}");
            assert_eq!(l["null_geometries"], 0, "{file} {level}");
            assert_eq!(l["codes_outside"], serde_json::json!([]), "{file} {level}");
            let b: Vec<f64> = serde_json::from_value(l["bounds"].clone()).unwrap();
            assert!(
                b[0] > x.0 && b[2] < x.1 && b[1] > y.0 && b[3] < y.1,
                "{file} {level} bounds {b:?}"
            );
            let columns = l["columns"].as_array().unwrap();
            for c in [
                "code",
                "name",
                "parent",
                "mdi_decile_2024",
                "mdi_score_2024",
            ] {
                assert!(
                    columns.iter().any(|x| x == c),
                    "{file} {level} lacks {c}: {columns:?}"
                );
            }
        }
        assert!(r["names_compared"].as_u64().unwrap() >= 70, "{r}");
        assert_eq!(r["name_mismatches"], serde_json::json!([]), "{r}");
        assert_eq!(r["csv"]["rows"], r["features"], "{r}");
        println!(
            "{file} in GDAL: {} buurten, {} wijken, {} gemeente (source: {}), {} names equal StatLine",
            r["layers"]["buurten"]["features"],
            r["layers"]["wijken"]["features"],
            r["layers"]["gemeenten"]["features"],
            expected,
            r["names_compared"]
        );
        let lon: Vec<f64> = serde_json::from_value(r["csv"]["lon_range"].clone()).unwrap();
        assert!(
            lon[0] > 6.0 && lon[1] < 7.0,
            "Almelo lies near 6.65° E: {lon:?}"
        );
    }
    for bad in ["BU01411000.csv", "GM9999_rd.gpkg", "GM0141.gpkg", "GM0141"] {
        let (status, _) = get_bytes(&app, &format!("/downloads/{bad}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
}
