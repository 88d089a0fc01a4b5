//! The areas of an atlas for the JSON API: every area of every level with its scores per year
//! (from `areas.fgb`, plus the exclusion reasons of `scores.csv`), ranks within the gemeente,
//! and an R-tree over the polygons for point queries.

use std::collections::HashMap;
use std::path::Path;

use geo::Intersects;
use geo_types::{MultiPolygon, Point};
use mdi_geo::{ReadOptions, Value};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::error::ServerError;

/// A score with its national rank and decile, and its rank among the areas of the same level
/// within the same gemeente (see [`Areas::within`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// The score (MDI score, or the domain's exponential score 0–100).
    pub score: f64,
    /// National rank among the areas of the level, 1 = most deprived.
    pub rank: Option<u32>,
    /// National decile, 1 = most deprived.
    pub decile: Option<u8>,
    /// Rank within the gemeente.
    pub within: Option<LocalRank>,
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
    pub domains: Vec<Option<Score>>,
    /// Number of domains in decile 1.
    pub domains_in_worst_decile: Option<u32>,
    /// Share (0–1) of inhabitants in buurten of MDI decile 1 (higher levels).
    pub share_worst_decile: Option<f64>,
    /// Why the area was not ranked this year (from `scores.csv`).
    pub excluded_reason: Option<String>,
    /// Domains without data this year (from `scores.csv`).
    pub domains_missing: Vec<String>,
}

/// One area of the atlas.
#[derive(Debug, Clone)]
pub struct Area {
    /// The area code.
    pub code: String,
    /// The name.
    pub name: String,
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
    /// West, south, east, north in WGS84 (EPSG:4326) degrees; `None` without geometry.
    pub bbox: Option<[f64; 4]>,
    /// One entry per year of the atlas, in its order.
    pub years: Vec<AreaYear>,
}

type Indexed = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// All areas, by code and by location.
#[derive(Debug)]
pub struct Areas {
    /// The areas, in file order.
    pub list: Vec<Area>,
    by_code: HashMap<String, usize>,
    geometry: Vec<Option<MultiPolygon<f64>>>,
    rtree: RTree<Indexed>,
    /// The level within which [`Score::within`] ranks areas (the `gemeente` level, else the
    /// top level); `None` with a single level.
    pub within: Option<usize>,
    /// Per level and year, the number of areas with a national rank. For the index unit this
    /// counts the ranked rows of `scores.csv`, which may hold areas without a polygon.
    pub ranked: Vec<Vec<u32>>,
    /// Per year, the ranked areas of the index unit as `scores.csv` has them (every ranked
    /// area, with a polygon or not): the input of re-weighting.
    pub ranked_scores: Vec<RankedScores>,
}

/// The ranked areas of the index unit in one year, from `scores.csv`.
#[derive(Debug, Clone, Default)]
pub struct RankedScores {
    /// Per domain (atlas order), the exponential domain score of each ranked area.
    pub domains: Vec<Vec<Option<f64>>>,
    /// The MDI decile of each ranked area, as the build computed it.
    pub deciles: Vec<u8>,
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

fn num(props: &std::collections::BTreeMap<String, Value>, key: &str) -> Option<f64> {
    props
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

impl Areas {
    /// Reads `areas.fgb` (and `scores.csv`, when present, for the exclusion reasons) of the
    /// atlas directory `dir`.
    ///
    /// # Errors
    /// [`ServerError::Geo`] if `areas.fgb` cannot be read, [`ServerError::Atlas`] for a feature
    /// of an unknown level, a duplicate code, or an unreadable `scores.csv`.
    pub fn load(dir: &Path, schema: &Schema) -> Result<Areas, ServerError> {
        let path = dir.join("areas.fgb");
        let mut list = Vec::new();
        let mut parents: Vec<Option<String>> = Vec::new();
        let mut geometry = Vec::new();
        let mut failure = None;
        mdi_geo::read::each_fgb_feature(&path, &ReadOptions::default(), &mut |f| {
            let p = &f.properties;
            let text = |k: &str| p.get(k).and_then(Value::as_text).unwrap_or_default();
            let flag = |k: &str| matches!(p.get(k), Some(Value::Bool(true)));
            let layer = text("level");
            let Some(level) = schema.layers.iter().position(|l| *l == layer) else {
                failure.get_or_insert(ServerError::Atlas {
                    path: path.clone(),
                    message: format!(
                        "feature {} ({}): level `{layer}` is not one of the levels in metadata.json ({})",
                        f.index,
                        text("code"),
                        schema.layers.join(", ")
                    ),
                });
                return Ok(());
            };
            let years = schema
                .years
                .iter()
                .map(|y| {
                    let score = |field: &str| {
                        num(p, &format!("{field}_score_{y}")).map(|score| Score {
                            score,
                            rank: num(p, &format!("{field}_rank_{y}")).map(|r| r as u32),
                            decile: num(p, &format!("{field}_decile_{y}")).map(|d| d as u8),
                            within: None,
                        })
                    };
                    AreaYear {
                        population: num(p, &format!("population_{y}")),
                        eligible: match p.get(&format!("eligible_{y}")) {
                            Some(Value::Bool(b)) => Some(*b),
                            _ => None,
                        },
                        mdi: score("mdi"),
                        domains: if level == 0 {
                            schema.domains.iter().map(|d| score(d)).collect()
                        } else {
                            Vec::new()
                        },
                        domains_in_worst_decile: num(p, &format!("domains_in_worst_decile_{y}"))
                            .map(|v| v as u32),
                        share_worst_decile: num(p, &format!("share_worst_decile_{y}")),
                        excluded_reason: None,
                        domains_missing: Vec::new(),
                    }
                })
                .collect();
            let bbox = geo::BoundingRect::bounding_rect(&f.geometry)
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
            let parent = text("parent");
            parents.push((!parent.is_empty()).then_some(parent));
            list.push(Area {
                code: text("code"),
                name: text("name"),
                level,
                parent: None,
                water: flag("water"),
                collapsed: flag("collapsed"),
                nodata: flag("nodata"),
                bbox,
                years,
            });
            geometry.push((!flag("collapsed") && !f.geometry.0.is_empty()).then_some(f.geometry));
            Ok(())
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        let mut by_code = HashMap::with_capacity(list.len());
        for (i, a) in list.iter().enumerate() {
            if by_code.insert(a.code.clone(), i).is_some() {
                return Err(ServerError::Atlas {
                    path,
                    message: format!("area code {} appears twice", a.code),
                });
            }
        }
        for (a, p) in list.iter_mut().zip(&parents) {
            a.parent = p.as_ref().and_then(|p| by_code.get(p).copied());
        }
        let mut areas = Areas {
            rtree: RTree::bulk_load(
                geometry
                    .iter()
                    .enumerate()
                    .filter_map(|(i, g)| {
                        let g = g.as_ref()?;
                        let r = geo::BoundingRect::bounding_rect(g)?;
                        Some(GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            i as u32,
                        ))
                    })
                    .collect(),
            ),
            list,
            by_code,
            geometry,
            within: None,
            ranked: Vec::new(),
            ranked_scores: Vec::new(),
        };
        areas.read_scores(dir, schema)?;
        areas.rank_within(schema);
        Ok(areas)
    }

    /// Reads `scores.csv`, if the atlas has one: `excluded_reason` and `domains_missing` of
    /// the areas, and the domain scores of every ranked row for [`Areas::ranked_scores`].
    fn read_scores(&mut self, dir: &Path, schema: &Schema) -> Result<(), ServerError> {
        let path = dir.join("scores.csv");
        self.ranked_scores = vec![
            RankedScores {
                domains: vec![Vec::new(); schema.domains.len()],
                deciles: Vec::new(),
            };
            schema.years.len()
        ];
        if !path.exists() {
            return Ok(());
        }
        let bad = |message: String| ServerError::Atlas {
            path: path.clone(),
            message,
        };
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| bad(format!("cannot be read: {e}")))?;
        let headers = reader
            .headers()
            .map_err(|e| bad(format!("no header row: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(c_code), Some(c_year)) = (col("code"), col("year")) else {
            return Err(bad("expected the columns `code` and `year`".into()));
        };
        let (c_reason, c_missing) = (col("excluded_reason"), col("domains_missing"));
        let c_decile = col("mdi_decile");
        let c_domains: Vec<Option<usize>> = schema
            .domains
            .iter()
            .map(|d| col(&format!("{d}_score")))
            .collect();
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| bad(format!("line {}: {e}", line + 2)))?;
            let Some(y) = row
                .get(c_year)
                .and_then(|y| y.trim().parse::<i32>().ok())
                .and_then(|y| schema.years.iter().position(|&v| v == y))
            else {
                continue;
            };
            let decile = c_decile
                .and_then(|c| row.get(c))
                .and_then(|d| d.trim().parse::<u8>().ok());
            if let Some(decile) = decile {
                let ranked = &mut self.ranked_scores[y];
                ranked.deciles.push(decile);
                for (column, c) in ranked.domains.iter_mut().zip(&c_domains) {
                    let value = c
                        .and_then(|c| row.get(c))
                        .and_then(|v| v.trim().parse::<f64>().ok());
                    column.push(value.filter(|v| v.is_finite()));
                }
            }
            let code = row.get(c_code).unwrap_or_default();
            let Some(&i) = self.by_code.get(code) else {
                continue;
            };
            let year = &mut self.list[i].years[y];
            if let Some(r) = c_reason.and_then(|c| row.get(c)).filter(|r| !r.is_empty()) {
                year.excluded_reason = Some(r.to_string());
            }
            if let Some(m) = c_missing.and_then(|c| row.get(c)) {
                year.domains_missing = m.split_whitespace().map(str::to_string).collect();
            }
        }
        Ok(())
    }

    /// Ranks the areas of every level below the `within` level among those of their gemeente,
    /// per year, for the MDI and each domain: by score, most deprived first, ties by code.
    fn rank_within(&mut self, schema: &Schema) {
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
        let mut groups: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (i, a) in self.list.iter().enumerate() {
            if let Some(g) = ancestor[i] {
                groups.entry((g, a.level)).or_default().push(i);
            }
        }
        let n_domains = schema.domains.len();
        for members in groups.values() {
            for y in 0..schema.years.len() {
                // Slot 0 is the MDI, 1.. the domains.
                for slot in 0..=n_domains {
                    let get = |a: &Area| -> Option<f64> {
                        let year = &a.years[y];
                        let s = if slot == 0 {
                            year.mdi.as_ref()
                        } else {
                            year.domains.get(slot - 1)?.as_ref()
                        };
                        s.filter(|s| s.rank.is_some()).map(|s| s.score)
                    };
                    let mut scored: Vec<(f64, usize)> = members
                        .iter()
                        .filter_map(|&i| get(&self.list[i]).map(|s| (s, i)))
                        .collect();
                    scored.sort_by(|a, b| {
                        b.0.total_cmp(&a.0)
                            .then_with(|| self.list[a.1].code.cmp(&self.list[b.1].code))
                    });
                    let of = scored.len();
                    for (r, &(_, i)) in scored.iter().enumerate() {
                        let local = LocalRank {
                            rank: r as u32 + 1,
                            of: of as u32,
                            decile: mdi_core::stats::decile(r + 1, of),
                        };
                        let year = &mut self.list[i].years[y];
                        let s = if slot == 0 {
                            year.mdi.as_mut()
                        } else {
                            year.domains.get_mut(slot - 1).and_then(Option::as_mut)
                        };
                        if let Some(s) = s {
                            s.within = Some(local);
                        }
                    }
                }
            }
        }
    }

    /// The area with this code (exactly as in the atlas; see [`Areas::find`]).
    pub fn get(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
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

    /// The areas whose polygons contain (or touch) the point `lon`, `lat` in WGS84
    /// (EPSG:4326) degrees, finest level first, at most one per level (the lowest code where
    /// areas of a level overlap).
    pub fn at_point(&self, lon: f64, lat: f64) -> Vec<usize> {
        let point = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .rtree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|g| g.data as usize)
            .filter(|&i| {
                self.geometry[i]
                    .as_ref()
                    .is_some_and(|g| g.intersects(&point))
            })
            .collect();
        hits.sort_by(|&a, &b| {
            let (a, b) = (&self.list[a], &self.list[b]);
            a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code))
        });
        hits.dedup_by_key(|&mut i| self.list[i].level);
        hits
    }
}
