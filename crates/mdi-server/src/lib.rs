//! # mdi-server
//!
//! Serves an atlas directory: tiles, TileJSON, styles and the JSON API. All state is built at
//! start-up and read-only on the request path.
//!
//! Not built yet: this crate sets the dependency direction `mdi-tiler ← mdi-server`.

pub use mdi_tiler;
