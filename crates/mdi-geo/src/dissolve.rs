//! Dissolving areas into their parent: the union of polygons that share their borders exactly
//! (the same vertices on both sides, as TopoJSON arcs, the CBS maps and the demo region have).
//!
//! Borders are dissolved by cancelling edges: every directed edge a→b of the children whose
//! reverse b→a also occurs is an inner border and is dropped; the edges left are chained into
//! rings. Nothing is snapped or rounded, so the parent's outline is vertex for vertex the
//! children's outer outline, and two neighbouring parents still share their border exactly.
//! (A general polygon union would snap coordinates and open hairline gaps between parents.)
//!
//! Children must be repaired first ([`crate::repair`]): closed rings, exteriors
//! counter-clockwise and holes clockwise. Where children do not share vertices on a border
//! (a vertex on one side only), that border is not cancelled and stays as a seam.

use std::collections::HashMap;

use geo::{Area, Contains, Winding};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};

/// A vertex by the bits of its coordinates (exact equality).
type Vertex = (u64, u64);
/// A directed edge between two vertices.
type Edge = (Vertex, Vertex);

fn key(c: Coord<f64>) -> Vertex {
    (c.x.to_bits(), c.y.to_bits())
}

/// The union of `parts`, which must share their common borders exactly.
pub fn dissolve<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    // Directed edges with their multiplicity, cancelled against their reverse.
    let mut edges: HashMap<Edge, (Coord<f64>, Coord<f64>, i32)> = HashMap::new();
    let mut order: Vec<Edge> = Vec::new();
    for mp in parts {
        for p in &mp.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    let (a, b) = (w[0], w[1]);
                    if a == b {
                        continue;
                    }
                    let rev = (key(b), key(a));
                    if let Some(e) = edges.get_mut(&rev).filter(|e| e.2 > 0) {
                        e.2 -= 1;
                        continue;
                    }
                    let k = (key(a), key(b));
                    let e = edges.entry(k).or_insert_with(|| {
                        order.push(k);
                        (a, b, 0)
                    });
                    e.2 += 1;
                }
            }
        }
    }
    // Outgoing edges per start vertex, in insertion order (deterministic).
    let mut outgoing: HashMap<Vertex, Vec<usize>> = HashMap::new();
    let mut list: Vec<(Coord<f64>, Coord<f64>)> = Vec::new();
    for k in &order {
        let (a, b, n) = edges[k];
        for _ in 0..n {
            outgoing.entry(key(a)).or_default().push(list.len());
            list.push((a, b));
        }
    }
    let mut used = vec![false; list.len()];
    let mut rings: Vec<LineString<f64>> = Vec::new();
    for start in 0..list.len() {
        if used[start] {
            continue;
        }
        let mut pts = vec![list[start].0];
        let mut cur = start;
        loop {
            used[cur] = true;
            let end = list[cur].1;
            pts.push(end);
            if key(end) == key(pts[0]) {
                break;
            }
            let next = outgoing
                .get(&key(end))
                .and_then(|v| v.iter().copied().find(|&e| !used[e]));
            match next {
                Some(n) => cur = n,
                None => break, // an open chain: only with broken input; dropped below
            }
        }
        if pts.len() >= 4 && key(pts[0]) == key(pts[pts.len() - 1]) {
            // Where the outline touches itself at a vertex, split it into simple rings.
            rings.extend(split_at_repeats(&pts).into_iter().map(LineString::new));
        }
    }
    // Counter-clockwise rings are exteriors, clockwise ones holes; a hole goes to the smallest
    // exterior that contains it.
    let (mut exteriors, holes): (Vec<LineString<f64>>, Vec<LineString<f64>>) =
        rings.into_iter().partition(|r| r.is_ccw());
    exteriors.sort_by(|a, b| {
        let area = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).unsigned_area();
        area(a).total_cmp(&area(b))
    });
    let mut polys: Vec<Polygon<f64>> = exteriors
        .into_iter()
        .map(|e| Polygon::new(e, vec![]))
        .collect();
    for h in holes {
        let probe = inner_probe(&h);
        if let Some(p) = polys.iter_mut().find(|p| p.contains(&probe)) {
            p.interiors_push(h);
        }
    }
    MultiPolygon::new(polys)
}

/// Split a closed chain of points into simple closed rings at every vertex it passes twice
/// (a pinch point), so that each ring's orientation tells whether it is an exterior or a hole.
fn split_at_repeats(pts: &[Coord<f64>]) -> Vec<Vec<Coord<f64>>> {
    let mut out = Vec::new();
    let mut path: Vec<Coord<f64>> = Vec::with_capacity(pts.len());
    let mut at: HashMap<Vertex, usize> = HashMap::new();
    for &p in pts {
        if let Some(&i) = at.get(&key(p)) {
            // The path came back to p: the points since its first visit form a ring.
            let mut ring: Vec<Coord<f64>> = path.drain(i..).collect();
            for c in &ring {
                at.remove(&key(*c));
            }
            ring.push(p);
            if ring.len() >= 4 {
                out.push(ring);
            }
        }
        at.insert(key(p), path.len());
        path.push(p);
    }
    out
}

/// A point just inside a clockwise ring's enclosed region (next to its first edge), used to
/// find the exterior that holds the hole.
fn inner_probe(ring: &LineString<f64>) -> Point<f64> {
    let (a, b) = (ring.0[0], ring.0[1]);
    let mid = Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    // For a clockwise ring the enclosed side is to the right of a→b; the exterior holding the
    // hole surrounds both sides, so the midpoint itself is inside it.
    Point::from(mid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Validation, polygon};

    fn sq(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)],
        ])
    }

    #[test]
    fn a_two_by_two_block_becomes_one_square_with_the_same_outer_vertices() {
        let parts = [sq(0.0, 0.0), sq(1.0, 0.0), sq(0.0, 1.0), sq(1.0, 1.0)];
        let d = dissolve(&parts);
        assert_eq!(d.0.len(), 1);
        assert!((d.unsigned_area() - 4.0).abs() < 1e-12);
        assert!(d.is_valid());
        // The outline keeps the children's vertices (8 of them on a 2×2 block, plus closing).
        assert_eq!(d.0[0].exterior().0.len(), 9);
    }

    #[test]
    fn a_hole_touching_the_outline_at_a_corner_gives_valid_rings_in_any_order() {
        // A 3×3 block without its centre and without the corner cell (2, 2): the hole touches
        // the outline at the vertex (2, 2).
        let mut parts = Vec::new();
        for x in 0..3 {
            for y in 0..3 {
                if (x, y) != (1, 1) && (x, y) != (2, 2) {
                    parts.push(sq(f64::from(x), f64::from(y)));
                }
            }
        }
        for rotation in 0..parts.len() {
            let mut order = parts.clone();
            order.rotate_left(rotation);
            if rotation % 2 == 1 {
                order.reverse();
            }
            let d = dissolve(&order);
            assert!(
                (d.unsigned_area() - 7.0).abs() < 1e-12,
                "rotation {rotation}"
            );
            assert!(d.is_valid(), "rotation {rotation}: {d:?}");
        }
    }

    #[test]
    fn a_ring_of_squares_leaves_a_hole_and_separate_parts_stay_separate() {
        let mut parts = Vec::new();
        for x in 0..3 {
            for y in 0..3 {
                if (x, y) != (1, 1) {
                    parts.push(sq(f64::from(x), f64::from(y)));
                }
            }
        }
        parts.push(sq(10.0, 10.0));
        let d = dissolve(&parts);
        assert_eq!(d.0.len(), 2);
        let big = d.0.iter().find(|p| p.unsigned_area() > 5.0).unwrap();
        assert_eq!(big.interiors().len(), 1);
        assert!((big.unsigned_area() - 8.0).abs() < 1e-12);
        assert!(d.is_valid());
    }
}
