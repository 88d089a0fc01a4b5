//! [`ServeConfig`]: how to serve an atlas.

use std::path::PathBuf;
use std::time::Duration;

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
    /// Most requests handled at once; more are answered 503 with `Retry-After` (`/health` and
    /// `/metrics` are never shed).
    pub max_concurrency: usize,
    /// Most connections open at once; a new one over the limit closes the oldest connection
    /// that has no request in flight.
    pub max_connections: usize,
    /// Longest time a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// Longest time a connection may stay open without a request in flight (keep-alive idle,
    /// or a client that sends nothing).
    pub idle_timeout: Duration,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish before their
    /// connections are closed.
    pub shutdown_grace: Duration,
    /// Honour `X-Forwarded-Host`, `-Proto` and `-Prefix` (only behind a proxy that sets them).
    pub trust_proxy: bool,
    /// `max-age` of tiles in seconds (their ETag changes with their content).
    pub tile_max_age: u32,
    /// Log every request (method, path, status, latency) at INFO.
    pub access_log: bool,
    /// The built web client (`web/dist`: `index.html` and `assets/`), served at `/` and
    /// `/assets/`; `None`: `/` is a plain page listing the routes.
    pub web: Option<PathBuf>,
    /// A MapLibre style URL of a background map, offered to the client as `/api/meta`
    /// `basemap` (`serve --basemap`); `None`: no background map.
    pub basemap: Option<String>,
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
            max_concurrency: 256,
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            trust_proxy: false,
            tile_max_age: 3600,
            access_log: false,
            web: None,
            basemap: None,
        }
    }
}
