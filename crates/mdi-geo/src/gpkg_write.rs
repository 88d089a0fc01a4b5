//! Writing a GeoPackage (OGC 12-128r18, version 1.4): one feature table per layer, multipolygon
//! geometries as GeoPackage binary (header with envelope + little-endian WKB), attributes as
//! typed columns, in WGS84 (EPSG:4326, longitude/latitude order as GeoPackage stores it) or RD
//! New (EPSG:28992). What analysts download per gemeente (`/downloads/{code}_wgs84.gpkg`,
//! `_rd.gpkg`).
//!
//! The file is written beside `path` and renamed into place, so a failed write never leaves a
//! half GeoPackage where a good one was.

use std::path::Path;

use geo::{BoundingRect, MultiPolygon};
use rusqlite::{Connection, params, params_from_iter};
use serde_json::Value;

use crate::crs::Crs;
use crate::error::{GeoError, Result};

/// A column's type in the feature table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `TEXT`.
    Text,
    /// `INTEGER` (also booleans, as 0/1).
    Integer,
    /// `DOUBLE`.
    Real,
}

/// One feature table.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Table name (also its identifier in `gpkg_contents`).
    pub name: String,
    /// Columns, in order: name and type.
    pub columns: Vec<(String, ColumnType)>,
    /// Features: geometry in the file's CRS (none: a NULL geometry) and one value per column
    /// (null, bool, number or string).
    pub features: Vec<(Option<MultiPolygon<f64>>, Vec<Value>)>,
}

/// The WKT of a CRS for `gpkg_spatial_ref_sys.definition` (OGC WKT 1, as EPSG gives it).
fn definition(crs: Crs) -> &'static str {
    match crs {
        Crs::Wgs84 => {
            r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#
        }
        Crs::RdNew => {
            r#"PROJCS["Amersfoort / RD New",GEOGCS["Amersfoort",DATUM["Amersfoort",SPHEROID["Bessel 1841",6377397.155,299.1528128,AUTHORITY["EPSG","7004"]],TOWGS84[565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725],AUTHORITY["EPSG","6289"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4289"]],PROJECTION["Oblique_Stereographic"],PARAMETER["latitude_of_origin",52.1561605555556],PARAMETER["central_meridian",5.38763888888889],PARAMETER["scale_factor",0.9999079],PARAMETER["false_easting",155000],PARAMETER["false_northing",463000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","28992"]]"#
        }
        Crs::WebMercator => {
            r#"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]"#
        }
    }
}

fn srs_name(crs: Crs) -> &'static str {
    match crs {
        Crs::Wgs84 => "WGS 84 geodetic",
        Crs::RdNew => "Amersfoort / RD New",
        Crs::WebMercator => "WGS 84 / Pseudo-Mercator",
    }
}

/// Writes `layers` to a new GeoPackage at `path`, every geometry in `crs`.
///
/// # Errors
/// [`GeoError::Format`] naming `path` when SQLite cannot write it, or when a value
/// does not fit its column.
pub fn write_geopackage(path: &Path, crs: Crs, layers: &[Layer]) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "out.gpkg".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = write_to(&tmp, crs, layers).and_then(|()| {
        std::fs::rename(&tmp, path)
            .map_err(|e| fail(path, &format!("cannot rename into place: {e}")))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn fail(path: &Path, message: &str) -> GeoError {
    GeoError::Format {
        path: path.to_path_buf(),
        message: format!("cannot write the GeoPackage: {message}"),
    }
}

fn write_to(path: &Path, crs: Crs, layers: &[Layer]) -> Result<()> {
    let sql = |e: rusqlite::Error| fail(path, &e.to_string());
    let mut conn = Connection::open(path).map_err(sql)?;
    conn.execute_batch(
        "PRAGMA application_id = 1196444487;
         PRAGMA user_version = 10400;
         PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
             organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
             definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
             identifier TEXT UNIQUE, description TEXT DEFAULT '',
             last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
             min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
             srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
             geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
             m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
         INSERT INTO gpkg_spatial_ref_sys VALUES
             ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
             ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');",
    )
    .map_err(sql)?;
    let epsg = i64::from(crs.epsg());
    conn.execute(
        "INSERT OR REPLACE INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, ?3, NULL)",
        params![srs_name(crs), epsg, definition(crs)],
    )
    .map_err(sql)?;
    if crs != Crs::Wgs84 {
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, 4326, 'EPSG', 4326, ?2, NULL)",
            params![srs_name(Crs::Wgs84), definition(Crs::Wgs84)],
        )
        .map_err(sql)?;
    }
    let tx = conn.transaction().map_err(sql)?;
    for layer in layers {
        write_layer(&tx, path, epsg, layer)?;
    }
    tx.commit().map_err(sql)?;
    Ok(())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn write_layer(conn: &Connection, path: &Path, epsg: i64, layer: &Layer) -> Result<()> {
    let sql = |e: rusqlite::Error| fail(path, &format!("layer {}: {e}", layer.name));
    let table = quote(&layer.name);
    let mut create =
        format!("CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON");
    for (name, kind) in &layer.columns {
        let t = match kind {
            ColumnType::Text => "TEXT",
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "DOUBLE",
        };
        create.push_str(&format!(", {} {t}", quote(name)));
    }
    create.push(')');
    conn.execute_batch(&create).map_err(sql)?;

    let mut extent: Option<[f64; 4]> = None;
    let placeholders: Vec<String> = (1..=layer.columns.len() + 1)
        .map(|i| format!("?{i}"))
        .collect();
    let insert = format!(
        "INSERT INTO {table} (geom{}) VALUES ({})",
        layer
            .columns
            .iter()
            .map(|(n, _)| format!(", {}", quote(n)))
            .collect::<String>(),
        placeholders.join(", ")
    );
    let mut stmt = conn.prepare(&insert).map_err(sql)?;
    for (n, (geometry, values)) in layer.features.iter().enumerate() {
        if values.len() != layer.columns.len() {
            return Err(fail(
                path,
                &format!(
                    "layer {} feature {n}: {} values for {} columns",
                    layer.name,
                    values.len(),
                    layer.columns.len()
                ),
            ));
        }
        let blob = geometry.as_ref().map(|g| {
            let b = g
                .bounding_rect()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
            if let Some(b) = b {
                extent = Some(extent.map_or(b, |e| {
                    [
                        e[0].min(b[0]),
                        e[1].min(b[1]),
                        e[2].max(b[2]),
                        e[3].max(b[3]),
                    ]
                }));
            }
            geometry_blob(g, epsg, b)
        });
        let mut row: Vec<rusqlite::types::Value> = Vec::with_capacity(values.len() + 1);
        row.push(blob.map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Blob));
        for (v, (_, kind)) in values.iter().zip(&layer.columns) {
            row.push(sql_value(v, *kind));
        }
        stmt.execute(params_from_iter(row)).map_err(sql)?;
    }
    let e = extent.unwrap_or([0.0; 4]);
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6)",
        params![layer.name, e[0], e[1], e[2], e[3], epsg],
    )
    .map_err(sql)?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', ?2, 0, 0)",
        params![layer.name, epsg],
    )
    .map_err(sql)?;
    Ok(())
}

fn sql_value(v: &Value, kind: ColumnType) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match (v, kind) {
        (Value::Null, _) => S::Null,
        (Value::Bool(b), _) => S::Integer(i64::from(*b)),
        (Value::Number(n), ColumnType::Integer) => n
            .as_i64()
            .map_or_else(|| n.as_f64().map_or(S::Null, S::Real), S::Integer),
        (Value::Number(n), _) => n.as_f64().map_or(S::Null, S::Real),
        (Value::String(s), _) => S::Text(s.clone()),
        (other, _) => S::Text(other.to_string()),
    }
}

/// GeoPackage binary: "GP", version 0, flags (little endian, envelope [minx, maxx, miny,
/// maxy] or none), the SRS id, the envelope, then the geometry as little-endian WKB.
fn geometry_blob(g: &MultiPolygon<f64>, srs: i64, envelope: Option<[f64; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    let flags: u8 = if envelope.is_some() {
        0b0000_0011
    } else {
        0b0000_0001
    };
    out.push(flags);
    out.extend_from_slice(&i32::try_from(srs).unwrap_or(0).to_le_bytes());
    if let Some([minx, miny, maxx, maxy]) = envelope {
        for v in [minx, maxx, miny, maxy] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    let u32le = |out: &mut Vec<u8>, v: usize| {
        out.extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes())
    };
    out.push(1);
    out.extend_from_slice(&6u32.to_le_bytes());
    u32le(&mut out, g.0.len());
    for p in &g.0 {
        out.push(1);
        out.extend_from_slice(&3u32.to_le_bytes());
        u32le(&mut out, 1 + p.interiors().len());
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            u32le(&mut out, ring.0.len());
            for c in &ring.0 {
                out.extend_from_slice(&c.x.to_le_bytes());
                out.extend_from_slice(&c.y.to_le_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn a_square_reads_back_from_sqlite_with_header_and_wkb() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gpkg");
        let square = MultiPolygon(vec![
            polygon![(x: 1.0, y: 2.0), (x: 3.0, y: 2.0), (x: 3.0, y: 4.0), (x: 1.0, y: 4.0), (x: 1.0, y: 2.0)],
        ]);
        let layer = Layer {
            name: "buurten".into(),
            columns: vec![
                ("code".into(), ColumnType::Text),
                ("n".into(), ColumnType::Integer),
                ("x".into(), ColumnType::Real),
            ],
            features: vec![
                (
                    Some(square),
                    vec![Value::from("BU1"), Value::from(7), Value::from(0.5)],
                ),
                (None, vec![Value::from("BU2"), Value::Null, Value::Null]),
            ],
        };
        write_geopackage(&path, Crs::RdNew, &[layer]).unwrap();
        let conn = Connection::open(&path).unwrap();
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app, 0x4750_4B47); // "GPKG"
        let (blob, n): (Vec<u8>, i64) = conn
            .query_row("SELECT geom, n FROM buurten WHERE code = 'BU1'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(n, 7);
        assert_eq!(&blob[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 28992);
        let env: Vec<f64> = (0..4)
            .map(|i| f64::from_le_bytes(blob[8 + 8 * i..16 + 8 * i].try_into().unwrap()))
            .collect();
        assert_eq!(env, vec![1.0, 3.0, 2.0, 4.0]); // minx, maxx, miny, maxy
        // WKB: little endian, MultiPolygon (6), 1 polygon, type 3, 1 ring, 5 points.
        let wkb = &blob[40..];
        assert_eq!(wkb[0], 1);
        assert_eq!(u32::from_le_bytes(wkb[1..5].try_into().unwrap()), 6);
        assert_eq!(u32::from_le_bytes(wkb[5..9].try_into().unwrap()), 1);
        assert_eq!(u32::from_le_bytes(wkb[10..14].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(wkb[18..22].try_into().unwrap()), 5);
        assert_eq!(wkb.len(), 22 + 5 * 16);
        let null_geom: Option<Vec<u8>> = conn
            .query_row("SELECT geom FROM buurten WHERE code = 'BU2'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(null_geom.is_none());
        let (t, srs): (String, i64) = conn
            .query_row("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = 'buurten'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((t.as_str(), srs), ("MULTIPOLYGON", 28992));
        let ext: (f64, f64, f64, f64) = conn
            .query_row(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(ext, (1.0, 2.0, 3.0, 4.0));
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gpkg");
        let bad = Layer {
            name: "l".into(),
            columns: vec![("a".into(), ColumnType::Text)],
            features: vec![(None, vec![])],
        };
        let e = write_geopackage(&path, Crs::Wgs84, &[bad])
            .unwrap_err()
            .to_string();
        assert!(e.contains("0 values for 1 columns"), "{e}");
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
