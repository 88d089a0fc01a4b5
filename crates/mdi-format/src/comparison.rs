//! `comparison.csv`: the profile's comparison variables (`[[comparison]]`: turnout, energy
//! poverty, …), never part of the index, one row per (code, year) with any value. Its header is
//! `code,year,<id1>,<id2>,…` (the comparison ids in profile order); codes are of any level (a
//! row of a gemeente keeps its `GM` code), normalised (no white space, upper case); values are
//! as found in the tables; missing values are empty cells. Rows are in (code, year) order.
//! Readers find `code` and `year` by header name; every other column is a comparison.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use mdi_core::profile::{ComparisonValues, normalise_area_code};

use crate::error::{Result, invalid, io};

/// Writes `values` as `comparison.csv`: the header, then one row per (code, year), in order.
/// Numbers are written in the shortest form that reads back to the same value.
///
/// # Errors
/// Any error of the writer.
pub fn write_comparison<W: Write>(values: &ComparisonValues, out: W) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["code".to_string(), "year".to_string()];
    header.extend(values.ids.iter().cloned());
    w.write_record(&header)?;
    let mut cells: Vec<String> = Vec::with_capacity(header.len());
    for ((code, year), row) in &values.rows {
        cells.clear();
        cells.push(code.clone());
        cells.push(year.to_string());
        cells.extend((0..values.ids.len()).map(|k| {
            row.get(k)
                .copied()
                .flatten()
                .map_or_else(String::new, |v| v.to_string())
        }));
        w.write_record(&cells)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads `comparison.csv` at `path`.
///
/// # Errors
/// [`crate::FormatError::Io`] when it cannot be read, [`crate::FormatError::Invalid`] as
/// [`parse_comparison`].
pub fn read_comparison(path: &Path) -> Result<ComparisonValues> {
    let bytes = std::fs::read(path).map_err(io(path, "cannot read"))?;
    parse_comparison(path, &bytes)
}

/// Parses the bytes of a `comparison.csv` (`path` names it in errors). [`ComparisonValues::sources`]
/// is empty.
///
/// # Errors
/// [`crate::FormatError::Invalid`], naming the line and column, when the header lacks `code`
/// or `year`, a year is not a whole number, a value is not a number or an empty cell, or a
/// (code, year) is given twice.
pub fn parse_comparison(path: &Path, bytes: &[u8]) -> Result<ComparisonValues> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = r
        .headers()
        .map_err(|e| invalid(path, format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(code), Some(year)) = (col("code"), col("year")) else {
        return Err(invalid(
            path,
            "expected the columns `code` and `year` in the header row",
        ));
    };
    let value_columns: Vec<usize> = (0..headers.len())
        .filter(|&c| c != code && c != year)
        .collect();
    let ids: Vec<String> = value_columns
        .iter()
        .map(|&c| headers[c].trim().to_string())
        .collect();
    let mut rows: BTreeMap<(String, i32), Vec<Option<f64>>> = BTreeMap::new();
    for (i, record) in r.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| invalid(path, format!("line {line}: {e}")))?;
        let cell = |c: usize| record.get(c).map_or("", str::trim);
        let y = cell(year).parse::<i32>().map_err(|_| {
            invalid(
                path,
                format!("line {line}, column `year`: `{}` is not a year", cell(year)),
            )
        })?;
        let values = value_columns
            .iter()
            .zip(&ids)
            .map(|(&c, id)| match cell(c) {
                "" => Ok(None),
                text => text.parse::<f64>().map(Some).map_err(|_| {
                    invalid(
                        path,
                        format!(
                            "line {line}, column `{id}`: `{text}` is not a number or an empty cell"
                        ),
                    )
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        let key = (normalise_area_code(cell(code)), y);
        if rows.insert(key.clone(), values).is_some() {
            return Err(invalid(
                path,
                format!(
                    "line {line}: code {} and year {} are given twice",
                    key.0, key.1
                ),
            ));
        }
    }
    Ok(ComparisonValues {
        sources: vec![Vec::new(); ids.len()],
        ids,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ComparisonValues {
        let mut rows = BTreeMap::new();
        rows.insert(("BU00140000".to_string(), 2020), vec![Some(71.25), None]);
        rows.insert(("GM0014".to_string(), 2020), vec![Some(0.1), Some(-3.0)]);
        rows.insert(("GM0014".to_string(), 2021), vec![None, Some(1e-7)]);
        ComparisonValues {
            ids: vec!["opkomst".into(), "energiearmoede".into()],
            rows,
            sources: vec![Vec::new(), Vec::new()],
        }
    }

    #[test]
    fn a_comparison_table_reads_back_as_written() {
        let values = sample();
        let mut buf = Vec::new();
        write_comparison(&values, &mut buf).unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        assert_eq!(
            text,
            "code,year,opkomst,energiearmoede\nBU00140000,2020,71.25,\nGM0014,2020,0.1,-3\nGM0014,2021,,0.0000001\n"
        );
        assert_eq!(parse_comparison(Path::new("c.csv"), &buf).unwrap(), values);
    }

    #[test]
    fn columns_are_found_by_name_and_codes_normalised() {
        let text = b"opkomst,year,code\n55.5,2019, bu0014 0000\n";
        let v = parse_comparison(Path::new("c.csv"), text).unwrap();
        assert_eq!(v.ids, ["opkomst"]);
        assert_eq!(v.get("BU00140000", 2019), Some(&[Some(55.5)][..]));
    }

    #[test]
    fn bad_cells_are_named() {
        let e = parse_comparison(Path::new("c.csv"), b"code,year,x\nGM1,2020,abc\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.csv") && e.contains("line 2") && e.contains("`x`"),
            "{e}"
        );
        let e = parse_comparison(Path::new("c.csv"), b"code,x\nGM1,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`year`"), "{e}");
        let e = parse_comparison(Path::new("c.csv"), b"code,year,x\nGM1,2020,1\ngm1,2020,2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("twice"), "{e}");
    }
}
