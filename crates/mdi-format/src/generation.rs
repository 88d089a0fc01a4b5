//! The folders behind an atlas path (`docs/ATLAS.md`, *How an atlas is written*): each build
//! writes a generation folder `.<name>.atlas-<UTC time>-<pid>` beside the atlas path, marked
//! with [`MARKER`], and the atlas path is a symbolic link to the current one. This module names
//! them, reads their markers, tells whether the process that made one is still running, and
//! removes the stale ones: only folders this tool made, never the current generation or the
//! one before it.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::metadata::is_atlas;

/// The marker file in every folder this tool makes for an atlas: the process that made it,
/// its start time and whether the generation is complete.
pub const MARKER: &str = ".mdi-atlas-generation";

/// What a generation's [`MARKER`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The process that wrote the generation.
    pub pid: u32,
    /// Its start time in clock ticks since boot (Linux `/proc/<pid>/stat`, field 22); 0 where
    /// unknown.
    pub start: u64,
    /// True once every file was written (set just before the switch).
    pub complete: bool,
}

impl Marker {
    /// The marker of a generation this process is writing.
    pub fn own() -> Marker {
        let pid = std::process::id();
        Marker {
            pid,
            start: start_ticks(pid).unwrap_or(0),
            complete: false,
        }
    }

    /// The marker's text.
    pub fn text(&self) -> String {
        format!(
            "mdi-atlas generation\npid={}\nstart={}\nstate={}\n",
            self.pid,
            self.start,
            if self.complete { "complete" } else { "staging" }
        )
    }

    /// Reads the marker in `dir`; `None` when there is none or it cannot be parsed (a write cut
    /// short).
    pub fn read(dir: &Path) -> Option<Marker> {
        let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
        let mut lines = text.lines();
        if lines.next()? != "mdi-atlas generation" {
            return None;
        }
        let (mut pid, mut start, mut complete) = (None, None, None);
        for line in lines {
            match line.split_once('=')? {
                ("pid", v) => pid = v.parse().ok(),
                ("start", v) => start = v.parse().ok(),
                ("state", v) => complete = Some(v == "complete"),
                _ => {}
            }
        }
        Some(Marker {
            pid: pid?,
            start: start?,
            complete: complete?,
        })
    }

    /// Whether the process that wrote the marker is still running.
    pub fn alive(&self) -> bool {
        process_alive(self.pid, (self.start != 0).then_some(self.start))
    }
}

/// The start time of process `pid` in clock ticks since boot, from `/proc/<pid>/stat`; `None`
/// where there is no such process (or no `/proc`).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last `)`.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (the state): field 22 is index 19.
    if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
        return None; // a zombie has finished
    }
    fields.get(19)?.parse().ok()
}

/// Whether process `pid` (started at `start` ticks, where known) is still running. Without
/// `/proc` (not Linux) this cannot be told, and the answer is yes: nothing is removed.
pub fn process_alive(pid: u32, start: Option<u64>) -> bool {
    if !Path::new("/proc/self/stat").exists() {
        return true;
    }
    match start_ticks(pid) {
        None => false,
        Some(now) => start.is_none_or(|s| s == now),
    }
}

/// The prefix of the generation folders of the atlas named `name`.
pub fn generation_prefix(name: &str) -> String {
    format!(".{name}.atlas-")
}

/// A new generation's folder name, `.<name>.atlas-<YYYYmmddTHHMMSS.nnnnnnnnnZ>-<pid>`: sorted
/// by name, generations are sorted by the time they were started; the process id makes it
/// unique.
pub fn new_generation_name(name: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{}{}-{}",
        generation_prefix(name),
        utc_stamp(now.as_secs(), now.subsec_nanos()),
        std::process::id()
    )
}

/// The generation name given to a legacy atlas folder when it is replaced by a link: its
/// modification time, so it sorts before every later generation.
pub fn legacy_generation_name(name: &str, dir: &Path) -> String {
    let time = std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "{}{}-legacy",
        generation_prefix(name),
        utc_stamp(time.as_secs(), time.subsec_nanos())
    )
}

/// `YYYYmmddTHHMMSS.nnnnnnnnnZ` of a Unix time.
fn utc_stamp(secs: u64, nanos: u32) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{nanos:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Whether the folder `dir` was made by this tool: it holds a [`MARKER`] or an mdi-atlas
/// `metadata.json`.
pub fn made_by_us(dir: &Path) -> bool {
    dir.join(MARKER).is_file() || is_atlas(dir)
}

/// The generation the link `out` points to, as a folder name in the same parent; `None` when
/// `out` is not a link made by this tool.
pub fn linked_generation(out: &Path, name: &str) -> Option<String> {
    let target = std::fs::read_link(out).ok()?;
    let text = target.to_str()?;
    (text.starts_with(&generation_prefix(name)) && !text.contains('/')).then(|| text.to_string())
}

/// A folder beside the atlas that a sweep looks at.
struct Candidate {
    path: PathBuf,
    file_name: String,
}

/// Removes the stale folders beside the atlas `out` (named `name`, in `parent`) that this tool
/// made, and returns them:
///
/// - generation folders of a process that is gone, except the current one (the link's target)
///   and the newest complete one before it (a server may still read it); where `out` is not
///   a link to a complete atlas, only generations that were never completed;
/// - the temporary folders `.<name>.tmp-<pid>` of earlier versions of this tool whose
///   process is gone, and their `.<name>.old-<pid>` folders once `out` is an atlas again;
/// - leftover links `.<name>.link-<pid>` of a process that is gone.
///
/// A folder without [`MARKER`] or an mdi-atlas `metadata.json` is never touched. Failures to
/// remove are skipped: cleaning up never fails a build.
pub fn sweep(parent: &Path, name: &str, out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let candidates: Vec<Candidate> = entries
        .filter_map(std::result::Result::ok)
        .filter_map(|e| {
            Some(Candidate {
                path: e.path(),
                file_name: e.file_name().into_string().ok()?,
            })
        })
        .collect();
    let current = linked_generation(out, name).filter(|_| is_atlas(out));
    let mut removed = Vec::new();
    removed.extend(sweep_generations(&candidates, name, current.as_deref()));
    let legacy_tmp = format!(".{name}.tmp-");
    let legacy_old = format!(".{name}.old-");
    let link = format!(".{name}.link-");
    for c in &candidates {
        let pid_of = |prefix: &str| {
            c.file_name
                .strip_prefix(prefix)
                .and_then(|p| p.parse::<u32>().ok())
        };
        let dead = |pid: u32| !process_alive(pid, None);
        let stale = if let Some(pid) = pid_of(&legacy_tmp) {
            c.path.is_dir() && made_by_us(&c.path) && dead(pid)
        } else if let Some(pid) = pid_of(&legacy_old) {
            c.path.is_dir() && made_by_us(&c.path) && dead(pid) && is_atlas(out)
        } else if let Some(pid) = pid_of(&link) {
            let is_link = std::fs::symlink_metadata(&c.path).is_ok_and(|m| m.is_symlink());
            if is_link && dead(pid) && std::fs::remove_file(&c.path).is_ok() {
                removed.push(c.path.clone());
            }
            false
        } else {
            false
        };
        if stale && std::fs::remove_dir_all(&c.path).is_ok() {
            removed.push(c.path.clone());
        }
    }
    removed
}

/// The generation part of [`sweep`].
fn sweep_generations(candidates: &[Candidate], name: &str, current: Option<&str>) -> Vec<PathBuf> {
    let prefix = generation_prefix(name);
    let mut gens: Vec<(&Candidate, Option<Marker>)> = candidates
        .iter()
        .filter(|c| c.file_name.starts_with(&prefix) && c.path.is_dir() && made_by_us(&c.path))
        .map(|c| (c, Marker::read(&c.path)))
        .collect();
    gens.sort_by(|a, b| a.0.file_name.cmp(&b.0.file_name));
    // Complete: the marker says so, or (a migrated legacy atlas) there is no marker but an atlas.
    let complete =
        |c: &Candidate, m: &Option<Marker>| m.map_or_else(|| is_atlas(&c.path), |m| m.complete);
    let previous = current.and_then(|cur| {
        gens.iter()
            .filter(|(c, m)| c.file_name.as_str() < cur && complete(c, m))
            .map(|(c, _)| c.file_name.clone())
            .next_back()
    });
    let mut removed = Vec::new();
    for (c, m) in &gens {
        // A generation of a running build is kept unless it is complete and older than the
        // current one (that build has switched past it); one newer than the current one may be
        // about to be switched to.
        let older = current.is_some_and(|cur| c.file_name.as_str() < cur);
        let running = m.is_some_and(|m| m.alive() && !(m.complete && older));
        let keep = Some(c.file_name.as_str()) == current
            || Some(&c.file_name) == previous.as_ref()
            || running
            // Without a current atlas, complete generations are all kept.
            || (current.is_none() && complete(c, m));
        if !keep && std::fs::remove_dir_all(&c.path).is_ok() {
            removed.push(c.path.clone());
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(utc_stamp(0, 0), "19700101T000000.000000000Z");
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(utc_stamp(1_709_251_199, 5), "20240229T235959.000000005Z");
        assert_eq!(utc_stamp(1_796_601_600, 0), "20261207T000000.000000000Z");
    }

    #[test]
    fn a_marker_round_trips_and_this_process_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let m = Marker::own();
        std::fs::write(dir.path().join(MARKER), m.text()).unwrap();
        assert_eq!(Marker::read(dir.path()), Some(m));
        assert!(m.alive());
        std::fs::write(dir.path().join(MARKER), "mdi-atlas generation\npid=1").unwrap();
        assert_eq!(Marker::read(dir.path()), None);
    }

    #[test]
    fn a_finished_process_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid, None));
        // Same pid, another start time: a reused pid is not the process that wrote the marker.
        let own = std::process::id();
        let start = start_ticks(own).unwrap();
        assert!(!process_alive(own, Some(start + 1)));
    }
}
