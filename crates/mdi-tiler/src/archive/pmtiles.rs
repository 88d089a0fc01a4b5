//! PMTiles v3, through the `pmtiles` crate's streaming writer.

use std::collections::HashMap;
use std::path::Path;

use ::pmtiles::{Compression, PmTilesWriter, PmtError, TileId, TileType};

use super::{
    ArchiveMeta, ArchiveStats, archive_error, center_zoom, check_inputs, content_hash, tilejson,
};
use crate::Result;
use crate::spill::TileSource;

/// Writes `tiles` to a PMTiles v3 archive at `path`, atomically (see the [module](super)).
///
/// `tiles`: gzip-compressed MVT tiles, in any order, each coordinate at most once. They are
/// stored as given (tile compression gzip), in tile-id (Hilbert) order, so the archive is
/// clustered; identical tiles are stored once, and runs of them at consecutive tile ids take a
/// single directory entry. Directories and metadata are gzip-compressed. The header holds the
/// zoom range, bounds and center of `meta`; the JSON metadata holds `name`, `description`,
/// `attribution`, `version`, `format` (`"pbf"`), `bounds`, `center`, `minzoom`, `maxzoom` and then
/// everything in `meta.json`.
///
/// # Errors
///
/// [`TilerError::Archive`](crate::TilerError::Archive) if the metadata or a tile is invalid (see
/// [`ArchiveMeta`]; a coordinate outside its zoom or the zoom range, an empty tile, a coordinate
/// given twice) or the writer fails, [`TilerError::Io`](crate::TilerError::Io) if the file
/// cannot be written. Both name `path`.
pub fn write_pmtiles<T: TileSource + ?Sized>(
    path: &Path,
    meta: &ArchiveMeta,
    tiles: &T,
) -> Result<ArchiveStats> {
    let sorted = check_inputs(path, meta, tiles)?;
    let pmt_error = |e: PmtError| archive_error(path, format!("PMTiles writer: {e}"));

    // Clustered means tile data in tile-id order; the writer only checks, so sort here.
    let mut by_id = sorted
        .iter()
        .map(|&i| {
            let c = tiles.coord(i);
            let coord = ::pmtiles::TileCoord::new(c.z, c.x, c.y).map_err(pmt_error)?;
            Ok((TileId::from(coord), i))
        })
        .collect::<Result<Vec<_>>>()?;
    by_id.sort_unstable_by_key(|(id, _)| *id);

    let metadata = serde_json::to_string(&tilejson(meta))
        .map_err(|e| archive_error(path, format!("serialising the metadata: {e}")))?;
    let [min_lon, min_lat, max_lon, max_lat] = meta.bounds;

    // Dedup by exact bytes: the key of a content is the order of its first appearance. Tiles
    // are read one at a time; the index keeps a hash per distinct content and the position
    // of its first tile, and equal hashes are compared byte by byte. (The writer's own dedup
    // compares 128-bit hashes, not bytes.)
    let mut seen: HashMap<(u64, usize), Vec<(usize, usize)>> = HashMap::new();
    let mut unique_tiles = 0;
    let bytes = super::write_atomically(path, |file, _| {
        let mut writer = PmTilesWriter::new(TileType::Mvt)
            // Store the tiles as given and record gzip: no second compression.
            .precompressed(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(meta.min_zoom)
            .max_zoom(meta.max_zoom)
            .bounds(min_lon, min_lat, max_lon, max_lat)
            .center(meta.center[0], meta.center[1])
            .center_zoom(center_zoom(meta))
            .metadata(metadata)
            .dedup_by_key::<usize>()
            .create(file)
            .map_err(pmt_error)?;
        for &(id, i) in &by_id {
            let data = tiles.bytes(i)?;
            let candidates = seen.entry((content_hash(&data), data.len())).or_default();
            let mut key = None;
            for &(first, k) in candidates.iter() {
                if tiles.bytes(first)? == data {
                    key = Some(k);
                    break;
                }
            }
            let key = match key {
                Some(k) => k,
                None => {
                    candidates.push((i, unique_tiles));
                    unique_tiles += 1;
                    unique_tiles - 1
                }
            };
            writer
                .add_tile(id.into(), &data, Some(key))
                .map_err(pmt_error)?;
        }
        writer.finalize().map_err(pmt_error)
    })?;

    Ok(ArchiveStats {
        tiles: by_id.len(),
        unique_tiles,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use crate::TileCoord;

    use mdi_format::pmtiles::{ArchiveCompression, read_pmtiles, tile_id};

    use super::*;
    use crate::archive::ArchiveMeta;

    fn gz(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn meta() -> ArchiveMeta {
        ArchiveMeta {
            name: "t".into(),
            description: String::new(),
            attribution: String::new(),
            version: "1".into(),
            bounds: [5.0, 51.0, 6.0, 52.0],
            center: [5.5, 51.5, 4.0],
            min_zoom: 3,
            max_zoom: 6,
            json: serde_json::Map::from_iter([(
                "vector_layers".to_string(),
                serde_json::json!([]),
            )]),
        }
    }

    #[test]
    fn reads_back_what_the_writer_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.pmtiles");
        // Every tile of z3..=6 with two different contents plus duplicates (runs).
        let mut tiles = Vec::new();
        for z in 3..=6u8 {
            for x in 0..(1u32 << z) {
                for y in 0..(1u32 << z) {
                    let body = if (x + y) % 3 == 0 {
                        format!("{z}/{x}/{y}")
                    } else {
                        "same".to_string()
                    };
                    tiles.push((TileCoord { z, x, y }, gz(body.as_bytes())));
                }
            }
        }
        write_pmtiles(&path, &meta(), &tiles).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let index = read_pmtiles(&bytes).unwrap();
        assert_eq!((index.min_zoom, index.max_zoom), (3, 6));
        assert_eq!(index.tile_compression, ArchiveCompression::Gzip);
        assert_eq!(index.metadata["name"], "t");
        assert!((index.bounds[0] - 5.0).abs() < 1e-7 && (index.bounds[3] - 52.0).abs() < 1e-7);
        let covered: u64 = index.entries.iter().map(|e| u64::from(e.run_length)).sum();
        assert_eq!(covered as usize, tiles.len());
        for (coord, data) in &tiles {
            let id = tile_id(*coord).unwrap();
            let e = index
                .entries
                .iter()
                .find(|e| id >= e.tile_id && id < e.tile_id + u64::from(e.run_length))
                .unwrap();
            let got = &bytes[e.offset as usize..e.offset as usize + e.length as usize];
            let mut a = Vec::new();
            flate2::read::GzDecoder::new(got)
                .read_to_end(&mut a)
                .unwrap();
            let mut b = Vec::new();
            flate2::read::GzDecoder::new(data.as_slice())
                .read_to_end(&mut b)
                .unwrap();
            assert_eq!(a, b, "tile {coord:?}");
        }
    }
}
