//! Errors of mdi-geo. Every variant names the file and, where there is one, the feature (its
//! 0-based number in the file) or the code, and what was expected.

use std::path::PathBuf;

/// A result with [`GeoError`] as the default error.
pub type Result<T, E = GeoError> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, joining or writing areas.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// A file could not be opened, read or written.
    #[error("{path}: {action}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause (named in the message, so not repeated as a source).
        cause: std::io::Error,
    },
    /// The file is not in a format that mdi-geo reads, or is not valid in its format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong and what was expected.
        message: String,
    },
    /// One feature of a file is unusable.
    #[error("{path}: feature {feature}{code}: {message}", code = code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Feature {
        /// The file.
        path: PathBuf,
        /// The 0-based feature number in the file (or layer).
        feature: usize,
        /// The area code, when known.
        code: Option<String>,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The coordinate reference system is missing, unknown or unsupported.
    #[error("{path}: {message}")]
    Crs {
        /// The file.
        path: PathBuf,
        /// What was found and what is supported.
        message: String,
    },
    /// The same area code appears twice.
    #[error(
        "{path}: duplicate area code {code} (features {first} and {second}); each area must appear once"
    )]
    DuplicateCode {
        /// The file.
        path: PathBuf,
        /// The (normalised) code.
        code: String,
        /// The first feature with it.
        first: usize,
        /// The second feature with it.
        second: usize,
    },
    /// A file of the atlas directory could not be written or read.
    #[error(transparent)]
    Atlas(#[from] mdi_format::FormatError),
    /// An error of the index computation.
    #[error(transparent)]
    Core(#[from] mdi_core::CoreError),
}
