//! The join of scores to the index unit's polygons by code, with a report of what did not
//! match. Nothing is dropped: areas without scores stay on the map as "no data", and scores
//! without an area are listed.

use std::collections::BTreeMap;

use mdi_core::Scores;

use crate::hierarchy::{LevelAreas, normalise_code};

pub use mdi_format::report::JoinReport;

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
    let report = JoinReport {
        level: level.level.id.clone(),
        polygons: level.areas.len(),
        score_codes: by_norm.len(),
        matched,
        scores_without_polygon,
        polygons_without_scores,
        duplicates,
    };
    (report, rows)
}
