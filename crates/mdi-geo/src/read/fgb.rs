//! FlatGeobuf: all features, in file order (which is the Hilbert order of the spatial index
//! when the file has one), with the columns of the header as attributes (a column a feature
//! does not set is `Null`). The CRS is the header's (organisation and code, else WKT); a file
//! without one needs [`ReadOptions::crs`].

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use flatgeobuf::{
    ColumnType, FallibleStreamingIterator, FeatureProperties, FgbReader, GeometryType, Header,
};
use geozero::{ColumnValue, PropertyProcessor, ToGeo};

use super::common::areas_of;
use super::{ReadOptions, resolve_crs};
use crate::error::{GeoError, Result};
use crate::model::{Feature, Source, Value};

pub(crate) fn read(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Source> {
    let mut features = Vec::new();
    let len = bytes.len() as u64;
    let crs = each(path, Cursor::new(bytes), len, options, &mut |f| {
        features.push(f);
        Ok(())
    })?;
    Ok(Source {
        path: path.to_path_buf(),
        layer: None,
        crs,
        features,
    })
}

/// Read a FlatGeobuf file feature by feature, without holding them all: `f` gets each in file
/// order. Returns the CRS of the coordinates.
///
/// # Errors
/// As [`crate::read_areas`], and whatever `f` returns.
pub fn each_fgb_feature(
    path: &Path,
    options: &ReadOptions,
    f: &mut dyn FnMut(Feature) -> Result<()>,
) -> Result<crate::Crs> {
    let io = |action, cause| GeoError::Io {
        path: path.to_path_buf(),
        action,
        cause,
    };
    let file = std::fs::File::open(path).map_err(|e| io("cannot open", e))?;
    let len = file.metadata().map_err(|e| io("cannot read", e))?.len();
    each(path, std::io::BufReader::new(file), len, options, f)
}

/// The size in bytes of a packed Hilbert R-tree of `items` features with nodes of `node_size`
/// (as the FlatGeobuf specification computes it), or `None` where it overflows.
fn index_bytes(items: u64, node_size: u16) -> Option<u64> {
    let node_size = u64::from(node_size.max(2));
    let (mut n, mut nodes) = (items, items);
    while n > 1 {
        n = n.div_ceil(node_size);
        nodes = nodes.checked_add(n)?;
    }
    nodes.checked_mul(40)
}

/// Checks what the `flatgeobuf` crate trusts in the header before it reads on: the spatial
/// index that the feature count and node size imply fits in the file (`len` bytes). A flipped
/// byte in the count otherwise overflows or asserts inside the crate.
fn check_index(header: &Header<'_>, len: u64) -> std::result::Result<(), String> {
    let (count, node_size) = (header.features_count(), header.index_node_size());
    if node_size == 0 || count == 0 {
        return Ok(());
    }
    if node_size < 2 {
        return Err(format!(
            "the header gives a spatial index node size of {node_size}; FlatGeobuf needs 0 (no index) or at least 2"
        ));
    }
    match index_bytes(count, node_size) {
        Some(size) if size <= len => Ok(()),
        _ => Err(format!(
            "the header says {count} features, whose spatial index would not fit in the file's {len} bytes; the file is corrupt or truncated"
        )),
    }
}

/// Checks the encoded properties of a feature against the header's column types: every column
/// index is a column, and every value (with its length prefix, for text and binary values)
/// lies inside the buffer. The `flatgeobuf` crate slices the buffer by these lengths without
/// checking them and panics on a corrupt one (`properties_reader.rs`).
fn check_properties(bytes: &[u8], types: &[ColumnType]) -> std::result::Result<(), String> {
    let read_u32 = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    };
    let mut offset = 0usize;
    while offset + 1 < bytes.len() {
        let column = usize::from(u16::from_le_bytes([bytes[offset], bytes[offset + 1]]));
        offset += 2;
        let Some(&kind) = types.get(column) else {
            return Err(format!(
                "column index {column} at byte {} of the properties, but the header has {} columns",
                offset - 2,
                types.len()
            ));
        };
        let size = match kind {
            ColumnType::Byte | ColumnType::UByte | ColumnType::Bool => 1,
            ColumnType::Short | ColumnType::UShort => 2,
            ColumnType::Int | ColumnType::UInt | ColumnType::Float => 4,
            ColumnType::Long | ColumnType::ULong | ColumnType::Double => 8,
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let n = read_u32(offset).ok_or_else(|| {
                    format!("the length of column {column}'s value at byte {offset} runs past the end of the properties ({} bytes)", bytes.len())
                })?;
                offset += 4;
                n
            }
            _ => 0,
        };
        let end = offset.checked_add(size).filter(|&e| e <= bytes.len());
        offset = end.ok_or_else(|| {
            format!(
                "column {column}'s value of {size} bytes at byte {offset} runs past the end of the properties ({} bytes)",
                bytes.len()
            )
        })?;
    }
    Ok(())
}

/// Checks what the `flatgeobuf` crate trusts in a geometry before it decodes it: the
/// coordinates come in x, y pairs (and z, m, t, tm one per pair), the ring ends rise and lie
/// within the coordinates, and the parts of a multi-geometry are sound. The crate indexes by
/// these without checking and panics on a corrupt one (found by `fuzz/` target `flatgeobuf`).
/// `kind` is the type the crate will read the geometry as: the header's, or the geometry's own
/// where the header says `Unknown` (a point with no coordinates panicked in the crate, found by
/// a CI fuzz run on 2026-12-07).
fn check_geometry(
    g: &flatgeobuf::Geometry<'_>,
    kind: GeometryType,
    depth: usize,
) -> std::result::Result<(), String> {
    if depth > 8 {
        return Err("parts nested more than 8 deep".into());
    }
    let kind = if kind == GeometryType::Unknown {
        g.type_()
    } else {
        kind
    };
    let pairs = match g.xy() {
        Some(xy) if xy.len() % 2 != 0 => {
            return Err(format!("{} coordinates, not x, y pairs", xy.len()));
        }
        Some(xy) => xy.len() / 2,
        None => 0,
    };
    for (name, n) in [
        ("z", g.z().map(|v| v.len())),
        ("m", g.m().map(|v| v.len())),
        ("t", g.t().map(|v| v.len())),
        ("tm", g.tm().map(|v| v.len())),
    ] {
        if let Some(n) = n.filter(|&n| n != pairs) {
            return Err(format!("{n} {name} values for {pairs} points"));
        }
    }
    if let Some(ends) = g.ends() {
        let mut previous = 0u32;
        for (i, end) in ends.iter().enumerate() {
            if end < previous || end as usize > pairs {
                return Err(format!(
                    "ring {i} ends at point {end}, after point {previous} and within {pairs} points expected"
                ));
            }
            previous = end;
        }
    }
    if kind == GeometryType::Point && pairs == 0 {
        return Err("a point without coordinates".into());
    }
    if let Some(parts) = g.parts() {
        // The crate reads the parts of a MultiPolygon (and a PolyhedralSurface) as polygons,
        // every other part as its own type.
        let part_kind = match kind {
            GeometryType::MultiPolygon | GeometryType::PolyhedralSurface => GeometryType::Polygon,
            _ => GeometryType::Unknown,
        };
        for part in parts.iter() {
            check_geometry(&part, part_kind, depth + 1)?;
        }
    }
    Ok(())
}

/// Whether the file starts with FlatGeobuf's magic bytes (`fgb`, version 3); rewinds `source`.
/// Without them [`FgbReader::open`] gives its own error.
fn bytes_start_with_magic<R: std::io::Read + std::io::Seek>(source: &mut R) -> bool {
    let mut magic = [0u8; 3];
    let ok = source.read_exact(&mut magic).is_ok() && magic == *b"fgb";
    source.seek(std::io::SeekFrom::Start(0)).is_ok() && ok
}

/// Walks the size prefixes of the features (after the header and the spatial index) and checks
/// that each feature lies inside the file, then rewinds `source`. The `flatgeobuf` crate
/// allocates a buffer of the size a prefix gives before it reads the feature, so a corrupt prefix
/// of up to 4 GB is otherwise an out-of-memory abort (found by `fuzz/` target `flatgeobuf`).
fn check_feature_sizes<R: std::io::Read + std::io::Seek>(
    source: &mut R,
    len: u64,
) -> std::result::Result<(), String> {
    use std::io::SeekFrom;
    let mut b4 = [0u8; 4];
    let io = |e: std::io::Error| format!("cannot read the file ({e})");
    source.seek(SeekFrom::Start(8)).map_err(io)?;
    source.read_exact(&mut b4).map_err(io)?;
    let header_len = u64::from(u32::from_le_bytes(b4));
    if 12 + header_len > len {
        return Err(format!(
            "the header of {header_len} bytes runs past the end of the file ({len} bytes)"
        ));
    }
    // with its size prefix, as the crate verifies it (the verifier checks alignment)
    let mut header = vec![0u8; usize::try_from(header_len + 4).map_err(|e| e.to_string())?];
    header[..4].copy_from_slice(&b4);
    source.read_exact(&mut header[4..]).map_err(io)?;
    let header = flatgeobuf::size_prefixed_root_as_header(&header)
        .map_err(|e| format!("the header is not valid ({e})"))?;
    let (count, node_size) = (header.features_count(), header.index_node_size());
    let index = if node_size == 0 || count == 0 {
        Some(0)
    } else {
        index_bytes(count, node_size)
    };
    let mut pos = index
        .and_then(|i| (12 + header_len).checked_add(i))
        .filter(|&p| p <= len)
        .ok_or_else(|| {
            format!(
                "the spatial index of {count} features runs past the end of the file ({len} bytes)"
            )
        })?;
    let mut feature = 0u64;
    while pos < len {
        source.seek(SeekFrom::Start(pos)).map_err(io)?;
        source.read_exact(&mut b4).map_err(|_| format!("feature {feature}: its size prefix at byte {pos} runs past the end of the file ({len} bytes)"))?;
        let size = u64::from(u32::from_le_bytes(b4));
        pos = pos
            .checked_add(4 + size)
            .filter(|&end| end <= len)
            .ok_or_else(|| format!("feature {feature} at byte {pos} says it is {size} bytes long, which runs past the end of the file ({len} bytes); the file is corrupt or truncated"))?;
        feature += 1;
    }
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(())
}

fn each<R: std::io::Read + std::io::Seek>(
    path: &Path,
    mut source: R,
    len: u64,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Feature) -> Result<()>,
) -> Result<crate::Crs> {
    let format = |message: String| GeoError::Format {
        path: path.to_path_buf(),
        message,
    };
    if len >= 12 && bytes_start_with_magic(&mut source) {
        check_feature_sizes(&mut source, len).map_err(&format)?;
    }
    let reader = FgbReader::open(source).map_err(|e| {
        format(format!("not a valid FlatGeobuf file ({e}); expected the `fgb` magic bytes and a FlatGeobuf header"))
    })?;
    let header = reader.header();
    check_index(&header, len).map_err(&format)?;
    let header_kind = header.geometry_type();
    let declared = declared_crs(&header);
    let columns: Vec<String> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let types: Vec<ColumnType> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.type_()).collect())
        .unwrap_or_default();
    let crs = resolve_crs(path, options, declared.as_deref(), None)?;

    let mut iter = reader
        .select_all_seq()
        .map_err(|e| format(format!("the FlatGeobuf features cannot be read ({e})")))?;
    let mut index = 0;
    loop {
        let next = iter
            .next()
            .map_err(|e| format(format!("FlatGeobuf feature {index} cannot be read ({e})")))?;
        let Some(f) = next else { break };
        let err = |message: String| GeoError::Feature {
            path: path.to_path_buf(),
            feature: index,
            code: None,
            message,
        };
        let mut props = Props(columns.iter().map(|c| (c.clone(), Value::Null)).collect());
        if let Some(p) = f.fbs_feature().properties() {
            check_properties(p.bytes(), &types).map_err(|e| {
                format(format!(
                    "FlatGeobuf feature {index}: corrupt properties ({e})"
                ))
            })?;
        }
        f.process_properties(&mut props)
            .map_err(|e| format(format!("FlatGeobuf feature {index}: bad properties ({e})")))?;
        if f.geometry().is_none() {
            return Err(err(
                "has no geometry (null); area files must hold Polygon or MultiPolygon geometries"
                    .into(),
            ));
        }
        if let Some(g) = f.fbs_feature().geometry() {
            check_geometry(&g, header_kind, 0)
                .map_err(|e| err(format!("has a corrupt geometry ({e})")))?;
        }
        let geometry = f
            .to_geo()
            .map_err(|e| err(format!("has a geometry that cannot be decoded ({e})")))?;
        let geometry = areas_of(geometry).map_err(err)?;
        sink(Feature {
            index,
            geometry,
            properties: props.0,
        })?;
        index += 1;
    }
    Ok(crs)
}

/// The CRS the header declares: `ORG:code`, else `ORG:code_string`, else the WKT.
fn declared_crs(header: &Header<'_>) -> Option<String> {
    let crs = header.crs()?;
    let org = crs.org().filter(|o| !o.trim().is_empty()).unwrap_or("EPSG");
    if crs.code() != 0 {
        return Some(format!("{org}:{}", crs.code()));
    }
    if let Some(code) = crs.code_string().filter(|c| !c.trim().is_empty()) {
        return Some(format!("{org}:{code}"));
    }
    crs.wkt()
        .filter(|w| !w.trim().is_empty())
        .map(str::to_string)
}

/// Collects the properties of one feature.
struct Props(BTreeMap<String, Value>);

impl PropertyProcessor for Props {
    fn property(
        &mut self,
        _idx: usize,
        name: &str,
        value: &ColumnValue,
    ) -> geozero::error::Result<bool> {
        let v = match *value {
            ColumnValue::Bool(b) => Value::Bool(b),
            ColumnValue::Byte(i) => Value::Int(i.into()),
            ColumnValue::UByte(i) => Value::Int(i.into()),
            ColumnValue::Short(i) => Value::Int(i.into()),
            ColumnValue::UShort(i) => Value::Int(i.into()),
            ColumnValue::Int(i) => Value::Int(i.into()),
            ColumnValue::UInt(i) => Value::Int(i.into()),
            ColumnValue::Long(i) => Value::Int(i),
            ColumnValue::ULong(u) => i64::try_from(u).map_or(Value::Float(u as f64), Value::Int),
            ColumnValue::Float(f) => Value::Float(f.into()),
            ColumnValue::Double(f) => Value::Float(f),
            ColumnValue::String(s) | ColumnValue::Json(s) | ColumnValue::DateTime(s) => {
                Value::Text(s.to_string())
            }
            ColumnValue::Binary(b) => Value::Text(b.iter().map(|x| format!("{x:02x}")).collect()),
        };
        self.0.insert(name.to_string(), v);
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
    use geo_types::{Geometry, LineString, MultiPolygon, Point, Polygon, coord};

    use super::*;
    use crate::crs::Crs;

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        LineString(c.iter().map(|&(x, y)| coord! { x: x, y: y }).collect())
    }

    fn holed() -> Polygon<f64> {
        Polygon::new(
            ring(&[
                (160_000.0, 470_000.0),
                (161_000.0, 470_000.0),
                (161_000.0, 471_000.0),
                (160_000.0, 470_000.0),
            ]),
            vec![ring(&[
                (160_600.0, 470_200.0),
                (160_800.0, 470_200.0),
                (160_800.0, 470_400.0),
                (160_600.0, 470_200.0),
            ])],
        )
    }

    fn two_parts() -> MultiPolygon<f64> {
        MultiPolygon(vec![
            Polygon::new(
                ring(&[
                    (170_000.5, 480_000.25),
                    (170_010.0, 480_000.0),
                    (170_000.0, 480_010.0),
                    (170_000.5, 480_000.25),
                ]),
                vec![],
            ),
            Polygon::new(
                ring(&[
                    (175_000.0, 485_000.0),
                    (175_010.0, 485_000.0),
                    (175_000.0, 485_010.0),
                    (175_000.0, 485_000.0),
                ]),
                vec![],
            ),
        ])
    }

    /// An FGB file of `geoms` (with code, inhabitants, share and water columns) in `crs`,
    /// without a spatial index.
    fn write_fgb(
        dir: &tempfile::TempDir,
        crs: FgbCrs<'_>,
        kind: GeometryType,
        geoms: Vec<Geometry<f64>>,
    ) -> std::path::PathBuf {
        write_fgb_indexed(dir, crs, kind, geoms, false)
    }

    /// The same, with a spatial index (which sorts the features) when `index`.
    fn write_fgb_indexed(
        dir: &tempfile::TempDir,
        crs: FgbCrs<'_>,
        kind: GeometryType,
        geoms: Vec<Geometry<f64>>,
        index: bool,
    ) -> std::path::PathBuf {
        // A mixed-type (Unknown) file keeps each feature's own type.
        let mixed = kind == GeometryType::Unknown;
        let options = FgbWriterOptions {
            write_index: index,
            crs,
            detect_type: !mixed,
            promote_to_multi: !mixed,
            ..Default::default()
        };
        let mut fgb = FgbWriter::create_with_options("buurten", kind, options).unwrap();
        fgb.add_column("buurtcode", ColumnType::String, |_, _| {});
        fgb.add_column("aantal_inwoners", ColumnType::Int, |_, _| {});
        fgb.add_column("share", ColumnType::Double, |_, _| {});
        fgb.add_column("water", ColumnType::Bool, |_, _| {});
        fgb.add_column("big", ColumnType::Long, |_, _| {});
        for (i, g) in geoms.into_iter().enumerate() {
            fgb.add_feature_geom(g, |f| {
                f.property(
                    0,
                    "buurtcode",
                    &ColumnValue::String(&format!("BU0233000{i}")),
                )
                .unwrap();
                f.property(
                    1,
                    "aantal_inwoners",
                    &ColumnValue::Int(if i == 0 { -99_999_999 } else { 120 }),
                )
                .unwrap();
                if i == 0 {
                    f.property(2, "share", &ColumnValue::Double(0.375)).unwrap();
                }
                f.property(3, "water", &ColumnValue::Bool(i == 1)).unwrap();
                f.property(4, "big", &ColumnValue::Long(1 << 40)).unwrap();
            })
            .unwrap();
        }
        let mut out = Vec::new();
        fgb.write(&mut out).unwrap();
        let path = dir.path().join("buurten.fgb");
        std::fs::write(&path, out).unwrap();
        path
    }

    fn read_file(path: &Path, options: &ReadOptions) -> Result<Source> {
        read(path, &std::fs::read(path).unwrap(), options)
    }

    fn rd() -> FgbCrs<'static> {
        FgbCrs {
            org: Some("EPSG"),
            code: 28992,
            ..Default::default()
        }
    }

    #[test]
    fn reads_polygons_attributes_and_crs() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_fgb(
            &dir,
            rd(),
            GeometryType::MultiPolygon,
            vec![holed().into(), two_parts().into()],
        );
        let s = read_file(&p, &ReadOptions::default()).unwrap();
        assert_eq!(s.crs, Crs::RdNew);
        assert_eq!(s.features.len(), 2);
        let f0 = &s.features[0];
        assert_eq!(f0.index, 0);
        assert_eq!(f0.geometry, MultiPolygon(vec![holed()]));
        assert_eq!(f0.properties["buurtcode"], Value::Text("BU02330000".into()));
        assert_eq!(f0.properties["aantal_inwoners"], Value::Int(-99_999_999));
        assert_eq!(f0.properties["share"], Value::Float(0.375));
        assert_eq!(f0.properties["water"], Value::Bool(false));
        assert_eq!(f0.properties["big"], Value::Int(1 << 40));
        let f1 = &s.features[1];
        assert_eq!(f1.index, 1);
        assert_eq!(f1.geometry, two_parts());
        assert_eq!(
            f1.geometry.0[0].exterior().0[0],
            coord! { x: 170_000.5, y: 480_000.25 }
        );
        assert_eq!(f1.properties["share"], Value::Null);
        assert_eq!(f1.properties["water"], Value::Bool(true));
        assert_eq!(f1.properties.len(), 5);
    }

    #[test]
    fn reads_file_with_spatial_index() {
        let dir = tempfile::tempdir().unwrap();
        let geoms = vec![two_parts().into(), holed().into()];
        let p = write_fgb_indexed(&dir, rd(), GeometryType::MultiPolygon, geoms, true);
        let s = read_file(&p, &ReadOptions::default()).unwrap();
        assert_eq!(s.features.len(), 2);
        // The index sorts the features (Hilbert order); they keep their attributes.
        for f in &s.features {
            let expected = match f.properties["buurtcode"].as_text().as_deref() {
                Some("BU02330000") => two_parts(),
                Some("BU02330001") => MultiPolygon(vec![holed()]),
                other => panic!("unexpected code {other:?}"),
            };
            assert_eq!(f.geometry, expected);
        }
        assert_eq!((s.features[0].index, s.features[1].index), (0, 1));
    }

    #[test]
    fn crs_from_wkt_override_missing_and_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let geoms = || vec![Geometry::from(holed())];
        let wkt = FgbCrs {
            wkt: Some(r#"PROJCS["Amersfoort / RD New",GEOGCS["Amersfoort"]]"#),
            ..Default::default()
        };
        let p = write_fgb(&dir, wkt, GeometryType::Polygon, geoms());
        assert_eq!(
            read_file(&p, &ReadOptions::default()).unwrap().crs,
            Crs::RdNew
        );

        let p = write_fgb(&dir, FgbCrs::default(), GeometryType::Polygon, geoms());
        let e = read_file(&p, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Crs { message, .. } if message.contains("declares no CRS")),
            "{e}"
        );
        let s = read_file(
            &p,
            &ReadOptions {
                crs: Some(Crs::RdNew),
                layer: None,
            },
        )
        .unwrap();
        assert_eq!(
            (s.crs, s.features[0].geometry.clone()),
            (Crs::RdNew, MultiPolygon(vec![holed()]))
        );

        let lambert = FgbCrs {
            org: Some("EPSG"),
            code: 2154,
            ..Default::default()
        };
        let p = write_fgb(&dir, lambert, GeometryType::Polygon, geoms());
        let e = read_file(&p, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Crs { message, .. } if message.contains("EPSG:2154")),
            "{e}"
        );
    }

    #[test]
    fn point_feature_is_a_feature_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_fgb(
            &dir,
            rd(),
            GeometryType::Unknown,
            vec![
                holed().into(),
                holed().into(),
                Point::new(160_000.0, 470_000.0).into(),
            ],
        );
        match read_file(&p, &ReadOptions::default()).unwrap_err() {
            GeoError::Feature {
                feature, message, ..
            } => {
                assert_eq!(feature, 2);
                assert!(
                    message.contains("is a Point") && message.contains("Polygon or MultiPolygon"),
                    "{message}"
                );
            }
            other => panic!("expected a feature error, got {other:?}"),
        }
    }

    #[test]
    fn garbage_and_truncated_files_are_format_errors() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.fgb");
        std::fs::write(&junk, b"{\"type\": \"FeatureCollection\"}").unwrap();
        let e = read_file(&junk, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("not a valid FlatGeobuf")),
            "{e}"
        );

        let p = write_fgb(
            &dir,
            rd(),
            GeometryType::MultiPolygon,
            vec![holed().into(), two_parts().into()],
        );
        let bytes = std::fs::read(&p).unwrap();
        let cut = &bytes[..bytes.len() - 20];
        let e = read(&p, cut, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&e, GeoError::Format { message, .. } if message.contains("feature 1 at byte") && message.contains("runs past the end of the file")),
            "{e}"
        );
    }
}
