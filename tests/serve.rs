//! The server (issue 5): every route through the axum `Router` itself, checked against the
//! atlas files (`scores.csv`, `areas.fgb`, `atlas.pmtiles`) and an independent MVT decoder
//! (`mvt-reader`); then the real binary over a socket with GDAL as the client
//! (`tests/gis/serve_check.py`), hot reload and graceful shutdown.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use common::{python_json, read_scores, run, stderr};
use geo::InteriorPoint;
use http_body_util::BodyExt;
use mdi_server::{AppState, ServeConfig, Shared};
use serde_json::Value;
use tower::ServiceExt;

/// The demo atlas with both archives, built once for all tests of this file.
fn demo() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("atlas");
        let o = run(&[
            "build",
            "--demo",
            "--mbtiles",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        (dir, out)
    })
    .1
}

fn state_for(dir: &Path) -> Shared {
    let mut config = ServeConfig::new(dir.to_path_buf());
    config.watch = None;
    AppState::new(config).expect("the atlas loads")
}

fn app() -> (Router, Shared) {
    let s = state_for(demo());
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
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("JSON body ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn call(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("the router answers");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Method::GET, uri, &[]).await
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

/// The XYZ tile at zoom `z` containing `lon`, `lat` (WGS84), by the standard slippy-map formula.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// An area of `areas.fgb`: (level, parent, an interior point, collapsed).
type AreaRow = (String, String, Option<(f64, f64)>, bool);

/// The areas of `areas.fgb` by code.
fn areas(dir: &Path) -> HashMap<String, AreaRow> {
    let mut out = HashMap::new();
    mdi_geo::read::each_fgb_feature(
        &dir.join("areas.fgb"),
        &mdi_geo::ReadOptions::default(),
        &mut |f| {
            let text = |k: &str| {
                f.properties
                    .get(k)
                    .and_then(mdi_geo::Value::as_text)
                    .unwrap_or_default()
            };
            let collapsed = matches!(
                f.properties.get("collapsed"),
                Some(mdi_geo::Value::Bool(true))
            );
            let p = f.geometry.interior_point().map(|p| (p.x(), p.y()));
            out.insert(text("code"), (text("level"), text("parent"), p, collapsed));
            Ok(())
        },
    )
    .expect("areas.fgb");
    out
}

/// The codes in the `buurten` layer of an MVT tile, decoded with mvt-reader.
fn tile_codes(mvt: &[u8]) -> (Vec<String>, HashSet<String>, usize) {
    let reader = mvt_reader::Reader::new(mvt.to_vec()).expect("a valid MVT tile");
    let names = reader.get_layer_names().expect("layer names");
    let at = names
        .iter()
        .position(|n| n == "buurten")
        .expect("a buurten layer");
    let features = reader.get_features(at).expect("features");
    let with_id = features.iter().filter(|f| f.id.is_some()).count();
    assert_eq!(with_id, features.len(), "every feature has an id");
    let codes = features
        .iter()
        .filter_map(|f| match f.properties.as_ref()?.get("code")? {
            mvt_reader::feature::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    (names, codes, features.len())
}

#[tokio::test]
async fn tiles_are_the_stored_bytes_with_gzip_and_decoded_without() {
    let (app, _) = app();
    let areas = areas(demo());
    let (code, (_, _, point, _)) = areas
        .iter()
        .filter(|(_, a)| a.0 == "buurten" && !a.3)
        .min_by_key(|(c, _)| c.as_str())
        .expect("a buurt");
    let (lon, lat) = point.expect("an interior point");
    let (x, y) = tile_of(lon, lat, 12);
    let uri = format!("/tiles/12/{x}/{y}.mvt");

    let gz = call(
        &app,
        Method::GET,
        &uri,
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(
        gz.header("content-type"),
        Some("application/vnd.mapbox-vector-tile")
    );
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    assert_eq!(gz.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(
        gz.header("content-length"),
        Some(gz.body.len().to_string().as_str())
    );
    // The bytes are the archive's, found through the independent Python reader in the socket
    // test; here: they are gzip, and decode (mvt-reader) to a tile holding the buurt.
    let (names, codes, _) = tile_codes(&gunzip(&gz.body));
    // The tile holds the buurt, so its wijk and gemeente; label layers where a label point lies.
    for layer in ["buurten", "wijken", "gemeenten"] {
        assert!(
            names.iter().any(|n| n == layer),
            "layer {layer} in {names:?}"
        );
    }
    let known = [
        "buurten",
        "wijken",
        "gemeenten",
        "buurten_labels",
        "wijken_labels",
        "gemeenten_labels",
    ];
    assert!(
        names.iter().all(|n| known.contains(&n.as_str())),
        "{names:?}"
    );
    assert!(codes.contains(code), "{code} in tile 12/{x}/{y}: {codes:?}");
    for c in &codes {
        assert_eq!(
            areas.get(c).map(|a| a.0.as_str()),
            Some("buurten"),
            "{c} is a buurt of areas.fgb"
        );
    }

    let plain = get(&app, &uri).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.body,
        gunzip(&gz.body),
        "decompressed for a client without gzip"
    );
    assert_ne!(
        plain.header("etag"),
        gz.header("etag"),
        "each representation has its own ETag"
    );
    let refused = call(
        &app,
        Method::GET,
        &uri,
        &[("accept-encoding", "gzip;q=0, identity")],
    )
    .await;
    assert_eq!(refused.header("content-encoding"), None);

    // .pbf is the same tile.
    let pbf = call(
        &app,
        Method::GET,
        &format!("/tiles/12/{x}/{y}.pbf"),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(pbf.body, gz.body);
}

/// The path of the tile at zoom `z` over the middle of the atlas's bounds.
async fn center_tile(app: &Router, z: u32) -> String {
    let meta = get(app, "/api/meta").await.json();
    let b: Vec<f64> = (0..4)
        .map(|i| meta["bounds"][i].as_f64().unwrap())
        .collect();
    let (x, y) = tile_of((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, z);
    format!("/tiles/{z}/{x}/{y}.mvt")
}

#[tokio::test]
async fn conditional_head_empty_and_invalid_tiles() {
    let (app, _) = app();
    let uri = center_tile(&app, 10).await;
    let first = call(&app, Method::GET, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first.header("etag").expect("an ETag").to_string();

    let again = call(
        &app,
        Method::GET,
        &uri,
        &[("accept-encoding", "gzip"), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    let other = call(
        &app,
        Method::GET,
        &uri,
        &[("accept-encoding", "gzip"), ("if-none-match", "\"0123\"")],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    // The decompressed representation does not match the gzip ETag.
    let plain = call(&app, Method::GET, &uri, &[("if-none-match", &tag)]).await;
    assert_eq!(plain.status, StatusCode::OK);

    let head = call(&app, Method::HEAD, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(first.body.len().to_string().as_str())
    );
    assert_eq!(head.header("etag"), Some(tag.as_str()));

    // Valid address, nothing there: 204 (the far west of the world at the max zoom).
    let empty = get(&app, "/tiles/14/0/0.mvt").await;
    assert_eq!(empty.status, StatusCode::NO_CONTENT);
    assert!(empty.body.is_empty());

    for (uri, reason) in [
        ("/tiles/10/1024/0.mvt", "x and y run from 0 to 1023"),
        ("/tiles/10/0/5000.mvt", "x and y run from 0 to 1023"),
        ("/tiles/31/0/0.mvt", "not a tile zoom"),
        ("/tiles/2/0/0.mvt", "outside this atlas's zoom range 5–14"),
        ("/tiles/15/0/0.mvt", "outside this atlas's zoom range 5–14"),
        ("/tiles/10/0/0.png", "`.mvt` or `.pbf`"),
        ("/tiles/ten/0/0.mvt", "zoom `ten`"),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        let msg = r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains(reason), "{uri}: {msg}");
    }
    let missing = get(&app, "/nothing/here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/nothing/here")
    );
}

#[tokio::test]
async fn cors_is_open_to_web_and_gis_clients() {
    let (app, _) = app();
    let r = call(
        &app,
        Method::GET,
        "/tiles.json",
        &[("origin", "https://maps.example")],
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let pre = call(
        &app,
        Method::OPTIONS,
        "/tiles/10/0/0.mvt",
        &[
            ("origin", "https://maps.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "range"),
        ],
    )
    .await;
    assert!(pre.status.is_success(), "{}", pre.status);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert!(
        pre.header("access-control-allow-methods")
            .unwrap_or_default()
            .contains("GET")
    );
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    for h in ["etag", "content-range", "content-encoding"] {
        assert!(exposed.contains(h), "{h} exposed: {exposed}");
    }
}

#[tokio::test]
async fn tilejson_and_styles_use_absolute_urls_from_host_or_config() {
    let (app, _) = app();
    let tj = call(
        &app,
        Method::GET,
        "/tiles.json",
        &[("host", "atlas.example:8080")],
    )
    .await;
    assert_eq!(tj.status, StatusCode::OK);
    check_tilejson_document(&tj.json());
    let etag = tj.header("etag").unwrap().to_string();
    let again = call(
        &app,
        Method::GET,
        "/tiles.json",
        &[("host", "atlas.example:8080"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // Behind a proxy (`--trust-proxy`) the forwarded host and scheme make the URLs.
    let mut trusted = ServeConfig::new(demo().to_path_buf());
    trusted.watch = None;
    trusted.trust_proxy = true;
    let proxy_app = mdi_server::router(AppState::new(trusted).unwrap());
    let proxied = call(
        &proxy_app,
        Method::GET,
        "/tiles.json",
        &[
            ("host", "internal:1"),
            ("x-forwarded-host", "maps.example.nl"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    assert_eq!(
        proxied.json()["tiles"][0],
        "https://maps.example.nl/tiles/{z}/{x}/{y}.mvt"
    );
    check_public_url_wins().await;
    check_styles(&app).await;
    // The GDAL tileset metadata carries the layers as a JSON string.
    let g = get(&app, "/tiles/metadata.json").await.json();
    let inner: Value = serde_json::from_str(g["json"].as_str().unwrap()).unwrap();
    assert_eq!(inner["vector_layers"].as_array().unwrap().len(), 6);
    assert_eq!(g["format"], "pbf");
}

/// The TileJSON asked for with `Host: atlas.example:8080`: version, tile URL from the host,
/// zoom range, the six layers in order, and the fields of the buurten layer.
fn check_tilejson_document(doc: &Value) {
    assert_eq!(doc["tilejson"], "3.0.0");
    assert_eq!(
        doc["tiles"][0],
        "http://atlas.example:8080/tiles/{z}/{x}/{y}.mvt"
    );
    assert_eq!(
        (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
        (Some(5), Some(14))
    );
    let layers: Vec<&str> = doc["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        layers,
        [
            "buurten",
            "wijken",
            "gemeenten",
            "buurten_labels",
            "wijken_labels",
            "gemeenten_labels"
        ]
    );
    assert!(doc["vector_layers"][0]["fields"]["mdi_decile_2024"].is_string());
}

/// A configured public URL wins over the host, in the TileJSON and in the style's source.
async fn check_public_url_wins() {
    let mut config = ServeConfig::new(demo().to_path_buf());
    config.watch = None;
    config.public_url = Some("https://cdn.example.org/mdi/".into());
    let public = mdi_server::router(AppState::new(config).unwrap());
    let doc = call(&public, Method::GET, "/tiles.json", &[("host", "x")])
        .await
        .json();
    assert_eq!(
        doc["tiles"][0],
        "https://cdn.example.org/mdi/tiles/{z}/{x}/{y}.mvt"
    );
    let style = call(&public, Method::GET, "/style.json", &[]).await.json();
    assert_eq!(
        style["sources"]["mdi"]["url"],
        "https://cdn.example.org/mdi/tiles.json"
    );
}

/// The MapLibre style (version 8, with hover), the QGIS flavour (no feature-state), and the
/// refused flavour, year and variable, each named in the error.
async fn check_styles(app: &Router) {
    let style = call(app, Method::GET, "/style.json", &[("host", "a.example")]).await;
    assert_eq!(style.status, StatusCode::OK);
    let style = style.json();
    assert_eq!(style["version"], 8);
    assert!(
        style.to_string().contains("feature-state"),
        "the MapLibre style has hover"
    );
    let qgis = get(app, "/style.json?flavor=qgis").await.json();
    assert!(
        !qgis.to_string().contains("feature-state"),
        "no feature-state for QGIS"
    );
    for (uri, reason) in [
        ("/style.json?flavor=arcgis", "`maplibre` or `qgis`"),
        ("/style.json?year=1999", "1999"),
        ("/style.json?variable=armoede", "armoede"),
    ] {
        let r = get(app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{uri}"
        );
    }
}

/// The rows of scores.csv by (code, year).
type ScoreRows = HashMap<(String, String), HashMap<String, String>>;

/// The rows of scores.csv of the atlas in `dir` by (code, year).
fn scores(dir: &Path) -> ScoreRows {
    read_scores(&dir.join("scores.csv"))
        .into_iter()
        .map(|r| ((r["code"].clone(), r["year"].clone()), r))
        .collect()
}

fn num(s: &str) -> Option<f64> {
    s.parse().ok()
}

#[tokio::test]
async fn an_area_has_its_scores_ranks_within_the_gemeente_and_parents() {
    let (app, _) = app();
    let rows = scores(demo());
    let areas = areas(demo());
    let code = "BU99010203";
    let r = get(&app, &format!("/api/areas/{}", code.to_lowercase())).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "codes are found whatever their case"
    );
    let a = r.json();
    assert_eq!(a["code"], code);
    assert_eq!(a["level"], "buurten");
    assert_eq!(a["id"], 99010203u64, "the feature id of docs/TILES.md");
    let years = a["years"].as_array().unwrap();
    assert_eq!(years.len(), 10);
    for y in years {
        check_area_year_scores(y, &rows, code);
        check_area_rank_within_gemeente(&y["mdi"], &y["year"], &rows, &areas, code);
    }
    let wijk = check_area_parents(&a, &rows, &areas, code);

    let missing = get(&app, "/api/areas/BU00000000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("BU00000000")
    );
    let gm = get(&app, "/api/areas/GM9901").await.json();
    assert_eq!(
        gm["children"].as_u64(),
        Some(areas.values().filter(|a| a.1 == "GM9901").count() as u64)
    );
    assert!(
        a["years"][0]["shares"].is_null(),
        "a buurt has no class shares"
    );
    // The class shares of a gemeente and of a wijk.
    check_class_shares(&app, &rows, &areas, "GM9901", &|c: &str| {
        areas.get(&areas[c].1).map(|w| w.1.as_str()) == Some("GM9901")
    })
    .await;
    check_class_shares(&app, &rows, &areas, wijk, &|c: &str| areas[c].1 == wijk).await;
}

/// One year of an area's answer equals its scores.csv row: MDI score, rank and decile, and per
/// domain the score, the decile and the number of areas ranked in that domain.
fn check_area_year_scores(y: &Value, rows: &ScoreRows, code: &str) {
    let row = &rows[&(code.to_string(), y["year"].to_string())];
    let mdi = &y["mdi"];
    assert!((mdi["score"].as_f64().unwrap() - num(&row["mdi_score"]).unwrap()).abs() < 1e-6);
    assert_eq!(
        mdi["rank"].as_u64().map(|v| v.to_string()),
        Some(row["mdi_rank"].clone())
    );
    assert_eq!(
        mdi["decile"].as_u64().map(|v| v.to_string()),
        Some(row["mdi_decile"].clone())
    );
    for d in y["domains"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        assert!(
            (d["score"].as_f64().unwrap() - num(&row[&format!("{id}_score")]).unwrap()).abs()
                < 1e-6,
            "{id}"
        );
        assert_eq!(
            d["decile"].as_u64().map(|v| v.to_string()),
            Some(row[&format!("{id}_decile")].clone())
        );
        let ranked_in_domain = rows
            .iter()
            .filter(|((_, yy), r)| {
                y["year"].as_i64().map(|v| v.to_string()).as_ref() == Some(yy)
                    && !r[&format!("{id}_rank")].is_empty()
            })
            .count();
        assert_eq!(d["of"].as_u64(), Some(ranked_in_domain as u64), "{id}");
    }
}

/// The rank, count and decile within the gemeente of one year's `mdi`, by hand: the buurten
/// whose gemeente (via the wijk) is this one's, ranked by MDI score.
fn check_area_rank_within_gemeente(
    mdi: &Value,
    year: &Value,
    rows: &ScoreRows,
    areas: &HashMap<String, AreaRow>,
    code: &str,
) {
    let gm_of = |c: &str| areas.get(&areas[c].1).map(|w| w.1.clone());
    let gm = gm_of(code);
    let mut peers: Vec<(f64, &String)> = rows
        .iter()
        .filter(|((c, yy), r)| {
            year.as_i64().map(|v| v.to_string()).as_ref() == Some(yy)
                && !r["mdi_rank"].is_empty()
                && areas.contains_key(c)
                && gm_of(c) == gm
        })
        .map(|((c, _), r)| (num(&r["mdi_score"]).unwrap(), c))
        .collect();
    peers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let rank = peers.iter().position(|p| p.1 == code).unwrap() + 1;
    assert_eq!(mdi["within"]["rank"].as_u64(), Some(rank as u64));
    assert_eq!(mdi["within"]["of"].as_u64(), Some(peers.len() as u64));
    assert_eq!(
        mdi["within"]["decile"].as_u64(),
        Some(((10 * rank).div_ceil(peers.len())) as u64)
    );
}

/// A buurt's two parents (its wijk, then a gemeente), and the wijk's score as the
/// population-weighted mean of its buurten's MDI scores (METHOD §5). Returns the wijk code.
fn check_area_parents<'a>(
    a: &'a Value,
    rows: &ScoreRows,
    areas: &HashMap<String, AreaRow>,
    code: &str,
) -> &'a str {
    let parents = a["parents"].as_array().unwrap();
    assert_eq!(parents.len(), 2);
    assert_eq!(parents[0]["code"], areas[code].1.as_str());
    assert_eq!(parents[1]["level"], "gemeenten");
    let wijk = parents[0]["code"].as_str().unwrap();
    let y0 = parents[0]["years"][0]["year"].to_string();
    let (mut sum, mut pop) = (0.0, 0.0);
    for ((c, yy), r) in rows {
        if *yy == y0 && areas.get(c).is_some_and(|a| a.1 == wijk) && !r["mdi_rank"].is_empty() {
            let p = num(&r["population"]).unwrap();
            sum += p * num(&r["mdi_score"]).unwrap();
            pop += p;
        }
    }
    let got = parents[0]["years"][0]["mdi"]["score"].as_f64().unwrap();
    assert!(
        (got - sum / pop).abs() < 1e-4,
        "wijk score {got} vs {}",
        sum / pop
    );
    wijk
}

/// The class shares of the higher-level area `code` in every year, by hand from scores.csv:
/// the inhabitants of its ranked buurten (those `in_area`) per MDI decile, over all its ranked
/// inhabitants; the first share is the build's share in the worst decile.
async fn check_class_shares(
    app: &Router,
    rows: &ScoreRows,
    areas: &HashMap<String, AreaRow>,
    code: &str,
    in_area: &dyn Fn(&str) -> bool,
) {
    let area = get(app, &format!("/api/areas/{code}")).await.json();
    for y in area["years"].as_array().unwrap() {
        let year = y["year"].to_string();
        let mut by_decile = [0.0; 10];
        for ((c, yy), r) in rows {
            if *yy == year && areas.contains_key(c) && in_area(c) && !r["mdi_rank"].is_empty() {
                let d: usize = r["mdi_decile"].parse().unwrap();
                by_decile[d - 1] += num(&r["population"]).unwrap();
            }
        }
        let total: f64 = by_decile.iter().sum();
        let shares = y["shares"].as_array().expect("shares of a higher level");
        assert_eq!(shares.len(), 10);
        for (d, got) in shares.iter().enumerate() {
            let want = by_decile[d] / total;
            assert!(
                (got.as_f64().unwrap() - want).abs() < 1e-9,
                "{code} {year} decile {}: {got} vs {want}",
                d + 1
            );
        }
        assert!(
            (shares[0].as_f64().unwrap() - y["share_worst_decile"].as_f64().unwrap()).abs() < 1e-6,
            "{code} {year}: the first class share is the build's share in the worst decile"
        );
    }
}

/// A web client folder like the one `npm run build --prefix web` writes (`index.html` and a
/// content-hashed asset with its gzip sibling), with a file beside it that must stay private.
fn web_dist() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>mdi</title><script type=module src=/assets/app-1a2b.js></script>",
    )
    .unwrap();
    let js = b"export const answer = 42; // a script of the client\n".repeat(40);
    std::fs::write(dist.join("assets/app-1a2b.js"), &js).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &js).unwrap();
    std::fs::write(dist.join("assets/app-1a2b.js.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dist.join("outside.txt"), "secret").unwrap();
    (dir, dist, js)
}

#[tokio::test]
async fn the_web_client_is_served_at_the_root_with_cached_assets() {
    let (_dir, dist, js) = web_dist();
    let mut config = ServeConfig::new(demo().to_path_buf());
    config.watch = None;
    config.web = Some(dist);
    let app = mdi_server::router(AppState::new(config).unwrap());
    let index = get(&app, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        index.header("cache-control"),
        Some("public, no-cache"),
        "index.html names the current assets, so it is revalidated on every load"
    );
    assert!(String::from_utf8_lossy(&index.body).contains("/assets/app-1a2b.js"));

    let gz = call(
        &app,
        Method::GET,
        "/assets/app-1a2b.js",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(
        gz.header("content-encoding"),
        Some("gzip"),
        "the built .gz is sent"
    );
    assert!(gz.body.len() < js.len() / 4);
    assert_eq!(gunzip(&gz.body), js);
    assert_eq!(
        gz.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(gz.header("content-type").unwrap().contains("javascript"));
    let plain = get(&app, "/assets/app-1a2b.js").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.body, js);

    for bad in [
        "/assets/nope.js",
        "/assets/..%2Foutside.txt",
        "/assets/../outside.txt",
        "/assets/.hidden",
    ] {
        let r = get(&app, bad).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("secret"),
            "{bad}"
        );
    }

    // Without a web client, `/` lists the routes and `/assets/` says why there is nothing.
    let (bare, _) = self::app();
    let list = get(&bare, "/").await;
    assert_eq!(list.status, StatusCode::OK);
    let page = String::from_utf8_lossy(&list.body);
    assert!(page.contains("/tiles.json"), "{page}");
    assert!(
        page.contains("serve --web web/dist"),
        "it says how to get the map: {page}"
    );
    let none = get(&bare, "/assets/app-1a2b.js").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(
        none.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--web")
    );
}

#[tokio::test]
async fn search_finds_names_and_codes_and_point_finds_the_area() {
    let (app, _) = app();
    let areas = areas(demo());
    let r = get(&app, "/api/search?q=BERENDONK%20kade").await.json();
    assert_eq!(r["results"][0]["code"], "BU99041015", "{r}");
    let r = get(&app, "/api/search?q=wk9904").await.json();
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["code"].as_str().unwrap().starts_with("WK9904"))
    );
    assert!(!r["results"].as_array().unwrap().is_empty());
    let r = get(&app, "/api/search?q=berendonk&limit=3").await.json();
    assert_eq!(r["results"].as_array().unwrap().len(), 3);
    assert_eq!(
        r["results"][0]["code"], "WK990410",
        "the wijk before its buurten"
    );
    assert_eq!(
        get(&app, "/api/search").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/search?q=a&limit=500").await.status,
        StatusCode::BAD_REQUEST
    );
    assert!(
        get(&app, "/api/search?q=%20%20").await.json()["results"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Every buurt's interior point finds that buurt, then its wijk and gemeente.
    let mut checked = 0;
    for (code, (level, parent, point, collapsed)) in &areas {
        if level != "buurten" || *collapsed {
            continue;
        }
        let (lon, lat) = point.unwrap();
        let r = get(&app, &format!("/api/point?lon={lon}&lat={lat}"))
            .await
            .json();
        let found: Vec<&str> = r["areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect();
        assert_eq!(found.first(), Some(&code.as_str()), "{lon},{lat}");
        assert_eq!(found.get(1), Some(&parent.as_str()));
        assert_eq!(found.len(), 3);
        checked += 1;
    }
    assert_eq!(checked, 600);
    let nowhere = get(&app, "/api/point?lon=0&lat=0").await.json();
    assert!(nowhere["areas"].as_array().unwrap().is_empty());
    for uri in [
        "/api/point?lon=5",
        "/api/point?lon=500&lat=52",
        "/api/point?lon=x&lat=52",
    ] {
        assert_eq!(
            get(&app, uri).await.status,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}

/// Decile of `score` by the breaks' rule (docs/API.md).
fn classify(score: f64, breaks: &[f64]) -> usize {
    breaks
        .iter()
        .position(|&b| score >= b)
        .map_or(10, |d| d + 1)
}

#[tokio::test]
async fn breaks_reproduce_the_deciles_and_follow_custom_weights() {
    let (app, _) = app();
    let rows = scores(demo());
    for year in ["2015", "2024"] {
        let b = get(&app, &format!("/api/breaks?year={year}")).await.json();
        let breaks: Vec<f64> = b["breaks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(breaks.len(), 9);
        let ranked: Vec<&HashMap<String, String>> = rows
            .values()
            .filter(|r| r["year"] == year && !r["mdi_decile"].is_empty())
            .collect();
        assert_eq!(b["n"].as_u64(), Some(ranked.len() as u64));
        let wrong = ranked
            .iter()
            .filter(|r| {
                classify(num(&r["mdi_score"]).unwrap(), &breaks).to_string() != r["mdi_decile"]
            })
            .count();
        assert_eq!(
            wrong, 0,
            "{year}: the default weights give the atlas's deciles"
        );
    }
    // Only inkomen: the deciles are those of the inkomen score among the ranked areas.
    let b = get(&app, "/api/breaks?year=2020&weights=inkomen:1,werk:0,opleiding:0,gezondheid:0,veiligheid:0,huisvesting:0,woonomgeving:0").await.json();
    let mut x: Vec<f64> = rows
        .values()
        .filter(|r| r["year"] == "2020" && !r["mdi_decile"].is_empty())
        .filter_map(|r| num(&r["inkomen_score"]))
        .collect();
    x.sort_by(|a, b| b.total_cmp(a));
    let n = x.len();
    // Halfway between the last score of decile d and the next; decile = ⌈10·rank/n⌉
    // (METHOD.md §1.7), so decile d ends at rank ⌊d·n/10⌋.
    let expected: Vec<f64> = (1..=9)
        .map(|d| {
            let last = d * n / 10;
            (x[last - 1] + x[last]) / 2.0
        })
        .collect();
    let got: Vec<f64> = b["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (g, e) in got.iter().zip(&expected) {
        // Weights re-spread: 1 × score × (Σ weights = 1) / 1.
        assert!((g - e).abs() < 1e-6, "{got:?} vs {expected:?}");
    }
    assert_eq!(b["weights"][0]["weight"], 1.0);
    for (uri, reason) in [
        ("/api/breaks?weights=armoede:1", "unknown domain `armoede`"),
        ("/api/breaks?weights=inkomen:-1", "≥ 0"),
        ("/api/breaks?weights=inkomen:1,inkomen:2", "twice"),
        (
            "/api/breaks?weights=inkomen:0,werk:0,opleiding:0,gezondheid:0,veiligheid:0,huisvesting:0,woonomgeving:0",
            "above 0",
        ),
        ("/api/breaks?year=1990", "not a year of this atlas"),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{uri}: {}",
            r.json()
        );
    }
}

#[tokio::test]
async fn meta_downloads_with_ranges_health_and_metrics() {
    let (app, _) = app();
    let meta = get(&app, "/api/meta").await.json();
    let file: Value =
        serde_json::from_slice(&std::fs::read(demo().join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["years"], file["years"]);
    assert_eq!(meta["domains"].as_array().unwrap().len(), 7);
    assert_eq!(meta["domains"][0]["weight"], file["domains"][0]["weight"]);
    assert_eq!(meta["within"], "gemeenten");
    // pmtiles, mbtiles, scores, pooled, comparison, areas, contiguity, metadata, report.
    assert_eq!(meta["downloads"].as_array().unwrap().len(), 9);

    let pm = std::fs::read(demo().join("atlas.pmtiles")).unwrap();
    let r = call(
        &app,
        Method::GET,
        "/download/atlas.pmtiles",
        &[("range", "bytes=0-126")],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, pm[..127]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-126/{}", pm.len()).as_str())
    );
    let tail = call(
        &app,
        Method::GET,
        "/download/atlas.pmtiles",
        &[("range", "bytes=-100")],
    )
    .await;
    assert_eq!(tail.body, pm[pm.len() - 100..]);
    let whole = get(&app, "/download/atlas.mbtiles").await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(
        whole.body,
        std::fs::read(demo().join("atlas.mbtiles")).unwrap()
    );
    let head = call(&app, Method::HEAD, "/download/scores.csv", &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("accept-ranges"), Some("bytes"));
    let bad = get(&app, "/download/..%2Fetc%2Fpasswd").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let unsatisfiable = call(
        &app,
        Method::GET,
        "/download/scores.csv",
        &[("range", "bytes=999999999-")],
    )
    .await;
    assert_eq!(unsatisfiable.status, StatusCode::RANGE_NOT_SATISFIABLE);

    let h = get(&app, "/health").await.json();
    assert_eq!(h["status"], "ok");
    for _ in 0..3 {
        get(&app, "/tiles/14/0/0.mvt").await;
    }
    let m = String::from_utf8(get(&app, "/metrics").await.body).unwrap();
    let value = |line: &str| -> f64 {
        m.lines()
            .find_map(|l| {
                l.strip_prefix(line)
                    .map(|v| v.trim().parse::<f64>().unwrap())
            })
            .unwrap_or_else(|| panic!("{line} in\n{m}"))
    };
    assert!(value("mdi_http_requests_total{route=\"/tiles/{z}/{x}/{y}\",status=\"2xx\"}") >= 3.0);
    assert_eq!(value("mdi_atlas_areas"), 644.0);
    // One 200 tile, then the byte counter has grown by exactly its body.
    let before = value("mdi_tile_bytes_total");
    let tile = center_tile(&app, 10).await;
    let body = call(&app, Method::GET, &tile, &[("accept-encoding", "gzip")])
        .await
        .body;
    let m = String::from_utf8(get(&app, "/metrics").await.body).unwrap();
    let after: f64 = m
        .lines()
        .find_map(|l| l.strip_prefix("mdi_tile_bytes_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(after - before, body.len() as f64);
    assert!(m.contains("# TYPE mdi_http_request_duration_seconds histogram"));
    assert!(value("mdi_http_request_duration_seconds_count{route=\"/tiles/{z}/{x}/{y}\"}") >= 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_swaps_the_atlas_without_failing_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    copy_dir(demo(), &atlas);
    let state = state_for(&atlas);
    let app = mdi_server::router(state.clone());
    let before = get(&app, "/api/meta").await.json();
    assert_eq!(before["years"].as_array().unwrap().len(), 10);
    let tile = center_tile(&app, 10).await;
    assert_eq!(get(&app, &tile).await.status, StatusCode::OK);

    // Requests keep coming while the atlas is rebuilt in place and reloaded three times.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (app, stop, tile) = (app.clone(), stop.clone(), tile.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                statuses.push(get(&app, &tile).await.status);
                statuses.push(get(&app, "/api/meta").await.status);
            }
            statuses
        })
    };
    for years in [["2020", "2021"], ["2015", "2024"], ["2022", "2024"]] {
        let o = run(&[
            "build",
            "--demo",
            "--demo-years",
            years[0],
            years[1],
            "--out",
            atlas.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let s = state.clone();
        tokio::task::spawn_blocking(move || s.reload())
            .await
            .unwrap()
            .expect("reload");
        let meta = get(&app, "/api/meta").await.json();
        assert_eq!(meta["years"][0].to_string(), years[0]);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = load.await.unwrap();
    assert!(statuses.len() > 10);
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );

    // A broken archive is not swapped in: the server keeps the last good atlas.
    std::fs::write(atlas.join("atlas.pmtiles"), b"not an archive").unwrap();
    let err = state
        .reload()
        .expect_err("a broken archive fails to load")
        .to_string();
    assert!(
        err.contains("atlas.pmtiles") && err.contains("not a PMTiles archive"),
        "{err}"
    );
    assert_eq!(get(&app, "/api/meta").await.json()["years"][0], 2022);
    assert_eq!(get(&app, &tile).await.status, StatusCode::OK);
    let m = String::from_utf8(get(&app, "/metrics").await.body).unwrap();
    assert!(
        m.contains("mdi_atlas_reloads_total 3") && m.contains("mdi_atlas_reload_failures_total 1"),
        "{m}"
    );
    // The three atlases swapped out (and the broken one) are freed: only the served one is held.
    assert!(m.contains("\nmdi_atlas_snapshots_held 1\n"), "{m}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The TileJSON schema of `tests/gis` (written from the specification's prose) accepts what
/// the specification allows and rejects documents that break one of its rules: the check that
/// `serve_check.py` runs the server's TileJSON through can fail.
#[test]
fn the_tilejson_schema_rejects_what_the_specification_forbids() {
    if let Some(r) = python_json("tilejson_schema_cases.py", &[]) {
        assert_eq!(r["ok"], true, "{r:#}");
        assert!(r["invalid_cases"].as_u64().unwrap() >= 30, "{r:#}");
    }
}

/// The real binary on a free port; `listening on …` gives the URL.
struct Server {
    child: Child,
    base: String,
    log: Arc<std::sync::Mutex<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mdi-atlas"))
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mdi-atlas serve starts");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                l.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut base = None;
        while out.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                base = Some(url.trim_end_matches('/').to_string());
                break;
            }
            line.clear();
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let base = base
            .unwrap_or_else(|| panic!("no `listening on` line; stderr:\n{}", log.lock().unwrap()));
        let server = Server { child, base, log };
        // Tiles answer at once; the API once the areas have loaded (`/health` says `ok`).
        wait_until("the atlas to load", Duration::from_secs(60), || {
            let (status, body) = server.get("/health");
            status == 200 && body.contains("\"status\":\"ok\"")
        });
        server
    }

    fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("{}{path}", self.base))
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET over a socket: status and body (no client library between us and the
/// server).
fn http_get(url: &str) -> (u16, String) {
    use std::io::Write;
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
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
    (status, body)
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The independent clients against a running server: GDAL, pmtiles, mapbox_vector_tile and the
/// TileJSON schema (tests/gis/serve_check.py); OGC API – Features and Tiles with GDAL and the
/// spec's requirements (ogc_check.py); deploy/nginx.conf in front of it (nginx_check.py).
fn gis_clients_read(server: &Server, atlas: &Path) {
    // GDAL (3.12 through pyogrio), the Python pmtiles reader, mapbox_vector_tile and the TileJSON
    // schema: tests/gis/serve_check.py.
    if let Some(summary) = python_json("serve_check.py", &[server.base.as_ref(), atlas.as_os_str()])
    {
        eprintln!("{summary:#}");
        assert_eq!(
            summary["failures"].as_array().map(Vec::len),
            Some(0),
            "{summary:#}"
        );
    }

    // OGC API – Features: GDAL's OAPIF driver, the requirements of the claimed conformance
    // classes (with requests that must fail) and the OpenAPI document's validity:
    // tests/gis/ogc_check.py.
    if let Some(summary) = python_json("ogc_check.py", &[server.base.as_ref(), atlas.as_os_str()]) {
        eprintln!("{summary:#}");
        assert_eq!(
            summary["failures"].as_array().map(Vec::len),
            Some(0),
            "{summary:#}"
        );
        assert!(summary["checked"].as_u64().unwrap() >= 50, "{summary:#}");
    }

    // deploy/nginx.conf, run by Debian's nginx in front of this server: proxying, the tile
    // cache, URLs that point at nginx, PMTiles by range from a static folder
    // (tests/gis/nginx_check.py).
    let conf = common::repo().join("deploy/nginx.conf");
    if let Some(summary) = python_json(
        "nginx_check.py",
        &[server.base.as_ref(), atlas.as_os_str(), conf.as_os_str()],
    ) {
        assert_eq!(summary["ok"], true, "{summary:#}");
    }
}

#[test]
fn over_a_socket_gdal_reads_the_server_and_reloads_and_shutdown_work() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    copy_dir(demo(), &atlas);
    let server = Server::start(&[
        "--atlas",
        atlas.to_str().unwrap(),
        "--watch",
        "1",
        "--access-log",
    ]);
    let (status, body) = server.get("/health");
    assert_eq!(status, 200, "{body}");

    gis_clients_read(&server, &atlas);

    // Every route over the socket (the Router tests above check the content).
    for (path, want) in [
        ("/", 200),
        ("/tiles.json", 200),
        ("/tiles/metadata.json", 200),
        ("/tiles/14/0/0.mvt", 204),
        ("/tiles/10/9999/0.mvt", 400),
        ("/style.json", 200),
        ("/style.json?flavor=qgis", 200),
        ("/api/meta", 200),
        ("/api/areas/BU99010101", 200),
        ("/api/search?q=berendonk", 200),
        ("/api/point?lon=5.8&lat=52.0", 200),
        ("/api/breaks?weights=inkomen:0.5", 200),
        ("/download/metadata.json", 200),
        ("/conformance", 200),
        ("/collections", 200),
        ("/collections/buurt/items?limit=1", 200),
        ("/collections/buurt/items/BU99010101", 200),
        ("/api", 200),
        ("/openapi.json", 200),
        ("/tiles", 200),
        ("/tiles/WebMercatorQuad", 200),
        ("/tiles/WorldCRS84Quad", 404),
        ("/tileMatrixSets/WebMercatorQuad", 200),
        ("/ready", 200),
        ("/health", 200),
        ("/metrics", 200),
        ("/no/such/route", 404),
    ] {
        assert_eq!(server.get(path).0, want, "{path}");
    }

    // A new build into the folder is noticed by the watcher and served.
    let built_at = |s: &Server| {
        serde_json::from_str::<Value>(&s.get("/api/meta").1).unwrap()["years"][0].clone()
    };
    assert_eq!(built_at(&server), 2015);
    let o = run(&[
        "build",
        "--demo",
        "--demo-years",
        "2019",
        "2020",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    wait_until("the watcher's reload", Duration::from_secs(30), || {
        built_at(&server) == 2019
    });
    // SIGHUP reloads too (here: the same atlas again).
    server.signal("-HUP");
    wait_until("the SIGHUP reload", Duration::from_secs(30), || {
        server.log.lock().unwrap().matches("atlas reloaded").count() >= 2
    });
    assert!(server.log.lock().unwrap().contains("SIGHUP"));
    assert!(
        server.log.lock().unwrap().contains("/health"),
        "the access log names requests"
    );

    // SIGTERM: graceful shutdown, exit status 0.
    let mut server = server;
    server.signal("-TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_without_an_atlas_builds_the_demo_once_and_reuses_it() {
    let cache = tempfile::tempdir().unwrap();
    let first = Server::start(&[
        "--cache-dir",
        cache.path().to_str().unwrap(),
        "--watch",
        "0",
    ]);
    let (status, body) = first.get("/api/meta");
    assert_eq!(status, 200);
    assert!(body.contains("\"synthetic\":true"), "{body}");
    assert!(
        first
            .log
            .lock()
            .unwrap()
            .contains("building the demo atlas")
    );
    drop(first);
    let second = Server::start(&[
        "--cache-dir",
        cache.path().to_str().unwrap(),
        "--watch",
        "0",
    ]);
    assert_eq!(second.get("/tiles.json").0, 200);
    assert!(
        second
            .log
            .lock()
            .unwrap()
            .contains("using the demo atlas cached"),
        "{}",
        second.log.lock().unwrap()
    );
}

#[test]
fn serve_errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "serve",
        "--atlas",
        dir.path().join("nope").to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("metadata.json"), "{}", stderr(&o));
    let no_tiles = dir.path().join("no-tiles");
    let b = run(&[
        "build",
        "--demo",
        "--no-tiles",
        "--out",
        no_tiles.to_str().unwrap(),
    ]);
    assert!(b.status.success());
    let o = run(&[
        "serve",
        "--atlas",
        no_tiles.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("mdi-atlas tiles"), "{}", stderr(&o));
    let o = run(&[
        "serve",
        "--atlas",
        demo().to_str().unwrap(),
        "--bind",
        "256.0.0.1:1",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("cannot listen on 256.0.0.1:1"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "serve",
        "--atlas",
        demo().to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--web",
        dir.path().join("no-client").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no-client: no index.html") && stderr(&o).contains("npm run build"),
        "{}",
        stderr(&o)
    );
}

/// Until the areas have loaded (`AppState::start` without `PendingLoad::finish`),
/// the API answers 503 with `Retry-After: 1` naming what loads, while tiles, TileJSON and the
/// styles answer from the archive and `metadata.json`; after `finish`, the API answers.
#[tokio::test]
async fn tiles_answer_while_the_api_loads_and_the_api_answers_503_until_then() {
    let mut config = ServeConfig::new(demo().to_path_buf());
    config.watch = None;
    let (state, pending) = AppState::start(config).unwrap();
    let app = mdi_server::router(state.clone());
    assert!(state.atlas().is_err());
    assert!(
        !state.map().tiles.in_memory(),
        "tiles are read at their offsets until loaded"
    );
    let tj = get(&app, "/tiles.json").await.json();
    let b: Vec<f64> = (0..4).map(|i| tj["bounds"][i].as_f64().unwrap()).collect();
    let (x, y) = tile_of((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 10);
    let tile = format!("/tiles/10/{x}/{y}.mvt");
    let early = get(&app, &tile).await;
    assert_eq!(early.status, StatusCode::OK, "{tile}");
    for path in [
        "/api/meta",
        "/api/areas/BU99010101",
        "/api/search?q=berendonk",
        "/api/point?lon=5.8&lat=52.0",
        "/api/breaks",
        "/api/report",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(r.header("retry-after"), Some("1"), "{path}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("still loading") && message.contains("areas.fgb"),
            "{path}: {message}"
        );
    }
    for path in [
        "/tiles.json",
        "/tiles/metadata.json",
        "/style.json",
        "/style.json?flavor=qgis",
    ] {
        assert_eq!(get(&app, path).await.status, StatusCode::OK, "{path}");
    }
    let health = get(&app, "/health").await.json();
    assert_eq!(health["status"], "loading");
    assert!(health["areas"].is_null());
    // Readiness: not before the API answers.
    let ready = get(&app, "/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.header("retry-after"), Some("1"));

    tokio::task::spawn_blocking(move || pending.finish())
        .await
        .unwrap()
        .unwrap();
    assert!(state.map().tiles.in_memory());
    let late = get(&app, &tile).await;
    assert_eq!(late.status, StatusCode::OK);
    assert_eq!(
        late.body, early.body,
        "the same bytes read at the offset and from memory"
    );
    assert_eq!(late.header("etag"), early.header("etag"));
    assert_eq!(get(&app, "/api/meta").await.status, StatusCode::OK);
    assert_eq!(get(&app, "/health").await.json()["status"], "ok");
    assert_eq!(get(&app, "/ready").await.status, StatusCode::OK);
}

/// One glyph of a MapLibre glyph protobuf, decoded by hand from the schema (glyphs.proto:
/// `glyphs { 1: fontstack* }`, `fontstack { 1: name, 2: range, 3: glyph* }`, `glyph { 1: id,
/// 2: bitmap, 3: width, 4: height, 5: left (sint32), 6: top (sint32), 7: advance }`).
#[derive(Debug, Default)]
struct PbfGlyph {
    id: u32,
    bitmap: Vec<u8>,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
}

/// Protobuf fields of `buf`: (field number, varint value or bytes).
fn pb_fields(mut buf: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
    fn varint(buf: &mut &[u8]) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = buf[0];
            *buf = &buf[1..];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    }
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf);
        match key & 7 {
            0 => out.push((key >> 3, varint(&mut buf), Vec::new())),
            2 => {
                let n = varint(&mut buf) as usize;
                out.push((key >> 3, 0, buf[..n].to_vec()));
                buf = &buf[n..];
            }
            t => panic!("wire type {t} is not in the glyph schema"),
        }
    }
    out
}

/// The (name, range, glyphs) of the one fontstack of a glyph protobuf.
fn decode_glyphs(pbf: &[u8]) -> (String, String, Vec<PbfGlyph>) {
    let stacks = pb_fields(pbf);
    assert_eq!(stacks.len(), 1, "one fontstack");
    assert_eq!(stacks[0].0, 1);
    let (mut name, mut range, mut glyphs) = (String::new(), String::new(), Vec::new());
    let zigzag = |v: u64| ((v >> 1) as i64 ^ -((v & 1) as i64)) as i32;
    for (field, _, bytes) in pb_fields(&stacks[0].2) {
        match field {
            1 => name = String::from_utf8(bytes).unwrap(),
            2 => range = String::from_utf8(bytes).unwrap(),
            3 => {
                let mut g = PbfGlyph::default();
                for (f, v, b) in pb_fields(&bytes) {
                    match f {
                        1 => g.id = v as u32,
                        2 => g.bitmap = b,
                        3 => g.width = v as u32,
                        4 => g.height = v as u32,
                        5 => g.left = zigzag(v),
                        6 => g.top = zigzag(v),
                        7 => g.advance = v as u32,
                        other => panic!("glyph field {other}"),
                    }
                }
                glyphs.push(g);
            }
            other => panic!("fontstack field {other}"),
        }
    }
    (name, range, glyphs)
}

/// `/fonts/{fontstack}/{range}.pbf`, decoded by the hand-written decoder above: the ranges of
/// Dutch names have their glyphs (ë, é, ï, ’, –), every bitmap is the glyph's size plus the
/// 3 px buffer, the distance field of `A` is above 192 inside and below it at the border, and
/// a range without glyphs is an empty but valid fontstack.
#[tokio::test]
async fn glyph_ranges_decode_with_their_glyphs_and_distance_fields() {
    let (app, _) = app();
    let style = get(&app, "/style.json").await.json();
    let font = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["type"] == "symbol")
        .map(|l| l["layout"]["text-font"][0].as_str().unwrap().to_string())
        .unwrap();
    let url = |range: &str| format!("/fonts/{}/{range}.pbf", font.replace(' ', "%20"));
    let mut all = HashMap::new();
    for (range, must) in [
        ("0-255", vec!['A', 'a', 'ë', 'é', 'ï', ' ', '\'']),
        ("256-511", vec!['Ĳ', 'ĳ', 'Ł']),
        ("8192-8447", vec!['’', '–', '‘']),
    ] {
        let r = get(&app, &url(range)).await;
        assert_eq!(r.status, StatusCode::OK, "{range}");
        assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
        assert!(r.header("etag").is_some());
        let (name, got_range, glyphs) = decode_glyphs(&r.body);
        assert_eq!((name.as_str(), got_range.as_str()), (font.as_str(), range));
        let (lo, hi) = range.split_once('-').unwrap();
        let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
        for g in &glyphs {
            assert!((lo..=hi).contains(&g.id), "{} in {range}", g.id);
            if g.bitmap.is_empty() {
                assert_eq!((g.width, g.height), (0, 0));
            } else {
                assert_eq!(
                    g.bitmap.len() as u32,
                    (g.width + 6) * (g.height + 6),
                    "glyph {}",
                    g.id
                );
            }
        }
        for c in must {
            assert!(glyphs.iter().any(|g| g.id == c as u32), "{c:?} in {range}");
        }
        all.extend(glyphs.into_iter().map(|g| (g.id, g)));
    }
    let a = &all[&('A' as u32)];
    let (w, h) = (a.width as usize + 6, a.height as usize + 6);
    // 24 px glyphs: a capital is some 15–19 px tall and sits on the baseline.
    assert!((14..=20).contains(&a.height), "{a:?}");
    assert!((12..=18).contains(&a.advance), "{a:?}");
    assert!(a.top < 0, "top is below the ascender: {a:?}");
    let inside = a.bitmap.iter().filter(|&&v| v > 192).count();
    assert!(inside > 20 && inside < w * h / 2, "{inside} of {}", w * h);
    for x in 0..w {
        for y in [0, h - 1] {
            assert!(a.bitmap[y * w + x] < 192, "A's border at {x},{y}");
        }
    }
    // The bottom of both legs of A is ink: the lowest glyph row holds two runs above 192.
    let row = &a.bitmap[(h - 4) * w..(h - 3) * w];
    let runs = row.windows(2).filter(|p| p[0] <= 192 && p[1] > 192).count();
    assert_eq!(runs, 2, "{row:?}");
    // More ink in M than in a full stop; none in a space.
    let ink = |c: char| all[&(c as u32)].bitmap.iter().filter(|&&v| v > 192).count();
    assert!(ink('M') > 3 * ink('.'));
    assert!(all[&(' ' as u32)].bitmap.is_empty() && all[&(' ' as u32)].advance > 0);
    // The accents make ë taller than e.
    assert!(all[&('ë' as u32)].top > all[&('e' as u32)].top);

    let empty = get(&app, &url("19968-20223")).await;
    assert_eq!(empty.status, StatusCode::OK);
    let (name, range, glyphs) = decode_glyphs(&empty.body);
    assert_eq!(
        (name.as_str(), range.as_str(), glyphs.len()),
        (font.as_str(), "19968-20223", 0)
    );
    let stack = format!(
        "/fonts/{}%2CArial%20Unicode%20MS%20Regular/0-255.pbf",
        font.replace(' ', "%20")
    );
    assert_eq!(get(&app, &stack).await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/fonts/Open%20Sans/0-255.pbf").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &url("0-256")).await.status,
        StatusCode::BAD_REQUEST
    );
    let tag = get(&app, &url("0-255"))
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let again = call(&app, Method::GET, &url("0-255"), &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

/// The MapLibre style validator (`@maplibre/maplibre-gl-style-spec` of web/package.json, through
/// web/scripts/validate-style.mjs) passes on /style.json with its labels in both flavours, for
/// the demo and for a copy whose metadata.json sets level bands.
#[tokio::test]
async fn the_maplibre_validator_passes_on_the_styles_with_labels_and_bands() {
    let spec = common::repo().join("web/node_modules/@maplibre/maplibre-gl-style-spec");
    if !spec.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "web/node_modules lacks the style validator: run npm ci --prefix web"
        );
        common::skip(
            "web/node_modules lacks @maplibre/maplibre-gl-style-spec (npm ci --prefix web)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let banded = dir.path().join("banded");
    copy_dir(demo(), &banded);
    let meta_path = banded.join("metadata.json");
    let mut meta: Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    for (level, (min, max)) in
        meta["levels"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip([(9, 14), (7, 8), (5, 6)])
    {
        level["band"] = serde_json::json!({"min": min, "max": max, "source": "data"});
    }
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let mut files = Vec::new();
    for (name, atlas) in [("demo", demo()), ("banded", banded.as_path())] {
        let app = mdi_server::router(state_for(atlas));
        for query in [
            "",
            "?flavor=qgis",
            "?variable=inkomen",
            "?flavor=qgis&variable=domains_in_worst_decile",
        ] {
            let r = get(&app, &format!("/style.json{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{name} {query}");
            let style = r.json();
            assert!(
                style["glyphs"]
                    .as_str()
                    .unwrap()
                    .ends_with("/fonts/{fontstack}/{range}.pbf")
            );
            let labels = style["layers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["type"] == "symbol")
                .count();
            assert_eq!(labels, 3, "{name} {query}");
            let fills = style["layers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["id"].as_str().unwrap().ends_with("-fill"))
                .count();
            // The MDI by level band (one fill per level with a band; the index unit alone
            // without bands); a domain variable on the index unit only.
            let meta: Value =
                serde_json::from_slice(&std::fs::read(atlas.join("metadata.json")).unwrap())
                    .unwrap();
            let banded_levels = meta["levels"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["band"].is_object())
                .count();
            let want = if query.contains("variable") {
                1
            } else {
                banded_levels.max(1)
            };
            if name == "banded" {
                assert_eq!(banded_levels, 3);
            }
            assert_eq!(fills, want, "{name} {query}");
            let file = dir.path().join(format!("{name}-{}.json", files.len()));
            std::fs::write(&file, r.body).unwrap();
            files.push(file);
        }
    }
    let o = Command::new("node")
        .arg(common::repo().join("web/scripts/validate-style.mjs"))
        .args(&files)
        .output()
        .expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains(&format!("{} valid, 0 invalid", files.len())),
        "{out}"
    );
}

/// An atlas whose areas cannot be read still fails at start: the server answers tiles at
/// once, then stops with a non-zero exit naming the file, instead of answering 503 forever.
#[test]
fn a_broken_atlas_fails_at_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    copy_dir(demo(), &atlas);
    std::fs::write(atlas.join("areas.fgb"), b"not a flatgeobuf").unwrap();
    let start = Instant::now();
    let o = run(&[
        "serve",
        "--atlas",
        atlas.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("areas.fgb"), "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// The national archive through the server, checked by `serve_check.py --quick`.
#[test]
fn the_national_atlas_is_served_whole() {
    let Some(inputs) = common::nl_2014() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("nl");
    common::build_nl_2014(&inputs, &atlas, &["--mbtiles"]);
    let server = Server::start(&["--atlas", atlas.to_str().unwrap(), "--watch", "0"]);
    if let Some(summary) = python_json(
        "serve_check.py",
        &[server.base.as_ref(), atlas.as_os_str(), "--quick".as_ref()],
    ) {
        assert_eq!(
            summary["failures"].as_array().map(Vec::len),
            Some(0),
            "{summary:#}"
        );
    }
}
