//! The file names of an atlas directory (`docs/ATLAS.md`).

/// The index per area and year.
pub const SCORES: &str = "scores.csv";
/// Every area of every level with its scores, FlatGeobuf in WGS84.
pub const AREAS: &str = "areas.fgb";
/// What the atlas holds ([`crate::Metadata`]).
pub const METADATA: &str = "metadata.json";
/// What happened on the way ([`crate::BuildReport`]).
pub const REPORT: &str = "build-report.json";
/// The vector tiles, PMTiles v3.
pub const PMTILES: &str = "atlas.pmtiles";
/// The same tiles as MBTiles (optional).
pub const MBTILES: &str = "atlas.mbtiles";
/// The index ranked over all years pooled (METHOD.md §6), the columns of [`SCORES`]; written
/// when the atlas has two or more years and its own ranking is per year. Since format 1.3.
pub const POOLED: &str = "pooled.csv";
/// The profile's comparison variables per (code, year), any level
/// ([`crate::comparison`]); written when the profile has `[[comparison]]`s. Since format 1.3.
pub const COMPARISON: &str = "comparison.csv";
/// Queen contiguity of the index unit's areas, PySAL GAL format ([`crate::contiguity`]).
/// Since format 1.3.
pub const CONTIGUITY: &str = "contiguity.gal";
/// The files a user may download from a served atlas, in the order the API lists them.
pub const DOWNLOADS: [&str; 9] = [
    PMTILES, MBTILES, SCORES, POOLED, COMPARISON, AREAS, CONTIGUITY, METADATA, REPORT,
];
