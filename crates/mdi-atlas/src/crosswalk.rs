//! `mdi-atlas crosswalk`: carry the values of an indicator table from one boundary edition to
//! another by areal interpolation ([`mdi_geo::crosswalk`]), and say which areas were
//! interpolated and how (docs/CROSSWALK.md).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use geo_types::MultiPolygon;
use mdi_core::Table;
use mdi_core::table::parse_number;
use mdi_geo::crosswalk::{Class, Crosswalk, Estimate, Kind, Options, build};
use mdi_geo::{Crs, ReadOptions, Source, read_areas};
use serde_json::{Value as Json, json};

use crate::write_atomically;

/// Attribute names tried for the area code in the area files, in order.
const CODE_FIELDS: &[&str] = &["statcode", "buurtcode", "wijkcode", "gemeentecode", "code"];

/// An area code and its polygon.
type Coded = (String, MultiPolygon<f64>);

/// Header names of a year column (compared without case).
const YEAR_COLUMNS: &[&str] = &["year", "jaar", "jaartal", "perioden", "periode"];

/// Arguments of `mdi-atlas crosswalk`.
#[derive(clap::Args)]
pub struct CrosswalkArgs {
    /// The areas of the edition the table is keyed to (FlatGeobuf, GeoJSON, TopoJSON,
    /// optionally .gz, or GeoPackage).
    #[arg(long)]
    from_areas: PathBuf,
    /// The areas of the edition to carry the values to.
    #[arg(long)]
    to_areas: PathBuf,
    /// The indicator table (CSV, optionally .gz), keyed by the codes of --from-areas.
    #[arg(long)]
    indicators: PathBuf,
    /// The year to take from a table with a year column (required when it holds several).
    #[arg(long)]
    year: Option<i32>,
    /// The population column: extensive, and the weight of intensive columns (otherwise they
    /// are area-weighted).
    #[arg(long)]
    population: Option<String>,
    /// A count column, shared out by area (repeat). Default: the columns starting with `a_`
    /// and the population column; every other numeric column is intensive.
    #[arg(long = "extensive")]
    extensive: Vec<String>,
    /// A numeric column not to carry across (repeat), such as a row number.
    #[arg(long = "exclude")]
    exclude: Vec<String>,
    /// The share of a target's weight that may come from sources without a value before its
    /// value is missing.
    #[arg(long, default_value_t = 0.05)]
    max_missing: f64,
    /// An overlap below this share of the smaller of its two areas is a sliver: noise, not a
    /// boundary change (raise it for coarse geometry such as the national TopoJSON files).
    #[arg(long, default_value_t = 0.005)]
    sliver: f64,
    /// The share of both areas one overlap must hold for `same`, of a source for it to count as
    /// wholly inside a target (`merged`), and of a target that must be covered (else
    /// `uncovered`).
    #[arg(long, default_value_t = 0.99)]
    same: f64,
    /// Where to write the interpolated table (CSV), keyed by the codes of --to-areas.
    #[arg(long)]
    out: PathBuf,
    /// Where to write the report (JSON): classes, renamed codes, uncovered areas, totals.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The layer (GeoPackage table, TopoJSON object) of both area files.
    #[arg(long)]
    layer: Option<String>,
    /// The layer of --from-areas (overrides --layer).
    #[arg(long)]
    from_layer: Option<String>,
    /// The layer of --to-areas (overrides --layer).
    #[arg(long)]
    to_layer: Option<String>,
    /// The attribute holding the area code (default: statcode, buurtcode, wijkcode,
    /// gemeentecode or code, the first present).
    #[arg(long)]
    code_field: Option<String>,
}

/// One numeric column of the table, by source.
struct Column {
    name: String,
    kind: Kind,
    values: Vec<Option<f64>>,
}

/// The table as read for the crosswalk.
struct Indicators {
    code_header: String,
    year_header: Option<String>,
    columns: Vec<Column>,
    population: Option<usize>,
    /// Source codes with no row in the table.
    without_row: Vec<String>,
    /// Non-numeric columns left out.
    text_columns: Vec<String>,
}

/// Run `mdi-atlas crosswalk`.
///
/// # Errors
/// When a file cannot be read or written, a code is missing or repeated, or a named column is
/// absent or not numeric.
pub fn run(args: &CrosswalkArgs) -> Result<()> {
    for (name, v) in [
        ("--max-missing", args.max_missing),
        ("--sliver", args.sliver),
        ("--same", args.same),
    ] {
        if !(0.0..=1.0).contains(&v) {
            bail!("{name} must be a share between 0 and 1, got {v}");
        }
    }
    let options = Options {
        sliver: args.sliver,
        same: args.same,
    };
    let from_layer = args.from_layer.clone().or_else(|| args.layer.clone());
    let to_layer = args.to_layer.clone().or_else(|| args.layer.clone());
    let (from, from_crs) = areas(&args.from_areas, from_layer, args.code_field.as_deref())?;
    let (to, to_crs) = areas(&args.to_areas, to_layer, args.code_field.as_deref())?;
    let table = Table::read(&args.indicators)?;
    let codes: Vec<&str> = from.iter().map(|(c, _)| c.as_str()).collect();
    let ind = indicators(&table, &codes, args)?;
    let xw = build(&from, from_crs, &to, to_crs, &options).context("cannot build the crosswalk")?;
    let estimates: Vec<Vec<Estimate>> = ind
        .columns
        .iter()
        .map(|c| {
            let pop = ind.population.map(|p| ind.columns[p].values.as_slice());
            xw.interpolate(&c.values, c.kind, pop, args.max_missing)
        })
        .collect();
    let csv = write_csv(&xw, &ind, &estimates, args.year);
    write_atomically(&args.out, csv.as_bytes())?;
    let report = report(&xw, &ind, &estimates, args);
    if let Some(path) = &args.report {
        let text = serde_json::to_string_pretty(&report)?;
        write_atomically(path, text.as_bytes())?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(summary(&xw, &ind, &report).as_bytes())?;
    writeln!(
        stdout,
        "wrote {} rows to {}",
        xw.targets.len(),
        args.out.display()
    )?;
    if let Some(path) = &args.report {
        writeln!(stdout, "wrote the report to {}", path.display())?;
    }
    Ok(())
}

/// Read an area file as (code, geometry) in its CRS.
fn areas(
    path: &Path,
    layer: Option<String>,
    code_field: Option<&str>,
) -> Result<(Vec<Coded>, Crs)> {
    let source: Source = read_areas(path, &ReadOptions { crs: None, layer })?;
    let fields: Vec<&str> = code_field.map_or_else(|| CODE_FIELDS.to_vec(), |f| vec![f]);
    let mut out = Vec::with_capacity(source.features.len());
    for f in &source.features {
        let code = fields
            .iter()
            .find_map(|k| f.properties.get(*k).and_then(mdi_geo::Value::as_text))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .with_context(|| {
                format!(
                    "{}: feature {} has no area code (looked for the attribute {})",
                    path.display(),
                    f.index,
                    fields.join(", ")
                )
            })?;
        out.push((code, f.geometry.clone()));
    }
    Ok((out, source.crs))
}

/// The year column of a table, if any.
fn year_column(table: &Table) -> Option<usize> {
    table
        .headers
        .iter()
        .position(|h| YEAR_COLUMNS.iter().any(|y| h.eq_ignore_ascii_case(y)))
}

/// A year cell: `2019`, or a CBS period such as `2017JJ00`.
fn parse_year(cell: &str) -> Option<i32> {
    let t = cell.trim();
    t.get(..4)
        .filter(|_| t.len() == 4 || t.get(4..6) == Some("JJ"))
        .and_then(|y| y.parse().ok())
}

/// The table row of each source code (after the year filter).
fn rows_by_code(
    table: &Table,
    code_col: usize,
    year: Option<i32>,
) -> Result<HashMap<String, usize>> {
    let ycol = year_column(table);
    let mut years: Vec<i32> = Vec::new();
    let mut rows: HashMap<String, usize> = HashMap::with_capacity(table.len());
    for r in 0..table.len() {
        let line = table.line(r).unwrap_or(0);
        if let Some(yc) = ycol {
            let cell = table.cell_at(r, yc).unwrap_or("");
            let y = parse_year(cell).with_context(|| {
                format!(
                    "{}: line {line}, column {}: `{}` is not a year (expected e.g. 2019 or 2019JJ00)",
                    table.path.display(),
                    table.headers[yc],
                    cell.trim()
                )
            })?;
            if !years.contains(&y) {
                years.push(y);
            }
            if year.is_some_and(|want| want != y) {
                continue;
            }
        }
        let code = table.cell_at(r, code_col).unwrap_or("").trim().to_string();
        if let Some(first) = rows.insert(code.clone(), r) {
            bail!(
                "{}: line {line}: code {code} appears again (first on line {}); {}",
                table.path.display(),
                table.line(first).unwrap_or(0),
                if ycol.is_some() {
                    "pass --year to pick one year"
                } else {
                    "each area must appear once"
                }
            );
        }
    }
    if let (Some(yc), None, true) = (ycol, year, years.len() > 1) {
        bail!(
            "{}: column {} holds several years ({years:?}); pass --year",
            table.path.display(),
            table.headers[yc]
        );
    }
    Ok(rows)
}

/// Read the numeric columns of the table for the source codes.
fn indicators(table: &Table, codes: &[&str], args: &CrosswalkArgs) -> Result<Indicators> {
    let code_col = table.default_code_column().with_context(|| {
        format!(
            "{}: no area code column found (expected e.g. code, statcode, WijkenEnBuurten, or a column of codes)",
            table.path.display()
        )
    })?;
    let ycol = year_column(table);
    let rows = rows_by_code(table, code_col, args.year)?;
    let source_rows: Vec<Option<usize>> = codes.iter().map(|c| rows.get(*c).copied()).collect();
    let decimal_comma = table.delimiter == b';';
    let mut columns = Vec::new();
    let mut text_columns = Vec::new();
    for (ci, header) in table.headers.iter().enumerate() {
        // A CBS column goes by its KWB short code (AantalInwoners_5 → a_inw), so that the
        // output feeds a build with the nl-cbs profile and --population a_inw finds it.
        let name = table
            .canonical
            .get(ci)
            .and_then(Clone::clone)
            .unwrap_or_else(|| header.clone());
        let name = &name;
        if ci == code_col
            || Some(ci) == ycol
            || args.exclude.contains(name)
            || args.exclude.contains(header)
        {
            continue;
        }
        let parsed: Result<Vec<Option<f64>>, String> = source_rows
            .iter()
            .map(|r| {
                r.map_or(Ok(None), |r| {
                    parse_number(table.cell_at(r, ci).unwrap_or(""), decimal_comma)
                })
            })
            .collect();
        match parsed {
            Ok(values) if values.iter().any(Option::is_some) => {
                let extensive = if args.extensive.is_empty() {
                    name.starts_with("a_") || args.population.as_ref() == Some(name)
                } else {
                    args.extensive.contains(name) || args.population.as_ref() == Some(name)
                };
                let kind = if extensive {
                    Kind::Extensive
                } else {
                    Kind::Intensive
                };
                columns.push(Column {
                    name: name.clone(),
                    kind,
                    values,
                });
            }
            _ => text_columns.push(name.clone()),
        }
    }
    for name in args.extensive.iter().chain(&args.population) {
        if !columns.iter().any(|c| &c.name == name) {
            bail!(
                "{}: column {name} (named by --extensive or --population) is not a numeric column of the table; numeric columns: {}",
                table.path.display(),
                columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let population = args
        .population
        .as_ref()
        .and_then(|p| columns.iter().position(|c| &c.name == p));
    Ok(Indicators {
        code_header: table.headers[code_col].clone(),
        year_header: ycol.map(|y| table.headers[y].clone()),
        columns,
        population,
        without_row: codes
            .iter()
            .zip(&source_rows)
            .filter(|(_, r)| r.is_none())
            .map(|(c, _)| (*c).to_string())
            .collect(),
        text_columns,
    })
}

/// A number for the CSV: at most six decimals, without trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The interpolated table: one row per target.
fn write_csv(xw: &Crosswalk, ind: &Indicators, est: &[Vec<Estimate>], year: Option<i32>) -> String {
    let mut out = String::new();
    let mut header = vec![field(&ind.code_header)];
    let year_col = ind.year_header.as_ref().zip(year);
    if let Some((h, _)) = year_col {
        header.push(field(h));
    }
    header.extend(ind.columns.iter().map(|c| field(&c.name)));
    header.extend(["interpolated", "crosswalk", "sources"].map(String::from));
    out.push_str(&header.join(","));
    out.push('\n');
    for (ti, t) in xw.targets.iter().enumerate() {
        let mut row = vec![field(&t.code)];
        if let Some((_, y)) = year_col {
            row.push(y.to_string());
        }
        row.extend(
            est.iter()
                .map(|e| e[ti].value.map(number).unwrap_or_default()),
        );
        let unchanged = t.class == Class::Same && t.renamed_from(&xw.sources).is_none();
        row.push((!unchanged).to_string());
        row.push(t.class.name().to_string());
        let sources: Vec<String> = t
            .links
            .iter()
            .map(|l| {
                format!(
                    "{}:{}",
                    xw.sources[l.source].code,
                    number((l.weight * 1e4).round() / 1e4)
                )
            })
            .collect();
        row.push(field(&sources.join("|")));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Codes of the targets in each class.
fn targets_by_class(xw: &Crosswalk) -> BTreeMap<&'static str, Vec<&str>> {
    Class::ALL
        .iter()
        .map(|&c| {
            let codes = xw
                .targets
                .iter()
                .filter(|t| t.class == c)
                .map(|t| t.code.as_str())
                .collect();
            (c.name(), codes)
        })
        .collect()
}

/// Per column: its kind, weighting, missing targets and (extensive) totals.
fn column_reports(xw: &Crosswalk, ind: &Indicators, est: &[Vec<Estimate>]) -> Vec<Json> {
    ind.columns
        .iter()
        .zip(est)
        .map(|(c, e)| {
            let missing: Vec<&str> = xw
                .targets
                .iter()
                .zip(e)
                .filter(|(_, e)| e.value.is_none())
                .map(|(t, _)| t.code.as_str())
                .collect();
            let mut j = json!({
                "name": c.name,
                "kind": match c.kind { Kind::Extensive => "extensive", Kind::Intensive => "intensive" },
                "weighting": match (c.kind, ind.population) {
                    (Kind::Extensive, _) => "area share of the source",
                    (Kind::Intensive, Some(_)) => "population",
                    (Kind::Intensive, None) => "area",
                },
                "sources_with_value": c.values.iter().filter(|v| v.is_some()).count(),
                "targets_missing": missing.len(),
                "missing_targets": missing,
            });
            if c.kind == Kind::Extensive {
                let source_total: f64 = c.values.iter().flatten().sum();
                let covered: f64 = c
                    .values
                    .iter()
                    .zip(&xw.sources)
                    .filter_map(|(v, s)| v.map(|v| v * s.covered_share.min(1.0)))
                    .sum();
                let target_total: f64 = e.iter().filter_map(|e| e.value).sum();
                j["source_total"] = json!(source_total);
                j["source_total_covered"] = json!(covered);
                j["target_total"] = json!(target_total);
            }
            j
        })
        .collect()
}

/// The report JSON.
fn report(xw: &Crosswalk, ind: &Indicators, est: &[Vec<Estimate>], args: &CrosswalkArgs) -> Json {
    let counts: BTreeMap<&str, usize> = xw
        .class_counts()
        .into_iter()
        .map(|(c, n)| (c.name(), n))
        .collect();
    let renamed: Vec<Json> = xw
        .targets
        .iter()
        .filter_map(|t| {
            t.renamed_from(&xw.sources)
                .map(|f| json!({"from": f, "to": t.code}))
        })
        .collect();
    let uncovered: Vec<Json> = xw
        .targets
        .iter()
        .filter(|t| t.class == Class::Uncovered)
        .map(|t| json!({"code": t.code, "covered_share": (t.covered_share * 1e4).round() / 1e4}))
        .collect();
    let not_covered: Vec<&str> = xw
        .sources
        .iter()
        .filter(|s| !s.zero_area && s.targets == 0)
        .map(|s| s.code.as_str())
        .collect();
    let zero_sources: Vec<&str> = xw
        .sources
        .iter()
        .filter(|s| s.zero_area)
        .map(|s| s.code.as_str())
        .collect();
    let zero_targets: Vec<&str> = xw
        .targets
        .iter()
        .filter(|t| t.area <= 0.0)
        .map(|t| t.code.as_str())
        .collect();
    let source_area: f64 = xw.sources.iter().map(|s| s.area).sum();
    json!({
        "from_areas": args.from_areas.display().to_string(),
        "to_areas": args.to_areas.display().to_string(),
        "indicators": args.indicators.display().to_string(),
        "year": args.year,
        "areas_in": "EPSG:28992 (RD New), m²",
        "tolerances": {
            "sliver": xw.options.sliver,
            "same": xw.options.same,
            "max_missing": args.max_missing,
        },
        "sources": xw.sources.len(),
        "targets": xw.targets.len(),
        "classes": counts,
        "targets_by_class": targets_by_class(xw),
        "renamed": renamed,
        "uncovered": uncovered,
        "sources_not_covered": not_covered,
        "zero_area_sources": zero_sources,
        "zero_area_targets": zero_targets,
        "sources_without_row": ind.without_row,
        "slivers": {
            "count": xw.slivers.count,
            "area_m2": xw.slivers.area,
            "share_of_source_area": if source_area > 0.0 { xw.slivers.area / source_area } else { 0.0 },
        },
        "text_columns_left_out": ind.text_columns,
        "columns": column_reports(xw, ind, est),
    })
}

/// The lines printed at the end of a run.
fn summary(xw: &Crosswalk, ind: &Indicators, report: &Json) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "crosswalk: {} source areas → {} target areas (areas in RD New)",
        xw.sources.len(),
        xw.targets.len()
    );
    for (c, n) in xw.class_counts() {
        let _ = writeln!(s, "  {:<9} {n}", c.name());
    }
    let n = |k: &str| report[k].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        s,
        "renamed {}, sources not covered {}, zero-area sources {}, zero-area targets {}, sources without a row {}",
        n("renamed"),
        n("sources_not_covered"),
        n("zero_area_sources"),
        n("zero_area_targets"),
        ind.without_row.len()
    );
    let _ = writeln!(
        s,
        "slivers dropped as noise: {} ({:.4} % of the source area)",
        xw.slivers.count,
        report["slivers"]["share_of_source_area"]
            .as_f64()
            .unwrap_or(0.0)
            * 100.0
    );
    for c in report["columns"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or("");
        let missing = c["targets_missing"].as_u64().unwrap_or(0);
        match (c["source_total"].as_f64(), c["target_total"].as_f64()) {
            (Some(src), Some(tgt)) => {
                let _ = writeln!(
                    s,
                    "  {name} (extensive): sources {src:.0}, covered {:.0}, targets {tgt:.0}; {missing} targets missing",
                    c["source_total_covered"].as_f64().unwrap_or(0.0)
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "  {name} ({}): {missing} targets missing",
                    c["weighting"].as_str().unwrap_or("")
                );
            }
        }
    }
    s
}
