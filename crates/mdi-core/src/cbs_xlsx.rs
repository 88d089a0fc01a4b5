//! KWB spreadsheets (`kwb-YYYY.xlsx`, older `.xls`) read through `calamine` into a [`Table`].
//!
//! The first sheet is read. The header row is the first row that holds a region code column
//! ([`crate::cbs::Identity::Code`]: `gwb_code_10`, `gwb_code`, `WijkenEnBuurten`, …); rows above
//! it (titles, notes) are skipped, as are wholly empty rows below it. Cells `.`, `x`, `-` and `–`
//! (CBS: missing, secret, nihil) are read as missing; numeric cells keep their value, text cells
//! their text, so a decimal comma in a text cell (`"12,5"`) is read as one (a spreadsheet table
//! reads decimal commas under `decimal = "auto"`).

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use crate::cbs::Identity;
use crate::error::{CoreError, Location, Result};
use crate::table::{Table, check_headers};

/// Whether a file is a spreadsheet: by its extension (`.xlsx`, `.xlsm`, `.xls`) or its first
/// bytes (the zip or the OLE compound-file signature).
pub fn is_spreadsheet(path: &Path, bytes: &[u8]) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xls")
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// The error for a spreadsheet problem at a row (1-based, 0 when unknown).
fn sheet_err(path: &Path, line: u64, message: String) -> CoreError {
    CoreError::Table {
        at: Location {
            path: path.to_path_buf(),
            line,
            column: 0,
        },
        column: "-".into(),
        message,
    }
}

/// Read the first sheet of a spreadsheet held in `bytes`; `path` names it in errors.
///
/// # Errors
/// [`CoreError::Table`] when the bytes are not a spreadsheet calamine can read, the workbook
/// has no sheet, no row holds a code column, the header repeats a name, or a row has a value
/// beyond the last header.
pub fn read(path: &Path, bytes: Vec<u8>) -> Result<Table> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| sheet_err(path, 0, format!("not a readable spreadsheet: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| sheet_err(path, 0, "the workbook has no sheet".into()))?
        .map_err(|e| sheet_err(path, 0, format!("cannot read the first sheet: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let header_at = cells
        .iter()
        .position(|r| {
            r.iter()
                .any(|c| crate::cbs::identity(c) == Some(Identity::Code))
        })
        .ok_or_else(|| {
            sheet_err(
                path,
                0,
                "no header row: no row of the first sheet holds a region code column \
                 (gwb_code_10, gwb_code, WijkenEnBuurten, Codering, buurtcode, statcode)"
                    .into(),
            )
        })?;
    let header_line = first_row + header_at as u64 + 1;
    let mut headers: Vec<String> = cells[header_at]
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    check_headers(path, header_line, &headers)?;
    let mut rows = Vec::new();
    for (i, row) in cells.iter().enumerate().skip(header_at + 1) {
        let line = first_row + i as u64 + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if let Some(extra) = row
            .iter()
            .skip(headers.len())
            .position(|c| !c.trim().is_empty())
        {
            return Err(sheet_err(
                path,
                line,
                format!(
                    "a value in column {} beyond the header's {} columns",
                    headers.len() + extra + 1,
                    headers.len()
                ),
            ));
        }
        let mut rec = csv::StringRecord::with_capacity(0, headers.len());
        for c in 0..headers.len() {
            let v = row.get(c).map_or("", String::as_str);
            rec.push_field(if is_missing_mark(v) { "" } else { v });
        }
        rows.push((line, rec));
    }
    Ok(Table::new(path, headers, b';', rows, true))
}

/// The CBS marks for no figure in a KWB spreadsheet: `.` missing, `x` secret, `-`/`–` nihil or
/// not applicable.
fn is_missing_mark(v: &str) -> bool {
    matches!(v.trim(), "." | "x" | "X" | "-" | "–")
}

/// A cell as text: integers without a decimal point, other numbers in full (never in exponent
/// form), text as is, errors as `#ERROR` (which then fails to parse as a number, with its row).
fn cell_text(d: &Data) -> String {
    match d {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => format!("{f}"),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Data::DateTime(t) => format!("{}", t.as_f64()),
        Data::Error(e) => format!("#ERROR {e}"),
        Data::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_marks() {
        assert_eq!(cell_text(&Data::Float(74317.0)), "74317");
        assert_eq!(cell_text(&Data::Float(0.1)), "0.1");
        assert_eq!(cell_text(&Data::Float(1e20)), "100000000000000000000");
        assert_eq!(cell_text(&Data::Int(-3)), "-3");
        assert!(is_missing_mark(" . ") && is_missing_mark("x") && is_missing_mark("-"));
        assert!(!is_missing_mark("0") && !is_missing_mark("-1"));
        assert!(is_spreadsheet(Path::new("kwb-2023.xlsx"), b""));
        assert!(is_spreadsheet(Path::new("t"), b"PK\x03\x04rest"));
        assert!(!is_spreadsheet(Path::new("t.csv"), b"a,b\n"));
    }
}
