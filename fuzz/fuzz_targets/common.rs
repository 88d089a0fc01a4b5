//! Shared by the fuzz targets whose reader takes a path: the input is written to a file of the
//! given name in a folder of this process, in `/dev/shm` where it exists (fast, no disk wear),
//! else the system's temporary folder. `fuzz/run.sh` removes the folders afterwards.

use std::path::PathBuf;

/// Writes `data` to `mdi-fuzz-<pid>/<name>` and returns its path. Panics only if the
/// temporary folder cannot be written, which is not a finding.
pub fn write_input(name: &str, data: &[u8]) -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let base = if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("mdi-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the fuzz input folder cannot be made");
    let path = dir.join(name);
    // SQLite may leave side files next to a GeoPackage: start each input from nothing.
    for side in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(dir.join(format!("{name}{side}")));
    }
    std::fs::write(&path, data).expect("the fuzz input cannot be written");
    path
}
