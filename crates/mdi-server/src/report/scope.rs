//! What a report covers: the atlas, the year, the start year, and the areas of the index unit
//! in the report's area (all of them for the whole atlas), with their ancestors.

use crate::Atlas;
use crate::areas::{Area, AreaYear, Areas};

/// The areas and years a report covers.
pub(crate) struct Scope<'a> {
    /// The atlas.
    pub atlas: &'a Atlas,
    /// Its areas.
    pub areas: &'a Areas,
    /// The area reported on (index in `areas.list`); `None` for the whole atlas.
    pub area: Option<usize>,
    /// The report's year (index in the atlas's years).
    pub y: usize,
    /// The start year of the changes (index).
    pub from: usize,
    /// The years (indices) between which persistence and divergence compare: the longest
    /// comparable stretch within `from`..=`y` ([`comparable_span`]); `None` when no two years
    /// are comparable.
    pub change: Option<(usize, usize)>,
    /// Per area: an area of the index unit in the report's area.
    pub in_scope: Vec<bool>,
    /// Per area: its ancestor at each level (index = level; `None` above the top or without
    /// parent; the area itself at its own level).
    pub ancestor_at: Vec<Vec<Option<usize>>>,
}

impl<'a> Scope<'a> {
    /// The scope of a report on `area` (or the whole atlas) in year `y` from year `from`.
    pub fn new(atlas: &'a Atlas, area: Option<usize>, y: usize, from: usize) -> Scope<'a> {
        let areas = &atlas.areas;
        let levels = atlas.meta.levels.len().max(1);
        let ancestor_at: Vec<Vec<Option<usize>>> = (0..areas.list.len())
            .map(|i| {
                let mut at = vec![None; levels];
                if let Some(slot) = at.get_mut(areas.list[i].level) {
                    *slot = Some(i);
                }
                for p in areas.ancestors(i) {
                    if let Some(slot) = at.get_mut(areas.list[p].level) {
                        slot.get_or_insert(p);
                    }
                }
                at
            })
            .collect();
        let in_scope = areas
            .list
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.level == 0
                    && area.is_none_or(|r| {
                        ancestor_at[i].get(areas.list[r].level).copied().flatten() == Some(r)
                    })
            })
            .collect();
        Scope {
            atlas,
            areas,
            area,
            y,
            from,
            change: comparable_span(atlas, from, y),
            in_scope,
            ancestor_at,
        }
    }

    /// The year of index `y`.
    pub fn year(&self, y: usize) -> i32 {
        self.atlas.meta.years[y]
    }

    /// The level id of level `l` (`buurt`).
    pub fn level_id(&self, l: usize) -> String {
        self.atlas
            .meta
            .levels
            .get(l)
            .map_or_else(|| format!("level {l}"), |v| v.id.clone())
    }

    /// The level of the report's area (one above the top level for the whole atlas).
    pub fn area_level(&self) -> usize {
        self.area
            .map_or(self.atlas.meta.levels.len(), |a| self.areas.list[a].level)
    }

    /// Whether area `i` lies in the report's area (is it, or descends from it).
    pub fn contains(&self, i: usize) -> bool {
        match self.area {
            None => true,
            Some(r) => {
                self.ancestor_at[i]
                    .get(self.areas.list[r].level)
                    .copied()
                    .flatten()
                    == Some(r)
            }
        }
    }

    /// The area `i` in year `y`.
    pub fn at(&self, i: usize, y: usize) -> Option<&AreaYear> {
        self.areas.list[i].years.get(y)
    }

    /// The areas of the index unit in scope that have a national MDI rank in year `y`.
    pub fn ranked(&self, y: usize) -> impl Iterator<Item = (usize, &'a Area)> + '_ {
        self.areas.list.iter().enumerate().filter(move |(i, a)| {
            self.in_scope[*i]
                && a.years
                    .get(y)
                    .and_then(|v| v.mdi.as_ref())
                    .is_some_and(|s| s.rank.is_some())
        })
    }

    /// The number of ranked areas of the index unit nationally in year `y`.
    pub fn n(&self, y: usize) -> u32 {
        self.areas
            .ranked
            .first()
            .and_then(|r| r.get(y))
            .copied()
            .unwrap_or(0)
    }

    /// The level of the gemeenten (`gemeente`, else the top level).
    pub fn gemeente_level(&self) -> usize {
        self.atlas
            .meta
            .levels
            .iter()
            .position(|l| l.id == "gemeente")
            .unwrap_or(self.atlas.meta.levels.len().saturating_sub(1))
    }
}

/// Why the MDI of year index `b` cannot be compared with that of the year before it: a series
/// break of one of its indicators in that year, or other domains with data (`year_info`).
pub(crate) fn incomparable(atlas: &Atlas, b: usize) -> Option<String> {
    let meta = &atlas.meta;
    let year = *meta.years.get(b)?;
    let prev = *meta.years.get(b.checked_sub(1)?)?;
    if let Some(br) = meta.series_breaks.iter().find(|s| s.year == year) {
        return Some(format!(
            "reeksbreuk in {} ({}) in {year}",
            br.indicator, br.domain
        ));
    }
    let domains = |y: i32| {
        meta.year_info
            .iter()
            .find(|i| i.year == y)
            .map(|i| &i.domains_with_data)
    };
    match (domains(prev), domains(year)) {
        (Some(a), Some(c)) if a != c => Some(format!(
            "andere domeinen met gegevens in {prev} ({}) dan in {year} ({})",
            a.join(", "),
            c.join(", ")
        )),
        _ => None,
    }
}

/// The longest stretch of consecutive years within `from`..=`y` (indices) in which every year
/// is comparable with the one before ([`incomparable`]); of equally long stretches the later.
/// `None` when the stretch is a single year.
pub(crate) fn comparable_span(atlas: &Atlas, from: usize, y: usize) -> Option<(usize, usize)> {
    if from >= y {
        return None;
    }
    let mut best = (from, from);
    let mut start = from;
    for b in from + 1..=y {
        if incomparable(atlas, b).is_some() {
            start = b;
        }
        if b - start >= best.1 - best.0 {
            best = (start, b);
        }
    }
    (best.1 > best.0).then_some(best)
}
