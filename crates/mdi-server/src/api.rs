//! The documents of the JSON API: `/api/meta`, `/api/areas/{code}`, `/api/search`,
//! `/api/point` and `/api/breaks`. Every response type here is documented field by field in
//! `docs/API.md`, and its TypeScript type is generated into `web/src/generated/api.ts`
//! ([`crate::bindings`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::areas::{Area, AreaYear, LocalRank, Score};
use crate::atlas::{Atlas, Domain, Level};
use crate::error::ApiError;
use crate::search::MatchKind;

/// A reference to an area, as every response names areas.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AreaRef {
    /// The area code.
    pub code: String,
    /// The name.
    pub name: String,
    /// The level's layer name (`buurten`).
    pub level: String,
    /// The feature id of the area in every tile layer (for MapLibre `feature-state`); below
    /// 2^53, so exact as a JavaScript number.
    #[ts(type = "number")]
    pub id: u64,
    /// West, south, east, north in WGS84 (EPSG:4326) degrees; null without geometry.
    pub bbox: Option<[f64; 4]>,
}

/// `/api/meta`: what the atlas holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MetaResponse {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Attribution of the data.
    pub attribution: String,
    /// Whether the data is the generated demo.
    pub synthetic: bool,
    /// `per-year` or `pooled` ranking.
    #[ts(type = "\"per-year\" | \"pooled\"")]
    pub ranking: String,
    /// The years.
    pub years: Vec<i32>,
    /// The domains with their weights.
    pub domains: Vec<DomainInfo>,
    /// The levels, index unit first.
    pub levels: Vec<LevelInfo>,
    /// The layer within which `within` ranks are computed (`gemeenten`).
    pub within: Option<String>,
    /// West, south, east, north in WGS84 degrees.
    pub bounds: [f64; 4],
    /// Longitude, latitude (WGS84) and zoom of the default view.
    pub center: [f64; 3],
    /// Lowest tile zoom.
    pub min_zoom: u8,
    /// Highest tile zoom.
    pub max_zoom: u8,
    /// The property set of the tiles per zoom (`full`, `map`, `minimal`); null when the tiles
    /// do not say.
    pub properties_by_zoom: Option<BTreeMap<String, PropertySet>>,
    /// The first zoom whose tiles carry every property (needed for re-weighting).
    pub full_from_zoom: Option<u8>,
    /// The profile; null when `metadata.json` names none.
    pub profile: Option<ProfileInfo>,
    /// When the atlas was built.
    pub built_at: String,
    /// The program that built it.
    pub generator: String,
    /// The files `/download/{file}` serves for this atlas.
    pub downloads: Vec<String>,
    /// Per year: the domains behind the MDI of most areas, the weights actually used after
    /// re-spreading, and the grey areas by reason; empty for atlases of format < 1.2.
    pub year_info: Vec<YearInfo>,
    /// Series breaks: from `year` on an indicator is defined differently, so its domain and
    /// the MDI are not comparable across that year.
    pub series_breaks: Vec<SeriesBreak>,
    /// The background map's MapLibre style URL that the server was started with
    /// (`serve --basemap URL`); null: no background map by default.
    pub basemap: Option<String>,
}

/// A series break of the profile.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SeriesBreak {
    /// The domain id.
    pub domain: String,
    /// The indicator id.
    pub indicator: String,
    /// The first year of the new definition.
    pub year: i32,
    /// What changed.
    pub note: String,
}

/// What one year's MDI rests on.
#[derive(Debug, Clone, Serialize, TS)]
pub struct YearInfo {
    /// The year.
    pub year: i32,
    /// The domains with data for most ranked areas, in profile order.
    pub domains_with_data: Vec<String>,
    /// The domains without data: their weight was re-spread.
    pub domains_missing: Vec<String>,
    /// The weights used: each domain with data, its weight scaled so they sum to the total.
    pub weights_used: BTreeMap<String, f64>,
    /// Ranked areas of the index unit.
    pub ranked: usize,
    /// Areas of the index unit on the map without an MDI, by reason code.
    pub grey: BTreeMap<String, usize>,
}

impl From<&mdi_format::metadata::YearInfo> for YearInfo {
    fn from(y: &mdi_format::metadata::YearInfo) -> YearInfo {
        YearInfo {
            year: y.year,
            domains_with_data: y.domains_with_data.clone(),
            domains_missing: y.domains_missing.clone(),
            weights_used: y.weights_used.clone(),
            ranked: y.ranked,
            grey: y.grey.clone(),
        }
    }
}

/// A domain of the atlas with its weight.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DomainInfo {
    /// The id (`inkomen`), as in tile properties and `scores.csv`.
    pub id: String,
    /// The display name (the profile's default language).
    pub name: String,
    /// Display names by language code (`{"nl": "Inkomen", "en": "Income"}`), from the profile;
    /// a client falls back to `name` for a language not listed.
    pub names: BTreeMap<String, String>,
    /// The weight in the MDI.
    pub weight: f64,
}

impl From<&Domain> for DomainInfo {
    fn from(d: &Domain) -> DomainInfo {
        DomainInfo {
            id: d.id.clone(),
            name: d.name.clone(),
            names: d.names.clone(),
            weight: d.weight,
        }
    }
}

/// A level of areas.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LevelInfo {
    /// The level id (`buurt`).
    pub id: String,
    /// The layer name in tiles and `areas.fgb` (`buurten`).
    pub layer: String,
    /// The display name (`Buurten`).
    pub name: String,
    /// The prefix of the level's codes (`BU`).
    pub code_prefix: String,
    /// Number of areas.
    pub areas: usize,
    /// The zooms at which the level is the map's choropleth by default (`null`: never, or
    /// an atlas tiled before level bands); the client follows these bands in its automatic
    /// level mode.
    pub band: Option<ZoomBand>,
    /// The zooms whose tiles carry the level's polygons (`null`: unknown, every zoom).
    pub tile_zooms: Option<ZoomBand>,
}

/// A range of Web Mercator zooms, both ends included.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ZoomBand {
    /// The first zoom.
    pub min: u8,
    /// The last zoom.
    pub max: u8,
    /// Where it came from: `data`, `profile` or `command-line` (absent for tile zooms).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
}

impl From<&Level> for LevelInfo {
    fn from(l: &Level) -> LevelInfo {
        LevelInfo {
            id: l.id.clone(),
            layer: l.layer.clone(),
            name: l.name.clone(),
            code_prefix: l.code_prefix.clone(),
            areas: l.areas,
            band: l.band.map(|b| ZoomBand {
                min: b.min,
                max: b.max,
                source: Some(
                    match b.source {
                        mdi_format::BandSource::Data => "data",
                        mdi_format::BandSource::Profile => "profile",
                        mdi_format::BandSource::CommandLine => "command-line",
                    }
                    .into(),
                ),
            }),
            tile_zooms: l.tile_zooms.map(|z| ZoomBand {
                min: z.min,
                max: z.max,
                source: None,
            }),
        }
    }
}

/// The property set the tiles of a zoom carry (`docs/TILES.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PropertySet {
    /// Every property (needed for re-weighting).
    Full,
    /// What the map styles draw.
    Map,
    /// `nodata`, the MDI decile and the share in the worst decile.
    Minimal,
}

impl From<mdi_format::PropertySet> for PropertySet {
    fn from(set: mdi_format::PropertySet) -> PropertySet {
        match set {
            mdi_format::PropertySet::Full => PropertySet::Full,
            mdi_format::PropertySet::Map => PropertySet::Map,
            mdi_format::PropertySet::Minimal => PropertySet::Minimal,
        }
    }
}

/// The profile the atlas was built with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct ProfileInfo {
    /// The profile id (`nl-cbs`).
    #[serde(default)]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// What it measures, on which data.
    #[serde(default)]
    pub description: String,
    /// Attribution of its data.
    #[serde(default)]
    pub attribution: String,
}

/// A rank among the areas of the same level in the same gemeente.
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct WithinRank {
    /// Rank, 1 = most deprived in the gemeente.
    pub rank: u32,
    /// Number of ranked areas of the level in the gemeente.
    pub of: u32,
    /// Decile within the gemeente, 1 = most deprived.
    pub decile: u8,
}

impl From<LocalRank> for WithinRank {
    fn from(r: LocalRank) -> WithinRank {
        WithinRank {
            rank: r.rank,
            of: r.of,
            decile: r.decile,
        }
    }
}

/// A score in an area response.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ScoreOut {
    /// The score.
    pub score: f64,
    /// National rank among the areas of the level (1 = most deprived).
    pub rank: Option<u32>,
    /// National decile (1 = most deprived).
    pub decile: Option<u8>,
    /// Number of areas of the level ranked that year (for a domain: with a rank in it).
    pub of: Option<u32>,
    /// Rank and decile within the gemeente; null for a gemeente and above.
    pub within: Option<WithinRank>,
}

/// A domain's score in an area response.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DomainOut {
    /// Domain id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Weight in the MDI.
    pub weight: f64,
    /// The exponential domain score (0–100); null without data (and so are the ranks).
    pub score: Option<f64>,
    /// National rank among the areas of the level (1 = most deprived).
    pub rank: Option<u32>,
    /// National decile (1 = most deprived).
    pub decile: Option<u8>,
    /// Number of areas of the level with a rank in the domain that year.
    pub of: Option<u32>,
    /// Rank and decile within the gemeente.
    pub within: Option<WithinRank>,
}

impl DomainOut {
    /// The domain `d` with its score, or with nulls without one.
    fn new(d: &Domain, score: Option<ScoreOut>) -> DomainOut {
        DomainOut {
            id: d.id.clone(),
            name: d.name.clone(),
            weight: d.weight,
            score: score.as_ref().map(|s| s.score),
            rank: score.as_ref().and_then(|s| s.rank),
            decile: score.as_ref().and_then(|s| s.decile),
            of: score.as_ref().and_then(|s| s.of),
            within: score.and_then(|s| s.within),
        }
    }
}

/// One year of an area.
#[derive(Debug, Clone, Serialize, TS)]
pub struct YearOut {
    /// The year.
    pub year: i32,
    /// Inhabitants.
    pub population: Option<f64>,
    /// Ranked this year (index unit only).
    pub eligible: Option<bool>,
    /// Why it was not ranked.
    pub excluded_reason: Option<String>,
    /// Why there is no MDI this year, as a short code (`no-row`, `population-below`,
    /// `too-few-domains`, `no-polygon`, `collapsed`, `water`, `no-ranked-areas`, …); `None`
    /// when there is one.
    pub reason: Option<String>,
    /// The number of domains with data behind the MDI (index unit only).
    pub domains_with_data: Option<u32>,
    /// Domains without data.
    pub domains_missing: Vec<String>,
    /// The MDI (higher levels: population-weighted average score, ranked among the level).
    pub mdi: Option<ScoreOut>,
    /// The domains (index unit only; empty for higher levels).
    pub domains: Vec<DomainOut>,
    /// Number of domains in decile 1.
    pub domains_in_worst_decile: Option<u32>,
    /// Share (0–1) of inhabitants living in buurten of MDI decile 1 (higher levels).
    pub share_worst_decile: Option<f64>,
    /// Higher levels: the share (0–1) of the inhabitants of the ranked buurten living in
    /// buurten of MDI decile 1 … 10 (index 0 = decile 1); null for the index unit.
    pub shares: Option<[f64; 10]>,
}

/// A parent area's summary per year.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ParentOut {
    /// The parent.
    #[serde(flatten)]
    pub area: AreaRef,
    /// Its MDI summary per year.
    pub years: Vec<YearOut>,
}

/// `/api/areas/{code}`: one area in every year, with its parents.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AreaResponse {
    /// The area.
    #[serde(flatten)]
    pub area: AreaRef,
    /// The level's display name.
    pub level_name: String,
    /// Never ranked: draw as no data.
    pub nodata: bool,
    /// Water only.
    pub water: bool,
    /// No extent in the source (label point only).
    pub collapsed: bool,
    /// False for a code with scores but no polygon in the area files: it is not on the map.
    pub polygon: bool,
    /// The layer within which `within` ranks are computed.
    pub within: Option<String>,
    /// Every year of the atlas.
    pub years: Vec<YearOut>,
    /// The parent chain, nearest first, with their summaries.
    pub parents: Vec<ParentOut>,
    /// Number of areas one level down whose parent this is.
    pub children: usize,
}

/// One search result.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchResult {
    /// The area.
    #[serde(flatten)]
    pub area: AreaRef,
    /// The names of its parents, nearest first.
    pub context: Vec<String>,
    /// How the query matched.
    pub matched: MatchKind,
}

/// `/api/search`: results, best first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// The results.
    pub results: Vec<SearchResult>,
}

/// `/api/point`: the areas at a point.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PointResponse {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// The areas containing the point, finest level first (empty outside the atlas).
    pub areas: Vec<AreaRef>,
}

/// A domain weight as used.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WeightOut {
    /// Domain id.
    pub id: String,
    /// The weight given (or the profile's).
    pub weight: f64,
}

/// `/api/breaks`: the class breaks of the MDI recomputed with custom weights.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BreaksResponse {
    /// The year (null for pooled ranking over all years).
    pub year: Option<i32>,
    /// `per-year` or `pooled`.
    #[ts(type = "\"per-year\" | \"pooled\"")]
    pub ranking: String,
    /// The weights used, per domain.
    pub weights: Vec<WeightOut>,
    /// Number of areas ranked.
    pub n: usize,
    /// Nine thresholds, descending: an area is in decile `d` (1 = most deprived) for the
    /// first `d` with `score >= breaks[d-1]`, else in decile 10. Each lies halfway between the
    /// lowest score of decile `d` and the highest of decile `d + 1`.
    pub breaks: Vec<f64>,
    /// The lowest recomputed score.
    pub min: Option<f64>,
    /// The highest recomputed score.
    pub max: Option<f64>,
}

/// The feature id of an area (as in the tiles).
fn feature_id(atlas: &Atlas, a: &Area) -> u64 {
    let prefix = atlas
        .meta
        .levels
        .get(a.level)
        .map_or("", |l| l.code_prefix.as_str());
    mdi_format::feature_id(&a.code, a.level, prefix)
}

/// The reference to area `i`.
pub fn area_ref(atlas: &Atlas, i: usize) -> AreaRef {
    let a = &atlas.areas.list[i];
    AreaRef {
        code: a.code.to_string(),
        name: a.name.to_string(),
        level: atlas
            .meta
            .levels
            .get(a.level)
            .map(|l| l.layer.clone())
            .unwrap_or_default(),
        id: feature_id(atlas, a),
        bbox: a.bbox,
    }
}

/// `/api/meta`; `basemap` is the background map's style URL (`serve --basemap`).
pub fn meta(atlas: &Atlas, basemap: Option<&str>) -> MetaResponse {
    let m = &atlas.meta;
    let t = &atlas.tiles;
    let downloads = crate::routes::files::DOWNLOADS
        .iter()
        .filter(|f| atlas.dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect();
    MetaResponse {
        title: m.title.clone(),
        description: m.description.clone(),
        attribution: m.attribution.clone(),
        synthetic: m.synthetic,
        ranking: m.ranking.clone(),
        years: m.years.clone(),
        domains: m.domains.iter().map(DomainInfo::from).collect(),
        levels: m.levels.iter().map(LevelInfo::from).collect(),
        within: atlas
            .areas
            .within
            .and_then(|l| m.levels.get(l))
            .map(|l| l.layer.clone()),
        bounds: t.bounds,
        center: [t.center.0, t.center.1, f64::from(t.center.2)],
        min_zoom: t.min_zoom,
        max_zoom: t.max_zoom,
        properties_by_zoom: atlas.tiles_meta().map(|tm| {
            tm.properties_by_zoom
                .into_iter()
                .filter_map(|(z, set)| Some((z, PropertySet::from(set?))))
                .collect()
        }),
        full_from_zoom: atlas.full_from_zoom(),
        profile: Some(ProfileInfo {
            id: m.profile.id.clone(),
            name: m.profile.name.clone(),
            description: m.profile.description.clone(),
            attribution: m.profile.attribution.clone(),
        }),
        built_at: m.built_at.clone(),
        generator: m.generator.clone(),
        basemap: basemap.map(str::to_string),
        downloads,
        year_info: m.year_info.iter().map(YearInfo::from).collect(),
        series_breaks: m
            .series_breaks
            .iter()
            .map(|b| SeriesBreak {
                domain: b.domain.clone(),
                indicator: b.indicator.clone(),
                year: b.year,
                note: b.note.clone(),
            })
            .collect(),
    }
}

fn score_out(s: &Score, of: Option<u32>, within: Option<LocalRank>) -> ScoreOut {
    ScoreOut {
        score: s.score,
        rank: s.rank,
        decile: s.decile,
        of: s.rank.and(of),
        within: within.map(WithinRank::from),
    }
}

fn year_out(atlas: &Atlas, i: usize, y: usize) -> YearOut {
    let a = &atlas.areas.list[i];
    let year: &AreaYear = &a.years[y];
    let of = atlas
        .areas
        .ranked
        .get(a.level)
        .and_then(|r| r.get(y))
        .copied();
    YearOut {
        year: atlas.meta.years[y],
        population: year.population,
        eligible: year.eligible,
        excluded_reason: year.excluded_reason.as_deref().map(str::to_string),
        reason: year.reason.map(|r| r.code().to_string()),
        domains_with_data: year.domains_with_data,
        domains_missing: year.domains_missing.clone(),
        mdi: year
            .mdi
            .as_ref()
            .map(|s| score_out(s, of, atlas.areas.rank_within(i, y, 0))),
        domains: year
            .domains
            .iter()
            .zip(&atlas.meta.domains)
            .enumerate()
            .map(|(d_i, (s, d))| {
                // A domain's rank counts the rows of `scores.csv` with a rank in it.
                let score = s.as_ref().map(|s| {
                    let of = atlas
                        .areas
                        .ranked_scores
                        .get(y)
                        .and_then(|r| r.domain_ranked.get(d_i))
                        .copied();
                    score_out(s, of, atlas.areas.rank_within(i, y, d_i + 1))
                });
                DomainOut::new(d, score)
            })
            .collect(),
        domains_in_worst_decile: year.domains_in_worst_decile,
        share_worst_decile: year.share_worst_decile,
        shares: atlas.areas.class_shares(i, y),
    }
}

/// `/api/areas/{code}`.
///
/// # Errors
/// 404 naming the code when no area has it.
pub fn area(atlas: &Atlas, code: &str) -> Result<AreaResponse, ApiError> {
    let i = atlas.areas.find(code).ok_or_else(|| {
        ApiError::not_found(format!(
            "no area with code `{code}` in this atlas; search names and codes with /api/search?q={}",
            code.trim()
        ))
    })?;
    let a = &atlas.areas.list[i];
    let years = |i: usize| -> Vec<YearOut> {
        (0..atlas.areas.list[i].years.len())
            .map(|y| year_out(atlas, i, y))
            .collect()
    };
    Ok(AreaResponse {
        area: area_ref(atlas, i),
        level_name: atlas
            .meta
            .levels
            .get(a.level)
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        nodata: a.nodata,
        water: a.water,
        collapsed: a.collapsed,
        polygon: a.polygon,
        within: atlas
            .areas
            .within
            .and_then(|l| atlas.meta.levels.get(l))
            .map(|l| l.layer.clone()),
        years: years(i),
        parents: atlas
            .areas
            .ancestors(i)
            .into_iter()
            .map(|p| ParentOut {
                area: area_ref(atlas, p),
                years: years(p),
            })
            .collect(),
        children: atlas
            .areas
            .list
            .iter()
            .filter(|c| c.parent == Some(i))
            .count(),
    })
}

/// `/api/search?q=&limit=`.
pub fn search(atlas: &Atlas, query: &str, limit: usize) -> SearchResponse {
    let results = atlas
        .search
        .search(query, limit.clamp(1, 50))
        .into_iter()
        .map(|hit| SearchResult {
            area: area_ref(atlas, hit.entry),
            context: atlas
                .areas
                .ancestors(hit.entry)
                .into_iter()
                .map(|p| atlas.areas.list[p].name.to_string())
                .collect(),
            matched: hit.kind,
        })
        .collect();
    SearchResponse {
        query: query.to_string(),
        results,
    }
}

/// `/api/point?lon=&lat=`: `lon`, `lat` in WGS84 (EPSG:4326) degrees.
pub fn point(atlas: &Atlas, lon: f64, lat: f64) -> PointResponse {
    PointResponse {
        lon,
        lat,
        areas: atlas
            .areas
            .at_point(lon, lat)
            .into_iter()
            .map(|i| area_ref(atlas, i))
            .collect(),
    }
}

/// The largest weight `/api/breaks` takes: far above any sensible weight, and far below where
/// the weighted sums of scores would overflow to infinity (a weight of 1e308 made every break
/// `null`).
pub const MAX_WEIGHT: f64 = 1_000_000.0;

/// Parses `weights=inkomen:0.3,werk:0.2,…`: the listed domains get these weights, the others
/// keep the profile's.
///
/// # Errors
/// 400 naming an unknown domain (and listing the known ones), a weight that is not a finite
/// number ≥ 0 or is above [`MAX_WEIGHT`], a domain given twice, or weights that are all zero.
pub fn parse_weights(domains: &[Domain], spec: Option<&str>) -> Result<Vec<f64>, ApiError> {
    let mut weights: Vec<f64> = domains.iter().map(|d| d.weight).collect();
    let mut seen = vec![false; domains.len()];
    let known = || {
        domains
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for item in spec
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (id, w) = item
            .split_once(':')
            .or_else(|| item.split_once('='))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`weights`: `{item}` should be `domain:weight`, e.g. `inkomen:0.3`"
                ))
            })?;
        let d = domains
            .iter()
            .position(|d| d.id == id.trim())
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`weights`: unknown domain `{}`; the domains are {}",
                    id.trim(),
                    known()
                ))
            })?;
        if std::mem::replace(&mut seen[d], true) {
            return Err(ApiError::bad_request(format!(
                "`weights`: domain `{}` is given twice",
                domains[d].id
            )));
        }
        weights[d] = w
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|w| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "`weights`: `{item}`: the weight of `{}` must be a finite number ≥ 0",
                    domains[d].id
                ))
            })?;
        if weights[d] > MAX_WEIGHT {
            return Err(ApiError::bad_request(format!(
                "`weights`: `{item}`: the weight of `{}` must be at most {MAX_WEIGHT} (weights \
                 are relative: scale them all down)",
                domains[d].id
            )));
        }
    }
    if weights.iter().all(|&w| w == 0.0) {
        return Err(ApiError::bad_request(
            "`weights`: at least one weight must be above 0",
        ));
    }
    Ok(weights)
}

/// `/api/breaks?weights=&year=`: recomputes the MDI of every ranked area of the index unit
/// (every ranked row of `scores.csv`, with a polygon or not) as the weighted sum of its
/// exponential domain scores, weights re-spread over the domains with data (METHOD.md §4.3, as
/// the build does), ranks them and returns the decile thresholds. With the profile's weights
/// the deciles equal the atlas's (up to the six decimals `scores.csv` keeps).
///
/// # Errors
/// 400 for an unknown year or invalid weights.
pub fn breaks(
    atlas: &Atlas,
    weights: &[f64],
    year: Option<i32>,
) -> Result<BreaksResponse, ApiError> {
    let pooled = atlas.meta.ranking == "pooled";
    let y = year_index(&atlas.meta.years, year)?;
    let scores = recomputed_scores(atlas, weights, |i| pooled || y == Some(i));
    Ok(BreaksResponse {
        year: if pooled {
            None
        } else {
            y.map(|y| atlas.meta.years[y])
        },
        ranking: atlas.meta.ranking.clone(),
        weights: atlas
            .meta
            .domains
            .iter()
            .zip(weights)
            .map(|(d, &w)| WeightOut {
                id: d.id.clone(),
                weight: w,
            })
            .collect(),
        n: scores.len(),
        breaks: decile_breaks(&scores),
        min: scores.last().copied(),
        max: scores.first().copied(),
    })
}

/// The index of `year` among `years` (`None`: the last year; `None` too for an atlas without
/// years).
///
/// # Errors
/// 400 for a year not in `years`, listing them.
fn year_index(years: &[i32], year: Option<i32>) -> Result<Option<usize>, ApiError> {
    let Some(year) = year else {
        return Ok(years.len().checked_sub(1));
    };
    match years.iter().position(|&y| y == year) {
        Some(i) => Ok(Some(i)),
        None => Err(ApiError::bad_request(format!(
            "`year={year}`: not a year of this atlas ({})",
            years
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The MDI of every ranked area of the index unit with `weights`, re-spread over the domains
/// with data, in the years (by index) that `year` keeps, highest first.
fn recomputed_scores(atlas: &Atlas, weights: &[f64], year: impl Fn(usize) -> bool) -> Vec<f64> {
    let mut scores: Vec<f64> = Vec::new();
    for (i, ranked) in atlas.areas.ranked_scores.iter().enumerate() {
        if !year(i) {
            continue;
        }
        let columns: Vec<&[Option<f64>]> = ranked.domains.iter().map(Vec::as_slice).collect();
        scores.extend(
            mdi_core::stats::respread_columns(weights, &columns)
                .into_iter()
                .flatten(),
        );
    }
    scores.sort_by(|a, b| b.total_cmp(a));
    scores
}

/// The nine decile thresholds of `scores` (sorted highest first), descending. Between decile d
/// and d + 1: halfway from the lowest score of d to the highest of d + 1, so that scores
/// rounded for display or transport still fall on the right side.
fn decile_breaks(scores: &[f64]) -> Vec<f64> {
    let n = scores.len();
    let mut lowest: Vec<Option<f64>> = vec![None; 11];
    let mut highest: Vec<Option<f64>> = vec![None; 11];
    for (r, &s) in scores.iter().enumerate() {
        let d = usize::from(mdi_core::stats::decile(r + 1, n));
        lowest[d] = Some(s);
        highest[d].get_or_insert(s);
    }
    (1..=9)
        .filter_map(|d| match (lowest[d], highest[d + 1]) {
            (Some(lo), Some(hi)) => Some((lo + hi) / 2.0),
            (Some(lo), None) => Some(lo),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_lie_halfway_between_deciles() {
        // 20 scores, 2 per decile: decile d holds 100 - 10(d-1) and 99 - 10(d-1).
        let scores: Vec<f64> = (0..20)
            .map(|r| 100.0 - f64::from(r / 2 * 10) - f64::from(r % 2))
            .collect();
        let expected: Vec<f64> = (1..=9)
            .map(|d| 99.0 - 10.0 * f64::from(d - 1) - 4.5)
            .collect();
        assert_eq!(decile_breaks(&scores), expected);
        assert!(decile_breaks(&[]).is_empty());
    }

    #[test]
    fn a_year_not_in_the_atlas_is_named_with_the_valid_ones() {
        assert_eq!(year_index(&[2015, 2024], None).unwrap(), Some(1));
        assert_eq!(year_index(&[2015, 2024], Some(2015)).unwrap(), Some(0));
        assert_eq!(year_index(&[], None).unwrap(), None);
        let e = year_index(&[2015, 2024], Some(1990)).unwrap_err();
        assert!(
            e.message.contains("1990") && e.message.contains("2015, 2024"),
            "{}",
            e.message
        );
    }
}
