//! `mdi-atlas`: the command line of mdi-atlas. It parses arguments, shows progress and calls into
//! the library crates; the business logic lives there.

mod crosswalk;
mod demo;
mod fetch;
mod inputs;
mod levels;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use demo::{DemoOptions, generate};
use indicatif::{ProgressBar, ProgressStyle};
use mdi_core::profile::{ComparisonValues, Ranking};
use mdi_core::{Options, Panel, Profile, Scores, Table, compute};
use mdi_format::{FORMAT_VERSION, Metadata, StagedAtlas, files};
use mdi_geo::atlas::{AtlasInfo, AtlasSummary, Extras, write_atlas};
use mdi_geo::{Crs, ReadOptions, Source, read_area_layers};

/// The allocator of the whole process. glibc's malloc kept the freed buffers of the atlases the
/// server had reloaded, in one arena per thread that had loaded one (its resident memory rose
/// from 115 to 347 MB over 20 reloads in `bench/soak.sh`); mimalloc gives them back, so memory
/// stays flat across reloads (`bench/reload-rss.sh` compares the two; the feature
/// `system-allocator` builds with glibc's).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The CLI sits at the end of the dependency chain core ← format ← geo ← tiler ← server ← cli.

/// The Dutch profile, embedded so that the demo runs from any folder.
const NL_PROFILE: &str = include_str!("../../../geodata/profiles/nl-cbs.toml");

/// Map multiple deprivation: compute the Multiple Deprivation Index (MDI) per area, join it to
/// neighbourhood polygons and write an atlas.
#[derive(Parser)]
#[command(name = "mdi-atlas", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Worker threads (all cores by default). The output does not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the MDI from indicator tables, driven by a profile, and write scores.csv.
    Compute(ComputeArgs),
    /// Compute, join to area polygons and write an atlas directory (scores.csv, areas.fgb,
    /// metadata.json, build-report.json). With --demo, for the generated demo region.
    Build(BuildArgs),
    /// (Re)write the vector tiles of an atlas directory: atlas.pmtiles, and atlas.mbtiles with
    /// --mbtiles.
    Tiles(TilesArgs),
    /// Serve an atlas over HTTP: vector tiles, TileJSON, styles, the JSON API and downloads
    /// (docs/API.md). Without --atlas, serves the demo atlas, built on first use into a cache
    /// folder.
    Serve(ServeArgs),
    /// Write the generated (synthetic) demo region: its buurten (FlatGeobuf, RD New) and its
    /// indicator table (CSV), for use with `build --profile geodata/profiles/nl-cbs.toml`.
    Demo(DemoArgs),
    /// Download real data (CBS tables and PDOK geometry) with a sources.json (docs/FETCH.md).
    Fetch(fetch::FetchArgs),
    /// Carry an indicator table from one boundary edition to another by areal interpolation
    /// (docs/CROSSWALK.md), saying which areas were interpolated and how.
    Crosswalk(crosswalk::CrosswalkArgs),
    /// Report on an atlas or one of its areas: headline figures, district measures, trends,
    /// persistence, divergence, correlations and spatial clusters (docs/REPORT.md), as
    /// Markdown, printable HTML or JSON.
    Report(ReportArgs),
    /// Write the atlas as a static site for any web server, object store or CDN: the web
    /// client, atlas.pmtiles (read by range requests) and the API's answers precomputed
    /// (docs/DEPLOY.md, "Static site").
    Publish(PublishArgs),
}

#[derive(clap::Args)]
struct PublishArgs {
    /// The atlas folder (`build --out`).
    #[arg(long)]
    atlas: PathBuf,
    /// The site folder to write; an earlier site there is replaced as a whole, anything else
    /// is refused.
    #[arg(long)]
    out: PathBuf,
    /// The built web client (`npm run build --prefix web` writes `web/dist`). Default: the
    /// `web/dist` of the source tree this binary was built from.
    #[arg(long)]
    web: Option<PathBuf>,
}

/// The form of `report`'s output.
#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// Markdown with tables.
    Md,
    /// A printable HTML page (A4) with SVG charts.
    Html,
    /// The JSON document of `/api/report`.
    Json,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The atlas directory (written by `build`).
    #[arg(long)]
    atlas: PathBuf,
    /// Report on this area (a gemeente, wijk or buurt code) rather than the whole atlas.
    #[arg(long)]
    area: Option<String>,
    /// A CSV of comparison indicators: a code column (`code`, a name ending in `code`, or the
    /// first), optionally `year`/`jaar`, and numeric columns; codes of any level. Repeatable.
    #[arg(long, value_name = "CSV")]
    compare: Vec<PathBuf>,
    /// The output form.
    #[arg(long, value_enum, default_value = "md")]
    format: ReportFormat,
    /// Write here rather than to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The year of the one-year figures and the end of the changes (default: the latest).
    #[arg(long)]
    year: Option<i32>,
    /// The start year of the changes (default: the first).
    #[arg(long)]
    from_year: Option<i32>,
    /// Permutations of the Moran tests.
    #[arg(long, default_value_t = mdi_core::analysis::spatial::DEFAULT_PERMUTATIONS)]
    permutations: u32,
    /// Seed of the permutations.
    #[arg(long, default_value_t = mdi_core::analysis::spatial::DEFAULT_SEED)]
    seed: u64,
    /// Local clusters significant after the false-discovery rate rather than at 5 % per area.
    #[arg(long)]
    fdr: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum RankingArg {
    /// Rank each year on its own.
    PerYear,
    /// Rank all area-years together, so scores compare between years.
    Pooled,
}

/// An indicator table on the command line: `PATH`, or `YEAR=PATH` for a table of that year.
#[derive(Debug, Clone)]
struct TableArg {
    /// The year of its rows, where the table has no year column.
    year: Option<i32>,
    /// The file.
    path: PathBuf,
}

impl std::str::FromStr for TableArg {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<TableArg, String> {
        match s.split_once('=') {
            Some((y, path)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(TableArg {
                    year: y.parse().ok(),
                    path: PathBuf::from(path),
                })
            }
            _ => Ok(TableArg {
                year: None,
                path: PathBuf::from(s),
            }),
        }
    }
}

impl TableArg {
    /// Reads the table, with its year where one was given.
    fn read(&self) -> Result<Table> {
        let table = Table::read(&self.path)?;
        Ok(match self.year {
            Some(y) => table.with_year(y),
            None => table,
        })
    }
}

impl std::fmt::Display for TableArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.year {
            Some(y) => write!(f, "{y}={}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// Options of the index computation shared by `compute` and `build`.
#[derive(clap::Args)]
struct IndexArgs {
    /// The year of tables that have no year column (overrides the profile's `year`).
    #[arg(long)]
    year: Option<i32>,
    /// Per-year or pooled ranking (overrides the profile's `ranking`).
    #[arg(long, value_enum)]
    ranking: Option<RankingArg>,
    /// Minimum population of a ranked area (overrides the profile).
    #[arg(long)]
    min_population: Option<f64>,
    /// Minimum number of domains with data for a ranked area (overrides the profile).
    #[arg(long)]
    min_domains: Option<usize>,
}

#[derive(clap::Args)]
struct ComputeArgs {
    /// The profile (TOML): domains, indicators, weights, eligibility.
    #[arg(long)]
    profile: PathBuf,
    /// An indicator table (CSV, optionally .gz, or a KWB .xlsx), as PATH or YEAR=PATH for a
    /// table of that year without a year column. Repeat for several tables; they are joined on
    /// the area code and year.
    #[arg(long = "indicators", required = true)]
    indicators: Vec<TableArg>,
    /// Where to write the scores (CSV). Written atomically: a temporary file, then a rename.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    index: IndexArgs,
}

#[derive(clap::Args)]
struct BuildArgs {
    /// Build the generated demo region (synthetic) with the embedded Dutch profile.
    #[arg(long, conflicts_with_all = ["profile", "indicators", "areas"])]
    demo: bool,
    /// With --demo: the number of buurten to generate (600 by default; up to 1,000,000).
    #[arg(long, requires = "demo")]
    demo_areas: Option<usize>,
    /// With --demo: the first and last year to generate (2015 and 2024 by default).
    #[arg(long, requires = "demo", num_args = 2, value_names = ["FIRST", "LAST"])]
    demo_years: Option<Vec<i32>>,
    /// With --demo: the region's largest side in km (1 to 1,000); the cells grow or shrink to
    /// fill it. By default cells of 1.6 km, within 180 km (`--demo-side-km 360` with 40,000
    /// buurten is about the size of England).
    #[arg(long, requires = "demo", value_name = "KM")]
    demo_side_km: Option<u32>,
    /// Keep only these levels of the profile's hierarchy: the index unit and then each next
    /// parent, in order (`buurt`, `buurt,wijk`). Default: all of them.
    #[arg(long, value_delimiter = ',', value_name = "LEVEL,...")]
    levels: Option<Vec<String>>,
    /// The profile (TOML): domains, indicators, weights, eligibility and area levels.
    #[arg(long, required_unless_present = "demo")]
    profile: Option<PathBuf>,
    /// An indicator table (CSV, optionally .gz, or a KWB .xlsx), as PATH or YEAR=PATH for a
    /// table of that year without a year column. Repeat for several tables (of one year or of
    /// several).
    #[arg(long = "indicators", required_unless_present_any = ["demo", "from"])]
    indicators: Vec<TableArg>,
    /// An area file (FlatGeobuf, GeoJSON, TopoJSON, optionally .gz, or GeoPackage). Repeat for
    /// several files or levels; levels without a file are dissolved from their children.
    #[arg(long = "areas", required_unless_present_any = ["demo", "from"])]
    areas: Vec<PathBuf>,
    /// A folder written by `mdi-atlas fetch` (or a hand-written sources.json): its tables
    /// (each of its year) and the area file of its latest year are used, besides any
    /// --indicators and --areas.
    #[arg(long, conflicts_with = "demo")]
    from: Option<PathBuf>,
    /// The CRS of the area files, where they declare none or declare it wrongly
    /// (EPSG:28992, EPSG:4326 or EPSG:3857).
    #[arg(long)]
    crs: Option<String>,
    /// The layer to read from area files with several (GeoPackage table, TopoJSON object).
    #[arg(long)]
    layer: Option<String>,
    /// The atlas directory to write. Written to a temporary folder and renamed into place.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    index: IndexArgs,
    /// Do not write vector tiles (atlas.pmtiles).
    #[arg(long, conflicts_with = "mbtiles")]
    no_tiles: bool,
    #[command(flatten)]
    tiles: TileArgs,
}

/// Options of the vector tiles, shared by `build` and `tiles`.
#[derive(clap::Args)]
struct TileArgs {
    /// Also write atlas.mbtiles (the same tiles, for QGIS, GDAL and Martin).
    #[arg(long)]
    mbtiles: bool,
    /// The lowest zoom level of the tiles.
    #[arg(long, default_value_t = 5)]
    min_zoom: u8,
    /// The highest zoom level of the tiles (at most 18).
    #[arg(long, default_value_t = 14)]
    max_zoom: u8,
    /// The cap on one gzipped tile, in bytes; a larger tile is simplified harder.
    #[arg(long, default_value_t = 500_000)]
    max_tile_bytes: usize,
    /// The zooms at which a level is the map's choropleth, as LEVEL=MIN-MAX (`buurt=10-14`),
    /// within --min-zoom and --max-zoom; repeat for several levels. Wins over the profile's
    /// `zooms` and the bands from the data (docs/TILES.md).
    #[arg(long, value_name = "LEVEL=MIN-MAX")]
    level_zooms: Vec<levels::LevelZoomArg>,
}

impl TileArgs {
    /// The tile options, with `--level-zooms` checked against the atlas's level ids.
    fn options(&self, levels: &[&str]) -> Result<mdi_tiler::TileOptions> {
        let tiles = mdi_format::ZoomRange {
            min: self.min_zoom,
            max: self.max_zoom,
        };
        Ok(mdi_tiler::TileOptions {
            min_zoom: self.min_zoom,
            max_zoom: self.max_zoom,
            max_tile_bytes: self.max_tile_bytes,
            level_zooms: levels::level_zooms(&self.level_zooms, levels, tiles)?,
            ..Default::default()
        })
    }
}

#[derive(clap::Args)]
struct TilesArgs {
    /// The atlas directory (written by `mdi-atlas build`).
    atlas: PathBuf,
    #[command(flatten)]
    tiles: TileArgs,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The atlas directory to serve (written by `mdi-atlas build`). Without it, the demo atlas
    /// is served: built on first use into the cache folder, and reused after.
    #[arg(long)]
    atlas: Option<PathBuf>,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// The URL clients reach the server at, behind a proxy or CDN (`https://example.org/mdi`);
    /// TileJSON and the styles use it for their absolute URLs. Default: each request's Host.
    #[arg(long)]
    public_url: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// Where the demo atlas is cached (default: $XDG_CACHE_HOME/mdi-atlas, else
    /// ~/.cache/mdi-atlas).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Seconds between checks of the atlas folder for a new build, which is then loaded and
    /// swapped in; 0 reloads only on SIGHUP.
    #[arg(long, default_value_t = 2)]
    watch: u64,
    /// Seconds to produce a response before answering 408.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Most requests handled at once; more are answered 503 with Retry-After (/health and
    /// /metrics are never refused).
    #[arg(long, default_value_t = 256)]
    max_concurrency: usize,
    /// Most connections open at once; a new one over the limit closes the oldest connection
    /// without a request in flight. Keep it well under the open-file limit (`ulimit -n`).
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a connection may stay open with no request in flight.
    #[arg(long, default_value_t = 30)]
    idle_timeout: u64,
    /// On SIGTERM or Ctrl-C, seconds that requests in flight may take to finish before their
    /// connections are closed.
    #[arg(long, default_value_t = 10)]
    shutdown_grace: u64,
    /// Honour X-Forwarded-Host, X-Forwarded-Proto and X-Forwarded-Prefix: only behind a proxy
    /// that sets them (and drops those of clients).
    #[arg(long)]
    trust_proxy: bool,
    /// Cache-Control max-age of tiles, in seconds.
    #[arg(long, default_value_t = 3600)]
    tile_max_age: u32,
    /// Log every request at INFO (method, path, status, latency).
    #[arg(long)]
    access_log: bool,
    /// Log lines as JSON objects instead of text (RUST_LOG sets the level; default info).
    #[arg(long)]
    log_json: bool,
    /// The built web client to serve at `/` (`npm run build --prefix web` writes `web/dist`).
    /// Default: the `web/dist` of the source tree this binary was built from, if it is built.
    #[arg(long, conflicts_with = "no_web")]
    web: Option<PathBuf>,
    /// Serve no web client: `/` lists the routes.
    #[arg(long)]
    no_web: bool,
    /// A MapLibre style URL of a background map (e.g. a PDOK BRT-Achtergrondkaart style), which
    /// the web client draws under the choropleth; given to clients as `/api/meta` `basemap`.
    /// Default: no background map.
    #[arg(long, value_parser = basemap_url)]
    basemap: Option<String>,
}

/// `--basemap`: an absolute http(s) URL, or a path on this server (`/…`).
fn basemap_url(url: &str) -> std::result::Result<String, String> {
    let ok = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
    if ok && !url.chars().any(char::is_whitespace) {
        Ok(url.to_string())
    } else {
        Err(format!(
            "`{url}` is not a style URL: expected http(s)://… or a path on this server (/…)"
        ))
    }
}

#[derive(clap::Args)]
struct DemoArgs {
    /// The folder to write `synthetisch-buurten.fgb` and `synthetisch-indicatoren.csv` into.
    #[arg(long)]
    out: PathBuf,
    /// The number of buurten (600 by default; up to 1,000,000).
    #[arg(long)]
    areas: Option<usize>,
    /// The first and last year (2015 and 2024 by default).
    #[arg(long, num_args = 2, value_names = ["FIRST", "LAST"])]
    years: Option<Vec<i32>>,
    /// The region's largest side in km (1 to 1,000); the cells grow or shrink to fill it. By
    /// default cells of 1.6 km, within 180 km.
    #[arg(long, value_name = "KM")]
    side_km: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
    {
        eprintln!("error: --threads {n}: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Tiles(args) => run_tiles(&args),
        Command::Compute(args) => run_compute(&args),
        Command::Build(args) => run_build(&args),
        Command::Demo(args) => run_demo(&args),
        Command::Serve(args) => run_serve(&args),
        Command::Fetch(args) => fetch::run(&args),
        Command::Crosswalk(args) => crosswalk::run(&args),
        Command::Report(args) => run_report(&args),
        Command::Publish(args) => run_publish(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Read the tables and compute the index; prints which columns were found under aliases.
fn compute_index(
    profile: &mut Profile,
    tables: &[Table],
    index: &IndexArgs,
    out: &mut impl Write,
) -> Result<(Panel, Scores)> {
    profile.set_eligibility(index.min_population, index.min_domains)?;
    let panel = Panel::build(profile, tables, index.year)?;
    let options = Options {
        ranking: index.ranking.map(|r| match r {
            RankingArg::PerYear => Ranking::PerYear,
            RankingArg::Pooled => Ranking::Pooled,
        }),
    };
    let scores = compute(profile, &panel, &options)?;
    writeln!(
        out,
        "profile {} ({}), {} table(s)",
        profile.id,
        profile.name,
        tables.len()
    )?;
    for c in &panel.resolved {
        if let Some((path, header)) = c.found.as_ref().filter(|(_, h)| h != &c.name) {
            writeln!(
                out,
                "column {} read as `{header}` from {}",
                c.name,
                path.display()
            )?;
        }
    }
    for (column, n) in &panel.missing_read {
        writeln!(
            out,
            "column {column}: {n} values read as missing by the profile's [[input.missing]] rules"
        )?;
    }
    for (column, n) in &panel.conflicts {
        writeln!(
            out,
            "column {column}: {n} area-years where tables disagree (the first table's value is used)"
        )?;
    }
    write!(out, "{}", scores.summary())?;
    Ok((panel, scores))
}

/// The values of the profile's comparisons (`None` when it has none), with a line per
/// comparison on where it was found.
fn comparison_values(
    profile: &Profile,
    tables: &[Table],
    year: Option<i32>,
    out: &mut impl Write,
) -> Result<Option<ComparisonValues>> {
    if profile.comparisons.is_empty() {
        return Ok(None);
    }
    let values = mdi_core::profile::comparison_values(profile, tables, year)?;
    for (c, sources) in profile.comparisons.iter().zip(&values.sources) {
        let with = values.rows.values().filter(|v| {
            values
                .ids
                .iter()
                .position(|id| *id == c.id)
                .is_some_and(|k| v[k].is_some())
        });
        match sources.first() {
            Some((_, header)) => writeln!(
                out,
                "comparison {}: column `{header}`, {} area-years with a value",
                c.id,
                with.count()
            )?,
            None => writeln!(
                out,
                "comparison {}: column `{}` is in none of the tables",
                c.id, c.column.name
            )?,
        }
    }
    Ok(Some(values))
}

fn run_compute(args: &ComputeArgs) -> Result<()> {
    let mut profile = Profile::from_path(&args.profile)?;
    let tables = args
        .indicators
        .iter()
        .map(TableArg::read)
        .collect::<Result<Vec<_>>>()?;
    // The summary is printed after the output is written, so a closed standard output (a
    // pipe into `head`) never costs the result.
    let mut summary = Vec::new();
    let (_, scores) = compute_index(&mut profile, &tables, &args.index, &mut summary)?;
    let mut buf = Vec::new();
    mdi_format::write_scores(&scores, &[], &mut buf)?;
    write_atomically(&args.out, &buf)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&summary)?;
    writeln!(
        stdout,
        "wrote {} rows to {}",
        scores.rows.len(),
        args.out.display()
    )?;
    Ok(())
}

/// A spinner for one step, cleared when the step is done.
fn step(message: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// The generator's options from the command line (`flag` is the side's flag, for errors).
fn demo_options(
    areas: Option<usize>,
    years: Option<&Vec<i32>>,
    side_km: Option<u32>,
    flag: &str,
) -> Result<DemoOptions> {
    let mut o = DemoOptions::default();
    if let Some(km) = side_km {
        if !(1..=demo::MAX_SIDE_KM).contains(&km) {
            bail!(
                "{flag} must be between 1 and {} km, got {km}",
                demo::MAX_SIDE_KM
            );
        }
        o.side_km = Some(km);
    }
    if let Some(n) = areas {
        if !(1..=1_000_000).contains(&n) {
            bail!("--areas must be between 1 and 1,000,000, got {n}");
        }
        o.areas = n;
    }
    if let Some(y) = years {
        if y[0] > y[1] {
            bail!("the first year {} is after the last year {}", y[0], y[1]);
        }
        o.first_year = y[0];
        o.last_year = y[1];
    }
    Ok(o)
}

/// The time now in UTC, RFC 3339 to the second (`2026-12-06T13:04:03Z`).
fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

/// What a build reads: the profile, the indicator tables, the area files and what the
/// atlas says of itself.
struct BuildInputs {
    profile: Profile,
    tables: Vec<Table>,
    sources: Vec<Source>,
    info: AtlasInfo,
}

/// The inputs of `build --demo`: the generated region and the embedded Dutch profile.
fn demo_inputs(args: &BuildArgs) -> Result<BuildInputs> {
    let options = demo_options(
        args.demo_areas,
        args.demo_years.as_ref(),
        args.demo_side_km,
        "--demo-side-km",
    )?;
    let pb = step(&format!(
        "generating the synthetic demo region ({} buurten)",
        options.areas
    ));
    let demo = generate(&options)?;
    pb.finish_and_clear();
    let mut profile = Profile::from_str_at(NL_PROFILE, Path::new("geodata/profiles/nl-cbs.toml"))?;
    if let Some(keep) = &args.levels {
        levels::keep_levels(&mut profile, keep)?;
    }
    let table = Table::from_bytes(
        Path::new("synthetic:demo-indicatoren.csv"),
        demo.table_csv.as_bytes(),
    )?;
    let info = AtlasInfo {
        title: demo.name.clone(),
        description: demo.description.clone(),
        attribution: demo.attribution.clone(),
        synthetic: true,
        built_at: now_rfc3339(),
        tables: vec!["synthetic:demo-indicatoren.csv".into()],
        table_files: Vec::new(),
        sources: Vec::new(),
    };
    Ok(BuildInputs {
        profile,
        tables: vec![table],
        sources: vec![demo.buurten],
        info,
    })
}

/// The tables (with their years) and the area file of the latest year that `sources.json` in
/// `dir` lists (docs/FETCH.md).
fn fetched_inputs(dir: &Path) -> Result<(Vec<TableArg>, Vec<PathBuf>)> {
    let sources = fetch::sources::Sources::read(dir)?;
    let tables: Vec<TableArg> = sources
        .tables()
        .map(|f| TableArg {
            year: Some(f.year),
            path: f.resolve(dir),
        })
        .collect();
    let areas: Vec<PathBuf> = sources
        .areas()
        .max_by_key(|f| f.year)
        .map(|f| f.resolve(dir))
        .into_iter()
        .collect();
    if tables.is_empty() || areas.is_empty() {
        anyhow::bail!(
            "{}: lists {} table(s) and {} area file(s); a build needs at least one of each (run `mdi-atlas fetch cbs --year YYYY --out {}`)",
            dir.join(fetch::sources::SOURCES_FILE).display(),
            tables.len(),
            areas.len(),
            dir.display()
        );
    }
    Ok((tables, areas))
}

/// The inputs of `build --profile … --indicators … --areas …`.
fn file_inputs(args: &BuildArgs) -> Result<BuildInputs> {
    let path = args.profile.as_ref().context("--profile is required")?;
    let mut profile = Profile::from_path(path)?;
    // Cut before the area files are read: only the kept levels' layers are read.
    if let Some(keep) = &args.levels {
        levels::keep_levels(&mut profile, keep)?;
    }
    let (mut table_args, mut area_paths) = (args.indicators.clone(), args.areas.clone());
    if let Some(dir) = &args.from {
        let (t, a) = fetched_inputs(dir)?;
        table_args.extend(t);
        area_paths.extend(a);
    }
    let pb = step("reading indicator tables");
    let tables = table_args
        .iter()
        .map(TableArg::read)
        .collect::<Result<Vec<_>>>()?;
    pb.finish_and_clear();
    let crs = match &args.crs {
        Some(c) => Some(Crs::parse(c).with_context(|| {
            format!("--crs `{c}`: expected EPSG:28992, EPSG:4326 or EPSG:3857")
        })?),
        None => None,
    };
    let read = ReadOptions {
        crs,
        layer: args.layer.clone(),
    };
    let pb = step("reading area files");
    let layers: Vec<String> = profile.levels.iter().map(|l| l.layer.clone()).collect();
    let mut sources: Vec<Source> = Vec::new();
    for p in &area_paths {
        sources.extend(read_area_layers(p, &read, &layers)?);
    }
    pb.finish_and_clear();
    let info = AtlasInfo {
        title: profile.name.clone(),
        description: profile.description.clone(),
        attribution: profile.attribution.clone(),
        synthetic: false,
        built_at: now_rfc3339(),
        tables: table_args
            .iter()
            .map(|t| {
                let name = inputs::display_name(&t.path, &args.out);
                t.year
                    .map_or_else(|| name.clone(), |y| format!("{y}={name}"))
            })
            .collect(),
        table_files: table_args
            .iter()
            .map(|t| inputs::input_file(&t.path, &args.out))
            .collect::<Result<Vec<_>>>()?,
        sources: Vec::new(),
    };
    Ok(BuildInputs {
        profile,
        tables,
        sources,
        info,
    })
}

fn run_build(args: &BuildArgs) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let BuildInputs {
        mut profile,
        tables,
        sources,
        mut info,
    } = if args.demo {
        demo_inputs(args)?
    } else {
        file_inputs(args)?
    };
    // Checked before the costly steps.
    let level_ids: Vec<&str> = profile.levels.iter().map(|l| l.id.as_str()).collect();
    let tile_options = args.tiles.options(&level_ids)?;
    let pb = step("computing the index");
    let mut summary = Vec::new();
    let (panel, scores) = compute_index(&mut profile, &tables, &args.index, &mut summary)?;
    let comparisons = comparison_values(&profile, &tables, args.index.year, &mut summary)?;
    // Change over time compares scores ranked together: with two or more years ranked each on
    // its own, the same panel is ranked once more over all years pooled (pooled.csv).
    let pooled = if scores.ranking == Ranking::PerYear && panel.codes_by_year.len() >= 2 {
        Some(compute(
            &profile,
            &panel,
            &Options {
                ranking: Some(Ranking::Pooled),
            },
        )?)
    } else {
        None
    };
    pb.finish_and_clear();

    let pb = step("reprojecting, repairing and linking the areas");
    let hierarchy = mdi_geo::hierarchy::assemble(&profile, Some(&panel), &sources).with_context(
        || match &args.levels {
            Some(keep) => format!(
                "with --levels {}, give only area files of these levels",
                keep.join(",")
            ),
            None => "cannot link the areas".to_string(),
        },
    )?;
    pb.finish_and_clear();
    info.sources = inputs::source_infos(&sources, &hierarchy.source_levels, &args.out)?;
    // Everything is written into a staged folder and swapped in whole at the end; any error
    // before the commit drops the stage and leaves a previous atlas as it was.
    let stage = StagedAtlas::create(&args.out)?;
    let pb = step(&format!("writing {}", args.out.display()));
    let extras = Extras {
        pooled: pooled.as_ref(),
        comparisons: comparisons.as_ref(),
    };
    let atlas = write_atlas(stage.path(), &profile, &scores, &hierarchy, &info, &extras)?;
    pb.finish_and_clear();
    let tiles = if args.no_tiles {
        None
    } else {
        Some(write_tiles(
            stage.path(),
            &tile_options,
            args.tiles.mbtiles,
        )?)
    };
    let committed = stage.commit()?;
    // Printed only now, so a closed standard output never costs the atlas.
    stdout.write_all(&summary)?;
    print_build(&mut stdout, &atlas, info.synthetic, tiles.as_ref())?;
    print_commit(&mut stdout, &committed)?;
    writeln!(stdout, "wrote {}", args.out.display())?;
    Ok(())
}

/// What the switch did: the generation, the user's files carried over, the stale folders
/// removed.
fn print_commit(stdout: &mut impl Write, c: &mdi_format::Committed) -> Result<()> {
    let name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    writeln!(stdout, "atlas generation: {}", name(&c.generation))?;
    if !c.carried.is_empty() {
        writeln!(
            stdout,
            "carried your files into the new atlas: {}",
            c.carried.join(", ")
        )?;
    }
    if !c.removed.is_empty() {
        let names: Vec<String> = c.removed.iter().map(|p| name(p)).collect();
        writeln!(
            stdout,
            "removed {} stale folder(s) of earlier builds: {}",
            names.len(),
            names.join(", ")
        )?;
    }
    Ok(())
}

/// The summary of a build: areas, the join, the geometry repairs, and the tiles.
fn print_build(
    stdout: &mut impl Write,
    atlas: &AtlasSummary,
    synthetic: bool,
    tiles: Option<&mdi_tiler::TileSummary>,
) -> Result<()> {
    let j = &atlas.join;
    writeln!(
        stdout,
        "areas: {}",
        atlas
            .areas
            .iter()
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        stdout,
        "join on {}: {} matched, {} scores without polygon, {} polygons without scores (kept as no data), {} duplicate codes",
        j.level,
        j.matched,
        j.scores_without_polygon.len(),
        j.polygons_without_scores.len(),
        j.duplicates.len()
    )?;
    if j.by_year.len() > 1 {
        for y in &j.by_year {
            writeln!(
                stdout,
                "  {}: {} of {} codes matched, {} without polygon, {} polygons without a row; {} codes new and {} gone since the year before",
                y.year,
                y.matched,
                y.score_codes,
                y.scores_without_polygon.len(),
                y.polygons_without_scores,
                y.new_codes.len(),
                y.gone_codes.len()
            )?;
        }
    }
    writeln!(
        stdout,
        "geometry: {} repairs, {} collapsed areas, {} notes (see build-report.json)",
        atlas.repairs, atlas.collapsed, atlas.notes
    )?;
    if synthetic {
        writeln!(
            stdout,
            "this atlas is SYNTHETIC: a generated demo region, not real areas"
        )?;
    }
    if let Some(t) = tiles {
        print_tiles(stdout, t)?;
    }
    Ok(())
}

/// Tile the atlas in `dir` with a progress bar over the zoom levels (and write atlas.mbtiles
/// too with `mbtiles`).
fn write_tiles(
    dir: &Path,
    options: &mdi_tiler::TileOptions,
    mbtiles: bool,
) -> mdi_tiler::Result<mdi_tiler::TileSummary> {
    let zooms = u64::from(options.max_zoom.saturating_sub(options.min_zoom)) + 1;
    let pb = ProgressBar::new(zooms);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} tiling zoom {msg} [{bar:20}] {pos}/{len} zooms, {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(options.min_zoom.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let progress = |z: u8| {
        pb.inc(1);
        pb.set_message((z + 1).min(options.max_zoom).to_string());
    };
    let result = mdi_tiler::tile_atlas(dir, options, mbtiles, &progress);
    pb.finish_and_clear();
    result
}

/// The tile lines of the summary: archives, then per zoom tiles, size and largest tile.
fn print_tiles(out: &mut impl Write, t: &mdi_tiler::TileSummary) -> Result<()> {
    for (path, stats) in &t.archives {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        writeln!(
            out,
            "tiles: {} ({} tiles, {} stored once, {:.1} MB)",
            name,
            stats.tiles,
            stats.unique_tiles,
            stats.bytes as f64 / 1e6
        )?;
    }
    for z in &t.report.zooms {
        let mut harder = if z.simplified_harder.is_empty() {
            String::new()
        } else {
            format!(", {} simplified harder to fit", z.simplified_harder.len())
        };
        if !z.omitted.is_empty() {
            harder.push_str(&format!(", {} left out (too dense)", z.omitted.join(", ")));
        }
        if !z.coalesced.is_empty() {
            let areas: usize = z.coalesced.iter().map(|g| g.members.len() + 1).sum();
            harder.push_str(&format!(
                ", {areas} areas drawn as {} same-class groups",
                z.coalesced.len()
            ));
        }
        writeln!(
            out,
            "  z{:<2} {:>6} tiles {:>8.1} KB, largest {:>6.1} KB, {} minimal shapes{harder}",
            z.z,
            z.tiles,
            z.bytes as f64 / 1e3,
            z.max_bytes as f64 / 1e3,
            z.minimal_shapes
        )?;
    }
    if !t.report.label_only.is_empty() {
        writeln!(
            out,
            "  {} areas without extent have a label point only (build-report.json: collapsed)",
            t.report.label_only.len()
        )?;
    }
    if let Some(r) = &t.removed {
        writeln!(out, "removed the stale {}", r.display())?;
    }
    Ok(())
}

fn run_tiles(args: &TilesArgs) -> Result<()> {
    let meta = args.atlas.join(files::METADATA);
    if !meta.exists() {
        anyhow::bail!(
            "{}: not an atlas directory (no metadata.json); write one with `mdi-atlas build`",
            args.atlas.display()
        );
    }
    let meta = Metadata::read(&args.atlas)?;
    let level_ids: Vec<&str> = meta.levels.iter().map(|l| l.id.as_str()).collect();
    let options = args.tiles.options(&level_ids)?;
    let summary = write_tiles(&args.atlas, &options, args.tiles.mbtiles)?;
    let mut stdout = std::io::stdout().lock();
    print_tiles(&mut stdout, &summary)?;
    Ok(())
}

/// The cache folder of the demo atlas.
fn cache_dir(args: &ServeArgs) -> Result<PathBuf> {
    if let Some(d) = &args.cache_dir {
        return Ok(d.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("no cache folder: set --cache-dir (neither XDG_CACHE_HOME nor HOME is set)")?;
    Ok(base.join("mdi-atlas"))
}

/// The demo atlas in the cache folder: reused when this version of mdi-atlas built it with its
/// tiles, else (re)built.
fn demo_atlas(args: &ServeArgs) -> Result<PathBuf> {
    let dir = cache_dir(args)?.join(format!(
        "demo-atlas-{}-t{}-f{}",
        env!("CARGO_PKG_VERSION"),
        mdi_tiler::SCHEMA_VERSION,
        FORMAT_VERSION
    ));
    let current = Metadata::read(&dir).is_ok_and(|m| {
        m.generator == mdi_format::metadata::generator() && m.format_version == FORMAT_VERSION
    }) && dir.join(files::PMTILES).is_file();
    if current {
        eprintln!("using the demo atlas cached in {}", dir.display());
        return Ok(dir);
    }
    eprintln!("building the demo atlas into {} (once)", dir.display());
    std::fs::create_dir_all(dir.parent().unwrap_or(&dir))
        .with_context(|| format!("cannot create the cache folder {}", dir.display()))?;
    run_build(&BuildArgs {
        demo: true,
        demo_areas: None,
        demo_years: None,
        demo_side_km: None,
        levels: None,
        profile: None,
        indicators: Vec::new(),
        areas: Vec::new(),
        from: None,
        crs: None,
        layer: None,
        out: dir.clone(),
        index: IndexArgs {
            year: None,
            ranking: None,
            min_population: None,
            min_domains: None,
        },
        no_tiles: false,
        tiles: TileArgs {
            mbtiles: true,
            min_zoom: 5,
            max_zoom: 14,
            max_tile_bytes: 500_000,
            level_zooms: Vec::new(),
        },
    })?;
    Ok(dir)
}

fn run_serve(args: &ServeArgs) -> Result<()> {
    mdi_server::init_logging(args.log_json);
    let atlas = match &args.atlas {
        Some(a) => a.clone(),
        None => demo_atlas(args)?,
    };
    let mut config = mdi_server::ServeConfig::new(atlas.clone());
    config.bind = args.bind.clone();
    config.public_url = args.public_url.clone();
    config.workers = args.workers;
    config.watch = (args.watch > 0).then(|| std::time::Duration::from_secs(args.watch));
    config.timeout = std::time::Duration::from_secs(args.timeout.max(1));
    config.max_concurrency = args.max_concurrency.max(1);
    config.max_connections = args.max_connections.max(2);
    config.header_timeout = std::time::Duration::from_secs(args.header_timeout.max(1));
    config.idle_timeout = std::time::Duration::from_secs(args.idle_timeout.max(1));
    config.shutdown_grace = std::time::Duration::from_secs(args.shutdown_grace);
    config.trust_proxy = args.trust_proxy;
    config.tile_max_age = args.tile_max_age;
    config.access_log = args.access_log;
    config.web = web_client(args)?;
    config.basemap = args.basemap.clone();
    let web = config.web.is_some();
    mdi_server::run(config, |addr, loaded| {
        let base = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let base = base.trim_end_matches('/');
        // One line a script can wait for; the rest is for people.
        println!("listening on http://{addr}/");
        println!(
            "serving {} ({}): {} tiles z{}-{}, {} areas (loading; the API answers 503 until then)",
            atlas.display(),
            loaded.meta.title,
            loaded.tiles.len(),
            loaded.tiles.min_zoom,
            loaded.tiles.max_zoom,
            loaded.meta.levels.iter().map(|l| l.areas).sum::<usize>()
        );
        println!("  TileJSON  {base}/tiles.json");
        println!("  style     {base}/style.json   (QGIS: {base}/style.json?flavor=qgis)");
        println!("  API       {base}/api/meta");
        if web {
            println!("  map       {base}/");
        }
        let _ = std::io::stdout().flush();
    })
    .with_context(|| format!("cannot serve {}", atlas.display()))?;
    Ok(())
}

/// The web client folder to serve: `--web`, else the source tree's `web/dist` if it has been
/// built (a note says how to build it if not), or none with `--no-web`.
fn web_client(args: &ServeArgs) -> Result<Option<PathBuf>> {
    if args.no_web {
        return Ok(None);
    }
    let dir = web_dir(args.web.as_ref())?;
    if dir.is_none() {
        eprintln!(
            "note: the web client is not built (web/dist), so / lists the routes; build it with \
             `npm ci --prefix web && npm run build --prefix web`, or pass --web DIR"
        );
    }
    Ok(dir)
}

/// `--web DIR` if it holds a built client, else the source tree's `web/dist` if built (a note
/// says how to build it if not).
fn web_dir(web: Option<&PathBuf>) -> Result<Option<PathBuf>> {
    if let Some(dir) = web {
        if !dir.join("index.html").is_file() {
            bail!(
                "--web {}: no index.html there; build the client with `npm ci --prefix web && npm run build --prefix web`",
                dir.display()
            );
        }
        return Ok(Some(dir.clone()));
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if built.join("index.html").is_file() {
        return Ok(Some(built.canonicalize().unwrap_or(built)));
    }
    Ok(None)
}

fn run_publish(args: &PublishArgs) -> Result<()> {
    let web = web_dir(args.web.as_ref())?.with_context(|| {
        "the web client is not built: run `npm ci --prefix web && npm run build --prefix web`, \
         or pass --web DIR"
    })?;
    let started = std::time::Instant::now();
    let options = mdi_server::publish::PublishOptions {
        atlas: args.atlas.clone(),
        out: args.out.clone(),
        web,
    };
    let s = mdi_server::publish::publish(&options)
        .with_context(|| format!("cannot publish {}", args.atlas.display()))?;
    println!(
        "published {} to {}: {} files, {:.1} MB ({:.1} MB atlas.pmtiles); {} areas in {} shards, \
         {} reports; {:.1} s",
        args.atlas.display(),
        args.out.display(),
        s.files,
        s.bytes as f64 / 1e6,
        s.archive_bytes as f64 / 1e6,
        s.areas,
        s.shards,
        s.reports,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_report(args: &ReportArgs) -> Result<()> {
    let atlas = mdi_server::Atlas::load_without_tiles(&args.atlas)
        .with_context(|| format!("cannot load the atlas {}", args.atlas.display()))?;
    let compare = args
        .compare
        .iter()
        .map(|p| mdi_server::report::CompareTable::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let options = mdi_server::report::ReportOptions {
        year: args.year,
        from_year: args.from_year,
        permutations: args.permutations,
        seed: args.seed,
        fdr: args.fdr,
    };
    let report = mdi_server::report::build(&atlas, args.area.as_deref(), &compare, &options)?;
    let text = match args.format {
        ReportFormat::Md => mdi_server::report::render_markdown(&report),
        ReportFormat::Html => mdi_server::report::render_html(&report),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
    };
    match &args.out {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

fn run_demo(args: &DemoArgs) -> Result<()> {
    let options = demo_options(args.areas, args.years.as_ref(), args.side_km, "--side-km")?;
    let pb = step(&format!(
        "generating the synthetic demo region ({} buurten)",
        options.areas
    ));
    let demo = generate(&options)?;
    pb.finish_and_clear();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let fgb = args.out.join("synthetisch-buurten.fgb");
    let mut buf = Vec::new();
    mdi_geo::atlas::write_source_fgb(&demo.buurten, &demo.name, &mut buf)?;
    write_atomically(&fgb, &buf)?;
    let csv = args.out.join("synthetisch-indicatoren.csv");
    write_atomically(&csv, demo.table_csv.as_bytes())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{} (SYNTHETIC): {} buurten, years {}–{}",
        demo.name,
        demo.buurten.features.len(),
        options.first_year,
        options.last_year
    )?;
    writeln!(stdout, "wrote {} and {}", fgb.display(), csv.display())?;
    writeln!(
        stdout,
        "build it with: mdi-atlas build --profile geodata/profiles/nl-cbs.toml --indicators {} --areas {} --out atlas",
        csv.display(),
        fgb.display()
    )?;
    Ok(())
}

/// Write `bytes` to `path` through a temporary file `.<name>.<pid>.tmp` in the same folder and
/// a rename, so a failure never leaves a half-written file where a good one was. The temporary
/// file is removed on every error, and stale ones of processes that are gone (killed runs) are
/// removed first.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_tmp_files(&dir, &name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
        });
    if result.is_err() {
        // Best effort: the write's own error is the one to report.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the files `.<name>.<pid>.tmp` in `dir` that [`write_atomically`] left when its
/// process was killed (the process `pid` is gone).
fn remove_stale_tmp_files(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for e in entries.filter_map(std::result::Result::ok) {
        let file = e.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if is_file && !mdi_format::generation::process_alive(pid, None) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
