//! Encoding one tile as MVT 2.1 with geozero's protobuf types, and gzip.

use std::collections::HashMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use geozero::mvt::tile::{Feature, GeomType, Layer, Value};
use geozero::mvt::{Message, Tile};

use crate::clip::{GridPoint, GridPolygon};
use crate::input::Prop;

/// A feature's geometry in one tile, in tile-local grid coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    /// Polygons (each an exterior then holes; rings not closed, oriented per MVT).
    Polygons(Vec<GridPolygon>),
    /// One point.
    Point(GridPoint),
}

/// One feature to encode.
pub struct EncodeFeature<'a> {
    /// The feature id.
    pub id: u64,
    /// The properties (name, value), in order.
    pub properties: Vec<(&'a str, &'a Prop)>,
    /// The geometry.
    pub geometry: &'a TileGeometry,
}

/// One layer to encode.
pub struct EncodeLayer<'a> {
    /// The layer name.
    pub name: &'a str,
    /// Its features, in the order they are written.
    pub features: Vec<EncodeFeature<'a>>,
}

/// Encode a tile (uncompressed protobuf). Layers without features are left out; keys and values
/// are stored once per layer, in order of first use, so the bytes depend only on the input.
pub fn encode_tile(layers: &[EncodeLayer<'_>], extent: u32) -> Vec<u8> {
    let mut tile = Tile {
        layers: Vec::with_capacity(layers.len()),
    };
    for layer in layers.iter().filter(|l| !l.features.is_empty()) {
        let mut keys: Vec<String> = Vec::new();
        let mut key_index: HashMap<&str, u32> = HashMap::new();
        let mut values: Vec<Value> = Vec::new();
        let mut value_index: HashMap<ValueKey<'_>, u32> = HashMap::new();
        let mut features = Vec::with_capacity(layer.features.len());
        for f in &layer.features {
            let mut tags = Vec::with_capacity(f.properties.len() * 2);
            for &(k, v) in &f.properties {
                let ki = *key_index.entry(k).or_insert_with(|| {
                    keys.push(k.to_string());
                    (keys.len() - 1) as u32
                });
                let vi = *value_index.entry(ValueKey::of(v)).or_insert_with(|| {
                    values.push(to_value(v));
                    (values.len() - 1) as u32
                });
                tags.push(ki);
                tags.push(vi);
            }
            let (kind, geometry) = match f.geometry {
                TileGeometry::Polygons(polys) => (GeomType::Polygon, polygon_commands(polys)),
                TileGeometry::Point(p) => (GeomType::Point, point_commands(*p)),
            };
            features.push(Feature {
                id: Some(f.id),
                tags,
                r#type: Some(kind as i32),
                geometry,
            });
        }
        tile.layers.push(Layer {
            version: 2,
            name: layer.name.to_string(),
            features,
            keys,
            values,
            extent: Some(extent),
        });
    }
    tile.encode_to_vec()
}

/// gzip with a fixed header (no file name, time 0), so equal input gives equal bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3 + 64),
        Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Text(&'a str),
    UInt(u64),
    Int(i64),
    Float(u32),
    Bool(bool),
}

impl<'a> ValueKey<'a> {
    fn of(p: &'a Prop) -> Self {
        match p {
            Prop::Text(s) => ValueKey::Text(s),
            Prop::UInt(u) => ValueKey::UInt(*u),
            Prop::Int(i) => ValueKey::Int(*i),
            Prop::Float(f) => ValueKey::Float(f.to_bits()),
            Prop::Bool(b) => ValueKey::Bool(*b),
        }
    }
}

fn to_value(p: &Prop) -> Value {
    let mut v = Value::default();
    match p {
        Prop::Text(s) => v.string_value = Some(s.clone()),
        Prop::UInt(u) => v.uint_value = Some(*u),
        Prop::Int(i) => v.sint_value = Some(*i),
        Prop::Float(f) => v.float_value = Some(*f),
        Prop::Bool(b) => v.bool_value = Some(*b),
    }
    v
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn polygon_commands(polys: &[GridPolygon]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cursor = [0i32, 0i32];
    for ring in polys.iter().flatten() {
        if ring.len() < 3 {
            continue;
        }
        out.push(command(MOVE_TO, 1));
        out.push(zigzag(ring[0][0] - cursor[0]));
        out.push(zigzag(ring[0][1] - cursor[1]));
        cursor = ring[0];
        out.push(command(LINE_TO, (ring.len() - 1) as u32));
        for p in &ring[1..] {
            out.push(zigzag(p[0] - cursor[0]));
            out.push(zigzag(p[1] - cursor[1]));
            cursor = *p;
        }
        out.push(command(CLOSE_PATH, 1));
    }
    out
}

fn point_commands(p: GridPoint) -> Vec<u32> {
    vec![command(MOVE_TO, 1), zigzag(p[0]), zigzag(p[1])]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_polygon_encodes_as_published() {
        // MVT 2.1 spec, 4.3.5.3 "Example Polygon": (3,6) (8,12) (20,34) closed →
        // [9, 6, 12, 18, 10, 12, 24, 44, 15].
        let polys = vec![vec![vec![[3, 6], [8, 12], [20, 34]]]];
        assert_eq!(
            polygon_commands(&polys),
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
        // 4.3.5.1 "Example Point": (25, 17) → [9, 50, 34].
        assert_eq!(point_commands([25, 17]), vec![9, 50, 34]);
    }

    #[test]
    fn values_are_stored_once_and_tiles_decode() {
        let (d, a) = (Prop::UInt(3), Prop::Text("A".into()));
        let props = vec![("decile", &d), ("name", &a)];
        let g = TileGeometry::Point([1, 2]);
        let layer = EncodeLayer {
            name: "l",
            features: vec![
                EncodeFeature {
                    id: 1,
                    properties: props.clone(),
                    geometry: &g,
                },
                EncodeFeature {
                    id: 2,
                    properties: props,
                    geometry: &g,
                },
            ],
        };
        let bytes = encode_tile(&[layer], 4096);
        let tile = Tile::decode(bytes.as_slice()).unwrap();
        let l = &tile.layers[0];
        assert_eq!((l.keys.len(), l.values.len(), l.features.len()), (2, 2, 2));
        assert_eq!(l.features[1].tags, vec![0, 0, 1, 1]);
        assert_eq!(l.version, 2);
        assert_eq!(gzip(&bytes), gzip(&bytes));
    }
}
