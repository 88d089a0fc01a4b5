//! Reproduce the published IoD2019 from its seven published domain ranks (METHOD.md §1.6).
//!
//! Independent expectation: the official File 1 (IMD rank and decile), read here by the test
//! itself. Needs `../shared/data`; skips with a printed reason where it is absent.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::io::Read;

use common::{data_dir, read_scores, run, skip, stderr};

fn read_gz(path: &std::path::Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.trim_start_matches('\u{feff}').to_string()
}

/// code → (rank, decile) from a published file, with its `"29,199"` thousands separators.
fn published(text: &str, rank_col: usize, decile_col: usize) -> HashMap<String, (i64, i64)> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| rec[i].replace(',', "").parse::<i64>().unwrap();
            (rec[0].to_string(), (num(rank_col), num(decile_col)))
        })
        .collect()
}

#[test]
fn imd2019_is_reproduced_from_the_domain_ranks() {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the IoD2019 reproduction test needs the published files",
        );
        return;
    };
    let eng = data.join("england");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let o = run(&[
        "compute",
        "--profile",
        "geodata/profiles/england-iod2019.toml",
        "--indicators",
        eng.join("iod2019_file2_domains.csv.gz").to_str().unwrap(),
        "--indicators",
        eng.join("iod2019_file6_population.csv.gz")
            .to_str()
            .unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let file1 = published(&read_gz(&eng.join("iod2019_file1_imd.csv.gz")), 4, 5);
    let file2_text = read_gz(&eng.join("iod2019_file2_domains.csv.gz"));
    let rows = read_scores(&out);
    assert_eq!(rows.len(), 32_844);
    assert_eq!(file1.len(), 32_844);

    let (mut exact, mut worst) = (0, 0);
    for r in &rows {
        let (rank, decile) = file1[&r["code"]];
        let ours: i64 = r["mdi_rank"].parse().unwrap();
        let diff = (ours - rank).abs();
        exact += usize::from(diff == 0);
        worst = worst.max(diff);
        assert_eq!(
            r["mdi_decile"].parse::<i64>().unwrap(),
            decile,
            "decile of {}",
            r["code"]
        );
        assert!(
            !r["population"].is_empty(),
            "population from File 6 for {}",
            r["code"]
        );
    }
    eprintln!("IMD2019 ranks: {exact} of 32844 exact, worst difference {worst}");
    assert!(exact >= 32_700, "only {exact} exact ranks");
    assert!(worst <= 2, "a rank is off by {worst}");

    // The domain ranks come back unchanged (File 2 columns 6.. in rank/decile pairs). Where
    // File 2 gives k areas the same rank, ours are a permutation and break the tie by code
    // (METHOD.md §9), so they lie in rank..rank+k-1.
    let domains = [
        "income",
        "employment",
        "education",
        "health",
        "crime",
        "barriers",
        "living_environment",
    ];
    let by_code: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["code"].as_str(), r)).collect();
    let mut ties = 0;
    for (i, d) in domains.iter().enumerate() {
        let published = published(&file2_text, 6 + 2 * i, 7 + 2 * i);
        let mut shared: HashMap<i64, i64> = HashMap::new();
        for (rank, _) in published.values() {
            *shared.entry(*rank).or_default() += 1;
        }
        for (code, (rank, decile)) in &published {
            let r = by_code[code.as_str()];
            let ours = r[&format!("{d}_rank")].parse::<i64>().unwrap();
            let k = shared[rank];
            if k == 1 {
                assert_eq!(ours, *rank, "{d} rank of {code}");
                assert_eq!(
                    r[&format!("{d}_decile")].parse::<i64>().unwrap(),
                    *decile,
                    "{d} decile of {code}"
                );
            } else {
                ties += 1;
                assert!(
                    (*rank..*rank + k).contains(&ours),
                    "{d} rank of {code}: {ours} not in the tie at {rank}"
                );
            }
        }
    }
    eprintln!("{ties} domain ranks are tied in File 2");
}
