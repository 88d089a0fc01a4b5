//! The run summary. (`scores.csv` is written by `mdi_format::write_scores`, the owner of the
//! atlas files.)

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::compute::{GroupInfo, Scores, WeightMethod};

impl Scores {
    /// A short human-readable summary: areas per year, how many were ranked, how many were
    /// excluded and why, domains without data, and rows skipped.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ranking: {}",
            match self.ranking {
                crate::profile::Ranking::PerYear => "per year",
                crate::profile::Ranking::Pooled => "pooled over all years",
            }
        );
        for g in &self.groups {
            self.summarise_group(&mut s, g);
        }
        // Where the profile asks for one-factor weights: the weights found, or the fallback.
        for g in &self.groups {
            summarise_weights(&mut s, g);
        }
        self.summarise_missing_and_skipped(&mut s);
        s
    }

    /// The summary lines of one ranking group: areas, eligible and excluded (by reason), the
    /// sets of missing domains that excluded areas, and the domains without data for some
    /// eligible areas.
    fn summarise_group(&self, s: &mut String, g: &GroupInfo) {
        let label = group_label(g);
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        let mut missing_sets: BTreeMap<String, usize> = BTreeMap::new();
        for r in self
            .rows
            .iter()
            .filter(|r| g.year.is_none_or(|y| y == r.year))
        {
            if let Some(e) = &r.exclusion {
                *reasons.entry(e.kind()).or_default() += 1;
                if let crate::compute::Exclusion::TooFewDomains { missing, .. } = e {
                    *missing_sets
                        .entry(missing.ids(&self.domain_ids))
                        .or_default() += 1;
                }
            }
        }
        let _ = writeln!(
            s,
            "{label}: {} areas, {} eligible, {} excluded{}",
            g.areas,
            g.eligible,
            g.areas - g.eligible,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    reasons
                        .iter()
                        .map(|(k, n)| format!("{n} {k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        for (set, n) in &missing_sets {
            let _ = writeln!(s, "  {n} excluded for missing domains: {set}");
        }
        if g.eligible == 0 {
            let _ = writeln!(s, "  WARNING: no area was ranked in {label}");
        }
        for (d, id) in self.domain_ids.iter().enumerate() {
            let n = g.domain_n[d];
            if g.eligible > 0 && n < g.eligible {
                let _ = writeln!(
                    s,
                    "  {id}: no data for {} of {} eligible areas (weight re-spread over their other domains)",
                    g.eligible - n,
                    g.eligible
                );
            }
        }
    }

    /// The summary lines about indicators missing everywhere (by domain) and rows skipped (by
    /// code prefix).
    fn summarise_missing_and_skipped(&self, s: &mut String) {
        let mut by_domain: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (d, ind, cols) in &self.missing_indicators {
            by_domain
                .entry(d)
                .or_default()
                .push(format!("{ind} (no {})", cols.join(", ")));
        }
        if !by_domain.is_empty() {
            let _ = writeln!(
                s,
                "indicators missing everywhere (a column is in none of the tables):"
            );
        }
        for (d, inds) in &by_domain {
            let _ = writeln!(s, "  {d}: {}", inds.join("; "));
        }
        for (prefix, n) in &self.skipped {
            let _ = writeln!(
                s,
                "skipped {n} rows with code prefix {prefix} (not an area level of this profile)"
            );
        }
    }
}

/// A ranking group's label in the summary: its year, or `pooled`.
fn group_label(g: &GroupInfo) -> String {
    g.year
        .map_or_else(|| "pooled".to_string(), |y| y.to_string())
}

/// The summary lines of one group where the profile asks for one-factor weights: the weights
/// found, or the fallback to equal weights.
fn summarise_weights(s: &mut String, g: &GroupInfo) {
    let label = group_label(g);
    for (part, pw) in &g.indicator_weights {
        match pw.method {
            WeightMethod::Equal => {}
            WeightMethod::Factor => {
                let list: Vec<String> = pw
                    .weights
                    .iter()
                    .map(|(id, x)| format!("{id} {x:.3}"))
                    .collect();
                let _ = writeln!(
                    s,
                    "{label}: one-factor weights in {part}: {}",
                    list.join(", ")
                );
            }
            WeightMethod::EqualAfterFactorFailed => {
                let _ = writeln!(
                    s,
                    "{label}: the one-factor model failed in {part} (too few indicators or complete rows, a Heywood case or a loading below 0.3): equal weights used"
                );
            }
        }
    }
}
