//! The server against hostile and careless clients (issue 16): forwarded headers trusted only
//! with `--trust-proxy`, no absolute path in any response, CORS on data routes only, every
//! error as JSON, `Range` as RFC 9110 says, weights that overflow, downloads from the served
//! snapshot, a symlinked atlas, reload errors; then the real binary over a socket: idle and
//! half-sent connections beyond the open-file limit, header limits, load shedding and SIGTERM.
//!
//! `MDI_IDLE_CONNECTIONS` (default 400) and `MDI_IDLE_NOFILE` (default 256) set the scale of
//! the idle-connection test: `bench/soak.sh` runs it with 2,000 connections against a
//! 1,024 open-file limit (the test process then needs `ulimit -n` above 2,100).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use common::{run, stderr};
use http_body_util::BodyExt;
use mdi_server::{AppState, ServeConfig, Shared};
use serde_json::Value;
use tower::ServiceExt;

/// A demo atlas built once for all tests of this file (`years`: the demo years), under the
/// target folder's scratch space (rebuilt on every run, never left in /tmp).
fn built(years: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("serve_hardening")
        .join(years.first().copied().unwrap_or("default"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("atlas");
    let mut args = vec!["build", "--demo", "--out", out.to_str().unwrap()];
    if !years.is_empty() {
        args.push("--demo-years");
        args.extend(years);
    }
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn demo() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| built(&[]))
}

fn demo_2019() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| built(&["2019", "2020"]))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn config_for(dir: &Path) -> ServeConfig {
    let mut config = ServeConfig::new(dir.to_path_buf());
    config.watch = None;
    config
}

fn app_with(config: ServeConfig) -> (Router, Shared) {
    let s = AppState::new(config).expect("the atlas loads");
    (mdi_server::router(s.clone()), s)
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("JSON body ({e}): {}", self.text()))
    }
    /// The body is the documented JSON error with this status.
    fn assert_json_error(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{status}: content-type {:?}",
            self.header("content-type")
        );
        let doc = self.json();
        assert_eq!(doc["error"]["status"], status, "{doc}");
        assert!(
            doc["error"]["message"]
                .as_str()
                .is_some_and(|m| m.len() > 10),
            "{doc}"
        );
    }
}

async fn call(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Method::GET, uri, &[]).await
}

#[tokio::test]
async fn forwarded_headers_count_only_behind_a_trusted_proxy() {
    let forged = [
        ("host", "ours.example:8080"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-prefix", "/evil"),
    ];
    let (app, _) = app_with(config_for(demo()));
    for uri in ["/tiles.json", "/style.json"] {
        let r = call(&app, Method::GET, uri, &forged).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let text = r.text();
        assert!(!text.contains("evil"), "{uri} trusts X-Forwarded-*: {text}");
        assert!(text.contains("http://ours.example:8080/"), "{uri}: {text}");
        // The body depends on Host: a shared cache must key on it.
        let vary = r.header("vary").unwrap_or_default().to_ascii_lowercase();
        assert!(vary.contains("host"), "{uri}: Vary {vary:?}");
    }
    let mut trusted = config_for(demo());
    trusted.trust_proxy = true;
    let (app, _) = app_with(trusted);
    let r = call(&app, Method::GET, "/tiles.json", &forged).await;
    let doc = r.json();
    assert_eq!(
        doc["tiles"][0].as_str().unwrap(),
        "https://evil.example/evil/tiles/{z}/{x}/{y}.mvt"
    );
    let vary = r.header("vary").unwrap_or_default().to_ascii_lowercase();
    for h in [
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-prefix",
    ] {
        assert!(vary.contains(h), "Vary {vary:?} lacks {h}");
    }
}

#[tokio::test]
async fn no_response_reveals_an_absolute_path() {
    let (app, _) = app_with(config_for(demo()));
    let dir = demo().to_str().unwrap().to_string();
    let parent = demo().parent().unwrap().to_str().unwrap().to_string();
    let meta = get(&app, "/api/meta").await.json();
    let mut uris: Vec<String> = [
        "/",
        "/health",
        "/metrics",
        "/tiles.json",
        "/tiles/metadata.json",
        "/style.json",
        "/style.json?flavor=qgis",
        "/api/meta",
        "/api/areas/BU99010101",
        "/api/search?q=a",
        "/api/breaks",
        "/api/report",
        "/api/report?format=html",
        "/no/such/route",
        "/download/nothing",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    for d in meta["downloads"].as_array().unwrap() {
        let name = d["file"].as_str().or(d.as_str()).unwrap_or_default();
        if name.ends_with(".json") || name.ends_with(".csv") {
            uris.push(format!("/download/{name}"));
        }
    }
    for uri in &uris {
        let r = get(&app, uri).await;
        let text = r.text();
        assert!(
            !text.contains(&parent) && !text.contains(&dir),
            "{uri} reveals the atlas' absolute path: {text}"
        );
    }
    let h = get(&app, "/health").await.json();
    assert_eq!(h["atlas"], "atlas", "{h}");
}

#[tokio::test]
async fn cors_is_on_data_routes_only() {
    let (app, _) = app_with(config_for(demo()));
    let origin = [("origin", "https://maps.example")];
    for uri in [
        "/tiles.json",
        "/style.json",
        "/api/meta",
        "/download/metadata.json",
        "/fonts/Ubuntu%20Light/0-255.pbf",
    ] {
        let r = call(&app, Method::GET, uri, &origin).await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{uri}");
    }
    for uri in ["/health", "/metrics"] {
        let r = call(&app, Method::GET, uri, &origin).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.header("access-control-allow-origin"), None, "{uri}");
        let pre = call(
            &app,
            Method::OPTIONS,
            uri,
            &[
                ("origin", "https://maps.example"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
        assert_eq!(pre.header("access-control-allow-origin"), None, "{uri}");
    }
}

/// The breaks of `/api/breaks` with `weights`.
async fn breaks(app: &Router, weights: &str) -> Reply {
    get(app, &format!("/api/breaks?weights={weights}")).await
}

#[tokio::test]
async fn weights_are_finite_bounded_and_scale_the_breaks() {
    let (app, _) = app_with(config_for(demo()));
    let meta = get(&app, "/api/meta").await.json();
    let domains: Vec<(String, f64)> = meta["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["weight"].as_f64().unwrap(),
            )
        })
        .collect();
    let spec = |k: f64| {
        domains
            .iter()
            .map(|(id, w)| format!("{id}:{}", w * k))
            .collect::<Vec<_>>()
            .join(",")
    };
    // Scaling every weight by k scales the MDI, and so every break, by k.
    let base = breaks(&app, &spec(1.0)).await.json();
    let scaled = breaks(&app, &spec(1000.0)).await.json();
    let (b, s) = (
        base["breaks"].as_array().unwrap(),
        scaled["breaks"].as_array().unwrap(),
    );
    assert_eq!(b.len(), 9, "{base}");
    for (b, s) in b.iter().zip(s) {
        let (b, s) = (b.as_f64().unwrap(), s.as_f64().unwrap());
        assert!((s - 1000.0 * b).abs() <= 1e-9 * s.abs().max(1.0), "{b} {s}");
    }
    let (a, c) = (&domains[0].0, &domains[1].0);
    for (weights, fragment) in [
        (format!("{a}:1e308,{c}:1e308"), a.clone()),
        (format!("{a}:-1"), a.clone()),
        (format!("{c}:NaN"), c.clone()),
        (format!("{c}:inf"), c.clone()),
    ] {
        let r = breaks(&app, &weights).await;
        r.assert_json_error(400);
        let m = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(m.contains(&fragment), "{weights}: {m}");
    }
    let r = breaks(&app, &format!("{a}:1e308")).await;
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000000"),
        "the bound is named: {}",
        r.text()
    );
}

#[tokio::test]
async fn every_error_is_json_and_ranges_follow_rfc_9110() {
    let (app, _) = app_with(config_for(demo()));
    call(&app, Method::POST, "/tiles.json", &[])
        .await
        .assert_json_error(405);
    call(&app, Method::DELETE, "/api/meta", &[])
        .await
        .assert_json_error(405);
    let csv = std::fs::read(demo().join("scores.csv")).unwrap();
    for malformed in ["bytes=abc", "bytes=5-2", "lines=0-9", "bytes=", "bytes=--3"] {
        let r = call(
            &app,
            Method::GET,
            "/download/scores.csv",
            &[("range", malformed)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{malformed}: {}", r.text());
        assert_eq!(r.body, csv, "{malformed}: the whole file");
    }
    let r = call(
        &app,
        Method::GET,
        "/download/scores.csv",
        &[("range", "bytes=999999999-")],
    )
    .await;
    r.assert_json_error(416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{}", csv.len()).as_str())
    );
    let r = call(
        &app,
        Method::GET,
        "/download/scores.csv",
        &[("range", "bytes=10-19")],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, csv[10..20]);
}

#[tokio::test]
async fn downloads_come_from_the_served_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    copy_dir(demo(), &atlas);
    let (app, state) = app_with(config_for(&atlas));
    let original = std::fs::read(atlas.join("scores.csv")).unwrap();
    // Corrupt the file in place (same inode, same length).
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(atlas.join("scores.csv"))
        .unwrap();
    f.write_all(&[b'#'; 200]).unwrap();
    drop(f);
    let r = get(&app, "/download/scores.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body == original,
        "the download follows the disk, not the snapshot"
    );
    // A complete new build, reloaded: the download is the new file.
    for e in std::fs::read_dir(demo_2019()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), atlas.join(e.file_name())).unwrap();
    }
    state.reload().unwrap();
    let r = get(&app, "/download/scores.csv").await;
    assert_eq!(
        r.body,
        std::fs::read(demo_2019().join("scores.csv")).unwrap()
    );
}

/// Points `link` at `target` (a name in the same folder) in one atomic rename.
fn switch_link(link: &Path, target: &str) {
    let tmp = link.with_file_name(".link.tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

#[tokio::test]
async fn a_symlinked_atlas_is_read_from_one_generation() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("atlas");
    copy_dir(demo(), &dir.path().join(".atlas.atlas-1"));
    switch_link(&link, ".atlas.atlas-1");
    let (app, state) = app_with(config_for(&link));
    let scores = std::fs::read(demo().join("scores.csv")).unwrap();
    let before = mdi_server::atlas::Fingerprint::of(&link);
    assert!(before.is_some());

    // A new generation beside it, the link switched: the fingerprint sees it.
    copy_dir(demo_2019(), &dir.path().join(".atlas.atlas-2"));
    switch_link(&link, ".atlas.atlas-2");
    assert_ne!(mdi_server::atlas::Fingerprint::of(&link), before);
    // The served generation vanishes (a later build removed it): everything still answers
    // from the loaded snapshot.
    std::fs::remove_dir_all(dir.path().join(".atlas.atlas-1")).unwrap();
    let r = get(&app, "/download/scores.csv").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.body == scores, "not the served generation's scores.csv");
    assert_eq!(get(&app, "/api/meta").await.json()["years"][0], 2015);
    assert_eq!(get(&app, "/health").await.json()["atlas"], "atlas");
    // The reload reads the new generation through the link.
    state.reload().unwrap();
    assert_eq!(get(&app, "/api/meta").await.json()["years"][0], 2019);
    assert_eq!(
        state.map().fingerprint,
        mdi_server::atlas::Fingerprint::of(&link)
    );
    let r = get(&app, "/download/scores.csv").await;
    assert_eq!(
        r.body,
        std::fs::read(demo_2019().join("scores.csv")).unwrap()
    );
}

#[test]
fn a_failed_reload_names_the_file_and_keeps_the_atlas() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    copy_dir(demo(), &atlas);
    let state = AppState::new(config_for(&atlas)).unwrap();
    std::fs::write(
        atlas.join("atlas.pmtiles"),
        b"not an archive at all, not at all",
    )
    .unwrap();
    let e = state.reload().unwrap_err().to_string();
    assert!(e.contains("atlas.pmtiles"), "{e}");
    assert!(!e.contains("writing"), "{e}");
    assert!(e.contains("previous atlas"), "{e}");
    copy_dir(demo(), &atlas);
    std::fs::remove_file(atlas.join("areas.fgb")).unwrap();
    let e = state.reload().unwrap_err().to_string();
    assert!(e.contains("areas.fgb"), "{e}");
    assert!(e.contains("previous atlas"), "{e}");
    assert!(state.atlas().is_ok());
}

// ---- over a socket -----------------------------------------------------------------------

struct Server {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// `mdi-atlas serve` with its open-file limit lowered to `nofile` (soft and hard).
    fn start(nofile: u32, args: &[&str]) -> Server {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_mdi-atlas"))
            .arg("serve")
            .args(["--bind", "127.0.0.1:0", "--watch", "0", "--no-web"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                l.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut addr = None;
        while out.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(url) = line.trim().strip_prefix("listening on http://") {
                addr = Some(url.trim_end_matches('/').to_string());
                break;
            }
            line.clear();
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let addr = addr.unwrap_or_else(|| panic!("no `listening on`: {}", log.lock().unwrap()));
        let server = Server { child, addr, log };
        let start = Instant::now();
        while !server
            .request("GET /health HTTP/1.1\r\n\r\n")
            .1
            .contains("\"ok\"")
        {
            assert!(start.elapsed() < Duration::from_secs(60), "the atlas loads");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Sends `head` (a request line and headers, `Host` and `Connection: close` added) and
    /// returns the status, the body and the time to the answer.
    fn request(&self, head: &str) -> (u16, String, Duration) {
        let start = Instant::now();
        let Ok(mut s) = TcpStream::connect(&self.addr) else {
            return (0, String::new(), start.elapsed());
        };
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (line, rest) = head.split_once("\r\n").unwrap();
        let text = format!(
            "{line}\r\nHost: {}\r\nConnection: close\r\n{rest}",
            self.addr
        );
        let _ = s.write_all(text.as_bytes());
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let elapsed = start.elapsed();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|b| b.1.to_string())
            .unwrap_or_default();
        (status, body, elapsed)
    }

    fn terminate(&mut self) -> Duration {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}: {}", self.log.lock().unwrap());
                return start.elapsed();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "still running 30 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn idle_and_half_sent_connections_cannot_stop_the_server() {
    let count = env_number("MDI_IDLE_CONNECTIONS", 400) as usize;
    let nofile = env_number("MDI_IDLE_NOFILE", 256);
    let grace = 2;
    let mut server = Server::start(
        nofile,
        &["--atlas", demo().to_str().unwrap(), "--shutdown-grace", "2"],
    );
    // Half send nothing, half a request line and part of a header.
    let mut held = Vec::new();
    for i in 0..count {
        let Ok(mut s) = TcpStream::connect(&server.addr) else {
            continue;
        };
        if i % 2 == 1 {
            let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        }
        held.push(s);
    }
    assert!(held.len() >= count * 9 / 10, "{} connected", held.len());
    std::thread::sleep(Duration::from_millis(500));
    let mut times = Vec::new();
    for _ in 0..7 {
        let (status, body, took) = server.request("GET /health HTTP/1.1\r\n\r\n");
        assert_eq!(status, 200, "{body}\n{}", server.log.lock().unwrap());
        times.push(took);
        std::thread::sleep(Duration::from_millis(50));
    }
    times.sort();
    eprintln!("/health with {count} held connections: {times:?}");
    assert!(
        times[times.len() / 2] < Duration::from_millis(100),
        "/health median {:?}",
        times[times.len() / 2]
    );
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.matches("Too many open files").count() <= 2,
        "EMFILE is logged at most once per interval:\n{log}"
    );
    // SIGTERM with the half-sent connections still held.
    let took = server.terminate();
    assert!(
        took < Duration::from_secs(grace + 2),
        "SIGTERM took {took:?} with {} connections held",
        held.len()
    );
    drop(held);
}

#[test]
fn header_limits_and_load_shedding_answer_json() {
    let server = Server::start(1024, &["--atlas", demo().to_str().unwrap()]);
    let long_uri = format!("GET /api/search?q={} HTTP/1.1\r\n\r\n", "a".repeat(10_000));
    let (status, body, _) = server.request(&long_uri);
    assert_eq!(status, 414, "{body}");
    assert!(body.contains("\"status\":414"), "{body}");
    let big_header = format!(
        "GET /health HTTP/1.1\r\nX-Big: {}\r\n\r\n",
        "b".repeat(40_000)
    );
    let (status, body, _) = server.request(&big_header);
    assert_eq!(status, 431, "{body}");
    assert!(body.contains("\"status\":431"), "{body}");
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (status, body, _) = server.request(&format!("GET /health HTTP/1.1\r\n{many}\r\n"));
    assert_eq!(status, 431, "{body}");
    assert!(body.contains("\"status\":431"), "{body}");
    let (status, _, _) = server.request("GET /health HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn over_the_concurrency_limit_requests_get_503_with_retry_after() {
    let mut config = config_for(demo());
    config.max_concurrency = 2;
    let (app, state) = app_with(config);
    // Two requests in flight hold both permits.
    let held = state.concurrency.clone().try_acquire_many_owned(2).unwrap();
    let r = get(&app, "/api/meta").await;
    r.assert_json_error(503);
    assert_eq!(r.header("retry-after"), Some("1"));
    // Health and metrics are not shed: a monitor sees an overloaded server.
    assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
    drop(held);
    assert_eq!(get(&app, "/api/meta").await.status, StatusCode::OK);
}
