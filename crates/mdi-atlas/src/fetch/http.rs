//! HTTP for `mdi-atlas fetch`: one blocking client (ureq, rustls) with host mapping
//! (`--base-url`), retries with exponential backoff, a cache of JSON pages, and resumable
//! file downloads with a progress bar.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use super::sources::{hex, write_atomic};

/// The live hosts and the path under `--base-url` that replaces each.
pub const HOSTS: [(&str, &str); 3] = [
    ("https://opendata.cbs.nl", "opendata"),
    ("https://datasets.cbs.nl", "datasets"),
    ("https://service.pdok.nl", "pdok"),
];

/// An HTTP answer with a status other than the one expected.
#[derive(Debug)]
pub struct HttpStatus {
    /// The URL requested.
    pub url: String,
    /// The HTTP status received.
    pub status: u16,
    /// What was expected at that URL.
    pub expected: String,
}

impl fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = ureq::http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        write!(
            f,
            "GET {}: HTTP {} {reason}; expected {}",
            self.url, self.status, self.expected
        )
    }
}

impl std::error::Error for HttpStatus {}

/// Whether an error is an HTTP 404 answer.
#[must_use]
pub fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<HttpStatus>()
            .is_some_and(|s| s.status == 404)
    })
}

/// The outcome of one try.
enum Try<T> {
    Done(T),
    /// A connection error, timeout or 5xx: worth another try.
    Again(anyhow::Error),
    /// A 4xx or a local error: final.
    Fail(anyhow::Error),
}

/// The client of `mdi-atlas fetch`.
pub struct Http {
    agent: ureq::Agent,
    base_url: Option<String>,
    retries: u32,
    backoff: Duration,
    cache_dir: Option<PathBuf>,
}

impl Http {
    /// A client. `base_url` replaces the live hosts ([`HOSTS`]); `retries` is the number of
    /// extra tries after a connection error, timeout or 5xx, waiting `backoff`, 2 × `backoff`,
    /// 4 × … (at most 60 s) in between; JSON pages are cached in `cache_dir` when given.
    #[must_use]
    pub fn new(
        base_url: Option<&str>,
        retries: u32,
        backoff: Duration,
        cache_dir: Option<PathBuf>,
    ) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent(concat!("mdi-atlas/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            base_url: base_url.map(|b| b.trim_end_matches('/').to_owned()),
            retries,
            backoff,
            cache_dir,
        }
    }

    /// The URL actually requested for a live URL: with `--base-url`, `https://opendata.cbs.nl`
    /// becomes `<base>/opendata`, `https://datasets.cbs.nl` `<base>/datasets` and
    /// `https://service.pdok.nl` `<base>/pdok`; other URLs are kept.
    #[must_use]
    pub fn map_url(&self, url: &str) -> String {
        let Some(base) = &self.base_url else {
            return url.to_owned();
        };
        for (host, path) in HOSTS {
            if let Some(rest) = url.strip_prefix(host)
                && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
            {
                return format!("{base}/{path}{rest}");
            }
        }
        url.to_owned()
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
    fn with_retries<T>(&self, url: &str, mut attempt: impl FnMut() -> Try<T>) -> Result<T> {
        let mut tries = 0_u32;
        loop {
            tries += 1;
            match attempt() {
                Try::Done(v) => return Ok(v),
                Try::Fail(e) => return Err(e),
                Try::Again(e) if tries > self.retries => {
                    return Err(e.context(format!(
                        "gave up on {url} after {tries} tries (--retries {})",
                        self.retries
                    )));
                }
                Try::Again(e) => {
                    let factor = 2_u32.saturating_pow(tries - 1);
                    let wait = self
                        .backoff
                        .saturating_mul(factor)
                        .min(Duration::from_secs(60));
                    eprintln!(
                        "warning: {e:#}; try {} of {} in {:.1} s",
                        tries + 1,
                        self.retries + 1,
                        wait.as_secs_f64()
                    );
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// Sends one GET; classifies the transport error or the status.
    fn send(
        &self,
        url: &str,
        range_from: u64,
        expected: &str,
        ok: &[u16],
    ) -> Try<ureq::http::Response<ureq::Body>> {
        let mut req = self.agent.get(url);
        if range_from > 0 {
            req = req.header("Range", format!("bytes={range_from}-"));
        }
        match req.call() {
            Ok(resp) => {
                let status = resp.status().as_u16();
                if ok.contains(&status) {
                    return Try::Done(resp);
                }
                let e = anyhow!(HttpStatus {
                    url: url.to_owned(),
                    status,
                    expected: expected.to_owned(),
                });
                if status >= 500 {
                    Try::Again(e)
                } else {
                    Try::Fail(e)
                }
            }
            Err(e) => classify(url, expected, e),
        }
    }

    /// GETs a (live) URL whose answer is read whole (a JSON page, an ATOM feed): mapped by
    /// [`Self::map_url`], retried, and cached under the cache folder when `cache` is set.
    /// `expected` says what the URL should give, for the error messages.
    ///
    /// # Errors
    /// On a 4xx, on a 5xx or connection error once the retries are spent, or when the cache
    /// cannot be written.
    pub fn get_bytes(&self, url: &str, expected: &str, cache: bool) -> Result<Vec<u8>> {
        let url = self.map_url(url);
        let cache_file = match (&self.cache_dir, cache) {
            (Some(dir), true) => {
                Some(dir.join(format!("{}.json", hex(&Sha256::digest(url.as_bytes())))))
            }
            _ => None,
        };
        if let Some(f) = &cache_file
            && let Ok(bytes) = std::fs::read(f)
        {
            return Ok(bytes);
        }
        let bytes = self.with_retries(&url, || {
            let mut resp = match self.send(&url, 0, expected, &[200]) {
                Try::Done(r) => r,
                Try::Again(e) => return Try::Again(e),
                Try::Fail(e) => return Try::Fail(e),
            };
            let mut buf = Vec::new();
            match resp.body_mut().as_reader().read_to_end(&mut buf) {
                Ok(_) => Try::Done(buf),
                Err(e) => Try::Again(anyhow!(e).context(format!(
                    "GET {url}: the connection broke while reading {expected}"
                ))),
            }
        })?;
        if let Some(f) = &cache_file {
            if let Some(parent) = f.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            write_atomic(f, &bytes)?;
        }
        Ok(bytes)
    }

    /// Downloads a (live) URL to `dest`, mapped by [`Self::map_url`]: into `<dest>.part`, resumed
    /// with `Range: bytes=N-` when a `.part` is there or the connection breaks (a 206 answer is
    /// appended; a 200 restarts the file), then renamed to `dest`. Returns the URL fetched.
    ///
    /// # Errors
    /// On a 4xx, on a 5xx or broken connection once the retries are spent, or when the file
    /// cannot be written.
    pub fn download(&self, url: &str, dest: &Path, expected: &str) -> Result<String> {
        let url = self.map_url(url);
        let mut part = dest.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        let bar = progress_bar(dest);
        self.with_retries(&url, || self.download_try(&url, &part, expected, &bar))?;
        bar.finish_and_clear();
        std::fs::rename(&part, dest)
            .with_context(|| format!("cannot rename {} to {}", part.display(), dest.display()))?;
        Ok(url)
    }

    /// One try of [`Self::download`].
    fn download_try(&self, url: &str, part: &Path, expected: &str, bar: &ProgressBar) -> Try<()> {
        let have = std::fs::metadata(part).map_or(0, |m| m.len());
        let resp = match self.send(url, have, expected, &[200, 206, 416]) {
            Try::Done(r) => r,
            Try::Again(e) => return Try::Again(e),
            Try::Fail(e) => return Try::Fail(e),
        };
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if status == 416 {
            // The part is no prefix the server can continue: start again.
            return match std::fs::remove_file(part) {
                Ok(()) => Try::Again(anyhow!(
                    "GET {url}: HTTP 416 for bytes={have}-; restarting the download"
                )),
                Err(e) => {
                    Try::Fail(anyhow!(e).context(format!("cannot remove {}", part.display())))
                }
            };
        }
        let (start, total) = if status == 206 {
            match header("content-range")
                .as_deref()
                .and_then(parse_content_range)
            {
                Some((start, total)) if start == have => (start, total),
                other => {
                    return Try::Fail(anyhow!(
                        "GET {url}: HTTP 206 with Content-Range {other:?}; expected bytes {have}-"
                    ));
                }
            }
        } else {
            let len = header("content-length").and_then(|v| v.parse::<u64>().ok());
            (0, len)
        };
        bar.set_length(total.unwrap_or(0));
        bar.set_position(start);
        match append_body(resp, part, start, bar) {
            Ok(written) => match total {
                Some(t) if start + written != t => Try::Again(anyhow!(
                    "GET {url}: the connection closed after {} of {t} bytes of {expected}",
                    start + written
                )),
                _ => Try::Done(()),
            },
            Err(AppendError::Local(e)) => Try::Fail(e),
            Err(AppendError::Net(e)) => Try::Again(e.context(format!(
                "GET {url}: the connection broke while reading {expected}"
            ))),
        }
    }
}

/// A failure while writing a body to disk.
enum AppendError {
    /// The local file could not be written.
    Local(anyhow::Error),
    /// The connection broke.
    Net(anyhow::Error),
}

/// Writes the body to `part`, truncated to `start` bytes first; returns the bytes written.
/// What arrived before a broken connection stays in `part`.
fn append_body(
    mut resp: ureq::http::Response<ureq::Body>,
    part: &Path,
    start: u64,
    bar: &ProgressBar,
) -> std::result::Result<u64, AppendError> {
    let local = |e: std::io::Error| {
        AppendError::Local(anyhow!(e).context(format!("cannot write {}", part.display())))
    };
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(part)
        .map_err(local)?;
    file.set_len(start).map_err(local)?;
    let mut file = std::io::BufWriter::new(
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(start))
            .map(|_| file)
            .map_err(local)?,
    );
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0_u8; 1 << 16];
    let mut written = 0_u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                file.flush().map_err(local)?;
                return Err(AppendError::Net(anyhow!(e)));
            }
        };
        file.write_all(&buf[..n]).map_err(local)?;
        written += n as u64;
        bar.inc(n as u64);
    }
    file.flush().map_err(local)?;
    Ok(written)
}

/// `bytes START-END/TOTAL` → (START, TOTAL); TOTAL is `None` for `*`.
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

/// Sorts a transport error into worth-retrying (connection, timeout, broken stream) or final.
fn classify<T>(url: &str, expected: &str, e: ureq::Error) -> Try<T> {
    let again = matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled
    );
    let e = anyhow!(e).context(format!("GET {url} (expected {expected})"));
    if again { Try::Again(e) } else { Try::Fail(e) }
}

/// A byte progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(dest: &Path) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let name = dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    bar.set_message(name);
    bar
}

/// A spinner counting rows on stderr, hidden when stderr is not a terminal.
#[must_use]
pub fn row_spinner(what: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {pos} rows, {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_replaces_the_three_hosts_only() {
        let h = Http::new(Some("http://127.0.0.1:9/m/"), 0, Duration::ZERO, None);
        assert_eq!(
            h.map_url("https://opendata.cbs.nl/ODataFeed/odata/X/TypedDataSet?$format=json"),
            "http://127.0.0.1:9/m/opendata/ODataFeed/odata/X/TypedDataSet?$format=json"
        );
        assert_eq!(
            h.map_url("https://datasets.cbs.nl/odata/v1/CBS/X/Observations"),
            "http://127.0.0.1:9/m/datasets/odata/v1/CBS/X/Observations"
        );
        assert_eq!(
            h.map_url("https://service.pdok.nl/cbs/wijkenbuurten/2024/atom/index.xml"),
            "http://127.0.0.1:9/m/pdok/cbs/wijkenbuurten/2024/atom/index.xml"
        );
        assert_eq!(
            h.map_url("https://opendata.cbs.nl.evil/x"),
            "https://opendata.cbs.nl.evil/x"
        );
        let live = Http::new(None, 0, Duration::ZERO, None);
        assert_eq!(
            live.map_url("https://service.pdok.nl/a"),
            "https://service.pdok.nl/a"
        );
    }

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
