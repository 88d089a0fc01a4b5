//! `scores.csv`: the index per area and year, one row per area-year in (year, code) order
//! (`docs/METHOD-IMPLEMENTATION.md`). Its columns are `code, year, population, eligible,
//! mdi_score, mdi_rank, mdi_decile`, then `<domain>_score, <domain>_rank, <domain>_decile` per
//! domain, then `domains_in_worst_decile, domains_missing, excluded_reason, reason`. Missing
//! values are empty cells. Readers find columns by their header name, never by position.
//!
//! `reason` is the short code of [`Reason`] for an area-year without an MDI. A build adds a row
//! for every area of the map that has no row in a year's tables (`reason` = `no-row`, every
//! value empty), so that each grey area of that year has its reason here.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use mdi_core::{AreaResult, Scores};

use crate::error::{FormatError, Result, invalid};
use crate::reason::Reason;

/// The columns before the domains.
const LEADING: [&str; 7] = [
    "code",
    "year",
    "population",
    "eligible",
    "mdi_score",
    "mdi_rank",
    "mdi_decile",
];

/// The columns after the domains.
const TRAILING: [&str; 4] = [
    "domains_in_worst_decile",
    "domains_missing",
    "excluded_reason",
    "reason",
];

/// `<domain>_score`, `<domain>_rank`, `<domain>_decile`.
fn domain_columns(domain: &str) -> [String; 3] {
    [
        format!("{domain}_score"),
        format!("{domain}_rank"),
        format!("{domain}_decile"),
    ]
}

/// The header of the scores table for these domains, in order.
pub fn header(domains: &[String]) -> Vec<String> {
    let mut h: Vec<String> = LEADING.map(String::from).to_vec();
    for d in domains {
        h.extend(domain_columns(d));
    }
    h.extend(TRAILING.map(String::from));
    h
}

/// A score with its rank and decile (1 = most deprived).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cells {
    /// The score.
    pub score: Option<f64>,
    /// The rank, 1 = most deprived.
    pub rank: Option<usize>,
    /// The decile, 1 = most deprived 10%.
    pub decile: Option<u8>,
}

/// One row of `scores.csv`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreRow {
    /// The area code.
    pub code: String,
    /// The year.
    pub year: i32,
    /// Inhabitants.
    pub population: Option<f64>,
    /// Ranked in this year.
    pub eligible: bool,
    /// The MDI.
    pub mdi: Cells,
    /// Per domain, in the order asked of [`read_scores`]; all empty for a domain the file lacks.
    pub domains: Vec<Cells>,
    /// Number of domains in decile 1.
    pub domains_in_worst_decile: Option<u8>,
    /// The domain ids without data (their weight was re-spread).
    pub domains_missing: Vec<String>,
    /// Why the area-year was not ranked, in words.
    pub excluded_reason: Option<String>,
    /// Why the area-year has no MDI, as a code (`None` for a ranked area-year, and in files
    /// written before the column existed).
    pub reason: Option<Reason>,
}

/// An area-year of the map without a row in that year's tables (written with reason `no-row`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unscored {
    /// The year.
    pub year: i32,
    /// The area code.
    pub code: String,
}

/// A row to write: a computed one, or an area-year without a row in the tables.
enum Out<'a> {
    Scored(&'a AreaResult),
    Unscored(&'a Unscored),
}

impl Out<'_> {
    fn key(&self) -> (i32, &str) {
        match self {
            Out::Scored(r) => (r.year, &r.code),
            Out::Unscored(u) => (u.year, &u.code),
        }
    }
}

/// Appends a number for the CSV: integers without decimals, others with up to 6.
fn push_num(buf: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(buf, "{v:.0}");
    } else {
        let start = buf.len();
        let _ = write!(buf, "{v:.6}");
        let keep = buf[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        buf.truncate(start + keep);
    }
}

/// Writes the scores table as CSV, one row per area and year, in (year, code) order: the rows
/// of `scores`, and for each of `unscored` a row with only its code, year and reason `no-row`.
///
/// # Errors
/// Any error of the writer.
pub fn write_scores<W: Write>(
    scores: &Scores,
    unscored: &[Unscored],
    out: W,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header(&scores.domain_ids))?;
    // One reusable buffer per field: no allocation per cell.
    let mut buf = String::with_capacity(64);
    let mut field = |w: &mut csv::Writer<W>, f: &dyn Fn(&mut String)| -> csv::Result<()> {
        buf.clear();
        f(&mut buf);
        w.write_field(buf.as_bytes())
    };
    let num = |v: Option<f64>| move |b: &mut String| v.into_iter().for_each(|v| push_num(b, v));
    let int = |v: Option<usize>| {
        move |b: &mut String| {
            if let Some(v) = v {
                let _ = write!(b, "{v}");
            }
        }
    };
    let mut rows: Vec<Out<'_>> = scores.rows.iter().map(Out::Scored).collect();
    rows.extend(unscored.iter().map(Out::Unscored));
    rows.sort_by(|a, b| a.key().cmp(&b.key()));
    let empty = header(&scores.domain_ids).len() - 3;
    for row in rows {
        let r = match row {
            Out::Scored(r) => r,
            Out::Unscored(u) => {
                field(&mut w, &|b| b.push_str(&u.code))?;
                field(&mut w, &|b| {
                    let _ = write!(b, "{}", u.year);
                })?;
                for _ in 0..empty {
                    w.write_field("")?;
                }
                field(&mut w, &|b| b.push_str(Reason::NoRow.code()))?;
                w.write_record(None::<&[u8]>)?;
                continue;
            }
        };
        field(&mut w, &|b| b.push_str(&r.code))?;
        field(&mut w, &|b| {
            let _ = write!(b, "{}", r.year);
        })?;
        field(&mut w, &num(r.population))?;
        field(&mut w, &|b| {
            b.push_str(if r.exclusion.is_none() {
                "true"
            } else {
                "false"
            });
        })?;
        field(&mut w, &num(r.mdi_score))?;
        field(&mut w, &int(r.mdi_rank))?;
        field(&mut w, &int(r.mdi_decile.map(usize::from)))?;
        for d in &r.domains {
            field(&mut w, &num(d.score))?;
            field(&mut w, &int(d.rank))?;
            field(&mut w, &int(d.decile.map(usize::from)))?;
        }
        field(&mut w, &int(r.domains_in_worst_decile.map(usize::from)))?;
        field(&mut w, &|b| {
            for (k, d) in r.domains_missing.iter().enumerate() {
                if k > 0 {
                    b.push(' ');
                }
                b.push_str(&scores.domain_ids[d]);
            }
        })?;
        field(&mut w, &|b| {
            if let Some(e) = &r.exclusion {
                b.push_str(&e.describe(&scores.domain_ids));
            }
        })?;
        field(&mut w, &|b| {
            if let Some(e) = &r.exclusion {
                b.push_str(Reason::from(e).code());
            }
        })?;
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()?;
    Ok(())
}

/// The positions of the columns of one file, found by header name.
struct Layout {
    code: usize,
    year: usize,
    population: Option<usize>,
    eligible: Option<usize>,
    mdi: [Option<usize>; 3],
    domains: Vec<[Option<usize>; 3]>,
    domains_in_worst_decile: Option<usize>,
    domains_missing: Option<usize>,
    excluded_reason: Option<usize>,
    reason: Option<usize>,
}

impl Layout {
    fn new(path: &Path, headers: &csv::StringRecord, domains: &[String]) -> Result<Layout> {
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let three = |[s, r, d]: [String; 3]| [col(&s), col(&r), col(&d)];
        let (Some(code), Some(year)) = (col("code"), col("year")) else {
            return Err(invalid(
                path,
                "expected the columns `code` and `year` in the header row",
            ));
        };
        Ok(Layout {
            code,
            year,
            population: col("population"),
            eligible: col("eligible"),
            mdi: three(domain_columns("mdi")),
            domains: domains.iter().map(|d| three(domain_columns(d))).collect(),
            domains_in_worst_decile: col("domains_in_worst_decile"),
            domains_missing: col("domains_missing"),
            excluded_reason: col("excluded_reason"),
            reason: col("reason"),
        })
    }

    fn row(
        &self,
        record: &csv::StringRecord,
        at: impl Fn(&str) -> FormatError,
    ) -> Result<ScoreRow> {
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        let parse = |c: Option<usize>, what: &str| -> Result<Option<f64>> {
            let text = cell(c);
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<f64>().map(Some).map_err(|_| {
                at(&format!(
                    "`{what}` is `{text}`: expected a number or an empty cell"
                ))
            })
        };
        let whole = |c: Option<usize>, what: &str| -> Result<Option<usize>> {
            Ok(parse(c, what)?
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v as usize))
        };
        let cells = |[s, r, d]: &[Option<usize>; 3], what: &str| -> Result<Cells> {
            Ok(Cells {
                score: parse(*s, &format!("{what}_score"))?.filter(|v| v.is_finite()),
                rank: whole(*r, &format!("{what}_rank"))?,
                decile: whole(*d, &format!("{what}_decile"))?.and_then(|d| u8::try_from(d).ok()),
            })
        };
        let year_text = cell(Some(self.year));
        let year = year_text
            .parse::<i32>()
            .map_err(|_| at(&format!("`year` is `{year_text}`: expected a year")))?;
        Ok(ScoreRow {
            code: cell(Some(self.code)).to_string(),
            year,
            population: parse(self.population, "population")?,
            eligible: cell(self.eligible) == "true",
            mdi: cells(&self.mdi, "mdi")?,
            domains: self
                .domains
                .iter()
                .map(|c| cells(c, "domain"))
                .collect::<Result<_>>()?,
            domains_in_worst_decile: whole(
                self.domains_in_worst_decile,
                "domains_in_worst_decile",
            )?
            .and_then(|d| u8::try_from(d).ok()),
            domains_missing: cell(self.domains_missing)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            excluded_reason: Some(cell(self.excluded_reason))
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            reason: match cell(self.reason) {
                "" => None,
                code => Some(Reason::parse(code).ok_or_else(|| {
                    at(&format!(
                        "`reason` is `{code}`: expected one of {}",
                        Reason::ALL.map(Reason::code).join(", ")
                    ))
                })?),
            },
        })
    }
}

/// Reads the `scores.csv` at `path`, calling `each` with every row in file order. `domains`
/// are the domain ids whose columns [`ScoreRow::domains`] holds, in that order.
///
/// # Errors
/// [`FormatError::Io`] when it cannot be opened, [`FormatError::Invalid`] naming the line and
/// column when a row cannot be read or a cell is not a number where one is expected.
pub fn read_scores(path: &Path, domains: &[String], each: &mut dyn FnMut(ScoreRow)) -> Result<()> {
    let file = std::fs::File::open(path).map_err(crate::error::io(path, "cannot read"))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
    let headers = reader
        .headers()
        .map_err(|e| invalid(path, format!("no header row: {e}")))?
        .clone();
    let layout = Layout::new(path, &headers, domains)?;
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(invalid(path, format!("line {line}: {e}"))),
        }
        let at = |message: &str| invalid(path, format!("line {line}: {message}"));
        each(layout.row(&record, at)?);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_decimals_without_trailing_zeros() {
        let mut b = String::new();
        push_num(&mut b, 12.0);
        b.push(' ');
        push_num(&mut b, 0.125);
        b.push(' ');
        push_num(&mut b, 1.0 / 3.0);
        assert_eq!(b, "12 0.125 0.333333");
    }

    #[test]
    fn rows_are_read_by_header_name_in_any_column_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        // Columns shuffled, one domain absent from the file, an extra column.
        std::fs::write(
            &path,
            "year,extra,code,mdi_decile,werk_score,werk_rank,werk_decile,eligible,excluded_reason,domains_missing\n\
             2020,x,BU1,3,55.5,7,2,true,,inkomen\n\
             2020,x,BU2,,,,,false,population 45 below minimum 100,\n",
        )
        .unwrap();
        let mut rows = Vec::new();
        let domains = ["inkomen".to_string(), "werk".to_string()];
        read_scores(&path, &domains, &mut |r| rows.push(r)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].code.as_str(), rows[0].year), ("BU1", 2020));
        assert_eq!(rows[0].mdi.decile, Some(3));
        assert_eq!(rows[0].domains[0], Cells::default());
        assert_eq!(
            rows[0].domains[1],
            Cells {
                score: Some(55.5),
                rank: Some(7),
                decile: Some(2)
            }
        );
        assert!(rows[0].eligible && !rows[1].eligible);
        assert_eq!(rows[0].domains_missing, vec!["inkomen"]);
        assert_eq!(
            rows[1].excluded_reason.as_deref(),
            Some("population 45 below minimum 100")
        );
    }

    #[test]
    fn a_bad_cell_names_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        std::fs::write(&path, "code,year,mdi_score\nBU1,2020,1.5\nBU2,2020,abc\n").unwrap();
        let e = read_scores(&path, &[], &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("scores.csv") && e.contains("line 3") && e.contains("mdi_score"),
            "{e}"
        );
        std::fs::write(&path, "area,year\n").unwrap();
        let e = read_scores(&path, &[], &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("`code` and `year`"), "{e}");
    }
}
