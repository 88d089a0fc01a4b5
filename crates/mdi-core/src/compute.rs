//! The index computation (METHOD.md §1.5–§1.7, §4, §6): from a [`Panel`] of indicator values to
//! domain scores, ranks and deciles and the MDI, per year or pooled over all years.
//!
//! Steps, for each ranking group (one year, or all years pooled):
//! 1. eligibility: population ≥ the minimum and enough domains with data;
//! 2. each indicator is oriented (higher = more deprived) and turned into rank-based normal
//!    scores over the eligible areas that have it;
//! 3. the indicators of a domain (or sub-domain) are combined with equal or one-factor weights,
//!    re-spread over the indicators present;
//! 4. sub-domains are ranked, exponentially transformed and combined by their weights;
//! 5. each domain is ranked (1 = most deprived), exponentially transformed to X ∈ (0, 100] and
//!    given a decile;
//! 6. the MDI is the weighted sum of the X's, re-spread over the domains present, then ranked
//!    and given a decile.
//!
//! Rows are in (code, year) order, so every tie is broken by code (then year), and the result
//! does not depend on the order of the input rows.

use std::collections::BTreeMap;

use crate::error::{CoreError, Result};
use crate::profile::{
    Combine, Direction, DomainParts, Indicator, Profile, Ranking, Source, Transform,
};
use crate::stats::{
    decile, exp_transform, normal_scores, one_factor_weights, rank_descending, respread,
};
use crate::table::Panel;

/// Settings that override the profile for one run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Per-year or pooled ranking (default: the profile's).
    pub ranking: Option<Ranking>,
    /// Minimum population (default: the profile's).
    pub min_population: Option<f64>,
    /// Minimum number of domains present (default: the profile's).
    pub min_domains: Option<usize>,
}

/// Why an area was not ranked.
#[derive(Debug, Clone, PartialEq)]
pub enum Exclusion {
    /// The population cell is missing.
    PopulationMissing,
    /// Fewer inhabitants than the minimum.
    PopulationBelow {
        /// The area's population.
        population: f64,
        /// The minimum.
        min: f64,
    },
    /// Too few domains with data.
    TooFewDomains {
        /// Domains with data.
        present: usize,
        /// The minimum.
        min: usize,
        /// The ids of the domains without data.
        missing: Vec<String>,
    },
}

impl Exclusion {
    /// A short label for grouping in summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Exclusion::PopulationMissing => "population missing",
            Exclusion::PopulationBelow { .. } => "population below minimum",
            Exclusion::TooFewDomains { .. } => "too few domains with data",
        }
    }
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exclusion::PopulationMissing => write!(f, "population missing"),
            Exclusion::PopulationBelow { population, min } => {
                write!(f, "population {population} below minimum {min}")
            }
            Exclusion::TooFewDomains {
                present,
                min,
                missing,
            } => {
                write!(
                    f,
                    "{present} domains with data, {min} needed (missing: {})",
                    missing.join(" ")
                )
            }
        }
    }
}

/// One domain's result for one area-year.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DomainResult {
    /// The exponentially transformed score X ∈ (0, 100] (100 = most deprived).
    pub score: Option<f64>,
    /// The rank, 1 = most deprived.
    pub rank: Option<usize>,
    /// The decile, 1 = most deprived 10%.
    pub decile: Option<u8>,
}

/// The result for one area in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaResult {
    /// The area code.
    pub code: String,
    /// The year.
    pub year: i32,
    /// Inhabitants, where the profile names a population column.
    pub population: Option<f64>,
    /// Why the area was not ranked; `None` for ranked (eligible) areas.
    pub exclusion: Option<Exclusion>,
    /// The MDI score: the weighted sum of the domain scores.
    pub mdi_score: Option<f64>,
    /// The MDI rank, 1 = most deprived.
    pub mdi_rank: Option<usize>,
    /// The MDI decile, 1 = most deprived 10%.
    pub mdi_decile: Option<u8>,
    /// Per domain, in profile order.
    pub domains: Vec<DomainResult>,
    /// Number of domains in which the area is in decile 1.
    pub domains_in_worst_decile: Option<u8>,
    /// Indices of the domains without data for this eligible area (their weight was re-spread).
    pub domains_missing: Vec<usize>,
}

/// Facts about one ranking group (a year, or all years pooled).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInfo {
    /// The year, or `None` for the pooled group.
    pub year: Option<i32>,
    /// Area-years in the group.
    pub areas: usize,
    /// Area-years ranked.
    pub eligible: usize,
    /// Areas ranked per domain (N of the domain rank).
    pub domain_n: Vec<usize>,
    /// Within-domain weights used, per domain (and sub-domain), by indicator id.
    pub indicator_weights: BTreeMap<String, Vec<(String, f64)>>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Domain ids, in profile order.
    pub domain_ids: Vec<String>,
    /// Domain weights, in profile order.
    pub weights: Vec<f64>,
    /// The ranking used.
    pub ranking: Ranking,
    /// One row per area-year, in (year, code) order.
    pub rows: Vec<AreaResult>,
    /// One entry per ranking group.
    pub groups: Vec<GroupInfo>,
    /// Indicators with a column that is in none of the tables, as (domain id, indicator id,
    /// the absent columns). They are missing for every area.
    pub missing_indicators: Vec<(String, String, Vec<String>)>,
    /// Rows skipped because their code is not an area of the profile, by code prefix.
    pub skipped: BTreeMap<String, usize>,
}

/// An error about a computed value (e.g. a negative value under a log transform).
fn value_error(panel: &Panel, row: usize, ind: &Indicator, message: &str) -> CoreError {
    CoreError::Value {
        indicator: ind.id.clone(),
        code: panel.codes[row].clone(),
        year: panel.years[row],
        message: message.to_string(),
    }
}

/// The oriented value of an indicator per row (higher = more deprived), `None` where missing.
fn indicator_values(panel: &Panel, ind: &Indicator) -> Result<Vec<Option<f64>>> {
    let col = |name: &str| panel.columns.get(name);
    let raw: Vec<Option<f64>> = match &ind.source {
        Source::Column(c) => match col(&c.name) {
            Some(v) => v.clone(),
            None => vec![None; panel.len()],
        },
        Source::Ratio {
            numerator,
            denominator,
        } => {
            let num = col(&numerator.name);
            let dens: Option<Vec<_>> = denominator.iter().map(|d| col(&d.name)).collect();
            match (num, dens) {
                (Some(num), Some(dens)) => (0..panel.len())
                    .map(|i| {
                        let d: Option<f64> = dens.iter().map(|c| c[i]).sum();
                        match (num[i], d) {
                            (Some(n), Some(d)) if d > 0.0 => Some(n / d * ind.scale),
                            _ => None,
                        }
                    })
                    .collect(),
                _ => vec![None; panel.len()],
            }
        }
    };
    let raw = if let Source::Column(_) = ind.source {
        raw.into_iter().map(|v| v.map(|x| x * ind.scale)).collect()
    } else {
        raw
    };
    raw.iter()
        .enumerate()
        .map(|(i, v)| {
            let Some(v) = *v else { return Ok(None) };
            let t = match ind.transform {
                Transform::Rate => v,
                Transform::Log if v >= 0.0 => v.ln_1p(),
                Transform::Log => {
                    return Err(value_error(
                        panel,
                        i,
                        ind,
                        &format!("log transform of a negative value ({v})"),
                    ));
                }
                Transform::Rank if v >= 1.0 => v,
                Transform::Rank => {
                    return Err(value_error(
                        panel,
                        i,
                        ind,
                        &format!("a rank must be ≥ 1, got {v}"),
                    ));
                }
            };
            Ok(Some(match ind.direction {
                Direction::HigherIsWorse => t,
                Direction::LowerIsWorse => -t,
            }))
        })
        .collect()
}

/// Combine normal scores of indicators for the rows of a group with equal or factor weights,
/// re-spread over the indicators present.
fn combine(
    ys: &[Vec<Option<f64>>],
    combine: Combine,
    ids: &[String],
    weights_out: &mut Vec<(String, f64)>,
) -> Vec<Option<f64>> {
    let k = ys.len();
    let mut w = vec![1.0 / k as f64; k];
    if combine == Combine::Factor {
        let n = ys.first().map_or(0, Vec::len);
        let complete: Vec<usize> = (0..n)
            .filter(|&i| ys.iter().all(|y| y[i].is_some()))
            .collect();
        let cols: Vec<Vec<f64>> = ys
            .iter()
            .map(|y| complete.iter().map(|&i| y[i].unwrap_or(0.0)).collect())
            .collect();
        if let Some(fw) = one_factor_weights(&cols) {
            w = fw;
        }
    }
    weights_out.extend(ids.iter().cloned().zip(w.iter().copied()));
    let n = ys.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| {
            let parts: Vec<(f64, Option<f64>)> =
                w.iter().zip(ys).map(|(w, y)| (*w, y[i])).collect();
            respread(&parts)
        })
        .collect()
}

/// Rank scores (desc) and exponentially transform them; returns (X, rank, N).
fn exp_scores(scores: &[Option<f64>]) -> (Vec<Option<f64>>, Vec<Option<usize>>, usize) {
    let (ranks, n) = rank_descending(scores);
    let x = ranks
        .iter()
        .map(|r| r.map(|r| exp_transform(r, n)))
        .collect();
    (x, ranks, n)
}

/// Compute the index.
///
/// # Errors
/// [`CoreError::Value`] when a log- or rank-transformed value is out of range (naming the
/// indicator, area and year). A run in which no area is eligible is not an error: every row
/// then carries its exclusion, and the summary says so.
pub fn compute(profile: &Profile, panel: &Panel, options: &Options) -> Result<Scores> {
    let ranking = options.ranking.unwrap_or(profile.ranking);
    let min_pop = options
        .min_population
        .unwrap_or(profile.eligibility.min_population);
    let min_domains = options
        .min_domains
        .unwrap_or(profile.eligibility.min_domains);
    let nd = profile.domains.len();

    // Oriented indicator values, per domain (and sub-domain).
    let mut missing_indicators = Vec::new();
    let mut values: Vec<Vec<Vec<Vec<Option<f64>>>>> = Vec::with_capacity(nd);
    for d in &profile.domains {
        let groups: Vec<Vec<&Indicator>> = match &d.parts {
            DomainParts::Indicators(v) => vec![v.iter().collect()],
            DomainParts::Subdomains(s) => s.iter().map(|s| s.indicators.iter().collect()).collect(),
        };
        let mut dv = Vec::new();
        for g in groups {
            let mut gv = Vec::new();
            for ind in g {
                let absent: Vec<String> = source_columns(ind)
                    .into_iter()
                    .filter(|c| !panel.columns.contains_key(*c))
                    .map(str::to_string)
                    .collect();
                if !absent.is_empty() {
                    missing_indicators.push((d.id.clone(), ind.id.clone(), absent));
                }
                gv.push(indicator_values(panel, ind)?);
            }
            dv.push(gv);
        }
        values.push(dv);
    }

    let population: Vec<Option<f64>> = match &profile.input.population {
        Some(p) => panel
            .columns
            .get(&p.name)
            .cloned()
            .unwrap_or_else(|| vec![None; panel.len()]),
        None => vec![None; panel.len()],
    };

    // Eligibility per row.
    let exclusion: Vec<Option<Exclusion>> = (0..panel.len())
        .map(|i| {
            if profile.input.population.is_some() && min_pop > 0.0 {
                match population[i] {
                    None => return Some(Exclusion::PopulationMissing),
                    Some(p) if p < min_pop => {
                        return Some(Exclusion::PopulationBelow {
                            population: p,
                            min: min_pop,
                        });
                    }
                    Some(_) => {}
                }
            }
            let missing: Vec<String> = profile
                .domains
                .iter()
                .zip(&values)
                .filter(|(_, dv)| !dv.iter().flatten().any(|v| v[i].is_some()))
                .map(|(d, _)| d.id.clone())
                .collect();
            (nd - missing.len() < min_domains).then(|| Exclusion::TooFewDomains {
                present: nd - missing.len(),
                min: min_domains,
                missing,
            })
        })
        .collect();

    // Ranking groups: row indices (in code, year order).
    let mut groups: BTreeMap<Option<i32>, Vec<usize>> = BTreeMap::new();
    for i in 0..panel.len() {
        let key = match ranking {
            Ranking::PerYear => Some(panel.years[i]),
            Ranking::Pooled => None,
        };
        groups.entry(key).or_default().push(i);
    }

    let mut rows: Vec<AreaResult> = (0..panel.len())
        .map(|i| AreaResult {
            code: panel.codes[i].clone(),
            year: panel.years[i],
            population: population[i],
            exclusion: exclusion[i].clone(),
            mdi_score: None,
            mdi_rank: None,
            mdi_decile: None,
            domains: vec![DomainResult::default(); nd],
            domains_in_worst_decile: None,
            domains_missing: Vec::new(),
        })
        .collect();

    let weights: Vec<f64> = profile.domains.iter().map(|d| d.weight).collect();
    let mut infos = Vec::new();
    for (year, members) in &groups {
        let eligible: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| exclusion[i].is_none())
            .collect();
        let mut info = GroupInfo {
            year: *year,
            areas: members.len(),
            eligible: eligible.len(),
            domain_n: vec![0; nd],
            indicator_weights: BTreeMap::new(),
        };
        if eligible.is_empty() {
            infos.push(info);
            continue;
        }
        let mut domain_x: Vec<Vec<Option<f64>>> = Vec::with_capacity(nd);
        for (di, d) in profile.domains.iter().enumerate() {
            // Normal scores per indicator over the eligible rows, then the within-domain
            // combination; sub-domains are ranked and transformed first.
            let part_scores: Vec<Vec<Option<f64>>> = values[di]
                .iter()
                .enumerate()
                .map(|(si, g)| {
                    let ys: Vec<Vec<Option<f64>>> = g
                        .iter()
                        .map(|v| normal_scores(&eligible.iter().map(|&i| v[i]).collect::<Vec<_>>()))
                        .collect();
                    let (ids, combine_how, key) = match &d.parts {
                        DomainParts::Indicators(v) => (
                            v.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
                            d.combine,
                            d.id.clone(),
                        ),
                        DomainParts::Subdomains(s) => (
                            s[si].indicators.iter().map(|x| x.id.clone()).collect(),
                            s[si].combine,
                            format!("{}.{}", d.id, s[si].id),
                        ),
                    };
                    let mut w = Vec::new();
                    let c = combine(&ys, combine_how, &ids, &mut w);
                    info.indicator_weights.insert(key, w);
                    c
                })
                .collect();
            let domain_score: Vec<Option<f64>> = match &d.parts {
                DomainParts::Indicators(_) => part_scores.into_iter().next().unwrap_or_default(),
                DomainParts::Subdomains(subs) => {
                    let xs: Vec<Vec<Option<f64>>> =
                        part_scores.iter().map(|s| exp_scores(s).0).collect();
                    (0..eligible.len())
                        .map(|j| {
                            let parts: Vec<(f64, Option<f64>)> = subs
                                .iter()
                                .zip(&xs)
                                .map(|(s, x)| (s.weight, x[j]))
                                .collect();
                            respread(&parts)
                        })
                        .collect()
                }
            };
            let (x, ranks, n) = exp_scores(&domain_score);
            info.domain_n[di] = n;
            for (j, &i) in eligible.iter().enumerate() {
                rows[i].domains[di] = DomainResult {
                    score: x[j],
                    rank: ranks[j],
                    decile: ranks[j].map(|r| decile(r, n)),
                };
            }
            domain_x.push(x);
        }
        let mdi: Vec<Option<f64>> = (0..eligible.len())
            .map(|j| {
                let parts: Vec<(f64, Option<f64>)> = weights
                    .iter()
                    .zip(&domain_x)
                    .map(|(w, x)| (*w, x[j]))
                    .collect();
                respread(&parts)
            })
            .collect();
        let (ranks, n) = rank_descending(&mdi);
        for (j, &i) in eligible.iter().enumerate() {
            let r = &mut rows[i];
            r.mdi_score = mdi[j];
            r.mdi_rank = ranks[j];
            r.mdi_decile = ranks[j].map(|r| decile(r, n));
            r.domains_in_worst_decile = Some(
                u8::try_from(r.domains.iter().filter(|d| d.decile == Some(1)).count())
                    .unwrap_or(u8::MAX),
            );
            r.domains_missing = (0..nd).filter(|&d| r.domains[d].score.is_none()).collect();
        }
        infos.push(info);
    }
    rows.sort_by(|a, b| a.year.cmp(&b.year).then_with(|| a.code.cmp(&b.code)));
    Ok(Scores {
        domain_ids: profile.domains.iter().map(|d| d.id.clone()).collect(),
        weights,
        ranking,
        rows,
        groups: infos,
        missing_indicators,
        skipped: panel.skipped.clone(),
    })
}

fn source_columns(ind: &Indicator) -> Vec<&str> {
    match &ind.source {
        Source::Column(c) => vec![c.name.as_str()],
        Source::Ratio {
            numerator,
            denominator,
        } => std::iter::once(numerator.name.as_str())
            .chain(denominator.iter().map(|d| d.name.as_str()))
            .collect(),
    }
}
