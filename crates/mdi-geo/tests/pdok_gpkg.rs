//! The Wijk- en Buurtkaart GeoPackage in the PDOK layout: layers `gemeenten`, `wijken` and
//! `buurten` in one file (RD New), CBS sentinels (−99,999,999) as missing, and the `water`
//! column (JA/NEE/B) kept and marked. The file is written by the test, in the layout of the
//! real 2021 file (`../shared/data/nl/cbs_buurten_2021_ermelo_rd.gpkg`, whose columns it uses).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use mdi_core::Profile;
use mdi_geo::hierarchy::assemble;
use mdi_geo::{ReadOptions, Value, read_area_layers};
use rusqlite::Connection;

/// A square polygon of `side` metres at (`x`, `y`), RD New, as GeoPackage binary (little-endian
/// header without envelope, then WKB).
fn square(x: f64, y: f64, side: f64) -> Vec<u8> {
    let ring = [
        (x, y),
        (x + side, y),
        (x + side, y + side),
        (x, y + side),
        (x, y),
    ];
    let mut out = vec![b'G', b'P', 0, 1];
    out.extend(28992i32.to_le_bytes());
    out.push(1);
    out.extend(6u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.push(1);
    out.extend(3u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend((ring.len() as u32).to_le_bytes());
    for (px, py) in ring {
        out.extend(px.to_le_bytes());
        out.extend(py.to_le_bytes());
    }
    out
}

/// (layer, code column, name column, rows of (code, name, water, inhabitants, x, y)).
type LayerRows<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str, &'a str, i64, f64, f64)>,
);

fn write_pdok_gpkg(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        r#"
        PRAGMA application_id = 1196444487;
        PRAGMA user_version = 10200;
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES
            ('Amersfoort / RD New', 28992, 'EPSG', 28992, 'PROJCS["Amersfoort / RD New"]', NULL);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME,
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
            m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
        "#,
    )
    .unwrap();
    for layer in pdok_layers() {
        write_layer(&conn, layer);
    }
}

/// Gemeente GM0001 has a land part and a water part under the same code (as CBS publishes
/// gemeenten with large waters); GM9999 is Belgian territory (water = B).
fn pdok_layers() -> Vec<LayerRows<'static>> {
    vec![
        (
            "gemeenten",
            "gemeentecode",
            "gemeentenaam",
            vec![
                ("GM0001", "Landstad", "NEE", 2400, 100_000.0, 400_000.0),
                (
                    "GM0001",
                    "Landstad",
                    "JA",
                    -99_999_999,
                    102_000.0,
                    400_000.0,
                ),
                ("GM9999", "", "B", -99_999_999, 110_000.0, 400_000.0),
            ],
        ),
        (
            "wijken",
            "wijkcode",
            "wijknaam",
            vec![
                ("WK000101", "Centrum", "NEE", 2400, 100_000.0, 400_000.0),
                ("WK000199", "", "JA", -99_999_999, 102_000.0, 400_000.0),
            ],
        ),
        (
            "buurten",
            "buurtcode",
            "buurtnaam",
            vec![
                (
                    "BU00010101",
                    "Oud Centrum",
                    "NEE",
                    1200,
                    100_000.0,
                    400_000.0,
                ),
                (
                    "BU00010102",
                    "Haven",
                    "NEE",
                    -99_999_999,
                    101_000.0,
                    400_000.0,
                ),
                ("BU00019901", "", "JA", -99_999_999, 102_000.0, 400_000.0),
            ],
        ),
    ]
}

fn write_layer(conn: &Connection, (table, code_col, name_col, rows): LayerRows) {
    {
        // Every PDOK layer names its gemeente; the gemeenten layer's own code is that column.
        let parent_col = if table == "gemeenten" {
            "gm_parent"
        } else {
            "gemeentecode"
        };
        conn.execute_batch(&format!(
            "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
                {code_col} TEXT, {name_col} TEXT, {parent_col} TEXT, water TEXT,
                aantal_inwoners INTEGER, percentage_personen_0_tot_15_jaar REAL);
             INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
                VALUES ('{table}', 'features', '{table}', 28992);
             INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'MULTIPOLYGON', 28992, 0, 0);"
        ))
        .unwrap();
        for (code, name, water, inhabitants, x, y) in rows {
            // Land parts of wijken and gemeenten cover both land buurten.
            let side: f64 = if table != "buurten" && water == "NEE" {
                2000.0
            } else {
                1000.0
            };
            conn.execute(
                &format!(
                    "INSERT INTO {table} (geom, {code_col}, {name_col}, {parent_col}, water, aantal_inwoners, percentage_personen_0_tot_15_jaar)
                     VALUES (?1, ?2, ?3, 'GM0001', ?4, ?5, ?6)"
                ),
                rusqlite::params![
                    square(x, y, side),
                    code,
                    name,
                    water,
                    inhabitants,
                    if inhabitants < 0 { -99_999_999.0 } else { 17.5 }
                ],
            )
            .unwrap();
        }
    }
}

fn nl_profile() -> Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/profiles/nl-cbs.toml");
    Profile::from_path(&path).unwrap()
}

#[test]
fn the_pdok_layout_is_read_level_by_level_with_sentinels_missing_and_water_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wijkenbuurten_2021.gpkg");
    write_pdok_gpkg(&path);
    let profile = nl_profile();
    let layers: Vec<String> = profile.levels.iter().map(|l| l.layer.clone()).collect();
    let sources = read_area_layers(&path, &ReadOptions::default(), &layers).unwrap();
    // One source per layer, in the profile's level order (buurten, wijken, gemeenten).
    let names: Vec<&str> = sources
        .iter()
        .map(|s| s.layer.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["buurten", "wijken", "gemeenten"]);
    let buurten = &sources[0];
    assert_eq!(buurten.features.len(), 3);
    let p = |i: usize, k: &str| buurten.features[i].properties[k].clone();
    assert_eq!(p(0, "aantal_inwoners"), Value::Int(1200));
    assert_eq!(
        p(0, "percentage_personen_0_tot_15_jaar"),
        Value::Float(17.5)
    );
    // −99,999,999 is CBS's "secret or unknown": missing, never a number.
    assert_eq!(p(1, "aantal_inwoners"), Value::Null);
    assert_eq!(p(1, "percentage_personen_0_tot_15_jaar"), Value::Null);

    let h = assemble(&profile, None, &sources).unwrap();
    let level = |id: &str| h.levels.iter().find(|l| l.level.id == id).unwrap();
    let buurt = level("buurt");
    let water: Vec<(&str, bool)> = buurt
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.water))
        .collect();
    assert_eq!(
        water,
        [
            ("BU00010101", false),
            ("BU00010102", false),
            ("BU00019901", true)
        ]
    );
    assert_eq!(buurt.areas[0].name, "Oud Centrum");
    // The gemeente's water part is kept beside its land part, marked water; the Belgian
    // record (water = B) is kept too, not as water.
    let gemeenten = level("gemeente");
    let g: Vec<(&str, bool)> = gemeenten
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.water))
        .collect();
    assert_eq!(
        g,
        [("GM0001", false), ("GM0001-water", true), ("GM9999", false)]
    );
    assert_eq!(gemeenten.areas[0].name, "Landstad");
    let wijk = level("wijk");
    assert!(wijk.areas.iter().any(|a| a.code == "WK000199" && a.water));
    // Every level came from its own layer: nothing was dissolved.
    assert!(wijk.areas.iter().all(|a| a.source.is_some()));
}

#[test]
fn the_real_ermelo_geopackage_is_read() {
    let data = std::env::var_os("MDI_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = data.join("nl/cbs_buurten_2021_ermelo_rd.gpkg");
    if !path.exists() {
        eprintln!("SKIPPED: {} is absent", path.display());
        return;
    }
    let profile = nl_profile();
    let layers: Vec<String> = profile.levels.iter().map(|l| l.layer.clone()).collect();
    let sources = read_area_layers(&path, &ReadOptions::default(), &layers).unwrap();
    assert_eq!(sources.len(), 1, "one layer (CBS_Buurten)");
    assert_eq!(sources[0].features.len(), 17);
    // One buurt holds −99999999 in `mannen`, `vrouwen`, `dekkingspercentage` and
    // `omgevingsadressendichtheid` (counted with sqlite3): read as missing; the others are
    // counts.
    for column in [
        "mannen",
        "vrouwen",
        "dekkingspercentage",
        "omgevingsadressendichtheid",
    ] {
        let nulls = sources[0]
            .features
            .iter()
            .filter(|f| f.properties.get(column) == Some(&Value::Null))
            .count();
        assert_eq!(nulls, 1, "{column}");
    }
    assert!(
        sources[0]
            .features
            .iter()
            .filter_map(|f| f.properties.get("mannen").and_then(Value::as_f64))
            .all(|v| v >= 0.0)
    );
    let h = assemble(&profile, None, &sources).unwrap();
    assert_eq!(h.levels[0].areas.len(), 17);
    assert!(
        h.levels[0]
            .areas
            .iter()
            .all(|a| a.code.starts_with("BU0233"))
    );
}
