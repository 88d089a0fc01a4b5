//! The JSON API: `/api/meta`, `/api/areas/{code}`, `/api/search`, `/api/point` and
//! `/api/breaks` (the documents are built by [`crate::api`]). Each answers 503 with
//! `Retry-After: 1` while the atlas loads ([`crate::state`]).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::api::{self, AreaResponse, BreaksResponse, MetaResponse, PointResponse, SearchResponse};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Latitude, Limit, Longitude, QueryParams, Year, optional, required};
use crate::state::Shared;

/// `/api/meta`.
///
/// # Errors
/// 503 while the atlas loads (as every API route).
pub async fn meta(State(s): State<Shared>) -> Result<Json<MetaResponse>, ApiError> {
    Ok(Json(api::meta(&*s.atlas()?, s.config.basemap.as_deref())))
}

/// `/api/areas/{code}`.
///
/// # Errors
/// 404 naming the code when no area has it.
pub async fn area(
    State(s): State<Shared>,
    Path(code): Path<String>,
) -> Result<Json<AreaResponse>, ApiError> {
    api::area(&*s.atlas()?, &code).map(Json)
}

/// The query of `/api/search`.
#[derive(Debug, Clone, Deserialize)]
pub struct SearchQuery {
    /// The name or code to search for.
    pub q: String,
    /// The most results (1–50, default 10).
    #[serde(default, deserialize_with = "optional")]
    pub limit: Option<Limit>,
}

impl QueryParams for SearchQuery {
    const EXPECTED: &'static str =
        "`q` (a name or code to search for) and `limit` (a whole number from 1 to 50)";
}

/// `/api/search?q=&limit=`.
///
/// # Errors
/// 503 while the atlas loads.
pub async fn search(
    State(s): State<Shared>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Limit(limit) = query.limit.unwrap_or_default();
    Ok(Json(api::search(&*s.atlas()?, &query.q, limit)))
}

/// The query of `/api/point`.
#[derive(Debug, Clone, Deserialize)]
pub struct PointQuery {
    /// Longitude, WGS84 (EPSG:4326) degrees.
    #[serde(deserialize_with = "required")]
    pub lon: Longitude,
    /// Latitude, WGS84 (EPSG:4326) degrees.
    #[serde(deserialize_with = "required")]
    pub lat: Latitude,
}

impl QueryParams for PointQuery {
    const EXPECTED: &'static str = "`lon` and `lat` in WGS84 degrees";
}

/// `/api/point?lon=&lat=` (WGS84 degrees).
///
/// # Errors
/// 503 while the atlas loads.
pub async fn point(
    State(s): State<Shared>,
    ApiQuery(query): ApiQuery<PointQuery>,
) -> Result<Json<PointResponse>, ApiError> {
    let (Longitude(lon), Latitude(lat)) = (query.lon, query.lat);
    Ok(Json(api::point(&*s.atlas()?, lon, lat)))
}

/// The query of `/api/breaks`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BreaksQuery {
    /// `domain:weight,…`; the domains not listed keep the profile's weight.
    pub weights: Option<String>,
    /// A year of the atlas (default: the last).
    #[serde(default, deserialize_with = "optional")]
    pub year: Option<Year>,
}

impl QueryParams for BreaksQuery {
    const EXPECTED: &'static str = "`weights` (`domain:weight,…`, e.g. `inkomen:0.3,werk:0.2`) and `year` (a year of the atlas)";
}

/// `/api/breaks?weights=&year=`.
///
/// # Errors
/// 400 for invalid weights or a year the atlas does not have.
pub async fn breaks(
    State(s): State<Shared>,
    ApiQuery(query): ApiQuery<BreaksQuery>,
) -> Result<Json<BreaksResponse>, ApiError> {
    let atlas = s.atlas()?;
    let weights = api::parse_weights(&atlas.meta.domains, query.weights.as_deref())?;
    api::breaks(&atlas, &weights, query.year.map(|Year(y)| y)).map(Json)
}
