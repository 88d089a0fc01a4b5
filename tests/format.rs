//! The atlas format across versions: an atlas of the previous release (before
//! `format_version` existed) is still read by every stage, and one of a newer major version is
//! refused with an error that says so.
//!
//! The previous release's atlas is generated here, not stored: a small demo atlas is built and
//! its `metadata.json` rewritten into the exact shape the previous release wrote (the keys it
//! had, sorted as its `json!` writer sorted them, no `format_version`, no domain `names`).

mod common;

use std::path::Path;

use common::{run, stderr};
use serde_json::{Map, Value};

/// The keys of `metadata.json` as the release before the format crate wrote them.
const PREVIOUS_RELEASE_KEYS: [&str; 18] = [
    "attribution",
    "bounds",
    "built_at",
    "counts",
    "crs",
    "description",
    "domains",
    "files",
    "generator",
    "levels",
    "profile",
    "ranking",
    "sources",
    "synthetic",
    "tables",
    "title",
    "weights_total",
    "years",
];

/// The keys of a domain in that release.
const PREVIOUS_DOMAIN_KEYS: [&str; 3] = ["id", "name", "weight"];

fn build_demo(out: &Path) {
    let o = run(&[
        "build",
        "--demo",
        "--demo-areas",
        "60",
        "--demo-years",
        "2022",
        "2024",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

/// Rewrites `metadata.json` of `dir` as the previous release wrote it.
fn downgrade(dir: &Path) {
    let path = dir.join("metadata.json");
    let meta = read_json(&path);
    let mut old = Map::new();
    for key in PREVIOUS_RELEASE_KEYS {
        let value = meta
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} missing"));
        old.insert(key.to_string(), value);
    }
    let domains: Vec<Value> = meta["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| {
            Value::Object(
                PREVIOUS_DOMAIN_KEYS
                    .iter()
                    .map(|k| (k.to_string(), d[*k].clone()))
                    .collect(),
            )
        })
        .collect();
    old.insert("domains".into(), Value::Array(domains));
    // serde_json's map is sorted by key, as the previous release's `json!` output was.
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&Value::Object(old)).expect("json"),
    )
    .expect("write");
}

fn tile_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("atlas.pmtiles")).expect("archive")
}

#[test]
fn the_current_atlas_says_its_format_version() {
    let tmp = tempfile::tempdir().expect("tmp");
    let atlas = tmp.path().join("atlas");
    build_demo(&atlas);
    let meta = read_json(&atlas.join("metadata.json"));
    assert_eq!(
        meta["format_version"],
        mdi_format::FORMAT_VERSION.to_string()
    );
    // The Dutch profile names its domains in English too.
    assert_eq!(
        meta["domains"][0]["names"]["en"], "Income",
        "{}",
        meta["domains"][0]
    );
}

#[test]
fn an_atlas_of_the_previous_release_is_read_by_the_tiler_and_the_server() {
    let tmp = tempfile::tempdir().expect("tmp");
    let atlas = tmp.path().join("atlas");
    build_demo(&atlas);
    let tiles_now = tile_bytes(&atlas);
    downgrade(&atlas);
    let meta = read_json(&atlas.join("metadata.json"));
    assert!(meta.get("format_version").is_none());

    // The tiler reads it, and its tiles are those of the current atlas, byte for byte.
    let o = run(&["tiles", atlas.to_str().expect("UTF-8")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(tile_bytes(&atlas), tiles_now);

    // The server loads it: the same years, domains and levels, read as version 1.0.
    let loaded = mdi_server::Atlas::load(&atlas).expect("the server reads the old atlas");
    assert_eq!(loaded.meta.format_version, "1.0");
    assert_eq!(loaded.meta.years, vec![2022, 2023, 2024]);
    let ids: Vec<&str> = loaded.meta.domains.iter().map(|d| d.id.as_str()).collect();
    let expected: Vec<&str> = meta["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .map(|d| d["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, expected);
    assert!(loaded.meta.domains.iter().all(|d| d.names.is_empty()));
    assert_eq!(loaded.meta.levels.len(), 3);
    assert_eq!(
        loaded.areas.list.len(),
        meta["counts"]["areas"].as_u64().expect("n") as usize
    );
}

#[test]
fn an_atlas_of_a_newer_major_version_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let atlas = tmp.path().join("atlas");
    build_demo(&atlas);
    let path = atlas.join("metadata.json");
    let mut meta = read_json(&path);
    meta["format_version"] = Value::from("2.0");
    std::fs::write(&path, serde_json::to_vec_pretty(&meta).expect("json")).expect("write");

    let o = run(&["tiles", atlas.to_str().expect("UTF-8")]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("metadata.json") && e.contains("format_version 2.0") && e.contains("newer"),
        "{e}"
    );
    let e = mdi_server::Atlas::load(&atlas)
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains("metadata.json") && e.contains("2.0") && e.contains("upgrade"),
        "{e}"
    );
    // A minor version above ours only adds fields: it is read.
    meta["format_version"] = Value::from(format!("{}.99", mdi_format::FORMAT_VERSION.major));
    meta["a_field_of_the_future"] = Value::from(true);
    std::fs::write(&path, serde_json::to_vec_pretty(&meta).expect("json")).expect("write");
    mdi_server::Atlas::load(&atlas).expect("a newer minor version is read");
}
