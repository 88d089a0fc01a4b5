//! Profiles (TOML): `Profile::from_str_at` on any UTF-8 text. Asserts no panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mdi_core::Profile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(profile) = Profile::from_str_at(text, Path::new("fuzz.toml")) {
        let _ = profile.total_weight();
        let _ = profile.indicators();
    }
});
