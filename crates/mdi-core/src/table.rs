//! Indicator tables: CSV files (optionally gzip-compressed) with one row per area and year,
//! read with the CBS conventions, and joined on the area code into one [`Panel`].
//!
//! Conventions accepted: a UTF-8 byte-order mark; `,`, `;` or tab as separator (detected from the
//! header); `.` or an empty cell, with surrounding spaces, as missing; decimal comma or point;
//! thousands separators inside quoted cells (`"29,199"`); codes padded with spaces; CBS periods
//! (`2017JJ00`) in the year column.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cbs::{Identity, Level};
use crate::error::{CoreError, Location, Result};
use crate::profile::{ColumnRef, Decimal, MissingColumns, Profile, Source};

/// Header names tried for the area code when the profile names none that is present.
const DEFAULT_CODE_COLUMNS: &[&str] = &[
    "code",
    "area_code",
    "statcode",
    "buurtcode",
    "wijkcode",
    "gemeentecode",
    "gwb_code_10",
    "gwb_code",
    "WijkenEnBuurten",
    "RegioS",
    "regiocode",
    "LSOA code (2011)",
    "lsoa11cd",
];

/// A table as read from disk: the header and the raw cells, not yet interpreted.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it was read from.
    pub path: PathBuf,
    /// The header names, trimmed of surrounding spaces.
    pub headers: Vec<String>,
    /// The KWB short code of each header ([`crate::cbs::Vocabulary::canonical`]), by the
    /// table's `DataProperties` first when one lies beside it; `None` for other headers.
    pub canonical: Vec<Option<String>>,
    /// The identity role of each header (region code, name, gemeente name, kind), if any.
    pub identity: Vec<Option<Identity>>,
    /// The field separator found in the header line (`;` for a spreadsheet).
    pub delimiter: u8,
    /// The year of every row of a table without a year column; `None` takes the run's default.
    pub year: Option<i32>,
    /// Whether `decimal = "auto"` reads a decimal comma: `;` tables, KWB short-code tables and
    /// spreadsheets.
    auto_comma: bool,
    /// The rows with their 1-based line numbers.
    rows: Vec<(u64, csv::StringRecord)>,
}

/// One row of a table as a CBS region: its code, level, name and gemeente name.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow<'a> {
    /// The 1-based line (or spreadsheet row) number.
    pub line: u64,
    /// The trimmed code: the first non-empty of the table's code columns.
    pub code: &'a str,
    /// The level from the code's prefix, else from the region kind cell.
    pub level: Option<Level>,
    /// The level named by the region kind cell (`SoortRegio`, `recs`), if any.
    pub kind: Option<Level>,
    /// The region's own name (trimmed, non-empty), if the table has a name column.
    pub name: Option<&'a str>,
    /// The name of the row's gemeente (trimmed, non-empty), if the table has one.
    pub gemeente_name: Option<&'a str>,
    /// The name of the row's wijk (trimmed, non-empty), if the table has one.
    pub wijk_name: Option<&'a str>,
}

impl Table {
    /// Read a table from a file; `.gz` files (or any file starting with the gzip magic bytes) are
    /// decompressed on the fly. A spreadsheet (`.xlsx`, `.xls`, or a file starting with the zip or
    /// OLE magic bytes) is read through `calamine` ([`crate::cbs_xlsx`]). When a
    /// `<stem>.DataProperties.json` lies beside the file, its Key → Title map names the columns
    /// first ([`crate::cbs::data_properties_path`]).
    ///
    /// # Errors
    /// [`CoreError::Io`] if the file cannot be read or decompressed, [`CoreError::Table`] if it
    /// is not valid UTF-8 CSV, a row has the wrong number of fields, a spreadsheet has no header
    /// row, or the `DataProperties` file is malformed.
    pub fn read(path: &Path) -> Result<Table> {
        let io = |source| CoreError::Io {
            path: path.to_path_buf(),
            cause: source,
        };
        if path.is_dir() {
            return Err(io(std::io::Error::other(
                "it is a folder; expected an indicator table (CSV or .xlsx)",
            )));
        }
        let raw = std::fs::read(path).map_err(io)?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::with_capacity(raw.len() * 4);
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(io)?;
            out
        } else {
            raw
        };
        let mut table = if crate::cbs_xlsx::is_spreadsheet(path, &bytes) {
            crate::cbs_xlsx::read(path, bytes)?
        } else {
            Table::from_bytes(path, &bytes)?
        };
        let dp = crate::cbs::data_properties_path(path);
        if dp.is_file() {
            let titles = crate::cbs::read_data_properties(&dp)?;
            table.apply_titles(&titles);
        }
        Ok(table)
    }

    /// Parse CSV bytes; `path` is used in error messages.
    ///
    /// # Errors
    /// As [`Table::read`].
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Table> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let table_err = |line: u64, column: String, message: String| CoreError::Table {
            at: Location {
                path: path.to_path_buf(),
                line,
                column: 0,
            },
            column,
            message,
        };
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            return Err(table_err(
                1,
                "-".into(),
                "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8 CSV".into(),
            ));
        }
        if let Some(at) = bytes.iter().take(64 * 1024).position(|&b| b == 0) {
            return Err(table_err(
                line_of(bytes, at),
                "-".into(),
                format!(
                    "byte {at} is a NUL byte: this is a binary file (or UTF-16 text), not a UTF-8 CSV table"
                ),
            ));
        }
        let delimiter = detect_delimiter(bytes);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| table_err(1, "-".into(), format!("cannot read the header: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        check_headers(path, 1, &headers)?;
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                let start = e.position().map_or(0, |p| p.byte() as usize);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        let mut m =
                            format!("this row has {len} fields, the header has {expected_len}");
                        if let Some(hint) = separator_hint(bytes, start, delimiter) {
                            m.push_str("; ");
                            m.push_str(&hint);
                        }
                        m
                    }
                    csv::ErrorKind::Utf8 { .. } => not_utf8(bytes, start),
                    _ => e.to_string(),
                };
                table_err(line, "-".into(), message)
            })?;
            let line = rec.position().map_or(0, csv::Position::line);
            rows.push((line, rec));
        }
        Ok(Table::new(
            path,
            headers,
            delimiter,
            rows,
            delimiter == b';',
        ))
    }

    /// A table from its parts; `comma` says whether `decimal = "auto"` reads a decimal comma
    /// (it does also for a KWB short-code table, one with a `gwb_code_10`, `gwb_code` or `recs`
    /// header).
    pub(crate) fn new(
        path: &Path,
        headers: Vec<String>,
        delimiter: u8,
        rows: Vec<(u64, csv::StringRecord)>,
        comma: bool,
    ) -> Table {
        let vocabulary = crate::cbs::vocabulary();
        let canonical = headers
            .iter()
            .map(|h| vocabulary.canonical(h).map(str::to_string))
            .collect();
        let identity = headers.iter().map(|h| crate::cbs::identity(h)).collect();
        let kwb = headers.iter().any(|h| {
            let h = h.to_ascii_lowercase();
            h == "gwb_code_10" || h == "gwb_code" || h == "recs"
        });
        Table {
            path: path.to_path_buf(),
            headers,
            canonical,
            identity,
            delimiter,
            year: None,
            auto_comma: comma || kwb,
            rows,
        }
    }

    /// The same table with `year` as the year of its rows when it has no year column; it takes
    /// precedence over the run's default year.
    #[must_use]
    pub fn with_year(mut self, year: i32) -> Table {
        self.year = Some(year);
        self
    }

    /// Name the columns by an OData `DataProperties` Key → Title map: a header that is a Key
    /// gets the short code of its Title, when the vocabulary knows the title.
    pub fn apply_titles(&mut self, titles: &BTreeMap<String, String>) {
        let vocabulary = crate::cbs::vocabulary();
        for (h, c) in self.headers.iter().zip(self.canonical.iter_mut()) {
            if let Some(code) = titles.get(h).and_then(|t| vocabulary.canonical_title(t)) {
                *c = Some(code.to_string());
            }
        }
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The trimmed cell of data row `row` (0-based) under `header` (exact header name);
    /// `None` when there is no such row or column.
    pub fn cell(&self, row: usize, header: &str) -> Option<&str> {
        let c = self.column_index(header)?;
        self.rows.get(row)?.1.get(c).map(str::trim)
    }

    /// The index of the first header with the given KWB short code (see [`Table::canonical`]).
    pub fn canonical_index(&self, code: &str) -> Option<usize> {
        self.canonical
            .iter()
            .position(|c| c.as_deref() == Some(code))
    }

    /// Every row as a CBS region: code (the first non-empty identity code column), level, kind
    /// and names. Rows without any code are left out.
    pub fn regions(&self) -> Vec<RegionRow<'_>> {
        let role = |r: Identity| self.identity.iter().position(|i| *i == Some(r));
        let codes: Vec<usize> = (0..self.headers.len())
            .filter(|&i| self.identity[i] == Some(Identity::Code))
            .collect();
        let (name, gm, wk, kind) = (
            role(Identity::Name),
            role(Identity::GemeenteName),
            role(Identity::WijkName),
            role(Identity::Kind),
        );

        let mut out = Vec::with_capacity(self.rows.len());
        for (line, rec) in &self.rows {
            let code = row_code(rec, &codes);
            if code.is_empty() {
                continue;
            }
            let kind_cell = text_cell(rec, kind);
            out.push(RegionRow {
                line: *line,
                code,
                level: Level::of_row(code, kind_cell),
                kind: kind_cell.and_then(Level::from_kind),
                name: text_cell(rec, name),
                gemeente_name: text_cell(rec, gm),
                wijk_name: text_cell(rec, wk),
            });
        }
        out
    }

    pub(crate) fn column_index(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.headers.iter().position(|h| h == name)
    }

    /// The code columns: the primary one (as [`Table::code_column`]) and then every other
    /// identity code column, tried in order when a row's primary cell is empty.
    pub(crate) fn code_columns(&self, profile: &Profile) -> Result<Vec<usize>> {
        let primary = self.code_column(profile)?;
        let mut all = vec![primary];
        all.extend(
            (0..self.headers.len())
                .filter(|&i| i != primary && self.identity[i] == Some(Identity::Code)),
        );
        Ok(all)
    }

    fn code_column(&self, profile: &Profile) -> Result<usize> {
        for name in profile
            .input
            .code_columns
            .iter()
            .map(String::as_str)
            .chain(DEFAULT_CODE_COLUMNS.iter().copied())
        {
            if let Some(i) = self.column_index(name) {
                return Ok(i);
            }
        }
        if let Some(i) = self
            .identity
            .iter()
            .position(|r| *r == Some(Identity::Code))
        {
            return Ok(i);
        }
        // Detection: the first column whose first values all look like area codes.
        (0..self.headers.len())
            .find(|&c| {
                let sample: Vec<&str> = self
                    .rows
                    .iter()
                    .filter_map(|(_, r)| r.get(c).map(str::trim))
                    .filter(|v| !v.is_empty())
                    .take(20)
                    .collect();
                !sample.is_empty() && sample.iter().all(|v| looks_like_code(v))
            })
            .ok_or_else(|| CoreError::NoCodeColumn {
                path: self.path.clone(),
                looked_for: profile
                    .input
                    .code_columns
                    .iter()
                    .map(String::as_str)
                    .chain(DEFAULT_CODE_COLUMNS.iter().copied())
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub(crate) fn decimal_comma(&self, mode: Decimal) -> bool {
        match mode {
            Decimal::Comma => true,
            Decimal::Point => false,
            Decimal::Auto => self.auto_comma,
        }
    }
}

/// The trimmed, non-empty cell of column `c` of a row.
fn text_cell(rec: &csv::StringRecord, c: Option<usize>) -> Option<&str> {
    c.and_then(|c| rec.get(c))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The code of a row: the first non-empty, trimmed cell of `columns`; empty when all are.
fn row_code<'r>(rec: &'r csv::StringRecord, columns: &[usize]) -> &'r str {
    columns
        .iter()
        .filter_map(|&c| rec.get(c).map(str::trim))
        .find(|v| !v.is_empty())
        .unwrap_or("")
}

/// A header must not be empty as a whole, and no name may repeat.
pub(crate) fn check_headers(path: &Path, line: u64, headers: &[String]) -> Result<()> {
    if headers.iter().all(String::is_empty) {
        return Err(CoreError::Table {
            at: Location {
                path: path.to_path_buf(),
                line,
                column: 0,
            },
            column: "-".into(),
            message: "the header line is empty".into(),
        });
    }
    for (i, h) in headers.iter().enumerate() {
        let repeated = headers[..i].iter().position(|x| x == h);
        if let (Some(j), false) = (repeated, h.is_empty()) {
            return Err(CoreError::Table {
                at: Location {
                    path: path.to_path_buf(),
                    line,
                    column: i as u64 + 1,
                },
                column: h.clone(),
                message: format!("the header repeats column {}", j + 1),
            });
        }
    }
    Ok(())
}

/// Cell access for tools that read a table without a profile (the crosswalk).
impl Table {
    /// The cell at a 0-based data row and column, as written (untrimmed).
    pub fn cell_at(&self, row: usize, column: usize) -> Option<&str> {
        self.rows.get(row).and_then(|(_, r)| r.get(column))
    }

    /// The 1-based line number of a 0-based data row, for error messages.
    pub fn line(&self, row: usize) -> Option<u64> {
        self.rows.get(row).map(|(l, _)| *l)
    }

    /// The code column without a profile: the first of the default names that is present,
    /// else the first column whose values look like area codes.
    pub fn default_code_column(&self) -> Option<usize> {
        DEFAULT_CODE_COLUMNS
            .iter()
            .find_map(|n| self.column_index(n))
            .or_else(|| {
                (0..self.headers.len()).find(|&c| {
                    let sample: Vec<&str> = self
                        .rows
                        .iter()
                        .filter_map(|(_, r)| r.get(c).map(str::trim))
                        .filter(|v| !v.is_empty())
                        .take(20)
                        .collect();
                    !sample.is_empty() && sample.iter().all(|v| looks_like_code(v))
                })
            })
    }
}

/// An area code: letters then digits or letters, at least one of each, no spaces.
fn looks_like_code(v: &str) -> bool {
    (4..=16).contains(&v.len())
        && v.chars().all(|c| c.is_ascii_alphanumeric())
        && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && v.chars().any(|c| c.is_ascii_digit())
}

/// The 1-based line of byte `at`.
fn line_of(bytes: &[u8], at: usize) -> u64 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// The line starting at byte `start` (without its line end).
fn line_at(bytes: &[u8], start: usize) -> &[u8] {
    let rest = bytes.get(start..).unwrap_or(&[]);
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end])
}

/// The number of fields of `line` split on `sep` outside double quotes.
fn fields_on(line: &[u8], sep: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 1;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            n += 1;
        }
    }
    n
}

fn separator_name(sep: u8) -> &'static str {
    match sep {
        b',' => "','",
        b';' => "';'",
        _ => "tab",
    }
}

/// Where a row's field count differs from the header's because the file mixes separators:
/// says which separator the header splits on, and which one the row looks separated by.
fn separator_hint(bytes: &[u8], row_start: usize, delimiter: u8) -> Option<String> {
    let header = line_at(bytes, 0);
    let row = line_at(bytes, row_start);
    let header_fields = fields_on(header, delimiter);
    let other = [b',', b';', b'\t']
        .into_iter()
        .filter(|&c| c != delimiter)
        .find(|&c| fields_on(row, c) == header_fields && header_fields > 1)?;
    Some(format!(
        "the header splits into {header_fields} fields on {}, but the file looks {}-separated (this row splits into {header_fields} fields on {}); write the header and the rows with one separator",
        separator_name(delimiter),
        separator_name(other),
        separator_name(other)
    ))
}

/// The message for a row that is not UTF-8: the first bad byte, its place on the line, and
/// what it probably is.
fn not_utf8(bytes: &[u8], row_start: usize) -> String {
    let line = line_at(bytes, row_start);
    let Err(e) = std::str::from_utf8(line) else {
        return "the row is not valid UTF-8".to_string();
    };
    let at = e.valid_up_to();
    let byte = line[at];
    let latin1 = if byte >= 0xA0 {
        format!(" (Latin-1 / Windows-1252 for `{}`)", char::from(byte))
    } else {
        String::new()
    };
    format!(
        "the row is not valid UTF-8: byte {} of the line is 0x{byte:02X}{latin1}, after `{}`; save the whole file as UTF-8",
        at + 1,
        excerpt(&String::from_utf8_lossy(&line[at.saturating_sub(20)..at]))
    )
}

/// A cell or name shown in a message: whole when short, else its first 40 characters and its
/// length, so that a 10 MB cell is never echoed whole.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let n = text.chars().count();
    if n <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(40).collect();
        format!("{head}… ({n} characters)")
    }
}

fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for &b in header {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for c in &mut counts {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map_or(b',', |c| c.0)
}

/// Parse one cell. `Ok(None)` is missing (`.` or empty, with any surrounding spaces).
///
/// With `decimal_comma`, `,` is the decimal separator and `.` may group thousands (`1.234,5`);
/// otherwise `.` is the decimal separator and `,` may group thousands (`29,199`), and a lone comma
/// that cannot be a thousands separator (`1,5`) is read as a decimal comma.
///
/// # Errors
/// A message saying what was expected, when the cell is not a number.
pub fn parse_number(cell: &str, decimal_comma: bool) -> std::result::Result<Option<f64>, String> {
    let t = cell.trim();
    if t.is_empty() || t == "." {
        return Ok(None);
    }
    if let Some(v) = simple_number(t, decimal_comma) {
        return Ok(Some(v));
    }
    let (group, dec) = if decimal_comma {
        ('.', ',')
    } else {
        (',', '.')
    };
    let normalised: String = if t.contains(group) && t.contains(dec) {
        if !grouped(t, group, dec) {
            return Err(not_a_number(t));
        }
        t.chars()
            .filter(|&c| c != group)
            .map(|c| if c == dec { '.' } else { c })
            .collect()
    } else if t.contains(',') {
        // Only commas: thousands in point mode when the grouping fits, a decimal comma otherwise.
        if !decimal_comma && grouped(t, ',', '.') {
            t.replace(',', "")
        } else if t.matches(',').count() == 1 {
            t.replace(',', ".")
        } else {
            return Err(not_a_number(t));
        }
    } else {
        t.to_string()
    };
    let plain = normalised.strip_prefix(['-', '+']).unwrap_or(&normalised);
    let mantissa = plain.split(['e', 'E']).next().unwrap_or("");
    if mantissa.is_empty()
        || !mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        || !mantissa.chars().any(|c| c.is_ascii_digit())
    {
        return Err(not_a_number(t));
    }
    match normalised.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(not_a_number(t)),
    }
}

/// The common cases without allocating: `[sign] digits [separator digits]`, the separator read
/// by the same rules as [`parse_number`]. `None` sends the cell to the general path.
fn simple_number(t: &str, decimal_comma: bool) -> Option<f64> {
    let b = t.as_bytes();
    let body = b
        .strip_prefix(b"-")
        .or_else(|| b.strip_prefix(b"+"))
        .unwrap_or(b);
    if body.is_empty() || body.len() > 60 {
        return None;
    }
    let mut sep = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {}
            b'.' | b',' if sep.is_none() => sep = Some(i),
            _ => return None,
        }
    }
    let mut buf = [0u8; 64];
    buf[..b.len()].copy_from_slice(b);
    if let Some(i) = sep {
        if i == 0 || i + 1 == body.len() {
            return None;
        }
        // A comma in point mode that groups thousands (`29,199`) goes to the general path.
        let thousands = body[i] == b','
            && !decimal_comma
            && i <= 3
            && body[0] != b'0'
            && body.len() - i - 1 == 3;
        if thousands {
            return None;
        }
        buf[b.len() - body.len() + i] = b'.';
    }
    std::str::from_utf8(&buf[..b.len()])
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn not_a_number(t: &str) -> String {
    format!(
        "`{}` is not a number (expected e.g. 12, 12.5, 12,5, \"1,234\", or `.`/empty for missing)",
        excerpt(t)
    )
}

/// `-1,234,567.89` style grouping with `group` every three digits and an optional `dec` part.
fn grouped(t: &str, group: char, dec: char) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = match t.split_once(dec) {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let mut parts = int.split(group);
    let first = parts.next().unwrap_or("");
    // A leading group of `0` is never written before thousands (`0,250` is a decimal comma).
    let ok_first = (1..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_digit())
        && !first.starts_with('0');
    let mut n = 0;
    let ok_rest = parts.all(|p| {
        n += 1;
        p.len() == 3 && p.chars().all(|c| c.is_ascii_digit())
    });
    let ok_frac = frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()));
    ok_first && ok_rest && n > 0 && ok_frac
}

/// Parse a year cell: `2019`, or a CBS period such as `2017JJ00`.
pub(crate) fn parse_year(cell: &str) -> Option<i32> {
    let t = cell.trim();
    let digits = match (t.len(), t.get(4..), t.get(..4)) {
        (8, Some(rest), Some(year)) if rest.starts_with("JJ") => year,
        _ => t,
    };
    digits
        .parse::<i32>()
        .ok()
        .filter(|y| (1000..=9999).contains(y))
}

/// Where a column named by the profile was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedColumn {
    /// The name used in the profile.
    pub name: String,
    /// The first table and header it was found under (the one that wins where tables
    /// overlap), or `None` if it is in no table.
    pub found: Option<(PathBuf, String)>,
    /// Every table and header that supplied the column, in argument order (the first is
    /// `found`).
    pub sources: Vec<(PathBuf, String)>,
}

/// All tables joined on (area code, year), sorted by code and then year, with the columns that
/// the profile uses parsed as numbers.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Area codes, trimmed, one per row (shared with the results, which clone them cheaply).
    pub codes: Vec<Arc<str>>,
    /// Years, one per row.
    pub years: Vec<i32>,
    /// Parsed values by profile column name; `None` = missing.
    pub columns: BTreeMap<String, Vec<Option<f64>>>,
    /// How each profile column was resolved.
    pub resolved: Vec<ResolvedColumn>,
    /// Rows skipped because their code is not an area of the profile (by code prefix).
    pub skipped: BTreeMap<String, usize>,
    /// Text attributes that the area hierarchy reads from the tables (a parent's code and name,
    /// [`crate::profile::ParentRule::Column`]): column name → area code → first non-empty value.
    pub text: BTreeMap<String, BTreeMap<String, String>>,
    /// Region names from every table, for every code of every level seen (skipped rows
    /// included): code → trimmed name. A row's own name column names its code; a gemeente name
    /// column names `GM` + code\[2..6\]; a wijk name column names `WK` + code\[2..8\]. The first
    /// table (in argument order) that names a code wins.
    pub names: BTreeMap<String, String>,
    /// The codes of the index unit (the rows kept) per year.
    pub codes_by_year: BTreeMap<i32, BTreeSet<Arc<str>>>,
    /// Per profile column: how many (code, year) cells two tables both gave with values that
    /// differ by more than rounding (the first table's value is kept).
    pub conflicts: BTreeMap<String, usize>,
    /// Per profile column: how many values an `[[input.missing]]` rule read as missing.
    pub missing_read: BTreeMap<String, usize>,
}

/// The key columns of one table: the area code and, if it has one, the year.
struct Keys {
    /// Index of the code column first, then the other code columns tried when it is empty.
    codes: Vec<usize>,
    /// Index of the year column; `None` when the table takes the default year.
    year: Option<usize>,
    /// The year of a table without a year column: its own, else the run's default.
    default_year: Option<i32>,
}

/// The panel rows that the tables' rows fall on.
struct Rows<'a> {
    /// Per table, per table row: its panel row, or `None` for a skipped row.
    row_keys: Vec<Vec<Option<usize>>>,
    /// The distinct (code, year) keys, each with its provisional panel row (the order of first
    /// appearance).
    ids: HashMap<(&'a str, i32), usize>,
    /// Rows skipped because their code is not an area of the profile, by code prefix.
    skipped: BTreeMap<String, usize>,
}

impl Panel {
    /// Join `tables` on (code, year) and parse the columns that `profile` uses.
    ///
    /// A table without a year column takes its own year ([`Table::with_year`]), else `year`,
    /// else the profile's. A column may be found in several tables (under its name, an alias,
    /// or a header with the same KWB short code, [`crate::cbs`]): each fills its own rows, the
    /// first table in argument order wins where two give a value for the same (code, year), and
    /// values that differ by more than rounding are counted in [`Panel::conflicts`].
    ///
    /// # Errors
    /// [`CoreError::NoCodeColumn`], [`CoreError::NoYear`], [`CoreError::DuplicateAreaYear`],
    /// [`CoreError::Table`] for a cell that is not a number or a bad year, and
    /// [`CoreError::Column`] for a column that is in no table (when the profile does not allow
    /// that).
    pub fn build(profile: &Profile, tables: &[Table], year: Option<i32>) -> Result<Panel> {
        let default_year = year.or(profile.year);
        let keys = table_keys(profile, tables, default_year)?;
        let mut rows = table_rows(profile, tables, &keys)?;
        if rows.ids.is_empty() {
            return Err(no_rows_error(profile, tables, &rows.skipped));
        }
        let (codes, years) = renumber(&mut rows);
        let mut columns = BTreeMap::new();
        let mut resolved = Vec::new();
        let mut conflicts = BTreeMap::new();
        let mut missing_read = BTreeMap::new();
        for c in needed_columns(profile) {
            if columns.contains_key(&c.name) {
                continue;
            }
            let hits = find_column(profile, tables, c)?;
            let mut values = vec![None; codes.len()];
            let mut differ = 0;
            for &(ti, ci) in &hits {
                let t = &tables[ti];
                let these = parse_column(profile, t, ci, &rows.row_keys[ti], codes.len())?;
                for (v, new) in values.iter_mut().zip(these) {
                    match (*v, new) {
                        (None, Some(_)) => *v = new,
                        (Some(a), Some(b)) if !agree(a, b) => differ += 1,
                        _ => {}
                    }
                }
            }
            if differ > 0 {
                conflicts.insert(c.name.clone(), differ);
            }
            let read_as_missing = apply_missing_rules(profile, &c.name, &years, &mut values);
            if read_as_missing > 0 {
                missing_read.insert(c.name.clone(), read_as_missing);
            }
            if values.iter().flatten().any(|v| *v < 0.0)
                && let Some(role) = count_role(profile, &c.name)
            {
                return Err(negative_count(
                    profile, tables, &rows, &hits, &values, &role,
                ));
            }
            let sources: Vec<(PathBuf, String)> = hits
                .iter()
                .map(|&(ti, ci)| (tables[ti].path.clone(), tables[ti].headers[ci].clone()))
                .collect();
            resolved.push(ResolvedColumn {
                name: c.name.clone(),
                found: sources.first().cloned(),
                sources,
            });
            if !hits.is_empty() {
                columns.insert(c.name.clone(), values);
            }
        }
        let text = text_columns(profile, tables, &keys, &rows.row_keys);
        let mut codes_by_year: BTreeMap<i32, BTreeSet<Arc<str>>> = BTreeMap::new();
        for (c, y) in codes.iter().zip(&years) {
            codes_by_year.entry(*y).or_default().insert(c.clone());
        }
        Ok(Panel {
            codes,
            years,
            columns,
            resolved,
            skipped: rows.skipped,
            text,
            names: region_names(tables),
            codes_by_year,
            conflicts,
            missing_read,
        })
    }

    /// Number of area-year rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Whether two values of one cell agree up to rounding: they differ by at most half a unit
/// of the last decimal of the less precise one (25.7 and 26 agree; 74,317 and 74,320 do not).
fn agree(a: f64, b: f64) -> bool {
    fn decimals(v: f64) -> i32 {
        (0..=6)
            .find(|&k| {
                let s = v * 10f64.powi(k);
                (s - s.round()).abs() < 1e-6 * s.abs().max(1.0)
            })
            .unwrap_or(6)
    }
    let d = decimals(a).min(decimals(b));
    (a - b).abs() <= 0.5 * 10f64.powi(-d) + 1e-9 * a.abs().max(b.abs())
}

/// Region names from every row of every table: see [`Panel::names`].
fn region_names(tables: &[Table]) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for t in tables {
        for r in t.regions() {
            if let Some(n) = r.name {
                names
                    .entry(r.code.to_string())
                    .or_insert_with(|| n.to_string());
            }
            let parent = |prefix: &str, end: usize, level_ok: bool| {
                (level_ok && r.code.len() >= end && r.code.is_char_boundary(end))
                    .then(|| format!("{prefix}{}", &r.code[2..end]))
            };
            let in_gemeente = matches!(r.level, Some(Level::Gemeente | Level::Wijk | Level::Buurt));
            let in_wijk = matches!(r.level, Some(Level::Wijk | Level::Buurt));
            if let (Some(n), Some(gm)) = (r.gemeente_name, parent("GM", 6, in_gemeente)) {
                names.entry(gm).or_insert_with(|| n.to_string());
            }
            if let (Some(n), Some(wk)) = (r.wijk_name, parent("WK", 8, in_wijk)) {
                names.entry(wk).or_insert_with(|| n.to_string());
            }
        }
    }
    names
}

/// Step 1 of the join: the key columns of every table. A table without a year column needs a
/// default year (the profile's, or the one given for the run).
fn table_keys(profile: &Profile, tables: &[Table], default_year: Option<i32>) -> Result<Vec<Keys>> {
    let mut keys = Vec::with_capacity(tables.len());
    for t in tables {
        let codes = t.code_columns(profile)?;
        let ycol = profile
            .input
            .year_columns
            .iter()
            .find_map(|y| t.column_index(y));
        let default_year = t.year.or(default_year);
        if ycol.is_none() && default_year.is_none() {
            return Err(CoreError::NoYear {
                path: t.path.clone(),
                looked_for: profile
                    .input
                    .year_columns
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        keys.push(Keys {
            codes,
            year: ycol,
            default_year,
        });
    }
    Ok(keys)
}

/// Step 2 of the join: (code, year) → provisional panel row, in order of first appearance.
/// Rows whose code has none of the profile's prefixes are skipped and counted; an empty code,
/// a bad year and a (code, year) twice in one table are errors.
fn table_rows<'a>(profile: &Profile, tables: &'a [Table], keys: &[Keys]) -> Result<Rows<'a>> {
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut row_keys: Vec<Vec<Option<usize>>> = Vec::with_capacity(tables.len());
    let mut ids: HashMap<(&str, i32), usize> = HashMap::new();
    for (t, k) in tables.iter().zip(keys) {
        let mut seen: HashMap<(&str, i32), u64> = HashMap::with_capacity(t.rows.len());
        let mut these = Vec::with_capacity(t.rows.len());
        for (line, rec) in &t.rows {
            let code = row_code(rec, &k.codes);
            if code.is_empty() {
                return Err(CoreError::Table {
                    at: Location {
                        path: t.path.clone(),
                        line: *line,
                        column: k.codes[0] as u64 + 1,
                    },
                    column: t.headers[k.codes[0]].clone(),
                    message: "empty area code".into(),
                });
            }
            if !profile.input.code_prefixes.is_empty()
                && !profile
                    .input
                    .code_prefixes
                    .iter()
                    .any(|p| code.starts_with(p.as_str()))
            {
                let prefix: String = code.chars().take_while(char::is_ascii_alphabetic).collect();
                *skipped
                    .entry(if prefix.is_empty() {
                        excerpt(code)
                    } else {
                        prefix
                    })
                    .or_default() += 1;
                these.push(None);
                continue;
            }
            let y = row_year(t, k, *line, rec)?;
            let key = (code, y);
            if let Some(first) = seen.insert(key, *line) {
                return Err(CoreError::DuplicateAreaYear {
                    at: Location {
                        path: t.path.clone(),
                        line: *line,
                        column: k.codes[0] as u64 + 1,
                    },
                    code: excerpt(code),
                    year: y,
                    first_line: first,
                });
            }
            let next = ids.len();
            these.push(Some(*ids.entry(key).or_insert(next)));
        }
        row_keys.push(these);
    }
    Ok(Rows {
        row_keys,
        ids,
        skipped,
    })
}

/// The year of one table row: its year cell, or the default year for a table without one.
fn row_year(t: &Table, k: &Keys, line: u64, rec: &csv::StringRecord) -> Result<i32> {
    Ok(match k.year {
        Some(yc) => {
            let cell = rec.get(yc).unwrap_or("");
            parse_year(cell).ok_or_else(|| CoreError::Table {
                at: Location {
                    path: t.path.clone(),
                    line,
                    column: yc as u64 + 1,
                },
                column: t.headers[yc].clone(),
                message: format!(
                    "`{}` is not a year (expected e.g. 2019 or 2019JJ00)",
                    excerpt(cell.trim())
                ),
            })?
        }
        None => k.default_year.unwrap_or_default(),
    })
}

/// The error when no row is left: the tables are empty, or every code was skipped.
fn no_rows_error(
    profile: &Profile,
    tables: &[Table],
    skipped: &BTreeMap<String, usize>,
) -> CoreError {
    let why = if skipped.is_empty() {
        let names: Vec<String> = tables
            .iter()
            .map(|t| t.path.display().to_string())
            .collect();
        format!(
            "the tables hold no rows, only a header ({})",
            names.join(", ")
        )
    } else {
        format!(
            "no code starts with {:?}; skipped {}",
            profile.input.code_prefixes,
            skipped
                .iter()
                .map(|(p, n)| format!("{n} × {p}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    CoreError::Empty(why)
}

/// Renumber the panel rows in (code, year) order, in place in `rows.row_keys`; returns the
/// code and the year of each panel row. Codes are one allocation per area, shared by its
/// years.
fn renumber(rows: &mut Rows<'_>) -> (Vec<Arc<str>>, Vec<i32>) {
    let mut keys: Vec<((&str, i32), usize)> = rows.ids.iter().map(|(k, v)| (*k, *v)).collect();
    keys.sort_unstable();
    let mut final_index = vec![0usize; keys.len()];
    for (i, (_, provisional)) in keys.iter().enumerate() {
        final_index[*provisional] = i;
    }
    for these in &mut rows.row_keys {
        for k in these.iter_mut().flatten() {
            *k = final_index[*k];
        }
    }
    let mut codes: Vec<Arc<str>> = Vec::with_capacity(keys.len());
    for ((c, _), _) in &keys {
        match codes.last() {
            Some(prev) if &**prev == *c => codes.push(prev.clone()),
            _ => codes.push(Arc::from(*c)),
        }
    }
    let years: Vec<i32> = keys.iter().map(|((_, y), _)| *y).collect();
    (codes, years)
}

/// Step 3 of the join: the columns the profile reads, in order: the population, then each
/// indicator's column or numerator and denominators (a column may be named more than once).
fn needed_columns(profile: &Profile) -> Vec<&ColumnRef> {
    let mut needed: Vec<&ColumnRef> = Vec::new();
    if let Some(p) = &profile.input.population {
        needed.push(p);
    }
    for (_, ind) in profile.indicators() {
        needed.extend(ind.column_refs());
    }
    needed
}

/// The (table, column) pairs that hold a profile column, in table order: in each table the
/// first of its name and aliases that is a header, else the first header with the same KWB
/// short code as one of them ([`crate::cbs::Vocabulary::canonical`]). Empty when no table has it
/// and that is allowed (a population column without a minimum population, or
/// `missing_columns = "report"`).
///
/// # Errors
/// [`CoreError::Column`] when the column is in no table and required.
fn find_column(profile: &Profile, tables: &[Table], c: &ColumnRef) -> Result<Vec<(usize, usize)>> {
    let candidates: Vec<&str> = std::iter::once(c.name.as_str())
        .chain(
            profile
                .input
                .aliases
                .get(&c.name)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
        .collect();
    let vocabulary = crate::cbs::vocabulary();
    let codes: Vec<&str> = candidates
        .iter()
        .filter_map(|cand| vocabulary.canonical(cand))
        .collect();
    let hits: Vec<(usize, usize)> = tables
        .iter()
        .enumerate()
        .filter_map(|(ti, t)| {
            candidates
                .iter()
                .find_map(|cand| t.column_index(cand))
                .or_else(|| codes.iter().find_map(|code| t.canonical_index(code)))
                .map(|ci| (ti, ci))
        })
        .collect();
    if !hits.is_empty() {
        return Ok(hits);
    }
    let is_population = profile.input.population.as_ref().is_some_and(|p| p == c);
    let required = if is_population {
        profile.eligibility.min_population > 0.0
    } else {
        profile.input.missing_columns == MissingColumns::Error
    };
    if required {
        return Err(CoreError::Column {
            at: c.at.clone(),
            key: c.key.clone(),
            message: format!(
                "unknown column `{}`: it is in none of the tables ({}){}",
                c.name,
                tables
                    .iter()
                    .map(|t| t.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if candidates.len() > 1 {
                    format!(", nor are its aliases {:?}", &candidates[1..])
                } else {
                    String::new()
                }
            ),
        });
    }
    Ok(Vec::new())
}

/// Apply the profile's `[[input.missing]]` rules to the values of `column` (one per panel row,
/// `years` their years); returns how many values were read as missing.
fn apply_missing_rules(
    profile: &Profile,
    column: &str,
    years: &[i32],
    values: &mut [Option<f64>],
) -> usize {
    let rules = &profile.input.missing;
    if rules.is_empty() {
        return 0;
    }
    let mut n = 0;
    for (v, &year) in values.iter_mut().zip(years) {
        if let Some(x) = *v
            && rules.iter().any(|r| r.applies(column, year, x))
        {
            *v = None;
            n += 1;
        }
    }
    n
}

/// What a column counts where the profile reads it as a count (the population, or the
/// numerator or a denominator of a ratio), which can never be negative; `None` otherwise.
fn count_role(profile: &Profile, name: &str) -> Option<String> {
    if profile
        .input
        .population
        .as_ref()
        .is_some_and(|p| p.name == name)
    {
        return Some("the population ([input] population)".to_string());
    }
    profile.indicators().into_iter().find_map(|(_, ind)| {
        ind.sources().find_map(|s| match s {
            Source::Ratio {
                numerator,
                denominator,
            } => {
                if numerator.name == name {
                    Some(format!("the numerator of indicator `{}`", ind.id))
                } else if denominator.iter().any(|d| d.name == name) {
                    Some(format!("a denominator of indicator `{}`", ind.id))
                } else {
                    None
                }
            }
            Source::Column(_) => None,
        })
    })
}

/// The error for the first negative value of a count column (one that `values`, after the
/// missing-value rules, still holds), naming its file, line and column.
fn negative_count(
    profile: &Profile,
    tables: &[Table],
    rows: &Rows<'_>,
    hits: &[(usize, usize)],
    values: &[Option<f64>],
    role: &str,
) -> CoreError {
    for &(ti, ci) in hits {
        let t = &tables[ti];
        let comma = t.decimal_comma(profile.input.decimal);
        for ((line, rec), key) in t.rows.iter().zip(&rows.row_keys[ti]) {
            let Some(key) = key else { continue };
            let cell = rec.get(ci).unwrap_or("");
            let parsed = parse_number(cell, comma).ok().flatten();
            if parsed.is_some_and(|v| v < 0.0) && values[*key].is_some_and(|v| v < 0.0) {
                return CoreError::Table {
                    at: Location {
                        path: t.path.clone(),
                        line: *line,
                        column: ci as u64 + 1,
                    },
                    column: t.headers[ci].clone(),
                    message: format!(
                        "`{}` is negative, but this column is {role}, a count that cannot be negative; correct it, or leave the cell empty (or `.`) for missing",
                        excerpt(cell.trim())
                    ),
                };
            }
        }
    }
    CoreError::Empty(format!("a negative value in a column that is {role}"))
}

/// The numbers of column `ci` of table `t`, spread over `n` panel rows (`row_keys`: the panel
/// row of each table row); rows the table does not have stay missing.
fn parse_column(
    profile: &Profile,
    t: &Table,
    ci: usize,
    row_keys: &[Option<usize>],
    n: usize,
) -> Result<Vec<Option<f64>>> {
    let comma = t.decimal_comma(profile.input.decimal);
    let mut values = vec![None; n];
    for ((line, rec), key) in t.rows.iter().zip(row_keys) {
        let Some(key) = key else { continue };
        let cell = rec.get(ci).unwrap_or("");
        let v = parse_number(cell, comma).map_err(|message| CoreError::Table {
            at: Location {
                path: t.path.clone(),
                line: *line,
                column: ci as u64 + 1,
            },
            column: t.headers[ci].clone(),
            message,
        })?;
        values[*key] = v;
    }
    Ok(values)
}

/// Step 4 of the join: the text columns the hierarchy reads (a parent's code and name, by
/// [`crate::profile::ParentRule::Column`]), kept as text: the first non-empty value per code.
fn text_columns(
    profile: &Profile,
    tables: &[Table],
    keys: &[Keys],
    row_keys: &[Vec<Option<usize>>],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut text: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for level in &profile.levels {
        let Some(crate::profile::ParentRule::Column { code, name }) = &level.parent else {
            continue;
        };
        for col in std::iter::once(code).chain(name) {
            let mut values = BTreeMap::new();
            for ((t, k), rk) in tables.iter().zip(keys).zip(row_keys) {
                let Some(ci) = t.column_index(col) else {
                    continue;
                };
                for ((_, rec), key) in t.rows.iter().zip(rk) {
                    let (Some(_), Some(v)) = (key, rec.get(ci).map(str::trim)) else {
                        continue;
                    };
                    if !v.is_empty() {
                        let c = row_code(rec, &k.codes).to_string();
                        values.entry(c).or_insert_with(|| v.to_string());
                    }
                }
            }
            if !values.is_empty() {
                text.insert(col.clone(), values);
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_cbs_and_english_conventions() {
        assert_eq!(parse_number("  .", false), Ok(None));
        assert_eq!(parse_number("   ", false), Ok(None));
        assert_eq!(parse_number("12", false), Ok(Some(12.0)));
        assert_eq!(parse_number(" 12.5 ", false), Ok(Some(12.5)));
        assert_eq!(parse_number("29,199", false), Ok(Some(29199.0)));
        assert_eq!(parse_number("1,234,567.5", false), Ok(Some(1_234_567.5)));
        assert_eq!(parse_number("1,5", false), Ok(Some(1.5)));
        assert_eq!(parse_number("-0,25", false), Ok(Some(-0.25)));
        assert_eq!(parse_number("0,250", false), Ok(Some(0.25)));
        assert_eq!(parse_number("-1.5", true), Ok(Some(-1.5)));
        assert_eq!(parse_number("12,5", true), Ok(Some(12.5)));
        assert_eq!(parse_number("1.234,5", true), Ok(Some(1234.5)));
        assert_eq!(parse_number("1e3", false), Ok(Some(1000.0)));
        for bad in [
            "abc", "1,2,3", "12a", "nan", "inf", "-", "1.2.3", "1..2", "e5",
        ] {
            assert!(parse_number(bad, false).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn years_and_periods() {
        assert_eq!(parse_year("2019"), Some(2019));
        assert_eq!(parse_year(" 2017JJ00 "), Some(2017));
        assert_eq!(parse_year("19"), None);
        assert_eq!(parse_year("x"), None);
        assert_eq!(
            parse_year("20€JJ0"),
            None,
            "a multi-byte character does not panic"
        );
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b;\"c,d\"\n1;2;3"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n"), b',');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
    }
}
