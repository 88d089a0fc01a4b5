//! The tiles: `atlas.pmtiles` held in memory, indexed once at load, and served as stored.
//!
//! At load every tile entry of the archive (leaf directories resolved) goes into one hash map
//! from PMTiles tile id to a content slot; each distinct content gets its ETag (a hash of its
//! bytes) once. A request then costs one Hilbert id, one map lookup and a reference-counted
//! slice of the archive: nothing is read or compressed per request, except for clients that do
//! not accept gzip, for which the stored bytes are decompressed.

use std::collections::HashMap;
use std::io::Read;

use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mdi_format::TileCoord;
use mdi_format::pmtiles::{ArchiveCompression, PmtilesIndex, read_pmtiles, tile_id};

use crate::error::{ApiError, ServerError};
use crate::http::{accepts_gzip, etag, fnv1a, not_modified, not_modified_response};

/// The media type of Mapbox Vector Tiles.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// One distinct tile content: where its bytes are in the archive, and their hash (the ETag).
#[derive(Debug, Clone, Copy)]
struct Content {
    offset: usize,
    len: u32,
    hash: u64,
}

/// The tiles of an atlas, in memory.
#[derive(Debug)]
pub struct TileStore {
    data: Bytes,
    index: HashMap<u64, u32>,
    contents: Vec<Content>,
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
        /// The stored bytes (gzip-compressed when [`TileStore::gzip`]): a shared slice of the
        /// archive.
        bytes: Bytes,
        /// The content hash (the ETag).
        hash: u64,
    },
    /// A valid address without a tile: nothing of the atlas lies there.
    Empty,
    /// Not a tile of this atlas: the reason.
    Invalid(String),
}

impl TileStore {
    /// A store without tiles, for an atlas loaded only for its data
    /// ([`crate::Atlas::load_without_tiles`]): every address is [`Lookup::Empty`] or invalid.
    pub fn empty() -> TileStore {
        TileStore {
            data: Bytes::new(),
            index: HashMap::new(),
            contents: Vec::new(),
            gzip: false,
            min_zoom: 0,
            max_zoom: 0,
            bounds: [-180.0, -85.051_129, 180.0, 85.051_129],
            center: (0.0, 0.0, 0),
            metadata: serde_json::Value::Null,
            archive_bytes: 0,
        }
    }

    /// Indexes a PMTiles v3 archive of MVT tiles held in `bytes`.
    ///
    /// # Errors
    /// [`ServerError::Format`] if the archive is malformed, [`ServerError::Atlas`] (naming
    /// `path`) if it does not hold MVT tiles compressed with gzip or not at all.
    pub fn from_bytes(path: &std::path::Path, bytes: Bytes) -> Result<TileStore, ServerError> {
        let PmtilesIndex {
            tile_compression,
            tile_type,
            min_zoom,
            max_zoom,
            bounds,
            center,
            metadata,
            entries,
        } = read_pmtiles(&bytes).map_err(|e| ServerError::Atlas {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
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
        let mut index = HashMap::with_capacity(entries.len());
        let mut slots: HashMap<u64, u32> = HashMap::new();
        let mut contents = Vec::new();
        for e in &entries {
            let slot = *slots.entry(e.offset).or_insert_with(|| {
                let offset = e.offset as usize;
                contents.push(Content {
                    offset,
                    len: e.length,
                    hash: fnv1a(&bytes[offset..offset + e.length as usize]),
                });
                (contents.len() - 1) as u32
            });
            for id in e.tile_id..e.tile_id + u64::from(e.run_length) {
                index.insert(id, slot);
            }
        }
        contents.shrink_to_fit();
        index.shrink_to_fit();
        Ok(TileStore {
            data: bytes.clone(),
            index,
            contents,
            gzip,
            min_zoom,
            max_zoom,
            bounds,
            center,
            metadata,
            archive_bytes: bytes.len(),
        })
    }

    /// Number of addressed tiles.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the archive has no tiles.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Number of distinct tile contents.
    pub fn contents(&self) -> usize {
        self.contents.len()
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
        let coord = TileCoord { z: z as u8, x, y };
        match tile_id(coord).and_then(|id| self.index.get(&id)) {
            Some(&slot) => {
                let c = self.contents[slot as usize];
                Lookup::Found {
                    bytes: self.data.slice(c.offset..c.offset + c.len as usize),
                    hash: c.hash,
                }
            }
            None => Lookup::Empty,
        }
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
