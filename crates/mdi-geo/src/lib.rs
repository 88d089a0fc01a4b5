//! # mdi-geo
//!
//! Geometry in and out for mdi-atlas: reading area polygons (FlatGeobuf, GeoJSON, TopoJSON,
//! GeoPackage), reprojection from RD New (EPSG:28992) to WGS84 and Web Mercator, the area
//! hierarchy, ring repair, and the join of [`mdi_core::Scores`] to areas by code.
//!
//! Not built yet: this crate sets the dependency direction `mdi-core ← mdi-geo`. See the issue
//! "Polygons in, scores joined".

pub use mdi_core;
