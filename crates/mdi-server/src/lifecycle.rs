//! The server's life: [`run`] (runtime, bind, serve), graceful shutdown on SIGTERM or Ctrl-C,
//! hot reload of the atlas (SIGHUP and the folder watcher) and logging.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::sync::{Arc, Mutex};

use crate::atlas::{Fingerprint, MapAtlas};
use crate::config::ServeConfig;
use crate::error::ServerError;
use crate::listen::{Limits, raise_open_file_limit, serve_connections};
use crate::routes::router;
use crate::state::{AppState, Shared};

/// Serves `state` on `listener` until `shutdown` completes, with the connection limits of
/// [`crate::listen`]; then closes idle connections, lets requests in flight finish within the
/// shutdown grace period and closes the rest.
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open_files = raise_open_file_limit();
    let limits = Limits::new(&state.config, open_files);
    tracing::info!(
        max_connections = limits.max_connections,
        open_file_limit = open_files.unwrap_or(u64::MAX),
        max_concurrency = state.config.max_concurrency,
        "connection limits"
    );
    serve_connections(listener, router(state), limits, shutdown).await
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

/// Reloads the atlas off the async workers and logs the outcome; a failed reload keeps the
/// served atlas.
async fn reload(state: Shared, why: &'static str) {
    let s = state.clone();
    let started = Instant::now();
    match tokio::task::spawn_blocking(move || s.reload()).await {
        Ok(Ok(())) => {
            let atlas = state.map();
            tracing::info!(
                reason = why,
                built_at = %atlas.meta.built_at,
                tiles = atlas.tiles.len(),
                millis = started.elapsed().as_millis() as u64,
                "atlas reloaded"
            );
        }
        Ok(Err(e)) => {
            tracing::error!(reason = why, error = %e, "reload failed")
        }
        Err(e) => tracing::error!(reason = why, error = %e, "reload task failed"),
    }
}

/// Reloads on every SIGHUP.
async fn reload_on_sighup(state: Shared) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload by watching only");
        return;
    };
    while hup.recv().await.is_some() {
        reload(state.clone(), "SIGHUP").await;
    }
}

/// Checks the atlas folder's fingerprint `every` so often and reloads when it changed.
async fn reload_on_change(state: Shared, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let dir = state.config.atlas.clone();
        let now = tokio::task::spawn_blocking(move || Fingerprint::of(&dir))
            .await
            .ok()
            .flatten();
        let served = state.map().fingerprint;
        if now.is_some() && now != served {
            reload(state.clone(), "atlas folder changed").await;
        }
    }
}

/// Reloads on SIGHUP and, with `config.watch`, whenever the atlas folder's fingerprint
/// changes. A failed reload is logged and the served atlas stays.
pub fn spawn_reloaders(state: Shared) {
    tokio::spawn(reload_on_sighup(state.clone()));
    if let Some(every) = state.config.watch {
        tokio::spawn(reload_on_change(state, every));
    }
}

/// Binds `addr`.
async fn bind(addr: &str) -> Result<(tokio::net::TcpListener, SocketAddr), ServerError> {
    let error = |cause| ServerError::Bind {
        addr: addr.to_string(),
        cause,
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(error)?;
    let bound = listener.local_addr().map_err(error)?;
    Ok((listener, bound))
}

/// Binds, reads the map part of the atlas ([`AppState::start`]), calls `ready` with the bound
/// address, and serves until SIGTERM or Ctrl-C, on a runtime with `config.workers` threads.
/// Tiles, TileJSON and styles answer at once; the rest of the atlas loads in the background
/// and the API answers 503 until it is there. If that load fails, the server stops and the
/// error is returned: a broken atlas fails at start.
///
/// # Errors
/// [`ServerError`] when the atlas cannot be loaded or the address cannot be bound.
pub fn run(
    config: ServeConfig,
    ready: impl FnOnce(SocketAddr, &MapAtlas),
) -> Result<(), ServerError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().build().map_err(ServerError::Runtime)?;
    runtime.block_on(async move {
        let requested = config.bind.clone();
        let (listener, addr) = bind(&requested).await?;
        let (state, pending) = AppState::start(ServeConfig {
            bind: addr.to_string(),
            ..config
        })?;
        ready(addr, &state.map());
        let failure = Arc::new(Mutex::new(None));
        let failed = Arc::new(tokio::sync::Notify::new());
        let (slot, notify) = (failure.clone(), failed.clone());
        let started = Instant::now();
        tokio::task::spawn_blocking(move || match pending.finish() {
            Ok(()) => tracing::info!(
                millis = started.elapsed().as_millis() as u64,
                "atlas loaded: the API answers"
            ),
            Err(e) => {
                tracing::error!(error = %e, "the atlas cannot be loaded; stopping");
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(e);
                }
                notify.notify_one();
            }
        });
        spawn_reloaders(state.clone());
        let stop = async move {
            tokio::select! {
                () = shutdown_signal() => {}
                () = failed.notified() => {}
            }
        };
        serve(listener, state, stop)
            .await
            .map_err(|cause| ServerError::Bind {
                addr: requested,
                cause,
            })?;
        match failure.lock().ok().and_then(|mut f| f.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}
