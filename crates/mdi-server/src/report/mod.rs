//! The report (issue 14): the analysis of an atlas or of one of its areas, as one document
//! ([`Report`]) that `mdi-atlas report` prints and `/api/report` serves, rendered as JSON,
//! Markdown ([`render_markdown`]) or printable HTML with inline SVG charts ([`render_html`]).
//! `docs/REPORT.md` describes every figure.
//!
//! - [`model`]: the document's types (serde, and TypeScript through ts-rs in
//!   `web/src/generated/report.ts`, see [`bindings`]);
//! - [`compare`]: comparison tables (`comparison.csv`, `--compare`);
//! - [`build`] assembles the document from a loaded [`Atlas`]: district measures, trends,
//!   persistence, divergence, correlations and clusters, with the statistics of
//!   [`mdi_core::analysis`];
//! - [`render`]: Markdown and HTML, with the charts of [`charts`].

pub mod bindings;
mod change;
pub mod charts;
mod clusters;
pub mod compare;
mod correlate;
mod district;
mod headline;
pub mod model;
pub mod render;
mod scope;

pub use clusters::NationalLocal;
pub use compare::{CompareRow, CompareTable};
pub use model::Report;
pub use render::{render_html, render_markdown};

use mdi_core::analysis::spatial::{DEFAULT_PERMUTATIONS, DEFAULT_SEED};

use crate::Atlas;
use crate::error::ServerError;
use model::{ReportArea, ReportAtlas};
use scope::Scope;

/// How to make a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The year of the one-year figures and the end of the changes (default: the latest).
    pub year: Option<i32>,
    /// The start of the changes (default: the first year).
    pub from_year: Option<i32>,
    /// Permutations of the Moran tests.
    pub permutations: u32,
    /// Seed of the permutations.
    pub seed: u64,
    /// Local clusters significant after the false-discovery rate (Benjamini–Hochberg) rather
    /// than at α = 0.05 per area.
    pub fdr: bool,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            year: None,
            from_year: None,
            permutations: DEFAULT_PERMUTATIONS,
            seed: DEFAULT_SEED,
            fdr: false,
        }
    }
}

/// Why a report cannot be made for the request: the message says what was expected.
fn invalid(atlas: &Atlas, message: String) -> ServerError {
    ServerError::Atlas {
        path: atlas.dir.clone(),
        message,
    }
}

/// The position of `year` in the atlas's years, or an error naming them.
fn year_index(atlas: &Atlas, year: i32, what: &str) -> Result<usize, ServerError> {
    atlas
        .meta
        .years
        .iter()
        .position(|&y| y == year)
        .ok_or_else(|| {
            let years: Vec<String> = atlas.meta.years.iter().map(i32::to_string).collect();
            invalid(
                atlas,
                format!(
                    "{what} {year} is not a year of the atlas ({})",
                    years.join(", ")
                ),
            )
        })
}

/// Builds the report of the whole atlas (`area` `None`) or of the area with code `area`,
/// with the comparison indicators of the atlas (`comparison.csv`) and of `compare`.
///
/// # Errors
/// [`ServerError::Atlas`] for an unknown area code (the message starts with `no area`), a year
/// the atlas lacks, or an atlas without years.
pub fn build(
    atlas: &Atlas,
    area: Option<&str>,
    compare: &[CompareTable],
    options: &ReportOptions,
) -> Result<Report, ServerError> {
    let last = *atlas
        .meta
        .years
        .last()
        .ok_or_else(|| invalid(atlas, "the atlas has no years".into()))?;
    let y = year_index(atlas, options.year.unwrap_or(last), "--year")?;
    let from = year_index(
        atlas,
        options.from_year.unwrap_or(atlas.meta.years[0]),
        "--from-year",
    )?;
    let area = match area {
        Some(code) => Some(
            atlas
                .areas
                .find(code)
                .ok_or_else(|| invalid(atlas, format!("no area {code} in the atlas")))?,
        ),
        None => None,
    };
    let scope = Scope::new(atlas, area, y, from);
    let districts = district::districts(&scope);
    let mut report = Report {
        atlas: ReportAtlas {
            title: atlas.meta.title.clone(),
            synthetic: atlas.meta.synthetic,
        },
        area: area.map(|i| {
            let a = &atlas.areas.list[i];
            ReportArea {
                code: a.code.to_string(),
                name: a.name.to_string(),
                level: atlas.meta.levels[a.level].id.clone(),
            }
        }),
        year: atlas.meta.years[y],
        years: atlas.meta.years.clone(),
        headline: Vec::new(),
        share_worst_decile: district::share_worst_decile(&scope),
        district: districts.own,
        districts: districts.children,
        trends: change::trends(&scope),
        persistence: None,
        transitions: None,
        area_changes: change::area_changes(&scope),
        divergence: change::divergence(&scope),
        divergence_by_gemeente: change::divergence_by_gemeente(&scope),
        correlations: Vec::new(),
        comparators: Vec::new(),
        caveats: Vec::new(),
        clusters: clusters::clusters(&scope, options),
    };
    (report.persistence, report.transitions) = change::persistence(&scope);
    (report.correlations, report.comparators) = correlate::correlations(&scope, compare);
    report.headline = headline::headline(&scope, &report);
    report.caveats = headline::caveats(&scope, &report);
    Ok(report)
}

/// Whether a [`build`] error is an unknown area (for a 404).
pub fn is_unknown_area(e: &ServerError) -> bool {
    matches!(e, ServerError::Atlas { message, .. } if message.starts_with("no area "))
}
