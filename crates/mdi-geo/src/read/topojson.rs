//! Placeholder: being written.

use std::path::Path;

use crate::error::{GeoError, Result};
use crate::model::Source;
use crate::read::ReadOptions;

pub(crate) fn read(path: &Path, _bytes: &[u8], _options: &ReadOptions) -> Result<Source> {
    Err(GeoError::Format { path: path.to_path_buf(), message: "reader not written yet".into() })
}
