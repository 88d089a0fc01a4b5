//! The district (local-authority) summary measures of METHOD.md §1.8 on the published English
//! IoD2019: File 2 gives every LSOA's IMD rank and local authority, File 6 its population.
//!
//! Independent expectations: (1) the proportions of LSOAs in the most deprived 10 % that
//! METHOD.md §1.8 gives from the published File 10 (Middlesbrough 0.488, Liverpool 0.487,
//! Knowsley 0.469, Kingston upon Hull 0.452, Manchester 0.433), to three decimals; (2) every
//! measure of all 317 local authorities computed by `tests/analysis/england_districts.py` with
//! pandas, which shares no code with mdi-core. Needs `../shared/data`; skips where it is absent.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::{data_dir, python_json, skip};
use mdi_core::analysis::district::{Member, district_measures, rank_desc};

fn read_gz(path: &std::path::Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.trim_start_matches('\u{feff}').to_string()
}

fn number(cell: &str) -> f64 {
    cell.replace(',', "").parse().unwrap()
}

/// Local authority code → (name, members), and N.
fn districts(eng: &std::path::Path) -> (BTreeMap<String, (String, Vec<Member>)>, u32) {
    let pop: BTreeMap<String, f64> =
        csv::Reader::from_reader(read_gz(&eng.join("iod2019_file6_population.csv.gz")).as_bytes())
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), number(&r[4]))
            })
            .collect();
    let f2 = read_gz(&eng.join("iod2019_file2_domains.csv.gz"));
    let mut out: BTreeMap<String, (String, Vec<Member>)> = BTreeMap::new();
    let mut n = 0;
    for r in csv::Reader::from_reader(f2.as_bytes()).records() {
        let r = r.unwrap();
        n += 1;
        let e = out
            .entry(r[2].to_string())
            .or_insert_with(|| (r[3].to_string(), Vec::new()));
        let rank = number(&r[4]) as u32;
        e.1.push(Member {
            rank,
            // The English summaries use the score; the rank alone serves this test.
            score: f64::from(rank),
            population: pop[&r[0]],
        });
    }
    (out, n)
}

#[test]
fn english_district_measures_match_the_published_proportions_and_an_independent_computation() {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the district test needs IoD2019 Files 2 and 6",
        );
        return;
    };
    let eng = data.join("england");
    let (districts, n) = districts(&eng);
    assert_eq!(n, 32_844);
    assert_eq!(districts.len(), 317);
    let measures: BTreeMap<&str, _> = districts
        .iter()
        .map(|(code, (_, m))| (code.as_str(), district_measures(m, n).unwrap()))
        .collect();

    // (1) METHOD.md §1.8, from the published File 10.
    for (code, name, expected) in [
        ("E06000002", "Middlesbrough", 0.488),
        ("E08000012", "Liverpool", 0.487),
        ("E08000011", "Knowsley", 0.469),
        ("E06000010", "Kingston upon Hull, City of", 0.452),
        ("E08000003", "Manchester", 0.433),
    ] {
        assert_eq!(districts[code].0, name);
        let p = measures[code].proportion_worst_decile;
        assert!(
            (p - expected).abs() < 5e-4,
            "{name}: {p:.4}, published {expected}"
        );
    }
    // The five are the top five of the ranking on the measure.
    let codes: Vec<&str> = measures.keys().copied().collect();
    let ranks = rank_desc(
        &codes
            .iter()
            .map(|c| Some(measures[c].proportion_worst_decile))
            .collect::<Vec<_>>(),
    );
    let top: Vec<&str> = (1..=5)
        .map(|k| codes[ranks.iter().position(|&r| r == Some(k)).unwrap()])
        .collect();
    assert_eq!(
        top,
        [
            "E06000002",
            "E08000012",
            "E08000011",
            "E06000010",
            "E08000003"
        ]
    );

    // (2) Every district against pandas.
    let Some(py) = python_json("analysis/england_districts.py", &[eng.as_os_str()]) else {
        return;
    };
    assert_eq!(py["n"], n);
    let pyd = py["districts"].as_object().unwrap();
    assert_eq!(pyd.len(), 317);
    let mut worst = [0.0f64; 4];
    for (code, m) in &measures {
        let p = &pyd[*code];
        assert_eq!(p["areas"], m.areas);
        for (k, (key, ours)) in [
            ("average_rank", m.average_rank),
            ("proportion_worst_decile", m.proportion_worst_decile),
            ("extent", m.extent),
            ("share_worst_decile", m.share_worst_decile),
        ]
        .into_iter()
        .enumerate()
        {
            let theirs = p[key].as_f64().unwrap();
            let d = (ours - theirs).abs() / theirs.abs().max(1.0);
            worst[k] = worst[k].max(d);
            assert!(d < 1e-9, "{code} {key}: {ours} vs pandas {theirs}");
        }
    }
    eprintln!(
        "317 districts agree with pandas: largest relative differences average rank {:.1e}, proportion {:.1e}, extent {:.1e}, population share {:.1e}",
        worst[0], worst[1], worst[2], worst[3]
    );
}
