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
    /// Most requests handled at once; more wait their turn.
    pub max_concurrency: usize,
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
            max_concurrency: 1024,
            tile_max_age: 3600,
            access_log: false,
            web: None,
            basemap: None,
        }
    }
}
