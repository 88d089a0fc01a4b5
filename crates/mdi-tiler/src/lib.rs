//! # mdi-tiler
//!
//! Turns the areas of an atlas into vector tiles (MVT) with a shared-arc topology, and writes
//! PMTiles and MBTiles archives. It knows nothing of HTTP.
//!
//! Not built yet: this crate sets the dependency direction `mdi-geo ← mdi-tiler`.

pub use mdi_geo;
