//! [`AppState`]: what every request shares, the start in two steps, and the reload of the atlas.
//!
//! State on the request path is one [`ArcSwap`] holding the [`Served`] atlas: a request takes a
//! reference-counted snapshot without a lock and keeps it until its response is done, so a
//! reload swaps atlases without failing a request in flight.
//!
//! At start ([`AppState::start`]) only the map part of the atlas is read ([`MapAtlas`]:
//! `metadata.json` and the tile archive's directories), so tiles, TileJSON and styles answer at
//! once; the rest ([`Atlas`]: areas, scores, search, analysis) loads in the background
//! ([`PendingLoad`]) and until it is there the API answers 503 with `Retry-After: 1`. A reload
//! loads everything before it swaps, so it never goes back to 503.

use std::any::Any;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use arc_swap::ArcSwap;
use axum::http::HeaderValue;

use crate::atlas::{Atlas, Downloads, MapAtlas};
use crate::config::ServeConfig;
use crate::error::{ApiError, ServerError};
use crate::metrics::Metrics;

/// One served atlas: its map part at once, the whole atlas when it has loaded.
#[derive(Debug)]
pub struct Served {
    /// What tiles, TileJSON and styles need.
    pub map: Arc<MapAtlas>,
    /// The whole atlas, once loaded.
    full: OnceLock<Arc<Atlas>>,
    /// What is still loading, for the 503 answers ([`MapAtlas::pending_files`]).
    pending: Vec<String>,
}

impl Served {
    /// The whole atlas, or `None` while it loads.
    pub fn atlas(&self) -> Option<&Arc<Atlas>> {
        self.full.get()
    }
}

/// What every request shares.
#[derive(Debug)]
pub struct AppState {
    /// The atlas being served.
    pub served: ArcSwap<Served>,
    /// The configuration.
    pub config: ServeConfig,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// Host and port the server is bound to, for URLs when a request has no `Host`.
    pub bound: String,
    /// `Cache-Control` of tiles (`public, max-age=…` from [`ServeConfig::tile_max_age`]).
    pub(crate) tile_cache: HeaderValue,
    /// The permits of requests in flight ([`ServeConfig::max_concurrency`]); a request that
    /// finds none is answered 503.
    pub concurrency: Arc<tokio::sync::Semaphore>,
    /// Every atlas loaded, held weakly: how many are still in memory ([`Held::count`]).
    pub held: Held,
}

/// The atlases a server has loaded, held weakly, so that `/metrics` can tell how many are still
/// in memory (`mdi_atlas_snapshots_held`): after a reload the old atlas is freed once the
/// requests that hold it are done, so the count goes back to 1. A count that stays above 1
/// means something keeps an old atlas alive.
#[derive(Debug, Default)]
pub struct Held(Mutex<Vec<(u64, Weak<dyn Any + Send + Sync>)>>);

impl Held {
    /// Records `part` (a [`MapAtlas`] or an [`Atlas`]) of load number `load`.
    fn add<T: Any + Send + Sync>(&self, load: u64, part: &Arc<T>) {
        let weak: Weak<dyn Any + Send + Sync> = Arc::downgrade(part) as Weak<dyn Any + Send + Sync>;
        if let Ok(mut held) = self.0.lock() {
            held.push((load, weak));
        }
    }

    /// The number of loads with a part still in memory; forgets the freed ones.
    pub fn count(&self) -> usize {
        let Ok(mut held) = self.0.lock() else {
            return 0;
        };
        held.retain(|(_, w)| w.strong_count() > 0);
        let mut loads: Vec<u64> = held.iter().map(|(l, _)| *l).collect();
        loads.dedup();
        loads.len()
    }
}

/// The shared state.
pub type Shared = Arc<AppState>;

/// The rest of an atlas whose map part is served ([`AppState::start`]): call
/// [`PendingLoad::finish`] (off the async workers) to load it.
#[derive(Debug)]
#[must_use = "the API answers 503 until the pending load is finished"]
pub struct PendingLoad {
    served: Arc<Served>,
    /// The state, to record the loaded atlas in [`AppState::held`].
    state: Weak<AppState>,
}

impl PendingLoad {
    /// Reads the tile archive into memory and loads the areas, scores, search index and
    /// analysis files (side by side), and makes them the served atlas's.
    ///
    /// # Errors
    /// As [`Atlas::complete`] and [`crate::tiles::TileStore::load_into_memory`]; the API then
    /// keeps answering 503, so the caller should stop the server.
    pub fn finish(self) -> Result<(), ServerError> {
        let atlas = Arc::new(complete_in_parallel(&self.served.map)?);
        if let Some(state) = self.state.upgrade() {
            state.held.add(0, &atlas);
        }
        let _ = self.served.full.set(atlas);
        Ok(())
    }
}

/// [`Atlas::complete`] beside reading the tile archive into memory, then the downloads
/// ([`Downloads`]) from the same folder.
fn complete_in_parallel(map: &MapAtlas) -> Result<Atlas, ServerError> {
    let mut atlas = std::thread::scope(|scope| {
        let tiles = scope.spawn(|| map.tiles.load_into_memory());
        let atlas = Atlas::complete(map);
        let tiles = tiles.join().unwrap_or_else(|_| {
            Err(ServerError::Atlas {
                path: map.dir.clone(),
                message: "reading the tile archive panicked".into(),
            })
        });
        tiles?;
        atlas
    })?;
    atlas.downloads = Downloads::read(&map.dir, &map.tiles)?;
    Ok(atlas)
}

impl AppState {
    /// Loads the whole atlas of `config` and makes the state: the API answers at once.
    ///
    /// # Errors
    /// As [`Atlas::load`].
    pub fn new(config: ServeConfig) -> Result<Shared, ServerError> {
        let (state, pending) = AppState::start(config)?;
        pending.finish()?;
        Ok(state)
    }

    /// Reads the map part of the atlas of `config` ([`MapAtlas`]) and makes the state: tiles,
    /// TileJSON and styles answer at once, the API with 503 until the returned
    /// [`PendingLoad`] is finished.
    ///
    /// # Errors
    /// As [`MapAtlas::load`]: a missing or invalid `metadata.json` or `atlas.pmtiles`.
    pub fn start(config: ServeConfig) -> Result<(Shared, PendingLoad), ServerError> {
        let map = MapAtlas::load(&config.atlas)?;
        let served = Arc::new(Served {
            pending: map.pending_files(),
            map: Arc::new(map),
            full: OnceLock::new(),
        });
        let tile_cache = HeaderValue::from_str(&format!("public, max-age={}", config.tile_max_age))
            .unwrap_or(HeaderValue::from_static("public, max-age=3600"));
        let held = Held::default();
        held.add(0, &served.map);
        let state = Arc::new(AppState {
            held,
            served: ArcSwap::new(served.clone()),
            bound: config.bind.clone(),
            concurrency: Arc::new(tokio::sync::Semaphore::new(config.max_concurrency)),
            config,
            metrics: Arc::new(Metrics::default()),
            tile_cache,
        });
        Ok((
            state.clone(),
            PendingLoad {
                served,
                state: Arc::downgrade(&state),
            },
        ))
    }

    /// The map part of the served atlas.
    pub fn map(&self) -> Arc<MapAtlas> {
        self.served.load().map.clone()
    }

    /// The whole served atlas.
    ///
    /// # Errors
    /// 503 with `Retry-After: 1`, naming what is loading, while it loads.
    pub fn atlas(&self) -> Result<Arc<Atlas>, ApiError> {
        let served = self.served.load();
        served.atlas().cloned().ok_or_else(|| {
            ApiError::loading(format!(
                "the atlas is still loading ({}); tiles, /tiles.json and /style.json answer \
                 meanwhile; retry in a second",
                served.pending.join(", ")
            ))
        })
    }

    /// Loads the atlas folder again (through its symlink, resolved once) and swaps it in, whole
    /// (the API never goes back to 503). On failure the atlas being served stays, and the error
    /// is returned (and counted).
    ///
    /// # Errors
    /// [`ServerError::Reload`] around the error of [`Atlas::load`], naming the file.
    pub fn reload(&self) -> Result<(), ServerError> {
        let loaded = MapAtlas::load(&self.config.atlas).and_then(|map| {
            let atlas = complete_in_parallel(&map)?;
            Ok((map, atlas))
        });
        match loaded {
            Ok((map, atlas)) => {
                let (map, atlas) = (Arc::new(map), Arc::new(atlas));
                let load = self.metrics.reloads.fetch_add(1, Relaxed) + 1;
                self.held.add(load, &map);
                self.held.add(load, &atlas);
                self.served.store(Arc::new(Served {
                    map,
                    full: OnceLock::from(atlas),
                    pending: Vec::new(),
                }));
                Ok(())
            }
            Err(e) => {
                self.metrics.reload_failures.fetch_add(1, Relaxed);
                Err(ServerError::Reload {
                    atlas: self.config.atlas.clone(),
                    cause: Box::new(e),
                })
            }
        }
    }
}
