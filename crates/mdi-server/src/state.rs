//! [`AppState`]: what every request shares, and the reload of the atlas.
//!
//! State on the request path is one [`ArcSwap`] holding the loaded [`Atlas`]: a request takes
//! a reference-counted snapshot without a lock and keeps it until its response is done, so a
//! reload swaps atlases without failing a request in flight.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use arc_swap::ArcSwap;
use axum::http::HeaderValue;

use crate::atlas::Atlas;
use crate::config::ServeConfig;
use crate::error::ServerError;
use crate::metrics::Metrics;

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
    /// `Cache-Control` of tiles (`public, max-age=…` from [`ServeConfig::tile_max_age`]).
    pub(crate) tile_cache: HeaderValue,
}

/// The shared state.
pub type Shared = Arc<AppState>;

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
