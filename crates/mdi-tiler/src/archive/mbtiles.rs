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

use md5::{Digest, Md5};
use rusqlite::{Connection, params};

use super::{ArchiveMeta, ArchiveStats, archive_error, center_zoom, check_inputs};
use crate::spill::TileSource;
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
pub fn write_mbtiles<T: TileSource + ?Sized>(
    path: &Path,
    meta: &ArchiveMeta,
    tiles: &T,
) -> Result<ArchiveStats> {
    let sorted = check_inputs(path, meta, tiles)?;

    // Rows in the order of the unique index: zoom, column, TMS row.
    let mut rows: Vec<(u8, u32, u32, usize)> = sorted
        .iter()
        .map(|&i| {
            let c = tiles.coord(i);
            (c.z, c.x, tms_row(&c), i)
        })
        .collect();
    rows.sort_unstable_by_key(|&(z, x, row, _)| (z, x, row));
    // Checked before anything is written.
    metadata_rows(path, meta, String::new())?;
    let sql_error = |e: rusqlite::Error| archive_error(path, format!("SQLite: {e}"));
    let mut unique = 0;

    // Tiles are read one at a time; distinct contents are stored once under their MD5 (the
    // first tile with an MD5 is kept to compare later ones byte by byte).
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
        let mut agg = Md5::new();
        {
            let mut image = tx
                .prepare("INSERT INTO images (tile_id, tile_data) VALUES (?1, ?2)")
                .map_err(sql_error)?;
            let mut map = tx
                .prepare(
                    "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sql_error)?;
            let mut first_of: HashMap<String, usize> = HashMap::new();
            for &(z, x, row, i) in &rows {
                let data = tiles.bytes(i)?;
                let id = md5_hex(&data);
                match first_of.entry(id.clone()) {
                    Entry::Occupied(e) => {
                        if tiles.bytes(*e.get())? != data {
                            return Err(archive_error(
                                path,
                                format!("two different tiles have the same MD5 {id}"),
                            ));
                        }
                    }
                    Entry::Vacant(e) => {
                        e.insert(i);
                        image.execute(params![id, &*data]).map_err(sql_error)?;
                        unique += 1;
                    }
                }
                agg.update(z.to_string().as_bytes());
                agg.update(x.to_string().as_bytes());
                agg.update(row.to_string().as_bytes());
                agg.update(&data);
                map.execute(params![z, x, row, id]).map_err(sql_error)?;
            }
            let agg_tiles_hash = format!("{:X}", agg.finalize());
            let mut insert = tx
                .prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)")
                .map_err(sql_error)?;
            for (name, value) in &metadata_rows(path, meta, agg_tiles_hash)? {
                insert.execute(params![name, value]).map_err(sql_error)?;
            }
        }
        tx.execute_batch(INDEXES).map_err(sql_error)?;
        tx.commit().map_err(sql_error)?;
        conn.close().map_err(|(_, e)| sql_error(e))
    })?;

    Ok(ArchiveStats {
        tiles: rows.len(),
        unique_tiles: unique,
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

/// The upper-case hex MD5 of a tile: the tile id Martin expects. Not for security.
fn md5_hex(data: &[u8]) -> String {
    format!("{:X}", Md5::digest(data))
}

#[cfg(test)]
mod tests {
    use super::{md5_hex, tms_row};
    use crate::TileCoord;

    /// Two vectors of RFC 1321, appendix A.5: the crate is wired as Martin expects (upper case).
    #[test]
    fn tile_ids_are_upper_case_md5() {
        assert_eq!(md5_hex(b""), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(md5_hex(b"abc"), "900150983CD24FB0D6963F7D28E17F72");
    }

    #[test]
    fn tms_rows_count_from_the_south() {
        assert_eq!(tms_row(&TileCoord { z: 0, x: 0, y: 0 }), 0);
        assert_eq!(tms_row(&TileCoord { z: 3, x: 1, y: 0 }), 7);
        assert_eq!(tms_row(&TileCoord { z: 3, x: 1, y: 7 }), 0);
        assert_eq!(tms_row(&TileCoord { z: 31, x: 0, y: 0 }), (1u32 << 31) - 1);
    }
}
