//! Benchmarks of the index computation (issue: under 100 ms each on the project machine).
//!
//! - `england`: the England profile on the 32,844 LSOAs of the published IoD2019 File 2
//!   (needs `../shared/data`, skipped with a printed reason otherwise);
//! - `nl_synthetic_5y`: the Dutch profile on 14,574 buurten × 5 years with every indicator
//!   present, generated deterministically here (no RNG);
//! - `nl_kwb2024_x5`: the Dutch profile on the real 2024 KWB subset replicated over 5 years.
//!
//! Each is measured twice: `compute` alone (tables already joined), and `read+compute` from CSV
//! bytes in memory (parsing, joining and computing; no disk).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use mdi_core::{Options, Panel, Profile, Table, compute};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MDI_DATA_DIR")
        .map_or_else(|| repo().join("../shared/data"), PathBuf::from);
    dir.is_dir().then_some(dir)
}

fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("data file"))
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

/// A deterministic pseudo-random number in [0, 1) from a few integers (splitmix64).
fn hash01(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// 14,574 synthetic buurten × 5 years with every column of the nl-cbs profile.
fn nl_synthetic_csv() -> Vec<u8> {
    let cols = [
        "a_inw",
        "a_15_24",
        "a_25_44",
        "a_45_64",
        "a_65_oo",
        "p_hh_li",
        "a_soz_wb",
        "g_ink_pi",
        "a_soz_ww",
        "a_soz_ao",
        "p_arb_pp",
        "a_opl_lg",
        "rivm_goed_ervaren_gezondheid",
        "rivm_beperkt_gezondheid",
        "rivm_angst_depressie",
        "misdrijven_per_1000",
        "lbm_onv",
        "lbm_won",
        "g_afs_hp",
        "g_afs_gs",
        "g_afs_sc",
        "lbm_fys",
    ];
    let mut s = format!("buurtcode;jaar;{}\n", cols.join(";"));
    for b in 0..14_574u64 {
        let latent = hash01(b, 0);
        for year in 2020..2025u64 {
            s.push_str(&format!("BU{:08};{year}", b * 7));
            for (c, _) in cols.iter().enumerate() {
                let v = 100.0 + 900.0 * (0.6 * latent + 0.4 * hash01(b * 31 + year, c as u64));
                // Every 40th cell suppressed, as CBS does for small buurten.
                if (b + c as u64 + year).is_multiple_of(40) && c > 0 {
                    s.push_str(";   .");
                } else {
                    s.push_str(&format!(";{}", format!("{v:.1}").replace('.', ",")));
                }
            }
            s.push('\n');
        }
    }
    s.into_bytes()
}

fn bench_case(c: &mut Criterion, name: &str, profile: &Profile, csv: &[u8], options: &Options) {
    let table = Table::from_bytes(Path::new(name), csv).expect("table");
    let panel = Panel::build(profile, std::slice::from_ref(&table), None).expect("panel");
    let scores = compute(profile, &panel, options).expect("compute");
    eprintln!(
        "{name}: {} area-years, {} eligible",
        scores.rows.len(),
        scores.groups.iter().map(|g| g.eligible).sum::<usize>()
    );
    let mut g = c.benchmark_group(name);
    g.sample_size(20);
    g.bench_function("compute", |b| {
        b.iter_with_large_drop(|| {
            compute(black_box(profile), black_box(&panel), options).expect("compute")
        });
    });
    g.bench_function("read+compute", |b| {
        b.iter(|| {
            let t = Table::from_bytes(Path::new(name), black_box(csv)).expect("table");
            let p = Panel::build(profile, &[t], None).expect("panel");
            compute(profile, &p, options).expect("compute")
        });
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let profiles = repo().join("geodata/profiles");
    let nl = Profile::from_path(&profiles.join("nl-cbs.toml")).expect("nl profile");
    bench_case(
        c,
        "nl_synthetic_5y",
        &nl,
        &nl_synthetic_csv(),
        &Options::default(),
    );

    let Some(data) = data_dir() else {
        eprintln!(
            "skipping england and nl_kwb2024_x5: ../shared/data not found (set MDI_DATA_DIR)"
        );
        return;
    };
    let england = Profile::from_path(&profiles.join("england-iod2019.toml")).expect("profile");
    let file2 = gunzip(&data.join("england/iod2019_file2_domains.csv.gz"));
    bench_case(c, "england", &england, &file2, &Options::default());

    // The 2024 subset over 5 years: add a `jaar` column. It has 4 of 7 domains at most, so
    // rank with at least 3 (the profile asks 5).
    let kwb =
        String::from_utf8(gunzip(&data.join("nl/kwb_2024_buurt_subset.csv.gz"))).expect("utf8");
    let mut lines = kwb.lines();
    let header = lines.next().unwrap_or_default();
    let body: Vec<&str> = lines.collect();
    let mut x5 = format!("{header},jaar\n");
    for year in 2020..2025 {
        for l in &body {
            x5.push_str(&format!("{l},{year}\n"));
        }
    }
    let mut nl3 = nl.clone();
    nl3.set_eligibility(None, Some(3)).expect("3 domains");
    bench_case(c, "nl_kwb2024_x5", &nl3, x5.as_bytes(), &Options::default());
}

criterion_group!(compute_benches, benches);
criterion_main!(compute_benches);
