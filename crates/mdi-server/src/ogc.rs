//! OGC API – Features over the areas of an atlas: Part 1 (Core, GeoJSON, OpenAPI 3.0) and
//! Part 2 (Coordinate Reference Systems by Reference) for RD New (EPSG:28992). One collection
//! per level (`buurt`, `wijk`, `gemeente`); a feature is one area in one year, with its scores
//! as flat properties (the column names of `areas.fgb` without the year: `mdi_score`,
//! `mdi_decile`, `inkomen_decile`…, decile 1 = most deprived).
//!
//! - the year: `datetime` (an instant or an interval that holds exactly one year of the atlas;
//!   none: the last year); a feature's temporal extent is its calendar year;
//! - `bbox` (with `bbox-crs`: CRS84, the default, or EPSG:28992): the features whose polygons
//!   intersect the box (the exact polygons, on their 10⁻⁷-degree grid);
//! - `crs`: the coordinates of the response, CRS84 (longitude, latitude, degrees; the default)
//!   or EPSG:28992 (easting, northing, metres), said in the `Content-Crs` header;
//! - `limit` (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]; larger values are answered with
//!   the maximum) and `offset` page through the features in code order, with `next` and `prev`
//!   links;
//! - any other query parameter is a 400 (`/req/core/query-param-unknown`).
//!
//! The documents are built here; [`crate::routes::ogc`] serves them and [`crate::openapi`]
//! describes them.

use std::fmt::Write as _;

use geo::Intersects;
use geo_types::{Coord, Rect};
use mdi_geo::crs::{Crs, Reprojector};
use serde_json::{Map, Value, json};

use crate::areas::{Area, AreaYear, Score, Shape, degrees};
use crate::atlas::Atlas;
use crate::error::ApiError;

/// CRS84: WGS84 longitude, latitude in degrees (the default CRS of OGC API Features).
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// RD New (EPSG:28992): easting, northing in metres.
pub const RD_NEW: &str = "http://www.opengis.net/def/crs/EPSG/0/28992";
/// The Gregorian calendar, the temporal reference system of the extents.
pub const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
/// `limit` when none is given.
pub const DEFAULT_LIMIT: usize = 10;
/// The largest page: a larger `limit` is answered with this many.
pub const MAX_LIMIT: usize = 10_000;

/// The conformance classes this server implements (`/conformance`).
pub const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
];

/// The media type of GeoJSON.
pub const GEOJSON: &str = "application/geo+json";
/// The media type of the OpenAPI document.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

/// A CRS a response can be given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutCrs {
    /// [`CRS84`].
    Crs84,
    /// [`RD_NEW`].
    RdNew,
}

impl OutCrs {
    /// The CRS of a URI (or CURIE, `[EPSG:28992]`), if offered.
    pub fn parse(uri: &str) -> Option<OutCrs> {
        let t = uri.trim().trim_start_matches('[').trim_end_matches(']');
        match t {
            CRS84 | "OGC:CRS84" | "urn:ogc:def:crs:OGC:1.3:CRS84" => Some(OutCrs::Crs84),
            RD_NEW | "EPSG:28992" | "urn:ogc:def:crs:EPSG::28992" => Some(OutCrs::RdNew),
            _ => None,
        }
    }

    /// Its URI.
    pub fn uri(self) -> &'static str {
        match self {
            OutCrs::Crs84 => CRS84,
            OutCrs::RdNew => RD_NEW,
        }
    }
}

/// The CRSs offered, by URI.
pub const CRS_LIST: [&str; 2] = [CRS84, RD_NEW];

/// The year a `datetime` selects among the atlas's years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearChoice {
    /// The year at this index of the atlas's years.
    Year(usize),
    /// No year of the atlas: the response has no features.
    None,
}

/// The parameters of `/collections/{id}/items`.
#[derive(Debug, Clone)]
pub struct ItemsQuery {
    /// The most features to return.
    pub limit: usize,
    /// Features to skip.
    pub offset: usize,
    /// Boxes in CRS84 degrees (two where a box crosses the antimeridian).
    pub bbox: Option<Vec<Rect<f64>>>,
    /// The year.
    pub year: YearChoice,
    /// The CRS of the coordinates.
    pub crs: OutCrs,
    /// The parameters as given, for the paging links.
    pub given: Vec<(String, String)>,
}

/// The parameters of `/collections/{id}/items/{featureId}`.
#[derive(Debug, Clone)]
pub struct ItemQuery {
    /// The year.
    pub year: YearChoice,
    /// The CRS of the coordinates.
    pub crs: OutCrs,
}

/// Checks that `pairs` name only `known` parameters, each once.
fn check_names(pairs: &[(String, String)], known: &[&str], path: &str) -> Result<(), ApiError> {
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad_request(format!(
                "unknown query parameter `{name}`; {path} takes {}",
                known.join(", ")
            )));
        }
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err(ApiError::bad_request(format!(
                "query parameter `{name}` is given twice; give it once"
            )));
        }
    }
    Ok(())
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `f`: only JSON (GeoJSON for features) is offered.
fn check_format(pairs: &[(String, String)]) -> Result<(), ApiError> {
    match value(pairs, "f") {
        None | Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(()),
        Some(other) => Err(ApiError::status(
            axum::http::StatusCode::NOT_ACCEPTABLE,
            format!("f=`{other}`: this server answers JSON only (f=json)"),
        )),
    }
}

/// Parses `crs`.
fn parse_crs(pairs: &[(String, String)], name: &str) -> Result<OutCrs, ApiError> {
    match value(pairs, name) {
        None => Ok(OutCrs::Crs84),
        Some(v) => OutCrs::parse(v).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{name}=`{v}`: not a CRS this server offers; expected one of {}",
                CRS_LIST.join(", ")
            ))
        }),
    }
}

/// Parses a whole number parameter.
fn parse_count(
    pairs: &[(String, String)],
    name: &str,
    min: usize,
) -> Result<Option<usize>, ApiError> {
    let Some(v) = value(pairs, name) else {
        return Ok(None);
    };
    match v.trim().parse::<usize>() {
        Ok(n) if n >= min => Ok(Some(n)),
        _ => Err(ApiError::bad_request(format!(
            "{name}=`{v}`: expected a whole number of at least {min}"
        ))),
    }
}

/// Parses `bbox` (four or six numbers) in the CRS of `bbox-crs` to CRS84 boxes.
fn parse_bbox(pairs: &[(String, String)]) -> Result<Option<Vec<Rect<f64>>>, ApiError> {
    let crs = parse_crs(pairs, "bbox-crs")?;
    let Some(text) = value(pairs, "bbox") else {
        if value(pairs, "bbox-crs").is_some() {
            return Err(ApiError::bad_request("bbox-crs is given without bbox"));
        }
        return Ok(None);
    };
    let bad = |why: &str| {
        ApiError::bad_request(format!(
            "bbox=`{text}`: {why}; expected minx,miny,maxx,maxy (four numbers, or six with \
             heights), in CRS84 longitude and latitude unless bbox-crs says otherwise"
        ))
    };
    let n: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("not a list of numbers"))?;
    let [x0, y0, x1, y1] = match n.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, c, d, _] => [*a, *b, *c, *d],
        _ => return Err(bad(&format!("{} numbers", n.len()))),
    };
    if n.iter().any(|v| !v.is_finite()) {
        return Err(bad("a value is not finite"));
    }
    if y0 > y1 {
        return Err(bad("the lower y is above the upper y"));
    }
    match crs {
        OutCrs::Crs84 => {
            if !(-90.0..=90.0).contains(&y0) || !(-90.0..=90.0).contains(&y1) {
                return Err(bad("a latitude is outside -90 to 90"));
            }
            if !(-180.0..=180.0).contains(&x0) || !(-180.0..=180.0).contains(&x1) {
                return Err(bad("a longitude is outside -180 to 180"));
            }
            let rect = |w: f64, e: f64| Rect::new(Coord { x: w, y: y0 }, Coord { x: e, y: y1 });
            // West above east: the box crosses the antimeridian.
            Ok(Some(if x0 <= x1 {
                vec![rect(x0, x1)]
            } else {
                vec![rect(x0, 180.0), rect(-180.0, x1)]
            }))
        }
        OutCrs::RdNew => {
            if x0 > x1 {
                return Err(bad("the lower x is right of the upper x"));
            }
            // The box's outline in WGS84 (its sides bend a little: sample them), then its
            // bounding box.
            let to = Reprojector::new(Crs::RdNew, Crs::Wgs84).map_err(ApiError::internal)?;
            let mut b = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            for i in 0..=8 {
                let t = f64::from(i) / 8.0;
                for (x, y) in [
                    (x0 + t * (x1 - x0), y0),
                    (x0 + t * (x1 - x0), y1),
                    (x0, y0 + t * (y1 - y0)),
                    (x1, y0 + t * (y1 - y0)),
                ] {
                    let (lon, lat) = to.transform(x, y).map_err(|e| bad(&e))?;
                    b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
                }
            }
            Ok(Some(vec![Rect::new(
                Coord { x: b[0], y: b[1] },
                Coord { x: b[2], y: b[3] },
            )]))
        }
    }
}

/// A point in time or an open end, as the first and last day it covers (`(year, day of year)`
/// is enough: the atlas has whole years).
fn parse_instant(text: &str) -> Option<i32> {
    let t = text.trim();
    let year: i32 = t.get(..4)?.parse().ok()?;
    let rest = &t[4..];
    let valid_date = |d: &str| {
        let b = d.as_bytes();
        b.len() == 6
            && b[0] == b'-'
            && b[3] == b'-'
            && d[1..3].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            && d[4..6].parse::<u8>().is_ok_and(|m| (1..=31).contains(&m))
    };
    let ok = rest.is_empty()
        || (rest.len() == 6 && valid_date(rest))
        || (rest.len() > 7
            && valid_date(&rest[..6])
            && matches!(rest.as_bytes()[6], b'T' | b't')
            && rest.len() >= 15);
    ok.then_some(year)
}

/// The year `datetime` selects among `years`.
///
/// # Errors
/// 400 for a value that is not an RFC 3339 instant or interval, or an interval over several
/// years of the atlas.
pub fn parse_datetime(text: Option<&str>, years: &[i32]) -> Result<YearChoice, ApiError> {
    let last = years.len().checked_sub(1);
    let Some(text) = text else {
        return Ok(last.map_or(YearChoice::None, YearChoice::Year));
    };
    let bad = || {
        ApiError::bad_request(format!(
            "datetime=`{text}`: expected an RFC 3339 date or date-time (2022-01-01, \
             2022-01-01T00:00:00Z) or an interval (2022-01-01/2022-12-31, ../2022-12-31), which \
             selects one year of the atlas ({})",
            years
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    let (from, to) = match text.split_once('/') {
        None => {
            let y = parse_instant(text).ok_or_else(bad)?;
            (y, y)
        }
        Some((a, b)) => {
            let end = |v: &str, open: i32| -> Result<i32, ApiError> {
                if v.is_empty() || v == ".." {
                    Ok(open)
                } else {
                    parse_instant(v).ok_or_else(bad)
                }
            };
            let (a, b) = (end(a, i32::MIN)?, end(b, i32::MAX)?);
            if a == i32::MIN && b == i32::MAX {
                return Err(bad());
            }
            (a, b)
        }
    };
    if from > to {
        return Err(bad());
    }
    let hits: Vec<usize> = years
        .iter()
        .enumerate()
        .filter(|(_, y)| (from..=to).contains(*y))
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [] => Ok(YearChoice::None),
        [one] => Ok(YearChoice::Year(*one)),
        more => Err(ApiError::bad_request(format!(
            "datetime=`{text}` covers {} years of the atlas ({}); a feature is an area in one \
             year: ask for one year at a time, e.g. datetime={}",
            more.len(),
            more.iter()
                .map(|&i| years[i].to_string())
                .collect::<Vec<_>>()
                .join(", "),
            years[more[more.len() - 1]]
        ))),
    }
}

/// The query pairs of a URI's query string.
///
/// # Errors
/// 400 when the query string is not `application/x-www-form-urlencoded`.
pub fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(q) = query else {
        return Ok(Vec::new());
    };
    let uri: axum::http::Uri = format!("/?{q}")
        .parse()
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("the query string: {}", e.body_text())))
}

impl ItemsQuery {
    /// Parses the query of `/collections/{id}/items` against the atlas's `years`.
    ///
    /// # Errors
    /// 400 naming the parameter and what it expects (unknown parameters included); 406 for
    /// another format than JSON.
    pub fn parse(pairs: Vec<(String, String)>, years: &[i32]) -> Result<ItemsQuery, ApiError> {
        check_names(
            &pairs,
            &[
                "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "f",
            ],
            "/collections/{collectionId}/items",
        )?;
        check_format(&pairs)?;
        Ok(ItemsQuery {
            limit: parse_count(&pairs, "limit", 1)?
                .unwrap_or(DEFAULT_LIMIT)
                .min(MAX_LIMIT),
            offset: parse_count(&pairs, "offset", 0)?.unwrap_or(0),
            bbox: parse_bbox(&pairs)?,
            year: parse_datetime(value(&pairs, "datetime"), years)?,
            crs: parse_crs(&pairs, "crs")?,
            given: pairs,
        })
    }
}

impl ItemQuery {
    /// Parses the query of `/collections/{id}/items/{featureId}`.
    ///
    /// # Errors
    /// As [`ItemsQuery::parse`].
    pub fn parse(pairs: &[(String, String)], years: &[i32]) -> Result<ItemQuery, ApiError> {
        check_names(
            pairs,
            &["datetime", "crs", "f"],
            "/collections/{collectionId}/items/{featureId}",
        )?;
        check_format(pairs)?;
        Ok(ItemQuery {
            year: parse_datetime(value(pairs, "datetime"), years)?,
            crs: parse_crs(pairs, "crs")?,
        })
    }
}

/// Checks the query of the landing page, `/conformance`, `/collections` and
/// `/collections/{id}`: only `f`.
///
/// # Errors
/// 400 for another parameter, 406 for another format than JSON.
pub fn check_plain_query(pairs: &[(String, String)], path: &str) -> Result<(), ApiError> {
    check_names(pairs, &["f"], path)?;
    check_format(pairs)
}

/// A link object.
fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// The landing page (`/`, as JSON).
pub fn landing(atlas: &Atlas, base: &str) -> Value {
    json!({
        "title": atlas.meta.title,
        "description": format!(
            "{} OGC API – Features: one collection per level of areas, each area with its \
             Multiple Deprivation Index and domain scores per year (decile 1 = most deprived).",
            atlas.meta.description
        ),
        "attribution": atlas.meta.attribution,
        "links": [
            link(format!("{base}/?f=json"), "self", "application/json", "this document"),
            link(format!("{base}/api"), "service-desc", OPENAPI, "the API definition (OpenAPI 3.0)"),
            link(format!("{base}/"), "service-doc", "text/html", "the web client and the route list"),
            link(format!("{base}/conformance"), "conformance", "application/json", "the conformance classes"),
            link(format!("{base}/conformance"), "http://www.opengis.net/def/rel/ogc/1.0/conformance", "application/json", "the conformance classes"),
            link(format!("{base}/collections"), "data", "application/json", "the collections: one per level of areas"),
            link(format!("{base}/collections"), "http://www.opengis.net/def/rel/ogc/1.0/data", "application/json", "the collections: one per level of areas"),
            link(format!("{base}/tiles"), crate::ogc_tiles::REL_TILESETS_VECTOR, "application/json", "the vector tilesets (OGC API – Tiles)"),
            link(format!("{base}/tileMatrixSets"), crate::ogc_tiles::REL_TILING_SCHEMES, "application/json", "the tile matrix sets"),
        ],
    })
}

/// `/conformance`: OGC API – Features and OGC API – Tiles ([`crate::ogc_tiles::CONFORMANCE`]).
pub fn conformance() -> Value {
    let all: Vec<&str> = CONFORMANCE
        .iter()
        .chain(crate::ogc_tiles::CONFORMANCE.iter())
        .copied()
        .collect();
    json!({"conformsTo": all})
}

/// The index of the level `id` in the atlas.
///
/// # Errors
/// 404 naming the collections there are.
pub fn level_of(atlas: &Atlas, id: &str) -> Result<usize, ApiError> {
    atlas
        .meta
        .levels
        .iter()
        .position(|l| l.id == id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no collection `{id}`; the collections are {}",
                atlas
                    .meta
                    .levels
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// The bounding box of a level's polygons, in CRS84.
fn level_bbox(atlas: &Atlas, level: usize) -> Option<[f64; 4]> {
    atlas
        .areas
        .list
        .iter()
        .filter(|a| a.level == level)
        .filter_map(|a| a.bbox)
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
        // On the 10⁻⁷-degree grid of the polygons, outward.
        .map(|[w, s, e, n]| {
            [
                (w * 1e7).floor() / 1e7,
                (s * 1e7).floor() / 1e7,
                (e * 1e7).ceil() / 1e7,
                (n * 1e7).ceil() / 1e7,
            ]
        })
}

/// One collection (`/collections/{id}` and an entry of `/collections`).
pub fn collection(atlas: &Atlas, level: usize, base: &str) -> Value {
    let l = &atlas.meta.levels[level];
    let years = &atlas.meta.years;
    let interval = match (years.first(), years.last()) {
        (Some(a), Some(b)) => json!([[
            format!("{a}-01-01T00:00:00Z"),
            format!("{b}-12-31T23:59:59Z")
        ]]),
        _ => json!([[null, null]]),
    };
    let items = format!("{base}/collections/{}/items", l.id);
    json!({
        "id": l.id,
        "title": l.name,
        "description": format!(
            "{} ({} areas, codes {}…): the Multiple Deprivation Index{} per year; choose the \
             year with datetime (default: {}).",
            l.name,
            l.areas,
            l.code_prefix,
            if level == 0 { " and its domain scores" } else { " (population-weighted)" },
            years.last().map_or_else(String::new, ToString::to_string)
        ),
        "itemType": "feature",
        "crs": CRS_LIST,
        "storageCrs": CRS84,
        "extent": {
            "spatial": {"bbox": [level_bbox(atlas, level).unwrap_or([-180.0, -90.0, 180.0, 90.0])], "crs": CRS84},
            "temporal": {"interval": interval, "trs": GREGORIAN},
        },
        "links": [
            link(format!("{base}/collections/{}", l.id), "self", "application/json", &l.name),
            link(items.clone(), "items", GEOJSON, &format!("{}: the features", l.name)),
            link(format!("{base}/tiles"), crate::ogc_tiles::REL_TILESETS_VECTOR, "application/json", "the vector tiles of every level"),
        ],
    })
}

/// `/collections`.
pub fn collections(atlas: &Atlas, base: &str) -> Value {
    json!({
        "links": [link(format!("{base}/collections"), "self", "application/json", "the collections")],
        "crs": CRS_LIST,
        "collections": (0..atlas.meta.levels.len()).map(|l| collection(atlas, l, base)).collect::<Vec<_>>(),
    })
}

/// Whether area `i`'s polygons intersect one of `boxes`.
fn intersects(shape: Option<&Shape>, bbox: Option<[f64; 4]>, boxes: &[Rect<f64>]) -> bool {
    let (Some(shape), Some([w, s, e, n])) = (shape, bbox) else {
        return false;
    };
    boxes.iter().any(|r| {
        r.min().x <= e
            && r.max().x >= w
            && r.min().y <= n
            && r.max().y >= s
            && r.intersects(&shape.to_geo())
    })
}

/// The features of `items`: the positions in `atlas.areas.list` of the level's areas that
/// match, in code order, and how many match in all.
fn matching(atlas: &Atlas, level: usize, q: &ItemsQuery) -> Vec<usize> {
    if q.year == YearChoice::None {
        return Vec::new();
    }
    let areas = &atlas.areas;
    let mut hits: Vec<usize> = (0..areas.list.len())
        .filter(|&i| areas.list[i].level == level)
        .filter(|&i| {
            q.bbox
                .as_ref()
                .is_none_or(|boxes| intersects(areas.shape(i), areas.list[i].bbox, boxes))
        })
        .collect();
    hits.sort_unstable_by(|&a, &b| areas.list[a].code.cmp(&areas.list[b].code));
    hits
}

/// A URL with the query `pairs`, `offset` replaced.
fn page_url(url: &str, pairs: &[(String, String)], offset: usize) -> String {
    let mut q: Vec<(String, String)> = pairs
        .iter()
        .filter(|(n, _)| n != "offset")
        .cloned()
        .collect();
    q.push(("offset".into(), offset.to_string()));
    let mut s = format!("{url}?");
    let mut enc = Vec::new();
    for (n, v) in &q {
        enc.push(format!("{}={}", urlencode(n), urlencode(v)));
    }
    s.push_str(&enc.join("&"));
    s
}

/// Percent-encodes a query component.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The body and headers of `/collections/{id}/items`: a GeoJSON feature collection.
///
/// # Errors
/// 500 when a coordinate cannot be reprojected.
pub fn items(atlas: &Atlas, level: usize, q: &ItemsQuery, base: &str) -> Result<String, ApiError> {
    let hits = matching(atlas, level, q);
    let id = &atlas.meta.levels[level].id;
    let url = format!("{base}/collections/{id}/items");
    let page: &[usize] = hits
        .get(q.offset.min(hits.len())..(q.offset.saturating_add(q.limit)).min(hits.len()))
        .unwrap_or(&[]);
    let to = projector(q.crs)?;
    let mut out = String::with_capacity(1024 + page.len() * 2048);
    out.push_str(r#"{"type":"FeatureCollection","features":["#);
    for (k, &i) in page.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let YearChoice::Year(y) = q.year else { break };
        feature(&mut out, atlas, i, y, to.as_ref(), None)?;
    }
    out.push_str("],");
    let mut links = vec![
        link(
            page_url(&url, &q.given, q.offset),
            "self",
            GEOJSON,
            "this page",
        ),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            "application/json",
            "the collection",
        ),
    ];
    if q.offset + page.len() < hits.len() {
        links.push(link(
            page_url(&url, &q.given, q.offset + page.len()),
            "next",
            GEOJSON,
            "the next page",
        ));
    }
    if q.offset > 0 {
        links.push(link(
            page_url(&url, &q.given, q.offset.saturating_sub(q.limit)),
            "prev",
            GEOJSON,
            "the previous page",
        ));
    }
    let tail = json!({
        "links": links,
        "numberMatched": hits.len(),
        "numberReturned": page.len(),
    });
    // Append the members of `tail` after the features.
    let t = tail.to_string();
    out.push_str(t.get(1..).unwrap_or("}"));
    Ok(out)
}

/// The body of `/collections/{id}/items/{featureId}`: one GeoJSON feature.
///
/// # Errors
/// 404 when the level has no area with the code, or the datetime selects no year.
pub fn item(
    atlas: &Atlas,
    level: usize,
    code: &str,
    q: &ItemQuery,
    base: &str,
) -> Result<String, ApiError> {
    let id = &atlas.meta.levels[level].id;
    let i = atlas
        .areas
        .get(code)
        .filter(|&i| atlas.areas.list[i].level == level)
        .ok_or_else(|| ApiError::not_found(format!("collection `{id}` has no feature `{code}`")))?;
    let YearChoice::Year(y) = q.year else {
        return Err(ApiError::not_found(format!(
            "feature `{code}` has no year at the datetime asked for"
        )));
    };
    let to = projector(q.crs)?;
    let mut out = String::with_capacity(4096);
    feature(&mut out, atlas, i, y, to.as_ref(), Some(base))?;
    Ok(out)
}

fn projector(crs: OutCrs) -> Result<Option<Reprojector>, ApiError> {
    match crs {
        OutCrs::Crs84 => Ok(None),
        OutCrs::RdNew => Reprojector::new(Crs::Wgs84, Crs::RdNew)
            .map(Some)
            .map_err(ApiError::internal),
    }
}

/// Writes area `i` in year `y` as a GeoJSON feature; `base` adds its links (single items).
fn feature(
    out: &mut String,
    atlas: &Atlas,
    i: usize,
    y: usize,
    to: Option<&Reprojector>,
    base: Option<&str>,
) -> Result<(), ApiError> {
    let area = &atlas.areas.list[i];
    out.push_str(r#"{"type":"Feature","id":"#);
    out.push_str(&Value::from(area.code.as_ref()).to_string());
    out.push_str(r#","geometry":"#);
    match atlas.areas.shape(i) {
        Some(shape) => geometry(out, shape, to)?,
        None => out.push_str("null"),
    }
    out.push_str(r#","properties":"#);
    out.push_str(&Value::Object(properties(atlas, area, y)).to_string());
    if let Some(base) = base {
        let id = &atlas.meta.levels[area.level].id;
        let links = json!([
            link(
                format!("{base}/collections/{id}/items/{}", urlencode(&area.code)),
                "self",
                GEOJSON,
                "this feature"
            ),
            link(
                format!("{base}/collections/{id}"),
                "collection",
                "application/json",
                "the collection"
            ),
        ]);
        out.push_str(r#","links":"#);
        out.push_str(&links.to_string());
    }
    out.push('}');
    Ok(())
}

/// Writes a shape as a GeoJSON MultiPolygon, in CRS84 (7 decimals, its grid) or reprojected
/// (metres, 2 decimals).
fn geometry(out: &mut String, shape: &Shape, to: Option<&Reprojector>) -> Result<(), ApiError> {
    out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
    for (p, rings) in shape.polygons().enumerate() {
        if p > 0 {
            out.push(',');
        }
        out.push('[');
        for (r, ring) in rings.iter().enumerate() {
            if r > 0 {
                out.push(',');
            }
            out.push('[');
            for (k, &[x, y]) in ring.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                match to {
                    None => {
                        let _ = write!(out, "[{},{}]", fixed(x), fixed(y));
                    }
                    Some(t) => {
                        let (e, n) = t
                            .transform(degrees(x), degrees(y))
                            .map_err(ApiError::internal)?;
                        let _ = write!(out, "[{e:.2},{n:.2}]");
                    }
                }
            }
            out.push(']');
        }
        out.push(']');
    }
    out.push_str("]}");
    Ok(())
}

/// A grid value (10⁻⁷ degree) as a decimal with at most 7 places.
fn fixed(v: i32) -> String {
    let s = format!("{:.7}", degrees(v));
    let t = s.trim_end_matches('0');
    t.trim_end_matches('.').to_string()
}

/// The properties of an area in year `y`: the same for every feature of a level, `null` where
/// a value is missing.
pub(crate) fn properties(atlas: &Atlas, area: &Area, y: usize) -> Map<String, Value> {
    let areas = &atlas.areas;
    let year = &area.years[y];
    let mut p = Map::new();
    let opt = |v: Option<f64>| v.map_or(Value::Null, Value::from);
    p.insert("code".into(), area.code.as_ref().into());
    p.insert("name".into(), area.name.as_ref().into());
    p.insert(
        "level".into(),
        atlas.meta.levels[area.level].id.clone().into(),
    );
    p.insert(
        "parent".into(),
        area.parent
            .map_or(Value::Null, |i| areas.list[i].code.as_ref().into()),
    );
    p.insert("year".into(), atlas.meta.years[y].into());
    p.insert("population".into(), opt(year.population));
    put_score(&mut p, "mdi", year.mdi.as_ref());
    if area.level == 0 {
        for (d, domain) in atlas.meta.domains.iter().enumerate() {
            put_score(
                &mut p,
                &domain.id,
                year.domains.get(d).and_then(Option::as_ref),
            );
        }
        p.insert(
            "domains_in_worst_decile".into(),
            opt(year.domains_in_worst_decile.map(f64::from)),
        );
        p.insert(
            "domains_with_data".into(),
            opt(year.domains_with_data.map(f64::from)),
        );
    } else {
        p.insert("share_worst_decile".into(), opt(year.share_worst_decile));
    }
    p.insert("reason".into(), reason(year));
    p.insert("water".into(), area.water.into());
    p
}

fn put_score(p: &mut Map<String, Value>, prefix: &str, s: Option<&Score>) {
    p.insert(
        format!("{prefix}_score"),
        s.map_or(Value::Null, |s| s.score.into()),
    );
    p.insert(
        format!("{prefix}_rank"),
        s.and_then(|s| s.rank).map_or(Value::Null, Value::from),
    );
    p.insert(
        format!("{prefix}_decile"),
        s.and_then(|s| s.decile).map_or(Value::Null, Value::from),
    );
}

/// Why the area has no MDI this year: the reason's code, `null` with an MDI.
fn reason(year: &AreaYear) -> Value {
    year.reason.map_or(Value::Null, |r| Value::from(r.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_selects_one_year_or_says_why_not() {
        let years = [2019, 2020, 2022];
        let p = |t: &str| parse_datetime(Some(t), &years);
        assert_eq!(parse_datetime(None, &years).unwrap(), YearChoice::Year(2));
        assert_eq!(p("2020-06-30").unwrap(), YearChoice::Year(1));
        assert_eq!(p("2020-06-30T12:00:00Z").unwrap(), YearChoice::Year(1));
        assert_eq!(p("2019").unwrap(), YearChoice::Year(0));
        assert_eq!(p("2021-01-01").unwrap(), YearChoice::None);
        assert_eq!(p("2021-01-01/2022-12-31").unwrap(), YearChoice::Year(2));
        assert_eq!(p("../2019-12-31").unwrap(), YearChoice::Year(0));
        assert_eq!(p("2022-01-01/..").unwrap(), YearChoice::Year(2));
        let several = p("2019-01-01/2020-12-31").unwrap_err().message;
        assert!(
            several.contains("2 years") && several.contains("2019, 2020"),
            "{several}"
        );
        for bad in [
            "",
            "yesterday",
            "2020-13-01",
            "2020/2019",
            "../..",
            "2020-01-01X",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters_unknown_twice_or_out_of_range_are_refused() {
        let q = |s: &str| ItemsQuery::parse(query_pairs(Some(s)).unwrap(), &[2022]);
        assert!(
            q("foo=1")
                .unwrap_err()
                .message
                .contains("unknown query parameter `foo`")
        );
        assert!(q("limit=1&limit=2").unwrap_err().message.contains("twice"));
        assert!(q("limit=0").is_err());
        assert!(q("limit=-1").is_err());
        assert!(q("offset=x").is_err());
        assert_eq!(q("limit=20000").unwrap().limit, MAX_LIMIT);
        assert_eq!(q("").unwrap().limit, DEFAULT_LIMIT);
        assert!(q("bbox=1,2,3").is_err());
        assert!(q("bbox=4,53,5,52").is_err());
        assert!(q("bbox=4,52,5,95").is_err());
        assert!(q("crs=EPSG:4326").is_err());
        assert_eq!(
            q("crs=http://www.opengis.net/def/crs/EPSG/0/28992")
                .unwrap()
                .crs,
            OutCrs::RdNew
        );
        assert_eq!(q("bbox=170,0,-170,1").unwrap().bbox.unwrap().len(), 2);
        assert!(q("bbox-crs=EPSG:28992").is_err());
        assert!(q("f=html").is_err());
    }

    #[test]
    fn an_rd_box_becomes_the_wgs84_box_around_it() {
        // RD (155000, 463000) is Amersfoort, 52.1552 N 5.3872 E (crs.rs).
        let q = ItemsQuery::parse(
            query_pairs(Some(
                "bbox=154000,462000,156000,464000&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/28992",
            ))
            .unwrap(),
            &[2022],
        )
        .unwrap();
        let r = q.bbox.unwrap()[0];
        assert!(r.min().x < 5.3872 && r.max().x > 5.3872, "{r:?}");
        assert!(r.min().y < 52.1552 && r.max().y > 52.1552, "{r:?}");
        // 2 km is about 0.029° of longitude and 0.018° of latitude here.
        assert!((r.max().x - r.min().x - 0.0294).abs() < 0.001, "{r:?}");
        assert!((r.max().y - r.min().y - 0.018).abs() < 0.001, "{r:?}");
    }

    #[test]
    fn grid_values_print_without_trailing_zeros() {
        assert_eq!(fixed(52_000_000), "5.2");
        assert_eq!(fixed(-1), "-0.0000001");
        assert_eq!(fixed(0), "0");
    }
}
