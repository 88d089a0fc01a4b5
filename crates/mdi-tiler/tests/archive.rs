#![allow(clippy::unwrap_used)]
//! The archive writers, read back independently: the PMTiles header parsed by hand and every tile
//! read through python's `pmtiles` reader, the MBTiles through SQLite and GDAL (`pyogrio`). The
//! python parts print `SKIPPED: reason` when python or the package is missing.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use geozero::mvt::{Message, Tile, tile};
use mdi_tiler::archive::{ArchiveMeta, ArchiveStats, write_mbtiles, write_pmtiles};
use mdi_tiler::{TileCoord, TilerError};
use serde_json::{Value, json};

const fn coord(z: u8, x: u32, y: u32) -> TileCoord {
    TileCoord { z, x, y }
}

/// A gzipped MVT tile with one point feature in layer `areas`, whose `code` is `code`.
fn mvt(code: &str) -> Vec<u8> {
    let tile = Tile {
        layers: vec![tile::Layer {
            version: 2,
            name: "areas".to_owned(),
            features: vec![tile::Feature {
                id: Some(u64::from(code.as_bytes()[0])),
                tags: vec![0, 0],
                r#type: Some(tile::GeomType::Point as i32),
                // MoveTo(1) to (2048, 2048), zigzag-encoded.
                geometry: vec![9, 4096, 4096],
            }],
            keys: vec!["code".to_owned()],
            values: vec![tile::Value {
                string_value: Some(code.to_owned()),
                ..Default::default()
            }],
            extent: Some(4096),
        }],
    };
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&tile.encode_to_vec()).unwrap();
    gz.finish().unwrap()
}

fn meta() -> ArchiveMeta {
    let mut extra = serde_json::Map::new();
    extra.insert(
        "vector_layers".to_owned(),
        json!([{"id": "areas", "fields": {"code": "String"}, "minzoom": 0, "maxzoom": 2,
                "description": "Test areas"}]),
    );
    extra.insert("mdi".to_owned(), json!({"years": [2019, 2025]}));
    ArchiveMeta {
        name: "Test atlas".to_owned(),
        description: "Archive writer test".to_owned(),
        attribution: "© test".to_owned(),
        version: "1.2.3".to_owned(),
        bounds: [-8.65, 49.86, 1.77, 60.86],
        center: [-2.5, 54.0, 1.0],
        min_zoom: 0,
        max_zoom: 2,
        json: extra,
    }
}

/// Seven tiles with five distinct contents. `S` appears at 1/0/1 and 1/1/1 (tile ids 2 and 3: one
/// run) and at 2/0/0 (tile id 5, after `C` at id 4: a second entry for the same content).
fn tiles() -> Vec<(TileCoord, Vec<u8>)> {
    vec![
        (coord(0, 0, 0), mvt("W")),
        (coord(1, 0, 0), mvt("B")),
        (coord(1, 0, 1), mvt("S")),
        (coord(1, 1, 1), mvt("S")),
        (coord(1, 1, 0), mvt("C")),
        (coord(2, 0, 0), mvt("S")),
        (coord(2, 3, 3), mvt("D")),
    ]
}

/// A fixed permutation of `tiles()`.
fn shuffled() -> Vec<(TileCoord, Vec<u8>)> {
    let mut tiles = tiles();
    tiles.reverse();
    tiles.rotate_left(3);
    tiles.swap(0, 4);
    tiles
}

fn by_coord(tiles: &[(TileCoord, Vec<u8>)]) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
    tiles
        .iter()
        .map(|(c, data)| ((c.z, c.x, c.y), data.clone()))
        .collect()
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `Ok(())` if `python3 -c "import {module}"` works, else why not. In CI (`CI` set), where
/// `.ci/run` installs the Python readers, a missing one fails the test instead of skipping it.
fn python_with(module: &str) -> Result<(), String> {
    let found = python_import(module);
    if let Err(why) = &found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{why} (CI is set: .ci/run installs the Python readers, so this is a failure)"
        );
    }
    found
}

fn python_import(module: &str) -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "python3 cannot import {module}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("no python3: {e}")),
    }
}

/// Runs a python script with `args`, and returns its standard output.
fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn i32_at(bytes: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn pmtiles_header_metadata_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.pmtiles");
    let tiles = tiles();
    let stats = write_pmtiles(&path, &meta(), &tiles).unwrap();
    let bytes = fs::read(&path).unwrap();
    assert_eq!(
        stats,
        ArchiveStats {
            tiles: 7,
            unique_tiles: 5,
            bytes: bytes.len() as u64
        }
    );
    assert_eq!(dir_entries(dir.path()), ["atlas.pmtiles"]);

    // The 127-byte header of the PMTiles v3 spec.
    assert_eq!(&bytes[0..7], b"PMTiles");
    assert_eq!(bytes[7], 3, "version");
    let root_offset = u64_at(&bytes, 8);
    let root_length = u64_at(&bytes, 16);
    let metadata_offset = u64_at(&bytes, 24);
    let metadata_length = u64_at(&bytes, 32);
    let data_offset = u64_at(&bytes, 56);
    let data_length = u64_at(&bytes, 64);
    assert_eq!(root_offset, 127);
    assert!(root_length > 0);
    assert_eq!(u64_at(&bytes, 72), 7, "addressed tiles");
    assert_eq!(
        u64_at(&bytes, 80),
        6,
        "tile entries (the run of two S is one)"
    );
    assert_eq!(u64_at(&bytes, 88), 5, "tile contents");
    assert_eq!(bytes[96], 1, "clustered");
    assert_eq!(bytes[97], 2, "internal compression gzip");
    assert_eq!(bytes[98], 2, "tile compression gzip");
    assert_eq!(bytes[99], 1, "tile type MVT");
    assert_eq!((bytes[100], bytes[101]), (0, 2), "zoom range");
    assert_eq!(
        [
            i32_at(&bytes, 102),
            i32_at(&bytes, 106),
            i32_at(&bytes, 110),
            i32_at(&bytes, 114)
        ],
        [-86_500_000, 498_600_000, 17_700_000, 608_600_000],
        "bounds in 1e-7 degrees"
    );
    assert_eq!(bytes[118], 1, "center zoom");
    assert_eq!(
        [i32_at(&bytes, 119), i32_at(&bytes, 123)],
        [-25_000_000, 540_000_000]
    );

    // The tiles are stored once each, as given: not gzipped again.
    let unique: BTreeMap<&[u8], ()> = tiles.iter().map(|(_, d)| (d.as_slice(), ())).collect();
    let unique_len: usize = unique.keys().map(|d| d.len()).sum();
    assert_eq!(data_length, unique_len as u64);
    let data = &bytes[data_offset as usize..(data_offset + data_length) as usize];
    for tile in unique.keys() {
        assert!(
            data.windows(tile.len()).any(|w| w == *tile),
            "a tile is missing from the data section"
        );
    }

    // The metadata: gzipped JSON with the fields and the extra JSON.
    let metadata = &bytes[metadata_offset as usize..(metadata_offset + metadata_length) as usize];
    let metadata: Value = serde_json::from_slice(&gunzip(metadata)).unwrap();
    assert_eq!(metadata["name"], "Test atlas");
    assert_eq!(metadata["description"], "Archive writer test");
    assert_eq!(metadata["attribution"], "© test");
    assert_eq!(metadata["version"], "1.2.3");
    assert_eq!(metadata["format"], "pbf");
    assert_eq!(metadata["bounds"], json!([-8.65, 49.86, 1.77, 60.86]));
    assert_eq!(metadata["center"], json!([-2.5, 54.0, 1]));
    assert_eq!(metadata["minzoom"], 0);
    assert_eq!(metadata["maxzoom"], 2);
    assert_eq!(metadata["vector_layers"][0]["id"], "areas");
    assert_eq!(metadata["mdi"]["years"], json!([2019, 2025]));
}

#[test]
fn pmtiles_read_by_python() {
    if let Err(why) = python_with("pmtiles") {
        println!("SKIPPED: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.pmtiles");
    let tiles = tiles();
    write_pmtiles(&path, &meta(), &tiles).unwrap();

    // Every tile through the directory walk and through lookups by coordinate.
    let script = r#"
import json, sys
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    source = MmapSource(f)
    reader = Reader(source)
    walked = {"%d/%d/%d" % zxy: data.hex() for zxy, data in all_tiles(source)}
    looked_up = {k: reader.get(*map(int, k.split("/"))).hex() for k in walked}
    missing = reader.get(2, 1, 1)
    print(json.dumps({"walked": walked, "looked_up": looked_up, "missing": missing is None,
                      "metadata": reader.metadata()}))
"#;
    let out: Value = serde_json::from_str(&python(script, &[&path])).unwrap();
    let expected: BTreeMap<String, Value> = by_coord(&tiles)
        .into_iter()
        .map(|((z, x, y), data)| (format!("{z}/{x}/{y}"), json!(hex(&data))))
        .collect();
    let expected = Value::Object(expected.into_iter().collect());
    assert_eq!(out["walked"], expected);
    assert_eq!(out["looked_up"], expected);
    assert_eq!(out["missing"], true);
    assert_eq!(out["metadata"]["name"], "Test atlas");
    assert_eq!(out["metadata"]["vector_layers"][0]["id"], "areas");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn mbtiles_schema_rows_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.mbtiles");
    let tiles = tiles();
    let stats = write_mbtiles(&path, &meta(), &tiles).unwrap();
    assert_eq!(
        stats,
        ArchiveStats {
            tiles: 7,
            unique_tiles: 5,
            bytes: fs::metadata(&path).unwrap().len()
        }
    );
    // No temporary file, no -journal or -wal.
    assert_eq!(dir_entries(dir.path()), ["atlas.mbtiles"]);

    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();

    assert_eq!(tiles_view(&conn), by_coord(&tiles));
    assert_martin_schema(&conn);
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM map"), 7);
    assert_eq!(count("SELECT count(*) FROM images"), 5);
    assert_eq!(
        count(
            "SELECT count(*) FROM map LEFT JOIN images USING (tile_id) WHERE images.tile_id IS NULL"
        ),
        0
    );
    assert_eq!(
        conn.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        0x4d50_4258
    );
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_ne!(journal, "wal");

    assert_mbtiles_metadata(&conn);
}

/// The tiles read through the `tiles` view, by XYZ coordinate (the rows are TMS, from the
/// south).
fn tiles_view(conn: &rusqlite::Connection) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
    let mut read = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, u8>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (z, x, tms, data) = row.unwrap();
        let y = (1u32 << z) - 1 - tms;
        assert!(read.insert((z, x, y), data).is_none());
    }
    read
}

/// The normalized schema as Martin detects it: column names and declared types exactly, the
/// `tiles` view, and a unique index on exactly the three coordinates of `map`.
fn assert_martin_schema(conn: &rusqlite::Connection) {
    let columns = |table: &str| -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
            .unwrap();
        stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        columns("map"),
        pairs(&[
            ("zoom_level", "INTEGER"),
            ("tile_column", "INTEGER"),
            ("tile_row", "INTEGER"),
            ("tile_id", "TEXT")
        ])
    );
    assert_eq!(
        columns("images"),
        pairs(&[("tile_id", "TEXT"), ("tile_data", "BLOB")])
    );
    let kind = |name: &str| -> String {
        conn.query_row(
            "SELECT type FROM sqlite_master WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(kind("tiles"), "view");
    assert_eq!(kind("map"), "table");
    assert_eq!(kind("images"), "table");
    assert_eq!(kind("metadata"), "table");
    // A unique index on exactly the three coordinates of `map`.
    let unique_index_columns: Vec<String> = conn
        .prepare(
            "SELECT ii.name FROM pragma_index_list('map') AS il, pragma_index_info(il.name) AS ii \
             WHERE il.[unique] = 1 ORDER BY ii.seqno",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        unique_index_columns,
        ["zoom_level", "tile_column", "tile_row"]
    );
}

/// The metadata rows of the test archive.
fn assert_mbtiles_metadata(conn: &rusqlite::Connection) {
    let metadata: BTreeMap<String, String> = conn
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(metadata["name"], "Test atlas");
    assert_eq!(metadata["description"], "Archive writer test");
    assert_eq!(metadata["attribution"], "© test");
    assert_eq!(metadata["version"], "1.2.3");
    assert_eq!(metadata["format"], "pbf");
    assert_eq!(metadata["type"], "overlay");
    assert_eq!(metadata["bounds"], "-8.65,49.86,1.77,60.86");
    assert_eq!(metadata["center"], "-2.5,54,1");
    assert_eq!(metadata["minzoom"], "0");
    assert_eq!(metadata["maxzoom"], "2");
    let extra: Value = serde_json::from_str(&metadata["json"]).unwrap();
    assert_eq!(extra, Value::Object(meta().json));
    assert!(metadata.contains_key("agg_tiles_hash"));
}

/// The tile ids and `agg_tiles_hash` are the MD5s Martin's `mbtiles validate` computes, checked
/// with python's hashlib.
#[test]
fn mbtiles_hashes_match_martins() {
    if let Err(why) = python_with("sqlite3, hashlib") {
        println!("SKIPPED: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.mbtiles");
    write_mbtiles(&path, &meta(), &tiles()).unwrap();
    let script = r#"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
bad = [i for i, d in db.execute("SELECT tile_id, tile_data FROM images")
       if hashlib.md5(d).hexdigest().upper() != i]
agg = hashlib.md5()
for z, x, y, d in db.execute(
        "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
        "ORDER BY zoom_level, tile_column, tile_row"):
    agg.update(str(z).encode() + str(x).encode() + str(y).encode() + d)
stored = db.execute("SELECT value FROM metadata WHERE name = 'agg_tiles_hash'").fetchone()[0]
print(len(bad), agg.hexdigest().upper() == stored)
"#;
    assert_eq!(python(script, &[&path]).trim(), "0 True");
}

/// GDAL opens both archives and reads the layer of `vector_layers` and its features.
#[test]
fn gdal_opens_both_archives() {
    if let Err(why) = python_with("pyogrio") {
        println!("SKIPPED: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mbtiles = dir.path().join("atlas.mbtiles");
    let pmtiles = dir.path().join("atlas.pmtiles");
    write_mbtiles(&mbtiles, &meta(), &tiles()).unwrap();
    write_pmtiles(&pmtiles, &meta(), &tiles()).unwrap();
    let script = r#"
import json, sys
import pyogrio
from pyogrio.raw import read
out = {}
for path in sys.argv[1:]:
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    meta, _, geometry, fields = read(path, layer="areas")
    out[path.rsplit(".", 1)[1]] = {
        "layers": layers,
        "driver": pyogrio.read_info(path, layer="areas")["driver"],
        "features": len(geometry),
        "codes": sorted(str(c) for c in fields[list(meta["fields"]).index("code")]),
    }
print(json.dumps(out))
"#;
    let out: Value = serde_json::from_str(&python(script, &[&mbtiles, &pmtiles])).unwrap();
    // GDAL reads the highest zoom by default: 2/0/0 (S) and 2/3/3 (D).
    assert_eq!(
        out["mbtiles"],
        json!({"layers": ["areas"], "driver": "MBTiles", "features": 2, "codes": ["D", "S"]})
    );
    assert_eq!(
        out["pmtiles"],
        json!({"layers": ["areas"], "driver": "PMTiles", "features": 2, "codes": ["D", "S"]})
    );
}

#[test]
fn same_tiles_in_any_order_give_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| -> PathBuf { dir.path().join(name) };
    assert_ne!(by_coord(&tiles()).len(), 0);
    assert_ne!(
        tiles().iter().map(|t| t.0).collect::<Vec<_>>(),
        shuffled().iter().map(|t| t.0).collect::<Vec<_>>()
    );

    write_pmtiles(&path("a.pmtiles"), &meta(), &tiles()).unwrap();
    write_pmtiles(&path("b.pmtiles"), &meta(), &shuffled()).unwrap();
    assert_eq!(
        fs::read(path("a.pmtiles")).unwrap(),
        fs::read(path("b.pmtiles")).unwrap()
    );

    write_mbtiles(&path("a.mbtiles"), &meta(), &tiles()).unwrap();
    write_mbtiles(&path("b.mbtiles"), &meta(), &shuffled()).unwrap();
    assert_eq!(
        fs::read(path("a.mbtiles")).unwrap(),
        fs::read(path("b.mbtiles")).unwrap()
    );
}

type Writer = fn(&Path, &ArchiveMeta, &[(TileCoord, Vec<u8>)]) -> mdi_tiler::Result<ArchiveStats>;

const WRITERS: [(&str, Writer); 2] = [
    ("atlas.pmtiles", write_pmtiles),
    ("atlas.mbtiles", write_mbtiles),
];

#[test]
fn a_missing_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    for (name, write) in WRITERS {
        let path = dir.path().join("no-such-dir").join(name);
        let err = write(&path, &meta(), &tiles()).unwrap_err();
        assert!(matches!(err, TilerError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    }
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn a_failed_write_leaves_an_existing_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, write) in WRITERS {
        let path = dir.path().join(name);
        fs::write(&path, b"the previous archive").unwrap();

        let mut duplicate = tiles();
        duplicate.push((coord(1, 1, 0), mvt("X")));
        let mut outside = tiles();
        outside.push((coord(1, 2, 0), mvt("X")));
        let mut too_deep = tiles();
        too_deep.push((coord(3, 0, 0), mvt("X")));
        let mut empty = tiles();
        empty.push((coord(2, 1, 1), Vec::new()));
        let mut no_layers = meta();
        no_layers.json.remove("vector_layers");
        let mut reserved = meta();
        reserved.json.insert("name".to_owned(), json!("other"));
        let mut bad_bounds = meta();
        bad_bounds.bounds = [10.0, 0.0, -10.0, 1.0];

        let cases = [
            ("duplicate coordinate", meta(), duplicate, "1/1/0"),
            ("column outside its zoom", meta(), outside, "1/2/0"),
            ("zoom above max_zoom", meta(), too_deep, "3/0/0"),
            ("empty tile", meta(), empty, "2/1/1"),
            ("no vector_layers", no_layers, tiles(), "vector_layers"),
            ("reserved key", reserved, tiles(), "`name`"),
            ("inverted bounds", bad_bounds, tiles(), "bounds"),
        ];
        for (case, meta, tiles, detail) in cases {
            let err = write(&path, &meta, &tiles).unwrap_err();
            assert!(
                matches!(err, TilerError::Archive { .. }),
                "{name}, {case}: {err:?}"
            );
            let message = err.to_string();
            assert!(
                message.contains(&*path.to_string_lossy()),
                "{name}, {case}: {message}"
            );
            assert!(message.contains(detail), "{name}, {case}: {message}");
            assert_eq!(fs::read(&path).unwrap(), b"the previous archive");
        }

        // Renaming over a directory fails after the whole archive was written: the temporary
        // file goes.
        let blocked = dir.path().join(format!("dir-{name}"));
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("keep"), b"x").unwrap();
        let err = write(&blocked, &meta(), &tiles()).unwrap_err();
        assert!(matches!(err, TilerError::Io { .. }), "{name}: {err:?}");
        assert!(err.to_string().contains(&*blocked.to_string_lossy()));
        assert_eq!(dir_entries(&blocked), ["keep"]);

        // And a good write replaces the file.
        write(&path, &meta(), &tiles()).unwrap();
        assert_ne!(fs::read(&path).unwrap(), b"the previous archive");
    }
    assert_eq!(
        dir_entries(dir.path()),
        [
            "atlas.mbtiles",
            "atlas.pmtiles",
            "dir-atlas.mbtiles",
            "dir-atlas.pmtiles"
        ]
    );
}
