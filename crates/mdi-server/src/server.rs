//! The HTTP server: configuration, shared state, the router with its middleware, hot reload
//! and graceful shutdown.
//!
//! State on the request path is one [`ArcSwap`] holding the loaded [`Atlas`]: a request takes
//! a reference-counted snapshot without a lock and keeps it until its response is done, so a
//! reload (SIGHUP, or a new build noticed by the folder watcher) swaps atlases without failing
//! a request in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use tower_http::cors::{Any, CorsLayer};

use crate::api;
use crate::atlas::{Atlas, Fingerprint};
use crate::error::{ApiError, ServerError};
use crate::http::{base_url, json_response};
use crate::metrics::{Metrics, track};
use crate::style::{Flavor, StyleInput, StyleOptions, Variable};
use crate::tiles::{parse_tile_path, tile_response};

/// The files of the atlas directory that `/download/{file}` serves.
pub const DOWNLOADS: [&str; 6] = [
    "atlas.pmtiles",
    "atlas.mbtiles",
    "scores.csv",
    "areas.fgb",
    "metadata.json",
    "build-report.json",
];

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The atlas directory.
    pub atlas: PathBuf,
    /// The address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub bind: String,
    /// The URL clients reach the server at (behind a proxy or CDN), for the absolute URLs of
    /// TileJSON and the style; default: from each request's `Host`.
    pub public_url: Option<String>,
    /// Worker threads of the runtime (default: one per core).
    pub workers: Option<usize>,
    /// Poll the atlas folder for a new build this often (`None`: only on SIGHUP).
    pub watch: Option<Duration>,
    /// Longest time to produce a response before answering 408.
    pub timeout: Duration,
    /// Most requests handled at once; more wait their turn.
    pub max_concurrency: usize,
    /// `max-age` of tiles in seconds (their ETag changes with their content).
    pub tile_max_age: u32,
    /// Log every request (method, path, status, latency) at INFO.
    pub access_log: bool,
    /// The built web client (`web/dist`: `index.html` and `assets/`), served at `/` and
    /// `/assets/`; `None`: `/` is a plain page listing the routes.
    pub web: Option<PathBuf>,
}

impl ServeConfig {
    /// The defaults for an atlas directory.
    pub fn new(atlas: PathBuf) -> ServeConfig {
        ServeConfig {
            atlas,
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            workers: None,
            watch: Some(Duration::from_secs(2)),
            timeout: Duration::from_secs(30),
            max_concurrency: 1024,
            tile_max_age: 3600,
            access_log: false,
            web: None,
        }
    }
}

/// What every request shares.
#[derive(Debug)]
pub struct AppState {
    /// The atlas being served.
    pub atlas: ArcSwap<Atlas>,
    /// The configuration.
    pub config: ServeConfig,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// Host and port the server is bound to, for URLs when a request has no `Host`.
    pub bound: String,
    tile_cache: HeaderValue,
}

/// The shared state.
pub type Shared = Arc<AppState>;

/// `Cache-Control` of JSON documents: always revalidate (cheap with the ETag), so a reloaded
/// atlas is seen at once.
const JSON_CACHE: HeaderValue = HeaderValue::from_static("public, no-cache");

impl AppState {
    /// Loads the atlas of `config` and makes the state.
    ///
    /// # Errors
    /// As [`Atlas::load`].
    pub fn new(config: ServeConfig) -> Result<Shared, ServerError> {
        let atlas = Atlas::load(&config.atlas)?;
        let tile_cache = HeaderValue::from_str(&format!("public, max-age={}", config.tile_max_age))
            .unwrap_or(HeaderValue::from_static("public, max-age=3600"));
        Ok(Arc::new(AppState {
            atlas: ArcSwap::from_pointee(atlas),
            bound: config.bind.clone(),
            config,
            metrics: Arc::new(Metrics::default()),
            tile_cache,
        }))
    }

    /// Loads the atlas folder again and swaps it in. On failure the atlas being served stays,
    /// and the error is returned (and counted).
    ///
    /// # Errors
    /// As [`Atlas::load`].
    pub fn reload(&self) -> Result<(), ServerError> {
        match Atlas::load(&self.config.atlas) {
            Ok(atlas) => {
                self.atlas.store(Arc::new(atlas));
                self.metrics.reloads.fetch_add(1, Relaxed);
                Ok(())
            }
            Err(e) => {
                self.metrics.reload_failures.fetch_add(1, Relaxed);
                Err(e)
            }
        }
    }
}

/// Every route, with CORS, a timeout, a concurrency limit and the metrics.
pub fn router(state: Shared) -> Router {
    let cors = CorsLayer::new()
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
        .max_age(Duration::from_secs(86_400));
    let mut app = Router::new()
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .route("/tiles.json", get(tilejson))
        .route("/tiles/metadata.json", get(gdal_metadata))
        .route("/style.json", get(style))
        .route("/api/meta", get(meta))
        .route("/api/areas/{code}", get(area))
        .route("/api/search", get(search))
        .route("/api/point", get(point))
        .route("/api/breaks", get(breaks))
        .route("/download/{file}", get(download))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .route("/assets/{*file}", get(asset))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            track,
        ))
        .fallback(not_found)
        .with_state(state.clone())
        .layer(cors)
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            state.config.max_concurrency,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.timeout,
        ));
    if state.config.access_log {
        app = app.layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        );
    }
    app
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route {}; the routes are listed at / and in docs/API.md",
        uri.path()
    ))
}

async fn tile(
    State(s): State<Shared>,
    Path((z, x, y)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (z, x, y) = match parse_tile_path(&z, &x, &y) {
        Ok(t) => t,
        Err(reason) => return ApiError::bad_request(reason).into_response(),
    };
    let atlas = s.atlas.load();
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
    res
}

/// The TileJSON 3.0.0 document of the atlas, with absolute URLs under `base`.
pub fn tilejson_document(atlas: &Atlas, base: &str) -> Value {
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

async fn tilejson(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let atlas = s.atlas.load();
    let base = base_url(s.config.public_url.as_deref(), &headers, &uri, &s.bound);
    json_response(&headers, &tilejson_document(&atlas, &base), JSON_CACHE)
}

/// The tileset metadata GDAL's MVT driver (and tippecanoe's tools) read beside `{z}/{x}/{y}`
/// tiles: strings for zooms, bounds and center, and the layers as a JSON string under `json`.
async fn gdal_metadata(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let atlas = s.atlas.load();
    let t = &atlas.tiles;
    // GDAL takes each layer's geometry type from `tilestats`, its fields from `vector_layers`.
    let mut layers =
        json!({"vector_layers": t.metadata.get("vector_layers").cloned().unwrap_or(json!([]))});
    if let (Some(obj), Some(stats)) = (layers.as_object_mut(), t.metadata.get("tilestats")) {
        obj.insert("tilestats".into(), stats.clone());
    }
    let doc = json!({
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
    });
    json_response(&headers, &doc, JSON_CACHE)
}

async fn meta(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let atlas = s.atlas.load();
    json_response(&headers, &api::meta(&atlas), JSON_CACHE)
}

async fn area(State(s): State<Shared>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let atlas = s.atlas.load();
    match api::area(&atlas, &code) {
        Ok(a) => json_response(&headers, &a, JSON_CACHE),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct StyleQuery {
    flavor: Option<String>,
    year: Option<String>,
    variable: Option<String>,
}

/// The MapLibre style (or its QGIS flavor) of the atlas, with absolute URLs under `base`.
///
/// # Errors
/// 400 for an unknown flavor, year or variable.
pub fn style_document(
    atlas: &Atlas,
    base: &str,
    flavor: Option<&str>,
    year: Option<&str>,
    variable: Option<&str>,
) -> Result<Value, ApiError> {
    let flavor = match flavor {
        None => Flavor::MapLibre,
        Some(name) => Flavor::from_name(name).ok_or_else(|| {
            ApiError::bad_request(format!("`flavor={name}`: expected `maplibre` or `qgis`"))
        })?,
    };
    let year = match year {
        None => None,
        Some(y) => Some(
            y.trim()
                .parse::<i32>()
                .map_err(|_| ApiError::bad_request(format!("`year={y}`: expected a year")))?,
        ),
    };
    let input = StyleInput {
        title: atlas.meta.title.clone(),
        attribution: atlas.meta.attribution.clone(),
        tilejson_url: format!("{base}/tiles.json"),
        years: atlas.meta.years.clone(),
        domains: atlas
            .meta
            .domains
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect(),
        levels: atlas.meta.levels.iter().map(|l| l.layer.clone()).collect(),
        min_zoom: atlas.tiles.min_zoom,
        max_zoom: atlas.tiles.max_zoom,
        domains_from_zoom: atlas.domains_from_zoom(),
    };
    let options = StyleOptions {
        year,
        variable: variable.map(Variable::from_id).unwrap_or_default(),
    };
    crate::style::style(&input, flavor, &options).map_err(|e| ApiError::bad_request(e.to_string()))
}

async fn style(
    State(s): State<Shared>,
    Query(q): Query<StyleQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let atlas = s.atlas.load();
    let base = base_url(s.config.public_url.as_deref(), &headers, &uri, &s.bound);
    match style_document(
        &atlas,
        &base,
        q.flavor.as_deref(),
        q.year.as_deref(),
        q.variable.as_deref(),
    ) {
        Ok(doc) => json_response(&headers, &doc, JSON_CACHE),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
}

async fn search(
    State(s): State<Shared>,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(query) = q.q else {
        return ApiError::bad_request("missing `q`: expected a name or code to search for")
            .into_response();
    };
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if (1..=50).contains(&n) => n,
        Some(_) => {
            return ApiError::bad_request("`limit`: expected a whole number from 1 to 50")
                .into_response();
        }
    };
    let atlas = s.atlas.load();
    json_response(&headers, &api::search(&atlas, &query, limit), JSON_CACHE)
}

#[derive(Debug, Deserialize)]
struct PointQuery {
    lon: Option<String>,
    lat: Option<String>,
}

async fn point(
    State(s): State<Shared>,
    Query(q): Query<PointQuery>,
    headers: HeaderMap,
) -> Response {
    let lon = match api::coordinate(q.lon.as_deref(), "lon", 180.0) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let lat = match api::coordinate(q.lat.as_deref(), "lat", 90.0) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let atlas = s.atlas.load();
    json_response(&headers, &api::point(&atlas, lon, lat), JSON_CACHE)
}

#[derive(Debug, Deserialize)]
struct BreaksQuery {
    weights: Option<String>,
    year: Option<String>,
}

async fn breaks(
    State(s): State<Shared>,
    Query(q): Query<BreaksQuery>,
    headers: HeaderMap,
) -> Response {
    let atlas = s.atlas.load();
    let result = api::parse_weights(&atlas.meta.domains, q.weights.as_deref())
        .and_then(|w| api::breaks(&atlas, &w, q.year.as_deref()));
    match result {
        Ok(b) => json_response(&headers, &b, JSON_CACHE),
        Err(e) => e.into_response(),
    }
}

async fn download(State(s): State<Shared>, Path(file): Path<String>, request: Request) -> Response {
    if !DOWNLOADS.contains(&file.as_str()) {
        return ApiError::not_found(format!(
            "no download `{file}`; the files are {}",
            DOWNLOADS.join(", ")
        ))
        .into_response();
    }
    let path = s.atlas.load().dir.join(&file);
    if !path.is_file() {
        let hint = if file == mdi_format::files::MBTILES {
            " (build the atlas with --mbtiles)"
        } else {
            ""
        };
        return ApiError::not_found(format!("this atlas has no {file}{hint}")).into_response();
    }
    match tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
    {
        Ok(res) => {
            let mut res = res.map(Body::new);
            res.headers_mut().insert(header::CACHE_CONTROL, JSON_CACHE);
            res
        }
        Err(e) => ApiError::internal(format!("cannot read {file}: {e}")).into_response(),
    }
}

async fn health(State(s): State<Shared>) -> Response {
    let atlas = s.atlas.load();
    let mut res = axum::Json(json!({
        "status": "ok",
        "atlas": atlas.dir.display().to_string(),
        "built_at": atlas.meta.built_at,
        "tiles": atlas.tiles.len(),
        "areas": atlas.areas.list.len(),
    }))
    .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn metrics(State(s): State<Shared>) -> Response {
    let atlas = s.atlas.load();
    let mut res = s.metrics.render(&atlas).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `Cache-Control` of the client's content-hashed assets: a new build has new names.
const ASSET_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// `/`: the web client's `index.html` (revalidated on every load, so that a new client build
/// is picked up at once), or without a client a page listing the routes.
async fn index(State(s): State<Shared>, request: Request) -> Response {
    match &s.config.web {
        Some(web) => serve_web_file(web.join("index.html"), JSON_CACHE, request).await,
        None => route_list(&s).into_response(),
    }
}

/// `/assets/{file}`: a file of the web client's `assets/` folder, gzip-compressed as built
/// (`.gz` beside it) when the client accepts it.
async fn asset(State(s): State<Shared>, Path(file): Path<String>, request: Request) -> Response {
    let Some(web) = &s.config.web else {
        return ApiError::not_found("this server has no web client (`serve --web DIR`)")
            .into_response();
    };
    // One file name, no folders: nothing outside assets/ can be named.
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return ApiError::not_found(format!("no asset `{file}`")).into_response();
    }
    serve_web_file(web.join("assets").join(&file), ASSET_CACHE, request).await
}

/// Serves one file of the web client with `cache`, through tower-http's `ServeFile` (ranges,
/// `Last-Modified`, a precompressed `.gz` sibling when accepted).
async fn serve_web_file(path: PathBuf, cache: HeaderValue, request: Request) -> Response {
    if !path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        return ApiError::not_found(format!("no web client file `{}`", name.unwrap_or_default()))
            .into_response();
    }
    match tower_http::services::ServeFile::new(&path)
        .precompressed_gzip()
        .oneshot(request)
        .await
    {
        Ok(res) => {
            let mut res = res.map(Body::new);
            if res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED {
                res.headers_mut().insert(header::CACHE_CONTROL, cache);
            }
            res
        }
        Err(e) => {
            ApiError::internal(format!("cannot read {}: {e}", path.display())).into_response()
        }
    }
}

/// The page at `/` without a web client: the routes, as links.
fn route_list(s: &AppState) -> Html<String> {
    let atlas = s.atlas.load();
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{d}</p>\
         <ul><li><a href=/tiles.json>/tiles.json</a> (TileJSON 3.0.0)</li>\
         <li><a href=/style.json>/style.json</a> (MapLibre style; <a href='/style.json?flavor=qgis'>QGIS</a>)</li>\
         <li><a href=/api/meta>/api/meta</a>, /api/areas/{{code}}, /api/search?q=, /api/point?lon=&amp;lat=, /api/breaks?weights=&amp;year=</li>\
         <li>/download/atlas.pmtiles, atlas.mbtiles, scores.csv, areas.fgb</li>\
         <li><a href=/health>/health</a>, <a href=/metrics>/metrics</a></li></ul>\
         <p>This server has no web map: build it with <code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code> \
         and serve it with <code>mdi-atlas serve --web web/dist</code> (or run <code>bash scripts/start.sh</code>).</p>",
        t = esc(&atlas.meta.title),
        d = esc(&atlas.meta.description),
    ))
}

/// Serves `state` on `listener` until `shutdown` completes, then lets requests in flight
/// finish (graceful shutdown).
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Sends log lines (tracing) to stderr, as text or as JSON objects; `RUST_LOG` sets the
/// filter (default `info`). Does nothing if a subscriber is already set.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => tracing::info!("SIGTERM: finishing requests in flight"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted: finishing requests in flight"),
    }
}

/// Reloads on SIGHUP and, with `config.watch`, whenever the atlas folder's fingerprint
/// changes. A failed reload is logged and the served atlas stays.
pub fn spawn_reloaders(state: Shared) {
    let reload = |state: Shared, why: &'static str| async move {
        let s = state.clone();
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || s.reload()).await {
            Ok(Ok(())) => {
                let atlas = state.atlas.load();
                tracing::info!(
                    reason = why,
                    built_at = %atlas.meta.built_at,
                    tiles = atlas.tiles.len(),
                    millis = started.elapsed().as_millis() as u64,
                    "atlas reloaded"
                );
            }
            Ok(Err(e)) => {
                tracing::error!(reason = why, error = %e, "reload failed; still serving the previous atlas")
            }
            Err(e) => tracing::error!(reason = why, error = %e, "reload task failed"),
        }
    };
    let s = state.clone();
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; reload by watching only");
            return;
        };
        while hup.recv().await.is_some() {
            reload(s.clone(), "SIGHUP").await;
        }
    });
    if let Some(every) = state.config.watch {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let dir = state.config.atlas.clone();
                let now = tokio::task::spawn_blocking(move || Fingerprint::of(&dir))
                    .await
                    .ok()
                    .flatten();
                let served = state.atlas.load().fingerprint;
                if now.is_some() && now != served {
                    reload(state.clone(), "atlas folder changed").await;
                }
            }
        });
    }
}

/// Loads the atlas, binds, calls `ready` with the bound address, and serves until SIGTERM or
/// Ctrl-C, on a runtime with `config.workers` threads.
///
/// # Errors
/// [`ServerError`] when the atlas cannot be loaded or the address cannot be bound.
pub fn run(config: ServeConfig, ready: impl FnOnce(SocketAddr, &Atlas)) -> Result<(), ServerError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().build().map_err(ServerError::Runtime)?;
    runtime.block_on(async move {
        let bind = config.bind.clone();
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|cause| ServerError::Bind {
                addr: bind.clone(),
                cause,
            })?;
        let addr = listener.local_addr().map_err(|cause| ServerError::Bind {
            addr: bind.clone(),
            cause,
        })?;
        let mut config = config;
        config.bind = addr.to_string();
        let state = AppState::new(config)?;
        ready(addr, &state.atlas.load());
        spawn_reloaders(state.clone());
        serve(listener, state, shutdown_signal())
            .await
            .map_err(|cause| ServerError::Bind { addr: bind, cause })
    })
}
