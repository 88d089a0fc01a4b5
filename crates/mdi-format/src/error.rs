//! Errors of reading and writing an atlas directory: each names the file and what was expected.

use std::path::PathBuf;

/// An error about a file of an atlas directory.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// A file could not be read or written.
    #[error("{}: {action}: {cause}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The operating system's error.
        #[source]
        cause: std::io::Error,
    },
    /// A file is not what the format says it is.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The atlas was written by a newer mdi-atlas whose format this one cannot read.
    #[error(
        "{}: format_version {found} is newer than this mdi-atlas reads (major version {supported}); \
         upgrade mdi-atlas, or rebuild the atlas with this version",
        path.display()
    )]
    TooNew {
        /// The `metadata.json`.
        path: PathBuf,
        /// The version found.
        found: String,
        /// The major version this build reads.
        supported: u32,
    },
    /// A tile archive is damaged or not of the expected kind.
    #[error("{}: {message}", path.display())]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The result of this crate's operations.
pub type Result<T> = std::result::Result<T, FormatError>;

/// A closure that turns an I/O error about `path` into a [`FormatError::Io`].
pub(crate) fn io(
    path: &std::path::Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> FormatError {
    let path = path.to_path_buf();
    move |cause| FormatError::Io {
        path,
        action,
        cause,
    }
}

/// A [`FormatError::Invalid`] about `path`.
pub(crate) fn invalid(path: &std::path::Path, message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}
