//! Writing the scores table and the run summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use crate::compute::{GroupInfo, Scores, WeightMethod};

/// Append a number for the CSV: integers without decimals, others with up to 6.
fn push_num(buf: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(buf, "{v:.0}");
    } else {
        let start = buf.len();
        let _ = write!(buf, "{v:.6}");
        let keep = buf[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        buf.truncate(start + keep);
    }
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
        // One reusable buffer per field: no allocation per cell.
        let mut buf = String::with_capacity(64);
        let mut field = |w: &mut csv::Writer<W>, f: &dyn Fn(&mut String)| -> csv::Result<()> {
            buf.clear();
            f(&mut buf);
            w.write_field(buf.as_bytes())
        };
        let num = |v: Option<f64>| move |b: &mut String| v.into_iter().for_each(|v| push_num(b, v));
        let int = |v: Option<usize>| {
            move |b: &mut String| {
                if let Some(v) = v {
                    let _ = write!(b, "{v}");
                }
            }
        };
        for r in &self.rows {
            field(&mut w, &|b| b.push_str(&r.code))?;
            field(&mut w, &|b| {
                let _ = write!(b, "{}", r.year);
            })?;
            field(&mut w, &num(r.population))?;
            field(&mut w, &|b| {
                b.push_str(if r.exclusion.is_none() {
                    "true"
                } else {
                    "false"
                })
            })?;
            field(&mut w, &num(r.mdi_score))?;
            field(&mut w, &int(r.mdi_rank))?;
            field(&mut w, &int(r.mdi_decile.map(usize::from)))?;
            for d in &r.domains {
                field(&mut w, &num(d.score))?;
                field(&mut w, &int(d.rank))?;
                field(&mut w, &int(d.decile.map(usize::from)))?;
            }
            field(&mut w, &int(r.domains_in_worst_decile.map(usize::from)))?;
            field(&mut w, &|b| {
                for (k, d) in r.domains_missing.iter().enumerate() {
                    if k > 0 {
                        b.push(' ');
                    }
                    b.push_str(&self.domain_ids[d]);
                }
            })?;
            field(&mut w, &|b| {
                if let Some(e) = &r.exclusion {
                    b.push_str(&e.describe(&self.domain_ids));
                }
            })?;
            w.write_record(None::<&[u8]>)?;
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
