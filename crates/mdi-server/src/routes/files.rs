//! Files and operations: `/download/{file}`, the web client (`/` and `/assets/`), `/health`
//! and `/metrics`.

use std::path::PathBuf;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
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

/// `/download/{file}`: a file of the served atlas, from memory (the same generation as the
/// tiles and the API, see [`crate::atlas::Downloads`]), with single-range requests.
///
/// # Errors
/// 404 for a file not in [`DOWNLOADS`] or not in this atlas; 503 while the atlas loads; 416
/// (with `Content-Range: bytes */length`) for a well-formed range that starts past the end.
pub async fn download(
    State(s): State<Shared>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !DOWNLOADS.contains(&file.as_str()) {
        return Err(ApiError::not_found(format!(
            "no download `{file}`; the files are {}",
            DOWNLOADS.join(", ")
        )));
    }
    let atlas = s.atlas()?;
    let Some(bytes) = atlas.downloads.files.get(&file).cloned() else {
        let hint = if file == mdi_format::files::MBTILES {
            " (build the atlas with --mbtiles)"
        } else {
            ""
        };
        return Err(ApiError::not_found(format!(
            "this atlas has no {file}{hint}"
        )));
    };
    let len = bytes.len();
    // `If-Range` names a validator these responses do not have: it never matches, so the
    // whole file is sent (RFC 9110 §13.1.5).
    let range = match headers.get(header::RANGE) {
        Some(v) if !headers.contains_key(header::IF_RANGE) => parse_range(v.as_bytes(), len),
        _ => ByteRange::Whole,
    };
    let (status, body, content_range) = match range {
        ByteRange::Whole => (StatusCode::OK, bytes, None),
        ByteRange::Part(start, end) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(start..=end),
            Some(format!("bytes {start}-{end}/{len}")),
        ),
        ByteRange::Unsatisfiable => {
            let mut res = ApiError::status(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range starts past the end of {file} ({len} bytes)"),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
    };
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type(&file));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, JSON_CACHE);
    if let Some(v) = content_range.and_then(|r| HeaderValue::from_str(&r).ok()) {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

/// `/downloads/{file}`: an area's own downloads ([`crate::downloads`]): `{code}.csv`,
/// `{code}_wgs84.gpkg` and `{code}_rd.gpkg` for an area of the top level (a gemeente), made on
/// request (off the async threads).
///
/// # Errors
/// 404 for a name of no such form or an area without downloads; 503 while the atlas loads.
pub async fn area_download(
    State(s): State<Shared>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let atlas = s.atlas()?;
    let kind = crate::downloads::Kind::parse(&file).map(|(_, k)| k);
    let name = file.clone();
    let bytes = tokio::task::spawn_blocking(move || crate::downloads::download(&atlas, &name))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    if let Some(k) = kind {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(k.content_type()),
        );
    }
    h.insert(header::CACHE_CONTROL, JSON_CACHE);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The media type of a download, by its extension.
fn content_type(file: &str) -> HeaderValue {
    HeaderValue::from_static(match file.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json",
        Some("csv") => "text/csv; charset=utf-8",
        Some("pmtiles") => "application/vnd.pmtiles",
        _ => "application/octet-stream",
    })
}

/// What a `Range` header asks of a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// No usable range (absent, malformed, another unit, several ranges): send it whole with
    /// 200, as RFC 9110 §14.2 says a server may ignore such a `Range`.
    Whole,
    /// One satisfiable range, first and last byte (inclusive).
    Part(usize, usize),
    /// A well-formed range that starts at or past the end: 416.
    Unsatisfiable,
}

/// Parses a `Range` header value for a representation of `len` bytes: `bytes=a-b`, `bytes=a-`
/// or `bytes=-n`.
pub fn parse_range(value: &[u8], len: usize) -> ByteRange {
    let Ok(value) = std::str::from_utf8(value) else {
        return ByteRange::Whole;
    };
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return ByteRange::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return ByteRange::Whole;
    };
    let number = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<usize>().unwrap_or(usize::MAX))
    };
    let (a, b) = (number(first), number(last));
    if !last.is_empty() && b.is_none() {
        return ByteRange::Whole;
    }
    match (a, b) {
        (Some(a), Some(b)) if b < a => ByteRange::Whole,
        (Some(a), _) if a >= len => ByteRange::Unsatisfiable,
        (Some(a), b) => ByteRange::Part(a, b.map_or(len - 1, |b| b.min(len - 1))),
        (None, Some(n)) if first.is_empty() => {
            if n == 0 || len == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part(len - n.min(len), len - 1)
            }
        }
        _ => ByteRange::Whole,
    }
}

/// `/`: the web client's `index.html` (revalidated on every load, so that a new client build
/// is picked up at once), or without a client a page listing the routes; asked for as JSON
/// (`f=json`, or an `Accept` of JSON and not HTML), the OGC API landing page.
///
/// # Errors
/// As [`serve_web_file`].
pub async fn index(State(s): State<Shared>, request: Request) -> Result<Response, ApiError> {
    if super::ogc::wants_json(request.headers(), request.uri()) {
        return super::ogc::landing(&s, request.headers(), request.uri());
    }
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
        .map_err(|e| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            ApiError::internal(format!("cannot read {}: {e}", name.unwrap_or_default()))
        })?;
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
    /// The name of the atlas folder (never its absolute path).
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
        atlas: s
            .config
            .atlas
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        built_at: map.meta.built_at.clone(),
        tiles: map.tiles.len(),
        areas: full.map(|a| a.areas.list.len()),
    };
    ([(header::CACHE_CONTROL, NO_STORE)], Json(body))
}

/// `/ready`: the readiness probe of a load balancer or orchestrator: 200 once the whole atlas
/// is loaded (the API answers), else 503 with `Retry-After: 1` (tiles answer meanwhile; a
/// replica that is not ready should get no API traffic). `/health` is the liveness probe.
///
/// # Errors
/// 503 while the atlas loads.
pub async fn ready(State(s): State<Shared>) -> Result<impl IntoResponse, ApiError> {
    s.atlas()?;
    Ok((
        [(header::CACHE_CONTROL, NO_STORE)],
        Json(serde_json::json!({"status": "ready"})),
    ))
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
        s.metrics.render(
            &served.map,
            served.atlas().map(|a| a.areas.list.len()),
            s.held.count(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::{ByteRange, parse_range};

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let r = |v: &str| parse_range(v.as_bytes(), 100);
        assert_eq!(r("bytes=0-9"), ByteRange::Part(0, 9));
        assert_eq!(r("bytes=90-"), ByteRange::Part(90, 99));
        assert_eq!(r("bytes=90-500"), ByteRange::Part(90, 99));
        assert_eq!(r("bytes=-10"), ByteRange::Part(90, 99));
        assert_eq!(r("bytes=-500"), ByteRange::Part(0, 99));
        assert_eq!(r("Bytes = 1-1"), ByteRange::Part(1, 1));
        assert_eq!(r("bytes=100-"), ByteRange::Unsatisfiable);
        assert_eq!(r("bytes=-0"), ByteRange::Unsatisfiable);
        for malformed in [
            "bytes=abc",
            "bytes=5-2",
            "lines=0-9",
            "bytes=",
            "bytes=--3",
            "bytes=0-1,5-6",
            "bytes=200-x",
            "0-9",
        ] {
            assert_eq!(r(malformed), ByteRange::Whole, "{malformed}");
        }
    }
}
