//! District measures (METHOD §1.8, §5) of the areas above the index unit, ranked across the
//! areas of their level.

use std::collections::BTreeMap;

use super::stats::district::{DistrictMeasures, Member, district_measures, rank_desc};

use super::model::{District, DistrictRanks};
use super::scope::Scope;

/// The district of the report's area and its children.
pub(crate) struct Districts {
    /// The report's area, ranked among the areas of its level.
    pub own: Option<District>,
    /// Its children one level down (every area of the top level for the whole atlas).
    pub children: Vec<District>,
}

/// The member of area `i` in year `y`: national rank, score, population (0 when unknown).
fn member(scope: &Scope<'_>, i: usize, y: usize) -> Option<Member> {
    let v = scope.at(i, y)?;
    let s = v.mdi.as_ref()?;
    Some(Member {
        rank: s.rank?,
        score: s.score,
        population: v.population.unwrap_or(0.0),
    })
}

/// Every area of `level` (≥ 1) with its measures in the report's year, ranked across them.
fn level_districts(scope: &Scope<'_>, level: usize) -> Vec<(usize, District)> {
    let y = scope.y;
    let mut members: BTreeMap<usize, Vec<Member>> = BTreeMap::new();
    for (i, a) in scope.areas.list.iter().enumerate() {
        if a.level != 0 {
            continue;
        }
        let Some(d) = scope.ancestor_at[i].get(level).copied().flatten() else {
            continue;
        };
        if let Some(m) = member(scope, i, y) {
            members.entry(d).or_default().push(m);
        }
    }
    let n = scope.n(y);
    let measured: Vec<(usize, DistrictMeasures)> = members
        .into_iter()
        .filter_map(|(d, m)| Some((d, district_measures(&m, n)?)))
        .collect();
    let rank = |f: fn(&DistrictMeasures) -> f64| {
        rank_desc(&measured.iter().map(|(_, m)| Some(f(m))).collect::<Vec<_>>())
    };
    let ranks = [
        rank(|m| m.average_score),
        rank(|m| m.average_rank),
        rank(|m| m.extent),
        rank(|m| m.local_concentration),
        rank(|m| m.proportion_worst_decile),
        rank(|m| m.share_worst_decile),
    ];
    let of = measured.len();
    measured
        .into_iter()
        .enumerate()
        .map(|(k, (d, m))| {
            let a = &scope.areas.list[d];
            let district = District {
                code: a.code.to_string(),
                name: a.name.to_string(),
                level: scope.level_id(level),
                areas: m.areas,
                population: m.population,
                average_score: m.average_score,
                average_rank: m.average_rank,
                extent: m.extent,
                local_concentration: m.local_concentration,
                proportion_worst_decile: m.proportion_worst_decile,
                share_worst_decile: m.share_worst_decile,
                decile_shares: m.decile_shares.to_vec(),
                ranks: DistrictRanks {
                    average_score: ranks[0][k],
                    average_rank: ranks[1][k],
                    extent: ranks[2][k],
                    local_concentration: ranks[3][k],
                    proportion_worst_decile: ranks[4][k],
                    share_worst_decile: ranks[5][k],
                },
                of,
            };
            (d, district)
        })
        .collect()
}

/// The report's district and its child districts.
pub(crate) fn districts(scope: &Scope<'_>) -> Districts {
    let levels = scope.atlas.meta.levels.len();
    let mut own = None;
    let mut children = Vec::new();
    let level = scope.area_level();
    if let Some(r) = scope.area
        && level >= 1
    {
        own = level_districts(scope, level)
            .into_iter()
            .find(|(d, _)| *d == r)
            .map(|(_, d)| d);
    }
    // The children: one level down from the area, or the top level for the whole atlas.
    let child_level = if scope.area.is_some() {
        level.checked_sub(1)
    } else {
        levels.checked_sub(1)
    };
    if let Some(cl) = child_level.filter(|&l| l >= 1) {
        children = level_districts(scope, cl)
            .into_iter()
            .filter(|(d, _)| scope.contains(*d))
            .map(|(_, d)| d)
            .collect();
        children.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Districts { own, children }
}

/// The population share of the report's ranked areas of the index unit that lie in the
/// national worst decile in the report's year.
pub(crate) fn share_worst_decile(scope: &Scope<'_>) -> Option<f64> {
    let y = scope.y;
    let members: Vec<Member> = scope
        .ranked(y)
        .filter_map(|(i, _)| member(scope, i, y))
        .collect();
    district_measures(&members, scope.n(y)).map(|m| m.share_worst_decile)
}
