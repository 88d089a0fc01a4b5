//! # mdi-tiler
//!
//! Turns the areas of an atlas into vector tiles (MVT 2.1) and writes PMTiles v3 and MBTiles
//! archives. It knows nothing of HTTP.
//!
//! The pipeline (see `docs/TILES.md` for the tile schema):
//! 1. [`input`] reads the atlas directory (`areas.fgb`, `metadata.json`) into layers of features;
//! 2. [`topology`] projects every ring once to Web Mercator and cuts the rings of all layers into
//!    shared arcs, each with a Douglas–Peucker importance per vertex;
//! 3. per zoom, every arc is simplified once (a filter on the importance) and snapped to the
//!    zoom's pixel grid, so neighbours and the levels above them share identical borders;
//! 4. [`clip`] cuts each polygon to the tiles it covers (tile plus buffer) with a robust integer
//!    overlay, which also repairs any ring that snapping made invalid;
//! 5. [`encode`] writes the MVT tiles (geozero's protobuf types), gzip-compressed;
//! 6. [`archive`] writes the PMTiles and MBTiles archives, atomically.

pub mod archive;
pub mod atlas;
pub mod clip;
pub mod encode;
pub mod error;
pub mod generate;
pub mod id;
pub mod input;
pub mod label;
pub mod topology;

pub use atlas::{MBTILES, PMTILES, TileSummary, tile_atlas};

/// The version of the tile schema (layers and properties, docs/TILES.md): raised whenever a
/// change makes tiles of an earlier build differ, so that caches of built atlases (the demo
/// atlas of `mdi-atlas serve`) are rebuilt. 2: the `water` property.
pub const SCHEMA_VERSION: u32 = 2;
pub use error::{Result, TilerError};
pub use generate::{TileOptions, TileReport, TileSet, generate};

/// The address of a tile in the XYZ scheme used by web maps: zoom `z`, column `x` from the west
/// (180° W) and row `y` from the north (85.05° N), each in `0..2^z`. (MBTiles stores rows from
/// the south; [`archive`] converts.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileCoord {
    /// Zoom level.
    pub z: u8,
    /// Column, from the west.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}
