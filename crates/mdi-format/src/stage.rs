//! Writing an atlas atomically (`docs/ATLAS.md`, *How an atlas is written*): the atlas path is
//! a symbolic link to a generation folder beside it, `X -> .X.atlas-<UTC time>-<pid>`.
//! [`StagedAtlas::create`] makes a new generation folder, the stages write into it (the build's
//! files, then the tiles), and [`StagedAtlas::commit`] carries the files a user added to the
//! current atlas into it and switches the link with one atomic rename of a fresh link over it,
//! so there is no moment without a complete atlas at the path. An atlas that is still a real
//! folder (written by an earlier version) is swapped with the link in one
//! `renameat2(RENAME_EXCHANGE)` on Linux. Dropped without a commit (a stage failed) the stage
//! removes its folder; folders of builds that were killed are removed by the next build
//! ([`crate::generation::sweep`]).

use std::path::{Path, PathBuf};

use crate::error::{FormatError, Result, io};
use crate::files;
use crate::generation::{
    self, MARKER, Marker, legacy_generation_name, linked_generation, new_generation_name,
};
use crate::metadata::is_atlas;

/// A new atlas being written beside the one it will replace.
#[derive(Debug)]
pub struct StagedAtlas {
    /// Where the atlas goes (the link).
    out: PathBuf,
    /// The folder that holds `out` and the generations.
    parent: PathBuf,
    /// The name of `out`.
    name: String,
    /// The new generation's folder name.
    generation: String,
    /// The new generation folder the stages write into.
    dir: PathBuf,
    /// Stale folders removed when the stage was created.
    removed: Vec<PathBuf>,
    /// Switched into place: nothing to clean up.
    committed: bool,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The atlas path (the link).
    pub path: PathBuf,
    /// The generation folder it now points to.
    pub generation: PathBuf,
    /// The files and folders a user had added to the previous atlas, carried into the new one
    /// (names, sorted).
    pub carried: Vec<String>,
    /// The stale folders of earlier builds that were removed.
    pub removed: Vec<PathBuf>,
}

/// Refuses to replace `out` unless it is absent, an empty folder, an atlas written by
/// mdi-atlas (its `metadata.json` names mdi-atlas as generator) or a link to one of this
/// tool's generation folders, so that a user's data folder or file given as the output is
/// never replaced.
///
/// # Errors
/// [`FormatError::Invalid`] when `out` is a file, a link this tool did not make, or a folder
/// holding anything else.
pub fn check_replaceable(out: &Path) -> Result<()> {
    let refuse = |why: String| FormatError::Invalid {
        path: out.to_path_buf(),
        message: format!(
            "{why}; an atlas replaces only an empty folder or an earlier atlas, so choose another --out"
        ),
    };
    let meta = match std::fs::symlink_metadata(out) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(out, "cannot read")(e)),
    };
    if meta.is_symlink() {
        if linked_generation(out, &name_of(out)).is_some() {
            return Ok(());
        }
        let target = std::fs::read_link(out).unwrap_or_default();
        return Err(refuse(format!(
            "is a symbolic link to {} that mdi-atlas did not make (it makes links to `{}…` beside them)",
            target.display(),
            generation::generation_prefix(&name_of(out))
        )));
    }
    if !meta.is_dir() {
        return Err(refuse("exists and is not a folder".into()));
    }
    let empty = std::fs::read_dir(out)
        .map_err(io(out, "cannot read the folder"))?
        .next()
        .is_none();
    if empty || is_atlas(out) {
        Ok(())
    } else {
        Err(refuse("holds files that are not an mdi-atlas atlas".into()))
    }
}

impl StagedAtlas {
    /// Starts a new atlas for `out`: checks that `out` may be replaced, removes stale folders
    /// of killed builds ([`generation::sweep`]) and creates the new generation folder
    /// `.<name>.atlas-<UTC time>-<pid>` beside `out`, with its [`MARKER`].
    ///
    /// # Errors
    /// As [`check_replaceable`], and [`FormatError::Io`] when the folders cannot be created.
    pub fn create(out: &Path) -> Result<StagedAtlas> {
        check_replaceable(out)?;
        let parent = parent_of(out);
        let name = name_of(out);
        std::fs::create_dir_all(&parent).map_err(io(&parent, "cannot create the folder"))?;
        let removed = generation::sweep(&parent, &name, out);
        let generation = new_generation_name(&name);
        let dir = parent.join(&generation);
        std::fs::create_dir(&dir).map_err(io(&dir, "cannot create the generation folder"))?;
        let stage = StagedAtlas {
            out: out.to_path_buf(),
            parent,
            name,
            generation,
            dir,
            removed,
            committed: false,
        };
        let marker = stage.dir.join(MARKER);
        std::fs::write(&marker, Marker::own().text())
            .map_err(io(&marker, "cannot write the marker"))?;
        Ok(stage)
    }

    /// The folder to write the atlas' files into.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Puts the finished atlas in place: carries the files a user added to the current atlas
    /// into the new generation (hard links, else copies), marks it complete, switches the link
    /// to it in one atomic step, and removes stale generations (keeping the one before, which a
    /// server may still be reading).
    ///
    /// # Errors
    /// [`FormatError::Io`] when a user's file cannot be carried or the switch fails (the new
    /// generation is then removed and the previous atlas left as it was).
    pub fn commit(mut self) -> Result<Committed> {
        let carried = carry_user_files(&self.out, &self.dir)?;
        let mut marker = Marker::own();
        marker.complete = true;
        let path = self.dir.join(MARKER);
        std::fs::write(&path, marker.text()).map_err(io(&path, "cannot write the marker"))?;
        switch(&self.out, &self.parent, &self.name, &self.generation)?;
        self.committed = true;
        let mut removed = std::mem::take(&mut self.removed);
        removed.extend(generation::sweep(&self.parent, &self.name, &self.out));
        Ok(Committed {
            path: self.out.clone(),
            generation: self.dir.clone(),
            carried,
            removed,
        })
    }
}

impl Drop for StagedAtlas {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the stage's own error is the one to report.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether `name` in an atlas folder belongs to the atlas itself (its files, its marker, or a
/// tile archive's temporary file) rather than to a user.
fn is_atlas_file(name: &str) -> bool {
    files::DOWNLOADS.contains(&name)
        || name == MARKER
        || files::DOWNLOADS.iter().any(|f| {
            name.strip_prefix('.')
                .and_then(|n| n.strip_prefix(f))
                .is_some_and(|rest| rest.starts_with(".tmp-"))
        })
}

/// Carries every entry of the current atlas at `out` that is not one of the atlas' own files
/// into `dir`; returns their names, sorted.
fn carry_user_files(out: &Path, dir: &Path) -> Result<Vec<String>> {
    if !out.is_dir() {
        return Ok(Vec::new());
    }
    let mut carried = Vec::new();
    for entry in std::fs::read_dir(out).map_err(io(out, "cannot read the folder"))? {
        let entry = entry.map_err(io(out, "cannot read the folder"))?;
        let name = entry.file_name();
        if name.to_str().is_some_and(is_atlas_file) {
            continue;
        }
        carry(&entry.path(), &dir.join(&name))?;
        carried.push(name.to_string_lossy().into_owned());
    }
    carried.sort();
    Ok(carried)
}

/// Carries one file, link or folder (recursively) from `src` to `dst`: a hard link where the
/// file system allows it, else a copy.
fn carry(src: &Path, dst: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(src).map_err(io(src, "cannot read a user's file"))?;
    if meta.is_symlink() {
        let target = std::fs::read_link(src).map_err(io(src, "cannot read a user's link"))?;
        return symlink(&target, dst).map_err(io(dst, "cannot carry a user's link"));
    }
    if meta.is_dir() {
        std::fs::create_dir(dst).map_err(io(dst, "cannot carry a user's folder"))?;
        for entry in std::fs::read_dir(src).map_err(io(src, "cannot read a user's folder"))? {
            let entry = entry.map_err(io(src, "cannot read a user's folder"))?;
            carry(&entry.path(), &dst.join(entry.file_name()))?;
        }
        return Ok(());
    }
    if std::fs::hard_link(src, dst).is_err() {
        std::fs::copy(src, dst).map_err(io(dst, "cannot carry a user's file"))?;
    }
    Ok(())
}

/// Points `out` at the generation folder `generation` (a name in `parent`) in one atomic step.
fn switch(out: &Path, parent: &Path, name: &str, generation: &str) -> Result<()> {
    let link = parent.join(format!(".{name}.link-{}", std::process::id()));
    match std::fs::remove_file(&link) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&link, "cannot remove a stale link")(e)),
    }
    symlink(Path::new(generation), &link).map_err(io(&link, "cannot create the link"))?;
    let is_folder = std::fs::symlink_metadata(out).is_ok_and(|m| m.is_dir());
    let result = if is_folder {
        replace_folder(out, &link, parent, name)
    } else {
        // A rename over a link (or nothing) replaces it atomically.
        std::fs::rename(&link, out).map_err(io(out, "cannot switch the link to the new atlas"))
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&link);
    }
    result
}

/// Replaces the atlas folder `out` (written by an earlier version) with the link `link`: on
/// Linux in one `renameat2(RENAME_EXCHANGE)`; where the system lacks it, in two renames (the
/// folder aside, the link in), a moment without an atlas at the path, once. The old folder
/// becomes a generation named by its modification time (an empty one is removed).
fn replace_folder(out: &Path, link: &Path, parent: &Path, name: &str) -> Result<()> {
    let legacy = parent.join(legacy_generation_name(name, out));
    if exchange(link, out).is_ok() {
        // `link` now names the old folder.
        std::fs::rename(link, &legacy).map_err(io(link, "cannot rename the previous atlas"))?;
    } else {
        std::fs::rename(out, &legacy).map_err(io(out, "cannot move the previous atlas aside"))?;
        if let Err(e) = std::fs::rename(link, out) {
            let _ = std::fs::rename(&legacy, out);
            return Err(io(out, "cannot switch the link to the new atlas")(e));
        }
    }
    // An empty folder is no atlas to keep.
    let _ = std::fs::remove_dir(&legacy);
    Ok(())
}

/// Swaps two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// Swaps two paths atomically: not available on this system.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Creates the symbolic link `link` to `target`.
#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Creates the symbolic link `link` to a folder `target`.
#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// The folder that holds `out` (`.` for a bare name).
fn parent_of(out: &Path) -> PathBuf {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The last component of `out` (`atlas` when it has none).
fn name_of(out: &Path) -> String {
    out.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "atlas".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_marker(dir: &Path, text: &str) {
        std::fs::write(
            dir.join("metadata.json"),
            format!(r#"{{"generator": "mdi-atlas test", "title": "{text}"}}"#),
        )
        .unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn build(out: &Path, text: &str) -> Committed {
        let stage = StagedAtlas::create(out).unwrap();
        write_marker(stage.path(), text);
        stage.commit().unwrap()
    }

    #[test]
    fn a_dropped_stage_leaves_the_old_atlas_and_no_temporary_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("atlas");
        std::fs::create_dir(&out).unwrap();
        write_marker(&out, "old");
        {
            let stage = StagedAtlas::create(&out).unwrap();
            write_marker(stage.path(), "half");
            // A stage fails here: the guard is dropped without a commit.
        }
        let text = std::fs::read_to_string(out.join("metadata.json")).unwrap();
        assert!(text.contains("old"));
        assert_eq!(names(root.path()), ["atlas"]);
    }

    #[test]
    fn a_legacy_folder_is_replaced_by_a_link_in_one_exchange() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("atlas");
        std::fs::create_dir(&out).unwrap();
        write_marker(&out, "old");
        std::fs::write(out.join(files::MBTILES), b"x").unwrap();
        let done = build(&out, "new");
        let text = std::fs::read_to_string(out.join("metadata.json")).unwrap();
        assert!(text.contains("new"));
        // The old atlas' own files are not carried.
        assert!(!out.join(files::MBTILES).exists());
        assert!(done.carried.is_empty());
        let target = std::fs::read_link(&out).unwrap();
        let target = target.to_str().unwrap();
        assert!(target.starts_with(".atlas.atlas-"), "{target}");
        assert_eq!(root.path().join(target), done.generation);
        // The old folder is kept as the previous generation.
        let all = names(root.path());
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].ends_with("-legacy"), "{all:?}");
        let legacy = root.path().join(&all[0]);
        assert!(
            std::fs::read_to_string(legacy.join("metadata.json"))
                .unwrap()
                .contains("old")
        );
    }

    #[test]
    fn rebuilds_keep_two_generations_and_carry_the_users_files() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("atlas");
        build(&out, "1");
        std::fs::write(out.join("notes.txt"), b"mine").unwrap();
        std::fs::create_dir(out.join("extra")).unwrap();
        std::fs::write(out.join("extra/a.csv"), b"a").unwrap();
        let mut generations = Vec::new();
        for i in 2..=4 {
            let done = build(&out, &i.to_string());
            assert_eq!(done.carried, ["extra", "notes.txt"]);
            generations.push(done.generation);
        }
        assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read(out.join("extra/a.csv")).unwrap(), b"a");
        // The link, the current generation and the one before it.
        let all = names(root.path());
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(generations[1].exists() && generations[2].exists());
        assert!(!generations[0].exists());
        assert!(
            std::fs::read_to_string(out.join("metadata.json"))
                .unwrap()
                .contains('4')
        );
    }

    #[test]
    fn folders_of_dead_builds_are_removed_and_others_left() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("atlas");
        build(&out, "1");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        // A build killed while tiling: its generation, and a temporary folder of the old code.
        let killed = root
            .path()
            .join(".atlas.atlas-20990101T000000.000000000Z-1");
        std::fs::create_dir(&killed).unwrap();
        let marker = Marker {
            pid: dead,
            start: 1,
            complete: false,
        };
        std::fs::write(killed.join(MARKER), marker.text()).unwrap();
        let old_tmp = root.path().join(format!(".atlas.tmp-{dead}"));
        std::fs::create_dir(&old_tmp).unwrap();
        write_marker(&old_tmp, "half");
        // Not made by this tool: never touched, whatever the name.
        let foreign = root
            .path()
            .join(".atlas.atlas-19990101T000000.000000000Z-2");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("data.csv"), b"x").unwrap();
        let foreign_tmp = root.path().join(format!(".atlas.tmp-{dead}9"));
        std::fs::create_dir(&foreign_tmp).unwrap();
        // A build still running (this process).
        let running = root
            .path()
            .join(".atlas.atlas-20990101T000000.000000000Z-3");
        std::fs::create_dir(&running).unwrap();
        std::fs::write(running.join(MARKER), Marker::own().text()).unwrap();
        let stage = StagedAtlas::create(&out).unwrap();
        let mut removed = stage.removed.clone();
        removed.sort();
        assert_eq!(removed, [killed.clone(), old_tmp.clone()]);
        drop(stage);
        assert!(foreign.exists() && foreign_tmp.exists() && running.exists());
        assert!(is_atlas(&out));
    }

    #[test]
    fn a_folder_of_other_files_is_never_replaced() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("data.csv"), b"a,b").unwrap();
        let e = StagedAtlas::create(root.path()).unwrap_err().to_string();
        assert!(e.contains("not an mdi-atlas atlas"), "{e}");
        let file = root.path().join("data.csv");
        let e = StagedAtlas::create(&file).unwrap_err().to_string();
        assert!(e.contains("not a folder"), "{e}");
        let link = root.path().join("link");
        std::os::unix::fs::symlink("data.csv", &link).unwrap();
        let e = StagedAtlas::create(&link).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link to data.csv that mdi-atlas did not make"),
            "{e}"
        );
        assert_eq!(names(root.path()), ["data.csv", "link"]);
    }
}
