//! # mdi-server
//!
//! Serves an atlas directory over HTTP (axum on tokio): vector tiles from `atlas.pmtiles` held
//! in memory, TileJSON, MapLibre styles, the JSON API (`docs/API.md`), downloads with range
//! requests, health and Prometheus metrics.
//!
//! - [`config`]: how to serve ([`ServeConfig`]); [`state`]: what requests share ([`AppState`])
//!   and the reload of the atlas; [`lifecycle`]: run, signals, hot reload, logging; [`listen`]:
//!   the accept loop and its connection limits;
//! - [`routes`]: the one route table, the router and its middleware, and the handlers by family
//!   (tiles, API, styles, files); [`extract`]: typed query strings; [`error`]: the JSON errors;
//!   [`http`]: ETags, conditional requests, `Accept-Encoding`, base URLs;
//! - [`atlas`] loads an atlas directory; [`tiles`] answers tile requests from memory; [`areas`]
//!   and [`search`] hold the areas; [`api`] builds the API documents (their TypeScript types are
//!   generated into `web/src/generated/api.ts` by [`bindings`]); [`style`] builds the MapLibre
//!   style and its QGIS flavor, [`glyphs`] the glyphs of its labels; [`metrics`] counts; [`report`] makes the report of the atlas or
//!   of an area (`/api/report`, `mdi-atlas report`, `docs/REPORT.md`).
//!
//! Coordinates: the API takes and returns WGS84 (EPSG:4326) longitude/latitude degrees; tiles
//! are addressed in the XYZ scheme of Web Mercator (EPSG:3857).

pub mod api;
pub mod areas;
pub mod atlas;
pub mod bindings;
pub mod config;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod glyphs;
pub mod http;
pub mod lifecycle;
pub mod listen;
pub mod metrics;
pub mod ogc;
pub mod ogc_tiles;
pub mod openapi;
pub mod publish;
pub mod report;
pub mod routes;
pub mod search;
pub mod state;
pub mod style;
pub mod tiles;

pub use atlas::{Atlas, MapAtlas};
pub use config::ServeConfig;
pub use error::{ApiError, ServerError};
pub use lifecycle::{init_logging, run, serve, shutdown_signal, spawn_reloaders};
pub use routes::router;
pub use state::{AppState, PendingLoad, Served, Shared};
