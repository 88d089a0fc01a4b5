//! `/api/report` and `/api/report/{code}`: the report of the whole atlas or of one area
//! ([`crate::report`]) as JSON, or with `?format=html` as a printable page, `?format=md` as
//! Markdown.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ApiQuery, QueryParams, Year, optional};
use crate::report::{self, ReportOptions};
use crate::state::Shared;

/// The form of a report response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON (`Report`).
    #[default]
    Json,
    /// Printable HTML.
    Html,
    /// Markdown.
    Markdown,
}

impl FromStr for Format {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Format, &'static str> {
        match s {
            "json" => Ok(Format::Json),
            "html" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            _ => Err("expected json, html or md"),
        }
    }
}

/// The query of the report routes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    /// `json` (default), `html` or `md`.
    #[serde(default, deserialize_with = "optional")]
    pub format: Option<Format>,
    /// The year (default: the latest).
    #[serde(default, deserialize_with = "optional")]
    pub year: Option<Year>,
    /// The start year of the changes (default: the first).
    #[serde(default, deserialize_with = "optional")]
    pub from_year: Option<Year>,
}

impl QueryParams for ReportQuery {
    const EXPECTED: &'static str =
        "`format` (json, html or md), `year` and `from_year` (years of the atlas)";
}

/// Builds and renders the report off the async workers (the permutation tests take a while).
async fn respond(
    s: Shared,
    code: Option<String>,
    query: ReportQuery,
) -> Result<Response, ApiError> {
    let atlas = s.atlas()?;
    let options = ReportOptions {
        year: query.year.map(|Year(y)| y),
        from_year: query.from_year.map(|Year(y)| y),
        ..ReportOptions::default()
    };
    let built =
        tokio::task::spawn_blocking(move || report::build(&atlas, code.as_deref(), &[], &options))
            .await
            .map_err(|e| ApiError::internal(format!("the report failed: {e}")))?;
    let report = built.map_err(|e| {
        let message = match &e {
            crate::ServerError::Atlas { message, .. } => message.clone(),
            other => other.to_string(),
        };
        if report::is_unknown_area(&e) {
            ApiError::not_found(message)
        } else {
            ApiError::bad_request(message)
        }
    })?;
    Ok(match query.format.unwrap_or_default() {
        Format::Json => axum::Json(report).into_response(),
        Format::Html => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            report::render_html(&report),
        )
            .into_response(),
        Format::Markdown => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            report::render_markdown(&report),
        )
            .into_response(),
    })
}

/// `/api/report`: the whole atlas.
///
/// # Errors
/// 400 for a year the atlas does not have.
pub async fn whole(
    State(s): State<Shared>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    respond(s, None, query).await
}

/// `/api/report/{code}`: one area.
///
/// # Errors
/// 404 naming the code when no area has it; 400 for a year the atlas does not have.
pub async fn area(
    State(s): State<Shared>,
    Path(code): Path<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    respond(s, Some(code), query).await
}
