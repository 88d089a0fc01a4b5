//! The report document: what `mdi-atlas report --format json` prints and `/api/report` serves
//! (`docs/REPORT.md`). Every top-level key is always present, `null` or `[]` where it does not
//! apply. Decile 1 and rank 1 are the most deprived everywhere; a higher score is more deprived.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The analysis of an atlas, or of one area of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Report {
    /// The atlas.
    pub atlas: ReportAtlas,
    /// The area reported on; `null` for the whole atlas.
    pub area: Option<ReportArea>,
    /// The year of the figures that are of one year (the latest, or `--year`).
    pub year: i32,
    /// Every year of the atlas, ascending.
    pub years: Vec<i32>,
    /// Headline sentences in Dutch.
    pub headline: Vec<String>,
    /// The population share (0–1) of the area (or the whole atlas) living in areas of the
    /// index unit in the national worst MDI decile in `year`; `null` without ranked inhabitants.
    pub share_worst_decile: Option<f64>,
    /// The district measures of the area with its ranks among the areas of its level; `null`
    /// for the whole atlas and for an area of the index unit.
    pub district: Option<District>,
    /// The districts: every area of the top level for the whole atlas, the area's children one
    /// level down for an area (none when they are the index unit).
    pub districts: Vec<District>,
    /// The population-weighted mean pooled score per year, for the MDI and every domain.
    pub trends: Vec<Trend>,
    /// Persistence of the worst MDI decile between `from_year` and `to_year`.
    pub persistence: Option<PersistenceOut>,
    /// The MDI decile transitions between `from_year` and `to_year`.
    pub transitions: Option<TransitionsOut>,
    /// Per area of the index unit in an area report (empty for the whole atlas): its national
    /// rank and decile in the two years compared and the change (METHOD §6), largest move
    /// toward rank 1 first.
    pub area_changes: Vec<AreaChange>,
    /// Divergence: the regression of the change in pooled MDI on the pooled MDI at the start.
    pub divergence: Option<Divergence>,
    /// The same regression per gemeente (gemeenten with at least 10 areas).
    pub divergence_by_gemeente: Vec<GemeenteDivergence>,
    /// Correlations of the comparison indicators with the MDI and the domains.
    pub correlations: Vec<CorrelationOut>,
    /// The comparison indicators used, where they come from and what did not match.
    pub comparators: Vec<Comparator>,
    /// What the figures cannot say, in Dutch.
    pub caveats: Vec<String>,
    /// Spatial clusters of the MDI in `year`.
    pub clusters: Option<Clusters>,
}

/// The atlas of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportAtlas {
    /// Its title.
    pub title: String,
    /// Whether its data is the generated (synthetic) demo.
    pub synthetic: bool,
}

/// The area of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportArea {
    /// The area code.
    pub code: String,
    /// The name.
    pub name: String,
    /// The level id (`gemeente`).
    pub level: String,
}

/// The ranks of a district's measures among the districts of its level (1 = most deprived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DistrictRanks {
    /// Rank on the population-weighted average score.
    pub average_score: Option<u32>,
    /// Rank on the population-weighted average rank.
    pub average_rank: Option<u32>,
    /// Rank on extent.
    pub extent: Option<u32>,
    /// Rank on local concentration.
    pub local_concentration: Option<u32>,
    /// Rank on the proportion of areas in the worst decile.
    pub proportion_worst_decile: Option<u32>,
    /// Rank on the population share in the worst decile.
    pub share_worst_decile: Option<u32>,
}

/// The summary measures of one district (METHOD §1.8, §5) in the report's year, over its
/// ranked areas of the index unit with their national ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct District {
    /// The area code.
    pub code: String,
    /// The name.
    pub name: String,
    /// The level id.
    pub level: String,
    /// The number of ranked areas of the index unit in it.
    pub areas: usize,
    /// Their inhabitants.
    pub population: f64,
    /// Population-weighted average MDI score.
    pub average_score: f64,
    /// Population-weighted average of `N + 1 − rank` (higher = more deprived).
    pub average_rank: f64,
    /// Extent (0–1).
    pub extent: f64,
    /// Local concentration.
    pub local_concentration: f64,
    /// Share of its areas in the national worst decile (a count of areas).
    pub proportion_worst_decile: f64,
    /// Share of its inhabitants in areas of the national worst decile.
    pub share_worst_decile: f64,
    /// Share of its inhabitants per national decile (index 0 = decile 1).
    pub decile_shares: Vec<f64>,
    /// Its ranks among the districts of its level.
    pub ranks: DistrictRanks,
    /// The number of districts of its level with measures.
    pub of: usize,
}

/// The trend of the MDI or one domain on pooled scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Trend {
    /// `mdi` or the domain id.
    pub domain: String,
    /// The display name.
    pub name: String,
    /// The years.
    pub years: Vec<i32>,
    /// Per year, the population-weighted mean pooled score; `null` without data.
    pub mean: Vec<Option<f64>>,
    /// The last mean with data less the first, never across a series break: over the longest
    /// stretch of years without a break (the later of equally long ones); `null` with fewer
    /// than two years with data in it.
    pub change: Option<f64>,
    /// The first year of `change`.
    pub change_from: Option<i32>,
    /// The last year of `change`.
    pub change_to: Option<i32>,
    /// Whether the mean rose (more deprived) over `change`.
    pub worsening: bool,
    /// The years of series breaks of the domain's indicators (all domains for the MDI).
    pub breaks: Vec<i32>,
}

/// One area's change between the two years compared (persistence's `from_year`, `to_year`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AreaChange {
    /// The code.
    pub code: String,
    /// The name.
    pub name: String,
    /// National MDI rank at the start (1 = most deprived).
    pub rank_from: u32,
    /// National MDI rank at the end.
    pub rank_to: u32,
    /// National decile at the start.
    pub decile_from: u8,
    /// National decile at the end.
    pub decile_to: u8,
    /// Percentile change `100·(r0/N0 − r1/N1)`: positive = moved toward rank 1 (relatively
    /// more deprived); N differs between years, so percentiles, not ranks, are compared.
    pub percentile_change: f64,
    /// The change of the pooled MDI score (comparable in level); `null` without pooled scores.
    pub pooled_change: Option<f64>,
}

/// Persistence of the worst decile (METHOD §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PersistenceOut {
    /// The start year.
    pub from_year: i32,
    /// The end year.
    pub to_year: i32,
    /// Areas in the worst decile at the end (and ranked at the start).
    pub worst_at_end: usize,
    /// Of those, the areas also in the worst decile at the start.
    pub also_worst_at_start: usize,
    /// `also_worst_at_start / worst_at_end`; `null` when none is in the worst decile.
    pub share: Option<f64>,
}

/// The decile transition matrix (METHOD §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TransitionsOut {
    /// The start year.
    pub from_year: i32,
    /// The end year.
    pub to_year: i32,
    /// `counts[a-1][b-1]`: areas in decile a at the start and b at the end.
    pub counts: Vec<Vec<u32>>,
    /// The counts as shares of their row (0 where a row is empty).
    pub shares: Vec<Vec<f64>>,
}

/// β-divergence on pooled MDI scores (METHOD §6): OLS of `MDI_t1 − MDI_t0` on `MDI_t0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Divergence {
    /// The slope; > 0: the more deprived areas improved less (divergence).
    pub beta: f64,
    /// Lower end of its 95 % interval.
    pub ci_low: f64,
    /// Upper end of its 95 % interval.
    pub ci_high: f64,
    /// The number of areas.
    pub n: usize,
    /// The start year.
    pub from_year: i32,
    /// The end year.
    pub to_year: i32,
    /// Two-sided p-value of β.
    pub p_value: f64,
    /// The intercept.
    pub alpha: f64,
    /// Which scores: always `pooled`.
    pub scores: String,
    /// The points (MDI at the start, change), for the chart; not in the JSON.
    #[serde(skip)]
    #[ts(skip)]
    pub points: Vec<(f64, f64)>,
}

/// β-divergence within one gemeente.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GemeenteDivergence {
    /// The gemeente code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The slope.
    pub beta: f64,
    /// Lower end of its 95 % interval.
    pub ci_low: f64,
    /// Upper end of its 95 % interval.
    pub ci_high: f64,
    /// The number of areas.
    pub n: usize,
}

/// One correlation coefficient (METHOD §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CorrelationOut {
    /// The comparison indicator.
    pub indicator: String,
    /// `mdi` or a domain id.
    pub against: String,
    /// The level id of the areas (`buurt`, `wijk`, `gemeente`).
    pub level: String,
    /// `pearson`, `weighted-pearson` (weights: population) or `spearman`.
    pub method: String,
    /// The year.
    pub year: i32,
    /// The coefficient.
    pub r: f64,
    /// Lower end of the 95 % Fisher interval.
    pub ci_low: f64,
    /// Upper end of the 95 % Fisher interval.
    pub ci_high: f64,
    /// The number of areas.
    pub n: usize,
    /// Two-sided p-value (t with n − 2 degrees of freedom; ignores spatial autocorrelation).
    pub p_value: f64,
}

/// A comparison indicator of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Comparator {
    /// The column id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// Where it comes from: `comparison.csv` or the `--compare` file.
    pub source: String,
    /// Rows of the source whose code is no area of the atlas.
    pub unmatched_codes: usize,
}

/// Local and global Moran's I of the MDI (queen contiguity, row-standardised).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Clusters {
    /// The year.
    pub year: i32,
    /// Global Moran's I over the report's areas (`null` with fewer than three).
    pub moran_i: Option<f64>,
    /// Its permutation p-value.
    pub p_value: Option<f64>,
    /// Its z-value under normality.
    pub z_norm: Option<f64>,
    /// The permutations.
    pub permutations: u32,
    /// The seed of the permutations.
    pub seed: u64,
    /// Whether local significance used the false-discovery rate.
    pub fdr: bool,
    /// Codes of the high-high areas (hotspots).
    pub hotspots: Vec<String>,
    /// Codes of the low-low areas.
    pub coldspots: Vec<String>,
    /// Codes of the high-low and low-high areas.
    pub outliers: Vec<String>,
    /// Codes of the ranked areas without ranked neighbours.
    pub islands: Vec<String>,
    /// Areas per class (`high-high`, …, `island`).
    pub counts: BTreeMap<String, u32>,
    /// Getis–Ord Gi* (self included, row-standardised queen weights, the same permutations):
    /// codes of the areas with a significantly high local mean (z > 0).
    pub gi_hotspots: Vec<String>,
    /// Gi*: codes of the areas with a significantly low local mean (z < 0).
    pub gi_coldspots: Vec<String>,
}
