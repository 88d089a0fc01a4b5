//! The accept loop: hyper connections with limits that hostile or careless clients cannot
//! exhaust.
//!
//! - a header-read timeout ([`ServeConfig::header_timeout`]) and an idle timeout
//!   ([`ServeConfig::idle_timeout`]): a connection with no request in flight is closed when it
//!   has been quiet that long (a client that sends nothing, half a header, or keeps a
//!   keep-alive connection open);
//! - a connection limit ([`ServeConfig::max_connections`], at most the open-file limit less a
//!   reserve): a new connection over the limit closes the oldest connection that has no
//!   request in flight, so a crowd of idle clients cannot lock out `/health`;
//! - `EMFILE` (too many open files) on accept closes the oldest idle connection, backs off
//!   briefly and is logged at most once per [`EMFILE_LOG_EVERY`];
//! - shutdown: stop accepting, close the connections without a request in flight at once, let
//!   requests in flight finish for [`ServeConfig::shutdown_grace`], then close the rest.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt as _;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::sync::Notify;
use tower::ServiceExt as _;

use crate::config::ServeConfig;

/// How often an `EMFILE` on accept is logged, at most.
pub const EMFILE_LOG_EVERY: Duration = Duration::from_secs(10);

/// Open files kept free for the rest of the server (atlas files, reloads, logs): the connection
/// limit is at most the open-file limit less this.
pub const RESERVED_FILES: u64 = 48;

/// Largest header section hyper reads: above the limits of [`crate::routes`] (414, 431), so
/// that those answer with a JSON body rather than hyper's empty one.
const HYPER_MAX_BUF: usize = 1 << 20;

/// Most header fields hyper reads (see [`HYPER_MAX_BUF`]).
const HYPER_MAX_HEADERS: usize = 1000;

/// The state of one connection.
const OPEN: u8 = 0;
/// Close now, unless a request is in flight: then let it finish, and close.
const IDLE_CLOSE: u8 = 2;
/// Close now, whatever is in flight.
const FORCE: u8 = 3;

/// One open connection.
#[derive(Debug)]
struct Conn {
    /// Requests whose response has not been sent whole.
    in_flight: AtomicUsize,
    /// When the connection last had a request in flight (or was accepted).
    idle_since: Mutex<Instant>,
    /// [`OPEN`], [`IDLE_CLOSE`] or [`FORCE`].
    close: AtomicU8,
    /// Wakes the connection's task when `close` is set.
    wake: Notify,
}

impl Conn {
    fn new() -> Conn {
        Conn {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            close: AtomicU8::new(OPEN),
            wake: Notify::new(),
        }
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    fn idle_for(&self) -> Duration {
        self.idle_since
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    fn signal(&self, how: u8) {
        self.close.fetch_max(how, Ordering::AcqRel);
        self.wake.notify_one();
    }
}

/// Counts a request in flight on its connection until the response has been sent (or given up).
struct InFlight(Arc<Conn>);

impl InFlight {
    fn new(conn: Arc<Conn>) -> InFlight {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(conn)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut t) = self.0.idle_since.lock() {
            *t = Instant::now();
        }
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The open connections, oldest first.
#[derive(Debug, Default)]
struct Registry {
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn len(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn insert(&self, id: u64) -> Arc<Conn> {
        let conn = Arc::new(Conn::new());
        if let Ok(mut c) = self.conns.lock() {
            c.insert(id, conn.clone());
        }
        conn
    }

    fn remove(&self, id: u64) {
        if let Ok(mut c) = self.conns.lock() {
            c.remove(&id);
        }
    }

    /// Closes the oldest connection without a request in flight; whether there was one.
    fn evict_oldest_idle(&self) -> bool {
        let Ok(mut conns) = self.conns.lock() else {
            return false;
        };
        let Some(id) = conns
            .iter()
            .find(|(_, c)| c.idle() && c.close.load(Ordering::Acquire) == OPEN)
            .map(|(id, _)| *id)
        else {
            return false;
        };
        if let Some(conn) = conns.remove(&id) {
            conn.signal(IDLE_CLOSE);
        }
        true
    }

    /// Closes the connections idle for longer than `limit`.
    fn close_idle(&self, limit: Duration) {
        if let Ok(conns) = self.conns.lock() {
            for c in conns.values() {
                if c.idle() && c.idle_for() > limit {
                    c.signal(IDLE_CLOSE);
                }
            }
        }
    }

    /// Signals every connection.
    fn signal_all(&self, how: u8) {
        if let Ok(conns) = self.conns.lock() {
            for c in conns.values() {
                c.signal(how);
            }
        }
    }
}

/// The limits of the accept loop, from a [`ServeConfig`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once (already capped by the open-file limit).
    pub max_connections: usize,
    /// See [`ServeConfig::header_timeout`].
    pub header_timeout: Duration,
    /// See [`ServeConfig::idle_timeout`].
    pub idle_timeout: Duration,
    /// See [`ServeConfig::shutdown_grace`].
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The limits of `config`, the connection limit capped at the open-file limit less
    /// [`RESERVED_FILES`] (`open_files`: the soft limit, see [`raise_open_file_limit`]).
    pub fn new(config: &ServeConfig, open_files: Option<u64>) -> Limits {
        let cap = open_files.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(RESERVED_FILES).max(8)).unwrap_or(usize::MAX)
        });
        Limits {
            max_connections: config.max_connections.clamp(2, cap.max(2)),
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// Raises the soft open-file limit (`RLIMIT_NOFILE`) to the hard limit and returns the soft
/// limit then in force (`None` when unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    if now.current != now.maximum {
        let raised = Rlimit {
            current: now.maximum,
            maximum: now.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Whether an accept error means the process (or system) is out of file descriptors or memory.
fn out_of_resources(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

/// Serves `app` on `listener` with `limits` until `shutdown` completes, then shuts down as the
/// module says.
///
/// # Errors
/// None today: accept errors are handled (see the module); the `Result` keeps the signature of
/// a server loop.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(HYPER_MAX_HEADERS);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let registry = Arc::new(Registry::default());
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id: u64 = 0;
    let mut emfile_logged: Option<Instant> = None;
    let mut reap = tokio::time::interval(
        (limits.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1)),
    );
    reap.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = reap.tick() => registry.close_idle(limits.idle_timeout),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if registry.len() >= limits.max_connections && !registry.evict_oldest_idle() {
                        // Every connection has a request in flight: refuse this one.
                        drop(stream);
                        continue;
                    }
                    let id = next_id;
                    next_id += 1;
                    let conn = registry.insert(id);
                    let (app, builder, registry) = (app.clone(), builder.clone(), registry.clone());
                    tasks.spawn(async move {
                        serve_one(stream, app, conn, &builder).await;
                        registry.remove(id);
                    });
                }
                Err(e) if out_of_resources(&e) => {
                    registry.evict_oldest_idle();
                    if emfile_logged.is_none_or(|t| t.elapsed() >= EMFILE_LOG_EVERY) {
                        emfile_logged = Some(Instant::now());
                        tracing::warn!(
                            error = %e,
                            connections = registry.len(),
                            "accept failed: closing idle connections and backing off \
                             (logged at most every 10 s)"
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => tracing::debug!(error = %e, "accept error"),
            }
        }
    }
    drop(listener);
    shut_down(&registry, &mut tasks, limits.shutdown_grace).await;
    Ok(())
}

/// Closes idle connections at once, lets requests in flight finish within `grace`, then closes
/// what is left.
async fn shut_down(registry: &Registry, tasks: &mut tokio::task::JoinSet<()>, grace: Duration) {
    registry.signal_all(IDLE_CLOSE);
    let deadline = tokio::time::sleep(grace);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { return },
            () = &mut deadline => break,
        }
    }
    tracing::warn!(
        connections = tasks.len(),
        "shutdown grace period over: closing the connections left"
    );
    registry.signal_all(FORCE);
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

/// Serves one connection until it ends or is told to close.
async fn serve_one(
    stream: tokio::net::TcpStream,
    app: Router,
    conn: Arc<Conn>,
    builder: &auto::Builder<TokioExecutor>,
) {
    let _ = stream.set_nodelay(true);
    let counted = conn.clone();
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let guard = InFlight::new(counted.clone());
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await?;
                // The guard lives as long as the body: until the response is sent whole.
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _ = &guard;
                        frame
                    }))
                }))
            }
        });
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut graceful = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = conn.wake.notified() => {
                let how = conn.close.load(Ordering::Acquire);
                if how == FORCE || (how == IDLE_CLOSE && conn.idle()) {
                    return;
                }
                if !graceful {
                    graceful = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
