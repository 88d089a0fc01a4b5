//! MVT round trip: layers, features, properties and geometry drawn by the fuzzer are encoded
//! with the tiler's `encode::encode_tile` and decoded with an independent decoder
//! (`mvt-reader`); the decoded tile must be what went in. Rings keep at least three points
//! (the encoder leaves shorter ones out, as MVT requires) and coordinates stay within ±2^20
//! (tiles of extent 4096 with a buffer use a few thousand; f32, which the decoder gives, is
//! exact up to 2^24).
#![no_main]

use std::collections::HashMap;

use arbitrary::{Arbitrary, Unstructured};
use geo_types::Geometry;
use libfuzzer_sys::fuzz_target;
use mdi_tiler::encode::{EncodeFeature, EncodeLayer, TileGeometry, encode_tile};
use mdi_tiler::input::Prop;
use mvt_reader::feature::Value;

const LIMIT: i32 = 1 << 20;

fn coord(u: &mut Unstructured<'_>) -> arbitrary::Result<i32> {
    u.int_in_range(-LIMIT..=LIMIT)
}

fn point(u: &mut Unstructured<'_>) -> arbitrary::Result<[i32; 2]> {
    Ok([coord(u)?, coord(u)?])
}

fn prop(u: &mut Unstructured<'_>) -> arbitrary::Result<Prop> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => Prop::Text(String::arbitrary(u)?),
        1 => Prop::UInt(u64::arbitrary(u)?),
        2 => Prop::Int(i64::arbitrary(u)?),
        3 => Prop::Float(f32::arbitrary(u)?),
        _ => Prop::Bool(bool::arbitrary(u)?),
    })
}

struct Feat {
    id: u64,
    props: Vec<(String, Prop)>,
    geometry: TileGeometry,
}

fn feature(u: &mut Unstructured<'_>) -> arbitrary::Result<Feat> {
    let id = u64::arbitrary(u)?;
    let mut props: Vec<(String, Prop)> = Vec::new();
    for _ in 0..u.int_in_range(0u8..=6)? {
        let key = String::arbitrary(u)?;
        // A feature's keys are distinct (the decoder gives them as a map).
        if props.iter().all(|(k, _)| *k != key) {
            props.push((key, prop(u)?));
        }
    }
    let geometry = if bool::arbitrary(u)? {
        TileGeometry::Point(point(u)?)
    } else {
        let mut polygons = Vec::new();
        for _ in 0..u.int_in_range(1u8..=3)? {
            let mut rings = Vec::new();
            for _ in 0..u.int_in_range(1u8..=3)? {
                let mut ring = Vec::new();
                for _ in 0..u.int_in_range(3u8..=12)? {
                    ring.push(point(u)?);
                }
                rings.push(ring);
            }
            polygons.push(rings);
        }
        TileGeometry::Polygons(polygons)
    };
    Ok(Feat {
        id,
        props,
        geometry,
    })
}

fn same_value(p: &Prop, v: &Value) -> bool {
    match (p, v) {
        (Prop::Text(a), Value::String(b)) => a == b,
        (Prop::UInt(a), Value::UInt(b)) => a == b,
        (Prop::Int(a), Value::SInt(b)) => a == b,
        (Prop::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        (Prop::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    }
}

/// The rings of a decoded geometry in order, without the closing point; a point as one
/// one-point "ring".
fn decoded_rings(g: &Geometry<f32>) -> Vec<Vec<[i32; 2]>> {
    let ring = |ls: &geo_types::LineString<f32>| {
        let mut pts: Vec<[i32; 2]> = ls.coords().map(|c| [c.x as i32, c.y as i32]).collect();
        pts.pop();
        pts
    };
    let polygon = |p: &geo_types::Polygon<f32>| {
        std::iter::once(ring(p.exterior()))
            .chain(p.interiors().iter().map(ring))
            .collect::<Vec<_>>()
    };
    match g {
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().flat_map(polygon).collect(),
        Geometry::MultiPoint(mp) => {
            mp.0.iter()
                .map(|p| vec![[p.x() as i32, p.y() as i32]])
                .collect()
        }
        other => panic!("decoded an unexpected geometry {other:?}"),
    }
}

fn expected_rings(g: &TileGeometry) -> Vec<Vec<[i32; 2]>> {
    match g {
        TileGeometry::Point(p) => vec![vec![*p]],
        TileGeometry::Polygons(polys) => polys.iter().flatten().cloned().collect(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut layers: Vec<(String, Vec<Feat>)> = Vec::new();
    let Ok(n_layers) = u.int_in_range(1u8..=3) else {
        return;
    };
    for _ in 0..n_layers {
        let Ok(name) = String::arbitrary(&mut u) else {
            return;
        };
        let mut feats = Vec::new();
        for _ in 0..u.int_in_range(0u8..=4).unwrap_or(0) {
            match feature(&mut u) {
                Ok(f) => feats.push(f),
                Err(_) => break,
            }
        }
        layers.push((name, feats));
    }
    let encode_layers: Vec<EncodeLayer<'_>> = layers
        .iter()
        .map(|(name, feats)| EncodeLayer {
            name,
            features: feats
                .iter()
                .map(|f| EncodeFeature {
                    id: f.id,
                    properties: f.props.iter().map(|(k, v)| (k.as_str(), v)).collect(),
                    geometry: &f.geometry,
                })
                .collect(),
        })
        .collect();
    let bytes = encode_tile(&encode_layers, 4096);

    let reader = mvt_reader::Reader::new(bytes).expect("our tile decodes");
    let kept: Vec<&(String, Vec<Feat>)> = layers.iter().filter(|(_, f)| !f.is_empty()).collect();
    let names = reader.get_layer_names().expect("layer names decode");
    let want: Vec<&String> = kept.iter().map(|(n, _)| n).collect();
    assert_eq!(names.iter().collect::<Vec<_>>(), want, "layer names");
    let meta = reader.get_layer_metadata().expect("layer metadata decodes");
    for (i, (name, feats)) in kept.iter().enumerate() {
        assert_eq!(meta[i].extent, 4096, "extent of layer {name:?}");
        let decoded = reader.get_features(i).expect("features decode");
        assert_eq!(
            decoded.len(),
            feats.len(),
            "feature count of layer {name:?}"
        );
        for (f, d) in feats.iter().zip(&decoded) {
            assert_eq!(d.id, Some(f.id), "feature id");
            let props: HashMap<String, Value> = d.properties.clone().unwrap_or_default();
            assert_eq!(
                props.len(),
                f.props.len(),
                "property count of feature {}",
                f.id
            );
            for (k, v) in &f.props {
                let got = props.get(k);
                assert!(
                    got.is_some_and(|g| same_value(v, g)),
                    "property {k:?} of feature {}: wrote {v:?}, read {got:?}",
                    f.id
                );
            }
            assert_eq!(
                decoded_rings(&d.geometry),
                expected_rings(&f.geometry),
                "geometry of feature {}",
                f.id
            );
        }
    }
});
