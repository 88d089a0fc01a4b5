//! Helpers shared by the end-to-end tests: run the real binary, find the shared data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/data` beside the repository (or `MDI_DATA_DIR`), if present.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MDI_DATA_DIR")
        .map_or_else(|| repo().join("../shared/data"), PathBuf::from);
    dir.is_dir().then_some(dir)
}

/// Print why a test is skipped (visible with `--nocapture` and in the test log).
pub fn skip(why: &str) {
    eprintln!("SKIPPED: {why}");
}

/// Run `mdi-atlas` with `args`.
pub fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mdi-atlas"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("mdi-atlas runs")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Read a CSV file into a header and rows of strings.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|x| x.expect("row").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The rows of a scores table as maps from column name to cell.
pub fn read_scores(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let (h, rows) = read_csv(path);
    rows.into_iter()
        .map(|r| h.iter().cloned().zip(r).collect())
        .collect()
}

/// Run one of the independent Python checkers of `tests/gis/` and parse the JSON it prints.
/// `None` (with a printed reason) when it exits 3 for want of a Python package outside CI; in
/// CI (`CI` set) that is a failure, as is any other non-zero exit.
pub fn python_json(script: &str, args: &[&std::ffi::OsStr]) -> Option<serde_json::Value> {
    let o = std::process::Command::new("python3")
        .arg(repo().join("tests/gis").join(script))
        .args(args)
        .output()
        .expect("python3 runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(3) && std::env::var_os("CI").is_none() {
        skip(&format!("{script} needs Python packages: {}", err.trim()));
        return None;
    }
    eprintln!("{err}");
    assert!(
        o.status.success(),
        "{script} failed ({:?}):\n{out}\n{err}",
        o.status.code()
    );
    Some(serde_json::from_str(&out).unwrap_or_else(|e| panic!("{script} prints JSON: {e}\n{out}")))
}
