//! # mdi-server
//!
//! Serves an atlas directory over HTTP (axum on tokio): vector tiles from `atlas.pmtiles` held
//! in memory, TileJSON, MapLibre styles, the JSON API (`docs/API.md`), downloads with range
//! requests, health and Prometheus metrics.
//!
//! - [`atlas`] loads an atlas directory into the read-only state the routes share;
//! - [`tiles`] indexes the PMTiles archive once and answers tile requests from memory;
//! - [`areas`] and [`search`] hold the areas for the API; [`api`] answers it;
//! - [`style`] writes the MapLibre style (and its QGIS flavor) of the choropleth;
//! - [`server`] wires the routes, middleware (CORS, timeout, concurrency limit, metrics), hot
//!   reload and graceful shutdown.
//!
//! Coordinates: the API takes and returns WGS84 (EPSG:4326) longitude/latitude degrees; tiles
//! are addressed in the XYZ scheme of Web Mercator (EPSG:3857).

pub mod api;
pub mod areas;
pub mod atlas;
pub mod error;
pub mod http;
pub mod metrics;
pub mod search;
pub mod server;
pub mod style;
pub mod tiles;

pub use atlas::Atlas;
pub use error::{ApiError, ServerError};
pub use server::{AppState, ServeConfig, Shared, router, run};
