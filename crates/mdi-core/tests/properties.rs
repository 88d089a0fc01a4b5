//! Property tests: ranks are permutations, deciles follow the rule, and the order of the input
//! rows changes nothing in the output.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;

use mdi_core::stats::{decile, normal_scores, rank_descending};
use mdi_core::{Options, Panel, Profile, Table, compute};
use proptest::prelude::*;

const PROFILE: &str = r#"
id = "prop"
[input]
code_columns = ["code"]
year_columns = ["jaar"]
population = "pop"
[eligibility]
min_population = 10
min_domains = 2
[[domain]]
id = "a"
weight = 0.5
combine = "factor"
  [[domain.indicator]]
  id = "a1"
  column = "x1"
  direction = "higher-is-worse"
  [[domain.indicator]]
  id = "a2"
  numerator = "x2"
  denominator = "pop"
  direction = "lower-is-worse"
  [[domain.indicator]]
  id = "a3"
  column = "x3"
  direction = "higher-is-worse"
[[domain]]
id = "b"
weight = 0.3
  [[domain.subdomain]]
  id = "s1"
  weight = 0.7
    [[domain.subdomain.indicator]]
    id = "b1"
    column = "x4"
    direction = "higher-is-worse"
  [[domain.subdomain]]
  id = "s2"
  weight = 0.3
    [[domain.subdomain.indicator]]
    id = "b2"
    column = "x5"
    transform = "log"
    direction = "higher-is-worse"
[[domain]]
id = "c"
weight = 0.2
  [[domain.indicator]]
  id = "c1"
  column = "x6"
  direction = "lower-is-worse"
"#;

type Row = (u32, u16, Vec<Option<u8>>);

fn csv_of(rows: &[Row]) -> String {
    let mut s = String::from("code,jaar,pop,x1,x2,x3,x4,x5,x6\n");
    for (code, year, cells) in rows {
        s.push_str(&format!("BU{code:08},{}", 2020 + u32::from(*year % 3)));
        for c in cells {
            match c {
                Some(v) => s.push_str(&format!(",{v}")),
                None => s.push_str(", ."),
            }
        }
        s.push('\n');
    }
    s
}

fn scores_csv(rows: &[Row]) -> String {
    let profile = Profile::from_str_at(PROFILE, Path::new("prop.toml")).expect("profile");
    let table = Table::from_bytes(Path::new("t.csv"), csv_of(rows).as_bytes()).expect("table");
    let panel = Panel::build(&profile, &[table], None).expect("panel");
    let scores = compute(&profile, &panel, &Options::default()).expect("compute");
    let mut out = Vec::new();
    mdi_format::write_scores(&scores, &[], &mut out).expect("write");
    String::from_utf8(out).expect("utf8")
}

fn rows_strategy() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::btree_map(
        (0u32..200, 0u16..3),
        prop::collection::vec(prop::option::weighted(0.9, 0u8..60), 7),
        1..60,
    )
    .prop_map(|m| m.into_iter().map(|((c, y), v)| (c, y, v)).collect())
}

proptest! {
    #[test]
    fn ranks_are_a_permutation(values in prop::collection::vec(prop::option::of(-1000i32..1000), 0..300)) {
        let v: Vec<Option<f64>> = values.iter().map(|x| x.map(f64::from)).collect();
        let (ranks, n) = rank_descending(&v);
        let mut got: Vec<usize> = ranks.iter().flatten().copied().collect();
        got.sort_unstable();
        prop_assert_eq!(got, (1..=n).collect::<Vec<_>>());
        prop_assert_eq!(n, v.iter().flatten().count());
        // Higher values never get a worse (larger) rank.
        for i in 0..v.len() {
            for j in 0..v.len() {
                if let (Some(a), Some(b), Some(ra), Some(rb)) = (v[i], v[j], ranks[i], ranks[j])
                    && a > b
                {
                    prop_assert!(ra < rb);
                }
            }
        }
        // Deciles of a permutation sum to N and hold N/10 ± 1 each.
        if n >= 10 {
            let mut counts = [0usize; 11];
            for r in ranks.iter().flatten() { counts[decile(*r, n) as usize] += 1; }
            prop_assert_eq!(counts.iter().sum::<usize>(), n);
            for c in &counts[1..] { prop_assert!(c.abs_diff(n / 10) <= 1); }
        }
        // Normal scores keep the order of the values, and ties share a score.
        let s = normal_scores(&v);
        for i in 0..v.len() {
            for j in 0..v.len() {
                if let (Some(a), Some(b), Some(sa), Some(sb)) = (v[i], v[j], s[i], s[j]) {
                    if a > b { prop_assert!(sa > sb); }
                    if a == b { prop_assert_eq!(sa, sb); }
                }
            }
        }
    }

    #[test]
    fn row_order_changes_nothing(rows in rows_strategy(), seed in any::<u64>()) {
        let mut shuffled = rows.clone();
        // A deterministic shuffle from the seed (Fisher–Yates with an LCG).
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let j = (state >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(scores_csv(&rows), scores_csv(&shuffled));
    }

    #[test]
    fn every_group_ranks_its_eligible_areas_one_to_n(rows in rows_strategy()) {
        let out = scores_csv(&rows);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let header = r.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (year, eligible, rank, reason) =
            (col("year"), col("eligible"), col("mdi_rank"), col("excluded_reason"));
        let mut by_year: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for rec in r.records() {
            let rec = rec.unwrap();
            if &rec[eligible] == "true" {
                by_year.entry(rec[year].to_string()).or_default().push(rec[rank].parse().unwrap());
            } else {
                prop_assert_eq!(&rec[rank], "");
                prop_assert!(!rec[reason].is_empty(), "an excluded area has a reason");
            }
        }
        for ranks in by_year.values_mut() {
            ranks.sort_unstable();
            prop_assert_eq!(ranks.clone(), (1..=ranks.len()).collect::<Vec<_>>());
        }
    }
}

/// The scores CSV of `rows` as a map from area code and year to the rest of the row.
fn scores_by_code(out: &str) -> std::collections::BTreeMap<(String, String), Vec<String>> {
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header = r.headers().unwrap().clone();
    let code = header.iter().position(|h| h == "code").unwrap();
    let year = header.iter().position(|h| h == "year").unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let rest = rec
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != code)
                .map(|(_, v)| v.to_string())
                .collect();
            ((rec[code].to_string(), rec[year].to_string()), rest)
        })
        .collect()
}

proptest! {
    /// Renaming the areas (a bijection of codes that also reorders them) renames the output and
    /// changes nothing else: no score, rank or decile depends on what an area is called.
    #[test]
    fn renaming_codes_changes_nothing(rows in rows_strategy(), mult in 1u32..1000, shift in 0u32..1_000_000) {
        // c -> (c * (2 * mult + 1) + shift) mod 10^8 is a bijection on 0..10^8 (the multiplier
        // is odd and not a multiple of 5, after the fix-up), and it does not keep order.
        let mut m = 2 * mult + 1;
        if m % 5 == 0 { m += 2; }
        let rename = |c: u32| ((u64::from(c) * u64::from(m) + u64::from(shift)) % 100_000_000) as u32;
        let renamed: Vec<Row> = rows.iter().map(|(c, y, v)| (rename(*c), *y, v.clone())).collect();
        let before = scores_by_code(&scores_csv(&rows));
        let after = scores_by_code(&scores_csv(&renamed));
        let back: std::collections::BTreeMap<(String, String), Vec<String>> = rows
            .iter()
            .flat_map(|(c, _, _)| {
                let (old, new) = (format!("BU{c:08}"), format!("BU{:08}", rename(*c)));
                after
                    .iter()
                    .filter(move |((code, _), _)| *code == new)
                    .map(move |((_, year), rest)| ((old.clone(), year.clone()), rest.clone()))
            })
            .collect();
        prop_assert_eq!(before.len(), after.len());
        prop_assert_eq!(before, back);
    }
}
