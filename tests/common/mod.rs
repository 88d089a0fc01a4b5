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

/// Print why a test is skipped (visible with `--nocapture` and in the test log). In CI (`CI`
/// set) with `../shared/data` present nothing may skip: `.ci/run` installs every tool, and the
/// data is there, so a skip there is a failure (a test that never runs cannot fail).
pub fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none() || data_dir().is_none(),
        "{why} (CI is set and the shared data is present, so this test may not skip)"
    );
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

/// Run one of the independent Python checkers (`tests/gis/<script>`, or `tests/<dir>/<script>`
/// when `script` names a folder) and parse the JSON it prints.
/// `None` (with a printed reason) when it exits 3 for want of a Python package outside CI; in
/// CI (`CI` set) that is a failure, as is any other non-zero exit.
pub fn python_json(script: &str, args: &[&std::ffi::OsStr]) -> Option<serde_json::Value> {
    let o = std::process::Command::new("python3")
        .arg(if script.contains('/') {
            repo().join("tests").join(script)
        } else {
            repo().join("tests/gis").join(script)
        })
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

/// The national inputs: the 2014 buurten (TopoJSON) and the 2024 KWB subset.
pub struct Nl2014 {
    /// `nl/cbs_buurt_2014.topojson.gz`.
    pub topo: PathBuf,
    /// `nl/kwb_2024_buurt_subset.csv.gz`.
    pub kwb: PathBuf,
}

/// The national inputs, or `None` with a printed reason where `../shared/data` lacks them.
pub fn nl_2014() -> Option<Nl2014> {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found: the national build needs the 2014 buurten and the KWB 2024 subset",
        );
        return None;
    };
    let inputs = Nl2014 {
        topo: data.join("nl/cbs_buurt_2014.topojson.gz"),
        kwb: data.join("nl/kwb_2024_buurt_subset.csv.gz"),
    };
    if !inputs.topo.exists() || !inputs.kwb.exists() {
        skip(
            "nl/cbs_buurt_2014.topojson.gz or nl/kwb_2024_buurt_subset.csv.gz is absent from ../shared/data",
        );
        return None;
    }
    Some(inputs)
}

/// Build the national atlas (2014 buurten, KWB 2024, `--min-domains 3`) into `atlas`, with
/// `extra` arguments; panics with the error output if the build fails.
pub fn build_nl_2014(inputs: &Nl2014, atlas: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        inputs.kwb.to_str().expect("UTF-8 path"),
        "--year",
        "2024",
        "--min-domains",
        "3",
        "--areas",
        inputs.topo.to_str().expect("UTF-8 path"),
        "--out",
        atlas.to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    o
}
