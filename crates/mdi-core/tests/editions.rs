//! Indicator editions: from a year on, an indicator comes from another column (CBS replaced
//! `p_hh_osm` by `p_ink_ar` in KWB 2024), and the profile declares the series break.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;

use mdi_core::{Options, Panel, Profile, Table, compute};

const PROFILE: &str = r#"
id = "t"
name = "t"
ranking = "per-year"
[input]
population = "pop"
[eligibility]
min_population = 0
min_domains = 1
[[domain]]
id = "inkomen"
weight = 1.0
  [[domain.indicator]]
  id = "armoede"
  column = "p_hh_osm"
  direction = "higher-is-worse"
    [[domain.indicator.edition]]
    from = 2024
    column = "p_ink_ar"
    break = "armoedegrens in plaats van sociaal minimum"
"#;

/// Both columns in every row, so that a wrong choice of column changes the ranks: in 2023
/// the order by `p_hh_osm` is A > B > C (A most deprived), by `p_ink_ar` it is C > B > A.
const TABLE: &str = "code,year,pop,p_hh_osm,p_ink_ar\n\
A,2023,100,30,1\nB,2023,100,20,2\nC,2023,100,10,3\n\
A,2024,100,30,1\nB,2024,100,20,2\nC,2024,100,10,3\n";

#[test]
fn each_year_reads_the_column_of_its_edition() {
    let profile = Profile::from_str_at(PROFILE, Path::new("t.toml")).unwrap();
    let ind = &profile.indicators()[0].1;
    assert_eq!(ind.editions.len(), 1);
    assert_eq!(ind.editions[0].from, 2024);
    assert_eq!(
        ind.editions[0].series_break.as_deref(),
        Some("armoedegrens in plaats van sociaal minimum")
    );
    let table = Table::from_bytes(Path::new("t.csv"), TABLE.as_bytes()).unwrap();
    let panel = Panel::build(&profile, &[table], None).unwrap();
    let scores = compute(&profile, &panel, &Options::default()).unwrap();
    let rank = |code: &str, year: i32| {
        scores
            .rows
            .iter()
            .find(|r| &*r.code == code && r.year == year)
            .unwrap()
            .mdi_rank
            .unwrap()
    };
    // 2023: p_hh_osm, higher is worse: A (30) rank 1, C (10) rank 3.
    assert_eq!(
        (rank("A", 2023), rank("B", 2023), rank("C", 2023)),
        (1, 2, 3)
    );
    // 2024: p_ink_ar: C (3) rank 1, A (1) rank 3.
    assert_eq!(
        (rank("A", 2024), rank("B", 2024), rank("C", 2024)),
        (3, 2, 1)
    );
    assert!(scores.missing_indicators.is_empty());
}

#[test]
fn editions_out_of_order_are_refused_with_the_line() {
    let bad = PROFILE.replace(
        "    break = \"armoedegrens in plaats van sociaal minimum\"\n",
        "    [[domain.indicator.edition]]\n    from = 2020\n    column = \"x\"\n",
    );
    let err = Profile::from_str_at(&bad, Path::new("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ascending order of `from`"), "{err}");
    assert!(err.contains("t.toml:"), "{err}");
}

#[test]
fn a_renamed_column_falls_back_to_the_old_code_but_never_across_a_break() {
    // Opleiding: a_opl_bvm from 2023 (a rename); armoede: p_ink_ar from 2024 (a break).
    let profile = PROFILE.replace(
        "[[domain]]\nid = \"inkomen\"",
        "[[domain]]\nid = \"opleiding\"\nweight = 1.0\n  [[domain.indicator]]\n  id = \"laag\"\n  column = \"a_opl_lg\"\n  direction = \"higher-is-worse\"\n    [[domain.indicator.edition]]\n    from = 2023\n    column = \"a_opl_bvm\"\n[[domain]]\nid = \"inkomen\"",
    );
    let profile = profile.replace(
        "population = \"pop\"",
        "population = \"pop\"\nmissing_columns = \"report\"",
    );
    let profile = Profile::from_str_at(&profile, Path::new("t.toml")).unwrap();
    // 2024 rows carry only the old codes: opleiding reads a_opl_lg (rename), armoede does not
    // read p_hh_osm across its break.
    let table = "code,year,pop,a_opl_lg,p_hh_osm\nA,2024,100,5,30\nB,2024,100,9,20\n";
    let table = Table::from_bytes(Path::new("t.csv"), table.as_bytes()).unwrap();
    let panel = Panel::build(&profile, &[table], None).unwrap();
    let scores = compute(&profile, &panel, &Options::default()).unwrap();
    let row = |code: &str| scores.rows.iter().find(|r| &*r.code == code).unwrap();
    // Domain 0 is opleiding: B (9) is more deprived than A (5).
    assert_eq!(row("B").domains[0].rank, Some(1));
    assert_eq!(row("A").domains[0].rank, Some(2));
    // Domain 1 is inkomen: no value across the break.
    assert_eq!(row("A").domains[1].score, None);
    assert_eq!(row("B").domains[1].score, None);
}
