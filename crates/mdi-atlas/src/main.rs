//! `mdi-atlas`: the command line of mdi-atlas. It parses arguments, shows progress and calls into
//! the library crates; the business logic lives there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use mdi_core::profile::Ranking;
use mdi_core::{Options, Panel, Profile, Table, compute};

// The CLI sits at the end of the dependency chain core ← geo ← tiler ← server ← cli.
use mdi_server as _;

/// Map multiple deprivation: compute the Multiple Deprivation Index (MDI) per area.
#[derive(Parser)]
#[command(name = "mdi-atlas", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the MDI from indicator tables, driven by a profile, and write scores.csv.
    Compute(ComputeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum RankingArg {
    /// Rank each year on its own.
    PerYear,
    /// Rank all area-years together, so scores compare between years.
    Pooled,
}

#[derive(clap::Args)]
struct ComputeArgs {
    /// The profile (TOML): domains, indicators, weights, eligibility.
    #[arg(long)]
    profile: PathBuf,
    /// An indicator table (CSV, optionally .gz). Repeat for several tables; they are joined on
    /// the area code and year.
    #[arg(long = "indicators", required = true)]
    indicators: Vec<PathBuf>,
    /// Where to write the scores (CSV). Written atomically: a temporary file, then a rename.
    #[arg(long)]
    out: PathBuf,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compute(args) => run_compute(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_compute(args: &ComputeArgs) -> Result<()> {
    let mut profile = Profile::from_path(&args.profile)?;
    profile.set_eligibility(args.min_population, args.min_domains)?;
    let tables = args
        .indicators
        .iter()
        .map(|p| Table::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let panel = Panel::build(&profile, &tables, args.year)?;
    let options = Options {
        ranking: args.ranking.map(|r| match r {
            RankingArg::PerYear => Ranking::PerYear,
            RankingArg::Pooled => Ranking::Pooled,
        }),
    };
    let scores = compute(&profile, &panel, &options)?;
    let mut buf = Vec::new();
    scores.write_csv(&mut buf)?;
    write_atomically(&args.out, &buf)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "profile {} ({}), {} table(s)",
        profile.id,
        profile.name,
        tables.len()
    )?;
    for c in &panel.resolved {
        if let Some((path, header)) = c.found.as_ref().filter(|(_, h)| h != &c.name) {
            writeln!(
                stdout,
                "column {} read as `{header}` from {}",
                c.name,
                path.display()
            )?;
        }
    }
    write!(stdout, "{}", scores.summary())?;
    writeln!(
        stdout,
        "wrote {} rows to {}",
        scores.rows.len(),
        args.out.display()
    )?;
    Ok(())
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// failure never leaves a half-written file where a good one was.
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
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))?;
    Ok(())
}
