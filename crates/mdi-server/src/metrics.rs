//! Prometheus metrics, kept in atomics: requests by route and status class, a latency
//! histogram per route, tile bytes sent, and atlas reloads. `/metrics` renders them in the
//! Prometheus text exposition format (version 0.0.4).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::routes::ROUTES;

/// The `route` label of requests that matched no route of [`ROUTES`].
pub const OTHER: &str = "other";

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug, Default)]
struct RouteStats {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// The counters of one server process.
#[derive(Debug)]
pub struct Metrics {
    /// The `route` labels: one per route of [`ROUTES`], in its order, then [`OTHER`].
    labels: Vec<&'static str>,
    routes: Vec<RouteStats>,
    /// Tile body bytes sent.
    pub tile_bytes: AtomicU64,
    /// Tiles sent decompressed, to clients without gzip.
    pub tiles_decompressed: AtomicU64,
    /// Successful atlas reloads.
    pub reloads: AtomicU64,
    /// Failed atlas reloads (the previous atlas kept serving).
    pub reload_failures: AtomicU64,
    /// Requests answered 503 over the concurrency limit.
    pub shed: AtomicU64,
    started: Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        let labels: Vec<&'static str> = ROUTES
            .iter()
            .map(|r| r.label)
            .chain(std::iter::once(OTHER))
            .collect();
        Metrics {
            routes: labels.iter().map(|_| RouteStats::default()).collect(),
            labels,
            tile_bytes: AtomicU64::new(0),
            tiles_decompressed: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

/// The index of the stats of the route with path pattern `path` (the last, [`OTHER`], for none).
fn route_index(path: Option<&str>) -> usize {
    path.and_then(|p| ROUTES.iter().position(|r| r.path == p))
        .unwrap_or(ROUTES.len())
}

impl Metrics {
    /// Counts one request of `route` (a matched route pattern) with `status` that took
    /// `elapsed`.
    pub fn record(&self, route: Option<&str>, status: u16, elapsed: Duration) {
        let r = &self.routes[route_index(route)];
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        r.by_class[class].fetch_add(1, Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(b) = BUCKETS.iter().position(|&b| secs <= b) {
            r.buckets[b].fetch_add(1, Relaxed);
        }
        r.count.fetch_add(1, Relaxed);
        r.sum_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    /// The metrics in Prometheus text format; `atlas` adds the gauges of the loaded atlas
    /// (tiles, areas, load time), `held` the number of atlases in memory
    /// ([`crate::state::Held::count`]).
    pub fn render(
        &self,
        atlas: &crate::atlas::MapAtlas,
        areas: Option<usize>,
        held: usize,
    ) -> String {
        let mut out = String::with_capacity(8192);
        self.render_requests(&mut out);
        self.render_latency(&mut out);
        self.render_counters(&mut out);
        self.render_gauges(&mut out, atlas, areas, held);
        out
    }

    /// `mdi_http_requests_total{route, status}`.
    fn render_requests(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP mdi_http_requests_total HTTP requests by route and status class."
        );
        let _ = writeln!(out, "# TYPE mdi_http_requests_total counter");
        for (route, r) in self.labels.iter().zip(&self.routes) {
            for (class, c) in CLASSES.iter().zip(&r.by_class) {
                let n = c.load(Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "mdi_http_requests_total{{route=\"{route}\",status=\"{class}\"}} {n}"
                    );
                }
            }
        }
    }

    /// The histogram `mdi_http_request_duration_seconds{route}`, for routes with requests.
    fn render_latency(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP mdi_http_request_duration_seconds Time to produce the response (headers), by route."
        );
        let _ = writeln!(out, "# TYPE mdi_http_request_duration_seconds histogram");
        for (route, r) in self.labels.iter().zip(&self.routes) {
            let count = r.count.load(Relaxed);
            if count == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (b, c) in BUCKETS.iter().zip(&r.buckets) {
                cumulative += c.load(Relaxed);
                let _ = writeln!(
                    out,
                    "mdi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "mdi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "mdi_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                r.sum_micros.load(Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "mdi_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
    }

    /// The counters of tiles sent and reloads.
    fn render_counters(&self, out: &mut String) {
        let counters = [
            (
                "mdi_tile_bytes_total",
                "Tile body bytes sent.",
                &self.tile_bytes,
            ),
            (
                "mdi_tiles_decompressed_total",
                "Tiles decompressed for clients without gzip.",
                &self.tiles_decompressed,
            ),
            (
                "mdi_atlas_reloads_total",
                "Atlas reloads that succeeded.",
                &self.reloads,
            ),
            (
                "mdi_atlas_reload_failures_total",
                "Atlas reloads that failed (the previous atlas kept serving).",
                &self.reload_failures,
            ),
            (
                "mdi_http_shed_total",
                "Requests answered 503 because the concurrency limit was reached.",
                &self.shed,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        }
    }

    /// The gauges of the loaded atlas and the uptime.
    fn render_gauges(
        &self,
        out: &mut String,
        atlas: &crate::atlas::MapAtlas,
        areas: Option<usize>,
        held: usize,
    ) {
        let loaded = atlas
            .loaded_at
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let gauges = [
            (
                "mdi_atlas_tiles",
                "Tiles addressed by the loaded atlas.",
                atlas.tiles.len() as f64,
            ),
            (
                "mdi_atlas_tile_contents",
                "Distinct tile contents in the loaded atlas.",
                atlas.tiles.contents() as f64,
            ),
            (
                "mdi_atlas_archive_bytes",
                "Size of the loaded tile archive.",
                atlas.tiles.archive_bytes as f64,
            ),
            (
                "mdi_atlas_areas",
                "Areas of the loaded atlas (NaN while they load).",
                areas.map_or(f64::NAN, |n| n as f64),
            ),
            (
                "mdi_atlas_loaded_timestamp_seconds",
                "When the loaded atlas was read (Unix time).",
                loaded,
            ),
            (
                "mdi_atlas_snapshots_held",
                "Atlases in memory: the served one, plus old ones that requests in flight still \
                 hold after a reload (back to 1 when they are done).",
                held as f64,
            ),
            (
                "mdi_uptime_seconds",
                "Seconds since the server started.",
                self.started.elapsed().as_secs_f64(),
            ),
        ];
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
    }
}

/// Middleware that counts every request of the router it wraps.
pub async fn track(
    State(metrics): State<std::sync::Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let start = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        route.as_ref().map(MatchedPath::as_str),
        response.status().as_u16(),
        start.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_and_histograms_cumulate() {
        let m = Metrics::default();
        assert_eq!(m.labels.len(), ROUTES.len() + 1);
        assert_eq!(
            m.labels[route_index(Some("/tiles/{z}/{x}/{y}"))],
            "/tiles/{z}/{x}/{y}"
        );
        assert_eq!(
            m.labels[route_index(Some("/assets/{*file}"))],
            "/assets/{file}"
        );
        assert_eq!(m.labels[route_index(Some("/nope"))], OTHER);
        assert_eq!(m.labels[route_index(None)], OTHER);
        m.record(Some("/health"), 200, Duration::from_micros(50));
        m.record(Some("/health"), 503, Duration::from_millis(3));
        let r = &m.routes[route_index(Some("/health"))];
        assert_eq!(r.by_class[1].load(Relaxed), 1);
        assert_eq!(r.by_class[4].load(Relaxed), 1);
        assert_eq!(r.buckets[0].load(Relaxed), 1); // 50 µs ≤ 100 µs
        assert_eq!(r.buckets[5].load(Relaxed), 1); // 3 ms ≤ 5 ms
    }
}
