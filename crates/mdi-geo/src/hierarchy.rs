//! The area hierarchy: which level each area file holds, the areas of every level with their
//! codes, names and parents, and parent polygons dissolved from their children where no file
//! gives them. Nothing here assumes Dutch levels: the profile's `[[level]]` entries say what the
//! levels are called, how codes look and how a parent is found.
//!
//! Steps, for the areas of every file:
//! 1. find the level: the level whose code field is present and whose code prefix most codes
//!    carry;
//! 2. normalise each code (surrounding and inner spaces removed, upper case, the level's prefix
//!    added to a bare number) and reject a code that appears twice in one file (except a CBS
//!    water part, `water` = JA, given after the land part of the same code: it is kept as
//!    `<code>-water`, marked water);
//! 3. reproject to WGS84 (longitude, latitude in degrees);
//! 4. repair the geometry ([`crate::repair`]), reporting every change;
//! 5. link every area to its parent by the level's rule, and dissolve parents that no file
//!    gives from their children ([`crate::dissolve`]).

use std::collections::BTreeMap;

use geo::{Contains, InteriorPoint};
use geo_types::{Coord, MultiPolygon, Point};
use mdi_core::Panel;
use mdi_core::profile::{Level, ParentRule, Profile};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};

use crate::crs::{Crs, Reprojector};
use crate::dissolve::dissolve;
use crate::error::{GeoError, Result};
use crate::model::{Source, Value};
use crate::repair::{RepairKind, repair};

/// One area of the atlas.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The normalised code (`BU03630001`).
    pub code: String,
    /// The name (the code where no name is known).
    pub name: String,
    /// The parent's code, one level up (`None` on the top level, or where no parent is known).
    pub parent: Option<String>,
    /// The polygons in WGS84 longitude/latitude (degrees), exteriors counter-clockwise.
    pub geometry: MultiPolygon<f64>,
    /// Water-only area (a `water`/`H2O` attribute that says so).
    pub water: bool,
    /// The polygons have no extent (every ring degenerate); kept as given.
    pub collapsed: bool,
    /// Index of the area file it came from; `None` for an area dissolved from its children.
    pub source: Option<usize>,
}

/// The areas of one level, sorted by code.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelAreas {
    /// The level, as the profile declares it.
    pub level: Level,
    /// The areas, sorted by code.
    pub areas: Vec<Area>,
}

impl LevelAreas {
    /// The position of `code` in [`LevelAreas::areas`].
    pub fn find(&self, code: &str) -> Option<usize> {
        self.areas
            .binary_search_by(|a| a.code.as_str().cmp(code))
            .ok()
    }
}

pub use mdi_format::report::{Note, RepairEntry};

/// Everything assembled from the area files.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    /// One entry per profile level, index unit first.
    pub levels: Vec<LevelAreas>,
    /// Every geometry repair.
    pub repairs: Vec<RepairEntry>,
    /// Areas given twice (in two files of the same level; the first is kept), areas without a
    /// parent, and parents dissolved because their file lacked them.
    pub notes: Vec<Note>,
    /// The level each area file was read as (by file index).
    pub source_levels: Vec<String>,
}

/// Normalise a code: no spaces, upper case, and the level's prefix before a bare number.
pub fn normalise_code(code: &str, prefix: &str) -> String {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if !prefix.is_empty() && !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit()) {
        format!("{prefix}{c}")
    } else {
        c
    }
}

/// A property by name, ignoring case.
fn prop<'a>(props: &'a BTreeMap<String, Value>, names: &[String]) -> Option<(&'a str, &'a Value)> {
    names.iter().find_map(|n| {
        props
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(n) && !matches!(v, Value::Null))
            .map(|(k, v)| (k.as_str(), v))
    })
}

fn text_prop(props: &BTreeMap<String, Value>, names: &[String]) -> Option<String> {
    prop(props, names)
        .and_then(|(_, v)| v.as_text())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn is_water(props: &BTreeMap<String, Value>) -> bool {
    let names = ["water", "h2o"].map(String::from);
    match prop(props, &names) {
        Some((_, Value::Bool(b))) => *b,
        Some((_, v)) => v.as_text().is_some_and(|t| {
            matches!(
                t.trim().to_ascii_uppercase().as_str(),
                "JA" | "J" | "YES" | "TRUE" | "1"
            )
        }),
        None => false,
    }
}

/// Which level a file holds: the level with a code field whose prefix most codes carry.
fn level_of(source: &Source, levels: &[Level]) -> Result<usize> {
    let mut best: Option<(usize, usize)> = None;
    // First the codes as written; only if no level fits, bare numbers given their prefix.
    for prefixed in [false, true] {
        for (li, l) in levels.iter().enumerate() {
            let matching = source
                .features
                .iter()
                .filter(|f| {
                    text_prop(&f.properties, &l.code_fields).is_some_and(|c| {
                        let c = if prefixed {
                            normalise_code(&c, &l.code_prefix)
                        } else {
                            c.trim().to_uppercase()
                        };
                        !l.code_prefix.is_empty() && c.starts_with(&l.code_prefix)
                    })
                })
                .count();
            if matching * 2 > source.features.len() && best.is_none_or(|(_, m)| matching > m) {
                best = Some((li, matching));
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.map(|b| b.0).ok_or_else(|| GeoError::Format {
        path: source.path.clone(),
        message: format!(
            "cannot tell which level this file holds: no level has a code field ({}) whose codes start with its prefix ({}) for most features",
            levels.iter().map(|l| format!("{}: {}", l.id, l.code_fields.join("/"))).collect::<Vec<_>>().join("; "),
            levels.iter().map(|l| format!("{} `{}`", l.id, l.code_prefix)).collect::<Vec<_>>().join(", ")
        ),
    })
}

/// A reprojected, repaired feature before the hierarchy is linked.
struct Prepared {
    code: String,
    name: String,
    geometry: MultiPolygon<f64>,
    repairs: Vec<RepairKind>,
    water: bool,
    properties: BTreeMap<String, Value>,
}

fn prepare(source: &Source, level: &Level) -> Result<Vec<Prepared>> {
    let reproject = match source.crs {
        Crs::Wgs84 => None,
        other => Some(
            Reprojector::new(other, Crs::Wgs84).map_err(|message| GeoError::Crs {
                path: source.path.clone(),
                message,
            })?,
        ),
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut codes = Vec::with_capacity(source.features.len());
    for f in &source.features {
        let code = text_prop(&f.properties, &level.code_fields)
            .map(|c| normalise_code(&c, &level.code_prefix))
            .ok_or_else(|| GeoError::Feature {
                path: source.path.clone(),
                feature: f.index,
                code: None,
                message: format!("no area code (looked for {})", level.code_fields.join(", ")),
            })?;
        // CBS files give a gemeente (or wijk) with large waters twice: the land part and a
        // water part (`water` = JA) under the same code. The water part is kept as its own
        // area, marked water, under the code with `-water` appended.
        let code = if seen.contains_key(&code) && is_water(&f.properties) {
            format!("{code}-water")
        } else {
            code
        };
        if let Some(first) = seen.insert(code.clone(), f.index) {
            return Err(GeoError::DuplicateCode {
                path: source.path.clone(),
                code,
                first,
                second: f.index,
            });
        }
        codes.push(code);
    }
    source
        .features
        .par_iter()
        .zip(codes)
        .map(|(f, code)| {
            let geometry = match &reproject {
                None => f.geometry.clone(),
                Some(r) => {
                    reproject_geometry(&f.geometry, r).map_err(|message| GeoError::Feature {
                        path: source.path.clone(),
                        feature: f.index,
                        code: Some(code.clone()),
                        message,
                    })?
                }
            };
            let repaired = repair(&geometry);
            Ok(Prepared {
                name: text_prop(&f.properties, &level.name_fields).unwrap_or_else(|| code.clone()),
                code,
                geometry: repaired.geometry,
                repairs: repaired.repairs,
                water: is_water(&f.properties),
                properties: f.properties.clone(),
            })
        })
        .collect()
}

/// Reproject every coordinate of a multipolygon.
///
/// # Errors
/// A message naming the coordinate that could not be transformed.
pub fn reproject_geometry(
    g: &MultiPolygon<f64>,
    r: &Reprojector,
) -> std::result::Result<MultiPolygon<f64>, String> {
    let mut out = g.clone();
    for p in &mut out.0 {
        let mut err = None;
        p.exterior_mut(|ring| {
            for c in &mut ring.0 {
                match r.transform(c.x, c.y) {
                    Ok((x, y)) => *c = Coord { x, y },
                    Err(e) => err = Some(e),
                }
            }
        });
        p.interiors_mut(|rings| {
            for ring in rings {
                for c in &mut ring.0 {
                    match r.transform(c.x, c.y) {
                        Ok((x, y)) => *c = Coord { x, y },
                        Err(e) => err = Some(e),
                    }
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(out)
}

/// Areas of one level read from files, by code, with their attributes.
type Given = BTreeMap<String, (Area, BTreeMap<String, Value>)>;
/// A child's parent code and, where the child knows it, the parent's name.
type Link = Option<(String, Option<String>)>;
/// A parent's children and name.
type Family = (Vec<String>, Option<String>);

struct Indexed {
    envelope: AABB<[f64; 2]>,
    index: usize,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

fn envelope(g: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    use geo::BoundingRect;
    g.bounding_rect()
        .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// Build the hierarchy from the area files.
///
/// # Errors
/// [`GeoError::Format`] when the profile declares no levels or a file's level cannot be told,
/// [`GeoError::Feature`] for a feature without a code, [`GeoError::DuplicateCode`] for a code
/// given twice in one file, [`GeoError::Crs`] when reprojection fails.
pub fn assemble(profile: &Profile, panel: Option<&Panel>, sources: &[Source]) -> Result<Hierarchy> {
    let levels = &profile.levels;
    if levels.is_empty() {
        return Err(GeoError::Format {
            path: profile.path.clone(),
            message: "the profile declares no [[level]]: name the area levels (index unit first) and how a parent is found".into(),
        });
    }
    let mut repairs = Vec::new();
    let mut notes = Vec::new();
    let (mut given, source_levels) = given_areas(levels, sources, &mut repairs, &mut notes)?;
    if given[0].is_empty() {
        return Err(GeoError::Format {
            path: profile.path.clone(),
            message: format!(
                "no area file holds the index unit (level `{}`, codes starting with `{}`)",
                levels[0].id, levels[0].code_prefix
            ),
        });
    }

    // Link level by level, dissolving parents that no file gives.
    let mut out: Vec<LevelAreas> = Vec::with_capacity(levels.len());
    let mut current: Given = std::mem::take(&mut given[0]);
    for li in 0..levels.len() {
        let level = &levels[li];
        let Some(rule) = &level.parent else {
            out.push(LevelAreas {
                level: level.clone(),
                areas: current.into_values().map(|a| a.0).collect(),
            });
            break;
        };
        let parent_level = &levels[li + 1];
        let mut parents = std::mem::take(&mut given[li + 1]);
        let links = {
            let index = ParentIndex::new(profile, rule, level, parent_level, &parents)?;
            let linker = Linker {
                rule,
                level,
                parent_level,
                panel,
                index,
            };
            linker.links(&current)
        };
        // An optional parent level that no file gives and no child names is left out, with the
        // levels above it.
        if parent_level.optional && parents.is_empty() && links.iter().all(|(_, l)| l.is_none()) {
            notes.push(Note {
                level: parent_level.id.clone(),
                code: String::new(),
                note: format!(
                    "optional level left out: no {} names its {}",
                    level.id, parent_level.id
                ),
            });
            let areas = current.into_values().map(|(mut a, _)| {
                a.parent = None;
                a
            });
            out.push(LevelAreas {
                level: level.clone(),
                areas: areas.collect(),
            });
            break;
        }
        let children_of = families(&links, level, parent_level, &mut notes);
        add_dissolved_parents(
            &children_of,
            &current,
            &mut parents,
            parent_level,
            &mut notes,
        );
        let mut areas: Vec<Area> = Vec::with_capacity(current.len());
        for ((_, (mut area, _)), (_, link)) in current.into_iter().zip(links) {
            area.parent = link.map(|l| l.0);
            areas.push(area);
        }
        out.push(LevelAreas {
            level: level.clone(),
            areas,
        });
        current = parents;
    }
    if let Some(panel) = panel {
        name_from_tables(&mut out, &panel.names);
    }
    repairs.sort();
    notes.sort();
    Ok(Hierarchy {
        levels: out,
        repairs,
        notes,
        source_levels,
    })
}

/// Names from the indicator tables (any table that names a code: a StatLine export names every
/// gemeente, wijk and buurt) for the areas that no area file named: those named by their code.
fn name_from_tables(levels: &mut [LevelAreas], names: &BTreeMap<String, String>) {
    for l in levels {
        for a in &mut l.areas {
            let unnamed = a.name == a.code || a.name.trim().is_empty();
            if let Some(n) = names
                .get(&a.code)
                .filter(|n| unnamed && !n.trim().is_empty())
            {
                a.name.clone_from(n);
            }
        }
    }
}

/// Steps 1–4 for every file: find its level, then read, reproject and repair its areas into
/// their level (code → (area, properties)). Every repair goes to `repairs`; an area that an
/// earlier file of the same level gave is noted in `notes` and dropped. Also returns the level
/// id of each file.
fn given_areas(
    levels: &[Level],
    sources: &[Source],
    repairs: &mut Vec<RepairEntry>,
    notes: &mut Vec<Note>,
) -> Result<(Vec<Given>, Vec<String>)> {
    let mut source_levels = Vec::with_capacity(sources.len());
    let mut given: Vec<Given> = vec![BTreeMap::new(); levels.len()];
    for (si, s) in sources.iter().enumerate() {
        let li = level_of(s, levels)?;
        source_levels.push(levels[li].id.clone());
        for p in prepare(s, &levels[li])? {
            for r in &p.repairs {
                repairs.push(RepairEntry {
                    level: levels[li].id.clone(),
                    code: p.code.clone(),
                    repair: *r,
                });
            }
            if given[li].contains_key(&p.code) {
                notes.push(Note {
                    level: levels[li].id.clone(),
                    code: p.code.clone(),
                    note: format!(
                        "given again in {}; the first file's area is kept",
                        s.path.display()
                    ),
                });
                continue;
            }
            let collapsed = p.repairs.contains(&RepairKind::Collapsed);
            given[li].insert(
                p.code.clone(),
                (
                    Area {
                        code: p.code,
                        name: p.name,
                        parent: None,
                        geometry: p.geometry,
                        water: p.water,
                        collapsed,
                        source: Some(si),
                    },
                    p.properties,
                ),
            );
        }
    }
    Ok((given, source_levels))
}

/// The parent level's given areas, in code order, with an R-tree over their envelopes where
/// the parent is found by containment.
struct ParentIndex<'a> {
    /// The parents' areas, in code order (the R-tree's indices point here).
    list: Vec<&'a Area>,
    /// The envelopes of `list`; `None` unless the rule is [`ParentRule::Contains`].
    tree: Option<RTree<Indexed>>,
}

impl<'a> ParentIndex<'a> {
    /// Index the parents given for `parent_level`.
    ///
    /// # Errors
    /// [`GeoError::Format`] when `level` finds its parent by containment and no file gives the
    /// parent level.
    fn new(
        profile: &Profile,
        rule: &ParentRule,
        level: &Level,
        parent_level: &Level,
        parents: &'a Given,
    ) -> Result<Self> {
        let parent_tree = if matches!(rule, ParentRule::Contains) {
            if parents.is_empty() {
                return Err(GeoError::Format {
                    path: profile.path.clone(),
                    message: format!(
                        "level `{}` finds its parent by containment, but no area file of level `{}` was given",
                        level.id, parent_level.id
                    ),
                });
            }
            Some(
                parents
                    .values()
                    .enumerate()
                    .filter_map(|(i, (a, _))| {
                        envelope(&a.geometry).map(|e| Indexed {
                            envelope: e,
                            index: i,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        Ok(ParentIndex {
            list: parents.values().map(|p| &p.0).collect(),
            tree: parent_tree.map(RTree::bulk_load),
        })
    }
}

/// Step 5, first half: finds the parent of each area of one level by the level's rule.
struct Linker<'a> {
    /// The level's parent rule.
    rule: &'a ParentRule,
    /// The level of the children.
    level: &'a Level,
    /// The level of the parents.
    parent_level: &'a Level,
    /// The indicator tables, for [`ParentRule::Column`] columns that the area files lack.
    panel: Option<&'a Panel>,
    /// The parents given by files.
    index: ParentIndex<'a>,
}

impl Linker<'_> {
    /// The link of every area of `current`, in code order.
    fn links(&self, current: &Given) -> Vec<(String, Link)> {
        // A child names its parent only through a field that does not name the child itself
        // (`statnaam` names the buurt in a buurt file, not its wijk).
        let parent_name_fields: Vec<String> = self
            .parent_level
            .name_fields
            .iter()
            .filter(|f| {
                !self
                    .level
                    .name_fields
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(f))
            })
            .cloned()
            .collect();
        let mut links: Vec<(String, Link)> = Vec::with_capacity(current.len());
        for (code, (area, props)) in current {
            let link = self.link(code, area, props, &parent_name_fields);
            links.push((code.clone(), link));
        }
        links
    }

    /// The parent code of one area (and a name for it, where the child knows one); `None`
    /// where no parent is found.
    fn link(
        &self,
        code: &String,
        area: &Area,
        props: &BTreeMap<String, Value>,
        parent_name_fields: &[String],
    ) -> Link {
        let prefix = &self.parent_level.code_prefix;
        match self.rule {
            ParentRule::Template(_) => self.rule.apply_template(code).map(|p| {
                (
                    normalise_code(&p, prefix),
                    text_prop(props, parent_name_fields),
                )
            }),
            ParentRule::Column { code: ccol, name } => {
                let from_props = text_prop(props, std::slice::from_ref(ccol));
                let from_tables = || {
                    self.panel
                        .and_then(|p| p.text.get(ccol))
                        .and_then(|m| m.get(code))
                        .cloned()
                };
                let name_of = |n: &String| {
                    text_prop(props, std::slice::from_ref(n)).or_else(|| {
                        self.panel
                            .and_then(|p| p.text.get(n))
                            .and_then(|m| m.get(code))
                            .cloned()
                    })
                };
                from_props
                    .or_else(from_tables)
                    .map(|p| (normalise_code(&p, prefix), name.as_ref().and_then(name_of)))
            }
            ParentRule::Contains => {
                let probe: Option<Point<f64>> = area.geometry.interior_point();
                let list = &self.index.list;
                probe.and_then(|pt| {
                    self.index
                        .tree
                        .as_ref()?
                        .locate_in_envelope_intersecting(&AABB::from_point([pt.x(), pt.y()]))
                        .map(|i| i.index)
                        .filter(|&i| list[i].geometry.contains(&pt))
                        .min()
                        .map(|i| (list[i].code.clone(), None))
                })
            }
        }
    }
}

/// The children of each linked parent code, and the first name a child gives it. A child
/// without a parent is noted.
fn families(
    links: &[(String, Link)],
    level: &Level,
    parent_level: &Level,
    notes: &mut Vec<Note>,
) -> BTreeMap<String, Family> {
    let mut children_of: BTreeMap<String, Family> = BTreeMap::new();
    for (code, link) in links {
        match link {
            Some((p, name)) => {
                let e = children_of.entry(p.clone()).or_default();
                e.0.push(code.clone());
                if e.1.is_none() {
                    e.1.clone_from(name);
                }
            }
            None => notes.push(Note {
                level: level.id.clone(),
                code: code.clone(),
                note: format!("no parent {} found", parent_level.id),
            }),
        }
    }
    children_of
}

/// Step 5, second half: the parents that no file gives, dissolved from their children (in
/// parallel) and added to `parents`. Where the parent level had a file, each is noted.
fn add_dissolved_parents(
    children_of: &BTreeMap<String, Family>,
    current: &Given,
    parents: &mut Given,
    parent_level: &Level,
    notes: &mut Vec<Note>,
) {
    let missing: Vec<(&String, &Family)> = children_of
        .iter()
        .filter(|(p, _)| !parents.contains_key(*p))
        .collect();
    let had_file = !parents.is_empty();
    let dissolved: Vec<(String, Area, BTreeMap<String, Value>)> = missing
        .par_iter()
        .map(|(p, (kids, name))| dissolved_parent(p, kids, name.as_ref(), current))
        .collect();
    for (p, a, props) in dissolved {
        if had_file {
            notes.push(Note {
                level: parent_level.id.clone(),
                code: p.clone(),
                note: "not in the area file of its level; dissolved from its children".into(),
            });
        }
        parents.insert(p, (a, props));
    }
}

/// A parent dissolved from its children `kids` (codes in `current`). It is water or collapsed
/// only where all its children are, and carries its first child's attributes, so that the
/// level above can find its name and its own parent there (a buurt's `gemeentenaam`, a
/// gemeente's `provincie`).
fn dissolved_parent(
    p: &str,
    kids: &[String],
    name: Option<&String>,
    current: &Given,
) -> (String, Area, BTreeMap<String, Value>) {
    let geoms: Vec<&MultiPolygon<f64>> = kids
        .iter()
        .filter_map(|k| current.get(k))
        .filter(|a| !a.0.collapsed)
        .map(|a| &a.0.geometry)
        .collect();
    let mut geometry = dissolve(geoms);
    if geometry.0.is_empty() {
        // Every child collapsed: keep their polygons as given (as for a collapsed
        // child), so the parent still has a place and a valid feature.
        geometry = MultiPolygon::new(
            kids.iter()
                .filter_map(|k| current.get(k))
                .flat_map(|a| a.0.geometry.0.iter().cloned())
                .collect(),
        );
    }
    let water = kids
        .iter()
        .filter_map(|k| current.get(k))
        .all(|a| a.0.water);
    let collapsed = kids
        .iter()
        .filter_map(|k| current.get(k))
        .all(|a| a.0.collapsed);
    let props = kids
        .first()
        .and_then(|k| current.get(k))
        .map(|a| a.1.clone())
        .unwrap_or_default();
    (
        p.to_string(),
        Area {
            code: p.to_string(),
            name: name.cloned().unwrap_or_else(|| p.to_string()),
            parent: None,
            geometry,
            water,
            collapsed,
            source: None,
        },
        props,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Feature;
    use geo::{Area as _, polygon};
    use std::path::{Path, PathBuf};

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)],
        ])
    }

    /// A feature for a test source: its polygons and text attributes.
    type TestFeature<'a> = (MultiPolygon<f64>, Vec<(&'a str, &'a str)>);

    fn source(name: &str, feats: Vec<TestFeature<'_>>) -> Source {
        Source {
            path: PathBuf::from(name),
            layer: None,
            crs: Crs::Wgs84,
            features: feats
                .into_iter()
                .enumerate()
                .map(|(index, (geometry, props))| Feature {
                    index,
                    geometry,
                    properties: props
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), Value::Text(v.to_string())))
                        .collect(),
                })
                .collect(),
        }
    }

    const DOMAIN: &str = "[[domain]]\nid = \"a\"\nweight = 1\n  [[domain.indicator]]\n  id = \"x\"\n  column = \"x\"\n  direction = \"higher-is-worse\"\n";

    #[test]
    fn parents_by_template_are_dissolved_and_named_from_the_children() {
        let profile = Profile::from_str_at(
            &format!(
                "id = \"t\"\n{DOMAIN}\n[[level]]\nid = \"small\"\ncode_prefix = \"S\"\ncode_fields = [\"code\"]\nname_fields = [\"name\"]\nparent = {{ template = \"P{{1:3}}\" }}\n\n[[level]]\nid = \"big\"\ncode_prefix = \"P\"\nname_fields = [\"bigname\"]\n"
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        // Four small areas: S1001, S1002 in P10 (named by the children), S2001 and a bare
        // number 2002 (normalised to S2002) in P20.
        let s = source(
            "small.geojson",
            vec![
                (
                    square(0.0, 0.0),
                    vec![
                        ("code", "S1001"),
                        ("name", "Een"),
                        ("bigname", "Groot tien"),
                    ],
                ),
                (square(1.0, 0.0), vec![("code", "s1002 "), ("name", "Twee")]),
                (square(0.0, 5.0), vec![("code", "S2001")]),
                (square(1.0, 5.0), vec![("code", "2002")]),
            ],
        );
        let h = assemble(&profile, None, &[s]).unwrap();
        let small = &h.levels[0];
        assert_eq!(
            small
                .areas
                .iter()
                .map(|a| a.code.as_str())
                .collect::<Vec<_>>(),
            ["S1001", "S1002", "S2001", "S2002"]
        );
        assert_eq!(small.areas[0].parent.as_deref(), Some("P10"));
        assert_eq!(small.areas[2].name, "S2001", "no name: the code");
        let big = &h.levels[1];
        assert_eq!(big.areas.len(), 2);
        assert_eq!(big.areas[0].name, "Groot tien");
        assert!((big.areas[0].geometry.unsigned_area() - 2.0).abs() < 1e-12);
        assert_eq!(
            big.areas[0].geometry.0.len(),
            1,
            "two squares sharing an edge dissolve into one"
        );
        assert!(big.areas.iter().all(|a| a.source.is_none()));
        assert_eq!(h.source_levels, vec!["small".to_string()]);
    }

    #[test]
    fn parents_by_column_and_by_containment() {
        // Column: the parent code is an attribute of the child.
        let profile = Profile::from_str_at(
            &format!(
                "id = \"t\"\n{DOMAIN}\n[[level]]\nid = \"lsoa\"\ncode_prefix = \"E01\"\ncode_fields = [\"code\"]\nparent = {{ column = \"lad\", name_column = \"ladname\" }}\n\n[[level]]\nid = \"lad\"\ncode_prefix = \"E0\"\n"
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        let s = source(
            "lsoa.geojson",
            vec![
                (
                    square(0.0, 0.0),
                    vec![
                        ("code", "E01000001"),
                        ("lad", "E09000001"),
                        ("ladname", "City"),
                    ],
                ),
                (
                    square(1.0, 0.0),
                    vec![("code", "E01000002"), ("lad", "E09000001")],
                ),
            ],
        );
        let h = assemble(&profile, None, &[s]).unwrap();
        assert_eq!(h.levels[1].areas.len(), 1);
        assert_eq!(
            (
                h.levels[1].areas[0].code.as_str(),
                h.levels[1].areas[0].name.as_str()
            ),
            ("E09000001", "City")
        );

        // Containment: the parent layer is given; each child goes to the polygon holding it.
        let profile = Profile::from_str_at(
            &format!(
                "id = \"t\"\n{DOMAIN}\n[[level]]\nid = \"child\"\ncode_prefix = \"C\"\ncode_fields = [\"code\"]\nparent = {{ contains = true }}\n\n[[level]]\nid = \"parent\"\ncode_prefix = \"Q\"\ncode_fields = [\"qcode\"]\n"
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        let kids = source(
            "kids.geojson",
            vec![
                (square(0.0, 0.0), vec![("code", "C1")]),
                (square(5.0, 0.0), vec![("code", "C2")]),
                (square(50.0, 50.0), vec![("code", "C3")]),
            ],
        );
        let big = |x: f64| {
            MultiPolygon::new(vec![
                polygon![(x: x, y: -1.0), (x: x + 3.0, y: -1.0), (x: x + 3.0, y: 2.0), (x: x, y: 2.0)],
            ])
        };
        let parents = source(
            "parents.geojson",
            vec![
                (big(-1.0), vec![("qcode", "Q1")]),
                (big(4.0), vec![("qcode", "Q2")]),
            ],
        );
        let h = assemble(&profile, None, &[kids, parents]).unwrap();
        let links: Vec<Option<&str>> = h.levels[0]
            .areas
            .iter()
            .map(|a| a.parent.as_deref())
            .collect();
        assert_eq!(links, [Some("Q1"), Some("Q2"), None]);
        assert_eq!(h.notes.len(), 1, "C3 has no parent: {:?}", h.notes);
        assert_eq!(
            h.source_levels,
            vec!["child".to_string(), "parent".to_string()]
        );
    }
}
