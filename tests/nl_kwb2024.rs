//! The Dutch profile on the real 2024 KWB subset (`../shared/data/nl/kwb_2024_buurt_subset.csv.gz`).
//! The subset lacks werk, opleiding and woonomgeving by nature: the run must say so, rank
//! nobody at the profile's 5-of-7 rule, and with `--min-domains 3` rank exactly the buurten
//! that the test itself finds eligible in the raw file.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::io::Read;

use common::{data_dir, read_scores, run, skip, stderr, stdout};

#[test]
fn kwb_2024_subset_reports_missing_domains() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found (set MDI_DATA_DIR): the KWB 2024 test needs the CBS subset");
        return;
    };
    let kwb = data.join("nl/kwb_2024_buurt_subset.csv.gz");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "compute".to_string(),
            "--profile".into(),
            "geodata/profiles/nl-cbs.toml".into(),
            "--indicators".into(),
            kwb.to_string_lossy().into_owned(),
            "--year".into(),
            "2024".into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = args(&[]);
    let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("2024: 14574 areas, 0 eligible, 14574 excluded"),
        "{s}"
    );
    assert!(s.contains("WARNING: no area was ranked in 2024"), "{s}");
    for line in [
        "  werk: ww (no a_soz_ww",
        "  opleiding: laag_opgeleid (no a_opl_lg",
        "  woonomgeving: fysieke_omgeving (no lbm_fys)",
    ] {
        assert!(s.contains(line), "missing report `{line}` in\n{s}");
    }
    assert_eq!(read_scores(&out).len(), 14_574);

    let expected_codes = eligible_in_raw_file(&kwb);
    let expected = expected_codes.len();
    // The subset has income, health and crime for most inhabited buurten: the test's own reading
    // found 11,665 eligible of 14,574 when it was written. A reading that found (next to) none
    // would make the comparison below vacuous, so it must find most of them.
    assert!(
        (10_000..14_574).contains(&expected),
        "the test's own reading of {} finds {expected} eligible buurten: check the column names",
        kwb.display()
    );
    let a = args(&["--min-domains", "3"]);
    let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = read_scores(&out);
    let ranked: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r["eligible"] == "true")
        .map(|r| r["code"].clone())
        .collect();
    assert_eq!(
        ranked, expected_codes,
        "the ranked buurten are not the ones the test finds"
    );
    let mut ranks: Vec<usize> = rows
        .iter()
        .filter_map(|r| r["mdi_rank"].parse().ok())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=expected).collect::<Vec<_>>());
    assert!(
        stdout(&o).contains(&format!("2024: 14574 areas, {expected} eligible")),
        "{}",
        stdout(&o)
    );
}

/// The test's own reading of the raw file: the codes of the buurten with a population of at
/// least 100 and at least 3 of the four domains that the subset can fill.
fn eligible_in_raw_file(kwb: &std::path::Path) -> std::collections::BTreeSet<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(kwb).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (pop, inc, health, crime) = (
        col("kwb_inwoners"),
        col("kwb_inkomenPerInwoner"),
        col("goed_ervaren_gezondheid_pct"),
        col("misdrijven_per1000"),
    );
    let dist = [
        col("kwb_afstandHuisarts"),
        col("kwb_afstandSupermarkt"),
        col("kwb_afstandSchool"),
    ];
    let code = col("buurtcode");
    let mut expected_codes = std::collections::BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let has = |i: usize| !rec[i].trim().is_empty() && rec[i].trim() != ".";
        let p: Option<f64> = rec[pop].trim().parse().ok();
        let domains = [
            has(inc),
            has(health),
            has(crime),
            dist.iter().any(|&i| has(i)),
        ];
        if p.is_some_and(|p| p >= 100.0) && domains.iter().filter(|x| **x).count() >= 3 {
            expected_codes.insert(rec[code].trim().to_string());
        }
    }
    expected_codes
}
