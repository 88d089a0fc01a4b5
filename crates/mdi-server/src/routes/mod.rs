//! The routes: ONE table ([`ROUTES`]) from which the router, the metrics labels and the route
//! list at `/` are all made, and the middleware around them.
//!
//! - [`tiles`]: vector tiles, TileJSON, the GDAL tileset metadata;
//! - [`api`]: the JSON API (`/api/…`);
//! - [`styles`]: the MapLibre style and its QGIS flavor;
//! - [`report`]: the report of the atlas or an area (`/api/report`);
//! - [`ogc`]: OGC API – Features (the landing page as JSON, conformance, collections, items)
//!   and the OpenAPI definition;
//! - [`files`]: downloads, the web client, health and metrics.

pub mod api;
pub mod files;
pub mod ogc;
pub mod report;
pub mod styles;
pub mod tiles;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tower_http::cors::{Any, CorsLayer};

use crate::error::ApiError;
use crate::http::{etag, fnv1a, not_modified, not_modified_response};
use crate::metrics::track;
use crate::state::{AppState, Shared};

/// `Cache-Control` of JSON documents: always revalidate (cheap with the ETag), so a reloaded
/// atlas is seen at once.
pub const JSON_CACHE: HeaderValue = HeaderValue::from_static("public, no-cache");

/// The kinds of route, in the order the route list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Vector tiles and their metadata.
    Tiles,
    /// Map styles.
    Styles,
    /// The JSON API.
    Api,
    /// OGC API – Features and the API definition.
    Ogc,
    /// Downloads and the web client.
    Files,
    /// Health and metrics.
    Operations,
}

impl Family {
    /// Every family, in the order of the route list.
    pub const ALL: [Family; 6] = [
        Family::Tiles,
        Family::Styles,
        Family::Api,
        Family::Ogc,
        Family::Files,
        Family::Operations,
    ];

    /// The heading of the family in the route list.
    pub fn title(self) -> &'static str {
        match self {
            Family::Tiles => "Tiles",
            Family::Styles => "Styles",
            Family::Api => "JSON API",
            Family::Ogc => "OGC API – Features",
            Family::Files => "Files",
            Family::Operations => "Operations",
        }
    }
}

/// How a route's responses are cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// A JSON document: a strong `ETag` of its bytes, `If-None-Match` answered with 304, and
    /// `Cache-Control: public, no-cache` ([`revalidate`]).
    Revalidate,
    /// The handler sets its own headers (tiles, files, health, metrics).
    Own,
}

/// One route.
#[derive(Debug)]
pub struct RouteSpec {
    /// The path pattern, as axum matches it.
    pub path: &'static str,
    /// The kind of route.
    pub family: Family,
    /// The `route` label of its metrics.
    pub label: &'static str,
    /// One line saying what it serves (HTML-safe), for the route list.
    pub description: &'static str,
    /// A URL to link from the route list, for routes that can be opened as they are.
    pub example: Option<&'static str>,
    /// How its responses are cached.
    pub caching: Caching,
    /// The handler.
    handler: fn() -> MethodRouter<Shared>,
}

/// Every route of the server.
pub static ROUTES: [RouteSpec; 31] = [
    RouteSpec {
        path: "/tiles/{z}/{x}/{y}",
        family: Family::Tiles,
        label: "/tiles/{z}/{x}/{y}",
        description: "one Mapbox Vector Tile, <code>/tiles/{z}/{x}/{y}.mvt</code> (or <code>.pbf</code>)",
        example: None,
        caching: Caching::Own,
        handler: || get(tiles::tile),
    },
    RouteSpec {
        path: "/tiles.json",
        family: Family::Tiles,
        label: "/tiles.json",
        description: "TileJSON 3.0.0 of the tiles",
        example: Some("/tiles.json"),
        caching: Caching::Revalidate,
        handler: || get(tiles::tilejson),
    },
    RouteSpec {
        path: "/tiles/metadata.json",
        family: Family::Tiles,
        label: "/tiles/metadata.json",
        description: "the tileset metadata GDAL's MVT driver reads beside the tiles",
        example: Some("/tiles/metadata.json"),
        caching: Caching::Revalidate,
        handler: || get(tiles::gdal_metadata),
    },
    RouteSpec {
        path: "/style.json",
        family: Family::Styles,
        label: "/style.json",
        description: "MapLibre style of the choropleth; <code>?flavor=qgis</code> for QGIS, \
                      <code>&amp;year=</code>, <code>&amp;variable=</code>",
        example: Some("/style.json"),
        caching: Caching::Revalidate,
        handler: || get(styles::style),
    },
    RouteSpec {
        path: "/fonts/{fontstack}/{range}",
        family: Family::Styles,
        label: "/fonts/{fontstack}/{range}",
        description: "the glyphs of the styles' labels, <code>/fonts/Ubuntu Light/0-255.pbf</code> \
                      (MapLibre glyph protobuf, ranges of 256 code points)",
        example: None,
        caching: Caching::Own,
        handler: || get(styles::glyphs),
    },
    RouteSpec {
        path: "/api/meta",
        family: Family::Api,
        label: "/api/meta",
        description: "what the atlas holds: years, domains, levels, zooms, downloads",
        example: Some("/api/meta"),
        caching: Caching::Revalidate,
        handler: || get(api::meta),
    },
    RouteSpec {
        path: "/api/areas/{code}",
        family: Family::Api,
        label: "/api/areas/{code}",
        description: "one area in every year, with its parents",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(api::area),
    },
    RouteSpec {
        path: "/api/search",
        family: Family::Api,
        label: "/api/search",
        description: "names and codes: <code>?q=&amp;limit=</code>",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(api::search),
    },
    RouteSpec {
        path: "/api/point",
        family: Family::Api,
        label: "/api/point",
        description: "the areas at a point: <code>?lon=&amp;lat=</code> (WGS84 degrees)",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(api::point),
    },
    RouteSpec {
        path: "/api/breaks",
        family: Family::Api,
        label: "/api/breaks",
        description: "decile breaks of the MDI with other weights: <code>?weights=&amp;year=</code>",
        example: Some("/api/breaks"),
        caching: Caching::Revalidate,
        handler: || get(api::breaks),
    },
    RouteSpec {
        path: "/api/report",
        family: Family::Api,
        label: "/api/report",
        description: "the report of the whole atlas: district measures, trends, persistence, \
                      divergence, correlations, clusters; <code>?format=html</code> printable, \
                      <code>md</code>, <code>&amp;year=&amp;from_year=</code>",
        example: Some("/api/report"),
        caching: Caching::Revalidate,
        handler: || get(report::whole),
    },
    RouteSpec {
        path: "/api/report/{code}",
        family: Family::Api,
        label: "/api/report/{code}",
        description: "the report of one area (<code>?format=html</code> printable, <code>md</code>)",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(report::area),
    },
    RouteSpec {
        path: "/conformance",
        family: Family::Ogc,
        label: "/conformance",
        description: "the OGC API conformance classes (the landing page is <code>/?f=json</code>)",
        example: Some("/conformance"),
        caching: Caching::Revalidate,
        handler: || get(ogc::conformance),
    },
    RouteSpec {
        path: "/collections",
        family: Family::Ogc,
        label: "/collections",
        description: "the feature collections: one per level of areas",
        example: Some("/collections"),
        caching: Caching::Revalidate,
        handler: || get(ogc::collections),
    },
    RouteSpec {
        path: "/collections/{collection}",
        family: Family::Ogc,
        label: "/collections/{collection}",
        description: "one collection",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::collection),
    },
    RouteSpec {
        path: "/collections/{collection}/items",
        family: Family::Ogc,
        label: "/collections/{collection}/items",
        description: "the areas of a level in one year as GeoJSON: <code>?limit=&amp;offset=\
                      &amp;bbox=&amp;bbox-crs=&amp;datetime=&amp;crs=</code> (CRS84 or EPSG:28992)",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::items),
    },
    RouteSpec {
        path: "/collections/{collection}/items/{feature}",
        family: Family::Ogc,
        label: "/collections/{collection}/items/{feature}",
        description: "one area in one year as GeoJSON: <code>?datetime=&amp;crs=</code>",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::item),
    },
    RouteSpec {
        path: "/tiles",
        family: Family::Ogc,
        label: "/tiles",
        description: "OGC API – Tiles: the vector tilesets (one, in WebMercatorQuad)",
        example: Some("/tiles"),
        caching: Caching::Revalidate,
        handler: || get(ogc::tilesets),
    },
    RouteSpec {
        path: "/tiles/{tms}",
        family: Family::Ogc,
        label: "/tiles/{tms}",
        description: "the tileset's metadata: <code>/tiles/WebMercatorQuad</code>",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::tileset),
    },
    RouteSpec {
        path: "/tiles/{tms}/{matrix}/{row}/{col}",
        family: Family::Ogc,
        label: "/tiles/{tms}/{matrix}/{row}/{col}",
        description: "a tile at the OGC path, <code>/tiles/WebMercatorQuad/{z}/{y}/{x}</code>: \
                      the bytes of <code>/tiles/{z}/{x}/{y}</code>",
        example: None,
        caching: Caching::Own,
        handler: || get(ogc::tile),
    },
    RouteSpec {
        path: "/tileMatrixSets",
        family: Family::Ogc,
        label: "/tileMatrixSets",
        description: "the tile matrix sets (WebMercatorQuad)",
        example: Some("/tileMatrixSets"),
        caching: Caching::Revalidate,
        handler: || get(ogc::tile_matrix_sets),
    },
    RouteSpec {
        path: "/tileMatrixSets/{tms}",
        family: Family::Ogc,
        label: "/tileMatrixSets/{tms}",
        description: "one tile matrix set, <code>/tileMatrixSets/WebMercatorQuad</code>",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::tile_matrix_set),
    },
    RouteSpec {
        path: "/api",
        family: Family::Ogc,
        label: "/api",
        description: "the OpenAPI 3.0 definition of this server",
        example: Some("/api"),
        caching: Caching::Revalidate,
        handler: || get(ogc::api_definition),
    },
    RouteSpec {
        path: "/openapi.json",
        family: Family::Ogc,
        label: "/openapi.json",
        description: "the same as <code>/api</code>",
        example: None,
        caching: Caching::Revalidate,
        handler: || get(ogc::api_definition),
    },
    RouteSpec {
        path: "/download/{file}",
        family: Family::Files,
        label: "/download/{file}",
        description: "the atlas files (atlas.pmtiles, atlas.mbtiles, scores.csv, areas.fgb, \
                      metadata.json, build-report.json), with range requests",
        example: None,
        caching: Caching::Own,
        handler: || get(files::download),
    },
    RouteSpec {
        path: "/downloads/{file}",
        family: Family::Files,
        label: "/downloads/{file}",
        description: "an area's own downloads, for a gemeente (an area of the top level): \
                      {code}.csv, {code}_wgs84.gpkg and {code}_rd.gpkg with its wijken and \
                      buurten and every score column",
        example: None,
        caching: Caching::Own,
        handler: || get(files::area_download),
    },
    RouteSpec {
        path: "/",
        family: Family::Files,
        label: "/",
        description: "the web client (<code>serve --web</code>), else this list",
        example: None,
        caching: Caching::Own,
        handler: || get(files::index),
    },
    RouteSpec {
        path: "/assets/{*file}",
        family: Family::Files,
        label: "/assets/{file}",
        description: "the web client's content-hashed assets",
        example: None,
        caching: Caching::Own,
        handler: || get(files::asset),
    },
    RouteSpec {
        path: "/health",
        family: Family::Operations,
        label: "/health",
        description: "status of the server and the loaded atlas",
        example: Some("/health"),
        caching: Caching::Own,
        handler: || get(files::health),
    },
    RouteSpec {
        path: "/ready",
        family: Family::Operations,
        label: "/ready",
        description: "readiness: 200 once the whole atlas is loaded, 503 before (<code>/health</code> is liveness)",
        example: Some("/ready"),
        caching: Caching::Own,
        handler: || get(files::ready),
    },
    RouteSpec {
        path: "/metrics",
        family: Family::Operations,
        label: "/metrics",
        description: "Prometheus metrics",
        example: Some("/metrics"),
        caching: Caching::Own,
        handler: || get(files::metrics),
    },
];

/// Every route of [`ROUTES`], with CORS on the data routes (not on [`Family::Operations`]),
/// load shedding, a timeout, the metrics, JSON error bodies, request-size limits and (with
/// [`crate::ServeConfig::access_log`]) an access log.
pub fn router(state: Shared) -> Router {
    let mut app = Router::new();
    for spec in &ROUTES {
        let mut route = (spec.handler)();
        if spec.caching == Caching::Revalidate {
            route = route.layer(from_fn(revalidate));
        }
        if spec.family != Family::Operations {
            route = route.layer(cors());
        }
        app = app.route(spec.path, route);
    }
    let app = app
        .route_layer(from_fn_with_state(state.metrics.clone(), track))
        .fallback(not_found)
        .with_state(state.clone());
    with_middleware(app, &state)
}

/// CORS open to every origin for `GET`, `HEAD` and `OPTIONS`, exposing the headers web and GIS
/// clients read.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([
            header::ETAG,
            header::CONTENT_LENGTH,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::CONTENT_ENCODING,
        ])
        .max_age(Duration::from_secs(86_400))
}

/// The layers around every route, innermost first: load shedding (503), the timeout (408),
/// JSON bodies for every error, the limits on the request line and headers (414, 431), and the
/// access log.
fn with_middleware(app: Router, state: &Shared) -> Router {
    let config = &state.config;
    let app = app
        .layer(from_fn_with_state(state.clone(), shed))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.timeout,
        ))
        .layer(from_fn(json_errors))
        .layer(from_fn(request_limits));
    if !config.access_log {
        return app;
    }
    app.layer(
        tower_http::trace::TraceLayer::new_for_http()
            .make_span_with(tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO))
            .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
    )
}

/// Longest request target (path and query) answered; longer: 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields of a request; more: 431.
pub const MAX_HEADERS: usize = 100;
/// Largest header section of a request (names and values); larger: 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// 414 for a request target over [`MAX_URI_BYTES`], 431 for more than [`MAX_HEADERS`] header
/// fields or more than [`MAX_HEADER_BYTES`] of them, each with the JSON error body (hyper reads
/// more than this, so that these answers are ours, not its empty ones).
pub async fn request_limits(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::status(
            StatusCode::URI_TOO_LONG,
            format!("the request target has {uri} bytes; at most {MAX_URI_BYTES} are read"),
        )
        .into_response();
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return ApiError::status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request has {} header fields in {bytes} bytes; at most {MAX_HEADERS} fields \
                 in {MAX_HEADER_BYTES} bytes are read",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Gives every error response without a body of its own (405 of the method router, 408 of the
/// timeout, …) the JSON error body of docs/API.md, keeping its headers (`Allow`, …).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "{method} is not allowed on {path}; the routes answer GET and HEAD (and OPTIONS for \
             CORS)"
        ),
        StatusCode::REQUEST_TIMEOUT => format!("{path}: no response within the time limit"),
        other => format!(
            "{path}: {}",
            other.canonical_reason().unwrap_or("the request failed")
        ),
    };
    let (mut parts, _) = response.into_parts();
    let error = ApiError::status(status, message).into_response();
    for (name, value) in error.headers() {
        parts.headers.insert(name, value.clone());
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, error.into_body())
}

/// Answers 503 with `Retry-After` when [`crate::ServeConfig::max_concurrency`] requests are in flight,
/// rather than queueing without bound; the probes and metrics (`/health`, `/ready`, `/metrics`)
/// are never refused.
pub async fn shed(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if matches!(path, "/health" | "/ready" | "/metrics") {
        return next.run(request).await;
    }
    let Ok(permit) = s.concurrency.clone().try_acquire_owned() else {
        s.metrics
            .shed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the server is answering its limit of {} requests at once; retry in a second",
                s.config.max_concurrency
            ),
        )
        .into_response();
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

/// Middleware of [`Caching::Revalidate`] routes: gives a successful response a strong `ETag` of
/// its bytes (the same on every server for the same atlas) and `Cache-Control: public,
/// no-cache`, and answers an `If-None-Match` naming that ETag with 304.
pub async fn revalidate(request: Request, next: Next) -> Response {
    let mut conditions = HeaderMap::new();
    for value in request.headers().get_all(header::IF_NONE_MATCH) {
        conditions.append(header::IF_NONE_MATCH, value.clone());
    }
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::internal(format!("cannot read the response: {e}")).into_response();
        }
    };
    let tag = etag(fnv1a(&bytes), "");
    if not_modified(&conditions, &tag) {
        return not_modified_response(tag, JSON_CACHE);
    }
    parts.headers.insert(header::ETAG, tag);
    parts.headers.insert(header::CACHE_CONTROL, JSON_CACHE);
    Response::from_parts(parts, Body::from(bytes))
}

/// Any other path: 404 pointing at the route list.
async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route {}; the routes are listed at / and in docs/API.md",
        uri.path()
    ))
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page listing [`ROUTES`] by family, at `/` when the server has no web client.
pub fn route_list(s: &AppState) -> Html<String> {
    let atlas = s.map();
    let mut sections = String::new();
    for family in Family::ALL {
        sections.push_str(&format!("<h2>{}</h2><ul>", family.title()));
        for r in ROUTES.iter().filter(|r| r.family == family) {
            let path = escape(r.path);
            let name = match r.example {
                Some(url) => format!("<a href='{url}'>{path}</a>"),
                None => format!("<code>{path}</code>"),
            };
            sections.push_str(&format!("<li>{name}: {}</li>", r.description));
        }
        sections.push_str("</ul>");
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{d}</p>{sections}\
         <p>The routes are documented in docs/API.md.</p>\
         <p>This server has no web map: build it with <code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code> \
         and serve it with <code>mdi-atlas serve --web web/dist</code> (or run <code>bash scripts/start.sh</code>).</p>",
        t = escape(&atlas.meta.title),
        d = escape(&atlas.meta.description),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_has_one_entry_per_path_and_label() {
        let mut paths: Vec<_> = ROUTES.iter().map(|r| r.path).collect();
        let mut labels: Vec<_> = ROUTES.iter().map(|r| r.label).collect();
        paths.sort_unstable();
        paths.dedup();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(paths.len(), ROUTES.len());
        assert_eq!(labels.len(), ROUTES.len());
        assert!(!labels.contains(&crate::metrics::OTHER));
        for r in &ROUTES {
            assert!(r.path.starts_with('/'), "{}", r.path);
            assert!(!r.description.is_empty(), "{}", r.path);
            // A route linked from the list can be opened as it is: no parameters in its path.
            if let Some(url) = r.example {
                assert!(
                    url.starts_with(r.path) && !r.path.contains('{'),
                    "{}",
                    r.path
                );
            }
        }
    }
}
