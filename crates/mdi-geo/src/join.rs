//! The join of scores to the index unit's polygons by code, with a report of what did not
//! match. Nothing is dropped: areas without scores stay on the map as "no data", and scores
//! without an area are listed.

use std::collections::{BTreeMap, BTreeSet};

use mdi_core::Scores;

use crate::hierarchy::{LevelAreas, normalise_code};

pub use mdi_format::report::{JoinReport, YearJoin};

/// Join: for each area of `level` (in its order), the indices of its rows in `scores.rows`.
pub fn join(scores: &Scores, level: &LevelAreas) -> (JoinReport, Vec<Vec<usize>>) {
    let prefix = &level.level.code_prefix;
    // Raw code → normalised code; rows by raw code.
    let mut by_raw: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in scores.rows.iter().enumerate() {
        by_raw.entry(&r.code).or_default().push(i);
    }
    let mut by_norm: BTreeMap<String, &str> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for raw in by_raw.keys() {
        match by_norm.entry(normalise_code(raw, prefix)) {
            std::collections::btree_map::Entry::Occupied(_) => duplicates.push((*raw).to_string()),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(raw);
            }
        }
    }
    let mut rows = vec![Vec::new(); level.areas.len()];
    let mut polygons_without_scores = Vec::new();
    let mut matched = 0;
    for (i, a) in level.areas.iter().enumerate() {
        match by_norm.get(&a.code) {
            Some(raw) => {
                rows[i].clone_from(&by_raw[raw]);
                matched += 1;
            }
            None => polygons_without_scores.push(a.code.clone()),
        }
    }
    let scores_without_polygon = by_norm
        .iter()
        .filter(|(n, _)| level.find(n).is_none())
        .map(|(_, raw)| (*raw).to_string())
        .collect();
    let by_year = by_year(scores, level);
    let report = JoinReport {
        level: level.level.id.clone(),
        polygons: level.areas.len(),
        score_codes: by_norm.len(),
        matched,
        scores_without_polygon,
        polygons_without_scores,
        duplicates,
        by_year,
    };
    (report, rows)
}

/// The join per year: matched codes, codes without polygon, and codes new or gone since the
/// year before.
fn by_year(scores: &Scores, level: &LevelAreas) -> Vec<YearJoin> {
    let prefix = &level.level.code_prefix;
    let mut codes: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for r in &scores.rows {
        codes
            .entry(r.year)
            .or_default()
            .insert(normalise_code(&r.code, prefix));
    }
    let mut out = Vec::new();
    let mut previous: Option<&BTreeSet<String>> = None;
    for (&year, set) in &codes {
        let without: Vec<String> = set
            .iter()
            .filter(|c| level.find(c).is_none())
            .cloned()
            .collect();
        let matched = set.len() - without.len();
        out.push(YearJoin {
            year,
            score_codes: set.len(),
            matched,
            polygons_without_scores: level.areas.len() - matched,
            scores_without_polygon: without,
            new_codes: previous.map_or_else(Vec::new, |p| set.difference(p).cloned().collect()),
            gone_codes: previous.map_or_else(Vec::new, |p| p.difference(set).cloned().collect()),
        });
        previous = Some(set);
    }
    out
}
