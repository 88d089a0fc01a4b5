//! Errors of mdi-tiler. Every variant names the file and what was expected.

use std::path::PathBuf;

/// A result with [`TilerError`] as the default error.
pub type Result<T, E = TilerError> = std::result::Result<T, E>;

/// Everything that can go wrong while tiling an atlas.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TilerError {
    /// A file could not be opened, read or written.
    #[error("{path}: {action}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        cause: std::io::Error,
    },
    /// An input file is not what the tiler expects.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What was wrong and what was expected.
        message: String,
    },
    /// An archive could not be written.
    #[error("{path}: writing the archive: {message}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Two area codes map to the same feature id.
    #[error("area codes {first} and {second} have the same feature id {id}; rename one of them")]
    IdCollision {
        /// The first code.
        first: String,
        /// The second code.
        second: String,
        /// The shared id.
        id: u64,
    },
    /// A tile exceeds the size cap even at the coarsest simplification.
    #[error(
        "tile {z}/{x}/{y} is {bytes} bytes gzipped with every simplification, over the cap of {cap} bytes, even with only the top level and its same-class neighbours drawn as one; raise --max-tile-bytes (or, if {z} is the lowest zoom, --min-zoom: fewer areas per tile)"
    )]
    TileTooLarge {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// Its gzipped size.
        bytes: usize,
        /// The cap.
        cap: usize,
    },
    /// An error reading the atlas' areas.
    #[error(transparent)]
    Geo(#[from] mdi_geo::GeoError),
    /// The atlas directory's files (`metadata.json`, `build-report.json`) could not be read or
    /// written.
    #[error(transparent)]
    Format(#[from] mdi_format::FormatError),
}
