//! The downloads of one area of the top level (for the Netherlands: a gemeente), for analysts:
//! the area itself and every area below it (its wijken and buurten) with names and every score
//! column of every year, as
//!
//! * `{code}.csv`: one row per area, with a label point (a point inside the area) in WGS84
//!   (`lon`, `lat`, EPSG:4326 degrees) and in RD New (`x_rd`, `y_rd`, EPSG:28992 metres);
//! * `{code}_wgs84.gpkg`: a GeoPackage with a layer per level, polygons in WGS84 (EPSG:4326);
//! * `{code}_rd.gpkg`: the same in RD New (EPSG:28992).
//!
//! Served at `/downloads/{file}` and written by `mdi-atlas publish` to `downloads/{file}`. The
//! columns are those of the OGC API features ([`crate::ogc`]) with the year appended:
//! `mdi_score_2024`, `mdi_decile_2024`, `inkomen_rank_2024`, `reason_2024`, …

use geo::{InteriorPoint, MultiPolygon};
use mdi_geo::crs::{Crs, Reprojector};
use mdi_geo::gpkg_write::{ColumnType, Layer, write_geopackage};
use serde_json::Value;

use crate::atlas::Atlas;
use crate::error::ApiError;
use crate::ogc::properties;

/// The kinds of file, by the end of the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `{code}.csv`.
    Csv,
    /// `{code}_wgs84.gpkg`.
    GpkgWgs84,
    /// `{code}_rd.gpkg`.
    GpkgRd,
}

impl Kind {
    /// All kinds, in the order the files are listed.
    pub const ALL: [Kind; 3] = [Kind::Csv, Kind::GpkgWgs84, Kind::GpkgRd];

    /// The file name for `code`.
    pub fn file_name(self, code: &str) -> String {
        match self {
            Kind::Csv => format!("{code}.csv"),
            Kind::GpkgWgs84 => format!("{code}_wgs84.gpkg"),
            Kind::GpkgRd => format!("{code}_rd.gpkg"),
        }
    }

    /// The code and kind a file name stands for, if any.
    pub fn parse(file: &str) -> Option<(&str, Kind)> {
        if let Some(code) = file.strip_suffix("_wgs84.gpkg") {
            return Some((code, Kind::GpkgWgs84));
        }
        if let Some(code) = file.strip_suffix("_rd.gpkg") {
            return Some((code, Kind::GpkgRd));
        }
        file.strip_suffix(".csv").map(|code| (code, Kind::Csv))
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::GpkgWgs84 | Kind::GpkgRd => "application/geopackage+sqlite3",
        }
    }
}

/// The areas that have downloads: those of the top level, when the atlas has more than one
/// level (an atlas of one level has its whole `areas.fgb` and `scores.csv` instead).
pub fn areas_with_downloads(atlas: &Atlas) -> Vec<usize> {
    let top = atlas.meta.levels.len().saturating_sub(1);
    if top == 0 {
        return Vec::new();
    }
    (0..atlas.areas.list.len())
        .filter(|&i| atlas.areas.list[i].level == top)
        .collect()
}

/// The bytes of the download `file` (`{code}.csv`, `{code}_wgs84.gpkg`, `{code}_rd.gpkg`).
///
/// # Errors
/// 404 for a file name of no such form or an area without downloads; 500 when the GeoPackage
/// cannot be written (the message says why).
pub fn download(atlas: &Atlas, file: &str) -> Result<Vec<u8>, ApiError> {
    let not_found = || {
        ApiError::not_found(format!(
            "no download `{file}`: the downloads are {{code}}.csv, {{code}}_wgs84.gpkg and \
             {{code}}_rd.gpkg for an area of the top level"
        ))
    };
    let (code, kind) = Kind::parse(file).ok_or_else(not_found)?;
    let i = atlas.areas.get(code).ok_or_else(not_found)?;
    if !areas_with_downloads(atlas).contains(&i) {
        return Err(not_found());
    }
    let members = members(atlas, i);
    match kind {
        Kind::Csv => csv(atlas, &members),
        Kind::GpkgWgs84 => geopackage(atlas, &members, Crs::Wgs84),
        Kind::GpkgRd => geopackage(atlas, &members, Crs::RdNew),
    }
}

/// Area `top` and every area below it, coarsest level first, each level in file order.
fn members(atlas: &Atlas, top: usize) -> Vec<usize> {
    let areas = &atlas.areas;
    let mut out: Vec<usize> = (0..areas.list.len())
        .filter(|&i| i == top || areas.ancestors(i).contains(&top))
        .collect();
    out.sort_by_key(|&i| std::cmp::Reverse(areas.list[i].level));
    out
}

/// An area's columns: the identity columns (`code`, `name`, `level`, `parent`, `water`), then
/// per year every other property of [`properties`] with the year appended.
type Row = Vec<(String, Value)>;

const IDENTITY: [&str; 5] = ["code", "name", "level", "parent", "water"];

fn row(atlas: &Atlas, i: usize) -> Row {
    let area = &atlas.areas.list[i];
    let mut out: Row = Vec::new();
    for (y, year) in atlas.meta.years.iter().enumerate() {
        let mut p = properties(atlas, area, y);
        if y == 0 {
            for k in IDENTITY {
                out.push((k.to_string(), p.get(k).cloned().unwrap_or(Value::Null)));
            }
        }
        for k in IDENTITY.iter().chain(&["year"]) {
            p.remove(*k);
        }
        for (k, v) in p {
            out.push((format!("{k}_{year}"), v));
        }
    }
    out
}

fn value<'a>(row: &'a Row, column: &str) -> Option<&'a Value> {
    row.iter().find(|(k, _)| k == column).map(|(_, v)| v)
}

/// The columns of `rows` (in first-seen order) and their types: text if any value is a string,
/// else real if any is not an integer, else integer.
fn columns(rows: &[Row]) -> Vec<(String, ColumnType)> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in r {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
        .into_iter()
        .map(|n| {
            let mut kind = ColumnType::Integer;
            for v in rows.iter().filter_map(|r| value(r, &n)) {
                match v {
                    Value::String(_) => {
                        kind = ColumnType::Text;
                        break;
                    }
                    Value::Number(x) if x.as_i64().is_none() => kind = ColumnType::Real,
                    _ => {}
                }
            }
            (n, kind)
        })
        .collect()
}

fn geopackage(atlas: &Atlas, members: &[usize], crs: Crs) -> Result<Vec<u8>, ApiError> {
    let to = match crs {
        Crs::Wgs84 => None,
        other => Some(Reprojector::new(Crs::Wgs84, other).map_err(ApiError::internal)?),
    };
    let mut layers = Vec::new();
    for (level, info) in atlas.meta.levels.iter().enumerate().rev() {
        let of_level: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| atlas.areas.list[i].level == level)
            .collect();
        if of_level.is_empty() {
            continue;
        }
        let rows: Vec<Row> = of_level.iter().map(|&i| row(atlas, i)).collect();
        let cols = columns(&rows);
        let mut features = Vec::with_capacity(rows.len());
        for (&i, r) in of_level.iter().zip(&rows) {
            let geometry = match atlas.areas.shape(i) {
                Some(s) => Some(project(s.to_geo(), to.as_ref())?),
                None => None,
            };
            let values = cols
                .iter()
                .map(|(c, _)| value(r, c).cloned().unwrap_or(Value::Null))
                .collect();
            features.push((geometry, values));
        }
        layers.push(Layer {
            name: info.layer.clone(),
            columns: cols,
            features,
        });
    }
    let dir = tempfile_dir()?;
    let path = dir.path().join("download.gpkg");
    write_geopackage(&path, crs, &layers).map_err(|e| ApiError::internal(e.to_string()))?;
    std::fs::read(&path).map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))
}

fn tempfile_dir() -> Result<tempfile::TempDir, ApiError> {
    tempfile::Builder::new()
        .prefix("mdi-atlas-download-")
        .tempdir()
        .map_err(|e| ApiError::internal(format!("cannot make a temporary folder: {e}")))
}

fn project(g: MultiPolygon<f64>, to: Option<&Reprojector>) -> Result<MultiPolygon<f64>, ApiError> {
    let Some(to) = to else { return Ok(g) };
    geo::MapCoords::try_map_coords(&g, |c| {
        to.transform(c.x, c.y).map(|(x, y)| geo::Coord { x, y })
    })
    .map_err(ApiError::internal)
}

fn csv(atlas: &Atlas, members: &[usize]) -> Result<Vec<u8>, ApiError> {
    let rd = Reprojector::new(Crs::Wgs84, Crs::RdNew).map_err(ApiError::internal)?;
    let rows: Vec<Row> = members.iter().map(|&i| row(atlas, i)).collect();
    let cols = columns(&rows);
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = ["lon", "lat", "x_rd", "y_rd"];
    let names: Vec<&str> = cols.iter().map(|(c, _)| c.as_str()).collect();
    let csv_err = |e: csv::Error| ApiError::internal(format!("cannot write the CSV: {e}"));
    w.write_record(names.iter().copied().chain(header.iter().copied()))
        .map_err(csv_err)?;
    for (&i, r) in members.iter().zip(&rows) {
        let mut record: Vec<String> = names
            .iter()
            .map(|c| match value(r, c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => u8::from(*b).to_string(),
                Some(other) => other.to_string(),
            })
            .collect();
        let point = atlas
            .areas
            .shape(i)
            .and_then(|s| s.to_geo().interior_point());
        match point {
            Some(p) => {
                let (x, y) = rd.transform(p.x(), p.y()).map_err(ApiError::internal)?;
                record.push(format!("{:.7}", p.x()));
                record.push(format!("{:.7}", p.y()));
                record.push(format!("{x:.2}"));
                record.push(format!("{y:.2}"));
            }
            None => record.extend(std::iter::repeat_n(String::new(), 4)),
        }
        w.write_record(&record).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::internal(format!("cannot write the CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(&k.file_name("GM0363")), Some(("GM0363", k)));
        }
        assert_eq!(Kind::parse("GM0363.gpkg"), None);
    }
}
