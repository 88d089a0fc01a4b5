//! `mdi-atlas fetch`: download real data with a record of where it came from.
//!
//! `mdi-atlas fetch cbs --year YYYY --out DIR` writes, into `DIR`:
//! - `kwb-YYYY.csv`: the CBS "Kerncijfers wijken en buurten" table of that year (one row per
//!   region), from OData v3 (`--api v3`, the default) or v4;
//! - `kwb-YYYY.DataProperties.json`: its column descriptions;
//! - `wijkenbuurten_YYYY.gpkg`: the Wijk- en Buurtkaart GeoPackage of that year from PDOK
//!   (EPSG:28992), unless `--no-geometry`;
//! - `sources.json` ([`sources::Sources`]): URL, date, SHA-256 and size of each file.
//!
//! A file already in `DIR` whose SHA-256 matches `sources.json` is not downloaded again. See
//! docs/FETCH.md.

pub mod http;
pub mod odata;
pub mod pdok;
pub mod sources;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};

use http::Http;
use sources::{FileEntry, Role, Sources, now_rfc3339, sha256_file};

/// `mdi-atlas fetch`: which source to download.
#[derive(Args)]
pub struct FetchArgs {
    /// The source.
    #[command(subcommand)]
    pub source: FetchSource,
}

/// The sources `fetch` knows.
#[derive(Subcommand)]
pub enum FetchSource {
    /// CBS: the "Kerncijfers wijken en buurten" table of a year (StatLine OData) and the
    /// Wijk- en Buurtkaart GeoPackage of the same year (PDOK), with a sources.json.
    Cbs(CbsArgs),
}

/// The OData version to download the table with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Api {
    /// OData v3, `opendata.cbs.nl/ODataFeed`: `TypedDataSet` and `DataProperties`.
    V3,
    /// OData v4, `datasets.cbs.nl/odata/v1/CBS`: `Observations` and `MeasureCodes`.
    V4,
}

/// Options of `mdi-atlas fetch cbs`.
#[derive(Args)]
pub struct CbsArgs {
    /// The year (edition) of the KWB table and the Wijk- en Buurtkaart.
    #[arg(long)]
    pub year: i32,
    /// The folder to write to (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the live hosts (for mirrors and tests): https://opendata.cbs.nl becomes
    /// URL/opendata, https://datasets.cbs.nl URL/datasets, https://service.pdok.nl URL/pdok.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Download the table only, not the GeoPackage.
    #[arg(long)]
    pub no_geometry: bool,
    /// Extra tries after a connection error, timeout or HTTP 5xx (not after a 4xx).
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
    /// The first wait before a retry, in milliseconds; it doubles with each try (at most 60 s).
    #[arg(long, default_value_t = 1000)]
    pub backoff_ms: u64,
    /// The OData version for the table.
    #[arg(long, value_enum, default_value_t = Api::V3)]
    pub api: Api,
    /// The StatLine table id, instead of the built-in map of years and the catalogue.
    #[arg(long)]
    pub table: Option<String>,
    /// Download again even when sources.json and the cached pages (DIR/.cache) have the files.
    #[arg(long)]
    pub refresh: bool,
}

/// Runs `mdi-atlas fetch`.
///
/// # Errors
/// When a download fails for good (the message names the URL, the HTTP status and what was
/// expected) or a file cannot be written.
pub fn run(args: &FetchArgs) -> Result<()> {
    match &args.source {
        FetchSource::Cbs(a) => run_cbs(a),
    }
}

/// The file names of a year.
fn table_name(year: i32) -> String {
    format!("kwb-{year}.csv")
}
fn properties_name(year: i32) -> String {
    format!("kwb-{year}.DataProperties.json")
}
fn gpkg_name(year: i32) -> String {
    format!("wijkenbuurten_{year}.gpkg")
}

/// The entry of `role`/`year` when its file is intact and, if `source_prefix` is given, it came
/// from that kind of source.
fn intact<'a>(
    sources: &'a Sources,
    dir: &Path,
    role: Role,
    year: i32,
    source_prefix: &str,
) -> Result<Option<&'a FileEntry>> {
    match sources.find(role, year) {
        Some(e) if e.source.starts_with(source_prefix) && e.is_intact(dir)? => Ok(Some(e)),
        _ => Ok(None),
    }
}

/// A record of a file just written.
fn entry(
    dir: &Path,
    role: Role,
    year: i32,
    name: &str,
    url: &str,
    source: String,
) -> Result<FileEntry> {
    let path = dir.join(name);
    let bytes = std::fs::metadata(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    Ok(FileEntry {
        role,
        year,
        path: name.to_owned(),
        url: url.to_owned(),
        retrieved: now_rfc3339(),
        sha256: sha256_file(&path)?,
        bytes,
        source,
    })
}

fn run_cbs(a: &CbsArgs) -> Result<()> {
    let dir = &a.out;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cache = dir.join(".cache");
    if a.refresh && cache.exists() {
        std::fs::remove_dir_all(&cache)
            .with_context(|| format!("cannot remove {}", cache.display()))?;
    }
    let http = Http::new(
        a.base_url.as_deref(),
        a.retries,
        Duration::from_millis(a.backoff_ms),
        Some(cache),
    );
    let mut sources = if a.refresh {
        Sources::read_or_default(dir).map(|mut s| {
            s.files.retain(|f| f.year != a.year);
            s
        })?
    } else {
        Sources::read_or_default(dir)?
    };
    fetch_table(&http, a, &mut sources)?;
    if !a.no_geometry {
        fetch_areas(&http, a, &mut sources)?;
    }
    let years = |it: &mut dyn Iterator<Item = &FileEntry>| {
        it.map(|f| f.year.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "{}: tables of {}; areas of {}",
        dir.join(sources::SOURCES_FILE).display(),
        years(&mut sources.tables()),
        years(&mut sources.areas())
    );
    Ok(())
}

/// The table and its properties, unless both are intact in `sources`.
fn fetch_table(http: &Http, a: &CbsArgs, sources: &mut Sources) -> Result<()> {
    let (dir, year) = (a.out.as_path(), a.year);
    let api_label = match a.api {
        Api::V3 => "CBS OData v3",
        Api::V4 => "CBS OData v4",
    };
    let cached = intact(sources, dir, Role::Table, year, api_label)?.is_some()
        && intact(sources, dir, Role::Properties, year, api_label)?.is_some();
    if cached {
        eprintln!("{}: up to date (sources.json)", table_name(year));
        return Ok(());
    }
    let id = match &a.table {
        Some(id) => id.clone(),
        None => odata::table_id(http, year)?,
    };
    let (csv, props) = (dir.join(table_name(year)), dir.join(properties_name(year)));
    let (files, set, pset) = match a.api {
        Api::V3 => (
            odata::fetch_v3(http, &id, &csv, &props)?,
            "TypedDataSet",
            "DataProperties",
        ),
        Api::V4 => (
            odata::fetch_v4(http, &id, &csv, &props)?,
            "Observations",
            "MeasureCodes",
        ),
    };
    let t = entry(
        dir,
        Role::Table,
        year,
        &table_name(year),
        &files.table_url,
        format!("{api_label} {id} {set}"),
    )?;
    let p = entry(
        dir,
        Role::Properties,
        year,
        &properties_name(year),
        &files.properties_url,
        format!("{api_label} {id} {pset}"),
    )?;
    eprintln!("{}: {} rows, {} bytes", t.path, files.rows, t.bytes);
    sources.upsert(t);
    sources.upsert(p);
    sources.write(dir)
}

/// The GeoPackage, unless intact in `sources`.
fn fetch_areas(http: &Http, a: &CbsArgs, sources: &mut Sources) -> Result<()> {
    let (dir, year) = (a.out.as_path(), a.year);
    if intact(sources, dir, Role::Areas, year, "")?.is_some() {
        eprintln!("{}: up to date (sources.json)", gpkg_name(year));
        return Ok(());
    }
    let url = pdok::fetch_gpkg(http, year, &dir.join(gpkg_name(year)))?;
    let e = entry(
        dir,
        Role::Areas,
        year,
        &gpkg_name(year),
        &url,
        format!("PDOK CBS Wijk- en Buurtkaart {year} GeoPackage"),
    )?;
    eprintln!("{}: {} bytes", e.path, e.bytes);
    sources.upsert(e);
    sources.write(dir)
}
