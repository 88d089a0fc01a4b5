//! `metadata.json`: what an atlas holds (title, profile, years, domains and weights, levels,
//! bounds, counts, sources, attribution) and which version of the format wrote it.
//!
//! Versioning: `format_version` is `major.minor`. A minor version adds optional fields, which
//! older readers ignore; a major version changes the meaning of what is there, and a reader
//! refuses an atlas of a newer major version with [`FormatError::TooNew`]. An atlas without
//! `format_version` was written before the field existed (the previous release): it is read
//! as version 1.0.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{FormatError, Result, invalid, io};
use crate::files;

/// The version of the atlas format, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FormatVersion {
    /// Raised when a change makes older readers misread an atlas.
    pub major: u32,
    /// Raised when a change only adds optional fields.
    pub minor: u32,
}

/// The version this build writes. 1.0: the unversioned atlas of the first releases;
/// 1.1: `format_version` itself and the domains' display names per language (`names`);
/// 1.2: `year_info` and `series_breaks` (the domains behind each year's MDI, the weights used, the grey areas
/// by reason), the `reason`/`reason_<year>`/`domains_with_data_<year>` columns and the
/// join per year in the build report;
/// 1.3: `comparisons`, `clusters`, `files.pooled`, `files.comparison`, `files.contiguity`
/// (`pooled.csv`, `comparison.csv`, `contiguity.gal`), the `cluster_<year>` columns and the
/// contiguity islands in the build report;
/// 1.4: the level bands (`requested_zooms`, `band`, `tile_zooms`);
/// 1.5: input files by name (or path relative to the atlas' parent folder) with their SHA-256
/// (`sources[].sha256`, `table_files`), never absolute paths.
pub const FORMAT_VERSION: FormatVersion = FormatVersion { major: 1, minor: 5 };

impl FormatVersion {
    /// The version of an atlas written before `format_version` existed.
    pub const UNVERSIONED: FormatVersion = FormatVersion { major: 1, minor: 0 };

    /// Parses `major.minor` (or a bare `major`).
    pub fn parse(text: &str) -> Option<FormatVersion> {
        let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
        Some(FormatVersion {
            major: major.trim().parse().ok()?,
            minor: minor.trim().parse().ok()?,
        })
    }

    fn unversioned() -> FormatVersion {
        FormatVersion::UNVERSIONED
    }
}

impl fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for FormatVersion {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        FormatVersion::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "format_version `{text}` is not a version: expected `major.minor`, e.g. `1.1`"
            ))
        })
    }
}

/// The profile the index was computed with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileInfo {
    /// Its id (`nl-cbs`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The attribution of its data.
    pub attribution: String,
}

/// How areas were ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ranking {
    /// Each year on its own.
    #[default]
    PerYear,
    /// All area-years together.
    Pooled,
}

/// A domain of the index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainInfo {
    /// The id (`inkomen`), as in columns and tile properties.
    pub id: String,
    /// The display name (the profile's default language).
    #[serde(default)]
    pub name: String,
    /// Display names by language code (`{"nl": "Inkomen", "en": "Income"}`); since 1.1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    /// The weight in the MDI.
    #[serde(default)]
    pub weight: f64,
}

/// A level of areas, index unit first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelInfo {
    /// The level id (`buurt`).
    pub id: String,
    /// The layer name in `areas.fgb` and the tiles (`buurten`): ASCII letters, digits, `_`.
    pub layer: String,
    /// The display name (`Buurten`).
    #[serde(default)]
    pub name: String,
    /// The prefix of its codes (`BU`).
    #[serde(default)]
    pub code_prefix: String,
    /// Number of areas.
    #[serde(default)]
    pub areas: usize,
    /// Every polygon was dissolved from the children.
    #[serde(default)]
    pub derived: bool,
    /// The level above (`wijk`), if any.
    #[serde(default)]
    pub parent: Option<String>,
    /// The zoom band the profile asks for (`[[level]] zooms = [min, max]`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_zooms: Option<ZoomRange>,
    /// The zooms at which this level is the map's choropleth by default (written by the
    /// tiler; `None` before tiling, or for a level that is never the default: its band is
    /// empty between its finer and its coarser neighbour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<LevelBand>,
    /// The zooms whose tiles carry this level's polygons (written by the tiler). Below them a
    /// coarser level carries the choropleth (`docs/TILES.md`, *Dense inputs*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tile_zooms: Option<ZoomRange>,
}

/// A range of zooms, both ends included (Web Mercator XYZ zooms, as the tiles').
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoomRange {
    /// The first zoom.
    pub min: u8,
    /// The last zoom.
    pub max: u8,
}

impl ZoomRange {
    /// Whether `z` is in the range.
    pub fn contains(self, z: u8) -> bool {
        (self.min..=self.max).contains(&z)
    }
}

/// Where a level's zoom band came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandSource {
    /// From the data: the first zoom at which the level's median area is legible
    /// (`docs/TILES.md`, *Level by zoom*).
    Data,
    /// From the profile (`[[level]] zooms`).
    Profile,
    /// From the command line (`--level-zooms`).
    CommandLine,
}

/// The zooms at which a level is the choropleth of the map by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelBand {
    /// The first zoom.
    pub min: u8,
    /// The last zoom.
    pub max: u8,
    /// Where the band came from.
    pub source: BandSource,
}

/// Counts of areas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Areas of every level.
    pub areas: usize,
    /// Areas of the index unit joined to scores.
    pub scored_areas: usize,
    /// Ranked areas per year (`"pooled"` for pooled ranking).
    pub eligible: BTreeMap<String, usize>,
}

/// What one year's MDI rests on, and how many areas are grey and why; since 1.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YearInfo {
    /// The year.
    pub year: i32,
    /// The domains with data for most ranked areas of the year, in profile order.
    pub domains_with_data: Vec<String>,
    /// The other domains: their weight was re-spread over the domains with data.
    pub domains_missing: Vec<String>,
    /// The weights actually used for most areas: each domain with data gets its weight times
    /// the total weight over the weight of the domains with data.
    pub weights_used: BTreeMap<String, f64>,
    /// Ranked areas of the index unit.
    pub ranked: usize,
    /// Areas of the index unit on the map without an MDI, by [`crate::Reason`] code.
    pub grey: BTreeMap<String, usize>,
}

/// A series break: from `year` on, an indicator is defined differently (CBS changed the
/// variable), so values of its domain (and the MDI) before and after it are not comparable;
/// since 1.2.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeriesBreak {
    /// The domain id.
    pub domain: String,
    /// The indicator id.
    pub indicator: String,
    /// The first year of the new definition.
    pub year: i32,
    /// What changed.
    pub note: String,
}

/// The data files of the atlas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Files {
    /// The scores table.
    pub scores: String,
    /// The areas.
    pub areas: String,
    /// The build report.
    pub report: String,
    /// The index ranked over all years pooled ([`files::POOLED`]); `None` when absent (one
    /// year, a pooled profile, or an atlas before 1.3).
    pub pooled: Option<String>,
    /// The comparison variables ([`files::COMPARISON`]); `None` when the profile has none.
    pub comparison: Option<String>,
    /// The queen contiguity of the index unit ([`files::CONTIGUITY`]); `None` when absent.
    pub contiguity: Option<String>,
}

impl Default for Files {
    fn default() -> Files {
        Files {
            scores: files::SCORES.into(),
            areas: files::AREAS.into(),
            report: files::REPORT.into(),
            pooled: None,
            comparison: None,
            contiguity: None,
        }
    }
}

/// A comparison variable of the profile (`[[comparison]]`), a column of `comparison.csv`;
/// since 1.3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparisonInfo {
    /// The id: the column name in `comparison.csv`.
    pub id: String,
    /// The display name.
    #[serde(default)]
    pub name: String,
    /// The unit (`%`), if the profile gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A longer description, if the profile gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// How the `cluster_<year>` columns were computed: local Moran's I of each year's MDI score
/// over the ranked areas of the index unit with a polygon, queen weights (row-standardised),
/// a permutation test; since 1.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// `local-moran`.
    pub method: String,
    /// `queen`: the weights of `contiguity.gal`, subset to the ranked areas.
    pub weights: String,
    /// Conditional permutations per area.
    pub permutations: u32,
    /// The seed of the permutations.
    pub seed: u64,
    /// The significance level of a pseudo p-value.
    pub alpha: f64,
    /// Whether the level was corrected for the false discovery rate (Benjamini–Hochberg).
    pub fdr: bool,
}

/// Where an area file came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The file: its name, or its path relative to the atlas' parent folder where it lies in
    /// that folder (or `synthetic:demo`); before 1.5 the path as given, possibly absolute.
    pub path: String,
    /// The SHA-256 of the file, lower-case hex; empty for generated data; since 1.5.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// The level it was read as.
    pub level: String,
    /// Its CRS, as an EPSG code.
    pub epsg: u32,
    /// Number of features.
    pub features: usize,
}

/// An input file of a build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Its name, or its path relative to the atlas' parent folder where it lies in that folder
    /// (never an absolute path).
    pub path: String,
    /// The SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// `metadata.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The version of the format ([`FORMAT_VERSION`] when written by this build).
    #[serde(default = "FormatVersion::unversioned")]
    pub format_version: FormatVersion,
    /// The title.
    pub title: String,
    /// A description; for generated data it says that it is synthetic.
    #[serde(default)]
    pub description: String,
    /// True for the generated demo region.
    #[serde(default)]
    pub synthetic: bool,
    /// Attribution of the data.
    #[serde(default)]
    pub attribution: String,
    /// The profile.
    #[serde(default)]
    pub profile: ProfileInfo,
    /// How areas were ranked.
    #[serde(default)]
    pub ranking: Ranking,
    /// The years of the scores, ascending.
    pub years: Vec<i32>,
    /// The domains, in profile order.
    #[serde(default)]
    pub domains: Vec<DomainInfo>,
    /// The sum of the domain weights.
    #[serde(default)]
    pub weights_total: f64,
    /// The levels, index unit first.
    pub levels: Vec<LevelInfo>,
    /// `[min_lon, min_lat, max_lon, max_lat]` of every area in WGS84 (EPSG:4326) degrees;
    /// `None` when no area has extent.
    #[serde(default, deserialize_with = "lenient_bounds")]
    pub bounds: Option<[f64; 4]>,
    /// The CRS of `areas.fgb` and the bounds: `EPSG:4326`.
    #[serde(default = "wgs84")]
    pub crs: String,
    /// Counts of areas.
    #[serde(default)]
    pub counts: Counts,
    /// The data files.
    #[serde(default)]
    pub files: Files,
    /// Per year: the domains behind the MDI, the weights used, the grey areas; since 1.2.
    #[serde(default)]
    pub year_info: Vec<YearInfo>,
    /// The profile's series breaks; since 1.2.
    #[serde(default)]
    pub series_breaks: Vec<SeriesBreak>,
    /// The profile's comparison variables, the columns of `comparison.csv`; since 1.3.
    #[serde(default)]
    pub comparisons: Vec<ComparisonInfo>,
    /// How the `cluster_<year>` columns were computed; `None` when there are none; since 1.3.
    #[serde(default)]
    pub clusters: Option<ClusterInfo>,
    /// The indicator tables used, `[<year>=]<file>` with the file as in [`InputFile::path`].
    #[serde(default)]
    pub tables: Vec<String>,
    /// The indicator table files read, with their SHA-256 (none for generated data); since 1.5.
    #[serde(default)]
    pub table_files: Vec<InputFile>,
    /// The area files used.
    #[serde(default)]
    pub sources: Vec<SourceInfo>,
    /// `mdi-atlas <version>`.
    #[serde(default)]
    pub generator: String,
    /// The build time, RFC 3339 in UTC; the only value that differs between identical builds.
    #[serde(default)]
    pub built_at: String,
}

fn wgs84() -> String {
    "EPSG:4326".into()
}

/// Bounds as written: four numbers, or (by builds without any area of extent) four nulls.
fn lenient_bounds<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<[f64; 4]>, D::Error> {
    let raw: Option<[Option<f64>; 4]> = Option::deserialize(d)?;
    Ok(match raw {
        Some([Some(a), Some(b), Some(c), Some(e)]) => Some([a, b, c, e]),
        _ => None,
    })
}

/// The name of the program that writes atlases, as `generator` says it.
pub fn generator() -> String {
    format!("mdi-atlas {}", env!("CARGO_PKG_VERSION"))
}

impl Metadata {
    /// Reads `metadata.json` of the atlas directory `dir`.
    ///
    /// # Errors
    /// [`FormatError::Io`] when it cannot be read, [`FormatError::TooNew`] when a newer major
    /// version wrote it, [`FormatError::Invalid`] when it is not JSON, lacks `years` or
    /// `levels`, or a level's layer name is not ASCII letters, digits and `_`.
    pub fn read(dir: &Path) -> Result<Metadata> {
        let path = dir.join(files::METADATA);
        let bytes = std::fs::read(&path).map_err(io(&path, "cannot read"))?;
        Metadata::parse(&path, &bytes)
    }

    /// Parses the bytes of a `metadata.json` (`path` names it in errors).
    ///
    /// # Errors
    /// As [`Metadata::read`].
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Metadata> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| invalid(path, format!("not valid JSON: {e}")))?;
        // The version first: a newer major version may have changed any other field.
        if let Some(v) = value.get("format_version") {
            let text = v.as_str().unwrap_or_default();
            let version = FormatVersion::parse(text).ok_or_else(|| {
                invalid(
                    path,
                    format!(
                        "`format_version` is {v}: expected a string `major.minor`, e.g. \"1.1\""
                    ),
                )
            })?;
            if version.major > FORMAT_VERSION.major {
                return Err(FormatError::TooNew {
                    path: path.to_path_buf(),
                    found: version.to_string(),
                    supported: FORMAT_VERSION.major,
                });
            }
        }
        for (key, what) in [
            ("years", "an array of years"),
            ("levels", "an array of {id, layer, name}"),
        ] {
            if !value.get(key).is_some_and(serde_json::Value::is_array) {
                return Err(invalid(path, format!("expected `{key}`, {what}")));
            }
        }
        let meta: Metadata = serde_json::from_value(value)
            .map_err(|e| invalid(path, format!("does not match the atlas format: {e}")))?;
        meta.check(path)?;
        Ok(meta)
    }

    fn check(&self, path: &Path) -> Result<()> {
        if self.levels.is_empty() {
            return Err(invalid(
                path,
                "expected `levels`, an array of {id, layer, name}",
            ));
        }
        if let Some(bad) = self.levels.iter().find(|l| {
            l.layer.is_empty()
                || !l
                    .layer
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }) {
            return Err(invalid(
                path,
                format!(
                    "level `{}` has no usable `layer` name (expected ASCII letters, digits, `_`)",
                    bad.id
                ),
            ));
        }
        Ok(())
    }

    /// Writes `metadata.json` into the atlas directory `dir` (pretty-printed).
    ///
    /// # Errors
    /// [`FormatError::Io`] when it cannot be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(files::METADATA), self)
    }

    /// The domain ids, in profile order.
    pub fn domain_ids(&self) -> Vec<String> {
        self.domains.iter().map(|d| d.id.clone()).collect()
    }

    /// The level whose layer is `layer`, with its position (0 = index unit).
    pub fn level_of_layer(&self, layer: &str) -> Option<(usize, &LevelInfo)> {
        self.levels
            .iter()
            .enumerate()
            .find(|(_, l)| l.layer == layer)
    }
}

/// Writes `value` as pretty JSON to `path`.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| invalid(path, format!("cannot serialise: {e}")))?;
    std::fs::write(path, bytes).map_err(io(path, "cannot write"))
}

/// Whether the folder `dir` holds an atlas written by mdi-atlas (its `metadata.json`, of any
/// version, names mdi-atlas as generator).
pub fn is_atlas(dir: &Path) -> bool {
    #[derive(Deserialize)]
    struct Generator {
        #[serde(default)]
        generator: String,
    }
    std::fs::read(dir.join(files::METADATA))
        .ok()
        .and_then(|b| serde_json::from_slice::<Generator>(&b).ok())
        .is_some_and(|g| g.generator.starts_with("mdi-atlas"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(
            FormatVersion::parse("1.1"),
            Some(FormatVersion { major: 1, minor: 1 })
        );
        assert_eq!(
            FormatVersion::parse("2"),
            Some(FormatVersion { major: 2, minor: 0 })
        );
        assert_eq!(FormatVersion::parse("x.1"), None);
        assert_eq!(FORMAT_VERSION.to_string(), "1.5");
    }

    #[test]
    fn a_newer_major_version_is_refused_before_anything_else_is_read() {
        let e = Metadata::parse(Path::new("m.json"), br#"{"format_version": "2.0"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m.json") && e.contains("2.0") && e.contains("newer"),
            "{e}"
        );
    }

    #[test]
    fn a_1_2_atlas_reads_without_the_1_3_fields_and_1_3_round_trips() {
        let old = br#"{"format_version": "1.2", "title": "t", "years": [2020, 2021],
            "levels": [{"id": "buurt", "layer": "buurten"}],
            "files": {"scores": "scores.csv", "areas": "areas.fgb", "report": "build-report.json"}}"#;
        let m = Metadata::parse(Path::new("m.json"), old).unwrap();
        assert_eq!(m.format_version, FormatVersion { major: 1, minor: 2 });
        assert!(m.comparisons.is_empty() && m.clusters.is_none());
        assert_eq!(
            (
                m.files.pooled.as_deref(),
                m.files.comparison.as_deref(),
                m.files.contiguity.as_deref()
            ),
            (None, None, None)
        );
        let mut new = m.clone();
        new.format_version = FORMAT_VERSION;
        new.files.pooled = Some(files::POOLED.into());
        new.comparisons = vec![ComparisonInfo {
            id: "opkomst".into(),
            name: "Opkomst".into(),
            unit: Some("%".into()),
            description: None,
        }];
        new.clusters = Some(ClusterInfo {
            method: "local-moran".into(),
            weights: "queen".into(),
            permutations: 999,
            seed: 20_191,
            alpha: 0.05,
            fdr: false,
        });
        let bytes = serde_json::to_vec(&new).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains(r#""contiguity":null"#) && text.contains(r#""pooled":"pooled.csv""#),
            "{text}"
        );
        assert_eq!(Metadata::parse(Path::new("m.json"), &bytes).unwrap(), new);
    }

    #[test]
    fn missing_fields_are_named() {
        let e = Metadata::parse(Path::new("m.json"), br#"{"title": "t", "years": []}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected `levels`"), "{e}");
        let e = Metadata::parse(
            Path::new("m.json"),
            br#"{"title": "t", "years": [2020], "levels": [{"id": "b", "layer": "bad name"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`layer`"), "{e}");
    }
}
