//! Areal interpolation between two boundary editions (a *crosswalk*): which areas of edition A
//! (the sources) make up each area of edition B (the targets), and values of A carried onto B.
//!
//! Both editions are reprojected to RD New (EPSG:28992, metres) and their rings repaired, so
//! areas are in square metres. An R-tree over the target envelopes finds candidate pairs;
//! `geo`'s [`BooleanOps`] intersection gives the overlap area `a_st = area(s ∩ t)`.
//!
//! * Weights: `w_st = a_st / area(s)`, the share of source `s` that lies in target `t`.
//! * Slivers: an overlap smaller than [`Options::sliver`] (0.5 %) of the smaller of the two areas
//!   is noise of the digitising (or of the coarse TopoJSON grid), not a boundary change. It is
//!   dropped from the classes and the source lists, and its area is handed to the source's other
//!   targets in proportion, so that `Σ_t w_st` stays the covered share of `s` (counts are
//!   conserved). Their number and area are reported.
//! * Classes of a target: [`Class::Same`], [`Class::Split`], [`Class::Merged`],
//!   [`Class::Reshaped`], [`Class::Uncovered`] (see there).
//! * Interpolation ([`Crosswalk::interpolate`]): extensive (count) values `v_t = Σ_s w_st·v_s`;
//!   intensive values (rates, means, shares) population-weighted,
//!   `v_t = Σ_s w_st·pop_s·v_s / Σ_s w_st·pop_s`, or area-weighted, `Σ_s a_st·v_s / Σ_s a_st`.
//!
//! Sources with no area (polygons that collapse, as some of the coarse 2014 TopoJSON buurten
//! do) carry no weight; they are listed in [`Crosswalk::sources`] with `zero_area` set.

use std::collections::HashMap;

use geo::{Area, BooleanOps, BoundingRect};
use geo_types::MultiPolygon;
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};

use crate::crs::{Crs, Reprojector};
use crate::hierarchy::reproject_geometry;
use crate::repair::repair;

/// Tolerances of the crosswalk, as shares (0–1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// An overlap below this share of the smaller of its two areas is a sliver (noise).
    pub sliver: f64,
    /// The share of both areas that one overlap must reach for [`Class::Same`], the share of a
    /// source that must lie in one target for it to count as wholly absorbed
    /// ([`Class::Merged`]), and the share of a target that must be covered by sources for it
    /// not to be [`Class::Uncovered`].
    pub same: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sliver: 0.005,
            same: 0.99,
        }
    }
}

/// How a target area relates to the source areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// One source, and the overlap holds at least [`Options::same`] of both areas; the code
    /// may differ (a renamed area).
    Same,
    /// Part of one source, which was divided between targets that each come from it alone.
    Split,
    /// Several sources, each lying (almost) wholly inside the target.
    Merged,
    /// Borders moved: a source contributes only a part of itself, and its other parts went to
    /// targets that also draw from other sources.
    Reshaped,
    /// Less than [`Options::same`] of the target is covered by sources (or it has no area).
    Uncovered,
}

impl Class {
    /// All classes, in report order.
    pub const ALL: [Class; 5] = [
        Class::Same,
        Class::Split,
        Class::Merged,
        Class::Reshaped,
        Class::Uncovered,
    ];

    /// The lower-case name used in files (`same`, `split`, `merged`, `reshaped`, `uncovered`).
    pub fn name(self) -> &'static str {
        match self {
            Class::Same => "same",
            Class::Split => "split",
            Class::Merged => "merged",
            Class::Reshaped => "reshaped",
            Class::Uncovered => "uncovered",
        }
    }
}

/// One (non-sliver) overlap of a source with a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// The index of the source in [`Crosswalk::sources`].
    pub source: usize,
    /// The overlap area `a_st`, m² (RD New).
    pub area: f64,
    /// `w_st`: the share of the source carried to the target (slivers redistributed; exactly
    /// the rest of the source for [`Class::Same`]).
    pub weight: f64,
}

/// A source area (edition A).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceArea {
    /// Its code.
    pub code: String,
    /// Its area, m² (RD New), after repair.
    pub area: f64,
    /// The share of its area that lies in some target (slivers included).
    pub covered_share: f64,
    /// True when its polygon collapses to no area: it carries no weight.
    pub zero_area: bool,
    /// The number of targets it reaches by a non-sliver overlap.
    pub targets: usize,
}

/// A target area (edition B) and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetArea {
    /// Its code.
    pub code: String,
    /// Its area, m² (RD New), after repair.
    pub area: f64,
    /// Its class.
    pub class: Class,
    /// The share of its area covered by sources (slivers included).
    pub covered_share: f64,
    /// Its sources, by decreasing overlap area.
    pub links: Vec<Link>,
}

impl TargetArea {
    /// The source code of a [`Class::Same`] target whose code differs from it (a renamed area).
    pub fn renamed_from<'a>(&self, sources: &'a [SourceArea]) -> Option<&'a str> {
        match (self.class, self.links.first()) {
            (Class::Same, Some(l)) if sources[l.source].code != self.code => {
                Some(sources[l.source].code.as_str())
            }
            _ => None,
        }
    }
}

/// The overlaps dropped as slivers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Slivers {
    /// How many source–target pairs.
    pub count: usize,
    /// Their total area, m².
    pub area: f64,
}

/// The crosswalk from edition A (sources) to edition B (targets).
#[derive(Debug, Clone, PartialEq)]
pub struct Crosswalk {
    /// The source areas, in input order.
    pub sources: Vec<SourceArea>,
    /// The target areas, in input order.
    pub targets: Vec<TargetArea>,
    /// The overlaps dropped as noise.
    pub slivers: Slivers,
    /// The tolerances used.
    pub options: Options,
}

/// Why a crosswalk cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrosswalkError {
    /// A code appears twice in one edition.
    #[error(
        "{edition} areas: code {code} appears twice (items {first} and {second}); each area must appear once"
    )]
    DuplicateCode {
        /// `source` or `target`.
        edition: &'static str,
        /// The code.
        code: String,
        /// The first 0-based item with it.
        first: usize,
        /// The second.
        second: usize,
    },
    /// A coordinate could not be reprojected to RD New.
    #[error(
        "{edition} area {code}: cannot reproject from EPSG:{epsg} to RD New (EPSG:28992): {message}"
    )]
    Reproject {
        /// `source` or `target`.
        edition: &'static str,
        /// The area code.
        code: String,
        /// The CRS of the input.
        epsg: u32,
        /// What went wrong.
        message: String,
    },
}

/// How a column is carried across.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count: shared out by area, `v_t = Σ_s w_st·v_s`.
    Extensive,
    /// A rate, mean or share: a weighted mean of the sources.
    Intensive,
}

/// One interpolated value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The value; `None` when the target has no source, or more than the allowed share of its
    /// weight comes from sources without a value.
    pub value: Option<f64>,
    /// The share of the target's weight (overlap area; population × weight for
    /// population-weighted intensive values) from sources without a value (0–1).
    pub missing_share: f64,
}

/// Areas of one edition in RD New, repaired: (area m², geometry).
struct Prepared {
    area: f64,
    geometry: MultiPolygon<f64>,
}

fn prepare(
    areas: &[(String, MultiPolygon<f64>)],
    crs: Crs,
    edition: &'static str,
) -> Result<Vec<Prepared>, CrosswalkError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(areas.len());
    for (i, (code, _)) in areas.iter().enumerate() {
        if let Some(first) = seen.insert(code.as_str(), i) {
            return Err(CrosswalkError::DuplicateCode {
                edition,
                code: code.clone(),
                first,
                second: i,
            });
        }
    }
    let reprojector = match crs {
        Crs::RdNew => None,
        other => Some(Reprojector::new(other, Crs::RdNew).map_err(|message| {
            CrosswalkError::Reproject {
                edition,
                code: String::new(),
                epsg: other.epsg(),
                message,
            }
        })?),
    };
    areas
        .par_iter()
        .map(|(code, g)| {
            let g = match &reprojector {
                Some(r) => {
                    reproject_geometry(g, r).map_err(|message| CrosswalkError::Reproject {
                        edition,
                        code: code.clone(),
                        epsg: crs.epsg(),
                        message,
                    })?
                }
                None => g.clone(),
            };
            let repaired = repair(&g);
            let geometry = if repaired.collapsed() {
                MultiPolygon::new(Vec::new())
            } else {
                repaired.geometry
            };
            Ok(Prepared {
                area: geometry.unsigned_area(),
                geometry,
            })
        })
        .collect()
}

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
    g.bounding_rect()
        .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// Every overlap with a positive area: (source, target, a_st), by source then target.
fn overlaps(sources: &[Prepared], targets: &[Prepared]) -> Vec<(usize, usize, f64)> {
    let tree = RTree::bulk_load(
        targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.area > 0.0)
            .filter_map(|(index, t)| {
                envelope(&t.geometry).map(|envelope| Indexed { envelope, index })
            })
            .collect(),
    );
    let per_source: Vec<Vec<(usize, usize, f64)>> = sources
        .par_iter()
        .enumerate()
        .map(|(s, src)| {
            let Some(env) = envelope(&src.geometry).filter(|_| src.area > 0.0) else {
                return Vec::new();
            };
            let mut found: Vec<(usize, usize, f64)> = tree
                .locate_in_envelope_intersecting(&env)
                .filter_map(|c| {
                    let a = src
                        .geometry
                        .intersection(&targets[c.index].geometry)
                        .unsigned_area();
                    (a > 0.0).then_some((s, c.index, a))
                })
                .collect();
            found.sort_by_key(|x| x.1);
            found
        })
        .collect();
    per_source.into_iter().flatten().collect()
}

/// Build the crosswalk from `sources` (edition A, in `source_crs`) to `targets` (edition B, in
/// `target_crs`); each is a list of (code, multipolygon). Both are reprojected to RD New
/// (EPSG:28992) for the areas.
///
/// # Errors
/// [`CrosswalkError::DuplicateCode`] for a code twice in one edition,
/// [`CrosswalkError::Reproject`] for a coordinate outside the projection's domain.
pub fn build(
    sources: &[(String, MultiPolygon<f64>)],
    source_crs: Crs,
    targets: &[(String, MultiPolygon<f64>)],
    target_crs: Crs,
    options: &Options,
) -> Result<Crosswalk, CrosswalkError> {
    let src = prepare(sources, source_crs, "source")?;
    let tgt = prepare(targets, target_crs, "target")?;
    let pairs = overlaps(&src, &tgt);

    // Covered areas (slivers included), and the non-sliver area per source for redistribution.
    let mut src_covered = vec![0.0; src.len()];
    let mut src_kept = vec![0.0; src.len()];
    let mut tgt_covered = vec![0.0; tgt.len()];
    let mut slivers = Slivers::default();
    let is_sliver = |s: usize, t: usize, a: f64| a < options.sliver * src[s].area.min(tgt[t].area);
    for &(s, t, a) in &pairs {
        src_covered[s] += a;
        tgt_covered[t] += a;
        if is_sliver(s, t, a) {
            slivers.count += 1;
            slivers.area += a;
        } else {
            src_kept[s] += a;
        }
    }
    let mut links: Vec<Vec<Link>> = vec![Vec::new(); tgt.len()];
    let mut src_targets: Vec<Vec<usize>> = vec![Vec::new(); src.len()];
    for &(s, t, a) in &pairs {
        if is_sliver(s, t, a) {
            continue;
        }
        // The source's slivers are shared out over its kept overlaps in proportion.
        let weight = a / src[s].area * (src_covered[s] / src_kept[s]);
        links[t].push(Link {
            source: s,
            area: a,
            weight,
        });
        src_targets[s].push(t);
    }
    let mut out_targets: Vec<TargetArea> = targets
        .iter()
        .zip(&tgt)
        .zip(links)
        .enumerate()
        .map(|(t, (((code, _), p), mut l))| {
            l.sort_by(|x, y| y.area.total_cmp(&x.area).then(x.source.cmp(&y.source)));
            TargetArea {
                code: code.clone(),
                area: p.area,
                class: Class::Uncovered,
                covered_share: if p.area > 0.0 {
                    tgt_covered[t] / p.area
                } else {
                    0.0
                },
                links: l,
            }
        })
        .collect();
    let sole = |t: &TargetArea| t.links.len() == 1;
    let classes: Vec<Class> = out_targets
        .iter()
        .map(|t| classify(t, &src, &src_targets, &out_targets, options, sole))
        .collect();
    for (t, class) in out_targets.iter_mut().zip(classes) {
        t.class = class;
    }
    same_takes_whole_source(&mut out_targets, &src_targets);
    let out_sources = sources
        .iter()
        .zip(&src)
        .enumerate()
        .map(|(s, ((code, _), p))| SourceArea {
            code: code.clone(),
            area: p.area,
            covered_share: if p.area > 0.0 {
                src_covered[s] / p.area
            } else {
                0.0
            },
            zero_area: p.area <= 0.0,
            targets: src_targets[s].len(),
        })
        .collect();
    Ok(Crosswalk {
        sources: out_sources,
        targets: out_targets,
        slivers,
        options: *options,
    })
}

fn classify(
    t: &TargetArea,
    src: &[Prepared],
    src_targets: &[Vec<usize>],
    all: &[TargetArea],
    options: &Options,
    sole: impl Fn(&TargetArea) -> bool,
) -> Class {
    if t.area <= 0.0 || t.links.is_empty() || t.covered_share < options.same {
        return Class::Uncovered;
    }
    if let [l] = t.links.as_slice() {
        if l.area >= options.same * t.area && l.area >= options.same * src[l.source].area {
            return Class::Same;
        }
        if src_targets[l.source].iter().all(|&o| sole(&all[o])) {
            return Class::Split;
        }
        return Class::Reshaped;
    }
    if t.links
        .iter()
        .all(|l| l.area >= options.same * src[l.source].area)
    {
        Class::Merged
    } else {
        Class::Reshaped
    }
}

/// A [`Class::Same`] target takes its source's value whole: its weight is the rest of the
/// source after any other (non-sliver) targets, so unchanged areas keep their values exactly.
fn same_takes_whole_source(targets: &mut [TargetArea], src_targets: &[Vec<usize>]) {
    let updates: Vec<(usize, f64)> = targets
        .iter()
        .enumerate()
        .filter(|(_, t)| t.class == Class::Same)
        .filter_map(|(ti, t)| {
            let s = t.links.first()?.source;
            let others: f64 = src_targets[s]
                .iter()
                .filter(|&&o| o != ti)
                .filter_map(|&o| targets[o].links.iter().find(|l| l.source == s))
                .map(|l| l.weight)
                .sum();
            Some((ti, (1.0 - others).max(0.0)))
        })
        .collect();
    for (ti, w) in updates {
        if let Some(l) = targets[ti].links.first_mut() {
            l.weight = w;
        }
    }
}

impl Crosswalk {
    /// The number of targets in each class, in [`Class::ALL`] order.
    pub fn class_counts(&self) -> Vec<(Class, usize)> {
        Class::ALL
            .iter()
            .map(|&c| (c, self.targets.iter().filter(|t| t.class == c).count()))
            .collect()
    }

    /// Carry one column across. `values[s]` is the value of source `s` (in
    /// [`Crosswalk::sources`] order); `population`, when given, weights intensive values.
    /// A target's value is missing when more than `max_missing` (a share, 0–1) of its weight
    /// comes from sources without a value; extensive sums then leave those sources out (no
    /// rescaling), and means are over the sources with a value.
    pub fn interpolate(
        &self,
        values: &[Option<f64>],
        kind: Kind,
        population: Option<&[Option<f64>]>,
        max_missing: f64,
    ) -> Vec<Estimate> {
        self.targets
            .iter()
            .map(|t| estimate(t, values, kind, population, max_missing))
            .collect()
    }
}

fn estimate(
    t: &TargetArea,
    values: &[Option<f64>],
    kind: Kind,
    population: Option<&[Option<f64>]>,
    max_missing: f64,
) -> Estimate {
    let value = |s: usize| values.get(s).copied().flatten();
    let pop = |s: usize| population.and_then(|p| p.get(s).copied().flatten());
    let by_population = kind == Kind::Intensive && population.is_some();
    // Weight of each link for the missing share and for the mean.
    let weight = |l: &Link| -> Option<f64> {
        if by_population {
            pop(l.source).map(|p| l.weight * p)
        } else {
            Some(l.area)
        }
    };
    let total_area: f64 = t.links.iter().map(|l| l.area).sum();
    if t.links.is_empty() || total_area <= 0.0 {
        return Estimate {
            value: None,
            missing_share: 1.0,
        };
    }
    let missing_area: f64 = t
        .links
        .iter()
        .filter(|l| value(l.source).is_none() || weight(l).is_none())
        .map(|l| l.area)
        .sum();
    let mut missing_share = missing_area / total_area;
    if by_population {
        let all: f64 = t.links.iter().filter_map(&weight).sum();
        let gone: f64 = t
            .links
            .iter()
            .filter(|l| value(l.source).is_none())
            .filter_map(&weight)
            .sum();
        if all > 0.0 {
            missing_share = missing_share.max(gone / all);
        }
    }
    if missing_share > max_missing {
        return Estimate {
            value: None,
            missing_share,
        };
    }
    let present = || {
        t.links
            .iter()
            .filter_map(|l| value(l.source).map(|v| (l, v)))
    };
    let v = match kind {
        Kind::Extensive => Some(present().map(|(l, v)| l.weight * v).sum()),
        Kind::Intensive => {
            let mean = |w: &dyn Fn(&Link) -> Option<f64>| {
                let (num, den) = present().fold((0.0, 0.0), |(n, d), (l, v)| match w(l) {
                    Some(w) => (n + w * v, d + w),
                    None => (n, d),
                });
                (den > 0.0).then(|| num / den)
            };
            // With no population at all (every source empty), fall back to area weights.
            mean(&weight).or_else(|| mean(&|l: &Link| Some(l.area)))
        }
    };
    Estimate {
        value: v,
        missing_share,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo_types::polygon;

    fn rect(code: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> (String, MultiPolygon<f64>) {
        (
            code.to_string(),
            MultiPolygon::new(vec![polygon![
                (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
            ]]),
        )
    }

    #[test]
    fn split_merge_reshape_and_same_by_hand() {
        // Sources (RD New metres): A [0,200]×[0,100] is split at x=100 into T1, T2;
        // B [200,300] and C [300,400] merge into T3; D [400,500] and E [500,600] have their
        // border moved from x=500 to x=520 (T4, T5); F [600,700] is unchanged but renamed (G).
        let s = vec![
            rect("A", 0.0, 0.0, 200.0, 100.0),
            rect("B", 200.0, 0.0, 300.0, 100.0),
            rect("C", 300.0, 0.0, 400.0, 100.0),
            rect("D", 400.0, 0.0, 500.0, 100.0),
            rect("E", 500.0, 0.0, 600.0, 100.0),
            rect("F", 600.0, 0.0, 700.0, 100.0),
        ];
        let t = vec![
            rect("T1", 0.0, 0.0, 100.0, 100.0),
            rect("T2", 100.0, 0.0, 200.0, 100.0),
            rect("T3", 200.0, 0.0, 400.0, 100.0),
            rect("T4", 400.0, 0.0, 520.0, 100.0),
            rect("T5", 520.0, 0.0, 600.0, 100.0),
            rect("G", 600.0, 0.0, 700.0, 100.0),
            rect("T7", 700.0, 0.0, 800.0, 100.0),
        ];
        let x = build(&s, Crs::RdNew, &t, Crs::RdNew, &Options::default()).unwrap();
        let classes: Vec<Class> = x.targets.iter().map(|t| t.class).collect();
        use Class::*;
        assert_eq!(
            classes,
            [Split, Split, Merged, Reshaped, Reshaped, Same, Uncovered]
        );
        assert_eq!(x.targets[5].renamed_from(&x.sources), Some("F"));
        // T4 = D (10,000 m², w = 1) + 20 m of E (2,000 of 10,000 m²: w = 0.2).
        let t4 = &x.targets[3];
        assert_eq!(t4.links.len(), 2);
        assert!((t4.links[0].weight - 1.0).abs() < 1e-12);
        assert!((t4.links[1].weight - 0.2).abs() < 1e-12);
        // Counts A..F = 100, 50, 30, 40, 60, 7 → T4 = 40 + 0.2·60 = 52.
        let counts = [
            Some(100.0),
            Some(50.0),
            Some(30.0),
            Some(40.0),
            Some(60.0),
            Some(7.0),
        ];
        let v = x.interpolate(&counts, Kind::Extensive, None, 0.05);
        let got: Vec<Option<f64>> = v.iter().map(|e| e.value).collect();
        let want = [50.0, 50.0, 80.0, 52.0, 48.0, 7.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g.unwrap() - w).abs() < 1e-9, "{got:?}");
        }
        assert_eq!(got[6], None);
        // A rate, population-weighted on T4: (1·40·10 + 0.2·60·20) / (40 + 12) = 640/52.
        let rates = [
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(10.0),
            Some(20.0),
            Some(5.0),
        ];
        let r = x.interpolate(&rates, Kind::Intensive, Some(&counts), 0.05);
        assert!((r[3].value.unwrap() - 640.0 / 52.0).abs() < 1e-9);
        // Area-weighted on T4: (10,000·10 + 2,000·20) / 12,000 = 140/12.
        let r = x.interpolate(&rates, Kind::Intensive, None, 0.05);
        assert!((r[3].value.unwrap() - 140.0 / 12.0).abs() < 1e-9);
    }

    #[test]
    fn slivers_are_noise_and_missing_values_are_reported() {
        // Source A [0,100]² and B [100,200]×[0,100]; target T [0,100.2]×[0,100] takes a strip
        // of 0.2 m of B (20 m² = 0.2 % of 10,000 m²: a sliver), U the rest of B.
        let s = vec![
            rect("A", 0.0, 0.0, 100.0, 100.0),
            rect("B", 100.0, 0.0, 200.0, 100.0),
        ];
        let t = vec![
            rect("T", 0.0, 0.0, 100.2, 100.0),
            rect("U", 100.2, 0.0, 200.0, 100.0),
        ];
        let x = build(&s, Crs::RdNew, &t, Crs::RdNew, &Options::default()).unwrap();
        assert_eq!(x.slivers.count, 1);
        // i_overlay snaps coordinates to a fine grid: areas are exact to about 1e-5 m² here.
        assert!((x.slivers.area - 20.0).abs() < 1e-3, "{}", x.slivers.area);
        assert_eq!(x.targets[0].class, Class::Same);
        // U (9,980 m² of B's 10,000): 99.8 % of both → same; its weight takes all of B.
        assert_eq!(x.targets[1].class, Class::Same);
        let v = x.interpolate(&[Some(10.0), None], Kind::Extensive, None, 0.05);
        assert_eq!(v[0].value, Some(10.0));
        assert_eq!(v[1].value, None);
        assert!((v[1].missing_share - 1.0).abs() < 1e-12);
    }
}
