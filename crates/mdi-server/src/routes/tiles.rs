//! `/tiles/{z}/{x}/{y}`, `/tiles.json` (TileJSON 3.0.0) and `/tiles/metadata.json` (the
//! tileset metadata GDAL reads).

use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::atlas::MapAtlas;
use crate::error::ApiError;
use crate::http::{base_url, base_url_vary};
use crate::state::Shared;
use crate::tiles::{parse_tile_path, tile_response};

/// `/tiles/{z}/{x}/{y}.mvt`: one tile from memory, gzip as stored or decompressed; counts the
/// bytes sent.
///
/// # Errors
/// 400 for an address that is not a tile of the atlas.
pub async fn tile(
    State(s): State<Shared>,
    Path((z, x, y)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (z, x, y) = parse_tile_path(&z, &x, &y).map_err(ApiError::bad_request)?;
    let atlas = s.map();
    let res = tile_response(&atlas.tiles, z, x, y, &headers, &s.tile_cache);
    if res.status() == StatusCode::OK {
        // The body is one buffer: its exact size is known (axum sets Content-Length from it
        // only after the handler).
        if let Some(len) = axum::body::HttpBody::size_hint(res.body()).exact() {
            s.metrics.tile_bytes.fetch_add(len, Relaxed);
        }
        if res.headers().get(header::CONTENT_ENCODING).is_none() && atlas.tiles.gzip {
            s.metrics.tiles_decompressed.fetch_add(1, Relaxed);
        }
    }
    Ok(res)
}

/// The TileJSON 3.0.0 document of the atlas, with absolute URLs under `base`.
pub fn tilejson_document(atlas: &MapAtlas, base: &str) -> Value {
    let t = &atlas.tiles;
    let m = &atlas.meta;
    let mut doc = json!({
        "tilejson": "3.0.0",
        "tiles": [format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mvt")],
        "vector_layers": t.metadata.get("vector_layers").cloned().unwrap_or(json!([])),
        "name": m.title,
        "description": m.description,
        "attribution": m.attribution,
        "version": "1.0.0",
        "scheme": "xyz",
        "minzoom": t.min_zoom,
        "maxzoom": t.max_zoom,
        "bounds": t.bounds,
        "center": [t.center.0, t.center.1, t.center.2.clamp(t.min_zoom, t.max_zoom)],
    });
    if let (Some(obj), Some(mdi)) = (doc.as_object_mut(), t.metadata.get("mdi")) {
        obj.insert("mdi".into(), mdi.clone());
    }
    doc
}

/// `/tiles.json`.
pub async fn tilejson(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let atlas = s.map();
    let public = s.config.public_url.as_deref();
    let base = base_url(public, s.config.trust_proxy, &headers, &uri, &s.bound);
    let mut res = Json(tilejson_document(&atlas, &base)).into_response();
    if let Some(vary) = base_url_vary(public, s.config.trust_proxy) {
        res.headers_mut().insert(header::VARY, vary);
    }
    res
}

/// The tileset metadata GDAL's MVT driver (and tippecanoe's tools) read beside `{z}/{x}/{y}`
/// tiles: strings for zooms, bounds and center, and the layers as a JSON string under `json`.
pub fn gdal_metadata_document(atlas: &MapAtlas) -> Value {
    let t = &atlas.tiles;
    // GDAL takes each layer's geometry type from `tilestats`, its fields from `vector_layers`.
    let mut layers =
        json!({"vector_layers": t.metadata.get("vector_layers").cloned().unwrap_or(json!([]))});
    if let (Some(obj), Some(stats)) = (layers.as_object_mut(), t.metadata.get("tilestats")) {
        obj.insert("tilestats".into(), stats.clone());
    }
    json!({
        "name": atlas.meta.title,
        "description": atlas.meta.description,
        "attribution": atlas.meta.attribution,
        "version": "2",
        "type": "overlay",
        "format": "pbf",
        "minzoom": t.min_zoom.to_string(),
        "maxzoom": t.max_zoom.to_string(),
        "bounds": format!("{:.6},{:.6},{:.6},{:.6}", t.bounds[0], t.bounds[1], t.bounds[2], t.bounds[3]),
        "center": format!("{:.6},{:.6},{}", t.center.0, t.center.1, t.center.2),
        "json": layers.to_string(),
    })
}

/// `/tiles/metadata.json`.
pub async fn gdal_metadata(State(s): State<Shared>) -> Json<Value> {
    Json(gdal_metadata_document(&s.map()))
}
