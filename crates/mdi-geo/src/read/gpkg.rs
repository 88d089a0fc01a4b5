//! GeoPackage: the features of one table, opened read-only with SQLite.
//!
//! The table is [`ReadOptions::layer`], else the only feature table, else the first (in
//! `gpkg_contents` order) whose `gpkg_geometry_columns` type is POLYGON or MULTIPOLYGON. Every
//! column except the geometry column becomes an attribute (the `fid` too): integers as `Int`
//! (`Bool` for BOOLEAN columns), reals as `Float`, text as `Text`, NULL as `Null`, blobs as hex
//! text. Geometries are GeoPackage binary blobs (a `GP` header with an optional envelope, then
//! standard WKB). The CRS is the geometry column's `srs_id` in `gpkg_spatial_ref_sys`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use geo_types::MultiPolygon;
use geozero::ToGeo;
use geozero::wkb::GpkgWkb;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::common::areas_of;
use super::{ReadOptions, resolve_crs};
use crate::crs::Crs;
use crate::error::{GeoError, Result};
use crate::model::{Feature, Source, Value};

/// CBS marks secret, unknown and not applicable values in the Wijk- en Buurtkaart with
/// sentinels (−99,999,999, −99,997, −99,995, …): every number at or below this is read as
/// missing (`../shared/data/nl/formats/FORMATS.md` §3.5).
pub const CBS_MISSING_AT_OR_BELOW: f64 = -99_990.0;

/// A feature table as listed in `gpkg_geometry_columns`.
struct Layer {
    table: String,
    column: String,
    kind: String,
    srs_id: i64,
}

/// Read the features of one table of a GeoPackage (see the module docs for which table).
pub(crate) fn read(path: &Path, options: &ReadOptions) -> Result<Source> {
    check_sqlite_file(path)?;
    let sql = sql_error(path);
    let conn = open_read_only(path).map_err(&sql)?;
    check_gpkg_tables(path, &conn)?;
    let layers = list_layers(&conn).map_err(&sql)?;
    let layer = choose_layer(&layers, options).map_err(|message| GeoError::Format {
        path: path.to_path_buf(),
        message,
    })?;
    let declared = declared_crs(&conn, layer.srs_id).map_err(&sql)?;
    let crs = resolve_crs(path, options, declared.as_deref(), None)?;
    let features = read_features(path, &conn, layer)?;
    Ok(Source {
        path: path.to_path_buf(),
        layer: Some(layer.table.clone()),
        crs,
        features,
    })
}

/// Read several feature tables of a GeoPackage at once: those named in `layers` (matched
/// without regard to case), in that order, when the file holds at least two of them (the PDOK
/// Wijk- en Buurtkaart has `gemeenten`, `wijken` and `buurten`). Otherwise the one table that
/// [`read`] chooses.
pub(crate) fn read_layers(
    path: &Path,
    options: &ReadOptions,
    layers: &[String],
) -> Result<Vec<Source>> {
    if options.layer.is_none() {
        check_sqlite_file(path)?;
        let conn = open_read_only(path).map_err(sql_error(path))?;
        check_gpkg_tables(path, &conn)?;
        let present = list_layers(&conn).map_err(sql_error(path))?;
        let found: Vec<String> = layers
            .iter()
            .filter_map(|want| {
                present
                    .iter()
                    .find(|l| l.table.eq_ignore_ascii_case(want))
                    .map(|l| l.table.clone())
            })
            .collect();
        if found.len() >= 2 {
            return found
                .into_iter()
                .map(|layer| {
                    let one = ReadOptions {
                        layer: Some(layer),
                        ..options.clone()
                    };
                    read(path, &one)
                })
                .collect();
        }
    }
    Ok(vec![read(path, options)?])
}

/// The error for an SQLite failure while reading the GeoPackage at `path`.
fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> GeoError + '_ {
    move |e| GeoError::Format {
        path: path.to_path_buf(),
        message: format!("cannot be read as a GeoPackage (SQLite: {e})"),
    }
}

/// Checks that the SQLite database is a GeoPackage with feature tables: it has the
/// `gpkg_contents` and `gpkg_geometry_columns` tables.
fn check_gpkg_tables(path: &Path, conn: &Connection) -> Result<()> {
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    let sql = sql_error(path);
    let application_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(&sql)?;
    let has_table = |name: &str| {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(&sql)
    };
    if !has_table("gpkg_contents")? {
        return Err(format(format!(
            "an SQLite database but not a GeoPackage: it has no gpkg_contents table (application_id {application_id:#x}; a GeoPackage has 0x47504b47 `GPKG`)"
        )));
    }
    if !has_table("gpkg_geometry_columns")? {
        return Err(format(
            "a GeoPackage without gpkg_geometry_columns: it holds no feature tables".into(),
        ));
    }
    Ok(())
}

/// Every row of the layer's table as a feature, in table order: its geometry blob decoded, the
/// other columns as attributes.
fn read_features(path: &Path, conn: &Connection, layer: &Layer) -> Result<Vec<Feature>> {
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    let sql = sql_error(path);
    let bool_columns: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info(?1) WHERE upper(type) = 'BOOLEAN'")
            .map_err(&sql)?;
        stmt.query_map([&layer.table], |r| r.get(0))
            .map_err(&sql)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&sql)?
    };
    check_column_names(path, conn, &layer.table)?;
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {}", quote(&layer.table)))
        .map_err(&sql)?;
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let geom = names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(&layer.column))
        .ok_or_else(|| {
            format(format!(
                "table `{}` has no column `{}`, which gpkg_geometry_columns names as its geometry",
                layer.table, layer.column
            ))
        })?;
    let is_bool: Vec<bool> = names
        .iter()
        .map(|n| bool_columns.iter().any(|b| b.eq_ignore_ascii_case(n)))
        .collect();

    let mut rows = stmt.query([]).map_err(&sql)?;
    let mut features = Vec::new();
    while let Some(row) = rows.next().map_err(&sql)? {
        let index = features.len();
        let err = |message: String| GeoError::Feature {
            path: path.to_path_buf(),
            feature: index,
            code: None,
            message,
        };
        let mut properties = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            if i != geom {
                properties.insert(
                    name.clone(),
                    attribute(row.get_ref(i).map_err(&sql)?, is_bool[i]),
                );
            }
        }
        let geometry = match row.get_ref(geom).map_err(&sql)? {
            ValueRef::Blob(b) => geometry(b).map_err(err)?,
            ValueRef::Null => {
                return Err(err("has no geometry (NULL); area files must hold Polygon or MultiPolygon geometries".into()));
            }
            other => {
                return Err(err(format!(
                    "has a {:?} value in the geometry column `{}`, not a GeoPackage geometry blob",
                    other.data_type(),
                    layer.column
                )));
            }
        };
        features.push(Feature {
            index,
            geometry,
            properties,
        });
    }
    Ok(features)
}

/// Checks that every column name of `table` is UTF-8, reading the names as bytes: rusqlite's
/// `column_names` panics on one that is not.
fn check_column_names(path: &Path, conn: &Connection, table: &str) -> Result<()> {
    let sql = sql_error(path);
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .map_err(&sql)?;
    let mut rows = stmt.query([table]).map_err(&sql)?;
    let mut index = 0;
    while let Some(row) = rows.next().map_err(&sql)? {
        if let ValueRef::Text(bytes) | ValueRef::Blob(bytes) = row.get_ref(0).map_err(&sql)?
            && let Err(e) = std::str::from_utf8(bytes)
        {
            let at = e.valid_up_to();
            return Err(GeoError::Format {
                path: path.to_path_buf(),
                message: format!(
                    "table `{table}`: the name of column {index} (`{}`) is not valid UTF-8: byte {at} is 0x{:02X}; rename the column",
                    String::from_utf8_lossy(bytes),
                    bytes[at]
                ),
            });
        }
        index += 1;
    }
    Ok(())
}

/// Checks the SQLite header, and that the file is as long as the header says, so that a file
/// that is not SQLite or is cut short gets a clear message rather than SQLite's.
fn check_sqlite_file(path: &Path) -> Result<()> {
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    let io = |action, source| GeoError::Io {
        path: path.to_path_buf(),
        action,
        cause: source,
    };
    let mut file = std::fs::File::open(path).map_err(|e| io("cannot open", e))?;
    let len = file.metadata().map_err(|e| io("cannot read", e))?.len();
    let mut head = Vec::with_capacity(100);
    file.by_ref()
        .take(100)
        .read_to_end(&mut head)
        .map_err(|e| io("cannot read", e))?;
    if !head.starts_with(b"SQLite format 3\0") {
        return Err(format(
            "not a GeoPackage: the file is not an SQLite database (no `SQLite format 3` header)"
                .into(),
        ));
    }
    if head.len() < 100 {
        return Err(format(format!(
            "a truncated GeoPackage: only {len} bytes, shorter than the 100-byte SQLite header"
        )));
    }
    let be16 = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let page_size = match be16(16) {
        1 => 65_536,
        n => u64::from(n),
    };
    // The page count in the header is valid when the change counter matches `version-valid-for`.
    let pages = u64::from(be32(28));
    if pages > 0 && be32(24) == be32(92) && len < page_size * pages {
        return Err(format(format!(
            "a truncated GeoPackage: the SQLite header declares {pages} pages of {page_size} bytes ({} bytes), but the file has {len}",
            page_size * pages
        )));
    }
    Ok(())
}

/// Opens the file read-only. A file in WAL mode would make SQLite create `-wal` and `-shm` files
/// next to it (even for reading, wherever it may write); when there is no pending `-wal`
/// content the file is opened as immutable instead, which writes nothing.
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let pending_wal = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    match path.to_str() {
        Some(p) if !pending_wal => {
            let uri = format!(
                "file:{}?immutable=1",
                p.replace('%', "%25")
                    .replace('?', "%3f")
                    .replace('#', "%23")
            );
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        _ => Connection::open_with_flags(path, flags),
    }
}

fn list_layers(conn: &Connection) -> rusqlite::Result<Vec<Layer>> {
    let mut stmt = conn.prepare(
        "SELECT g.table_name, g.column_name, g.geometry_type_name, g.srs_id
         FROM gpkg_geometry_columns g JOIN gpkg_contents c ON c.table_name = g.table_name
         ORDER BY c.rowid",
    )?;
    stmt.query_map([], |r| {
        Ok(Layer {
            table: r.get(0)?,
            column: r.get(1)?,
            kind: r.get(2)?,
            srs_id: r.get(3)?,
        })
    })?
    .collect()
}

/// The named table, else the only one, else the first with polygons.
fn choose_layer<'a>(
    layers: &'a [Layer],
    options: &ReadOptions,
) -> std::result::Result<&'a Layer, String> {
    let names = || {
        layers
            .iter()
            .map(|l| format!("`{}` ({})", l.table, l.kind))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if layers.is_empty() {
        return Err(
            "the GeoPackage holds no feature tables (gpkg_geometry_columns lists none)".into(),
        );
    }
    if let Some(want) = &options.layer {
        return layers
            .iter()
            .find(|l| &l.table == want)
            .or_else(|| layers.iter().find(|l| l.table.eq_ignore_ascii_case(want)))
            .ok_or_else(|| {
                format!(
                    "no feature table `{want}` in the GeoPackage; its feature tables are {}",
                    names()
                )
            });
    }
    if let [only] = layers {
        return Ok(only);
    }
    layers
        .iter()
        .find(|l| {
            l.kind.eq_ignore_ascii_case("POLYGON") || l.kind.eq_ignore_ascii_case("MULTIPOLYGON")
        })
        .ok_or_else(|| {
            format!(
                "the GeoPackage has no polygon table; its feature tables are {}",
                names()
            )
        })
}

/// The CRS text of an `srs_id`: `EPSG:code` when supported, else the WKT definition when it names a
/// supported CRS, else `ORG:code`. `None` for the undefined systems (organisation NONE) and for
/// an `srs_id` missing from `gpkg_spatial_ref_sys`.
fn declared_crs(conn: &Connection, srs_id: i64) -> rusqlite::Result<Option<String>> {
    let row = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?)),
        )
        .optional()?;
    let Some((org, code, definition)) = row else {
        return Ok(None);
    };
    let org = org.unwrap_or_default();
    let code = code.unwrap_or(0);
    let definition =
        definition.filter(|d| !d.trim().is_empty() && !d.trim().eq_ignore_ascii_case("undefined"));
    if org.eq_ignore_ascii_case("EPSG")
        && u32::try_from(code).ok().and_then(Crs::from_epsg).is_some()
    {
        return Ok(Some(format!("EPSG:{code}")));
    }
    if let Some(d) = definition.as_deref().filter(|d| Crs::parse(d).is_some()) {
        return Ok(Some(d.to_string()));
    }
    if org.is_empty() || org.eq_ignore_ascii_case("NONE") || code <= 0 {
        return Ok(definition);
    }
    Ok(Some(format!("{org}:{code}")))
}

/// An SQL identifier in double quotes.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn attribute(v: ValueRef<'_>, is_bool: bool) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if is_bool => Value::Bool(i != 0),
        ValueRef::Integer(i) if i <= CBS_MISSING_AT_OR_BELOW as i64 => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) if f <= CBS_MISSING_AT_OR_BELOW => Value::Null,
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Text(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

/// Checks the structure of a WKB geometry (ISO or extended WKB, 2 to 4 dimensions) against its
/// length: every count of points, rings or parts must fit in the bytes that are left. geozero
/// reserves memory for the counts it reads before it reads the items, so a corrupt count is
/// otherwise an allocation failure that aborts the process (found by `fuzz/` target
/// `geopackage`). Returns the length of the geometry at the start of `wkb`.
fn check_wkb(wkb: &[u8], depth: usize) -> std::result::Result<usize, String> {
    if depth > 32 {
        return Err("geometry collections nested more than 32 deep".into());
    }
    let little = match wkb.first() {
        Some(1) => true,
        Some(0) => false,
        Some(b) => return Err(format!("byte order {b}, expected 0 or 1")),
        None => return Err("it ends before its byte order".into()),
    };
    let u32_at = |at: usize| -> std::result::Result<usize, String> {
        let b: [u8; 4] = wkb
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("it ends at byte {at}, before a count"))?;
        let v = if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        };
        usize::try_from(v).map_err(|e| e.to_string())
    };
    let raw = u32_at(1)?;
    let mut at = 5;
    // extended WKB flags (Z, M, SRID), else ISO codes (1000s Z, 2000s M, 3000s ZM)
    let (kind, dims) = if raw & 0xE000_0000 != 0 {
        if raw & 0x2000_0000 != 0 {
            at += 4;
        }
        (
            raw & 0x0FFF_FFFF,
            2 + usize::from(raw & 0x8000_0000 != 0) + usize::from(raw & 0x4000_0000 != 0),
        )
    } else {
        (
            raw % 1000,
            2 + usize::from(matches!(raw / 1000, 1 | 3)) + usize::from(matches!(raw / 1000, 2 | 3)),
        )
    };
    let point = dims * 8;
    let points = |at: usize| -> std::result::Result<usize, String> {
        let n = u32_at(at)?;
        let end = n.checked_mul(point).and_then(|b| b.checked_add(at + 4));
        end.filter(|&e| e <= wkb.len()).ok_or_else(|| {
            format!(
                "{n} points at byte {at} do not fit in the {} bytes left",
                wkb.len() - at
            )
        })
    };
    let end = match kind {
        1 => Some(at + point)
            .filter(|&e| e <= wkb.len())
            .ok_or("a point runs past the end")?,
        2 => points(at)?,
        3 => {
            let rings = u32_at(at)?;
            if rings > (wkb.len() - at) / 4 {
                return Err(format!(
                    "{rings} rings at byte {at} do not fit in the {} bytes left",
                    wkb.len() - at
                ));
            }
            let mut p = at + 4;
            for _ in 0..rings {
                p = points(p)?;
            }
            p
        }
        4..=7 => {
            let parts = u32_at(at)?;
            if parts > (wkb.len() - at) / 9 {
                return Err(format!(
                    "{parts} parts at byte {at} do not fit in the {} bytes left",
                    wkb.len() - at
                ));
            }
            let mut p = at + 4;
            for _ in 0..parts {
                p += check_wkb(&wkb[p..], depth + 1)?;
            }
            p
        }
        k => {
            return Err(format!(
                "geometry type {k}; expected a Polygon or MultiPolygon"
            ));
        }
    };
    Ok(end)
}

/// A GeoPackage geometry blob: `GP`, version 0, flags (bit 5 extended type, bit 4 empty,
/// bits 1–3 envelope indicator, bit 0 little-endian header), `srs_id`, envelope, then WKB.
fn geometry(blob: &[u8]) -> std::result::Result<MultiPolygon<f64>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("has a geometry blob without the GeoPackage `GP` header".into());
    }
    if blob[2] != 0 {
        return Err(format!(
            "has a GeoPackage geometry of version {}; only version 0 (GeoPackage 1.x) is read",
            blob[2]
        ));
    }
    let flags = blob[3];
    if flags & 0x20 != 0 {
        return Err(
            "has an extended GeoPackage geometry (flag bit 5), which mdi-atlas does not read"
                .into(),
        );
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => {
            return Err(format!(
                "has a GeoPackage geometry with the invalid envelope indicator {e}"
            ));
        }
    };
    if flags & 0x10 != 0 {
        return Err(
            "has an empty geometry (GeoPackage empty flag); area files must hold non-empty Polygon or MultiPolygon geometries"
                .into(),
        );
    }
    if blob.get(8 + envelope..).is_none_or(<[u8]>::is_empty) {
        return Err("has a GeoPackage geometry blob that ends before its WKB".into());
    }
    check_wkb(&blob[8 + envelope..], 0).map_err(|e| format!("has a corrupt WKB geometry ({e})"))?;
    // The header is checked above for clear messages, the WKB's counts against its length;
    // geozero decodes the whole blob.
    let g = GpkgWkb(blob)
        .to_geo()
        .map_err(|e| format!("has a GeoPackage geometry that cannot be decoded ({e})"))?;
    areas_of(g)
}

#[cfg(test)]
mod tests {
    use geo_types::{LineString, Polygon, coord};

    use super::*;

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        LineString(c.iter().map(|&(x, y)| coord! { x: x, y: y }).collect())
    }

    /// WKB of a polygon (type 3) or multipolygon (type 6) in either byte order.
    fn wkb(parts: &[&[&[(f64, f64)]]], multi: bool, little: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let u32_ = |out: &mut Vec<u8>, v: u32| {
            out.extend(if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            })
        };
        let f64_ = |out: &mut Vec<u8>, v: f64| {
            out.extend(if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            })
        };
        let polygon = |out: &mut Vec<u8>, rings: &[&[(f64, f64)]]| {
            out.push(u8::from(little));
            u32_(out, 3);
            u32_(out, rings.len() as u32);
            for r in rings {
                u32_(out, r.len() as u32);
                for &(x, y) in *r {
                    f64_(out, x);
                    f64_(out, y);
                }
            }
        };
        if multi {
            out.push(u8::from(little));
            u32_(&mut out, 6);
            u32_(&mut out, parts.len() as u32);
            for p in parts {
                polygon(&mut out, p);
            }
        } else {
            polygon(&mut out, parts[0]);
        }
        out
    }

    /// A GeoPackage geometry header: version 0, flags, srs_id, and an XY envelope when asked.
    fn gp(
        srs_id: i32,
        envelope: Option<[f64; 4]>,
        little: bool,
        empty: bool,
        wkb: &[u8],
    ) -> Vec<u8> {
        let flags = u8::from(little)
            | if envelope.is_some() { 0b10 } else { 0 }
            | if empty { 0x10 } else { 0 };
        let mut out = vec![b'G', b'P', 0, flags];
        out.extend(if little {
            srs_id.to_le_bytes()
        } else {
            srs_id.to_be_bytes()
        });
        for v in envelope.into_iter().flatten() {
            out.extend(if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            });
        }
        out.extend(wkb);
        out
    }

    const OUTER: &[(f64, f64)] = &[
        (170_000.0, 475_000.0),
        (171_000.0, 475_000.0),
        (171_000.0, 476_000.5),
        (170_000.0, 476_000.5),
        (170_000.0, 475_000.0),
    ];
    const HOLE: &[(f64, f64)] = &[
        (170_200.0, 475_200.0),
        (170_200.0, 475_400.0),
        (170_400.0, 475_400.0),
        (170_200.0, 475_200.0),
    ];
    const TRI_A: &[(f64, f64)] = &[
        (180_000.0, 480_000.0),
        (180_100.0, 480_000.0),
        (180_000.0, 480_100.0),
        (180_000.0, 480_000.0),
    ];
    const TRI_B: &[(f64, f64)] = &[
        (185_000.0, 485_000.0),
        (185_100.0, 485_000.0),
        (185_000.0, 485_100.0),
        (185_000.0, 485_000.0),
    ];

    /// A GeoPackage with a point table `places` (listed first) and a table `buurten` of
    /// `geoms` in `srs_id`.
    fn make_gpkg(path: &Path, srs_id: i32, geoms: &[Option<Vec<u8>>]) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            r#"
            PRAGMA application_id = 1196444487;
            PRAGMA user_version = 10200;
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
                organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
                definition TEXT NOT NULL, description TEXT);
            INSERT INTO gpkg_spatial_ref_sys VALUES
                ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
                ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
                ('Amersfoort / RD New', 28992, 'EPSG', 28992, 'PROJCS["Amersfoort / RD New",GEOGCS["Amersfoort"]]', NULL),
                ('RGF93 / Lambert-93', 2154, 'EPSG', 2154, 'PROJCS["RGF93 / Lambert-93",GEOGCS["RGF93"]]', NULL),
                ('local RD', 100001, 'NLD', 7, 'PROJCS["Amersfoort / RD New",GEOGCS["Amersfoort"]]', NULL);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
                identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME,
                min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
                geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
                m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
            CREATE TABLE places (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT, name TEXT);
            CREATE TABLE buurten (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON,
                buurtcode TEXT, aantal_inwoners MEDIUMINT, share REAL, water BOOLEAN, note TEXT);
            INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES
                ('places', 'features', 'places', 28992);
            INSERT INTO gpkg_geometry_columns VALUES ('places', 'geom', 'POINT', 28992, 0, 0);
            "#,
        )
        .unwrap();
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('buurten', 'features', 'buurten', ?1)",
            [srs_id],
        )
        .unwrap();
        conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('buurten', 'geom', 'MULTIPOLYGON', ?1, 0, 0)", [srs_id])
            .unwrap();
        let point = [
            vec![1u8],
            1u32.to_le_bytes().to_vec(),
            170_000f64.to_le_bytes().to_vec(),
            475_000f64.to_le_bytes().to_vec(),
        ]
        .concat();
        conn.execute(
            "INSERT INTO places (geom, name) VALUES (?1, 'kerk')",
            [gp(28992, None, true, false, &point)],
        )
        .unwrap();
        for (i, g) in geoms.iter().enumerate() {
            conn.execute(
                "INSERT INTO buurten (geom, buurtcode, aantal_inwoners, share, water, note) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                rusqlite::params![g, format!("BU0233000{i}"), if i == 0 { -99_999_999 } else { 250 }, 0.5 + i as f64, i == 1],
            )
            .unwrap();
        }
    }

    fn good_geoms() -> Vec<Option<Vec<u8>>> {
        vec![
            Some(gp(
                28992,
                Some([170_000.0, 171_000.0, 475_000.0, 476_000.5]),
                true,
                false,
                &wkb(&[&[OUTER, HOLE]], false, true),
            )),
            Some(gp(
                28992,
                None,
                false,
                false,
                &wkb(&[&[TRI_A], &[TRI_B]], true, false),
            )),
        ]
    }

    #[test]
    fn reads_polygon_table_of_own_geopackage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("buurten.gpkg");
        make_gpkg(&path, 28992, &good_geoms());
        let s = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(s.layer.as_deref(), Some("buurten"));
        assert_eq!(s.crs, Crs::RdNew);
        assert_eq!(s.features.len(), 2);
        let f0 = &s.features[0];
        assert_eq!(f0.index, 0);
        assert_eq!(
            f0.geometry,
            MultiPolygon(vec![Polygon::new(ring(OUTER), vec![ring(HOLE)])])
        );
        let p = &f0.properties;
        assert_eq!(p.len(), 6, "{p:?}");
        assert_eq!(p["fid"], Value::Int(1));
        assert_eq!(p["buurtcode"], Value::Text("BU02330000".into()));
        // The CBS sentinel −99,999,999 is read as missing.
        assert_eq!(p["aantal_inwoners"], Value::Null);
        assert_eq!(p["share"], Value::Float(0.5));
        assert_eq!(p["water"], Value::Bool(false));
        assert_eq!(p["note"], Value::Null);
        let f1 = &s.features[1];
        assert_eq!(
            f1.geometry,
            MultiPolygon(vec![
                Polygon::new(ring(TRI_A), vec![]),
                Polygon::new(ring(TRI_B), vec![])
            ])
        );
        assert_eq!(f1.properties["water"], Value::Bool(true));
        assert_eq!(f1.properties["share"], Value::Float(1.5));
    }

    #[test]
    fn wal_mode_file_is_read_without_side_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("buurten 50% #1?.gpkg");
        make_gpkg(&path, 28992, &good_geoms());
        let mode: String = Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let s = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 2);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["buurten 50% #1?.gpkg"]);
    }

    #[test]
    fn named_missing_and_non_polygon_layers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("buurten.gpkg");
        make_gpkg(&path, 28992, &good_geoms());
        let e = read(
            &path,
            &ReadOptions {
                layer: Some("places".into()),
                crs: None,
            },
        )
        .unwrap_err();
        assert!(
            matches!(&e, GeoError::Feature { feature: 0, message, .. } if message.contains("is a Point")),
            "{e}"
        );
        match read(
            &path,
            &ReadOptions {
                layer: Some("wijken".into()),
                crs: None,
            },
        )
        .unwrap_err()
        {
            GeoError::Format { message, .. } => {
                assert!(
                    message.contains("`wijken`")
                        && message.contains("`places` (POINT), `buurten` (MULTIPOLYGON)"),
                    "{message}"
                )
            }
            other => panic!("expected a format error, got {other:?}"),
        }
        let s = read(
            &path,
            &ReadOptions {
                layer: Some("BUURTEN".into()),
                crs: None,
            },
        )
        .unwrap();
        assert_eq!(s.layer.as_deref(), Some("buurten"));

        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("DELETE FROM gpkg_geometry_columns WHERE table_name = 'buurten'")
            .unwrap();
        drop(conn);
        let e = read(&path, &ReadOptions::default()).unwrap_err();
        // Only `places` is left, and it is read (and refused feature by feature).
        assert!(
            matches!(&e, GeoError::Feature { message, .. } if message.contains("is a Point")),
            "{e}"
        );
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("INSERT INTO gpkg_geometry_columns VALUES ('lines', 'geom', 'LINESTRING', 28992, 0, 0); INSERT INTO gpkg_contents (table_name, data_type) VALUES ('lines', 'features')").unwrap();
        drop(conn);
        let e = read(&path, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("no polygon table")),
            "{e}"
        );
    }

    #[test]
    fn crs_from_srs_table() {
        let dir = tempfile::tempdir().unwrap();
        let lambert = dir.path().join("lambert.gpkg");
        make_gpkg(&lambert, 2154, &good_geoms());
        match read(&lambert, &ReadOptions::default()).unwrap_err() {
            GeoError::Crs { message, .. } => assert!(message.contains("EPSG:2154"), "{message}"),
            other => panic!("expected a CRS error, got {other:?}"),
        }
        let s = read(
            &lambert,
            &ReadOptions {
                crs: Some(Crs::RdNew),
                layer: None,
            },
        )
        .unwrap();
        assert_eq!(s.crs, Crs::RdNew);

        let custom = dir.path().join("custom.gpkg");
        make_gpkg(&custom, 100_001, &good_geoms());
        assert_eq!(
            read(&custom, &ReadOptions::default()).unwrap().crs,
            Crs::RdNew
        );

        let undefined = dir.path().join("undefined.gpkg");
        make_gpkg(&undefined, -1, &good_geoms());
        let e = read(&undefined, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Crs { message, .. } if message.contains("declares no CRS")),
            "{e}"
        );
    }

    #[test]
    fn empty_null_and_broken_geometries_are_feature_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases: Vec<(Option<Vec<u8>>, &str)> = vec![
            (
                Some(gp(28992, None, true, true, &wkb(&[&[]], false, true))),
                "empty geometry",
            ),
            (None, "no geometry (NULL)"),
            (Some(b"not a geometry".to_vec()), "`GP` header"),
            (
                Some(gp(28992, None, true, false, &[1, 3, 0])),
                "corrupt WKB geometry (it ends at byte 1",
            ),
        ];
        for (k, (g, expected)) in cases.into_iter().enumerate() {
            let path = dir.path().join(format!("case{k}.gpkg"));
            let mut geoms = good_geoms();
            geoms.push(g);
            make_gpkg(&path, 28992, &geoms);
            match read(&path, &ReadOptions::default()).unwrap_err() {
                GeoError::Feature {
                    feature, message, ..
                } => {
                    assert_eq!(feature, 2);
                    assert!(message.contains(expected), "{message}");
                }
                other => panic!("expected a feature error, got {other:?}"),
            }
        }
    }

    #[test]
    fn truncated_and_foreign_files_are_format_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("buurten.gpkg");
        make_gpkg(&path, 28992, &good_geoms());
        let cut = dir.path().join("cut.gpkg");
        std::fs::write(&cut, &std::fs::read(&path).unwrap()[..1000]).unwrap();
        let e = read(&cut, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("truncated GeoPackage")),
            "{e}"
        );

        let text = dir.path().join("text.gpkg");
        std::fs::write(&text, "buurtcode;naam\n").unwrap();
        let e = read(&text, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not a GeoPackage")),
            "{e}"
        );

        let plain = dir.path().join("plain.gpkg");
        Connection::open(&plain)
            .unwrap()
            .execute_batch("CREATE TABLE t (a INTEGER)")
            .unwrap();
        let e = read(&plain, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not a GeoPackage")),
            "{e}"
        );

        let e = read(&dir.path().join("missing.gpkg"), &ReadOptions::default()).unwrap_err();
        assert!(matches!(e, GeoError::Io { .. }), "{e}");
    }

    fn ermelo() -> Option<std::path::PathBuf> {
        let dir = std::env::var_os("MDI_DATA_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
        let path = dir.join("nl/cbs_buurten_2021_ermelo_rd.gpkg");
        if path.is_file() {
            Some(path)
        } else {
            eprintln!("SKIPPED: {} is absent (set MDI_DATA_DIR)", path.display());
            None
        }
    }

    #[test]
    fn real_ermelo_buurten() {
        let Some(path) = ermelo() else { return };
        let s = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 17);
        assert_eq!(s.layer.as_deref(), Some("CBS_Buurten"));
        assert_eq!(s.crs, Crs::RdNew);
        for f in &s.features {
            let code = f.properties["buurtcode"].as_text().unwrap_or_default();
            assert!(code.starts_with("BU0233"), "feature {}: {code}", f.index);
            assert_eq!(f.properties["gemeentecode"], Value::Text("GM0233".into()));
            for k in [
                "buurtnaam",
                "wijkcode",
                "gemeentenaam",
                "water",
                "aantal_inwoners",
            ] {
                assert!(
                    f.properties.contains_key(k),
                    "feature {} lacks {k}",
                    f.index
                );
            }
            for c in f
                .geometry
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flatten()
            {
                assert!(
                    (160_000.0..=190_000.0).contains(&c.x)
                        && (460_000.0..=490_000.0).contains(&c.y),
                    "{c:?}"
                );
            }
        }

        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("ermelo_cut.gpkg");
        std::fs::write(&cut, &std::fs::read(&path).unwrap()[..1000]).unwrap();
        let e = read(&cut, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("GeoPackage")),
            "{e}"
        );
    }
}
