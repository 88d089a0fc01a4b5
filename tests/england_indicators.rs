//! Rebuild the IoD2019 domains from the published indicators (File 8 content) and the File 6
//! denominators with `geodata/profiles/england-iod2019-indicators.toml`, and compare the domain
//! ranks with the published File 2 ranks, and the IMD built from them with File 1.
//!
//! Independent expectations: the official File 1 and File 2, and the indicator file itself, read
//! here by the test; the Spearman correlation (average ranks for ties) is written here, not taken
//! from the core. Needs `../shared/data`; skips with a printed reason where it is absent.
//! `docs/VALIDATION.md` reports the figures this test prints.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use common::{data_dir, read_scores, run, skip, stderr, stdout};

fn read_gz(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.trim_start_matches('\u{feff}').to_string()
}

/// The rows of a published CSV as maps from header to cell.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A published number, with its `"29,199"` thousands separators.
fn num(cell: &str) -> f64 {
    cell.replace(',', "").parse().unwrap()
}

/// Ranks 1..n of `x` ascending, ties given the average of the ranks they span.
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) hold ranks i+1..=j+1; their mean is (i + j) / 2 + 1.
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ: the Pearson correlation of the average ranks (METHOD.md §7).
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len());
    let (rx, ry) = (average_ranks(x), average_ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn spearman_with_ties_by_hand() {
    // x ranks 1, 2.5, 2.5, 4; y ranks 1, 3, 2, 4; deviations from 2.5: (−1.5, 0, 0, 1.5) and
    // (−1.5, 0.5, −0.5, 1.5): Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5, so ρ = 4.5/√22.5 = √0.9.
    let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[10.0, 30.0, 20.0, 40.0]);
    assert!((rho - 0.9_f64.sqrt()).abs() < 1e-12, "{rho}");
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

/// Spearman and decile agreement of one computed rank column against a published one, over
/// the areas the computation ranked. Returns (ρ, share of equal deciles, areas compared).
fn compare(
    ours: &[HashMap<String, String>],
    published: &HashMap<String, HashMap<String, String>>,
    (rank, decile): (&str, &str),
    (pub_rank, pub_decile): (&str, &str),
) -> (f64, f64, usize) {
    let (mut x, mut y, mut same) = (Vec::new(), Vec::new(), 0usize);
    for r in ours.iter().filter(|r| !r[rank].is_empty()) {
        let p = &published[&r["code"]];
        x.push(num(&r[rank]));
        y.push(num(&p[pub_rank]));
        same += usize::from(num(&r[decile]) == num(&p[pub_decile]));
    }
    (spearman(&x, &y), same as f64 / x.len() as f64, x.len())
}

/// Run the profile on the two files; the summary (standard output) and the output rows.
fn compute(eng: &Path, out: &Path) -> (String, Vec<HashMap<String, String>>) {
    let o = run(&[
        "compute",
        "--profile",
        "geodata/profiles/england-iod2019-indicators.toml",
        "--indicators",
        eng.join("iod2019_indicators.csv.gz").to_str().unwrap(),
        "--indicators",
        eng.join("iod2019_file6_population.csv.gz")
            .to_str()
            .unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (stdout(&o), read_scores(out))
}

/// Crime is the only domain without data, said in the summary; the LSOAs not ranked are
/// exactly those where the file suppresses the Income or the Employment numerator (then only
/// 5 of the 6 domains have data).
fn check_crime_and_exclusions(summary: &str, rows: &[HashMap<String, String>], eng: &Path) {
    let missing: Vec<&str> = summary
        .lines()
        .skip_while(|l| !l.starts_with("indicators missing everywhere"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(missing.len(), 1, "{summary}");
    assert!(missing[0].trim_start().starts_with("crime:"), "{summary}");
    assert!(
        summary.contains("one-factor weights in health"),
        "the factor model ran in health: {summary}"
    );
    assert!(rows.iter().all(|r| r["crime_rank"].is_empty()));

    let indicators = csv_rows(&read_gz(&eng.join("iod2019_indicators.csv.gz")));
    let suppressed: std::collections::BTreeSet<&str> = indicators
        .iter()
        .filter(|r| {
            r["income_domain_numerator"].is_empty() || r["employment_domain_numerator"].is_empty()
        })
        .map(|r| r["lsoa11_code"].as_str())
        .collect();
    let unranked: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["mdi_rank"].is_empty())
        .map(|r| r["code"].as_str())
        .collect();
    eprintln!(
        "{} LSOAs not ranked (Income or Employment numerator suppressed)",
        unranked.len()
    );
    assert_eq!(unranked, suppressed);
}

#[test]
fn domains_from_the_indicators_match_the_published_ranks() {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the IoD2019 indicator test needs the published files",
        );
        return;
    };
    let eng = data.join("england");
    let dir = tempfile::tempdir().unwrap();
    let (summary, rows) = compute(&eng, &dir.path().join("scores.csv"));
    assert_eq!(rows.len(), 32_844);
    check_crime_and_exclusions(&summary, &rows, &eng);

    let by_code = |text: String| -> HashMap<String, HashMap<String, String>> {
        csv_rows(&text)
            .into_iter()
            .map(|r| (r["LSOA code (2011)"].clone(), r))
            .collect()
    };
    let file2 = by_code(read_gz(&eng.join("iod2019_file2_domains.csv.gz")));
    let file1 = by_code(read_gz(&eng.join("iod2019_file1_imd.csv.gz")));
    assert_eq!((file1.len(), file2.len()), (32_844, 32_844));

    // (our id, File 2 name, Spearman floor, decile-agreement floor). Income, Employment, Health
    // and Living Environment are the acceptance thresholds; Education and Barriers are loose
    // floors 0.01 below what was measured (docs/VALIDATION.md).
    let domains = [
        ("income", "Income", 0.999, 0.95),
        ("employment", "Employment", 0.999, 0.90),
        ("education", "Education, Skills and Training", 0.930, 0.45),
        ("health", "Health Deprivation and Disability", 0.995, 0.96),
        ("barriers", "Barriers to Housing and Services", 0.989, 0.98),
        ("living_environment", "Living Environment", 0.995, 0.96),
    ];
    for (id, name, rho_min, decile_min) in domains {
        let (rho, deciles, n) = compare(
            &rows,
            &file2,
            (&format!("{id}_rank"), &format!("{id}_decile")),
            (
                &format!("{name} Rank (where 1 is most deprived)"),
                &format!("{name} Decile (where 1 is most deprived 10% of LSOAs)"),
            ),
        );
        eprintln!("{id}: Spearman {rho:.5}, deciles equal {deciles:.4}, n = {n}");
        assert!(rho >= rho_min, "{id}: Spearman {rho:.5} < {rho_min}");
        assert!(deciles >= decile_min, "{id}: deciles equal {deciles:.4}");
    }
    // The IMD from the six computed domains (Crime's weight re-spread), against File 1.
    let (rho, deciles, n) = compare(
        &rows,
        &file1,
        ("mdi_rank", "mdi_decile"),
        (
            "Index of Multiple Deprivation (IMD) Rank",
            "Index of Multiple Deprivation (IMD) Decile",
        ),
    );
    eprintln!("IMD: Spearman {rho:.5}, deciles equal {deciles:.4}, n = {n}");
    assert!(rho >= 0.982, "IMD: Spearman {rho:.5}");
    assert!(deciles >= 0.74, "IMD: deciles equal {deciles:.4}");
}
