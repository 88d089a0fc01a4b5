//! Archive writers: [PMTiles v3](write_pmtiles) and [MBTiles](write_mbtiles). (The PMTiles
//! reader is `mdi_format::pmtiles`, shared with the server.)
//!
//! Both take the same [`ArchiveMeta`] and the same gzip-compressed MVT tiles, in any order, and
//! write a file that depends only on their content: the tiles are sorted before writing and no
//! timestamp is stored, so the same tiles in any order give byte-identical archives.
//!
//! Identical tiles (the same bytes, compared exactly) are stored once in both formats.
//!
//! Writing is atomic: the archive is written to `.<name>.tmp-<pid>` in the directory of `path`,
//! synced to disk and renamed over `path`. On any error the temporary file is removed and a file
//! already at `path` is left untouched.

mod mbtiles;
mod pmtiles;

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

pub use self::mbtiles::write_mbtiles;
pub use self::pmtiles::write_pmtiles;
use crate::spill::TileSource;
use crate::{Result, TileCoord, TilerError};

/// The highest zoom either archive accepts (the highest PMTiles v3 can address).
const MAX_ZOOM: u8 = ::pmtiles::MAX_ZOOM;

/// The keys [`ArchiveMeta`] writes itself into the JSON metadata; `ArchiveMeta::json` may not
/// hold them.
const RESERVED_KEYS: [&str; 9] = [
    "name",
    "description",
    "attribution",
    "version",
    "format",
    "bounds",
    "center",
    "minzoom",
    "maxzoom",
];

/// Descriptive metadata shared by both archive formats.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveMeta {
    /// Human-readable name of the tileset.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Attribution (may hold HTML, as TileJSON allows).
    pub attribution: String,
    /// Version of the tileset.
    pub version: String,
    /// [min_lon, min_lat, max_lon, max_lat] in WGS84 (EPSG:4326) degrees.
    pub bounds: [f64; 4],
    /// [lon, lat, zoom] in WGS84. The zoom is rounded to a whole level.
    pub center: [f64; 3],
    /// Lowest zoom level of the tiles.
    pub min_zoom: u8,
    /// Highest zoom level of the tiles.
    pub max_zoom: u8,
    /// Extra JSON merged into the metadata: at least `vector_layers` (TileJSON 3.0 style array of
    /// {id, fields, minzoom, maxzoom, description}) and possibly other keys (e.g. `mdi`).
    ///
    /// It may not hold the keys written from the other fields (`name`, `description`,
    /// `attribution`, `version`, `format`, `bounds`, `center`, `minzoom`, `maxzoom`).
    pub json: Map<String, Value>,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveStats {
    /// Tiles addressed by the archive (one per coordinate).
    pub tiles: usize,
    /// Distinct tile contents stored.
    pub unique_tiles: usize,
    /// Size of the archive in bytes.
    pub bytes: u64,
}

/// An [`TilerError::Archive`] about `path`.
fn archive_error(path: &Path, message: impl Into<String>) -> TilerError {
    TilerError::Archive {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// An [`TilerError::Io`] about `path`.
fn io_error(path: &Path, action: &'static str, cause: std::io::Error) -> TilerError {
    TilerError::Io {
        path: path.to_path_buf(),
        action,
        cause,
    }
}

/// Checks the metadata and the tiles, and returns the tiles' positions sorted by coordinate
/// (zoom, column, row). Errors on a coordinate outside its zoom, a zoom outside
/// `min_zoom..=max_zoom`, an empty tile or a coordinate given twice.
fn check_inputs<T: TileSource + ?Sized>(
    path: &Path,
    meta: &ArchiveMeta,
    tiles: &T,
) -> Result<Vec<usize>> {
    check_meta(path, meta)?;
    let mut sorted: Vec<usize> = (0..tiles.count()).collect();
    sorted.sort_unstable_by_key(|&i| tiles.coord(i));
    for &i in &sorted {
        let TileCoord { z, x, y } = tiles.coord(i);
        if z < meta.min_zoom || z > meta.max_zoom {
            return Err(archive_error(
                path,
                format!(
                    "tile {z}/{x}/{y} is outside the zoom range {}..={} of the metadata",
                    meta.min_zoom, meta.max_zoom
                ),
            ));
        }
        let size = 1u64 << z;
        if u64::from(x) >= size || u64::from(y) >= size {
            return Err(archive_error(
                path,
                format!("tile {z}/{x}/{y} does not exist: column and row must be below 2^{z}"),
            ));
        }
        if tiles.size(i) == 0 {
            return Err(archive_error(
                path,
                format!("tile {z}/{x}/{y} is empty; leave empty tiles out"),
            ));
        }
    }
    if let Some(pair) = sorted
        .windows(2)
        .find(|pair| tiles.coord(pair[0]) == tiles.coord(pair[1]))
    {
        let TileCoord { z, x, y } = tiles.coord(pair[0]);
        return Err(archive_error(
            path,
            format!("tile {z}/{x}/{y} is given more than once"),
        ));
    }
    Ok(sorted)
}

/// A 64-bit hash of a tile's bytes, to find identical tiles (equal hashes are then compared
/// byte by byte).
fn content_hash(data: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    h.finish()
}

/// Checks the zoom range, bounds, center and extra JSON of `meta`.
fn check_meta(path: &Path, meta: &ArchiveMeta) -> Result<()> {
    if meta.min_zoom > meta.max_zoom || meta.max_zoom > MAX_ZOOM {
        return Err(archive_error(
            path,
            format!(
                "zoom range {}..={} is invalid: need min_zoom <= max_zoom <= {MAX_ZOOM}",
                meta.min_zoom, meta.max_zoom
            ),
        ));
    }
    let [min_lon, min_lat, max_lon, max_lat] = meta.bounds;
    let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
    let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
    if !(lon_ok(min_lon)
        && lon_ok(max_lon)
        && lat_ok(min_lat)
        && lat_ok(max_lat)
        && min_lon <= max_lon
        && min_lat <= max_lat)
    {
        return Err(archive_error(
            path,
            format!(
                "bounds {:?} are invalid: need [min_lon, min_lat, max_lon, max_lat] in degrees",
                meta.bounds
            ),
        ));
    }
    let [lon, lat, zoom] = meta.center;
    if !(lon_ok(lon) && lat_ok(lat) && (0.0..=f64::from(MAX_ZOOM)).contains(&zoom.round())) {
        return Err(archive_error(
            path,
            format!(
                "center {:?} is invalid: need [lon, lat, zoom] in degrees and zoom 0..={MAX_ZOOM}",
                meta.center
            ),
        ));
    }
    if let Some(key) = RESERVED_KEYS
        .iter()
        .find(|key| meta.json.contains_key(**key))
    {
        return Err(archive_error(
            path,
            format!(
                "the extra metadata JSON may not set `{key}`: it comes from the metadata fields"
            ),
        ));
    }
    match meta.json.get("vector_layers") {
        Some(Value::Array(_)) => Ok(()),
        _ => Err(archive_error(
            path,
            "the extra metadata JSON needs `vector_layers`, an array of TileJSON 3.0 layers",
        )),
    }
}

/// The center zoom of `meta`, rounded to a whole level (checked by [`check_meta`]).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn center_zoom(meta: &ArchiveMeta) -> u8 {
    meta.center[2].round().clamp(0.0, f64::from(MAX_ZOOM)) as u8
}

/// The TileJSON-style metadata of a PMTiles archive: the fields of `meta` followed by
/// `meta.json`.
fn tilejson(meta: &ArchiveMeta) -> Map<String, Value> {
    let [min_lon, min_lat, max_lon, max_lat] = meta.bounds;
    let mut out = Map::new();
    out.insert("name".to_owned(), json!(meta.name));
    out.insert("description".to_owned(), json!(meta.description));
    out.insert("attribution".to_owned(), json!(meta.attribution));
    out.insert("version".to_owned(), json!(meta.version));
    out.insert("format".to_owned(), json!("pbf"));
    out.insert(
        "bounds".to_owned(),
        json!([min_lon, min_lat, max_lon, max_lat]),
    );
    out.insert(
        "center".to_owned(),
        json!([meta.center[0], meta.center[1], center_zoom(meta)]),
    );
    out.insert("minzoom".to_owned(), json!(meta.min_zoom));
    out.insert("maxzoom".to_owned(), json!(meta.max_zoom));
    out.extend(meta.json.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Removes the temporary file when dropped, unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: the write already failed, and its error is the one to report.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes the archive at `path` atomically: `write` gets a new, empty temporary file in the same
/// directory (and its path), which is then synced and renamed over `path`. Returns the size of
/// the archive. On any error the temporary file is removed and `path` is untouched.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File, &Path) -> Result<()>,
) -> Result<u64> {
    let Some(file_name) = path.file_name() else {
        return Err(archive_error(path, "the path does not name a file"));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let mut tmp = TempFile {
        path: dir.join(tmp_name),
        armed: false,
    };

    let mut file = File::create(&tmp.path)
        .map_err(|e| io_error(path, "creating the temporary file next to the archive", e))?;
    tmp.armed = true;
    write(&mut file, &tmp.path)?;
    drop(file);

    // Sync what was written, whichever handle wrote it (SQLite writes through its own).
    let file = File::options()
        .write(true)
        .open(&tmp.path)
        .map_err(|e| io_error(path, "reopening the temporary file to sync it", e))?;
    file.sync_all()
        .map_err(|e| io_error(path, "syncing the temporary file to disk", e))?;
    let bytes = file
        .metadata()
        .map_err(|e| io_error(path, "reading the size of the temporary file", e))?
        .len();
    drop(file);

    fs::rename(&tmp.path, path)
        .map_err(|e| io_error(path, "renaming the temporary file over the archive", e))?;
    tmp.armed = false;
    // Make the rename durable. Best effort: the archive is already complete and in place.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(bytes)
}
