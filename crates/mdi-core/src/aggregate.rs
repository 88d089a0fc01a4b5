//! Summaries of the index for larger areas (METHOD.md §5): from the scores of the index unit
//! (buurten) to their parents (wijken, gemeenten, …), per year.
//!
//! Only ranked (eligible) areas with a population count. For a parent A:
//! - population: Σ p_i;
//! - average score `AS_A = Σ p_i·S_i / Σ p_i` (population-weighted, as the English district
//!   "average score", METHOD.md §1.8);
//! - the rank of AS among the parents of the same level (1 = most deprived) and its decile;
//! - the share of the population in areas of MDI decile 1 (`SH_A(1)`, METHOD.md §5): the figure
//!   behind "half of the inhabitants of Almelo live in a buurt with a very high MDI".

use std::collections::BTreeMap;

use crate::compute::Scores;
use crate::stats::{decile, rank_descending};

/// The summary of one parent area in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The parent's code.
    pub code: String,
    /// The year of the rows summarised (also under pooled ranking, each year on its own).
    pub year: i32,
    /// Inhabitants of its ranked areas.
    pub population: f64,
    /// Number of its ranked areas.
    pub areas: usize,
    /// Population-weighted average MDI score.
    pub avg_score: Option<f64>,
    /// Rank of the average score among the parents of the level and year (1 = most deprived).
    pub rank: Option<usize>,
    /// Decile of that rank.
    pub decile: Option<u8>,
    /// Share (0–1) of the population that lives in areas of MDI decile 1.
    pub share_worst_decile: Option<f64>,
}

/// Summarise `scores` for the parents given by `parent_of` (child code → parent code), per
/// year. Parents are returned sorted by (year, code). Areas without a parent are left out of
/// the summaries; the caller reports them.
pub fn aggregate(scores: &Scores, parent_of: &BTreeMap<String, String>) -> Vec<Aggregate> {
    // (year, parent) → (Σp, Σp·S, Σp in decile 1, n)
    let mut acc: BTreeMap<(i32, &str), (f64, f64, f64, usize)> = BTreeMap::new();
    for r in &scores.rows {
        let Some(parent) = parent_of.get(&*r.code) else {
            continue;
        };
        let entry = acc
            .entry((r.year, parent.as_str()))
            .or_insert((0.0, 0.0, 0.0, 0));
        if let (None, Some(s), Some(p)) = (&r.exclusion, r.mdi_score, r.population) {
            entry.0 += p;
            entry.1 += p * s;
            if r.mdi_decile == Some(1) {
                entry.2 += p;
            }
            entry.3 += 1;
        }
    }
    let mut out: Vec<Aggregate> = acc
        .iter()
        .map(|(&(year, code), &(pop, ps, p1, n))| Aggregate {
            code: code.to_string(),
            year,
            population: pop,
            areas: n,
            avg_score: (pop > 0.0).then(|| ps / pop),
            rank: None,
            decile: None,
            share_worst_decile: (pop > 0.0).then(|| p1 / pop),
        })
        .collect();
    // Rank per year; `out` is in (year, code) order, so ties go to the smaller code.
    let mut start = 0;
    while start < out.len() {
        let year = out[start].year;
        let end = out[start..]
            .iter()
            .position(|a| a.year != year)
            .map_or(out.len(), |e| start + e);
        let scores: Vec<Option<f64>> = out[start..end].iter().map(|a| a.avg_score).collect();
        let (ranks, n) = rank_descending(&scores);
        for (a, r) in out[start..end].iter_mut().zip(ranks) {
            a.rank = r;
            a.decile = r.map(|r| decile(r, n));
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Panel, Profile, Table, compute};
    use std::path::Path;

    #[test]
    fn population_weighted_average_and_worst_decile_share_by_hand() {
        let profile = Profile::from_str_at(
            "id = \"t\"\nyear = 2020\n[input]\ncode_columns = [\"code\"]\npopulation = \"pop\"\n\
             [[domain]]\nid = \"a\"\nweight = 1\n  [[domain.indicator]]\n  id = \"x\"\n  column = \"x\"\n  direction = \"higher-is-worse\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        // Ten areas, x = 10..1, so A0 is rank 1 (decile 1) and A9 rank 10.
        let mut csv = String::from("code,pop,x\n");
        for i in 0..10 {
            csv.push_str(&format!("A{i},{},{}\n", 100 * (i + 1), 10 - i));
        }
        let table = Table::from_bytes(Path::new("t.csv"), csv.as_bytes()).unwrap();
        let panel = Panel::build(&profile, &[table], None).unwrap();
        let scores = compute(&profile, &panel, &Options::default()).unwrap();
        // P1 = A0, A1; P2 = A2..A9.
        let parent_of: BTreeMap<String, String> = (0..10)
            .map(|i| (format!("A{i}"), if i < 2 { "P1" } else { "P2" }.to_string()))
            .collect();
        let agg = aggregate(&scores, &parent_of);
        assert_eq!(agg.len(), 2);
        let s = |code: &str| {
            scores
                .rows
                .iter()
                .find(|r| &*r.code == code)
                .unwrap()
                .mdi_score
                .unwrap()
        };
        // By hand: AS(P1) = (100·S0 + 200·S1) / 300; SH(P1) = 100/300 (only A0 in decile 1).
        let p1 = &agg[0];
        assert_eq!(
            (p1.code.as_str(), p1.population, p1.areas),
            ("P1", 300.0, 2)
        );
        assert!(
            (p1.avg_score.unwrap() - (100.0 * s("A0") + 200.0 * s("A1")) / 300.0).abs() < 1e-12
        );
        assert!((p1.share_worst_decile.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let p2 = &agg[1];
        assert_eq!(
            p2.population,
            (3..=10).map(|k| 100.0 * k as f64).sum::<f64>()
        );
        assert_eq!(p2.share_worst_decile, Some(0.0));
        // P1 holds the two most deprived areas: it ranks first of two, decile 5 (ceil(10/2)).
        assert_eq!(
            (p1.rank, p1.decile, p2.rank, p2.decile),
            (Some(1), Some(5), Some(2), Some(10))
        );
    }
}
