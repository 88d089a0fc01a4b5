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

use rayon::prelude::*;

use crate::error::{CoreError, Result};
use crate::profile::{
    Combine, Direction, Domain, DomainParts, Indicator, Profile, Ranking, Source, Transform,
};
use crate::stats::{
    NormalScorer, decile, exp_transform, one_factor_loading_weights, one_factor_weights,
    rank_descending, respread_columns,
};
use crate::table::Panel;

/// Settings that override the profile for one run. (Eligibility rules are changed on the
/// profile itself, with [`Profile::set_eligibility`], so that they are validated once.)
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Per-year or pooled ranking (default: the profile's).
    pub ranking: Option<Ranking>,
}

/// A set of domains, by their index in the profile (at most 64 domains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DomainSet(pub u64);

impl DomainSet {
    /// The set of the domains `d` for which `f(d)` holds, of the first `n`.
    pub fn from_fn(n: usize, f: impl Fn(usize) -> bool) -> DomainSet {
        DomainSet(
            (0..n.min(64))
                .filter(|&d| f(d))
                .fold(0, |m, d| m | (1 << d)),
        )
    }
    /// The domain indices in the set, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |d| self.0 & (1 << d) != 0)
    }
    /// Number of domains in the set.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// True when the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The domain ids of the set, space-separated.
    pub fn ids(self, domain_ids: &[String]) -> String {
        self.iter()
            .filter_map(|d| domain_ids.get(d).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why an area was not ranked.
#[derive(Debug, Clone, Copy, PartialEq)]
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
        /// The domains without data.
        missing: DomainSet,
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

    /// The reason in words, naming the missing domains by id.
    pub fn describe(&self, domain_ids: &[String]) -> String {
        match self {
            Exclusion::PopulationMissing => "population missing".into(),
            Exclusion::PopulationBelow { population, min } => {
                format!("population {population} below minimum {min}")
            }
            Exclusion::TooFewDomains {
                present,
                min,
                missing,
            } => format!(
                "{present} domains with data, {min} needed (missing: {})",
                missing.ids(domain_ids)
            ),
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

/// How the indicators of a domain or sub-domain were weighted in one ranking group.
#[derive(Debug, Clone, PartialEq)]
pub struct PartWeights {
    /// The weight of each indicator, by id.
    pub weights: Vec<(String, f64)>,
    /// How they were found.
    pub method: WeightMethod,
}

/// How within-domain weights were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightMethod {
    /// Equal weights, as the profile asks.
    Equal,
    /// One-factor weights (factor-score or loading weights), as the profile asks.
    Factor,
    /// The profile asks for one-factor weights, but the factor model failed (fewer than 3
    /// indicators, too few complete rows, a Heywood case or a loading below 0.3): equal weights.
    EqualAfterFactorFailed,
}

/// The result for one area in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaResult {
    /// The area code.
    pub code: std::sync::Arc<str>,
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
    /// The domains without data for this eligible area (their weight was re-spread).
    pub domains_missing: DomainSet,
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
    /// Within-domain weights used, per domain (key `domain`) or sub-domain (`domain.sub`).
    pub indicator_weights: BTreeMap<String, PartWeights>,
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
        code: panel.codes[row].to_string(),
        year: panel.years[row],
        message: message.to_string(),
    }
}

/// A row's raw value (by row index).
type RawValue<'a> = Box<dyn Fn(usize) -> Option<f64> + 'a>;

/// The raw value of a row from one source (value × scale, or numerator / Σ denominators ×
/// scale); `None` when a column of the source is in no table.
fn source_values<'a>(panel: &'a Panel, source: &'a Source, scale: f64) -> Option<RawValue<'a>> {
    let col = |name: &str| panel.columns.get(name);
    Some(match source {
        Source::Column(c) => {
            let v = col(&c.name)?;
            Box::new(move |i| v[i].map(|x| x * scale))
        }
        Source::Ratio {
            numerator,
            denominator,
        } => {
            let num = col(&numerator.name)?;
            let dens: Vec<_> = denominator
                .iter()
                .map(|d| col(&d.name))
                .collect::<Option<_>>()?;
            Box::new(move |i| {
                let d: Option<f64> = dens.iter().map(|c| c[i]).sum();
                match (num[i], d) {
                    (Some(n), Some(d)) if d > 0.0 => Some(n / d * scale),
                    _ => None,
                }
            })
        }
    })
}

/// The oriented value of an indicator per row (higher = more deprived), `None` where missing.
/// Each row reads the source of its year's edition ([`Indicator::source_for`]); where that has
/// no value, the sources of earlier editions back to the last series break (a rename is the
/// same variable under another code, so a table that still uses the old code is read).
fn indicator_values(panel: &Panel, ind: &Indicator) -> Result<Vec<Option<f64>>> {
    // (first year, whether a series break starts there, its values).
    let sources: Vec<(i32, bool, Option<RawValue<'_>>)> =
        std::iter::once((i32::MIN, false, &ind.source))
            .chain(
                ind.editions
                    .iter()
                    .map(|e| (e.from, e.series_break.is_some(), &e.source)),
            )
            .map(|(from, brk, s)| (from, brk, source_values(panel, s, ind.scale)))
            .collect();
    if sources.iter().all(|(_, _, f)| f.is_none()) {
        return Ok(vec![None; panel.len()]);
    }
    let raw = |i: usize| -> Option<f64> {
        let year = panel.years[i];
        let current = sources.iter().rposition(|(from, _, _)| *from <= year)?;
        for (_, brk, f) in sources[..=current].iter().rev() {
            if let Some(v) = f.as_ref().and_then(|f| f(i)) {
                return Some(v);
            }
            if *brk {
                break;
            }
        }
        None
    };
    let sign = match ind.direction {
        Direction::HigherIsWorse => 1.0,
        Direction::LowerIsWorse => -1.0,
    };
    (0..panel.len())
        .map(|i| {
            let Some(v) = raw(i) else { return Ok(None) };
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
            Ok(Some(sign * t))
        })
        .collect()
}

/// Combine normal scores of indicators for the rows of a group with equal or factor weights,
/// re-spread over the indicators present.
fn combine(
    ys: &[Vec<Option<f64>>],
    how: Combine,
    ids: &[String],
) -> (Vec<Option<f64>>, PartWeights) {
    let k = ys.len();
    let mut w = vec![1.0 / k as f64; k];
    let mut method = WeightMethod::Equal;
    if matches!(how, Combine::Factor | Combine::FactorLoadings) {
        let n = ys.first().map_or(0, Vec::len);
        let complete: Vec<usize> = (0..n)
            .filter(|&i| ys.iter().all(|y| y[i].is_some()))
            .collect();
        let cols: Vec<Vec<f64>> = ys
            .iter()
            .map(|y| complete.iter().map(|&i| y[i].unwrap_or(0.0)).collect())
            .collect();
        let fit = if how == Combine::Factor {
            one_factor_weights(&cols)
        } else {
            one_factor_loading_weights(&cols)
        };
        method = match fit {
            Some(fw) => {
                w = fw;
                WeightMethod::Factor
            }
            None => WeightMethod::EqualAfterFactorFailed,
        };
    }
    let cols: Vec<&[Option<f64>]> = ys.iter().map(Vec::as_slice).collect();
    let weights = PartWeights {
        weights: ids.iter().cloned().zip(w.iter().copied()).collect(),
        method,
    };
    (respread_columns(&w, &cols), weights)
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

/// One domain's result within one ranking group, over its eligible rows.
struct DomainOutcome {
    /// Exponential scores.
    x: Vec<Option<f64>>,
    /// Ranks, 1 = most deprived.
    ranks: Vec<Option<usize>>,
    /// Rows ranked.
    n: usize,
    /// Within-domain (or sub-domain) weights, keyed `domain` or `domain.sub`.
    weights: Vec<(String, PartWeights)>,
}

/// Steps 2–5 for one domain: normal scores of its indicators over the eligible rows, the
/// within-domain (or within-sub-domain) combination, the sub-domain transform and the domain
/// rank and exponential score.
fn domain_in_group(
    d: &Domain,
    values: &[Vec<Vec<Option<f64>>>],
    eligible: &[usize],
) -> DomainOutcome {
    let mut scorer = NormalScorer::default();
    let mut weights = Vec::with_capacity(values.len());
    let mut part_scores = Vec::with_capacity(values.len());
    for (pi, part) in values.iter().enumerate() {
        let ys: Vec<Vec<Option<f64>>> = part
            .iter()
            .map(|v| scorer.scores(&eligible.iter().map(|&i| v[i]).collect::<Vec<_>>()))
            .collect();
        let (ids, how, key): (Vec<String>, Combine, String) = match &d.parts {
            DomainParts::Indicators(v) => (
                v.iter().map(|x| x.id.clone()).collect(),
                d.combine,
                d.id.clone(),
            ),
            DomainParts::Subdomains(s) => (
                s[pi].indicators.iter().map(|x| x.id.clone()).collect(),
                s[pi].combine,
                format!("{}.{}", d.id, s[pi].id),
            ),
        };
        let (scores, w) = combine(&ys, how, &ids);
        part_scores.push(scores);
        weights.push((key, w));
    }
    // Sub-domains are ranked and transformed, then combined by their weights.
    let domain_score = match &d.parts {
        DomainParts::Indicators(_) => part_scores.pop().unwrap_or_default(),
        DomainParts::Subdomains(subs) => {
            let xs: Vec<Vec<Option<f64>>> = part_scores.iter().map(|s| exp_scores(s).0).collect();
            let w: Vec<f64> = subs.iter().map(|s| s.weight).collect();
            respread_columns(&w, &xs.iter().map(Vec::as_slice).collect::<Vec<_>>())
        }
    };
    let (x, ranks, n) = exp_scores(&domain_score);
    DomainOutcome {
        x,
        ranks,
        n,
        weights,
    }
}

/// One ranking group's result.
struct GroupOutcome {
    info: GroupInfo,
    /// The eligible panel rows, in order.
    eligible: Vec<usize>,
    /// Per domain, over `eligible`.
    domains: Vec<DomainOutcome>,
    /// MDI score and rank over `eligible`, and the number ranked.
    mdi: Vec<Option<f64>>,
    ranks: Vec<Option<usize>>,
    n: usize,
}

/// Steps 2–6 for one ranking group (a year, or all years pooled).
fn group_outcome(
    profile: &Profile,
    values: &[DomainValues],
    weights: &[f64],
    year: Option<i32>,
    members: &[usize],
    exclusion: &[Option<Exclusion>],
) -> GroupOutcome {
    let eligible: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| exclusion[i].is_none())
        .collect();
    let domains: Vec<DomainOutcome> = profile
        .domains
        .par_iter()
        .zip(values.par_iter())
        .map(|(d, dv)| domain_in_group(d, dv, &eligible))
        .collect();
    let xs: Vec<&[Option<f64>]> = domains.iter().map(|o| o.x.as_slice()).collect();
    let mdi = respread_columns(weights, &xs);
    let (ranks, n) = rank_descending(&mdi);
    let info = GroupInfo {
        year,
        areas: members.len(),
        eligible: eligible.len(),
        domain_n: domains.iter().map(|o| o.n).collect(),
        indicator_weights: domains
            .iter()
            .flat_map(|o| o.weights.iter().cloned())
            .collect(),
    };
    GroupOutcome {
        info,
        eligible,
        domains,
        mdi,
        ranks,
        n,
    }
}

/// Why row `i` is not eligible, if it is not.
fn exclusion_of(
    profile: &Profile,
    population: Option<f64>,
    has_domain: impl Fn(usize) -> bool,
) -> Option<Exclusion> {
    let min_pop = profile.eligibility.min_population;
    if profile.input.population.is_some() && min_pop > 0.0 {
        match population {
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
    let missing = DomainSet::from_fn(profile.domains.len(), |d| !has_domain(d));
    let present = profile.domains.len() - missing.len();
    let min = profile.eligibility.min_domains;
    (present < min).then_some(Exclusion::TooFewDomains {
        present,
        min,
        missing,
    })
}

/// Oriented indicator values of one domain: per part (the domain itself or each of its
/// sub-domains), per indicator, per panel row.
type DomainValues = Vec<Vec<Vec<Option<f64>>>>;

/// Compute the index with the profile's eligibility rules (see [`Profile::set_eligibility`]
/// to change them for a run).
///
/// # Errors
/// [`CoreError::Value`] when a log- or rank-transformed value is out of range (naming the
/// indicator, area and year). A run in which no area is eligible is not an error: every row
/// then carries its exclusion, and the summary says so.
pub fn compute(profile: &Profile, panel: &Panel, options: &Options) -> Result<Scores> {
    let ranking = options.ranking.unwrap_or(profile.ranking);
    let n_rows = panel.len();

    let missing_indicators = missing_indicators(profile, panel);
    let values = oriented_values(profile, panel)?;
    let population = population_column(profile, panel);
    let present = domains_present(profile, &values, n_rows);
    let exclusion: Vec<Option<Exclusion>> = (0..n_rows)
        .map(|i| exclusion_of(profile, population[i], |d| present[i] & (1 << d) != 0))
        .collect();
    let groups = ranking_groups(panel, ranking);

    // The groups are independent, and within a group the domains are: compute both in
    // parallel. Results are collected in group and domain order, so they do not depend on the
    // thread count.
    let weights: Vec<f64> = profile.domains.iter().map(|d| d.weight).collect();
    let outcomes: Vec<GroupOutcome> = groups
        .par_iter()
        .map(|(year, members)| {
            group_outcome(profile, &values, &weights, *year, members, &exclusion)
        })
        .collect();

    let (per_row, infos) = RowResults::scatter(outcomes, n_rows, profile.domains.len());
    let rows = area_rows(panel, &per_row, &population, &exclusion);
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

/// Indicators with a source column that is in none of the tables, as (domain id, indicator
/// id, the absent columns), in profile order.
fn missing_indicators(profile: &Profile, panel: &Panel) -> Vec<(String, String, Vec<String>)> {
    let mut missing = Vec::new();
    for d in &profile.domains {
        for ind in d.indicators() {
            // Missing everywhere when no edition's source has all its columns.
            let complete = ind.sources().any(|s| {
                s.columns()
                    .iter()
                    .all(|c| panel.columns.contains_key(&c.name))
            });
            let absent: Vec<String> = source_columns(ind)
                .into_iter()
                .filter(|c| !panel.columns.contains_key(*c))
                .map(str::to_string)
                .collect();
            if !complete {
                missing.push((d.id.clone(), ind.id.clone(), absent));
            }
        }
    }
    missing
}

/// Step 2, first half: the oriented indicator values, per domain, per part (the domain itself
/// or its sub-domains), computed in parallel over the domains.
fn oriented_values(profile: &Profile, panel: &Panel) -> Result<Vec<DomainValues>> {
    profile
        .domains
        .par_iter()
        .map(|d| -> Result<DomainValues> {
            let parts: Vec<Vec<&Indicator>> = match &d.parts {
                DomainParts::Indicators(v) => vec![v.iter().collect()],
                DomainParts::Subdomains(s) => {
                    s.iter().map(|s| s.indicators.iter().collect()).collect()
                }
            };
            parts
                .into_iter()
                .map(|part| {
                    part.into_iter()
                        .map(|ind| indicator_values(panel, ind))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The population of each panel row; all `None` where the profile names no population column
/// or the tables lack it.
fn population_column(profile: &Profile, panel: &Panel) -> Vec<Option<f64>> {
    profile
        .input
        .population
        .as_ref()
        .and_then(|p| panel.columns.get(&p.name).cloned())
        .unwrap_or_else(|| vec![None; panel.len()])
}

/// Step 1, the data half of eligibility: the domains with data per row, as a bit set, built
/// one column at a time (memory in order). Only parts that carry weight count: data in a
/// zero-weight domain or sub-domain adds nothing to the MDI.
fn domains_present(profile: &Profile, values: &[DomainValues], n_rows: usize) -> Vec<u64> {
    let mut present = vec![0u64; n_rows];
    for (d, dv) in values.iter().enumerate() {
        let domain = &profile.domains[d];
        let part_weight = |pi: usize| match &domain.parts {
            DomainParts::Indicators(_) => domain.weight,
            DomainParts::Subdomains(s) => domain.weight * s[pi].weight,
        };
        for v in dv
            .iter()
            .enumerate()
            .filter(|(pi, _)| part_weight(*pi) > 0.0)
            .flat_map(|(_, p)| p)
        {
            for (p, x) in present.iter_mut().zip(v) {
                if x.is_some() {
                    *p |= 1 << d;
                }
            }
        }
    }
    present
}

/// The ranking groups: per year (or one pooled group, keyed `None`), the panel row indices in
/// (code, year) order.
fn ranking_groups(panel: &Panel, ranking: Ranking) -> BTreeMap<Option<i32>, Vec<usize>> {
    let mut groups: BTreeMap<Option<i32>, Vec<usize>> = BTreeMap::new();
    for i in 0..panel.len() {
        let key = match ranking {
            Ranking::PerYear => Some(panel.years[i]),
            Ranking::Pooled => None,
        };
        groups.entry(key).or_default().push(i);
    }
    groups
}

/// The group results spread back over the panel rows, row-major so that building the rows
/// reads memory in order. Rows that were not ranked keep `None` and N = 0.
struct RowResults {
    /// The MDI score per row.
    mdi_score: Vec<Option<f64>>,
    /// The MDI rank per row.
    mdi_rank: Vec<Option<usize>>,
    /// The number ranked in the row's group.
    mdi_n: Vec<usize>,
    /// Per row, per domain (`row * domains + domain`).
    domain: Vec<DomainResult>,
    /// The number of domains.
    nd: usize,
}

impl RowResults {
    /// Scatter the outcomes of the groups over `n_rows` rows of `nd` domains; also returns the
    /// groups' infos, in group order.
    fn scatter(outcomes: Vec<GroupOutcome>, n_rows: usize, nd: usize) -> (Self, Vec<GroupInfo>) {
        let mut r = RowResults {
            mdi_score: vec![None; n_rows],
            mdi_rank: vec![None; n_rows],
            mdi_n: vec![0usize; n_rows],
            domain: vec![DomainResult::default(); n_rows * nd],
            nd,
        };
        let mut infos = Vec::with_capacity(outcomes.len());
        for g in outcomes {
            for (di, o) in g.domains.iter().enumerate() {
                for (j, &i) in g.eligible.iter().enumerate() {
                    r.domain[i * nd + di] = DomainResult {
                        score: o.x[j],
                        rank: o.ranks[j],
                        decile: o.ranks[j].map(|r| decile(r, o.n)),
                    };
                }
            }
            for (j, &i) in g.eligible.iter().enumerate() {
                r.mdi_score[i] = g.mdi[j];
                r.mdi_rank[i] = g.ranks[j];
                r.mdi_n[i] = g.n;
            }
            infos.push(g.info);
        }
        (r, infos)
    }
}

/// The output rows, in (year, code) order: panel rows are in (code, year) order, so sorting
/// the indices by (year, index) gives it without comparing strings.
fn area_rows(
    panel: &Panel,
    per_row: &RowResults,
    population: &[Option<f64>],
    exclusion: &[Option<Exclusion>],
) -> Vec<AreaResult> {
    let nd = per_row.nd;
    let mut order: Vec<usize> = (0..panel.len()).collect();
    order.sort_unstable_by_key(|&i| (panel.years[i], i));
    order
        .into_par_iter()
        .map(|i| {
            let domains: Vec<DomainResult> = per_row.domain[i * nd..(i + 1) * nd].to_vec();
            let eligible = exclusion[i].is_none();
            AreaResult {
                code: panel.codes[i].clone(),
                year: panel.years[i],
                population: population[i],
                exclusion: exclusion[i],
                mdi_score: per_row.mdi_score[i],
                mdi_rank: per_row.mdi_rank[i],
                mdi_decile: per_row.mdi_rank[i].map(|r| decile(r, per_row.mdi_n[i])),
                domains_in_worst_decile: eligible.then(|| {
                    u8::try_from(domains.iter().filter(|d| d.decile == Some(1)).count())
                        .unwrap_or(u8::MAX)
                }),
                domains_missing: if eligible {
                    DomainSet::from_fn(nd, |d| domains[d].score.is_none())
                } else {
                    DomainSet::default()
                },
                domains,
            }
        })
        .collect()
}

/// The panel columns an indicator reads, over all its editions.
fn source_columns(ind: &Indicator) -> Vec<&str> {
    ind.column_refs()
        .into_iter()
        .map(|c| c.name.as_str())
        .collect()
}
