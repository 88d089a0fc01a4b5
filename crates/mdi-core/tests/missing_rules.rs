//! `[[input.missing]]`: a value that a source writes for "not available" in some years (the
//! Haaglanden wijk panel writes 0 for 2009–2012) is read as missing there, and only there.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::path::Path;

use mdi_core::{Panel, Profile, Table};

const PROFILE: &str = r#"
id = "t"
name = "t"
ranking = "per-year"
[input]
population = "pop"
[[input.missing]]
value = 0
to = 2012
note = "0 means not available before 2013"
[[input.missing]]
value = -1
from = 2014
columns = ["b"]
[eligibility]
min_population = 0
min_domains = 1
[[domain]]
id = "d"
weight = 1.0
  [[domain.indicator]]
  id = "a"
  column = "a"
  direction = "higher-is-worse"
  [[domain.indicator]]
  id = "b"
  column = "b"
  direction = "higher-is-worse"
"#;

const TABLE: &str = "code,year,pop,a,b\n\
X,2012,100,0,0\nX,2013,100,0,-1\nX,2014,100,0,-1\nY,2012,100,5,-1\n";

#[test]
fn zeros_before_2013_and_minus_one_in_b_from_2014_are_missing() {
    let profile = Profile::from_str_at(PROFILE, Path::new("t.toml")).unwrap();
    assert_eq!(profile.input.missing.len(), 2);
    let table = Table::from_bytes(Path::new("t.csv"), TABLE.as_bytes()).unwrap();
    let panel = Panel::build(&profile, &[table], None).unwrap();
    let value = |col: &str, code: &str, year: i32| {
        let i = (0..panel.len())
            .find(|&i| &*panel.codes[i] == code && panel.years[i] == year)
            .unwrap();
        panel.columns[col][i]
    };
    // Rule 1: 0 in any column up to 2012 (the population column is read too).
    assert_eq!(value("a", "X", 2012), None);
    assert_eq!(value("b", "X", 2012), None);
    // ... but a 0 from 2013 on is a real zero.
    assert_eq!(value("a", "X", 2013), Some(0.0));
    assert_eq!(value("a", "X", 2014), Some(0.0));
    assert_eq!(value("a", "Y", 2012), Some(5.0));
    // Rule 2: −1 only in b and only from 2014.
    assert_eq!(value("b", "X", 2013), Some(-1.0));
    assert_eq!(value("b", "X", 2014), None);
    assert_eq!(value("b", "Y", 2012), Some(-1.0));
    assert_eq!(panel.missing_read["a"], 1);
    assert_eq!(panel.missing_read["b"], 2);
}
