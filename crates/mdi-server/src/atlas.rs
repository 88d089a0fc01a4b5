//! One loaded atlas: everything the routes read, built once when the atlas is (re)loaded and
//! read-only afterwards. A reload builds a new [`Atlas`] beside the old one and swaps the two
//! atomically (see [`crate::state`]), so a request in flight keeps the atlas it started with.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use mdi_format::files;
use mdi_format::metadata::{Metadata, ProfileInfo, Ranking};
use mdi_format::tiles::TilesMeta;
use serde::Serialize;

use crate::areas::{Areas, PooledScores, Schema};
use crate::error::ServerError;
use crate::report::CompareTable;
use crate::search::{Entry, SearchIndex};
use crate::tiles::TileStore;

/// A domain of the index.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// The id (`inkomen`), as in tile properties and `scores.csv`.
    pub id: String,
    /// The display name (the profile's default language).
    pub name: String,
    /// Display names by language code (`{"nl": "Inkomen", "en": "Income"}`), from the profile;
    /// a client falls back to `name` for a language not listed.
    pub names: BTreeMap<String, String>,
    /// The weight in the MDI.
    pub weight: f64,
}

/// A level of areas.
#[derive(Debug, Clone, Serialize)]
pub struct Level {
    /// The level id (`buurt`).
    pub id: String,
    /// The layer name in tiles and `areas.fgb` (`buurten`).
    pub layer: String,
    /// The display name (`Buurten`).
    pub name: String,
    /// The prefix of the level's codes (`BU`).
    pub code_prefix: String,
    /// Number of areas.
    pub areas: usize,
    /// The zooms at which the level is the choropleth by default (`metadata.json`).
    pub band: Option<mdi_format::LevelBand>,
    /// The zooms whose tiles carry the level's polygons.
    pub tile_zooms: Option<mdi_format::ZoomRange>,
}

/// What `metadata.json` says about the atlas, as the routes use it.
#[derive(Debug, Clone)]
pub struct AtlasMeta {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Attribution of the data.
    pub attribution: String,
    /// Whether the data is the generated demo.
    pub synthetic: bool,
    /// `per-year` or `pooled`.
    pub ranking: String,
    /// The years, ascending.
    pub years: Vec<i32>,
    /// The domains, in profile order.
    pub domains: Vec<Domain>,
    /// The levels, index unit first.
    pub levels: Vec<Level>,
    /// When it was built (ISO 8601).
    pub built_at: String,
    /// The profile the index was computed with.
    pub profile: ProfileInfo,
    /// The program that built it (`mdi-atlas 0.1.0`).
    pub generator: String,
    /// The version of the atlas format.
    pub format_version: String,
    /// Per year: the domains behind the MDI, the weights used, the grey areas (format 1.2;
    /// empty for older atlases).
    pub year_info: Vec<mdi_format::metadata::YearInfo>,
    /// The profile's series breaks (format 1.2).
    pub series_breaks: Vec<mdi_format::metadata::SeriesBreak>,
    /// The comparison indicators of the profile (format 1.3).
    pub comparisons: Vec<mdi_format::metadata::ComparisonInfo>,
}

/// The queen contiguity of the index unit's areas with a polygon (`contiguity.gal`).
#[derive(Debug, Clone)]
pub struct Contiguity {
    /// The neighbour lists, in the order of the file.
    pub weights: mdi_core::analysis::spatial::Weights,
    /// The area (index in [`Areas::list`]) of each entry; `None` for a code the atlas lacks.
    pub areas: Vec<Option<usize>>,
    /// The national local statistics already computed, by (year index, permutations, seed):
    /// the permutation tests over every ranked area are the costly part of a report, and the
    /// same for every area's report (see `report::clusters`).
    pub local: std::sync::Arc<std::sync::Mutex<LocalCache>>,
}

/// [`Contiguity::local`].
pub type LocalCache = HashMap<(usize, u32, u64), std::sync::Arc<crate::report::NationalLocal>>;

/// The inputs of the analysis (atlas format 1.3), each `None` when the atlas lacks the file.
#[derive(Debug, Clone, Default)]
pub struct AnalysisFiles {
    /// `pooled.csv`: the index ranked over all years together.
    pub pooled: Option<PooledScores>,
    /// `comparison.csv`: the comparison indicators, with their names from `metadata.json`.
    pub comparison: Option<CompareTable>,
    /// `contiguity.gal`.
    pub contiguity: Option<Contiguity>,
}

impl AnalysisFiles {
    /// Reads `pooled.csv`, `comparison.csv` and `contiguity.gal` of the atlas at `dir`, those
    /// that exist.
    ///
    /// # Errors
    /// [`ServerError`] naming the file that cannot be read or is invalid.
    pub fn load(
        dir: &Path,
        meta: &AtlasMeta,
        areas: &Areas,
        schema: &Schema,
    ) -> Result<AnalysisFiles, ServerError> {
        let pooled_path = dir.join(files::POOLED);
        let pooled = if pooled_path.exists() {
            Some(areas.read_pooled(&pooled_path, schema)?)
        } else {
            None
        };
        let comparison_path = dir.join(files::COMPARISON);
        let comparison = if comparison_path.exists() {
            let mut table = CompareTable::read(&comparison_path)?;
            table.names = table
                .columns
                .iter()
                .map(|c| {
                    meta.comparisons
                        .iter()
                        .find(|k| k.id == *c && !k.name.is_empty())
                        .map_or_else(|| c.clone(), |k| k.name.clone())
                })
                .collect();
            Some(table)
        } else {
            None
        };
        let contiguity = if dir.join(files::CONTIGUITY).exists() {
            let gal = mdi_format::contiguity::Contiguity::read(dir)?;
            let weights =
                mdi_core::analysis::spatial::Weights::new(gal.neighbours).map_err(|message| {
                    ServerError::Atlas {
                        path: dir.join(files::CONTIGUITY),
                        message,
                    }
                })?;
            Some(Contiguity {
                weights,
                areas: gal.codes.iter().map(|c| areas.get(c)).collect(),
                local: std::sync::Arc::default(),
            })
        } else {
            None
        };
        Ok(AnalysisFiles {
            pooled,
            comparison,
            contiguity,
        })
    }
}

/// Identifies the files of an atlas on disk, to notice when a new build replaced them: the
/// folder the atlas path resolves to (a build may switch a symlink to a new generation
/// folder), its inode, and the modification time and size of `metadata.json` and
/// `atlas.pmtiles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u64; 6]);

impl Fingerprint {
    /// The fingerprint of the atlas at `dir` now (through a symlink); `None` while a file is
    /// missing.
    pub fn of(dir: &Path) -> Option<Fingerprint> {
        let resolved = std::fs::canonicalize(dir).ok()?;
        let d = std::fs::metadata(&resolved).ok()?;
        let m = std::fs::metadata(resolved.join(files::METADATA)).ok()?;
        let t = std::fs::metadata(resolved.join(files::PMTILES)).ok()?;
        let nanos = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64)
        };
        Some(Fingerprint([
            crate::http::fnv1a(resolved.as_os_str().as_encoded_bytes()),
            d.ino(),
            nanos(m.modified()),
            m.len(),
            nanos(t.modified()),
            t.len(),
        ]))
    }
}

/// The files of `/download/{file}`, read with the atlas (the same generation as its tiles and
/// API), so that a file changed on disk is not served until a reload of a complete new build.
/// `atlas.pmtiles` shares the bytes of the tiles in memory; the others cost their size.
#[derive(Debug, Clone, Default)]
pub struct Downloads {
    /// The files there are, by name.
    pub files: BTreeMap<String, bytes::Bytes>,
}

impl Downloads {
    /// Reads the files of [`files::DOWNLOADS`] there are in `dir`, `atlas.pmtiles` from `tiles`
    /// (which must be in memory).
    ///
    /// # Errors
    /// [`ServerError::Io`] naming a file that exists but cannot be read.
    pub fn read(dir: &Path, tiles: &TileStore) -> Result<Downloads, ServerError> {
        let mut out = BTreeMap::new();
        for name in files::DOWNLOADS {
            if name == files::PMTILES {
                if let Some(bytes) = tiles.archive() {
                    out.insert(name.to_string(), bytes);
                }
                continue;
            }
            let path = dir.join(name);
            if path.is_file() {
                out.insert(name.to_string(), bytes::Bytes::from(read(&path)?));
            }
        }
        Ok(Downloads { files: out })
    }

    /// Bytes held beside the tiles (all but `atlas.pmtiles`).
    pub fn extra_bytes(&self) -> usize {
        self.files
            .iter()
            .filter(|(k, _)| k.as_str() != files::PMTILES)
            .map(|(_, v)| v.len())
            .sum()
    }
}

/// A loaded atlas.
#[derive(Debug)]
pub struct Atlas {
    /// The atlas directory.
    pub dir: PathBuf,
    /// Its metadata.
    pub meta: AtlasMeta,
    /// Its tiles (shared with the [`MapAtlas`] it was completed from).
    pub tiles: Arc<TileStore>,
    /// Its areas.
    pub areas: Areas,
    /// Name and code search over the areas.
    pub search: SearchIndex,
    /// The inputs of the analysis and the report.
    pub analysis: AnalysisFiles,
    /// The files when they were read.
    pub fingerprint: Option<Fingerprint>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
    /// The files of `/download/{file}` ([`Downloads`]; empty until the server reads them).
    pub downloads: Downloads,
}

fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|cause| ServerError::Io {
        path: path.to_path_buf(),
        action: "cannot read",
        cause,
    })
}

impl AtlasMeta {
    /// Parses `metadata.json` (`path` names it in errors) through [`mdi_format::Metadata`].
    ///
    /// # Errors
    /// [`ServerError::Format`] if it is not an atlas' metadata, or a newer major version of the
    /// format wrote it.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<AtlasMeta, ServerError> {
        Ok(AtlasMeta::from(Metadata::parse(path, bytes)?))
    }
}

impl From<Metadata> for AtlasMeta {
    fn from(m: Metadata) -> AtlasMeta {
        AtlasMeta {
            ranking: match m.ranking {
                Ranking::PerYear => "per-year",
                Ranking::Pooled => "pooled",
            }
            .into(),
            domains: m
                .domains
                .into_iter()
                .map(|d| Domain {
                    id: d.id,
                    name: d.name,
                    names: d.names,
                    weight: d.weight,
                })
                .collect(),
            levels: m
                .levels
                .into_iter()
                .map(|l| Level {
                    id: l.id,
                    layer: l.layer,
                    name: l.name,
                    code_prefix: l.code_prefix,
                    areas: l.areas,
                    band: l.band,
                    tile_zooms: l.tile_zooms,
                })
                .collect(),
            year_info: m.year_info,
            series_breaks: m.series_breaks,
            comparisons: m.comparisons,
            title: m.title,
            description: m.description,
            attribution: m.attribution,
            synthetic: m.synthetic,
            years: m.years,
            built_at: m.built_at,
            profile: m.profile,
            generator: m.generator,
            format_version: m.format_version.to_string(),
        }
    }
}

/// The name and code search over the areas, each with its parents' names as context.
fn search_index(areas: &Areas) -> SearchIndex {
    let entries: Vec<Entry> = areas
        .list
        .iter()
        .enumerate()
        .map(|(i, a)| Entry {
            code: a.code.to_string(),
            name: a.name.to_string(),
            level: a.level,
            population: a.years.iter().rev().find_map(|y| y.population),
            context: areas
                .ancestors(i)
                .iter()
                .map(|&p| &*areas.list[p].name)
                .collect::<Vec<_>>()
                .join(" / "),
        })
        .collect();
    SearchIndex::new(&entries)
}

/// What the map needs of an atlas: `metadata.json` and the tile archive's index, enough for
/// tiles, TileJSON and styles. Read at start in a few milliseconds; the rest of the [`Atlas`]
/// (areas, scores, search, analysis) is loaded after ([`Atlas::complete`]).
#[derive(Debug)]
pub struct MapAtlas {
    /// The atlas directory.
    pub dir: PathBuf,
    /// Its metadata.
    pub meta: AtlasMeta,
    /// Its tiles.
    pub tiles: Arc<TileStore>,
    /// The files when they were read.
    pub fingerprint: Option<Fingerprint>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

impl MapAtlas {
    /// Reads `metadata.json` of the atlas directory `dir` and indexes `atlas.pmtiles` (header,
    /// metadata and directories; the tile data is read later).
    ///
    /// # Errors
    /// [`ServerError`] naming the file that is missing or invalid; a missing `atlas.pmtiles`
    /// says how to make it.
    pub fn load(dir: &Path) -> Result<MapAtlas, ServerError> {
        MapAtlas::load_parts(dir, true)
    }

    fn load_parts(link: &Path, with_tiles: bool) -> Result<MapAtlas, ServerError> {
        // Resolved once: every file of this load comes from the same folder, even when the
        // atlas path is a symlink that a new build switches meanwhile.
        // A missing folder is reported by the first file read (`metadata.json`).
        let resolved = std::fs::canonicalize(link).unwrap_or_else(|_| link.to_path_buf());
        let dir = resolved.as_path();
        let fingerprint = Fingerprint::of(dir);
        let meta_path = dir.join(files::METADATA);
        let meta = AtlasMeta::parse(&meta_path, &read(&meta_path)?)?;
        let pmtiles = dir.join(files::PMTILES);
        let tiles = if !with_tiles {
            TileStore::empty()
        } else if !pmtiles.exists() {
            return Err(ServerError::Atlas {
                path: pmtiles,
                message: format!(
                    "missing: this atlas was built without tiles; make them with `mdi-atlas tiles {}`",
                    dir.display()
                ),
            });
        } else {
            TileStore::open(&pmtiles)?
        };
        Ok(MapAtlas {
            dir: dir.to_path_buf(),
            meta,
            tiles: Arc::new(tiles),
            fingerprint,
            loaded_at: SystemTime::now(),
        })
    }

    /// The files that [`Atlas::complete`] reads, by name, for the answer of an API route while
    /// they load (`areas.fgb`, `scores.csv`, …, and the search index).
    pub fn pending_files(&self) -> Vec<String> {
        let mut names = vec![files::AREAS.to_string(), files::SCORES.to_string()];
        for f in [files::POOLED, files::COMPARISON, files::CONTIGUITY] {
            if self.dir.join(f).exists() {
                names.push(f.to_string());
            }
        }
        names.push("the search index".into());
        names
    }

    /// The first zoom whose tiles carry the domain deciles (property set `map` or `full`).
    pub fn domains_from_zoom(&self) -> Option<u8> {
        self.tiles.domains_from_zoom()
    }
}

impl Atlas {
    /// Loads the atlas directory `dir` (written by `mdi-atlas build`): `metadata.json`,
    /// `atlas.pmtiles` (into memory), `areas.fgb` and `scores.csv`, and when present
    /// `pooled.csv`, `comparison.csv` and `contiguity.gal` ([`AnalysisFiles`]).
    ///
    /// # Errors
    /// [`ServerError`] naming the file that is missing or invalid; a missing `atlas.pmtiles`
    /// says how to make it.
    pub fn load(dir: &Path) -> Result<Atlas, ServerError> {
        let map = MapAtlas::load(dir)?;
        map.tiles.load_into_memory()?;
        Atlas::complete(&map)
    }

    /// Loads an atlas directory without its tiles (an empty [`TileStore`]): what `mdi-atlas
    /// report` needs, for atlases built with or without tiles.
    ///
    /// # Errors
    /// As [`Atlas::load`], except that a missing `atlas.pmtiles` is no error.
    pub fn load_without_tiles(dir: &Path) -> Result<Atlas, ServerError> {
        Atlas::complete(&MapAtlas::load_parts(dir, false)?)
    }

    /// The whole atlas from its map part: reads `areas.fgb` and `scores.csv`, builds the search
    /// index, and reads the analysis files there are ([`AnalysisFiles`]). The tiles are shared
    /// with `map`, not read again.
    ///
    /// # Errors
    /// [`ServerError`] naming the file that is missing or invalid.
    pub fn complete(map: &MapAtlas) -> Result<Atlas, ServerError> {
        let dir = &map.dir;
        let meta = map.meta.clone();
        let schema = Schema {
            layers: meta.levels.iter().map(|l| l.layer.clone()).collect(),
            level_ids: meta.levels.iter().map(|l| l.id.clone()).collect(),
            years: meta.years.clone(),
            domains: meta.domains.iter().map(|d| d.id.clone()).collect(),
        };
        let started = std::time::Instant::now();
        let areas = Areas::load(dir, &schema)?;
        let areas_time = started.elapsed();
        let search = search_index(&areas);
        let analysis = AnalysisFiles::load(dir, &meta, &areas, &schema)?;
        tracing::info!(
            atlas = %dir.display(),
            areas = areas.list.len(),
            areas_ms = areas_time.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "areas, search and analysis loaded"
        );
        Ok(Atlas {
            dir: dir.clone(),
            meta,
            tiles: map.tiles.clone(),
            areas,
            search,
            analysis,
            fingerprint: map.fingerprint,
            loaded_at: SystemTime::now(),
            downloads: Downloads::default(),
        })
    }

    /// The first zoom whose tiles carry every property (`full`), from the archive metadata.
    pub fn full_from_zoom(&self) -> Option<u8> {
        self.tiles.full_from_zoom()
    }

    /// The first zoom whose tiles carry the domain deciles (property set `map` or `full`).
    pub fn domains_from_zoom(&self) -> Option<u8> {
        self.tiles.domains_from_zoom()
    }

    /// The `mdi` block of the tile archive's metadata.
    pub fn tiles_meta(&self) -> Option<TilesMeta> {
        self.tiles.tiles_meta()
    }
}
