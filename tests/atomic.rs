//! The atlas is written atomically (`docs/ATLAS.md`, *How an atlas is written*): `build` killed
//! with SIGKILL at moments spread over its run (staging, writing, tiling, just before the
//! switch) always leaves a complete atlas at the path, byte-identical to the previous one; the
//! next build removes what the killed ones left and keeps a user's files; a reader holding the
//! previous generation sees complete files throughout a switch. Also: `compute --out` leaves
//! no temporary file behind, and `metadata.json` names input files without absolute paths.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{repo, run, stderr, stdout};
use sha2::{Digest, Sha256};

/// The SHA-256 of every file under `dir` (following the atlas link), by relative path.
fn hash_tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, hex(&Sha256::digest(std::fs::read(&p).unwrap())));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the PMTiles v3 header by the specification (magic, version, and that every section
/// lies inside the file), independently of the project's reader.
fn check_pmtiles(bytes: &[u8]) {
    assert!(bytes.len() >= 127, "archive of {} bytes", bytes.len());
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3, "version");
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let len = bytes.len() as u64;
    // (offset, length) of the root directory, metadata, leaf directories and tile data.
    for (o, l) in [(8, 16), (24, 32), (40, 48), (56, 64)] {
        assert!(
            u64_at(o) + u64_at(l) <= len,
            "section at byte {o} runs past the file"
        );
    }
    assert!(u64_at(72) > 0, "no addressed tiles");
}

/// The atlas at `atlas` is complete: metadata parses, the tile archive is valid.
fn check_complete(atlas: &Path) {
    let meta = mdi_format::Metadata::read(atlas).unwrap();
    assert_eq!(meta.levels.len(), 3);
    check_pmtiles(&std::fs::read(atlas.join("atlas.pmtiles")).unwrap());
}

fn spawn_build(atlas: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mdi-atlas"))
        .args(["build", "--demo", "--out", atlas.to_str().unwrap()])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn build(atlas: &Path) -> String {
    let o = run(&["build", "--demo", "--out", atlas.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// The generation folders (not the current one's link) beside the atlas `atlas`.
fn generations(atlas: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.atlas-", atlas.file_name().unwrap().to_string_lossy());
    let mut v: Vec<PathBuf> = std::fs::read_dir(atlas.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&prefix)
        })
        .collect();
    v.sort();
    v
}

/// A moment to kill a build at: when a condition on its new generation folder first holds
/// (polled every millisecond), or after a time.
enum Moment {
    /// The new generation folder holds this file.
    Has(&'static str),
    /// The new generation's marker says it is complete: the switch comes next.
    Complete,
    /// A share of a normal build's time.
    After(f64),
}

/// Waits for `moment` in a build of `atlas` whose previous generations were `before`; false
/// when the build finished first.
fn wait_for(
    child: &mut Child,
    atlas: &Path,
    before: &[PathBuf],
    moment: &Moment,
    normal: Duration,
) -> bool {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let new: Vec<PathBuf> = generations(atlas)
            .into_iter()
            .filter(|g| !before.contains(g))
            .collect();
        let hit = match moment {
            Moment::Has(file) => new.iter().any(|g| {
                std::fs::read_dir(g).is_ok_and(|d| {
                    d.filter_map(Result::ok)
                        .any(|e| e.file_name().to_string_lossy().starts_with(file))
                })
            }),
            Moment::Complete => new.iter().any(|g| {
                std::fs::read_to_string(g.join(".mdi-atlas-generation"))
                    .is_ok_and(|m| m.contains("state=complete"))
            }),
            Moment::After(share) => start.elapsed() >= normal.mul_f64(*share),
        };
        if hit {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A small seeded generator (SplitMix64) for the jitter of the timed moments.
fn jitter(seed: &mut u64) -> f64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_atlas_whole() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    build(&atlas);
    std::fs::write(atlas.join("notes.txt"), b"my notes").unwrap();
    // A normal rebuild, timed: it carries the user's file.
    let t = Instant::now();
    let s = build(&atlas);
    let normal = t.elapsed();
    assert!(
        s.contains("carried your files into the new atlas: notes.txt"),
        "{s}"
    );
    let mut previous = hash_tree(&atlas);
    assert!(previous.contains_key("notes.txt"));

    let mut seed = 16_u64;
    let mut moments = vec![
        Moment::Has(".mdi-atlas-generation"), // staging begins
        Moment::Has("scores.csv"),            // the build's files
        Moment::Has("areas.fgb"),
        Moment::Has(".atlas.pmtiles.tmp-"), // tiling
        Moment::Has("atlas.pmtiles"),       // the tiles are in the new generation
        Moment::Complete,                   // just before the switch
    ];
    for share in [0.5, 0.75, 0.9] {
        moments.push(Moment::After(share + 0.1 * (jitter(&mut seed) - 0.5)));
    }
    let mut killed_before_switch = 0;
    for moment in &moments {
        let link_before = std::fs::read_link(&atlas).unwrap();
        let before = generations(&atlas);
        let mut child = spawn_build(&atlas);
        let hit = wait_for(&mut child, &atlas, &before, moment, normal);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        check_complete(&atlas);
        let now = hash_tree(&atlas);
        if std::fs::read_link(&atlas).unwrap() == link_before {
            assert_eq!(now, previous, "the atlas changed after a kill");
            killed_before_switch += usize::from(hit);
        } else {
            // The build switched before the kill: a complete new atlas, the same but for the
            // build time (and the marker's process id).
            for (f, h) in &now {
                if f != "metadata.json" && f != ".mdi-atlas-generation" {
                    assert_eq!(Some(h), previous.get(f), "{f} differs");
                }
            }
            assert_eq!(now.len(), previous.len());
            previous = now;
        }
    }
    assert!(
        killed_before_switch >= 4,
        "only {killed_before_switch} kills came before the switch"
    );
    // The next build removes what the killed ones left.
    let s = build(&atlas);
    assert!(s.contains("stale folder(s) of earlier builds"), "{s}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".tmp-") && !n.contains(".link-")),
        "{names:?}"
    );
    assert!(generations(&atlas).len() <= 2, "{names:?}");
    assert_eq!(names.len(), 3, "the link and two generations: {names:?}");
    check_complete(&atlas);
    // The user's file survived every rebuild.
    assert_eq!(std::fs::read(atlas.join("notes.txt")).unwrap(), b"my notes");
    let target = atlas
        .parent()
        .unwrap()
        .join(std::fs::read_link(&atlas).unwrap());
    assert!(generations(&atlas).contains(&target));
}

#[test]
fn a_reader_of_the_previous_generation_sees_complete_files_during_a_switch() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    build(&atlas);
    let old = atlas.canonicalize().unwrap();
    let old_hashes = hash_tree(&old);
    // Held open across the switch.
    let held = std::fs::File::open(atlas.join("atlas.pmtiles")).unwrap();
    let mut child = spawn_build(&atlas);
    let mut reads = 0;
    while child.try_wait().unwrap().is_none() {
        // Through the link: whichever generation it points to is complete.
        let meta = mdi_format::Metadata::read(&atlas).unwrap();
        assert_eq!(meta.years.len(), 10);
        check_pmtiles(&std::fs::read(atlas.join("atlas.pmtiles")).unwrap());
        // Through the previous generation's own path: unchanged.
        assert_eq!(hash_tree(&old), old_hashes);
        reads += 1;
    }
    assert!(child.wait().unwrap().success());
    assert!(reads > 0);
    assert_ne!(atlas.canonicalize().unwrap(), old, "the link was switched");
    // The previous generation is kept (a server may still read it) and unchanged.
    assert_eq!(hash_tree(&old), old_hashes);
    let index = mdi_format::pmtiles::read_pmtiles_file(&held).unwrap();
    assert!(!index.entries.is_empty());
}

#[test]
fn a_data_folder_or_file_is_never_replaced_by_an_atlas() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("mine.csv"), b"a").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("data", &link).unwrap();
    for out in [&data, &data.join("mine.csv"), &link] {
        let o = run(&[
            "build",
            "--demo",
            "--no-tiles",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("choose another --out"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(data.join("mine.csv")).unwrap(), b"a");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// A process id that is gone.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn compute_leaves_no_temporary_file_on_failure_and_removes_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let compute = |out: &Path| {
        run(&[
            "compute",
            "--profile",
            "geodata/profiles/nl-cbs.toml",
            "--indicators",
            "geodata/examples/voorbeeld-buurten.csv",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    // The rename fails: the output is a folder.
    let folder = dir.path().join("scores");
    std::fs::create_dir(&folder).unwrap();
    let o = compute(&folder);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot move"), "{}", stderr(&o));
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(dir.path()), ["scores"]);
    // A killed run's temporary file is removed; one of a running process is not.
    let out = dir.path().join("scores.csv");
    let stale = format!(".scores.csv.{}.tmp", dead_pid());
    let running = format!(".scores.csv.{}.tmp", std::process::id());
    std::fs::write(dir.path().join(&stale), b"half").unwrap();
    std::fs::write(dir.path().join(&running), b"half").unwrap();
    let o = compute(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(dir.path()),
        [running.as_str(), "scores", "scores.csv"]
    );
}

#[test]
fn metadata_names_input_files_without_absolute_paths() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    let o = run(&["demo", "--out", inputs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (csv, fgb) = (
        inputs.join("synthetisch-indicatoren.csv"),
        inputs.join("synthetisch-buurten.fgb"),
    );
    let atlas = dir.path().join("atlas");
    let o = run(&[
        "build",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        csv.to_str().unwrap(),
        "--areas",
        fgb.to_str().unwrap(),
        "--no-tiles",
        "--out",
        atlas.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(atlas.join("metadata.json")).unwrap();
    let home = dir.path().to_string_lossy().into_owned();
    assert!(
        !text.contains(&home),
        "an absolute path in metadata.json: {text}"
    );
    let sha = |p: &Path| hex(&Sha256::digest(std::fs::read(p).unwrap()));
    let meta: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(meta["format_version"], "1.5");
    assert_eq!(meta["tables"][0], "inputs/synthetisch-indicatoren.csv");
    assert_eq!(
        meta["table_files"][0]["path"],
        "inputs/synthetisch-indicatoren.csv"
    );
    assert_eq!(meta["table_files"][0]["sha256"], sha(&csv).as_str());
    let sources = meta["sources"].as_array().unwrap();
    assert!(!sources.is_empty());
    for s in sources {
        assert_eq!(s["path"], "inputs/synthetisch-buurten.fgb");
        assert_eq!(s["sha256"], sha(&fgb).as_str());
    }
}
