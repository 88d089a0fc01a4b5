//! Writing the atlas' files into a folder (the temporary folder of a
//! [`mdi_format::StagedAtlas`]): `scores.csv`, `areas.fgb` (FlatGeobuf, WGS84, with a spatial
//! index, every level and every score column per year), `metadata.json` and
//! `build-report.json`, each through the types of [`mdi_format`].

use std::collections::BTreeMap;
use std::path::Path;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::BoundingRect;
use geozero::{ColumnValue, PropertyProcessor};
use mdi_core::analysis::spatial::{
    Cluster, DEFAULT_PERMUTATIONS, DEFAULT_SEED, Weights, classify, local_moran,
};
use mdi_core::profile::ComparisonValues;
use mdi_core::{Aggregate, AreaResult, Profile, Scores, aggregate};
use mdi_format::columns as col;
use mdi_format::metadata::{
    ClusterInfo, ComparisonInfo, Counts, DomainInfo, Files, LevelInfo, Metadata, ProfileInfo,
    Ranking, SeriesBreak, YearInfo, generator,
};
use mdi_format::report::{
    BuildReport, CollapsedArea, ContiguityReport, Exclusion, MissingIndicator,
};
use mdi_format::{FORMAT_VERSION, Reason, Unscored, files};

pub use mdi_format::metadata::{InputFile, SourceInfo};
pub use mdi_format::stage::check_replaceable;

use crate::error::{GeoError, Result};
use crate::hierarchy::Hierarchy;
use crate::join::{JoinReport, join};

/// What a build writes besides the scores and areas.
#[derive(Debug, Clone)]
pub struct AtlasInfo {
    /// The title (the profile's name, or the demo's).
    pub title: String,
    /// A description; for generated data it says that it is synthetic.
    pub description: String,
    /// Attribution of the data.
    pub attribution: String,
    /// True for the generated demo region.
    pub synthetic: bool,
    /// The build time (RFC 3339); the only value that differs between identical builds.
    pub built_at: String,
    /// The indicator tables used.
    pub tables: Vec<String>,
    /// The indicator table files read, with their SHA-256.
    pub table_files: Vec<InputFile>,
    /// The area files used.
    pub sources: Vec<SourceInfo>,
}

/// What a build writes beside the index of each year: the index ranked over all years pooled,
/// and the comparison variables (when the profile has any).
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The index of the same panel ranked over all years pooled (METHOD.md §6), written to
    /// `pooled.csv` when it has two or more years.
    pub pooled: Option<&'a Scores>,
    /// The values of the profile's `[[comparison]]`s, written to `comparison.csv`.
    pub comparisons: Option<&'a ComparisonValues>,
}

/// Counts of a written atlas, for the command line's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct AtlasSummary {
    /// Areas per level (level id, count).
    pub areas: Vec<(String, usize)>,
    /// The join report.
    pub join: JoinReport,
    /// Number of geometry repairs.
    pub repairs: usize,
    /// Number of notes (duplicates, missing parents, dissolved parents).
    pub notes: usize,
    /// Areas whose polygons have no extent.
    pub collapsed: usize,
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> GeoError {
    let path = path.to_path_buf();
    move |source| GeoError::Io {
        path,
        action,
        cause: source,
    }
}

fn fgb_err<E: std::fmt::Display>(path: &Path) -> impl Fn(E) -> GeoError {
    let path = path.to_path_buf();
    move |e| GeoError::Format {
        path: path.clone(),
        message: format!("writing FlatGeobuf: {e}"),
    }
}

/// One column of `areas.fgb` with its values per feature.
enum Col {
    Text(Vec<Option<String>>),
    Double(Vec<Option<f64>>),
    Int(Vec<Option<i32>>),
    Bool(Vec<Option<bool>>),
}

impl Col {
    fn ty(&self) -> ColumnType {
        match self {
            Col::Text(_) => ColumnType::String,
            Col::Double(_) => ColumnType::Double,
            Col::Int(_) => ColumnType::Int,
            Col::Bool(_) => ColumnType::Bool,
        }
    }
}

fn int(v: Option<usize>) -> Option<i32> {
    v.and_then(|x| i32::try_from(x).ok())
}

/// A feature of `areas.fgb`: (level position, area position in the level).
type Feat = (usize, usize);

/// Everything the files are made of, looked up per feature: the index unit's rows of the
/// scores, and the summaries of the parent levels.
struct Atlas<'a> {
    scores: &'a Scores,
    hierarchy: &'a Hierarchy,
    /// Per area of the index unit, its rows in `scores.rows`.
    rows_of: Vec<Vec<usize>>,
    /// Per level, child code → parent code.
    parent_maps: Vec<BTreeMap<&'a str, &'a str>>,
    /// Per level (the index unit's is empty), (code, year) → summary of its ranked areas.
    aggregates: Vec<BTreeMap<(String, i32), Aggregate>>,
    /// The features in (level, code) order.
    feats: Vec<Feat>,
    /// The years of the scores, ascending.
    years: Vec<i32>,
    /// Per year, per area of the index unit, its local Moran cluster class (`None` where not
    /// ranked or without a polygon).
    clusters: BTreeMap<i32, Vec<Option<Cluster>>>,
}

impl<'a> Atlas<'a> {
    fn new(scores: &'a Scores, hierarchy: &'a Hierarchy, rows_of: Vec<Vec<usize>>) -> Atlas<'a> {
        let mut years: Vec<i32> = scores.rows.iter().map(|r| r.year).collect();
        years.sort_unstable();
        years.dedup();
        let parent_maps: Vec<BTreeMap<&str, &str>> = hierarchy
            .levels
            .iter()
            .map(|l| {
                l.areas
                    .iter()
                    .filter_map(|a| a.parent.as_deref().map(|p| (a.code.as_str(), p)))
                    .collect()
            })
            .collect();
        let mut feats: Vec<Feat> = Vec::new();
        for (li, l) in hierarchy.levels.iter().enumerate() {
            feats.extend((0..l.areas.len()).map(|ai| (li, ai)));
        }
        let mut atlas = Atlas {
            scores,
            hierarchy,
            rows_of,
            parent_maps,
            aggregates: Vec::new(),
            feats,
            years,
            clusters: BTreeMap::new(),
        };
        atlas.aggregates = (0..hierarchy.levels.len())
            .map(|li| atlas.summarise_level(li))
            .collect();
        atlas
    }

    /// The summaries of the level at `li` (none for the index unit): each ranked area of the
    /// index unit (by its score code) counts towards its ancestor at that level.
    fn summarise_level(&self, li: usize) -> BTreeMap<(String, i32), Aggregate> {
        if li == 0 {
            return BTreeMap::new();
        }
        let index = &self.hierarchy.levels[0];
        let mut parent_of: BTreeMap<String, String> = BTreeMap::new();
        for (ai, a) in index.areas.iter().enumerate() {
            let mut code = a.code.as_str();
            let mut ok = true;
            for map in self.parent_maps.iter().take(li) {
                match map.get(code) {
                    Some(p) => code = p,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if let (true, Some(&r)) = (ok, self.rows_of[ai].first()) {
                parent_of.insert(self.scores.rows[r].code.to_string(), code.to_string());
            }
        }
        aggregate(self.scores, &parent_of)
            .into_iter()
            .map(|ag| ((ag.code.clone(), ag.year), ag))
            .collect()
    }

    fn area(&self, &(li, ai): &Feat) -> &'a crate::hierarchy::Area {
        &self.hierarchy.levels[li].areas[ai]
    }

    /// The scores row of an index-unit feature in year `y`.
    fn row(&self, &(li, ai): &Feat, y: i32) -> Option<&'a AreaResult> {
        let scores = self.scores;
        (li == 0)
            .then(|| {
                self.rows_of[ai]
                    .iter()
                    .map(|&r| &scores.rows[r])
                    .find(|r| r.year == y)
            })
            .flatten()
    }

    /// The summary of a parent feature in year `y`.
    fn agg(&self, &(li, ai): &Feat, y: i32) -> Option<&Aggregate> {
        (li > 0)
            .then(|| {
                self.aggregates[li].get(&(self.hierarchy.levels[li].areas[ai].code.clone(), y))
            })
            .flatten()
    }

    /// The code of a feature's ancestor at level `ui` (above its own).
    fn ancestor(&self, &(li, ai): &Feat, ui: usize) -> Option<String> {
        if li >= ui {
            return None;
        }
        let mut code = self.hierarchy.levels[li].areas[ai].code.as_str();
        for map in &self.parent_maps[li..ui] {
            code = map.get(code)?;
        }
        Some(code.to_string())
    }

    /// No data: an index area never ranked, or a parent with no ranked area.
    fn nodata(&self, f: &Feat) -> bool {
        let (li, ai) = *f;
        if li == 0 {
            !self.rows_of[ai]
                .iter()
                .any(|&r| self.scores.rows[r].exclusion.is_none())
        } else {
            !self
                .years
                .iter()
                .any(|&y| self.agg(f, y).is_some_and(|a| a.areas > 0))
        }
    }

    /// Why a feature has no MDI in year `y` (`None` when it has one): an index area's
    /// exclusion, or no row in that year's tables; a parent without a ranked area; water.
    fn reason(&self, f: &Feat, y: i32) -> Option<Reason> {
        let water = self.area(f).water;
        if f.0 == 0 {
            match self.row(f, y) {
                Some(r) => r.exclusion.as_ref().map(Reason::from),
                None if water => Some(Reason::Water),
                None => Some(Reason::NoRow),
            }
        } else if self.agg(f, y).is_some_and(|a| a.areas > 0) {
            None
        } else if water {
            Some(Reason::Water)
        } else {
            Some(Reason::NoRankedAreas)
        }
    }

    /// The index unit's area-years on the map without a row in that year's tables.
    fn unscored(&self) -> Vec<Unscored> {
        let mut out = Vec::new();
        for f in self.feats.iter().filter(|f| f.0 == 0) {
            for &y in &self.years {
                if self.row(f, y).is_none() {
                    out.push(Unscored {
                        year: y,
                        code: self.area(f).code.clone(),
                    });
                }
            }
        }
        out
    }

    /// Per year: the domains behind the MDI of most ranked areas, the weights used and the
    /// grey areas of the index unit by reason.
    fn year_info(&self, profile: &Profile) -> Vec<YearInfo> {
        let ids = &self.scores.domain_ids;
        let total = profile.total_weight();
        self.years
            .iter()
            .map(|&y| {
                let rows: Vec<&AreaResult> =
                    self.scores.rows.iter().filter(|r| r.year == y).collect();
                let ranked: Vec<&&AreaResult> =
                    rows.iter().filter(|r| r.exclusion.is_none()).collect();
                let base: Vec<&AreaResult> = if ranked.is_empty() {
                    rows.clone()
                } else {
                    ranked.iter().map(|r| **r).collect()
                };
                let with_data: Vec<bool> = (0..ids.len())
                    .map(|d| {
                        let n = base.iter().filter(|r| r.domains[d].score.is_some()).count();
                        !base.is_empty() && 2 * n > base.len()
                    })
                    .collect();
                let present: f64 = profile
                    .domains
                    .iter()
                    .zip(&with_data)
                    .filter(|(_, w)| **w)
                    .map(|(d, _)| d.weight)
                    .sum();
                let mut grey: BTreeMap<String, usize> = BTreeMap::new();
                for f in self.feats.iter().filter(|f| f.0 == 0) {
                    if let Some(r) = self.reason(f, y) {
                        *grey.entry(r.code().to_string()).or_default() += 1;
                    }
                }
                YearInfo {
                    year: y,
                    domains_with_data: pick(ids, &with_data, true),
                    domains_missing: pick(ids, &with_data, false),
                    weights_used: profile
                        .domains
                        .iter()
                        .zip(&with_data)
                        .filter(|(_, w)| **w && present > 0.0)
                        .map(|(d, _)| (d.id.clone(), d.weight * total / present))
                        .collect(),
                    ranked: ranked.len(),
                    grey,
                }
            })
            .collect()
    }

    fn text(&self, f: impl Fn(&Feat) -> Option<String>) -> Col {
        Col::Text(self.feats.iter().map(f).collect())
    }

    fn double(&self, f: impl Fn(&Feat) -> Option<f64>) -> Col {
        Col::Double(self.feats.iter().map(f).collect())
    }

    fn int(&self, f: impl Fn(&Feat) -> Option<i32>) -> Col {
        Col::Int(self.feats.iter().map(f).collect())
    }

    fn flag(&self, f: impl Fn(&Feat) -> Option<bool>) -> Col {
        Col::Bool(self.feats.iter().map(f).collect())
    }

    /// The columns that do not depend on the year, in file order.
    fn area_columns(&self) -> Vec<(String, Col)> {
        let levels = &self.hierarchy.levels;
        let mut cols = vec![
            (
                col::CODE.into(),
                self.text(|f| Some(self.area(f).code.clone())),
            ),
            (
                col::NAME.into(),
                self.text(|f| Some(self.area(f).name.clone())),
            ),
            (
                col::LEVEL.into(),
                self.text(|f| Some(levels[f.0].level.layer.clone())),
            ),
            (
                col::PARENT.into(),
                self.text(|f| self.area(f).parent.clone()),
            ),
        ];
        for (ui, ul) in levels.iter().enumerate().skip(1) {
            cols.push((
                col::ancestor_code(&ul.level.id),
                self.text(|f| self.ancestor(f, ui)),
            ));
        }
        cols.push((col::WATER.into(), self.flag(|f| Some(self.area(f).water))));
        cols.push((
            col::COLLAPSED.into(),
            self.flag(|f| Some(self.area(f).collapsed)),
        ));
        cols.push((col::NODATA.into(), self.flag(|f| Some(self.nodata(f)))));
        cols
    }

    /// The columns of year `y`, in file order.
    fn year_columns(&self, y: i32) -> Vec<(String, Col)> {
        let mut cols = vec![
            (
                col::population(y),
                self.double(|f| {
                    self.row(f, y)
                        .and_then(|r| r.population)
                        .or_else(|| self.agg(f, y).map(|a| a.population))
                }),
            ),
            (
                col::eligible(y),
                self.flag(|f| self.row(f, y).map(|r| r.exclusion.is_none())),
            ),
            (
                col::mdi_score(y),
                self.double(|f| {
                    self.row(f, y)
                        .and_then(|r| r.mdi_score)
                        .or_else(|| self.agg(f, y).and_then(|a| a.avg_score))
                }),
            ),
            (
                col::mdi_rank(y),
                self.int(|f| {
                    int(self
                        .row(f, y)
                        .and_then(|r| r.mdi_rank)
                        .or_else(|| self.agg(f, y).and_then(|a| a.rank)))
                }),
            ),
            (
                col::mdi_decile(y),
                self.int(|f| {
                    self.row(f, y)
                        .and_then(|r| r.mdi_decile)
                        .or_else(|| self.agg(f, y).and_then(|a| a.decile))
                        .map(i32::from)
                }),
            ),
        ];
        for (d, id) in self.scores.domain_ids.iter().enumerate() {
            let domain = |f: &Feat| self.row(f, y).map(|r| &r.domains[d]);
            cols.push((
                col::domain_score(id, y),
                self.double(|f| domain(f).and_then(|r| r.score)),
            ));
            cols.push((
                col::domain_rank(id, y),
                self.int(|f| int(domain(f).and_then(|r| r.rank))),
            ));
            cols.push((
                col::domain_decile(id, y),
                self.int(|f| domain(f).and_then(|r| r.decile).map(i32::from)),
            ));
        }
        cols.push((
            col::domains_in_worst_decile(y),
            self.int(|f| {
                self.row(f, y)
                    .and_then(|r| r.domains_in_worst_decile)
                    .map(i32::from)
            }),
        ));
        cols.push((
            col::share_worst_decile(y),
            self.double(|f| self.agg(f, y).and_then(|a| a.share_worst_decile)),
        ));
        cols.push((
            col::reason(y),
            self.text(|f| self.reason(f, y).map(|r| r.code().to_string())),
        ));
        cols.push((
            col::cluster(y),
            self.text(|f| {
                (f.0 == 0)
                    .then(|| self.clusters.get(&y).and_then(|c| c[f.1]))
                    .flatten()
                    .map(|c| c.code().to_string())
            }),
        ));
        cols.push((
            col::domains_with_data(y),
            self.int(|f| {
                self.row(f, y)
                    .and_then(|r| i32::try_from(domains_with_data(r)).ok())
            }),
        ));
        cols
    }

    /// Bounds of every area, WGS84 (EPSG:4326) degrees; `None` when no area has extent.
    fn bounds(&self) -> Option<[f64; 4]> {
        let mut bounds: Option<[f64; 4]> = None;
        for f in &self.feats {
            if let Some(r) = self.area(f).geometry.bounding_rect() {
                let b = bounds.get_or_insert([r.min().x, r.min().y, r.max().x, r.max().y]);
                *b = [
                    b[0].min(r.min().x),
                    b[1].min(r.min().y),
                    b[2].max(r.max().x),
                    b[3].max(r.max().y),
                ];
            }
        }
        bounds
    }
}

/// Write the atlas' files into the folder `dir` (the temporary folder of a
/// [`mdi_format::StagedAtlas`], which the caller commits once the tiles are written too):
/// `scores.csv`, `areas.fgb`, `metadata.json`, `build-report.json`; `pooled.csv` when
/// `extras` has pooled scores of two or more years, and `comparison.csv` when it has
/// comparisons.
///
/// # Errors
/// [`GeoError::Io`] when a file cannot be written, [`GeoError::Format`] when FlatGeobuf
/// writing fails, [`GeoError::Atlas`] when a JSON file cannot be written.
pub fn write_atlas(
    dir: &Path,
    profile: &Profile,
    scores: &Scores,
    hierarchy: &Hierarchy,
    info: &AtlasInfo,
    extras: &Extras<'_>,
) -> Result<AtlasSummary> {
    let (join_report, rows_of) = join(scores, &hierarchy.levels[0]);
    let atlas = Atlas::new(scores, hierarchy, rows_of);
    let unscored = atlas.unscored();
    write_scores_csv(dir, files::SCORES, scores, &unscored)?;
    let mut written = Files::default();
    if let Some(pooled) = extras
        .pooled
        .filter(|p| p.ranking == mdi_core::profile::Ranking::Pooled && atlas.years.len() >= 2)
    {
        write_scores_csv(dir, files::POOLED, pooled, &unscored)?;
        written.pooled = Some(files::POOLED.into());
    }
    if let Some(c) = extras
        .comparisons
        .filter(|_| !profile.comparisons.is_empty())
    {
        write_comparison_csv(dir, c)?;
        written.comparison = Some(files::COMPARISON.into());
    }
    let contiguity = crate::contiguity::queen(&hierarchy.levels[0]);
    contiguity.write(dir)?;
    let mut atlas = atlas;
    atlas.clusters = clusters(&atlas, &contiguity, &dir.join(files::CONTIGUITY))?;
    written.contiguity = Some(files::CONTIGUITY.into());
    write_areas_fgb(&dir.join(files::AREAS), info, &atlas)?;
    let mut meta = metadata(profile, info, &atlas, &join_report);
    meta.files = written;
    meta.write(dir)?;
    let mut report = build_report(info, &atlas, &join_report);
    report.contiguity = Some(contiguity_report(&hierarchy.levels[0], &contiguity));
    report.write(dir)?;
    Ok(AtlasSummary {
        areas: hierarchy
            .levels
            .iter()
            .map(|l| (l.level.id.clone(), l.areas.len()))
            .collect(),
        join: join_report,
        repairs: hierarchy.repairs.len(),
        notes: hierarchy.notes.len(),
        collapsed: hierarchy
            .levels
            .iter()
            .map(|l| l.areas.iter().filter(|a| a.collapsed).count())
            .sum(),
    })
}

/// `scores.csv` (or `pooled.csv`, `name`), as `mdi-atlas compute` writes it.
fn write_scores_csv(dir: &Path, name: &str, scores: &Scores, unscored: &[Unscored]) -> Result<()> {
    let path = dir.join(name);
    let mut buf = Vec::new();
    mdi_format::write_scores(scores, unscored, &mut buf).map_err(io(&path, "cannot write"))?;
    std::fs::write(&path, buf).map_err(io(&path, "cannot write"))
}

/// The significance level of the cluster columns.
const CLUSTER_ALPHA: f64 = 0.05;

/// Per year, the local Moran cluster class of each area of the index unit: local Moran's I of
/// the year's MDI score over the ranked areas with a polygon, with the queen weights of
/// `contiguity` subset to them (an area whose neighbours are all unranked is an island),
/// [`DEFAULT_PERMUTATIONS`] permutations, [`DEFAULT_SEED`], α = 0.05, no FDR.
fn clusters(
    atlas: &Atlas<'_>,
    contiguity: &mdi_format::contiguity::Contiguity,
    path: &Path,
) -> Result<BTreeMap<i32, Vec<Option<Cluster>>>> {
    let level = &atlas.hierarchy.levels[0];
    let weights = Weights::new(contiguity.neighbours.clone()).map_err(|m| GeoError::Format {
        path: path.to_path_buf(),
        message: format!("queen contiguity of the {}: {m}", level.level.layer),
    })?;
    // The position in the level of each area of the contiguity.
    let area_of: Vec<Option<usize>> = contiguity.codes.iter().map(|c| level.find(c)).collect();
    let mut out = BTreeMap::new();
    for &y in &atlas.years {
        let score = |k: usize| {
            area_of[k]
                .and_then(|ai| atlas.row(&(0, ai), y))
                .filter(|r| r.exclusion.is_none())
                .and_then(|r| r.mdi_score)
                .filter(|s| s.is_finite())
        };
        let keep: Vec<bool> = (0..contiguity.codes.len())
            .map(|k| score(k).is_some())
            .collect();
        let (w, old) = weights.subset(&keep);
        let mut classes = vec![None; level.areas.len()];
        if w.n() > 0 {
            let values: Vec<f64> = old.iter().filter_map(|&k| score(k)).collect();
            let local = local_moran(&values, &w, DEFAULT_PERMUTATIONS, DEFAULT_SEED);
            for (class, &k) in classify(&local, &w, CLUSTER_ALPHA, false)
                .into_iter()
                .zip(&old)
            {
                if let Some(ai) = area_of[k] {
                    classes[ai] = Some(class);
                }
            }
        }
        out.insert(y, classes);
    }
    Ok(out)
}

/// What `contiguity.gal` holds, for the build report.
fn contiguity_report(
    level: &crate::hierarchy::LevelAreas,
    contiguity: &mdi_format::contiguity::Contiguity,
) -> ContiguityReport {
    let mut islands: Vec<String> = contiguity
        .islands()
        .into_iter()
        .map(str::to_string)
        .collect();
    islands.sort();
    let listed: std::collections::BTreeSet<&str> =
        contiguity.codes.iter().map(String::as_str).collect();
    ContiguityReport {
        level: level.level.id.clone(),
        areas: contiguity.codes.len(),
        links: contiguity.neighbours.iter().map(Vec::len).sum::<usize>() / 2,
        islands,
        without_polygon: level
            .areas
            .iter()
            .filter(|a| !listed.contains(a.code.as_str()))
            .map(|a| a.code.clone())
            .collect(),
    }
}

/// `comparison.csv`.
fn write_comparison_csv(dir: &Path, values: &ComparisonValues) -> Result<()> {
    let path = dir.join(files::COMPARISON);
    let mut buf = Vec::new();
    mdi_format::comparison::write_comparison(values, &mut buf)
        .map_err(io(&path, "cannot write"))?;
    std::fs::write(&path, buf).map_err(io(&path, "cannot write"))
}

/// `areas.fgb`: every area of every level with the columns of [`Atlas::area_columns`] and
/// [`Atlas::year_columns`], WGS84, with a packed Hilbert R-tree.
fn write_areas_fgb(path: &Path, info: &AtlasInfo, atlas: &Atlas<'_>) -> Result<()> {
    let mut cols = atlas.area_columns();
    for &y in &atlas.years {
        cols.extend(atlas.year_columns(y));
    }
    let description = format!("{} — {}", info.title, info.description);
    let mut fgb = FgbWriter::create_with_options(
        "areas",
        GeometryType::MultiPolygon,
        FgbWriterOptions {
            write_index: true,
            promote_to_multi: true,
            crs: FgbCrs {
                org: Some("EPSG"),
                code: 4326,
                ..Default::default()
            },
            title: Some(&info.title),
            description: Some(&description),
            ..Default::default()
        },
    )
    .map_err(fgb_err(path))?;
    for (name, col) in &cols {
        fgb.add_column(name, col.ty(), |_, c| c.nullable = true);
    }
    for (fi, f) in atlas.feats.iter().enumerate() {
        let geom = geo_types::Geometry::MultiPolygon(atlas.area(f).geometry.clone());
        fgb.add_feature_geom(geom, |w| {
            for (ci, (name, col)) in cols.iter().enumerate() {
                let r = match col {
                    Col::Text(v) => v[fi]
                        .as_deref()
                        .map(|s| w.property(ci, name, &ColumnValue::String(s))),
                    Col::Double(v) => v[fi].map(|x| w.property(ci, name, &ColumnValue::Double(x))),
                    Col::Int(v) => v[fi].map(|x| w.property(ci, name, &ColumnValue::Int(x))),
                    Col::Bool(v) => v[fi].map(|x| w.property(ci, name, &ColumnValue::Bool(x))),
                };
                // Writing a property into the in-memory feature buffer does not fail.
                let _ = r;
            }
        })
        .map_err(fgb_err(path))?;
    }
    let file = std::fs::File::create(path).map_err(io(path, "cannot create"))?;
    fgb.write(std::io::BufWriter::new(file))
        .map_err(fgb_err(path))
}

/// `metadata.json`.
fn metadata(
    profile: &Profile,
    info: &AtlasInfo,
    atlas: &Atlas<'_>,
    join_report: &JoinReport,
) -> Metadata {
    let (scores, hierarchy) = (atlas.scores, atlas.hierarchy);
    let levels = hierarchy
        .levels
        .iter()
        .enumerate()
        .map(|(li, l)| LevelInfo {
            id: l.level.id.clone(),
            layer: l.level.layer.clone(),
            name: l.level.name.clone(),
            code_prefix: l.level.code_prefix.clone(),
            areas: l.areas.len(),
            derived: l.areas.iter().all(|a| a.source.is_none()),
            parent: hierarchy.levels.get(li + 1).map(|p| p.level.id.clone()),
            requested_zooms: l
                .level
                .zooms
                .map(|(min, max)| mdi_format::ZoomRange { min, max }),
            band: None,
            tile_zooms: None,
        })
        .collect();
    let domains = profile
        .domains
        .iter()
        .map(|d| DomainInfo {
            id: d.id.clone(),
            name: d.name.clone(),
            names: d.names.clone(),
            weight: d.weight,
        })
        .collect();
    let eligible = scores
        .groups
        .iter()
        .map(|g| {
            (
                g.year.map_or_else(|| "pooled".into(), |y| y.to_string()),
                g.eligible,
            )
        })
        .collect();
    Metadata {
        format_version: FORMAT_VERSION,
        title: info.title.clone(),
        description: info.description.clone(),
        synthetic: info.synthetic,
        attribution: info.attribution.clone(),
        profile: ProfileInfo {
            id: profile.id.clone(),
            name: profile.name.clone(),
            description: profile.description.clone(),
            attribution: profile.attribution.clone(),
        },
        ranking: match scores.ranking {
            mdi_core::profile::Ranking::PerYear => Ranking::PerYear,
            mdi_core::profile::Ranking::Pooled => Ranking::Pooled,
        },
        years: atlas.years.clone(),
        domains,
        weights_total: profile.total_weight(),
        levels,
        bounds: atlas.bounds(),
        crs: "EPSG:4326".into(),
        counts: Counts {
            areas: atlas.feats.len(),
            scored_areas: join_report.matched,
            eligible,
        },
        files: Files::default(),
        year_info: atlas.year_info(profile),
        series_breaks: series_breaks(profile),
        comparisons: profile
            .comparisons
            .iter()
            .map(|c| ComparisonInfo {
                id: c.id.clone(),
                name: c.name.clone(),
                unit: c.unit.clone(),
                description: c.description.clone(),
            })
            .collect(),
        clusters: Some(ClusterInfo {
            method: "local-moran".into(),
            weights: "queen".into(),
            permutations: DEFAULT_PERMUTATIONS,
            seed: DEFAULT_SEED,
            alpha: CLUSTER_ALPHA,
            fdr: false,
        }),
        tables: info.tables.clone(),
        table_files: info.table_files.clone(),
        sources: info.sources.clone(),
        generator: generator(),
        built_at: info.built_at.clone(),
    }
}

/// The number of domains with data of an area-year: as the exclusion counted them, else the
/// domains with a score.
fn domains_with_data(r: &AreaResult) -> usize {
    match r.exclusion {
        Some(mdi_core::Exclusion::TooFewDomains { present, .. }) => present,
        _ => r.domains.iter().filter(|d| d.score.is_some()).count(),
    }
}

/// The profile's series breaks: every edition of an indicator that declares one.
fn series_breaks(profile: &Profile) -> Vec<SeriesBreak> {
    let mut out = Vec::new();
    for d in &profile.domains {
        for ind in d.indicators() {
            for e in &ind.editions {
                if let Some(note) = &e.series_break {
                    out.push(SeriesBreak {
                        domain: d.id.clone(),
                        indicator: ind.id.clone(),
                        year: e.from,
                        note: note.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The ids whose flag is `want`, in order.
fn pick(ids: &[String], flags: &[bool], want: bool) -> Vec<String> {
    ids.iter()
        .zip(flags)
        .filter(|(_, f)| **f == want)
        .map(|(id, _)| id.clone())
        .collect()
}

/// `build-report.json`, without the tiles (the tiler adds them).
fn build_report(info: &AtlasInfo, atlas: &Atlas<'_>, join_report: &JoinReport) -> BuildReport {
    let (scores, hierarchy) = (atlas.scores, atlas.hierarchy);
    BuildReport {
        synthetic: info.synthetic,
        join: join_report.clone(),
        exclusions: scores
            .rows
            .iter()
            .filter_map(|r| {
                r.exclusion.map(|e| Exclusion {
                    code: r.code.to_string(),
                    year: r.year,
                    reason: e.describe(&scores.domain_ids),
                })
            })
            .collect(),
        repairs: hierarchy.repairs.clone(),
        collapsed: hierarchy
            .levels
            .iter()
            .flat_map(|l| {
                l.areas
                    .iter()
                    .filter(|a| a.collapsed)
                    .map(|a| CollapsedArea {
                        level: l.level.id.clone(),
                        code: a.code.clone(),
                    })
            })
            .collect(),
        notes: hierarchy.notes.clone(),
        skipped_rows: scores.skipped.clone(),
        indicators_missing_everywhere: scores
            .missing_indicators
            .iter()
            .map(|(d, i, c)| MissingIndicator {
                domain: d.clone(),
                indicator: i.clone(),
                columns: c.clone(),
            })
            .collect(),
        contiguity: None,
        tiles: None,
    }
}

/// Write the features of a [`Source`] as FlatGeobuf in their own CRS (used for the demo
/// region's buurten, in RD New), with every attribute as a column.
///
/// # Errors
/// [`GeoError::Format`] when FlatGeobuf writing fails.
pub fn write_source_fgb(
    source: &crate::model::Source,
    title: &str,
    out: &mut impl std::io::Write,
) -> Result<()> {
    use crate::model::Value;
    let err = fgb_err(&source.path);
    // Columns: every attribute name, typed by its first non-null value.
    let mut columns: BTreeMap<&str, ColumnType> = BTreeMap::new();
    for f in &source.features {
        for (k, v) in &f.properties {
            let t = match v {
                Value::Null => continue,
                Value::Bool(_) => ColumnType::Bool,
                Value::Int(_) => ColumnType::Long,
                Value::Float(_) => ColumnType::Double,
                Value::Text(_) => ColumnType::String,
            };
            columns.entry(k.as_str()).or_insert(t);
        }
    }
    let mut fgb = FgbWriter::create_with_options(
        source.layer.as_deref().unwrap_or("areas"),
        GeometryType::MultiPolygon,
        FgbWriterOptions {
            write_index: true,
            promote_to_multi: true,
            crs: FgbCrs {
                org: Some("EPSG"),
                code: i32::try_from(source.crs.epsg()).unwrap_or(0),
                ..Default::default()
            },
            title: Some(title),
            ..Default::default()
        },
    )
    .map_err(|e| GeoError::Format {
        path: source.path.clone(),
        message: format!("writing FlatGeobuf: {e}"),
    })?;
    let names: Vec<&str> = columns.keys().copied().collect();
    for (name, ty) in &columns {
        fgb.add_column(name, *ty, |_, c| c.nullable = true);
    }
    for f in &source.features {
        let geom = geo_types::Geometry::MultiPolygon(f.geometry.clone());
        fgb.add_feature_geom(geom, |w| {
            for (ci, name) in names.iter().enumerate() {
                let _ = match f.properties.get(*name) {
                    Some(Value::Bool(b)) => w.property(ci, name, &ColumnValue::Bool(*b)),
                    Some(Value::Int(i)) => w.property(ci, name, &ColumnValue::Long(*i)),
                    Some(Value::Float(x)) => w.property(ci, name, &ColumnValue::Double(*x)),
                    Some(Value::Text(t)) => w.property(ci, name, &ColumnValue::String(t)),
                    Some(Value::Null) | None => Ok(false),
                };
            }
        })
        .map_err(&err)?;
    }
    fgb.write(out).map_err(|e| GeoError::Format {
        path: source.path.clone(),
        message: format!("writing FlatGeobuf: {e}"),
    })
}
