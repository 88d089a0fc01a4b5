//! TopoJSON: the `Polygon` and `MultiPolygon` geometries of one object of a `Topology`
//! (usually a `GeometryCollection`), decoded from the shared arcs.
//!
//! Quantized topologies (with a `transform`) have delta-encoded integer arcs; each arc is
//! decoded once, so neighbouring polygons get bit-identical shared vertices. A negative arc
//! reference `~i` (that is `-1 - i`) means arc `i` reversed; consecutive arcs of a ring share
//! their junction point, which is kept once. The CRS is WGS84 (TopoJSON has no CRS member; a
//! legacy GeoJSON-style `crs` member is honoured) unless [`ReadOptions::crs`] says otherwise.

use std::fmt;
use std::path::Path;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value as Json;

use super::common::{
    check_lon_lat, check_not_empty, declared_crs, feature_properties, json_kind, not_area_message,
};
use super::{ReadOptions, resolve_crs};
use crate::crs::Crs;
use crate::error::{GeoError, Result};
use crate::model::{Feature, Source};

/// The members of a topology that the reader uses.
#[derive(Deserialize)]
struct Topology {
    #[serde(rename = "type")]
    kind: Option<String>,
    objects: Option<Objects>,
    arcs: Option<Vec<Vec<Vec<f64>>>>,
    transform: Option<Transform>,
    crs: Option<Json>,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

/// The `objects` member in file order (a `serde_json::Map` may sort its keys).
struct Objects(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Objects {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Objects;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping names to TopoJSON objects")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Objects, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    out.push((k, v));
                }
                Ok(Objects(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

pub(crate) fn read(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Source> {
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    let topo: Topology = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            format(format!("not a valid TopoJSON topology ({e})"))
        } else {
            format(format!(
                "not valid JSON ({e}); expected a TopoJSON Topology"
            ))
        }
    })?;
    match topo.kind.as_deref() {
        Some("Topology") => {}
        Some(other) => {
            return Err(format(format!(
                "the top-level type is `{other}`; expected a TopoJSON `Topology`"
            )));
        }
        None => {
            return Err(format(
                "no top-level `type`; expected a TopoJSON `Topology`".into(),
            ));
        }
    }
    let objects = topo
        .objects
        .ok_or_else(|| format("a Topology without `objects`".into()))?
        .0;
    let raw_arcs = topo
        .arcs
        .ok_or_else(|| format("a Topology without `arcs`".into()))?;
    let arcs = decode_arcs(raw_arcs, topo.transform.as_ref()).map_err(format)?;

    let (name, object) = choose_object(&objects, options).map_err(format)?;
    let declared = declared_crs(path, topo.crs.as_ref(), options)?;
    let crs = resolve_crs(path, options, declared.as_deref(), Some(Crs::Wgs84))?;
    if crs == Crs::Wgs84 && options.crs.is_none() {
        check_lon_lat(path, "TopoJSON", arcs.iter().flatten())?;
    }

    let features = match object.get("type").and_then(Json::as_str) {
        Some("GeometryCollection") => {
            let geometries = object
                .get("geometries")
                .and_then(Json::as_array)
                .ok_or_else(|| {
                    format(format!(
                        "object `{name}` is a GeometryCollection without a `geometries` array"
                    ))
                })?;
            geometries
                .iter()
                .enumerate()
                .map(|(i, g)| feature(path, &arcs, i, g))
                .collect::<Result<Vec<_>>>()?
        }
        _ => vec![feature(path, &arcs, 0, object)?],
    };
    Ok(Source {
        path: path.to_path_buf(),
        layer: Some(name.to_string()),
        crs,
        features,
    })
}

/// The arcs as absolute coordinates: delta-decoded and transformed when quantized.
fn decode_arcs(
    raw: Vec<Vec<Vec<f64>>>,
    transform: Option<&Transform>,
) -> std::result::Result<Vec<Vec<Coord<f64>>>, String> {
    raw.into_iter()
        .enumerate()
        .map(|(a, arc)| {
            let (mut x, mut y) = (0.0, 0.0);
            arc.into_iter()
                .enumerate()
                .map(|(k, p)| {
                    let [px, py, ..] = p[..] else {
                        return Err(format!(
                            "arc {a}, position {k} has {} numbers; expected [x, y]",
                            p.len()
                        ));
                    };
                    Ok(match transform {
                        Some(t) => {
                            x += px;
                            y += py;
                            Coord {
                                x: x * t.scale[0] + t.translate[0],
                                y: y * t.scale[1] + t.translate[1],
                            }
                        }
                        None => Coord { x: px, y: py },
                    })
                })
                .collect()
        })
        .collect()
}

/// The named object, else the only one, else the first holding polygons.
fn choose_object<'a>(
    objects: &'a [(String, Json)],
    options: &ReadOptions,
) -> std::result::Result<(&'a str, &'a Json), String> {
    let names = || {
        objects
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if objects.is_empty() {
        return Err("the Topology has no objects".into());
    }
    if let Some(want) = &options.layer {
        return objects
            .iter()
            .find(|(n, _)| n == want)
            .map(|(n, o)| (n.as_str(), o))
            .ok_or_else(|| {
                format!(
                    "no object `{want}` in the Topology; its objects are {}",
                    names()
                )
            });
    }
    if let [(n, o)] = objects {
        return Ok((n.as_str(), o));
    }
    let is_area = |g: &Json| {
        matches!(
            g.get("type").and_then(Json::as_str),
            Some("Polygon" | "MultiPolygon")
        )
    };
    objects
        .iter()
        .find(|(_, o)| is_area(o) || o.get("geometries").and_then(Json::as_array).is_some_and(|gs| gs.iter().any(is_area)))
        .map(|(n, o)| (n.as_str(), o))
        .ok_or_else(|| format!("no object of the Topology holds Polygon or MultiPolygon geometries; its objects are {}", names()))
}

fn feature(path: &Path, arcs: &[Vec<Coord<f64>>], index: usize, g: &Json) -> Result<Feature> {
    let err = |message: String| GeoError::Feature {
        path: path.to_path_buf(),
        feature: index,
        code: None,
        message,
    };
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message: format!("geometry {index}: {message}"),
    };
    if !g.is_object() {
        return Err(err(format!(
            "is {}, not a TopoJSON geometry object",
            json_kind(g)
        )));
    }
    let refs = g.get("arcs");
    let geometry = match g.get("type") {
        Some(Json::String(kind)) if kind == "Polygon" => {
            let refs = refs.ok_or_else(|| format("a Polygon without `arcs`".into()))?;
            MultiPolygon(vec![polygon(arcs, refs).map_err(format)?])
        }
        Some(Json::String(kind)) if kind == "MultiPolygon" => {
            let parts = refs.and_then(Json::as_array).ok_or_else(|| {
                format("a MultiPolygon without an `arcs` array of polygons".into())
            })?;
            MultiPolygon(
                parts
                    .iter()
                    .enumerate()
                    .map(|(k, p)| polygon(arcs, p).map_err(|m| format!("part {k}: {m}")))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(format)?,
            )
        }
        Some(Json::String(kind)) => return Err(err(not_area_message(kind))),
        None | Some(Json::Null) => {
            return Err(err(
                "has no geometry (null); area files must hold Polygon or MultiPolygon geometries"
                    .into(),
            ));
        }
        Some(other) => {
            return Err(err(format!(
                "has a `type` that is {}, not a geometry type",
                json_kind(other)
            )));
        }
    };
    check_not_empty(&geometry).map_err(err)?;
    let props = feature_properties(g.get("properties"), g.get("id")).map_err(err)?;
    Ok(Feature {
        index,
        geometry,
        properties: props,
    })
}

/// A polygon from its rings of arc references.
fn polygon(arcs: &[Vec<Coord<f64>>], refs: &Json) -> std::result::Result<Polygon<f64>, String> {
    let rings = refs
        .as_array()
        .ok_or("`arcs` of a polygon is not an array of rings")?;
    let mut rings = rings
        .iter()
        .enumerate()
        .map(|(r, ring)| ring_of(arcs, ring).map_err(|m| format!("ring {r}: {m}")));
    let exterior = rings
        .next()
        .transpose()?
        .unwrap_or_else(|| LineString(Vec::new()));
    let interiors = rings.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

/// A ring from its arc references; the first point of every arc after the first is the last
/// point of the one before, and is dropped.
fn ring_of(arcs: &[Vec<Coord<f64>>], refs: &Json) -> std::result::Result<LineString<f64>, String> {
    let refs = refs.as_array().ok_or("not an array of arc indices")?;
    let mut out: Vec<Coord<f64>> = Vec::new();
    for (n, r) in refs.iter().enumerate() {
        let i = r
            .as_i64()
            .ok_or_else(|| format!("arc reference {r} is not an integer"))?;
        let (k, reversed) = if i >= 0 { (i, false) } else { (-1 - i, true) };
        let arc = usize::try_from(k).ok().and_then(|k| arcs.get(k)).ok_or_else(|| {
            format!(
                "arc index {i} is out of range: the Topology has {} arcs (0 to {}, or ~i = -1 - i for arc i reversed)",
                arcs.len(),
                arcs.len() as i64 - 1
            )
        })?;
        let skip = usize::from(n > 0);
        if reversed {
            out.extend(arc.iter().rev().skip(skip));
        } else {
            out.extend(arc.iter().skip(skip));
        }
    }
    Ok(LineString(out))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use geo::Area;
    use geo_types::coord;

    use super::*;
    use crate::model::Value;

    fn read_text(text: &str, options: &ReadOptions) -> Result<Source> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("areas.topojson");
        std::fs::write(&p, text).unwrap();
        read(&p, &std::fs::read(&p).unwrap(), options)
    }

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        LineString(c.iter().map(|&(x, y)| coord! { x: x, y: y }).collect())
    }

    /// Two squares sharing arc 0 (the second uses it reversed), a hole in the first, and a
    /// two-part multipolygon; a point object comes first. x = 0.5 q + 4, y = 0.25 q + 50.
    const TOPOLOGY: &str = r#"{
      "type": "Topology",
      "transform": {"scale": [0.5, 0.25], "translate": [4, 50]},
      "objects": {
        "places": {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 1]}]},
        "areas": {"type": "GeometryCollection", "geometries": [
          {"type": "Polygon", "id": "BU1", "arcs": [[0, 1], [2]], "properties": {"statcode": "BU1", "n": 3, "f": 1.5}},
          {"type": "Polygon", "id": 2, "arcs": [[3, -1]]},
          {"type": "MultiPolygon", "arcs": [[[4]], [[5]]], "properties": {"statcode": "BU3", "id": "mine"}}
        ]}
      },
      "arcs": [
        [[4, 0], [0, 4]],
        [[4, 4], [-4, 0], [0, -4], [4, 0]],
        [[1, 1], [0, 2], [2, 0], [0, -2], [-2, 0]],
        [[4, 0], [4, 0], [0, 4], [-4, 0]],
        [[10, 0], [2, 0], [-2, 2], [0, -2]],
        [[20, 20], [2, 0], [-2, 2], [0, -2]]
      ]
    }"#;

    #[test]
    fn decodes_quantized_arcs_holes_and_multipolygons() {
        let s = read_text(TOPOLOGY, &ReadOptions::default()).unwrap();
        assert_eq!(s.layer.as_deref(), Some("areas"));
        assert_eq!(s.crs, Crs::Wgs84);
        assert_eq!(s.features.len(), 3);
        let a = &s.features[0];
        assert_eq!(a.index, 0);
        assert_eq!(a.geometry.0.len(), 1);
        assert_eq!(
            a.geometry.0[0].exterior(),
            &ring(&[
                (6.0, 50.0),
                (6.0, 51.0),
                (4.0, 51.0),
                (4.0, 50.0),
                (6.0, 50.0)
            ])
        );
        assert_eq!(
            a.geometry.0[0].interiors(),
            &[ring(&[
                (4.5, 50.25),
                (4.5, 50.75),
                (5.5, 50.75),
                (5.5, 50.25),
                (4.5, 50.25)
            ])]
        );
        assert_eq!(a.properties["statcode"], Value::Text("BU1".into()));
        assert_eq!(a.properties["n"], Value::Int(3));
        assert_eq!(a.properties["f"], Value::Float(1.5));
        assert_eq!(a.properties["id"], Value::Text("BU1".into()));

        let b = &s.features[1];
        assert_eq!(
            b.geometry.0[0].exterior(),
            &ring(&[
                (6.0, 50.0),
                (8.0, 50.0),
                (8.0, 51.0),
                (6.0, 51.0),
                (6.0, 50.0)
            ])
        );
        assert_eq!(b.properties.len(), 1);
        assert_eq!(b.properties["id"], Value::Int(2));

        let c = &s.features[2];
        assert_eq!(c.geometry.0.len(), 2);
        assert_eq!(
            c.geometry.0[0].exterior(),
            &ring(&[(9.0, 50.0), (10.0, 50.0), (9.0, 50.5), (9.0, 50.0)])
        );
        assert_eq!(
            c.geometry.0[1].exterior(),
            &ring(&[(14.0, 55.0), (15.0, 55.0), (14.0, 55.5), (14.0, 55.0)])
        );
        assert_eq!(c.properties["id"], Value::Text("mine".into()));
    }

    #[test]
    fn chooses_layers_by_name() {
        let e = read_text(
            TOPOLOGY,
            &ReadOptions {
                layer: Some("places".into()),
                crs: None,
            },
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { feature: 0, message, .. } if message.contains("is a Point")),
            "{e}"
        );
        let e = read_text(
            TOPOLOGY,
            &ReadOptions {
                layer: Some("buurten".into()),
                crs: None,
            },
        )
        .unwrap_err();
        match e {
            GeoError::Format { message, .. } => {
                assert!(
                    message.contains("`buurten`") && message.contains("`places`, `areas`"),
                    "{message}"
                )
            }
            other => panic!("expected a format error, got {other:?}"),
        }
        let s = read_text(
            TOPOLOGY,
            &ReadOptions {
                layer: Some("areas".into()),
                crs: Some(Crs::RdNew),
            },
        )
        .unwrap();
        assert_eq!((s.features.len(), s.crs), (3, Crs::RdNew));
    }

    #[test]
    fn reads_unquantized_topology_and_single_geometry_object() {
        let text = r#"{"type": "Topology", "objects": {"one": {"type": "Polygon", "arcs": [[0, -2]], "properties": {"k": null}}},
            "arcs": [[[5.25, 52.5], [5.5, 52.5], [5.5, 52.75]], [[5.25, 52.5], [5.25, 52.75], [5.5, 52.75]]]}"#;
        let s = read_text(text, &ReadOptions::default()).unwrap();
        assert_eq!(s.layer.as_deref(), Some("one"));
        assert_eq!(s.features.len(), 1);
        assert_eq!(
            s.features[0].geometry.0[0].exterior(),
            &ring(&[
                (5.25, 52.5),
                (5.5, 52.5),
                (5.5, 52.75),
                (5.25, 52.75),
                (5.25, 52.5)
            ])
        );
        assert_eq!(s.features[0].properties["k"], Value::Null);
    }

    #[test]
    fn bad_topologies_are_format_errors() {
        let out_of_range = TOPOLOGY.replace("[[3, -1]]", "[[3, -7]]");
        let e = read_text(&out_of_range, &ReadOptions::default()).unwrap_err();
        match e {
            GeoError::Format { message, .. } => {
                assert!(
                    message.contains("geometry 1")
                        && message.contains("arc index -7 is out of range"),
                    "{message}"
                );
                assert!(message.contains("6 arcs"), "{message}");
            }
            other => panic!("expected a format error, got {other:?}"),
        }
        let e = read_text(
            r#"{"type": "Topology", "arcs": []}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("without `objects`")),
            "{e}"
        );
        let e = read_text(
            r#"{"type": "FeatureCollection", "features": []}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("expected a TopoJSON `Topology`")),
            "{e}"
        );
        let e = read_text(
            "{\"type\": \"Topology\",\n \"arcs\": [[[1, 2]]",
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not valid JSON") && message.contains("line 2")),
            "{e}"
        );
        let e = read_text(
            r#"{"type": "Topology", "objects": {}, "arcs": [[[1, "x"]]]}"#,
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not a valid TopoJSON")),
            "{e}"
        );
        let null = TOPOLOGY.replace(
            r#"{"type": "Polygon", "id": 2, "arcs": [[3, -1]]}"#,
            r#"{"type": null}"#,
        );
        let e = read_text(&null, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { feature: 1, message, .. } if message.contains("no geometry")),
            "{e}"
        );
    }

    #[test]
    fn projected_coordinates_need_a_crs() {
        let text = r#"{"type": "Topology", "objects": {"one": {"type": "Polygon", "arcs": [[0]]}},
            "arcs": [[[155000, 463000], [155100, 463000], [155100, 463100], [155000, 463000]]]}"#;
        let e = read_text(text, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Crs { message, .. } if message.contains("--crs")),
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
        assert_eq!(
            s.features[0].geometry.0[0].exterior().0[2],
            coord! { x: 155_100.0, y: 463_100.0 }
        );
    }

    fn data_dir() -> Option<std::path::PathBuf> {
        let dir = std::env::var_os("MDI_DATA_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
        dir.join("nl").is_dir().then(|| dir.join("nl"))
    }

    fn read_real(name: &str) -> Option<Source> {
        let Some(dir) = data_dir() else {
            eprintln!("SKIPPED: no data directory (set MDI_DATA_DIR) for {name}");
            return None;
        };
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("SKIPPED: {} is absent", path.display());
            return None;
        }
        Some(crate::read::read_areas(&path, &ReadOptions::default()).unwrap())
    }

    #[test]
    fn real_buurten_2014_share_vertices() {
        let Some(s) = read_real("cbs_buurt_2014.topojson.gz") else {
            return;
        };
        assert_eq!(s.features.len(), 11_691);
        assert_eq!(s.layer.as_deref(), Some("layer"));
        assert_eq!(s.crs, Crs::Wgs84);
        for f in &s.features {
            let code = f.properties["statcode"].as_text().unwrap_or_default();
            assert!(code.starts_with("BU"), "feature {}: {code}", f.index);
            assert!(f.properties.contains_key("statnaam") && f.properties.contains_key("rubriek"));
            for c in f
                .geometry
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flatten()
            {
                assert!(
                    (3.0..=8.0).contains(&c.x) && (50.0..=54.0).contains(&c.y),
                    "feature {}: {c:?}",
                    f.index
                );
            }
        }
        // Neighbours are decoded from the same arcs, so their shared vertices are bit-identical.
        let mut owners: HashMap<(u64, u64), HashSet<usize>> = HashMap::new();
        for f in &s.features {
            for c in f.geometry.0.iter().flat_map(|p| p.exterior()) {
                owners
                    .entry((c.x.to_bits(), c.y.to_bits()))
                    .or_default()
                    .insert(f.index);
            }
        }
        let sharing: HashSet<usize> = owners
            .values()
            .filter(|o| o.len() > 1)
            .flatten()
            .copied()
            .collect();
        assert!(
            sharing.len() > s.features.len() * 9 / 10,
            "only {} buurten share a vertex",
            sharing.len()
        );
        // Two named neighbours in Muntendam (the first geometry of the file and a buurt sharing arc 0).
        let first = &s.features[0];
        let shared = first.geometry.0[0].exterior().0.iter().any(|c| {
            owners[&(c.x.to_bits(), c.y.to_bits())]
                .iter()
                .any(|&o| o != 0)
        });
        assert!(
            shared,
            "{:?} shares no vertex",
            first.properties["statcode"]
        );

        let parts: Vec<&Polygon<f64>> = s.features.iter().flat_map(|f| &f.geometry.0).collect();
        let zero = parts.iter().filter(|p| p.unsigned_area() == 0.0).count();
        let zero_features = s
            .features
            .iter()
            .filter(|f| f.geometry.0.iter().all(|p| p.unsigned_area() == 0.0))
            .count();
        let short = parts.iter().filter(|p| p.exterior().0.len() < 4).count();
        eprintln!(
            "buurt 2014: {} features, {} polygons, {zero} with zero area, {zero_features} features with zero area, {short} exteriors under 4 points",
            s.features.len(),
            parts.len()
        );
    }

    #[test]
    fn real_wijken_2014_and_gemeenten_2015() {
        if let Some(s) = read_real("cbs_wijk_2014.topojson.gz") {
            assert_eq!(s.features.len(), 2_738);
            assert_eq!(s.crs, Crs::Wgs84);
        }
        if let Some(s) = read_real("cbs_gemeente_2015.topojson.gz") {
            assert_eq!(s.features.len(), 393);
            assert_eq!(s.crs, Crs::Wgs84);
        }
    }
}
