//! Reading a PMTiles v3 archive, held in memory or read from a file section by section: the header, the JSON metadata and every tile
//! entry (root and leaf directories resolved), so that a server can look tiles up without
//! touching the directories again.
//!
//! Written from the PMTiles v3 specification: a 127-byte little-endian header, directories of
//! varint-encoded columns (tile-id deltas, run lengths, lengths, offsets where 0 means "right
//! after the previous entry"), internally compressed with `internal_compression`.

use std::io::Read;

use serde_json::Value;

use crate::TileCoord;
use crate::error::FormatError;

/// The length of a PMTiles v3 header.
const HEADER_LEN: usize = 127;

/// How the tiles or the internal structures of an archive are compressed (PMTiles codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveCompression {
    /// Code 0: not stated.
    Unknown,
    /// Code 1: stored as is.
    None,
    /// Code 2: gzip.
    Gzip,
    /// Code 3: brotli.
    Brotli,
    /// Code 4: zstd.
    Zstd,
}

impl ArchiveCompression {
    fn from_code(code: u8) -> Option<ArchiveCompression> {
        Some(match code {
            0 => ArchiveCompression::Unknown,
            1 => ArchiveCompression::None,
            2 => ArchiveCompression::Gzip,
            3 => ArchiveCompression::Brotli,
            4 => ArchiveCompression::Zstd,
            _ => return None,
        })
    }
}

/// One run of tiles: `run_length` consecutive tile ids from `tile_id` share the bytes at
/// `offset..offset + length` of the archive (offsets are absolute in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileEntry {
    /// The first tile id (PMTiles Hilbert id).
    pub tile_id: u64,
    /// Absolute byte offset of the tile data in the archive.
    pub offset: u64,
    /// Length of the tile data in bytes.
    pub length: u32,
    /// Number of consecutive tile ids with these bytes (at least 1).
    pub run_length: u32,
}

/// What a PMTiles v3 archive holds, apart from the tile bytes themselves.
#[derive(Debug, Clone)]
pub struct PmtilesIndex {
    /// The compression of the tile data.
    pub tile_compression: ArchiveCompression,
    /// The tile type code (1 = MVT).
    pub tile_type: u8,
    /// The lowest zoom with tiles.
    pub min_zoom: u8,
    /// The highest zoom with tiles.
    pub max_zoom: u8,
    /// West, south, east, north, in WGS84 (EPSG:4326) degrees.
    pub bounds: [f64; 4],
    /// Longitude and latitude (WGS84 degrees) and zoom of the default view.
    pub center: (f64, f64, u8),
    /// The JSON metadata (an empty object when the archive has none).
    pub metadata: Value,
    /// Every tile entry, ordered by tile id, leaf directories resolved.
    pub entries: Vec<TileEntry>,
}

fn bad(message: impl Into<String>) -> FormatError {
    FormatError::Archive {
        path: std::path::PathBuf::from("<PMTiles archive>"),
        message: message.into(),
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    i32::from_le_bytes(v)
}

/// The byte range `offset..offset + length` of `bytes`, or an error naming `what`.
fn section<'a>(
    bytes: &'a [u8],
    offset: u64,
    length: u64,
    what: &str,
) -> Result<&'a [u8], FormatError> {
    let start = usize::try_from(offset).map_err(|_| bad(format!("{what}: offset too large")))?;
    let len = usize::try_from(length).map_err(|_| bad(format!("{what}: length too large")))?;
    start
        .checked_add(len)
        .and_then(|end| bytes.get(start..end))
        .ok_or_else(|| {
            bad(format!(
                "{what} at bytes {offset}..{} lies beyond the end of the archive ({} bytes)",
                offset.saturating_add(length),
                bytes.len()
            ))
        })
}

fn decompress(
    data: &[u8],
    compression: ArchiveCompression,
    what: &str,
) -> Result<Vec<u8>, FormatError> {
    match compression {
        ArchiveCompression::None | ArchiveCompression::Unknown => Ok(data.to_vec()),
        ArchiveCompression::Gzip => {
            let mut out = Vec::with_capacity(data.len() * 4);
            flate2::read::GzDecoder::new(data)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("{what}: not valid gzip ({e})")))?;
            Ok(out)
        }
        other => Err(bad(format!(
            "{what} is compressed with {other:?}, which this reader does not support (gzip or none)"
        ))),
    }
}

fn varint(buf: &mut &[u8], what: &str) -> Result<u64, FormatError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf
            .split_first()
            .ok_or_else(|| bad(format!("{what}: directory ends inside a varint")))?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(bad(format!("{what}: varint longer than 64 bits")))
}

/// Decodes one (decompressed) directory into entries; `run_length == 0` marks a leaf pointer
/// whose offset is relative to the leaf section. Tile offsets are relative to the data section.
fn directory(mut buf: &[u8], what: &str) -> Result<Vec<TileEntry>, FormatError> {
    let n = usize::try_from(varint(&mut buf, what)?)
        .map_err(|_| bad(format!("{what}: too many entries")))?;
    if n > buf.len() {
        return Err(bad(format!(
            "{what}: {n} entries cannot fit in {} bytes",
            buf.len()
        )));
    }
    let mut entries = vec![
        TileEntry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut id = 0u64;
    for e in &mut entries {
        id = id
            .checked_add(varint(&mut buf, what)?)
            .ok_or_else(|| bad(format!("{what}: tile id overflows")))?;
        e.tile_id = id;
    }
    for e in &mut entries {
        e.run_length = u32::try_from(varint(&mut buf, what)?)
            .map_err(|_| bad(format!("{what}: run length too large")))?;
    }
    for e in &mut entries {
        e.length = u32::try_from(varint(&mut buf, what)?)
            .map_err(|_| bad(format!("{what}: length too large")))?;
        if e.length == 0 {
            return Err(bad(format!(
                "{what}: an entry of length 0 (tile id {})",
                e.tile_id
            )));
        }
    }
    let mut next = 0u64;
    for e in &mut entries {
        let raw = varint(&mut buf, what)?;
        e.offset = if raw == 0 { next } else { raw - 1 };
        next = e.offset.checked_add(u64::from(e.length)).ok_or_else(|| {
            bad(format!(
                "{what}: the tile at offset {} with length {} ends beyond 2^64",
                e.offset, e.length
            ))
        })?;
    }
    Ok(entries)
}

/// Reads the header, metadata and every directory of a PMTiles v3 archive held in `bytes`.
///
/// # Errors
/// [`FormatError::Archive`] when the bytes are not a PMTiles v3 archive, a section lies beyond
/// the end, a directory is malformed or nests deeper than the specification allows, or the
/// internal compression is neither gzip nor none.
pub fn read_pmtiles(bytes: &[u8]) -> Result<PmtilesIndex, FormatError> {
    read_pmtiles_with(bytes.len() as u64, &mut |offset, length, what| {
        section(bytes, offset, length, what).map(<[u8]>::to_vec)
    })
}

/// Reads the header, metadata and every directory of the PMTiles v3 archive in `file`, reading
/// only those sections (a few kilobytes to a few megabytes), not the tile data: a server can
/// answer tiles by reading each at its offset, without reading the whole archive first.
///
/// # Errors
/// As [`read_pmtiles`], and [`FormatError::Archive`] when the file cannot be read.
pub fn read_pmtiles_file(file: &std::fs::File) -> Result<PmtilesIndex, FormatError> {
    use std::os::unix::fs::FileExt;
    let len = file
        .metadata()
        .map_err(|e| bad(format!("cannot read the archive's size ({e})")))?
        .len();
    read_pmtiles_with(len, &mut |offset, length, what| {
        if offset.checked_add(length).is_none_or(|end| end > len) {
            return Err(bad(format!(
                "{what} at bytes {offset}..{} lies beyond the end of the archive ({len} bytes)",
                offset.saturating_add(length),
            )));
        }
        let n = usize::try_from(length).map_err(|_| bad(format!("{what}: length too large")))?;
        let mut buf = vec![0u8; n];
        file.read_exact_at(&mut buf, offset)
            .map_err(|e| bad(format!("cannot read {what} ({e})")))?;
        Ok(buf)
    })
}

/// Reads a section of an archive: (absolute offset, length, what it is for errors).
type SectionReader<'a> = dyn FnMut(u64, u64, &str) -> Result<Vec<u8>, FormatError> + 'a;

/// [`read_pmtiles`] over an archive of `len` bytes whose sections `read` returns.
fn read_pmtiles_with(len: u64, read: &mut SectionReader<'_>) -> Result<PmtilesIndex, FormatError> {
    if len < HEADER_LEN as u64 {
        return Err(bad(
            "not a PMTiles archive (expected the `PMTiles` magic bytes and a 127-byte header)",
        ));
    }
    let h = read(0, HEADER_LEN as u64, "the header")?;
    if &h[..7] != b"PMTiles" {
        return Err(bad(
            "not a PMTiles archive (expected the `PMTiles` magic bytes and a 127-byte header)",
        ));
    }
    if h[7] != 3 {
        return Err(bad(format!(
            "PMTiles version {} is not supported (expected 3)",
            h[7]
        )));
    }
    let (root_off, root_len) = (u64_at(&h, 8), u64_at(&h, 16));
    let (meta_off, meta_len) = (u64_at(&h, 24), u64_at(&h, 32));
    let (leaf_off, leaf_len) = (u64_at(&h, 40), u64_at(&h, 48));
    let (data_off, data_len) = (u64_at(&h, 56), u64_at(&h, 64));
    let code = |at: usize, what: &str| {
        ArchiveCompression::from_code(h[at])
            .ok_or_else(|| bad(format!("unknown {what} compression code {}", h[at])))
    };
    let internal = code(97, "internal")?;
    let tile_compression = code(98, "tile")?;
    let deg = |at: usize| f64::from(i32_at(&h, at)) / 1e7;

    let metadata = if meta_len == 0 {
        Value::Object(Default::default())
    } else {
        let raw = decompress(
            &read(meta_off, meta_len, "the metadata")?,
            internal,
            "the metadata",
        )?;
        serde_json::from_slice(&raw)
            .map_err(|e| bad(format!("the metadata is not valid JSON ({e})")))?
    };
    if data_off.checked_add(data_len).is_none_or(|end| end > len) {
        return Err(bad(format!(
            "the tile data at bytes {data_off}..{} lies beyond the end of the archive ({len} bytes)",
            data_off.saturating_add(data_len)
        )));
    }
    let leaves = if leaf_len == 0 {
        Vec::new()
    } else {
        read(leaf_off, leaf_len, "the leaf directories")?
    };
    let root = decompress(
        &read(root_off, root_len, "the root directory")?,
        internal,
        "the root directory",
    )?;
    let entries = resolve_directories(
        directory(&root, "the root directory")?,
        &leaves,
        internal,
        data_off,
        data_len,
    )?;
    Ok(PmtilesIndex {
        tile_compression,
        tile_type: h[99],
        min_zoom: h[100],
        max_zoom: h[101],
        bounds: [deg(102), deg(106), deg(110), deg(114)],
        center: (deg(119), deg(123), h[118]),
        metadata,
        entries,
    })
}

/// Every tile entry under the `root` directory, leaf directories (in the `leaves` section)
/// resolved, with absolute offsets; checked to lie within the tile data and to be ordered.
fn resolve_directories(
    root: Vec<TileEntry>,
    leaves: &[u8],
    internal: ArchiveCompression,
    data_off: u64,
    data_len: u64,
) -> Result<Vec<TileEntry>, FormatError> {
    let mut entries = Vec::new();
    // (directory, next entry, depth): the root, then leaves as they are met, depth-first.
    let mut stack: Vec<(Vec<TileEntry>, usize, u8)> = vec![(root, 0, 0)];
    while let Some((dir, at, depth)) = stack.pop() {
        let Some(&e) = dir.get(at) else { continue };
        stack.push((dir, at + 1, depth));
        if e.run_length == 0 {
            if depth >= 3 {
                return Err(bad("leaf directories nest deeper than 3 levels"));
            }
            let what = format!("the leaf directory at tile id {}", e.tile_id);
            let raw = decompress(
                section(leaves, e.offset, u64::from(e.length), &what)?,
                internal,
                &what,
            )?;
            stack.push((directory(&raw, &what)?, 0, depth + 1));
        } else {
            if e.offset.saturating_add(u64::from(e.length)) > data_len {
                return Err(bad(format!(
                    "a tile at bytes {}..{} of the tile data lies beyond its end ({data_len} bytes)",
                    e.offset,
                    e.offset.saturating_add(u64::from(e.length))
                )));
            }
            entries.push(TileEntry {
                offset: data_off + e.offset,
                ..e
            });
        }
    }
    if entries
        .windows(2)
        .any(|w| w[1].tile_id < w[0].tile_id + u64::from(w[0].run_length))
    {
        return Err(bad("tile entries overlap or are not ordered by tile id"));
    }
    Ok(entries)
}

/// The PMTiles tile id of an XYZ tile (the position on the zoom's Hilbert curve after all
/// tiles of lower zooms), or `None` for a coordinate outside its zoom or a zoom above 31.
pub fn tile_id(coord: TileCoord) -> Option<u64> {
    let t = ::pmtiles::TileCoord::new(coord.z, coord.x, coord.y).ok()?;
    Some(::pmtiles::TileId::from(t).value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_an_archive() {
        let err = read_pmtiles(b"hello").unwrap_err().to_string();
        assert!(err.contains("not a PMTiles archive"), "{err}");
        let mut b = vec![0u8; 200];
        b[..7].copy_from_slice(b"PMTiles");
        b[7] = 2;
        assert!(
            read_pmtiles(&b)
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
        b[7] = 3;
        b[8] = 250; // root directory beyond the end
        b[16] = 100;
        let err = read_pmtiles(&b).unwrap_err().to_string();
        assert!(err.contains("root directory"), "{err}");
    }

    /// Found by the `pmtiles` fuzz target (fuzz/regressions/pmtiles/): an entry whose offset
    /// plus length passes 2^64 overflowed the running offset of the next entry.
    #[test]
    fn an_entry_ending_beyond_2_to_the_64_is_an_error() {
        let mut dir = vec![2u8, 0, 1, 1, 1, 10, 10];
        // Offset varint u64::MAX (stored as offset + 1, so offset = 2^64 - 2), then 0 for
        // "right after the previous entry".
        dir.extend([0xff; 9]);
        dir.push(0x01);
        dir.push(0);
        let err = directory(&dir, "the root directory")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ends beyond 2^64"), "{err}");
    }

    #[test]
    fn tile_ids_follow_the_specification() {
        // The specification's examples: z0 is id 0; z1 starts at 1; z2 at 5.
        assert_eq!(tile_id(TileCoord { z: 0, x: 0, y: 0 }), Some(0));
        assert_eq!(tile_id(TileCoord { z: 1, x: 0, y: 0 }), Some(1));
        assert_eq!(tile_id(TileCoord { z: 2, x: 0, y: 0 }), Some(5));
        assert_eq!(tile_id(TileCoord { z: 1, x: 2, y: 0 }), None);
    }
}
