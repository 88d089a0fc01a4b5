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
pub mod input;
pub mod label;
pub mod levels;
pub mod spill;
pub mod topology;

pub use atlas::{TileSummary, tile_atlas};
pub use mdi_format::files::{MBTILES, PMTILES};
pub use mdi_format::{TileCoord, id};

/// The version of the tile schema (layers and properties, docs/TILES.md): raised whenever a
/// change makes tiles of an earlier build differ, so that caches of built atlases (the demo
/// atlas of `mdi-atlas serve`) are rebuilt. 2: the `water` property.
pub const SCHEMA_VERSION: u32 = 3;
pub use error::{Result, TilerError};
pub use generate::{TileOptions, TileSet, generate};
pub use mdi_format::report::{TileReport, ZoomReport};
