//! The server's request parsers, as the routes call them: the tile path
//! (`tiles::parse_tile_path`), the glyph range (`glyphs::parse_range`), each API route's
//! query string (`Query::<T>::try_from_uri`, the extractor behind `ApiQuery`) and the
//! `weights` of `/api/breaks` (`api::parse_weights`). The first line of the input is the path,
//! the rest the query string. Asserts no panic.
#![no_main]

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;
use mdi_server::api::parse_weights;
use mdi_server::atlas::Domain;
use mdi_server::routes::api::{BreaksQuery, PointQuery, SearchQuery};
use mdi_server::routes::report::ReportQuery;
use mdi_server::routes::styles::StyleQuery;

fn domains() -> Vec<Domain> {
    ["inkomen", "werk", "opleiding", "gezondheid"]
        .iter()
        .map(|id| Domain {
            id: (*id).to_string(),
            name: (*id).to_string(),
            names: BTreeMap::new(),
            weight: 0.25,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, query) = text.split_once('\n').unwrap_or((text, ""));
    let segments: Vec<&str> = path.rsplitn(3, '/').collect();
    if let [y, x, z] = segments[..] {
        let _ = mdi_server::tiles::parse_tile_path(z, x, y);
    }
    let _ = mdi_server::glyphs::parse_range(path);
    let _ = parse_weights(&domains(), Some(query));
    let Ok(uri) = format!("/api/x?{query}").parse::<Uri>() else {
        return;
    };
    let _ = Query::<SearchQuery>::try_from_uri(&uri);
    let _ = Query::<PointQuery>::try_from_uri(&uri);
    if let Ok(Query(q)) = Query::<BreaksQuery>::try_from_uri(&uri) {
        let _ = parse_weights(&domains(), q.weights.as_deref());
    }
    let _ = Query::<ReportQuery>::try_from_uri(&uri);
    let _ = Query::<StyleQuery>::try_from_uri(&uri);
});
