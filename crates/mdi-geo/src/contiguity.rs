//! Queen contiguity of the index unit's areas: two areas are neighbours when their polygons
//! share at least one vertex, compared exactly in the WGS84 (EPSG:4326) longitude/latitude
//! coordinates that `areas.fgb` stores. The polygons of a level come from one shared-arc
//! topology (neighbours' common boundaries are the same points), so a shared arc or a shared
//! node makes two areas neighbours. This is what `libpysal.weights.Queen` computes on
//! `areas.fgb`: the vertices of every ring (exterior and holes) of every part, equal
//! coordinates meaning the same vertex.

use std::collections::BTreeSet;

use mdi_format::contiguity::Contiguity;
use rayon::prelude::*;

use crate::hierarchy::LevelAreas;

/// A vertex as the exact bits of its WGS84 longitude and latitude (`-0.0` read as `0.0`).
fn key(x: f64, y: f64) -> (u64, u64) {
    // Adding 0.0 turns -0.0 into 0.0, so that the two zeros are one vertex, as in Python.
    ((x + 0.0).to_bits(), (y + 0.0).to_bits())
}

/// The queen contiguity of the areas of `level` that have a polygon (at least one vertex;
/// water areas and collapsed areas included), in code order. `layer` names the level in the
/// GAL header.
pub fn queen(level: &LevelAreas) -> Contiguity {
    let areas: Vec<usize> = (0..level.areas.len())
        .filter(|&i| has_polygon(level, i))
        .collect();
    let mut order = areas.clone();
    order.sort_by(|&a, &b| level.areas[a].code.cmp(&level.areas[b].code));
    // Every distinct vertex of every area, tagged with the area's position in `order`.
    let mut vertices: Vec<((u64, u64), u32)> = order
        .par_iter()
        .enumerate()
        .flat_map_iter(|(k, &i)| {
            let mut v: Vec<(u64, u64)> = level.areas[i]
                .geometry
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|ring| ring.0.iter().map(|c| key(c.x, c.y)))
                .collect();
            v.sort_unstable();
            v.dedup();
            let k = u32::try_from(k).unwrap_or(u32::MAX);
            v.into_iter().map(move |p| (p, k))
        })
        .collect();
    vertices.par_sort_unstable();
    let mut sets: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); order.len()];
    for run in vertices.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        for (a, &(_, i)) in run.iter().enumerate() {
            for &(_, j) in &run[a + 1..] {
                sets[i as usize].insert(j);
                sets[j as usize].insert(i);
            }
        }
    }
    Contiguity {
        layer: level.level.layer.clone(),
        codes: order.iter().map(|&i| level.areas[i].code.clone()).collect(),
        neighbours: sets.into_iter().map(|s| s.into_iter().collect()).collect(),
    }
}

/// Whether area `i` of `level` has a polygon with at least one vertex.
fn has_polygon(level: &LevelAreas, i: usize) -> bool {
    level.areas[i]
        .geometry
        .0
        .iter()
        .any(|p| !p.exterior().0.is_empty())
}

#[cfg(test)]
mod tests {
    use geo_types::{MultiPolygon, polygon};
    use mdi_core::profile::Level;

    use super::*;
    use crate::hierarchy::Area;

    fn area(code: &str, geometry: MultiPolygon<f64>) -> Area {
        Area {
            code: code.into(),
            name: code.into(),
            parent: None,
            geometry,
            water: false,
            collapsed: false,
            source: None,
        }
    }

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0), (x: x, y: y)
        ]])
    }

    #[test]
    fn a_shared_corner_or_edge_makes_neighbours_a_gap_does_not() {
        // A 2×2 block of unit squares (each touches the other three: edges or the centre
        // corner), one square off by a hair (an island), one area without polygon.
        let level = LevelAreas {
            level: Level {
                id: "buurt".into(),
                layer: "buurten".into(),
                name: "Buurten".into(),
                code_prefix: "BU".into(),
                code_fields: Vec::new(),
                name_fields: Vec::new(),
                optional: false,
                parent: None,
                zooms: None,
            },
            areas: vec![
                area("BU1", square(0.0, 0.0)),
                area("BU2", square(1.0, 0.0)),
                area("BU3", square(0.0, 1.0)),
                area("BU4", square(1.0, 1.0)),
                area("BU5", square(2.0 + 1e-12, 0.0)),
                area("BU6", MultiPolygon(Vec::new())),
            ],
        };
        let c = queen(&level);
        assert_eq!(c.codes, ["BU1", "BU2", "BU3", "BU4", "BU5"]);
        assert_eq!(c.layer, "buurten");
        assert_eq!(
            c.neighbours,
            vec![
                vec![1, 2, 3],
                vec![0, 2, 3],
                vec![0, 1, 3],
                vec![0, 1, 2],
                vec![]
            ]
        );
        assert_eq!(c.islands(), ["BU5"]);
    }
}
