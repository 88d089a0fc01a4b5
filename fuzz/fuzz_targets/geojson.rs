//! Area files: `mdi_geo::read_areas` on the input written as `areas.geojson` (the reader takes a
//! path). Asserts no panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use mdi_geo::{ReadOptions, read_areas};

fuzz_target!(|data: &[u8]| {
    let path = common::write_input("areas.geojson", data);
    let _ = read_areas(&path, &ReadOptions::default());
});
