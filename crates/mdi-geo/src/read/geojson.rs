//! GeoJSON: a `FeatureCollection`, a single `Feature`, or a bare `Polygon`/`MultiPolygon`
//! geometry. The CRS is the legacy `crs` member (`{"type": "name", "properties": {"name": …}}`,
//! or the 2008 `{"type": "EPSG", "properties": {"code": …}}`) when present, else WGS84 as
//! RFC 7946 prescribes. A feature `id` is kept as the property `id` unless the feature has a
//! property of that name.
//!
//! A `.geojsonl` file (or one starting with the RS character of RFC 8142) is read as a
//! sequence of Features, one per line (or per RS-separated record), in WGS84.

use std::collections::BTreeMap;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value as Json};

use super::common::{
    check_lon_lat, check_not_empty, declared_crs, feature_properties, json_kind, not_area_message,
};
use super::{ReadOptions, resolve_crs};
use crate::crs::Crs;
use crate::error::{GeoError, Result};
use crate::model::{Feature, Source};

/// What a GeoJSON file turned out to hold.
pub(super) enum Document {
    /// The areas of a GeoJSON document or sequence.
    Areas(Source),
    /// A TopoJSON `Topology` whose `type` came too late to be recognised by the file's first
    /// bytes (CBS files put it after their arcs); the caller reads it as TopoJSON.
    Topology,
}

/// Read a GeoJSON document, or a GeoJSON sequence (`.geojsonl`, or RFC 8142 records).
pub(super) fn read(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Document> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if name.trim_end_matches(".gz").ends_with(".geojsonl") || first == Some(&RS) {
        return read_sequence(path, bytes, options).map(Document::Areas);
    }
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    let doc: Json = serde_json::from_slice(bytes).map_err(|e| {
        format(format!("not valid JSON ({e}); expected a GeoJSON FeatureCollection, Feature or Polygon/MultiPolygon"))
    })?;
    let Json::Object(root) = &doc else {
        return Err(format(format!(
            "the top level is {}, not an object; expected a GeoJSON FeatureCollection, Feature or Polygon/MultiPolygon",
            json_kind(&doc)
        )));
    };
    if root.get("type").and_then(Json::as_str) == Some("Topology") {
        return Ok(Document::Topology);
    }
    let crs = resolve_crs(
        path,
        options,
        declared_crs(path, root.get("crs"), options)?.as_deref(),
        Some(Crs::Wgs84),
    )?;
    let kind = root.get("type").and_then(Json::as_str).unwrap_or("");
    let features = match kind {
        "FeatureCollection" => {
            let list = root.get("features").and_then(Json::as_array).ok_or_else(|| {
                format("a FeatureCollection without a `features` array; expected `\"features\": [ … ]`".into())
            })?;
            list.iter()
                .enumerate()
                .map(|(i, f)| feature(path, i, f))
                .collect::<Result<Vec<_>>>()?
        }
        "Feature" => vec![feature(path, 0, &doc)?],
        "Polygon" | "MultiPolygon" | "Point" | "MultiPoint" | "LineString" | "MultiLineString"
        | "GeometryCollection" => {
            vec![Feature {
                index: 0,
                geometry: geometry(path, 0, root)?,
                properties: BTreeMap::new(),
            }]
        }
        "" => {
            return Err(format(
                "no `type` member at the top level; expected a GeoJSON FeatureCollection, Feature or Polygon/MultiPolygon"
                    .into(),
            ));
        }
        other => {
            return Err(format(format!(
                "unknown GeoJSON type `{other}`; expected a FeatureCollection, Feature or Polygon/MultiPolygon"
            )));
        }
    };
    if crs == Crs::Wgs84 && options.crs.is_none() {
        check_lon_lat(path, "GeoJSON", exteriors(&features))?;
    }
    Ok(Document::Areas(Source {
        path: path.to_path_buf(),
        layer: None,
        crs,
        features,
    }))
}

/// The record separator of GeoJSON text sequences (RFC 8142).
const RS: u8 = 0x1e;

/// Newline-delimited GeoJSON, or an RFC 8142 sequence: one Feature per line or record.
fn read_sequence(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Source> {
    let crs = resolve_crs(path, options, None, Some(Crs::Wgs84))?;
    let sep = if bytes.contains(&RS) { RS } else { b'\n' };
    let unit = if sep == RS { "record" } else { "line" };
    let mut features = Vec::new();
    for (n, record) in bytes.split(|&b| b == sep).enumerate() {
        let record = record.trim_ascii();
        if record.is_empty() {
            continue;
        }
        // Lines count from 1 including blank ones; records count the non-empty ones.
        let number = if sep == RS { features.len() + 1 } else { n + 1 };
        let json: Json = serde_json::from_slice(record).map_err(|e| GeoError::Format {
            path: path.to_path_buf(),
            message: format!(
                "{unit} {number}: not valid JSON ({e}); expected one GeoJSON Feature per {unit}"
            ),
        })?;
        features.push(feature(path, features.len(), &json)?);
    }
    if crs == Crs::Wgs84 && options.crs.is_none() {
        check_lon_lat(path, "GeoJSON", exteriors(&features))?;
    }
    Ok(Source {
        path: path.to_path_buf(),
        layer: None,
        crs,
        features,
    })
}

fn feature(path: &Path, index: usize, json: &Json) -> Result<Feature> {
    let err = |message: String| GeoError::Feature {
        path: path.to_path_buf(),
        feature: index,
        code: None,
        message,
    };
    let Json::Object(obj) = json else {
        return Err(err(format!(
            "is {}, not a GeoJSON Feature object",
            json_kind(json)
        )));
    };
    match obj.get("type").and_then(Json::as_str) {
        Some("Feature") => {}
        Some(other) => {
            return Err(err(format!(
                "has type `{other}`; expected a GeoJSON Feature"
            )));
        }
        None => return Err(err("has no `type`; expected a GeoJSON Feature".into())),
    }
    let geometry = match obj.get("geometry") {
        Some(Json::Object(g)) => geometry(path, index, g)?,
        None | Some(Json::Null) => {
            return Err(err(
                "has no geometry (null); area files must hold Polygon or MultiPolygon geometries"
                    .into(),
            ));
        }
        Some(other) => {
            return Err(err(format!(
                "has a geometry that is {}, not an object",
                json_kind(other)
            )));
        }
    };
    let properties = feature_properties(obj.get("properties"), obj.get("id")).map_err(err)?;
    Ok(Feature {
        index,
        geometry,
        properties,
    })
}

/// A GeoJSON geometry object as a multipolygon, or the error for feature `index`.
fn geometry(path: &Path, index: usize, g: &Map<String, Json>) -> Result<MultiPolygon<f64>> {
    let err = |message: String| GeoError::Feature {
        path: path.to_path_buf(),
        feature: index,
        code: None,
        message,
    };
    let kind = g
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or("geometry without a type");
    let coords = g.get("coordinates");
    let parsed = match kind {
        "Polygon" => {
            let c = coords.ok_or_else(|| err("is a Polygon without `coordinates`".into()))?;
            polygon(c).map(|p| MultiPolygon(vec![p]))
        }
        "MultiPolygon" => {
            let c = coords.ok_or_else(|| err("is a MultiPolygon without `coordinates`".into()))?;
            match c.as_array() {
                Some(parts) => parts
                    .iter()
                    .enumerate()
                    .map(|(k, p)| polygon(p).map_err(|m| format!("part {k}: {m}")))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map(MultiPolygon),
                None => Err("`coordinates` is not an array of polygons".into()),
            }
        }
        other => return Err(err(not_area_message(other))),
    };
    let mp = parsed.map_err(|m| err(format!("has an invalid {kind}: {m}")))?;
    check_not_empty(&mp).map_err(err)?;
    Ok(mp)
}

fn polygon(json: &Json) -> std::result::Result<Polygon<f64>, String> {
    let rings = json
        .as_array()
        .ok_or("a polygon is not an array of rings")?;
    let mut rings = rings.iter().enumerate().map(|(r, ring)| {
        let positions = ring
            .as_array()
            .ok_or_else(|| format!("ring {r} is not an array of positions"))?;
        positions
            .iter()
            .enumerate()
            .map(|(k, p)| {
                position(p)
                    .ok_or_else(|| format!("ring {r}, position {k} is not [x, y] with numbers"))
            })
            .collect::<std::result::Result<Vec<Coord<f64>>, String>>()
            .and_then(|c| match (c.first(), c.last()) {
                (Some(a), Some(b)) if a != b => Err(format!(
                    "ring {r} is not closed: its last position ({}, {}) is not its first ({}, {}); GeoJSON rings end where they start (RFC 7946 §3.1.6)",
                    b.x, b.y, a.x, a.y
                )),
                _ => Ok(LineString(c)),
            })
    });
    let exterior = rings
        .next()
        .transpose()?
        .unwrap_or_else(|| LineString(Vec::new()));
    let interiors = rings.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn position(json: &Json) -> Option<Coord<f64>> {
    let a = json.as_array()?;
    match a.as_slice() {
        [x, y, ..] => Some(Coord {
            x: x.as_f64()?,
            y: y.as_f64()?,
        }),
        _ => None,
    }
}

/// The coordinates of the outer rings of features.
fn exteriors(features: &[Feature]) -> impl Iterator<Item = &Coord<f64>> {
    features
        .iter()
        .flat_map(|f| &f.geometry.0)
        .flat_map(|p| p.exterior())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    use crate::model::Value;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn read_text(text: &str, options: &ReadOptions) -> Result<Source> {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "areas.geojson", text);
        crate::read::read_areas(&p, options)
    }

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        LineString(c.iter().map(|&(x, y)| coord! { x: x, y: y }).collect())
    }

    const COLLECTION: &str = r#"{
      "type": "FeatureCollection",
      "features": [
        {"type": "Feature", "id": "f1",
         "properties": {"code": "BU00010001", "n": 42, "share": 0.25, "secret": -99999999, "note": null, "water": true},
         "geometry": {"type": "Polygon", "coordinates": [
            [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]],
            [[5.02, 52.02], [5.02, 52.04], [5.04, 52.04], [5.04, 52.02], [5.02, 52.02]]]}},
        {"type": "Feature", "id": 7, "properties": {"code": "BU00010002", "id": "own"},
         "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[6.0, 53.0], [6.5, 53.0], [6.5, 53.5], [6.0, 53.0]]],
            [[[7.0, 51.0], [7.25, 51.0], [7.25, 51.125], [7.0, 51.0]]]]}},
        {"type": "Feature", "properties": null,
         "geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3, 2], [3, 4], [1, 2]]]}}
      ]
    }"#;

    #[test]
    fn reads_collection_with_hole_and_multipolygon() {
        let s = read_text(COLLECTION, &ReadOptions::default()).unwrap();
        assert_eq!(s.crs, Crs::Wgs84);
        assert_eq!(s.layer, None);
        assert_eq!(s.features.len(), 3);
        let f0 = &s.features[0];
        assert_eq!(f0.index, 0);
        assert_eq!(f0.geometry.0.len(), 1);
        let p = &f0.geometry.0[0];
        assert_eq!(
            p.exterior(),
            &ring(&[
                (5.0, 52.0),
                (5.1, 52.0),
                (5.1, 52.1),
                (5.0, 52.1),
                (5.0, 52.0)
            ])
        );
        assert_eq!(
            p.interiors(),
            &[ring(&[
                (5.02, 52.02),
                (5.02, 52.04),
                (5.04, 52.04),
                (5.04, 52.02),
                (5.02, 52.02)
            ])]
        );
        let pr = &f0.properties;
        assert_eq!(pr["code"], Value::Text("BU00010001".into()));
        assert_eq!(pr["n"], Value::Int(42));
        assert_eq!(pr["share"], Value::Float(0.25));
        assert_eq!(pr["secret"], Value::Int(-99_999_999));
        assert_eq!(pr["note"], Value::Null);
        assert_eq!(pr["water"], Value::Bool(true));
        assert_eq!(pr["id"], Value::Text("f1".into()));

        let f1 = &s.features[1];
        assert_eq!(f1.index, 1);
        assert_eq!(f1.geometry.0.len(), 2);
        assert_eq!(
            f1.geometry.0[0].exterior(),
            &ring(&[(6.0, 53.0), (6.5, 53.0), (6.5, 53.5), (6.0, 53.0)])
        );
        assert_eq!(
            f1.geometry.0[1].exterior(),
            &ring(&[(7.0, 51.0), (7.25, 51.0), (7.25, 51.125), (7.0, 51.0)])
        );
        assert!(f1.geometry.0[1].interiors().is_empty());
        // A property called `id` wins over the feature id.
        assert_eq!(f1.properties["id"], Value::Text("own".into()));

        let f2 = &s.features[2];
        assert!(f2.properties.is_empty());
        assert_eq!(
            f2.geometry.0[0].exterior(),
            &ring(&[(1.0, 2.0), (3.0, 2.0), (3.0, 4.0), (1.0, 2.0)])
        );
    }

    #[test]
    fn reads_single_feature_and_bare_geometry() {
        let f = r#"{"type": "Feature", "properties": {"a": "x"},
                    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}"#;
        let s = read_text(f, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 1);
        assert_eq!(s.features[0].properties["a"], Value::Text("x".into()));
        let g = r#"{"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}"#;
        let s = read_text(g, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 1);
        assert!(s.features[0].properties.is_empty());
        assert_eq!(
            s.features[0].geometry.0[0].exterior(),
            &ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)])
        );
    }

    #[test]
    fn reads_newline_delimited_and_rs_sequences() {
        let line = |code: &str, x: f64| {
            format!(
                r#"{{"type": "Feature", "properties": {{"code": "{code}"}}, "geometry": {{"type": "Polygon", "coordinates": [[[{x}, 52], [{x}, 53], [6, 53], [{x}, 52]]]}}}}"#
            )
        };
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "areas.geojsonl",
            &format!("{}\n\n{}\n", line("A", 5.0), line("B", 5.5)),
        );
        let s = crate::read::read_areas(&p, &ReadOptions::default()).unwrap();
        assert_eq!((s.features.len(), s.crs), (2, Crs::Wgs84));
        assert_eq!(s.features[1].index, 1);
        assert_eq!(s.features[1].properties["code"], Value::Text("B".into()));
        assert_eq!(
            s.features[1].geometry.0[0].exterior().0[0],
            coord! { x: 5.5, y: 52.0 }
        );

        let rs = format!(
            "\u{1e}{}\n\u{1e}{}\n",
            line("A", 5.0),
            line("B", 5.5).replace(", ", ",\n  ")
        );
        let s = read_text(&rs, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.features[1].properties["code"], Value::Text("B".into()));

        let p = write(
            &dir,
            "bad.geojsonl",
            &format!("{}\n{{oops\n", line("A", 5.0)),
        );
        let e = crate::read::read_areas(&p, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.starts_with("line 2: not valid JSON")),
            "{e}"
        );
    }

    #[test]
    fn topology_named_json_is_read_as_topojson() {
        // CBS files put `"type": "Topology"` after megabytes of arcs, past the sniffed prefix.
        let dir = tempfile::tempdir().unwrap();
        let arcs: Vec<String> = (0..600)
            .map(|i| format!("[[{i}, 0], [1, 0], [0, 1], [-1, -1]]"))
            .collect();
        let text = format!(
            r#"{{"arcs": [{}], "objects": {{"a": {{"type": "Polygon", "arcs": [[599]], "id": "x"}}}}, "transform": {{"scale": [0.25, 0.25], "translate": [-100, 50]}}, "type": "Topology"}}"#,
            arcs.join(", ")
        );
        let p = write(&dir, "areas.json", &text);
        let s = crate::read::read_areas(&p, &ReadOptions::default()).unwrap();
        assert_eq!(s.layer.as_deref(), Some("a"));
        assert_eq!(s.features[0].properties["id"], Value::Text("x".into()));
        assert_eq!(
            s.features[0].geometry.0[0].exterior(),
            &ring(&[(49.75, 50.0), (50.0, 50.0), (50.0, 50.25), (49.75, 50.0)])
        );
    }

    #[test]
    fn legacy_crs_member_is_used_and_can_be_overridden() {
        let text = r#"{"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
            "features": [{"type": "Feature", "properties": {},
              "geometry": {"type": "Polygon", "coordinates": [[[155000, 463000], [155100, 463000], [155100, 463100], [155000, 463000]]]}}]}"#;
        let s = read_text(text, &ReadOptions::default()).unwrap();
        assert_eq!(s.crs, Crs::RdNew);
        assert_eq!(
            s.features[0].geometry.0[0].exterior().0[1],
            coord! { x: 155_100.0, y: 463_000.0 }
        );
        let s = read_text(
            text,
            &ReadOptions {
                crs: Some(Crs::WebMercator),
                layer: None,
            },
        )
        .unwrap();
        assert_eq!(s.crs, Crs::WebMercator);
        let old = text.replace(
            r#"{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}"#,
            r#"{"type": "EPSG", "properties": {"code": 28992}}"#,
        );
        assert_eq!(
            read_text(&old, &ReadOptions::default()).unwrap().crs,
            Crs::RdNew
        );
    }

    #[test]
    fn projected_coordinates_without_crs_are_a_crs_error() {
        let text = r#"{"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[155000, 463000], [155100, 463000], [155100, 463100], [155000, 463000]]]}}"#;
        let e = read_text(text, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Crs { message, .. } if message.contains("(155000, 463000)")),
            "{e}"
        );
        let s = read_text(
            text,
            &ReadOptions {
                crs: Some(Crs::RdNew),
                layer: None,
            },
        )
        .unwrap();
        assert_eq!(s.crs, Crs::RdNew);
    }

    #[test]
    fn unknown_crs_is_a_crs_error() {
        let text = r#"{"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:2154"}},
            "features": [{"type": "Feature", "properties": {},
              "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}"#;
        match read_text(text, &ReadOptions::default()) {
            Err(GeoError::Crs { message, .. }) => {
                assert!(message.contains("EPSG:2154"), "{message}")
            }
            other => panic!("expected a CRS error, got {other:?}"),
        }
    }

    #[test]
    fn line_string_feature_is_a_feature_error() {
        let text = r#"{"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
            {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}"#;
        let e = read_text(text, &ReadOptions::default()).unwrap_err();
        match &e {
            GeoError::Feature {
                feature,
                code,
                message,
                ..
            } => {
                assert_eq!(*feature, 1);
                assert_eq!(*code, None);
                assert!(
                    message.contains("LineString") && message.contains("Polygon or MultiPolygon"),
                    "{message}"
                );
            }
            other => panic!("expected a feature error, got {other:?}"),
        }
        let shown = e.to_string();
        assert!(
            shown.contains("feature 1") && shown.contains("is a LineString"),
            "{shown}"
        );
    }

    #[test]
    fn null_and_empty_geometries_are_feature_errors() {
        let null = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}"#;
        let e = read_text(null, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { feature: 0, message, .. } if message.contains("no geometry")),
            "{e}"
        );
        let empty = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "MultiPolygon", "coordinates": []}}]}"#;
        let e = read_text(empty, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { feature: 0, message, .. } if message.contains("empty")),
            "{e}"
        );
        let bad = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, "a"]]]}}"#;
        let e = read_text(bad, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { message, .. } if message.contains("ring 0, position 1")),
            "{e}"
        );
        let gc = r#"{"type": "GeometryCollection", "geometries": []}"#;
        let e = read_text(gc, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { message, .. } if message.contains("is a GeometryCollection")),
            "{e}"
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let e = read_text(
            "{\"type\": \"FeatureCollection\",\n  \"features\": [,]}",
            &ReadOptions::default(),
        )
        .unwrap_err();
        match e {
            GeoError::Format { message, .. } => {
                assert!(
                    message.contains("not valid JSON") && message.contains("line 2 column 16"),
                    "{message}"
                )
            }
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn missing_features_and_wrong_types_are_format_errors() {
        let e = read_text(r#"{"type": "FeatureCollection"}"#, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("`features`")),
            "{e}"
        );
        let e = read_text(r#"[1, 2]"#, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not an object")),
            "{e}"
        );
        let e = read_text(
            r#"{"type": "Topology", "objects": {}, "arcs": []}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("Topology has no objects")),
            "{e}"
        );
        let e = read_text(r#"{"features": []}"#, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("no `type`")),
            "{e}"
        );
    }
}
