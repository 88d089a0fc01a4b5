//! Indicator tables (CSV in every CBS shape): `Table::from_bytes`, then the panel and the
//! index with the Dutch profile when the table parses. Asserts no panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mdi_core::{Options, Panel, Profile, Table, compute};

const PROFILE: &str = include_str!("../../geodata/profiles/nl-cbs.toml");

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.csv");
    let Ok(table) = Table::from_bytes(path, data) else {
        return;
    };
    let _ = table.regions();
    let _ = table.default_code_column();
    let profile = Profile::from_str_at(PROFILE, Path::new("nl-cbs.toml"))
        .expect("the Dutch profile of the repository is valid");
    if let Ok(panel) = Panel::build(&profile, &[table], None) {
        let _ = compute(&profile, &panel, &Options::default());
    }
});
