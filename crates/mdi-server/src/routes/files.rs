//! Files and operations: `/download/{file}`, the web client (`/` and `/assets/`), `/health`
//! and `/metrics`.

use std::path::PathBuf;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower::ServiceExt as _;

use super::{JSON_CACHE, route_list};
use crate::error::ApiError;
use crate::state::Shared;

/// The files of the atlas directory that `/download/{file}` serves.
pub use mdi_format::files::DOWNLOADS;

/// `Cache-Control` of the client's content-hashed assets: a new build has new names.
const ASSET_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// `Cache-Control` of health and metrics: never cached.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// `/download/{file}`: a file of the atlas directory, with range requests.
///
/// # Errors
/// 404 for a file not in [`DOWNLOADS`] or not in this atlas; 500 when it cannot be read.
pub async fn download(
    State(s): State<Shared>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    if !DOWNLOADS.contains(&file.as_str()) {
        return Err(ApiError::not_found(format!(
            "no download `{file}`; the files are {}",
            DOWNLOADS.join(", ")
        )));
    }
    let path = s.map().dir.join(&file);
    if !path.is_file() {
        let hint = if file == mdi_format::files::MBTILES {
            " (build the atlas with --mbtiles)"
        } else {
            ""
        };
        return Err(ApiError::not_found(format!(
            "this atlas has no {file}{hint}"
        )));
    }
    let res = tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read {file}: {e}")))?;
    let mut res = res.map(Body::new);
    res.headers_mut().insert(header::CACHE_CONTROL, JSON_CACHE);
    Ok(res)
}

/// `/`: the web client's `index.html` (revalidated on every load, so that a new client build
/// is picked up at once), or without a client a page listing the routes.
///
/// # Errors
/// As [`serve_web_file`].
pub async fn index(State(s): State<Shared>, request: Request) -> Result<Response, ApiError> {
    match &s.config.web {
        Some(web) => serve_web_file(web.join("index.html"), JSON_CACHE, request).await,
        None => Ok(route_list(&s).into_response()),
    }
}

/// `/assets/{file}`: a file of the web client's `assets/` folder, gzip-compressed as built
/// (`.gz` beside it) when the client accepts it.
///
/// # Errors
/// 404 without a web client or for a name that is not one file of `assets/`; else as
/// [`serve_web_file`].
pub async fn asset(
    State(s): State<Shared>,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let Some(web) = &s.config.web else {
        return Err(ApiError::not_found(
            "this server has no web client (`serve --web DIR`)",
        ));
    };
    // One file name, no folders: nothing outside assets/ can be named.
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(ApiError::not_found(format!("no asset `{file}`")));
    }
    serve_web_file(web.join("assets").join(&file), ASSET_CACHE, request).await
}

/// Serves one file of the web client with `cache`, through tower-http's `ServeFile` (ranges,
/// `Last-Modified`, a precompressed `.gz` sibling when accepted).
///
/// # Errors
/// 404 when the file does not exist, 500 when it cannot be read.
async fn serve_web_file(
    path: PathBuf,
    cache: HeaderValue,
    request: Request,
) -> Result<Response, ApiError> {
    if !path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        return Err(ApiError::not_found(format!(
            "no web client file `{}`",
            name.unwrap_or_default()
        )));
    }
    let res = tower_http::services::ServeFile::new(&path)
        .precompressed_gzip()
        .oneshot(request)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read {}: {e}", path.display())))?;
    let mut res = res.map(Body::new);
    if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
        res.headers_mut().insert(header::CACHE_CONTROL, cache);
    }
    Ok(res)
}

/// `/health`.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `ok`, or `loading` while the areas and the API state load (tiles answer already).
    pub status: &'static str,
    /// The atlas directory.
    pub atlas: String,
    /// When the atlas was built.
    pub built_at: String,
    /// Tiles addressed by the atlas.
    pub tiles: usize,
    /// Areas of the atlas; `null` while they load.
    pub areas: Option<usize>,
}

/// `/health`: the loaded atlas, never cached.
pub async fn health(
    State(s): State<Shared>,
) -> ([(header::HeaderName, HeaderValue); 1], Json<Health>) {
    let served = s.served.load();
    let (map, full) = (&served.map, served.atlas());
    let body = Health {
        status: if full.is_some() { "ok" } else { "loading" },
        atlas: map.dir.display().to_string(),
        built_at: map.meta.built_at.clone(),
        tiles: map.tiles.len(),
        areas: full.map(|a| a.areas.list.len()),
    };
    ([(header::CACHE_CONTROL, NO_STORE)], Json(body))
}

/// `/metrics`: the Prometheus text exposition format, never cached.
pub async fn metrics(State(s): State<Shared>) -> impl IntoResponse {
    let served = s.served.load();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        s.metrics
            .render(&served.map, served.atlas().map(|a| a.areas.list.len())),
    )
}
