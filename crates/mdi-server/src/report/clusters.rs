//! Spatial clusters of the MDI: local Moran's I over the nation's ranked areas (the classes of
//! the tiles' `cluster_<year>`), global Moran's I over the report's areas.

use std::collections::BTreeMap;

use std::sync::Arc;

use mdi_core::analysis::spatial::{
    Cluster, GetisOrd, LocalMoran, Weights, classify, fdr_threshold, getis_ord_star, local_moran,
    moran,
};

use super::ReportOptions;
use super::model::Clusters;
use super::scope::Scope;

/// Significance level of the local clusters, as the build's.
const ALPHA: f64 = 0.05;

/// The national local statistics of one year: local Moran and Getis–Ord Gi* of the MDI score
/// over the ranked areas with a polygon, the queen weights subset to them. The same for every
/// report of that year (cached on the atlas's [`crate::atlas::Contiguity`]).
#[derive(Debug)]
pub struct NationalLocal {
    /// The weights subset to the ranked areas.
    w: Weights,
    /// Per area of `w`: its entry in `contiguity.gal`.
    old: Vec<usize>,
    /// Per area of `w`: its MDI score.
    values: Vec<f64>,
    /// Local Moran's I.
    local: LocalMoran,
    /// Getis–Ord Gi*.
    gi: GetisOrd,
}

/// The national local statistics of year index `y` ([`NationalLocal`]), from the cache or
/// computed; `None` with fewer than three ranked areas in `contiguity.gal`.
fn national(scope: &Scope<'_>, options: &ReportOptions) -> Option<Arc<NationalLocal>> {
    let contiguity = scope.atlas.analysis.contiguity.as_ref()?;
    let y = scope.y;
    let key = (y, options.permutations, options.seed);
    // A poisoned cache (a panic elsewhere) is bypassed, never fatal.
    let cached = contiguity
        .local
        .lock()
        .ok()
        .and_then(|c| c.get(&key).cloned());
    if cached.is_some() {
        return cached;
    }
    // The ranked areas of the year with a polygon: the weights subset to them.
    let score = |entry: usize| -> Option<f64> {
        let i = contiguity.areas.get(entry).copied().flatten()?;
        let s = scope.at(i, y)?.mdi.as_ref()?;
        s.rank.map(|_| s.score)
    };
    let keep: Vec<bool> = (0..contiguity.weights.n())
        .map(|e| score(e).is_some())
        .collect();
    let (w, old) = contiguity.weights.subset(&keep);
    let values: Vec<f64> = old.iter().filter_map(|&e| score(e)).collect();
    if values.len() != old.len() || values.len() < 3 {
        return None;
    }
    let local = local_moran(&values, &w, options.permutations, options.seed);
    let gi = getis_ord_star(&values, &w, options.permutations, options.seed);
    let computed = Arc::new(NationalLocal {
        w,
        old,
        values,
        local,
        gi,
    });
    if let Ok(mut cache) = contiguity.local.lock() {
        cache.insert(key, computed.clone());
    }
    Some(computed)
}

/// The clusters of the report's year; `None` without `contiguity.gal` or with fewer than
/// three ranked areas in it.
pub(crate) fn clusters(scope: &Scope<'_>, options: &ReportOptions) -> Option<Clusters> {
    let contiguity = scope.atlas.analysis.contiguity.as_ref()?;
    let nat = national(scope, options)?;
    let (w, old, values) = (&nat.w, &nat.old, &nat.values);
    let y = scope.y;
    let classes = classify(&nat.local, w, ALPHA, options.fdr);
    // The report's areas among them, and Moran's I over those alone.
    let area_of = |k: usize| contiguity.areas[old[k]];
    let mine: Vec<bool> = (0..old.len())
        .map(|k| area_of(k).is_some_and(|i| scope.in_scope[i]))
        .collect();
    let global = if mine.iter().all(|&m| m) {
        moran(values, w, options.permutations, options.seed)
    } else {
        let (ws, sub) = w.subset(&mine);
        let v: Vec<f64> = sub.iter().map(|&k| values[k]).collect();
        moran(&v, &ws, options.permutations, options.seed)
    };
    let mut out = Clusters {
        year: scope.year(y),
        moran_i: global.as_ref().map(|g| g.i),
        p_value: global.as_ref().map(|g| g.p_sim),
        z_norm: global.as_ref().map(|g| g.z_norm),
        permutations: options.permutations,
        seed: options.seed,
        fdr: options.fdr,
        hotspots: Vec::new(),
        coldspots: Vec::new(),
        outliers: Vec::new(),
        islands: Vec::new(),
        counts: BTreeMap::new(),
        gi_hotspots: Vec::new(),
        gi_coldspots: Vec::new(),
    };
    let code = |k: usize| {
        area_of(k)
            .filter(|_| mine[k])
            .map(|i| scope.areas.list[i].code.to_string())
    };
    for (k, hot) in getis_ord(&nat.gi, w, options) {
        if let Some(c) = code(k) {
            if hot {
                out.gi_hotspots.push(c);
            } else {
                out.gi_coldspots.push(c);
            }
        }
    }
    for (k, class) in classes.iter().enumerate() {
        let Some(i) = area_of(k).filter(|_| mine[k]) else {
            continue;
        };
        let code = scope.areas.list[i].code.to_string();
        *out.counts.entry(class.code().to_string()).or_default() += 1;
        match class {
            Cluster::HighHigh => out.hotspots.push(code),
            Cluster::LowLow => out.coldspots.push(code),
            Cluster::HighLow | Cluster::LowHigh => out.outliers.push(code),
            Cluster::Island => out.islands.push(code),
            Cluster::NotSignificant => {}
        }
    }
    for list in [
        &mut out.hotspots,
        &mut out.coldspots,
        &mut out.outliers,
        &mut out.islands,
        &mut out.gi_hotspots,
        &mut out.gi_coldspots,
    ] {
        list.sort();
    }
    Some(out)
}

/// The areas where Getis–Ord Gi* is significant (p_sim below α, or below the false-discovery
/// cut-off over the areas with neighbours), with `true` for a high local mean (z > 0).
fn getis_ord(gi: &GetisOrd, w: &Weights, options: &ReportOptions) -> Vec<(usize, bool)> {
    let with_neighbours: Vec<usize> = (0..w.n()).filter(|&k| w.cardinality(k) > 0).collect();
    let cut = if options.fdr {
        let p: Vec<f64> = with_neighbours.iter().map(|&k| gi.p_sim[k]).collect();
        fdr_threshold(&p, ALPHA)
    } else {
        ALPHA
    };
    with_neighbours
        .into_iter()
        .filter(|&k| gi.p_sim.get(k).is_some_and(|&p| p < cut) && gi.z[k] != 0.0)
        .map(|k| (k, gi.z[k] > 0.0))
        .collect()
}
