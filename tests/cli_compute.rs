//! End-to-end tests of `mdi-atlas compute` on small tables whose results are computed by hand,
//! and of every malformed-input path: each error must name the file, the line and the column
//! (or the profile key) and exit non-zero.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{read_scores, run, stderr, stdout};

/// Two domains of one indicator each, and a third made of two sub-domains (0.5/0.5).
const PROFILE: &str = r#"
id = "hand"
year = 2020

[input]
code_columns = ["code"]
population = "pop"

[eligibility]
min_population = 100
min_domains = 2

[[domain]]
id = "a"
weight = 0.6
  [[domain.indicator]]
  id = "ia"
  column = "va"
  direction = "higher-is-worse"

[[domain]]
id = "b"
weight = 0.4
  [[domain.indicator]]
  id = "ib"
  column = "vb"
  direction = "higher-is-worse"
"#;

const SUBDOMAINS: &str = r#"
[[domain]]
id = "c"
weight = 0
  [[domain.subdomain]]
  id = "s1"
  weight = 0.5
    [[domain.subdomain.indicator]]
    id = "c1"
    column = "va"
    direction = "higher-is-worse"
  [[domain.subdomain]]
  id = "s2"
  weight = 0.5
    [[domain.subdomain.indicator]]
    id = "c2"
    column = "vb"
    direction = "lower-is-worse"
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p.to_string_lossy().into_owned()
}

fn f(row: &HashMap<String, String>, k: &str) -> f64 {
    row[k]
        .parse()
        .unwrap_or_else(|_| panic!("{k} = {:?}", row[k]))
}

/// The exponential scores for N = 5 from METHOD.md §1.6: ranks 1..5 → these.
const X5: [f64; 5] = [100.0, 35.8568, 20.6327, 11.5515, 5.0580];

#[test]
fn five_areas_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    // va ranks a..e as 1..5; vb ranks them 5..1; f has too few inhabitants.
    let csv = "code,pop,va,vb\nE,500,1,5\nA,500,5,1\nB,500,4,2\nC,500,3,3\nD,500,2,4\nF,99,9,9\n";
    let t = write(dir.path(), "t.csv", csv);
    let p = write(dir.path(), "p.toml", &format!("{PROFILE}{SUBDOMAINS}"));
    let out = dir.path().join("scores.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("2020: 6 areas, 5 eligible, 1 excluded (1 population below minimum)"),
        "{s}"
    );

    let rows = read_scores(&out);
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["code"].as_str(), r)).collect();
    // Domain a: A is rank 1 … E rank 5, X from the METHOD vectors.
    for (i, code) in ["A", "B", "C", "D", "E"].iter().enumerate() {
        let r = by[code];
        assert_eq!(r["a_rank"], (i + 1).to_string());
        assert!((f(r, "a_score") - X5[i]).abs() < 1e-4, "{code}");
        assert_eq!(r["b_rank"], (5 - i).to_string());
        assert!((f(r, "b_score") - X5[4 - i]).abs() < 1e-4, "{code}");
    }
    // MDI = 0.6·X_a + 0.4·X_b (+ 0·X_c): A 62.0232, E 43.0348, B 26.13468, D 21.27362, C 20.6327.
    let want = [
        ("A", 62.0232, 1),
        ("E", 43.0348, 2),
        ("B", 26.13468, 3),
        ("D", 21.27362, 4),
        ("C", 20.6327, 5),
    ];
    for (code, score, rank) in want {
        let r = by[code];
        assert!(
            (f(r, "mdi_score") - score).abs() < 1e-3,
            "{code}: {}",
            r["mdi_score"]
        );
        assert_eq!(r["mdi_rank"], rank.to_string(), "{code}");
        // ceil(10·rank/5) = 2·rank.
        assert_eq!(r["mdi_decile"], (2 * rank).to_string(), "{code}");
        assert_eq!(r["eligible"], "true");
    }
    // Sub-domains: s1 ranks like a, s2 (lower-is-worse on vb) also like a, so c = X_a… both
    // equal: c_score = 0.5·X + 0.5·X = X of a's rank.
    for (i, code) in ["A", "B", "C", "D", "E"].iter().enumerate() {
        assert!((f(by[code], "c_score") - X5[i]).abs() < 1e-4, "{code}");
    }
    // domains_in_worst_decile: decile 1 needs rank ≤ 0.5 → nobody with N = 5 … rank 1 gives
    // ceil(10/5) = 2. So every area counts 0.
    for code in ["A", "B", "C", "D", "E"] {
        assert_eq!(by[code]["domains_in_worst_decile"], "0");
    }
    let excluded = by["F"];
    assert_eq!(excluded["eligible"], "false");
    assert_eq!(excluded["mdi_rank"], "");
    assert!(
        excluded["excluded_reason"].contains("below minimum 100"),
        "{excluded:?}"
    );
    assert_eq!(excluded["reason"], "population-below");
    for code in ["A", "B", "C", "D", "E"] {
        assert_eq!(by[code]["reason"], "", "a ranked area has no reason");
    }
}

#[test]
fn ties_are_broken_by_code_and_subdomains_combine_by_weight() {
    let dir = tempfile::tempdir().unwrap();
    // With both sub-domains on the same orientation of va and vb, c = 0.5·X(va) + 0.5·X(vb):
    // A and E tie at 52.529, B and D at 23.70415; ties go to the smaller code.
    let sub = SUBDOMAINS
        .replace("lower-is-worse", "higher-is-worse")
        .replace("weight = 0\n", "weight = 1\n");
    // Only c carries weight, so it is the one domain that counts for eligibility.
    let profile = PROFILE
        .replace("weight = 0.6", "weight = 0")
        .replace("weight = 0.4", "weight = 0")
        .replace("min_domains = 2", "min_domains = 1");
    let p = write(dir.path(), "p.toml", &format!("{profile}{sub}"));
    let t = write(
        dir.path(),
        "t.csv",
        "code,pop,va,vb\nE,500,1,5\nD,500,2,4\nC,500,3,3\nB,500,4,2\nA,500,5,1\n",
    );
    let out = dir.path().join("s.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = read_scores(&out);
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["code"].as_str(), r)).collect();
    // The domain is then ranked on that combination, and its score is X of its rank.
    for (code, rank) in [("A", 1), ("E", 2), ("B", 3), ("D", 4), ("C", 5)] {
        assert_eq!(by[code]["c_rank"], rank.to_string(), "{code}");
        assert_eq!(by[code]["mdi_rank"], rank.to_string(), "{code}");
        assert!(
            (f(by[code], "c_score") - X5[rank - 1]).abs() < 1e-4,
            "{code}"
        );
    }
}

#[test]
fn missing_domain_weights_are_respread() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.toml",
        &PROFILE.replace("min_domains = 2", "min_domains = 1"),
    );
    // A has no value in domain b: its MDI is X_a · (0.6 + 0.4) / 0.6 = X_a / 0.6 · 1.0.
    let t = write(
        dir.path(),
        "t.csv",
        "code,pop,va,vb\nA,500,5, . \nB,500,4,2\nC,500,3,3\nD,500,2,4\nE,500,1,5\n",
    );
    let out = dir.path().join("s.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("b: no data for 1 of 5 eligible areas"),
        "{}",
        stdout(&o)
    );
    let rows = read_scores(&out);
    let a = rows.iter().find(|r| r["code"] == "A").unwrap();
    assert_eq!(a["domains_missing"], "b");
    assert_eq!(a["b_score"], "");
    // X_a(rank 1 of 5) = 100; re-spread: 0.6·100 · 1.0/0.6 = 100.
    assert!((f(a, "mdi_score") - 100.0).abs() < 1e-9);
    // Domain b is ranked among the 4 areas that have it: E (vb = 5) is rank 1 of 4.
    let e = rows.iter().find(|r| r["code"] == "E").unwrap();
    assert_eq!(e["b_rank"], "1");
    assert!((f(e, "b_score") - 100.0).abs() < 1e-9);
}

#[test]
fn pooled_ranking_ranks_all_years_together() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.toml", PROFILE);
    let t = write(
        dir.path(),
        "t.csv",
        "code,jaar,pop,va,vb\nA,2020,500,5,1\nB,2020,500,4,2\nA,2021,500,3,3\nB,2021,500,2,4\nC,2021,500,1,5\n",
    );
    let out = dir.path().join("s.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--ranking",
        "pooled",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("pooled: 5 areas, 5 eligible"),
        "{}",
        stdout(&o)
    );
    let rows = read_scores(&out);
    // Pooled: va ranks the five area-years 1..5 exactly as the hand case (N = 5).
    let a2020 = rows
        .iter()
        .find(|r| r["code"] == "A" && r["year"] == "2020")
        .unwrap();
    let a2021 = rows
        .iter()
        .find(|r| r["code"] == "A" && r["year"] == "2021")
        .unwrap();
    assert_eq!(a2020["a_rank"], "1");
    assert_eq!(a2021["a_rank"], "3");
    assert!((f(a2020, "mdi_score") - 62.0232).abs() < 1e-3);
    // Per year instead: 2020 has N = 2.
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let rows = read_scores(&out);
    let a2021 = rows
        .iter()
        .find(|r| r["code"] == "A" && r["year"] == "2021")
        .unwrap();
    assert_eq!(a2021["a_rank"], "1");
}

#[test]
fn cbs_and_english_conventions_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.toml",
        &PROFILE.replace("min_domains = 2", "min_domains = 1"),
    );
    // BOM, quoted thousands separators, '.' with spaces, padded codes (comma file) …
    let t1 = write(
        dir.path(),
        "en.csv",
        "\u{feff}code,pop,va\n\"A \",\"1,500\",\"29,199\"\nB,\"2,000\",   .  \nC,800,\"1,5\"\n",
    );
    // … and a ';' file with decimal commas, joined on the code.
    let t2 = write(dir.path(), "nl.csv", "code;vb\nA;0,5\nB;2,25\nC;1,0\n");
    let out = dir.path().join("s.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t1,
        "--indicators",
        &t2,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = read_scores(&out);
    let by: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["code"].as_str(), r)).collect();
    assert_eq!(by["A"]["population"], "1500");
    assert_eq!(by["B"]["population"], "2000");
    // va: A = 29199 > C = 1.5, B missing.
    assert_eq!(by["A"]["a_rank"], "1");
    assert_eq!(by["C"]["a_rank"], "2");
    assert_eq!(by["B"]["a_rank"], "");
    // vb: B = 2.25 > C = 1.0 > A = 0.5.
    assert_eq!(by["B"]["b_rank"], "1");
    assert_eq!(by["C"]["b_rank"], "2");
    assert_eq!(by["A"]["b_rank"], "3");
}

/// Run a failing compute and return its standard error.
fn fails(dir: &Path, profile: &str, tables: &[(&str, &str)], extra: &[&str]) -> String {
    let p = write(dir, "p.toml", profile);
    let mut args = vec!["compute".to_string(), "--profile".into(), p];
    for (name, text) in tables {
        args.push("--indicators".into());
        args.push(write(dir, name, text));
    }
    args.extend([
        "--out".to_string(),
        dir.join("out.csv").to_string_lossy().into_owned(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!o.status.success(), "should fail: {}", stdout(&o));
    assert!(!dir.join("out.csv").exists(), "no output on failure");
    stderr(&o)
}

#[test]
fn table_errors_name_file_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    // A non-numeric cell: line 3, field 3 (`va`).
    let e = fails(
        d,
        PROFILE,
        &[("t.csv", "code,pop,va,vb\nA,500,1,2\nB,500,abc,2\n")],
        &[],
    );
    assert!(
        e.contains("t.csv:3:3") && e.contains("`va`") && e.contains("`abc` is not a number"),
        "{e}"
    );
    // A duplicate area-year: line 4, first seen on line 2.
    let e = fails(
        d,
        PROFILE,
        &[("t.csv", "code,pop,va,vb\nA,500,1,2\nB,500,1,2\nA,500,3,4\n")],
        &[],
    );
    assert!(
        e.contains("t.csv:4:1") && e.contains("duplicate area-year A 2020") && e.contains("line 2"),
        "{e}"
    );
    // A row with too many fields.
    let e = fails(
        d,
        PROFILE,
        &[("t.csv", "code,pop,va,vb\nA,500,1,2\nB,500,1,2,9\n")],
        &[],
    );
    assert!(
        e.contains("t.csv:3") && e.contains("5 fields, the header has 4"),
        "{e}"
    );
    // A bad year cell.
    let e = fails(
        d,
        PROFILE,
        &[(
            "t.csv",
            "code,jaar,pop,va,vb\nA,2020,500,1,2\nB,twenty,500,1,2\n",
        )],
        &[],
    );
    assert!(
        e.contains("t.csv:3:2") && e.contains("`jaar`") && e.contains("not a year"),
        "{e}"
    );
    // No year column and no year anywhere.
    let no_year = PROFILE.replace("year = 2020\n", "");
    let e = fails(
        d,
        &no_year,
        &[("t.csv", "code,pop,va,vb\nA,500,1,2\n")],
        &[],
    );
    assert!(
        e.contains("t.csv: no year column") && e.contains("--year"),
        "{e}"
    );
    // A column named by the profile that is in no table (profile line 19, key indicator.column).
    let e = fails(d, PROFILE, &[("t.csv", "code,pop,va,vx\nA,500,1,2\n")], &[]);
    assert!(
        e.contains("p.toml:26:")
            && e.contains("indicator.column")
            && e.contains("unknown column `vb`")
            && e.contains("t.csv"),
        "{e}"
    );
    // The same column in two tables is no longer an error: the first table wins and
    // disagreements are counted (crates/mdi-core/tests/cbs_import.rs).
    // An empty code.
    let e = fails(d, PROFILE, &[("t.csv", "code,pop,va,vb\n ,500,1,2\n")], &[]);
    assert!(
        e.contains("t.csv:2:1") && e.contains("empty area code"),
        "{e}"
    );
    // A missing file and a corrupt gzip file.
    let e = fails(
        d,
        PROFILE,
        &[],
        &["--indicators", d.join("nope.csv").to_str().unwrap()],
    );
    assert!(e.contains("nope.csv: cannot read"), "{e}");
    std::fs::write(d.join("bad.csv.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let e = fails(
        d,
        PROFILE,
        &[],
        &["--indicators", d.join("bad.csv.gz").to_str().unwrap()],
    );
    assert!(e.contains("bad.csv.gz: cannot read"), "{e}");
}

#[test]
fn profile_errors_name_line_and_key() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let t = [("t.csv", "code,pop,va,vb\nA,500,1,2\n")];
    // Unknown key on line 13.
    let e = fails(
        d,
        &PROFILE.replace("min_domains = 2", "min_domains = 2\nmin_areas = 3"),
        &t,
        &[],
    );
    assert!(
        e.contains("p.toml:12:") && e.contains("`min_areas`") && e.contains("unknown field"),
        "{e}"
    );
    // A weight of the wrong type, line 17.
    let e = fails(
        d,
        &PROFILE.replace("weight = 0.6", "weight = \"high\""),
        &t,
        &[],
    );
    assert!(
        e.contains("p.toml:15:") && e.contains("key `weight`"),
        "{e}"
    );
    // A negative weight.
    let e = fails(d, &PROFILE.replace("weight = 0.6", "weight = -1"), &t, &[]);
    assert!(
        e.contains("p.toml:15:") && e.contains("domain.weight") && e.contains("≥ 0"),
        "{e}"
    );
    // A direction that is not allowed, and a missing one.
    let e = fails(d, &PROFILE.replacen("higher-is-worse", "up", 1), &t, &[]);
    assert!(
        e.contains("p.toml:19:") && e.contains("key `direction`"),
        "{e}"
    );
    let e = fails(
        d,
        &PROFILE.replacen("  direction = \"higher-is-worse\"\n", "", 1),
        &t,
        &[],
    );
    assert!(
        e.contains("p.toml:16:") && e.contains("indicator.direction"),
        "{e}"
    );
    // Broken TOML syntax.
    let e = fails(
        d,
        &PROFILE.replace("[eligibility]", "[eligibility"),
        &t,
        &[],
    );
    assert!(e.contains("p.toml:9:"), "{e}");
    // A missing required key is named.
    let e = fails(d, &PROFILE.replace("id = \"hand\"\n", ""), &t, &[]);
    assert!(e.contains("key `id`") && e.contains("missing field"), "{e}");
    // `combine` on a domain made of sub-domains would be ignored: an error instead.
    let sub = SUBDOMAINS.replace("weight = 0\n", "weight = 0\ncombine = \"factor\"\n");
    let e = fails(d, &format!("{PROFILE}{sub}"), &t, &[]);
    assert!(
        e.contains("p.toml:32:") && e.contains("domain.combine"),
        "{e}"
    );
    // Command-line overrides get the same checks as the profile.
    let e = fails(d, PROFILE, &t, &["--min-domains", "0"]);
    assert!(
        e.contains("eligibility.min_domains") && e.contains("between 1 and"),
        "{e}"
    );
    let no_pop = PROFILE
        .replace("population = \"pop\"\n", "")
        .replace("min_population = 100", "min_population = 0");
    let e = fails(d, &no_pop, &t, &["--min-population", "50"]);
    assert!(
        e.contains("eligibility.min_population") && e.contains("population column"),
        "{e}"
    );
    // min_domains larger than the number of domains.
    let e = fails(
        d,
        &PROFILE.replace("min_domains = 2", "min_domains = 9"),
        &t,
        &[],
    );
    assert!(
        e.contains("p.toml:11:") && e.contains("eligibility.min_domains"),
        "{e}"
    );
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "p.toml", PROFILE);
    let good = write(
        dir.path(),
        "good.csv",
        "code,pop,va,vb\nA,500,1,2\nB,500,2,1\n",
    );
    let bad = write(
        dir.path(),
        "bad.csv",
        "code,pop,va,vb\nA,500,1,2\nB,500,x,1\n",
    );
    let out = dir.path().join("scores.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &good,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let before = std::fs::read(&out).unwrap();
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &bad,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

/// The domains of the Dutch profile, in its order.
const NL_DOMAINS: [&str; 7] = [
    "inkomen",
    "werk",
    "opleiding",
    "gezondheid",
    "veiligheid",
    "huisvesting",
    "woonomgeving",
];

#[test]
fn the_example_table_runs_with_the_dutch_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let o = run(&[
        "compute",
        "--profile",
        "geodata/profiles/nl-cbs.toml",
        "--indicators",
        "geodata/examples/voorbeeld-buurten.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // gezondheid asks for one-factor weights, and the example has a clear factor.
    assert!(
        stdout(&o).contains("2023: one-factor weights in gezondheid: goed_ervaren_gezondheid"),
        "{}",
        stdout(&o)
    );
    check_example_header(&out);
    let rows = read_scores(&out);
    assert_eq!(rows.len(), 24);
    for year in ["2023", "2024"] {
        check_example_year(&rows, year);
    }
}

/// The columns of the example's scores.csv: identity, MDI, rank and decile per domain, summary.
fn check_example_header(out: &Path) {
    let (header, _) = common::read_csv(out);
    let mut want: Vec<String> = [
        "code",
        "year",
        "population",
        "eligible",
        "mdi_score",
        "mdi_rank",
        "mdi_decile",
    ]
    .map(String::from)
    .to_vec();
    for d in NL_DOMAINS {
        want.extend([
            format!("{d}_score"),
            format!("{d}_rank"),
            format!("{d}_decile"),
        ]);
    }
    want.extend(
        [
            "domains_in_worst_decile",
            "domains_missing",
            "excluded_reason",
            "reason",
        ]
        .map(String::from),
    );
    assert_eq!(header, want);
}

/// One year of the example: 11 ranked areas with ranks 1 to 11, and in each row the MDI as the
/// weighted domain scores, the missing domains, the decile from the rank, and the count of
/// domains in the worst decile.
fn check_example_year(rows: &[HashMap<String, String>], year: &str) {
    let weights = [0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093];
    let ranked: Vec<_> = rows
        .iter()
        .filter(|r| r["year"] == year && r["eligible"] == "true")
        .collect();
    assert_eq!(ranked.len(), 11);
    let mut ranks: Vec<usize> = ranked
        .iter()
        .map(|r| r["mdi_rank"].parse().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=11).collect::<Vec<_>>());
    for r in &ranked {
        // The MDI is the weighted sum of the domain scores in the same row, the weights
        // re-spread over the domains present (Zuiderhof has no woonomgeving).
        let present: Vec<(f64, f64)> = NL_DOMAINS
            .iter()
            .zip(weights)
            .filter(|(d, _)| !r[&format!("{d}_score")].is_empty())
            .map(|(d, w)| (w, f(r, &format!("{d}_score"))))
            .collect();
        let total: f64 = weights.iter().sum();
        let present_w: f64 = present.iter().map(|p| p.0).sum();
        let sum: f64 = present.iter().map(|(w, x)| w * x).sum::<f64>() * total / present_w;
        assert!((sum - f(r, "mdi_score")).abs() < 1e-5, "{}", r["code"]);
        let missing: Vec<&str> = NL_DOMAINS
            .iter()
            .copied()
            .filter(|d| r[&format!("{d}_score")].is_empty())
            .collect();
        assert_eq!(r["domains_missing"], missing.join(" "));
        if r["code"] == "BU99010010" {
            assert_eq!(r["domains_missing"], "woonomgeving");
        }
        let n = 11.0;
        let rank: f64 = f(r, "mdi_rank");
        assert_eq!(f(r, "mdi_decile"), (10.0 * rank / n).ceil());
        let worst = NL_DOMAINS
            .iter()
            .filter(|d| r[&format!("{d}_decile")] == "1")
            .count();
        assert_eq!(r["domains_in_worst_decile"], worst.to_string());
    }
}

#[test]
fn data_in_a_zero_weight_domain_does_not_make_an_area_eligible() {
    let dir = tempfile::tempdir().unwrap();
    // Domain a has weight 0; F has data only there, so it has no domain that counts.
    let profile = PROFILE
        .replace("weight = 0.6", "weight = 0")
        .replace("min_domains = 2", "min_domains = 1");
    let p = write(dir.path(), "p.toml", &profile);
    let t = write(
        dir.path(),
        "t.csv",
        "code,pop,va,vb\nA,500,1,2\nB,500,2,1\nF,500,3, .\n",
    );
    let out = dir.path().join("s.csv");
    let o = run(&[
        "compute",
        "--profile",
        &p,
        "--indicators",
        &t,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = read_scores(&out);
    let f = rows.iter().find(|r| r["code"] == "F").unwrap();
    assert_eq!(f["eligible"], "false");
    assert!(
        f["excluded_reason"].contains("0 domains with data"),
        "{f:?}"
    );
    assert_eq!(f["reason"], "too-few-domains");
    for r in rows.iter().filter(|r| r["eligible"] == "true") {
        assert!(
            !r["mdi_score"].is_empty(),
            "an eligible area always has an MDI score: {r:?}"
        );
    }
}
