//! Writing the scores table and the run summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use crate::compute::Scores;

/// Format a number for the CSV: integers without decimals, others with up to 6.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl Scores {
    /// The header of the scores table: `code, year, population, eligible, mdi_score, mdi_rank,
    /// mdi_decile`, then `<domain>_score, <domain>_rank, <domain>_decile` per domain, then
    /// `domains_in_worst_decile, domains_missing, excluded_reason`.
    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = [
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
        for d in &self.domain_ids {
            h.extend([
                format!("{d}_score"),
                format!("{d}_rank"),
                format!("{d}_decile"),
            ]);
        }
        h.extend(
            [
                "domains_in_worst_decile",
                "domains_missing",
                "excluded_reason",
            ]
            .map(String::from),
        );
        h
    }

    /// Write the scores table as CSV, one row per area and year, in (year, code) order.
    /// Missing values are empty cells.
    ///
    /// # Errors
    /// Any error of the writer.
    pub fn write_csv<W: Write>(&self, out: W) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(self.header())?;
        let mut rec: Vec<String> = Vec::with_capacity(self.header().len());
        for r in &self.rows {
            rec.clear();
            rec.push(r.code.clone());
            rec.push(r.year.to_string());
            rec.push(r.population.map(num).unwrap_or_default());
            rec.push(
                if r.exclusion.is_none() {
                    "true"
                } else {
                    "false"
                }
                .into(),
            );
            rec.push(r.mdi_score.map(num).unwrap_or_default());
            rec.push(opt(r.mdi_rank));
            rec.push(opt(r.mdi_decile));
            for d in &r.domains {
                rec.push(d.score.map(num).unwrap_or_default());
                rec.push(opt(d.rank));
                rec.push(opt(d.decile));
            }
            rec.push(opt(r.domains_in_worst_decile));
            rec.push(
                r.domains_missing
                    .iter()
                    .map(|&d| self.domain_ids[d].as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            rec.push(
                r.exclusion
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            );
            w.write_record(&rec)?;
        }
        w.flush()?;
        Ok(())
    }

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
            let label = g
                .year
                .map_or_else(|| "pooled".to_string(), |y| y.to_string());
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
                        *missing_sets.entry(missing.join(" ")).or_default() += 1;
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
        s
    }
}
