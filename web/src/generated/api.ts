// GENERATED from the Rust types of crates/mdi-server (ts-rs): do not edit.
// Regenerate with: MDI_UPDATE_TS=1 cargo test -p mdi-server generated_ts
// The JSON API is documented in docs/API.md.

/**
 * `/api/meta`: what the atlas holds.
 */
export type MetaResponse = {
/**
 * Title.
 */
title: string,
/**
 * Description.
 */
description: string,
/**
 * Attribution of the data.
 */
attribution: string,
/**
 * Whether the data is the generated demo.
 */
synthetic: boolean,
/**
 * `per-year` or `pooled` ranking.
 */
ranking: "per-year" | "pooled",
/**
 * The years.
 */
years: Array<number>,
/**
 * The domains with their weights.
 */
domains: Array<DomainInfo>,
/**
 * The levels, index unit first.
 */
levels: Array<LevelInfo>,
/**
 * The layer within which `within` ranks are computed (`gemeenten`).
 */
within: string | null,
/**
 * West, south, east, north in WGS84 degrees.
 */
bounds: [number, number, number, number],
/**
 * Longitude, latitude (WGS84) and zoom of the default view.
 */
center: [number, number, number],
/**
 * Lowest tile zoom.
 */
min_zoom: number,
/**
 * Highest tile zoom.
 */
max_zoom: number,
/**
 * The property set of the tiles per zoom (`full`, `map`, `minimal`); null when the tiles
 * do not say.
 */
properties_by_zoom: { [key in string]: PropertySet } | null,
/**
 * The first zoom whose tiles carry every property (needed for re-weighting).
 */
full_from_zoom: number | null,
/**
 * The profile; null when `metadata.json` names none.
 */
profile: ProfileInfo | null,
/**
 * When the atlas was built.
 */
built_at: string,
/**
 * The program that built it.
 */
generator: string,
/**
 * The files `/download/{file}` serves for this atlas.
 */
downloads: Array<string>,
/**
 * Per year: the domains behind the MDI of most areas, the weights actually used after
 * re-spreading, and the grey areas by reason; empty for atlases of format < 1.2.
 */
year_info: Array<YearInfo>,
/**
 * Series breaks: from `year` on an indicator is defined differently, so its domain and
 * the MDI are not comparable across that year.
 */
series_breaks: Array<SeriesBreak>,
/**
 * The background map's MapLibre style URL that the server was started with
 * (`serve --basemap URL`); null: no background map by default.
 */
basemap: string | null, };

/**
 * `/api/areas/{code}`: one area in every year, with its parents.
 */
export type AreaResponse = {
/**
 * The level's display name.
 */
level_name: string,
/**
 * Never ranked: draw as no data.
 */
nodata: boolean,
/**
 * Water only.
 */
water: boolean,
/**
 * No extent in the source (label point only).
 */
collapsed: boolean,
/**
 * False for a code with scores but no polygon in the area files: it is not on the map.
 */
polygon: boolean,
/**
 * The layer within which `within` ranks are computed.
 */
within: string | null,
/**
 * Every year of the atlas.
 */
years: Array<YearOut>,
/**
 * The parent chain, nearest first, with their summaries.
 */
parents: Array<ParentOut>,
/**
 * Number of areas one level down whose parent this is.
 */
children: number,
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level's layer name (`buurten`).
 */
level: string,
/**
 * The feature id of the area in every tile layer (for MapLibre `feature-state`); below
 * 2^53, so exact as a JavaScript number.
 */
id: number,
/**
 * West, south, east, north in WGS84 (EPSG:4326) degrees; null without geometry.
 */
bbox: [number, number, number, number] | null, };

/**
 * `/api/search`: results, best first.
 */
export type SearchResponse = {
/**
 * The query as given.
 */
query: string,
/**
 * The results.
 */
results: Array<SearchResult>, };

/**
 * `/api/point`: the areas at a point.
 */
export type PointResponse = {
/**
 * Longitude (WGS84).
 */
lon: number,
/**
 * Latitude (WGS84).
 */
lat: number,
/**
 * The areas containing the point, finest level first (empty outside the atlas).
 */
areas: Array<AreaRef>, };

/**
 * `/api/breaks`: the class breaks of the MDI recomputed with custom weights.
 */
export type BreaksResponse = {
/**
 * The year (null for pooled ranking over all years).
 */
year: number | null,
/**
 * `per-year` or `pooled`.
 */
ranking: "per-year" | "pooled",
/**
 * The weights used, per domain.
 */
weights: Array<WeightOut>,
/**
 * Number of areas ranked.
 */
n: number,
/**
 * Nine thresholds, descending: an area is in decile `d` (1 = most deprived) for the
 * first `d` with `score >= breaks[d-1]`, else in decile 10. Each lies halfway between the
 * lowest score of decile `d` and the highest of decile `d + 1`.
 */
breaks: Array<number>,
/**
 * The lowest recomputed score.
 */
min: number | null,
/**
 * The highest recomputed score.
 */
max: number | null, };

/**
 * The body of every error response: `{"error": {"status": 400, "message": "…"}}`.
 */
export type ErrorBody = {
/**
 * The error.
 */
error: ErrorDetail, };

/**
 * A domain of the atlas with its weight.
 */
export type DomainInfo = {
/**
 * The id (`inkomen`), as in tile properties and `scores.csv`.
 */
id: string,
/**
 * The display name (the profile's default language).
 */
name: string,
/**
 * Display names by language code (`{"nl": "Inkomen", "en": "Income"}`), from the profile;
 * a client falls back to `name` for a language not listed.
 */
names: { [key in string]: string },
/**
 * The weight in the MDI.
 */
weight: number, };

/**
 * A level of areas.
 */
export type LevelInfo = {
/**
 * The level id (`buurt`).
 */
id: string,
/**
 * The layer name in tiles and `areas.fgb` (`buurten`).
 */
layer: string,
/**
 * The display name (`Buurten`).
 */
name: string,
/**
 * The prefix of the level's codes (`BU`).
 */
code_prefix: string,
/**
 * Number of areas.
 */
areas: number,
/**
 * The zooms at which the level is the map's choropleth by default (`null`: never, or
 * an atlas tiled before level bands); the client follows these bands in its automatic
 * level mode.
 */
band: ZoomBand | null,
/**
 * The zooms whose tiles carry the level's polygons (`null`: unknown, every zoom).
 */
tile_zooms: ZoomBand | null, };

/**
 * A range of Web Mercator zooms, both ends included.
 */
export type ZoomBand = {
/**
 * The first zoom.
 */
min: number,
/**
 * The last zoom.
 */
max: number,
/**
 * Where it came from: `data`, `profile` or `command-line` (absent for tile zooms).
 */
source?: string, };

/**
 * The property set the tiles of a zoom carry (`docs/TILES.md`).
 */
export type PropertySet = "full" | "map" | "minimal";

/**
 * The profile the atlas was built with.
 */
export type ProfileInfo = {
/**
 * The profile id (`nl-cbs`).
 */
id: string,
/**
 * Its name.
 */
name: string,
/**
 * What it measures, on which data.
 */
description: string,
/**
 * Attribution of its data.
 */
attribution: string, };

/**
 * What one year's MDI rests on.
 */
export type YearInfo = {
/**
 * The year.
 */
year: number,
/**
 * The domains with data for most ranked areas, in profile order.
 */
domains_with_data: Array<string>,
/**
 * The domains without data: their weight was re-spread.
 */
domains_missing: Array<string>,
/**
 * The weights used: each domain with data, its weight scaled so they sum to the total.
 */
weights_used: { [key in string]: number },
/**
 * Ranked areas of the index unit.
 */
ranked: number,
/**
 * Areas of the index unit on the map without an MDI, by reason code.
 */
grey: { [key in string]: number }, };

/**
 * A series break of the profile.
 */
export type SeriesBreak = {
/**
 * The domain id.
 */
domain: string,
/**
 * The indicator id.
 */
indicator: string,
/**
 * The first year of the new definition.
 */
year: number,
/**
 * What changed.
 */
note: string, };

/**
 * A reference to an area, as every response names areas.
 */
export type AreaRef = {
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level's layer name (`buurten`).
 */
level: string,
/**
 * The feature id of the area in every tile layer (for MapLibre `feature-state`); below
 * 2^53, so exact as a JavaScript number.
 */
id: number,
/**
 * West, south, east, north in WGS84 (EPSG:4326) degrees; null without geometry.
 */
bbox: [number, number, number, number] | null, };

/**
 * One year of an area.
 */
export type YearOut = {
/**
 * The year.
 */
year: number,
/**
 * Inhabitants.
 */
population: number | null,
/**
 * Ranked this year (index unit only).
 */
eligible: boolean | null,
/**
 * Why it was not ranked.
 */
excluded_reason: string | null,
/**
 * Why there is no MDI this year, as a short code (`no-row`, `population-below`,
 * `too-few-domains`, `no-polygon`, `collapsed`, `water`, `no-ranked-areas`, …); `None`
 * when there is one.
 */
reason: string | null,
/**
 * The number of domains with data behind the MDI (index unit only).
 */
domains_with_data: number | null,
/**
 * Domains without data.
 */
domains_missing: Array<string>,
/**
 * The MDI (higher levels: population-weighted average score, ranked among the level).
 */
mdi: ScoreOut | null,
/**
 * The domains (index unit only; empty for higher levels).
 */
domains: Array<DomainOut>,
/**
 * Number of domains in decile 1.
 */
domains_in_worst_decile: number | null,
/**
 * Share (0–1) of inhabitants living in buurten of MDI decile 1 (higher levels).
 */
share_worst_decile: number | null,
/**
 * Higher levels: the share (0–1) of the inhabitants of the ranked buurten living in
 * buurten of MDI decile 1 … 10 (index 0 = decile 1); null for the index unit.
 */
shares: [number, number, number, number, number, number, number, number, number, number] | null, };

/**
 * A score in an area response.
 */
export type ScoreOut = {
/**
 * The score.
 */
score: number,
/**
 * National rank among the areas of the level (1 = most deprived).
 */
rank: number | null,
/**
 * National decile (1 = most deprived).
 */
decile: number | null,
/**
 * Number of areas of the level ranked that year (for a domain: with a rank in it).
 */
of: number | null,
/**
 * Rank and decile within the gemeente; null for a gemeente and above.
 */
within: WithinRank | null, };

/**
 * A domain's score in an area response.
 */
export type DomainOut = {
/**
 * Domain id.
 */
id: string,
/**
 * Display name.
 */
name: string,
/**
 * Weight in the MDI.
 */
weight: number,
/**
 * The exponential domain score (0–100); null without data (and so are the ranks).
 */
score: number | null,
/**
 * National rank among the areas of the level (1 = most deprived).
 */
rank: number | null,
/**
 * National decile (1 = most deprived).
 */
decile: number | null,
/**
 * Number of areas of the level with a rank in the domain that year.
 */
of: number | null,
/**
 * Rank and decile within the gemeente.
 */
within: WithinRank | null, };

/**
 * A rank among the areas of the same level in the same gemeente.
 */
export type WithinRank = {
/**
 * Rank, 1 = most deprived in the gemeente.
 */
rank: number,
/**
 * Number of ranked areas of the level in the gemeente.
 */
of: number,
/**
 * Decile within the gemeente, 1 = most deprived.
 */
decile: number, };

/**
 * A parent area's summary per year.
 */
export type ParentOut = {
/**
 * Its MDI summary per year.
 */
years: Array<YearOut>,
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level's layer name (`buurten`).
 */
level: string,
/**
 * The feature id of the area in every tile layer (for MapLibre `feature-state`); below
 * 2^53, so exact as a JavaScript number.
 */
id: number,
/**
 * West, south, east, north in WGS84 (EPSG:4326) degrees; null without geometry.
 */
bbox: [number, number, number, number] | null, };

/**
 * One search result.
 */
export type SearchResult = {
/**
 * The names of its parents, nearest first.
 */
context: Array<string>,
/**
 * How the query matched.
 */
matched: MatchKind,
/**
 * The area code.
 */
code: string,
/**
 * The name.
 */
name: string,
/**
 * The level's layer name (`buurten`).
 */
level: string,
/**
 * The feature id of the area in every tile layer (for MapLibre `feature-state`); below
 * 2^53, so exact as a JavaScript number.
 */
id: number,
/**
 * West, south, east, north in WGS84 (EPSG:4326) degrees; null without geometry.
 */
bbox: [number, number, number, number] | null, };

/**
 * How a [`Hit`] matched the query. Variants are listed best first.
 */
export type MatchKind = "code" | "codeprefix" | "name" | "nameprefix" | "wordprefix" | "context";

/**
 * A domain weight as used.
 */
export type WeightOut = {
/**
 * Domain id.
 */
id: string,
/**
 * The weight given (or the profile's).
 */
weight: number, };

/**
 * The status and the reason of an error response.
 */
export type ErrorDetail = {
/**
 * The HTTP status code.
 */
status: number,
/**
 * What was wrong and what was expected.
 */
message: string, };
