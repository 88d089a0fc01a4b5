//! Geometry hygiene: every ring closed, without repeated points, exteriors counter-clockwise
//! and holes clockwise (x east, y north, as in WGS84 and RD New), degenerate rings removed, and
//! self-intersections resolved. Each change is reported.

use geo::{BooleanOps, Validation, Winding};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

pub use mdi_format::report::RepairKind;

/// The repaired geometry and what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// The geometry after repair (the original one when it collapsed).
    pub geometry: MultiPolygon<f64>,
    /// What was changed, each kind once, in a fixed order.
    pub repairs: Vec<RepairKind>,
}

impl Repaired {
    /// True when the area has no extent.
    pub fn collapsed(&self) -> bool {
        self.repairs.contains(&RepairKind::Collapsed)
    }
}

/// Clean one ring: close it and drop repeated consecutive points. `None` when fewer than three
/// distinct points are left or the ring has no area.
fn clean_ring(ring: &LineString<f64>, kinds: &mut Vec<RepairKind>) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() + 1);
    for c in &ring.0 {
        if pts.last() == Some(c) {
            kinds.push(RepairKind::DuplicatePoints);
        } else {
            pts.push(*c);
        }
    }
    if pts.len() > 1 && pts.first() != pts.last() {
        kinds.push(RepairKind::UnclosedRing);
        let first = pts[0];
        pts.push(first);
    }
    let ring = LineString::new(pts);
    // Degenerate: fewer than three distinct points, or all of them on one line. (A ring whose
    // signed area is zero but that is not flat, like a bow tie, is a self-intersection.)
    let flat = ring.0.first().is_none_or(|a| {
        let b = ring.0.iter().find(|c| *c != a);
        b.is_none_or(|b| {
            ring.0
                .iter()
                .all(|c| (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) == 0.0)
        })
    });
    if ring.0.len() < 4 || flat {
        kinds.push(RepairKind::DegenerateRing);
        return None;
    }
    Some(ring)
}

/// Repair a multipolygon (coordinates in any planar or geographic CRS with x east, y north).
pub fn repair(geometry: &MultiPolygon<f64>) -> Repaired {
    let mut kinds = Vec::new();
    let mut polygons = Vec::with_capacity(geometry.0.len());
    for p in &geometry.0 {
        let Some(mut exterior) = clean_ring(p.exterior(), &mut kinds) else {
            // Without an exterior the holes mean nothing.
            continue;
        };
        if exterior.is_cw() {
            exterior.make_ccw_winding();
            kinds.push(RepairKind::Orientation);
        }
        let mut holes: Vec<LineString<f64>> = Vec::with_capacity(p.interiors().len());
        for h in p.interiors() {
            if let Some(mut h) = clean_ring(h, &mut kinds) {
                if h.is_ccw() {
                    h.make_cw_winding();
                    kinds.push(RepairKind::Orientation);
                }
                holes.push(h);
            }
        }
        polygons.push(Polygon::new(exterior, holes));
    }
    let mut out = MultiPolygon::new(polygons);
    if out.0.is_empty() {
        kinds.push(RepairKind::Collapsed);
        out = geometry.clone();
    } else if !out.is_valid() {
        // Re-node with the union of the shape with itself (non-zero fill), which resolves
        // self-intersections and overlapping parts.
        let renoded = out.union(&MultiPolygon::<f64>::new(vec![]));
        kinds.push(RepairKind::SelfIntersection);
        out = renoded;
        if out.0.is_empty() {
            kinds.push(RepairKind::Collapsed);
            out = geometry.clone();
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    Repaired {
        geometry: out,
        repairs: kinds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};

    #[test]
    fn clean_polygons_are_left_alone() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        let r = repair(&MultiPolygon::new(vec![p.clone()]));
        assert!(r.repairs.is_empty(), "{:?}", r.repairs);
        assert_eq!(r.geometry.0[0], p);
    }

    #[test]
    fn orientation_duplicates_and_degenerate_rings_are_fixed_and_reported() {
        // Clockwise exterior with a repeated point, a counter-clockwise hole, and a zero-area
        // hole.
        let ext = LineString::from(vec![
            (0.0, 0.0),
            (0.0, 4.0),
            (0.0, 4.0),
            (4.0, 4.0),
            (4.0, 0.0),
            (0.0, 0.0),
        ]);
        let hole = LineString::from(vec![
            (1.0, 1.0),
            (2.0, 1.0),
            (2.0, 2.0),
            (1.0, 2.0),
            (1.0, 1.0),
        ]);
        let flat = LineString::from(vec![(3.0, 3.0), (3.5, 3.0), (3.0, 3.0)]);
        let r = repair(&MultiPolygon::new(vec![Polygon::new(
            ext,
            vec![hole, flat],
        )]));
        assert_eq!(
            r.repairs,
            vec![
                RepairKind::DuplicatePoints,
                RepairKind::Orientation,
                RepairKind::DegenerateRing
            ]
        );
        let p = &r.geometry.0[0];
        assert!(p.exterior().is_ccw());
        assert_eq!(p.interiors().len(), 1);
        assert!(p.interiors()[0].is_cw());
        assert!((p.unsigned_area() - 15.0).abs() < 1e-12);
        assert!(r.geometry.is_valid());
    }

    #[test]
    fn a_bow_tie_is_renoded_and_a_flat_polygon_collapses() {
        let bow = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0)];
        let r = repair(&MultiPolygon::new(vec![bow]));
        assert!(
            r.repairs.contains(&RepairKind::SelfIntersection),
            "{:?}",
            r.repairs
        );
        assert!(r.geometry.is_valid());
        assert!((r.geometry.unsigned_area() - 2.0).abs() < 1e-9);

        let flat = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0)],
        ]);
        let r = repair(&flat);
        assert!(r.collapsed());
        assert_eq!(
            r.geometry, flat,
            "a collapsed area keeps its original geometry"
        );
    }
}
