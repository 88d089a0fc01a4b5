//! Helpers that the readers share: the legacy GeoJSON `crs` member (GeoJSON and TopoJSON),
//! JSON attributes, and the checks that a geometry is a non-empty area in longitude/latitude.

use std::collections::BTreeMap;
use std::path::Path;

use geo_types::{Coord, MultiPolygon};
use serde_json::{Map, Value as Json};

use super::ReadOptions;
use crate::error::{GeoError, Result};
use crate::model::Value;

/// The CRS text that a legacy `crs` member declares, if there is one. A `crs` member that names
/// no CRS is an error unless the CRS is overridden.
pub(super) fn declared_crs(
    path: &Path,
    crs: Option<&Json>,
    options: &ReadOptions,
) -> Result<Option<String>> {
    let crs = match crs {
        None | Some(Json::Null) => return Ok(None),
        Some(c) => c,
    };
    let props = crs.get("properties");
    if let Some(name) = props.and_then(|p| p.get("name")).and_then(Json::as_str) {
        return Ok(Some(name.to_string()));
    }
    if let Some(code) = props
        .and_then(|p| p.get("code"))
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
    {
        return Ok(Some(format!("EPSG:{code}")));
    }
    if options.crs.is_some() {
        return Ok(None);
    }
    Err(GeoError::Crs {
        path: path.to_path_buf(),
        message: format!(
            "the `crs` member ({}) names no CRS; expected {{\"type\": \"name\", \"properties\": {{\"name\": \"EPSG:28992\"}}}}, or pass --crs",
            crs.to_string().chars().take(120).collect::<String>()
        ),
    })
}

/// The attributes of a GeoJSON feature or TopoJSON geometry object: its `properties`, plus its
/// `id` as the property `id` where it has no such property.
pub(super) fn feature_properties(
    properties_member: Option<&Json>,
    id: Option<&Json>,
) -> std::result::Result<BTreeMap<String, Value>, String> {
    let mut props = match properties_member {
        Some(Json::Object(p)) => properties(p),
        None | Some(Json::Null) => BTreeMap::new(),
        Some(other) => {
            return Err(format!(
                "has `properties` that are {}, not an object",
                json_kind(other)
            ));
        }
    };
    if let Some(id) = id {
        props
            .entry("id".to_string())
            .or_insert_with(|| json_value(id));
    }
    Ok(props)
}

/// Without an override, coordinates read as WGS84 must be longitude/latitude: anything else is
/// a projected file that does not say so. The bounds of all coordinates tell which CRS it
/// probably is: inside the RD New grid (x −7,000 to 300,000 m, y 289,000 to 629,000 m) they look
/// like RD New metres, otherwise within the Web Mercator square like Web Mercator.
pub(super) fn check_lon_lat<'a>(
    path: &Path,
    what: &str,
    coords: impl IntoIterator<Item = &'a Coord<f64>>,
) -> Result<()> {
    let mut outside = None;
    let (mut lo, mut hi) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for c in coords {
        if outside.is_none() && (!(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y))
        {
            outside = Some(*c);
        }
        (lo.x, lo.y, hi.x, hi.y) = (lo.x.min(c.x), lo.y.min(c.y), hi.x.max(c.x), hi.y.max(c.y));
    }
    let Some(c) = outside else { return Ok(()) };
    let rd = lo.x >= -7_000.0 && hi.x <= 300_000.0 && lo.y >= 289_000.0 && hi.y <= 629_000.0;
    let mercator = [lo.x, lo.y, hi.x, hi.y]
        .iter()
        .all(|v| v.abs() <= 20_037_508.35);
    let guess = if rd {
        "; these look like RD New (EPSG:28992) metres: pass --crs EPSG:28992"
    } else if mercator {
        "; they may be projected metres such as Web Mercator: pass --crs EPSG:3857 or EPSG:28992, whichever they are"
    } else {
        "; pass --crs (EPSG:28992, EPSG:4326 or EPSG:3857) if they are projected"
    };
    Err(GeoError::Crs {
        path: path.to_path_buf(),
        message: format!(
            "{what} coordinates are read as WGS84 longitude/latitude, but ({}, {}) is not (bounds x {} to {}, y {} to {}){guess}",
            c.x, c.y, lo.x, hi.x, lo.y, hi.y
        ),
    })
}

/// The message for a feature whose geometry is of type `kind` rather than an area.
pub(super) fn not_area_message(kind: &str) -> String {
    format!("is a {kind}; area files must hold Polygon or MultiPolygon geometries")
}

/// An error message when a multipolygon (or one of its parts) has no coordinates.
pub(super) fn check_not_empty(mp: &MultiPolygon<f64>) -> std::result::Result<(), String> {
    if mp.0.is_empty() {
        return Err("is an empty geometry; area files must hold non-empty Polygon or MultiPolygon geometries".into());
    }
    if let Some(k) = mp.0.iter().position(|p| p.exterior().0.is_empty()) {
        return Err(format!(
            "has an empty polygon (part {k}); every part of an area must have an outer ring"
        ));
    }
    Ok(())
}

/// A decoded geometry as an area: a polygon as a one-part multipolygon, a multipolygon as it
/// is; other types and empty geometries give the message for the feature error.
pub(super) fn areas_of(
    g: geo_types::Geometry<f64>,
) -> std::result::Result<MultiPolygon<f64>, String> {
    use geo_types::Geometry as G;
    let mp = match g {
        G::Polygon(p) => MultiPolygon(vec![p]),
        G::MultiPolygon(mp) => mp,
        G::Point(_) => return Err(not_area_message("Point")),
        G::Line(_) | G::LineString(_) => return Err(not_area_message("LineString")),
        G::MultiPoint(_) => return Err(not_area_message("MultiPoint")),
        G::MultiLineString(_) => return Err(not_area_message("MultiLineString")),
        G::GeometryCollection(_) => return Err(not_area_message("GeometryCollection")),
        G::Rect(_) => return Err(not_area_message("Rect")),
        G::Triangle(_) => return Err(not_area_message("Triangle")),
    };
    check_not_empty(&mp)?;
    Ok(mp)
}

/// The attributes of a GeoJSON/TopoJSON `properties` object.
pub(super) fn properties(obj: &Map<String, Json>) -> BTreeMap<String, Value> {
    obj.iter()
        .map(|(k, v)| (k.clone(), json_value(v)))
        .collect()
}

/// A JSON value as an attribute: integers as `Int` (when they fit an i64), other numbers as
/// `Float`, arrays and objects as their JSON text.
pub(super) fn json_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Null, Value::Float),
        },
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(_) | Json::Object(_) => Value::Text(v.to_string()),
    }
}

/// "an array", "a number", … for messages.
pub(super) fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}
