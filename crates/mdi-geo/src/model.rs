//! Features as read from an area file: a polygon or multipolygon and its attributes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo_types::MultiPolygon;

use crate::crs::Crs;

/// An attribute value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
}

impl Value {
    /// The value as text (numbers formatted, `Null` as `None`).
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Text(t) => Some(t.clone()),
        }
    }

    /// The value as a number, where it is one (or text that parses as one).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Text(t) => t.trim().parse().ok(),
            Value::Null | Value::Bool(_) => None,
        }
    }
}

/// One feature of an area file.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The 0-based number of the feature in its file (or layer), for error messages.
    pub index: usize,
    /// The geometry, in the CRS of its [`Source`]. Polygons are stored as one-part
    /// multipolygons.
    pub geometry: MultiPolygon<f64>,
    /// The attributes by name.
    pub properties: BTreeMap<String, Value>,
}

/// The features of one area file (or one layer of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// The layer or object read, where the format has several.
    pub layer: Option<String>,
    /// The CRS of the coordinates.
    pub crs: Crs,
    /// The features, in file order.
    pub features: Vec<Feature>,
}
