//! Tiling an atlas directory: read it, generate the pyramid, write the archives next to the
//! other files, and record what was done in `build-report.json`.

use std::path::{Path, PathBuf};

use crate::archive::{ArchiveStats, write_mbtiles, write_pmtiles};
use crate::error::{Result, TilerError};
use mdi_format::files::{MBTILES, PMTILES};
use mdi_format::report::TileReport;
use mdi_format::{BuildReport, Metadata};

use crate::generate::{LevelZooms, TileOptions, generate};
use crate::input::read_atlas;

/// What [`tile_atlas`] wrote.
pub struct TileSummary {
    /// The archives written, with their statistics.
    pub archives: Vec<(PathBuf, ArchiveStats)>,
    /// What the tiling came to (also in `build-report.json` under `tiles`).
    pub report: TileReport,
    /// A stale `atlas.mbtiles` removed because it was not rewritten.
    pub removed: Option<PathBuf>,
}

/// Tile the atlas in `dir`: write `atlas.pmtiles` (and `atlas.mbtiles` when `mbtiles`), each
/// atomically, and add the tile report to `build-report.json`. Without `mbtiles`, an older
/// `atlas.mbtiles` is removed, so the folder never holds tiles of another build.
///
/// # Errors
/// Whatever reading the atlas, generating or writing the archives returns.
pub fn tile_atlas(
    dir: &Path,
    options: &TileOptions,
    mbtiles: bool,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<TileSummary> {
    let input = read_atlas(dir)?;
    let mut options = options.clone();
    options.spill_dir.get_or_insert_with(|| dir.to_path_buf());
    let set = generate(&input, &options, progress)?;
    drop(input);
    let mut archives = Vec::new();
    let pm = dir.join(PMTILES);
    let stats = write_pmtiles(&pm, &set.meta, &set.tiles)?;
    archives.push((pm, stats));
    let mb = dir.join(MBTILES);
    let mut removed = None;
    if mbtiles {
        let stats = write_mbtiles(&mb, &set.meta, &set.tiles)?;
        archives.push((mb, stats));
    } else if mb.exists() {
        std::fs::remove_file(&mb).map_err(|cause| TilerError::Io {
            path: mb.clone(),
            action: "cannot remove the stale archive",
            cause,
        })?;
        removed = Some(mb);
    }
    record(dir, &set.report, &set.levels)?;
    Ok(TileSummary {
        archives,
        report: set.report,
        removed,
    })
}

/// Add `tiles` to `build-report.json`, and each level's band and tile zooms to
/// `metadata.json` (both rewritten atomically).
fn record(dir: &Path, report: &TileReport, levels: &[LevelZooms]) -> Result<()> {
    let mut build = BuildReport::read(dir)?;
    build.tiles = Some(report.clone());
    build.write(dir)?;
    let mut meta = Metadata::read(dir)?;
    for (info, zooms) in meta.levels.iter_mut().zip(levels) {
        info.band = zooms.band;
        info.tile_zooms = zooms.tiles;
    }
    meta.write(dir)?;
    Ok(())
}
