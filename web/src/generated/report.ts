// GENERATED from the Rust types of crates/mdi-server/src/report (ts-rs): do not edit.
// Regenerate with: MDI_UPDATE_TS=1 cargo test -p mdi-server generated_report_ts
// The report is documented in docs/REPORT.md.

/**
 * The analysis of an atlas, or of one area of it.
 */
export type Report = {
/**
 * The atlas.
 */
atlas: ReportAtlas,
/**
 * The area reported on; `null` for the whole atlas.
 */
area: ReportArea | null,
/**
 * The year of the figures that are of one year (the latest, or `--year`).
 */
year: number,
/**
 * Every year of the atlas, ascending.
 */
years: Array<number>,
/**
 * Headline sentences in Dutch.
 */
headline: Array<string>,
/**
 * The population share (0–1) of the area (or the whole atlas) living in areas of the
 * index unit in the national worst MDI decile in `year`; `null` without ranked inhabitants.
 */
share_worst_decile: number | null,
/**
 * The district measures of the area with its ranks among the areas of its level; `null`
 * for the whole atlas and for an area of the index unit.
 */
district: District | null,
/**
 * The districts: every area of the top level for the whole atlas, the area's children one
 * level down for an area (none when they are the index unit).
 */
districts: Array<District>,
/**
 * The population-weighted mean pooled score per year, for the MDI and every domain.
 */
trends: Array<Trend>,
/**
 * Persistence of the worst MDI decile between `from_year` and `to_year`.
 */
persistence: PersistenceOut | null,
/**
 * The MDI decile transitions between `from_year` and `to_year`.
 */
transitions: TransitionsOut | null,
/**
 * Per area of the index unit in an area report (empty for the whole atlas): its national
 * rank and decile in the two years compared and the change (METHOD §6), largest move
 * toward rank 1 first.
 */
area_changes: Array<AreaChange>,
/**
 * Divergence: the regression of the change in pooled MDI on the pooled MDI at the start.
 */
divergence: Divergence | null,
/**
 * The same regression per gemeente (gemeenten with at least 10 areas).
 */
divergence_by_gemeente: Array<GemeenteDivergence>,
/**
 * Correlations of the comparison indicators with the MDI and the domains.
 */
correlations: Array<CorrelationOut>,
/**
 * The comparison indicators used, where they come from and what did not match.
 */
comparators: Array<Comparator>,
/**
 * What the figures cannot say, in Dutch.
 */
caveats: Array<string>,
/**
 * Spatial clusters of the MDI in `year`.
 */
clusters: Clusters | null, };

/**
 * The atlas of a report.
 */
export type ReportAtlas = {
/**
 * Its title.
 */
title: string,
/**
 * Whether its data is the generated (synthetic) demo.
 */
synthetic: boolean, };

/**
 * The area of a report.
 */
export type ReportArea = {
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level id (`gemeente`).
 */
level: string, };

/**
 * The summary measures of one district (METHOD §1.8, §5) in the report's year, over its
 * ranked areas of the index unit with their national ranks.
 */
export type District = {
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level id.
 */
level: string,
/**
 * The number of ranked areas of the index unit in it.
 */
areas: number,
/**
 * Their inhabitants.
 */
population: number,
/**
 * Population-weighted average MDI score.
 */
average_score: number,
/**
 * Population-weighted average of `N + 1 − rank` (higher = more deprived).
 */
average_rank: number,
/**
 * Extent (0–1).
 */
extent: number,
/**
 * Local concentration.
 */
local_concentration: number,
/**
 * Share of its areas in the national worst decile (a count of areas).
 */
proportion_worst_decile: number,
/**
 * Share of its inhabitants in areas of the national worst decile.
 */
share_worst_decile: number,
/**
 * Share of its inhabitants per national decile (index 0 = decile 1).
 */
decile_shares: Array<number>,
/**
 * Its ranks among the districts of its level.
 */
ranks: DistrictRanks,
/**
 * The number of districts of its level with measures.
 */
of: number, };

/**
 * The ranks of a district's measures among the districts of its level (1 = most deprived).
 */
export type DistrictRanks = {
/**
 * Rank on the population-weighted average score.
 */
average_score: number | null,
/**
 * Rank on the population-weighted average rank.
 */
average_rank: number | null,
/**
 * Rank on extent.
 */
extent: number | null,
/**
 * Rank on local concentration.
 */
local_concentration: number | null,
/**
 * Rank on the proportion of areas in the worst decile.
 */
proportion_worst_decile: number | null,
/**
 * Rank on the population share in the worst decile.
 */
share_worst_decile: number | null, };

/**
 * The trend of the MDI or one domain on pooled scores.
 */
export type Trend = {
/**
 * `mdi` or the domain id.
 */
domain: string,
/**
 * The display name.
 */
name: string,
/**
 * The years.
 */
years: Array<number>,
/**
 * Per year, the population-weighted mean pooled score; `null` without data.
 */
mean: Array<number | null>,
/**
 * The last mean with data less the first, never across a series break: over the longest
 * stretch of years without a break (the later of equally long ones); `null` with fewer
 * than two years with data in it.
 */
change: number | null,
/**
 * The first year of `change`.
 */
change_from: number | null,
/**
 * The last year of `change`.
 */
change_to: number | null,
/**
 * Whether the mean rose (more deprived) over `change`.
 */
worsening: boolean,
/**
 * The years of series breaks of the domain's indicators (all domains for the MDI).
 */
breaks: Array<number>, };

/**
 * Persistence of the worst decile (METHOD §6).
 */
export type PersistenceOut = {
/**
 * The start year.
 */
from_year: number,
/**
 * The end year.
 */
to_year: number,
/**
 * Areas in the worst decile at the end (and ranked at the start).
 */
worst_at_end: number,
/**
 * Of those, the areas also in the worst decile at the start.
 */
also_worst_at_start: number,
/**
 * `also_worst_at_start / worst_at_end`; `null` when none is in the worst decile.
 */
share: number | null, };

/**
 * The decile transition matrix (METHOD §6).
 */
export type TransitionsOut = {
/**
 * The start year.
 */
from_year: number,
/**
 * The end year.
 */
to_year: number,
/**
 * `counts[a-1][b-1]`: areas in decile a at the start and b at the end.
 */
counts: Array<Array<number>>,
/**
 * The counts as shares of their row (0 where a row is empty).
 */
shares: Array<Array<number>>, };

/**
 * One area's change between the two years compared (persistence's `from_year`, `to_year`).
 */
export type AreaChange = {
/**
 * The code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * National MDI rank at the start (1 = most deprived).
 */
rank_from: number,
/**
 * National MDI rank at the end.
 */
rank_to: number,
/**
 * National decile at the start.
 */
decile_from: number,
/**
 * National decile at the end.
 */
decile_to: number,
/**
 * Percentile change `100·(r0/N0 − r1/N1)`: positive = moved toward rank 1 (relatively
 * more deprived); N differs between years, so percentiles, not ranks, are compared.
 */
percentile_change: number,
/**
 * The change of the pooled MDI score (comparable in level); `null` without pooled scores.
 */
pooled_change: number | null, };

/**
 * β-divergence on pooled MDI scores (METHOD §6): OLS of `MDI_t1 − MDI_t0` on `MDI_t0`.
 */
export type Divergence = {
/**
 * The slope; > 0: the more deprived areas improved less (divergence).
 */
beta: number,
/**
 * Lower end of its 95 % interval.
 */
ci_low: number,
/**
 * Upper end of its 95 % interval.
 */
ci_high: number,
/**
 * The number of areas.
 */
n: number,
/**
 * The start year.
 */
from_year: number,
/**
 * The end year.
 */
to_year: number,
/**
 * Two-sided p-value of β.
 */
p_value: number,
/**
 * The intercept.
 */
alpha: number,
/**
 * Which scores: always `pooled`.
 */
scores: string, };

/**
 * β-divergence within one gemeente.
 */
export type GemeenteDivergence = {
/**
 * The gemeente code.
 */
code: string,
/**
 * Its name.
 */
name: string,
/**
 * The slope.
 */
beta: number,
/**
 * Lower end of its 95 % interval.
 */
ci_low: number,
/**
 * Upper end of its 95 % interval.
 */
ci_high: number,
/**
 * The number of areas.
 */
n: number, };

/**
 * One correlation coefficient (METHOD §7).
 */
export type CorrelationOut = {
/**
 * The comparison indicator.
 */
indicator: string,
/**
 * `mdi` or a domain id.
 */
against: string,
/**
 * The level id of the areas (`buurt`, `wijk`, `gemeente`).
 */
level: string,
/**
 * `pearson`, `weighted-pearson` (weights: population) or `spearman`.
 */
method: string,
/**
 * The year.
 */
year: number,
/**
 * The coefficient.
 */
r: number,
/**
 * Lower end of the 95 % Fisher interval.
 */
ci_low: number,
/**
 * Upper end of the 95 % Fisher interval.
 */
ci_high: number,
/**
 * The number of areas.
 */
n: number,
/**
 * Two-sided p-value (t with n − 2 degrees of freedom; ignores spatial autocorrelation).
 */
p_value: number, };

/**
 * A comparison indicator of the report.
 */
export type Comparator = {
/**
 * The column id.
 */
id: string,
/**
 * The display name.
 */
name: string,
/**
 * Where it comes from: `comparison.csv` or the `--compare` file.
 */
source: string,
/**
 * Rows of the source whose code is no area of the atlas.
 */
unmatched_codes: number, };

/**
 * Local and global Moran's I of the MDI (queen contiguity, row-standardised).
 */
export type Clusters = {
/**
 * The year.
 */
year: number,
/**
 * Global Moran's I over the report's areas (`null` with fewer than three).
 */
moran_i: number | null,
/**
 * Its permutation p-value.
 */
p_value: number | null,
/**
 * Its z-value under normality.
 */
z_norm: number | null,
/**
 * The permutations.
 */
permutations: number,
/**
 * The seed of the permutations.
 */
seed: bigint,
/**
 * Whether local significance used the false-discovery rate.
 */
fdr: boolean,
/**
 * Codes of the high-high areas (hotspots).
 */
hotspots: Array<string>,
/**
 * Codes of the low-low areas.
 */
coldspots: Array<string>,
/**
 * Codes of the high-low and low-high areas.
 */
outliers: Array<string>,
/**
 * Codes of the ranked areas without ranked neighbours.
 */
islands: Array<string>,
/**
 * Areas per class (`high-high`, …, `island`).
 */
counts: { [key in string]: number },
/**
 * Getis–Ord Gi* (self included, row-standardised queen weights, the same permutations):
 * codes of the areas with a significantly high local mean (z > 0).
 */
gi_hotspots: Array<string>,
/**
 * Gi*: codes of the areas with a significantly low local mean (z < 0).
 */
gi_coldspots: Array<string>, };
