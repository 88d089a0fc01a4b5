//! Reading area files: FlatGeobuf, GeoJSON, TopoJSON (both optionally gzip-compressed) and
//! GeoPackage. Each reader returns a [`Source`]: the features with their attributes, as
//! multipolygons in the file's CRS.
//!
//! The CRS is taken from the file (FlatGeobuf header, GeoPackage `gpkg_spatial_ref_sys`, the
//! GeoJSON `crs` member) or, where the format has none, is WGS84 (RFC 7946 GeoJSON, TopoJSON).
//! [`ReadOptions::crs`] overrides it. A CRS that mdi-atlas does not support is an error.

mod common;
mod fgb;
mod geojson;
mod gpkg;
mod topojson;

pub use fgb::each_fgb_feature;

use std::io::Read;
use std::path::Path;

use crate::crs::Crs;
use crate::error::{GeoError, Result};
use crate::model::Source;

/// How to read an area file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The CRS of the coordinates, overriding what the file says.
    pub crs: Option<Crs>,
    /// The layer (GeoPackage table, TopoJSON object) to read; by default the only one, or the
    /// first polygon layer.
    pub layer: Option<String>,
}

/// The formats mdi-geo reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// FlatGeobuf (`.fgb`).
    FlatGeobuf,
    /// GeoJSON (`.geojson`, `.json`).
    GeoJson,
    /// TopoJSON (`.topojson`, or `.json` holding a `Topology`).
    TopoJson,
    /// GeoPackage (`.gpkg`).
    GeoPackage,
}

/// Read the areas of a file as [`read_areas`] does, except that a GeoPackage holding two or
/// more of the tables named in `layers` (the profile's level layers, e.g. the PDOK
/// Wijk- en Buurtkaart's `gemeenten`, `wijken`, `buurten`) gives one source per such table,
/// unless `options.layer` names one.
///
/// # Errors
/// As [`read_areas`].
pub fn read_area_layers(
    path: &Path,
    options: &ReadOptions,
    layers: &[String],
) -> Result<Vec<Source>> {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".gpkg") {
        gpkg::read_layers(path, options, layers)
    } else {
        Ok(vec![read_areas(path, options)?])
    }
}

/// Read the areas of a file, choosing the reader by its extension (a `.gz` suffix is
/// decompressed first) or, for `.json`, by its content.
///
/// # Errors
/// [`GeoError::Io`] when the file cannot be read, [`GeoError::Format`] when it is not valid in
/// its format or the format is unknown, [`GeoError::Feature`] for a feature that is not a
/// polygon or multipolygon, and [`GeoError::Crs`] for an unsupported CRS.
pub fn read_areas(path: &Path, options: &ReadOptions) -> Result<Source> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let gz = name.ends_with(".gz");
    let base = name.trim_end_matches(".gz");
    let ext = base.rsplit('.').next().unwrap_or("");
    if ext == "gpkg" {
        if gz {
            return Err(GeoError::Format {
                path: path.to_path_buf(),
                message:
                    "a gzip-compressed GeoPackage cannot be read in place; decompress it first"
                        .into(),
            });
        }
        return gpkg::read(path, options);
    }
    let bytes = read_bytes(path, gz)?;
    let source = match format_of(ext, &bytes) {
        Some(Format::FlatGeobuf) => fgb::read(path, &bytes, options),
        Some(Format::GeoJson) => match geojson::read(path, &bytes, options)? {
            geojson::Document::Areas(source) => Ok(source),
            // A `.json` TopoJSON whose `"type": "Topology"` comes after its arcs is not
            // recognised by its first bytes; it is read as what it is.
            geojson::Document::Topology => topojson::read(path, &bytes, options),
        },
        Some(Format::TopoJson) => topojson::read(path, &bytes, options),
        Some(Format::GeoPackage) | None => Err(GeoError::Format {
            path: path.to_path_buf(),
            message: format!(
                "unknown area file format `.{ext}`: expected .fgb, .geojson, .json, .topojson (optionally .gz) or .gpkg"
            ),
        }),
    }?;
    if source.features.is_empty() {
        return Err(GeoError::Format {
            path: path.to_path_buf(),
            message: "the file holds no features; an area file needs at least one polygon".into(),
        });
    }
    Ok(source)
}

fn read_bytes(path: &Path, gz: bool) -> Result<Vec<u8>> {
    let io = |action, source| GeoError::Io {
        path: path.to_path_buf(),
        action,
        cause: source,
    };
    if path.is_dir() {
        return Err(GeoError::Format {
            path: path.to_path_buf(),
            message: "is a folder; expected an area file".into(),
        });
    }
    let raw = std::fs::read(path).map_err(|e| io("cannot read", e))?;
    if raw.is_empty() {
        return Err(GeoError::Format {
            path: path.to_path_buf(),
            message: "the file is empty (0 bytes); expected an area file".into(),
        });
    }
    if gz || raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 8);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| io("cannot decompress", e))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn format_of(ext: &str, bytes: &[u8]) -> Option<Format> {
    match ext {
        "fgb" => Some(Format::FlatGeobuf),
        "topojson" => Some(Format::TopoJson),
        "geojson" | "geojsonl" => Some(Format::GeoJson),
        "json" => {
            // A Topology names its type near the start; GeoJSON does not use that type.
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)])
                .replace(char::is_whitespace, "");
            if head.contains("\"type\":\"Topology\"") {
                Some(Format::TopoJson)
            } else {
                Some(Format::GeoJson)
            }
        }
        _ if bytes.starts_with(b"fgb") => Some(Format::FlatGeobuf),
        _ => None,
    }
}

/// Resolve the CRS of a file: the override, else what the file says, else `default`.
pub(crate) fn resolve_crs(
    path: &Path,
    options: &ReadOptions,
    declared: Option<&str>,
    default: Option<Crs>,
) -> Result<Crs> {
    if let Some(c) = options.crs {
        return Ok(c);
    }
    match declared {
        Some(text) => Crs::parse(text).ok_or_else(|| GeoError::Crs {
            path: path.to_path_buf(),
            message: format!(
                "unknown CRS `{}`: mdi-atlas reads EPSG:4326 (WGS84), EPSG:28992 (RD New) and EPSG:3857; reproject the file, or pass --crs if the declaration is wrong",
                text.chars().take(120).collect::<String>()
            ),
        }),
        None => default.ok_or_else(|| GeoError::Crs {
            path: path.to_path_buf(),
            message: "the file declares no CRS; pass --crs (EPSG:28992, EPSG:4326 or EPSG:3857)".into(),
        }),
    }
}
