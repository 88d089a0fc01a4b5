//! PMTiles reading: `mdi_format::read_pmtiles` (the reader of the tiler's tests and the
//! server) and the server's `TileStore::from_bytes` with a few lookups. Asserts no panic.
#![no_main]

use std::path::Path;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mdi_server::tiles::{Lookup, TileStore};

fuzz_target!(|data: &[u8]| {
    let _ = mdi_format::pmtiles::read_pmtiles(data);
    let Ok(store) = TileStore::from_bytes(Path::new("fuzz.pmtiles"), Bytes::copy_from_slice(data))
    else {
        return;
    };
    let _ = (store.len(), store.contents(), store.tiles_meta());
    for z in [store.min_zoom, store.max_zoom] {
        let z = u32::from(z);
        let n = 1u32.checked_shl(z).unwrap_or(u32::MAX);
        for (x, y) in [(0, 0), (n / 2, n / 2), (n.saturating_sub(1), 0), (n, n)] {
            if let Lookup::Found { bytes, .. } = store.get(z, x, y) {
                let _ = bytes.len();
            }
        }
    }
});
