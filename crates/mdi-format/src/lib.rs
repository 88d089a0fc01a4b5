//! # mdi-format
//!
//! The one owner of the atlas directory, the contract between the stages of mdi-atlas
//! (`docs/ARCHITECTURE.md`, `docs/ATLAS.md`). Every stage reads and writes the atlas through
//! this crate:
//!
//! - [`files`]: the file names of an atlas directory;
//! - [`metadata`]: `metadata.json` ([`Metadata`]), with its [`FormatVersion`];
//! - [`report`]: `build-report.json` ([`BuildReport`]), including the tiling's report;
//! - [`scores`]: a row of `scores.csv` ([`ScoreRow`]), its writer and its reader by header name
//!   (also `pooled.csv`, the same columns);
//! - [`comparison`]: `comparison.csv`, the profile's comparison variables per (code, year);
//! - [`contiguity`]: `contiguity.gal`, the queen contiguity of the index unit;
//! - [`columns`]: the names of the per-year columns of `areas.fgb` and the tile properties;
//! - [`tiles`]: [`TileCoord`], the property sets of the tiles and the `mdi` block of the tile
//!   archive's metadata;
//! - [`id`]: the stable numeric feature id of an area code;
//! - [`pmtiles`]: the PMTiles v3 reader;
//! - [`reason`]: [`Reason`], why an area has no MDI in a year (every grey area has one);
//! - [`stage`]: [`StagedAtlas`], which writes a new atlas generation beside the old one and
//!   switches the atlas path (a link) to it atomically;
//! - [`generation`]: the generation folders behind an atlas path, their markers, and the
//!   removal of stale ones.
//!
//! Coordinates: bounds are WGS84 (EPSG:4326) longitude/latitude degrees; tiles are addressed in
//! the XYZ scheme of Web Mercator (EPSG:3857).

pub mod columns;
pub mod comparison;
pub mod contiguity;
pub mod error;
pub mod files;
pub mod generation;
pub mod id;
pub mod metadata;
pub mod pmtiles;
pub mod reason;
pub mod report;
pub mod scores;
pub mod stage;
pub mod tiles;

pub use error::{FormatError, Result};
pub use id::feature_id;
pub use metadata::{BandSource, FORMAT_VERSION, FormatVersion, LevelBand, Metadata, ZoomRange};
pub use reason::Reason;
pub use report::BuildReport;
pub use scores::{ScoreRow, Unscored, read_scores, write_scores};
pub use stage::{Committed, StagedAtlas};
pub use tiles::{PropertySet, TileCoord};
