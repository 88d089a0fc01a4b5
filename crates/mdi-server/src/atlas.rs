//! One loaded atlas: everything the routes read, built once when the atlas is (re)loaded and
//! read-only afterwards. A reload builds a new [`Atlas`] beside the old one and swaps the two
//! atomically (see [`crate::server`]), so a request in flight keeps the atlas it started with.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::areas::{Areas, Schema};
use crate::error::ServerError;
use crate::search::{Entry, SearchIndex};
use crate::tiles::TileStore;

/// A domain of the index.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// The id (`inkomen`), as in tile properties and `scores.csv`.
    pub id: String,
    /// The display name.
    pub name: String,
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
}

/// What `metadata.json` says about the atlas.
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
    /// The whole `metadata.json`.
    pub raw: Value,
}

/// Identifies the files of an atlas on disk, to notice when a new build replaced them: the
/// directory's inode, and the modification time and size of `metadata.json` and
/// `atlas.pmtiles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u64; 5]);

impl Fingerprint {
    /// The fingerprint of the atlas at `dir` now; `None` while a file is missing.
    pub fn of(dir: &Path) -> Option<Fingerprint> {
        let d = std::fs::metadata(dir).ok()?;
        let m = std::fs::metadata(dir.join("metadata.json")).ok()?;
        let t = std::fs::metadata(dir.join(mdi_tiler::PMTILES)).ok()?;
        let nanos = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64)
        };
        Some(Fingerprint([
            d.ino(),
            nanos(m.modified()),
            m.len(),
            nanos(t.modified()),
            t.len(),
        ]))
    }
}

/// A loaded atlas.
#[derive(Debug)]
pub struct Atlas {
    /// The atlas directory.
    pub dir: PathBuf,
    /// Its metadata.
    pub meta: AtlasMeta,
    /// Its tiles.
    pub tiles: TileStore,
    /// Its areas.
    pub areas: Areas,
    /// Name and code search over the areas.
    pub search: SearchIndex,
    /// The files when they were read.
    pub fingerprint: Option<Fingerprint>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|cause| ServerError::Io {
        path: path.to_path_buf(),
        action: "cannot read",
        cause,
    })
}

impl AtlasMeta {
    /// Parses `metadata.json` (`path` names it in errors).
    ///
    /// # Errors
    /// [`ServerError::Atlas`] if it is not JSON or lacks `years` or `levels`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<AtlasMeta, ServerError> {
        let bad = |message: String| ServerError::Atlas {
            path: path.to_path_buf(),
            message,
        };
        let raw: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let years = raw
            .get("years")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("expected `years`, an array of years".into()))?
            .iter()
            .map(|y| {
                y.as_i64()
                    .or_else(|| y.as_str().and_then(|s| s.parse().ok()))
                    .and_then(|y| i32::try_from(y).ok())
                    .ok_or_else(|| bad(format!("`years`: {y} is not a year")))
            })
            .collect::<Result<Vec<i32>, _>>()?;
        let domains = raw
            .get("domains")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|d| Domain {
                        id: text(d, "id"),
                        name: text(d, "name"),
                        weight: d.get("weight").and_then(Value::as_f64).unwrap_or(0.0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let levels: Vec<Level> = raw
            .get("levels")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("expected `levels`, an array of {id, layer, name}".into()))?
            .iter()
            .map(|l| Level {
                id: text(l, "id"),
                layer: text(l, "layer"),
                name: text(l, "name"),
                code_prefix: text(l, "code_prefix"),
                areas: l.get("areas").and_then(Value::as_u64).unwrap_or(0) as usize,
            })
            .collect();
        Ok(AtlasMeta {
            title: text(&raw, "title"),
            description: text(&raw, "description"),
            attribution: text(&raw, "attribution"),
            synthetic: raw
                .get("synthetic")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ranking: raw
                .get("ranking")
                .and_then(Value::as_str)
                .unwrap_or("per-year")
                .to_string(),
            years,
            domains,
            levels,
            built_at: text(&raw, "built_at"),
            raw,
        })
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

impl Atlas {
    /// Loads the atlas directory `dir` (written by `mdi-atlas build`): `metadata.json`,
    /// `atlas.pmtiles` (into memory), `areas.fgb` and `scores.csv`.
    ///
    /// # Errors
    /// [`ServerError`] naming the file that is missing or invalid; a missing `atlas.pmtiles`
    /// says how to make it.
    pub fn load(dir: &Path) -> Result<Atlas, ServerError> {
        let fingerprint = Fingerprint::of(dir);
        let meta_path = dir.join("metadata.json");
        let meta = AtlasMeta::parse(&meta_path, &read(&meta_path)?)?;
        let pmtiles = dir.join(mdi_tiler::PMTILES);
        if !pmtiles.exists() {
            return Err(ServerError::Atlas {
                path: pmtiles,
                message: format!(
                    "missing: this atlas was built without tiles; make them with `mdi-atlas tiles {}`",
                    dir.display()
                ),
            });
        }
        let schema = Schema {
            layers: meta.levels.iter().map(|l| l.layer.clone()).collect(),
            level_ids: meta.levels.iter().map(|l| l.id.clone()).collect(),
            years: meta.years.clone(),
            domains: meta.domains.iter().map(|d| d.id.clone()).collect(),
        };
        // The tiles and the areas are independent: read them side by side.
        let started = std::time::Instant::now();
        let (tiles, api) = std::thread::scope(|scope| {
            let tiles = scope.spawn(|| {
                let t = std::time::Instant::now();
                let store = TileStore::from_bytes(&pmtiles, Bytes::from(read(&pmtiles)?))?;
                Ok::<_, ServerError>((store, t.elapsed()))
            });
            let t = std::time::Instant::now();
            let api = Areas::load(dir, &schema).map(|areas| {
                let search = search_index(&areas);
                (areas, search, t.elapsed())
            });
            let tiles = tiles.join().unwrap_or_else(|_| {
                Err(ServerError::Atlas {
                    path: pmtiles.clone(),
                    message: "reading the archive panicked".into(),
                })
            });
            (tiles, api)
        });
        let ((tiles, tiles_time), (areas, search, areas_time)) = (tiles?, api?);
        tracing::info!(
            atlas = %dir.display(),
            tiles = tiles.len(),
            areas = areas.list.len(),
            tiles_ms = tiles_time.as_millis() as u64,
            areas_and_search_ms = areas_time.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "atlas loaded"
        );
        Ok(Atlas {
            dir: dir.to_path_buf(),
            meta,
            tiles,
            areas,
            search,
            fingerprint,
            loaded_at: SystemTime::now(),
        })
    }

    /// The first zoom whose tiles carry every property (`full`), from the archive metadata.
    pub fn full_from_zoom(&self) -> Option<u8> {
        self.first_zoom_with(&["full"])
    }

    /// The first zoom whose tiles carry the domain deciles (property set `map` or `full`).
    pub fn domains_from_zoom(&self) -> Option<u8> {
        self.first_zoom_with(&["map", "full"])
    }

    fn first_zoom_with(&self, sets: &[&str]) -> Option<u8> {
        let by_zoom = self
            .tiles
            .metadata
            .get("mdi")?
            .get("properties_by_zoom")?
            .as_object()?;
        let mut zooms: Vec<(u8, &str)> = by_zoom
            .iter()
            .filter_map(|(z, s)| Some((z.parse().ok()?, s.as_str()?)))
            .collect();
        zooms.sort_unstable();
        zooms
            .into_iter()
            .find(|(_, s)| sets.contains(s))
            .map(|(z, _)| z)
    }
}
