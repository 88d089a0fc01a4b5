//! OGC API – Tiles over the atlas's vector tiles: the WebMercatorQuad tile matrix set
//! (OGC 17-083r4, the tiles of `/tiles/{z}/{x}/{y}`), the list of tilesets (`/tiles`), the
//! tileset's metadata (`/tiles/WebMercatorQuad`) and its tiles at
//! `/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`, the same bytes as `/tiles/`. The
//! routes are in [`crate::routes::ogc`].
//!
//! Only WebMercatorQuad (EPSG:3857) is offered: the archive is tiled in it. A
//! NetherlandsRDNewQuad tileset would need a second tile pyramid cut in RD New (docs/API.md).

use serde_json::{Value, json};

use crate::atlas::MapAtlas;
use crate::ogc::CRS84;

/// The id of the tile matrix set.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
/// Its URI in the OGC definitions register.
pub const WEB_MERCATOR_QUAD_URI: &str =
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
/// The CRS of its tiles, Web Mercator (EPSG:3857).
pub const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
/// The media type of the tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// The link relation of a tiling scheme.
pub const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
/// The link relation of the vector tilesets.
pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
/// The link relation of the tiling schemes of an API.
pub const REL_TILING_SCHEMES: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";

/// The conformance classes of OGC API – Tiles this server implements.
pub const CONFORMANCE: [&str; 6] = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilematrixset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
];

/// Half the side of the Web Mercator square, in metres.
const HALF: f64 = 20_037_508.342_789_244;
/// The side of a pixel at zoom 0 (256-pixel tiles), in metres.
const CELL0: f64 = 2.0 * HALF / 256.0;
/// The deepest tile matrix of the set.
const DEEPEST: u8 = 24;

/// The WebMercatorQuad tile matrix set (`/tileMatrixSets/WebMercatorQuad`), matrices 0 to 24.
pub fn tile_matrix_set() -> Value {
    let matrices: Vec<Value> = (0..=DEEPEST)
        .map(|z| {
            let cell = CELL0 / f64::from(1u32 << z);
            let n = 1u64 << z;
            json!({
                "id": z.to_string(),
                // The standardized rendering pixel is 0.28 mm.
                "scaleDenominator": cell / 0.000_28,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "matrixWidth": n,
                "matrixHeight": n,
                "tileWidth": 256,
                "tileHeight": 256,
            })
        })
        .collect();
    json!({
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": WEB_MERCATOR_QUAD_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["E", "N"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    })
}

/// `/tileMatrixSets`.
pub fn tile_matrix_sets(base: &str) -> Value {
    json!({"tileMatrixSets": [{
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": WEB_MERCATOR_QUAD_URI,
        "crs": EPSG_3857,
        "links": [{"rel": "self", "type": "application/json",
                   "href": format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"),
                   "title": "The WebMercatorQuad tile matrix set"}],
    }]})
}

/// The column and row of the tile holding `lon`, `lat` (WGS84 degrees) at zoom `z`.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u64, u64) {
    let n = f64::from(1u32 << z);
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let last = n - 1.0;
    (x.clamp(0.0, last) as u64, y.clamp(0.0, last) as u64)
}

/// The link to the tileset and to its tiling scheme.
fn tileset_links(base: &str) -> Vec<Value> {
    vec![json!({"rel": REL_TILING_SCHEME, "type": "application/json",
               "href": format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"),
               "title": "The tile matrix set"})]
}

/// `/tiles`: the one tileset.
pub fn tilesets(atlas: &MapAtlas, base: &str) -> Value {
    let mut links = tileset_links(base);
    links.push(json!({"rel": "self", "type": "application/json",
                      "href": format!("{base}/tiles/{WEB_MERCATOR_QUAD}"),
                      "title": "The tileset"}));
    json!({
        "links": [{"rel": "self", "type": "application/json", "href": format!("{base}/tiles"),
                   "title": "The tilesets"}],
        "tilesets": [{
            "title": atlas.meta.title,
            "dataType": "vector",
            "crs": EPSG_3857,
            "tileMatrixSetURI": WEB_MERCATOR_QUAD_URI,
            "links": links,
        }],
    })
}

/// `/tiles/WebMercatorQuad`: the tileset's metadata, with the limits of its tile matrices from
/// the archive's bounds and zooms, and its layers.
pub fn tileset(atlas: &MapAtlas, base: &str) -> Value {
    let t = &atlas.tiles;
    let [w, s, e, n] = t.bounds;
    let limits: Vec<Value> = (t.min_zoom..=t.max_zoom)
        .map(|z| {
            let (c0, r0) = tile_of(w, n, z);
            let (c1, r1) = tile_of(e, s, z);
            json!({"tileMatrix": z.to_string(), "minTileRow": r0, "maxTileRow": r1,
                   "minTileCol": c0, "maxTileCol": c1})
        })
        .collect();
    let layers: Vec<Value> = t
        .metadata
        .get("vector_layers")
        .and_then(Value::as_array)
        .map(|layers| {
            layers
                .iter()
                .map(|l| {
                    let id = l.get("id").and_then(Value::as_str).unwrap_or_default();
                    let kind = if id.ends_with("_labels") {
                        "points"
                    } else {
                        "polygons"
                    };
                    let zoom = |k: &str, d: u8| {
                        l.get(k)
                            .and_then(Value::as_u64)
                            .unwrap_or(u64::from(d))
                            .to_string()
                    };
                    json!({
                        "id": id,
                        "dataType": "vector",
                        "geometryType": kind,
                        "minTileMatrix": zoom("minzoom", t.min_zoom),
                        "maxTileMatrix": zoom("maxzoom", t.max_zoom),
                        "description": l.get("description").cloned().unwrap_or(Value::Null),
                        "propertiesSchema": {
                            "type": "object",
                            "properties": l.get("fields").and_then(Value::as_object).map(|f| {
                                f.iter().map(|(k, v)| {
                                    let kind = match v.as_str() {
                                        Some("Number") => "number",
                                        Some("Boolean") => "boolean",
                                        _ => "string",
                                    };
                                    (k.clone(), json!({"type": kind}))
                                }).collect::<serde_json::Map<_, _>>()
                            }).unwrap_or_default(),
                        },
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut links = tileset_links(base);
    links.push(json!({"rel": "self", "type": "application/json",
                      "href": format!("{base}/tiles/{WEB_MERCATOR_QUAD}"), "title": "This tileset"}));
    links.push(json!({"rel": "item", "type": MVT, "templated": true,
                      "href": format!("{base}/tiles/{WEB_MERCATOR_QUAD}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
                      "title": "A tile (Mapbox Vector Tile)"}));
    json!({
        "title": atlas.meta.title,
        "description": atlas.meta.description,
        "attribution": atlas.meta.attribution,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": WEB_MERCATOR_QUAD_URI,
        "tileMatrixSetLimits": limits,
        "layers": layers,
        "boundingBox": {"lowerLeft": [w, s], "upperRight": [e, n], "crs": CRS84},
        "centerPoint": {"coordinates": [t.center.0, t.center.1],
                        "tileMatrix": t.center.2.clamp(t.min_zoom, t.max_zoom).to_string(),
                        "crs": CRS84},
        "links": links,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_set_follows_the_standard_scale_set() {
        // OGC 17-083r4 Annex D, WebMercatorQuad: level 0 scale denominator 559082264.0287178,
        // cell size 156543.0339280410; level 18: 2132.729583849784.
        let m = tile_matrix_set();
        let l0 = &m["tileMatrices"][0];
        assert!((l0["scaleDenominator"].as_f64().unwrap() - 559_082_264.028_717_8).abs() < 1e-3);
        assert!((l0["cellSize"].as_f64().unwrap() - 156_543.033_928_041).abs() < 1e-6);
        let l18 = &m["tileMatrices"][18];
        assert!((l18["scaleDenominator"].as_f64().unwrap() - 2_132.729_583_849_784).abs() < 1e-6);
        assert_eq!(l18["matrixWidth"], 1u64 << 18);
        assert_eq!(m["tileMatrices"].as_array().unwrap().len(), 25);
    }

    #[test]
    fn tiles_of_a_point_match_the_slippy_map_formula() {
        // Amersfoort (5.3872 E, 52.1552 N) at z10 lies in tile x 527, y 337 (OSM's tile
        // calculator).
        assert_eq!(tile_of(5.3872, 52.1552, 10), (527, 337));
        assert_eq!(tile_of(-180.0, 85.1, 3), (0, 0));
        assert_eq!(tile_of(180.0, -85.1, 3), (7, 7));
    }
}
