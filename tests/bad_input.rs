//! The bad-input suite: every folder of `tests/bad-input/` is one malformed or hostile input with
//! a `case.toml` saying how `mdi-atlas` is run on it, the exit code it must give and fragments
//! its standard error must hold. One good atlas is built first; every case runs against it
//! (`--out` that atlas where the case is a build), and afterwards every file of the atlas (the
//! resolved path, and the link itself where the path is a symlink) must be byte-identical.
//!
//! `case.toml`:
//!
//! ```toml
//! description = "one line: what is wrong with the input"
//! args = ["build", "--profile", "{repo}/geodata/profiles/nl-cbs.toml", "--out", "{atlas}"]
//! exit = 1
//! stderr = ["fragment that must appear", "another"]
//! stdout = ["fragment of standard output"]   # optional
//! # optional: files written into {tmp} before the run, each a prefix, a text repeated
//! # `times` times, and a suffix (for inputs too large to commit)
//! [generate."big.csv"]
//! prefix = "..."
//! repeat = "9"
//! times = 10000000
//! suffix = "..."
//! ```
//!
//! A case that succeeds (`exit = 0`: an input that is repaired, and says so) writes to `{tmp}`,
//! never to the existing atlas. Placeholders in `args` and the fragments: `{case}` the case folder, `{atlas}` the existing atlas, `{repo}` the
//! repository root, `{tmp}` a scratch folder of the case, `{demo}` the demo region's files
//! (`synthetisch-buurten.fgb`, `synthetisch-indicatoren.csv`) that the good atlas was built
//! from.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One `case.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout: Vec<String>,
    #[serde(default)]
    generate: BTreeMap<String, Generated>,
}

/// A file written by the runner before the case runs.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Generated {
    #[serde(default)]
    prefix: String,
    repeat: String,
    times: usize,
    #[serde(default)]
    suffix: String,
}

/// Every file under `path` (followed through a symlink) by its path relative to `path`, with
/// its SHA-256; plus the link target where `path` is a symlink.
fn snapshot(path: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(target) = std::fs::read_link(path) {
        out.insert("<link>".to_string(), target.display().to_string());
    }
    let root = std::fs::canonicalize(path).unwrap();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let hash = Sha256::digest(std::fs::read(&p).unwrap());
                let rel = p.strip_prefix(&root).unwrap().display().to_string();
                out.insert(rel, format!("{hash:x}"));
            }
        }
    }
    out
}

/// The case folders, sorted.
fn cases() -> Vec<PathBuf> {
    let dir = common::repo().join("tests/bad-input");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    v.sort();
    v
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(dir: &Path, atlas: &Path, demo: &Path, scratch: &Path) -> Option<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(dir.join("case.toml")).unwrap();
    let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
    assert!(
        !case.description.trim().is_empty(),
        "{name}: no description"
    );
    assert!(
        !case.stderr.is_empty() || !case.stdout.is_empty(),
        "{name}: no fragment to look for"
    );
    assert!(
        case.exit != 0 || !case.args.iter().any(|a| a.contains("{atlas}")),
        "{name}: a case that succeeds must not write the existing atlas"
    );
    let tmp = scratch.join(&name);
    std::fs::create_dir_all(&tmp).unwrap();
    for (file, g) in &case.generate {
        let body = format!("{}{}{}", g.prefix, g.repeat.repeat(g.times), g.suffix);
        std::fs::write(tmp.join(file), body).unwrap();
    }
    let fill = |a: &String| {
        a.replace("{case}", &dir.display().to_string())
            .replace("{atlas}", &atlas.display().to_string())
            .replace("{repo}", &common::repo().display().to_string())
            .replace("{tmp}", &tmp.display().to_string())
            .replace("{demo}", &demo.display().to_string())
    };
    let args: Vec<String> = case.args.iter().map(fill).collect();
    let before = snapshot(atlas);
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = common::run(&args_ref);
    let err = common::stderr(&o);
    let mut problems = Vec::new();
    if o.status.code() != Some(case.exit) {
        problems.push(format!(
            "exit {:?}, expected {}",
            o.status.code(),
            case.exit
        ));
    }
    if err.contains("panicked") {
        problems.push("a panic".to_string());
    }
    for f in &case.stderr {
        let f = fill(f);
        if !err.contains(&f) {
            problems.push(format!("stderr lacks `{f}`"));
        }
    }
    let out = common::stdout(&o);
    for f in &case.stdout {
        let f = fill(f);
        if !out.contains(&f) {
            problems.push(format!("stdout lacks `{f}`"));
        }
    }
    if err.len() > 4_000 {
        problems.push(format!("stderr is {} bytes long", err.len()));
    }
    if snapshot(atlas) != before {
        problems.push("the existing atlas changed".to_string());
    }
    std::fs::remove_dir_all(&tmp).unwrap();
    (!problems.is_empty()).then(|| {
        let shown: String = err.chars().take(1_500).collect();
        format!(
            "{name} ({}): {}\n    stderr: {}",
            case.description,
            problems.join("; "),
            shown.trim()
        )
    })
}

#[test]
fn every_bad_input_fails_clearly_and_leaves_the_atlas_alone() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let o = common::run(&[
        "demo",
        "--areas",
        "8",
        "--years",
        "2023",
        "2024",
        "--out",
        demo.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let atlas = dir.path().join("atlas");
    let o = common::run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        demo.join("synthetisch-indicatoren.csv").to_str().unwrap(),
        "--areas",
        demo.join("synthetisch-buurten.fgb").to_str().unwrap(),
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let scratch = dir.path().join("scratch");
    let cases = cases();
    assert!(cases.len() >= 45, "only {} cases", cases.len());
    let only = std::env::var("BAD_INPUT_CASE").ok();
    let failed: Vec<String> = cases
        .iter()
        .filter(|c| only.as_deref().is_none_or(|o| c.ends_with(o)))
        .filter_map(|c| run_case(c, &atlas, &demo, &scratch))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
