//! End-to-end tests of `mdi-atlas fetch cbs`, offline: each test starts a small HTTP server
//! (std `TcpListener`, one thread per connection) that answers with responses built here in the
//! confirmed shapes of FORMATS.md (OData v3 `TypedDataSet` rows with padded codes and
//! `odata.nextLink`, v4 `Observations` with `@odata.nextLink`), counts every request, and can
//! fail on purpose: a cut connection, HTTP 500, HTTP 404. The binary reaches it through
//! `--base-url`.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Req {
    /// The request target (path and query), with `%24` read as `$`.
    target: String,
    /// Headers, names in lower case.
    headers: HashMap<String, String>,
}

/// An answer of the test server.
enum Reply {
    /// A complete answer.
    Full(u16, &'static str, Vec<u8>, Vec<(String, String)>),
    /// Headers announcing the whole body, then only its first `usize` bytes and a closed
    /// connection.
    Cut(Vec<u8>, usize),
}

fn json_reply(v: &Value) -> Reply {
    Reply::Full(200, "application/json", v.to_string().into_bytes(), vec![])
}

fn status(code: u16) -> Reply {
    Reply::Full(
        code,
        "text/plain",
        format!("status {code}").into_bytes(),
        vec![],
    )
}

type Handler = dyn Fn(&Req, usize) -> Reply + Send + Sync;

/// A running test server: its base URL and the requests it has seen.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    /// Starts a server; `handler` gets each request and the number of earlier requests with
    /// the same target.
    fn start(handler: impl Fn(&Req, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log2 = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, handler) = (Arc::clone(&log2), Arc::clone(&handler));
                std::thread::spawn(move || answer(stream, &log, &*handler));
            }
        });
        Self { base, log }
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self, needle: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.target.contains(needle))
            .count()
    }
}

fn answer(stream: TcpStream, log: &Mutex<Vec<Req>>, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let target = line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .replace("%24", "$");
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let req = Req { target, headers };
    let seen = {
        let mut log = log.lock().unwrap();
        let seen = log.iter().filter(|r| r.target == req.target).count();
        log.push(req.clone());
        seen
    };
    let mut out = stream;
    let (code, ctype, body, extra, send) = match handler(&req, seen) {
        Reply::Full(code, ctype, body, extra) => {
            let n = body.len();
            (code, ctype, body, extra, n)
        }
        Reply::Cut(body, n) => (200, "application/octet-stream", body, vec![], n),
    };
    let mut head = format!(
        "HTTP/1.1 {code} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body[..send]);
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
}

/// Serves `body` as a file: whole, or from the `Range: bytes=N-` asked for (206).
fn file_reply(req: &Req, body: &[u8]) -> Reply {
    if let Some(r) = req.headers.get("range") {
        let from: usize = r
            .strip_prefix("bytes=")
            .and_then(|s| s.strip_suffix('-'))
            .unwrap()
            .parse()
            .unwrap();
        let range = format!("bytes {from}-{}/{}", body.len() - 1, body.len());
        return Reply::Full(
            206,
            "application/octet-stream",
            body[from..].to_vec(),
            vec![("Content-Range".into(), range)],
        );
    }
    Reply::Full(200, "application/octet-stream", body.to_vec(), vec![])
}

fn pad(s: &str, n: usize) -> String {
    format!("{s:<n$}")
}

/// A JSON object with its keys in the order given (as CBS sends them; `json!` would sort them).
fn obj(fields: &[(&str, Value)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// 25 KWB rows in the confirmed v3 shape (FORMATS.md §1.4), keys in `TypedDataSet` order:
/// padded codes and names, `null` for missing numbers. The first five carry the real 2017
/// values of the export sample.
fn kwb_rows() -> Vec<String> {
    let real = [
        ("NL00", "Nederland", "Land", None, 17_081_507, Some(25.7)),
        (
            "GM1680",
            "Aa en Hunze",
            "Gemeente",
            None,
            25_286,
            Some(26.0),
        ),
        (
            "WK168000",
            "Aa en Hunze",
            "Wijk",
            Some("1"),
            3545,
            Some(27.4),
        ),
        (
            "BU16800000",
            "Aa en Hunze",
            "Buurt",
            Some("1"),
            3395,
            Some(26.8),
        ),
        (
            "BU16800009",
            "Aa en Hunze",
            "Buurt",
            Some("1"),
            150,
            Some(41.7),
        ),
    ];
    let mut rows = Vec::new();
    let row = |i: usize,
               code: &str,
               gm: &str,
               soort: &str,
               ind: Option<&str>,
               inw: i64,
               ink: Option<f64>| {
        obj(&[
            ("ID", json!(i)),
            ("WijkenEnBuurten", json!(pad(code, 10))),
            ("Gemeentenaam_1", json!(pad(gm, 40))),
            ("SoortRegio_2", json!(pad(soort, 10))),
            ("Codering_3", json!(pad(code, 10))),
            ("IndelingswijzigingWijkenEnBuurten_4", json!(ind)),
            ("AantalInwoners_5", json!(inw)),
            ("GemiddeldInkomenPerInwoner_66", json!(ink)),
        ])
    };
    for (i, (code, gm, soort, ind, inw, ink)) in real.into_iter().enumerate() {
        rows.push(row(i, code, gm, soort, ind, inw, ink));
    }
    for i in 5..25_u32 {
        let ink = (i % 4 != 0).then(|| 20.5 + f64::from(i));
        rows.push(row(
            i as usize,
            &format!("BU168001{i:02}"),
            "Aa en Hunze",
            "Buurt",
            Some("1"),
            100 * i64::from(i),
            ink,
        ));
    }
    rows
}

const FEED: &str = "/opendata/ODataFeed/odata/85984NED";

/// The v3 pages of 85984NED: 10 rows each, linked by live-host `odata.nextLink`s (as CBS
/// writes them), which the binary must map to the test server and follow verbatim.
fn v3_handler(req: &Req) -> Option<Reply> {
    let t = req.target.as_str();
    if t == format!("{FEED}/DataProperties?$format=json") {
        return Some(json_reply(&json!({
        "odata.metadata": "https://opendata.cbs.nl/ODataFeed/OData/85984NED/$metadata#Cbs.OData.WebAPI.DataProperties",
        "value": [
            {"ID": 0, "Position": 0, "ParentID": null, "Type": "GeoDimension", "Key": "WijkenEnBuurten", "Title": "Wijken en buurten"},
            {"ID": 5, "Position": 5, "ParentID": 1, "Type": "Topic", "Key": "AantalInwoners_5", "Title": "Aantal inwoners", "Unit": "aantal", "Decimals": 0}
        ]})));
    }
    let first = format!("{FEED}/TypedDataSet?$format=json");
    let skip = if t == first {
        0
    } else if let Some(s) = t.strip_prefix(&format!("{first}&$skip=")) {
        s.parse().ok()?
    } else {
        return None;
    };
    let rows = kwb_rows();
    let end = (skip + 10).min(rows.len());
    let next = if end < rows.len() {
        format!(
            ",\"odata.nextLink\":\"https://opendata.cbs.nl/ODataFeed/odata/85984NED/TypedDataSet?$format=json&$skip={end}\""
        )
    } else {
        String::new()
    };
    let page = format!(
        "{{\"odata.metadata\":\"https://opendata.cbs.nl/ODataFeed/OData/85984NED/$metadata#Cbs.OData.WebAPI.TypedDataSet\",\"value\":[{}]{next}}}",
        rows[skip..end].join(",")
    );
    Some(Reply::Full(
        200,
        "application/json",
        page.into_bytes(),
        vec![],
    ))
}

/// A GeoPackage-sized body: the SQLite header, then bytes that repeat nowhere.
fn gpkg_bytes(n: usize) -> Vec<u8> {
    let mut v = b"SQLite format 3\0".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push((x >> 24) as u8);
    }
    v
}

const ATOM_2024: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>https://service.pdok.nl/cbs/wijkenbuurten/2024/atom/index.xml</id>
<title>Wijken en Buurten 2024</title><entry><id>https://service.pdok.nl/cbs/wijkenbuurten/2024/atom/downloads/wijkenbuurten_2024_v1.gpkg</id>
<link rel="alternate" href="https://service.pdok.nl/cbs/wijkenbuurten/2024/atom/downloads/wijkenbuurten_2024_v1.gpkg" type="application/geopackage+sqlite3"/></entry></feed>"#;

const GPKG_2024: &str = "/pdok/cbs/wijkenbuurten/2024/atom/downloads/wijkenbuurten_2024_v1.gpkg";

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fetch(server: &Server, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "fetch",
        "cbs",
        "--year",
        "2024",
        "--out",
        out.to_str().unwrap(),
        "--base-url",
        &server.base,
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    common::run(&args)
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// Checks `DIR/sources.json` after the first run of the paging test: one entry per file, with
/// the SHA-256 and size of what is on disk.
fn check_sources(dir: &Path, server: &Server, gpkg: &[u8]) {
    let got = std::fs::read(dir.join("wijkenbuurten_2024.gpkg")).unwrap();
    assert_eq!(sha_hex(&got), sha_hex(gpkg));
    let sources: Value =
        serde_json::from_slice(&std::fs::read(dir.join("sources.json")).unwrap()).unwrap();
    assert!(
        sources["generator"]
            .as_str()
            .unwrap()
            .starts_with("mdi-atlas ")
    );
    let files = sources["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let bytes = std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"], sha_hex(&bytes));
        assert_eq!(f["bytes"], bytes.len());
        assert_eq!(f["year"], 2024);
        let t = f["retrieved"].as_str().unwrap();
        assert!(
            t.len() == 20 && t.ends_with('Z') && &t[10..11] == "T",
            "{t}"
        );
    }
    let table = files.iter().find(|f| f["role"] == "table").unwrap();
    assert_eq!(table["path"], "kwb-2024.csv");
    assert_eq!(table["source"], "CBS OData v3 85984NED TypedDataSet");
    assert_eq!(
        table["url"],
        format!("{}{FEED}/TypedDataSet?$format=json", server.base)
    );
    let areas = files.iter().find(|f| f["role"] == "areas").unwrap();
    assert_eq!(areas["url"], format!("{}{GPKG_2024}", server.base));
}

#[test]
fn pages_are_followed_verbatim_and_a_second_run_uses_the_cache() {
    let gpkg = gpkg_bytes(300_000);
    let body = gpkg.clone();
    let server = Server::start(move |req, _| {
        if let Some(r) = v3_handler(req) {
            return r;
        }
        match req.target.as_str() {
            "/pdok/cbs/wijkenbuurten/2024/atom/index.xml" => Reply::Full(
                200,
                "application/atom+xml",
                ATOM_2024.as_bytes().to_vec(),
                vec![],
            ),
            GPKG_2024 => file_reply(req, &body),
            _ => status(404),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));

    // Three pages, each asked once, with the next link exactly as served (no parameter
    // appended twice).
    let pages: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .filter(|t| t.contains("TypedDataSet"))
        .collect();
    assert_eq!(
        pages,
        [
            format!("{FEED}/TypedDataSet?$format=json"),
            format!("{FEED}/TypedDataSet?$format=json&$skip=10"),
            format!("{FEED}/TypedDataSet?$format=json&$skip=20"),
        ]
    );
    // All 25 rows, in order, once; keys as headers in the order received; codes trimmed;
    // null empty; numbers as received.
    let (header, rows) = read_csv(&dir.path().join("kwb-2024.csv"));
    assert_eq!(
        header,
        [
            "ID",
            "WijkenEnBuurten",
            "Gemeentenaam_1",
            "SoortRegio_2",
            "Codering_3",
            "IndelingswijzigingWijkenEnBuurten_4",
            "AantalInwoners_5",
            "GemiddeldInkomenPerInwoner_66"
        ]
    );
    let ids: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, (0..25).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(
        rows[0],
        [
            "0",
            "NL00",
            "Nederland",
            "Land",
            "NL00",
            "",
            "17081507",
            "25.7"
        ]
    );
    assert_eq!(rows[4][1], "BU16800009");
    assert_eq!(rows[4][6], "150");
    assert_eq!(rows[8][7], "", "row 8 has a null income");
    assert_eq!(rows[9][7], "29.5");

    let props: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("kwb-2024.DataProperties.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(props[1]["Key"], "AantalInwoners_5");
    assert_eq!(props.as_array().unwrap().len(), 2);

    check_sources(dir.path(), &server, &gpkg);

    // The second run asks for nothing.
    let before = server.requests().len();
    let o = fetch(&server, dir.path(), &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        server.requests().len(),
        before,
        "{:?}",
        &server.requests()[before..]
    );
    assert!(common::stderr(&o).contains("up to date"));

    // A damaged file is fetched again; the table pages come from DIR/.cache, not the server.
    std::fs::write(dir.path().join("kwb-2024.csv"), "x").unwrap();
    let o = fetch(&server, dir.path(), &["--no-geometry"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(server.requests().len(), before);
    assert_eq!(read_csv(&dir.path().join("kwb-2024.csv")).1.len(), 25);
}

#[test]
fn a_cut_download_is_resumed_to_an_identical_file() {
    let gpkg = gpkg_bytes(3 * 1024 * 1024 + 17);
    let cut = 1024 * 1024 + 5;
    let body = gpkg.clone();
    let server = Server::start(move |req, seen| {
        if let Some(r) = v3_handler(req) {
            return r;
        }
        match req.target.as_str() {
            "/pdok/cbs/wijkenbuurten/2024/atom/index.xml" => Reply::Full(
                200,
                "application/atom+xml",
                ATOM_2024.as_bytes().to_vec(),
                vec![],
            ),
            GPKG_2024 if seen == 0 => Reply::Cut(body.clone(), cut),
            GPKG_2024 => file_reply(req, &body),
            _ => status(404),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let gets: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.target == GPKG_2024)
        .collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[0].headers.get("range"), None);
    assert_eq!(
        gets[1].headers.get("range").map(String::as_str),
        Some(&*format!("bytes={cut}-"))
    );
    let got = std::fs::read(dir.path().join("wijkenbuurten_2024.gpkg")).unwrap();
    assert_eq!(got.len(), gpkg.len());
    assert_eq!(sha_hex(&got), sha_hex(&gpkg));
    assert!(!dir.path().join("wijkenbuurten_2024.gpkg.part").exists());
}

#[test]
fn http_500_is_retried_and_a_persistent_one_is_a_clear_error() {
    // Two 500s, then the answer: --retries 2 is enough.
    let server = Server::start(|req, seen| {
        if req.target.contains("DataProperties") && seen < 2 {
            return status(500);
        }
        v3_handler(req).unwrap_or_else(|| status(404))
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &["--no-geometry", "--retries", "2"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(server.count("DataProperties"), 3);
    assert_eq!(read_csv(&dir.path().join("kwb-2024.csv")).1.len(), 25);

    // Always 500: 1 + 2 tries, then an error naming the URL, the status and what was expected.
    let server = Server::start(|req, _| {
        if req.target.contains("TypedDataSet") {
            return status(500);
        }
        v3_handler(req).unwrap_or_else(|| status(404))
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &["--no-geometry", "--retries", "2"]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    let url = format!("{}{FEED}/TypedDataSet?$format=json", server.base);
    assert!(
        err.contains(&format!("GET {url}: HTTP 500 Internal Server Error")),
        "{err}"
    );
    assert!(err.contains("after 3 tries"), "{err}");
    assert!(
        err.contains("expected the TypedDataSet of CBS table 85984NED"),
        "{err}"
    );
    assert_eq!(server.count("TypedDataSet"), 3);
    assert!(!dir.path().join("kwb-2024.csv").exists());
    assert!(!dir.path().join("sources.json").exists());
}

#[test]
fn http_404_is_not_retried_and_names_the_url() {
    let server = Server::start(|req, _| {
        if req.target.contains("TypedDataSet") {
            return status(404);
        }
        v3_handler(req).unwrap_or_else(|| status(404))
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &["--no-geometry", "--retries", "3"]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    let url = format!("{}{FEED}/TypedDataSet?$format=json", server.base);
    assert!(
        err.contains(&format!(
            "GET {url}: HTTP 404 Not Found; expected the TypedDataSet"
        )),
        "{err}"
    );
    assert_eq!(server.count("TypedDataSet"), 1);
}

/// Catalogue lookup for a year outside the built-in map, and the GeoPackage found by trying
/// the usual names when the ATOM feed is missing.
#[test]
fn catalogue_and_guessed_geopackage_name() {
    let gpkg = gpkg_bytes(50_000);
    let body = gpkg.clone();
    let server = Server::start(move |req, _| {
        let t = req.target.as_str();
        let cat = "/opendata/ODataCatalog/Tables?$format=json";
        if t == cat {
            return json_reply(&json!({"value": [
                {"Identifier": "85000NED", "Title": "Kerncijfers wijken en buurten 2019 (oud)"}],
                "odata.nextLink": "https://opendata.cbs.nl/ODataCatalog/Tables?$format=json&$skip=1"}));
        }
        if t == format!("{cat}&$skip=1") {
            return json_reply(&json!({"value": [
                {"Identifier": "84799NED", "Title": "Kerncijfers wijken en buurten 2020"}]}));
        }
        if t == "/opendata/ODataFeed/odata/84799NED/DataProperties?$format=json" {
            return json_reply(&json!({"value": []}));
        }
        if t == "/opendata/ODataFeed/odata/84799NED/TypedDataSet?$format=json" {
            return json_reply(&json!({"value": [{"ID": 0, "WijkenEnBuurten": "NL00      "}]}));
        }
        if t == "/pdok/cbs/wijkenbuurten/2020/atom/downloads/wijkenbuurten_2020_v2.gpkg" {
            return file_reply(req, &body);
        }
        status(404)
    });
    let dir = tempfile::tempdir().unwrap();
    let o = common::run(&[
        "fetch",
        "cbs",
        "--year",
        "2020",
        "--out",
        dir.path().to_str().unwrap(),
        "--base-url",
        &server.base,
        "--backoff-ms",
        "10",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (_, rows) = read_csv(&dir.path().join("kwb-2020.csv"));
    assert_eq!(rows, [["0", "NL00"]]);
    let got = std::fs::read(dir.path().join("wijkenbuurten_2020.gpkg")).unwrap();
    assert_eq!(sha_hex(&got), sha_hex(&gpkg));
    // Feed (404, once), then v3 (404, once), then v2.
    assert_eq!(server.count("atom/index.xml"), 1);
    assert_eq!(server.count("wijkenbuurten_2020_v3.gpkg"), 1);
    assert_eq!(server.count("wijkenbuurten_2020_v2.gpkg"), 1);
    assert_eq!(server.count("wijkenbuurten_2020_v1.gpkg"), 0);
}

/// OData v4: `Observations` (the real first values of 83765NED from the CBS tutorial) over
/// three pages linked by `@odata.nextLink`, pivoted to one row per region, one column per
/// measure titled from `MeasureCodes`.
#[test]
fn v4_observations_are_pivoted() {
    let server = Server::start(|req, _| {
        let root = "/datasets/odata/v1/CBS/85984NED";
        let obs = |id: u32, m: &str, v: Value, r: &str| json!({"Id": id, "Measure": m, "ValueAttribute": if v.is_null() {"Geheim"} else {"None"}, "Value": v, "WijkenEnBuurten": pad(r, 10)});
        let next = |n: u32| {
            format!("https://datasets.cbs.nl/odata/v1/CBS/85984NED/Observations?$skip={n}")
        };
        let t = req.target.as_str();
        if t == format!("{root}/MeasureCodes") {
            return json_reply(&json!({"value": [
                {"Identifier": "T001036", "Title": "Aantal inwoners", "Unit": "aantal"},
                {"Identifier": "3000", "Title": "Mannen", "Unit": "aantal"},
                {"Identifier": "4000", "Title": "Vrouwen", "Unit": "aantal"}]}));
        }
        if t == format!("{root}/Observations") {
            return json_reply(
                &json!({"value": [obs(0, "T001036", json!(17_081_507), "NL00"),
                obs(1, "3000", json!(8_475_102), "NL00")], "@odata.nextLink": next(2)}),
            );
        }
        if t == format!("{root}/Observations?$skip=2") {
            return json_reply(&json!({"value": [obs(2, "4000", json!(8_606_405), "NL00"),
                obs(3, "T001036", json!(25_286), "GM1680")], "@odata.nextLink": next(4)}));
        }
        if t == format!("{root}/Observations?$skip=4") {
            return json_reply(&json!({"value": [obs(4, "3000", Value::Null, "GM1680")]}));
        }
        status(404)
    });
    let dir = tempfile::tempdir().unwrap();
    let o = fetch(&server, dir.path(), &["--no-geometry", "--api", "v4"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (header, rows) = read_csv(&dir.path().join("kwb-2024.csv"));
    assert_eq!(
        header,
        ["WijkenEnBuurten", "Aantal inwoners", "Mannen", "Vrouwen"]
    );
    assert_eq!(
        rows,
        [
            ["NL00", "17081507", "8475102", "8606405"],
            ["GM1680", "25286", "", ""]
        ]
    );
    let props: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("kwb-2024.DataProperties.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(props[0]["Key"], "T001036");
    assert_eq!(props[0]["Title"], "Aantal inwoners");
    assert_eq!(server.count("Observations"), 3);
    let sources: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sources.json")).unwrap()).unwrap();
    assert_eq!(
        sources["files"][0]["source"],
        "CBS OData v4 85984NED Observations"
    );
}
