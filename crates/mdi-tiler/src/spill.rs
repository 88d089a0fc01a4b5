//! Finished tiles kept in a temporary file until the archives are written: memory holds only
//! their index (coordinate, offset, length), not their bytes, so that peak memory does not grow
//! with the size of the archive.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::TileCoord;
use crate::error::{Result, TilerError};

/// Tiles to write to an archive: gzipped MVT, addressed by their position.
pub trait TileSource {
    /// The number of tiles.
    fn count(&self) -> usize;
    /// The coordinate of tile `i`.
    fn coord(&self, i: usize) -> TileCoord;
    /// The size of tile `i` in bytes.
    fn size(&self, i: usize) -> usize;
    /// The bytes of tile `i`.
    ///
    /// # Errors
    /// [`TilerError::Io`] when they cannot be read back.
    fn bytes(&self, i: usize) -> Result<Cow<'_, [u8]>>;
}

impl TileSource for [(TileCoord, Vec<u8>)] {
    fn count(&self) -> usize {
        self.len()
    }
    fn coord(&self, i: usize) -> TileCoord {
        self[i].0
    }
    fn size(&self, i: usize) -> usize {
        self[i].1.len()
    }
    fn bytes(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(&self[i].1))
    }
}

impl TileSource for Vec<(TileCoord, Vec<u8>)> {
    fn count(&self) -> usize {
        self.len()
    }
    fn coord(&self, i: usize) -> TileCoord {
        self[i].0
    }
    fn size(&self, i: usize) -> usize {
        self[i].1.len()
    }
    fn bytes(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        Ok(Cow::Borrowed(&self[i].1))
    }
}

/// Tiles in an unnamed temporary file (removed by the system when it is dropped).
pub struct TileSpill {
    /// Where the file lives (for errors).
    dir: PathBuf,
    /// The file: written at its end, read at offsets.
    file: Mutex<File>,
    /// Per tile: coordinate, offset, length.
    index: Vec<(TileCoord, u64, u32)>,
    /// Bytes written so far.
    end: u64,
}

impl TileSpill {
    /// An empty spill in `dir` (the system's temporary folder when `None`). Put it on the disk
    /// of the output: a temporary folder in memory (tmpfs) would hold the tiles in memory.
    ///
    /// # Errors
    /// [`TilerError::Io`] when the file cannot be made.
    pub fn new_in(dir: Option<&Path>) -> Result<TileSpill> {
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let file = tempfile::tempfile_in(&dir).map_err(|cause| TilerError::Io {
            path: dir.clone(),
            action: "cannot make a temporary file for the tiles in",
            cause,
        })?;
        Ok(TileSpill {
            dir,
            file: Mutex::new(file),
            index: Vec::new(),
            end: 0,
        })
    }

    fn io(&self, action: &'static str, cause: std::io::Error) -> TilerError {
        TilerError::Io {
            path: self.dir.clone(),
            action,
            cause,
        }
    }

    /// Add a tile.
    ///
    /// # Errors
    /// [`TilerError::Io`] when it cannot be written.
    pub fn push(&mut self, coord: TileCoord, bytes: &[u8]) -> Result<()> {
        let io = |cause: std::io::Error| TilerError::Io {
            path: self.dir.clone(),
            action: "cannot write the tiles to a temporary file in",
            cause,
        };
        let len = u32::try_from(bytes.len())
            .map_err(|_| io(std::io::Error::other("a tile over 4 GB")))?;
        let end = self.end;
        let written = match self.file.get_mut() {
            Ok(file) => file
                .seek(SeekFrom::Start(end))
                .and_then(|_| file.write_all(bytes)),
            Err(_) => Err(std::io::Error::other("the file's lock is poisoned")),
        };
        written.map_err(io)?;
        self.index.push((coord, end, len));
        self.end += u64::from(len);
        Ok(())
    }

    /// A point to go back to with [`TileSpill::rollback`]: the number of tiles so far.
    pub fn mark(&self) -> usize {
        self.index.len()
    }

    /// Forget the tiles added since `mark` (their space is reused).
    pub fn rollback(&mut self, mark: usize) {
        if let Some(&(_, offset, _)) = self.index.get(mark) {
            self.end = offset;
            self.index.truncate(mark);
        }
    }

    /// The tiles with their bytes (for tests and small sets).
    ///
    /// # Errors
    /// [`TilerError::Io`] when they cannot be read back.
    pub fn to_vec(&self) -> Result<Vec<(TileCoord, Vec<u8>)>> {
        (0..self.index.len())
            .map(|i| Ok((self.index[i].0, self.bytes(i)?.into_owned())))
            .collect()
    }

    /// The bytes written, in total.
    pub fn total_bytes(&self) -> u64 {
        self.end
    }
}

impl TileSource for TileSpill {
    fn count(&self) -> usize {
        self.index.len()
    }
    fn coord(&self, i: usize) -> TileCoord {
        self.index[i].0
    }
    fn size(&self, i: usize) -> usize {
        self.index[i].2 as usize
    }
    fn bytes(&self, i: usize) -> Result<Cow<'_, [u8]>> {
        let (_, offset, len) = self.index[i];
        let mut out = vec![0u8; len as usize];
        let mut file = self.file.lock().map_err(|_| {
            self.io(
                "cannot read the tiles from",
                std::io::Error::other("poisoned"),
            )
        })?;
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut out))
            .map_err(|e| TilerError::Io {
                path: self.dir.clone(),
                action: "cannot read the tiles back from a temporary file in",
                cause: e,
            })?;
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_come_back_as_they_went_in() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = TileSpill::new_in(Some(dir.path())).unwrap();
        let tiles: Vec<(TileCoord, Vec<u8>)> = (0..50u32)
            .map(|k| {
                (
                    TileCoord {
                        z: 6,
                        x: k,
                        y: 2 * k,
                    },
                    vec![k as u8; k as usize * 3 + 1],
                )
            })
            .collect();
        for (c, b) in &tiles {
            spill.push(*c, b).unwrap();
        }
        assert_eq!(spill.to_vec().unwrap(), tiles);
        // Going back forgets the later tiles and reuses their space.
        let mark = spill.mark();
        spill.push(TileCoord { z: 7, x: 0, y: 0 }, b"gone").unwrap();
        spill.rollback(mark);
        spill.push(TileCoord { z: 7, x: 1, y: 0 }, b"kept").unwrap();
        assert_eq!(spill.count(), 51);
        assert_eq!(spill.bytes(50).unwrap().as_ref(), b"kept");
        spill.rollback(50);
        assert_eq!(spill.size(7), 22);
        assert_eq!(
            spill.total_bytes(),
            tiles.iter().map(|t| t.1.len() as u64).sum::<u64>()
        );
    }
}
