//! `/style.json`: the MapLibre style of the choropleth, or its QGIS flavor (the documents are
//! built by [`crate::style`]), and `/fonts/{fontstack}/{range}.pbf`: the glyphs of its labels
//! ([`crate::glyphs`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::header::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::atlas::MapAtlas;
use crate::error::ApiError;
use crate::extract::{ApiQuery, QueryParams, Year, optional};
use crate::http::{base_url, base_url_vary};
use crate::state::Shared;
use crate::style::{Flavor, StyleInput, StyleOptions, Variable};

/// The `flavor` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlavorParam {
    /// `maplibre`: the web client's style, with hover and selection.
    #[default]
    MapLibre,
    /// `qgis`: for QGIS's *Load style from URL*.
    Qgis,
}

impl From<FlavorParam> for Flavor {
    fn from(f: FlavorParam) -> Flavor {
        match f {
            FlavorParam::MapLibre => Flavor::MapLibre,
            FlavorParam::Qgis => Flavor::Qgis,
        }
    }
}

/// The query of `/style.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StyleQuery {
    /// `maplibre` (default) or `qgis`.
    #[serde(default)]
    pub flavor: FlavorParam,
    /// A year of the atlas (default: the last).
    #[serde(default, deserialize_with = "optional")]
    pub year: Option<Year>,
    /// `mdi` (default), a domain id or `domains_in_worst_decile`.
    pub variable: Option<String>,
}

impl QueryParams for StyleQuery {
    const EXPECTED: &'static str = "`flavor` (`maplibre` or `qgis`), `year` (a year of the \
                                    atlas) and `variable` (`mdi`, a domain id or \
                                    `domains_in_worst_decile`)";
}

/// What the style builder needs to know of the atlas, with absolute URLs under `base`.
fn style_input(atlas: &MapAtlas, base: &str) -> StyleInput {
    StyleInput {
        title: atlas.meta.title.clone(),
        attribution: atlas.meta.attribution.clone(),
        tilejson_url: format!("{base}/tiles.json"),
        years: atlas.meta.years.clone(),
        domains: atlas
            .meta
            .domains
            .iter()
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect(),
        levels: atlas.meta.levels.iter().map(|l| l.layer.clone()).collect(),
        bands: atlas
            .meta
            .levels
            .iter()
            .map(|l| l.band.as_ref().map(|b| (b.min, b.max)))
            .collect(),
        glyphs_url: format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"),
        font: crate::glyphs::FONTSTACK.to_string(),
        min_zoom: atlas.tiles.min_zoom,
        max_zoom: atlas.tiles.max_zoom,
        domains_from_zoom: atlas.domains_from_zoom(),
    }
}

/// The MapLibre style (or its QGIS flavor) of the atlas, with absolute URLs under `base`.
///
/// # Errors
/// 400 for a year or variable the atlas does not have (the message names it and the valid
/// ones).
pub fn style_document(atlas: &MapAtlas, base: &str, query: &StyleQuery) -> Result<Value, ApiError> {
    let options = StyleOptions {
        year: query.year.map(|Year(y)| y),
        variable: query
            .variable
            .as_deref()
            .map(Variable::from_id)
            .unwrap_or_default(),
    };
    crate::style::style(&style_input(atlas, base), query.flavor.into(), &options)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// `/style.json?flavor=&year=&variable=`.
///
/// # Errors
/// As [`style_document`].
pub async fn style(
    State(s): State<Shared>,
    ApiQuery(query): ApiQuery<StyleQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let atlas = s.map();
    let public = s.config.public_url.as_deref();
    let base = base_url(public, s.config.trust_proxy, &headers, &uri, &s.bound);
    let mut res = style_document(&atlas, &base, &query)
        .map(Json)?
        .into_response();
    if let Some(vary) = base_url_vary(public, s.config.trust_proxy) {
        res.headers_mut().insert(axum::http::header::VARY, vary);
    }
    Ok(res)
}

/// `/fonts/{fontstack}/{range}.pbf`: one range of glyphs, compiled into the binary.
///
/// # Errors
/// 404 for another font, 400 for a malformed range ([`crate::glyphs::glyph_response`]).
pub async fn glyphs(
    Path((fontstack, range)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::glyphs::glyph_response(&fontstack, &range, &headers)
}
