//! Writing the atlas directory, the contract between the build and every later stage:
//! `scores.csv`, `areas.fgb` (FlatGeobuf, WGS84, with a spatial index, every level and every
//! score column per year), `metadata.json` and `build-report.json`.
//!
//! The directory is written to a temporary sibling and renamed into place, so a failed build
//! never leaves a half-written atlas where a good one was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::BoundingRect;
use geozero::{ColumnValue, PropertyProcessor};
use mdi_core::{Aggregate, Profile, Scores, aggregate};
use serde_json::json;

use crate::error::{GeoError, Result};
use crate::hierarchy::Hierarchy;
use crate::join::{JoinReport, join};

/// Where an area file came from, for the metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceInfo {
    /// The file (or `synthetic:demo`).
    pub path: String,
    /// The level it was read as.
    pub level: String,
    /// Its CRS, as an EPSG code.
    pub epsg: u32,
    /// Number of features.
    pub features: usize,
}

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
    /// The area files used.
    pub sources: Vec<SourceInfo>,
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

/// An existing `out` may be replaced only when it is an empty folder or an atlas written by
/// mdi-atlas (its `metadata.json` names mdi-atlas as generator).
///
/// # Errors
/// [`GeoError::Format`] when `out` is a file, or a folder holding anything else.
pub fn check_replaceable(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let refuse = |why: &str| GeoError::Format {
        path: out.to_path_buf(),
        message: format!(
            "{why}; an atlas replaces only an empty folder or an earlier atlas, so choose another --out"
        ),
    };
    if !out.is_dir() {
        return Err(refuse("exists and is not a folder"));
    }
    let empty = std::fs::read_dir(out)
        .map_err(io(out, "cannot read the folder"))?
        .next()
        .is_none();
    if empty {
        return Ok(());
    }
    let meta: Option<serde_json::Value> = std::fs::read(out.join("metadata.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let ours = meta
        .as_ref()
        .and_then(|m| m["generator"].as_str())
        .is_some_and(|g| g.starts_with("mdi-atlas"));
    if ours {
        Ok(())
    } else {
        Err(refuse("holds files that are not an mdi-atlas atlas"))
    }
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> GeoError {
    let path = path.to_path_buf();
    move |source| GeoError::Io {
        path,
        action,
        cause: source,
    }
}

fn fgb_err(path: &Path) -> impl Fn(geozero::error::GeozeroError) -> GeoError {
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

/// A stage that adds files to the atlas before it is moved into place (the tiles): it gets the
/// temporary folder, and an error from it abandons the build like any other.
pub type FinishStage<'a> =
    &'a mut dyn FnMut(&Path) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Write the atlas directory `out`. `finish` runs last, on the complete temporary folder, so
/// that whatever it writes (the tile archives) is part of the same atomic swap.
///
/// # Errors
/// [`GeoError::Io`] when a file cannot be written or the directory cannot be moved into place,
/// [`GeoError::Format`] when FlatGeobuf writing fails.
pub fn write_atlas(
    out: &Path,
    profile: &Profile,
    scores: &Scores,
    hierarchy: &Hierarchy,
    info: &AtlasInfo,
    finish: FinishStage<'_>,
) -> Result<AtlasSummary> {
    let index = &hierarchy.levels[0];
    let (join_report, rows_of) = join(scores, index);
    let mut years: Vec<i32> = scores.rows.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();

    // Ancestors of every area: level → code → parent code.
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
    // Summaries of the parent levels: child (index unit, by its score code) → ancestor code.
    let mut aggregates: Vec<BTreeMap<(String, i32), Aggregate>> =
        vec![BTreeMap::new(); hierarchy.levels.len()];
    for (li, level_aggregates) in aggregates.iter_mut().enumerate().skip(1) {
        let mut parent_of: BTreeMap<String, String> = BTreeMap::new();
        for (ai, a) in index.areas.iter().enumerate() {
            let mut code = a.code.as_str();
            let mut ok = true;
            for map in parent_maps.iter().take(li) {
                match map.get(code) {
                    Some(p) => code = p,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if let (true, Some(&r)) = (ok, rows_of[ai].first()) {
                parent_of.insert(scores.rows[r].code.to_string(), code.to_string());
            }
        }
        for ag in aggregate(scores, &parent_of) {
            level_aggregates.insert((ag.code.clone(), ag.year), ag);
        }
    }

    // Features in (level, code) order, and their columns.
    let mut feats: Vec<(usize, usize)> = Vec::new();
    for (li, l) in hierarchy.levels.iter().enumerate() {
        feats.extend((0..l.areas.len()).map(|ai| (li, ai)));
    }
    let mut cols: Vec<(String, Col)> = Vec::new();
    let area = |f: &(usize, usize)| &hierarchy.levels[f.0].areas[f.1];
    cols.push((
        "code".into(),
        Col::Text(feats.iter().map(|f| Some(area(f).code.clone())).collect()),
    ));
    cols.push((
        "name".into(),
        Col::Text(feats.iter().map(|f| Some(area(f).name.clone())).collect()),
    ));
    cols.push((
        "level".into(),
        Col::Text(
            feats
                .iter()
                .map(|f| Some(hierarchy.levels[f.0].level.layer.clone()))
                .collect(),
        ),
    ));
    cols.push((
        "parent".into(),
        Col::Text(feats.iter().map(|f| area(f).parent.clone()).collect()),
    ));
    for (ui, ul) in hierarchy.levels.iter().enumerate().skip(1) {
        let values = feats
            .iter()
            .map(|&(li, ai)| {
                if li >= ui {
                    return None;
                }
                let mut code = hierarchy.levels[li].areas[ai].code.as_str();
                for map in &parent_maps[li..ui] {
                    code = map.get(code)?;
                }
                Some(code.to_string())
            })
            .collect();
        cols.push((format!("{}_code", ul.level.id), Col::Text(values)));
    }
    cols.push((
        "water".into(),
        Col::Bool(feats.iter().map(|f| Some(area(f).water)).collect()),
    ));
    cols.push((
        "collapsed".into(),
        Col::Bool(feats.iter().map(|f| Some(area(f).collapsed)).collect()),
    ));
    // No data: an index area never ranked, or a parent with no ranked area.
    let nodata: Vec<Option<bool>> = feats
        .iter()
        .map(|&(li, ai)| {
            Some(if li == 0 {
                !rows_of[ai]
                    .iter()
                    .any(|&r| scores.rows[r].exclusion.is_none())
            } else {
                let code = &hierarchy.levels[li].areas[ai].code;
                !years.iter().any(|y| {
                    aggregates[li]
                        .get(&(code.clone(), *y))
                        .is_some_and(|a| a.areas > 0)
                })
            })
        })
        .collect();
    cols.push(("nodata".into(), Col::Bool(nodata)));
    for &y in &years {
        let row = |&(li, ai): &(usize, usize)| -> Option<&mdi_core::AreaResult> {
            (li == 0)
                .then(|| {
                    rows_of[ai]
                        .iter()
                        .map(|&r| &scores.rows[r])
                        .find(|r| r.year == y)
                })
                .flatten()
        };
        let agg = |&(li, ai): &(usize, usize)| -> Option<&Aggregate> {
            (li > 0)
                .then(|| aggregates[li].get(&(hierarchy.levels[li].areas[ai].code.clone(), y)))
                .flatten()
        };
        cols.push((
            format!("population_{y}"),
            Col::Double(
                feats
                    .iter()
                    .map(|f| {
                        row(f)
                            .and_then(|r| r.population)
                            .or_else(|| agg(f).map(|a| a.population))
                    })
                    .collect(),
            ),
        ));
        cols.push((
            format!("eligible_{y}"),
            Col::Bool(
                feats
                    .iter()
                    .map(|f| row(f).map(|r| r.exclusion.is_none()))
                    .collect(),
            ),
        ));
        cols.push((
            format!("mdi_score_{y}"),
            Col::Double(
                feats
                    .iter()
                    .map(|f| {
                        row(f)
                            .and_then(|r| r.mdi_score)
                            .or_else(|| agg(f).and_then(|a| a.avg_score))
                    })
                    .collect(),
            ),
        ));
        cols.push((
            format!("mdi_rank_{y}"),
            Col::Int(
                feats
                    .iter()
                    .map(|f| {
                        int(row(f)
                            .and_then(|r| r.mdi_rank)
                            .or_else(|| agg(f).and_then(|a| a.rank)))
                    })
                    .collect(),
            ),
        ));
        cols.push((
            format!("mdi_decile_{y}"),
            Col::Int(
                feats
                    .iter()
                    .map(|f| {
                        row(f)
                            .and_then(|r| r.mdi_decile)
                            .or_else(|| agg(f).and_then(|a| a.decile))
                            .map(i32::from)
                    })
                    .collect(),
            ),
        ));
        for (d, id) in scores.domain_ids.iter().enumerate() {
            cols.push((
                format!("{id}_score_{y}"),
                Col::Double(
                    feats
                        .iter()
                        .map(|f| row(f).and_then(|r| r.domains[d].score))
                        .collect(),
                ),
            ));
            cols.push((
                format!("{id}_rank_{y}"),
                Col::Int(
                    feats
                        .iter()
                        .map(|f| int(row(f).and_then(|r| r.domains[d].rank)))
                        .collect(),
                ),
            ));
            cols.push((
                format!("{id}_decile_{y}"),
                Col::Int(
                    feats
                        .iter()
                        .map(|f| row(f).and_then(|r| r.domains[d].decile).map(i32::from))
                        .collect(),
                ),
            ));
        }
        cols.push((
            format!("domains_in_worst_decile_{y}"),
            Col::Int(
                feats
                    .iter()
                    .map(|f| {
                        row(f)
                            .and_then(|r| r.domains_in_worst_decile)
                            .map(i32::from)
                    })
                    .collect(),
            ),
        ));
        cols.push((
            format!("share_worst_decile_{y}"),
            Col::Double(
                feats
                    .iter()
                    .map(|f| agg(f).and_then(|a| a.share_worst_decile))
                    .collect(),
            ),
        ));
    }

    // Bounds of everything, WGS84.
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for f in &feats {
        if let Some(r) = area(f).geometry.bounding_rect() {
            bounds = [
                bounds[0].min(r.min().x),
                bounds[1].min(r.min().y),
                bounds[2].max(r.max().x),
                bounds[3].max(r.max().y),
            ];
        }
    }

    // Never replace a folder that is not an atlas (a user's data folder given as --out).
    check_replaceable(out)?;
    // Write everything into a temporary sibling directory.
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).map_err(io(&parent, "cannot create the folder"))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "atlas".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .map_err(io(&tmp, "cannot remove a stale temporary folder"))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp, "cannot create the temporary folder"))?;
    let result = (|| -> Result<()> {
        let scores_path = tmp.join("scores.csv");
        let mut buf = Vec::new();
        scores
            .write_csv(&mut buf)
            .map_err(io(&scores_path, "cannot write"))?;
        std::fs::write(&scores_path, buf).map_err(io(&scores_path, "cannot write"))?;

        let fgb_path = tmp.join("areas.fgb");
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
        .map_err(|e| GeoError::Format {
            path: fgb_path.clone(),
            message: format!("writing FlatGeobuf: {e}"),
        })?;
        for (name, col) in &cols {
            fgb.add_column(name, col.ty(), |_, c| c.nullable = true);
        }
        for (fi, f) in feats.iter().enumerate() {
            let geom = geo_types::Geometry::MultiPolygon(area(f).geometry.clone());
            fgb.add_feature_geom(geom, |w| {
                for (ci, (name, col)) in cols.iter().enumerate() {
                    let r = match col {
                        Col::Text(v) => v[fi]
                            .as_deref()
                            .map(|s| w.property(ci, name, &ColumnValue::String(s))),
                        Col::Double(v) => {
                            v[fi].map(|x| w.property(ci, name, &ColumnValue::Double(x)))
                        }
                        Col::Int(v) => v[fi].map(|x| w.property(ci, name, &ColumnValue::Int(x))),
                        Col::Bool(v) => v[fi].map(|x| w.property(ci, name, &ColumnValue::Bool(x))),
                    };
                    // Writing a property into the in-memory feature buffer does not fail.
                    let _ = r;
                }
            })
            .map_err(fgb_err(&fgb_path))?;
        }
        let file = std::fs::File::create(&fgb_path).map_err(io(&fgb_path, "cannot create"))?;
        fgb.write(std::io::BufWriter::new(file))
            .map_err(|e| GeoError::Format {
                path: fgb_path.clone(),
                message: format!("writing FlatGeobuf: {e}"),
            })?;

        let levels: Vec<serde_json::Value> = hierarchy
            .levels
            .iter()
            .enumerate()
            .map(|(li, l)| {
                json!({
                    "id": l.level.id, "layer": l.level.layer, "name": l.level.name,
                    "code_prefix": l.level.code_prefix,
                    "areas": l.areas.len(),
                    "derived": l.areas.iter().all(|a| a.source.is_none()),
                    "parent": hierarchy.levels.get(li + 1).map(|p| p.level.id.clone()),
                })
            })
            .collect();
        let domains: Vec<serde_json::Value> = profile
            .domains
            .iter()
            .map(|d| json!({"id": d.id, "name": d.name, "weight": d.weight}))
            .collect();
        let eligible: BTreeMap<String, usize> = scores
            .groups
            .iter()
            .map(|g| {
                (
                    g.year.map_or_else(|| "pooled".into(), |y| y.to_string()),
                    g.eligible,
                )
            })
            .collect();
        let metadata = json!({
            "title": info.title,
            "description": info.description,
            "synthetic": info.synthetic,
            "attribution": info.attribution,
            "profile": {"id": profile.id, "name": profile.name, "description": profile.description, "attribution": profile.attribution},
            "ranking": match scores.ranking { mdi_core::profile::Ranking::PerYear => "per-year", mdi_core::profile::Ranking::Pooled => "pooled" },
            "years": years,
            "domains": domains,
            "weights_total": profile.total_weight(),
            "levels": levels,
            "bounds": bounds,
            "crs": "EPSG:4326",
            "counts": {"areas": feats.len(), "scored_areas": join_report.matched, "eligible": eligible},
            "files": {"scores": "scores.csv", "areas": "areas.fgb", "report": "build-report.json"},
            "tables": info.tables,
            "sources": info.sources,
            "generator": format!("mdi-atlas {}", env!("CARGO_PKG_VERSION")),
            "built_at": info.built_at,
        });
        let meta_path = tmp.join("metadata.json");
        std::fs::write(
            &meta_path,
            serde_json::to_vec_pretty(&metadata).unwrap_or_default(),
        )
        .map_err(io(&meta_path, "cannot write"))?;

        let exclusions: Vec<serde_json::Value> = scores
            .rows
            .iter()
            .filter_map(|r| r.exclusion.map(|e| json!({"code": &*r.code, "year": r.year, "reason": e.describe(&scores.domain_ids)})))
            .collect();
        let missing: Vec<serde_json::Value> = scores
            .missing_indicators
            .iter()
            .map(|(d, i, c)| json!({"domain": d, "indicator": i, "columns": c}))
            .collect();
        let report = json!({
            "synthetic": info.synthetic,
            "join": join_report,
            "exclusions": exclusions,
            "repairs": hierarchy.repairs,
            "collapsed": hierarchy.levels.iter().flat_map(|l| l.areas.iter().filter(|a| a.collapsed).map(|a| json!({"level": l.level.id, "code": a.code}))).collect::<Vec<_>>(),
            "notes": hierarchy.notes,
            "skipped_rows": scores.skipped,
            "indicators_missing_everywhere": missing,
        });
        let report_path = tmp.join("build-report.json");
        std::fs::write(
            &report_path,
            serde_json::to_vec_pretty(&report).unwrap_or_default(),
        )
        .map_err(io(&report_path, "cannot write"))?;
        finish(&tmp).map_err(GeoError::Stage)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // Swap into place: the old atlas (if any) is moved aside, the new one renamed in, the old
    // one removed.
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if out.exists() {
        std::fs::rename(out, &old).map_err(io(out, "cannot move the previous atlas aside"))?;
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        if old.exists() {
            let _ = std::fs::rename(&old, out);
        }
        return Err(io(out, "cannot move the new atlas into place")(e));
    }
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old, "cannot remove the previous atlas"))?;
    }
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
