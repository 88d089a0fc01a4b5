//! Correlations of comparison indicators with the MDI and its domains (METHOD §7), at the
//! index unit and at every level above it below the report's area.

use std::collections::{BTreeSet, HashMap};

use super::stats::correlation::{Method, correlate};

use super::compare::CompareTable;
use super::model::{Comparator, CorrelationOut};
use super::scope::Scope;

/// The methods, with their names in the report.
const METHODS: [(Method, &str); 3] = [
    (Method::Pearson, "pearson"),
    (Method::WeightedPearson, "weighted-pearson"),
    (Method::Spearman, "spearman"),
];

/// A comparison table matched to the atlas's areas.
struct Matched<'t> {
    table: &'t CompareTable,
    /// (area, year) → row; a row without year under `None`.
    index: HashMap<(usize, Option<i32>), usize>,
}

impl Matched<'_> {
    /// The value of column `c` for area `i` in `year` (a row of that year, else a row without
    /// year).
    fn value(&self, c: usize, i: usize, year: i32) -> Option<f64> {
        let row = self
            .index
            .get(&(i, Some(year)))
            .or_else(|| self.index.get(&(i, None)))?;
        self.table.rows[*row].values.get(c).copied().flatten()
    }

    /// The year of column `c` to correlate: the report's year if it has values then, else the
    /// latest earlier year of the atlas with values, else the first later one.
    fn year(&self, scope: &Scope<'_>, c: usize) -> Option<usize> {
        let mut years = BTreeSet::new();
        let mut any_year = false;
        for r in self.table.rows.iter() {
            if r.values.get(c).copied().flatten().is_none() {
                continue;
            }
            match r.year {
                Some(y) => {
                    years.insert(y);
                }
                None => any_year = true,
            }
        }
        let atlas_years = &scope.atlas.meta.years;
        let has = |y: usize| any_year || years.contains(&atlas_years[y]);
        if has(scope.y) {
            return Some(scope.y);
        }
        (0..scope.y)
            .rev()
            .chain(scope.y + 1..atlas_years.len())
            .find(|&y| has(y))
    }
}

/// Matches the codes of `table` to the atlas's areas; returns the unmatched distinct codes.
fn match_table<'t>(scope: &Scope<'_>, table: &'t CompareTable) -> (Matched<'t>, usize) {
    let mut index = HashMap::new();
    let mut unmatched = BTreeSet::new();
    for (k, r) in table.rows.iter().enumerate() {
        match scope.areas.find(&r.code) {
            Some(i) => {
                index.insert((i, r.year), k);
            }
            None => {
                unmatched.insert(r.code.as_str());
            }
        }
    }
    (Matched { table, index }, unmatched.len())
}

/// The three coefficients of `x` with `y` (weights `w`), as report rows.
fn coefficients(
    indicator: &str,
    against: &str,
    level: &str,
    year: i32,
    x: &[f64],
    y: &[f64],
    w: &[f64],
) -> Vec<CorrelationOut> {
    METHODS
        .iter()
        .filter_map(|&(method, name)| {
            let weights = (method == Method::WeightedPearson).then_some(w);
            let c = correlate(x, y, weights, method)?;
            Some(CorrelationOut {
                indicator: indicator.into(),
                against: against.into(),
                level: level.into(),
                method: name.into(),
                year,
                r: c.r,
                ci_low: c.ci_low,
                ci_high: c.ci_high,
                n: c.n,
                p_value: c.p_value,
            })
        })
        .collect()
}

/// The correlations of column `c` at the index unit in year index `y`: against the MDI and
/// every domain score.
fn at_index_unit(scope: &Scope<'_>, m: &Matched<'_>, c: usize, y: usize) -> Vec<CorrelationOut> {
    let year = scope.year(y);
    let indicator = &m.table.columns[c];
    let level = scope.level_id(0);
    // (comparator, population, MDI, domain scores) of every ranked area in scope.
    let rows: Vec<(f64, f64, f64, &[Option<crate::areas::Score>])> = scope
        .ranked(y)
        .filter_map(|(i, a)| {
            let v = a.years.get(y)?;
            Some((
                m.value(c, i, year)?,
                v.population.unwrap_or(0.0),
                v.mdi.as_ref()?.score,
                &v.domains[..],
            ))
        })
        .collect();
    let mut out = Vec::new();
    let comp: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let w: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let mdi: Vec<f64> = rows.iter().map(|r| r.2).collect();
    out.extend(coefficients(
        indicator, "mdi", &level, year, &mdi, &comp, &w,
    ));
    for (k, d) in scope.atlas.meta.domains.iter().enumerate() {
        let (mut x, mut yv, mut wv) = (Vec::new(), Vec::new(), Vec::new());
        for r in &rows {
            if let Some(Some(s)) = r.3.get(k) {
                x.push(s.score);
                yv.push(r.0);
                wv.push(r.1);
            }
        }
        out.extend(coefficients(indicator, &d.id, &level, year, &x, &yv, &wv));
    }
    out
}

/// The correlations of column `c` at `level` (≥ 1) in year index `y`: the level's
/// population-weighted mean MDI score against the comparator given at that level, else the
/// population-weighted mean of its index-unit areas' values.
fn at_level(
    scope: &Scope<'_>,
    m: &Matched<'_>,
    c: usize,
    y: usize,
    level: usize,
) -> Vec<CorrelationOut> {
    let year = scope.year(y);
    // The population-weighted mean comparator of the index-unit areas of each area.
    let mut sums: HashMap<usize, (f64, f64)> = HashMap::new();
    for (i, a) in scope.areas.list.iter().enumerate() {
        if a.level != 0 {
            continue;
        }
        let Some(d) = scope.ancestor_at[i].get(level).copied().flatten() else {
            continue;
        };
        let p = a.years.get(y).and_then(|v| v.population).unwrap_or(0.0);
        if let (Some(v), true) = (m.value(c, i, year), p > 0.0) {
            let s = sums.entry(d).or_default();
            s.0 += p * v;
            s.1 += p;
        }
    }
    let (mut x, mut comp, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for (i, a) in scope.areas.list.iter().enumerate() {
        if a.level != level || !scope.contains(i) {
            continue;
        }
        let Some(v) = a.years.get(y) else { continue };
        let Some(mdi) = v.mdi.as_ref() else { continue };
        let value = m
            .value(c, i, year)
            .or_else(|| sums.get(&i).filter(|s| s.1 > 0.0).map(|s| s.0 / s.1));
        if let Some(value) = value {
            x.push(mdi.score);
            comp.push(value);
            w.push(v.population.unwrap_or(0.0));
        }
    }
    coefficients(
        &m.table.columns[c],
        "mdi",
        &scope.level_id(level),
        year,
        &x,
        &comp,
        &w,
    )
}

/// Every correlation of the comparison indicators of the atlas (`comparison.csv`) and of
/// `compare`, with the list of comparators.
pub(crate) fn correlations(
    scope: &Scope<'_>,
    compare: &[CompareTable],
) -> (Vec<CorrelationOut>, Vec<Comparator>) {
    let tables = scope.atlas.analysis.comparison.iter().chain(compare);
    let (mut out, mut comparators) = (Vec::new(), Vec::new());
    let levels = scope.atlas.meta.levels.len();
    for table in tables {
        let (m, unmatched) = match_table(scope, table);
        for (c, id) in table.columns.iter().enumerate() {
            comparators.push(Comparator {
                id: id.clone(),
                name: table.names.get(c).unwrap_or(id).clone(),
                source: table.source.clone(),
                unmatched_codes: unmatched,
            });
            let Some(y) = m.year(scope, c) else { continue };
            out.extend(at_index_unit(scope, &m, c, y));
            for level in 1..levels.min(scope.area_level()) {
                out.extend(at_level(scope, &m, c, y, level));
            }
        }
    }
    (out, comparators)
}
