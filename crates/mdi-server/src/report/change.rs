//! Change over time (METHOD §6): trends of pooled scores, persistence and transitions of the
//! per-year deciles, and β-divergence on pooled scores.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use mdi_core::analysis::change::{
    Regression, ols, percentile_change, persistence as persist, transitions,
};

use super::model::{
    AreaChange, Divergence, GemeenteDivergence, PersistenceOut, TransitionsOut, Trend,
};
use super::scope::Scope;
use crate::areas::PooledScore;

/// At most this many points of the divergence chart (every k-th area beyond).
const MAX_POINTS: usize = 2_000;

/// The fewest areas of a gemeente for its own divergence regression.
const MIN_GEMEENTE_AREAS: usize = 10;

/// The pooled scores per year: `pooled.csv`, or `scores.csv` itself when the atlas was ranked
/// pooled; `None` for an atlas with neither.
pub(crate) fn pooled<'a>(scope: &Scope<'a>) -> Option<Cow<'a, [Vec<PooledScore>]>> {
    if let Some(p) = &scope.atlas.analysis.pooled {
        return Some(Cow::Borrowed(&p.years));
    }
    if scope.atlas.meta.ranking != "pooled" {
        return None;
    }
    let years = (0..scope.atlas.meta.years.len())
        .map(|y| {
            scope
                .areas
                .list
                .iter()
                .enumerate()
                .filter(|(_, a)| a.level == 0)
                .filter_map(|(i, a)| {
                    let v = a.years.get(y)?;
                    let mdi = v.mdi.as_ref().filter(|s| s.rank.is_some())?;
                    Some(PooledScore {
                        area: i,
                        population: v.population,
                        mdi: mdi.score,
                        domains: v
                            .domains
                            .iter()
                            .map(|d| d.as_ref().map(|s| s.score))
                            .collect(),
                    })
                })
                .collect()
        })
        .collect();
    Some(Cow::Owned(years))
}

/// The population-weighted mean of `value` over the rows in scope.
fn weighted(
    scope: &Scope<'_>,
    rows: &[PooledScore],
    value: impl Fn(&PooledScore) -> Option<f64>,
) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for r in rows.iter().filter(|r| scope.in_scope[r.area]) {
        if let (Some(v), Some(p)) = (value(r), r.population.filter(|p| *p > 0.0)) {
            sum += p * v;
            weight += p;
        }
    }
    (weight > 0.0).then(|| sum / weight)
}

/// One trend from the means per year.
fn trend(
    domain: &str,
    name: &str,
    years: &[i32],
    mean: Vec<Option<f64>>,
    breaks: Vec<i32>,
) -> Trend {
    // Compare only within one stretch without a series break: the longest (the later one of
    // equally long stretches), counted in years with data.
    let with_data: Vec<(i32, f64)> = years
        .iter()
        .zip(&mean)
        .filter_map(|(&y, m)| Some((y, (*m)?)))
        .collect();
    let stretch = |y: i32| breaks.iter().filter(|&&b| b <= y).count();
    let mut best: Option<(usize, usize)> = None; // (first, last) index into with_data
    let mut start = 0;
    for k in 0..with_data.len() {
        let ends =
            k + 1 == with_data.len() || stretch(with_data[k + 1].0) != stretch(with_data[k].0);
        if ends {
            if best.is_none_or(|(a, b)| k - start >= b - a) {
                best = Some((start, k));
            }
            start = k + 1;
        }
    }
    let span = best
        .filter(|(a, b)| b > a)
        .map(|(a, b)| (with_data[a], with_data[b]));
    let change = span.map(|(a, b)| b.1 - a.1);
    Trend {
        domain: domain.into(),
        name: name.into(),
        years: years.to_vec(),
        mean,
        change,
        change_from: span.map(|(a, _)| a.0),
        change_to: span.map(|(_, b)| b.0),
        worsening: change.is_some_and(|c| c > 0.0),
        breaks,
    }
}

/// The trends of the MDI and every domain: the population-weighted mean pooled score per year.
pub(crate) fn trends(scope: &Scope<'_>) -> Vec<Trend> {
    let Some(pooled) = pooled(scope) else {
        return Vec::new();
    };
    let meta = &scope.atlas.meta;
    // The years from the report's start year to its year.
    let span = scope.from.min(scope.y)..=scope.y;
    let years = &meta.years[span.clone()];
    let pooled = &pooled[span];
    let breaks = |domain: Option<&str>| {
        let mut years: Vec<i32> = meta
            .series_breaks
            .iter()
            .filter(|b| domain.is_none_or(|d| b.domain == d))
            .filter(|b| years.first().is_some_and(|f| b.year > *f))
            .filter(|b| years.last().is_some_and(|l| b.year <= *l))
            .map(|b| b.year)
            .collect();
        years.sort_unstable();
        years.dedup();
        years
    };
    let mut out = vec![trend(
        "mdi",
        "MDI",
        years,
        pooled
            .iter()
            .map(|rows| weighted(scope, rows, |r| Some(r.mdi)))
            .collect(),
        breaks(None),
    )];
    for (k, d) in meta.domains.iter().enumerate() {
        let mean = pooled
            .iter()
            .map(|rows| weighted(scope, rows, |r| r.domains.get(k).copied().flatten()))
            .collect();
        out.push(trend(&d.id, &d.name, years, mean, breaks(Some(&d.id))));
    }
    out
}

/// Persistence and transitions of the national MDI deciles of the areas in scope between the
/// years of [`Scope::change`] (the start and the report's year where they are comparable);
/// `None` without two comparable years or when no area is ranked in both.
pub(crate) fn persistence(scope: &Scope<'_>) -> (Option<PersistenceOut>, Option<TransitionsOut>) {
    let Some((from, to)) = scope.change else {
        return (None, None);
    };
    let decile = |i: usize, y: usize| {
        scope
            .at(i, y)?
            .mdi
            .as_ref()
            .filter(|s| s.rank.is_some())?
            .decile
            .filter(|d| (1..=10).contains(d))
    };
    let pairs: Vec<(u8, u8)> = scope
        .ranked(to)
        .filter_map(|(i, _)| Some((decile(i, from)?, decile(i, to)?)))
        .collect();
    if pairs.is_empty() {
        return (None, None);
    }
    let p = persist(&pairs);
    let t = transitions(&pairs);
    let (from_year, to_year) = (scope.year(from), scope.year(to));
    (
        Some(PersistenceOut {
            from_year,
            to_year,
            worst_at_end: p.worst_at_end,
            also_worst_at_start: p.also_worst_at_start,
            share: p.share,
        }),
        Some(TransitionsOut {
            from_year,
            to_year,
            counts: t.from.iter().map(|r| r.to_vec()).collect(),
            shares: t.shares.iter().map(|r| r.to_vec()).collect(),
        }),
    )
}

/// Per area of the index unit in scope with a pooled MDI in both years: (area, MDI at the
/// start, change).
fn changes(scope: &Scope<'_>) -> Vec<(usize, f64, f64)> {
    let Some(pooled) = pooled(scope) else {
        return Vec::new();
    };
    let Some((from, to)) = scope.change else {
        return Vec::new();
    };
    let start: HashMap<usize, f64> = pooled[from]
        .iter()
        .filter(|r| scope.in_scope[r.area])
        .map(|r| (r.area, r.mdi))
        .collect();
    let mut out: Vec<(usize, f64, f64)> = pooled[to]
        .iter()
        .filter_map(|r| start.get(&r.area).map(|&s| (r.area, s, r.mdi - s)))
        .collect();
    out.sort_by_key(|c| c.0);
    out
}

/// OLS of change on start over `points`.
fn regress(points: &[(usize, f64, f64)]) -> Option<Regression> {
    let x: Vec<f64> = points.iter().map(|p| p.1).collect();
    let y: Vec<f64> = points.iter().map(|p| p.2).collect();
    ols(&x, &y, None)
}

/// β-divergence of the areas in scope (METHOD §6), unweighted OLS on pooled MDI scores.
pub(crate) fn divergence(scope: &Scope<'_>) -> Option<Divergence> {
    let points = changes(scope);
    let r = regress(&points)?;
    let stride = points.len().div_ceil(MAX_POINTS).max(1);
    Some(Divergence {
        beta: r.beta,
        ci_low: r.ci_low,
        ci_high: r.ci_high,
        n: r.n,
        from_year: scope.change.map_or(0, |c| scope.year(c.0)),
        to_year: scope.change.map_or(0, |c| scope.year(c.1)),
        p_value: r.p_value,
        alpha: r.alpha,
        scores: "pooled".into(),
        points: points.iter().step_by(stride).map(|p| (p.1, p.2)).collect(),
    })
}

/// β-divergence within each gemeente in scope with at least [`MIN_GEMEENTE_AREAS`] areas.
pub(crate) fn divergence_by_gemeente(scope: &Scope<'_>) -> Vec<GemeenteDivergence> {
    let level = scope.gemeente_level();
    if level == 0 || scope.area_level() < level {
        return Vec::new();
    }
    let mut groups: BTreeMap<usize, Vec<(usize, f64, f64)>> = BTreeMap::new();
    for p in changes(scope) {
        if let Some(g) = scope.ancestor_at[p.0].get(level).copied().flatten() {
            groups.entry(g).or_default().push(p);
        }
    }
    let mut out: Vec<GemeenteDivergence> = groups
        .into_iter()
        .filter(|(_, p)| p.len() >= MIN_GEMEENTE_AREAS)
        .filter_map(|(g, p)| {
            let r = regress(&p)?;
            let a = &scope.areas.list[g];
            Some(GemeenteDivergence {
                code: a.code.to_string(),
                name: a.name.to_string(),
                beta: r.beta,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                n: r.n,
            })
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// Per area of the index unit in scope (an area report only), ranked in both years of
/// [`Scope::change`]: ranks, deciles, percentile change and pooled change, largest percentile
/// change first (ties by code).
pub(crate) fn area_changes(scope: &Scope<'_>) -> Vec<AreaChange> {
    let (Some(_), Some((from, to))) = (scope.area, scope.change) else {
        return Vec::new();
    };
    let national = |y: usize| scope.areas.ranked[0].get(y).copied().unwrap_or(0);
    let (n0, n1) = (national(from), national(to));
    let pooled_at = |y: usize| -> HashMap<usize, f64> {
        pooled(scope).map_or_else(HashMap::new, |p| {
            p[y].iter().map(|r| (r.area, r.mdi)).collect()
        })
    };
    let (p0, p1) = (pooled_at(from), pooled_at(to));
    let rank_decile = |i: usize, y: usize| {
        let s = scope.at(i, y)?.mdi.as_ref()?;
        Some((s.rank?, s.decile?))
    };
    let mut out: Vec<AreaChange> = scope
        .ranked(to)
        .filter_map(|(i, a)| {
            let (r0, d0) = rank_decile(i, from)?;
            let (r1, d1) = rank_decile(i, to)?;
            Some(AreaChange {
                code: a.code.to_string(),
                name: a.name.to_string(),
                rank_from: r0,
                rank_to: r1,
                decile_from: d0,
                decile_to: d1,
                percentile_change: percentile_change(r0, n0, r1, n1),
                pooled_change: p0.get(&i).zip(p1.get(&i)).map(|(a, b)| b - a),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.percentile_change
            .total_cmp(&a.percentile_change)
            .then_with(|| a.code.cmp(&b.code))
    });
    out
}
