//! `build-report.json`: what happened on the way from the input files to the atlas — the join,
//! the excluded area-years with their reason, every geometry repair, the collapsed areas, the
//! notes on the hierarchy, and what the tiling did (`docs/ATLAS.md`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid, io};
use crate::files;
use crate::metadata::write_json;
use crate::tiles::PropertySet;

/// What matched and what did not in the join of scores to the areas of the index unit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct JoinReport {
    /// The level joined (the index unit).
    pub level: String,
    /// Areas of that level.
    pub polygons: usize,
    /// Distinct area codes in the scores.
    pub score_codes: usize,
    /// Codes in both.
    pub matched: usize,
    /// Codes in the scores with no area, sorted.
    pub scores_without_polygon: Vec<String>,
    /// Areas with no scores (drawn as no data), sorted.
    pub polygons_without_scores: Vec<String>,
    /// Score codes that differ only in case, spaces or prefix and so name the same area; the
    /// first (in sort order) is joined, the others are listed here.
    pub duplicates: Vec<String>,
    /// The join per year, ascending: what matched, and which codes are new or gone since the
    /// year before (codes change between CBS editions); since format 1.2.
    #[serde(default)]
    pub by_year: Vec<YearJoin>,
}

/// The join of one year's scores to the polygons.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct YearJoin {
    /// The year.
    pub year: i32,
    /// Distinct area codes in that year's scores.
    pub score_codes: usize,
    /// Of those, codes with a polygon.
    pub matched: usize,
    /// Codes of that year with no polygon, sorted.
    pub scores_without_polygon: Vec<String>,
    /// Polygons without a row in that year (grey, reason `no-row`): their number.
    pub polygons_without_scores: usize,
    /// Codes in this year's scores and not in the year before, sorted (empty for the first year).
    pub new_codes: Vec<String>,
    /// Codes in the year before and not in this year, sorted.
    pub gone_codes: Vec<String>,
}

/// What was changed in a geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// A ring did not end at its first point; it was closed.
    UnclosedRing,
    /// Consecutive repeated points were removed.
    DuplicatePoints,
    /// A ring ran the wrong way (exteriors must be counter-clockwise, holes clockwise).
    Orientation,
    /// A ring with fewer than three distinct points or zero area was removed.
    DegenerateRing,
    /// The polygon crossed itself; it was re-noded into valid polygons.
    SelfIntersection,
    /// Every ring was degenerate: the area has no extent. The original geometry is kept so
    /// the area keeps its place (and a label point), and it is flagged `collapsed`.
    Collapsed,
}

/// A repair made to an area's geometry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RepairEntry {
    /// The level id.
    pub level: String,
    /// The area code.
    pub code: String,
    /// What was repaired.
    pub repair: RepairKind,
}

/// An area that could not be placed or was given twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Note {
    /// The level id.
    pub level: String,
    /// The area code.
    pub code: String,
    /// What happened.
    pub note: String,
}

/// An area-year that was not ranked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The area code.
    pub code: String,
    /// The year.
    pub year: i32,
    /// Why (`population 45 below minimum 100`).
    pub reason: String,
}

/// An area whose polygons have no extent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollapsedArea {
    /// The level id.
    pub level: String,
    /// The area code.
    pub code: String,
}

/// An indicator whose column is in none of the tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingIndicator {
    /// The domain id.
    pub domain: String,
    /// The indicator id.
    pub indicator: String,
    /// The absent columns.
    pub columns: Vec<String>,
}

/// The queen contiguity of the index unit written to `contiguity.gal`; since format 1.3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContiguityReport {
    /// The level (the index unit).
    pub level: String,
    /// Areas in `contiguity.gal`: the level's areas with a polygon.
    pub areas: usize,
    /// Pairs of neighbours.
    pub links: usize,
    /// Areas without any neighbour (k = 0 in the GAL), sorted: the cluster columns call them
    /// `island`.
    pub islands: Vec<String>,
    /// Areas of the level without a polygon, left out of `contiguity.gal`, sorted.
    pub without_polygon: Vec<String>,
}

/// What one zoom of the tiles came to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoomReport {
    /// The zoom.
    pub z: u8,
    /// The properties its features carry.
    pub properties: Option<PropertySet>,
    /// Tiles written.
    pub tiles: usize,
    /// Their gzipped bytes in total.
    pub bytes: u64,
    /// The largest gzipped tile, in bytes.
    pub max_bytes: usize,
    /// Per polygon layer, the number of areas drawn as a polygon.
    pub areas: Vec<(String, usize)>,
    /// Areas smaller than a grid cell at this zoom, drawn as a one-cell square at their label
    /// point so that they stay visible.
    pub minimal_shapes: usize,
    /// Tiles over the size cap that were simplified harder: `[x, y, factor]`.
    pub simplified_harder: Vec<(u32, u32, u32)>,
    /// Polygon layers left out of this zoom because they did not fit the cap with every
    /// simplification; a coarser level carries the choropleth here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    /// Groups of neighbouring areas of one layer with the same value in every property the
    /// zoom carries, drawn as one feature (with the representative's id) because the layer
    /// did not fit otherwise and no coarser level could carry it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coalesced: Vec<CoalescedGroup>,
}

/// Areas of one layer drawn as one feature at a zoom (`ZoomReport::coalesced`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoalescedGroup {
    /// The polygon layer.
    pub layer: String,
    /// The code of the area whose feature id and properties the group's feature carries
    /// (the first code of the group in code order).
    pub into: String,
    /// The other areas of the group, in code order.
    pub members: Vec<String>,
}

/// What the tiling came to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TileReport {
    /// The shared arcs of the topology.
    pub arcs: usize,
    /// Their vertices.
    pub arc_vertices: usize,
    /// Per zoom.
    pub zooms: Vec<ZoomReport>,
    /// Areas without extent (`collapsed` in the build report): label point only, no polygon,
    /// as (layer, code).
    pub label_only: Vec<(String, String)>,
}

/// `build-report.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildReport {
    /// True for the generated demo region.
    pub synthetic: bool,
    /// The join of scores to areas.
    pub join: JoinReport,
    /// Every area-year that was not ranked, with its reason.
    pub exclusions: Vec<Exclusion>,
    /// Every geometry repair.
    pub repairs: Vec<RepairEntry>,
    /// Areas whose polygons have no extent.
    pub collapsed: Vec<CollapsedArea>,
    /// Areas given twice, areas without a parent, parents dissolved from their children.
    pub notes: Vec<Note>,
    /// Table rows skipped because their code is not of the index unit, by code prefix.
    pub skipped_rows: BTreeMap<String, usize>,
    /// Indicators whose column is in none of the tables.
    pub indicators_missing_everywhere: Vec<MissingIndicator>,
    /// The queen contiguity of `contiguity.gal`; absent before format 1.3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contiguity: Option<ContiguityReport>,
    /// What the tiling did; absent until the atlas is tiled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiles: Option<TileReport>,
}

impl BuildReport {
    /// Reads `build-report.json` of the atlas directory `dir`.
    ///
    /// # Errors
    /// [`crate::FormatError::Io`] when it cannot be read, [`crate::FormatError::Invalid`] when it
    /// is not a build report.
    pub fn read(dir: &Path) -> Result<BuildReport> {
        let path = dir.join(files::REPORT);
        let bytes = std::fs::read(&path).map_err(io(&path, "cannot read"))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| invalid(&path, format!("not a build report: {e}")))
    }

    /// Writes `build-report.json` into `dir`, atomically (a temporary file renamed over it).
    ///
    /// # Errors
    /// [`crate::FormatError::Io`] when it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(files::REPORT);
        let tmp = dir.join(format!(".{}.tmp-{}", files::REPORT, std::process::id()));
        write_json(&tmp, self)?;
        std::fs::rename(&tmp, &path).map_err(io(&path, "cannot replace"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_as_written_and_tiles_are_optional() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = BuildReport {
            synthetic: true,
            exclusions: vec![Exclusion {
                code: "BU1".into(),
                year: 2020,
                reason: "population 45 below minimum 100".into(),
            }],
            repairs: vec![RepairEntry {
                level: "buurt".into(),
                code: "BU1".into(),
                repair: RepairKind::SelfIntersection,
            }],
            ..BuildReport::default()
        };
        report.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(files::REPORT)).unwrap();
        assert!(text.contains("\"self_intersection\"") && !text.contains("\"tiles\""));
        assert_eq!(BuildReport::read(dir.path()).unwrap(), report);
        report.tiles = Some(TileReport {
            arcs: 3,
            zooms: vec![ZoomReport {
                z: 5,
                properties: Some(PropertySet::Minimal),
                ..ZoomReport::default()
            }],
            ..TileReport::default()
        });
        report.write(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(files::REPORT)).unwrap();
        assert!(text.contains("\"minimal\""), "{text}");
        assert_eq!(BuildReport::read(dir.path()).unwrap(), report);
    }
}
