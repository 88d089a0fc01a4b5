//! The areas of an atlas for the JSON API: every area of every level with its scores per year
//! (from `areas.fgb`, plus the exclusion reasons of `scores.csv`), ranks within the gemeente,
//! the polygons of every area (for point queries through an R-tree over the index unit, and for
//! the features of [`crate::ogc`]).

use std::collections::HashMap;
use std::path::Path;

use geo_types::MultiPolygon;
use mdi_format::columns as col;
use mdi_format::{Reason, ScoreRow, files};
use mdi_geo::{ReadOptions, Value};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::error::ServerError;

/// A score with its national rank and decile (the rank within the gemeente comes from
/// [`Areas::rank_within`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// The score (MDI score, or the domain's exponential score 0–100).
    pub score: f64,
    /// National rank among the areas of the level, 1 = most deprived.
    pub rank: Option<u32>,
    /// National decile, 1 = most deprived.
    pub decile: Option<u8>,
}

/// A rank among the areas of one level within one gemeente.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LocalRank {
    /// Rank, 1 = most deprived in the gemeente.
    pub rank: u32,
    /// Number of ranked areas of the level in the gemeente.
    pub of: u32,
    /// Decile within the gemeente, 1 = most deprived.
    pub decile: u8,
}

/// One area in one year.
#[derive(Debug, Clone, Default)]
pub struct AreaYear {
    /// Inhabitants (for higher levels: of their ranked buurten).
    pub population: Option<f64>,
    /// Ranked this year (index unit only).
    pub eligible: Option<bool>,
    /// The MDI (higher levels: the population-weighted average score).
    pub mdi: Option<Score>,
    /// Per domain of the atlas, in its order (index unit only).
    pub domains: Box<[Option<Score>]>,
    /// Number of domains in decile 1.
    pub domains_in_worst_decile: Option<u32>,
    /// Share (0–1) of inhabitants in buurten of MDI decile 1 (higher levels).
    pub share_worst_decile: Option<f64>,
    /// Why the area was not ranked this year, in words (from `scores.csv`).
    pub excluded_reason: Option<Box<str>>,
    /// Why the area has no MDI this year (`areas.fgb`, else `scores.csv`); `None` with an MDI.
    pub reason: Option<Reason>,
    /// The number of domains with data behind the MDI (index unit only).
    pub domains_with_data: Option<u32>,
    /// Domains without data this year (from `scores.csv`).
    pub domains_missing: Vec<String>,
}

/// One area of the atlas.
#[derive(Debug, Clone)]
pub struct Area {
    /// The area code.
    pub code: Box<str>,
    /// The name.
    pub name: Box<str>,
    /// Index of the level in the atlas's levels (0 = index unit).
    pub level: usize,
    /// Index of the parent area, one level up.
    pub parent: Option<usize>,
    /// A water-only area.
    pub water: bool,
    /// The polygons have no extent.
    pub collapsed: bool,
    /// Never ranked.
    pub nodata: bool,
    /// It has a polygon in `areas.fgb`: false for codes with scores but no polygon, which
    /// the API serves from `scores.csv` and the map cannot show.
    pub polygon: bool,
    /// West, south, east, north in WGS84 (EPSG:4326) degrees; `None` without geometry.
    pub bbox: Option<[f64; 4]>,
    /// One entry per year of the atlas, in its order.
    pub years: Box<[AreaYear]>,
}

type Indexed = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The rings of an area's polygons in WGS84 (EPSG:4326), as whole multiples of 10⁻⁷ degree
/// (about 1 cm): half the memory of `f64`, exact integer point-in-polygon tests.
#[derive(Debug, Clone)]
pub struct Shape {
    rings: Box<[Box<[[i32; 2]]>]>,
    /// The number of rings of each polygon (its exterior, then its holes), in order.
    parts: Box<[u32]>,
}

/// Degrees to the 10⁻⁷-degree grid of [`Shape`].
fn grid(deg: f64) -> i32 {
    (deg * 1e7)
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// A value on the 10⁻⁷-degree grid of [`Shape`] back in degrees.
pub fn degrees(grid: i32) -> f64 {
    f64::from(grid) / 1e7
}

impl Shape {
    /// The shape of polygons in WGS84 degrees.
    pub fn new(mp: &MultiPolygon<f64>) -> Shape {
        let rings =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.0.iter().map(|c| [grid(c.x), grid(c.y)]).collect())
                .collect();
        let parts =
            mp.0.iter()
                .map(|p| 1 + p.interiors().len() as u32)
                .collect();
        Shape { rings, parts }
    }

    /// The polygons: per polygon its rings (exterior first, then holes), each a list of
    /// WGS84 (EPSG:4326) longitude, latitude pairs in degrees.
    pub fn polygons(&self) -> impl Iterator<Item = &[Box<[[i32; 2]]>]> {
        let mut start = 0;
        self.parts.iter().map(move |&n| {
            let rings = &self.rings[start..start + n as usize];
            start += n as usize;
            rings
        })
    }

    /// The polygons as a `geo` multipolygon in WGS84 (EPSG:4326) degrees.
    pub fn to_geo(&self) -> MultiPolygon<f64> {
        let ring = |r: &[[i32; 2]]| {
            geo_types::LineString::from(
                r.iter()
                    .map(|&[x, y]| (degrees(x), degrees(y)))
                    .collect::<Vec<_>>(),
            )
        };
        MultiPolygon(
            self.polygons()
                .filter_map(|rings| {
                    let (outer, holes) = rings.split_first()?;
                    Some(geo_types::Polygon::new(
                        ring(outer),
                        holes.iter().map(|h| ring(h)).collect(),
                    ))
                })
                .collect(),
        )
    }

    /// Whether the point `lon`, `lat` (WGS84 degrees) lies inside the polygons or on their
    /// boundary: the even-odd rule over all rings (holes are rings inside exteriors), with
    /// integer cross products.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let (px, py) = (i64::from(grid(lon)), i64::from(grid(lat)));
        let mut inside = false;
        for ring in self.rings.iter() {
            let n = ring.len();
            for i in 0..n {
                let [ax, ay] = ring[i].map(i64::from);
                let [bx, by] = ring[(i + 1) % n].map(i64::from);
                let cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
                if cross == 0
                    && px >= ax.min(bx)
                    && px <= ax.max(bx)
                    && py >= ay.min(by)
                    && py <= ay.max(by)
                {
                    return true;
                }
                // The edge straddles the point's row and lies east of it: the eastward ray
                // crosses it.
                if (ay > py) != (by > py) && (by > ay) == (cross > 0) {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

/// All areas, by code and by location.
#[derive(Debug)]
pub struct Areas {
    /// The areas, in file order.
    pub list: Vec<Area>,
    /// Positions in `list`, sorted by code.
    by_code: Vec<u32>,
    /// Per area, its group for [`Areas::rank_within`] (`u32::MAX`: none).
    group_of: Vec<u32>,
    /// The areas of one level within one gemeente.
    groups: Vec<Box<[u32]>>,
    /// The polygons of each area (`None`: no polygon, or collapsed to nothing).
    shapes: Vec<Option<Shape>>,
    /// The bounding boxes of the index unit's polygons, for point queries (higher levels
    /// follow from the hierarchy).
    rtree: RTree<Indexed>,
    /// The level within which [`Areas::rank_within`] ranks areas (the `gemeente` level, else
    /// the top level); `None` with a single level.
    pub within: Option<usize>,
    /// Per level and year, the number of areas with a national rank. For the index unit this
    /// counts the ranked rows of `scores.csv`, which may hold areas without a polygon.
    pub ranked: Vec<Vec<u32>>,
    /// Per year, the ranked areas of the index unit as `scores.csv` has them (every ranked
    /// area, with a polygon or not): the input of re-weighting.
    pub ranked_scores: Vec<RankedScores>,
    /// Rows of `scores.csv` whose code has no polygon, by code, while loading.
    orphans: std::collections::BTreeMap<String, Vec<ScoreRow>>,
}

/// The ranked areas of the index unit in one year, from `scores.csv`.
#[derive(Debug, Clone, Default)]
pub struct RankedScores {
    /// Per domain (atlas order), the exponential domain score of each ranked area.
    pub domains: Vec<Vec<Option<f64>>>,
    /// The MDI decile of each ranked area, as the build computed it.
    pub deciles: Vec<u8>,
    /// Per domain, the number of rows with a national rank in the domain.
    pub domain_ranked: Vec<u32>,
}

/// One ranked area of the index unit in one year of `pooled.csv` (scores ranked over all years
/// together, METHOD §6).
#[derive(Debug, Clone, PartialEq)]
pub struct PooledScore {
    /// The area (index in [`Areas::list`]).
    pub area: usize,
    /// Its inhabitants.
    pub population: Option<f64>,
    /// The pooled MDI score.
    pub mdi: f64,
    /// The pooled domain scores, in the atlas's domain order.
    pub domains: Box<[Option<f64>]>,
}

/// The pooled scores of an atlas, per year of the atlas (in its order).
#[derive(Debug, Clone, Default)]
pub struct PooledScores {
    /// Per year, the areas with a pooled MDI score.
    pub years: Vec<Vec<PooledScore>>,
    /// Rows whose code is no area of the atlas.
    pub unmatched: usize,
}

/// What [`Areas::load`] needs to know of the atlas.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Layer names of the levels, index unit first.
    pub layers: Vec<String>,
    /// Level ids (`buurt`, `wijk`, `gemeente`), index unit first.
    pub level_ids: Vec<String>,
    /// The years.
    pub years: Vec<i32>,
    /// The domain ids.
    pub domains: Vec<String>,
}

/// The `areas.fgb` columns of one year.
struct YearKeys {
    population: String,
    eligible: String,
    /// Score, rank and decile columns.
    mdi: [String; 3],
    domains: Vec<[String; 3]>,
    domains_in_worst_decile: String,
    share_worst_decile: String,
    reason: String,
    domains_with_data: String,
}

impl YearKeys {
    fn new(y: i32, domains: &[String]) -> YearKeys {
        YearKeys {
            population: col::population(y),
            eligible: col::eligible(y),
            mdi: [col::mdi_score(y), col::mdi_rank(y), col::mdi_decile(y)],
            domains: domains
                .iter()
                .map(|d| {
                    [
                        col::domain_score(d, y),
                        col::domain_rank(d, y),
                        col::domain_decile(d, y),
                    ]
                })
                .collect(),
            domains_in_worst_decile: col::domains_in_worst_decile(y),
            share_worst_decile: col::share_worst_decile(y),
            reason: col::reason(y),
            domains_with_data: col::domains_with_data(y),
        }
    }
}

fn num(props: &std::collections::BTreeMap<String, Value>, key: &str) -> Option<f64> {
    props
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// What [`read_features`] reads of `areas.fgb`, in file order.
struct ReadFeatures {
    list: Vec<Area>,
    /// The parent code of each area.
    parents: Vec<Option<String>>,
    /// The polygons (and bounding box) of each area with extent.
    shapes: Vec<Option<(Shape, Option<[f64; 4]>)>>,
}

/// The values of one area in every year of the atlas.
fn area_years(
    p: &std::collections::BTreeMap<String, Value>,
    keys: &[YearKeys],
    level: usize,
) -> Box<[AreaYear]> {
    keys.iter()
        .map(|k| {
            let score = |[s, r, d]: &[String; 3]| {
                num(p, s).map(|score| Score {
                    score,
                    rank: num(p, r).map(|r| r as u32),
                    decile: num(p, d).map(|d| d as u8),
                })
            };
            AreaYear {
                population: num(p, &k.population),
                eligible: match p.get(&k.eligible) {
                    Some(Value::Bool(b)) => Some(*b),
                    _ => None,
                },
                mdi: score(&k.mdi),
                domains: if level == 0 {
                    k.domains.iter().map(score).collect()
                } else {
                    Box::default()
                },
                domains_in_worst_decile: num(p, &k.domains_in_worst_decile).map(|v| v as u32),
                share_worst_decile: num(p, &k.share_worst_decile),
                excluded_reason: None,
                reason: p
                    .get(&k.reason)
                    .and_then(Value::as_text)
                    .and_then(|t| Reason::parse(&t)),
                domains_with_data: num(p, &k.domains_with_data).map(|v| v as u32),
                domains_missing: Vec::new(),
            }
        })
        .collect()
}

/// Reads every feature of `areas.fgb` at `path`.
fn read_features(path: &Path, schema: &Schema) -> Result<ReadFeatures, ServerError> {
    let mut read = ReadFeatures {
        list: Vec::new(),
        parents: Vec::new(),
        shapes: Vec::new(),
    };
    let mut failure = None;
    // The column names per year, formatted once.
    let keys: Vec<YearKeys> = schema
        .years
        .iter()
        .map(|y| YearKeys::new(*y, &schema.domains))
        .collect();
    mdi_geo::read::each_fgb_feature(path, &ReadOptions::default(), &mut |f| {
        let p = &f.properties;
        let text = |k: &str| p.get(k).and_then(Value::as_text).unwrap_or_default();
        let flag = |k: &str| matches!(p.get(k), Some(Value::Bool(true)));
        let layer = text(col::LEVEL);
        let Some(level) = schema.layers.iter().position(|l| *l == layer) else {
            failure.get_or_insert(ServerError::Atlas {
                path: path.to_path_buf(),
                message: format!(
                    "feature {} ({}): level `{layer}` is not one of the levels in metadata.json ({})",
                    f.index,
                    text(col::CODE),
                    schema.layers.join(", ")
                ),
            });
            return Ok(());
        };
        let bbox = geo::BoundingRect::bounding_rect(&f.geometry)
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
        let parent = text(col::PARENT);
        read.parents.push((!parent.is_empty()).then_some(parent));
        read.list.push(Area {
            code: text(col::CODE).into(),
            name: text(col::NAME).into(),
            level,
            parent: None,
            water: flag(col::WATER),
            collapsed: flag(col::COLLAPSED),
            nodata: flag(col::NODATA),
            polygon: true,
            bbox,
            years: area_years(p, &keys, level),
        });
        let extent = !flag(col::COLLAPSED) && !f.geometry.0.is_empty();
        read.shapes
            .push(extent.then(|| (Shape::new(&f.geometry), bbox)));
        Ok(())
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(read),
    }
}

/// Positions in `list` sorted by code; an error if a code appears twice.
fn sort_by_code(path: &Path, list: &[Area]) -> Result<Vec<u32>, ServerError> {
    let mut by_code: Vec<u32> = (0..list.len() as u32).collect();
    by_code.sort_unstable_by(|&a, &b| list[a as usize].code.cmp(&list[b as usize].code));
    if let Some(w) = by_code
        .windows(2)
        .find(|w| list[w[0] as usize].code == list[w[1] as usize].code)
    {
        return Err(ServerError::Atlas {
            path: path.to_path_buf(),
            message: format!("area code {} appears twice", list[w[0] as usize].code),
        });
    }
    Ok(by_code)
}

impl Areas {
    /// Reads `areas.fgb` (and `scores.csv`, when present, for the exclusion reasons) of the
    /// atlas directory `dir`.
    ///
    /// # Errors
    /// [`ServerError::Geo`] if `areas.fgb` cannot be read, [`ServerError::Atlas`] for a feature
    /// of an unknown level, a duplicate code, or an unreadable `scores.csv`.
    pub fn load(dir: &Path, schema: &Schema) -> Result<Areas, ServerError> {
        let path = dir.join(files::AREAS);
        let read = read_features(&path, schema)?;
        let by_code = sort_by_code(&path, &read.list)?;
        let mut areas = Areas {
            rtree: RTree::bulk_load(
                read.shapes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| read.list[*i].level == 0)
                    .filter_map(|(i, s)| {
                        let [w, s, e, n] = s.as_ref()?.1?;
                        Some(GeomWithData::new(
                            Rectangle::from_corners([w, s], [e, n]),
                            i as u32,
                        ))
                    })
                    .collect(),
            ),
            list: read.list,
            by_code,
            group_of: Vec::new(),
            groups: Vec::new(),
            shapes: read.shapes.into_iter().map(|s| s.map(|s| s.0)).collect(),
            within: None,
            ranked: Vec::new(),
            ranked_scores: Vec::new(),
            orphans: std::collections::BTreeMap::new(),
        };
        areas.link_parents(&read.parents);
        areas.read_scores(dir, schema)?;
        areas.add_orphans(schema);
        areas.by_code = sort_by_code(&path, &areas.list)?;
        areas.group_within(schema);
        Ok(areas)
    }

    /// Sets each area's parent from the parent codes of `areas.fgb` (file order).
    fn link_parents(&mut self, parents: &[Option<String>]) {
        let parent_of: Vec<Option<usize>> = parents
            .iter()
            .map(|p| p.as_deref().and_then(|p| self.get(p)))
            .collect();
        for (a, p) in self.list.iter_mut().zip(parent_of) {
            a.parent = p;
        }
    }

    /// Reads `scores.csv`, if the atlas has one: `excluded_reason` and `domains_missing` of
    /// the areas, and the domain scores of every ranked row for [`Areas::ranked_scores`].
    fn read_scores(&mut self, dir: &Path, schema: &Schema) -> Result<(), ServerError> {
        let path = dir.join(files::SCORES);
        self.ranked_scores = vec![
            RankedScores {
                domains: vec![Vec::new(); schema.domains.len()],
                deciles: Vec::new(),
                domain_ranked: vec![0; schema.domains.len()],
            };
            schema.years.len()
        ];
        if !path.exists() {
            return Ok(());
        }
        mdi_format::read_scores(&path, &schema.domains, &mut |row| {
            self.add_score_row(schema, row)
        })?;
        for ranked in &mut self.ranked_scores {
            ranked.deciles.shrink_to_fit();
            ranked.domains.iter_mut().for_each(Vec::shrink_to_fit);
        }
        Ok(())
    }

    /// Takes one row of `scores.csv`: counts it among the ranked rows of its year, keeps its
    /// domain scores for re-weighting, and gives its area the exclusion reason and the domains
    /// without data.
    fn add_score_row(&mut self, schema: &Schema, row: ScoreRow) {
        let Some(y) = schema.years.iter().position(|&v| v == row.year) else {
            return;
        };
        let ranked = &mut self.ranked_scores[y];
        for (count, cells) in ranked.domain_ranked.iter_mut().zip(&row.domains) {
            if cells.rank.is_some() {
                *count += 1;
            }
        }
        if let Some(decile) = row.mdi.decile {
            ranked.deciles.push(decile);
            for (column, cells) in ranked.domains.iter_mut().zip(&row.domains) {
                column.push(cells.score);
            }
        }
        let Some(i) = self.get(&row.code) else {
            if row.reason != Some(Reason::NoRow) {
                self.orphans.entry(row.code.clone()).or_default().push(row);
            }
            return;
        };
        let year = &mut self.list[i].years[y];
        if let Some(reason) = row.excluded_reason {
            year.excluded_reason = Some(reason.into());
        }
        if year.reason.is_none() && year.mdi.is_none() {
            year.reason = row.reason;
        }
        year.domains_missing = row.domains_missing;
    }

    /// Reads the pooled scores at `path` (`pooled.csv`, written like `scores.csv`): the rows
    /// with a pooled MDI score, matched to the areas by code.
    ///
    /// # Errors
    /// [`ServerError::Format`] naming the line and column of an invalid row.
    pub fn read_pooled(&self, path: &Path, schema: &Schema) -> Result<PooledScores, ServerError> {
        let mut pooled = PooledScores {
            years: vec![Vec::new(); schema.years.len()],
            unmatched: 0,
        };
        mdi_format::read_scores(path, &schema.domains, &mut |row| {
            let Some(y) = schema.years.iter().position(|&v| v == row.year) else {
                return;
            };
            let Some(mdi) = row.mdi.score.filter(|_| row.mdi.rank.is_some()) else {
                return;
            };
            let Some(area) = self.get(&row.code) else {
                pooled.unmatched += 1;
                return;
            };
            pooled.years[y].push(PooledScore {
                area,
                population: row.population,
                mdi,
                domains: row.domains.iter().map(|c| c.score).collect(),
            });
        })?;
        Ok(pooled)
    }

    /// Adds the codes with scores but no polygon as areas of the index unit without
    /// geometry (`polygon` false), with their values of `scores.csv`.
    fn add_orphans(&mut self, schema: &Schema) {
        let n_domains = schema.domains.len();
        for (code, rows) in std::mem::take(&mut self.orphans) {
            let mut years = vec![AreaYear::default(); schema.years.len()];
            for row in rows {
                let Some(y) = schema.years.iter().position(|&v| v == row.year) else {
                    continue;
                };
                let score = |c: &mdi_format::scores::Cells| {
                    c.score.map(|score| Score {
                        score,
                        rank: c.rank.and_then(|r| u32::try_from(r).ok()),
                        decile: c.decile,
                    })
                };
                years[y] = AreaYear {
                    population: row.population,
                    eligible: Some(row.eligible),
                    mdi: score(&row.mdi),
                    domains: row.domains.iter().map(score).collect(),
                    domains_in_worst_decile: row.domains_in_worst_decile.map(u32::from),
                    share_worst_decile: None,
                    excluded_reason: row.excluded_reason.map(Into::into),
                    reason: row.reason,
                    domains_with_data: u32::try_from(
                        n_domains.saturating_sub(row.domains_missing.len()),
                    )
                    .ok(),
                    domains_missing: row.domains_missing,
                };
            }
            let nodata = !years.iter().any(|y| y.mdi.is_some());
            self.list.push(Area {
                code: code.into(),
                name: Box::default(),
                level: 0,
                parent: None,
                water: false,
                collapsed: false,
                nodata,
                polygon: false,
                bbox: None,
                years: years.into(),
            });
            self.shapes.push(None);
        }
    }

    /// Counts the ranked areas per level and year, and groups the areas of every level below
    /// the `within` level by their gemeente, for [`Areas::rank_within`].
    fn group_within(&mut self, schema: &Schema) {
        let levels = schema.layers.len();
        self.ranked = (0..levels)
            .map(|l| {
                (0..schema.years.len())
                    .map(|y| {
                        if l == 0 && !self.ranked_scores[y].deciles.is_empty() {
                            return self.ranked_scores[y].deciles.len() as u32;
                        }
                        self.list
                            .iter()
                            .filter(|a| {
                                a.level == l
                                    && a.years[y].mdi.as_ref().is_some_and(|s| s.rank.is_some())
                            })
                            .count() as u32
                    })
                    .collect()
            })
            .collect();
        if levels < 2 {
            return;
        }
        let within = schema
            .level_ids
            .iter()
            .position(|id| id == "gemeente")
            .unwrap_or(levels - 1);
        self.within = Some(within);
        // The ancestor at the `within` level of every area below it.
        let ancestor: Vec<Option<usize>> = (0..self.list.len())
            .map(|i| {
                let mut at = i;
                while self.list[at].level < within {
                    at = self.list[at].parent?;
                }
                (self.list[at].level == within && at != i).then_some(at)
            })
            .collect();
        let mut groups: HashMap<(usize, usize), Vec<u32>> = HashMap::new();
        for (i, a) in self.list.iter().enumerate() {
            if let Some(g) = ancestor[i] {
                groups.entry((g, a.level)).or_default().push(i as u32);
            }
        }
        self.group_of = vec![u32::MAX; self.list.len()];
        for (g, members) in groups.into_values().enumerate() {
            for &i in &members {
                self.group_of[i as usize] = g as u32;
            }
            self.groups.push(members.into_boxed_slice());
        }
    }

    /// The rank of area `i` in year `y` among the areas of its level in its gemeente (see
    /// [`Areas::within`]), for the MDI (`slot` 0) or domain `slot - 1`: by score, most
    /// deprived first, ties by code, among the areas with a national rank. `None` for an area
    /// without one, or not below the gemeente level.
    pub fn rank_within(&self, i: usize, y: usize, slot: usize) -> Option<LocalRank> {
        let get = |a: &Area| -> Option<f64> {
            let year = a.years.get(y)?;
            let s = if slot == 0 {
                year.mdi.as_ref()
            } else {
                year.domains.get(slot - 1)?.as_ref()
            };
            s.filter(|s| s.rank.is_some()).map(|s| s.score)
        };
        let own = get(&self.list[i])?;
        let members = self.groups.get(*self.group_of.get(i)? as usize)?;
        let code = &self.list[i].code;
        let (mut above, mut of) = (0usize, 0usize);
        for &m in members.iter() {
            let a = &self.list[m as usize];
            if let Some(v) = get(a) {
                of += 1;
                if v > own || (v == own && a.code < *code) {
                    above += 1;
                }
            }
        }
        Some(LocalRank {
            rank: above as u32 + 1,
            of: of as u32,
            decile: mdi_core::stats::decile(above + 1, of),
        })
    }

    /// For an area above the index unit, the share (0–1) of the inhabitants of its ranked
    /// index-unit areas in year `y` that live in areas of MDI decile 1, 2, … 10 (index 0 =
    /// decile 1, most deprived): the distribution behind `share_worst_decile`. `None` for the
    /// index unit, or without ranked inhabitants.
    pub fn class_shares(&self, i: usize, y: usize) -> Option<[f64; 10]> {
        if self.list[i].level == 0 {
            return None;
        }
        let mut population = [0.0; 10];
        for (j, a) in self.list.iter().enumerate() {
            if a.level != 0 {
                continue;
            }
            let Some(year) = a.years.get(y) else { continue };
            let (Some(p), Some(d)) = (
                year.population,
                year.mdi
                    .as_ref()
                    .filter(|s| s.rank.is_some())
                    .and_then(|s| s.decile),
            ) else {
                continue;
            };
            if (1..=10).contains(&d) && self.descends_from(j, i) {
                population[usize::from(d) - 1] += p;
            }
        }
        let total: f64 = population.iter().sum();
        (total > 0.0).then(|| population.map(|p| p / total))
    }

    /// Whether `ancestor` is on the parent chain of area `i`.
    fn descends_from(&self, i: usize, ancestor: usize) -> bool {
        let mut at = self.list[i].parent;
        for _ in 0..self.list.len() {
            match at {
                Some(p) if p == ancestor => return true,
                Some(p) => at = self.list[p].parent,
                None => return false,
            }
        }
        false
    }

    /// The area with this code (exactly as in the atlas; see [`Areas::find`]).
    pub fn get(&self, code: &str) -> Option<usize> {
        self.by_code
            .binary_search_by(|&i| (*self.list[i as usize].code).cmp(code))
            .ok()
            .map(|at| self.by_code[at] as usize)
    }

    /// The area with this code, ignoring case and surrounding spaces.
    pub fn find(&self, code: &str) -> Option<usize> {
        let code = code.trim();
        self.get(code).or_else(|| self.get(&code.to_uppercase()))
    }

    /// The parent chain of an area, nearest first.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.list[i].parent;
        while let Some(p) = at {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            at = self.list[p].parent;
        }
        out
    }

    /// The polygons of area `i`; `None` without any (no polygon, or collapsed to nothing).
    pub fn shape(&self, i: usize) -> Option<&Shape> {
        self.shapes.get(i).and_then(Option::as_ref)
    }

    /// The areas at the point `lon`, `lat` (WGS84, EPSG:4326, degrees): the area of the index
    /// unit whose polygons contain it or have it on their boundary (the lowest code where
    /// several do), then its parents up the hierarchy. Empty where no area of the index unit
    /// is.
    pub fn at_point(&self, lon: f64, lat: f64) -> Vec<usize> {
        let hit = self
            .rtree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|g| g.data as usize)
            .filter(|&i| {
                self.shapes[i]
                    .as_ref()
                    .is_some_and(|s| s.contains(lon, lat))
            })
            .min_by(|&a, &b| self.list[a].code.cmp(&self.list[b].code));
        hit.map(|i| std::iter::once(i).chain(self.ancestors(i)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    #[test]
    fn point_in_polygon_with_a_hole_and_boundaries() {
        // A 2°×2° square with a 1°×1° hole in its middle.
        let outer = LineString::from(vec![
            (4.0, 50.0),
            (6.0, 50.0),
            (6.0, 52.0),
            (4.0, 52.0),
            (4.0, 50.0),
        ]);
        let hole = LineString::from(vec![
            (4.5, 50.5),
            (4.5, 51.5),
            (5.5, 51.5),
            (5.5, 50.5),
            (4.5, 50.5),
        ]);
        let shape = Shape::new(&MultiPolygon(vec![Polygon::new(outer, vec![hole])]));
        assert!(shape.contains(4.2, 50.2));
        assert!(!shape.contains(5.0, 51.0), "in the hole");
        assert!(!shape.contains(6.1, 51.0), "east of it");
        assert!(!shape.contains(3.9, 51.0), "west of it");
        assert!(shape.contains(4.0, 51.0), "on the west edge");
        assert!(shape.contains(6.0, 52.0), "on a corner");
        assert!(shape.contains(4.5, 51.0), "on the hole's edge");
        // A vertex level with the point (the ray passes through (6, 51.75)? no: through corners).
        assert!(
            shape.contains(5.9, 51.5),
            "level with the hole's top edge, east of the hole"
        );
        assert!(
            shape.contains(4.2, 51.5),
            "level with the hole's top edge, west of the hole"
        );
    }
}
