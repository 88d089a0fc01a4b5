//! The tiles: `atlas.pmtiles`, indexed at start from its directories alone, answered by reading
//! each tile at its offset until the whole archive is in memory, and from memory after.
//!
//! At start only the header, the metadata and the directories are read (a few kilobytes to a
//! few megabytes): every tile entry goes into one vector ordered by PMTiles tile id, so a
//! request costs one Hilbert id and a binary search. The archive is then read into memory in
//! the background ([`TileStore::load_into_memory`]); a tile is a reference-counted slice of it,
//! or, until then, one positional read of the file. The ETag of a tile (a hash of its bytes) is
//! computed the first time the tile is asked for. Nothing is compressed per request, except for
//! clients that do not accept gzip, for which the stored bytes are decompressed.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mdi_format::TileCoord;
use mdi_format::pmtiles::{
    ArchiveCompression, PmtilesIndex, read_pmtiles, read_pmtiles_file, tile_id,
};
use mdi_format::tiles::{PropertySet, TilesMeta};

use crate::error::{ApiError, ServerError};
use crate::http::{accepts_gzip, etag, fnv1a, not_modified, not_modified_response};

/// The media type of Mapbox Vector Tiles.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// One run of tile ids sharing stored bytes.
#[derive(Debug)]
struct Entry {
    tile_id: u64,
    run_length: u32,
    len: u32,
    offset: u64,
    /// The hash of the bytes (the ETag), computed on first use.
    hash: OnceLock<u64>,
}

/// The tiles of an atlas.
#[derive(Debug)]
pub struct TileStore {
    /// The archive, for positional reads until [`TileStore::data`] is filled.
    file: Option<File>,
    /// The archive's path, for errors.
    path: PathBuf,
    /// The whole archive, once read into memory.
    data: OnceLock<Bytes>,
    /// The tile entries, ordered by tile id.
    entries: Vec<Entry>,
    /// Number of distinct stored tiles.
    distinct: usize,
    /// Whether the stored tiles are gzip-compressed (else stored as is).
    pub gzip: bool,
    /// The lowest zoom with tiles.
    pub min_zoom: u8,
    /// The highest zoom with tiles.
    pub max_zoom: u8,
    /// West, south, east, north in WGS84 (EPSG:4326) degrees.
    pub bounds: [f64; 4],
    /// Longitude, latitude (WGS84 degrees) and zoom of the default view.
    pub center: (f64, f64, u8),
    /// The archive's JSON metadata (`vector_layers`, `mdi`, …).
    pub metadata: serde_json::Value,
    /// Size of the archive in bytes.
    pub archive_bytes: usize,
}

/// What a tile address comes to.
#[derive(Debug)]
pub enum Lookup {
    /// The tile's stored bytes and their hash.
    Found {
        /// The stored bytes (gzip-compressed when [`TileStore::gzip`]).
        bytes: Bytes,
        /// The content hash (the ETag).
        hash: u64,
    },
    /// A valid address without a tile: nothing of the atlas lies there.
    Empty,
    /// Not a tile of this atlas: the reason.
    Invalid(String),
    /// The tile exists but its bytes could not be read: the reason.
    Unreadable(String),
}

impl TileStore {
    /// A store without tiles, for an atlas loaded only for its data
    /// ([`crate::Atlas::load_without_tiles`]): every address is [`Lookup::Empty`] or invalid.
    pub fn empty() -> TileStore {
        TileStore {
            file: None,
            path: PathBuf::new(),
            data: OnceLock::from(Bytes::new()),
            entries: Vec::new(),
            distinct: 0,
            gzip: false,
            min_zoom: 0,
            max_zoom: 0,
            bounds: [-180.0, -85.051_129, 180.0, 85.051_129],
            center: (0.0, 0.0, 0),
            metadata: serde_json::Value::Null,
            archive_bytes: 0,
        }
    }

    /// Indexes a PMTiles v3 archive of MVT tiles held in `bytes` (`path` names it in errors).
    ///
    /// # Errors
    /// [`ServerError::Atlas`] (naming `path`) if the archive is malformed or does not hold MVT
    /// tiles compressed with gzip or not at all.
    pub fn from_bytes(path: &Path, bytes: Bytes) -> Result<TileStore, ServerError> {
        let index = read_pmtiles(&bytes).map_err(|e| ServerError::Atlas {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let store = TileStore::from_index(path, None, bytes.len(), index)?;
        let _ = store.data.set(bytes);
        Ok(store)
    }

    /// Opens the PMTiles v3 archive at `path` and indexes it from its header, metadata and
    /// directories alone; tiles are read at their offsets until
    /// [`TileStore::load_into_memory`].
    ///
    /// # Errors
    /// [`ServerError::Io`] if the file cannot be opened, [`ServerError::Atlas`] (naming `path`)
    /// as [`TileStore::from_bytes`].
    pub fn open(path: &Path) -> Result<TileStore, ServerError> {
        let file = File::open(path).map_err(|cause| ServerError::Io {
            path: path.to_path_buf(),
            action: "cannot open",
            cause,
        })?;
        let index = read_pmtiles_file(&file).map_err(|e| ServerError::Atlas {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let len = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
        TileStore::from_index(path, Some(file), len, index)
    }

    fn from_index(
        path: &Path,
        file: Option<File>,
        archive_bytes: usize,
        index: PmtilesIndex,
    ) -> Result<TileStore, ServerError> {
        let PmtilesIndex {
            tile_compression,
            tile_type,
            min_zoom,
            max_zoom,
            bounds,
            center,
            metadata,
            entries,
        } = index;
        let bad = |message: String| ServerError::Atlas {
            path: path.to_path_buf(),
            message,
        };
        if tile_type != 1 {
            return Err(bad(format!("tile type {tile_type} is not MVT (1)")));
        }
        let gzip = match tile_compression {
            ArchiveCompression::Gzip => true,
            ArchiveCompression::None | ArchiveCompression::Unknown => false,
            other => {
                return Err(bad(format!(
                    "tiles compressed with {other:?}; expected gzip or none"
                )));
            }
        };
        let mut offsets: Vec<u64> = entries.iter().map(|e| e.offset).collect();
        offsets.sort_unstable();
        offsets.dedup();
        // `read_pmtiles` returns the entries ordered by tile id, without overlaps.
        let entries = entries
            .into_iter()
            .map(|e| Entry {
                tile_id: e.tile_id,
                run_length: e.run_length,
                len: e.length,
                offset: e.offset,
                hash: OnceLock::new(),
            })
            .collect();
        Ok(TileStore {
            file,
            path: path.to_path_buf(),
            data: OnceLock::new(),
            entries,
            distinct: offsets.len(),
            gzip,
            min_zoom,
            max_zoom,
            bounds,
            center,
            metadata,
            archive_bytes,
        })
    }

    /// Reads the whole archive into memory, after which tiles are served without a read. Does
    /// nothing if it is there already.
    ///
    /// # Errors
    /// [`ServerError::Io`] if the file cannot be read, [`ServerError::Atlas`] if it changed
    /// size since it was indexed.
    pub fn load_into_memory(&self) -> Result<(), ServerError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        if self.data.get().is_some() {
            return Ok(());
        }
        let mut bytes = vec![0u8; self.archive_bytes];
        file.read_exact_at(&mut bytes, 0)
            .map_err(|cause| ServerError::Io {
                path: self.path.clone(),
                action: "cannot read",
                cause,
            })?;
        let mut more = [0u8; 1];
        if file
            .read_at(&mut more, self.archive_bytes as u64)
            .unwrap_or(0)
            != 0
        {
            return Err(ServerError::Atlas {
                path: self.path.clone(),
                message: "the archive grew while it was read; a new build is being written".into(),
            });
        }
        let _ = self.data.set(Bytes::from(bytes));
        Ok(())
    }

    /// The whole archive's bytes, once in memory ([`TileStore::load_into_memory`]).
    pub fn archive(&self) -> Option<Bytes> {
        self.data.get().filter(|b| !b.is_empty()).cloned()
    }

    /// Whether the whole archive is in memory.
    pub fn in_memory(&self) -> bool {
        self.data.get().is_some()
    }

    /// Number of addressed tiles.
    pub fn len(&self) -> usize {
        self.entries.iter().map(|e| e.run_length as usize).sum()
    }

    /// Whether the archive has no tiles.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of distinct tile contents.
    pub fn contents(&self) -> usize {
        self.distinct
    }

    /// The stored bytes of `e`: a slice of the archive in memory, else read from the file.
    fn bytes_of(&self, e: &Entry) -> Result<Bytes, String> {
        let (start, len) = (e.offset as usize, e.len as usize);
        if let Some(data) = self.data.get() {
            return data
                .get(start..start + len)
                .map(|_| data.slice(start..start + len))
                .ok_or_else(|| format!("bytes {start}..{} are beyond the archive", start + len));
        }
        let file = self.file.as_ref().ok_or("the archive is not open")?;
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, e.offset)
            .map_err(|err| format!("cannot read {}: {err}", self.path.display()))?;
        Ok(Bytes::from(buf))
    }

    /// The tile at zoom `z`, column `x`, row `y` (XYZ scheme of Web Mercator, EPSG:3857).
    pub fn get(&self, z: u32, x: u32, y: u32) -> Lookup {
        if z > 30 {
            return Lookup::Invalid(format!("zoom {z} is not a tile zoom (0–30)"));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Lookup::Invalid(format!(
                "tile {z}/{x}/{y} does not exist: at zoom {z}, x and y run from 0 to {}",
                n - 1
            ));
        }
        if z < u32::from(self.min_zoom) || z > u32::from(self.max_zoom) {
            return Lookup::Invalid(format!(
                "zoom {z} is outside this atlas's zoom range {}–{} (see /tiles.json)",
                self.min_zoom, self.max_zoom
            ));
        }
        let Some(id) = tile_id(TileCoord { z: z as u8, x, y }) else {
            return Lookup::Empty;
        };
        let at = self.entries.partition_point(|e| e.tile_id <= id);
        let Some(e) = at.checked_sub(1).map(|i| &self.entries[i]) else {
            return Lookup::Empty;
        };
        if id >= e.tile_id + u64::from(e.run_length) {
            return Lookup::Empty;
        }
        match self.bytes_of(e) {
            Ok(bytes) => {
                let hash = *e.hash.get_or_init(|| fnv1a(&bytes));
                Lookup::Found { bytes, hash }
            }
            Err(reason) => Lookup::Unreadable(format!("tile {z}/{x}/{y}: {reason}")),
        }
    }

    /// The `mdi` block of the archive's metadata.
    pub fn tiles_meta(&self) -> Option<TilesMeta> {
        TilesMeta::from_archive(&self.metadata)
    }

    /// The first zoom whose tiles carry every property (`full`), from the archive metadata.
    pub fn full_from_zoom(&self) -> Option<u8> {
        self.tiles_meta()?.first_zoom_with(&[PropertySet::Full])
    }

    /// The first zoom whose tiles carry the domain deciles (property set `map` or `full`).
    pub fn domains_from_zoom(&self) -> Option<u8> {
        self.tiles_meta()?
            .first_zoom_with(&[PropertySet::Map, PropertySet::Full])
    }
}

/// Parses the `{y}.mvt` / `{y}.pbf` segment and the numbers of a tile path.
pub fn parse_tile_path(z: &str, x: &str, y_ext: &str) -> Result<(u32, u32, u32), String> {
    let (y, ext) = y_ext.rsplit_once('.').ok_or_else(|| {
        format!("`{y_ext}`: expected the row and an extension, `{{y}}.mvt` or `{{y}}.pbf`")
    })?;
    if ext != "mvt" && ext != "pbf" {
        return Err(format!("extension `.{ext}`: expected `.mvt` or `.pbf`"));
    }
    let num = |s: &str, what: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("{what} `{s}` is not a non-negative whole number"))
    };
    Ok((num(z, "zoom")?, num(x, "column x")?, num(y, "row y")?))
}

/// The response for a tile: the stored bytes with `Content-Encoding: gzip` for clients that
/// accept it, decompressed for those that do not; 304 on a matching `If-None-Match`; 204 for
/// an empty tile; 400 with the reason for an address outside the atlas.
pub fn tile_response(
    store: &TileStore,
    z: u32,
    x: u32,
    y: u32,
    request: &HeaderMap,
    cache: &HeaderValue,
) -> Response {
    match store.get(z, x, y) {
        Lookup::Invalid(reason) => ApiError::bad_request(reason).into_response(),
        Lookup::Unreadable(reason) => ApiError::internal(reason).into_response(),
        Lookup::Empty => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, cache.clone());
            res
        }
        Lookup::Found { bytes, hash } => {
            let gzip_out = store.gzip && accepts_gzip(request);
            let tag = etag(
                hash,
                if gzip_out || !store.gzip {
                    ""
                } else {
                    "-identity"
                },
            );
            if not_modified(request, &tag) {
                let mut res = not_modified_response(tag, cache.clone());
                res.headers_mut()
                    .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                return res;
            }
            let body = if gzip_out || !store.gzip {
                bytes
            } else {
                let mut out = Vec::with_capacity(bytes.len() * 4);
                if let Err(e) = flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut out) {
                    return ApiError::internal(format!(
                        "tile {z}/{x}/{y} cannot be decompressed: {e}"
                    ))
                    .into_response();
                }
                Bytes::from(out)
            };
            let mut res = Response::new(Body::from(body));
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
            if gzip_out {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            h.insert(header::ETAG, tag);
            h.insert(header::CACHE_CONTROL, cache.clone());
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_are_parsed_with_reasons() {
        assert_eq!(parse_tile_path("5", "16", "10.mvt"), Ok((5, 16, 10)));
        assert_eq!(parse_tile_path("5", "16", "10.pbf"), Ok((5, 16, 10)));
        assert!(
            parse_tile_path("5", "16", "10.png")
                .unwrap_err()
                .contains("`.mvt` or `.pbf`")
        );
        assert!(
            parse_tile_path("5", "16", "10")
                .unwrap_err()
                .contains("extension")
        );
        assert!(
            parse_tile_path("-1", "16", "10.mvt")
                .unwrap_err()
                .contains("zoom `-1`")
        );
        assert!(
            parse_tile_path("5", "x", "10.mvt")
                .unwrap_err()
                .contains("column x `x`")
        );
    }
}
