//! How `metadata.json` names the input files of a build (`docs/ATLAS.md`): by file name, or by
//! the path relative to the atlas' parent folder where the file lies in that folder, with its
//! SHA-256; never by an absolute path (it would disclose the user's folders).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use mdi_format::metadata::{InputFile, SourceInfo};
use mdi_geo::Source;

use crate::fetch::sources::sha256_file;

/// The folder an atlas written to `out` lies in, resolved (`None` when it does not exist yet).
fn atlas_parent(out: &Path) -> Option<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    parent.canonicalize().ok()
}

/// How `metadata.json` names the input file `path` of the atlas written to `out`: its path
/// relative to the atlas' parent folder where it lies in that folder, else its file name.
pub fn display_name(path: &Path, out: &Path) -> String {
    let relative = path.canonicalize().ok().and_then(|file| {
        let parent = atlas_parent(out)?;
        let rel = file.strip_prefix(&parent).ok()?;
        Some(rel.to_string_lossy().into_owned())
    });
    relative.unwrap_or_else(|| {
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    })
}

/// The name and SHA-256 of the input file `path`.
///
/// # Errors
/// When the file cannot be read.
pub fn input_file(path: &Path, out: &Path) -> Result<InputFile> {
    Ok(InputFile {
        path: display_name(path, out),
        sha256: sha256_file(path)?,
    })
}

/// The `sources` of `metadata.json`: each area file (or layer of one) by name with its level,
/// CRS, number of features and SHA-256 (each file hashed once). A source that is not a file
/// (the generated demo region) keeps its name and has no hash.
///
/// # Errors
/// When an area file cannot be read.
pub fn source_infos(sources: &[Source], levels: &[String], out: &Path) -> Result<Vec<SourceInfo>> {
    let mut hashes: BTreeMap<&Path, InputFile> = BTreeMap::new();
    let mut infos = Vec::with_capacity(sources.len());
    for (s, level) in sources.iter().zip(levels) {
        let (path, sha256) = if s.path.is_file() {
            if !hashes.contains_key(s.path.as_path()) {
                hashes.insert(&s.path, input_file(&s.path, out)?);
            }
            let f = &hashes[s.path.as_path()];
            (f.path.clone(), f.sha256.clone())
        } else {
            (s.path.display().to_string(), String::new())
        };
        infos.push(SourceInfo {
            path,
            sha256,
            level: level.clone(),
            epsg: s.crs.epsg(),
            features: s.features.len(),
        });
    }
    Ok(infos)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn inputs_are_named_relative_to_the_atlas_parent_or_by_file_name() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let inside = data.join("t.csv");
        std::fs::write(&inside, b"abc").unwrap();
        let out = root.path().join("atlas");
        assert_eq!(display_name(&inside, &out), "data/t.csv");
        let elsewhere = data.join("atlases").join("x");
        assert_eq!(display_name(&inside, &elsewhere), "t.csv");
        let f = input_file(&inside, &elsewhere).unwrap();
        // `printf abc | sha256sum`
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
