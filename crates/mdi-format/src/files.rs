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
/// The files a user may download from a served atlas, in the order the API lists them.
pub const DOWNLOADS: [&str; 6] = [PMTILES, MBTILES, SCORES, AREAS, METADATA, REPORT];
