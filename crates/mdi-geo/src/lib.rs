//! # mdi-geo
//!
//! Geometry in and out for mdi-atlas: reading area polygons (FlatGeobuf, GeoJSON, TopoJSON,
//! GeoPackage), reprojection from RD New (EPSG:28992) to WGS84 and Web Mercator, the area
//! hierarchy, ring repair, the join of [`mdi_core::Scores`] to areas by code, and writing the atlas
//! directory.

pub mod atlas;
pub mod contiguity;
pub mod crosswalk;
pub mod crs;
pub mod dissolve;
pub mod error;
pub mod gpkg_write;
pub mod hierarchy;
pub mod join;
pub mod model;
pub mod read;
pub mod repair;

pub use crs::Crs;
pub use error::{GeoError, Result};
pub use model::{Feature, Source, Value};
pub use read::{ReadOptions, read_area_layers, read_areas};
