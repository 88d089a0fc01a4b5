//! `sources.json`: what `mdi-atlas fetch` downloaded into a folder, from where, when, and with
//! which SHA-256. `mdi-atlas build --from DIR` reads it to find the tables (with their year) and
//! the area file; `fetch` reads it to skip files that are already there (the cache).
//!
//! ```json
//! { "generator": "mdi-atlas 0.1.0",
//!   "files": [ { "role": "table", "year": 2024, "path": "kwb-2024.csv",
//!                "url": "https://opendata.cbs.nl/ODataFeed/odata/85984NED/TypedDataSet?$format=json",
//!                "retrieved": "2025-01-31T12:00:00Z", "sha256": "…", "bytes": 12345,
//!                "source": "CBS OData v3 85984NED TypedDataSet" } ] }
//! ```
//!
//! A `path` is relative to the folder that holds `sources.json`, or absolute (a hand-written
//! file may point at data elsewhere).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The file name of the record, inside the fetch folder.
pub const SOURCES_FILE: &str = "sources.json";

/// What a downloaded file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An indicator table (CSV) of one year: the KWB table, one row per region.
    Table,
    /// The column descriptions of the table of the same year (`*.DataProperties.json`: the
    /// OData v3 `DataProperties` array, or the v4 `MeasureCodes` as `{Key, Title, …}`), by which
    /// an importer maps the table's headers to stable names.
    Properties,
    /// The area polygons of one year (the Wijk- en Buurtkaart GeoPackage, EPSG:28992).
    Areas,
}

/// One downloaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// What the file is for.
    pub role: Role,
    /// The year (edition) of the data.
    pub year: i32,
    /// The file, relative to the folder of `sources.json`, or absolute.
    pub path: String,
    #[serde(default)]
    /// The URL it was downloaded from (for a paged table: the first page).
    pub url: String,
    #[serde(default)]
    /// When it was downloaded: RFC 3339, UTC.
    pub retrieved: String,
    #[serde(default)]
    /// The SHA-256 of the file as written, lower-case hex.
    pub sha256: String,
    #[serde(default)]
    /// The size of the file in bytes.
    pub bytes: u64,
    #[serde(default)]
    /// A description of the source, e.g. `CBS OData v3 85984NED TypedDataSet`.
    pub source: String,
}

impl FileEntry {
    /// The file's path: `path` joined to `dir` (the folder of `sources.json`) when relative.
    #[must_use]
    pub fn resolve(&self, dir: &Path) -> PathBuf {
        let p = Path::new(&self.path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    }

    /// Whether the file exists and its SHA-256 is the recorded one.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn is_intact(&self, dir: &Path) -> Result<bool> {
        let path = self.resolve(dir);
        if !path.is_file() {
            return Ok(false);
        }
        Ok(sha256_file(&path)?.eq_ignore_ascii_case(&self.sha256))
    }
}

/// The record of a fetch folder: `sources.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    /// The program that wrote it: `mdi-atlas <version>` (may be left out of a hand-written one).
    #[serde(default)]
    pub generator: String,
    /// The files, one per role and year.
    pub files: Vec<FileEntry>,
}

impl Default for Sources {
    fn default() -> Self {
        Self {
            generator: generator(),
            files: Vec::new(),
        }
    }
}

/// `mdi-atlas <version>`.
#[must_use]
pub fn generator() -> String {
    format!("mdi-atlas {}", env!("CARGO_PKG_VERSION"))
}

impl Sources {
    /// Reads `DIR/sources.json`.
    ///
    /// # Errors
    /// When the file is missing, unreadable or not a valid record (the message names the file
    /// and the JSON position).
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(SOURCES_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected {{\"generator\": …, \"files\": [{{\"role\", \"year\", \"path\", \
                 \"url\", \"retrieved\", \"sha256\", \"bytes\", \"source\"}}]}}",
                path.display()
            )
        })
    }

    /// Reads `DIR/sources.json`, or an empty record when there is none.
    ///
    /// # Errors
    /// When the file exists but is not a valid record.
    pub fn read_or_default(dir: &Path) -> Result<Self> {
        if dir.join(SOURCES_FILE).exists() {
            Self::read(dir)
        } else {
            Ok(Self::default())
        }
    }

    /// Writes `DIR/sources.json` atomically (a temporary file, then a rename), with this
    /// program as the generator.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&mut self, dir: &Path) -> Result<()> {
        self.generator = generator();
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        write_atomic(&dir.join(SOURCES_FILE), text.as_bytes())
    }

    /// The entry of a role and year, if any.
    #[must_use]
    pub fn find(&self, role: Role, year: i32) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.role == role && f.year == year)
    }

    /// The table entries (role `table`), in the order they were recorded.
    pub fn tables(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter(|f| f.role == Role::Table)
    }

    /// The area entries (role `areas`), in the order they were recorded.
    pub fn areas(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter(|f| f.role == Role::Areas)
    }

    /// Adds an entry, replacing the one of the same role and year.
    pub fn upsert(&mut self, entry: FileEntry) {
        if let Some(old) = self
            .files
            .iter_mut()
            .find(|f| f.role == entry.role && f.year == entry.year)
        {
            *old = entry;
        } else {
            self.files.push(entry);
        }
    }
}

/// The SHA-256 of a file, lower-case hex.
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Writes a file atomically: `<path>.tmp`, then a rename over `path`.
///
/// # Errors
/// When the file cannot be written or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// The temporary name used while writing `path`: `<path>.tmp`.
#[must_use]
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The current time, RFC 3339 in UTC, to the second.
#[must_use]
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_published_vector() {
        // FIPS 180-2, appendix B.1.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn round_trip_and_upsert() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sources::default();
        let e = FileEntry {
            role: Role::Table,
            year: 2024,
            path: "kwb-2024.csv".into(),
            url: "u".into(),
            retrieved: "2025-01-01T00:00:00Z".into(),
            sha256: "00".into(),
            bytes: 1,
            source: "s".into(),
        };
        s.upsert(e.clone());
        s.upsert(FileEntry {
            bytes: 2,
            ..e.clone()
        });
        s.upsert(FileEntry {
            year: 2017,
            ..e.clone()
        });
        s.write(dir.path()).unwrap();
        let back = Sources::read(dir.path()).unwrap();
        assert_eq!(back.files.len(), 2);
        assert_eq!(back.find(Role::Table, 2024).unwrap().bytes, 2);
        assert_eq!(back.tables().count(), 2);
        assert_eq!(back.areas().count(), 0);
        let text = std::fs::read_to_string(dir.path().join(SOURCES_FILE)).unwrap();
        assert!(text.contains("\"role\": \"table\""), "{text}");
    }
}
