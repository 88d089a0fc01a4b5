//! Property test of the archive: a PMTiles archive written by the tiler's writer
//! (`archive::write_pmtiles`) and read back with the shared reader (`mdi_format::pmtiles`,
//! the server's) gives back every tile's bytes at its coordinate, nothing else, and the
//! metadata and header fields that went in.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;

use mdi_format::TileCoord;
use mdi_format::pmtiles::{ArchiveCompression, read_pmtiles, tile_id};
use mdi_tiler::archive::{ArchiveMeta, write_pmtiles};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Tiles at distinct coordinates (zooms `min..=max`), their bytes drawn from a small pool so
/// that equal contents (stored once) and runs of equal neighbours occur.
fn tiles_strategy() -> impl Strategy<Value = (u8, u8, Vec<(TileCoord, Vec<u8>)>)> {
    (0u8..6, 0u8..4).prop_flat_map(|(min, span)| {
        let max = min + span;
        let coord = (min..=max).prop_flat_map(|z| {
            let n = 1u32 << z;
            (Just(z), 0..n, 0..n).prop_map(|(z, x, y)| TileCoord { z, x, y })
        });
        let pool = prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 1..5);
        (
            Just(min),
            Just(max),
            prop::collection::btree_set(coord, 0..80),
            pool,
            prop::collection::vec(any::<prop::sample::Index>(), 80),
        )
            .prop_map(|(min, max, coords, pool, picks)| {
                let tiles = coords
                    .into_iter()
                    .zip(picks)
                    .map(|(c, i)| (c, pool[i.index(pool.len())].clone()))
                    .collect();
                (min, max, tiles)
            })
    })
}

fn meta_strategy() -> impl Strategy<Value = (ArchiveMeta, Map<String, Value>)> {
    (
        ("\\PC{0,20}", "\\PC{0,40}", "\\PC{0,40}", "[0-9.]{0,8}"),
        (-180.0f64..180.0, -85.0f64..85.0, 0.0f64..10.0, 0.0f64..10.0),
        (0.0f64..1.0, 0.0f64..1.0, 0.0f64..15.0),
        prop::collection::btree_map("[a-z_]{1,8}", "\\PC{0,12}", 0..4),
    )
        .prop_map(
            |((name, description, attribution, version), (w, s, dw, dh), (fx, fy, cz), extra)| {
                let (e, n) = ((w + dw).min(180.0), (s + dh).min(85.0));
                let mut json = Map::new();
                json.insert(
                    "vector_layers".into(),
                    json!([{"id": "buurten", "fields": {"code": "String"}}]),
                );
                for (k, v) in extra {
                    // Keys of their own, not the ones the writer fills in from the fields.
                    json.insert(format!("x_{k}"), json!(v));
                }
                let meta = ArchiveMeta {
                    name,
                    description,
                    attribution,
                    version,
                    bounds: [w, s, e, n],
                    center: [w + fx * (e - w), s + fy * (n - s), cz],
                    min_zoom: 0,
                    max_zoom: 0,
                    json: json.clone(),
                };
                (meta, json)
            },
        )
}

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() <= eps
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pmtiles_write_then_read_is_the_identity(
        (min, max, tiles) in tiles_strategy(),
        (meta, extra) in meta_strategy(),
    ) {
        let meta = ArchiveMeta { min_zoom: min, max_zoom: max, ..meta };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pmtiles");
        let stats = write_pmtiles(&path, &meta, &tiles).unwrap();
        prop_assert_eq!(stats.tiles, tiles.len());
        let bytes = std::fs::read(&path).unwrap();
        let index = read_pmtiles(&bytes).unwrap();

        // Header.
        prop_assert_eq!(index.tile_type, 1);
        prop_assert_eq!(index.tile_compression, ArchiveCompression::Gzip);
        prop_assert_eq!((index.min_zoom, index.max_zoom), (min, max));
        for (got, want) in index.bounds.iter().zip(meta.bounds) {
            // Stored as integers of 1e-7 degrees.
            prop_assert!(close(*got, want, 0.6e-7), "bounds {:?} vs {:?}", index.bounds, meta.bounds);
        }
        prop_assert!(close(index.center.0, meta.center[0], 0.6e-7));
        prop_assert!(close(index.center.1, meta.center[1], 0.6e-7));
        prop_assert_eq!(f64::from(index.center.2), meta.center[2].round());

        // Tiles: every coordinate gives back its bytes; no other tile is addressed.
        let mut by_id: BTreeMap<u64, &[u8]> = BTreeMap::new();
        for e in &index.entries {
            let start = usize::try_from(e.offset).unwrap();
            let data = &bytes[start..start + e.length as usize];
            for k in 0..u64::from(e.run_length) {
                prop_assert!(by_id.insert(e.tile_id + k, data).is_none(), "tile id {} twice", e.tile_id + k);
            }
        }
        prop_assert_eq!(by_id.len(), tiles.len());
        for (c, data) in &tiles {
            let id = tile_id(*c).unwrap();
            prop_assert_eq!(by_id.get(&id).copied(), Some(data.as_slice()), "tile {:?}", c);
        }

        // Metadata: the fields, then the extra JSON.
        let m = index.metadata.as_object().unwrap();
        prop_assert_eq!(&m["name"], &json!(meta.name));
        prop_assert_eq!(&m["description"], &json!(meta.description));
        prop_assert_eq!(&m["attribution"], &json!(meta.attribution));
        prop_assert_eq!(&m["version"], &json!(meta.version));
        prop_assert_eq!(&m["minzoom"], &json!(min));
        prop_assert_eq!(&m["maxzoom"], &json!(max));
        let b: Vec<f64> = m["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        prop_assert!(b.iter().zip(meta.bounds).all(|(g, w)| close(*g, w, 1e-9)), "metadata bounds {:?}", b);
        let centre: Vec<f64> = m["center"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        prop_assert!(close(centre[0], meta.center[0], 1e-9) && close(centre[1], meta.center[1], 1e-9));
        prop_assert_eq!(centre[2], meta.center[2].round());
        for (k, v) in &extra {
            prop_assert_eq!(m.get(k), Some(v), "metadata key {}", k);
        }
        prop_assert_eq!(&m["format"], &json!("pbf"));
        prop_assert_eq!(m.len(), 9 + extra.len(), "no other keys");
    }
}
