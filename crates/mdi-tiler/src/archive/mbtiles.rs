//! MBTiles 1.3 with the "normalized" (deduplicated) schema, through rusqlite.
//!
//! The schema is the one of tilelive-copy and Martin's `mbtiles` tool:
//!
//! - `metadata(name TEXT NOT NULL, value TEXT)`, unique index `name` on `name`;
//! - `map(zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT)`, unique index
//!   `map_index` on (zoom_level, tile_column, tile_row);
//! - `images(tile_id TEXT, tile_data BLOB)`, unique index `images_id` on `tile_id`;
//! - the view `tiles(zoom_level, tile_column, tile_row, tile_data)` that GDAL, QGIS and every
//!   other reader use.
//!
//! Martin recognises a normalized file by the two tables and their column names and declared
//! types (`INTEGER`, `TEXT`, `BLOB`, exactly), and needs a unique index on the three coordinates
//! of `map`. Its `mbtiles validate` checks that every `tile_id` is the upper-case hex MD5 of the
//! tile data and that the `agg_tiles_hash` metadata row is the MD5 of all tiles, so both are
//! written that way. Rows are in the TMS scheme: `tile_row` = 2^z − 1 − y.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

use rusqlite::{Connection, params};

use super::{ArchiveMeta, ArchiveStats, archive_error, center_zoom, check_inputs};
use crate::{Result, TileCoord};

/// `PRAGMA application_id` of MBTiles 1.3: "MPBX".
const APPLICATION_ID: u32 = 0x4d50_4258;

/// The schema, created in the one transaction before the rows. The indexes come after the rows.
const SCHEMA: &str = "
CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
CREATE TABLE map (
    zoom_level INTEGER NOT NULL,
    tile_column INTEGER NOT NULL,
    tile_row INTEGER NOT NULL,
    tile_id TEXT NOT NULL
);
CREATE TABLE images (tile_id TEXT NOT NULL, tile_data BLOB NOT NULL);
CREATE VIEW tiles AS
SELECT
    map.zoom_level AS zoom_level,
    map.tile_column AS tile_column,
    map.tile_row AS tile_row,
    images.tile_data AS tile_data
FROM map
JOIN images ON images.tile_id = map.tile_id;
";

/// The indexes, created after the rows (faster, and a compact file).
const INDEXES: &str = "
CREATE UNIQUE INDEX name ON metadata (name);
CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
CREATE UNIQUE INDEX images_id ON images (tile_id);
";

/// Writes `tiles` to an MBTiles file at `path`, atomically (see the [module](super)).
///
/// `tiles`: gzip-compressed MVT tiles, in any order, each coordinate at most once. The file has
/// the normalized schema (see the module source): each distinct tile is stored once in `images`
/// under the upper-case hex MD5 of its bytes (distinct tiles with the same MD5 are an error), and
/// `map` holds one row per tile in the TMS scheme (`tile_row` = 2^z − 1 − y). The metadata rows
/// are `name`, `description`, `attribution`, `version`, `format` = `pbf`, `type` = `overlay`,
/// `bounds` (`minlon,minlat,maxlon,maxlat`), `center` (`lon,lat,zoom`), `minzoom`, `maxzoom`,
/// `json` (`meta.json`, holding `vector_layers`) and `agg_tiles_hash` (as Martin computes it).
/// The file has no journal (`journal_mode=OFF`: it is a temporary file until complete) and leaves
/// no `-journal` or `-wal` file.
///
/// # Errors
///
/// [`TilerError::Archive`](crate::TilerError::Archive) if the metadata or a tile is invalid (see
/// [`ArchiveMeta`]; a coordinate outside its zoom or the zoom range, an empty tile, a coordinate
/// given twice) or SQLite fails, [`TilerError::Io`](crate::TilerError::Io) if the file cannot be
/// written. Both name `path`.
pub fn write_mbtiles(
    path: &Path,
    meta: &ArchiveMeta,
    tiles: &[(TileCoord, Vec<u8>)],
) -> Result<ArchiveStats> {
    let sorted = check_inputs(path, meta, tiles)?;

    // Rows in the order of the unique index: zoom, column, TMS row.
    let mut rows: Vec<(u8, u32, u32, &[u8])> = sorted
        .iter()
        .map(|(c, data)| (c.z, c.x, tms_row(c), data.as_slice()))
        .collect();
    rows.sort_unstable_by_key(|&(z, x, row, _)| (z, x, row));

    // Distinct contents in order of first appearance, each with its MD5; dedup by exact bytes.
    let mut ids: HashMap<&[u8], String> = HashMap::new();
    let mut by_md5: HashMap<String, &[u8]> = HashMap::new();
    let mut map: Vec<(u8, u32, u32, String)> = Vec::with_capacity(rows.len());
    let mut agg = Md5::new();
    for &(z, x, row, data) in &rows {
        let id = match ids.entry(data) {
            Entry::Occupied(e) => e.get().clone(),
            Entry::Vacant(e) => {
                let id = Md5::digest_hex(data);
                if by_md5.insert(id.clone(), data).is_some() {
                    return Err(archive_error(
                        path,
                        format!("two different tiles have the same MD5 {id}"),
                    ));
                }
                e.insert(id).clone()
            }
        };
        agg.update(z.to_string().as_bytes());
        agg.update(x.to_string().as_bytes());
        agg.update(row.to_string().as_bytes());
        agg.update(data);
        map.push((z, x, row, id));
    }
    let mut images: Vec<(&str, &[u8])> = by_md5
        .iter()
        .map(|(id, data)| (id.as_str(), *data))
        .collect();
    images.sort_unstable();
    let agg_tiles_hash = agg.finish_hex();

    let metadata = metadata_rows(path, meta, agg_tiles_hash)?;
    let sql_error = |e: rusqlite::Error| archive_error(path, format!("SQLite: {e}"));

    let bytes = super::write_atomically(path, |_, tmp| {
        let mut conn = Connection::open(tmp).map_err(sql_error)?;
        conn.execute_batch(&format!(
            "PRAGMA page_size = 4096;
             PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA encoding = 'UTF-8';
             PRAGMA application_id = {APPLICATION_ID};"
        ))
        .map_err(sql_error)?;
        let tx = conn.transaction().map_err(sql_error)?;
        tx.execute_batch(SCHEMA).map_err(sql_error)?;
        {
            let mut insert = tx
                .prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)")
                .map_err(sql_error)?;
            for (name, value) in &metadata {
                insert.execute(params![name, value]).map_err(sql_error)?;
            }
            let mut insert = tx
                .prepare("INSERT INTO images (tile_id, tile_data) VALUES (?1, ?2)")
                .map_err(sql_error)?;
            for (id, data) in &images {
                insert.execute(params![id, data]).map_err(sql_error)?;
            }
            let mut insert = tx
                .prepare(
                    "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql_error)?;
            for (z, x, row, id) in &map {
                insert.execute(params![z, x, row, id]).map_err(sql_error)?;
            }
        }
        tx.execute_batch(INDEXES).map_err(sql_error)?;
        tx.commit().map_err(sql_error)?;
        conn.close().map_err(|(_, e)| sql_error(e))
    })?;

    Ok(ArchiveStats {
        tiles: map.len(),
        unique_tiles: images.len(),
        bytes,
    })
}

/// The TMS row of a tile: rows counted from the south.
fn tms_row(coord: &TileCoord) -> u32 {
    // `check_inputs` guarantees y < 2^z <= 2^31.
    let last = (1u64 << coord.z) - 1;
    u32::try_from(last - u64::from(coord.y)).unwrap_or(u32::MAX)
}

/// The metadata rows, sorted by name.
fn metadata_rows(
    path: &Path,
    meta: &ArchiveMeta,
    agg_tiles_hash: String,
) -> Result<Vec<(&'static str, String)>> {
    let [min_lon, min_lat, max_lon, max_lat] = meta.bounds;
    let json = serde_json::to_string(&meta.json)
        .map_err(|e| archive_error(path, format!("serialising the metadata JSON: {e}")))?;
    let mut rows = vec![
        ("agg_tiles_hash", agg_tiles_hash),
        ("attribution", meta.attribution.clone()),
        ("bounds", format!("{min_lon},{min_lat},{max_lon},{max_lat}")),
        (
            "center",
            format!(
                "{},{},{}",
                meta.center[0],
                meta.center[1],
                center_zoom(meta)
            ),
        ),
        ("description", meta.description.clone()),
        ("format", "pbf".to_owned()),
        ("json", json),
        ("maxzoom", meta.max_zoom.to_string()),
        ("minzoom", meta.min_zoom.to_string()),
        ("name", meta.name.clone()),
        ("type", "overlay".to_owned()),
        ("version", meta.version.clone()),
    ];
    rows.sort_unstable();
    Ok(rows)
}

/// MD5 (RFC 1321), for the tile ids and `agg_tiles_hash` Martin expects. Not for security.
struct Md5 {
    state: [u32; 4],
    block: [u8; 64],
    block_len: usize,
    total_len: u64,
}

/// Per-round left rotations.
const MD5_SHIFTS: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

/// Per-round constants: floor(|sin(i + 1)| · 2^32).
const MD5_CONSTANTS: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

impl Md5 {
    /// A new hash of nothing.
    fn new() -> Self {
        Self {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            block: [0; 64],
            block_len: 0,
            total_len: 0,
        }
    }

    /// The upper-case hex MD5 of `data`.
    fn digest_hex(data: &[u8]) -> String {
        let mut md5 = Self::new();
        md5.update(data);
        md5.finish_hex()
    }

    /// Hashes `data` after what came before.
    fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.block_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.block[self.block_len..self.block_len + take].copy_from_slice(head);
            self.block_len += take;
            data = rest;
            if self.block_len == 64 {
                let block = self.block;
                self.compress(&block);
                self.block_len = 0;
            }
        }
    }

    /// Pads, and returns the digest as upper-case hex.
    fn finish_hex(mut self) -> String {
        let bit_len = self.total_len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.block_len != 56 {
            self.update(&[0]);
        }
        self.update(&bit_len.to_le_bytes());
        self.state
            .iter()
            .flat_map(|word| word.to_le_bytes())
            .map(|byte| format!("{byte:02X}"))
            .collect()
    }

    /// Processes one 64-byte block.
    fn compress(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (word, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f
                .wrapping_add(a)
                .wrapping_add(MD5_CONSTANTS[i])
                .wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(MD5_SHIFTS[i]));
        }
        for (state, v) in self.state.iter_mut().zip([a, b, c, d]) {
            *state = state.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Md5, tms_row};
    use crate::TileCoord;

    /// The test suite of RFC 1321, appendix A.5.
    #[test]
    fn md5_matches_rfc_1321() {
        let cases = [
            ("", "D41D8CD98F00B204E9800998ECF8427E"),
            ("a", "0CC175B9C0F1B6A831C399E269772661"),
            ("abc", "900150983CD24FB0D6963F7D28E17F72"),
            ("message digest", "F96B697D7CB7938D525A2F31AAF161D0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "C3FCD3D76192E4007DFB496CCA67E13B",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "D174AB98D277D9F5A5611C2C9F419D9F",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57EDF4A22BE3C955AC49DA2E2107B67A",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Md5::digest_hex(input.as_bytes()), expected, "{input:?}");
        }
    }

    /// Feeding the bytes in pieces gives the digest of the whole.
    #[test]
    fn md5_is_streaming() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for split in [0, 1, 55, 56, 63, 64, 65, 128, 999, 1000] {
            let mut md5 = Md5::new();
            md5.update(&data[..split]);
            md5.update(&data[split..]);
            assert_eq!(md5.finish_hex(), Md5::digest_hex(&data), "split at {split}");
        }
    }

    #[test]
    fn tms_rows_count_from_the_south() {
        assert_eq!(tms_row(&TileCoord { z: 0, x: 0, y: 0 }), 0);
        assert_eq!(tms_row(&TileCoord { z: 3, x: 1, y: 0 }), 7);
        assert_eq!(tms_row(&TileCoord { z: 3, x: 1, y: 7 }), 0);
        assert_eq!(tms_row(&TileCoord { z: 31, x: 0, y: 0 }), (1u32 << 31) - 1);
    }
}
