//! Comparison indicators: tables of values per area code (any level) and year, from the atlas's
//! `comparison.csv` or a `--compare` CSV.

use std::path::Path;

use crate::error::ServerError;

/// One value of a comparison table.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    /// The area code, as in the file.
    pub code: String,
    /// The year; `None` when the table has no year column (the value holds for every year).
    pub year: Option<i32>,
    /// One value per column of [`CompareTable::columns`].
    pub values: Vec<Option<f64>>,
}

/// A table of comparison indicators.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompareTable {
    /// Where it was read from (the file name), for the report.
    pub source: String,
    /// The indicator columns (ids).
    pub columns: Vec<String>,
    /// Display names of the columns, where known (else the id).
    pub names: Vec<String>,
    /// The rows.
    pub rows: Vec<CompareRow>,
}

/// A number as written in the table: `1.5`, `1,5` (decimal comma), empty, `.` or `NA` for
/// missing.
fn number(cell: &str) -> Result<Option<f64>, String> {
    let t = cell.trim();
    if t.is_empty() || t == "." || t == "-" || t.eq_ignore_ascii_case("na") {
        return Ok(None);
    }
    let v: f64 = t
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("`{t}` is not a number"))?;
    Ok(v.is_finite().then_some(v))
}

impl CompareTable {
    /// Reads a comparison CSV at `path`: a header with a code column (`code`, else the first
    /// column whose name ends in `code`, else the first column), optionally `year` or `jaar`,
    /// and numeric columns. `,` or `;` separated (`;` allows decimal commas); a byte-order mark
    /// is ignored.
    ///
    /// # Errors
    /// [`ServerError::Atlas`] naming the file, line and column of a cell that is not a number
    /// or year, or a file without indicator columns.
    pub fn read(path: &Path) -> Result<CompareTable, ServerError> {
        let bytes = std::fs::read(path).map_err(|cause| ServerError::Io {
            path: path.to_path_buf(),
            action: "cannot read",
            cause,
        })?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        CompareTable::parse(&bytes, &name).map_err(|message| ServerError::Atlas {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses the bytes of a comparison CSV (see [`CompareTable::read`]); `source` names it.
    ///
    /// # Errors
    /// A message naming the line and column of a bad cell.
    pub fn parse(bytes: &[u8], source: &str) -> Result<CompareTable, String> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let delimiter = if first_line.contains(&b';') && !first_line.contains(&b',') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("the header: {e}"))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
        let code = lower
            .iter()
            .position(|h| h == "code")
            .or_else(|| lower.iter().position(|h| h.ends_with("code")))
            .unwrap_or(0);
        let year = lower.iter().position(|h| h == "year" || h == "jaar");
        let records = reader
            .records()
            .enumerate()
            .map(|(i, r)| r.map_err(|e| format!("line {}: {e}", i + 2)))
            .collect::<Result<Vec<_>, _>>()?;
        // Indicator columns: every column but the code and the year, less text columns (no
        // cell a number, such as a name); a column mixing numbers and text is an error.
        let value_cols: Vec<usize> = (0..header.len())
            .filter(|&c| c != code && Some(c) != year)
            .filter(|&c| {
                records
                    .iter()
                    .any(|r| number(r.get(c).unwrap_or_default()).is_ok_and(|v| v.is_some()))
            })
            .collect();
        if value_cols.is_empty() {
            return Err(format!(
                "no indicator columns: expected a code column, optionally `year`, and numeric columns; found {}",
                header.join(", ")
            ));
        }
        let mut rows = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let line = i + 2;
            let cell = |c: usize| record.get(c).unwrap_or_default();
            let code_value = cell(code).trim().to_string();
            if code_value.is_empty() {
                continue;
            }
            let year_value = match year {
                Some(y) => Some(cell(y).trim().parse::<i32>().map_err(|_| {
                    format!(
                        "line {line}, column `{}`: `{}` is not a year",
                        header[y],
                        cell(y)
                    )
                })?),
                None => None,
            };
            let values = value_cols
                .iter()
                .map(|&c| {
                    number(cell(c)).map_err(|e| format!("line {line}, column `{}`: {e}", header[c]))
                })
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(CompareRow {
                code: code_value,
                year: year_value,
                values,
            });
        }
        let columns: Vec<String> = value_cols.iter().map(|&c| header[c].clone()).collect();
        Ok(CompareTable {
            source: source.to_string(),
            names: columns.clone(),
            columns,
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_code_year_and_values_in_both_dialects() {
        let t = CompareTable::parse(
            b"\xEF\xBB\xBFgwb_code;jaar;opkomst;armoede\nGM0001;2020;55,5;.\nBU01;2021;;3\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(t.columns, ["opkomst", "armoede"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].code, "GM0001");
        assert_eq!(t.rows[0].year, Some(2020));
        assert_eq!(t.rows[0].values, [Some(55.5), None]);
        assert_eq!(t.rows[1].values, [None, Some(3.0)]);
        // A text column (a name) is no indicator; the code column is found by its name.
        let t = CompareTable::parse(b"name,code,v\nA,BU1,1.25\n", "y.csv").unwrap();
        assert_eq!(t.columns, ["v"]);
        assert_eq!(t.rows[0].code, "BU1");
        assert_eq!(t.rows[0].year, None);
    }

    #[test]
    fn a_bad_cell_names_its_line_and_column() {
        let e = CompareTable::parse(b"code,year,v\nBU1,2020,1\nBU1,2021,x\n", "z.csv").unwrap_err();
        assert!(e.contains("line 3") && e.contains("`v`"), "{e}");
    }
}
