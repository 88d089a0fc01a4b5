//! Writing an atlas atomically: [`StagedAtlas`] creates a temporary folder beside the target,
//! the stages write into it (the build's files, then the tiles), and [`StagedAtlas::commit`]
//! swaps it into place by renaming. Dropped without a commit — a stage failed — it removes the
//! temporary folder, so a failed build never leaves a half-written atlas where a good one was.

use std::path::{Path, PathBuf};

use crate::error::{FormatError, Result, io};
use crate::metadata::is_atlas;

/// A new atlas being written beside the one it will replace.
#[derive(Debug)]
pub struct StagedAtlas {
    /// Where the atlas goes.
    out: PathBuf,
    /// The temporary sibling the stages write into.
    tmp: PathBuf,
    /// Renamed into place: nothing to clean up.
    committed: bool,
}

/// Refuses to replace `out` unless it is absent, an empty folder or an atlas written by
/// mdi-atlas (its `metadata.json` names mdi-atlas as generator), so that a user's data folder
/// given as the output is never replaced.
///
/// # Errors
/// [`FormatError::Invalid`] when `out` is a file, or a folder holding anything else.
pub fn check_replaceable(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let refuse = |why: &str| FormatError::Invalid {
        path: out.to_path_buf(),
        message: format!(
            "{why}; an atlas replaces only an empty folder or an earlier atlas, so choose another --out"
        ),
    };
    if !out.is_dir() {
        return Err(refuse("exists and is not a folder"));
    }
    let empty = std::fs::read_dir(out)
        .map_err(io(out, "cannot read the folder"))?
        .next()
        .is_none();
    if empty || is_atlas(out) {
        Ok(())
    } else {
        Err(refuse("holds files that are not an mdi-atlas atlas"))
    }
}

impl StagedAtlas {
    /// Starts a new atlas for `out`: checks that `out` may be replaced and creates the empty
    /// temporary folder `.<name>.tmp-<pid>` beside it (removing a stale one).
    ///
    /// # Errors
    /// As [`check_replaceable`], and [`FormatError::Io`] when the folders cannot be created.
    pub fn create(out: &Path) -> Result<StagedAtlas> {
        check_replaceable(out)?;
        let parent = parent_of(out);
        std::fs::create_dir_all(&parent).map_err(io(&parent, "cannot create the folder"))?;
        let tmp = parent.join(format!(".{}.tmp-{}", name_of(out), std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)
                .map_err(io(&tmp, "cannot remove a stale temporary folder"))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io(&tmp, "cannot create the temporary folder"))?;
        Ok(StagedAtlas {
            out: out.to_path_buf(),
            tmp,
            committed: false,
        })
    }

    /// The temporary folder to write the atlas' files into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Moves the finished atlas into place: the previous atlas (if any) is moved aside, the new
    /// one renamed in, and the previous one removed. If the rename fails, the previous atlas is
    /// put back.
    ///
    /// # Errors
    /// [`FormatError::Io`] when a rename fails (the temporary folder is then removed).
    pub fn commit(mut self) -> Result<PathBuf> {
        let old = parent_of(&self.out).join(format!(
            ".{}.old-{}",
            name_of(&self.out),
            std::process::id()
        ));
        if self.out.exists() {
            std::fs::rename(&self.out, &old)
                .map_err(io(&self.out, "cannot move the previous atlas aside"))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.out) {
            if old.exists() {
                let _ = std::fs::rename(&old, &self.out);
            }
            return Err(io(&self.out, "cannot move the new atlas into place")(e));
        }
        self.committed = true;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old, "cannot remove the previous atlas"))?;
        }
        Ok(self.out.clone())
    }
}

impl Drop for StagedAtlas {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the stage's own error is the one to report.
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
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
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_commit_replaces_the_old_atlas_whole() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("atlas");
        std::fs::create_dir(&out).unwrap();
        write_marker(&out, "old");
        std::fs::write(out.join("stale.mbtiles"), b"x").unwrap();
        let stage = StagedAtlas::create(&out).unwrap();
        write_marker(stage.path(), "new");
        stage.commit().unwrap();
        let text = std::fs::read_to_string(out.join("metadata.json")).unwrap();
        assert!(text.contains("new"));
        assert!(!out.join("stale.mbtiles").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
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
    }
}
