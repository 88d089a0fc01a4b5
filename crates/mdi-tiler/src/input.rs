//! Reading an atlas directory (`metadata.json`, `areas.fgb`) into the layers and features that
//! the tiles carry, with the properties of `docs/TILES.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo_types::MultiPolygon;
use mdi_format::columns as col;
use mdi_format::{Metadata, feature_id, files};
use mdi_geo::read::each_fgb_feature;
use mdi_geo::{ReadOptions, Value};

use crate::error::{Result, TilerError};

/// A property value as it goes into a tile.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    /// Text.
    Text(String),
    /// A non-negative integer (ranks, deciles, counts).
    UInt(u64),
    /// A signed integer.
    Int(i64),
    /// A number, stored as a 32-bit float.
    Float(f32),
    /// A flag.
    Bool(bool),
}

/// One area as it goes into the tiles.
#[derive(Debug, Clone)]
pub struct TileFeature {
    /// The area code.
    pub code: String,
    /// The area name.
    pub name: String,
    /// The stable feature id ([`feature_id`] of the code, the level and its prefix).
    pub id: u64,
    /// The polygons in WGS84 (EPSG:4326) longitude/latitude degrees.
    pub geometry: MultiPolygon<f64>,
    /// The polygons have no extent (the build report lists these areas); the area keeps its
    /// label point but gets no polygon.
    pub collapsed: bool,
    /// The properties of the polygon layer as (index into [`TileInput::keys`], index into
    /// [`TileInput::values`]), in schema order, without empty values. Values are shared: an
    /// entry takes 8 bytes, however many years and domains the atlas has.
    pub properties: Vec<(u16, u32)>,
}

/// One level of the atlas: a polygon layer and its label layer.
#[derive(Debug, Clone)]
pub struct TileLayer {
    /// The level id (`buurt`).
    pub level: String,
    /// The layer name (`buurten`); the label layer is `<name>_labels`.
    pub name: String,
    /// The level's display name (`Buurten`).
    pub title: String,
    /// The prefix of the level's codes (`BU`), for the feature ids.
    pub code_prefix: String,
    /// The areas, in code order.
    pub features: Vec<TileFeature>,
    /// The zoom band the profile asks for (`metadata.json` `levels[].requested_zooms`).
    pub requested_zooms: Option<mdi_format::ZoomRange>,
}

/// Everything the tiles are made of.
#[derive(Debug, Clone)]
pub struct TileInput {
    /// The atlas title.
    pub title: String,
    /// The atlas description.
    pub description: String,
    /// The attribution of the data.
    pub attribution: String,
    /// The years of the scores.
    pub years: Vec<String>,
    /// The domain ids.
    pub domains: Vec<String>,
    /// The levels, index unit first.
    pub layers: Vec<TileLayer>,
    /// The property names and types of the polygon layers, in schema order.
    pub keys: Vec<(String, PropKind)>,
    /// The distinct property values, which [`TileFeature::properties`] index.
    pub values: Vec<Prop>,
}

impl TileInput {
    /// The value of a feature's property entry.
    pub fn value(&self, index: u32) -> &Prop {
        &self.values[index as usize]
    }
}

/// A hashable form of a [`Prop`] (floats by their bits), to share equal values.
#[derive(PartialEq, Eq, Hash)]
enum ValueKey {
    Text(String),
    UInt(u64),
    Int(i64),
    Float(u32),
    Bool(bool),
}

impl From<&Prop> for ValueKey {
    fn from(p: &Prop) -> Self {
        match p {
            Prop::Text(s) => ValueKey::Text(s.clone()),
            Prop::UInt(u) => ValueKey::UInt(*u),
            Prop::Int(i) => ValueKey::Int(*i),
            Prop::Float(f) => ValueKey::Float(f.to_bits()),
            Prop::Bool(b) => ValueKey::Bool(*b),
        }
    }
}

/// The distinct values seen so far, while reading.
#[derive(Default)]
struct Values {
    values: Vec<Prop>,
    index: std::collections::HashMap<ValueKey, u32>,
}

impl Values {
    /// The index of `p`, added if new.
    fn intern(&mut self, p: Prop) -> u32 {
        let next = self.values.len() as u32;
        let k = *self.index.entry(ValueKey::from(&p)).or_insert(next);
        if k == next {
            self.values.push(p);
        }
        k
    }
}

/// The type of a property column, as listed in the archive's `vector_layers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    /// Text.
    Text,
    /// Number.
    Number,
    /// Boolean.
    Bool,
}

impl PropKind {
    /// The tilestats name of the type.
    pub fn tilestats(self) -> &'static str {
        match self {
            PropKind::Text => "string",
            PropKind::Number => "number",
            PropKind::Bool => "boolean",
        }
    }

    /// The TileJSON name of the type.
    pub fn tilejson(self) -> &'static str {
        match self {
            PropKind::Text => "String",
            PropKind::Number => "Number",
            PropKind::Bool => "Boolean",
        }
    }
}

/// How a column of `areas.fgb` becomes a tile property.
#[derive(Debug, Clone, Copy)]
enum Conv {
    Text,
    Bool,
    UInt,
    /// A float, rounded to this many decimals (None: as a 32-bit float).
    Float(Option<i32>),
}

fn schema(cols: &[(String, String, Conv)]) -> Vec<(String, PropKind)> {
    cols.iter()
        .map(|(name, _, conv)| {
            let kind = match conv {
                Conv::Text => PropKind::Text,
                Conv::Bool => PropKind::Bool,
                Conv::UInt | Conv::Float(_) => PropKind::Number,
            };
            (name.clone(), kind)
        })
        .collect()
}

/// (tile property, areas.fgb column, conversion), in schema order.
fn columns(years: &[String], domains: &[String]) -> Vec<(String, String, Conv)> {
    let same = |name: String, conv: Conv| (name.clone(), name, conv);
    let mut cols = vec![
        same(col::CODE.into(), Conv::Text),
        same(col::NAME.into(), Conv::Text),
        same(col::LEVEL.into(), Conv::Text),
        same(col::NODATA.into(), Conv::Bool),
        same(col::WATER.into(), Conv::Bool),
        // `population` is filled from the latest `population_Y` with a value.
        (col::POPULATION.into(), String::new(), Conv::UInt),
    ];
    for y in years {
        cols.push(same(col::mdi_score(y), Conv::Float(None)));
        cols.push(same(col::mdi_rank(y), Conv::UInt));
        cols.push(same(col::mdi_decile(y), Conv::UInt));
        for d in domains {
            cols.push(same(col::domain_score(d, y), Conv::Float(Some(1))));
            cols.push(same(col::domain_decile(d, y), Conv::UInt));
        }
        cols.push(same(col::domains_in_worst_decile(y), Conv::UInt));
        cols.push(same(col::share_worst_decile(y), Conv::Float(Some(4))));
        // Why the area has no MDI that year (empty, so absent, when it has one), and the
        // number of domains behind it (docs/TILES.md).
        cols.push(same(col::reason(y), Conv::Text));
        cols.push(same(col::domains_with_data(y), Conv::UInt));
        // The local Moran cluster class of the year's MDI (format 1.3; absent before).
        cols.push(same(col::cluster(y), Conv::Text));
    }
    cols
}

fn input_err(path: &Path, message: impl Into<String>) -> TilerError {
    TilerError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The tile properties of one feature of `areas.fgb` (`props`): (index into `cols`, value),
/// in schema order, without empty values. `population` is the latest of `pop_cols` (newest
/// first) with a count.
fn tile_properties(
    props: &BTreeMap<String, Value>,
    cols: &[(String, String, Conv)],
    pop_cols: &[String],
    values: &mut Values,
) -> Vec<(u16, u32)> {
    let mut properties = Vec::with_capacity(cols.len());
    for (k, (_, col, conv)) in cols.iter().enumerate() {
        let raw = if col.is_empty() {
            pop_cols
                .iter()
                .find_map(|c| props.get(c).and_then(Value::as_f64))
                .map(Value::Float)
        } else {
            props.get(col).cloned()
        };
        if let Some(p) = raw.and_then(|raw| convert(*conv, &raw)) {
            properties.push((k as u16, values.intern(p)));
        }
    }
    properties.shrink_to_fit();
    properties
}

/// A value of `areas.fgb` as a tile property; `None` for an empty or unusable value.
fn convert(conv: Conv, raw: &Value) -> Option<Prop> {
    Some(match (conv, raw) {
        (_, Value::Null) => return None,
        (Conv::Text, v) => Prop::Text(v.as_text().unwrap_or_default()),
        (Conv::Bool, Value::Bool(b)) => Prop::Bool(*b),
        (Conv::Bool, v) => Prop::Bool(v.as_f64().is_some_and(|x| x != 0.0)),
        (Conv::UInt, v) => match v.as_f64()? {
            x if x >= 0.0 => Prop::UInt(x.round() as u64),
            x => Prop::Int(x.round() as i64),
        },
        (Conv::Float(decimals), v) => {
            let x = v.as_f64().filter(|x| x.is_finite())?;
            let x = match decimals {
                Some(d) => {
                    let s = 10f64.powi(d);
                    (x * s).round() / s
                }
                None => x,
            };
            Prop::Float(x as f32)
        }
    })
}

/// Puts each layer's features in code order (the FlatGeobuf index reorders them) and checks
/// that no two codes share a feature id.
fn sort_and_check_ids(layers: &mut [TileLayer]) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for layer in layers {
        layer.features.sort_by(|a, b| a.code.cmp(&b.code));
        for f in &layer.features {
            if let Some(first) = seen.insert(f.id, f.code.clone())
                && first != f.code
            {
                return Err(TilerError::IdCollision {
                    first,
                    second: f.code.clone(),
                    id: f.id,
                });
            }
        }
    }
    Ok(())
}

/// Read an atlas directory written by `mdi-atlas build`.
///
/// # Errors
/// [`TilerError::Io`] / [`TilerError::Input`] when `metadata.json` is missing or lacks `levels`
/// or `years`, [`TilerError::Geo`] when `areas.fgb` cannot be read, and
/// [`TilerError::IdCollision`] when two codes share a feature id.
pub fn read_atlas(dir: &Path) -> Result<TileInput> {
    let meta = Metadata::read(dir)?;
    let years: Vec<String> = meta.years.iter().map(i32::to_string).collect();
    let domains = meta.domain_ids();
    let mut layers: Vec<TileLayer> = meta
        .levels
        .iter()
        .map(|l| TileLayer {
            level: l.id.clone(),
            name: l.layer.clone(),
            title: l.name.clone(),
            code_prefix: l.code_prefix.clone(),
            features: Vec::new(),
            requested_zooms: l.requested_zooms,
        })
        .collect();

    let areas_path: PathBuf = dir.join(files::AREAS);
    let cols = columns(&years, &domains);
    let pop_cols: Vec<String> = years.iter().rev().map(col::population).collect();
    // Streamed: only the tile properties of each feature are kept.
    let mut failure: Option<TilerError> = None;
    let mut values = Values::default();
    each_fgb_feature(&areas_path, &ReadOptions::default(), &mut |f| {
        if failure.is_some() {
            return Ok(());
        }
        let text = |k: &str| {
            f.properties
                .get(k)
                .and_then(Value::as_text)
                .unwrap_or_default()
        };
        let layer_name = text(col::LEVEL);
        let code = text(col::CODE);
        let Some((li, layer)) = layers
            .iter_mut()
            .enumerate()
            .find(|(_, l)| l.name == layer_name)
        else {
            failure = Some(input_err(
                &areas_path,
                format!(
                    "feature {} ({code}): level `{layer_name}` is not one of the levels in metadata.json",
                    f.index
                ),
            ));
            return Ok(());
        };
        let properties = tile_properties(&f.properties, &cols, &pop_cols, &mut values);
        let collapsed = matches!(f.properties.get(col::COLLAPSED), Some(Value::Bool(true)));
        layer.features.push(TileFeature {
            id: feature_id(&code, li, &layer.code_prefix),
            name: text(col::NAME),
            code,
            geometry: f.geometry,
            collapsed,
            properties,
        });
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    sort_and_check_ids(&mut layers)?;
    Ok(TileInput {
        title: meta.title,
        description: meta.description,
        attribution: meta.attribution,
        years,
        domains,
        layers,
        keys: schema(&cols),
        values: values.values,
    })
}
