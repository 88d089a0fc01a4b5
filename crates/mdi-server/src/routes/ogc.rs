//! OGC API – Features ([`crate::ogc`]): the landing page (`/` asked for as JSON), `/conformance`,
//! `/collections`, `/collections/{collectionId}`, its `items` and single items; OGC API – Tiles
//! ([`crate::ogc_tiles`]): `/tiles`, `/tiles/WebMercatorQuad` and its tiles, `/tileMatrixSets`;
//! and the API definition at `/api` (OpenAPI 3.0, [`crate::openapi`]). Every link is absolute, made from the
//! URL the client reached the server at ([`base_url`]).

use axum::extract::{Path, Request, State};
use axum::http::Uri;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;
use crate::http::{base_url, base_url_vary};
use crate::ogc::{
    self, GEOJSON, ItemQuery, ItemsQuery, OPENAPI, OutCrs, check_plain_query, query_pairs,
};
use crate::state::Shared;

/// The base URL of links, and the `Vary` it needs.
fn base(s: &Shared, headers: &HeaderMap, uri: &Uri) -> (String, Option<HeaderValue>) {
    let public = s.config.public_url.as_deref();
    (
        base_url(public, s.config.trust_proxy, headers, uri, &s.bound),
        base_url_vary(public, s.config.trust_proxy),
    )
}

/// A response of `kind` with `body`, its `Vary`, and `Content-Crs` when given.
fn respond(
    body: String,
    kind: &'static str,
    vary: Option<HeaderValue>,
    crs: Option<OutCrs>,
) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Some(v) = vary {
        h.insert(header::VARY, v);
    }
    if let Some(Ok(v)) = crs.map(|c| HeaderValue::from_str(&format!("<{}>", c.uri()))) {
        h.insert("content-crs", v);
    }
    res
}

fn json_response(doc: &Value, vary: Option<HeaderValue>) -> Response {
    respond(doc.to_string(), "application/json", vary, None)
}

/// Whether a request to `/` asks for the JSON landing page: `f=json`, or an `Accept` that
/// names JSON and not HTML (GDAL's, not a browser's).
pub fn wants_json(headers: &HeaderMap, uri: &Uri) -> bool {
    let f = query_pairs(uri.query())
        .ok()
        .and_then(|p| p.into_iter().find(|(n, _)| n == "f").map(|(_, v)| v));
    match f.as_deref() {
        Some("json" | "application/json") => true,
        Some(_) => false,
        None => headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|a| a.contains("json") && !a.contains("text/html")),
    }
}

/// The landing page as JSON (`/` with [`wants_json`]).
///
/// # Errors
/// 400 for query parameters other than `f`; 503 while the atlas loads.
pub fn landing(s: &Shared, headers: &HeaderMap, uri: &Uri) -> Result<Response, ApiError> {
    check_plain_query(&query_pairs(uri.query())?, "/")?;
    let atlas = s.atlas()?;
    let (base, vary) = base(s, headers, uri);
    let mut res = json_response(&ogc::landing(&atlas, &base), vary);
    // The same URL serves HTML to browsers.
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept"));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    Ok(res)
}

/// `/conformance`.
///
/// # Errors
/// 400 for query parameters other than `f`.
pub async fn conformance(uri: Uri) -> Result<Response, ApiError> {
    check_plain_query(&query_pairs(uri.query())?, "/conformance")?;
    Ok(json_response(&ogc::conformance(), None))
}

/// `/collections`.
///
/// # Errors
/// 400 for query parameters other than `f`; 503 while the atlas loads.
pub async fn collections(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    check_plain_query(&query_pairs(uri.query())?, "/collections")?;
    let atlas = s.atlas()?;
    let (base, vary) = base(&s, &headers, &uri);
    Ok(json_response(&ogc::collections(&atlas, &base), vary))
}

/// `/collections/{collectionId}`.
///
/// # Errors
/// 404 for a collection that is not a level of the atlas.
pub async fn collection(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    check_plain_query(&query_pairs(uri.query())?, "/collections/{collectionId}")?;
    let atlas = s.atlas()?;
    let level = ogc::level_of(&atlas, &id)?;
    let (base, vary) = base(&s, &headers, &uri);
    Ok(json_response(&ogc::collection(&atlas, level, &base), vary))
}

/// `/collections/{collectionId}/items`: a page of features (GeoJSON).
///
/// # Errors
/// 404 for an unknown collection; 400 for a parameter that does not fit (unknown ones too).
pub async fn items(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let atlas = s.atlas()?;
    let level = ogc::level_of(&atlas, &id)?;
    let q = ItemsQuery::parse(query_pairs(uri.query())?, &atlas.meta.years)?;
    let (base, vary) = base(&s, &headers, &uri);
    let body = tokio::task::spawn_blocking(move || {
        ogc::items(&atlas, level, &q, &base).map(|b| (b, q.crs))
    })
    .await
    .map_err(|e| ApiError::internal(format!("the features could not be written: {e}")))??;
    Ok(respond(body.0, GEOJSON, vary, Some(body.1)))
}

/// `/collections/{collectionId}/items/{featureId}`: one feature (GeoJSON).
///
/// # Errors
/// 404 for an unknown collection or feature; 400 for a parameter that does not fit.
pub async fn item(
    State(s): State<Shared>,
    Path((id, code)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let atlas = s.atlas()?;
    let level = ogc::level_of(&atlas, &id)?;
    let q = ItemQuery::parse(&query_pairs(uri.query())?, &atlas.meta.years)?;
    let (base, vary) = base(&s, &headers, &uri);
    let body = ogc::item(&atlas, level, &code, &q, &base)?;
    Ok(respond(body, GEOJSON, vary, Some(q.crs)))
}

/// `/api` (and `/openapi.json`): the OpenAPI 3.0 definition of the API.
///
/// # Errors
/// 400 for query parameters other than `f`; 503 while the atlas loads.
pub async fn api_definition(
    State(s): State<Shared>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let uri = request.uri().clone();
    check_plain_query(&query_pairs(uri.query())?, uri.path())?;
    let atlas = s.atlas()?;
    let (base, vary) = base(&s, &headers, &uri);
    let doc = crate::openapi::document(&atlas, &base);
    Ok(respond(doc.to_string(), OPENAPI, vary, None))
}

/// `/tiles`: the vector tilesets (one).
///
/// # Errors
/// 400 for query parameters other than `f`.
pub async fn tilesets(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    check_plain_query(&query_pairs(uri.query())?, "/tiles")?;
    let (base, vary) = base(&s, &headers, &uri);
    Ok(json_response(
        &crate::ogc_tiles::tilesets(&s.map(), &base),
        vary,
    ))
}

/// Checks that `tms` is the one tile matrix set offered.
fn check_tms(tms: &str) -> Result<(), ApiError> {
    if tms == crate::ogc_tiles::WEB_MERCATOR_QUAD {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "no tile matrix set `{tms}`; the tiles are in {}",
            crate::ogc_tiles::WEB_MERCATOR_QUAD
        )))
    }
}

/// `/tiles/{tileMatrixSetId}`: the tileset's metadata.
///
/// # Errors
/// 404 for another tile matrix set than WebMercatorQuad.
pub async fn tileset(
    State(s): State<Shared>,
    Path(tms): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    check_tms(&tms)?;
    check_plain_query(&query_pairs(uri.query())?, "/tiles/{tileMatrixSetId}")?;
    let (base, vary) = base(&s, &headers, &uri);
    Ok(json_response(
        &crate::ogc_tiles::tileset(&s.map(), &base),
        vary,
    ))
}

/// `/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`: the tile of
/// `/tiles/{z}/{x}/{y}` (row = y, column = x), the same bytes and headers.
///
/// # Errors
/// 404 for another tile matrix set; else as [`super::tiles::tile`].
pub async fn tile(
    State(s): State<Shared>,
    Path((tms, z, row, col)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_tms(&tms)?;
    // The row takes the extension that `/tiles/{z}/{x}/{y}.mvt` carries.
    super::tiles::tile(State(s), Path((z, col, format!("{row}.mvt"))), headers).await
}

/// `/tileMatrixSets`.
pub async fn tile_matrix_sets(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let (base, vary) = base(&s, &headers, &uri);
    json_response(&crate::ogc_tiles::tile_matrix_sets(&base), vary)
}

/// `/tileMatrixSets/{tileMatrixSetId}`.
///
/// # Errors
/// 404 for another tile matrix set than WebMercatorQuad.
pub async fn tile_matrix_set(Path(tms): Path<String>) -> Result<Response, ApiError> {
    check_tms(&tms)?;
    Ok(json_response(&crate::ogc_tiles::tile_matrix_set(), None))
}
