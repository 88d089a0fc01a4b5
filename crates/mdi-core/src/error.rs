//! Errors of mdi-core. Every variant names the file and, where there is one, the line, the
//! column or key, and what was expected.

use std::path::PathBuf;

/// A result with [`CoreError`] as the default error.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Where in a source file something went wrong (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number, 0 when unknown.
    pub line: u64,
    /// 1-based column number (character column in a profile, field number in a table), 0 when
    /// unknown.
    pub column: u64,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// Everything that can go wrong while reading a profile or a table, or computing the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A file could not be opened or read.
    #[error("{path}: cannot read: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause (named in the message, so not repeated as a source).
        cause: std::io::Error,
    },
    /// The profile is not valid TOML, has an unknown key, or a value of the wrong kind.
    #[error("{at}: profile key `{key}`: {message}")]
    Profile {
        /// Where in the profile.
        at: Location,
        /// The key (dotted path) concerned, or `-` when the syntax itself is broken.
        key: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A table cell, header or row is malformed.
    #[error("{at} (column `{column}`): {message}")]
    Table {
        /// Where in the table (line and 1-based field number).
        at: Location,
        /// The column header concerned.
        column: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The same area and year appear twice in one table.
    #[error(
        "{at}: duplicate area-year {code} {year} (first seen on line {first_line}); each area may appear once per year"
    )]
    DuplicateAreaYear {
        /// The second occurrence.
        at: Location,
        /// The area code.
        code: String,
        /// The year.
        year: i32,
        /// Line of the first occurrence.
        first_line: u64,
    },
    /// A column named by the profile is in none of the tables (and the profile does not allow
    /// missing columns), or it is in more than one table.
    #[error("{at}: profile key `{key}`: {message}")]
    Column {
        /// Where the column is named in the profile.
        at: Location,
        /// The profile key that names the column.
        key: String,
        /// What was wrong, with the tables searched.
        message: String,
    },
    /// A table has no year column and no year was given by the profile or on the command line.
    #[error(
        "{path}: no year column (looked for {looked_for}); set `year` in the profile or pass --year"
    )]
    NoYear {
        /// The table.
        path: PathBuf,
        /// The header names that were looked for.
        looked_for: String,
    },
    /// No column of a table could be identified as the area code column.
    #[error(
        "{path}: no area code column (looked for {looked_for}, and no column whose values look like area codes); name it in the profile under [input] code_columns"
    )]
    NoCodeColumn {
        /// The table.
        path: PathBuf,
        /// The header names that were looked for.
        looked_for: String,
    },
    /// A derived indicator value is out of range for its transform.
    #[error("indicator `{indicator}` of area {code} in {year}: {message}")]
    Value {
        /// The indicator id.
        indicator: String,
        /// The area code.
        code: String,
        /// The year.
        year: i32,
        /// What was wrong.
        message: String,
    },
    /// The input holds no rows to rank.
    #[error("no areas to rank: {0}")]
    Empty(String),
}
