//! The shared-arc topology of every polygon of every layer, built once.
//!
//! Coordinates are projected once from WGS84 (EPSG:4326) to Web Mercator *world units*: `x` from
//! 0 at 180° W to 1 at 180° E, `y` from 0 at 85.0511° N to 1 at 85.0511° S (y down, as in tiles).
//! Rings are then cut into arcs at *junctions*, the points where the set of rings through a point
//! changes (TopoJSON's rule: a point is a junction when it is met with two different pairs of
//! neighbours). Two rings that share a border therefore share the arc between the junctions at
//! its ends, stored once; so do a parent and its children, whose outlines were dissolved from the
//! same vertices. Each arc gets a Douglas–Peucker importance per vertex (its squared distance to
//! the chord it splits, capped by its parent split's importance), so that "keep the vertices
//! whose importance exceeds t²" is exactly Douglas–Peucker at tolerance t. Simplifying an arc at
//! a zoom is then one filter, and both neighbours see the identical result.

use std::collections::HashMap;

use geo_types::MultiPolygon;

/// A point in Web Mercator world units (`[x, y]`, both in `0..=1`, y down).
pub type WorldPoint = [f64; 2];

/// Project a WGS84 longitude and latitude (degrees) to Web Mercator world units (y down).
/// Latitudes beyond ±85.0511° are clamped to the edge of the Web Mercator square.
pub fn world_of_lonlat(lon: f64, lat: f64) -> WorldPoint {
    let x = (lon + 180.0) / 360.0;
    let lat = lat
        .clamp(-85.051_128_779_806_59, 85.051_128_779_806_59)
        .to_radians();
    let y = 0.5 - (lat.tan() + 1.0 / lat.cos()).ln() / (2.0 * std::f64::consts::PI);
    [x, y]
}

/// The WGS84 longitude and latitude (degrees) of a point in Web Mercator world units.
pub fn lonlat_of_world(p: WorldPoint) -> (f64, f64) {
    let lon = p[0] * 360.0 - 180.0;
    let n = std::f64::consts::PI * (1.0 - 2.0 * p[1]);
    let lat = n.sinh().atan().to_degrees();
    (lon, lat)
}

/// One shared arc: a run of vertices between two junctions (or a whole ring without any).
#[derive(Debug, Clone)]
pub struct Arc {
    /// The vertices in world units. A closed arc (a ring without junctions) repeats its first
    /// vertex at the end.
    pub points: Vec<WorldPoint>,
    /// Per vertex, the squared Douglas–Peucker tolerance (world units²) below which it is kept;
    /// `f64::INFINITY` for the end points.
    pub importance: Vec<f64>,
}

/// A reference from a ring to an arc, in the arc's direction or reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArcRef {
    /// Index into [`Topology::arcs`].
    pub arc: u32,
    /// Whether the ring runs along the arc backwards.
    pub reversed: bool,
}

/// A ring as a sequence of arcs; consecutive arcs share their end points.
pub type TopoRing = Vec<ArcRef>;

/// A polygon: the exterior ring, then its holes.
pub type TopoPolygon = Vec<TopoRing>;

/// The topology of all features: the arcs, and every feature's polygons as arc references.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// The shared arcs.
    pub arcs: Vec<Arc>,
    /// Per input geometry, its polygons.
    pub shapes: Vec<Vec<TopoPolygon>>,
}

/// Rings as point ids: per geometry, per polygon, per ring (the exterior first).
type IdRings = Vec<Vec<Vec<Vec<u32>>>>;

impl Topology {
    /// Build the topology of geometries in WGS84 (EPSG:4326) longitude/latitude degrees.
    /// Rings may be closed or not; repeated consecutive points are ignored; rings with fewer
    /// than three distinct points are dropped.
    pub fn build(geometries: &[&MultiPolygon<f64>]) -> Topology {
        let (points, rings) = projected_rings(geometries);
        let junction = junctions(&rings, points.len());
        cut_into_arcs(rings, &junction, &points)
    }
}

/// Step 1: the rings projected to world units, as ids of distinct points (bit-identical
/// coordinates share an id), with the points. Rings lose their closing point and repeated
/// consecutive points; a ring with fewer than three points is dropped, and with an exterior
/// so dropped, the whole polygon.
fn projected_rings(geometries: &[&MultiPolygon<f64>]) -> (Vec<WorldPoint>, IdRings) {
    let mut ids: HashMap<(u64, u64), u32> = HashMap::new();
    let mut points: Vec<WorldPoint> = Vec::new();
    let mut rings: IdRings = Vec::with_capacity(geometries.len());
    for geometry in geometries {
        let mut polygons = Vec::with_capacity(geometry.0.len());
        for polygon in &geometry.0 {
            let mut out = Vec::with_capacity(1 + polygon.interiors().len());
            for (k, ring) in std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .enumerate()
            {
                let mut r: Vec<u32> = Vec::with_capacity(ring.0.len());
                for c in &ring.0 {
                    let p = world_of_lonlat(c.x, c.y);
                    let key = (p[0].to_bits(), p[1].to_bits());
                    let id = *ids.entry(key).or_insert_with(|| {
                        points.push(p);
                        (points.len() - 1) as u32
                    });
                    if r.last() != Some(&id) {
                        r.push(id);
                    }
                }
                while r.len() > 1 && r.first() == r.last() {
                    r.pop();
                }
                if r.len() >= 3 {
                    out.push(r);
                } else if k == 0 {
                    // Without an exterior, the holes mean nothing.
                    break;
                }
            }
            if !out.is_empty() {
                polygons.push(out);
            }
        }
        rings.push(polygons);
    }
    (points, rings)
}

/// Step 2: the junctions, per point id: a point met with two different (unordered) neighbour
/// pairs.
fn junctions(rings: &IdRings, n_points: usize) -> Vec<bool> {
    const UNSET: u64 = u64::MAX;
    let mut pair_of = vec![UNSET; n_points];
    let mut junction = vec![false; n_points];
    for ring in rings.iter().flatten().flatten() {
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[(i + n - 1) % n], ring[(i + 1) % n]);
            let pair = (u64::from(a.min(b)) << 32) | u64::from(a.max(b));
            let p = ring[i] as usize;
            if pair_of[p] == UNSET {
                pair_of[p] = pair;
            } else if pair_of[p] != pair {
                junction[p] = true;
            }
        }
    }
    junction
}

/// Step 3: cut the rings into arcs at the junctions, each arc stored once.
fn cut_into_arcs(rings: IdRings, junction: &[bool], points: &[WorldPoint]) -> Topology {
    let mut arcs: Vec<Arc> = Vec::new();
    let mut arc_ids: HashMap<(u32, u32, u32), u32> = HashMap::new();
    let mut shapes = Vec::with_capacity(rings.len());
    for polygons in rings {
        let mut shape = Vec::with_capacity(polygons.len());
        for polygon in polygons {
            let mut topo_polygon = Vec::with_capacity(polygon.len());
            for ring in polygon {
                let mut refs = Vec::new();
                let n = ring.len();
                match (0..n).find(|&i| junction[ring[i] as usize]) {
                    None => refs.push(closed_arc(&ring, &mut arcs, &mut arc_ids, points)),
                    Some(first) => {
                        let mut seq = vec![ring[first]];
                        for k in 1..=n {
                            let p = ring[(first + k) % n];
                            seq.push(p);
                            if junction[p as usize] {
                                refs.push(intern(&seq, &mut arcs, &mut arc_ids, points));
                                seq.clear();
                                seq.push(p);
                            }
                        }
                    }
                }
                topo_polygon.push(refs);
            }
            shape.push(topo_polygon);
        }
        shapes.push(shape);
    }
    Topology { arcs, shapes }
}

/// Find or add the closed arc of a ring without junctions. It starts at its smallest point id
/// and runs towards the smaller neighbour, so both rings that use it agree.
fn closed_arc(
    ring: &[u32],
    arcs: &mut Vec<Arc>,
    ids: &mut HashMap<(u32, u32, u32), u32>,
    points: &[WorldPoint],
) -> ArcRef {
    let n = ring.len();
    let start = (0..n).min_by_key(|&i| ring[i]).unwrap_or(0);
    let fwd = ring[(start + 1) % n] < ring[(start + n - 1) % n];
    let seq: Vec<u32> = (0..=n)
        .map(|k| {
            if fwd {
                ring[(start + k) % n]
            } else {
                ring[(start + n - k % n) % n]
            }
        })
        .collect();
    let key = (seq[0], seq[1], seq[0]);
    let id = *ids.entry(key).or_insert_with(|| {
        arcs.push(make_arc(&seq, points));
        (arcs.len() - 1) as u32
    });
    ArcRef {
        arc: id,
        reversed: !fwd,
    }
}

/// Find or add the open arc `seq` (point ids, junction to junction).
fn intern(
    seq: &[u32],
    arcs: &mut Vec<Arc>,
    ids: &mut HashMap<(u32, u32, u32), u32>,
    points: &[WorldPoint],
) -> ArcRef {
    let n = seq.len();
    let forward = (seq[0], seq[1]) <= (seq[n - 1], seq[n - 2]);
    let key = if forward {
        (seq[0], seq[1], seq[n - 1])
    } else {
        (seq[n - 1], seq[n - 2], seq[0])
    };
    let id = *ids.entry(key).or_insert_with(|| {
        let canonical: Vec<u32> = if forward {
            seq.to_vec()
        } else {
            seq.iter().rev().copied().collect()
        };
        arcs.push(make_arc(&canonical, points));
        (arcs.len() - 1) as u32
    });
    ArcRef {
        arc: id,
        reversed: !forward,
    }
}

/// The arc through the points `seq` (ids into `points`), with its vertices' importance.
fn make_arc(seq: &[u32], points: &[WorldPoint]) -> Arc {
    let pts: Vec<WorldPoint> = seq.iter().map(|&i| points[i as usize]).collect();
    let importance = importance(&pts);
    Arc {
        points: pts,
        importance,
    }
}

/// Douglas–Peucker importance of every vertex: the squared distance to the chord that it
/// splits, capped by the importance of the split above it (so the filter is monotone).
/// End points are `f64::INFINITY`.
pub fn importance(points: &[WorldPoint]) -> Vec<f64> {
    let n = points.len();
    let mut imp = vec![0.0; n];
    if n == 0 {
        return imp;
    }
    imp[0] = f64::INFINITY;
    imp[n - 1] = f64::INFINITY;
    let mut stack = vec![(0usize, n - 1, f64::INFINITY)];
    while let Some((a, b, cap)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let mut best = a + 1;
        let mut best_d = -1.0;
        for i in a + 1..b {
            let d = seg_dist2(points[i], points[a], points[b]);
            if d > best_d {
                best_d = d;
                best = i;
            }
        }
        let v = best_d.min(cap);
        imp[best] = v;
        stack.push((a, best, v));
        stack.push((best, b, v));
    }
    imp
}

/// Squared distance from `p` to the segment `a`–`b`.
fn seg_dist2(p: WorldPoint, a: WorldPoint, b: WorldPoint) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    x * x + y * y
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        let ring = LineString::from(vec![
            (x0, y0),
            (x0 + s, y0),
            (x0 + s, y0 + s),
            (x0, y0 + s),
            (x0, y0),
        ]);
        MultiPolygon(vec![Polygon::new(ring, vec![])])
    }

    #[test]
    fn amsterdam_projects_to_the_published_tile() {
        // Dam square (4.8924 E, 52.3731 N) lies in tile 14/8414/5384.
        let [x, y] = world_of_lonlat(4.8924, 52.3731);
        assert_eq!(((x * 16384.0) as u32, (y * 16384.0) as u32), (8414, 5384));
        let (lon, lat) = lonlat_of_world([x, y]);
        assert!((lon - 4.8924).abs() < 1e-9 && (lat - 52.3731).abs() < 1e-9);
    }

    #[test]
    fn two_neighbours_share_one_arc() {
        // Two unit squares side by side share the border x = 1.
        let a = square(0.0, 0.0, 1.0);
        let b = square(1.0, 0.0, 1.0);
        let t = Topology::build(&[&a, &b]);
        // Junctions are (1,0) and (1,1): arcs are the shared border and the two outer runs.
        assert_eq!(t.arcs.len(), 3);
        let used_a: Vec<u32> = t.shapes[0][0][0].iter().map(|r| r.arc).collect();
        let used_b: Vec<u32> = t.shapes[1][0][0].iter().map(|r| r.arc).collect();
        let shared: Vec<u32> = used_a
            .iter()
            .filter(|a| used_b.contains(a))
            .copied()
            .collect();
        assert_eq!(shared.len(), 1);
        let dir_a = t.shapes[0][0][0]
            .iter()
            .find(|r| r.arc == shared[0])
            .unwrap()
            .reversed;
        let dir_b = t.shapes[1][0][0]
            .iter()
            .find(|r| r.arc == shared[0])
            .unwrap()
            .reversed;
        assert_ne!(
            dir_a, dir_b,
            "neighbours run along a shared border in opposite directions"
        );
    }

    #[test]
    fn an_island_and_its_hole_share_a_closed_arc() {
        let outer = LineString::from(vec![
            (0.0, 0.0),
            (4.0, 0.0),
            (4.0, 4.0),
            (0.0, 4.0),
            (0.0, 0.0),
        ]);
        let hole = LineString::from(vec![
            (1.0, 1.0),
            (1.0, 3.0),
            (3.0, 3.0),
            (3.0, 1.0),
            (1.0, 1.0),
        ]);
        let lake = MultiPolygon(vec![Polygon::new(outer, vec![hole])]);
        // The island starts at another vertex and runs the other way.
        let island = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (3.0, 3.0),
                (1.0, 3.0),
                (1.0, 1.0),
                (3.0, 1.0),
                (3.0, 3.0),
            ]),
            vec![],
        )]);
        let t = Topology::build(&[&lake, &island]);
        assert_eq!(t.arcs.len(), 2);
        assert_eq!(t.shapes[0][0][1][0].arc, t.shapes[1][0][0][0].arc);
    }

    #[test]
    fn importance_is_douglas_peucker() {
        // A zig-zag: vertex 2 is farthest from the chord 0–4; then 1 and 3.
        let pts = [[0.0, 0.0], [1.0, 0.1], [2.0, 1.0], [3.0, 0.2], [4.0, 0.0]];
        let imp = importance(&pts);
        assert!(imp[0].is_infinite() && imp[4].is_infinite());
        assert!((imp[2] - 1.0).abs() < 1e-12);
        assert!(imp[1] < imp[2] && imp[3] < imp[2]);
        // Capped: a child is never more important than its parent split.
        // Vertex 1 splits first (distance 1); vertex 2 lies 0.9 from the first chord but 1.45
        // from the second, and is capped at 1.
        let pts = [[0.0, 0.0], [1.0, 1.0], [5.0, -0.9], [10.0, 0.0]];
        let imp = importance(&pts);
        assert!((imp[1] - 1.0).abs() < 1e-12);
        assert_eq!(imp[2], imp[1]);
    }
}
